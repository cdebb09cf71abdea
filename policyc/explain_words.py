"""Explanations in plain words, in English or Chinese, for HR staff and employees.

`explain.py` renders the full derivation an engineer reads (`--verbose`); this module says the
same outcomes as a person would: `the average 83.2 is above 80, so promote` / `平均分 83.2 高于
80，因此为 promote`. Every phrase comes from the message catalogues (`explain.*` keys).

Lines are wrapped to 80 columns; each cites its source line with a footnote marker `[n]`,
the notes listed once after the employee's months, so no line ends in a long `FILE:LINE`.

The renderer reads trace events through one adapter (`steps`): the definitions computed on
a row, each with its value, its span and the events that produced it. Each event kind is
turned into words by `phrase`, a single match over the event types of `runtime.trace`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.explain import _deps, _field_inputs, _is_hidden, _text, segments
from policyc.messages import Lang, msg
from policyc.runtime import trace as T
from policyc.runtime.plan import GroupStep
from policyc.runtime.values import RowEnv, show
from policyc.source import Span, display_width
from policyc.syntax import ast as A

WIDTH = 80
DEPTH = 3  # outputs, what they read, and what that reads: deeper is `--verbose`
Line = tuple[str, Span | None]
NBSP = "\u00a0"

# ---- the adapter over trace events -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One definition as computed on a row: the unit an explanation talks about."""

    name: str
    value: Any
    span: Span
    events: tuple[Any, ...]


def steps(row: RowEnv) -> dict[str, Step]:
    """Definition name -> its step on this traced row (hidden steps folded into their reader)."""
    return {n: Step(n, v, sp, tuple(evs)) for n, (v, sp, evs) in segments(row).items()}


# ---- words ---------------------------------------------------------------------------------


@dataclass
class Words:
    """What phrasing needs: the plan, the language and the row being explained."""

    plan: Plan
    lang: Lang
    row: RowEnv | None = None
    groups: dict[str, GroupStep] = field(default_factory=dict)
    outputs: frozenset[str] = frozenset()
    depth: int = DEPTH

    def __post_init__(self) -> None:
        self.groups = {s.name: s for s in self.plan.steps if isinstance(s, GroupStep)}
        self.outputs = frozenset(n for n, _ in self.plan.outputs)

    def m(self, key: str, /, **fields: object) -> str:
        return msg(key, self.lang, **fields)

    def v(self, value: Any, percent: bool = False) -> str:
        """A value as a person reads it: yes/no, `no value`, `130%`."""
        if value is None:
            return self.m("explain.none")
        if isinstance(value, bool):
            return self.m("explain.yes" if value else "explain.no")
        if percent and isinstance(value, Decimal):
            return f"{show(value * 100)}%"
        if isinstance(value, tuple):
            return "(" + ", ".join(self.v(x, percent) for x in value) + ")"
        return show(value)

    def name(self, name: str) -> str:
        """A definition as the reader knows it: a hidden step is the expression it stands for."""
        if _is_hidden(self.plan, name):
            return _text(self.plan, self.plan.hidden[name].span)
        return name

    def noun(self, name: str) -> str:
        """A band's input named by what it is when its rule says so (`the average`), else by
        the policy's own name for it."""
        d = self.plan.model.defs.get(name)
        body: A.Expr | None = d.body if d is not None else None
        if isinstance(body, A.If) and isinstance(body.otherwise, A.NoneLit):
            body = body.then
        if isinstance(body, A.Call) and body.func == "mean":
            return self.m("explain.agg.mean")
        return name

    def sub(self, span: Span, operands: tuple[T.Operand, ...]) -> str:
        """The expression at `span` with each operand read replaced by its value."""
        text, at, out = self.plan.source_text, span.start, []
        for op in sorted(operands, key=lambda o: o.span.start):
            if op.span.start < at or op.span.end > span.end:
                continue
            out.append(text[at : op.span.start])
            out.append(self.v(op.value, op.percent))
            at = op.span.end
        out.append(text[at : span.end])
        return " ".join("".join(out).split())

    def func(self, func: str) -> str:
        key = f"explain.agg.{func}"
        return self.m(key) if key in _KEYS else self.m("explain.agg.other", func=func)

    def when(self) -> str:
        return self.m(
            "explain.this_month" if self.plan.model.period_field else "explain.whole_file"
        )

    def cohort(self, group: str, size: int, per: tuple[str, Any] | None) -> str:
        everyone = group in ("everyone", "")
        if per is None:
            if everyone:
                return self.m("explain.cohort_all", size=size)
            return self.m("explain.cohort", size=size, group=group)
        value = self.v(per[1])
        if everyone:
            return self.m("explain.cohort_all_per", size=size, value=value, field=per[0])
        return self.m("explain.cohort_per", size=size, group=group, value=value, field=per[0])

    def per_of(self, name: str) -> tuple[str, Any] | None:
        """The `per FIELD` group of a cohort step on this row: the field and its value."""
        step = self.groups.get(name)
        if step is None or step.per is None or step.per_name is None or self.row is None:
            return None
        return (step.per_name, self.row.v[step.per])


