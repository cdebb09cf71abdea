"""Trace events -> explanations: text an HR reader follows, or JSON for a program.

Each line cites `POLICYFILE:LINE`. Events are grouped by the definition they led to; each
output is shown with the definitions it reads nested under it, each definition once.
Values are written as `eval` writes them (`true`/`false`, decimals without trailing zeros);
a value compared with a bound written as a percentage is shown as one (`130% is at least
120%`). The JSON form carries, per definition, the same lines as the text and the events
they come from, with every value as `eval`'s JSON has it (decimals as strings).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.runtime import trace as T
from policyc.runtime import values
from policyc.runtime.values import RowEnv, plain
from policyc.semantics.model import referenced_values
from policyc.source import Span
from policyc.syntax import ast as A
from policyc.syntax.walk import names_in

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


show = values.show  # as `eval` and `policyc test` write values (`true`, not `yes`)


def show_percent(value: Any) -> str:
    """A value compared with a bound written as a percentage: `1.3` is `130%`."""
    if isinstance(value, Decimal):
        return f"{show(value * 100)}%"
    return show(value)


def _shown(value: Any, percent: bool) -> str:
    return show_percent(value) if percent else show(value)


def segments(row: RowEnv) -> dict[str, tuple[Any, Span, list[Any]]]:
    """Definition name -> (value, span, the events that produced it).

    A hidden step's events (a lifted rank, an aggregate's argument) go with the definition
    that reads it, whatever ran in between; those of one read only from other months go."""
    out: dict[str, tuple[Any, Span, list[Any]]] = {}
    held: dict[str, list[Any]] = {}
    pending: list[Any] = []
    for ev in row.trace or []:
        if isinstance(ev, T.Computed):
            if ev.hidden:
                if ev.owner is not None:
                    held.setdefault(ev.owner, []).extend(pending)
            else:
                out[ev.name] = (ev.value, ev.span, held.pop(ev.name, []) + pending)
            pending = []
        else:
            pending.append(ev)
    return out


def _reads(plan: Plan, name: str) -> set[str]:
    m = plan.model
    if name in m.defs:
        return referenced_values(m, m.defs[name].body)
    refs: set[str] = set()
    if name in m.states:
        for t in m.states[name].transitions:
            refs |= referenced_values(m, t.cond)
    return refs


def _is_hidden(plan: Plan, name: str) -> bool:
    return name.startswith("_") and name in plan.hidden


def _deps(plan: Plan, name: str) -> list[str]:
    """The definitions and states `name` reads this month, through its hidden steps."""
    m = plan.model
    refs: set[str] = set()
    todo, seen = list(_reads(plan, name)), {name}
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if _is_hidden(plan, n):
            todo.extend(_reads(plan, n))
        else:
            refs.add(n)
    ordered = [n for n in plan.slots if n in refs and (n not in m.fields or n in m.defs)]
    return list(dict.fromkeys(ordered))


def _text(plan: Plan, span: Span) -> str:
    """Source text on one line: an expression broken over lines reads as one."""
    return " ".join(plan.source_text[span.start : span.end].split())


def _label(plan: Plan, name: str) -> str:
    """A name as the reader knows it: a hidden step is the expression it stands for."""
    if _is_hidden(plan, name):
        return f"`{_text(plan, plan.hidden[name].span)}`"
    return name


def _substituted(plan: Plan, span: Span, operands: tuple[T.Operand, ...]) -> str:
    """The expression at `span` with each operand read replaced by its value."""
    text, at, out = plan.source_text, span.start, []
    for op in sorted(operands, key=lambda o: o.span.start):
        if op.span.start < at or op.span.end > span.end:
            continue  # not inside the expression (never expected): left as written
        out.append(text[at : op.span.start])
        out.append(_shown(op.value, op.percent))
        at = op.span.end
    out.append(text[at : span.end])
    return " ".join("".join(out).split())


def explain_text(plan: Plan, rows: list[RowEnv], policy_file: str) -> str:
    """Each row: its outputs, each with the lines that derive it and what it reads."""
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


def _field_inputs(plan: Plan, name: str, row: RowEnv, events: list[Any]) -> list[tuple[str, Any]]:
    """The record fields a definition reads directly, with this row's values; of a `by`,
    the subject and what the case this row took reads."""
    m = plan.model
    d = m.defs.get(name)
    if d is None or name.startswith("_"):
        return []
    body: A.Expr = d.body
    fields = []
    if isinstance(body, A.By):
        if body.subject in m.fields:
            fields.append(body.subject)
        chosen = next((e for e in events if isinstance(e, T.CaseChosen)), None)
        taken = [c for c in body.cases if chosen is not None and c.span == chosen.case_span]
        reads: list[A.Expr] = [c.body for c in taken] if chosen is not None else [body]
    else:
        reads = [body]
    fields += [
        n.name
        for e in reads
        for n in names_in(e)
        if n.name in m.fields and n.name not in m.defs and n.name not in m.states
    ]
    return [(f, row.v[plan.slots[f]]) for f in dict.fromkeys(fields)]


def _step_lines(
    plan: Plan, name: str, span: Span, events: list[Any], row: RowEnv
) -> list[tuple[str, Span | None]]:
    """What a definition's value came from, as lines of text: shared by text and JSON."""
    lines = [line for ev in events for line in describe(ev, plan)]
    inputs = _field_inputs(plan, name, row, events)
    if 0 < len(inputs) <= 12:  # a long list says less than the events do
        shown = ", ".join(f"{f} = {show(v)}" for f, v in inputs)
        lines.append((f"from the record: {shown}", span))
    return lines


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
    for text, sp in _step_lines(plan, name, span, events, row):
        lines.append(_cite(f"{pad}  {text}", sp))
    for dep in _deps(plan, name):
        if dep in segs and depth < 6:
            _render(plan, dep, segs, lines, shown, depth + 1, row)


