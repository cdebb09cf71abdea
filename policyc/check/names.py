"""Names: every name used is defined (with a `did you mean`), nothing defined twice."""

from __future__ import annotations

from policyc.diagnostics import Diagnostic, did_you_mean, error
from policyc.model import BUILTIN_FUNCS, Model, names_in, walk
from policyc.source import SourceFile
from policyc.syntax import ast as A


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    known = model.all_names()
    labels = model.enum_labels() | _result_labels(model)
    for d in model.defs.values():
        out.extend(_check_expr(model, d.body, known | set(d.params), labels))
    for fn in model.functions.values():
        out.extend(_check_expr(model, fn.body, known | set(fn.params), labels))
    for st in model.states.values():
        for e in [st.start, *(t.cond for t in st.transitions)]:
            out.extend(_check_expr(model, e, known, labels))
    for item in model.outputs:
        if item.value is None and not model.is_value(item.name):
            out.append(
                error(
                    "E0101",
                    f"output `{item.name}` is not defined",
                    item.span,
                    did_you_mean(item.name, model.value_names()),
                )
            )
    return out


def _result_labels(model: Model) -> set[str]:
    """Bare names in table results are labels (`-> promote`)."""
    out: set[str] = set()
    for d in model.defs.values():
        for node in walk(d.body):
            if isinstance(node, A.Table):
                for row in node.rows:
                    if isinstance(row.result, A.Name) and not model.is_value(row.result.name):
                        out.add(row.result.name)
    return out


def _check_expr(model: Model, e: A.Expr, known: set[str], labels: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for node in walk(e):
        if (
            isinstance(node, A.Call)
            and node.func not in BUILTIN_FUNCS
            and node.func not in model.functions
        ):
            out.append(
                error(
                    "E0102",
                    f"unknown function `{node.func}`",
                    node.span,
                    did_you_mean(node.func, BUILTIN_FUNCS | set(model.functions)),
                )
            )
        if isinstance(node, A.FieldRef) and node.name not in model.fields:
            out.append(
                error(
                    "E0103",
                    f"the record has no field `{node.name}`",
                    node.span,
                    did_you_mean(node.name, model.fields),
                )
            )
    for n in names_in(e):
        if n.name not in known and n.name not in labels:
            out.append(
                error(
                    "E0101",
                    f"unknown name `{n.name}`",
                    n.span,
                    did_you_mean(n.name, known | labels),
                )
            )
    return out