def _keys() -> frozenset[str]:
    from policyc.messages import CATALOGUES

    return frozenset(CATALOGUES["en"])


_KEYS = _keys()


def _checks(w: Words, names: tuple[str, ...], checks: Any, percent: tuple[bool, ...]) -> str:
    parts = []
    for i, (value, op, bound) in enumerate(checks):
        p = percent[i] if i < len(percent) else False
        name = w.noun(names[i]) if i < len(names) else ""
        opw = w.m(f"explain.op.{op}") if f"explain.op.{op}" in _KEYS else op
        parts.append(
            w.m("explain.check", name=name, value=w.v(value, p), op=opw, bound=w.v(bound, p))
        )
    return w.m("explain.and").join(" ".join(p.split()) for p in parts)


def _table(w: Words, ev: T.TableHit) -> list[Line]:
    out: list[Line] = []
    for t in () if ev.band else ev.tried:
        name = w.noun(ev.names[t.input_index]) if t.input_index < len(ev.names) else ""
        opw = w.m(f"explain.not.{t.op}") if f"explain.not.{t.op}" in _KEYS else t.op
        check = " ".join(
            w.m(
                "explain.check",
                name=name,
                value=w.v(t.value, t.percent),
                op=opw,
                bound=w.v(t.bound, t.percent),
            ).split()
        )
        out.append((w.m("explain.table_skipped", checks=check), t.span))
    if ev.row is None:
        if ev.band and ev.inputs and ev.inputs[0] is None:
            name = w.noun(ev.names[0]) if ev.names else ""
            return [(w.m("explain.band_no_value", name=name), ev.span)]
        return [*out, (w.m("explain.table_no_row"), ev.span)]
    result = w.v(ev.result)
    if ev.otherwise:
        return [*out, (w.m("explain.otherwise", result=result), ev.row_span)]
    checks = _checks(w, ev.names, ev.checks, ev.percent) or w.m("explain.any_value")
    key = "explain.band" if ev.band else "explain.table"
    return [*out, (w.m(key, checks=checks, result=result), ev.row_span)]


def _window(w: Words, ev: T.WindowAggregate) -> list[Line]:
    sep = w.m("explain.list_sep")
    vals = sep.join(
        w.m("explain.window_month", month=m, value=w.v(v))
        if v is not None
        else w.m("explain.window_month_missing", month=m)
        for m, v in zip(ev.months, ev.values, strict=True)
    )
    first, last = (ev.months[0], ev.months[-1]) if ev.months else ("", "")
    key = "explain.window" if first != last else "explain.window_one"
    out: list[Line] = [
        (
            w.m(
                key,
                func=w.func(ev.func),
                name=w.name(ev.name),
                first=first,
                last=last,
                values=vals,
                result=w.v(ev.result),
            ),
            ev.span,
        )
    ]
    if ev.missing:
        k = (
            "explain.window_missing_ignored"
            if ev.ignoring_missing
            else "explain.window_missing_strict"
        )
        out.append((w.m(k, months=sep.join(ev.missing)), ev.span))
    return out


