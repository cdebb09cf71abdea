"""A rejected first row: the rows after it say which row to fix, not only what is blank."""

from __future__ import annotations

from pathlib import Path

from conftest import POLICY_A, evaluate_plan

from policyc.pipeline import check_file, compile_checked

HEADER = (
    "employee_id,name,role,level,period,callback_rate,satisfaction,handling,training,attendance\n"
)
LEVEL = "普通客服代表-中级"


def _errors(tmp_path: Path, rows: str) -> dict[int, str]:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = evaluate_plan(compile_checked(check_file(POLICY_A)), path)
    return {e.row: e.message for e in result.errors}


def test_a_row_after_a_rejected_first_row_names_that_row(tmp_path: Path) -> None:
    got = _errors(
        tmp_path,
        f"E1,a,customer_rep,{LEVEL},2021-01,80,80,80,abc,80\n"  # rejected while loading
        "E1,a,customer_rep,,2021-02,80,80,80,80,80\n"
        f"E2,b,customer_rep,{LEVEL},2021-01,80,80,80,,80\n"  # rejected by the weighted sum
        "E2,b,customer_rep,,2021-02,80,80,80,80,80\n",
    )
    assert "earlier row 2 was rejected" in got[3] and "fix row 2" in got[3]
    assert "earlier row 4 was rejected" in got[5] and "fix row 4" in got[5]


def test_a_truly_first_row_without_a_level_says_so(tmp_path: Path) -> None:
    got = _errors(tmp_path, "E1,a,customer_rep,,2021-02,80,80,80,80,80\n")
    assert got[2].startswith("`level` is blank on this employee's first row")


def test_a_later_rejected_row_is_not_blamed(tmp_path: Path) -> None:
    got = _errors(
        tmp_path,
        "E1,a,customer_rep,,2021-01,80,80,80,80,80\nE1,a,customer_rep,,2021-03,80,80,80,x,80\n",
    )
    assert got[2].startswith("`level` is blank on this employee's first row")
