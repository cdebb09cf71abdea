"""Records in: validation against the record declaration, errors as FILE:ROW:COLUMN."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Result, plan_for

from policyc.io.records import RecordError

Run = Callable[..., Result]

POLICY = (
    'policy "t"\nrecord\n  employee_id : id\n  name : text\n  role : one of rep, lead\n'
    "  period : month\n  s : score\n  n : number?\n  ok : bool?\n  day : date?\n"
    "key employee_id, period\nx = s * 2\noutput x\n"
)
HEADER = "employee_id,name,role,period,s,n,ok,day\n"
GOOD = "E1,张伟,rep,2021-01,50,1,true,2021-01-31\n"


def accounting(r: Result) -> None:
    """Rows in = rows out + rows reported, and no row is both."""
    assert r.total == len(r.rows) + len(r.rejected_rows)
    out_keys = set(r.rows)
    assert len(out_keys) == len(r.rows)


def one_error(run: Run, line: str) -> RecordError:
    r = run(POLICY, HEADER + GOOD + line)
    accounting(r)
    assert ("E1", "2021-01") in r.rows  # the good row is still evaluated
    assert len(r.errors) == 1, r.errors
    return r.errors[0]


def test_good_rows_load_with_typed_values(run_policy: Run) -> None:
    r = run_policy(POLICY, HEADER + GOOD + "E2,李娜,lead,2021-02,99.5,,false,\n")
    accounting(r)
    assert r.errors == []
    assert r.out("E2", "2021-02")["x"] == "199"


@pytest.mark.parametrize("word", ["true", "false", "TRUE", "False"])
def test_boolean_words(run_policy: Run, word: str) -> None:
    policy = POLICY.replace("output x", "output x, ok")
    r = run_policy(policy, HEADER + f"E1,张伟,rep,2021-01,50,,{word},\n")
    assert r.errors == []
    assert r.out("E1", "2021-01")["ok"] is (word.lower() == "true")


@pytest.mark.parametrize("word", ["yes", "no", "1", "0", "是的", "t", "on"])
def test_other_boolean_words_are_reported(run_policy: Run, word: str) -> None:
    policy = POLICY.replace("output x", "output x, ok")
    r = run_policy(policy, HEADER + f"E1,张伟,rep,2021-01,50,,{word},\n")
    assert [(e.row, e.column) for e in r.errors] == [(2, "ok")]
    assert "is not `true` or `false`" in r.errors[0].message


@pytest.mark.parametrize(
    "cell", ["8_0", "1e1", "１２", "٨٠", "1,000", "--5", "5.5.5", "NaN", "inf"]
)
def test_numbers_are_plain_ascii_decimals(run_policy: Run, cell: str) -> None:
    r = run_policy(POLICY, HEADER + f'E1,张伟,rep,2021-01,"{cell}",,,\n')
    assert [(e.row, e.column) for e in r.errors] == [(2, "s")]
    message = r.errors[0].message
    assert "is not a number" in message or "not ASCII 0-9" in message


@pytest.mark.parametrize(("cell", "value"), [("+5", "5"), ("5.", "5"), (".5", "0.5"), ("07", "7")])
def test_plain_number_forms(run_policy: Run, cell: str, value: str) -> None:
    r = run_policy(POLICY, HEADER + f"E1,张伟,rep,2021-01,{cell},,,\n")
    assert r.errors == []
    assert Decimal(r.out("E1", "2021-01")["x"]) == Decimal(value) * 2


def test_bom_is_accepted(run_policy: Run) -> None:
    r = run_policy(POLICY, ("\ufeff" + HEADER + GOOD).encode("utf-8"))
    assert r.errors == [] and r.evaluation.loaded.warnings == []
    assert r.out("E1", "2021-01")["x"] == "100"


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("E2,王,rep,2021-01,,1,,\n", "s", "is blank, and the policy needs a value"),
        ("E2,王,rep,2021-01,abc,1,,\n", "s", "`abc` is not a number"),
        ("E2,王,rep,2021-01,100.5,,,\n", "s", "`100.5` is out of range 0..100"),
        ("E2,王,rep,2021-01,-1,,,\n", "s", "`-1` is out of range 0..100"),
        ("E2,王,rep,2021-13,50,,,\n", "period", "`2021-13` is not a month"),
        ("E2,王,rep,2021-13,50,,,\n", "period", "`2021-13` is not a month"),
        ("E2,王,boss,2021-01,50,,,\n", "role", "`boss` is not one of rep, lead"),
        ("E2,王,rep,2021-01,50,,maybe,\n", "ok", "`maybe` is not `true` or `false`"),
        ("E2,王,rep,2021-01,50,,,2021-02-30x\n", "day", "is not a date"),
        ("E2,王,rep,2021-01,NaN,,,\n", "s", "is not a number"),
        ("E2,王,rep,2021-01,1e999,,,\n", "s", "not a number"),
    ],
)
def test_bad_cells_are_reported_by_row_and_column(
    run_policy: Run, line: str, column: str, message: str
) -> None:
    err = one_error(run_policy, line)
    assert (err.row, err.column) == (3, column)
    assert message in err.message


def test_error_text_is_file_row_column_message(run_policy: Run, tmp_path: Path) -> None:
    err = one_error(run_policy, "E2,王,rep,2021-13,50,,,\n")
    assert (
        str(err)
        == f"{tmp_path / 'records.csv'}:3:period: `2021-13` is not a month (write YYYY-MM, e.g. 2021-03)"
    )


def test_duplicate_employee_month_reports_both_rows(run_policy: Run) -> None:
    text = (
        HEADER
        + GOOD
        + "E2,王,rep,2021-01,50,,,\nE3,李,rep,2021-01,60,,,\nE2,王,rep,2021-01,70,,,\n"
    )
    r = run_policy(POLICY, text)
    accounting(r)
    assert [(e.row, e.column) for e in r.errors] == [(3, "period"), (5, "period")]
    assert "also on row 5" in r.errors[0].message and "also on row 3" in r.errors[1].message
    assert ("E2", "2021-01") not in r.rows  # neither copy is guessed at
    assert set(r.rows) == {("E1", "2021-01"), ("E3", "2021-01")}


def test_a_truncated_row_is_reported(run_policy: Run) -> None:
    err = one_error(run_policy, "E2,王,rep,2021-01\n")
    assert (err.row, err.column) == (3, "s")


def test_a_row_with_extra_cells_is_reported(run_policy: Run) -> None:
    err = one_error(run_policy, "E2,王,rep,2021-01,50,,,,extra\n")
    assert err.row == 3 and "9 cells but the header has 8" in err.message


def test_non_utf8_bytes_are_reported_for_their_cell(run_policy: Run) -> None:
    raw = (HEADER + GOOD).encode("utf-8") + b"E2,\xd5\xc5\xc8\xfd,rep,2021-01,50,,,\n"
    r = run_policy(POLICY, raw)
    accounting(r)
    assert [(e.row, e.column) for e in r.errors] == [(3, "name")]
    assert "UTF-8" in r.errors[0].message
    assert r.out("E1", "2021-01")["x"] == "100"


def test_every_bad_row_at_once_and_the_rest_evaluated(run_policy: Run) -> None:
    lines = [
        GOOD,
        "E2,王,rep,2021-01,,,,\n",  # 3 blank s
        "E3,李,rep,2021-01,60,,,\n",  # 4 fine
        "E4,刘,rep,2021-01,101,x,,\n",  # 5 two bad cells, one row
        "\n",  # 6 a blank line is not a row
        "E5,陈,rep,2021-13,50,,,\n",  # 7
        "E6,杨,rep,2021-02,70,,,\n",  # 8 fine
    ]
    r = run_policy(POLICY, HEADER + "".join(lines))
    accounting(r)
    assert r.total == 6
    assert sorted(r.rejected_rows) == [3, 5, 7]
    assert [(e.row, e.column) for e in r.errors] == [(3, "s"), (5, "s"), (5, "n"), (7, "period")]
    assert set(r.rows) == {("E1", "2021-01"), ("E3", "2021-01"), ("E6", "2021-02")}


def test_quoted_newlines_keep_spreadsheet_row_numbers(run_policy: Run) -> None:
    text = HEADER + 'E1,"张\n伟",rep,2021-01,50,,,\nE2,王,rep,2021-01,abc,,,\n'
    r = run_policy(POLICY, text)
    # a spreadsheet shows E1's two-line name in one row, so E2 is on row 3
    assert [(e.row, e.column) for e in r.errors] == [(3, "s")]


def test_missing_required_column_is_reported_on_every_row(run_policy: Run) -> None:
    text = "employee_id,name,role,period\nE1,张伟,rep,2021-01\nE2,王,rep,2021-01\n"
    r = run_policy(POLICY, text)
    accounting(r)
    assert [(e.row, e.column) for e in r.errors] == [(2, "s"), (3, "s")]
    assert all(e.message == "column is missing from the file" for e in r.errors)


def test_unknown_columns_are_a_warning_not_an_error(run_policy: Run) -> None:
    r = run_policy(POLICY, "employee_id,name,role,period,s,extra\nE1,张伟,rep,2021-01,50,zz\n")
    assert r.errors == []
    warnings = r.evaluation.loaded.warnings
    assert [(w.row, w.column) for w in warnings] == [(1, "extra")]


def test_empty_file_is_reported(run_policy: Run) -> None:
    r = run_policy(POLICY, "")
    assert [(e.row, e.message) for e in r.errors] == [(1, "the file is empty: no header row")]


def test_cells_are_trimmed_and_crlf_is_fine(run_policy: Run) -> None:
    text = (HEADER + " E1 , 张伟 , rep , 2021-01 , 50 ,,,\n").replace("\n", "\r\n")
    r = run_policy(POLICY, text)
    assert r.errors == []
    assert r.out("E1", "2021-01")["x"] == "100"


TYPES = (
    'policy "t"\nrecord\n  employee_id : id\n  period : month\n'
    "  ratio : number 0..1 = 1\n  rate : percent?\n  wage : money places 2 ?\n"
    "  kids : integer 0..10 ?\n"
    "key employee_id, period\noutput ratio, rate, wage, kids\n"
)


def test_defaults_ranges_percent_and_places(run_policy: Run) -> None:
    text = (
        "employee_id,period,ratio,rate,wage,kids\n"
        "E1,2021-01,,50%,1234.56,2\n"
        "E2,2021-01,0.25,0.3,,\n"
        "E3,2021-01,1.5,,,\n"
        "E4,2021-01,,,1.005,\n"
        "E5,2021-01,,101%,,\n"
    )
    r = run_policy(TYPES, text)
    accounting(r)
    assert r.out("E1", "2021-01") == {
        "employee_id": "E1",
        "period": "2021-01",
        "ratio": "1",  # blank takes the declared default
        "rate": "0.5",  # 50% in a percent column is 0.5
        "wage": "1234.56",
        "kids": "2",
    }
    assert r.out("E2", "2021-01")["rate"] == "0.3"
    errs = {(e.row, e.column): e.message for e in r.errors}
    assert set(errs) == {(4, "ratio"), (5, "wage"), (6, "rate")}
    assert "out of range 0..1" in errs[(4, "ratio")]
    assert "more than 2 decimal places" in errs[(5, "wage")]


def test_record_errors_sort_by_row_then_column(run_policy: Run) -> None:
    text = HEADER + "E2,王,rep,2021-13,abc,,,\n" + GOOD
    r = run_policy(POLICY, text)
    assert [str(e).split(":", 1)[1] for e in r.errors] == [
        re.sub(r"^.*?:", "", str(e), count=1) for e in r.errors
    ]
    assert [(e.row, e.column) for e in r.errors] == [(2, "period"), (2, "s")]


def test_a_rows_errors_read_left_to_right_as_in_the_sheet(run_policy: Run) -> None:
    """Neither alphabetical (n, ok, role, s) nor declared (role, s, n, ok): the sheet's order,
    so the first report of a row (what `--strict` shows) is its leftmost bad cell."""
    header = "employee_id,period,ok,n,s,role,name,day\n"
    rows = "E1,2021-01,maybe,x,101,boss,张伟,\nE2,2021-01,true,1,50,rep,王,\nE3,2021-01,1,2,3\n"
    rows += "E4,2021-01,true,1,50,rep,王,2021-01-01,extra\n"
    r = run_policy(POLICY, header + rows)
    accounting(r)
    assert [(e.row, e.column) for e in r.errors] == [
        (2, "ok"),
        (2, "n"),
        (2, "s"),
        (2, "role"),
        (4, "ok"),
        (4, "role"),
        (4, "name"),
        (5, "-"),
    ]


def test_a_gbk_file_is_read_as_gb18030(run_policy: Run) -> None:
    policy = POLICY.replace("  name : text\n", "  姓名 : text\n")
    text = "employee_id,姓名,role,period,s\nE1,张伟,rep,2021-01,50\n\nE2,王,rep,2021-01,60\n"
    r = run_policy(policy, text.encode("gbk"))
    assert r.total == 2 and r.errors == [] and r.evaluation.loaded.encoding == "GB18030"
    assert r.out("E2", "2021-01")["x"] == "120"
    assert r.evaluation.loaded.warnings == []  # no garbled column names


def test_a_gbk_cell_under_a_utf8_header_is_still_that_cells_report(run_policy: Run) -> None:
    data = (HEADER + GOOD).encode() + "E2,王,rep,2021-01,50,,,\n".encode("gbk")
    r = run_policy(POLICY, data)
    assert [(e.row, e.column, e.message) for e in r.errors] == [
        (3, "name", "cell is not valid UTF-8 text")
    ]


def test_an_empty_file_has_no_data_rows(run_policy: Run) -> None:
    r = run_policy(POLICY, "")
    assert r.total == 0 and r.evaluation.reported_rows == set()


def test_plan_slots_hold_record_values() -> None:
    plan = plan_for(POLICY)
    assert plan.field_names[:4] == ["employee_id", "name", "role", "period"]
    assert plan.nslots > len(plan.field_names)