def _ladder(w: Words, ev: T.LadderMove) -> list[Line]:
    steps = (
        w.m("explain.ladder.steps1") if ev.steps == 1 else w.m("explain.ladder.steps", n=ev.steps)
    )
    f = {"before": w.v(ev.before), "after": w.v(ev.after), "position": ev.position, "size": ev.size}
    if ev.direction in ("up", "down"):
        if ev.end_reached:
            key = "explain.ladder.top" if ev.direction == "up" else "explain.ladder.bottom"
        else:
            key = f"explain.ladder.{ev.direction}"
        return [(w.m(key, steps=steps, **f), ev.rule_span)]
    if ev.direction == "becomes":
        return [(w.m("explain.ladder.becomes", **f), ev.rule_span)]
    if ev.direction == "start":
        return [(w.m("explain.ladder.start", **f), ev.span)]
    key = "explain.ladder.stay" if ev.size else "explain.ladder.stay_plain"
    text = w.m(key, **f)
    if ev.carried_from:
        text += " " + w.m("explain.ladder.carried", period=ev.carried_from)
    return [(text, ev.span)]


def _ranked(w: Words, ev: T.Ranked) -> list[Line]:
    if not ev.in_group:
        return [(w.m("explain.not_ranked", group=ev.group), ev.span)]
    keys = w.m("explain.list_sep").join(
        w.m("explain.rank_key", key=t, value=w.v(v), order=w.m(f"explain.{d}"))
        for t, d, v in ev.keys
    )
    cohort = w.cohort(ev.group, ev.size, ev.per)
    f = {"rank": w.v(ev.rank), "cohort": cohort, "when": w.when(), "keys": keys}
    if ev.tied:
        return [(w.m("explain.ranked_tied", tied=ev.tied, **f), ev.span)]
    return [(w.m("explain.ranked", **f), ev.span)]


def phrase(ev: Any, w: Words) -> list[Line]:
    """One trace event in words, each line with the span it cites."""
    match ev:
        case T.Worked():
            return [
                (
                    w.m("explain.worked", expr=w.sub(ev.span, ev.operands), result=w.v(ev.result)),
                    ev.span,
                )
            ]
        case T.Condition():
            cond, read = _text(w.plan, ev.span), w.sub(ev.span, ev.operands)
            single = len(ev.operands) == 1 and ev.operands[0].span == ev.span
            if single or read == cond:
                return [(w.m("explain.condition", cond=cond, result=w.v(ev.result)), ev.span)]
            return [
                (
                    w.m("explain.condition_with", cond=cond, values=read, result=w.v(ev.result)),
                    ev.span,
                )
            ]
        case T.Branch():
            key = {True: "explain.branch_held", False: "explain.branch_not"}.get(
                ev.held, "explain.branch_unknown"
            )
            return [(w.m(key, cond=_text(w.plan, ev.cond), result=w.v(ev.result)), ev.span)]
        case T.Rounded():
            mode = "down" if ev.func == "round_down" else "up" if ev.func == "round_up" else ev.mode
            modew = w.m(f"explain.mode.{mode}") if f"explain.mode.{mode}" in _KEYS else mode
            text = w.m(
                "explain.rounded",
                value=w.v(ev.value),
                places=ev.places,
                mode=modew,
                result=w.v(ev.result),
            )
            return [(text, ev.span)]
        case T.WeightedSum():
            terms = " + ".join(f"{n} {w.v(v)} × {show(p)}%" for n, v, p in ev.terms)
            return [(w.m("explain.weighted", terms=terms, total=w.v(ev.total)), ev.span)]
        case T.CaseChosen():
            f = {"subject": ev.subject, "value": w.v(ev.value)}
            if ev.case_span is None:
                return [(w.m("explain.case_none", **f), ev.span)]
            return [(w.m("explain.case", **f), ev.case_span)]
        case T.TableHit():
            return _table(w, ev)
        case T.WindowAggregate():
            return _window(w, ev)
        case T.WindowCloses():
            key = "explain.closes" if ev.closes else "explain.not_closes"
            return [(w.m(key, period=ev.period, window=ev.window, months=ev.months), ev.span)]
        case T.Lookback():
            name = w.name(ev.name)
            if ev.deferred:
                key = "explain.deferred" if ev.found else "explain.deferred_none"
            else:
                key = "explain.lookback" if ev.found else "explain.lookback_none"
            return [(w.m(key, name=name, period=ev.period, value=w.v(ev.value)), ev.span)]
        case T.LadderMove():
            return _ladder(w, ev)
        case T.Override():
            f = {"original": w.v(ev.original), "value": w.v(ev.value)}
            if ev.reason:
                return [(w.m("explain.override_reason", reason=ev.reason, **f), ev.span)]
            return [(w.m("explain.override", **f), ev.span)]
        case T.Ranked():
            return _ranked(w, ev)
        case T.CohortAggregate():
            cohort = w.cohort(ev.group, ev.size, w.per_of(ev.name))
            text = w.m(
                "explain.aggregate",
                func=w.func(ev.func),
                cohort=cohort,
                when=w.when(),
                result=w.v(ev.result),
            )
            return [(text, ev.span)]
    return []


