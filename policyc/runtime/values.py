"""Runtime values: exact decimals, labels, booleans, months; and the row a policy runs on."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from policyc.runtime.codes import CANNOT_COMPUTE, NO_START
from policyc.semantics.builtins import ROUNDING_MODES as ROUNDING_MODES  # re-exported

# Exact enough that no sum or mean of record values is ever rounded: 50 significant digits.
CONTEXT = decimal.Context(
    prec=50,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.DivisionByZero, decimal.InvalidOperation, decimal.Overflow],
)
decimal.setcontext(CONTEXT)


class RowFailure(Exception):
    """A row that cannot be evaluated: reported as FILE:ROW:COLUMN, the others go on."""

    def __init__(self, column: str, message: str, code: str = CANNOT_COMPUTE) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.code = code  # policyc.runtime.codes


class NoStart(RowFailure):
    """A state with no starting value on what is, among the accepted rows, an employee's
    first: the engine says so better once it knows of an earlier rejected row."""

    def __init__(self, column: str, message: str, state: str) -> None:
        super().__init__(column, message, NO_START)
        self.state = state


def month_ord(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def ord_month(o: int) -> str:
    return f"{o // 12:04d}-{o % 12 + 1:02d}"


class RowEnv:
    """One employee-month (or one employee, for policies without a period) while it runs."""

    __slots__ = ("emp", "failed", "key", "line", "ord", "prev", "trace", "v")

    def __init__(self, v: list[Any], key: tuple[str, ...], ord_: int, line: int) -> None:
        self.v = v
        self.key = key
        self.ord = ord_
        self.line = line
        self.emp: dict[int, RowEnv] = {}
        self.prev: RowEnv | None = None
        self.trace: list[Any] | None = None
        self.failed = False


def plain(value: Any) -> Any:
    """A value for output: decimals as plain strings without exponent or trailing zeros."""
    if type(value) is Decimal:
        text = str(value)
        if "E" not in text and (("." not in text) or text[-1] != "0"):
            return text  # the common case: already plain, no trailing zeros
        # `normalize` and `f` keep every digit: quantizing a whole 10^60 to units would need
        # more than the context's 50 digits (InvalidOperation: stdout stopped at that row)
        return format(value.normalize(), "f")
    return value


def show(value: Any) -> str:
    """A value as an HR reader sees it in an explanation."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"  # as records, `eval` and `policyc test` write it
    if isinstance(value, Decimal):
        text = plain(value)
        if "." in text and len(text.split(".")[1]) > 6:
            return f"{value:.6f}".rstrip("0") + "…"
        return str(text)
    return str(value)


def aggregate(func: str, values: list[Any]) -> Any:
    """mean, sum, min, max, count, all, any over the values of a window or a cohort."""
    if func == "count":
        return Decimal(sum(1 for v in values if v is not None and v is not False))
    if func == "all":  # a month whose value is none does not satisfy the condition
        return all(bool(v) for v in values)
    if func == "any":
        return any(bool(v) for v in values)
    present = [v for v in values if v is not None]
    if not present:
        return None
    if func == "sum":
        return sum(present, Decimal(0))
    if func == "mean":
        return sum(present, Decimal(0)) / len(present)
    if func == "min":
        return min(present)
    return max(present)
