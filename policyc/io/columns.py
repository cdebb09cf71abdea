"""What each output column is, for writing and summing: money (and its places), a label
or yes/no (counted in the summary), or another value.

Money is followed through the policy's arithmetic, as units would be: money plus money,
money times a plain number, money divided by a plain number, a rounded, clamped or
averaged amount are money; money divided by money (a ratio) and every rank, count or score
are not. A definition added to money is money too (`total = base + bonus`). Money is shown
padded to 2 places (fen), or to the places a money field declares; a value with more
decimals keeps them (nothing is rounded on the way out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.source import SourceFile
from policyc.syntax import ast as A

MONEY_PLACES = 2  # money whose places the policy leaves open
_PRESERVING = {
    "round", "round_down", "round_up", "abs", "default", "clamp",
    "mean", "sum", "min", "max", "previous", "previous_row", "previous_window",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutKind:
    money: bool = False
    places: int | None = None  # money: the places every value is shown with
    categorical: bool = False  # a label or yes/no: counted per value in the summary


def output_kinds(plan: Plan) -> dict[str, OutKind]:
    """The kind of every output column (keys included)."""
    # imported here: semantics.types is reached through semantics.checks, which must load first
    from policyc.semantics.checks import check_model  # noqa: F401
    from policyc.semantics.types import Typer

    model = plan.model
    typer = Typer(model, SourceFile.of("<policy>", plan.source_text))
    money = _Money(plan)
    for name, _ in plan.outputs:
        if money.of_name(name):
            money.spread_name(name)
    out: dict[str, OutKind] = {}
    for name, _ in plan.outputs:
        try:
            t = typer.value(name)
        except Exception:  # the inference is a help here, never a reason to fail a run
            out[name] = OutKind()
            continue
        if t.kind in ("label", "bool"):
            out[name] = OutKind(categorical=True)
        elif t.kind == "num" and money.of_name(name):
            out[name] = OutKind(money=True, places=_declared_places(model, name))
        else:
            out[name] = OutKind()
    return out


def _declared_places(model: Any, name: str) -> int:
    """A money field declared `places N` shows N; any other money shows 2 (fen)."""
    f = model.fields.get(name)
    if f is not None and f.type.kind == "money" and f.type.places is not None:
        return int(f.type.places)
    return MONEY_PLACES


class _Money:
    def __init__(self, plan: Plan) -> None:
        self.m = plan.model
        self.hidden = plan.hidden
        self.memo: dict[str, bool] = {}
        self.spread_done: set[str] = set()

    def of_name(self, name: str) -> bool:
        if name in self.memo:
            return self.memo[name]
        self.memo[name] = False  # a value that reads itself: not money through that path
        m = self.m
        f = m.fields.get(name)
        if f is not None and name not in m.defs:
            got = f.type.kind == "money"
        elif name in m.defs:
            got = self.of(m.defs[name].body)
        elif name in self.hidden:
            got = self.of(self.hidden[name])
        else:
            got = False
        ov = m.overrides.get(name)
        if ov is not None and ov.field in m.fields:
            got = got or m.fields[ov.field].type.kind == "money"
        self.memo[name] = got
        return got

    def spread_name(self, name: str) -> None:
        """`name` is money: so is every definition added to it (`total = base + bonus`
        makes `bonus` money, though its table gives plain numbers)."""
        if name in self.spread_done:
            return
        self.spread_done.add(name)
        self.memo[name] = True
        if name in self.m.defs:
            self.spread(self.m.defs[name].body)
        elif name in self.hidden:
            self.spread(self.hidden[name])

    def spread(self, e: A.Expr) -> None:
        match e:
            case A.Name() | A.FieldRef():
                f = self.m.fields.get(e.name)
                if (
                    e.name in self.m.defs
                    or e.name in self.hidden
                    or (f is not None and f.type.kind == "money")
                ):
                    self.spread_name(e.name)
            case A.BinOp(op="+" | "-"):
                self.spread(e.left)
                self.spread(e.right)
            case A.Neg():
                self.spread(e.operand)
            case A.If():
                self.spread(e.then)
                self.spread(e.otherwise)
            case A.Call() if e.func in _PRESERVING:
                for a in e.args:
                    self.spread(a.value)
            case A.By():
                for c in e.cases:
                    self.spread(c.body)

    def of(self, e: A.Expr) -> bool:
        match e:
            case A.Name() | A.FieldRef():
                return self.of_name(e.name)
            case A.BinOp(op="+" | "-"):
                return self.of(e.left) or self.of(e.right)
            case A.BinOp(op="*"):
                return self.of(e.left) != self.of(e.right)
            case A.BinOp(op="/"):
                return self.of(e.left) and not self.of(e.right)
            case A.Neg():
                return self.of(e.operand)
            case A.If():
                return self.of(e.then) or self.of(e.otherwise)
            case A.Call():
                return e.func in _PRESERVING and any(self.of(a.value) for a in e.args)
            case A.Table():
                return any(self.of(r.result) for r in e.rows)
            case A.By():
                return any(self.of(c.body) for c in e.cases)
        return False
