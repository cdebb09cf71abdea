"""Checked model -> `Program`: names resolved once, functions inlined, steps as data.

What a name means is decided here and nowhere else: a parameter is the argument's node, a
field, definition, state or hidden step is a `Slot`, anything else a label `Const` (the
checker has vetted it). Where an explanation shows an expression worked out is decided here
too (`Worked`, `Operand`, `If.traced`, `Round.traced`), so every backend and the tracer
agree on it. Types come from the one run of the type checker (`Model.typer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass, replace
from typing import Any

from policyc.ir import nodes as N
from policyc.semantics.builtins import AGGREGATES, BUILTINS, SHOWN_WORKED
from policyc.semantics.lift import lift
from policyc.semantics.model import Model, dependencies, topo_order
from policyc.semantics.types import ANY, BOOL, Ty, Typer, const, label, shared
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.lower import implicit_condition
from policyc.syntax.walk import names_in

_ARITH = (A.BinOp, A.Neg)
_COND = (A.BinOp, A.Neg, A.Compare, A.Is, A.In, A.And, A.Or, A.Not)


class BuildError(Exception):
    """A model the checker would have rejected (an unknown function, a cohort call where
    it cannot run): the IR is only built from checked policies."""


class _Builder:
    def __init__(self, m: Model, slots: dict[str, int], text: str, typer: Typer) -> None:
        self.m = m
        self.slots = slots
        self.field_slots = {n: i for i, n in enumerate(m.fields)}
        self.text = text
        self.typer = typer
        self.hidden_types: dict[str, Ty] = {}
        self.windows = {n: self._window(w) for n, w in m.windows.items()}
        self.defining = ""
        self.cap: str | None = None  # inside a Worked expression: arith or cond
        self.quiet = 0  # inside a table cell (read again to explain a row): no trace points
        self.inlined = 0  # inside an inlined function body: types depend on the call
        self._nid = 0

    # -- helpers ---------------------------------------------------------------------
    def nid(self) -> int:
        self._nid += 1
        return self._nid

    def source(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def ty(self, e: A.Expr) -> Ty:
        if isinstance(e, A.Name) and e.name in self.hidden_types:
            return self.hidden_types[e.name]
        t = self.typer.known(e)
        if t is None and not self.inlined:
            t = self.typer.of(e)
        return t or ANY

    def _window(self, w: A.WindowDecl) -> N.WindowRef:
        months: dict[Any, int] = {}
        default = None
        for c in w.cases:
            if not c.keys:
                default = c.months
            for k in c.keys:
                months[k] = c.months
        if w.by is None and w.cases:
            default = w.cases[0].months
        subject = self.slots.get(w.by) if w.by else None
        return N.WindowRef(w.name, subject, w.by, tuple(months.items()), default)

    def ladder(self, name: str | None) -> N.LadderRef | None:
        lad = self.m.ladders.get(name or "")
        if lad is None:
            return None
        steps: dict[Any, tuple[str, ...]] = {}
        default = None
        for c in lad.cases:
            if not c.keys:
                default = c.steps
            for k in c.keys:
                steps[k] = c.steps
        subject = self.slots.get(lad.by) if lad.by else None
        return N.LadderRef(lad.name, subject, lad.by, tuple(steps.items()), default)

    # -- expressions: where the trace points go ---------------------------------------
    def expr(self, e: A.Expr, scope: dict[str, N.Expr]) -> N.Expr:
        if self.cap is not None:  # inside a Worked expression: operators stay, operands shown
            if self._literal(e, scope):
                return self.node(e, scope)
            if isinstance(e, _ARITH if self.cap == "arith" else _COND):
                return self.node(e, scope)
            return self._operand(e, scope)
        if self.quiet == 0:
            if isinstance(e, A.BinOp) or (isinstance(e, A.Call) and e.func in SHOWN_WORKED):
                return self._worked(e, scope, "arith")
            if isinstance(e, _COND):
                return self._worked(e, scope, "cond")
        return self.node(e, scope)

    def _literal(self, e: A.Expr, scope: dict[str, N.Expr]) -> bool:
        if isinstance(e, A.Num | A.Str | A.Bool | A.NoneLit):
            return True
        return (
            isinstance(e, A.Name)
            and e.name not in scope
            and (e.name not in self.slots or e.name in self.m.windows)
        )

    def _operand(self, e: A.Expr, scope: dict[str, N.Expr]) -> N.Expr:
        cap, self.cap = self.cap, None  # a part inside it (an argument) is traced on its own
        try:
            inner = self.expr(e, scope)
        finally:
            self.cap = cap
        return N.Operand(inner, nid=self.nid(), ty=inner.ty, span=e.span)

    def _worked(self, e: A.Expr, scope: dict[str, N.Expr], kind: str) -> N.Expr:
        self.cap = kind
        try:
            inner = self.node(e, scope)
        finally:
            self.cap = None
        return N.Worked(kind, inner, nid=self.nid(), ty=inner.ty, span=e.span)  # type: ignore[arg-type]

    # -- expressions: one node each ------------------------------------------------------
    def node(self, e: A.Expr, scope: dict[str, N.Expr]) -> N.Expr:
        method = getattr(self, "x_" + type(e).__name__)
        out: N.Expr = method(e, scope)
        return out

    def x_Num(self, e: A.Num, scope: dict[str, N.Expr]) -> N.Expr:
        return N.Const(e.value, False, e.percent, nid=self.nid(), ty=const(e.value), span=e.span)

    def x_Str(self, e: A.Str, scope: dict[str, N.Expr]) -> N.Expr:
        return N.Const(e.value, nid=self.nid(), ty=label(e.value), span=e.span)

    def x_Bool(self, e: A.Bool, scope: dict[str, N.Expr]) -> N.Expr:
        return N.Const(e.value, nid=self.nid(), ty=BOOL, span=e.span)

    def x_NoneLit(self, e: A.NoneLit, scope: dict[str, N.Expr]) -> N.Expr:
        return N.Const(None, nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_Name(self, e: A.Name, scope: dict[str, N.Expr]) -> N.Expr:
        if e.name in scope:
            return scope[e.name]  # a parameter: the argument, built where it was passed
        if e.name in self.slots and e.name not in self.m.windows:
            return N.Slot(e.name, self.slots[e.name], nid=self.nid(), ty=self.ty(e), span=e.span)
        return N.Const(e.name, True, nid=self.nid(), ty=label(e.name), span=e.span)

    def x_FieldRef(self, e: A.FieldRef, scope: dict[str, N.Expr]) -> N.Expr:
        slot = self.field_slots[e.name]
        return N.Slot(e.name, slot, nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_BinOp(self, e: A.BinOp, scope: dict[str, N.Expr]) -> N.Expr:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        return N.Arith(e.op, left, right, nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_Neg(self, e: A.Neg, scope: dict[str, N.Expr]) -> N.Expr:
        return N.Neg(self.expr(e.operand, scope), nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_Compare(self, e: A.Compare, scope: dict[str, N.Expr]) -> N.Expr:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        # `x >= 120%`: x is shown as a percentage too, as the bound is written
        if _percent(e.right) and isinstance(left, N.Operand):
            left = replace(left, percent=True)
        if _percent(e.left) and isinstance(right, N.Operand):
            right = replace(right, percent=True)
        return N.Compare(e.op, left, right, nid=self.nid(), ty=BOOL, span=e.span)

    def x_Is(self, e: A.Is, scope: dict[str, N.Expr]) -> N.Expr:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        return N.Is(left, right, e.negated, nid=self.nid(), ty=BOOL, span=e.span)

    def x_In(self, e: A.In, scope: dict[str, N.Expr]) -> N.Expr:
        left = self.expr(e.left, scope)
        items = tuple(self.expr(i, scope) for i in e.items)
        return N.In(left, items, nid=self.nid(), ty=BOOL, span=e.span)

    def x_And(self, e: A.And, scope: dict[str, N.Expr]) -> N.Expr:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        return N.And(left, right, nid=self.nid(), ty=BOOL, span=e.span)

    def x_Or(self, e: A.Or, scope: dict[str, N.Expr]) -> N.Expr:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        return N.Or(left, right, nid=self.nid(), ty=BOOL, span=e.span)

    def x_Not(self, e: A.Not, scope: dict[str, N.Expr]) -> N.Expr:
        return N.Not(self.expr(e.operand, scope), nid=self.nid(), ty=BOOL, span=e.span)

    def x_If(self, e: A.If, scope: dict[str, N.Expr]) -> N.Expr:
        traced = self.cap is None and self.quiet == 0
        if traced:  # the condition is shown with its operands, the branch taken after it
            self.cap = "cond"
            try:
                cond = self.expr(e.cond, scope)
            finally:
                self.cap = None
        else:
            cond = self.expr(e.cond, scope)
        then, other = self.expr(e.then, scope), self.expr(e.otherwise, scope)
        return N.If(cond, then, other, traced, nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_Weighted(self, e: A.Weighted, scope: dict[str, N.Expr]) -> N.Expr:
        terms = []
        for t in e.terms:
            name = t.value.name if isinstance(t.value, A.Name) else self.source(t.value.span)
            terms.append(N.Term(self.expr(t.value, scope), t.weight, name))
        return N.Weighted(tuple(terms), self.defining, nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_By(self, e: A.By, scope: dict[str, N.Expr]) -> N.Expr:
        subject = self.expr(A.Name(e.subject, e.span), scope)
        arms = tuple(N.Arm(c.keys, self.expr(c.body, scope), c.span) for c in e.cases)
        return N.Case(subject, e.subject, arms, nid=self.nid(), ty=self.ty(e), span=e.span)

    def x_Table(self, e: A.Table, scope: dict[str, N.Expr]) -> N.Expr:
        inputs = tuple(self.expr(i, scope) for i in e.inputs)
        rows = []
        for row in e.rows:
            checks = tuple(
                c for i, cell in enumerate(row.cells) for c in self._cell(i, cell, scope)
            )
            rows.append(N.TableRow(checks, self.expr(row.result, scope), row.otherwise, row.span))
        names = tuple(self.source(i.span) for i in e.inputs)
        return N.Table(
            e.hit, e.band, inputs, names, tuple(rows), nid=self.nid(), ty=self.ty(e), span=e.span
        )

    def _cell(self, i: int, cell: A.Cell, scope: dict[str, N.Expr]) -> list[N.Check]:
        """A cell's checks; their bounds are read again to explain a row: no trace points."""
        if isinstance(cell, A.AnyCell):
            return []
        self.quiet += 1
        try:
            if isinstance(cell, A.BoundsCell):
                return [
                    N.Check(i, b.op, (self.expr(b.value, scope),), _percent(b.value))
                    for b in cell.bounds
                ]
            values = tuple(self.expr(v, scope) for v in cell.values)
        finally:
            self.quiet -= 1
        percent = all(_percent(v) for v in cell.values)
        return [N.Check(i, "=" if len(values) == 1 else "in", values, percent)]

    # -- calls ------------------------------------------------------------------------
    def x_Call(self, e: A.Call, scope: dict[str, N.Expr]) -> N.Expr:
        if e.func in self.m.functions:
            return self._inline(e, scope)
        spec = BUILTINS.get(e.func)
        if spec is None:
            raise BuildError(f"unknown function `{e.func}`")
        if isinstance(e.clause, A.Over):
            return self._window_aggregate(e)
        if spec.lowering == "cohort" or isinstance(e.clause, A.Among):
            raise BuildError(f"`{e.func}` over a cohort runs as a step of its own")
        if spec.lowering == "history":
            return self._history(e)
        if spec.lowering == "window":
            return N.WindowTest(
                e.func, self._window_arg(e, 0), nid=self.nid(), ty=BOOL, span=e.span
            )
        if spec.rounding is not None:
            return self._round(e, scope, spec.rounding)
        args = tuple(self.expr(a.value, scope) for a in e.args)
        return N.Call(e.func, args, nid=self.nid(), ty=self.ty(e), span=e.span)

    def _inline(self, e: A.Call, scope: dict[str, N.Expr]) -> N.Expr:
        """A user function is inlined at each call: its parameters bound to the arguments."""
        fn = self.m.functions[e.func]
        inner = dict(scope)
        for param, arg in zip(fn.params, e.args, strict=False):
            inner[param] = self.expr(arg.value, scope)
        self.inlined += 1
        try:
            return self.expr(fn.body, inner)
        finally:
            self.inlined -= 1

    def _slot_arg(self, e: A.Call, index: int = 0) -> tuple[str, int]:
        arg = e.args[index].value
        if not isinstance(arg, A.Name) or arg.name not in self.slots:
            raise BuildError("lift() names every aggregate argument")
        return arg.name, self.slots[arg.name]

    def _window_arg(self, e: A.Call, index: int) -> N.WindowRef:
        arg = e.args[index].value
        if not isinstance(arg, A.Name) or arg.name not in self.windows:
            raise BuildError(f"`{e.func}` needs a window")
        return self.windows[arg.name]

    def _history(self, e: A.Call) -> N.Expr:
        name, slot = self._slot_arg(e)
        back, window = 1, None
        if e.func == "previous" and len(e.args) > 1 and isinstance(e.args[1].value, A.Num):
            back = int(e.args[1].value.value)
        if e.func == "previous_window":
            window = self._window_arg(e, 1)
        return N.History(
            e.func, name, slot, back, window, nid=self.nid(), ty=self.ty(e), span=e.span
        )

    def _window_aggregate(self, e: A.Call) -> N.Expr:
        assert isinstance(e.clause, A.Over)
        over = e.clause
        name, slot = self._slot_arg(e)
        window = self.windows[over.window] if over.window is not None else None
        last = None if over.window is not None else (over.last or 1)
        return N.WindowAggregate(
            e.func,
            name,
            slot,
            window,
            last,
            over.ignoring_missing,
            nid=self.nid(),
            ty=self.ty(e),
            span=e.span,
        )

    def _round(self, e: A.Call, scope: dict[str, N.Expr], mode: str) -> N.Expr:
        value = self.expr(e.args[0].value, scope)
        places = 0
        if len(e.args) > 1 and isinstance(e.args[1].value, A.Num):
            places = int(e.args[1].value.value)
        if len(e.args) > 2 and isinstance(e.args[2].value, A.Name):
            mode = e.args[2].value.name
        traced = self.quiet == 0
        return N.Round(
            e.func, value, places, mode, traced, nid=self.nid(), ty=self.ty(e), span=e.span
        )


