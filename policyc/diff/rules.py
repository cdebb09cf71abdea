"""The rule-level half of `policyc diff`: which declarations changed between two versions.

The two models are compared as written (spans are left out of AST equality, so moving a
rule down a line is no change), as finely as the rule's shape allows: a `by` case, one
weight, one band or table row, one window or ladder case. The result is an edit list of
frozen records, each citing the source line in OLD and in NEW; `policyc.diff.render`
prints it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from policyc.backend.closures.compile import Plan
from policyc.pipeline import Checked, compile_checked
from policyc.runtime.values import plain
from policyc.semantics.model import Model
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A

Mark = Literal["added", "removed", "changed"]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Cite:
    """A place in one version: `FILE:LINE` and the source text there (whitespace folded)."""

    where: str
    text: str
    line: int = 0  # for ordering; 0 when the declaration has no position


@dataclass(frozen=True, slots=True)
class RuleChange:
    kind: str  # policy, field, key, ladder, window, definition, function, weight, band row, ...
    name: str  # the declaration it belongs to: `score`, `review_window`, `record`
    part: str  # where inside it: `role customer_rep: callback_rate`, `row 1`; "" for all of it
    change: Mark
    summary: str  # what changed, for a person: `weight 20% -> 15%`
    old: Cite | None
    new: Cite | None


@dataclass(frozen=True)
class Version:
    """One side of a diff: its text, its model as written, and its compiled plan."""

    source: SourceFile
    model: Model
    plan: Plan

    @property
    def name(self) -> str:
        return self.source.name

    def cite(self, span: Span) -> Cite:
        where = span.where if span.line else self.name
        return Cite(where, span_text(self.source, span), span.line)


def version_of(checked: Checked) -> Version:
    assert checked.model is not None and checked.ok
    return Version(checked.source, checked.model, compile_checked(checked))


def span_text(source: SourceFile, span: Span) -> str:
    """The text a span covers on its first line, whitespace folded (for one-line citations)."""
    if span.line == 0:
        return ""
    if span.end_line == span.line:
        text = source.text[span.start : span.end]
    else:
        text = source.line_text(span.line)[span.column - 1 :]
    return " ".join(text.split())


def _pct(weight: Any) -> str:
    return f"{plain(weight)}%"


# ---- rule-level diff --------------------------------------------------------------------


class _Rules:
    """Collects the rule changes between two versions, citing both sides."""

    def __init__(self, old: Version, new: Version) -> None:
        self.old, self.new = old, new
        self.out: list[RuleChange] = []

    def add(
        self,
        kind: str,
        name: str,
        part: str,
        change: Mark,
        summary: str,
        old: Span | None,
        new: Span | None,
    ) -> None:
        self.out.append(
            RuleChange(
                kind,
                name,
                part,
                change,
                summary,
                self.old.cite(old) if old is not None else None,
                self.new.cite(new) if new is not None else None,
            )
        )

    def keyed(
        self,
        kind: str,
        olds: dict[str, V],
        news: dict[str, V],
        span: Callable[[V], Span],
        changed: Callable[[str, V, V], None],
    ) -> None:
        """Added, removed and changed declarations matched by name."""
        for name, o in olds.items():
            if name not in news:
                self.add(kind, name, "", "removed", f"{kind} removed", span(o), None)
        for name, n in news.items():
            if name not in olds:
                self.add(kind, name, "", "added", f"{kind} added", None, span(n))
            elif olds[name] != n:
                changed(name, olds[name], n)


def diff_rules(old: Version, new: Version) -> list[RuleChange]:
    """Every declaration added, removed or changed between two versions, in source order."""
    r = _Rules(old, new)
    om, nm = old.model, new.model
    op, np_ = om.policy, nm.policy
    if (op.name, op.version) != (np_.name, np_.version):
        was = f"{op.name} {op.version or ''}".strip()
        now = f"{np_.name} {np_.version or ''}".strip()
        r.add("policy", "policy", "", "changed", f"{was} -> {now}", op.span, np_.span)
    r.keyed("field", om.fields, nm.fields, lambda f: f.span, lambda n, o, w: _field(r, n, o, w))
    if om.key != nm.key and om.key_decl is not None and nm.key_decl is not None:
        summary = f"key {', '.join(om.key)} -> {', '.join(nm.key)}"
        r.add("key", "key", "", "changed", summary, om.key_decl.span, nm.key_decl.span)
    r.keyed("ladder", om.ladders, nm.ladders, lambda d: d.span, lambda n, o, w: _ladder(r, o, w))
    r.keyed("window", om.windows, nm.windows, lambda d: d.span, lambda n, o, w: _window(r, o, w))
    r.keyed("function", om.functions, nm.functions, lambda d: d.span, lambda n, o, w: _def(r, o, w))
    r.keyed("definition", om.defs, nm.defs, lambda d: d.span, lambda n, o, w: _def(r, o, w))
    r.keyed("state", om.states, nm.states, lambda d: d.span, lambda n, o, w: _state(r, o, w))
    r.keyed(
        "override",
        om.overrides,
        nm.overrides,
        lambda d: d.span,
        lambda n, o, w: r.add("override", n, "", "changed", "override changed", o.span, w.span),
    )
    olds = {o.name: o for o in om.outputs}
    news = {o.name: o for o in nm.outputs}
    r.keyed(
        "output",
        olds,
        news,
        lambda o: o.span,
        lambda n, o, w: r.add("output", n, "", "changed", "output changed", o.span, w.span),
    )
    return sorted(r.out, key=_order)


def _order(c: RuleChange) -> tuple[int, int]:
    """Source order: by the line in NEW (OLD for removals); both versions align line by line."""
    new = c.new.line if c.new else 0
    old = c.old.line if c.old else 0
    return (new or old, old)


def _type_text(f: A.FieldDecl) -> str:
    t = f.type
    text = "one of " + ", ".join(t.labels) if t.kind == "enum" else t.kind
    if t.low is not None or t.high is not None:
        text += f" {plain(t.low)}..{plain(t.high)}"
    if t.places is not None:
        text += f" places {t.places}"
    text += "?" if f.optional else ""
    if f.default is not None:
        d = f.default
        text += f" = {d.name if isinstance(d, A.LabelValue) else plain(d)}"
    return text


def _field(r: _Rules, name: str, o: A.FieldDecl, n: A.FieldDecl) -> None:
    summary = f"{_type_text(o)} -> {_type_text(n)}"
    r.add("field", name, "", "changed", summary, o.span, n.span)


def _by_key(cases: Iterable[Any]) -> dict[A.CaseKey | None, Any]:
    """Cases by each of their keys (None for `otherwise`), first occurrence wins."""
    out: dict[A.CaseKey | None, Any] = {}
    for c in cases:
        for k in c.keys or (None,):
            out.setdefault(k, c)
    return out


def _case_pairs(olds: Iterable[Any], news: Iterable[Any]) -> list[tuple[list[Any], Any, Any]]:
    """(keys, old case, new case) for every key whose case differs, keys grouped by pair."""
    o, n = _by_key(olds), _by_key(news)
    groups: dict[tuple[int, int], tuple[list[Any], Any, Any]] = {}
    for k in [*o, *(k for k in n if k not in o)]:
        oc, nc = o.get(k), n.get(k)
        if oc is not None and nc is not None and _case_body(oc) == _case_body(nc):
            continue
        entry = groups.setdefault((id(oc), id(nc)), ([], oc, nc))
        entry[0].append(k)
    return list(groups.values())


def _case_body(c: Any) -> Any:
    for attr in ("body", "months", "steps"):
        if hasattr(c, attr):
            return getattr(c, attr)
    return c


def _keys_text(keys: list[Any]) -> str:
    return ", ".join("otherwise" if k is None else str(plain(k)) for k in keys)


def _window(r: _Rules, o: A.WindowDecl, n: A.WindowDecl) -> None:
    if o.by != n.by:
        r.add("window", o.name, "", "changed", f"by {o.by} -> by {n.by}", o.span, n.span)
        return
    for keys, oc, nc in _case_pairs(o.cases, n.cases):
        part = _keys_text(keys)
        was = f"every {oc.months} months" if oc else "no window"
        now = f"every {nc.months} months" if nc else "no window"
        change: Mark = "changed" if oc and nc else ("added" if nc else "removed")
        summary = f"{part}: {was} -> {now}"
        r.add("window", o.name, part, change, summary, _sp(oc, o), _sp(nc, n))


def _sp(case: Any, decl: Any) -> Span:
    return case.span if case is not None else decl.span  # type: ignore[no-any-return]


def _ladder(r: _Rules, o: A.LadderDecl, n: A.LadderDecl) -> None:
    if o.by != n.by:
        r.add("ladder", o.name, "", "changed", f"by {o.by} -> by {n.by}", o.span, n.span)
        return
    for keys, oc, nc in _case_pairs(o.cases, n.cases):
        part = _keys_text(keys)
        if oc is None or nc is None:
            change: Mark = "added" if nc else "removed"
            r.add("ladder", o.name, part, change, f"{part}: steps {change}", _sp(oc, o), _sp(nc, n))
            continue
        gone = [s for s in oc.steps if s not in nc.steps]
        came = [s for s in nc.steps if s not in oc.steps]
        bits = [f"adds {', '.join(came)}"] if came else []
        bits += [f"removes {', '.join(gone)}"] if gone else []
        summary = f"{part}: " + ("; ".join(bits) if bits else "steps reordered")
        r.add("ladder", o.name, part, "changed", summary, oc.span, nc.span)


def _def(r: _Rules, o: A.Def, n: A.Def) -> None:
    kind = "function" if o.params or n.params else "definition"
    if o.params != n.params:
        r.add(kind, o.name, "", "changed", "parameters changed", o.span, n.span)
        return
    before = len(r.out)
    _expr(r, kind, o.name, "", o.body, n.body, (o.span, n.span))
    if len(r.out) == before:  # a change the finer comparisons do not name (e.g. term order)
        r.add(kind, o.name, "", "changed", "rule changed", o.span, n.span)


def _expr(
    r: _Rules, kind: str, name: str, part: str, o: A.Expr, n: A.Expr, spans: tuple[Span, Span]
) -> None:
    """Compare two rule bodies as finely as their shapes allow: cases, weights, table rows.

    `spans` is what a change of the whole body cites: the definition, or the case.
    """
    if o == n:
        return
    if isinstance(o, A.By) and isinstance(n, A.By) and o.subject == n.subject:
        for keys, oc, nc in _case_pairs(o.cases, n.cases):
            where = f"{o.subject} {_keys_text(keys)}"
            if oc is None or nc is None:
                change: Mark = "added" if nc else "removed"
                r.add("case", name, where, change, f"case {where} {change}", _sp(oc, o), _sp(nc, n))
            else:
                _expr(r, kind, name, where, oc.body, nc.body, (oc.span, nc.span))
        return
    if isinstance(o, A.Weighted) and isinstance(n, A.Weighted):
        _weights(r, name, part, o, n)
        return
    if (
        isinstance(o, A.Table)
        and isinstance(n, A.Table)
        and (o.hit, o.band, o.inputs) == (n.hit, n.band, n.inputs)
    ):
        _rows(r, name, part, o, n)
        return
    what = f"{part}: rule changed" if part else "rule changed"
    r.add(kind, name, part, "changed", what, *spans)


def _term_name(t: A.WeightTerm, source: SourceFile) -> str:
    return t.value.name if isinstance(t.value, A.Name) else span_text(source, t.value.span)


def _weights(r: _Rules, name: str, part: str, o: A.Weighted, n: A.Weighted) -> None:
    olds = {_term_name(t, r.old.source): t for t in o.terms}
    news = {_term_name(t, r.new.source): t for t in n.terms}
    prefix = f"{part}: " if part else ""
    for term, ot in olds.items():
        nt = news.get(term)
        if nt is None:
            summary = f"{prefix}weight of {term} removed (was {_pct(ot.weight)})"
            r.add("weight", name, _join(part, term), "removed", summary, o.span, n.span)
        elif (ot.value, ot.weight) != (nt.value, nt.weight):
            summary = f"{prefix}weight of {term} {_pct(ot.weight)} -> {_pct(nt.weight)}"
            r.add("weight", name, _join(part, term), "changed", summary, o.span, n.span)
    for term, nt in news.items():
        if term not in olds:
            summary = f"{prefix}weight of {term} added ({_pct(nt.weight)})"
            r.add("weight", name, _join(part, term), "added", summary, o.span, n.span)


def _join(part: str, more: str) -> str:
    return f"{part}: {more}" if part else more


def _rows(r: _Rules, name: str, part: str, o: A.Table, n: A.Table) -> None:
    _aligned(r, "band row" if o.band else "table row", name, part, "row", o.rows, n.rows)


def _aligned(
    r: _Rules, kind: str, name: str, part: str, unit: str, olds: Sequence[Any], news: Sequence[Any]
) -> None:
    """Two sequences (table rows, state rules) aligned as an edit: equal items anchor,
    replaced runs pair up in order, the rest is added or removed. Numbers count from 1."""
    prefix = f"{part}: " if part else ""
    for op, i1, i2, j1, j2 in _edits(olds, news):
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            what = f"{unit} {j1 + k + 1}"
            old, new = olds[i1 + k].span, news[j1 + k].span
            r.add(kind, name, _join(part, what), "changed", f"{prefix}{what} changed", old, new)
        for i in range(i1 + pairs, i2):
            what = f"{unit} {i + 1}"
            r.add(
                kind,
                name,
                _join(part, what),
                "removed",
                f"{prefix}{what} removed",
                olds[i].span,
                None,
            )
        for j in range(j1 + pairs, j2):
            what = f"{unit} {j + 1}"
            r.add(
                kind, name, _join(part, what), "added", f"{prefix}{what} added", None, news[j].span
            )


def _edits(a: Sequence[Any], b: Sequence[Any]) -> Sequence[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(None, list(a), list(b), autojunk=False).get_opcodes()


def _state(r: _Rules, o: A.StateDecl, n: A.StateDecl) -> None:
    if (o.ladder, o.start) != (n.ladder, n.start):
        r.add("state", o.name, "", "changed", "start or ladder changed", o.span, n.span)
    _aligned(r, "transition", o.name, "", "rule", o.transitions, n.transitions)


__all__ = ["Cite", "RuleChange", "Version", "diff_rules", "span_text", "version_of"]
