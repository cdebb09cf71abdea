"""Desugaring before compilation: give every cohort call and every aggregate argument a slot.

`rank(...)`, `count(among ...)` and friends are computed over a whole period at once, and
an aggregate over a window reads one value per month; both are simplest to run when what
they read or produce is a named per-row value. This pass names them (hidden names start
with `_` and hold a `.`: `_team_rank.rank1`), so the IR builder sees only names in those
positions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from policyc.semantics.builtins import HISTORY
from policyc.semantics.model import AGGREGATES, Model
from policyc.syntax import ast as A

Rewrite = Callable[[A.Expr], A.Expr | None]


def rewrite(e: Any, fn: Rewrite) -> Any:
    """Bottom-up rewrite of every expression node inside `e` (including table cells)."""
    if isinstance(e, tuple):
        return tuple(rewrite(x, fn) for x in e)
    if not dataclasses.is_dataclass(e) or isinstance(e, type):
        return e
    changes = {}
    for f in dataclasses.fields(e):
        if f.name == "span":
            continue
        old = getattr(e, f.name)
        new = rewrite(old, fn)
        if new is not old:
            changes[f.name] = new
    node = dataclasses.replace(e, **changes) if changes else e  # type: ignore[type-var]
    replaced = fn(node) if isinstance(node, A.Expr) else None  # type: ignore[arg-type]
    return replaced if replaced is not None else node


def is_cohort(e: A.Expr) -> bool:
    return isinstance(e, A.Call) and (e.func == "rank" or isinstance(e.clause, A.Among))


def lift(model: Model) -> tuple[Model, dict[str, A.Expr]]:
    """A model whose cohort calls and aggregate arguments are hidden definitions.

    Returns the new model and, for each hidden name, the expression it stands for.
    """
    hidden: dict[str, A.Expr] = {}
    new_defs: dict[str, A.Def] = {}
    owner = [""]  # the definition, state or output being rewritten
    counts: dict[tuple[str, str], int] = {}

    def name_for(prefix: str, node: A.Expr) -> str:
        """`_OWNER.rank1`: named after what holds it, numbered in the order it is met, so
        the name does not change when a line moves (and `.` is in no name a user writes)."""
        key = (owner[0], prefix)
        counts[key] = counts.get(key, 0) + 1
        return f"_{owner[0]}.{prefix}{counts[key]}"

    def fn(node: A.Expr) -> A.Expr | None:
        if is_cohort(node):
            assert isinstance(node, A.Call)
            name = name_for(node.func, node)
            hidden[name] = node
            new_defs[name] = A.Def(name, node, (), node.span)
            return A.Name(name, node.span)
        if (
            isinstance(node, A.Call)
            and (
                (node.func in AGGREGATES and isinstance(node.clause, A.Over))
                or node.func in HISTORY
            )
            and node.args
            and not isinstance(node.args[0].value, A.Name)
        ):
            arg = node.args[0].value
            name = name_for("arg", arg)
            hidden[name] = arg
            new_defs[name] = A.Def(name, arg, (), arg.span)
            return dataclasses.replace(node, args=(A.Arg(A.Name(name, arg.span)), *node.args[1:]))
        return None

    m = dataclasses.replace(model)
    m.defs = {}
    for name, d in model.defs.items():
        owner[0] = name
        m.defs[name] = dataclasses.replace(d, body=rewrite(d.body, fn))
    m.states = {}
    for name, st in model.states.items():
        owner[0] = name
        m.states[name] = rewrite(st, fn)
    m.functions = dict(model.functions)
    # cohort calls inside functions are lifted per call site by inlining: not supported,
    # the checker reports them.
    outputs = []
    for item in model.outputs:
        if item.value is not None and item.name not in m.defs:
            owner[0] = item.name
            body = rewrite(item.value, fn)
            m.defs[item.name] = A.Def(item.name, body, (), item.span)
            hidden[item.name] = item.value
            outputs.append(A.OutputItem(item.name, None, item.span))
        else:
            outputs.append(item)
    m.outputs = outputs
    # hidden definitions may themselves hold cohort calls (a rank inside a count's filter)
    for name, d in new_defs.items():
        m.defs[name] = d
    return m, hidden
