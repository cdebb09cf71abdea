"""Shared helpers: paths, running the CLI, and evaluating small inline policies.

Helpers are plain functions (importable as `from conftest import ...`) so that hypothesis
tests can use them without function-scoped fixtures; the fixtures wrap them for tmp_path.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from policyc.backend.closures.compile import Plan
from policyc.diagnostics import Diagnostic, Severity
from policyc.io.records import RecordError
from policyc.io.results import result_rows
from policyc.pipeline import (
    Checked,
    Evaluation,
    check_file,
    check_source,
    compile_checked,
    evaluate,
)
from policyc.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
POLICY_A = ROOT / "policies" / "cs_levels_2021.policy"
POLICY_A_REL = "policies/cs_levels_2021.policy"
EXAMPLE_A = ROOT / "examples" / "cs_levels_2021" / "records.csv"
EXAMPLE_A_REL = "examples/cs_levels_2021/records.csv"
ACCEPTANCE_A = TESTS / "acceptance" / "cs_levels_2021"
POLICY_A_2022_REL = "policies/cs_levels_2022.policy"
# contract A's outputs, in the policy's order (seed-policies.md)
OUTPUTS_A = (
    "score",
    "review",
    "window_average",
    "action",
    "level",
    "probation",
    "dismissal_candidate",
)
GOLDEN = TESTS / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"


# ---- the CLI ---------------------------------------------------------------------------


def policyc_command() -> list[str]:
    """The installed `policyc` script beside this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("policyc")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "policyc.cli.main"]


def run_cli(
    *args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `policyc ARGS` as a user would: a real process, real exit status and streams."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [*policyc_command(), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        check=False,
        timeout=120,
    )


# ---- inline policies -----------------------------------------------------------------------


def checked_text(text: str, name: str = "t.policy") -> Checked:
    return check_source(SourceFile.of(name, text))


def errors_of(checked: Checked) -> list[Diagnostic]:
    return [d for d in checked.diagnostics if d.severity is Severity.ERROR]


def plan_for(text: str, name: str = "t.policy") -> Plan:
    """Check and compile a policy text; fail the test with the diagnostics if it has errors."""
    checked = checked_text(text, name)
    bad = errors_of(checked)
    assert not bad, "policy has errors: " + "; ".join(
        f"{d.span.line}:{d.span.column} {d.code} {d.message}" for d in bad
    )
    return compile_checked(checked)


_PLAN_A: list[Plan] = []


def plan_a() -> Plan:
    """Contract A's plan, compiled once per session."""
    if not _PLAN_A:
        checked = check_file(POLICY_A)
        assert not errors_of(checked)
        _PLAN_A.append(compile_checked(checked))
    return _PLAN_A[0]


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if c is None else c for c in row])
    return buf.getvalue()


@dataclass
class Result:
    """One evaluation: outputs by (employee, period) as `plain()` values, and rejected rows."""

    evaluation: Evaluation
    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def errors(self) -> list[RecordError]:
        return self.evaluation.errors

    @property
    def rejected_rows(self) -> set[int]:
        return {e.row for e in self.errors}

    @property
    def total(self) -> int:
        return self.evaluation.loaded.total

    def out(self, employee: str, period: str = "") -> dict[str, Any]:
        return self.rows[(employee, period)]

    def column(self, name: str, employee: str) -> dict[str, Any]:
        """One output over an employee's months: period -> value."""
        return {p: row[name] for (e, p), row in self.rows.items() if e == employee}


def evaluate_plan(plan: Plan, records: Path, trace_ids: set[str] | None = None) -> Result:
    ev = evaluate(plan, records, trace_ids)
    result = Result(ev)
    for obj in result_rows(plan, ev.outcome.rows, places=False):  # values, not as shown
        key = tuple(str(obj[k]) for k in plan.model.key)
        period = key[1] if len(key) > 1 else ""
        result.rows[(key[0], period)] = obj
    return result


def run_inline(
    directory: Path, policy: str | Plan, records: str | bytes, name: str = "records.csv"
) -> Result:
    """Evaluate a policy text (or plan) on CSV text written to `directory/name`."""
    plan = plan_for(policy) if isinstance(policy, str) else policy
    path = directory / name
    if isinstance(records, bytes):
        path.write_bytes(records)
    else:
        path.write_text(records, encoding="utf-8", newline="")
    return evaluate_plan(plan, path)


@pytest.fixture
def run_policy(tmp_path: Path) -> Callable[..., Result]:
    """`run_policy(POLICY_TEXT, CSV_TEXT)` -> Result, with the CSV in tmp_path."""

    def run(policy: str | Plan, records: str | bytes, name: str = "records.csv") -> Result:
        return run_inline(tmp_path, policy, records, name)

    return run


@pytest.fixture(scope="session")
def contract_a() -> Plan:
    return plan_a()
