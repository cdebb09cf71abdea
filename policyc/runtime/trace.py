"""Typed trace events. The evaluator records them; `explain` renders them.

Events hold values and spans only: no text is built while evaluating.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, TypeAlias

from policyc.source import Span


@dataclass(frozen=True, slots=True)
class Computed:
    """A definition, state or output got its value on this row.

    A hidden step (a lifted rank or aggregate argument, named `_...`) is computed for the
    definition `owner` that reads it, so its events are shown with that definition's; one
    read only from another month (`previous(x * 2)`) has no owner this month.
    """

    name: str
    value: Any
    span: Span
    hidden: bool = False
    owner: str | None = None


class Operand(NamedTuple):
    """A part of an expression that was read, where it stands, and its value (a named
    tuple, not an event: cheaper to define, and `eval` imports this module)."""

    span: Span
    value: Any
    percent: bool = False  # compared with a bound written as a percentage: shown as one


@dataclass(frozen=True, slots=True)
class Worked:
    """Arithmetic worked out: the expression at `span` with each operand's value.

    Operands are the parts of the expression that are not operators or literals (names,
    calls, ...), each with where it stands in the source; one not evaluated is left out.
    """

    operands: tuple[Operand, ...]
    result: Any
    span: Span


@dataclass(frozen=True, slots=True)
class Condition:
    """A yes/no expression worked out outside an `if` (`probation and score < 50`)."""

    operands: tuple[Operand, ...]
    result: Any
    span: Span


@dataclass(frozen=True, slots=True)
class Branch:
    """An `if`: the condition's value (with its operands), and the branch taken."""

    operands: tuple[Operand, ...]
    cond: Span
    held: Any  # the condition's value: true, false or none
    taken: str  # then, else
    branch: Span
    result: Any
    span: Span


@dataclass(frozen=True, slots=True)
class Rounded:
    func: str  # round, round_down, round_up
    places: int
    mode: str
    value: Any
    result: Any
    argument: Span
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
    percent: bool = False  # the bound was written as a percentage


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
    percent: tuple[bool, ...] = ()  # per check: its bound was written as a percentage


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
    rank: Decimal | None  # a value like any other (the definition's), not a position
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
    | Worked
    | Condition
    | Branch
    | Rounded
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
