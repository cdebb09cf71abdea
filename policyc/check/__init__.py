"""Static checks over the model: each module returns diagnostics, all run every time.

Each check is a function `check(model, source) -> list[Diagnostic]` in its own module;
CHECKS lists them in the order they run (the output is sorted by position anyway).
"""

from __future__ import annotations

from collections.abc import Callable

from policyc.check import (
    cases,
    declarations,
    fields,
    names,
    rank,
    structure,
    tables,
    types,
    usage,
    weights,
)
from policyc.diagnostics import Diagnostic
from policyc.model import Model
from policyc.source import SourceFile

Check = Callable[[Model, SourceFile], list[Diagnostic]]

CHECKS: tuple[Check, ...] = (
    structure.check,  # a record, a key and an output
    declarations.check,  # names declared twice, declarations naming what is not there
    names.check,  # unknown names and functions, calls, impossible labels
    fields.check,  # record field types, ranges and defaults
    types.check,  # kinds of values
    weights.check,  # weighted sums add up to 100%
    tables.check,  # band gaps and overlaps, dead rows, unique overlaps
    cases.check,  # ladders, windows, `by` cases
    rank.check,  # rank keys that can tie
    usage.check,  # unused definitions, cycles
)


def check_model(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for check in CHECKS:
        out.extend(check(model, source))
    return out
