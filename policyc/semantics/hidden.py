"""Hidden names: the user's definition a lifted name (`_rank_13_5`, `_arg_13_9`) stands in.

`lift.py` names each cohort call and aggregate argument after where it is written
(`_KIND_LINE_COLUMN`, with `_N` when two share a place). Such a name must never reach a
person: a report names the definition, state or output whose text holds that place.
"""

from __future__ import annotations

import re

from policyc.semantics.model import Model
from policyc.syntax import ast as A

_HIDDEN = re.compile(r"_[a-z]+_(\d+)_(\d+)(?:_\d+)?")
# `lift.py` names a hidden step after what holds it: `_OWNER.rank1`, `_OWNER.arg2`
_OWNED = re.compile(r"_(.+)\.[a-z_]+\d+")


def user_name(model: Model, name: str) -> str:
    """`name` itself, or for a hidden name the user's definition written around it."""
    owned = _OWNED.fullmatch(name)
    if owned is not None:
        return owned.group(1)
    m = _HIDDEN.fullmatch(name)
    if m is None:
        return name
    line, column = int(m.group(1)), int(m.group(2))
    for st in model.policy.stmts:
        items: list[tuple[str, A.Stmt | A.OutputItem]]
        if isinstance(st, A.Def | A.StateDecl):
            items = [(st.name, st)]
        elif isinstance(st, A.OutputDecl):
            items = [(i.name, i) for i in st.items]
        else:
            continue
        for owner, node in items:
            sp = node.span
            if (sp.line, sp.column) <= (line, column) <= (sp.end_line, sp.end_column):
                return owner
    return name
