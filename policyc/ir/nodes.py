"""The evaluation tree as data: expressions with names resolved, and the steps that run them.

Every expression node is a frozen dataclass with a stable id (`nid`, numbered in the order
`policyc.ir.build` meets the nodes, so the same policy text gives the same ids), its span
(left out of equality: trees compare by structure) and its inferred type `ty` (kind, range,
decimal places: `policyc.semantics.types.Ty`, from the one run of the type checker).
Names are resolved: a value is a `Slot` (an index into the row), a label is a `Const`;
user functions are inlined; cohort calls and the non-name arguments of aggregates and
history calls are lifted into steps of their own (`_OWNER.rank1`, `_OWNER.arg1`).

Trace points are part of the tree: `Worked` marks an arithmetic or yes/no expression an
explanation shows worked out, `Operand` each part whose value it shows, `If.traced` an `if`
whose branch it shows, `Round.traced` a rounding it shows. A backend that does not trace
reads through them. No node points back at the AST.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from policyc.semantics.types import ANY, Ty
from policyc.source import NO_SPAN, Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    nid: int = _field(default=0, compare=False)
    ty: Ty = _field(default=ANY, compare=False)
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


# ---- leaves ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A number, text, yes/no, `none`, or a label such as `promote` (`label=True`)."""

    value: Any
    label: bool = False
    percent: bool = False  # a number written as a percentage (`120%`)


@dataclass(frozen=True, slots=True)
class Slot(Node):
    """This row's value of a field, definition, state or hidden step."""

    name: str
    slot: int


