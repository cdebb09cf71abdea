"""Hostile record files: every bad row reported as FILE:ROW:COLUMN, every good row evaluated.

Random damage comes from bench/fuzz.py (driven by hypothesis, bounded); the named cases
below are the messes an Excel export brings, one at a time, on a small contract-A file.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import POLICY_A, ROOT, Result, evaluate_plan, plan_a, plan_for, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_policies import fuzz

from policyc.backend.closures.compile import Plan

CONTRACT_B = ROOT / "policies" / "call_center_bonus.policy"
_PLANS: dict[str, Plan] = {}
ROW_REPORT = re.compile(r"^(?P<file>.+?):(?P<row>\d+):(?P<column>[^:\s]+): (?P<message>.+)$")
SUMMARY = re.compile(r"^(\d+) row\(s\) reported, (\d+) evaluated$")


def plan_named(name: str) -> Plan:
    if name not in _PLANS:
        _PLANS[name] = plan_a() if name == "A" else plan_for(CONTRACT_B.read_text("utf-8"))
    return _PLANS[name]


# ---- random damage ---------------------------------------------------------------------------


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(["A", "B"]), st.randoms(use_true_random=False))
def test_hostile_records_are_reported_and_good_rows_evaluated(
    tmp_path_factory: pytest.TempPathFactory, contract: str, rnd: random.Random
) -> None:
    """No traceback; rows in = rows out + rows reported; every report inside the file and
    naming a column; the rows of employees the damage did not touch all evaluated (and, for
    contract A, where employees are independent, to the same outputs as before)."""
    plan = plan_named(contract)
    work = tmp_path_factory.mktemp("records")
    good = fuzz.good_records(plan.model, rnd, employees=rnd.randint(1, 8))
    clean = fuzz.clean_outputs(plan, good, work / "clean.csv")
    case = fuzz.hostile_records(plan.model, good, rnd)
    problems = fuzz.record_problems(plan, case, work / "hostile.csv", clean)
    assert problems == [], "\n".join([*problems, *case.notes])


def test_the_damage_is_real_and_leaves_untouched_employees(tmp_path: Path) -> None:
    """Guards the property above against a generator that damages nothing or everything."""
    plan = plan_named("A")
    counts = fuzz.Counts()
    untouched = 0
    for seed in range(40):
        rnd = random.Random(seed)
        good = fuzz.good_records(plan.model, rnd, employees=6)
        case = fuzz.hostile_records(plan.model, good, rnd)
        assert fuzz.record_problems(plan, case, tmp_path / "h.csv", {}, counts) == []
        untouched += len(set(good.employees) - case.touched) if not case.all_touched else 0
    assert counts.rows_reported > 100 and counts.rows_out > 500 and untouched > 40
    assert counts.rows_in == counts.rows_out + counts.rows_reported


# ---- named messes, one at a time ---------------------------------------------------------------

METRICS = ["callback_rate", "satisfaction", "handling", "training", "attendance"]
HEADER = ["employee_id", "name", "role", "level", "period", *METRICS]
LADDER_A = "普通客服代表-中级"


def base_rows() -> list[list[str]]:
    """Three customer reps, three months each (rows 2-10); E1's months are rows 2-4."""
    rows = []
    for n, emp in enumerate(["E1", "E2", "E3"]):
        for m in range(1, 4):
            level = LADDER_A if m == 1 else ""
            scores = [str(60 + 7 * n + m + i) for i in range(len(METRICS))]
            rows.append([emp, "张伟", "customer_rep", level, f"2021-0{m}", *scores])
    return rows


def to_csv(header: list[str], rows: list[list[str]], newline: str = "\n") -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return (newline.join(lines) + newline).encode("utf-8")


def set_cell(row: int, column: str, value: str) -> Callable[[list[list[str]]], bytes]:
    """Damage one cell: `row` as a spreadsheet numbers it (the header is row 1)."""

    def make(rows: list[list[str]]) -> bytes:
        cell = value if "," not in value and "\n" not in value else '"' + value + '"'
        rows[row - 2][HEADER.index(column)] = cell
        return to_csv(HEADER, rows)

    return make


def raw(edit: Callable[[bytes], bytes]) -> Callable[[list[list[str]]], bytes]:
    return lambda rows: edit(to_csv(HEADER, rows))


def drop_column(column: str) -> Callable[[list[list[str]]], bytes]:
    def make(rows: list[list[str]]) -> bytes:
        i = HEADER.index(column)
        return to_csv(HEADER[:i] + HEADER[i + 1 :], [r[:i] + r[i + 1 :] for r in rows])

    return make


def duplicate(row: int) -> Callable[[list[list[str]]], bytes]:
    return lambda rows: to_csv(HEADER, [*rows, list(rows[row - 2])])