# ---- layout: wrapping and footnotes ----------------------------------------------------------


def wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    """`text` in lines of at most `width` cells after `indent` (continuations indented two
    more): broken at spaces, or between CJK characters when a word is too long."""
    lines: list[str] = []
    pad, room = indent, width - display_width(indent)
    line = ""
    for word in re.split(r"(?<= )", text):
        if display_width(line + word.rstrip()) <= room or not line:
            line += word
            while display_width(line.rstrip()) > room and len(line) > 1:
                cut = _cut(line, room)
                lines.append(pad + line[:cut].rstrip())
                line = line[cut:]
                pad, room = indent + "  ", width - display_width(indent) - 2
            continue
        lines.append(pad + line.rstrip())
        pad, room = indent + "  ", width - display_width(indent) - 2
        line = word
    if line.strip():
        lines.append(pad + line.rstrip())
    return lines or [indent]


def _cut(text: str, room: int) -> int:
    used = 0
    for i, ch in enumerate(text):
        used += display_width(ch)
        if used > room:
            return max(1, i)
    return len(text)


class Notes:
    """Footnotes: each cited source line numbered once, in order of first citation."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.numbers: dict[int, int] = {}
        self.file = ""

    def mark(self, span: Span | None) -> str:
        if span is None or span.line == 0:
            return ""
        self.file = self.file or span.file
        n = self.numbers.setdefault(span.line, len(self.numbers) + 1)
        return f" [{n}]"

    def render(self, lang: Lang) -> list[str]:
        if not self.numbers:
            return []
        lines = self.plan.source_text.splitlines()
        out = [msg("explain.sources", lang, file=self.file)]
        for line, n in self.numbers.items():
            text = " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
            if display_width(text) > 56:
                text = _clip(text, 56)
            out += wrap(msg("explain.source", lang, n=n, line=line, text=text), "  ")
        return out


def _clip(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        used += display_width(ch)
        if used > width - 1:
            return out + "…"
        out += ch
    return out


# ---- explanations ---------------------------------------------------------------------------


def _note(plan: Plan, span: Span, lang: Lang) -> str:
    """The comment just above a definition, as a note: its seed quote (the Chinese words
    before `:`, which HR knows) when it starts with one, else (in English) its first
    sentence."""
    lines = plan.source_text.splitlines()
    i = span.line - 2
    block: list[str] = []
    while 0 <= i < len(lines) and lines[i].lstrip().startswith("#"):
        block.insert(0, lines[i].lstrip().lstrip("#").strip())
        i -= 1
    text = re.sub(r"^\(?\d+[.)、]\s*", "", " ".join(block))  # a numbered clause: `1. ...`
    quote = re.match(r"([^:：]*[\u3400-\u9fff][^:：]*)[:：]", text)
    if quote:
        return quote.group(1).strip()
    if lang != "en" or not text:
        return ""
    first = re.split(r"(?<=\.)\s", text)[0]
    return first if display_width(first) <= 120 else ""


def _header(w: Words, row: RowEnv) -> str:
    employee, period = row.key[0], row.key[1] if len(row.key) > 1 else ""
    slot = w.plan.slots.get("name")
    name = row.v[slot] if slot is not None and "name" in w.plan.model.fields else None
    name = name if isinstance(name, str) and name else None
    if period:
        key = "explain.head_name" if name else "explain.head"
    else:
        key = "explain.head_name_no_period" if name else "explain.head_no_period"
    return w.m(key, employee=employee, name=name or "", period=period)


def _record_line(w: Words, name: str, row: RowEnv, step: Step) -> str:
    inputs = _field_inputs(w.plan, name, row, list(step.events))
    if not 0 < len(inputs) <= 8:
        return ""
    values = w.m("explain.list_sep").join(f"{f} {w.v(v)}" for f, v in inputs)
    return w.m("explain.record", values=values)


def _emit(out: list[str], notes: Notes, text: str, span: Span | None, indent: str) -> None:
    """A line with its footnote marker, which is kept with the last word when wrapped."""
    mark = notes.mark(span).replace(" ", NBSP)
    out += [line.replace(NBSP, " ") for line in wrap(text + mark, indent)]


def _step_lines(
    w: Words,
    name: str,
    found: dict[str, Step],
    out: list[str],
    shown: set[str],
    notes: Notes,
    depth: int,
) -> None:
    step = found.get(name)
    if step is None or name in shown:
        return
    shown.add(name)
    pad = "  " * depth
    _emit(
        out, notes, w.m("explain.value", name=w.name(name), value=w.v(step.value)), step.span, pad
    )
    note = _note(w.plan, step.span, w.lang) if depth == 0 else ""
    if note:
        out += wrap(w.m("explain.note", text=note), pad + "  ")
    said = False
    for ev in step.events:
        for text, span in phrase(ev, w):
            _emit(out, notes, text, span, pad + "  ")
            said = True
    if not said and w.row is not None:
        record = _record_line(w, name, w.row, step)
        if record:
            _emit(out, notes, record, None, pad + "  ")
    if depth + 1 < w.depth:
        for dep in _deps(w.plan, name):
            if dep not in shown and dep not in w.outputs:
                _step_lines(w, dep, found, out, shown, notes, depth + 1)


def explain_words(plan: Plan, rows: list[RowEnv], lang: Lang = "en", depth: int = DEPTH) -> str:
    """Each row's outputs in plain words (with what they read, `depth` levels down); the
    source lines cited, as footnotes, at the end."""
    w = Words(plan, lang, depth=depth)
    notes = Notes(plan)
    blocks = []
    for row in rows:
        w.row = row
        found = steps(row)
        out = [_header(w, row)]
        shown: set[str] = set()
        for name, _slot in plan.outputs:
            _step_lines(w, name, found, out, shown, notes, 0)
        blocks.append("\n".join(out))
    tail = notes.render(lang)
    return "\n\n".join(blocks) + ("\n\n" + "\n".join(tail) if tail else "")


def phrases_of(plan: Plan, row: RowEnv, lang: Lang) -> Callable[[Any], list[Line]]:
    """`phrase` bound to a row (for other renderers: HTML, diff causes)."""
    w = Words(plan, lang, row)
    return lambda ev: phrase(ev, w)