def _percent(e: A.Expr) -> bool:
    return isinstance(e, A.Num) and e.percent


# ---- steps -------------------------------------------------------------------------------


def build(model: Model, source: SourceFile | str) -> Program:
    """The IR of a checked model (lifted, ordered, every expression resolved)."""
    text = source.text if isinstance(source, SourceFile) else source
    src = source if isinstance(source, SourceFile) else SourceFile.of("policy", text)
    typer = model.typer if isinstance(model.typer, Typer) else shared(model, src)
    lifted, hidden = lift(model)
    order, _cycles = topo_order(lifted)
    field_names = list(lifted.fields)
    field_slots = {n: i for i, n in enumerate(field_names)}
    slots = _numbered(field_names, order)
    b = _Builder(lifted, slots, text, typer)
    for name, e in hidden.items():
        if name.startswith("_"):
            b.hidden_types[name] = typer.known(e) or ANY
    owners = _owners(lifted, order, hidden)
    steps: list[N.Step] = []
    for n in order:
        b.defining = owners.get(n) or _reader(lifted, n) or n
        reads = tuple(sorted(dependencies(lifted, n), key=lambda d: slots.get(d, -1)))
        if n in lifted.states:
            steps.append(_state_step(b, lifted.states[n], n, slots[n], reads, field_slots))
            continue
        d = lifted.defs[n]
        if isinstance(d.body, A.Call) and (
            d.body.func == "rank" or isinstance(d.body.clause, A.Among)
        ):
            steps.append(_group_step(b, n, d.body, slots[n], reads, owners.get(n)))
            continue
        expr = b.expr(d.body, {})
        override = None
        ov = lifted.overrides.get(n)
        if ov is not None and ov.field in field_slots:
            reason = field_slots.get(ov.reason_field) if ov.reason_field else None
            override = N.Override(
                ov.field, field_slots[ov.field], ov.reason_field, reason, ov.reason_text, ov.span
            )
        steps.append(
            N.RowStep(
                n,
                slots[n],
                expr,
                reads,
                _history_reads(expr),
                n in owners,
                owners.get(n),
                override,
                d.span,
            )
        )
    outputs = tuple((o.name, slots[o.name]) for o in lifted.outputs if o.name in slots)
    return N.Program(
        model.policy.name,
        model.policy.version,
        tuple(model.key),
        model.period_field,
        tuple(field_names),
        tuple(slots.items()),
        len(field_names) + len(order),
        tuple(steps),
        outputs,
        tuple((n, e.span) for n, e in hidden.items() if n.startswith("_")),
    )


