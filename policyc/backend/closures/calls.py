"""Calls: history (`previous`), windows (`mean(x over w)`), rounding, helpers.

One implementation per entry of `policyc.semantics.builtins.BUILTINS` (`IMPLEMENTED`
lists them; a test checks none is missing). Cohort calls run in the engine's group steps.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from policyc.ir import nodes as N
from policyc.runtime import trace as T
from policyc.runtime.values import ROUNDING_MODES, RowEnv, aggregate, ord_month

if TYPE_CHECKING:
    from policyc.backend.closures.compile import Compiler
    from policyc.runtime.plan import Fn


def compile_call(comp: Compiler, e: N.Call) -> Fn:
    return _PURE[e.func](comp, e)


def compile_history(comp: Compiler, e: N.History) -> Fn:
    return _HISTORY[e.func](comp, e)


def compile_window_test(comp: Compiler, e: N.WindowTest) -> Fn:
    return _closes(comp, e) if e.func == "closes" else _complete(comp, e)


def _previous(comp: Compiler, e: N.History) -> Fn:
    name, k, n, span = e.name, e.slot, e.back, e.span

    def previous(r: RowEnv) -> Any:
        row = r.emp.get(r.ord - n)
        value = None if row is None else row.v[k]
        if r.trace is not None:
            r.trace.append(T.Lookback(name, ord_month(r.ord - n), row is not None, value, span))
        return value

    return previous


def _previous_row(comp: Compiler, e: N.History) -> Fn:
    """The value `x` had on the employee's previous row, however many months back.

    Unlike `previous`, a month without a row is skipped, as a state skips it; the rows
    of `r.emp` are the evaluated ones (a rejected row has left the timeline).
    """
    name, k, span = e.name, e.slot, e.span

    def previous_row(r: RowEnv) -> Any:
        before = [o for o in r.emp if o < r.ord]
        o = max(before) if before else r.ord - 1
        row = r.emp.get(o)
        value = None if row is None else row.v[k]
        if r.trace is not None:
            r.trace.append(T.Lookback(name, ord_month(o), row is not None, value, span))
        return value

    return previous_row


def _window_start(o: int, n: int) -> int:
    """First month of the calendar-aligned window of `n` months that holds month `o`."""
    return o - (o % 12) % n


def _closes(comp: Compiler, e: N.WindowTest) -> Fn:
    wname, months, span = e.window.name, comp.window_months(e.window), e.span

    def closes(r: RowEnv) -> Any:
        n = months(r)
        if n is None:
            return None
        value = (r.ord % 12 + 1) % n == 0
        if r.trace is not None:
            r.trace.append(T.WindowCloses(wname, n, ord_month(r.ord), value, span))
        return value

    return closes


def _complete(comp: Compiler, e: N.WindowTest) -> Fn:
    months = comp.window_months(e.window)

    def complete(r: RowEnv) -> Any:
        n = months(r)
        if n is None:
            return None
        start = _window_start(r.ord, n)
        # months after this one have not happened yet, so only a closing month can be complete
        return start + n - 1 <= r.ord and all((start + i) in r.emp for i in range(n))

    return complete


def _previous_window(comp: Compiler, e: N.History) -> Fn:
    """The value `x` had in the last month of the window before this one (paid later)."""
    assert e.window is not None
    name, k, span = e.name, e.slot, e.span
    months = comp.window_months(e.window)

    def previous_window(r: RowEnv) -> Any:
        n = months(r)
        if n is None:
            return None
        decided = _window_start(r.ord, n) - 1
        row = r.emp.get(decided)
        value = None if row is None else row.v[k]
        if r.trace is not None:
            r.trace.append(T.Lookback(name, ord_month(decided), row is not None, value, span, True))
        return value

    return previous_window


def compile_window_aggregate(comp: Compiler, e: N.WindowAggregate) -> Fn:
    """`f(x over W)` / `f(x over last N months)`; by default a missing month gives none."""
    func, name, k = e.func, e.name, e.slot
    if e.window is not None:
        months = comp.window_months(e.window)
        label = e.window.name

        def first_and_size(r: RowEnv) -> tuple[int, int] | None:
            n = months(r)
            return None if n is None else (_window_start(r.ord, n), n)
    else:
        last = e.last or 1
        label = f"last {last} months"

        def first_and_size(r: RowEnv) -> tuple[int, int] | None:
            return (r.ord - last + 1, last)

    strict = not e.ignoring_missing
    span = e.span

    def window_aggregate(r: RowEnv) -> Any:
        fs = first_and_size(r)
        if fs is None:
            return None
        first, size = fs
        emp = r.emp
        # months after this one have not happened yet: they count as missing, so a window
        # that has not closed has no strict aggregate, and `ignoring missing` gives to-date
        now = r.ord
        rows = [emp.get(first + i) if first + i <= now else None for i in range(size)]
        missing = [first + i for i, row in enumerate(rows) if row is None]
        if strict and missing:
            result = None
        else:  # ignoring missing: only the months that have a row count
            result = aggregate(func, [row.v[k] for row in rows if row is not None])
        if r.trace is not None:
            values = [None if row is None else row.v[k] for row in rows]
            r.trace.append(
                T.WindowAggregate(
                    func,
                    name,
                    label,
                    tuple(ord_month(first + i) for i in range(size)),
                    tuple(values),
                    tuple(ord_month(m) for m in missing),
                    not strict,
                    result,
                    span,
                )
            )
        return result

    return window_aggregate


def compile_round(comp: Compiler, e: N.Round) -> Fn:
    value = comp.expr(e.value)
    rounding = ROUNDING_MODES[e.mode]
    quantum = Decimal(1).scaleb(-e.places)

    def round_(r: RowEnv) -> Any:
        v = value(r)
        return None if v is None else v.quantize(quantum, rounding=rounding)

    if not (comp.tracing and e.traced):
        return round_
    func, places, mode, argument, span = e.func, e.places, e.mode, e.value.span, e.span

    def round_traced(r: RowEnv) -> Any:
        v = value(r)
        result = None if v is None else v.quantize(quantum, rounding=rounding)
        if r.trace is not None:
            r.trace.append(T.Rounded(func, places, mode, v, result, argument, span))
        return result

    return round_traced


def _default(comp: Compiler, e: N.Call) -> Fn:
    value, fallback = comp.expr(e.args[0]), comp.expr(e.args[1])
    return lambda r: fallback(r) if (v := value(r)) is None else v


def _given(comp: Compiler, e: N.Call) -> Fn:
    value = comp.expr(e.args[0])
    return lambda r: value(r) is not None


def _abs(comp: Compiler, e: N.Call) -> Fn:
    value = comp.expr(e.args[0])
    return lambda r: None if (v := value(r)) is None else abs(v)


def _clamp(comp: Compiler, e: N.Call) -> Fn:
    value, lo, hi = (comp.expr(a) for a in e.args[:3])

    def clamp(r: RowEnv) -> Any:
        v = value(r)
        return None if v is None else max(lo(r), min(hi(r), v))

    return clamp


def _minmax(pick: Callable[..., Any]) -> Callable[[Compiler, N.Call], Fn]:
    def build(comp: Compiler, e: N.Call) -> Fn:
        values = [comp.expr(a) for a in e.args]

        def minmax(r: RowEnv) -> Any:
            present = [v for f in values if (v := f(r)) is not None]
            return pick(present) if present else None

        return minmax

    return build


_PURE: dict[str, Callable[[Compiler, N.Call], Fn]] = {
    "default": _default,
    "given": _given,
    "abs": _abs,
    "clamp": _clamp,
    "min": _minmax(min),
    "max": _minmax(max),
}
_HISTORY: dict[str, Callable[[Compiler, N.History], Fn]] = {
    "previous": _previous,
    "previous_window": _previous_window,
    "previous_row": _previous_row,
}
# every built-in this backend runs: pure and history calls here, window tests, rounding
# and window aggregates by their node, cohort calls (and `among` aggregates) in group steps
IMPLEMENTED = frozenset(
    {*_PURE, *_HISTORY, "closes", "complete", "round", "round_down", "round_up", "rank"}
    | {"mean", "sum", "min", "max", "count", "all", "any"}
)
