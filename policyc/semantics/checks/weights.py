"""Weighted sums: the weights add up to exactly 100%, and no input is weighed twice."""

from __future__ import annotations

from decimal import Decimal

from policyc.diagnostics import Diagnostic, error
from policyc.semantics.checks.common import sites, snippet
from policyc.semantics.checks.intervals import show_number
from policyc.semantics.model import Model
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.walk import walk

HUNDRED = Decimal(100)


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for site in sites(model):
        for node in walk(site.expr):
            if isinstance(node, A.Weighted):
                out.extend(_weighted(node, source))
    return out


def _weighted(w: A.Weighted, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    total = sum((t.weight for t in w.terms), Decimal(0))
    if total != HUNDRED:
        diff = abs(HUNDRED - total)
        side = "short of" if total < HUNDRED else "over"
        parts = " + ".join(f"{show_number(t.weight)}%" for t in w.terms)
        out.append(
            error(
                "E0301",
                f"the weights sum to {show_number(total)}%, {show_number(diff)}% {side} 100%",
                w.span,
                f"{parts} = {show_number(total)}%; weights must add up to exactly 100%",
            )
        )
    seen: dict[A.Expr, A.WeightTerm] = {}
    for term in w.terms:
        first = seen.get(term.value)
        if first is None:
            seen[term.value] = term
            continue
        shown = snippet(source, term.value.span)
        merged = show_number(first.weight + term.weight)
        out.append(
            error(
                "E0302",
                f"`{shown}` is weighted twice (also {show_number(first.weight)}% "
                f"earlier in this sum)",
                term.value.span,
                f"weigh it once, e.g. `{shown} {merged}%`, or weigh the input you meant",
            )
        )
    return out
