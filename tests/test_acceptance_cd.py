"""Contracts C and D, and seed 003's attendance score and commission tiers.

The public acceptance cases run through the library (check, compile, evaluate, render) and
must match every row; each policy's own `example` blocks run as tests; the seed's worked
salary examples and the boundaries each policy rules on are pinned with records written here.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TESTS, csv_text, errors_of, evaluate_plan, run_inline

from policyc.backend.closures.compile import Plan
from policyc.io.results import result_rows
from policyc.pipeline import check_file, compile_checked, evaluate
from policyc.runtime import trace as T
from policyc.semantics.model import Model
from policyc.syntax import ast as A

POLICIES = ROOT / "policies"
SALARY = POLICIES / "salary_structure.policy"
TEAM_LEAD = POLICIES / "team_lead_selection.policy"
ATTENDANCE = POLICIES / "trade_attendance.policy"
COMMISSION = POLICIES / "sales_commission.policy"
CD_POLICIES = (SALARY, TEAM_LEAD, ATTENDANCE, COMMISSION)

_PLANS: dict[Path, Plan] = {}


def plan_of(path: Path) -> Plan:
    """Check (no errors allowed) and compile a bundled policy, once per session."""
    if path not in _PLANS:
        checked = check_file(path)
        bad = errors_of(checked)
        assert checked.ok and not bad, [f"{d.span.where} {d.message}" for d in bad]
        _PLANS[path] = compile_checked(checked)
    return _PLANS[path]


# ---- the public acceptance cases --------------------------------------------------------


def _norm(value: Any, places: int) -> Any:
    """As ../shared/acceptance/check.py compares: exact decimals rounded to `places`."""
    if value is None or isinstance(value, bool):
        return value
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("case", ["salary_structure", "team_lead_selection"])
def test_acceptance_case_matches_every_row(case: str) -> None:
    case_dir = TESTS / "acceptance" / case
    spec = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    places = spec.get("places", 2)
    plan = plan_of(ROOT / spec["policy"])
    ev = evaluate(plan, case_dir / "records.csv")
    assert ev.errors == []
    got = {tuple(str(o[k]) for k in spec["key"]): o for o in result_rows(plan, ev.outcome.rows)}
    lines = (case_dir / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    want = [json.loads(line) for line in lines if line.strip()]
    assert len(got) == len(want) == ev.loaded.total
    mismatches = []
    for row in want:
        have = got[tuple(str(row[k]) for k in spec["key"])]
        for f in spec["fields"]:
            if _norm(row[f], places) != _norm(have[f], places):
                mismatches.append((row[spec["key"][0]], f, row[f], have[f]))
    assert mismatches == []


# ---- the policies' own examples ------------------------------------------------------------


@dataclass(frozen=True)
class ExampleCase:
    policy: Path
    index: int
    title: str

    def __str__(self) -> str:
        return f"{self.policy.stem}-{self.index}"


def _examples() -> list[ExampleCase]:
    out = []
    for path in CD_POLICIES:
        checked = check_file(path)
        assert checked.model is not None
        out.extend(ExampleCase(path, i, ex.title) for i, ex in enumerate(checked.model.examples, 1))
    return out


def _months(first: str | None, last: str | None) -> list[str]:
    if first is None:
        return [""]
    assert last is not None
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _cell(value: object) -> str:
    if isinstance(value, A.LabelValue):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _example_records(model: Model, ex: A.Example) -> str:
    """The example's `given` lines as a CSV with every declared column."""
    header = list(model.fields)
    id_field, period_field = model.id_field, model.period_field
    assert id_field is not None
    rows = []
    for line in ex.lines:
        if line.kind != "given":
            continue
        for month in _months(line.first, line.last):
            values = {a.name: _cell(a.value) for a in line.assigns}
            values[id_field] = line.key
            if period_field is not None:
                values[period_field] = month
            rows.append([values.get(h, "") for h in header])
    return csv_text(header, rows)


def _expected(value: object) -> object:
    return value.name if isinstance(value, A.LabelValue) else value


