"""Checked model -> evaluation plan: every expression a closure over one row.

The plan is a list of steps in dependency order. A row step computes one value for each
row of a period; a group step (rank, cohort aggregates) computes one value for every row
of a period at once; a state step carries a value from the employee's previous row.
Closures emit trace events only when the row carries a trace list (`explain`), so plain
evaluation never builds them. Each row step is compiled twice: `fn`, specialised for speed,
and `traced`, run only on rows being explained, which also records how arithmetic was worked
out, which branch of an `if` was taken and how a value was rounded (`Worked`, `Branch`,
`Rounded`); keeping those out of `fn` keeps plain evaluation as fast as it was.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policyc.runtime import trace as T
from policyc.runtime.values import ROUNDING_MODES, RowEnv, RowFailure, ord_month
from policyc.semantics.lift import lift
from policyc.semantics.model import Model, dependencies, topo_order
from policyc.source import Span
from policyc.syntax import ast as A
from policyc.syntax.lower import implicit_condition
from policyc.syntax.walk import names_in

Fn = Callable[[RowEnv], Any]
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass
class WindowInfo:
    name: str
    subject: int | None  # slot of the `by` value, or None for a single window
    months: dict[Any, int]
    default: int | None


@dataclass
class LadderInfo:
    name: str
    subject: int | None
    steps: dict[Any, tuple[str, ...]]
    default: tuple[str, ...] | None

    def for_row(self, r: RowEnv) -> tuple[str, ...] | None:
        if self.subject is None:
            return self.default
        return self.steps.get(r.v[self.subject], self.default)


@dataclass
class RowStep:
    name: str
    slot: int
    fn: Fn
    span: Span
    override: tuple[int, int | None, str | None, Span] | None = None  # field, reason, text
    hidden: bool = False
    traced: Fn | None = None  # `fn` recording how it was worked out, for explained rows
    owner: str | None = None  # a hidden step: the definition that reads it this month


@dataclass
class GroupStep:
    name: str
    slot: int
    kind: str  # rank, mean, sum, min, max, count, all, any
    keys: list[tuple[Fn, bool, str]]  # (value, descending, text) for rank; value for aggs
    cond: Fn
    cond_text: str
    per: int | None
    per_name: str | None
    span: Span
    owner: str | None = None  # the definition that reads it


@dataclass
class StateStep:
    name: str
    slot: int
    start: Fn
    ladder: LadderInfo | None
    transitions: list[tuple[str, int, Fn, Fn | None, Span]]
    start_column: str
    span: Span


Step = RowStep | GroupStep | StateStep


@dataclass
class Plan:
    model: Model
    slots: dict[str, int]
    nslots: int
    field_names: list[str]
    steps: list[Step]
    outputs: list[tuple[str, int]]
    hidden: dict[str, A.Expr]
    source_text: str = ""
    labels: set[str] = field(default_factory=set)


def _text(span: Span, text: str) -> str:
    return text[span.start : span.end]


_UNREAD = object()  # an operand that was not evaluated (the other side of `and` decided)
# what stays inside one traced expression: the nodes between its operands
_ARITH_OPS = (A.BinOp, A.Neg)
# built-in calls shown worked out with their arguments' values: `max(-2654.33, 0) = 0`
_SHOWN_CALLS = frozenset({"min", "max", "clamp", "abs", "default"})
_COND_OPS = (A.BinOp, A.Neg, A.Compare, A.Is, A.In, A.And, A.Or, A.Not)


class _Capture:
    """The operands of one traced expression, filled in each time it is evaluated."""

    __slots__ = ("kind", "percent", "spans", "values")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # arith: an arithmetic expression; cond: the condition of an `if`
        self.spans: list[Span] = []
        self.percent: list[bool] = []
        self.values: list[Any] = []

    def start(self) -> None:
        self.values = [_UNREAD] * len(self.spans)

    def operands(self) -> tuple[T.Operand, ...]:
        return tuple(
            T.Operand(s, v, p)
            for s, v, p in zip(self.spans, self.values, self.percent, strict=True)
            if v is not _UNREAD
        )


class Compiler:
    def __init__(
        self, model: Model, slots: dict[str, int], source_text: str, tracing: bool = False
    ) -> None:
        self.m = model
        self.slots = slots
        self.field_slots = {n: i for i, n in enumerate(model.fields)}
        self.text = source_text
        self.windows = {n: self._window(w) for n, w in model.windows.items()}
        self.ladders = {n: self._ladder(lad) for n, lad in model.ladders.items()}
        self.tracing = tracing  # compiling `traced` closures: see the module's docstring
        self.defining = ""  # the definition being compiled, for messages
        self._cap: _Capture | None = None
        self._quiet = 0  # inside a part evaluated more than once per row: record nothing new

    @property
    def recording(self) -> bool:
        """Whether closures compiled now record `Worked`, `Branch` and `Rounded` events."""
        return self.tracing and not self._quiet

    def quietly(self, e: A.Expr, scope: dict[str, Fn]) -> Fn:
        """`e` compiled for a place evaluated more than once per row (a table bound)."""
        self._quiet += 1
        try:
            return self.expr(e, scope)
        finally:
            self._quiet -= 1

    # -- declarations -------------------------------------------------------------
    def _window(self, w: A.WindowDecl) -> WindowInfo:
        subject = self.slots.get(w.by) if w.by else None
        months: dict[Any, int] = {}
        default = None
        for c in w.cases:
            if not c.keys:
                default = c.months
            for k in c.keys:
                months[k] = c.months
        if w.by is None and w.cases:
            default = w.cases[0].months
        return WindowInfo(w.name, subject, months, default)

    def _ladder(self, lad: A.LadderDecl) -> LadderInfo:
        subject = self.slots.get(lad.by) if lad.by else None
        steps: dict[Any, tuple[str, ...]] = {}
        default = None
        for c in lad.cases:
            if not c.keys:
                default = c.steps
            for k in c.keys:
                steps[k] = c.steps
        return LadderInfo(lad.name, subject, steps, default)

    def window_months(self, w: WindowInfo) -> Callable[[RowEnv], int | None]:
        if w.subject is None:
            n = w.default
            return lambda r: n
        subject, months, default = w.subject, w.months, w.default
        return lambda r: months.get(r.v[subject], default)

    # -- expressions ----------------------------------------------------------------
    def expr(self, e: A.Expr, scope: dict[str, Fn] | None = None) -> Fn:
        scope = scope or {}
        if self.tracing:
            return self._traced(e, scope)
        method = getattr(self, "x_" + type(e).__name__)
        fn: Fn = method(e, scope)
        return fn

    # -- traced closures: how a value was worked out -----------------------------------
    def _traced(self, e: A.Expr, scope: dict[str, Fn]) -> Fn:
        method = getattr(self, "x_" + type(e).__name__)
        cap = self._cap
        if cap is not None:  # inside a traced expression: operators stay, operands are read
            if self._literal(e, scope):
                return method(e, scope)  # type: ignore[no-any-return]
            if isinstance(e, _ARITH_OPS if cap.kind == "arith" else _COND_OPS):
                fn = method(e, scope)
                if isinstance(e, A.Compare):
                    self._mark_percent(cap, e)
                return fn  # type: ignore[no-any-return]
            return self._operand(cap, e, scope)
        if self._quiet == 0 and (
            isinstance(e, A.BinOp) or (isinstance(e, A.Call) and e.func in _SHOWN_CALLS)
        ):
            return self._worked(e, scope, "arith")
        if self._quiet == 0 and isinstance(e, _COND_OPS):
            return self._worked(e, scope, "cond")
        if self._quiet == 0 and isinstance(e, A.If):
            return self._branch(e, scope)
        return method(e, scope)  # type: ignore[no-any-return]

    def _literal(self, e: A.Expr, scope: dict[str, Fn]) -> bool:
        if isinstance(e, A.Num | A.Str | A.Bool | A.NoneLit):
            return True
        return (
            isinstance(e, A.Name)
            and e.name not in scope
            and (e.name not in self.slots or e.name in self.m.windows)
        )

    def _operand(self, cap: _Capture, e: A.Expr, scope: dict[str, Fn]) -> Fn:
        """An operand of a traced expression: its value is kept as it is read."""
        self._cap = None  # an expression inside it (a call's argument) is traced on its own
        try:
            f = self._traced(e, scope)
        finally:
            self._cap = cap
        i = len(cap.spans)
        cap.spans.append(e.span)
        cap.percent.append(False)

        def operand(r: RowEnv) -> Any:
            v = cap.values[i] = f(r)
            return v

        return operand

    @staticmethod
    def _mark_percent(cap: _Capture, e: A.Compare) -> None:
        """`x >= 120%`: x is shown as a percentage too, as the bound is written."""
        for side, other in ((e.left, e.right), (e.right, e.left)):
            if isinstance(other, A.Num) and other.percent:
                for i, span in enumerate(cap.spans):
                    if span == side.span:
                        cap.percent[i] = True

    def _worked(self, e: A.Expr, scope: dict[str, Fn], kind: str) -> Fn:
        """Arithmetic (`Worked`) or a yes/no expression (`Condition`) with its operands."""
        cap = _Capture(kind)
        self._cap = cap
        try:
            f: Fn = getattr(self, "x_" + type(e).__name__)(e, scope)
        finally:
            self._cap = None
        span = e.span
        event = T.Worked if kind == "arith" else T.Condition

        def worked(r: RowEnv) -> Any:
            cap.start()
            v = f(r)
            if r.trace is not None:
                r.trace.append(event(cap.operands(), v, span))
            return v

        return worked

    def _branch(self, e: A.If, scope: dict[str, Fn]) -> Fn:
        cap = _Capture("cond")
        self._cap = cap
        try:
            c = self.expr(e.cond, scope)
        finally:
            self._cap = None
        t, o = self.expr(e.then, scope), self.expr(e.otherwise, scope)
        cond, then, otherwise, span = e.cond.span, e.then.span, e.otherwise.span, e.span

        def branch(r: RowEnv) -> Any:
            cap.start()
            held = c(r)
            trace = r.trace
            if trace is None:
                return t(r) if held else o(r)
            operands = cap.operands()
            at = len(trace)
            trace.append(None)  # the decision reads before what the branch taken records
            try:
                v = t(r) if held else o(r)
            except BaseException:
                del trace[at]
                raise
            taken, where = ("then", then) if held else ("else", otherwise)
            trace[at] = T.Branch(operands, cond, held, taken, where, v, span)
            return v

        return branch

    # -- expressions, continued -----------------------------------------------------------
    def slot_of(self, e: A.Expr, scope: dict[str, Fn]) -> int | None:
        """The slot a plain name reads, so hot closures can index the row directly.

        Never when tracing: a traced operand must go through its closure to be seen."""
        if self.tracing:
            return None
        if isinstance(e, A.Name) and e.name not in scope and e.name not in self.m.windows:
            return self.slots.get(e.name)
        if isinstance(e, A.FieldRef):
            return self.field_slots.get(e.name)
        return None

    def x_Num(self, e: A.Num, scope: dict[str, Fn]) -> Fn:
        v = e.value
        return lambda r: v

    def x_Str(self, e: A.Str, scope: dict[str, Fn]) -> Fn:
        v = e.value
        return lambda r: v

    def x_Bool(self, e: A.Bool, scope: dict[str, Fn]) -> Fn:
        v = e.value
        return lambda r: v

    def x_NoneLit(self, e: A.NoneLit, scope: dict[str, Fn]) -> Fn:
        return lambda r: None

    def x_Name(self, e: A.Name, scope: dict[str, Fn]) -> Fn:
        if e.name in scope:
            return scope[e.name]
        if e.name in self.slots and e.name not in self.m.windows:
            k = self.slots[e.name]
            return lambda r: r.v[k]
        label = e.name  # a label such as `promote`: the checker has vetted it
        return lambda r: label

    def x_FieldRef(self, e: A.FieldRef, scope: dict[str, Fn]) -> Fn:
        k = self.field_slots[e.name]
        return lambda r: r.v[k]

    def x_BinOp(self, e: A.BinOp, scope: dict[str, Fn]) -> Fn:
        lf, rf = self.expr(e.left, scope), self.expr(e.right, scope)
        where = _text(e.span, self.text)
        if e.op == "+":

            def add(r: RowEnv) -> Any:
                a, b = lf(r), rf(r)
                return None if a is None or b is None else a + b

            return add
        if e.op == "-":

            def sub(r: RowEnv) -> Any:
                a, b = lf(r), rf(r)
                return None if a is None or b is None else a - b

            return sub
        if e.op == "*":

            def mul(r: RowEnv) -> Any:
                a, b = lf(r), rf(r)
                return None if a is None or b is None else a * b

            return mul

        def div(r: RowEnv) -> Any:
            a, b = lf(r), rf(r)
            if a is None or b is None:
                return None
            if b == 0:
                raise RowFailure("", f"division by zero in `{where}`")
            return a / b

        return div

    def x_Neg(self, e: A.Neg, scope: dict[str, Fn]) -> Fn:
        f = self.expr(e.operand, scope)
        return lambda r: None if (v := f(r)) is None else -v

    def x_Compare(self, e: A.Compare, scope: dict[str, Fn]) -> Fn:
        lf, rf = self.expr(e.left, scope), self.expr(e.right, scope)
        op = COMPARE[e.op]
        k = self.slot_of(e.left, scope)
        if k is not None and isinstance(e.right, A.Num):
            c = e.right.value
            return lambda r: None if (a := r.v[k]) is None else op(a, c)

        def cmp(r: RowEnv) -> Any:
            a, b = lf(r), rf(r)
            return None if a is None or b is None else op(a, b)

        return cmp

    def x_Is(self, e: A.Is, scope: dict[str, Fn]) -> Fn:
        lf = self.expr(e.left, scope)
        if isinstance(e.right, A.NoneLit):
            if e.negated:
                return lambda r: lf(r) is not None
            return lambda r: lf(r) is None
        rf = self.expr(e.right, scope)
        k = self.slot_of(e.left, scope)
        if e.negated:  # exactly `not (x is y)`: none is not any label
            return lambda r: lf(r) != rf(r)
        if k is not None and self._is_const(e.right):
            c = rf(None)  # type: ignore[arg-type]
            return lambda r: r.v[k] == c
        return lambda r: lf(r) == rf(r)

    def x_In(self, e: A.In, scope: dict[str, Fn]) -> Fn:
        lf = self.expr(e.left, scope)
        items = [self.expr(i, scope) for i in e.items]
        if all(isinstance(i, A.Name | A.Str | A.Num) and self._is_const(i) for i in e.items):
            consts = frozenset(f(None) for f in items)  # type: ignore[arg-type]
            k = self.slot_of(e.left, scope)
            if k is not None:
                return lambda r: r.v[k] in consts
            return lambda r: lf(r) in consts
        return lambda r: (a := lf(r)) is not None and any(a == f(r) for f in items)

    def _is_const(self, e: A.Expr) -> bool:
        if isinstance(e, A.Name):
            return e.name not in self.slots
        return isinstance(e, A.Num | A.Str | A.Bool)

    def x_And(self, e: A.And, scope: dict[str, Fn]) -> Fn:
        lf, rf = self.expr(e.left, scope), self.expr(e.right, scope)
        return lambda r: bool(lf(r)) and bool(rf(r))

    def x_Or(self, e: A.Or, scope: dict[str, Fn]) -> Fn:
        lf, rf = self.expr(e.left, scope), self.expr(e.right, scope)
        return lambda r: bool(lf(r)) or bool(rf(r))

    def x_Not(self, e: A.Not, scope: dict[str, Fn]) -> Fn:
        f = self.expr(e.operand, scope)
        return lambda r: not f(r)

    def x_If(self, e: A.If, scope: dict[str, Fn]) -> Fn:
        c, t, o = (self.expr(x, scope) for x in (e.cond, e.then, e.otherwise))
        k = self.slot_of(e.cond, scope)
        if k is not None:
            return lambda r: t(r) if r.v[k] else o(r)
        return lambda r: t(r) if c(r) else o(r)

    def x_Weighted(self, e: A.Weighted, scope: dict[str, Fn]) -> Fn:
        terms = []
        for t in e.terms:
            name = t.value.name if isinstance(t.value, A.Name) else _text(t.value.span, self.text)
            terms.append((self.expr(t.value, scope), t.weight, name))
        span = e.span
        defining = self.defining

        def blank(name: str, pct: Decimal) -> str:
            return f"`{name}` is blank, but it weighs {pct}% in this row's `{defining}`"

        slots = [self.slot_of(t.value, scope) for t in e.terms]
        if all(k is not None for k in slots):
            fast = [
                (int(k or 0), pct, name) for k, (_f, pct, name) in zip(slots, terms, strict=True)
            ]

            def weighted_fields(r: RowEnv) -> Any:
                v = r.v
                total = ZERO
                for k, pct, name in fast:
                    x = v[k]
                    if x is None:
                        raise RowFailure(name, blank(name, pct))
                    total += x * pct
                total = total / HUNDRED
                if r.trace is not None:
                    parts = tuple((n, v[k], p) for k, p, n in fast)
                    r.trace.append(T.WeightedSum(parts, total, span))
                return total

            return weighted_fields

        if self.tracing:
            return self._weighted_traced(terms, blank, span)

        def weighted(r: RowEnv) -> Any:
            # sum of value x percent, divided by 100 once: exact, and no trailing zeros
            total = ZERO
            for f, pct, name in terms:
                v = f(r)
                if v is None:
                    raise RowFailure(name, blank(name, pct))
                total += v * pct
            total = total / HUNDRED
            if r.trace is not None:
                parts = tuple((n, f(r), p) for f, p, n in terms)
                r.trace.append(T.WeightedSum(parts, total, span))
            return total

        return weighted

    @staticmethod
    def _weighted_traced(
        terms: list[tuple[Fn, Decimal, str]], blank: Callable[[str, Decimal], str], span: Span
    ) -> Fn:
        def weighted(r: RowEnv) -> Any:
            total = ZERO
            seen = []  # each term read once: reading it again would record its events twice
            for f, pct, name in terms:
                v = f(r)
                if v is None:
                    raise RowFailure(name, blank(name, pct))
                total += v * pct
                seen.append((name, v, pct))
            total = total / HUNDRED
            if r.trace is not None:
                r.trace.append(T.WeightedSum(tuple(seen), total, span))
            return total

        return weighted

    def x_By(self, e: A.By, scope: dict[str, Fn]) -> Fn:
        subject = self.expr(A.Name(e.subject, e.span), scope)
        cases: dict[Any, tuple[Fn, Span]] = {}
        default: tuple[Fn, Span] | None = None
        for c in e.cases:
            fn = self.expr(c.body, scope)
            if not c.keys:
                default = (fn, c.span)
            for k in c.keys:
                cases[k] = (fn, c.span)
        name, span = e.subject, e.span

        def by(r: RowEnv) -> Any:
            key = subject(r)
            hit = cases.get(key, default)
            if r.trace is not None:
                r.trace.append(T.CaseChosen(name, key, hit[1] if hit else None, span))
            return None if hit is None else hit[0](r)

        return by

    def x_Table(self, e: A.Table, scope: dict[str, Fn]) -> Fn:
        from policyc.backend.closures.tables import compile_table

        return compile_table(self, e, scope)

    def x_Call(self, e: A.Call, scope: dict[str, Fn]) -> Fn:
        from policyc.backend.closures.calls import compile_call

        return compile_call(self, e, scope)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}


def compile_plan(model: Model, source_text: str) -> Plan:
    """Lift, order and compile a checked model into a runnable plan."""
    lifted, hidden = lift(model)
    order, _cycles = topo_order(lifted)
    field_names = list(lifted.fields)
    # a definition or state with a field's name gets its own slot; `record.x` keeps the field's
    field_slots = {n: i for i, n in enumerate(field_names)}
    value_slots = dict(field_slots)
    next_slot = len(field_names)
    for n in order:
        value_slots[n] = next_slot
        next_slot += 1
    comp = Compiler(lifted, value_slots, source_text)
    traced = Compiler(lifted, value_slots, source_text, tracing=True)
    owners = _owners(lifted, order, hidden)
    steps: list[Step] = []
    for n in order:
        comp.defining = traced.defining = owners.get(n) or _reader(lifted, n) or n
        if n in lifted.states:
            steps.append(_state_step(comp, lifted.states[n], value_slots[n], field_slots))
            continue
        d = lifted.defs[n]
        if isinstance(d.body, A.Call) and (
            d.body.func == "rank" or isinstance(d.body.clause, A.Among)
        ):
            steps.append(_group_step(comp, n, d.body, value_slots[n]))
            steps[-1].owner = owners.get(n)  # type: ignore[union-attr]
            continue
        step = RowStep(n, value_slots[n], comp.expr(d.body), d.span, hidden=n in owners)
        step.traced, step.owner = traced.expr(d.body), owners.get(n)
        ov = lifted.overrides.get(n)
        if ov is not None and ov.field in field_slots:
            reason = field_slots.get(ov.reason_field) if ov.reason_field else None
            step.override = (field_slots[ov.field], reason, ov.reason_text, ov.span)
        steps.append(step)
    outputs = [(o.name, value_slots[o.name]) for o in lifted.outputs if o.name in value_slots]
    return Plan(lifted, value_slots, next_slot, field_names, steps, outputs, hidden, source_text)


def _owners(m: Model, order: list[str], hidden: dict[str, A.Expr]) -> dict[str, str | None]:
    """Each hidden step (`_...`) -> the definition or state that reads it in the same month,
    through other hidden steps; None when it is read only from other months (`previous`)."""
    is_hidden = {n for n in hidden if n.startswith("_")}
    owners: dict[str, str | None] = dict.fromkeys(is_hidden)
    for n in order:
        if n in is_hidden:
            continue
        todo = [d for d in dependencies(m, n) if d in is_hidden]
        while todo:
            h = todo.pop()
            if owners[h] is None:
                owners[h] = n
                todo.extend(d for d in dependencies(m, h) if d in is_hidden)
    return owners


def _reader(m: Model, name: str) -> str | None:
    """A definition that reads `name` in any way (`previous(x * 2)` reads `x * 2`)."""
    if not name.startswith("_"):
        return None
    for n, d in m.defs.items():
        if any(x.name == name for x in names_in(d.body)):
            return _reader(m, n) or n
    return None


def _state_step(
    comp: Compiler, st: A.StateDecl, slot: int, field_slots: dict[str, int]
) -> StateStep:
    start = comp.expr(st.start)
    column = st.start.name if isinstance(st.start, A.FieldRef | A.Name) else st.name
    ladder = comp.ladders.get(st.ladder) if st.ladder else None
    transitions: list[tuple[str, int, Fn, Fn | None, Span]] = []
    for t in st.transitions:
        value = comp.expr(t.value) if t.value is not None else None
        transitions.append((t.kind, t.steps, comp.expr(t.cond), value, t.span))
    return StateStep(st.name, slot, start, ladder, transitions, column, st.span)


def _group_step(comp: Compiler, name: str, call: A.Call, slot: int) -> GroupStep:
    clause = call.clause if isinstance(call.clause, A.Among) else None
    cond = comp.expr(clause.cond) if clause else (lambda r: True)
    # `per team` alone is lowered as `among true per team`: nobody wrote that condition
    written = clause is not None and not implicit_condition(clause)
    cond_text = _text(clause.cond.span, comp.text) if clause and written else "everyone"
    per = clause.per if clause else None
    keys = [
        (
            comp.expr(a.value),
            (a.order or ("desc" if call.func == "rank" else "asc")) == "desc",
            _text(a.value.span, comp.text),
        )
        for a in call.args
    ]
    kind = call.func
    return GroupStep(
        name,
        slot,
        kind,
        keys,
        cond,
        cond_text,
        comp.slots.get(per) if per else None,
        per,
        call.span,
    )


__all__ = ["ROUNDING_MODES", "Plan", "compile_plan", "ord_month"]
