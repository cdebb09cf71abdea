"""Bands and decision tables compiled to closures that say which row matched and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policyc.runtime import trace as T
from policyc.runtime.values import RowEnv
from policyc.source import Span
from policyc.syntax import ast as A

if TYPE_CHECKING:
    from policyc.backend.closures.compile import Compiler, Fn

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


def _percent(e: A.Expr) -> bool:
    return isinstance(e, A.Num) and e.percent


def _cell(comp: Compiler, cell: A.Cell, scope: dict[str, Fn]) -> list[Check]:
    """A cell's checks; their bounds are read again to explain a row, so compiled quietly."""
    if isinstance(cell, A.AnyCell):
        return []
    if isinstance(cell, A.BoundsCell):
        return [Check(b.op, [comp.quietly(b.value, scope)], _percent(b.value)) for b in cell.bounds]
    values = [comp.quietly(v, scope) for v in cell.values]
    percent = all(_percent(v) for v in cell.values)
    return [Check("=" if len(values) == 1 else "in", values, percent)]


def compile_table(comp: Compiler, e: A.Table, scope: dict[str, Fn]) -> Fn:
    inputs = [comp.expr(i, scope) for i in e.inputs]
    rows: list[tuple[list[tuple[int, Check]], Fn, Span, bool]] = []
    for row in e.rows:
        checks = [(i, c) for i, cell in enumerate(row.cells) for c in _cell(comp, cell, scope)]
        rows.append((checks, comp.expr(row.result, scope), row.span, row.otherwise))
    hit, band, span = e.hit, e.band, e.span
    names = tuple(comp.text[i.span.start : i.span.end] for i in e.inputs)
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
