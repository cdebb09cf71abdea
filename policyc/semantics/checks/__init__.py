"""Static checks over the model: each module returns diagnostics, all run every time.

Each check is a function `check(model, source) -> list[Diagnostic]` in its own module;
CHECKS lists them in the order they run (the output is sorted by position anyway).
"""

from __future__ import annotations

from collections.abc import Callable

from policyc.diagnostics import SHORT_NAME, Diagnostic, Severity, closest_name, reset_suggestions
from policyc.semantics import types
from policyc.semantics.checks import (
    cases,
    declarations,
    fields,
    names,
    rank,
    structure,
    tables,
    timeline,
    usage,
    weights,
)
from policyc.semantics.model import Model
from policyc.source import SourceFile, Span

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
    timeline.check,  # history and windows need a monthly key
    usage.check,  # unused definitions, cycles
)


# errors about a use that is misspelt (`output 等极` for `等级`, `over quartr`): the span of
# each is the misspelt name, and a "never used" warning on a name close to it is explained
USE_ERRORS = frozenset({"E0101", "E0102", "E0112", "E0113", "E0120", "E0121", "E0122"})
NO_OUTPUT = "E0127"  # nothing is used at all


def check_model(model: Model, source: SourceFile) -> list[Diagnostic]:
    reset_suggestions()
    out: list[Diagnostic] = []
    for check in CHECKS:
        out.extend(check(model, source))
    return without_cascades(out, source)


def without_cascades(diags: list[Diagnostic], source: SourceFile) -> list[Diagnostic]:
    """Leave out warnings an error already explains, so the error stands out.

    A warning on a line (or a span) that has an error is dropped: fixing the error changes
    what the warning is about. A "never used" warning is dropped when the policy has no
    output, or an error about a misspelt use whose name is close to the unused one.
    """
    errors = [d for d in diags if d.severity is Severity.ERROR]
    lines = {d.span.line for d in errors}
    no_output = any(d.code == NO_OUTPUT for d in errors)
    misspelt = sorted({_text(source, d.span) for d in errors if d.code in USE_ERRORS})
    errors_by_line: dict[int, list[Diagnostic]] = {}
    for e in errors:
        for line in range(e.span.line, e.span.end_line + 1):
            errors_by_line.setdefault(line, []).append(e)

    def cascade(w: Diagnostic) -> bool:
        near = (
            e
            for line in range(w.span.line, w.span.end_line + 1)
            for e in errors_by_line.get(line, ())
        )
        if w.span.line in lines or any(_overlap(w.span, e.span) for e in near):
            return True
        if w.code != "W0701":
            return False
        if no_output:
            return True
        unused = _text(source, w.span)
        return closest_name(unused, misspelt) is not None or any(
            closest_name(m, [unused]) for m in misspelt if len(m) <= SHORT_NAME
        )

    return [d for d in diags if d.severity is Severity.ERROR or not cascade(d)]


def _text(source: SourceFile, span: Span) -> str:
    return source.text[span.start : span.end]


def _overlap(a: Span, b: Span) -> bool:
    return a.file == b.file and a.start < b.end and b.start < a.end
