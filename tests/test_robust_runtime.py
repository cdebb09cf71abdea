"""Regressions from issue 13 (runtime side), fixed in the current runtime while the new IR
was not landed: a cohort key that cannot be computed rejects its row, and whole results
of 10^50 and more print everywhere."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli.main import cli
from policyc.runtime.values import plain

ROOT = Path(__file__).resolve().parents[1]
HEAD = """policy "t"
record
  employee_id : id
  period      : month
  x           : number?
  role        : one of a, b
key employee_id, period
"""
RECORDS = (
    "employee_id,period,x,role\n"
    "E1,2021-01,1,a\n"
    "E2,2021-01,0,a\n"
    "E3,2021-01,4,b\n"
    "E1,2021-02,1000000000000000,a\n"
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    r = tmp_path / "r.csv"
    r.write_text(RECORDS, encoding="utf-8")
    return tmp_path, r


@pytest.mark.parametrize(
    "body",
    [
        "k = rank(100 / x desc)\noutput k\n",
        "k = rank(100 / x desc among role is a)\noutput k\n",
        "k = mean(100 / x per role)\noutput k\n",
        "k = sum(100 / x among x >= 0 per role)\noutput k\n",
    ],
)
def test_a_cohort_key_divided_by_zero_rejects_its_row_not_the_run(
    files: tuple[Path, Path], body: str
) -> None:
    tmp, r = files
    p = tmp / "t.policy"
    p.write_text(HEAD + body, encoding="utf-8")
    code, out = invoke("eval", str(p), str(r), "--format", "jsonl")
    assert code == 1, out
    assert "internal error" not in out
    assert f"{r}:3:k: " in out and "division by zero" in out  # E2's row, named by the user
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {(o["employee_id"], o["period"]) for o in lines} == {
        ("E1", "2021-01"),
        ("E3", "2021-01"),
        ("E1", "2021-02"),
    }
    assert "1 row(s) reported, 3 evaluated" in out


def test_check_still_accepts_the_policy() -> None:
    from policyc.pipeline import check_source
    from policyc.source import SourceFile

    assert check_source(SourceFile.of("t.policy", HEAD + "k = rank(100 / x desc)\noutput k\n")).ok


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl", "json"])
def test_a_whole_result_past_10_to_the_50_prints(files: tuple[Path, Path], fmt: str) -> None:
    tmp, r = files
    p = tmp / "t.policy"
    p.write_text(HEAD + "y = x * x * x * x\noutput y\n", encoding="utf-8")
    code, out = invoke("eval", str(p), str(r), "--format", fmt)
    assert code == 0, out
    assert "1" + "0" * 60 in out  # (10^15)^4, every digit
    assert "256" in out  # the rows after it are printed too


def test_explain_and_diff_show_a_huge_rank_key(files: tuple[Path, Path]) -> None:
    tmp, r = files
    old, new = tmp / "old.policy", tmp / "new.policy"
    old.write_text(HEAD + "y = x * x * x * x\nk = rank(y desc)\noutput y, k\n", "utf-8")
    new.write_text(HEAD + "y = x * x * x * x\nk = rank(y asc)\noutput y, k\n", "utf-8")
    code, out = invoke("explain", str(old), str(r), "--employee", "E1")
    assert code == 0, out
    assert "internal error" not in out and "1" + "0" * 60 in out
    code, out = invoke("diff", str(old), str(new), str(r))
    assert code == 1 and "internal error" not in out, out


def test_plain_keeps_every_digit_of_a_huge_whole_number() -> None:
    from decimal import Decimal

    assert plain(Decimal("1E+60")) == "1" + "0" * 60
    assert plain(Decimal("1.20E+3")) == "1200"
    assert plain(Decimal("2.50")) == "2.5"
    assert plain(Decimal("100.00")) == "100"


def _load_fuzz():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "policyc_bench_fuzz_rt", ROOT / "bench" / "fuzz.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_random_expressions_with_cohorts_and_huge_values_evaluate(tmp_path: Path) -> None:
    """Bounded run of bench/fuzz.py's expression fuzzer: cohort functions and values past
    10^50, evaluated, printed in every format and explained; every row accounted for."""
    fuzz = _load_fuzz()
    tally = fuzz.Tally()
    fuzz.fuzz_expressions(random.Random(13), 150, 0, tmp_path, tally)
    assert tally.clean > 50
    assert tally.problems == [], tally.problems[:3]
    c = tally.counts
    assert c.rows_in == c.rows_out + c.rows_reported