@pytest.mark.parametrize("case", _examples(), ids=str)
def test_policy_example_holds(case: ExampleCase, tmp_path: Path) -> None:
    """Each `expect` value is compared exactly with the named value (output or definition)."""
    plan = plan_of(case.policy)
    ex = plan.model.examples[case.index - 1]
    assert ex.title == case.title
    result = run_inline(tmp_path, plan, _example_records(plan.model, ex))
    assert result.errors == []
    by_key = {(r.key[0], r.key[1]): r for r in result.evaluation.outcome.rows}
    checked = 0
    for line in ex.lines:
        if line.kind != "expect":
            continue
        for month in _months(line.first, line.last):
            row = by_key[(line.key, month)]
            for a in line.assigns:
                got = row.v[plan.slots[a.name]]
                assert got == _expected(a.value), f"{ex.title}: {line.key} {month} {a.name}"
                checked += 1
    assert checked > 0


# ---- contract C: the seed's worked examples --------------------------------------------------

SALARY_HEADER = [
    "employee_id",
    "grade",
    "stage",
    "years",
    "performance_ratio",
    "target_bonus",
    "phone_allowance",
    "full_attendance_bonus",
]

# 例: 出纳 E3, 库管 E2 (任务完成), 商务 E1 (任务完成), 会计 D4, 人事 D3, 行政 D3, 财务主管 C2.
SEED_SALARIES = [
    ("出纳", "E", 3, 0, None, None, None, None, "2030"),
    ("库管", "E", 2, 1, None, 100, 50, None, "2280"),
    ("商务", "E", 1, 2, None, 100, None, None, "2370"),
    ("会计", "D", 4, 1, None, None, None, None, "1645"),
    ("人事", "D", 3, 0, None, None, None, None, "2105"),
    ("行政", "D", 3, 0, None, None, None, None, "2105"),
    ("财务主管", "C", 2, 1, None, None, None, None, "2385"),
]


def test_seed_worked_salaries_reproduce_to_the_yuan(tmp_path: Path) -> None:
    records = csv_text(SALARY_HEADER, [row[:-1] for row in SEED_SALARIES])
    result = run_inline(tmp_path, plan_of(SALARY), records)
    assert result.errors == []
    got = [result.out(row[0])["gross_pay"] for row in SEED_SALARIES]
    assert got == [row[-1] for row in SEED_SALARIES]


def test_seed_worked_salaries_are_examples_in_the_policy() -> None:
    """All seven of the seed's 例 are written in the policy itself, with their totals."""
    expected: dict[str, object] = {}
    for ex in plan_of(SALARY).model.examples:
        for line in ex.lines:
            for a in line.assigns:
                if line.kind == "expect" and a.name == "gross_pay":
                    expected[line.key] = a.value
    assert {row[0]: Decimal(row[-1]) for row in SEED_SALARIES}.items() <= expected.items()


def test_salary_blank_cells_take_the_declared_defaults(tmp_path: Path) -> None:
    records = csv_text(
        SALARY_HEADER,
        [
            ("blank", "E", 3, 0, None, None, None, None),
            ("given", "E", 3, 0, 1, 0, 0, 0),
            ("half", "E", 3, 0, "0.5", None, None, "100"),
        ],
    )
    result = run_inline(tmp_path, plan_of(SALARY), records)
    assert result.out("blank")["gross_pay"] == result.out("given")["gross_pay"] == "2030"
    assert result.out("half")["gross_pay"] == "1980"  # 2030 - 150 + 100


def test_salary_rejects_bad_records_and_keeps_the_others(tmp_path: Path) -> None:
    records = csv_text(
        SALARY_HEADER,
        [
            ("ok", "E", 3, 0, None, None, None, None),
            ("bad_grade", "Z", 3, 0, None, None, None, None),
            ("bad_stage", "E", 5, 0, None, None, None, None),
            ("part_year", "E", 3, "1.5", None, None, None, None),
            ("bad_ratio", "E", 3, 0, "1.2", None, None, None),
        ],
    )
    result = run_inline(tmp_path, plan_of(SALARY), records)
    assert list(result.rows) == [("ok", "")]
    where = {(e.row, e.column) for e in result.errors}
    assert where == {(3, "grade"), (4, "stage"), (5, "years"), (6, "performance_ratio")}
    assert any("whole number" in e.message for e in result.errors)


# ---- contract D: bands, composite, rank over the whole file ------------------------------------