def _cite(text: str, span: Span | None) -> str:
    if span is None or span.line == 0:
        return text
    from policyc.source import display_width

    gap = max(2, 64 - display_width(text))
    return f"{text}{' ' * gap}{span.where}"


def _bound(op: str, bound: Any, percent: bool = False) -> str:
    if isinstance(bound, tuple):
        return "(" + ", ".join(_shown(b, percent) for b in bound) + ")"
    return _shown(bound, percent)


def describe(ev: Any, plan: Plan) -> list[tuple[str, Span | None]]:
    """One event as lines of text, each with the span it cites."""
    match ev:
        case T.Worked():
            return [(f"{_substituted(plan, ev.span, ev.operands)} = {show(ev.result)}", ev.span)]
        case T.Condition():
            return [(f"{_condition(plan, ev.span, ev.operands)}: {show(ev.result)}", ev.span)]
        case T.Branch():
            return [(_branch_line(ev, plan), ev.span)]
        case T.Rounded():
            mode = f", {ev.mode}" if ev.func == "round" else ""  # round_down says its mode
            call = f"{ev.func}({_text(plan, ev.argument)}, {ev.places}{mode})"
            return [(f"{call}: {show(ev.value)} -> {show(ev.result)}", ev.span)]
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
                (f"{ev.func} of {_label(plan, ev.name)} over {ev.window} ({span}): {vals}", ev.span)
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
            name = _label(plan, ev.name)
            if not ev.found:
                return [
                    (f"{name}: no row in {ev.period}, where it would have been decided", ev.span)
                ]
            return [
                (
                    f"{name} = {show(ev.value)}, decided in {ev.period} and paid this month",
                    ev.span,
                )
            ]
        case T.Lookback():
            name = _label(plan, ev.name)
            if not ev.found:
                return [(f"{name} in {ev.period}: no row for that month", ev.span)]
            return [(f"{name} in {ev.period} = {show(ev.value)}", ev.span)]
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


