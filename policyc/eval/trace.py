"""Typed trace events. The evaluator records them; `explain` renders them.

Events hold values and spans only: no text is built while evaluating.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from policyc.source import Span


@dataclass(frozen=True, slots=True)
class Computed:
    """A definition, state or output got its value on this row."""

    name: str
    value: Any
    span: Span


@dataclass(frozen=True, slots=True)
class WeightedSum:
    terms: tuple[tuple[str, Any, Any], ...]  # (input, value, weight in percent)
    total: Any
    span: Span


@dataclass(frozen=True, slots=True)
class RowTried:
    span: Span
    input_index: int  # which input failed the row
    value: Any
    op: str
    bound: Any


@dataclass(frozen=True, slots=True)
class TableHit:
    hit: str
    band: bool
    names: tuple[str, ...]  # the inputs as written
    inputs: tuple[Any, ...]
    row: int | None  # index of the matching row, None when nothing matched
    row_span: Span | None
    checks: tuple[tuple[Any, str, Any], ...]  # the matching row's (value, op, bound) checks
    tried: tuple[RowTried, ...]  # the rows before it that did not match, and why
    otherwise: bool
    result: Any
    span: Span


@dataclass(frozen=True, slots=True)
class CaseChosen:
    subject: str
    value: Any
    case_span: Span | None
    span: Span


@dataclass(frozen=True, slots=True)
class WindowAggregate:
    func: str
    name: str
    window: str
    months: tuple[str, ...]
    values: tuple[Any, ...]  # None where the month is missing
    missing: tuple[str, ...]
    ignoring_missing: bool
    result: Any
    span: Span


@dataclass(frozen=True, slots=True)
class Lookback:
    """A value read from an earlier period (`previous`, `previous_window`)."""

    name: str
    period: str
    found: bool
    value: Any
    span: Span
    deferred: bool = False  # decided at the close of an earlier window, paid now


@dataclass(frozen=True, slots=True)
class WindowCloses:
    window: str
    months: int
    period: str
    closes: bool
    span: Span


@dataclass(frozen=True, slots=True)
class LadderMove:
    state: str
    before: Any
    after: Any
    direction: str  # up, down, stay, start, becomes
    steps: int
    end_reached: bool
    position: int  # 1-based position after the move
    size: int
    carried_from: str | None  # the period the value before came from
    rule_span: Span | None
    span: Span


@dataclass(frozen=True, slots=True)
class Override:
    name: str
    original: Any
    value: Any
    reason: Any
    span: Span


@dataclass(frozen=True, slots=True)
class Ranked:
    name: str
    rank: int | None
    size: int
    keys: tuple[tuple[str, str, Any], ...]  # (key text, direction, this row's value)
    tied: int  # other rows sharing this rank
    group: str  # the `among` condition as written
    per: tuple[str, Any] | None
    in_group: bool
    span: Span


@dataclass(frozen=True, slots=True)
class CohortAggregate:
    func: str
    name: str
    size: int
    result: Any
    group: str
    span: Span


Event: TypeAlias = (
    Computed
    | WeightedSum
    | TableHit
    | CaseChosen
    | WindowAggregate
    | Lookback
    | WindowCloses
    | LadderMove
    | Override
    | Ranked
    | CohortAggregate
)
