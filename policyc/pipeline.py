"""The pipeline as one table of stages, and the library entry points the CLI calls.

text -> parse tree -> AST -> model -> checks -> plan (evaluation tree) -> outcome -> render
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass
from pathlib import Path

from policyc.backend.closures.compile import compile_plan
from policyc.diagnostics import Diagnostic, Severity, sort_diagnostics
from policyc.io.decode import ReadOptions, source_name
from policyc.io.records import MONTH_RE, Loaded, RecordError, error_order, load_csv
from policyc.runtime.engine import Outcome, RowError, label_errors, run
from policyc.runtime.plan import Plan
from policyc.runtime.values import month_ord
from policyc.semantics.checks import check_model
from policyc.semantics.hidden import user_name
from policyc.semantics.model import Model, build_model
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.lower import lower
from policyc.syntax.parse import parse


@dataclass
class Checked:
    source: SourceFile
    policy: A.Policy | None
    model: Model | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.model is not None and not any(
            d.severity is Severity.ERROR for d in self.diagnostics
        )


def check_source(source: SourceFile) -> Checked:
    """Parse, lower, build the model and run every check; all diagnostics, sorted."""
    tree, diags = parse(source)
    if tree is None:
        return Checked(source, None, None, sort_diagnostics(diags))
    policy, lower_diags = lower(tree, source)
    model = build_model(policy)
    diags = diags + lower_diags + check_model(model, source)
    return Checked(source, policy, model, sort_diagnostics(diags))


def check_file(path: str | Path) -> Checked:
    return check_source(SourceFile.read(path))


@dataclass
class Evaluation:
    plan: Plan
    loaded: Loaded
    outcome: Outcome

    loaded_name: str = ""

    @property
    def errors(self) -> list[RecordError]:
        """Every report, by row and then left to right as in the sheet: a row's first report
        is its leftmost bad cell (what `--strict` shows)."""
        name = self.loaded_name
        model = self.plan.model
        runtime = [
            RecordError(name, e.line, user_name(model, e.column), e.message)
            for e in self.outcome.errors
        ]
        return sorted(self.loaded.errors + runtime, key=error_order(self.loaded.column_order()))

    @property
    def reported_rows(self) -> set[int]:
        return reported_rows(self.errors)

    def row_keys(self) -> dict[int, tuple[str, str]]:
        """(employee id, period) of every data row by row number, rejected rows included
        (as their cells were written)."""
        keys = dict(self.loaded.rejected)
        for r in (*self.loaded.rows, *self.loaded.dropped):
            keys[r.line] = (r.key[0], r.key[1])
        return keys


def reported_rows(errors: list[RecordError]) -> set[int]:
    """The data rows reported: row 1, the header, holds what is wrong with the whole file
    (empty, not UTF-8), which is no row of data (rows in = rows out + rows reported)."""
    return {e.row for e in errors if e.row > 1}


def compile_checked(checked: Checked) -> Plan:
    assert checked.model is not None
    return compile_plan(checked.model, checked.source)


def evaluate(
    plan: Plan,
    records: str | Path,
    trace_ids: set[str] | None = None,
    options: ReadOptions | None = None,
    keep: tuple[str, ...] = (),
) -> Evaluation:
    """Load (`load_csv`: any records file, or `-`) and evaluate every row."""
    paused = gc.isenabled()
    gc.disable()  # loading builds the long-lived rows (see evaluate_loaded)
    try:
        loaded = load_csv(records, plan.model, plan.field_names, plan.nslots, options, keep)
    finally:
        if paused:
            gc.enable()
    return evaluate_loaded(plan, loaded, source_name(records), trace_ids)


def evaluate_loaded(
    plan: Plan, loaded: Loaded, name: str, trace_ids: set[str] | None = None
) -> Evaluation:
    """Evaluate rows already loaded (`load_csv`, `load_cells`, `load_rows`).

    The cyclic garbage collector is paused meanwhile: the rows form long-lived cycles
    (each row points at its employee's timeline) that it would scan again and again for
    nothing, which nearly doubles the time of a large file. Temporaries are still freed
    by reference counting.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        outcome = run(plan, loaded.rows, trace_ids, _rejected_by_employee(loaded))
        outcome.errors.extend(label_errors(plan, loaded.dropped))
    finally:
        gc.freeze()  # what exists now lives to the end: later collections skip it
        if paused:
            gc.enable()
    return Evaluation(plan, loaded, outcome, name)


def _rejected_by_employee(loaded: Loaded) -> dict[str, list[tuple[int, int]]]:
    """(month, row) of each row rejected while loading, duplicates included, by employee;
    a row whose month cannot be read cannot be placed in time and is left out."""
    out: dict[str, list[tuple[int, int]]] = {}
    for line, (emp, period) in loaded.rejected.items():
        if emp and re.fullmatch(MONTH_RE, period):
            out.setdefault(emp, []).append((month_ord(period), line))
    for r in loaded.dropped:
        out.setdefault(r.key[0], []).append((r.ord, r.line))
    return out


__all__ = [
    "Checked",
    "Evaluation",
    "RowError",
    "check_file",
    "check_source",
    "evaluate",
    "evaluate_loaded",
]