TEAM_HEADER = [
    "employee_id",
    "regular",
    "ability",
    "pm_average",
    "interview",
    "manager",
    "peer_average",
]


@pytest.mark.parametrize(
    ("pm_average", "points"),
    [
        ("0", "0"),
        ("59.99", "0"),
        ("60", "6"),
        ("69.99", "6"),
        ("70", "8"),
        ("79.99", "8"),
        ("80", "10"),
        ("100", "10"),
    ],
)
def test_pm_points_band_ends(pm_average: str, points: str, tmp_path: Path) -> None:
    records = csv_text(TEAM_HEADER, [("P", "true", 50, pm_average, 50, 50, 50)])
    out = run_inline(tmp_path, plan_of(TEAM_LEAD), records).out("P")
    assert out["pm_points"] == points
    assert Decimal(out["composite"]) == Decimal(45) + Decimal(points)


def test_rank_is_over_the_whole_file_with_shared_ranks(tmp_path: Path) -> None:
    rows = [
        ("A", "true", 90, 80, 80, 80, 80),  # 36 + 10 + 24 + 8 + 8 = 86
        ("B", "true", 90, 85, 80, 80, 80),  # 86: ties with A
        ("C", "false", 100, 100, 100, 100, 100),  # best composite, not eligible
        ("D", "true", 80, 80, 80, 80, 80),  # 82
        ("E", "true", 50, 50, 50, 50, 50),  # 45
    ]
    plan = plan_of(TEAM_LEAD)
    first = run_inline(tmp_path, plan, csv_text(TEAM_HEADER, rows), "a.csv")
    ranks = {e: first.out(e)["rank"] for e in "ABCDE"}
    assert ranks == {"A": "1", "B": "1", "C": None, "D": "3", "E": "4"}
    assert first.out("C")["composite"] == "100"
    assert first.out("C")["eligible"] is False
    again = run_inline(tmp_path, plan, csv_text(TEAM_HEADER, rows[::-1]), "b.csv")
    assert again.rows == first.rows


def test_rank_explanation_names_the_group_and_its_size(tmp_path: Path) -> None:
    path = TESTS / "acceptance" / "team_lead_selection" / "records.csv"
    ev = evaluate(plan_of(TEAM_LEAD), path, {"D037"})
    row = next(r for r in ev.outcome.rows if r.key[0] == "D037")
    assert row.trace is not None
    ranked = [t for t in row.trace if isinstance(t, T.Ranked)]
    assert len(ranked) == 1
    r = ranked[0]
    # rank 17 of the 35 eligible, tied with D019 (both 69.83)
    assert (r.rank, r.size, r.tied, r.group, r.in_group) == (17, 35, 1, "eligible", True)
    assert r.keys == (("composite", "desc", Decimal("69.83")),)


# ---- seed 003: foreign-trade attendance score ----------------------------------------------------

ATTENDANCE_HEADER = [
    "employee_id",
    "period",
    "unexcused_absence_days",
    "lates_up_to_30min",
    "lates_over_30min",
    "early_leaves",
    "personal_leave_days",
    "sick_leave_days",
]


