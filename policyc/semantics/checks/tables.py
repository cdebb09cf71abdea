"""Bands and decision tables, checked over the inputs' declared ranges and precision.

A band (`band x`) gives one result per value of `x`: every value of `x`'s range must match
exactly one row, or the `otherwise` row. A decision table with hit policy `first` must not
hold rows that earlier rows hide completely; with `unique`, no two rows may match the same
values. Each row is a box: per input, an interval set (bounds, listed numbers) or a label
set. Whether a leftover piece holds any value depends on the input's precision: between
`<= 79.99` and `>= 80` there is room for an exact mean, none for a value of 2 places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from policyc.diagnostics import Diagnostic, error, warning
from policyc.semantics.checks.common import (
    and_list,
    header_span,
    join_span,
    sites,
    snippet,
    text_of,
)
from policyc.semantics.checks.intervals import (
    Box,
    Dim,
    Interval,
    IntervalSet,
    LabelSet,
    Places,
    TooComplex,
    box_has_value,
    box_intersect,
    may_meet,
    region_minus,
    show_number,
)
from policyc.semantics.model import Model
from policyc.semantics.types import ANY, Ty, Typer, places_of
from policyc.semantics.types import shared as types_shared
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.walk import walk

MAX_WORK = 20_000
# Problems reported per band or table; past it each kind of problem gets one summary line
# counting the rows left out. Without it, N rows overlapping pairwise gave N(N-1)/2 errors
# (1,000 rows: 499,500 errors, 127 MB of text).
MAX_TABLE_REPORTS = 10
# Rows a "can never match" message names before it says how many more.
MAX_NAMED_ROWS = 5
_SUMMARY = {  # what the problems left out are, in the plural
    "E0401": "ranges of values that match no row",
    "E0402": "rows that overlap rows above them",
    "E0403": "rows that can never match",
    "E0405": "rows that overlap rows above them",
    "E0407": "rows with the wrong number of cells",
}


class _Skip(Exception):
    """A cell the check cannot read statically (a bound that is a definition, say)."""


@dataclass(frozen=True)
class Column:
    """One input of a table: its name as written, the values it can take, its precision."""

    name: str
    numeric: bool
    domain: Dim
    places: Places
    order: tuple[str, ...] = ()

    def show(self, d: Dim) -> str | None:
        """`score` in [80, 85]; None when the set is the column's whole domain."""
        if d == self.domain:
            return None
        if isinstance(d, IntervalSet):
            pieces = d.pieces(self.places)
            if len(pieces) == 1 and pieces[0].is_point() and pieces[0].lo is not None:
                return f"`{self.name}` = {show_number(pieces[0].lo)}"
            return f"`{self.name}` in {d.show(self.places)}"
        assert isinstance(d, LabelSet)
        if d.co:
            return f"`{self.name}` {d.show(self.order)}"
        if len(d.items) == 1:
            return f"`{self.name}` is {d.show(self.order)}"
        return f"`{self.name}` in ({d.show(self.order)})"


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    typer = types_shared(model, source)
    out: list[Diagnostic] = []
    for site in sites(model):
        env = {p: ANY for p in site.params}
        for node in walk(site.expr):
            if isinstance(node, A.Table):
                out.extend(_TableCheck(node, typer, env, source).run())
    return out


