"""The examples written in policies: every bundled example runs here, and `policyc test`
builds records, compares values exactly and reports failures with line and explanation."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from policyc.backend.closures.compile import Plan
from policyc.examples import (
    ExampleResult,
    FileResult,
    files_to_test,
    report_text,
    run_example,
    run_file,
    same_value,
)
from policyc.pipeline import check_file, compile_checked
from policyc.syntax import ast as A

BUNDLED = ROOT / "policies"


# ---- every example of every bundled policy ------------------------------------------------------


@functools.cache
def _plan(path: Path) -> Plan | str:
    checked = check_file(path)
    if not checked.ok:
        return "\n".join(f"{d.span}: {d.code} {d.message}" for d in checked.diagnostics)
    return compile_checked(checked)


def _bundled_cases() -> list[object]:
    cases: list[object] = []
    for path in files_to_test([BUNDLED]):
        if path.name.endswith(".test.policy"):
            cases.append(pytest.param(path, None, id=f"{path.name}::all"))
            continue
        plan = _plan(path)
        if isinstance(plan, str):
            cases.append(pytest.param(path, None, id=f"{path.stem}::check"))
            continue
        for i, ex in enumerate(plan.model.examples):
            cases.append(pytest.param(path, i, id=f"{path.stem}::{ex.title}"))
    return cases


@pytest.mark.parametrize(("path", "index"), _bundled_cases())
def test_bundled_example(path: Path, index: int | None) -> None:
    if index is None:  # a policy that does not check, or a test file: run the whole file
        result = run_file(path)
        assert result.ok, report_text([result])
        return
    plan = _plan(path)
    assert isinstance(plan, Plan), plan
    outcome = run_example(plan, plan.model.examples[index])
    assert outcome.ok, report_text([FileResult(str(path), (outcome,))])
    assert outcome.checks > 0


def test_every_bundled_policy_has_examples() -> None:
    for path in sorted(BUNDLED.glob("*.policy")):
        if not path.name.endswith(".test.policy"):
            plan = _plan(path)
            assert isinstance(plan, str) or plan.model.examples, f"{path.name} has no example"


# ---- the runner ----------------------------------------------------------------------------------

POLICY = """policy "t" version "1"
record
  employee_id : id
  name        : text
  period      : month
  s           : score?
  ok          : bool?
key employee_id, period
window quarter = every 3 months
avg = mean(s over quarter)
grade = band avg
  at least 80 -> high
  below 80    -> low