# ---- operators ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arith(Node):
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: Literal["<", "<=", ">", ">=", "=", "!="]
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Is(Node):
    left: Expr
    right: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class In(Node):
    left: Expr
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class And(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class If(Node):
    cond: Expr
    then: Expr
    otherwise: Expr
    traced: bool = False  # a trace point: the branch taken is recorded


# ---- composite rules ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    value: Expr
    weight: Decimal  # in percent
    name: str  # the input as an explanation names it


@dataclass(frozen=True, slots=True)
class Weighted(Node):
    terms: tuple[Term, ...]
    defining: str  # the definition it is part of, for the message about a blank input


@dataclass(frozen=True, slots=True)
class Arm:
    keys: tuple[Any, ...]  # empty for `otherwise`
    body: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Case(Node):
    """`by subject: key -> body ...`"""

    subject: Expr
    subject_name: str
    arms: tuple[Arm, ...]


@dataclass(frozen=True, slots=True)
class Check:
    """One test of a table cell: `input OP bound`, `=` one value, or `in` several."""

    input: int
    op: str
    bounds: tuple[Expr, ...]
    percent: bool = False  # every bound written as a percentage


@dataclass(frozen=True, slots=True)
class TableRow:
    checks: tuple[Check, ...]
    result: Expr
    otherwise: bool = False
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Table(Node):
    hit: str  # first, unique
    band: bool
    inputs: tuple[Expr, ...]
    names: tuple[str, ...]  # the inputs as written
    rows: tuple[TableRow, ...]


# ---- calls ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A pure built-in over this row's values: abs, default, given, clamp, min, max."""

    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Round(Node):
    func: str  # round, round_down, round_up
    value: Expr
    places: int
    mode: str
    traced: bool = False  # a trace point: the rounding is recorded


@dataclass(frozen=True, slots=True)
class WindowRef:
    """A declared window: its size in months for a row, by the value of `subject`."""

    name: str
    subject: int | None  # the slot of the `by` value; None for one size for everyone
    subject_name: str | None
    months: tuple[tuple[Any, int], ...]
    default: int | None


@dataclass(frozen=True, slots=True)
class History(Node):
    """`previous(x, n)`, `previous_row(x)`, `previous_window(x, w)`: a value of an earlier
    month of the same employee (`name`/`slot` is what is read there)."""

    func: str
    name: str
    slot: int
    back: int = 1
    window: WindowRef | None = None


@dataclass(frozen=True, slots=True)
class WindowTest(Node):
    """`closes(w)`, `complete(w)`."""

    func: str
    window: WindowRef


@dataclass(frozen=True, slots=True)
class WindowAggregate(Node):
    """`f(x over w)` / `f(x over last N months)`: `slot` read in each month of the window."""

    func: str
    name: str
    slot: int
    window: WindowRef | None
    last: int | None
    ignoring_missing: bool = False


# ---- trace points ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Worked(Node):
    """An expression an explanation shows worked out (`130000 / 100000 = 1.3`): arithmetic
    (`arith`) or a yes/no expression (`cond`); its `Operand`s are the values shown."""

    kind: Literal["arith", "cond"]
    expr: Expr


@dataclass(frozen=True, slots=True)
class Operand(Node):
    """A part of a `Worked` expression (or of a traced `if`'s condition) whose value is
    shown where it stands (`span`)."""

    expr: Expr
    percent: bool = False  # compared with a bound written as a percentage: shown as one


Expr: TypeAlias = (
    Const
    | Slot
    | Arith
    | Neg
    | Compare
    | Is
    | In
    | And
    | Or
    | Not
    | If
    | Weighted
    | Case
    | Table
    | Call
    | Round
    | History
    | WindowTest
    | WindowAggregate
    | Worked
    | Operand
)


# ---- steps ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Override:
    """`override x with field [because reason]`: a record value that replaces the rule's."""

    field: str
    field_slot: int
    reason_field: str | None
    reason_slot: int | None
    reason_text: str | None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RowStep:
    """Compute one value for each row of a period."""

    name: str
    slot: int
    expr: Expr
    reads: tuple[str, ...]  # the slots read this month
    history: tuple[str, ...]  # the slots read from earlier months
    hidden: bool = False
    owner: str | None = None  # a hidden step: the definition that reads it this month
    override: Override | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RankKey:
    value: Expr
    descending: bool
    text: str


@dataclass(frozen=True, slots=True)
class GroupStep:
    """Rank (`rank`) or aggregate (mean, sum, min, max, count, all, any) the rows of a
    period that meet `cond`, within each `per` group; every row of the period gets a value
    (an unranked row none)."""

    name: str
    slot: int
    kind: str
    keys: tuple[RankKey, ...]  # rank: the keys in order; an aggregate: its one argument
    cond: Expr | None  # None: everyone
    cond_text: str
    per: str | None
    per_slot: int | None
    reads: tuple[str, ...]
    history: tuple[str, ...]
    owner: str | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LadderRef:
    name: str
    subject: int | None
    subject_name: str | None
    steps: tuple[tuple[Any, tuple[str, ...]], ...]
    default: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Move:
    kind: Literal["up", "down", "becomes"]
    steps: int
    cond: Expr
    value: Expr | None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StateStep:
    """Carry a value along an employee's months: from `start` on the first row, then from
    the previous row, moved by the first transition whose condition holds."""

    name: str
    slot: int
    start: Expr
    ladder: LadderRef | None
    moves: tuple[Move, ...]
    start_column: str  # the record column that gives the start, for messages
    reads: tuple[str, ...]
    history: tuple[str, ...]  # always holds the state itself (its previous row's value)
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


Step: TypeAlias = RowStep | GroupStep | StateStep


@dataclass(frozen=True)
class Program:
    """A policy as data: one slot per field, definition, state and hidden step; the steps
    in an order where each comes after what it reads this month."""

    policy: str
    version: str | None
    key: tuple[str, ...]
    period_field: str | None
    field_names: tuple[str, ...]
    slots: tuple[tuple[str, int], ...]
    nslots: int
    steps: tuple[Step, ...]
    outputs: tuple[tuple[str, int], ...]
    hidden: tuple[tuple[str, Span], ...]  # each hidden step and the text it stands for

    def slot_map(self) -> dict[str, int]:
        return dict(self.slots)


__all__ = [
    "Arith",
    "Arm",
    "Call",
    "Case",
    "Check",
    "Compare",
    "Const",
    "Expr",
    "GroupStep",
    "History",
    "If",
    "In",
    "Is",
    "LadderRef",
    "Move",
    "Neg",
    "Node",
    "Not",
    "Operand",
    "Or",
    "Override",
    "Program",
    "RankKey",
    "Round",
    "RowStep",
    "Slot",
    "StateStep",
    "Step",
    "Table",
    "TableRow",
    "Term",
    "Weighted",
    "WindowAggregate",
    "WindowRef",
    "WindowTest",
    "Worked",
]