# (name, damage, reports expected as {(row, column)}, a word of the message, employees spared)
CASES: list[tuple[str, Callable[[list[list[str]]], bytes], set[tuple[int, str]], str]] = [
    ("blank weighed metric", set_cell(3, "handling", ""), {(3, "handling")}, "blank"),
    ("text in a number column", set_cell(3, "handling", "abc"), {(3, "handling")}, "number"),
    ("1e400", set_cell(3, "training", "1e400"), {(3, "training")}, "`1e400`"),
    ("20 nines", set_cell(3, "training", "9" * 20), {(3, "training")}, "range"),
    ("negative score", set_cell(3, "satisfaction", "-5"), {(3, "satisfaction")}, "range"),
    ("score above 100", set_cell(3, "satisfaction", "100.5"), {(3, "satisfaction")}, "range"),
    ("NaN", set_cell(3, "attendance", "NaN"), {(3, "attendance")}, "not a number"),
    ("inf", set_cell(3, "attendance", "inf"), {(3, "attendance")}, "not a number"),
    ("thousands separator", set_cell(3, "attendance", "1,000"), {(3, "attendance")}, "number"),
    ("month 13", set_cell(3, "period", "2021-13"), {(3, "period")}, "not a month"),
    ("month in words", set_cell(3, "period", "March 2021"), {(3, "period")}, "not a month"),
    ("two-digit year", set_cell(3, "period", "21-01"), {(3, "period")}, "not a month"),
    ("unknown role", set_cell(3, "role", "boss"), {(3, "role")}, "not one of"),
    ("blank employee id", set_cell(3, "employee_id", ""), {(3, "employee_id")}, "blank"),
    # a rejected starting level: the employee's later rows cannot be evaluated either
    ("unknown level", set_cell(2, "level", "不存在"), {(2, "level"), (3, "level"), (4, "level")}, "ladder"),
    ("starting row rejected", set_cell(2, "period", "2021-13"), {(2, "period"), (3, "level"), (4, "level")}, "month"),
    ("duplicate employee-month", duplicate(3), {(3, "period"), (11, "period")}, "duplicate"),
    ("non-UTF-8 bytes", raw(lambda b: b.replace("E1,张伟".encode(), "E1,张伟".encode("gbk"), 2)), {(2, "name"), (3, "name"), (4, "level")}, "UTF-8"),
    ("truncated last line", raw(lambda b: b[: b.rstrip(b"\n").rfind(b",")]), {(10, "attendance")}, "blank"),
    ("extra cells", lambda rows: to_csv(HEADER, [*rows[:1], [*rows[1], "1", "2"], *rows[2:]]), {(3, "-")}, "cells"),
    ("missing column", drop_column("role"), {(r, "role") for r in range(2, 11)}, "missing"),
    ("missing optional column", drop_column("handling"), {(r, "handling") for r in range(2, 11)}, "blank"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "damage", "expected", "word"), CASES, ids=[c[0] for c in CASES])
def test_each_mess_is_reported_where_it_is(
    tmp_path: Path,
    name: str,
    damage: Callable[[list[list[str]]], bytes],
    expected: set[tuple[int, str]],
    word: str,
) -> None:
    plan = plan_named("A")
    clean = run(plan, tmp_path / "clean.csv", to_csv(HEADER, base_rows()))
    assert clean.errors == [] and len(clean.rows) == 9
    got = run(plan, tmp_path / "records.csv", damage(base_rows()))
    assert {(e.row, e.column) for e in got.errors} == expected, [str(e) for e in got.errors]
    assert any(word in e.message for e in got.errors), [e.message for e in got.errors]
    assert all(str(e).startswith(f"{tmp_path / 'records.csv'}:{e.row}:") for e in got.errors)
    reported = {e.row for e in got.errors if e.row >= 2}
    assert got.total == len(got.rows) + len(reported)
    touched = {base_rows()[r - 2][0] for r in reported if r - 2 < 9} or {"E1"}
    for key, outputs in clean.rows.items():
        if key[0] not in touched:  # the other employees: evaluated, and just as before
            assert got.rows[key] == outputs, key


