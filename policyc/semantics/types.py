"""A light type inference: what kind of value each expression gives, and for numbers the
range and the number of decimal places it can have.

The table checks need the range and precision of a band's subject (a field declared
`score places 2` cannot fall between 79.99 and 80; a mean can). The check itself reports
only what is certainly wrong: arithmetic on labels or text, a number compared with a label,
a number used as a condition, branches that give a number here and a label there. `none`
fits everywhere, and anything the inference cannot see through is `any`, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Literal

from policyc.diagnostics import Diagnostic, did_you_mean, error
from policyc.semantics.model import AGGREGATES, Model
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A

if TYPE_CHECKING:
    from policyc.semantics.checks.common import Site

Kind = Literal["num", "bool", "label", "text", "month", "date", "none", "any"]

TYPE_KINDS = (
    "id",
    "text",
    "number",
    "integer",
    "money",
    "percent",
    "score",
    "bool",
    "month",
    "date",
)
NUMERIC_KINDS = {"number", "integer", "money", "percent", "score"}


@dataclass(frozen=True, slots=True)
class Ty:
    """A value's kind; numbers carry [low, high] (None = unbounded) and decimal places
    (None = exact: any number of decimals); labels carry every label they can be."""

    kind: Kind
    low: Decimal | None = None
    high: Decimal | None = None
    places: int | None = None
    labels: tuple[str, ...] = ()

    def describe(self) -> str:
        return {
            "num": "a number",
            "bool": "a yes/no value",
            "label": "a label",
            "text": "text",
            "month": "a month",
            "date": "a date",
            "none": "none",
            "any": "a value",
        }[self.kind]

    @property
    def loose(self) -> bool:
        """`none` and `any` fit wherever a value is expected."""
        return self.kind in ("none", "any")


ANY = Ty("any")
NONE = Ty("none")
BOOL = Ty("bool")
TEXT = Ty("text")


def num(low: Decimal | None, high: Decimal | None, places: int | None) -> Ty:
    return Ty("num", low, high, places)


def label(*names: str) -> Ty:
    return Ty("label", labels=tuple(dict.fromkeys(names)))


def places_of(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def const(d: Decimal) -> Ty:
    return num(d, d, places_of(d))


def join(a: Ty, b: Ty) -> Ty | None:
    """The type of a value that is either `a` or `b`; None when they cannot mix."""
    if a.kind == "none":
        return b
    if b.kind == "none":
        return a
    if a.kind == "any" or b.kind == "any":
        return ANY
    if a.kind == "num" and b.kind == "num":
        low = None if a.low is None or b.low is None else min(a.low, b.low)
        high = None if a.high is None or b.high is None else max(a.high, b.high)
        places = None if a.places is None or b.places is None else max(a.places, b.places)
        return num(low, high, places)
    if a.kind == "label" and b.kind == "label":
        return label(*a.labels, *b.labels)
    if {a.kind, b.kind} <= {"label", "text"}:
        return TEXT
    return a if a.kind == b.kind else None


def comparable(a: Ty, b: Ty) -> bool:
    """`=`, `is` and `in` between these kinds make sense."""
    if a.loose or b.loose:
        return True
    if {a.kind, b.kind} <= {"label", "text"}:
        return True
    return a.kind == b.kind


def orderable(a: Ty, b: Ty) -> bool:
    """`<` and `>` between these kinds make sense."""
    if a.loose or b.loose:
        return True
    if a.kind == "num" and b.kind == "num":
        return True
    return a.kind == b.kind and a.kind in ("month", "date", "text")


# ---- interval arithmetic over decimals (None = unbounded) ---------------------------------

_INF = Decimal("Infinity")


def _ext(lo: Decimal | None, hi: Decimal | None) -> tuple[Decimal, Decimal]:
    return (-_INF if lo is None else lo, _INF if hi is None else hi)


def _fin(v: Decimal) -> Decimal | None:
    return None if v.is_infinite() else v


def _mul(a: Decimal, b: Decimal) -> Decimal:
    if a == 0 or b == 0:
        return Decimal(0)  # 0 x unbounded stays 0: the bound of a product, not a limit
    return a * b


def range_mul(x: Ty, y: Ty) -> tuple[Decimal | None, Decimal | None]:
    xl, xh = _ext(x.low, x.high)
    yl, yh = _ext(y.low, y.high)
    with localcontext() as ctx:
        ctx.prec = 60
        products = [_mul(xl, yl), _mul(xl, yh), _mul(xh, yl), _mul(xh, yh)]
    return _fin(min(products)), _fin(max(products))


def range_div(x: Ty, y: Ty) -> tuple[Decimal | None, Decimal | None]:
    if y.low is None or y.high is None or y.low <= 0 <= y.high:
        return None, None  # the divisor may be zero or unbounded: no useful range
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.rounding = ROUND_FLOOR
        inv_lo = Decimal(1) / y.high
        ctx.rounding = ROUND_CEILING
        inv_hi = Decimal(1) / y.low
    return range_mul(x, num(inv_lo, inv_hi, None))


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _max_places(*ps: int | None) -> int | None:
    return None if any(p is None for p in ps) else max((p for p in ps if p is not None), default=0)


def field_type(f: A.FieldDecl) -> Ty:
    t = f.type
    low, high = t.low, t.high
    match t.kind:
        case "score":
            if low is None:
                low, high = Decimal(0), Decimal(100)
            return num(low, high, t.places)
        case "percent":
            if low is None:
                low, high = Decimal(0), Decimal(1)
            return num(low, high, t.places)
        case "integer":
            return num(low, high, 0 if t.places is None else t.places)
        case "number" | "money":
            return num(low, high, t.places)
        case "bool":
            return BOOL
        case "month":
            return Ty("month")
        case "date":
            return Ty("date")
        case "enum":
            return label(*t.labels)
        case "id" | "text":
            return TEXT
        case _:
            return ANY


# ---- the inference -------------------------------------------------------------------------

Env = Mapping[str, Ty]


class Typer:
    """Infers types; reports type errors only when given a list to report into."""

    def __init__(self, model: Model, source: SourceFile) -> None:
        self.m = model
        self.src = source
        self._values: dict[str, Ty] = {}
        self._busy: set[str] = set()
        self._inlining: list[str] = []
        from policyc.semantics.checks.common import introduced_labels  # checks import types

        self.labels = introduced_labels(model)
        # the type of every expression inferred outside a function body, by where it stands
        # and what it is: kept for the IR (policyc.ir.build), which does not infer again
        self.table: dict[tuple[int, int, str], Ty] = {}

    # -- named values
    def field(self, name: str) -> Ty:
        f = self.m.fields.get(name)
        return ANY if f is None else field_type(f)

    def value(self, name: str) -> Ty:
        """The type of a definition, state or field, as a row holds it."""
        if name in self._values:
            return self._values[name]
        if name in self._busy:
            return ANY  # a value that reads itself (through a state or `previous`)
        self._busy.add(name)
        try:
            t = self._value(name)
        finally:
            self._busy.discard(name)
        self._values[name] = t
        return t

    def _value(self, name: str) -> Ty:
        if name in self.m.states:
            t = self._state(self.m.states[name])
        elif name in self.m.defs:
            t = self.infer(self.m.defs[name].body, {}, None)
        else:
            return self.field(name)
        ov = self.m.overrides.get(name)
        if ov is not None and ov.field in self.m.fields:
            t = join(t, self.field(ov.field)) or ANY
        return t

    def _state(self, st: A.StateDecl) -> Ty:
        lad = self.m.ladders.get(st.ladder or "")
        t = NONE
        if lad is not None:
            t = label(*(s for c in lad.cases for s in c.steps))
        else:
            t = self.infer(st.start, {}, None)
        for tr in st.transitions:
            if tr.value is not None:
                t = join(t, self.infer(tr.value, {}, None)) or ANY
        return t

    def of(self, e: A.Expr, env: Env | None = None) -> Ty:
        return self.infer(e, env or {}, None)

    def known(self, e: A.Expr) -> Ty | None:
        """The type inferred for `e` (outside a function body), if it was."""
        return self.table.get((e.span.start, e.span.end, type(e).__name__))

    # -- expressions
    def infer(self, e: A.Expr, env: Env, out: list[Diagnostic] | None) -> Ty:
        t = self._infer(e, env, out)
        if not env:
            self.table[(e.span.start, e.span.end, type(e).__name__)] = t
        return t

    def _infer(self, e: A.Expr, env: Env, out: list[Diagnostic] | None) -> Ty:
        match e:
            case A.Num():
                return const(e.value)
            case A.Str():
                return label(e.value)
            case A.Bool():
                return BOOL
            case A.NoneLit():
                return NONE
            case A.Name():
                return self._name(e, env)
            case A.FieldRef():
                return self.field(e.name)
            case A.BinOp():
                return self._binop(e, env, out)
            case A.Neg():
                t = self._number(e.operand, env, out, "`-`")
                if t.kind != "num":
                    return t
                return num(
                    None if t.high is None else -t.high, None if t.low is None else -t.low, t.places
                )
            case A.Compare():
                return self._compare(e, env, out)
            case A.Is():
                left = self.infer(e.left, env, out)
                right = self.infer(e.right, env, out)
                self._comparable(e.left, left, e.right, right, out)
                return BOOL
            case A.In():
                left = self.infer(e.left, env, out)
                for item in e.items:
                    self._comparable(e.left, left, item, self.infer(item, env, out), out)
                return BOOL
            case A.And() | A.Or():
                self.condition(e.left, env, out)
                self.condition(e.right, env, out)
                return BOOL
            case A.Not():
                self.condition(e.operand, env, out)
                return BOOL
            case A.If():
                self.condition(e.cond, env, out)
                then = self.infer(e.then, env, out)
                other = self.infer(e.otherwise, env, out)
                if join(then, other) is None and self._misspelt_branch(e, env, out):
                    return ANY
                return self._join_at(then, other, e.otherwise, "the `then` branch gives", out)
            case A.Call():
                return self._call(e, env, out)
            case A.Weighted():
                return self._weighted(e, env, out)
            case A.Table():
                return self._table(e, env, out)
            case A.By():
                t = NONE
                for i, c in enumerate(e.cases):
                    body = self.infer(c.body, env, out)
                    t = self._join_at(t, body, c.body, "the cases above give", out) if i else body
                return t
            case _:
                return ANY

    def _name(self, e: A.Name, env: Env) -> Ty:
        if e.name in env:
            return env[e.name]
        if self.m.is_value(e.name):
            return self.value(e.name)
        if e.name in self.m.windows or e.name in self.m.ladders or e.name in self.m.functions:
            return ANY  # the names check says it is not a value
        if e.name not in self.labels:
            return ANY  # an unknown name: the names check reports it once
        return label(e.name)

    def _report(self, out: list[Diagnostic] | None, diag: Diagnostic) -> None:
        if out is not None:
            out.append(diag)

    def show(self, e: A.Expr) -> str:
        return _snippet(self.src, e.span)

    def _number(self, e: A.Expr, env: Env, out: list[Diagnostic] | None, what: str) -> Ty:
        """Infer `e`, reporting it when it is certainly not a number."""
        t = self.infer(e, env, out)
        if not t.loose and t.kind != "num":
            self._report(
                out,
                error(
                    "E0201",
                    f"{what} needs a number, but `{self.show(e)}` is {t.describe()}",
                    e.span,
                    _number_hint(t),
                ),
            )
            return ANY
        return t

    def condition(self, e: A.Expr, env: Env, out: list[Diagnostic] | None) -> None:
        t = self.infer(e, env, out)
        if t.loose or t.kind == "bool":
            return
        hint = {
            "num": f"compare it, e.g. `{self.show(e)} > 0`",
            "label": f"test it with `is`, e.g. `{self.show(e)} is {t.labels[0]}`"
            if t.labels
            else None,
        }.get(t.kind)
        self._report(
            out,
            error(
                "E0203",
                f"`{self.show(e)}` is {t.describe()}, not a yes/no condition",
                e.span,
                hint,
            ),
        )

    def _comparable(
        self, le: A.Expr, lt: Ty, re: A.Expr, rt: Ty, out: list[Diagnostic] | None
    ) -> None:
        if comparable(lt, rt):
            return
        self._report(
            out,
            error(
                "E0202",
                f"`{self.show(le)}` is {lt.describe()} and `{self.show(re)}` is "
                f"{rt.describe()}: they are never equal",
                re.span,
            ),
        )

    def _misspelt_branch(self, e: A.If, env: Env, out: list[Diagnostic] | None) -> bool:
        """`then 底新 else 0`: a branch that reads as a new label but is one slip from a
        defined name is the name misspelt, not a label: say that, at the name."""
        for branch in (e.then, e.otherwise):
            if not isinstance(branch, A.Name) or branch.name in env:
                continue
            name = branch.name
            declared = self.m.enum_labels() | {
                step for lad in self.m.ladders.values() for c in lad.cases for step in c.steps
            }
            if self.m.is_value(name) or name in declared:
                continue
            hint = did_you_mean(name, self.m.value_names)
            if hint is None:
                continue
            message = f"unknown name `{name}`: it would read as a label here"
            self._report(out, error("E0101", message, branch.span, hint))
            return True
        return False

    def _join_at(
        self, before: Ty, new: Ty, at: A.Expr, what: str, out: list[Diagnostic] | None
    ) -> Ty:
        t = join(before, new)
        if t is not None:
            return t
        self._report(
            out,
            error(
                "E0204",
                f"`{self.show(at)}` is {new.describe()}, but {what} {before.describe()}",
                at.span,
                "every branch of one value must give the same kind of value (or none)",
            ),
        )
        return ANY

    def _binop(self, e: A.BinOp, env: Env, out: list[Diagnostic] | None) -> Ty:
        x = self._number(e.left, env, out, f"`{e.op}`")
        y = self._number(e.right, env, out, f"`{e.op}`")
        if x.kind != "num" or y.kind != "num":
            return ANY if x.kind == "any" or y.kind == "any" else NONE
        if e.op == "+":
            return num(_add(x.low, y.low), _add(x.high, y.high), _max_places(x.places, y.places))
        if e.op == "-":
            low = _add(x.low, None if y.high is None else -y.high)
            high = _add(x.high, None if y.low is None else -y.low)
            return num(low, high, _max_places(x.places, y.places))
        if e.op == "*":
            low, high = range_mul(x, y)
            places = None if x.places is None or y.places is None else x.places + y.places
            return num(low, high, places)
        low, high = range_div(x, y)
        if y.low is not None and y.low == y.high and y.low != 0 and x.places is not None:
            places = _division_places(x.places, y.low)
            return num(low, high, places)
        return num(low, high, None)

    def _compare(self, e: A.Compare, env: Env, out: list[Diagnostic] | None) -> Ty:
        left = self.infer(e.left, env, out)
        right = self.infer(e.right, env, out)
        if e.op in ("=", "!="):
            self._comparable(e.left, left, e.right, right, out)
        elif not orderable(left, right):
            self._report(
                out,
                error(
                    "E0202",
                    f"cannot compare `{self.show(e.left)}`, {left.describe()}, with "
                    f"`{self.show(e.right)}`, {right.describe()}, using `{e.op}`",
                    e.span,
                    "`<` and `>` compare numbers with numbers and months with months",
                ),
            )
        return BOOL

    def _weighted(self, e: A.Weighted, env: Env, out: list[Diagnostic] | None) -> Ty:
        low: Decimal | None = Decimal(0)
        high: Decimal | None = Decimal(0)
        places: list[int | None] = []
        for term in e.terms:
            t = self._number(term.value, env, out, "`weighted`")
            w = const(term.weight / 100)
            if t.kind != "num":
                low = high = None
                places.append(None)
                continue
            lo, hi = range_mul(t, w)
            low, high = _add(low, lo), _add(high, hi)
            places.append(None if t.places is None else t.places + (w.places or 0))
        return num(low, high, _max_places(*places))

    def _table(self, e: A.Table, env: Env, out: list[Diagnostic] | None) -> Ty:
        inputs = [self.infer(i, env, out) for i in e.inputs]
        t = NONE
        first = True
        for row in e.rows:
            for i, cell in enumerate(row.cells):
                if i < len(inputs):
                    self._cell(e.inputs[i], inputs[i], cell, env, out)
            r = self.infer(row.result, env, out)
            t = r if first else self._join_at(t, r, row.result, "the rows above give", out)
            first = False
        return t

    def _cell(
        self, inp: A.Expr, t: Ty, cell: A.Cell, env: Env, out: list[Diagnostic] | None
    ) -> None:
        if isinstance(cell, A.BoundsCell):
            for b in cell.bounds:
                bt = self.infer(b.value, env, out)
                if not t.loose and t.kind != "num" and t.kind not in ("month", "date"):
                    self._report(
                        out,
                        error(
                            "E0205",
                            f"`{self.show(inp)}` is {t.describe()}, so it has no bounds "
                            f"such as `{_snippet(self.src, b.span)}`",
                            b.span,
                            _list_hint(t),
                        ),
                    )
                    return
                if not bt.loose and bt.kind != "num" and t.kind == "num":
                    self._report(
                        out,
                        error(
                            "E0205",
                            f"the bound `{self.show(b.value)}` is {bt.describe()}, "
                            f"but `{self.show(inp)}` is a number",
                            b.value.span,
                        ),
                    )
        elif isinstance(cell, A.EqualCell):
            for v in cell.values:
                self._comparable(inp, t, v, self.infer(v, env, out), out)

    # -- calls
    def _call(self, e: A.Call, env: Env, out: list[Diagnostic] | None) -> Ty:
        f = e.func
        if f in self.m.functions:
            args = [self.infer(a.value, env, out) for a in e.args]
            return self._inline(f, args)
        clause = e.clause
        args_e = [a.value for a in e.args]
        if f == "rank" or (f in AGGREGATES and clause is not None):
            return self._aggregate(e, env, out)
        if f in ("min", "max"):
            ts = [self._number(a, env, out, f"`{f}`") for a in args_e]
            nums = [t for t in ts if t.kind == "num"]
            if not nums or len(nums) != len(ts):
                return ANY
            pick = min if f == "min" else max
            lows = [t.low for t in nums]
            highs = [t.high for t in nums]
            known_lows = [x for x in lows if x is not None]
            known_highs = [x for x in highs if x is not None]
            # an unbounded side stays unbounded; an all-unknown side has no bound to pick
            low = None if None in lows and f == "min" else pick(known_lows, default=None)
            high = None if None in highs and f == "max" else pick(known_highs, default=None)
            return num(low, high, _max_places(*(t.places for t in nums)))
        if f in ("previous", "previous_window", "previous_row"):
            for a in args_e[1:]:
                self.infer(a, env, None)
            return self.infer(args_e[0], env, out) if args_e else ANY
        if f in ("closes", "complete"):
            return BOOL
        if f == "given":
            for a in args_e:
                self.infer(a, env, out)
            return BOOL
        if f in ("round", "round_down", "round_up"):
            return self._round(e, env, out)
        if f == "abs":
            t = self._number(args_e[0], env, out, "`abs`") if args_e else ANY
            if t.kind != "num":
                return t
            if t.low is not None and t.low >= 0:
                return t
            far = None if t.low is None or t.high is None else max(-t.low, t.high)
            return num(Decimal(0), far, t.places)
        if f == "default":
            ts = [self.infer(a, env, out) for a in args_e]
            t = ts[0] if ts else ANY
            for a, other in zip(args_e[1:], ts[1:], strict=False):
                t = self._join_at(t, other, a, "the value it stands in for is", out)
            return t
        if f == "clamp":
            ts = [self._number(a, env, out, "`clamp`") for a in args_e]
            if len(ts) != 3 or any(t.kind != "num" for t in ts):
                return ANY
            x, lo, hi = ts
            if lo.low is not None and hi.high is not None and lo.low > hi.high:
                self._report(out, self._clamp_inverted(e, lo, hi))
            return num(lo.low, hi.high, _max_places(x.places, lo.places, hi.places))
        if f == "percentile":
            for a in args_e:
                self.infer(a, env, out)
            return num(Decimal(0), Decimal(1), None)
        for a in args_e:
            self.infer(a, env, out)
        return ANY

    def _clamp_inverted(self, e: A.Call, lo: Ty, hi: Ty) -> Diagnostic:
        """E0209: `clamp(x, 10, 0)` gives 10 whatever x is: the bounds are swapped."""
        low, high = self.show(e.args[1].value), self.show(e.args[2].value)
        if lo.low == lo.high and hi.low == hi.high:
            why = f"its low bound {low} is above its high bound {high}"
        else:
            assert lo.low is not None and hi.high is not None
            why = (
                f"its low bound `{low}` (at least {show_number(lo.low)}) is always above its high "
                f"bound `{high}` (at most {show_number(hi.high)})"
            )
        return error(
            "E0209",
            f"`{self.show(e)}` gives the low bound whatever the value: {why}",
            join_span(self.src, e.args[1].span, e.args[2].span),
            f"swap them: `clamp({self.show(e.args[0].value)}, {high}, {low})`",
        )

    def _aggregate(self, e: A.Call, env: Env, out: list[Diagnostic] | None) -> Ty:
        f = e.func
        args_e = [a.value for a in e.args]
        if isinstance(e.clause, A.Among):
            self.condition(e.clause.cond, env, out)
        if f == "rank":
            for key in e.args:
                self._rank_key(key, env, out)
            return num(Decimal(1), None, 0)
        if f in ("all", "any"):
            for a in args_e:
                self.condition(a, env, out)
            return BOOL
        if f == "count":
            for a in args_e:
                self.infer(a, env, out)
            return num(Decimal(0), self._window_size(e), 0)
        t = self._number(args_e[0], env, out, f"`{f}`") if args_e else ANY
        if t.kind != "num":
            return t
        if f == "mean":
            return num(t.low, t.high, None)  # a mean of 2-place values has any number of places
        if f == "sum":
            n = self._window_size(e)
            low = t.low if t.low is not None and t.low >= 0 else None
            high = t.high if t.high is not None and t.high <= 0 else None
            if n is not None and t.low is not None and t.high is not None:
                low, high = min(t.low, t.low * n), max(t.high, t.high * n)
            return num(low, high, t.places)
        return t  # min, max

    def _rank_key(self, a: A.Arg, env: Env, out: list[Diagnostic] | None) -> None:
        """Numbers rank either way; text and labels only `asc` (highest-first is numeric)."""
        t = self.infer(a.value, env, out)
        if t.loose or t.kind == "num" or a.order == "asc":
            return
        shown = self.show(a.value)
        self._report(
            out,
            error(
                "E0201",
                f"`rank` puts the highest first, which needs a number, but `{shown}` is "
                f"{t.describe()}",
                a.span,
                f"write `{shown} asc` to rank it in alphabetical order",
            ),
        )

    def _window_size(self, e: A.Call) -> Decimal | None:
        """The most months an aggregate can see, when it is over a window."""
        c = e.clause
        if not isinstance(c, A.Over):
            return None
        if c.last is not None:
            return Decimal(c.last)
        w = self.m.windows.get(c.window or "")
        if w is None or not w.cases:
            return None
        return Decimal(max(wc.months for wc in w.cases))

    def _round(self, e: A.Call, env: Env, out: list[Diagnostic] | None) -> Ty:
        args_e = [a.value for a in e.args]
        t = self._number(args_e[0], env, out, f"`{e.func}`") if args_e else ANY
        places = 0
        if len(args_e) > 1 and isinstance(args_e[1], A.Num):
            places = int(args_e[1].value)
        if t.kind != "num":
            return num(None, None, places)
        try:
            q = Decimal(1).scaleb(-places)
            low = None if t.low is None else t.low.quantize(q, rounding=ROUND_FLOOR)
            high = None if t.high is None else t.high.quantize(q, rounding=ROUND_CEILING)
        except ArithmeticError:  # past Decimal's precision: the bounds say nothing useful
            return num(None, None, places)
        return num(low, high, places if t.places is None else min(places, t.places))

    def _inline(self, name: str, args: list[Ty]) -> Ty:
        """A call of a user function: its body's type with the arguments' types."""
        if name in self._inlining or len(self._inlining) > 16:
            return ANY  # a function that calls itself: the usage check reports the cycle
        fn = self.m.functions[name]
        env = {p: (args[i] if i < len(args) else ANY) for i, p in enumerate(fn.params)}
        self._inlining.append(name)
        try:
            return self.infer(fn.body, env, None)
        finally:
            self._inlining.pop()


def _list_hint(t: Ty) -> str:
    if t.kind == "label" and t.labels:
        return f"list the values a row matches instead, e.g. `{', '.join(t.labels[:2])}`"
    return "list the values a row matches instead"


def _number_hint(t: Ty) -> str | None:
    if t.kind == "bool":
        return "turn it into a number with `if ... then 1 else 0`"
    if t.kind == "label":
        return "labels name things; only numbers can be added, multiplied or weighed"
    return None


def _division_places(places: int, divisor: Decimal) -> int | None:
    """x / d keeps a fixed number of places only when 1/d is a finite decimal."""
    try:
        with localcontext() as ctx:
            ctx.prec = 30
            inv = (Decimal(1) / divisor).normalize()
            if (inv * divisor) != 1:
                return None
        return places + places_of(inv)
    except (InvalidOperation, ArithmeticError):
        return None


# ---- the check --------------------------------------------------------------------------


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    typer = shared(model, source)
    from policyc.semantics.checks.common import sites

    for site in sites(model):
        _check_site(typer, site, out)
    return out


def shared(model: Model, source: SourceFile) -> Typer:
    """The one type checker of a model: every check that asks about types, and the IR,
    read the same run (kept on the model), so nothing is inferred twice."""
    if not isinstance(model.typer, Typer) or model.typer.src is not source:
        model.typer = Typer(model, source)
    return model.typer


def _check_site(typer: Typer, site: Site, out: list[Diagnostic]) -> None:
    env = {p: ANY for p in site.params}
    if site.condition:
        typer.condition(site.expr, env, out)
    else:
        typer.infer(site.expr, env, out)


def _snippet(src: SourceFile, span: Span) -> str:
    from policyc.semantics.checks.common import snippet

    return snippet(src, span)


def show_number(d: Decimal) -> str:
    from policyc.semantics.checks.intervals import show_number as show

    return show(d)


def join_span(src: SourceFile, a: Span, b: Span) -> Span:
    from policyc.semantics.checks.common import join_span as join

    return join(src, a, b)