def _condition(plan: Plan, span: Span, operands: tuple[T.Operand, ...]) -> str:
    """`team_rank = 1 (1 = 1)`: a condition as written, then with the values it read (left
    out when the condition is one name: its value follows)."""
    cond = _text(plan, span)
    read = _substituted(plan, span, operands)
    single = len(operands) == 1 and operands[0].span == span
    return cond if single or read == cond else f"{cond} ({read})"


def _branch_line(ev: T.Branch, plan: Plan) -> str:
    """`if team_rank = 1 (1 = 1): true -> then 1000`: the condition, its value, and the
    branch taken with what it gave."""
    cond = _condition(plan, ev.cond, ev.operands)
    return f"if {cond}: {show(ev.held)} -> {ev.taken} {show(ev.result)}"


def _when(plan: Plan) -> str:
    return " this month" if plan.model.period_field else " in the whole file"


def _table_lines(ev: T.TableHit) -> list[tuple[str, Span | None]]:
    out: list[tuple[str, Span | None]] = []
    for tried in () if ev.band else ev.tried:  # a band matches one row: the others add noise
        out.append(
            (
                f"row skipped: {_shown(tried.value, tried.percent)} "
                f"{NOT_WORDS.get(tried.op, tried.op)} "
                f"{_bound(tried.op, tried.bound, tried.percent)}",
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
    percent = ev.percent or (False,) * len(ev.checks)
    checks = (
        " and ".join(
            f"{_shown(v, p)} {OP_WORDS.get(op, op)} {_bound(op, b, p)}"
            for (v, op, b), p in zip(ev.checks, percent, strict=True)
        )
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
    """Values as `eval`'s JSON writes them: decimals as strings, true/false, null; positions
    and counts (a table row's index, a group's size) stay numbers."""
    if isinstance(v, Decimal):
        return plain(v)
    if isinstance(v, Span):
        return v.where
    if isinstance(v, tuple | list):
        return [_json_value(x) for x in v]
    return v


def _json_operands(plan: Plan, operands: tuple[T.Operand, ...]) -> list[dict[str, Any]]:
    return [{"operand": _text(plan, o.span), "value": _json_value(o.value)} for o in operands]


def _json_event(ev: Any, plan: Plan) -> dict[str, Any]:
    """One event as JSON: its fields, with spans as FILE:LINE, a hidden step's name as the
    expression it stands for, and an expression's operands with their source text."""
    out: dict[str, Any] = {"event": type(ev).__name__}
    if isinstance(ev, T.Worked | T.Condition):
        out["expression"] = _text(plan, ev.span)
    elif isinstance(ev, T.Branch):
        out["cond"] = ""  # its text, below: first, as it reads
    for f in dataclasses.fields(ev):
        out[f.name] = _json_value(getattr(ev, f.name))
    if isinstance(ev, T.Worked | T.Condition | T.Branch):
        out["operands"] = _json_operands(plan, ev.operands)
    if isinstance(ev, T.Branch):
        out["cond"], out["branch"] = _text(plan, ev.cond), _text(plan, ev.branch)
    elif isinstance(ev, T.Rounded):
        out["argument"] = _text(plan, ev.argument)
    elif isinstance(ev, T.TableHit):
        out["tried"] = [_json_event(t, plan) for t in ev.tried]
    if isinstance(out.get("name"), str):
        out["name"] = _label(plan, out["name"]).strip("`")
    return out


def explain_json(plan: Plan, rows: list[RowEnv]) -> list[dict[str, Any]]:
    """Each row: its outputs, and per definition its value, where it is defined, what it
    reads, its record inputs, its events and the text lines `explain` shows for it."""
    out = []
    for row in rows:
        steps = []
        for name, (value, span, events) in segments(row).items():
            steps.append(
                {
                    "definition": _label(plan, name).strip("`"),
                    "value": _json_value(value),
                    "source": span.where,
                    "reads": [_label(plan, n).strip("`") for n in _deps(plan, name)],
                    "inputs": {
                        f: _json_value(v) for f, v in _field_inputs(plan, name, row, events)
                    },
                    "events": [_json_event(e, plan) for e in events],
                    "text": [t for t, _ in _step_lines(plan, name, span, events, row)],
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