def run(plan: Plan, path: Path, data: bytes) -> Result:
    path.write_bytes(data)
    return evaluate_plan(plan, path)


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("BOM", lambda b: b"\xef\xbb\xbf" + b),
        ("CRLF", lambda b: b.replace(b"\n", b"\r\n")),
        ("CR only", lambda b: b.replace(b"\n", b"\r")),
        ("no final newline", lambda b: b.rstrip(b"\n")),
        ("blank lines", lambda b: b.replace(b"\n", b"\n\n")),
        ("extra column", lambda b: b.replace(b"\n", b",x\n").replace(b"attendance,x", "attendance,备注".encode())),
        ("quoted newline", lambda b: b.replace("张伟".encode(), '"张\n伟"'.encode(), 1)),
        ("spaces around cells", lambda b: b.replace(b",", b" , ")),
        ("columns in another order", lambda b: reorder(b)),
    ],
)  # fmt: skip
def test_harmless_variations_change_nothing(
    tmp_path: Path, name: str, edit: Callable[[bytes], bytes]
) -> None:
    plan = plan_named("A")
    data = to_csv(HEADER, base_rows())
    clean = run(plan, tmp_path / "clean.csv", data)
    got = run(plan, tmp_path / "records.csv", edit(data))
    assert got.errors == [], [str(e) for e in got.errors]
    assert got.rows == clean.rows
    assert got.total == 9


def reorder(data: bytes) -> bytes:
    lines = [line.split(b",") for line in data.strip().split(b"\n")]
    return b"\n".join(b",".join(reversed(cells)) for cells in lines) + b"\n"


@pytest.mark.parametrize(
    ("data", "rows", "errors"),
    [(b"", 0, [(1, "the file is empty: no header row")]), (b"\xef\xbb\xbf", 0, [(1, "empty")])]
    + [(",".join(HEADER).encode() + end, 0, []) for end in (b"", b"\n", b"\r\n")],
)
def test_empty_file_and_header_only(
    tmp_path: Path, data: bytes, rows: int, errors: list[tuple[int, str]]
) -> None:
    got = run(plan_named("A"), tmp_path / "r.csv", data)
    assert (got.total, len(got.rows)) == (0, rows)
    assert len(got.errors) == len(errors)
    for e, (row, word) in zip(got.errors, errors, strict=True):
        assert e.row == row and word in e.message


def test_reports_stay_one_printable_line(tmp_path: Path) -> None:
    """A cell holding a newline or a terminal escape is shown escaped, and long cells cut."""
    rows = base_rows()
    rows[1][HEADER.index("handling")] = '"7\n0"'
    rows[2][HEADER.index("training")] = "\x1b[2J" + "9" * 500
    got = run(plan_named("A"), tmp_path / "r.csv", to_csv(HEADER, rows))
    texts = [str(e) for e in got.errors]
    assert len(texts) == 2 and all(t.isprintable() and len(t) < 300 for t in texts), texts
    assert "\\n" in texts[0] and "\\x1b" in texts[1]


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    """A quoted newline keeps its record on one spreadsheet row; a blank line is a row."""
    rows = base_rows()
    rows[0][HEADER.index("name")] = '"张\n伟"'
    rows[2][HEADER.index("handling")] = "abc"
    data = to_csv(HEADER, rows)
    got = run(plan_named("A"), tmp_path / "r.csv", data)
    assert [(e.row, e.column) for e in got.errors] == [(4, "handling")]
    spaced = data.replace(b"\n", b"\n\n", 1)  # one blank line after the header
    got = run(plan_named("A"), tmp_path / "s.csv", spaced)
    assert [(e.row, e.column) for e in got.errors] == [(5, "handling")]


# ---- through the command line -------------------------------------------------------------------


def check_cli_reports(path: Path, stderr: str, stdout: str) -> dict[str, Any]:
    """Every stderr line a FILE:ROW:COLUMN report, a warning or the summary; the summary
    counts distinct reported rows and the evaluated rows printed."""
    rows: set[int] = set()
    summary = None
    for line in stderr.splitlines():
        if line.startswith(("summary: ", "  ")):
            continue  # the run's summary (counts and totals)
        m = ROW_REPORT.match(line)
        s = SUMMARY.match(line)
        assert m or s, line
        if s:
            summary = (int(s[1]), int(s[2]))
        elif m and m["file"] == str(path) and not m["message"].startswith("warning:"):
            rows.add(int(m["row"]))
    printed = len(stdout.splitlines())
    if summary is not None:
        assert summary == (len(rows), printed)
    return {"rows": rows, "printed": printed}


def test_cli_reports_every_bad_row_on_stderr(tmp_path: Path) -> None:
    plan = plan_named("A")
    cases = []
    for seed in range(6):
        rnd = random.Random(seed)
        good = fuzz.good_records(plan.model, rnd, employees=5)
        case = fuzz.hostile_records(plan.model, good, rnd)
        path = tmp_path / f"h{seed}.csv"
        path.write_bytes(case.data)
        cases.append(path)
    for path in cases:
        proc = run_cli("eval", POLICY_A, path, "--format", "jsonl")
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        seen = check_cli_reports(path, proc.stderr, proc.stdout)
        rows_in, _ = fuzz.spreadsheet_rows(path.read_bytes())
        assert rows_in == seen["printed"] + len({r for r in seen["rows"] if r >= 2})
        assert proc.returncode == (1 if seen["rows"] else 0)
