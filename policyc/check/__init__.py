"""Static checks over the model: each module returns diagnostics, all run every time."""

from __future__ import annotations

from policyc.check import names
from policyc.diagnostics import Diagnostic
from policyc.model import Model
from policyc.source import SourceFile

CHECKS = (names.check,)


def check_model(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for check in CHECKS:
        out.extend(check(model, source))
    return out