class _TableCheck:
    def __init__(self, table: A.Table, typer: Typer, env: dict[str, Ty], source: SourceFile):
        self.t = table
        self.src = source
        self.typer = typer
        self.env = env
        self.out: list[Diagnostic] = []
        # code -> (problems past MAX_TABLE_REPORTS, where the first of them is)
        self.left_out: dict[str, tuple[int, Span]] = {}
        self.work = 0  # box subtractions so far: a huge table is left unanalysed, not slow

    def run(self) -> list[Diagnostic]:
        self._cell_counts()
        try:
            self.columns = [self._column(i) for i in range(len(self.t.inputs))]
            if any(c is None for c in self.columns):
                return self._summarised()
            boxes = [self._row_box(row) for row in self.t.rows]
            if self.t.band:
                self._band(boxes)
            else:
                self._decision(boxes)
        except (_Skip, TooComplex):
            pass
        return self._summarised()

    @property
    def full(self) -> bool:
        return len(self.out) >= MAX_TABLE_REPORTS

    def _report(self, d: Diagnostic) -> None:
        if self.full:
            self._left_out(d.code, d.span)
        else:
            self.out.append(d)

    def _left_out(self, code: str, at: Span) -> None:
        n, first = self.left_out.get(code, (0, at))
        self.left_out[code] = (n + 1, first)

    def _summarised(self) -> list[Diagnostic]:
        """The problems reported, then one line per kind of problem left out."""
        kind = "band" if self.t.band else "table"
        for code, (n, at) in sorted(self.left_out.items()):
            what = _SUMMARY.get(code, "problems")
            self.out.append(
                error(
                    code,
                    f"{n} more problem{'s' * (n != 1)} of this kind in this {kind}, starting "
                    f"here ({what})",
                    at,
                    f"only the first {MAX_TABLE_REPORTS} problems of a {kind} are shown; "
                    "fix those and check again",
                )
            )
        return self.out

    def _minus(self, region: list[Box], b: Box) -> list[Box]:
        self.work += len(region)
        if self.work > MAX_WORK:
            raise TooComplex
        return region_minus(region, b, self.places)

    @property
    def cols(self) -> list[Column]:
        return [c for c in self.columns if c is not None]

    @property
    def places(self) -> list[Places]:
        return [c.places for c in self.cols]

    # -- reading the table
    def _cell_counts(self) -> None:
        """Rows with the wrong number of cells are reported and left out of the analysis."""
        n = len(self.t.inputs)
        for row in self.t.rows:
            if row.otherwise or len(row.cells) == n:
                continue
            if self.full:
                self._left_out("E0407", self._cells_span(row))
                continue
            inputs = ", ".join(f"`{snippet(self.src, i.span)}`" for i in self.t.inputs)
            self.out.append(
                error(
                    "E0407",
                    f"this row has {len(row.cells)} cell{'s' * (len(row.cells) != 1)}, "
                    f"but the table has "
                    f"{n} input{'s' * (n != 1)} ({inputs})",
                    self._cells_span(row),
                    "give one cell per input, separated by `|`; `any` matches every value",
                )
            )

    def _column(self, i: int) -> Column | None:
        inp = self.t.inputs[i]
        t = self.typer.of(inp, self.env)
        name = snippet(self.src, inp.span)
        cells = [row.cells[i] for row in self.t.rows if len(row.cells) == len(self.t.inputs)]
        if t.kind == "num":
            domain = IntervalSet.of([Interval.closed(t.low, t.high)])
            return Column(name, True, domain, t.places)
        if t.kind == "label":
            return Column(name, False, LabelSet(frozenset(t.labels)), None, t.labels)
        if t.kind == "bool":
            return Column(name, False, LabelSet(frozenset({"true", "false"})), None)
        if t.kind == "text":
            return Column(name, False, LabelSet.everything(), None)
        if t.kind not in ("any", "none"):
            return None  # months and dates: not analysed
        numeric = any(
            isinstance(c, A.BoundsCell)
            or (isinstance(c, A.EqualCell) and all(_number(v) is not None for v in c.values))
            for c in cells
        )
        if numeric:
            return Column(name, True, IntervalSet.full(), None)
        return Column(name, False, LabelSet.everything(), None)

    def _row_box(self, row: A.Row) -> Box | None:
        """The row's box within the domains; None (after reporting) when it is empty."""
        if row.otherwise:
            return tuple(c.domain for c in self.cols)
        if len(row.cells) != len(self.t.inputs):
            return None  # reported by _cell_counts
        dims: list[Dim] = []
        for col, cell in zip(self.cols, row.cells, strict=True):
            raw = self._cell(col, cell)
            if not raw.has_value(col.places):
                self._dead(
                    row,
                    cell,
                    f"no value is `{_cell_text(self.src, cell)}`",
                    "check the bounds: together they leave nothing",
                )
                return None
            d = _intersect(raw, col.domain)
            if not d.has_value(col.places):
                if not col.numeric:
                    return None  # a label the input never has: the names check says which
                self._dead(
                    row,
                    cell,
                    f"`{col.name}` is always {_domain_text(col)}",
                    f"remove the row, or check the declared range of `{col.name}`",
                )
                return None
            dims.append(d)
        return tuple(dims)

    def _cell(self, col: Column, cell: A.Cell) -> Dim:
        if isinstance(cell, A.AnyCell):
            return col.domain
        if isinstance(cell, A.BoundsCell):
            if not col.numeric:
                raise _Skip
            iv = Interval()
            for b in cell.bounds:
                v = _number(b.value)
                if v is None:
                    raise _Skip
                iv = iv.intersect(_bound(b.op, v, b.span))
            return IntervalSet((iv,)) if iv.has_value(None) else IntervalSet()
        if col.numeric:
            points = []
            for value in cell.values:
                n = _number(value)
                if n is None:
                    raise _Skip
                points.append(Interval.point(n, value.span))
            return IntervalSet.of(points)
        labels = set()
        for value in cell.values:
            lab = _label(self.typer, value)
            if lab is None:
                raise _Skip
            labels.add(lab)
        return LabelSet(frozenset(labels))

    # -- bands
    def _band(self, boxes: Sequence[Box | None]) -> None:
        col = self.cols[0]
        covered: Dim = IntervalSet()
        kept: list[tuple[A.Row, Dim]] = []
        otherwise: A.Row | None = None
        for row, box in zip(self.t.rows, boxes, strict=True):
            if otherwise is not None:
                self._after_otherwise(row, otherwise)
                continue
            if row.otherwise:
                otherwise = row
                if not _minus(col.domain, covered).has_value(col.places):
                    self._otherwise_dead(row)
                continue
            if box is None:
                continue
            s = box[0]
            if not _minus(s, covered).has_value(col.places):
                if self.full:
                    self._left_out("E0403", row.cells[0].span)
                    continue
                lines = []
                for r, d in kept:
                    if _intersect(s, d).has_value(col.places):
                        lines.append(r.span.line)
                        if len(lines) > MAX_NAMED_ROWS:
                            break
                self._dead(
                    row,
                    row.cells[0],
                    f"the {_rows_on(lines)} already cover{'s' * (len(lines) == 1)} "
                    f"every value it matches",
                    "each value of a band belongs to exactly one row: remove or change this one",
                )
                continue
            if _intersect(s, covered).has_value(col.places):
                # only then can a kept row share a value with this one: long bands stay linear
                if self.full:
                    self._left_out("E0402", self._cells_span(row))
                for other, d in kept if not self.full else ():
                    both = _intersect(s, d)
                    if both.has_value(col.places):
                        self._band_overlap(row, other, col, both)
                        if self.full:
                            break
            kept.append((row, s))
            covered = _union(covered, s)
        if otherwise is None:
            rest = _minus(col.domain, covered)
            assert isinstance(rest, IntervalSet)
            for gap in rest.pieces(col.places):
                self._gap(col, gap)

    def _band_overlap(self, row: A.Row, other: A.Row, col: Column, both: Dim) -> None:
        assert isinstance(both, IntervalSet)
        pieces = both.pieces(col.places)
        if len(pieces) == 1 and pieces[0].is_point() and pieces[0].lo is not None:
            v = show_number(pieces[0].lo)
            message = (
                f"the `{col.name}` value {v} matches this row and the row on line {other.span.line}"
            )
            hint = f"make one of the two bounds at {v} strict (`<` / `>`), so {v} has one row"
        else:
            message = (
                f"`{col.name}` values in {both.show(col.places)} match this row and the row "
                f"on line {other.span.line}"
            )
            hint = "each value of a band belongs to exactly one row: move a bound"
        self._report(error("E0402", message, self._cells_span(row), hint))

    def _gap(self, col: Column, gap: Interval) -> None:
        at = gap.lo_at or gap.hi_at or header_span(self.src, self.t.span)
        if gap.is_point() and gap.lo is not None:
            message = f"the `{col.name}` value {show_number(gap.lo)} matches no row"
        else:
            message = f"`{col.name}` values in {gap.show()} match no row"
        self._report(error("E0401", message, at, self._gap_hint(col, gap)))

    def _gap_hint(self, col: Column, gap: Interval) -> str:
        w = gap.witness(col.places)
        if col.places is None and gap.lo is not None and gap.hi is not None and gap.lo_at:
            # A gap no value written to the bounds' own decimals falls into: only a value
            # with more decimals (an exact mean, a quotient) can land there.
            written = max(places_of(gap.lo), places_of(gap.hi))
            if not gap.has_value(written):
                meet = "below" if not gap.hi_closed else "at most"
                return (
                    f"`{col.name}` can have any number of decimals, so "
                    f"{'a value' if w is None else show_number(w)} falls between the rows: "
                    f"write `{meet} {show_number(gap.hi)}` instead of "
                    f"`{text_of(self.src, gap.lo_at)}`"
                )
        example = "" if w is None else f"e.g. {show_number(w)} gets no result; "
        return example + "add a row for these values, move a bound, or add an `otherwise` row"

    # -- decision tables
    def _decision(self, boxes: Sequence[Box | None]) -> None:
        places = self.places
        kept: list[tuple[A.Row, Box]] = []
        otherwise: A.Row | None = None
        everything: Box = tuple(c.domain for c in self.cols)
        for row, box in zip(self.t.rows, boxes, strict=True):
            if otherwise is not None:
                self._after_otherwise(row, otherwise)
                continue
            if row.otherwise:
                otherwise = row
                rest = [everything]
                for _r, b in kept:
                    rest = self._minus(rest, b)
                if not rest:
                    self._otherwise_dead(row)
                continue
            if box is None:
                continue
            if self.t.hit == "first":
                self._first_hit(row, box, kept)
            else:
                for other, b in kept:
                    if not may_meet(box, b):
                        continue
                    both = box_intersect(box, b)
                    if box_has_value(both, places):
                        # the first overlap is enough to fix the row; more would be noise
                        self._report(
                            error(
                                "E0405",
                                f"this row and the row on line {other.span.line} both match "
                                f"{self._region(both)}",
                                self._cells_span(row),
                                "a `unique` table needs rows that never match the same values; "
                                "narrow one of them, or use `table first`",
                            )
                        )
                        break
            kept.append((row, box))
        if otherwise is None:
            rest = [everything]
            for _r, b in kept:
                rest = self._minus(rest, b)
            if rest:
                self.out.append(
                    warning(
                        "W0406",
                        f"no row matches {self._region(rest[0])}, and there is no `otherwise` row",
                        header_span(self.src, self.t.span),
                        "such rows get none; add rows for these values or an "
                        "`otherwise -> ...` row at the end",
                    )
                )

    def _first_hit(self, row: A.Row, box: Box, kept: list[tuple[A.Row, Box]]) -> None:
        places = self.places
        rest = [box]
        for _r, b in kept:
            rest = self._minus(rest, b)
            if not rest:
                break
        if rest:
            return
        if self.full:
            self._left_out("E0403", self._cells_span(row))
            return
        lines = [r.span.line for r, b in kept if box_has_value(box_intersect(box, b), places)]
        self._dead(
            row,
            None,
            f"the {_rows_on(lines)} match{'es' * (len(lines) == 1)} everything it matches, "
            f"and the first match wins",
            "remove the row, or move it above the rows that hide it",
        )

    def _region(self, box: Box) -> str:
        parts = [t for c, d in zip(self.cols, box, strict=True) if (t := c.show(d)) is not None]
        return and_list(parts) if parts else "every value"

    # -- reporting
    def _cells_span(self, row: A.Row) -> Span:
        if row.cells:
            return join_span(self.src, row.cells[0].span, row.cells[-1].span)
        return header_span(self.src, row.span)

    def _dead(self, row: A.Row, cell: A.Cell | None, why: str, hint: str) -> None:
        span = cell.span if cell is not None else self._cells_span(row)
        self._report(error("E0403", f"this row can never match: {why}", span, hint))

    def _after_otherwise(self, row: A.Row, otherwise: A.Row) -> None:
        if self.full:
            self._left_out("E0403", self._cells_span(row))
            return
        self._dead(
            row,
            None,
            f"the `otherwise` row on line {otherwise.span.line} comes before it",
            "`otherwise` takes every value left, so it must be the last row",
        )

    def _otherwise_dead(self, row: A.Row) -> None:
        self.out.append(
            warning(
                "W0404",
                "the `otherwise` row can never match: the rows above cover every value",
                header_span(self.src, row.span),
                "remove it, or keep it only if the rows above may change",
            )
        )


