"""Function calls: history (`previous`), windows (`mean(x over w)`), rounding, helpers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from policyc.runtime import trace as T
from policyc.runtime.values import ROUNDING_MODES, RowEnv, RowFailure, ord_month
from policyc.syntax import ast as A

if TYPE_CHECKING:
    from policyc.backend.closures.compile import Compiler, Fn


def compile_call(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    if e.func in comp.m.functions:
        return _inline(comp, e, scope)
    if isinstance(e.clause, A.Over):
        return _window_aggregate(comp, e, scope)
    handler = _HANDLERS.get(e.func)
    if handler is None:
        raise RowFailure("", f"unknown function `{e.func}`")  # the checker reports it first
    return handler(comp, e, scope)


def _inline(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    """A user function is inlined at each call: its parameters bound to the arguments."""
    fn = comp.m.functions[e.func]
    inner = dict(scope)
    for param, arg in zip(fn.params, e.args, strict=False):
        inner[param] = comp.expr(arg.value, scope)
    return comp.expr(fn.body, inner)


def _value_slot(comp: Compiler, e: A.Call, index: int = 0) -> tuple[str, int]:
    arg = e.args[index].value
    assert isinstance(arg, A.Name), "lift() names every aggregate argument"
    return arg.name, comp.slots[arg.name]


def _previous(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    name, k = _value_slot(comp, e)
    n = 1
    if len(e.args) > 1 and isinstance(e.args[1].value, A.Num):
        n = int(e.args[1].value.value)
    span = e.span

    def previous(r: RowEnv) -> Any:
        row = r.emp.get(r.ord - n)
        value = None if row is None else row.v[k]
        if r.trace is not None:
            r.trace.append(T.Lookback(name, ord_month(r.ord - n), row is not None, value, span))
        return value

    return previous


def _previous_row(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    """The value `x` had on the employee's previous row, however many months back.

    Unlike `previous`, a month without a row is skipped, as a state skips it; the rows
    of `r.emp` are the evaluated ones (a rejected row has left the timeline).
    """
    name, k = _value_slot(comp, e)
    span = e.span

    def previous_row(r: RowEnv) -> Any:
        before = [o for o in r.emp if o < r.ord]
        o = max(before) if before else r.ord - 1
        row = r.emp.get(o)
        value = None if row is None else row.v[k]
        if r.trace is not None:
            r.trace.append(T.Lookback(name, ord_month(o), row is not None, value, span))
        return value

    return previous_row


def _window_of(comp: Compiler, e: A.Call, index: int) -> tuple[str, Callable[[RowEnv], int | None]]:
    arg = e.args[index].value
    assert isinstance(arg, A.Name)
    w = comp.windows[arg.name]
    return w.name, comp.window_months(w)


def _window_start(o: int, n: int) -> int:
    """First month of the calendar-aligned window of `n` months that holds month `o`."""
    return o - (o % 12) % n


def _closes(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    wname, months = _window_of(comp, e, 0)
    span = e.span

    def closes(r: RowEnv) -> Any:
        n = months(r)
        if n is None:
            return None
        value = (r.ord % 12 + 1) % n == 0
        if r.trace is not None:
            r.trace.append(T.WindowCloses(wname, n, ord_month(r.ord), value, span))
        return value

    return closes


def _complete(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    _wname, months = _window_of(comp, e, 0)

    def complete(r: RowEnv) -> Any:
        n = months(r)
        if n is None:
            return None
        start = _window_start(r.ord, n)
        # months after this one have not happened yet, so only a closing month can be complete
        return start + n - 1 <= r.ord and all((start + i) in r.emp for i in range(n))

    return complete


def _previous_window(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    """The value `x` had in the last month of the window before this one (paid later)."""
    name, k = _value_slot(comp, e, 0)
    _wname, months = _window_of(comp, e, 1)
    span = e.span

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


def _aggregate(func: str, values: list[Any]) -> Any:
    if func == "count":
        return Decimal(sum(1 for v in values if v is not None and v is not False))
    if func == "all":  # a month whose value is none does not satisfy the condition
        return all(bool(v) for v in values)
    if func == "any":
        return any(bool(v) for v in values)
    present = [v for v in values if v is not None]
    if not present:
        return None
    if func == "sum":
        return sum(present, Decimal(0))
    if func == "mean":
        return sum(present, Decimal(0)) / len(present)
    if func == "min":
        return min(present)
    return max(present)


def _window_aggregate(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    """`f(x over W)` / `f(x over last N months)`; by default a missing month gives none."""
    assert isinstance(e.clause, A.Over)
    over = e.clause
    func = e.func
    name, k = _value_slot(comp, e)
    if over.window is not None:
        w = comp.windows[over.window]
        months = comp.window_months(w)
        label = over.window

        def first_and_size(r: RowEnv) -> tuple[int, int] | None:
            n = months(r)
            return None if n is None else (_window_start(r.ord, n), n)
    else:
        last = over.last or 1
        label = f"last {last} months"

        def first_and_size(r: RowEnv) -> tuple[int, int] | None:
            return (r.ord - last + 1, last)

    strict = not over.ignoring_missing
    span = e.span

    def aggregate(r: RowEnv) -> Any:
        fs = first_and_size(r)
        if fs is None:
            return None
        first, size = fs
        emp = r.emp
        # months after this one have not happened yet: they count as missing, so a window
        # that has not closed has no strict aggregate, and `ignoring missing` gives to-date
        now = r.ord
        rows = [emp.get(first + i) if first + i <= now else None for i in range(size)]
        values = [None if row is None else row.v[k] for row in rows]
        missing = [first + i for i, row in enumerate(rows) if row is None]
        if strict and missing:
            result = None
        else:  # ignoring missing: only the months that have a row count
            result = _aggregate(func, [row.v[k] for row in rows if row is not None])
        if r.trace is not None:
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

    return aggregate


def _round(mode_default: str) -> Callable[[Compiler, A.Call, dict[str, Fn]], Fn]:
    def build(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
        value = comp.expr(e.args[0].value, scope)
        places = 0
        if len(e.args) > 1 and isinstance(e.args[1].value, A.Num):
            places = int(e.args[1].value.value)
        mode = mode_default
        if len(e.args) > 2 and isinstance(e.args[2].value, A.Name):
            mode = e.args[2].value.name
        rounding = ROUNDING_MODES[mode]
        quantum = Decimal(1).scaleb(-places)

        def round_(r: RowEnv) -> Any:
            v = value(r)
            return None if v is None else v.quantize(quantum, rounding=rounding)

        if not comp.recording:
            return round_
        func, argument, span = e.func, e.args[0].value.span, e.span

        def round_traced(r: RowEnv) -> Any:
            v = value(r)
            result = None if v is None else v.quantize(quantum, rounding=rounding)
            if r.trace is not None:
                r.trace.append(T.Rounded(func, places, mode, v, result, argument, span))
            return result

        return round_traced

    return build


def _default(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    value, fallback = comp.expr(e.args[0].value, scope), comp.expr(e.args[1].value, scope)
    return lambda r: fallback(r) if (v := value(r)) is None else v


def _given(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    value = comp.expr(e.args[0].value, scope)
    return lambda r: value(r) is not None


def _abs(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    value = comp.expr(e.args[0].value, scope)
    return lambda r: None if (v := value(r)) is None else abs(v)


def _clamp(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
    value, lo, hi = (comp.expr(a.value, scope) for a in e.args[:3])

    def clamp(r: RowEnv) -> Any:
        v = value(r)
        return None if v is None else max(lo(r), min(hi(r), v))

    return clamp


def _minmax(pick: Callable[..., Any]) -> Callable[[Compiler, A.Call, dict[str, Fn]], Fn]:
    def build(comp: Compiler, e: A.Call, scope: dict[str, Fn]) -> Fn:
        values = [comp.expr(a.value, scope) for a in e.args]

        def minmax(r: RowEnv) -> Any:
            present = [v for f in values if (v := f(r)) is not None]
            return pick(present) if present else None

        return minmax

    return build


_HANDLERS: dict[str, Callable[[Compiler, A.Call, dict[str, Fn]], Fn]] = {
    "previous": _previous,
    "previous_window": _previous_window,
    "previous_row": _previous_row,
    "closes": _closes,
    "complete": _complete,
    "round": _round("half_up"),
    "round_down": _round("down"),
    "round_up": _round("up"),
    "default": _default,
    "given": _given,
    "abs": _abs,
    "clamp": _clamp,
    "min": _minmax(min),
    "max": _minmax(max),
}
