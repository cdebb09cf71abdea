"""Properties (hypothesis, bounded): row order does not matter, band edges are exact,
ranks follow their definition, and output is byte-identical from run to run."""

from __future__ import annotations

import random
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import (
    EXAMPLE_A,
    POLICY_A_REL,
    Result,
    csv_text,
    plan_a,
    plan_for,
    run_cli,
    run_inline,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.io.results import result_rows, to_jsonl

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CENT = Decimal("0.01")


# ---- row order -----------------------------------------------------------------------------


def messy_lines() -> list[str]:
    """The example's data rows, plus bad rows, a duplicate month and a dropped month."""
    lines = EXAMPLE_A.read_text(encoding="utf-8").splitlines()
    header, data = lines[0], lines[1:]
    first = data[0].split(",")
    dup = list(first)
    dup[5] = "12"  # same employee-month as data[0], different score: a duplicate
    bad_score = data[10].split(",")
    bad_score[6] = "100.5"
    bad_role = data[20].split(",")
    bad_role[2] = "janitor"
    data[10], data[20] = ",".join(bad_score), ",".join(bad_role)
    del data[30]  # a missing month in the middle of someone's timeline
    return [header, *data, ",".join(dup)]


MESSY = messy_lines()


def evaluate_lines(lines: list[str]) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        return run_inline(Path(tmp), plan_a(), "\n".join(lines) + "\n")


def jsonl(result: Result) -> str:
    plan = plan_a()
    return "".join(to_jsonl(result_rows(plan, result.evaluation.outcome.rows)))


BASELINE = evaluate_lines(MESSY)


def test_the_messy_file_has_errors_to_shuffle() -> None:
    assert len(BASELINE.rejected_rows) >= 4
    assert BASELINE.total == len(BASELINE.rows) + len(BASELINE.rejected_rows)


@BOUNDED
@given(st.randoms(use_true_random=False))
def test_outputs_do_not_depend_on_row_order(rnd: random.Random) -> None:
    header, data = MESSY[0], MESSY[1:]
    order = list(range(len(data)))
    rnd.shuffle(order)
    shuffled = evaluate_lines([header, *(data[i] for i in order)])
    assert jsonl(shuffled) == jsonl(BASELINE)
    # the same source rows are rejected, for the same columns (row numbers are positions)
    original_row = {new + 2: old + 2 for new, old in enumerate(order)}
    moved = sorted((original_row[e.row], e.column) for e in shuffled.errors)
    assert moved == sorted((e.row, e.column) for e in BASELINE.errors)


# ---- band edges ------------------------------------------------------------------------------

ROLES = {
    # role: (metric columns with weights, months in the window, starting level, ladder)
    "customer_rep": (
        (("callback_rate", 20), ("satisfaction", 20), ("handling", 25), ("training", 25)),
        3,
        ["普通客服代表-中级", "普通客服代表-高级", "大客户客服代表-中级", "大客户客服代表-高级"],
    ),
    "auditor": (
        (("quality", 45), ("efficiency", 45)),
        6,
        ["一级审核员", "二级审核员", "三级审核员", "四级审核员"],
    ),
}
HEADER_A = MESSY[0].split(",")


def band(avg: Decimal) -> str:
    """The seed's rule, written out by hand: A > 80, 70 <= A <= 80, 50 <= A < 70, A < 50."""
    if avg > 80:
        return "promote"
    if avg >= 70:
        return "stay"
    if avg >= 50:
        return "demote"
    return "demote_probation"


def cents(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo * 100, hi * 100).map(lambda n: Decimal(n) * CENT)


@st.composite
def edge_case(draw: st.DrawFn) -> tuple[str, list[dict[str, Decimal]], Decimal]:
    """A window of monthly metrics whose weighted mean is on (or one cent off) a band edge."""
    role = draw(st.sampled_from(sorted(ROLES)))
    metrics, n, _ladder = ROLES[role]
    target = draw(st.sampled_from([Decimal(50), Decimal(70), Decimal(80)]))
    off = draw(st.sampled_from([-CENT, Decimal(0), CENT, Decimal(0)]))
    deltas = [draw(cents(-3, 3)) for _ in range(n - 1)]
    scores = [target + d for d in deltas]
    scores.append(n * target + off - sum(scores, Decimal(0)))
    months = []
    for s in scores:
        # pairs of equal weight move in opposite directions, so each month still scores s
        row = {"attendance": s}
        for (a, _wa), (b, _wb) in zip(metrics[::2], metrics[1::2], strict=True):
            d = draw(cents(-4, 4))
            row[a], row[b] = s + d, s - d
        months.append(row)
    return role, months, target + off / n


@BOUNDED
@given(edge_case(), st.integers(0, 1))
def test_band_edges_land_where_the_seed_says(
    case: tuple[str, list[dict[str, Decimal]], Decimal], start: int
) -> None:
    role, months, mean_wanted = case
    metrics, n, ladder = ROLES[role]
    weights = dict(metrics) | {"attendance": 10}
    # independent hand computation of the window average
    monthly = [sum((row[c] * w for c, w in weights.items()), Decimal(0)) / 100 for row in months]
    avg = sum(monthly, Decimal(0)) / n
    assert avg == mean_wanted
    want = band(avg)
    level = ladder[start + 1]
    rows = []
    after = [*months, months[-1]]  # one more month: the probation month, if any
    for i, row in enumerate(after):
        cells = {"employee_id": "E1", "name": "测试", "role": role, "period": f"2021-{i + 1:02d}"}
        cells["level"] = level if i == 0 else ""
        cells.update({k: str(v) for k, v in row.items()})
        rows.append([cells.get(h, "") for h in HEADER_A])
    with tempfile.TemporaryDirectory() as tmp:
        r = run_inline(Path(tmp), plan_a(), csv_text(HEADER_A, rows))
    assert r.errors == []
    review = r.out("E1", f"2021-{n:02d}")
    assert Decimal(review["window_average"]) == avg
    assert review["action"] == want, f"average {avg} should {want}"
    step = {"promote": 1, "stay": 0}.get(want, -1)
    assert review["level"] == ladder[start + 1 + step]
    assert r.out("E1", f"2021-{n + 1:02d}")["probation"] is (want == "demote_probation")
    assert all(r.out("E1", f"2021-{m:02d}")["action"] is None for m in range(1, n))


# ---- ranks ---------------------------------------------------------------------------------

RANK_POLICY = (
    'policy "r"\nrecord\n  employee_id : id\n  period : month\n  s : score\n'
    "key employee_id, period\nr = rank(s desc)\nlow = rank(s asc)\noutput r, low\n"
)


@BOUNDED
@given(st.lists(st.integers(0, 20).map(lambda n: Decimal(n) / 4), min_size=1, max_size=25))
def test_rank_is_one_plus_the_number_strictly_better(scores: list[Decimal]) -> None:
    rows = [(f"E{i:03d}", "2021-01", str(s)) for i, s in enumerate(scores)]
    with tempfile.TemporaryDirectory() as tmp:
        r = run_inline(
            Path(tmp), plan_for(RANK_POLICY), csv_text(["employee_id", "period", "s"], rows)
        )
    for (emp, _p, _s), s in zip(rows, scores, strict=True):
        out = r.out(emp, "2021-01")
        assert Decimal(out["r"]) == 1 + sum(1 for t in scores if t > s)
        assert Decimal(out["low"]) == 1 + sum(1 for t in scores if t < s)


# ---- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("eval", POLICY_A_REL, "RECORDS", "--format", "jsonl"),
        ("eval", POLICY_A_REL, "RECORDS", "--format", "table"),
        ("eval", POLICY_A_REL, "RECORDS", "--format", "csv"),
        ("explain", POLICY_A_REL, "RECORDS", "--employee", "E2110005", "--format", "json"),
    ],
    ids=["jsonl", "table", "csv", "explain"],
)
def test_output_is_byte_identical_across_runs(tmp_path: Path, args: tuple[str, ...]) -> None:
    records = tmp_path / "messy.csv"
    records.write_text("\n".join(MESSY) + "\n", encoding="utf-8")
    argv = [str(records) if a == "RECORDS" else a for a in args]
    runs = [run_cli(*argv, env={"PYTHONHASHSEED": seed}) for seed in ("0", "1", "12345")]
    assert runs[0].stdout, runs[0].stderr
    for other in runs[1:]:
        assert other.stdout == runs[0].stdout
        assert other.stderr == runs[0].stderr
        assert other.returncode == runs[0].returncode
