"""Ladders, windows and `by` blocks: their cases, their levels and their month counts.

Every `by X` (a definition, a ladder or a window per category) is checked the same way:
each key is one of `X`'s values, no key is given twice, and every value of `X` has a case
unless there is an `otherwise` (a value with no case gets none: a warning, since that is
sometimes meant). Ladders list each level once; calendar windows divide the year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from policyc.diagnostics import Diagnostic, closest_name, did_you_mean, error, warning
from policyc.semantics.checks.common import (
    find_quoted,
    find_word,
    header_span,
    or_list,
    quoted_list,
    sites,
)
from policyc.semantics.checks.intervals import show_number
from policyc.semantics.model import Model
from policyc.semantics.types import ANY, Ty, Typer
from policyc.semantics.types import shared as types_shared
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.walk import walk

MAX_ENUMERATED = 100  # an integer subject with more values than this is not enumerated


@dataclass(frozen=True)
class CaseBlock:
    """The cases of one `by`: what it is (for messages), its subject, where it starts."""

    what: str
    subject: str
    subject_type: Ty
    cases: Sequence[tuple[tuple[A.CaseKey, ...], Span]]
    header: Span
    consequence: str


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    typer = types_shared(model, source)
    out: list[Diagnostic] = []
    for lad in model.ladders.values():
        out.extend(_ladder_levels(lad, source))
        if lad.by is not None:
            out.extend(_declared_by(model, source, typer, lad, "ladder"))
    for w in model.windows.values():
        out.extend(_window_months(w, source))
        if w.by is not None:
            out.extend(_declared_by(model, source, typer, w, "window"))
    for site in sites(model):
        env = {p: ANY for p in site.params}
        for node in walk(site.expr):
            if isinstance(node, A.By):
                if node.subject in env:
                    t = ANY
                elif model.is_value(node.subject):
                    t = typer.value(node.subject)
                else:
                    continue  # not a value: the names check reports it
                block = CaseBlock(
                    f"`by {node.subject}`",
                    node.subject,
                    t,
                    [(c.keys, c.span) for c in node.cases],
                    header_span(source, node.span),
                    "get none",
                )
                out.extend(_cases(block, source))
    out.extend(_state_moves(model, source))
    return out


def _declared_by(
    model: Model,
    source: SourceFile,
    typer: Typer,
    decl: A.LadderDecl | A.WindowDecl,
    kind: str,
) -> list[Diagnostic]:
    subject = decl.by
    assert subject is not None
    header = header_span(source, decl.span)
    if not model.is_value(subject):
        by_at = source.text.find(" by ", decl.span.start, decl.span.end)
        skip = by_at - decl.span.start + 4 if by_at >= 0 else 0
        span = find_word(source, decl.span, subject, skip=skip) or header
        return [
            error(
                "E0113",
                f"`{kind} {decl.name} by {subject}`: `{subject}` is not a field or a definition",
                span,
                did_you_mean(subject, model.value_names),
            )
        ]
    consequence = (
        "have no ladder, so `up` and `down` leave their level as it is"
        if kind == "ladder"
        else "have no window, so `closes` and `over` give none"
    )
    cases: list[tuple[tuple[A.CaseKey, ...], Span]] = [(c.keys, c.span) for c in decl.cases]
    block = CaseBlock(
        f"{kind} `{decl.name}`", subject, typer.value(subject), cases, header, consequence
    )
    return _cases(block, source)


def _cases(block: CaseBlock, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[A.CaseKey, int] = {}
    otherwise_line: int | None = None
    misspelt: set[A.CaseKey] = set()
    t = block.subject_type
    for keys, span in block.cases:
        if not keys:
            if otherwise_line is not None:
                out.append(
                    error(
                        "E0502",
                        f"{block.what} already has an `otherwise` case on line {otherwise_line}",
                        source.span(span.start, span.start + len("otherwise")),
                        "keep one `otherwise`",
                    )
                )
            otherwise_line = span.line
            continue
        for key in keys:
            at = _key_span(source, span, key)
            bad = _key_fits(block.subject, t, key)
            if bad is not None:
                out.append(error("E0114", bad[0], at, bad[1]))
                meant = closest_name(key, t.labels) if isinstance(key, str) else None
                if meant is not None:
                    misspelt.add(meant)  # not missing: its case is there, misspelt
            elif key in seen:
                out.append(
                    error(
                        "E0502",
                        f"`{_show_key(key)}` already has a case on line {seen[key]}",
                        at,
                        "give each value one case; the first is the one used",
                    )
                )
            else:
                seen[key] = span.line
    if otherwise_line is None:
        missing = _missing(t, set(seen) | misspelt)
        if missing:
            shown = or_list([f"`{_show_key(k)}`" for k in missing])
            out.append(
                warning(
                    "W0503",
                    f"{block.what} has no case for {shown}, and no `otherwise`",
                    block.header,
                    f"rows whose `{block.subject}` is {shown} {block.consequence}; add "
                    f"{'a case' if len(missing) == 1 else 'cases'} or an `otherwise` case",
                )
            )
    return out


def _key_fits(subject: str, t: Ty, key: A.CaseKey) -> tuple[str, str | None] | None:
    """Why `key` cannot be a value of the subject (message, help), or None when it can."""
    if t.kind == "label":
        if isinstance(key, Decimal):
            return (f"`{subject}` is a label, but this case is the number {key}", None)
        if key not in t.labels:
            listed = f"`{subject}` is one of {quoted_list(t.labels)}"
            dym = did_you_mean(key, t.labels)
            return (f"`{subject}` is never `{key}`", f"{dym} ({listed})" if dym else listed)
        return None
    if t.kind == "num":
        if not isinstance(key, Decimal):
            return (f"`{subject}` is a number, but this case is the label `{key}`", None)
        if (t.low is not None and key < t.low) or (t.high is not None and key > t.high):
            lo = "" if t.low is None else show_number(t.low)
            hi = "" if t.high is None else show_number(t.high)
            return (f"`{subject}` is never {key}: it is in {lo}..{hi}", None)
    return None


def _missing(t: Ty, keys: set[A.CaseKey]) -> list[A.CaseKey]:
    if t.kind == "label":
        return [lab for lab in t.labels if lab not in keys]
    if (
        t.kind == "num"
        and t.places == 0
        and t.low is not None
        and t.high is not None
        and t.high - t.low < MAX_ENUMERATED
    ):
        values = [t.low + i for i in range(int(t.high - t.low) + 1)]
        return [v for v in values if not any(isinstance(k, Decimal) and k == v for k in keys)]
    return []


def _show_key(key: A.CaseKey) -> str:
    return show_number(key) if isinstance(key, Decimal) else key


def _key_span(source: SourceFile, span: Span, key: A.CaseKey) -> Span:
    text = str(key)
    return find_word(source, span, text) or find_quoted(source, span, text) or span


def _ladder_levels(lad: A.LadderDecl, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for case in lad.cases:
        count: dict[str, int] = {}
        for step in case.steps:
            count[step] = count.get(step, 0) + 1
            if count[step] == 2:
                at = find_quoted(source, case.span, step, nth=2) or case.span
                out.append(
                    error(
                        "E0501",
                        f"level `{step}` appears twice in ladder `{lad.name}`",
                        at,
                        "a ladder lists each level once, from lowest to highest",
                    )
                )
    return out


_EVERY = re.compile(r"every\s+(\d+)")


def _window_months(w: A.WindowDecl, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for case in w.cases:
        n = case.months
        if n >= 1 and 12 % n == 0:
            continue
        region = source.text[case.span.start : case.span.end]
        m = _EVERY.search(region)
        at = (
            source.span(case.span.start + m.start(1), case.span.start + m.end(1))
            if m
            else case.span
        )
        why = "holds no month" if n < 1 else "cannot line up with the calendar year"
        out.append(
            error(
                "E0504",
                f"a window of {n} months {why}",
                at,
                "calendar windows are 1, 2, 3, 4, 6 or 12 months long; for a rolling span use "
                "`over last N months`",
            )
        )
    return out


def _state_moves(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for st in model.states.values():
        if st.ladder is not None:
            continue
        for tr in st.transitions:
            if tr.kind in ("up", "down"):
                out.append(
                    error(
                        "E0505",
                        f"`{tr.kind} {tr.steps}` moves along a ladder, but state `{st.name}` "
                        f"has none",
                        source.span(tr.span.start, tr.span.start + len(tr.kind)),
                        f"declare the ladder: `state {st.name} on LADDER`, or use `becomes`",
                    )
                )
    return out