# ---- helpers ---------------------------------------------------------------------------------


def _number(e: A.Expr) -> Decimal | None:
    if isinstance(e, A.Num):
        return e.value
    if isinstance(e, A.Neg) and isinstance(e.operand, A.Num):
        return -e.operand.value
    return None


def _label(typer: Typer, e: A.Expr) -> str | None:
    if isinstance(e, A.Str):
        return e.value
    if isinstance(e, A.Bool):
        return "true" if e.value else "false"
    if isinstance(e, A.Name) and not typer.m.is_value(e.name):
        return e.name
    return None


def _bound(op: str, v: Decimal, at: Span) -> Interval:
    if op == ">":
        return Interval(v, False, None, False, at, None)
    if op == ">=":
        return Interval(v, True, None, False, at, None)
    if op == "<":
        return Interval(None, False, v, False, None, at)
    if op == "<=":
        return Interval(None, False, v, True, None, at)
    return Interval.point(v, at)


def _combine(a: Dim, b: Dim, how: str) -> Dim:
    """`a.how(b)` when both are interval sets or both label sets; otherwise not analysed."""
    same = (isinstance(a, IntervalSet) and isinstance(b, IntervalSet)) or (
        isinstance(a, LabelSet) and isinstance(b, LabelSet)
    )
    if not same:
        raise _Skip
    result: Dim = getattr(a, how)(b)
    return result


def _intersect(a: Dim, b: Dim) -> Dim:
    return _combine(a, b, "intersect")


def _minus(a: Dim, b: Dim) -> Dim:
    return _combine(a, b, "minus")


def _union(a: Dim, b: Dim) -> Dim:
    return _combine(a, b, "union")


def _domain_text(col: Column) -> str:
    d = col.domain
    if isinstance(d, IntervalSet):
        return "in " + d.show(col.places)
    return "one of " + d.show(col.order)


def _cell_text(source: SourceFile, cell: A.Cell) -> str:
    return " ".join(text_of(source, cell.span).split())


def _rows_on(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"row on line {lines[0]}"
    shown = [str(n) for n in lines[:MAX_NAMED_ROWS]]
    if len(lines) > MAX_NAMED_ROWS:
        shown.append("others")
    return "rows on lines " + and_list(shown)
