"""Every built-in function, declared once.

The checks (names, arity, history, types), the IR builder (how a call lowers) and every
backend (one implementation per `lowering`/name) read this table; adding a built-in is one
`Builtin(...)` here and one implementation per backend (a test checks that each backend
implements every entry).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Literal

# the rounding modes a rounding function takes as its third argument
ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,  # 四舍五入, the default for money
    "half_even": decimal.ROUND_HALF_EVEN,  # banker's rounding
    "down": decimal.ROUND_DOWN,  # toward zero
    "up": decimal.ROUND_UP,  # away from zero
    "floor": decimal.ROUND_FLOOR,
    "ceiling": decimal.ROUND_CEILING,
}

# how a call lowers into the IR (policyc.ir.build):
#   pure      a function of this row's values            -> ir.Call
#   history   one value from an earlier month             -> ir.History
#   window    which months a window covers                 -> ir.WindowTest
#   aggregate over the months of a window (`over`), or     -> ir.WindowAggregate
#             over the rows of a period (`among`)          -> a group step
#   cohort    ranks the rows of a period                   -> a group step
Lowering = Literal["pure", "history", "window", "aggregate", "cohort"]
# what the call reads besides its arguments' values this month
Reads = Literal["row", "history", "window", "cohort"]
# the clause it takes: none; optional `over`/`among`; optional `among`; required one of them
Clause = Literal["none", "optional", "optional-among", "required"]
# how it types (policyc.semantics.types): the kind of value it gives
Typing = Literal["number", "bool", "same", "rounded", "aggregate", "rank"]


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    low: int  # fewest arguments (without a clause, for aggregates: with one, one value)
    high: int | None  # most arguments; None: any number
    clause: Clause
    lowering: Lowering
    reads: Reads
    typing: Typing
    help: str = ""
    window_arg: int | None = None  # the argument that names a window
    rounding: str | None = None  # the default rounding mode of a rounding function


_ALL = (
    Builtin("mean", 1, 1, "required", "aggregate", "window", "aggregate"),
    Builtin("sum", 1, 1, "required", "aggregate", "window", "aggregate"),
    Builtin("all", 1, 1, "required", "aggregate", "window", "aggregate"),
    Builtin("any", 1, 1, "required", "aggregate", "window", "aggregate"),
    Builtin("count", 0, 1, "required", "aggregate", "window", "aggregate"),
    Builtin(
        "min",
        2,
        None,
        "optional",
        "aggregate",
        "row",
        "aggregate",
        "`min(a, b)`, or `min(x over w)` / `min(x among ...)` for one value",
    ),
    Builtin(
        "max",
        2,
        None,
        "optional",
        "aggregate",
        "row",
        "aggregate",
        "`max(a, b)`, or `max(x over w)` / `max(x among ...)` for one value",
    ),
    Builtin(
        "previous",
        1,
        2,
        "none",
        "history",
        "history",
        "same",
        "`previous(x)` is last month's value, `previous(x, 2)` the value 2 months back",
    ),
    Builtin("closes", 1, 1, "none", "window", "window", "bool", window_arg=0),
    Builtin("complete", 1, 1, "none", "window", "window", "bool", window_arg=0),
    Builtin(
        "previous_window",
        2,
        2,
        "none",
        "history",
        "history",
        "same",
        "`previous_window(x, quarter)`: x as it was at the end of the last quarter",
        window_arg=1,
    ),
    Builtin(
        "previous_row",
        1,
        1,
        "none",
        "history",
        "history",
        "same",
        "`previous_row(x)`: x on the employee's previous row, however long ago",
    ),
    Builtin("rank", 1, None, "optional-among", "cohort", "cohort", "rank"),
    Builtin(
        "round",
        1,
        3,
        "none",
        "pure",
        "row",
        "rounded",
        "`round(x, 2)` or `round(x, 2, half_even)`",
        rounding="half_up",
    ),
    Builtin("round_down", 1, 3, "none", "pure", "row", "rounded", rounding="down"),
    Builtin("round_up", 1, 3, "none", "pure", "row", "rounded", rounding="up"),
    Builtin("abs", 1, 1, "none", "pure", "row", "number"),
    Builtin(
        "default", 2, 2, "none", "pure", "row", "same", "`default(x, 0)`: x, or 0 when x is none"
    ),
    Builtin("given", 1, 1, "none", "pure", "row", "bool"),
    Builtin("clamp", 3, 3, "none", "pure", "row", "number", "`clamp(x, low, high)`"),
)

BUILTINS: dict[str, Builtin] = {b.name: b for b in _ALL}

# the names the checks and lowering ask about most
AGGREGATES = frozenset(b.name for b in _ALL if b.lowering == "aggregate")
HISTORY = frozenset(b.name for b in _ALL if b.lowering == "history")
ROUNDERS = frozenset(b.name for b in _ALL if b.typing == "rounded")
READS_MONTHS = frozenset(b.name for b in _ALL if b.reads in ("history", "window")) - AGGREGATES
WINDOW_ARGS = {b.name: b.window_arg for b in _ALL if b.window_arg is not None}
# calls an explanation shows worked out with their arguments' values: `max(-2654.33, 0) = 0`
SHOWN_WORKED = frozenset({"min", "max", "clamp", "abs", "default"})


def is_builtin(name: str) -> bool:
    return name in BUILTINS


__all__ = [
    "AGGREGATES",
    "BUILTINS",
    "HISTORY",
    "READS_MONTHS",
    "ROUNDERS",
    "ROUNDING_MODES",
    "SHOWN_WORKED",
    "WINDOW_ARGS",
    "Builtin",
]