Program = N.Program


def _numbered(field_names: list[str], order: list[str]) -> dict[str, int]:
    """One slot per field, then one per definition and state in evaluation order; a
    definition or state with a field's name gets its own (`record.x` keeps the field's)."""
    slots = {n: i for i, n in enumerate(field_names)}
    for i, n in enumerate(order):
        slots[n] = len(field_names) + i
    return slots


def _state_step(
    b: _Builder,
    st: A.StateDecl,
    name: str,
    slot: int,
    reads: tuple[str, ...],
    field_slots: dict[str, int],
) -> N.StateStep:
    start = b.expr(st.start, {})
    column = st.start.name if isinstance(st.start, A.FieldRef | A.Name) else st.name
    moves = tuple(
        N.Move(
            t.kind,
            t.steps,
            b.expr(t.cond, {}),
            b.expr(t.value, {}) if t.value is not None else None,
            t.span,
        )
        for t in st.transitions
    )
    exprs: list[N.Expr] = [start, *(m.cond for m in moves), *(m.value for m in moves if m.value)]
    history = tuple(dict.fromkeys([name, *(h for e in exprs for h in _history_reads(e))]))
    return N.StateStep(
        name, slot, start, b.ladder(st.ladder), moves, column, reads, history, st.span
    )


def _group_step(
    b: _Builder,
    name: str,
    call: A.Call,
    slot: int,
    reads: tuple[str, ...],
    owner: str | None,
) -> N.GroupStep:
    clause = call.clause if isinstance(call.clause, A.Among) else None
    cond = b.expr(clause.cond, {}) if clause else None
    # `per team` alone is lowered as `among true per team`: nobody wrote that condition
    written = clause is not None and not implicit_condition(clause)
    cond_text = b.source(clause.cond.span) if clause and written else "everyone"
    per = clause.per if clause else None
    default_order = "desc" if call.func == "rank" else "asc"
    keys = tuple(
        N.RankKey(b.expr(a.value, {}), (a.order or default_order) == "desc", b.source(a.value.span))
        for a in call.args
    )
    exprs = [k.value for k in keys] + ([cond] if cond is not None else [])
    history = tuple(dict.fromkeys(h for e in exprs for h in _history_reads(e)))
    return N.GroupStep(
        name,
        slot,
        call.func,
        keys,
        cond,
        cond_text,
        per,
        b.slots.get(per) if per else None,
        reads,
        history,
        owner,
        call.span,
    )


def walk(e: Any) -> Iterator[N.Expr]:
    """Every expression node inside `e` (a node, a step, or anything holding them)."""
    if isinstance(e, tuple):
        for x in e:
            yield from walk(x)
        return
    if not is_dataclass(e) or isinstance(e, type):
        return
    if isinstance(e, N.Node):
        yield e  # type: ignore[misc]
    for f in fields(e):
        if f.name not in ("span", "ty", "nid"):
            yield from walk(getattr(e, f.name))


def _history_reads(e: N.Expr) -> tuple[str, ...]:
    """The slots an expression reads from earlier months."""
    return tuple(
        dict.fromkeys(x.name for x in walk(e) if isinstance(x, N.History | N.WindowAggregate))
    )


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


__all__ = ["AGGREGATES", "BuildError", "Program", "build", "walk"]
