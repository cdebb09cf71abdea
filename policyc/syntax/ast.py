"""The AST: what the author wrote, every node with its span (ignored by equality)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from decimal import Decimal
from typing import Literal, TypeAlias

from policyc.source import NO_SPAN, Span

Order = Literal["asc", "desc"]
BoundOp = Literal[">", ">=", "<", "<=", "="]


# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    value: Decimal
    percent: bool = False
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class NoneLit:
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A definition, a record field, a parameter, or a label such as `promote`."""

    name: str
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """`record.x`: the record's own field, even when a definition has the same name."""

    name: str
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BinOp:
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal["<", "<=", ">", ">=", "=", "!="]
    left: Expr
    right: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Is:
    left: Expr
    right: Expr
    negated: bool = False
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class In:
    left: Expr
    items: tuple[Expr, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Arg:
    value: Expr
    order: Order | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Over:
    """`over W` / `over last N months`: the months an aggregate looks at."""

    window: str | None
    last: int | None
    ignoring_missing: bool = False
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Among:
    """`among COND [per FIELD]`: the rows of the same period a cohort function looks at."""

    cond: Expr
    per: str | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Arg, ...]
    clause: Over | Among | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class WeightTerm:
    value: Expr
    weight: Decimal  # in percent: 20 means 20%
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Weighted:
    terms: tuple[WeightTerm, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Bound:
    op: BoundOp
    value: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AnyCell:
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BoundsCell:
    bounds: tuple[Bound, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EqualCell:
    values: tuple[Expr, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


Cell: TypeAlias = AnyCell | BoundsCell | EqualCell


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a band or a decision table; `cells` is empty on the `otherwise` row."""

    cells: tuple[Cell, ...]
    result: Expr
    otherwise: bool = False
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Table:
    """A decision table. A band is a table over one input with hit policy `unique`."""

    hit: Literal["first", "unique"]
    inputs: tuple[Expr, ...]
    rows: tuple[Row, ...]
    band: bool = False
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


CaseKey: TypeAlias = str | Decimal


@dataclass(frozen=True, slots=True)
class Case:
    keys: tuple[CaseKey, ...]  # empty for `otherwise`
    body: Expr
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class By:
    subject: str
    cases: tuple[Case, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


Expr: TypeAlias = (
    Num
    | Str
    | Bool
    | NoneLit
    | Name
    | FieldRef
    | BinOp
    | Neg
    | Compare
    | Is
    | In
    | And
    | Or
    | Not
    | If
    | Call
    | Weighted
    | Table
    | By
)


# ---- declarations ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeRef:
    kind: str  # id, text, number, integer, money, percent, score, bool, month, date, enum
    labels: tuple[str, ...] = ()
    low: Decimal | None = None
    high: Decimal | None = None
    places: int | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FieldDecl:
    name: str
    type: TypeRef
    optional: bool = False
    default: object = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RecordDecl:
    fields: tuple[FieldDecl, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class KeyDecl:
    names: tuple[str, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LadderCase:
    keys: tuple[CaseKey, ...]
    steps: tuple[str, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LadderDecl:
    name: str
    by: str | None
    cases: tuple[LadderCase, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class WindowCase:
    keys: tuple[CaseKey, ...]
    months: int
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class WindowDecl:
    name: str
    by: str | None
    cases: tuple[WindowCase, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Def:
    name: str
    body: Expr
    params: tuple[str, ...] = ()
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Transition:
    kind: Literal["up", "down", "becomes"]
    cond: Expr
    steps: int = 0
    value: Expr | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StateDecl:
    name: str
    ladder: str | None
    start: Expr
    transitions: tuple[Transition, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class OverrideDecl:
    target: str
    field: str
    reason_field: str | None = None
    reason_text: str | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class OutputItem:
    name: str
    value: Expr | None = None
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class OutputDecl:
    items: tuple[OutputItem, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Assign:
    name: str
    value: object  # Decimal, str, bool, None, or a Label
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LabelValue:
    """A bare name on the right of `=` in an example: a label such as `promote`."""

    name: str


@dataclass(frozen=True, slots=True)
class ExampleLine:
    kind: Literal["given", "expect"]
    key: str
    first: str | None
    last: str | None
    assigns: tuple[Assign, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Example:
    title: str
    lines: tuple[ExampleLine, ...]
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)


Stmt: TypeAlias = (
    RecordDecl
    | KeyDecl
    | LadderDecl
    | WindowDecl
    | Def
    | StateDecl
    | OverrideDecl
    | OutputDecl
    | Example
)


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    version: str | None
    stmts: tuple[Stmt, ...]
    file: str = ""
    span: Span = _field(default=NO_SPAN, compare=False, repr=False)

    def of_type(self, cls: type[Stmt]) -> list[Stmt]:
        return [s for s in self.stmts if isinstance(s, cls)]
