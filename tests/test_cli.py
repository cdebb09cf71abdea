"""The command line as a user meets it: exit codes, streams, formats and files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import EXAMPLE_A, EXAMPLE_A_REL, OUTPUTS_A, POLICY_A, POLICY_A_REL, run_cli

from policyc.io.results import cut

ROW_ERROR = re.compile(r"^(?P<file>.+?):(?P<row>\d+):(?P<column>[^:\s]+): (?P<message>.+)$")
DIAG = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (error|warning)\[E\d{4}\]: .+$")

BROKEN = {
    "syntax": 'policy "b"\nrecord\n  employee_id : id\n  period : month\nkey employee_id, period\n'
    "x = 1 +\noutput x\n",
    "unknown name": 'policy "b"\nrecord\n  employee_id : id\n  period : month\n'
    "  score : score\nkey employee_id, period\nx = scroe + 1\noutput x\n",
    "unexpected character": 'policy "b"\nrecord\n  employee_id : id\n  period : month\n'
    "key employee_id, period\nx = 1 $ 2\n",
    "unclosed paren": 'policy "b"\nrecord\n  employee_id : id\n  period : month\n'
    "key employee_id, period\nx = max(1, 2\noutput x\n",
    "bad indentation": 'policy "b"\nrecord\n  employee_id : id\n    period : month\n',
    "not a policy": "\x00\x01 binary junk ÿþ\n",
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- check -------------------------------------------------------------------------------


def test_check_clean_policy_exits_0() -> None:
    proc = run_cli("check", POLICY_A_REL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"{POLICY_A_REL}: ok"


def test_check_findings_exit_1_with_located_diagnostics(tmp_path: Path) -> None:
    path = write(tmp_path / "b.policy", BROKEN["unknown name"])
    proc = run_cli("check", path)
    assert proc.returncode == 1
    first = proc.stdout.splitlines()[0]
    m = DIAG.match(first)
    assert m, first
    assert (m["line"], m["col"]) == ("7", "5")
    assert "unknown name `scroe`" in first
    assert "did you mean `score`?" in proc.stdout
    assert "^^^^^" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [("check", "no/such.policy"), ("check",), ("eval", POLICY_A_REL, "no/such.csv")],
    ids=["missing policy", "no arguments", "missing records"],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert "Usage:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_format_is_a_usage_error() -> None:
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--format", "xml")
    assert proc.returncode == 2
    assert "'xml' is not one of" in proc.stderr


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_policy_never_shows_a_traceback(tmp_path: Path, name: str) -> None:
    path = tmp_path / "b.policy"
    path.write_bytes(BROKEN[name].encode("utf-8", errors="surrogateescape"))
    for args in (("check", path), ("eval", path, EXAMPLE_A)):
        proc = run_cli(*args)
        assert "Traceback" not in proc.stdout + proc.stderr
        assert "internal error" not in proc.stderr
        assert proc.returncode == 1, (name, args, proc.stdout, proc.stderr)
        out = proc.stdout if args[0] == "check" else proc.stderr
        assert any(DIAG.match(line) for line in out.splitlines()), out


def test_unknown_window_is_a_located_diagnostic(tmp_path: Path) -> None:
    text = (
        'policy "b"\nrecord\n  employee_id : id\n  period : month\n  s : score\n'
        "key employee_id, period\nwindow q = every 3 months\nx = mean(s over qq)\noutput x\n"
    )
    path = write(tmp_path / "b.policy", text)
    proc = run_cli("eval", path, EXAMPLE_A)
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"b\.policy:8:\d+: error\[E\d+\]", proc.stderr), proc.stderr


def test_empty_policy_is_a_finding(tmp_path: Path) -> None:
    proc = run_cli("check", write(tmp_path / "empty.policy", ""))
    assert proc.returncode == 1
    assert "no `record` declaration" in proc.stdout and "Traceback" not in proc.stderr


# ---- eval --------------------------------------------------------------------------------


def test_eval_clean_records_exit_0() -> None:
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("summary: ")  # and nothing else: no report, no warning
    assert all(line.startswith(("summary: ", "  ")) for line in proc.stderr.splitlines())
    with EXAMPLE_A.open(encoding="utf-8") as f:
        n_rows = sum(1 for line in f if line.strip()) - 1
    assert len(proc.stdout.splitlines()) == n_rows


def bad_records(tmp_path: Path) -> Path:
    lines = EXAMPLE_A.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("customer_rep", "customer_repp", 1)  # row 4: unknown role
    cells = lines[7].split(",")
    cells[5] = "101"  # row 8: callback_rate above 100
    lines[7] = ",".join(cells)
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_eval_bad_rows_exit_1_and_are_reported_as_file_row_column(tmp_path: Path) -> None:
    path = bad_records(tmp_path)
    proc = run_cli("eval", POLICY_A_REL, path, "--format", "jsonl")
    assert proc.returncode == 1
    reported = [ROW_ERROR.match(line) for line in proc.stderr.splitlines()]
    errors = [(m["file"], m["row"], m["column"]) for m in reported if m]
    assert errors[:2] == [(str(path), "4", "role"), (str(path), "8", "callback_rate")]
    assert "`customer_repp` is not one of customer_rep" in proc.stderr
    assert "`101` is out of range 0..100" in proc.stderr
    # the other rows are still evaluated and printed
    total = sum(1 for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
    printed = len(proc.stdout.splitlines())
    rejected = len({row for _f, row, _c in errors})
    assert printed + rejected == total
    assert "row(s) reported" in proc.stderr.splitlines()[-1]


def outputs(fmt: str, tmp_path: Path) -> list[dict[str, object]]:
    """Rows printed in one format, read back as dicts of strings (None for blank)."""
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if fmt == "json":
        data = json.loads(text)
        assert isinstance(data, dict) and data["errors"] == []
        assert data["summary"]["evaluated"] == len(data["rows"])
        rows: list[dict[str, object]] = data["rows"]
        return rows
    if fmt == "csv":
        return [
            {k: (v if v != "" else None) for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text))
        ]
    raise AssertionError(fmt)


def normal(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    def cell(v: object) -> object:
        if isinstance(v, bool):
            return "true" if v else "false"
        return v

    return [{k: cell(v) for k, v in r.items()} for r in rows]


def test_json_jsonl_and_csv_carry_the_same_rows(tmp_path: Path) -> None:
    jsonl = outputs("jsonl", tmp_path)
    assert normal(outputs("json", tmp_path)) == normal(jsonl)
    # CSV cuts long decimals (a mean's 50 digits) to 10 places, without rounding
    cut_jsonl = [{k: cut(v, 10) if isinstance(v, str) else v for k, v in r.items()} for r in jsonl]
    assert normal(outputs("csv", tmp_path)) == normal(cut_jsonl)
    assert any(len(str(v)) > 40 for r in jsonl for v in r.values())  # the cut is tested
    assert tuple(jsonl[0]) == ("employee_id", "period", *OUTPUTS_A)


def test_table_is_the_default_and_aligned() -> None:
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["employee_id", "period", *OUTPUTS_A]
    assert set(lines[1].replace(" ", "")) == {"-"}
    promoted = next(line for line in lines if line.startswith("E2110002") and "2021-06" in line)
    assert promoted.split() == [
        "E2110002",
        "2021-06",
        "86.6",
        "true",
        "83.2",
        "promote",
        "普通客服代表-高级",
        "false",
        "false",
    ]
    # blank values are shown as `-`; columns line up by display width (Chinese is 2 cells)
    from policyc.source import display_width

    probation_at = lines[0].index("probation")
    for line in lines[2:]:
        m = re.search(r"(\S+)\s+(\S+)$", line)
        assert m and display_width(line[: m.start(1)]) == probation_at, line


def test_output_file_is_written_and_nothing_is_left_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old contents\n", encoding="utf-8")
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--format", "jsonl", "--output", target)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    stdout = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--format", "jsonl").stdout
    assert target.read_text(encoding="utf-8") == stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_output_into_a_missing_directory_fails_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "out.jsonl"
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--output", target)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert not target.exists()


def test_version_and_help() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and re.search(r"\d+\.\d+\.\d+", proc.stdout)
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("check", "eval", "explain"):
        assert command in proc.stdout


def test_policy_path_may_be_absolute() -> None:
    proc = run_cli("check", POLICY_A)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"{POLICY_A}: ok"