def _attendance(tmp_path: Path, rows: list[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    records = csv_text(ATTENDANCE_HEADER, [(r[0], "2024-03", *r[1:]) for r in rows])
    result = run_inline(tmp_path, plan_of(ATTENDANCE), records)
    assert result.errors == []
    return {e: out for (e, _p), out in result.rows.items()}


def test_sick_days_one_to_eight_are_cumulative_and_capped(tmp_path: Path) -> None:
    rows = [(f"S{d}", 0, 0, 0, 0, 0, d) for d in range(1, 9)]
    out = _attendance(tmp_path, rows)
    deductions = [out[f"S{d}"]["sick_leave_deduction"] for d in range(1, 9)]
    assert deductions == ["0", "2", "5", "9", "14", "21", "30", "30"]
    assert [out[f"S{d}"]["attendance_score"] for d in (1, 2, 7, 8)] == ["30", "28", "0", "0"]


def test_personal_leave_days_and_part_days(tmp_path: Path) -> None:
    days = ["0", "0.5", "1", "1.5", "2", "3", "4", "5", "10"]
    out = _attendance(tmp_path, [(f"L{i}", 0, 0, 0, 0, d, 0) for i, d in enumerate(days)])
    got = [out[f"L{i}"]["personal_leave_deduction"] for i in range(len(days))]
    assert got == ["0", "5", "5", "10", "10", "20", "30", "30", "30"]


def test_late_and_early_count_bands(tmp_path: Path) -> None:
    out = _attendance(tmp_path, [(f"C{n}", 0, n, 0, 0, 0, 0) for n in range(12)])
    got = [out[f"C{n}"]["late_early_deduction"] for n in range(12)]
    assert got == ["0", "1", "1", "1", "5", "5", "5", "10", "10", "10", "30", "30"]


def test_long_lates_cost_two_each_and_are_also_counted(tmp_path: Path) -> None:
    out = _attendance(tmp_path, [("X", 0, 3, 1, 0, 0, 0), ("Y", 0, 0, 0, 4, 0, 0)])
    assert out["X"]["late_early_count"] == "4"  # 3 short + 1 long
    assert out["X"]["deductions"] == "7"  # 2 for the long one + 5 for a count of 4
    assert out["Y"]["late_early_count"] == "4"  # early leaves only: no 2-point deductions
    assert (out["Y"]["deductions"], out["Y"]["attendance_score"]) == ("5", "25")


def test_absence_zeroes_and_the_score_never_goes_below_zero(tmp_path: Path) -> None:
    rows = [
        ("A", "0.5", 0, 0, 0, 0, 0),  # half a day unexcused: 0
        ("B", 0, 0, 10, 0, 4, 7),  # 20 + 30 + 30 + 30 = 110 of deductions
        ("C", None, None, None, None, None, None),  # blank cells mean none
    ]
    out = _attendance(tmp_path, rows)
    assert out["A"]["attendance_score"] == "0"
    assert out["B"]["deductions"] == "110"
    assert out["B"]["attendance_score"] == "0"
    assert out["C"]["attendance_score"] == "30"


# ---- seed 003: commission tiers --------------------------------------------------------------


def _commission_oracle(sales: Decimal) -> Decimal:
    """Marginal tiers, computed independently of the policy: 1% of (10000, 15000], 2% above."""
    at_1 = min(max(sales - 10000, Decimal(0)), Decimal(5000)) * Decimal("0.01")
    at_2 = max(sales - 15000, Decimal(0)) * Decimal("0.02")
    return (at_1 + at_2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("sales", "commission", "at_2pct"),
    [
        ("9999.99", "0", "0"),
        ("10000", "0", "0"),
        ("10000.01", "0", "0"),  # 0.0001 rounds to 0.00
        ("10001", "0.01", "0"),
        ("15000", "50", "0"),
        ("15000.01", "50", "0.0002"),
        ("20000", "150", "100"),
    ],
)
def test_commission_at_the_thresholds(
    sales: str, commission: str, at_2pct: str, tmp_path: Path
) -> None:
    records = csv_text(["employee_id", "period", "sales"], [("E", "2024-03", sales)])
    out = run_inline(tmp_path, plan_of(COMMISSION), records).out("E", "2024-03")
    assert out["commission"] == commission
    assert out["commission_at_2pct"] == at_2pct


def test_commission_matches_the_marginal_reading_and_never_jumps(tmp_path: Path) -> None:
    cents = [Decimal(n) / 100 for n in range(0, 2_500_000, 1_237)] + [Decimal("15000.01")]
    header = ["employee_id", "period", "sales"]
    rows = [(f"E{i:05d}", "2024-03", s) for i, s in enumerate(cents)]
    path = tmp_path / "sales.csv"
    path.write_text(csv_text(header, rows), encoding="utf-8")
    result = evaluate_plan(plan_of(COMMISSION), path)
    got = [Decimal(result.out(f"E{i:05d}", "2024-03")["commission"]) for i in range(len(rows))]
    assert got == [_commission_oracle(s) for s in cents]
    ordered = sorted(zip(cents, got, strict=True))
    for (s1, c1), (s2, c2) in itertools.pairwise(ordered):
        assert Decimal(0) <= c2 - c1 <= (s2 - s1) * Decimal("0.02") + Decimal("0.01")
