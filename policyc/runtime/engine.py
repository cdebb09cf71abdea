"""Run a plan over a population: period by period, each step over every row of the period.

Periods run in calendar order, so anything a row reads from an earlier month (history,
windows, carried state) is already final; within a period, steps run in dependency order,
and group steps (rank, cohort aggregates) see every row of the period at once.
A row that cannot be evaluated is taken out of its employee's timeline (it then counts as
a missing month) and reported; the others go on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policyc.runtime import trace as T
from policyc.runtime.codes import CANNOT_COMPUTE, OFF_LADDER
from policyc.runtime.plan import GroupStep, Plan, RowStep, StateStep
from policyc.runtime.values import NoStart, RowEnv, RowFailure, aggregate, ord_month


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str
    message: str
    code: str = CANNOT_COMPUTE  # policyc.runtime.codes


@dataclass
class Outcome:
    rows: list[RowEnv]  # evaluated rows, sorted by key
    errors: list[RowError] = field(default_factory=list)


def run(
    plan: Plan,
    rows: list[RowEnv],
    trace_keys: set[str] | None = None,
    rejected: dict[str, list[tuple[int, int]]] | None = None,
) -> Outcome:
    """Evaluate every row. Rows whose employee id is in `trace_keys` record trace events;
    `rejected` holds, by employee, the (month, row) of rows rejected before evaluation."""
    by_period: dict[int, list[RowEnv]] = defaultdict(list)
    timelines: dict[str, dict[int, RowEnv]] = defaultdict(dict)
    for r in rows:
        emp = timelines[r.key[0]]
        emp[r.ord] = r
        r.emp = emp
        by_period[r.ord].append(r)
        if trace_keys is not None and r.key[0] in trace_keys:
            r.trace = []
    tracing = trace_keys is not None
    if tracing:
        plan.ensure_traced()
    errors: list[RowError] = []
    state_last: dict[str, dict[str, RowEnv]] = {}
    # rows of each employee that did not evaluate, (month, row): rejected while loading, and
    # added to as rows fail here (months run in order, so earlier failures are known)
    earlier = {emp: list(v) for emp, v in (rejected or {}).items()}
    for o in sorted(by_period):  # calendar order: history must be final before it is read
        period_rows = by_period[o]
        period_rows.sort(key=lambda r: r.key)
        for step in plan.steps:
            if isinstance(step, RowStep):
                failed = _row_step(step, period_rows, tracing)
            elif isinstance(step, GroupStep):
                failed = _group_step(step, period_rows)
            else:
                failed = _state_step(step, period_rows, state_last)
            if failed:
                for r, err in failed:
                    message = err.message
                    if isinstance(err, NoStart):
                        message = _no_start(err, r, earlier) or message
                    errors.append(RowError(r.line, err.column or step.name, message, err.code))
                    earlier.setdefault(r.key[0], []).append((r.ord, r.line))
                    r.failed = True
                    del r.emp[r.ord]
                    _forget(state_last, r)
                period_rows = [r for r in period_rows if not r.failed]
    errors.extend(_more_about_failed(plan, [r for r in rows if r.failed], errors))
    done = [r for r in rows if not r.failed]
    done.sort(key=lambda r: (r.key, r.ord))
    return Outcome(done, errors)


def label_errors(plan: Plan, rows: list[RowEnv]) -> list[RowError]:
    """A state's starting label that is on no ladder for its row, for rows that never run
    (a duplicate): the record's other problems are reported with its first one."""
    out = []
    for step in plan.steps:
        if not isinstance(step, StateStep) or step.ladder is None:
            continue
        if step.start_column not in plan.field_names:
            continue  # a computed start is not a record cell
        slot = plan.field_names.index(step.start_column)  # the cell, not the state's own slot
        for r in rows:
            given, ladder = r.v[slot], step.ladder.for_row(r)
            if given is not None and ladder is not None and given not in ladder:
                out.append(
                    RowError(r.line, step.start_column, _off_ladder(given, ladder), OFF_LADDER)
                )
    return out


def _more_about_failed(plan: Plan, failed: list[RowEnv], errors: list[RowError]) -> list[RowError]:
    """A row that failed on one rule may also hold a label off its ladder, which the state
    step never got to see: report it too, so one pass finds every problem of the row."""
    if not failed:
        return []
    seen = {(e.line, e.column) for e in errors}
    return [e for e in label_errors(plan, failed) if (e.line, e.column) not in seen]


def _off_ladder(label: Any, ladder: tuple[str, ...]) -> str:
    return f"`{label}` is not on the ladder for this row ({' < '.join(ladder)})"


