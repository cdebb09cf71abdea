"""Staff files as HR keeps them: every encoding and a workbook give the UTF-8 CSV's results;
what eval writes (xlsx, CSV's BOM, money's places), its summary, --keep and --errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from conftest import EXAMPLE_A, POLICY_A, ROOT, evaluate_plan, plan_for
from python_calamine import CalamineWorkbook

from policyc.cli import main as cli_main

ACCEPTANCE = ROOT / "tests" / "acceptance"
CASES = sorted(p for p in ACCEPTANCE.iterdir() if (p / "case.json").is_file())
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")

Run = Any


@pytest.fixture
def policyc(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`policyc ARGS` in-process -> (exit status, stdout, stderr)."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["policyc", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            cli_main.main()
        code = exit_info.value.code
        out, err = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out, err

    return run


def sources() -> list[tuple[str, Path, Path]]:
    """(name, policy, UTF-8 records) for the bundled example and each acceptance case."""
    out = [("example", POLICY_A, EXAMPLE_A)]
    for case in CASES:
        spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
        out.append((case.name, ROOT / spec["policy"], case / "records.csv"))
    return out


SOURCES = sources()


def as_xlsx(text: str, path: Path) -> None:
    """The CSV as Excel would hold it: numbers as number cells, months as date cells."""
    rows = list(csv.reader(io.StringIO(text)))
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("records")
    month = book.add_format({"num_format": "yyyy-mm"})
    ws.write_row(0, 0, rows[0])
    for r, cells in enumerate(rows[1:], 1):
        for c, cell in enumerate(cells):
            if MONTH.fullmatch(cell) and rows[0][c] == "period":
                ws.write_datetime(r, c, dt.datetime(int(cell[:4]), int(cell[5:]), 1), month)
            elif NUMBER.fullmatch(cell) and rows[0][c] not in ("employee_id",):
                ws.write_number(r, c, float(cell))
            elif cell:
                ws.write_string(r, c, cell)
    book.close()


def encoded(kind: str, text: str, path: Path) -> Path:
    if kind == "xlsx":
        as_xlsx(text, path.with_suffix(".xlsx"))
        return path.with_suffix(".xlsx")
    if kind == "utf16-tsv":
        rows = list(csv.reader(io.StringIO(text)))
        buf = io.StringIO()
        csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
        path.write_bytes(buf.getvalue().encode("utf-16"))  # with its BOM, as Excel writes
    elif kind == "utf8-bom-crlf":
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    else:
        path.write_bytes(text.encode(kind))
    return path


def outcome(plan: Any, path: Path) -> tuple[dict[Any, dict[str, Any]], list[tuple[int, str]]]:
    r = evaluate_plan(plan, path)
    rows = {k: {n: _norm(v) for n, v in o.items()} for k, o in r.rows.items()}
    return rows, [(e.row, e.column) for e in r.errors]


def _norm(v: Any) -> Any:
    if isinstance(v, str) and NUMBER.fullmatch(v):
        return Decimal(v)
    return v


@pytest.mark.parametrize("kind", ["gbk", "gb18030", "utf16-tsv", "utf8-bom-crlf", "xlsx"])
@pytest.mark.parametrize(("name", "policy", "records"), SOURCES, ids=[s[0] for s in SOURCES])
def test_every_encoding_and_a_workbook_give_the_csv_results(
    tmp_path: Path, kind: str, name: str, policy: Path, records: Path
) -> None:
    plan = plan_for(policy.read_text(encoding="utf-8"), str(policy))
    text = records.read_text(encoding="utf-8")
    want = outcome(plan, records)
    assert want[0], "the case evaluates something"
    got = outcome(plan, encoded(kind, text, tmp_path / "r.csv"))
    assert got == want


# ---- reading: one message for an undecodable file; forms; stdin; sheets ---------------------

POLICY = (
    'policy "t"\nrecord\n  employee_id : id\n  name : text?\n  period : month\n  s : score\n'
    "  pay : money?\n  ok : bool?\n  day : date?\n  dept : text?\n"
    'key employee_id, period\nx = s * 2\nbonus = pay * 2\nflag = if ok then "yes" else "no"\n'
    "when = day\noutput x, bonus, flag, when\n"
)


def write(tmp_path: Path, records: str | bytes, name: str = "r.csv") -> tuple[Path, Path]:
    policy = tmp_path / "t.policy"
    policy.write_text(POLICY, encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(records.encode("utf-8") if isinstance(records, str) else records)
    return policy, path


def test_an_undecodable_file_is_one_message(tmp_path: Path, policyc: Run) -> None:
    lines = [b"employee_id,period,s"] + [b"E%d,2021-01,\xff\xfe\x80%d" % (i, i) for i in range(50)]
    policy, path = write(tmp_path, b"\n".join(lines) + b"\n")
    code, out, err = policyc("eval", policy, path, "--summary", "off", "--format", "jsonl")
    assert code == 1 and out == ""
    reports = [line for line in err.splitlines() if line.startswith(str(path))]
    assert len(reports) == 1, err
    assert "tried UTF-8, GB18030" in reports[0] and "--encoding" in reports[0]
    assert "CSV UTF-8" in reports[0]


def test_encoding_and_delimiter_can_be_forced(tmp_path: Path, policyc: Run) -> None:
    text = "employee_id;name;period;s\nE1;王大明;2021-01;50\n"
    policy, path = write(tmp_path, text.encode("big5"))
    code, out, err = policyc(
        "eval", policy, path, "--encoding", "big5", "--delimiter", ";", "--format", "jsonl"
    )
    assert code == 0, err
    assert json.loads(out)["x"] == "100"
    code, _, err = policyc("eval", policy, path, "--encoding", "no-such-codec")
    assert code == 1 and "unknown encoding" in err


def test_semicolons_and_tabs_are_detected(tmp_path: Path, policyc: Run) -> None:
    for sep in (";", "\t"):
        policy, path = write(tmp_path, f"employee_id{sep}period{sep}s\nE1{sep}2021-01{sep}40\n")
        code, out, err = policyc("eval", policy, path, "--format", "jsonl")
        assert code == 0 and json.loads(out)["x"] == "80", err


def test_stdin_is_read_with_a_dash(
    tmp_path: Path, policyc: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy, _ = write(tmp_path, "")
    data = "employee_id,period,s\nE1,2021-01,40\n".encode("gbk")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = policyc("eval", policy, "-", "--format", "jsonl")
    assert code == 0, err
    assert json.loads(out)["x"] == "80"


@pytest.mark.parametrize(
    ("column", "cell", "want"),
    [
        ("period", "2021-03", ("period", "2021-03")),
        ("period", "2021/3", ("period", "2021-03")),
        ("period", "2021/03", ("period", "2021-03")),
        ("period", "2021-3", ("period", "2021-03")),
        ("period", "2021.3", ("period", "2021-03")),
        ("period", "2021年3月", ("period", "2021-03")),
        ("period", "2021-03-01", ("period", "2021-03")),
        ("period", "2021/3/1", ("period", "2021-03")),
        ("period", "2021/3/1 0:00", ("period", "2021-03")),
        ("day", "2021/3/5", ("when", "2021-03-05")),
        ("day", "2021年3月5日", ("when", "2021-03-05")),
        ("day", "2021/3/5 0:00", ("when", "2021-03-05")),
        ("pay", "23,500.00", ("bonus", "47000.00")),
        ("pay", "¥18000", ("bonus", "36000.00")),
        ("pay", "￥18,000.00", ("bonus", "36000.00")),
        ("pay", "-¥50", ("bonus", "-100.00")),
        ("pay", "18000元", ("bonus", "36000.00")),
        ("pay", "RMB18000", ("bonus", "36000.00")),
        ("ok", "是", ("flag", "yes")),
        ("ok", "否", ("flag", "no")),
        ("ok", "TRUE", ("flag", "yes")),
        ("ok", "对", ("flag", "yes")),
        ("ok", "×", ("flag", "no")),
    ],
)
def test_each_excel_cell_form_in_the_docs_is_read(
    tmp_path: Path, policyc: Run, column: str, cell: str, want: tuple[str, str]
) -> None:
    cells = {"employee_id": "E1", "period": "2021-03", "s": "40", column: cell}
    header = list(cells)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, list(cells.values())])
    policy, path = write(tmp_path, buf.getvalue())
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 0, err
    row = json.loads(out)
    assert row[want[0]] == want[1]
    assert cell in (ROOT / "docs" / "records.md").read_text(encoding="utf-8") or column == "ok"


@pytest.mark.parametrize(
    ("column", "cell", "words"),
    [
        ("period", "２０２１-03", "not ASCII"),
        ("period", "٢٠٢١-01", "not ASCII"),
        ("period", "202１-01", "not ASCII"),
        ("s", "８0", "not ASCII"),
        ("period", "2021-03-15", "not a month"),
        ("period", "2021/13", "not a month"),
        ("pay", "1,00", "not a number"),
        ("s", "¥50", "not a number"),  # a currency only on money
        ("ok", "yes", "not `true`"),
    ],
)
def test_forms_that_are_not_certain_are_reported(
    tmp_path: Path, policyc: Run, column: str, cell: str, words: str
) -> None:
    cells = {"employee_id": "E1", "period": "2021-03", "s": "40", column: cell}
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([list(cells), list(cells.values())])
    policy, path = write(tmp_path, buf.getvalue())
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 1 and out == ""
    assert f"{path}:2:{column}: " in err and words in err, err


def test_a_workbook_is_read_by_its_bytes_with_typed_cells_and_sheets(
    tmp_path: Path, policyc: Run
) -> None:
    path = tmp_path / "staff.data"  # the name does not matter; the bytes say workbook
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("notes").write(0, 0, "nothing here")
    ws = book.add_worksheet("2021")
    date = book.add_format({"num_format": "yyyy/m/d"})
    ws.write_row(2, 0, ["employee_id", "period", "s", "pay", "ok"])  # the header on row 3
    ws.write_row(3, 0, [2110002, None, 45.5, 1234.5, True])
    ws.write_datetime(3, 1, dt.datetime(2021, 3, 1), date)
    ws.write_row(4, 0, ["E2", "2021-04", "abc", 1, False])
    book.close()
    policy, _ = write(tmp_path, "")
    code, out, err = policyc("eval", policy, path, "--sheet", "2021", "--format", "jsonl")
    assert code == 1
    row = json.loads(out)
    assert row == {
        "employee_id": "2110002", "period": "2021-03", "x": "91", "bonus": "2469.00",
        "flag": "yes", "when": None,
    }  # fmt: skip
    assert f"{path}:5:s: `abc` is not a number" in err  # the row as the sheet shows it
    code, out2, _ = policyc("eval", policy, path, "--sheet", "2", "--format", "jsonl")
    assert out2 == out
    code, _, err = policyc("eval", policy, path, "--sheet", "nope")
    assert code == 1 and "no sheet `nope`" in err and "`notes`, `2021`" in err


# ---- issue 13's reader repros ----------------------------------------------------------------


def test_a_stray_quote_is_reported_and_the_rows_after_it_are_read(
    tmp_path: Path, policyc: Run
) -> None:
    text = 'employee_id,period,s,name\nE1,2021-01,1,"ok\nE2,2021-01,2,b\nE3,2021-01,3,c\nE4,2021-01,4,d\n'
    policy, path = write(tmp_path, text)
    for extra in ((), ("--strict",)):
        code, out, err = policyc("eval", policy, path, "--format", "jsonl", *extra)
        assert code == 1, err
        assert f"{path}:2:-: the line is not valid CSV" in err
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert [json.loads(line)["employee_id"] for line in out.splitlines()] == ["E2", "E3", "E4"]


def test_a_quoted_cell_longer_than_csvs_limit_makes_no_phantom_row(
    tmp_path: Path, policyc: Run
) -> None:
    big = "x" * 70_000 + "\nE9,2021-01,9\n" + "y" * 70_000
    text = f'employee_id,period,s,name\nE1,2021-01,1,"{big}"\nE2,2021-01,2,b\n'
    policy, path = write(tmp_path, text)
    code, out, err = policyc("eval", policy, path, "--format", "jsonl", "--summary", "json")
    assert code == 1
    assert [json.loads(line)["employee_id"] for line in out.splitlines()] == ["E2"]
    assert f"{path}:2:name: is longer than 1000 characters" in err
    summary = json.loads(err.splitlines()[-2])
    assert (summary["rows_read"], summary["evaluated"], summary["reported"]) == (2, 1, 1)


def test_a_month_in_other_digits_is_no_duplicate_of_2021_01(tmp_path: Path, policyc: Run) -> None:
    text = "employee_id,period,s\nE1,2021-01,10\nE1,２０２１-01,20\n"
    policy, path = write(tmp_path, text)
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 1 and len(out.splitlines()) == 1
    assert "not ASCII 0-9" in err


@pytest.mark.parametrize("period", ["２０２１-01", "2021-01\n", "2021-1 "])
def test_explain_period_is_exactly_yyyy_mm(tmp_path: Path, policyc: Run, period: str) -> None:
    policy, path = write(tmp_path, "employee_id,period,s\nE1,2021-01,10\n")
    code, _, err = policyc("explain", policy, path, "--employee", "E1", "--period", period)
    assert code == 2 and "is not a month" in err


def test_more_than_50_significant_digits_are_refused_never_rounded(
    tmp_path: Path, policyc: Run
) -> None:
    cell = "80." + "0" * 49 + "1"
    policy, path = write(tmp_path, f"employee_id,period,s\nE1,2021-01,{cell}\nE2,2021-01,80.5\n")
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 1 and len(out.splitlines()) == 1
    assert "more than 50 significant digits" in err
    fifty = "40." + "0" * 47 + "1"  # exactly 50 significant digits: read exactly
    policy, path = write(tmp_path, f"employee_id,period,s\nE1,2021-01,{fifty}\n")
    code, out, _ = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 0 and json.loads(out)["x"] == "80." + "0" * 47 + "2"


def test_header_problems_are_reported(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, "employee_id,period,s,employee_id\nE1,2021-01,10,E2\n")
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 1 and out == ""
    assert "names `employee_id` 2 times (columns 1, 4)" in err
    assert f"{path}:2:-: not read" in err
    policy, path = write(tmp_path, "employee_id,period,s,\nE1,2021-01,10,lost\n")
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 0 and "column 4 has no header name but holds values (first on row 2)" in err
    policy, path = write(tmp_path, "\nemployee_id,period,s\nE1,2021-01,10\n")
    code, out, err = policyc("eval", policy, path, "--format", "jsonl")
    assert code == 0 and json.loads(out)["x"] == "20"
    assert "the header is row 2" in err


# ---- writing ---------------------------------------------------------------------------------

RECORDS = (
    "employee_id,name,period,s,pay,ok,dept\n"
    "E1,张伟,2021-01,50,4610,true,客服一部\n"
    "E2,=cmd|' /C calc'!A0,2021-01,33.3,150.1,false,@SUM(1+1)\n"
    "E3,王芳,2021-01,abc,10,true,客服一部\n"
)


def test_csv_with_o_has_a_bom_stdout_has_none(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, RECORDS)
    out_csv = tmp_path / "out.csv"
    policyc("eval", policy, path, "-o", out_csv)
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbfemployee_id,")
    _, out, _ = policyc("eval", policy, path, "--format", "csv")
    assert out.startswith("employee_id,")
    _, out, _ = policyc("eval", policy, path, "--format", "csv", "--bom")
    assert out.startswith("\ufeffemployee_id,")
    policyc("eval", policy, path, "-o", out_csv, "--no-bom")
    assert out_csv.read_bytes().startswith(b"employee_id,")


def test_money_has_its_places_in_every_format(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, RECORDS)
    _, out, _ = policyc("eval", policy, path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["bonus"] for r in rows] == ["9220.00", "300.20"]
    assert [r["x"] for r in rows] == ["100", "66.6"]  # a score is no money
    _, out, _ = policyc("eval", policy, path, "--format", "jsonl")
    assert [json.loads(line)["bonus"] for line in out.splitlines()] == ["9220.00", "300.20"]
    _, out, _ = policyc("eval", policy, path)
    assert "9220.00" in out and "300.20" in out


def test_formulas_are_written_as_text_and_keep_carries_columns(
    tmp_path: Path, policyc: Run
) -> None:
    policy, path = write(tmp_path, RECORDS)
    _, out, _ = policyc("eval", policy, path, "--format", "csv", "--keep", "name,dept")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:4] == ["employee_id", "period", "name", "dept"]
    assert rows[0]["name"] == "张伟" and rows[0]["dept"] == "客服一部"
    assert rows[1]["name"] == "'=cmd|' /C calc'!A0" and rows[1]["dept"] == "'@SUM(1+1)"
    code, _, err = policyc("eval", policy, path, "--keep", "nope")
    assert code == 2 and "--keep `nope`" in err


def test_xlsx_is_a_workbook_with_typed_cells(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, RECORDS)
    target = tmp_path / "out.xlsx"
    code, _, err = policyc("eval", policy, path, "-o", target, "--keep", "name")
    assert code == 1, err  # E3 is reported
    book = CalamineWorkbook.from_path(str(target))
    assert book.sheet_names == ["results", "reports"]
    rows = book.get_sheet_by_name("results").to_python()
    assert rows[0] == ["employee_id", "period", "name", "x", "bonus", "flag", "when"]
    assert rows[1] == ["E1", "2021-01", "张伟", 100.0, 9220.0, "yes", ""]
    assert rows[2][2] == "=cmd|' /C calc'!A0"  # a string cell, never a formula
    assert isinstance(rows[2][3], float) and rows[2][3] == 66.6
    reports = book.get_sheet_by_name("reports").to_python()
    assert reports[0] == ["file", "row", "column", "code", "message", "value"]
    assert reports[1][1:5] == [4.0, "s", "R103", "`abc` is not a number"]
    import zipfile

    sheet = zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "autoFilter" in sheet and 'ySplit="1"' in sheet
    styles = zipfile.ZipFile(target).read("xl/styles.xml").decode()
    assert 'formatCode="0.00"' in styles


@pytest.mark.parametrize("name", ["out.html", "out.tsv", "out.xls"])
def test_an_extension_eval_cannot_write_is_a_usage_error(
    tmp_path: Path, policyc: Run, name: str
) -> None:
    policy, path = write(tmp_path, RECORDS)
    code, _, err = policyc("eval", policy, path, "-o", tmp_path / name)
    assert code == 2 and not (tmp_path / name).exists(), err
    code, _, _ = policyc("eval", policy, path, "--format", "csv", "-o", tmp_path / "x.xlsx")
    assert code == 2 and not (tmp_path / "x.xlsx").exists()


def test_o_is_kept_when_no_row_evaluates(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, "employee_id,period,s\nE1,2021-01,abc\nE2,bad,1\n")
    target = tmp_path / "out.csv"
    target.write_text("good results\n", encoding="utf-8")
    code, _, err = policyc("eval", policy, path, "-o", target)
    assert code == 1
    assert target.read_text(encoding="utf-8") == "good results\n"
    assert "the old file is kept" in err


def test_o_naming_an_input_is_refused(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, RECORDS)
    before = path.read_bytes()
    for target in (path, policy):
        code, _, err = policyc("eval", policy, path, "-o", target, "--format", "csv")
        assert code == 2 and "of this run" in err
    assert path.read_bytes() == before


def test_a_numeric_key_and_negative_zero_print(tmp_path: Path, policyc: Run) -> None:
    policy = tmp_path / "n.policy"
    policy.write_text(
        'policy "n"\nrecord\n  employee_id : number\n  v : number\nkey employee_id\n'
        "r = round(v, 2)\nneg = v\noutput r, neg\n",
        encoding="utf-8",
    )
    path = tmp_path / "r.csv"
    path.write_text("employee_id,v\n7,-0.001\n8,-0\n", encoding="utf-8")
    for fmt in ("json", "jsonl", "csv", "table"):
        code, out, err = policyc("eval", policy, path, "--format", fmt)
        assert code == 0, err
        assert "-0" not in out.replace("-0.001", ""), (fmt, out)
    _, out, _ = policyc("eval", policy, path, "--format", "jsonl")
    assert json.loads(out.splitlines()[0]) == {"employee_id": "7", "r": "0", "neg": "-0.001"}


def test_the_table_cuts_never_rounds_and_escapes_control_characters(
    tmp_path: Path, policyc: Run
) -> None:
    policy = tmp_path / "n.policy"
    policy.write_text(
        'policy "n"\nrecord\n  employee_id : id\n  v : number\nkey employee_id\n'
        "q = v / 3\noutput q\n",
        encoding="utf-8",
    )
    path = tmp_path / "r.csv"
    path.write_text('employee_id,v\n"E\x1b[2J1",2.9999999\n', encoding="utf-8")
    _, out, _ = policyc("eval", policy, path)
    assert "0.999999…" in out and "\x1b" not in out and "\\x1b[2J" in out
    _, out, _ = policyc("eval", policy, path, "--format", "csv")
    assert "0.9999999666" in out  # CSV: cut to 10 places


# ---- the summary, --errors, the stderr cap, a closed pipe ------------------------------------


def test_summary_counts_and_totals_match_an_independent_count(tmp_path: Path, policyc: Run) -> None:
    case = ACCEPTANCE / "call_center_bonus"
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    expected = [
        json.loads(x) for x in (case / "expected.jsonl").read_text("utf-8").splitlines() if x
    ]
    code, _, err = policyc(
        "eval",
        ROOT / spec["policy"],
        case / "records.csv",
        "--summary",
        "json",
        "--format",
        "jsonl",
    )
    assert code == 0
    summary = json.loads(err.splitlines()[-1])
    assert (
        summary["rows_read"] == summary["evaluated"] == len(expected) and summary["reported"] == 0
    )
    for name in ("total_pay", "awards", "night_allowance"):
        assert Decimal(summary["totals"][name]) == sum(Decimal(str(r[name])) for r in expected)
    assert "rank" not in summary["totals"] and "score" not in summary["totals"]
    code, _, err = policyc(
        "eval", POLICY_A, EXAMPLE_A, "--summary", "json", "--format", "jsonl", "--by", "role"
    )
    summary = json.loads(err.splitlines()[-1])
    with EXAMPLE_A.open(encoding="utf-8") as f:
        roles = Counter(row["role"] for row in csv.DictReader(f))
    assert {g: t["evaluated"] for g, t in summary["groups"].items()} == dict(roles)
    _, out, _ = policyc("eval", POLICY_A, EXAMPLE_A, "--format", "jsonl")
    actions = Counter(
        str(json.loads(line)["action"]).replace("None", "none") for line in out.splitlines()
    )
    assert summary["counts"]["action"] == dict(actions)


def test_summary_text_in_english_and_chinese(tmp_path: Path, policyc: Run) -> None:
    policy, path = write(tmp_path, RECORDS)
    _, _, err = policyc("eval", policy, path, "--format", "jsonl", "--lang", "en")
    assert "summary: 3 row(s) read, 2 evaluated, 1 reported" in err
    assert "flag: no 1, yes 1" in err and "bonus: total 9520.20" in err
    _, _, err = policyc("eval", policy, path, "--format", "jsonl", "--lang", "zh")
    assert "汇总：读取 3 行，计算 2 行，报告 1 行" in err and "bonus：合计 9520.20" in err
    _, _, err = policyc("eval", policy, path, "--format", "jsonl", "--quiet")
    assert "summary:" not in err and "`abc` is not a number" in err


def test_errors_file_and_json_document_hold_every_report(tmp_path: Path, policyc: Run) -> None:
    lines = (
        ["employee_id,period,s"]
        + [f"E{i},2021-01,bad{i}" for i in range(1500)]
        + ["E9999,2021-01,5"]
    )
    policy, path = write(tmp_path, "\n".join(lines) + "\n")
    errors = tmp_path / "errors.jsonl"
    code, out, err = policyc("eval", policy, path, "--format", "json", "--errors", errors)
    assert code == 1
    shown = [line for line in err.splitlines() if line.startswith(str(path))]
    assert len(shown) == 1000 and "500 more report(s) not shown" in err and str(errors) in err
    written = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 1500
    assert written[0] == {
        "file": str(path), "row": 2, "column": "s", "code": "R103",
        "message": "`bad0` is not a number", "value": "bad0",
    }  # fmt: skip
    document = json.loads(out)
    assert len(document["errors"]) == 1500 and len(document["rows"]) == 1
    as_csv = tmp_path / "errors.csv"
    policyc("eval", policy, path, "--errors", as_csv, "--format", "jsonl")
    rows = list(csv.DictReader(io.StringIO(as_csv.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1500 and rows[0]["column"] == "s"


def test_a_closed_pipe_ends_quietly_with_the_usual_status(tmp_path: Path) -> None:
    import subprocess

    from conftest import policyc_command

    cmd = [*policyc_command(), "eval", str(POLICY_A), str(EXAMPLE_A), "--format", "csv"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err
