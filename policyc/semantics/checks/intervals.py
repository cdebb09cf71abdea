"""Sets of values for the table checks: intervals of numbers, sets of labels, boxes of both.

Emptiness is always asked for a precision: a number declared to 2 places has no value in
(79.99, 80), an exact one (any number of decimals) does. The sets themselves are exact;
only `has_value` and `witness` look at the precision, so a gap that holds no value of the
subject's precision is simply not reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TypeAlias

from policyc.source import Span

Places: TypeAlias = int | None  # decimal places of a value; None = exact (any number)


def show_number(d: Decimal) -> str:
    """`80`, `79.99`, `0.1`: no exponent, no trailing zeros."""
    text = format(d.normalize(), "f")
    return text if text != "-0" else "0"


@dataclass(frozen=True, slots=True)
class Interval:
    """Numbers between `lo` and `hi` (None = no bound), each end open or closed.

    `lo_at` / `hi_at` remember the bound in the policy that made each end, so a gap can
    point at the row that leaves it.
    """

    lo: Decimal | None = None
    lo_closed: bool = False
    hi: Decimal | None = None
    hi_closed: bool = False
    lo_at: Span | None = field(default=None, compare=False)
    hi_at: Span | None = field(default=None, compare=False)

    @staticmethod
    def point(v: Decimal, at: Span | None = None) -> Interval:
        return Interval(v, True, v, True, at, at)

    @staticmethod
    def closed(lo: Decimal | None, hi: Decimal | None) -> Interval:
        return Interval(lo, lo is not None, hi, hi is not None)

    def first(self, places: Places) -> Decimal | None:
        """The smallest value of the precision in the interval, when its low end is finite."""
        if self.lo is None:
            return None
        if places is None:
            return self.lo if self.lo_closed else None
        step = Decimal(1).scaleb(-places)
        v = (self.lo / step).to_integral_value(ROUND_CEILING) * step
        if v == self.lo and not self.lo_closed:
            v += step
        return v

    def has_value(self, places: Places) -> bool:
        """True when some number of the given precision lies in the interval."""
        if (
            self.lo is not None
            and self.hi is not None
            and (
                self.lo > self.hi
                or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))
            )
        ):
            return False
        if places is None or self.lo is None or self.hi is None:
            return True
        v = self.first(places)
        assert v is not None
        return v < self.hi or (v == self.hi and self.hi_closed)

    def witness(self, places: Places) -> Decimal | None:
        """A value inside, for examples in messages (None when there is none or no end)."""
        if not self.has_value(places):
            return None
        if places is not None:
            v = self.first(places)
            if v is not None:
                return v
            if self.hi is None:
                return Decimal(0)
            step = Decimal(1).scaleb(-places)
            v = (self.hi / step).to_integral_value(ROUND_FLOOR) * step
            return v - step if v == self.hi and not self.hi_closed else v
        if self.lo is not None and self.hi is not None:
            if self.lo == self.hi:
                return self.lo
            return _midpoint(self.lo, self.hi)
        if self.lo is not None:
            return self.lo if self.lo_closed else self.lo + 1
        if self.hi is not None:
            return self.hi if self.hi_closed else self.hi - 1
        return Decimal(0)

    def intersect(self, other: Interval) -> Interval:
        lo, lo_closed, lo_at = self.lo, self.lo_closed, self.lo_at
        if other.lo is not None and (
            lo is None or other.lo > lo or (other.lo == lo and not other.lo_closed)
        ):
            lo, lo_closed, lo_at = other.lo, other.lo_closed, other.lo_at
        hi, hi_closed, hi_at = self.hi, self.hi_closed, self.hi_at
        if other.hi is not None and (
            hi is None or other.hi < hi or (other.hi == hi and not other.hi_closed)
        ):
            hi, hi_closed, hi_at = other.hi, other.hi_closed, other.hi_at
        return Interval(lo, lo_closed, hi, hi_closed, lo_at, hi_at)

    def is_point(self) -> bool:
        return self.lo is not None and self.lo == self.hi

    def show(self) -> str:
        """`(79.99, 80)`, `[70, 80]`, `(-∞, 50)`, or `80` for a single value."""
        if self.is_point() and self.lo is not None:
            return show_number(self.lo)
        left = "(-∞" if self.lo is None else ("[" if self.lo_closed else "(") + show_number(self.lo)
        right = "∞)" if self.hi is None else show_number(self.hi) + ("]" if self.hi_closed else ")")
        return f"{left}, {right}"


def _midpoint(lo: Decimal, hi: Decimal) -> Decimal:
    """A short number strictly between lo and hi: 79.995 between 79.99 and 80."""
    for digits in range(0, 30):
        step = Decimal(1).scaleb(-digits)
        v = (lo / step).to_integral_value(ROUND_FLOOR) * step + step
        if lo < v < hi:
            # prefer the middle when it is as short as the first value found
            mid = (lo + hi) / 2
            return mid if len(show_number(mid)) <= len(show_number(v)) else v
    return (lo + hi) / 2


def _before(a: Interval, b: Interval) -> bool:
    """Sort key comparison: a starts before b."""
    if a.lo is None:
        return b.lo is not None or (a.lo_closed and not b.lo_closed)
    if b.lo is None:
        return False
    return a.lo < b.lo or (a.lo == b.lo and a.lo_closed and not b.lo_closed)


def _touches(a: Interval, b: Interval) -> bool:
    """True when `b` (starting at or after `a`) overlaps or continues `a` with no gap."""
    if a.hi is None or b.lo is None:
        return True
    if b.lo < a.hi:
        return True
    return b.lo == a.hi and (a.hi_closed or b.lo_closed)


def _reaches_further(a: Interval, b: Interval) -> bool:
    """b's high end is beyond a's."""
    if b.hi is None:
        return a.hi is not None
    if a.hi is None:
        return False
    return b.hi > a.hi or (b.hi == a.hi and b.hi_closed and not a.hi_closed)


@dataclass(frozen=True, slots=True)
class IntervalSet:
    """A union of disjoint intervals, sorted."""

    parts: tuple[Interval, ...] = ()

    @staticmethod
    def of(parts: Iterable[Interval]) -> IntervalSet:
        items = [p for p in parts if p.has_value(None)]
        ordered: list[Interval] = []
        for p in items:  # insertion sort keeps it dependency-free and tables are small
            i = len(ordered)
            while i > 0 and _before(p, ordered[i - 1]):
                i -= 1
            ordered.insert(i, p)
        merged: list[Interval] = []
        for p in ordered:
            if merged and _touches(merged[-1], p):
                last = merged[-1]
                if _reaches_further(last, p):
                    merged[-1] = replace(last, hi=p.hi, hi_closed=p.hi_closed, hi_at=p.hi_at)
            else:
                merged.append(p)
        return IntervalSet(tuple(merged))

    @staticmethod
    def full() -> IntervalSet:
        return IntervalSet((Interval(),))

    def union(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet.of(self.parts + other.parts)

    def intersect(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet.of(a.intersect(b) for a in self.parts for b in other.parts)

    def complement(self) -> IntervalSet:
        """Everything not in the set; each end of a gap remembers the bound beside it."""
        out: list[Interval] = []
        lo: Decimal | None = None  # from minus infinity up to the first part
        lo_closed = False
        lo_at: Span | None = None
        for p in self.parts:
            if p.lo is not None:
                out.append(Interval(lo, lo_closed, p.lo, not p.lo_closed, lo_at, p.lo_at))
            if p.hi is None:
                return IntervalSet.of(out)
            lo, lo_closed, lo_at = p.hi, not p.hi_closed, p.hi_at
        out.append(Interval(lo, lo_closed, None, False, lo_at, None))
        return IntervalSet.of(out)

    def minus(self, other: IntervalSet) -> IntervalSet:
        return self.intersect(other.complement())

    def has_value(self, places: Places) -> bool:
        return any(p.has_value(places) for p in self.parts)

    def pieces(self, places: Places) -> list[Interval]:
        """The intervals that hold a value of the precision."""
        return [p for p in self.parts if p.has_value(places)]

    def show(self, places: Places) -> str:
        return " and ".join(p.show() for p in self.pieces(places)) or "no value"


@dataclass(frozen=True, slots=True)
class LabelSet:
    """A set of labels; with `co`, every label except `items` (when the labels are open)."""

    items: frozenset[str] = frozenset()
    co: bool = False

    @staticmethod
    def everything() -> LabelSet:
        return LabelSet(frozenset(), True)

    def intersect(self, other: LabelSet) -> LabelSet:
        if self.co and other.co:
            return LabelSet(self.items | other.items, True)
        if self.co:
            return LabelSet(other.items - self.items)
        if other.co:
            return LabelSet(self.items - other.items)
        return LabelSet(self.items & other.items)

    def complement(self) -> LabelSet:
        return LabelSet(self.items, not self.co)

    def minus(self, other: LabelSet) -> LabelSet:
        return self.intersect(other.complement())

    def union(self, other: LabelSet) -> LabelSet:
        return self.complement().intersect(other.complement()).complement()

    def has_value(self, places: Places = None) -> bool:
        return self.co or bool(self.items)

    def show(self, order: Sequence[str] = ()) -> str:
        names = sorted(self.items, key=lambda s: (order.index(s) if s in order else len(order), s))
        listed = ", ".join(f"`{n}`" for n in names)
        if self.co:
            return f"other than {listed}" if names else "any"
        return listed


Dim: TypeAlias = IntervalSet | LabelSet
Box: TypeAlias = tuple[Dim, ...]


def dim_has_value(d: Dim, places: Places) -> bool:
    return d.has_value(places)


def dim_intersect(a: Dim, b: Dim) -> Dim:
    if isinstance(a, IntervalSet) and isinstance(b, IntervalSet):
        return a.intersect(b)
    if isinstance(a, LabelSet) and isinstance(b, LabelSet):
        return a.intersect(b)
    raise TypeError("a number column and a label column cannot be combined")


def dim_minus(a: Dim, b: Dim) -> Dim:
    if isinstance(a, IntervalSet) and isinstance(b, IntervalSet):
        return a.minus(b)
    if isinstance(a, LabelSet) and isinstance(b, LabelSet):
        return a.minus(b)
    raise TypeError("a number column and a label column cannot be combined")


def box_has_value(box: Box, places: Sequence[Places]) -> bool:
    return all(dim_has_value(d, p) for d, p in zip(box, places, strict=True))


_INF = Decimal("Infinity")


def _hull(d: IntervalSet) -> tuple[Decimal, Decimal]:
    if not d.parts:
        return _INF, -_INF
    lo, hi = d.parts[0].lo, d.parts[-1].hi
    return (-_INF if lo is None else lo), (_INF if hi is None else hi)


def may_meet(a: Box, b: Box) -> bool:
    """False only when the boxes surely share no value: a cheap test before the exact one,
    which keeps the pairwise overlap check of a long table fast."""
    for x, y in zip(a, b, strict=True):
        if isinstance(x, IntervalSet) and isinstance(y, IntervalSet):
            (xl, xh), (yl, yh) = _hull(x), _hull(y)
            if xh < yl or yh < xl:
                return False
        elif (
            isinstance(x, LabelSet)
            and isinstance(y, LabelSet)
            and not (x.co or y.co or x.items & y.items)
        ):
            return False
    return True


def box_intersect(a: Box, b: Box) -> Box:
    return tuple(dim_intersect(x, y) for x, y in zip(a, b, strict=True))


class TooComplex(Exception):
    """The region split into more pieces than a check should spend time on."""


MAX_PIECES = 4000


def box_minus(a: Box, b: Box, places: Sequence[Places]) -> list[Box]:
    """`a` without `b`, as disjoint boxes that each hold a value of the precision."""
    if not box_has_value(box_intersect(a, b), places):
        return [a] if box_has_value(a, places) else []
    out: list[Box] = []
    rest = list(a)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        outside = dim_minus(x, y)
        if dim_has_value(outside, places[i]):
            piece = (*rest[:i], outside, *rest[i + 1 :])
            out.append(piece)
        rest[i] = dim_intersect(x, y)
    return out


def region_minus(region: list[Box], b: Box, places: Sequence[Places]) -> list[Box]:
    out: list[Box] = []
    for box in region:
        out.extend(box_minus(box, b, places))
        if len(out) > MAX_PIECES:
            raise TooComplex
    return out
