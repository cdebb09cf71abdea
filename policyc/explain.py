"""Trace events -> explanations: text an HR reader follows, or JSON for a program.

Each line cites `POLICYFILE:LINE`. Events are grouped by the definition they led to; each
output is shown with the definitions it reads nested under it, each definition once.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from policyc.compile import Plan
from policyc.eval import trace as T
from policyc.eval.values import RowEnv, plain, show
from policyc.model import names_in, referenced_values
from policyc.source import Span
from policyc.syntax import ast as A

OP_WORDS = {
    ">": "is above",
    ">=": "is at least",
    "<": "is below",
    "<=": "is at most",
    "=": "equals",
    "in": "is one of",
}
NOT_WORDS = {
    ">": "is not above",
    ">=": "is below",
    "<": "is not below",
    "<=": "is above",
    "=": "is not",
    "in": "is not one of",
}


def segments(row: RowEnv) -> dict[str, tuple[Any, Span, list[Any]]]:
    """Definition name -> (value, span, the events that produced it)."""
    out: dict[str, tuple[Any, Span, list[Any]]] = {}
    pending: list[Any] = []
    for ev in row.trace or []:
        if isinstance(ev, T.Computed):
            out[ev.name] = (ev.value, ev.span, pending)
            pending = []
        else:
            pending.append(ev)
    return out


def _deps(plan: Plan, name: str) -> list[str]:
    m = plan.model
    if name in m.defs:
        refs = referenced_values(m, m.defs[name].body)
    elif name in m.states:
        st = m.states[name]
        refs = set()
        for t in st.transitions:
            refs |= referenced_values(m, t.cond)
    else:
        return []
    ordered = [
        n for n in plan.slots if (n in refs and n not in m.fields) or (n in refs and n in m.defs)
    ]
    return [n for n in dict.fromkeys(ordered) if n != name]


def _label(plan: Plan, name: str) -> str:
    if name.startswith("_") and name in plan.hidden:
        sp = plan.hidden[name].span
        return f"`{plan.source_text[sp.start : sp.end]}`"
    return name


def explain_text(plan: Plan, rows: list[RowEnv], policy_file: str) -> str:
    blocks = []
    for row in rows:
        segs = segments(row)
        head = f"{row.key[0]} {row.key[1]}".rstrip()
        lines = [head]
        shown: set[str] = set()
        for name, _slot in plan.outputs:
            _render(plan, name, segs, lines, shown, 1, row)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _field_inputs(plan: Plan, name: str, row: RowEnv) -> str:
    """The record fields a definition reads directly, with this row's values."""
    m = plan.model
    d = m.defs.get(name)
    if d is None or name.startswith("_"):
        return ""
    fields = [
        n.name
        for n in names_in(d.body)
        if n.name in m.fields and n.name not in m.defs and n.name not in m.states
    ]
    if isinstance(d.body, A.By) and d.body.subject in m.fields:
        fields.insert(0, d.body.subject)
    parts = [f"{f} = {show(row.v[plan.slots[f]])}" for f in dict.fromkeys(fields)]
    return ", ".join(parts) if 0 < len(parts) <= 12 else ""


def _render(
    plan: Plan,
    name: str,
    segs: dict[str, tuple[Any, Span, list[Any]]],
    lines: list[str],
    shown: set[str],
    depth: int,
    row: RowEnv,
) -> None:
    pad = "  " * depth
    if name not in segs:
        return
    value, span, events = segs[name]
    if name in shown:
        lines.append(f"{pad}{_label(plan, name)} = {show(value)}  (see above)")
        return
    shown.add(name)
    lines.append(_cite(f"{pad}{_label(plan, name)} = {show(value)}", span))
    for ev in events:
        for text, sp in describe(ev, plan):
            lines.append(_cite(f"{pad}  {text}", sp))
    inputs = _field_inputs(plan, name, row)
    if inputs:
        lines.append(_cite(f"{pad}  from the record: {inputs}", span))
    for dep in _deps(plan, name):
        if dep in segs and depth < 6:
            _render(plan, dep, segs, lines, shown, depth + 1, row)


def _cite(text: str, span: Span | None) -> str:
    if span is None or span.line == 0:
        return text
    from policyc.source import display_width

    gap = max(2, 64 - display_width(text))
    return f"{text}{' ' * gap}{span.where}"


def _bound(op: str, bound: Any) -> str:
    if isinstance(bound, tuple):
        return "(" + ", ".join(show(b) for b in bound) + ")"
    return show(bound)


