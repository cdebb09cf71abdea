"""Counters and tenure (seed 001, 客服晋升制度): a state reading its own value, `previous_row`.

The bundled policies `cs_promotion.policy` and `promotion_eligibility.policy` run their own
examples in test_examples.py; these tests pin the two language features they rest on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import ROOT, Result, checked_text, errors_of, evaluate_plan, plan_for, run_cli

from policyc.explain import explain_text

Run = Callable[..., Result]

HEAD = 'policy "t"\nrecord\n  employee_id : id\n  period : month\n'

COUNTER = HEAD + (
    "  x : score\n  before : integer = 0\nkey employee_id, period\n"
    "state n\n  start = record.before\n  becomes 0 when x < 10\n  becomes n + 1 when x > 50\n"
    "output n\n"
)


def test_a_state_reads_its_value_before_this_months_rules(run_policy: Run) -> None:
    rows = "employee_id,period,x,before\nE1,2021-01,60,5\nE1,2021-02,60,\nE1,2021-03,30,\n"
    rows += "E1,2021-04,5,\nE1,2021-05,60,\nE2,2021-01,30,\n"
    r = run_policy(COUNTER, rows)
    # the first row starts from `start`, later rows from the value carried
    assert r.column("n", "E1") == {
        "2021-01": "6",
        "2021-02": "7",
        "2021-03": "7",
        "2021-04": "0",
        "2021-05": "1",
    }
    assert r.out("E2", "2021-01")["n"] == "0"  # no rule applies: the starting value stays


def test_a_state_counter_carries_over_a_month_without_a_row(run_policy: Run) -> None:
    r = run_policy(COUNTER, "employee_id,period,x\nE1,2021-01,60\nE1,2021-04,60\n")
    assert r.column("n", "E1") == {"2021-01": "1", "2021-04": "2"}


def test_previous_of_a_state_is_the_calendar_month_before(run_policy: Run) -> None:
    """`previous(n)` is none on the first row and after a gap: not a counter's carried value."""
    policy = COUNTER.replace("becomes n + 1", "becomes previous(n) + 1")
    rows = "employee_id,period,x\nE1,2021-01,60\nE1,2021-02,60\nE1,2021-04,60\n"
    r = run_policy(policy, rows)
    assert r.column("n", "E1") == {"2021-01": None, "2021-02": None, "2021-04": None}


PREVIOUS_ROW = HEAD + (
    "  post : text\n  x : score\nkey employee_id, period\n"
    "last_post = previous_row(post)\n"
    "last_double = previous_row(x * 2)\n"
    "changed = given(last_post) and post is not last_post\n"
    "run = if changed then 1 else default(previous_row(run), 0) + 1\n"
    "safe = 100 / x\n"
    "output last_post, last_double, changed, run\n"
)


def test_previous_row_skips_months_without_a_row(run_policy: Run) -> None:
    rows = "employee_id,period,post,x\nE1,2021-01,A,10\nE1,2021-02,A,20\n"
    rows += "E1,2021-05,B,30\nE1,2021-06,B,40\n"
    r = run_policy(PREVIOUS_ROW, rows)
    assert r.column("last_post", "E1") == {
        "2021-01": None,
        "2021-02": "A",
        "2021-05": "A",
        "2021-06": "B",
    }
    assert r.column("last_double", "E1") == {
        "2021-01": None,
        "2021-02": "20",
        "2021-05": "40",
        "2021-06": "60",
    }
    assert r.column("changed", "E1")["2021-05"] is True
    # a definition may read its own previous row: a run that restarts when the post changes
    assert r.column("run", "E1") == {"2021-01": "1", "2021-02": "2", "2021-05": "1", "2021-06": "2"}