double = s * 2
output avg, grade, double
"""


def _run(tmp_path: Path, examples: str, policy: str = POLICY) -> FileResult:
    path = tmp_path / "t.policy"
    path.write_text(policy + "\n" + examples, encoding="utf-8")
    return run_file(path)


def _only(result: FileResult) -> ExampleResult:
    assert not result.problem, result.problem
    assert len(result.examples) == 1
    return result.examples[0]


def test_a_passing_example_compares_exactly(tmp_path: Path) -> None:
    ex = _only(
        _run(
            tmp_path,
            'example "range"\n'
            "  given E1 2021-01 to 2021-03: s = 80.2, ok = true\n"
            "  given E1 2021-02: s = 80.05\n"  # a later line replaces one month's value
            "  given E2 2021-01: s = none\n"
            "  expect E1 2021-03: avg = 80.150, grade = high, double = 160.4\n"
            "  expect E1 2021-01 to 2021-02: ok = true\n"
            "  expect E2 2021-01: double = none\n",
        )
    )
    assert ex.ok, ex.failures
    assert ex.checks == 6  # one line with three values, a range of two months, and one


def test_a_failure_shows_expected_actual_line_and_explanation(tmp_path: Path) -> None:
    ex = _only(
        _run(
            tmp_path,
            'example "wrong"\n'
            "  given E1 2021-01 to 2021-03: s = 79.99\n"
            "  expect E1 2021-03: grade = high\n",
        )
    )
    assert not ex.ok
    (f,) = ex.failures
    assert f.where.endswith("t.policy:19")
    assert (f.expected, f.actual) == ("high", "low")
    assert f.message == "E1 2021-03: grade: expected high, got low"
    assert "79.99 is below 80 -> low" in f.explanation
    assert "t.policy:13" in f.explanation  # the band row that matched, cited
    assert "t.policy:10" in f.explanation  # and the window average it read


def test_kinds_are_not_coerced(tmp_path: Path) -> None:
    assert same_value(Decimal("80.1"), Decimal("80.10"))
    assert same_value(True, True) and not same_value(True, Decimal(1))
    assert not same_value(Decimal(1), True)
    assert not same_value(None, Decimal(0)) and same_value(None, None)
    assert same_value(A.LabelValue("high"), "high") and not same_value("1", Decimal(1))


def test_omitted_fields_are_blank_but_given_values_are_validated(tmp_path: Path) -> None:
    """`name` is required in a CSV but an example need not give it; `s = 120` is refused."""
    ex = _only(
        _run(
            tmp_path,
            'example "bad"\n  given E1 2021-01: s = 120, ok = maybe\n  expect E1 2021-01: double = 240\n',
        )
    )
    messages = sorted(f.message for f in ex.failures)
    assert messages == [
        "E1 2021-01: ok: `maybe` is not `true` or `false` (or 是 / 否)",
        "E1 2021-01: s: `120` is out of range 0..100",
    ]
    assert all(f.where.endswith("t.policy:18") for f in ex.failures)


def test_rows_and_months_that_are_not_there(tmp_path: Path) -> None:
    ex = _only(
        _run(
            tmp_path,
            'example "gaps"\n'
            "  given E1 2021-01: s = 1\n"
            "  expect E1 2021-02: double = 2\n"
            "  expect E1: double = 2\n"
            "  expect E1 2021-13: double = 2\n",
        )
    )
    messages = [f.message for f in ex.failures]
    assert messages == [
        "E1 2021-02: no `given` line gives this row",
        "give a month after `E1`, e.g. `E1 2021-01`",
        "`2021-13` is not a month (write YYYY-MM)",
    ]


def test_a_row_that_cannot_be_evaluated_is_a_failure(tmp_path: Path) -> None:
    policy = POLICY.replace("double = s * 2", "double = 100 / s")
    ex = _only(
        _run(
            tmp_path,
            'example "zero"\n  given E1 2021-01: s = 0\n  expect E1 2021-01: grade = none\n',
            policy,
        )
    )
    assert ex.failures[0].message.startswith("E1 2021-01: cannot be evaluated")
    assert "division by zero" in ex.failures[0].message


def test_an_example_without_expect_fails(tmp_path: Path) -> None:
    ex = _only(_run(tmp_path, 'example "nothing"\n  given E1 2021-01: s = 1\n'))
    assert [f.message for f in ex.failures] == ["the example has no `expect` line"]


def test_a_policy_that_does_not_check_is_one_failure(tmp_path: Path) -> None:
    result = _run(tmp_path, "oops = nosuchname + 1\n")
    assert not result.ok and "nosuchname" in result.problem
    assert "error[" in result.problem


def test_a_test_file_beside_the_policy_runs_against_it(tmp_path: Path) -> None:
    (tmp_path / "t.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "t.test.policy").write_text(
        'example "from the side"\n  given E1 2021-01: s = 4\n  expect E1 2021-01: double = 9\n',
        encoding="utf-8",
    )
    assert files_to_test([tmp_path / "t.policy"]) == [
        tmp_path / "t.policy",
        tmp_path / "t.test.policy",
    ]
    side = run_file(tmp_path / "t.test.policy")
    (ex,) = side.examples
    assert ex.failures[0].message == "E1 2021-01: double: expected 9, got 8"
    assert ex.failures[0].where.endswith("t.test.policy:3")
    (tmp_path / "t.test.policy").write_text("x = 1\n", encoding="utf-8")
    assert "only `example` blocks" in run_file(tmp_path / "t.test.policy").problem


def test_policy_without_a_month_key(tmp_path: Path) -> None:
    policy = 'policy "t"\nrecord\n  employee_id : id\n  s : number\nkey employee_id\nd = s * 2\noutput d\n'
    result = _run(
        tmp_path,
        'example "flat"\n  given E1: s = 2\n  expect E1: d = 4\n  expect E1 2021-01: d = 4\n',
        policy,
    )
    (ex,) = result.examples
    assert [f.message for f in ex.failures] == [
        "the policy has no month in its key; leave the month out"
    ]
    assert ex.checks == 1


# ---- the command ------------------------------------------------------------------------------------


def test_cli_exit_status_and_reports(tmp_path: Path) -> None:
    good = tmp_path / "good.policy"
    good.write_text(
        POLICY + '\nexample "ok"\n  given E1 2021-01: s = 5\n  expect E1 2021-01: double = 10\n',
        encoding="utf-8",
    )
    bad = tmp_path / "bad.policy"
    bad.write_text(
        POLICY + '\nexample "no"\n  given E1 2021-01: s = 5\n  expect E1 2021-01: double = 11\n',
        encoding="utf-8",
    )
    assert run_cli("test", good).returncode == 0
    text = run_cli("test", tmp_path)
    assert text.returncode == 1
    assert "FAIL  no" in text.stdout and "expected 11, got 10" in text.stdout
    assert "1 passed, 1 failed, in 2 files" in text.stdout
    data = json.loads(run_cli("test", "--format", "json", tmp_path).stdout)
    assert (data["passed"], data["failed"]) == (1, 1)
    failure = data["files"][0]["examples"][0]["failures"][0]
    assert (failure["expected"], failure["actual"]) == ("11", "10")
    junit = tmp_path / "out" / "report.xml"
    junit.parent.mkdir()
    proc = run_cli("test", "--format", "junit", "--output", junit, bad, good)
    assert proc.returncode == 1 and proc.stdout == ""
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    failed = root.findall(".//testcase[failure]")
    assert [c.get("name") for c in failed] == ["no"]


def test_cli_usage_errors(tmp_path: Path) -> None:
    assert run_cli("test", tmp_path / "missing").returncode == 2
    assert run_cli("test", tmp_path).returncode == 2  # no policy files in it
    assert run_cli("test", "--format", "xml", tmp_path).returncode == 2


def test_cli_default_runs_the_bundled_policies() -> None:
    proc = run_cli("test")
    assert "policies/cs_levels_2021.policy" in proc.stdout
    assert "ok    a steady rep stays" in proc.stdout


def test_a_crash_fails_its_example_and_the_others_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policyc.examples as testing

    real = testing.run_example

    def flaky(plan: Plan, example: A.Example) -> ExampleResult:
        if example.title == "boom":
            raise ZeroDivisionError("simulated")
        return real(plan, example)

    monkeypatch.setattr(testing, "run_example", flaky)
    two = (
        'example "boom"\n  given E1 2021-01: s = 1\n  expect E1 2021-01: double = 2\n\n'
        'example "fine"\n  given E1 2021-01: s = 1\n  expect E1 2021-01: double = 2\n'
    )
    boom, fine = _run(tmp_path, two).examples
    assert boom.failures[0].message.startswith("policyc internal error: ZeroDivisionError")
    assert fine.ok