def _no_start(err: NoStart, r: RowEnv, rejected: dict[str, list[tuple[int, int]]]) -> str:
    """When an earlier row of the employee was rejected (here or while loading), that row
    is why there is nothing to carry on from: name it."""
    emp = r.key[0]
    before = [(o, line) for o, line in rejected.get(emp, []) if o < r.ord]
    if not before:
        return ""
    row = min(before)[1]  # the employee's earliest month that did not evaluate
    return (
        f"`{err.column}` is blank here, and this employee's earlier row {row} was rejected, "
        f"so `{err.state}` has nothing to carry on from: fix row {row}, or give "
        f"`{err.column}` on this row"
    )


def _forget(state_last: dict[str, dict[str, RowEnv]], r: RowEnv) -> None:
    """A failed row does not carry state: the employee's next row continues from before it."""
    for last_rows in state_last.values():
        if last_rows.get(r.key[0]) is r:
            if r.prev is not None:
                last_rows[r.key[0]] = r.prev
            else:
                del last_rows[r.key[0]]


def _row_step(
    step: RowStep, rows: list[RowEnv], tracing: bool = True
) -> list[tuple[RowEnv, RowFailure]]:
    if not tracing and step.override is None:
        done = _row_step_fast(step, rows)
        if done == len(rows):
            return []
        # a row failed: finish the period on the careful path, from that row on
        return _row_step_careful(step, rows[done:])
    return _row_step_careful(step, rows)


def _row_step_fast(step: RowStep, rows: list[RowEnv]) -> int:
    """The hot loop: no overrides, no trace. Returns how many rows it finished."""
    fn, k = step.fn, step.slot
    i = 0
    try:
        for r in rows:
            r.v[k] = fn(r)
            i += 1
    except (RowFailure, ArithmeticError, TypeError, ValueError):
        return i
    return i


def _row_step_careful(step: RowStep, rows: list[RowEnv]) -> list[tuple[RowEnv, RowFailure]]:
    fn, k, failed = step.fn, step.slot, []
    traced = step.traced or fn
    for r in rows:
        try:
            r.v[k] = fn(r) if r.trace is None else traced(r)
        except RowFailure as e:
            failed.append((r, e))
            continue
        except (ArithmeticError, TypeError, ValueError) as e:
            failed.append((r, RowFailure(step.name, f"cannot compute `{step.name}`: {_why(e)}")))
            continue
        if step.override is not None:
            _apply_override(step, r)
        if r.trace is not None:
            r.trace.append(T.Computed(step.name, r.v[k], step.span, step.hidden, step.owner))
    return failed


def _why(e: Exception) -> str:
    name = type(e).__name__
    return {
        "DivisionByZero": "division by zero",
        "InvalidOperation": "invalid arithmetic",
        "TypeError": "values of different kinds",
        "Overflow": "number too large",
    }.get(name, "invalid value")


def _apply_override(step: RowStep, r: RowEnv) -> None:
    assert step.override is not None
    field_slot, reason_slot, reason_text, span = step.override
    value = r.v[field_slot]
    if value is None:
        return
    original = r.v[step.slot]
    r.v[step.slot] = value
    if r.trace is not None:
        reason = r.v[reason_slot] if reason_slot is not None else reason_text
        r.trace.append(T.Override(step.name, original, value, reason, span))


def _group_step(step: GroupStep, rows: list[RowEnv]) -> list[tuple[RowEnv, RowFailure]]:
    groups: dict[Any, list[RowEnv]] = defaultdict(list)
    failed: list[tuple[RowEnv, RowFailure]] = []
    members: set[int] = set()
    for r in rows:
        try:
            if step.cond(r):
                for f, _desc, _text in step.keys:
                    f(r)  # a key that cannot be computed rejects its row, not the run
                groups[r.v[step.per] if step.per is not None else None].append(r)
                members.add(id(r))
        except RowFailure as e:
            failed.append((r, e))
        except (ArithmeticError, TypeError, ValueError) as e:
            failed.append((r, RowFailure(step.name, f"cannot compute `{step.name}`: {_why(e)}")))
    if step.kind != "rank":  # an empty cohort still has a count (0), and every row sees it
        for r in rows:
            groups.setdefault(r.v[step.per] if step.per is not None else None, [])
    k = step.slot
    for r in rows:
        r.v[k] = None
    for key, group in groups.items():
        if step.kind == "rank":
            _rank(step, group, key)
        else:
            _cohort_aggregate(step, group, rows, key)
    for r in rows:
        if r.trace is None:
            continue
        if step.kind == "rank" and id(r) not in members:
            r.trace.append(
                T.Ranked(step.name, None, 0, (), 0, step.cond_text, None, False, step.span)
            )
        # a group step is always a hidden one (lifted): its events go with its reader's
        r.trace.append(T.Computed(step.name, r.v[k], step.span, True, step.owner))
    return failed


