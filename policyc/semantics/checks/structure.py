"""Structure: a policy needs a record declaration, a key and at least one output.

Without them `eval` has nothing to read, nothing to tell rows apart by, or nothing to
print; each is reported once, at the top of the file.
"""

from __future__ import annotations

from policyc.diagnostics import Diagnostic, error
from policyc.semantics.model import Model
from policyc.source import SourceFile


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    top = source.span(0, min(1, len(source.text)))
    out: list[Diagnostic] = []
    if model.record_decl is None:
        out.append(
            error(
                "E0125",
                "the policy has no `record` declaration",
                top,
                "declare the record's columns: `record` then one `name : type` per line",
            )
        )
    if model.key_decl is None:
        out.append(
            error(
                "E0126",
                "the policy has no `key`",
                top,
                "say what identifies a row, e.g. `key employee_id, period`",
            )
        )
    if not model.outputs:
        out.append(
            error(
                "E0127",
                "the policy has no `output`",
                top,
                "list what `eval` prints, e.g. `output score, level`",
            )
        )
    return out