def describe(ev: Any, plan: Plan) -> list[tuple[str, Span | None]]:
    """One event as lines of text, each with the span it cites."""
    match ev:
        case T.WeightedSum():
            parts = " + ".join(f"{n} {show(v)} × {show(w)}%" for n, v, w in ev.terms)
            return [(f"{parts} = {show(ev.total)}", ev.span)]
        case T.CaseChosen():
            if ev.case_span is None:
                return [(f"{ev.subject} is {show(ev.value)}: no case applies", ev.span)]
            return [(f"{ev.subject} is {show(ev.value)}, so this case applies", ev.case_span)]
        case T.TableHit():
            return _table_lines(ev)
        case T.WindowAggregate():
            vals = ", ".join(
                f"{m} {show(v)}" if v is not None else f"{m} missing"
                for m, v in zip(ev.months, ev.values, strict=True)
            )
            span = f"{ev.months[0]}..{ev.months[-1]}" if ev.months else ""
            out: list[tuple[str, Span | None]] = [
                (f"{ev.func} of {ev.name} over {ev.window} ({span}): {vals}", ev.span)
            ]
            if ev.missing and not ev.ignoring_missing:
                out.append(
                    (
                        f"months missing: {', '.join(ev.missing)}, so there is no {ev.func} "
                        "(the window needs every month)",
                        ev.span,
                    )
                )
            elif ev.missing:
                out.append((f"months missing: {', '.join(ev.missing)} (left out)", ev.span))
            return out
        case T.WindowCloses():
            verb = "closes" if ev.closes else "does not close"
            return [(f"{ev.period} {verb} {ev.window} (every {ev.months} months)", ev.span)]
        case T.Lookback() if ev.deferred:
            if not ev.found:
                return [
                    (f"{ev.name}: no row in {ev.period}, where it would have been decided", ev.span)
                ]
            return [
                (
                    f"{ev.name} = {show(ev.value)}, decided in {ev.period} and paid this month",
                    ev.span,
                )
            ]
        case T.Lookback():
            if not ev.found:
                return [(f"{ev.name} in {ev.period}: no row for that month", ev.span)]
            return [(f"{ev.name} in {ev.period} = {show(ev.value)}", ev.span)]
        case T.LadderMove():
            return _ladder_lines(ev)
        case T.Override():
            reason = f" (reason: {ev.reason})" if ev.reason else ""
            return [
                (
                    f"overridden by department review: {show(ev.original)} -> {show(ev.value)}"
                    f"{reason}",
                    ev.span,
                )
            ]
        case T.Ranked():
            if not ev.in_group:
                return [(f"not ranked: not among `{ev.group}`", ev.span)]
            keys = ", then ".join(f"{t} {d} ({show(v)})" for t, d, v in ev.keys)
            per = f" with the same {ev.per[0]} ({show(ev.per[1])})" if ev.per else ""
            tie = f"; shares the rank with {ev.tied} other(s)" if ev.tied else ""
            return [
                (
                    f"rank {ev.rank} of {ev.size} among `{ev.group}`{per}{_when(plan)}, "
                    f"by {keys}{tie}",
                    ev.span,
                )
            ]
        case T.CohortAggregate():
            return [
                (
                    f"{ev.func} over {ev.size} row(s) among `{ev.group}`{_when(plan)}"
                    f" = {show(ev.result)}",
                    ev.span,
                )
            ]
    return []


def _when(plan: Plan) -> str:
    return " this month" if plan.model.period_field else " in the whole file"


def _table_lines(ev: T.TableHit) -> list[tuple[str, Span | None]]:
    out: list[tuple[str, Span | None]] = []
    for tried in () if ev.band else ev.tried:  # a band matches one row: the others add noise
        out.append(
            (
                f"row skipped: {show(tried.value)} {NOT_WORDS.get(tried.op, tried.op)} "
                f"{_bound(tried.op, tried.bound)}",
                tried.span,
            )
        )
    if ev.row is None:
        if ev.band and ev.inputs and ev.inputs[0] is None:
            return [("no value to place in a band, so none", ev.span)]
        out.append(("no row matches, so none", ev.span))
        return out
    if ev.otherwise:
        out.append((f"no earlier row matched: otherwise -> {show(ev.result)}", ev.row_span))
        return out
    checks = (
        " and ".join(f"{show(v)} {OP_WORDS.get(op, op)} {_bound(op, b)}" for v, op, b in ev.checks)
        or "any value"
    )
    kind = "band" if ev.band else f"{ev.hit} match"
    out.append((f"{checks} -> {show(ev.result)} ({kind})", ev.row_span))
    return out


def _ladder_lines(ev: T.LadderMove) -> list[tuple[str, Span | None]]:
    carried = f" (carried from {ev.carried_from})" if ev.carried_from else " (starting level)"
    out: list[tuple[str, Span | None]] = [(f"before: {show(ev.before)}{carried}", ev.span)]
    if ev.direction in ("up", "down"):
        if ev.end_reached:
            end = "top" if ev.direction == "up" else "bottom"
            out.append(
                (
                    f"{ev.direction} {ev.steps}: the {end} of the ladder is reached, "
                    f"stays at {show(ev.after)} ({ev.position} of {ev.size})",
                    ev.rule_span,
                )
            )
        else:
            out.append(
                (
                    f"{ev.direction} {ev.steps}: {show(ev.before)} -> {show(ev.after)} "
                    f"({ev.position} of {ev.size})",
                    ev.rule_span,
                )
            )
    elif ev.direction == "becomes":
        out.append((f"becomes {show(ev.after)}", ev.rule_span))
    else:
        where = f" ({ev.position} of {ev.size})" if ev.size else ""  # a state with no ladder
        out.append((f"no move: stays at {show(ev.after)}{where}", None))
    return out


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return plain(v)
    if isinstance(v, Span):
        return v.where
    if isinstance(v, tuple | list):
        return [_json_value(x) for x in v]
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        out = {"event": type(v).__name__}
        for f in dataclasses.fields(v):
            out[f.name] = _json_value(getattr(v, f.name))
        return out
    return v


def explain_json(plan: Plan, rows: list[RowEnv]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        segs = segments(row)
        steps = []
        for name, (value, span, events) in segs.items():
            steps.append(
                {
                    "definition": _label(plan, name).strip("`"),
                    "value": _json_value(value),
                    "source": span.where,
                    "events": [_json_value(e) for e in events],
                    "text": [t for ev in events for t, _ in describe(ev, plan)],
                }
            )
        keys = dict(zip(plan.model.key, row.key, strict=False))
        outputs = {name: _json_value(row.v[slot]) for name, slot in plan.outputs}
        out.append({**keys, "outputs": outputs, "steps": steps})
    return out


def explain_output(plan: Plan, row: RowEnv, name: str) -> str:
    """The derivation of one value on one traced row (what `policyc test` shows on a failure)."""
    lines: list[str] = []
    _render(plan, name, segments(row), lines, set(), 1, row)
    return "\n".join(lines)