def test_previous_row_skips_a_rejected_row(run_policy: Run) -> None:
    policy = PREVIOUS_ROW.replace("output last_post,", "output safe, last_post,")
    rows = "employee_id,period,post,x\nE1,2021-01,A,10\nE1,2021-02,B,0\nE1,2021-03,C,30\n"
    r = run_policy(policy, rows)
    assert [(e.row, e.column) for e in r.errors] == [(3, "safe")]
    assert r.out("E1", "2021-03")["last_post"] == "A"  # the rejected February is not a row


def test_previous_row_does_not_mix_employees(run_policy: Run) -> None:
    rows = "employee_id,period,post,x\nE1,2021-01,A,10\nE2,2021-02,B,20\n"
    r = run_policy(PREVIOUS_ROW, rows)
    assert r.out("E2", "2021-02")["last_post"] is None


def test_previous_row_is_checked_like_previous() -> None:
    wrong_count = checked_text(PREVIOUS_ROW.replace("previous_row(post)", "previous_row(post, 2)"))
    assert [d.code for d in errors_of(wrong_count)] == ["E0110"]
    constant = checked_text(PREVIOUS_ROW.replace("previous_row(post)", "previous_row(3)"))
    assert "E0111" in [d.code for d in errors_of(constant)]
    unknown = checked_text(PREVIOUS_ROW.replace("previous_row(post)", "previous_rows(post)"))
    assert any("previous_row" in (d.help or "") for d in errors_of(unknown))


def test_previous_row_explains_the_month_it_read(tmp_path: Path) -> None:
    plan = plan_for(PREVIOUS_ROW)
    records = tmp_path / "r.csv"
    records.write_text("employee_id,period,post,x\nE1,2021-01,A,10\nE1,2021-04,B,20\n")
    r = evaluate_plan(plan, records, {"E1"})
    april = next(row for row in r.evaluation.outcome.rows if row.ord % 12 == 3)
    text = explain_text(plan, [april], "t.policy")
    assert "post in 2021-01 = A" in text


def test_cs_promotion_records_evaluate_on_the_command_line(tmp_path: Path) -> None:
    """A quarter of records: promotion at the quarter's end, the new pay from the next month."""
    records = tmp_path / "records.csv"
    records.write_text(
        "employee_id,period,level,monthly_score,quarter_score,sales\n"
        "A,2021-01,初级客服,95,,1000\nA,2021-02,,95,,1000\nA,2021-03,,95,91,1000\n"
        "A,2021-04,,95,,1000\nB,2021-01,初级客服,80,,\nB,2021-03,,80,95,\n",
        encoding="utf-8",
    )
    proc = run_cli("eval", ROOT / "policies" / "cs_promotion.policy", records, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = lines[0].split(",")
    cells = [line.split(",") for line in lines[1:]]
    rows = {(v[0], v[1]): dict(zip(header, v, strict=True)) for v in cells}
    assert rows[("A", "2021-03")]["action"] == "promote"
    assert (
        rows[("A", "2021-03")]["total_pay"] == "1891.00"
    )  # still paid at 初级 in the review month
    assert rows[("A", "2021-04")]["level_held"] == "中级客服"
    assert rows[("A", "2021-04")]["total_pay"] == "2088.00"  # 1800 + 300 x 95% + 0.3% of 1000
    # B has no February row: no quarter mean, so no rank and no promotion despite 95
    assert rows[("B", "2021-03")]["quarter_rank"] == ""
    assert rows[("B", "2021-03")]["action"] == ""
    assert rows[("B", "2021-03")]["months_employed"] == "2"


def test_a_counter_that_stays_is_explained_without_a_ladder_position(tmp_path: Path) -> None:
    plan = plan_for(COUNTER)
    records = tmp_path / "r.csv"
    records.write_text("employee_id,period,x\nE1,2021-01,30\n")
    r = evaluate_plan(plan, records, {"E1"})
    text = explain_text(plan, r.evaluation.outcome.rows, "t.policy")
    assert "no move: stays at 0\n" in text + "\n"
    assert "of 0)" not in text
