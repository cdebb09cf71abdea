"""The promises `eval` keeps whatever the input:

rows in = rows out + rows reported; output independent of row order and byte-identical from
run to run; a duplicate employee-month is an error, never a silent pick; `--output FILE` is
written atomically; `--strict` stops at the first bad row with exit 1.
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Result, evaluate_plan, plan_for, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_policies import fuzz

from policyc.backend.closures.compile import Plan
from policyc.cli import main as cli_main
from policyc.io.results import result_rows, to_jsonl

POLICIES = sorted((ROOT / "policies").glob("*.policy"))
CONTRACT_B = ROOT / "policies" / "call_center_bonus.policy"
SUMMARY = re.compile(r"^(\d+) row\(s\) reported, (\d+) evaluated$", re.M)
_PLANS: dict[Path, Plan] = {}


def plan_of(path: Path) -> Plan:
    if path not in _PLANS:
        _PLANS[path] = plan_for(path.read_text(encoding="utf-8"), str(path))
    return _PLANS[path]


def damaged(path: Path, seed: int) -> bytes:
    """A generated record file for the policy at `path`, with random damage."""
    rnd = random.Random(seed)
    plan = plan_of(path)
    good = fuzz.good_records(plan.model, rnd, employees=8)
    return bytes(fuzz.hostile_records(plan.model, good, rnd).data)


def evaluate_bytes(plan: Plan, path: Path, data: bytes) -> Result:
    path.write_bytes(data)
    return evaluate_plan(plan, path)


# ---- rows in = rows out + rows reported -------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES, ids=[p.stem for p in POLICIES])
def test_rows_in_equal_rows_out_plus_rows_reported(tmp_path: Path, policy: Path) -> None:
    plan = plan_of(policy)
    totals = Counter[str]()
    for seed in range(12):
        data = damaged(policy, seed)
        r = evaluate_bytes(plan, tmp_path / "r.csv", data)
        rows_in, _ = fuzz.spreadsheet_rows(data)
        reported = {e.row for e in r.errors if e.row >= 2}
        assert r.total == rows_in
        assert rows_in == len(r.rows) + len(reported), (seed, [str(e) for e in r.errors])
        totals.update(rows_in=rows_in, out=len(r.rows), reported=len(reported))
    assert totals["reported"] > 0 and totals["out"] > 0  # both sides were exercised


def test_the_cli_summary_counts_rows_not_reports(tmp_path: Path) -> None:
    """Two bad cells on one row are two reports but one reported row."""
    text = (ROOT / "examples" / "cs_levels_2021" / "records.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    cells = lines[3].split(",")
    cells[5], cells[6] = "abc", "200"
    lines[3] = ",".join(cells)
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("eval", ROOT / "policies" / "cs_levels_2021.policy", path, "--format", "jsonl")
    assert proc.returncode == 1
    reports = [line for line in proc.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(reports) == 2 and all(f"{path}:4:" in line for line in reports)
    m = SUMMARY.search(proc.stderr)
    assert m and int(m[1]) == 1 and int(m[2]) == len(proc.stdout.splitlines())
    assert len(lines) - 1 == int(m[1]) + int(m[2])


# ---- row order and repeatability ---------------------------------------------------------------

B_DATA = damaged(CONTRACT_B, 3)


def _reports(data: bytes, r: Result) -> Counter[tuple[str, str, str]]:
    """Each report keyed by the text of its row (row numbers move when rows move)."""
    lines = data.decode("utf-8", errors="replace").split("\n")
    return Counter(
        (
            lines[e.row - 1] if e.row - 1 < len(lines) else "?",
            e.column,
            re.sub(r"\d+", "N", e.message),
        )
        for e in r.errors
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_contract_b_output_does_not_depend_on_row_order(
    tmp_path_factory: pytest.TempPathFactory, rnd: random.Random
) -> None:
    """Contract B ranks everyone in a month together: the order rows arrive in must not
    change a rank, a bonus or which rows are reported."""
    plan = plan_of(CONTRACT_B)
    work = tmp_path_factory.mktemp("order")
    header, *rows = [line for line in B_DATA.split(b"\n") if line.strip()]
    before = evaluate_bytes(plan, work / "a.csv", B_DATA)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    data = b"\n".join([header, *shuffled]) + b"\n"
    after = evaluate_bytes(plan, work / "b.csv", data)
    assert jsonl(plan, after) == jsonl(plan, before)
    assert _reports(data, after) == _reports(B_DATA, before)
    assert len(before.rows) > 10 and before.errors


def _per_row(data: bytes, r: Result) -> dict[str, list[tuple[str, str]]]:
    """Each row's reports in the order given, keyed by the row's text."""
    lines = data.decode("utf-8", errors="replace").split("\n")
    out: dict[str, list[tuple[str, str]]] = {}
    for e in r.errors:
        text = lines[e.row - 1] if e.row - 1 < len(lines) else "?"
        out.setdefault(text, []).append((e.column, re.sub(r"\d+", "N", e.message)))
    return out


def test_a_rows_reports_keep_the_sheets_order_whatever_the_row_order(tmp_path: Path) -> None:
    """Within a row, reports go left to right as the columns stand in the header, however
    the rows are shuffled (and so whatever row `--strict` meets first, it shows that row's
    leftmost bad cell)."""
    plan = plan_of(CONTRACT_B)
    header, *rows = [line for line in B_DATA.split(b"\n") if line.strip()]
    columns = ["-", *header.decode("utf-8", errors="replace").split(",")]
    before = _per_row(B_DATA, evaluate_bytes(plan, tmp_path / "a.csv", B_DATA))
    assert any(len(reports) > 1 for reports in before.values())  # rows with several reports
    for reports in before.values():
        at = [columns.index(c) if c in columns else len(columns) for c, _ in reports]
        assert at == sorted(at), reports
    for seed in range(3):
        shuffled = list(rows)
        random.Random(seed).shuffle(shuffled)
        data = b"\n".join([header, *shuffled]) + b"\n"
        assert _per_row(data, evaluate_bytes(plan, tmp_path / "b.csv", data)) == before


def jsonl(plan: Plan, r: Result) -> str:
    return "".join(to_jsonl(result_rows(plan, r.evaluation.outcome.rows)))


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_cli_output_is_byte_identical_across_runs(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(B_DATA)
    runs = [
        run_cli("eval", CONTRACT_B, path, "--format", fmt, env={"PYTHONHASHSEED": seed})
        for seed in ("1", "2")
    ]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    assert runs[0].stdout.strip()


# ---- duplicates --------------------------------------------------------------------------------

POLICY = (
    'policy "t"\nrecord\n  employee_id : id\n  period : month\n  s : score\n'
    "key employee_id, period\nx = s * 2\noutput x\n"
)


@pytest.mark.parametrize(
    "rows",
    [
        ["E1,2021-01,10", "E1,2021-01,10"],  # identical copies
        ["E1,2021-01,10", "E1,2021-01,90"],  # different values
        ["E1,2021-01,10", " E1 , 2021-01 ,90"],  # the same after trimming
        ["E1,2021-01,10", "E1,2021-01,20", "E1,2021-01,30"],  # three copies
        ["E1,2021-01,10", "E1,2021-01,abc"],  # one copy is itself bad: the other is not picked
    ],
)
def test_a_duplicate_employee_month_is_an_error_never_a_pick(
    tmp_path: Path, rows: list[str]
) -> None:
    data = "\n".join(["employee_id,period,s", "E2,2021-01,50", *rows]) + "\n"
    r = evaluate_bytes(plan_for(POLICY), tmp_path / "r.csv", data.encode())
    assert set(r.rows) == {("E2", "2021-01")}
    assert r.rejected_rows == set(range(3, 3 + len(rows)))
    assert r.total == len(r.rows) + len(r.rejected_rows)


def test_a_duplicate_employee_in_a_policy_without_months(tmp_path: Path) -> None:
    policy = ROOT / "policies" / "salary_structure.policy"
    plan = plan_of(policy)
    good = fuzz.good_records(plan.model, random.Random(1), employees=3)
    data = good.to_bytes() + (",".join(good.rows[1]) + "\n").encode()
    r = evaluate_bytes(plan, tmp_path / "r.csv", data)
    assert r.rejected_rows == {3, 5}
    assert all("duplicate" in e.message for e in r.errors)
    assert {k[0] for k in r.rows} == {good.employees[0], good.employees[2]}


# ---- --output is atomic ------------------------------------------------------------------------

OLD = "the previous results\n"
RECORDS_A = ROOT / "examples" / "cs_levels_2021" / "records.csv"
POLICY_A = ROOT / "policies" / "cs_levels_2021.policy"


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str | Path) -> int:
    """`policyc ARGS` in this process (so a writer can be made to fail); the exit status."""
    monkeypatch.setattr(sys, "argv", ["policyc", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main()
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def fail_after_first_chunk(error: BaseException) -> Callable[..., Iterator[str]]:
    def chunks(*args: object) -> Iterator[str]:
        yield '{"half": '
        raise error

    return chunks


@pytest.mark.parametrize(
    ("error", "status"), [(OSError(28, "No space left on device"), 2), (RuntimeError("bug"), 3), (KeyboardInterrupt(), 130)]
)  # fmt: skip
def test_output_survives_a_writer_that_fails_midway(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    status: int,
) -> None:
    import policyc.cli.eval_cmd as eval_cmd

    target = tmp_path / "out.jsonl"
    target.write_text(OLD, encoding="utf-8")
    monkeypatch.setattr(eval_cmd, "jsonl_lines", fail_after_first_chunk(error))
    code = run_main(monkeypatch, "eval", POLICY_A, RECORDS_A, "--format", "jsonl", "-o", target)
    err = capsys.readouterr().err
    assert code == status, err
    assert "Traceback" not in err
    assert target.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left


def test_output_survives_a_policy_that_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text(OLD, encoding="utf-8")
    broken = tmp_path / "broken.policy"
    broken.write_text(POLICY_A.read_text(encoding="utf-8").replace("output ", "output nosuch, "))
    proc = run_cli("eval", broken, RECORDS_A, "--format", "jsonl", "--output", target)
    assert proc.returncode == 1 and "nosuch" in proc.stderr
    assert target.read_text(encoding="utf-8") == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.policy", "out.jsonl"]


def test_output_is_replaced_whole_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text(OLD, encoding="utf-8")
    proc = run_cli("eval", POLICY_A, RECORDS_A, "--format", "jsonl", "--output", target)
    assert proc.returncode == 0 and proc.stdout == ""
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines and OLD.strip() not in lines
    assert len(lines) == len(RECORDS_A.read_text(encoding="utf-8").splitlines()) - 1


# ---- --strict ------------------------------------------------------------------------------------


def test_strict_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    data = damaged(POLICY_A, 5)
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    target = tmp_path / "out.jsonl"
    target.write_text(OLD, encoding="utf-8")
    loose = run_cli("eval", POLICY_A, path, "--format", "jsonl")
    reports = [
        line
        for line in loose.stderr.splitlines()
        if line.startswith(f"{path}:") and ": warning: " not in line
    ]
    first = min(reports, key=lambda line: int(line.split(":")[1]))
    assert loose.returncode == 1 and len({line.split(":")[1] for line in reports}) >= 2
    strict = run_cli("eval", POLICY_A, path, "--format", "jsonl", "--strict", "-o", target)
    assert strict.returncode == 1
    assert strict.stdout == ""
    strict_reports = [line for line in strict.stderr.splitlines() if line.startswith(f"{path}:")]
    assert [line for line in strict_reports if ": warning: " not in line] == [first]
    assert target.read_text(encoding="utf-8") == OLD


def test_strict_with_clean_records_is_a_normal_run() -> None:
    strict = run_cli("eval", POLICY_A, RECORDS_A, "--format", "jsonl", "--strict")
    loose = run_cli("eval", POLICY_A, RECORDS_A, "--format", "jsonl")
    assert strict.returncode == loose.returncode == 0
    assert strict.stdout == loose.stdout and strict.stdout
