"""Stable codes of the problems found while evaluating a row, like the static checks' codes.

A row that fails is reported as FILE:ROW:COLUMN with its message; the code says which kind
of problem it is, so tools and tests can rely on it while the wording changes. The
catalogue is in docs/errors.md (section "Runtime").
"""

from __future__ import annotations

BLANK_WEIGHT = "R0001"  # a metric a weighted sum needs is blank on this row
DIVISION_BY_ZERO = "R0002"  # a division by zero in a rule
OFF_LADDER = "R0003"  # a level (given or carried) is not on the row's ladder
NO_START = "R0004"  # a state has no starting value on the employee's first row
CANNOT_COMPUTE = "R0005"  # arithmetic that cannot be done (values of different kinds, overflow)

CODES = {
    BLANK_WEIGHT: "blank weighted metric",
    DIVISION_BY_ZERO: "division by zero",
    OFF_LADDER: "level not on the ladder",
    NO_START: "no starting value",
    CANNOT_COMPUTE: "value cannot be computed",
}