def _rank(step: GroupStep, group: list[RowEnv], per_key: Any) -> None:
    """Competition ranking: rows with equal keys share the better rank (1, 2, 2, 4)."""
    keyed = []
    for r in group:
        values = tuple(f(r) for f, _desc, _t in step.keys)
        if any(v is None for v in values):
            continue  # an unranked row: nothing to compare
        keyed.append((values, r))
    descs = [d for _f, d, _t in step.keys]

    def sort_key(item: tuple[tuple[Any, ...], RowEnv]) -> tuple[Any, ...]:
        return tuple(-v if d else v for v, d in zip(item[0], descs, strict=True))

    keyed.sort(key=sort_key)
    size = len(keyed)
    k = step.slot
    rank = 0
    prev: tuple[Any, ...] | None = None
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    for values, _r in keyed:
        counts[values] += 1
    for i, (values, r) in enumerate(keyed):
        if values != prev:
            rank = i + 1
            prev = values
        r.v[k] = Decimal(rank)
        if r.trace is not None:
            keys = tuple(
                (t, "desc" if d else "asc", v)
                for (_f, d, t), v in zip(step.keys, values, strict=True)
            )
            per = (step.per_name, per_key) if step.per_name else None
            r.trace.append(
                T.Ranked(
                    step.name,
                    Decimal(rank),
                    size,
                    keys,
                    counts[values] - 1,
                    step.cond_text,
                    per,
                    True,
                    step.span,
                )
            )


def _cohort_aggregate(
    step: GroupStep, group: list[RowEnv], rows: list[RowEnv], per_key: Any
) -> None:
    if step.keys:
        f = step.keys[0][0]
        values = [f(r) for r in group]
    else:
        values = [True for _ in group]
    result = aggregate(step.kind, values)
    k = step.slot
    targets = rows if step.per is None else [r for r in rows if r.v[step.per] == per_key]
    for r in targets:
        r.v[k] = result
        if r.trace is not None:
            r.trace.append(
                T.CohortAggregate(
                    step.kind, step.name, len(group), result, step.cond_text, step.span
                )
            )


def _state_step(
    step: StateStep, rows: list[RowEnv], state_last: dict[str, dict[str, RowEnv]]
) -> list[tuple[RowEnv, RowFailure]]:
    failed = []
    last_rows = state_last.setdefault(step.name, {})
    for r in rows:
        try:
            _advance(step, r, last_rows)
        except RowFailure as e:
            failed.append((r, e))
    return failed


def _advance(step: StateStep, r: RowEnv, last_rows: dict[str, RowEnv]) -> None:
    k = step.slot
    emp = r.key[0]
    last = last_rows.get(emp)
    r.prev = last
    ladder = step.ladder.for_row(r) if step.ladder is not None else None
    given = step.start(r)
    if last is None:
        if given is None:
            raise NoStart(
                step.start_column,
                f"`{step.start_column}` is blank on this employee's first row; "
                f"`{step.name}` needs a starting value",
                step.name,
            )
        before = given
    else:
        before = last.v[k]
    if ladder is not None and before not in ladder:
        bad_given = last is None or given == before
        raise RowFailure(
            step.start_column if bad_given else step.name,
            _off_ladder(before, ladder),
            OFF_LADDER,
        )
    if ladder is not None and given is not None and given not in ladder:
        # read only on the first row, but a label that is on no ladder is still a bad record
        raise RowFailure(step.start_column, _off_ladder(given, ladder), OFF_LADDER)
    after, direction, steps, end, rule = before, "stay", 0, False, None
    r.v[k] = before  # inside its own rules a state's name is its value before them
    for kind, n, cond, value, span in step.transitions:
        if not cond(r):
            continue
        rule = span
        if kind == "becomes":
            after, direction = (value(r) if value is not None else None), "becomes"
        elif ladder is not None:
            i = ladder.index(before)
            target = i + n if kind == "up" else i - n
            clamped = max(0, min(len(ladder) - 1, target))
            end = clamped != target
            after, direction, steps = ladder[clamped], kind, n
        break
    r.v[k] = after
    last_rows[emp] = r
    if r.trace is not None:
        pos = ladder.index(after) + 1 if ladder is not None and after in ladder else 0
        size = len(ladder) if ladder is not None else 0
        direction = "start" if last is None and rule is None else direction
        carried = ord_month(last.ord) if last is not None else None
        r.trace.append(
            T.LadderMove(
                step.name, before, after, direction, steps, end, pos, size, carried, rule, step.span
            )
        )
        r.trace.append(T.Computed(step.name, after, step.span))
