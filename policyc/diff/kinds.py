"""What an output measures, for summaries: does adding it up across rows mean anything?

A total of pay or of a count is what HR asks for; a total of ranks, scores or averages is
noise. The value types do not tell these apart (a rank and a bonus are both whole numbers),
so the definition is read: what it computes at its root (rank, mean, weighted, count), the
record fields it reads (a `money` field) and, for constants from a table, its name.
"""

from __future__ import annotations

import re
from typing import Literal

from policyc.semantics.model import Model
from policyc.syntax import ast as A
from policyc.syntax.walk import names_in

Measure = Literal["money", "count", "rank", "score", "label", "other"]
PAY_WORDS = re.compile(
    r"pay|bonus|salary|wage|allowance|commission|fine|award|amount|deduction|工资|奖|薪|津贴|提成|罚",
    re.IGNORECASE,
)


def _roots(m: Model, e: A.Expr, seen: set[str]) -> list[A.Expr]:
    """The expressions that give `e` its value: through `if` branches, `by` cases,
    `default(...)`, `round(...)` and names of other definitions."""
    match e:
        case A.If():
            return _roots(m, e.then, seen) + _roots(m, e.otherwise, seen)
        case A.By():
            return [r for c in e.cases for r in _roots(m, c.body, seen)]
        case A.Call() if (
            e.func in ("default", "round", "round_down", "round_up", "clamp") and e.args
        ):
            return [r for a in e.args[:1] for r in _roots(m, a.value, seen)]
        case A.Name() if e.name in m.defs and e.name not in seen:
            seen.add(e.name)
            return _roots(m, m.defs[e.name].body, seen)
    return [e]


def measure(m: Model, name: str) -> Measure:
    """`money` and `count` add up; `rank` and `score` (weighted sums, averages) do not."""
    if name in m.states:
        return "label" if m.states[name].ladder else "other"
    d = m.defs.get(name)
    if d is None:
        f = m.fields.get(name)
        kind = f.type.kind if f is not None else ""
        return "money" if kind == "money" else "score" if kind in ("score", "percent") else "other"
    roots = [r for r in _roots(m, d.body, {name}) if not isinstance(r, A.NoneLit)]
    if any(isinstance(r, A.Call) and r.func == "rank" for r in roots):
        return "rank"
    if roots and all(isinstance(r, A.Call) and r.func == "count" for r in roots):
        return "count"
    if any(
        isinstance(r, A.Weighted) or (isinstance(r, A.Call) and r.func == "mean") for r in roots
    ):
        return "score"
    if _reads_money(m, d.body, set()) or PAY_WORDS.search(name):
        return "money"
    return "other"


def _reads_money(m: Model, e: A.Expr, seen: set[str]) -> bool:
    for n in names_in(e):
        f = m.fields.get(n.name)
        if f is not None and n.name not in m.defs and f.type.kind == "money":
            return True
        if n.name in m.defs and n.name not in seen:
            seen.add(n.name)
            if measure_is_rank_or_score(m, n.name):
                continue
            if _reads_money(m, m.defs[n.name].body, seen):
                return True
    return False


def measure_is_rank_or_score(m: Model, name: str) -> bool:
    d = m.defs.get(name)
    if d is None:
        return False
    roots = _roots(m, d.body, {name})
    return any(
        isinstance(r, A.Weighted) or (isinstance(r, A.Call) and r.func in ("rank", "mean"))
        for r in roots
    )


def adds_up(m: Model, name: str) -> bool:
    return measure(m, name) in ("money", "count")
