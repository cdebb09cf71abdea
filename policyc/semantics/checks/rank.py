"""Rank ties: say when the declared keys can still tie, and what the policy then does.

Ties are not an error (contract B wants them shared: 1, 2, 2, 4), but a reader should see
that the policy decided it. Keys cannot tie only when one of them is the employee id, which
is unique within a period.
"""

from __future__ import annotations

from policyc.diagnostics import Diagnostic, warning
from policyc.semantics.checks.common import and_list, join_span, sites, snippet
from policyc.semantics.model import Model
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.walk import walk


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    unique = {model.id_field} if model.id_field else set()
    breaker = f", e.g. `{model.id_field} asc`" if model.id_field else ""
    for site in sites(model):
        if site.kind == "function":
            continue  # a cohort call inside a function is an error of its own (E0119)
        for node in walk(site.expr):
            if isinstance(node, A.Call) and node.func == "rank" and node.args:
                keys = [a.value for a in node.args]
                if any(isinstance(k, A.Name | A.FieldRef) and k.name in unique for k in keys):
                    continue
                names = [f"`{snippet(source, k.span)}`" for k in keys]
                span = join_span(source, node.args[0].span, node.args[-1].span)
                out.append(
                    warning(
                        "W0601",
                        f"rows with equal {and_list(names)} share the better rank: 1, 2, 2, 4",
                        span,
                        "that is the rule when ties are meant to share; if they are not, "
                        f"add another key to break them{breaker}",
                    )
                )
    return out
