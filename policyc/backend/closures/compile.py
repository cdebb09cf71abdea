"""The closure backend: the IR (`policyc.ir`) compiled to one Python closure per node.

Each step's expression becomes a closure `Fn(RowEnv) -> value` that applies the null rule;
closures for plain slots, constant comparisons and weighted sums of slots index the row
directly, because that is the hot path. The trace points of the tree (`Worked`, `Operand`,
`If.traced`, `Round.traced`) are read through on that path. Only when a row is to be
explained does the plan compile, once and from the same tree, each row step's `traced`
closure, which honours the trace points: it records how arithmetic and yes/no expressions
were worked out, which branch of an `if` was taken and how a value was rounded.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from policyc.ir import nodes as N
from policyc.ir.build import build
from policyc.runtime import trace as T
from policyc.runtime.codes import BLANK_WEIGHT, DIVISION_BY_ZERO
from policyc.runtime.plan import Fn, GroupStep, LadderInfo, Plan, RowStep, StateStep, Step
from policyc.runtime.values import ROUNDING_MODES, RowEnv, RowFailure, ord_month
from policyc.semantics.lift import lift
from policyc.semantics.model import Model
from policyc.source import SourceFile, Span

ZERO = Decimal(0)
HUNDRED = Decimal(100)

_UNREAD = object()  # an operand that was not evaluated (the other side of `and` decided)


class _Capture:
    """The operands of one traced expression, filled in each time it is evaluated."""

    __slots__ = ("kind", "percent", "spans", "values")

    def __init__(self, kind: str) -> None:
        self.kind = kind
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


def _plain(e: N.Expr) -> N.Expr:
    """The node under any trace-point wrappers."""
    while isinstance(e, N.Worked | N.Operand):
        e = e.expr
    return e


class Compiler:
    def __init__(self, text: str, tracing: bool = False) -> None:
        self.text = text
        self.tracing = tracing  # honour the trace points (the `traced` closures)
        self._cap: _Capture | None = None

    def expr(self, e: N.Expr) -> Fn:
        fn: Fn = getattr(self, "x_" + type(e).__name__)(e)
        return fn

    def slot_of(self, e: N.Expr) -> int | None:
        """The slot a plain value reads, so hot closures can index the row directly.

        Never when tracing: a traced operand must go through its closure to be seen."""
        if self.tracing:
            return None
        e = _plain(e)
        return e.slot if isinstance(e, N.Slot) else None

    @staticmethod
    def window_months(w: N.WindowRef) -> Callable[[RowEnv], int | None]:
        if w.subject is None:
            n = w.default
            return lambda r: n
        subject, months, default = w.subject, dict(w.months), w.default
        return lambda r: months.get(r.v[subject], default)

    # -- trace points ---------------------------------------------------------------------
    def x_Worked(self, e: N.Worked) -> Fn:
        if not self.tracing:
            return self.expr(e.expr)
        cap = _Capture(e.kind)
        outer, self._cap = self._cap, cap
        try:
            f = self.expr(e.expr)
        finally:
            self._cap = outer
        span = e.span
        event = T.Worked if e.kind == "arith" else T.Condition

        def worked(r: RowEnv) -> Any:
            cap.start()
            v = f(r)
            if r.trace is not None:
                r.trace.append(event(cap.operands(), v, span))
            return v

        return worked

    def x_Operand(self, e: N.Operand) -> Fn:
        cap = self._cap
        if not self.tracing or cap is None:
            return self.expr(e.expr)
        self._cap = None  # a part inside it (a call's argument) is traced on its own
        try:
            f = self.expr(e.expr)
        finally:
            self._cap = cap
        i = len(cap.spans)
        cap.spans.append(e.span)
        cap.percent.append(e.percent)

        def operand(r: RowEnv) -> Any:
            v = cap.values[i] = f(r)
            return v

        return operand

    # -- leaves ------------------------------------------------------------------------------
    def x_Const(self, e: N.Const) -> Fn:
        v = e.value
        return lambda r: v

    def x_Slot(self, e: N.Slot) -> Fn:
        k = e.slot
        return lambda r: r.v[k]

    # -- operators -----------------------------------------------------------------------------
    def x_Arith(self, e: N.Arith) -> Fn:
        lf, rf = self.expr(e.left), self.expr(e.right)
        where = self.text[e.span.start : e.span.end]
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
                raise RowFailure("", f"division by zero in `{where}`", DIVISION_BY_ZERO)
            return a / b

        return div

    def x_Neg(self, e: N.Neg) -> Fn:
        f = self.expr(e.operand)
        return lambda r: None if (v := f(r)) is None else -v

    def x_Compare(self, e: N.Compare) -> Fn:
        lf, rf = self.expr(e.left), self.expr(e.right)
        op = COMPARE[e.op]
        k = self.slot_of(e.left)
        right = _plain(e.right)
        if k is not None and isinstance(right, N.Const) and isinstance(right.value, Decimal):
            c = right.value
            return lambda r: None if (a := r.v[k]) is None else op(a, c)

        def cmp(r: RowEnv) -> Any:
            a, b = lf(r), rf(r)
            return None if a is None or b is None else op(a, b)

        return cmp

    def x_Is(self, e: N.Is) -> Fn:
        lf = self.expr(e.left)
        right = _plain(e.right)
        if isinstance(right, N.Const) and right.value is None:
            if e.negated:
                return lambda r: lf(r) is not None
            return lambda r: lf(r) is None
        rf = self.expr(e.right)
        if e.negated:  # exactly `not (x is y)`: none is not any label
            return lambda r: lf(r) != rf(r)
        k = self.slot_of(e.left)
        if k is not None and isinstance(right, N.Const):
            c = right.value
            return lambda r: r.v[k] == c
        return lambda r: lf(r) == rf(r)

    def x_In(self, e: N.In) -> Fn:
        lf = self.expr(e.left)
        items = [self.expr(i) for i in e.items]
        plain = [_plain(i) for i in e.items]
        if all(_constant(i) for i in plain):
            consts = frozenset(i.value for i in plain if isinstance(i, N.Const))
            k = self.slot_of(e.left)
            if k is not None:
                return lambda r: r.v[k] in consts
            return lambda r: lf(r) in consts
        return lambda r: (a := lf(r)) is not None and any(a == f(r) for f in items)

    def x_And(self, e: N.And) -> Fn:
        lf, rf = self.expr(e.left), self.expr(e.right)
        return lambda r: bool(lf(r)) and bool(rf(r))

    def x_Or(self, e: N.Or) -> Fn:
        lf, rf = self.expr(e.left), self.expr(e.right)
        return lambda r: bool(lf(r)) or bool(rf(r))

    def x_Not(self, e: N.Not) -> Fn:
        f = self.expr(e.operand)
        return lambda r: not f(r)

    def x_If(self, e: N.If) -> Fn:
        if self.tracing and e.traced:
            return self._branch(e)
        c, t, o = (self.expr(x) for x in (e.cond, e.then, e.otherwise))
        k = self.slot_of(e.cond)
        if k is not None:
            return lambda r: t(r) if r.v[k] else o(r)
        return lambda r: t(r) if c(r) else o(r)

    def _branch(self, e: N.If) -> Fn:
        cap = _Capture("cond")
        outer, self._cap = self._cap, cap
        try:
            c = self.expr(e.cond)
        finally:
            self._cap = outer
        t, o = self.expr(e.then), self.expr(e.otherwise)
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

    # -- composite rules -------------------------------------------------------------------
    def x_Weighted(self, e: N.Weighted) -> Fn:
        terms = [(self.expr(t.value), t.weight, t.name) for t in e.terms]
        span, defining = e.span, e.defining

        def blank(name: str, pct: Decimal) -> RowFailure:
            return RowFailure(
                name,
                f"`{name}` is blank, but it weighs {pct}% in this row's `{defining}`",
                BLANK_WEIGHT,
            )

        slots = [self.slot_of(t.value) for t in e.terms]
        if all(k is not None for k in slots):
            fast = [
                (int(k or 0), pct, name) for k, (_f, pct, name) in zip(slots, terms, strict=True)
            ]

            def weighted_slots(r: RowEnv) -> Any:
                v = r.v
                total = ZERO
                for k, pct, name in fast:
                    x = v[k]
                    if x is None:
                        raise blank(name, pct)
                    total += x * pct
                total = total / HUNDRED
                if r.trace is not None:
                    parts = tuple((n, v[k], p) for k, p, n in fast)
                    r.trace.append(T.WeightedSum(parts, total, span))
                return total

            return weighted_slots

        def weighted(r: RowEnv) -> Any:
            # sum of value x percent, divided by 100 once: exact, and no trailing zeros
            total = ZERO
            seen = []  # each term read once: reading it again would record its events twice
            for f, pct, name in terms:
                v = f(r)
                if v is None:
                    raise blank(name, pct)
                total += v * pct
                seen.append((name, v, pct))
            total = total / HUNDRED
            if r.trace is not None:
                r.trace.append(T.WeightedSum(tuple(seen), total, span))
            return total

        return weighted

    def x_Case(self, e: N.Case) -> Fn:
        subject = self.expr(e.subject)
        cases: dict[Any, tuple[Fn, Span]] = {}
        default: tuple[Fn, Span] | None = None
        for arm in e.arms:
            fn = self.expr(arm.body)
            if not arm.keys:
                default = (fn, arm.span)
            for k in arm.keys:
                cases[k] = (fn, arm.span)
        name, span = e.subject_name, e.span

        def by(r: RowEnv) -> Any:
            key = subject(r)
            hit = cases.get(key, default)
            if r.trace is not None:
                r.trace.append(T.CaseChosen(name, key, hit[1] if hit else None, span))
            return None if hit is None else hit[0](r)

        return by

    def x_Table(self, e: N.Table) -> Fn:
        from policyc.backend.closures.tables import compile_table

        return compile_table(self, e)

    def x_Call(self, e: N.Call) -> Fn:
        from policyc.backend.closures.calls import compile_call

        return compile_call(self, e)

    def x_Round(self, e: N.Round) -> Fn:
        from policyc.backend.closures.calls import compile_round

        return compile_round(self, e)

    def x_History(self, e: N.History) -> Fn:
        from policyc.backend.closures.calls import compile_history

        return compile_history(self, e)

    def x_WindowTest(self, e: N.WindowTest) -> Fn:
        from policyc.backend.closures.calls import compile_window_test

        return compile_window_test(self, e)

    def x_WindowAggregate(self, e: N.WindowAggregate) -> Fn:
        from policyc.backend.closures.calls import compile_window_aggregate

        return compile_window_aggregate(self, e)


def _constant(e: N.Expr) -> bool:
    """A label, text or number written in the policy (`role in (lead, senior)`)."""
    return isinstance(e, N.Const) and e.value is not None and not isinstance(e.value, bool)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}


def compile_plan(model: Model, source: SourceFile | str) -> Plan:
    """Build the IR of a checked model and compile it into a runnable plan."""
    text = source.text if isinstance(source, SourceFile) else source
    program = build(model, source)
    return compile_program(program, model, text)


def compile_program(program: N.Program, model: Model, text: str) -> Plan:
    """A plan whose steps run closures compiled from `program`."""
    comp = Compiler(text)
    steps: list[Step] = [_step(comp, s) for s in program.steps]
    lifted, hidden = lift(model)
    return Plan(
        lifted,
        dict(program.slots),
        program.nslots,
        list(program.field_names),
        steps,
        list(program.outputs),
        hidden,
        text,
        program,
        _compile_traced,
    )


def _compile_traced(plan: Plan) -> None:
    """Each row step's `traced` closure, from the same IR node as its `fn`."""
    comp = Compiler(plan.source_text, tracing=True)
    for step in plan.steps:
        if isinstance(step, RowStep) and step.ir is not None:
            step.traced = comp.expr(step.ir.expr)


