"""Bands and decision tables compiled to closures that say which row matched and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policyc.ir import nodes as N
from policyc.runtime import trace as T
from policyc.runtime.values import RowEnv
from policyc.source import Span

if TYPE_CHECKING:
    from policyc.backend.closures.compile import Compiler
    from policyc.runtime.plan import Fn

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    "=": lambda a, b: bool(a == b),
}


class Check:
    """One test in a cell: `value OP bound`, or membership in a list of values."""

    __slots__ = ("bounds", "op", "percent", "test")

    def __init__(self, op: str, bounds: list[Fn], percent: bool = False) -> None:
        self.op = op
        self.bounds = bounds
        self.test = _OPS.get(op)
        self.percent = percent  # every bound written as a percentage (`>= 120%`)

    def bound(self, r: RowEnv) -> Any:
        if len(self.bounds) == 1:
            return self.bounds[0](r)
        return tuple(f(r) for f in self.bounds)

    def fails(self, v: Any, r: RowEnv) -> bool:
        if v is None:
            return True
        if self.test is not None:
            b = self.bounds[0](r)
            return b is None or not self.test(v, b)
        return all(v != f(r) for f in self.bounds)


def _checks(comp: Compiler, row: N.TableRow) -> list[tuple[int, Check]]:
    """A row's checks; the IR has no trace points in their bounds (read again to explain)."""
    return [(c.input, Check(c.op, [comp.expr(b) for b in c.bounds], c.percent)) for c in row.checks]


def compile_table(comp: Compiler, e: N.Table) -> Fn:
    inputs = [comp.expr(i) for i in e.inputs]
    rows: list[tuple[list[tuple[int, Check]], Fn, Span, bool]] = []
    for row in e.rows:
        rows.append((_checks(comp, row), comp.expr(row.result), row.span, row.otherwise))
    hit, band, span = e.hit, e.band, e.span
    names = e.names
    single = inputs[0] if len(inputs) == 1 else None

    def table(r: RowEnv) -> Any:
        values = [single(r)] if single is not None else [f(r) for f in inputs]
        if band and values[0] is None:
            # a band over a value that is not there (no review this month) gives nothing
            if r.trace is not None:
                r.trace.append(
                    T.TableHit(
                        hit, band, names, tuple(values), None, None, (), (), False, None, span
                    )
                )
            return None
        for index, (checks, result, _row_span, _otherwise) in enumerate(rows):
            if not any(c.fails(values[i], r) for i, c in checks):
                value = result(r)
                if r.trace is not None:
                    _record(r, index, values, value)
                return value
        if r.trace is not None:
            _record(r, None, values, None)
        return None

    def _record(r: RowEnv, index: int | None, values: list[Any], result: Any) -> None:
        tried = []
        for checks, _res, row_span, _o in rows[: len(rows) if index is None else index]:
            for i, c in checks:
                if c.fails(values[i], r):
                    tried.append(T.RowTried(row_span, i, values[i], c.op, c.bound(r), c.percent))
                    break
        matched: tuple[tuple[Any, str, Any], ...] = ()
        percent: tuple[bool, ...] = ()
        hit_span: Span | None = None
        otherwise = False
        if index is not None:
            checks, _res, hit_span, otherwise = rows[index]
            matched = tuple((values[i], c.op, c.bound(r)) for i, c in checks)
            percent = tuple(c.percent for _i, c in checks)
        assert r.trace is not None
        r.trace.append(
            T.TableHit(
                hit,
                band,
                names,
                tuple(values),
                index,
                hit_span,
                matched,
                tuple(tried),
                otherwise,
                result,
                span,
                percent,
            )
        )

    return table
