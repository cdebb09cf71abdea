"""Messages about a row name it the way the rest of policyc does: an example's bad `given`
value with the row's month, a blank weighted metric with the definition that weighs it, and
booleans as true/false in a failure and in the explanation under it."""

from __future__ import annotations

from pathlib import Path

from conftest import csv_text, evaluate_plan, plan_for

from policyc.examples import run_file

POLICY = """policy "p"
record
  employee_id : id
  period      : month
  底薪        : money places 2
  flag        : bool = false
  质量, 效率  : score?
key employee_id, period
pay = 底薪 * 2
考核月 = flag
月度得分 = weighted 质量 50%, 效率 50%
output pay, 考核月, 月度得分
"""


def _failures(tmp_path: Path, example: str) -> list[tuple[str, str]]:
    path = tmp_path / "p.policy"
    path.write_text(POLICY + example, encoding="utf-8")
    result = run_file(path)
    assert not result.problem, result.problem
    (ex,) = result.examples
    return [(f.message, f.explanation) for f in ex.failures]


def test_a_bad_given_value_names_the_row_with_its_month(tmp_path: Path) -> None:
    example = (
        'example "e"\n  given E1 2024-01: 底薪 = 1.005, 质量 = 1, 效率 = 1\n'
        "  expect E1 2024-01: pay = 2\n"
    )
    ((message, _),) = _failures(tmp_path, example)
    assert message == "E1 2024-01: 底薪: `1.005` has more than 2 decimal places"


def test_a_blank_given_value_reads_as_a_sentence(tmp_path: Path) -> None:
    example = (
        'example "e"\n  given E1 2024-01: 底薪 = none, 质量 = 1, 效率 = 1\n'
        "  expect E1 2024-01: pay = 2\n"
    )
    ((message, _),) = _failures(tmp_path, example)
    assert message.startswith("E1 2024-01: 底薪 is blank")


def test_a_failed_boolean_reads_the_same_in_the_message_and_its_explanation(
    tmp_path: Path,
) -> None:
    example = (
        'example "b"\n  given E1 2024-01: 底薪 = 1, 质量 = 1, 效率 = 1\n'
        "  expect E1 2024-01: 考核月 = 0\n"
    )
    ((message, explanation),) = _failures(tmp_path, example)
    assert message == "E1 2024-01: 考核月: expected 0, got false"
    assert "考核月 = false" in explanation and "flag = false" in explanation
    assert "= no" not in explanation


def test_a_blank_weighted_metric_names_the_definition_that_weighs_it(tmp_path: Path) -> None:
    plan = plan_for(POLICY)
    path = tmp_path / "r.csv"
    header = ["employee_id", "period", "底薪", "质量", "效率"]
    path.write_text(csv_text(header, [["E1", "2024-01", "1", "", "80"]]), encoding="utf-8")
    result = evaluate_plan(plan, path)
    (err,) = result.errors
    assert err.column == "质量"
    assert err.message == "`质量` is blank, but it weighs 50% in this row's `月度得分`"
    # and so does the explained (traced) evaluation of the same row
    traced = evaluate_plan(plan, path, trace_ids={"E1"})
    assert [e.message for e in traced.errors] == [err.message]
