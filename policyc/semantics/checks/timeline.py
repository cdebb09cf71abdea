"""History and windows need a monthly key: without a month, a row has no "last month".

`previous`, `previous_row`, `previous_window`, `closes`, `complete` and the aggregates
`over` a window read an employee's timeline of months, which only a `month` field in the
key gives. Without one, `eval` would still run them over whatever rows it has, and print
values that mean nothing, so each such call is an error.
"""

from __future__ import annotations

from policyc.diagnostics import Diagnostic, error
from policyc.semantics.builtins import READS_MONTHS
from policyc.semantics.checks.common import sites
from policyc.semantics.model import AGGREGATES, Model
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.walk import walk


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    if model.key_decl is None or model.period_field is not None:
        return []  # no key is E0126; a monthly key is what these need
    if any(n not in model.fields for n in model.key):
        return []  # the key names an unknown field (E0124): it may be the month meant
    key = "key " + ", ".join(model.key)
    hint = _hint(model)
    out: list[Diagnostic] = []
    for site in sites(model):
        for node in walk(site.expr):
            if isinstance(node, A.Call) and _reads_months(node):
                out.append(
                    error(
                        "E0506",
                        f"`{_shown(node)}` needs a monthly key, but `{key}` has no month",
                        node.span,
                        hint,
                    )
                )
    return out


def _reads_months(call: A.Call) -> bool:
    if call.func in READS_MONTHS:
        return True
    return call.func in AGGREGATES and isinstance(call.clause, A.Over)


def _shown(call: A.Call) -> str:
    """`previous`, `closes`; `mean(... over quarter)`, `sum(... over last 3 months)`."""
    over = call.clause
    if not isinstance(over, A.Over):
        return call.func
    looked = over.window or f"last {over.last} month{'s' * (over.last != 1)}"
    return f"{call.func}(... over {looked})"


def _hint(model: Model) -> str:
    """Name the record's own month field when it has one, else say to declare one."""
    months = [n for n, f in model.fields.items() if f.type.kind == "month"]
    who = ", ".join(model.key)
    if months:
        return f"add the month field to `key` (e.g. `key {who}, {months[0]}`)"
    return (
        "declare a month field in the record (e.g. `period : month`) and add it to `key` "
        f"(e.g. `key {who}, period`)"
    )