def _step(comp: Compiler, s: N.Step) -> Step:
    if isinstance(s, N.RowStep):
        ov = s.override
        override = (ov.field_slot, ov.reason_slot, ov.reason_text, ov.span) if ov else None
        return RowStep(
            s.name, s.slot, comp.expr(s.expr), s.span, override, s.hidden, None, s.owner, s
        )
    if isinstance(s, N.GroupStep):
        cond_fn = comp.expr(s.cond) if s.cond is not None else (lambda r: True)
        keys = [(comp.expr(k.value), k.descending, k.text) for k in s.keys]
        return GroupStep(
            s.name,
            s.slot,
            s.kind,
            keys,
            cond_fn,
            s.cond_text,
            s.per_slot,
            s.per,
            s.span,
            s.owner,
            s,
        )
    transitions: list[tuple[str, int, Fn, Fn | None, Span]] = [
        (m.kind, m.steps, comp.expr(m.cond), comp.expr(m.value) if m.value else None, m.span)
        for m in s.moves
    ]
    ladder = LadderInfo.of(s.ladder) if s.ladder is not None else None
    return StateStep(
        s.name, s.slot, comp.expr(s.start), ladder, transitions, s.start_column, s.span, s
    )


__all__ = ["ROUNDING_MODES", "Compiler", "Plan", "compile_plan", "compile_program", "ord_month"]
