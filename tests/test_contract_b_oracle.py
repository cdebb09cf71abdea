"""Contract B against an independent oracle, on hostile but valid staff files.

The oracle below is written from the rules of ../shared/domain/seed-policies.md (contract B)
in plain Python, without reading the policy: exact arithmetic (Decimal for the record's
numbers, Fraction wherever a division happens), competition ranks counted as "one plus the
number of rows strictly better", quarters as calendar quarters. The generator writes files
that sit on every edge the rules have: many ties in score and overall, scores exactly on
60/70/75/80/85, groups of exactly 20 eligible csrs (so ranks 2, 7 and 9 are exactly 10%,
35% and 45%), missing months, new_employee/trainee in one month of a quarter, notice-period
rows on both sides of the breach condition, tied rank gains, error tickets around a missing
month. The policy's outputs must equal the oracle's on every row and every output.
"""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from conftest import ROOT, TESTS, Result, errors_of, evaluate_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.backend.closures.compile import Plan
from policyc.pipeline import check_file, compile_checked

POLICY_B = ROOT / "policies" / "call_center_bonus.policy"
CASE_B = TESTS / "acceptance" / "call_center_bonus"
OUTPUTS = ("score", "rank", "monthly_bonus", "star_bonus", "awards", "night_allowance", "total_pay")
HEADER = [
    "employee_id",
    "name",
    "period",
    "position",
    "base_salary",
    "trainee",
    "new_employee",
    "terminated",
    "notice_period",
    "unauthorized_absence",
    "absent_days",
    "sick_days",
    "call_quality",
    "work_ability",
    "overall",
    "late_count",
    "early_leave_count",
    "personal_leave_days",
    "shift_swaps",
    "written_praise",
    "error_tickets",
    "exam_score",
    "night_shifts",
]
FLAGS = ("trainee", "new_employee", "terminated", "notice_period", "unauthorized_absence")
COUNTS = (
    "absent_days",
    "sick_days",
    "late_count",
    "early_leave_count",
    "personal_leave_days",
    "shift_swaps",
    "error_tickets",
    "night_shifts",
)

# ---- the oracle -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """One record row, typed."""

    employee_id: str
    period: str
    position: str
    base_salary: Decimal
    call_quality: Decimal | None
    work_ability: Decimal
    overall: Decimal
    exam_score: Decimal
    written_praise: bool = False
    trainee: bool = False
    new_employee: bool = False
    terminated: bool = False
    notice_period: bool = False
    unauthorized_absence: bool = False
    absent_days: int = 0
    sick_days: int = 0
    late_count: int = 0
    early_leave_count: int = 0
    personal_leave_days: int = 0
    shift_swaps: int = 0
    error_tickets: int = 0
    night_shifts: int = 0

    @property
    def month(self) -> int:
        """Months since year 0: consecutive calendar months differ by one."""
        return int(self.period[:4]) * 12 + int(self.period[5:7]) - 1

    @property
    def key(self) -> tuple[str, str]:
        return (self.employee_id, self.period)


def read_staff(text: str) -> list[Staff]:
    """A CSV in the contract's columns (a BOM allowed) as typed rows."""
    out = []
    for raw in csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))):
        cq = raw["call_quality"].strip()
        row = Staff(
            employee_id=raw["employee_id"],
            period=raw["period"],
            position=raw["position"],
            base_salary=Decimal(raw["base_salary"]),
            call_quality=Decimal(cq) if cq else None,
            work_ability=Decimal(raw["work_ability"]),
            overall=Decimal(raw["overall"]),
            exam_score=Decimal(raw["exam_score"]),
            written_praise=raw["written_praise"] == "true",
        )
        given: dict[str, Any] = {f: raw[f] == "true" for f in FLAGS}
        given.update({c: int(Decimal(raw[c])) for c in COUNTS})
        out.append(replace(row, **given))
    return out


def score_of(s: Staff) -> Decimal:
    """Rule 1: csr 30/40/30 of call_quality, work_ability, overall; leads and qa 50/50."""
    if s.position == "csr":
        assert s.call_quality is not None
        return (30 * s.call_quality + 40 * s.work_ability + 30 * s.overall) / 100
    return (50 * s.work_ability + 50 * s.overall) / 100


def notice_breach(s: Staff) -> bool:
    return s.notice_period and (s.unauthorized_absence or s.sick_days >= 3)


def csr_bonus_eligible(s: Staff) -> bool:
    """Rule 2's eligibility."""
    if s.position != "csr":
        return False
    out = s.trainee or s.new_employee or s.terminated or s.absent_days >= 3 or notice_breach(s)
    return not out


def lead_pool(s: Staff) -> bool:
    """Rule 3: eligible leads and qa with a score above 60, ranked together."""
    if s.position not in ("team_lead", "qa"):
        return False
    if s.trainee or s.terminated or notice_breach(s):
        return False
    return score_of(s) > 60


# Rule 2's table: (score at least, percentile at most or None for any, bonus); first hit.
BONUS_TABLE = (
    (85, Fraction(10, 100), 500),
    (80, Fraction(10, 100), 400),
    (75, Fraction(35, 100), 300),
    (70, Fraction(45, 100), 200),
    (60, None, 100),
)
LEAD_BONUS = {1: 500, 2: 300, 3: 100}


def table_bonus(score: Fraction, percentile: Fraction) -> int:
    for at_least, at_most, amount in BONUS_TABLE:
        if score >= at_least and (at_most is None or percentile <= at_most):
            return amount
    return 0


def competition_ranks(keys: Mapping[str, tuple[Fraction, ...]]) -> dict[str, int]:
    """Higher keys rank first; equal keys share the better rank (1, 2, 2, 4)."""
    return {k: 1 + sum(1 for other in keys.values() if other > mine) for k, mine in keys.items()}


@dataclass
class OracleRow:
    """The outputs of one row, with the intermediate values the coverage checks look at."""

    score: Decimal
    rank: int | None = None
    percentile: Fraction | None = None
    group_size: int = 0
    monthly_bonus: int = 0
    star_bonus: int = 0
    awards: int = 0
    progress: int = 0
    perfect_star: int = 0
    night_allowance: int = 0
    total_pay: Decimal = Decimal(0)
    tied: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def outputs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in OUTPUTS}


def oracle(rows: Iterable[Staff]) -> dict[tuple[str, str], OracleRow]:
    staff = {s.key: s for s in rows}
    at = {(s.employee_id, s.month): s for s in staff.values()}
    out = {k: OracleRow(score_of(s)) for k, s in staff.items()}
    by_month: dict[int, list[Staff]] = {}
    for s in staff.values():
        by_month.setdefault(s.month, []).append(s)
    csr_rank: dict[tuple[str, int], int] = {}
    for month, group in by_month.items():
        _monthly_ranks(group, out, csr_rank, month)
    _star_bonus(at, out)
    for month, group in by_month.items():
        _awards(group, at, out, csr_rank, month)
    for k, s in staff.items():
        o = out[k]
        o.night_allowance = 10 * s.night_shifts
        o.total_pay = s.base_salary + o.monthly_bonus + o.star_bonus + o.awards + o.night_allowance
    return out


def _monthly_ranks(
    group: list[Staff],
    out: dict[tuple[str, str], OracleRow],
    csr_rank: dict[tuple[str, int], int],
    month: int,
) -> None:
    """Rules 2 and 3 for one month."""
    ranked = [s for s in group if csr_bonus_eligible(s)]
    keys = {s.employee_id: (Fraction(score_of(s)), Fraction(s.overall)) for s in ranked}
    ranks = competition_ranks(keys)
    tally = Counter(keys.values())
    for s in ranked:
        o = out[s.key]
        o.rank = ranks[s.employee_id]
        o.group_size = len(ranked)
        o.percentile = Fraction(o.rank, len(ranked))
        o.monthly_bonus = table_bonus(Fraction(o.score), o.percentile)
        o.tied = tally[keys[s.employee_id]] > 1
        csr_rank[(s.employee_id, month)] = o.rank
    pool = [s for s in group if lead_pool(s)]
    lead_keys = {s.employee_id: (Fraction(score_of(s)), Fraction(s.overall)) for s in pool}
    lead_ranks = competition_ranks(lead_keys)
    lead_tally = Counter(lead_keys.values())
    for s in pool:
        o = out[s.key]
        o.rank = lead_ranks[s.employee_id]
        o.group_size = len(pool)
        o.monthly_bonus = LEAD_BONUS.get(o.rank, 0)
        o.tied = lead_tally[lead_keys[s.employee_id]] > 1


def _star_bonus(at: dict[tuple[str, int], Staff], out: dict[tuple[str, str], OracleRow]) -> None:
    """Rule 4: decided on each calendar quarter, paid in each month of the next quarter."""
    quarters = {month - month % 3 for (_e, month) in at}
    employees = {e for (e, _m) in at}
    for first in quarters:
        keys: dict[str, tuple[Fraction, ...]] = {}
        for e in employees:
            months = [at.get((e, first + i)) for i in range(3)]
            present = [s for s in months if s is not None]
            last = months[2]
            if last is not None and last.position == "csr":
                note = out[last.key].extra
                note["quarter_incomplete"] = len(present) < 3
                note["quarter_new_or_trainee"] = any(s.new_employee or s.trainee for s in present)
            if len(present) < 3 or any(s.position != "csr" for s in present):
                continue
            if any(s.new_employee or s.trainee for s in present):
                continue
            average = Fraction(sum((score_of(s) for s in present), Decimal(0))) / 3
            keys[e] = (average, Fraction(sum((s.overall for s in present), Decimal(0))) / 3)
        ranks = competition_ranks(keys)
        for e, rank in ranks.items():
            amount = table_bonus(keys[e][0], Fraction(rank, len(ranks)))
            out[(e, at[(e, first + 2)].period)].extra["star_average"] = keys[e][0]
            for i in range(3, 6):
                paid = at.get((e, first + i))
                if paid is not None:
                    out[paid.key].star_bonus = amount
                    out[paid.key].extra["star_decided"] = (first + 2, rank, len(ranks))


def award_excluded(s: Staff) -> bool:
    absent = (
        s.absent_days,
        s.sick_days,
        s.personal_leave_days,
        s.late_count,
        s.early_leave_count,
    )
    return s.trainee or s.terminated or notice_breach(s) or any(n > 0 for n in absent)


def _awards(
    group: list[Staff],
    at: dict[tuple[str, int], Staff],
    out: dict[tuple[str, str], OracleRow],
    csr_rank: dict[tuple[str, int], int],
    month: int,
) -> None:
    """Rule 5 for one month."""
    able = [s for s in group if s.position == "csr" and not award_excluded(s)]
    gains: dict[str, int] = {}
    for s in able:
        now, before = csr_rank.get((s.employee_id, month)), csr_rank.get((s.employee_id, month - 1))
        if s.exam_score >= 70 and now is not None and before is not None:
            gains[s.employee_id] = before - now
    best = max(gains.values(), default=0)
    for s in able:
        o = out[s.key]
        three = [at.get((s.employee_id, month - i)) for i in range(3)]
        clean = all(t is not None and t.error_tickets == 0 for t in three)
        o.perfect_star = 500 if clean else 0
        o.extra["clean_but_a_month_missing"] = None in three and all(
            t.error_tickets == 0 for t in three if t is not None
        )
        o.progress = 200 if best > 0 and gains.get(s.employee_id) == best else 0
        o.extra["best_gain_shared"] = best > 0 and sum(g == best for g in gains.values()) > 1
        full = 100 if s.shift_swaps < 3 else 0
        praise = 500 if s.written_praise else 0
        o.awards = full + praise + o.perfect_star + o.progress


# ---- the generator ----------------------------------------------------------------------------

BOUNDARY_SCORES = (
    "100",
    "90",
    "85.1",
    "85",
    "84.99",
    "84.9",
    "80",
    "79.9",
    "75",
    "74.99",
    "70",
    "69.9",
    "60.01",
    "60",
    "59.9",
    "50",
)
LEAD_SCORES = ("60", "60.5", "59.5", "70", "70", "80", "85", "90")
OVERALLS = ("70", "75", "80", "85", "90", "95", "100")


@dataclass
class Person:
    employee_id: str
    position: str
    base_salary: Decimal
    steady: tuple[str, str] | None  # the same (score, overall) every month
    exam_score: str


def _triple(rng: random.Random, target: str, overall: str | None, csr: bool) -> tuple[str, ...]:
    """(call_quality, work_ability, overall) whose score is exactly `target`.

    csr: 0.3 cq + 0.4 wa + 0.3 ov = S with wa = S and cq = 2S - ov; lead: wa = 2S - ov.
    The same S with a different overall gives a tie on score broken on overall.
    """
    s = Decimal(target)
    choices = [Decimal(o) for o in OVERALLS if 0 <= 2 * s - Decimal(o) <= 100]
    ov = Decimal(overall) if overall is not None else rng.choice(choices or [s])
    if not 0 <= 2 * s - ov <= 100:
        ov = s
    if csr:
        return (str(2 * s - ov), str(s), str(ov))
    return ("", str(2 * s - ov), str(ov))


def _free_triple(rng: random.Random, csr: bool) -> tuple[str, ...]:
    def one() -> str:
        return str(Decimal(rng.randint(450, 1000)) / 10)

    return (one() if csr else "", one(), one())


def _number(rng: random.Random, text: str) -> str:
    """The same number written differently: 85, 85.0 and 85.00 are all valid cells."""
    if text == "" or rng.random() < 0.7:
        return text
    d = Decimal(text)
    if d == d.quantize(Decimal("0.1")) and rng.random() < 0.5:
        return f"{d:.1f}"
    return f"{d:.2f}" if d == d.quantize(Decimal("0.01")) else text


def _months(first: str, n: int) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# ways a present csr row is taken out of the monthly ranking (rule 2)
INELIGIBLE: tuple[dict[str, Any], ...] = (
    {"trainee": True},
    {"new_employee": True},
    {"terminated": True},
    {"absent_days": 3},
    {"absent_days": 5},
    {"notice_period": True, "unauthorized_absence": True},
    {"notice_period": True, "sick_days": 3},
)
# present and still eligible, but with something for the awards or the notice rule to weigh
ELIGIBLE_NOISE: tuple[dict[str, Any], ...] = (
    {},
    {},
    {},
    {},
    {"notice_period": True},
    {"notice_period": True, "sick_days": 2},
    {"absent_days": 2},
    {"sick_days": 1},
    {"late_count": 1},
    {"early_leave_count": 2},
    {"personal_leave_days": 1},
    {"shift_swaps": 3},
    {"shift_swaps": 2},
)


@dataclass(frozen=True)
class Shape:
    """The file's outline; the seed decides everything else."""

    start: str = "2023-10"  # a quarter decided in December is paid in the next year
    n_months: int = 9
    n_csr: int = 20
    n_leads: int = 5
    seed: int = 0


def staff_file(shape: Shape) -> str:
    """A valid, hostile staff file as CSV text (rows shuffled, sometimes with a BOM)."""
    rng = random.Random(shape.seed)
    months = _months(shape.start, shape.n_months)
    n_csr = shape.n_csr
    people = [
        Person(
            f"C{i:02d}",
            "csr",
            Decimal(rng.choice((3000, 3200, 4000, 4500))),
            (rng.choice(BOUNDARY_SCORES), rng.choice(OVERALLS)) if rng.random() < 0.5 else None,
            rng.choice(("69", "70", "71", "90")),
        )
        for i in range(n_csr)
    ]
    for i in range(shape.n_leads):
        steady = (rng.choice(LEAD_SCORES), rng.choice(OVERALLS)) if rng.random() < 0.5 else None
        position = rng.choice(("team_lead", "qa"))
        people.append(Person(f"L{i:02d}", position, Decimal(5000), steady, "80"))
    rows: list[list[str]] = []
    for month in months:
        rows.extend(_month_rows(rng, people, month, n_csr))
    rng.shuffle(rows)
    text = _csv([HEADER, *rows])
    return "\ufeff" + text if rng.random() < 0.2 else text


def _month_rows(
    rng: random.Random, people: list[Person], month: str, n_csr: int
) -> list[list[str]]:
    # the number of csrs meant to be eligible: often exactly 20 (ranks 2/7/9 = 10/35/45%)
    want = min(n_csr, rng.choice((20, 20, 20, 10, n_csr, n_csr - 1)))
    csrs = [p for p in people if p.position == "csr"]
    meant = {p.employee_id for p in rng.sample(csrs, want)}
    out = []
    for p in people:
        csr = p.position == "csr"
        if p.employee_id in meant or not csr:
            status = dict(rng.choice(ELIGIBLE_NOISE))
            if not csr and rng.random() < 0.2:
                status.update(rng.choice(INELIGIBLE))
        elif rng.random() < 0.4:
            continue  # a missing month
        else:
            status = dict(rng.choice(INELIGIBLE))
        out.append(_row(rng, p, month, status))
    return out


def _row(rng: random.Random, p: Person, month: str, status: dict[str, Any]) -> list[str]:
    csr = p.position == "csr"
    if p.steady is not None:
        cq, wa, ov = _triple(rng, p.steady[0], p.steady[1], csr)
    elif rng.random() < 0.6:
        cq, wa, ov = _triple(rng, rng.choice(BOUNDARY_SCORES if csr else LEAD_SCORES), None, csr)
    else:
        cq, wa, ov = _free_triple(rng, csr)
    values: dict[str, Any] = {
        "employee_id": p.employee_id,
        "name": f"员工{p.employee_id}",
        "period": month,
        "position": p.position,
        "base_salary": str(p.base_salary),
        "call_quality": cq,
        "work_ability": wa,
        "overall": ov,
        "exam_score": p.exam_score,
        "written_praise": rng.random() < 0.2,
        "error_tickets": 0 if rng.random() < 0.8 else rng.randint(1, 3),
        "night_shifts": rng.randint(0, 8),
    }
    values.update(status)
    cells = []
    for column in HEADER:
        v = values.get(column, False if column in FLAGS else 0)
        if isinstance(v, bool):
            cells.append("true" if v else "false")
        elif column in ("call_quality", "work_ability", "overall"):
            cells.append(_number(rng, str(v)))
        else:
            cells.append(str(v))
    return cells


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# ---- comparison -----------------------------------------------------------------------------

_PLAN: list[Plan] = []


def plan_b() -> Plan:
    if not _PLAN:
        checked = check_file(POLICY_B)
        assert checked.ok and not errors_of(checked)
        _PLAN.append(compile_checked(checked))
    return _PLAN[0]


def evaluate_text(text: str) -> Result:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "staff.csv"
        path.write_text(text, encoding="utf-8", newline="")
        return evaluate_plan(plan_b(), path)


def _same(have: Any, want: Any) -> bool:
    if want is None or have is None:
        return have is None and want is None
    return Decimal(str(have)) == Decimal(want)


def disagreements(text: str) -> tuple[list[tuple[Any, ...]], dict[tuple[str, str], OracleRow]]:
    """Every (row, output) where the policy and the oracle differ."""
    result = evaluate_text(text)
    assert [str(e) for e in result.errors] == []
    want = oracle(read_staff(text))
    assert set(result.rows) == set(want)
    bad = []
    for key, row in sorted(want.items()):
        have = result.rows[key]
        for name, value in row.outputs().items():
            if not _same(have[name], value):
                bad.append((*key, name, have[name], value))
    return bad, want


SHAPES = st.builds(
    Shape,
    start=st.sampled_from(("2023-01", "2023-10", "2024-04", "2024-12")),
    n_months=st.integers(1, 9),
    n_csr=st.sampled_from((1, 2, 10, 20, 21, 22, 24)),
    n_leads=st.integers(0, 8),
    seed=st.integers(0, 2**32),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES)
def test_policy_matches_the_oracle_on_hostile_files(shape: Shape) -> None:
    bad, _ = disagreements(staff_file(shape))
    assert bad == []


# The seeded corpus is checked as a whole to prove the generator reaches every edge.
CORPUS_SEEDS = range(8)


def _coverage(rows: Iterable[tuple[Staff, OracleRow]]) -> Counter[str]:
    seen: Counter[str] = Counter()
    checks: dict[str, Callable[[Staff, OracleRow], bool]] = {
        "percentile exactly 10% paid": lambda s, o: (
            o.percentile == Fraction(1, 10) and o.monthly_bonus >= 400
        ),
        "percentile exactly 35% paid 300": lambda s, o: (
            o.percentile == Fraction(35, 100) and o.monthly_bonus == 300
        ),
        "percentile exactly 45% paid 200": lambda s, o: (
            o.percentile == Fraction(45, 100) and o.monthly_bonus == 200
        ),
        "score exactly 85 ranked": lambda s, o: o.score == 85 and o.percentile is not None,
        "score exactly 80 ranked": lambda s, o: o.score == 80 and o.percentile is not None,
        "score exactly 75 ranked": lambda s, o: o.score == 75 and o.percentile is not None,
        "score exactly 70 ranked": lambda s, o: o.score == 70 and o.percentile is not None,
        "score exactly 60 ranked -> 100": lambda s, o: o.score == 60 and o.monthly_bonus == 100,
        "csr tie on score and overall": lambda s, o: s.position == "csr" and o.tied,
        "lead tie": lambda s, o: s.position != "csr" and o.tied,
        "lead at exactly 60 unranked": lambda s, o: s.position != "csr" and o.score == 60,
        "lead ranks 1-3": lambda s, o: s.position != "csr" and o.monthly_bonus > 0,
        "eligible despite notice period": lambda s, o: s.notice_period and o.rank is not None,
        "notice breach": lambda s, o: notice_breach(s),
        "star bonus paid": lambda s, o: o.star_bonus > 0,
        "star 500": lambda s, o: o.star_bonus == 500,
        "star decided but 0": lambda s, o: "star_decided" in o.extra and o.star_bonus == 0,
        "progress tie for the largest gain": lambda s, o: (
            o.progress > 0 and o.extra.get("best_gain_shared", False)
        ),
        "perfect star": lambda s, o: o.perfect_star > 0,
        "no perfect star: a month missing": lambda s, o: o.extra.get(
            "clean_but_a_month_missing", False
        ),
        "quarter incomplete": lambda s, o: o.extra.get("quarter_incomplete", False),
        "new or trainee in one month of a quarter": lambda s, o: (
            not o.extra.get("quarter_incomplete", True)
            and o.extra.get("quarter_new_or_trainee", False)
            and not (s.new_employee or s.trainee)
        ),
        "quarter average exactly on a table bound": lambda s, o: (
            o.extra.get("star_average") in (85, 80, 75, 70, 60)
        ),
        "exactly 85 at exactly 10% -> 500": lambda s, o: (
            o.score == 85 and o.percentile == Fraction(1, 10) and o.monthly_bonus == 500
        ),
        "csr unranked": lambda s, o: s.position == "csr" and o.rank is None,
    }
    for s, o in rows:
        for name, check in checks.items():
            if check(s, o):
                seen[name] += 1
    for name in checks:
        seen.setdefault(name, 0)
    return seen


def test_seeded_corpus_matches_and_reaches_every_edge() -> None:
    seen: Counter[str] = Counter()
    crossed_year = False
    for seed in CORPUS_SEEDS:
        n_csr = (20, 21, 22, 24)[seed % 4]
        text = staff_file(Shape(("2023-10", "2023-01")[seed % 2], 9, n_csr, 3 + seed % 6, seed))
        bad, want = disagreements(text)
        assert bad == [], f"seed {seed}"
        staff = {s.key: s for s in read_staff(text)}
        seen.update(_coverage((staff[k], o) for k, o in want.items()))
        crossed_year |= any(
            o.star_bonus > 0 and k[1].endswith(("-01", "-02", "-03")) for k, o in want.items()
        )
    assert {name: n for name, n in seen.items() if n == 0} == {}
    assert crossed_year


# ---- the oracle itself, checked on data it did not write ----------------------------------------


def test_oracle_reproduces_the_public_acceptance_case() -> None:
    """The oracle is only a referee if it agrees with the contract's own expected outputs."""
    text = (CASE_B / "records.csv").read_text(encoding="utf-8-sig")
    want = oracle(read_staff(text))
    lines = (CASE_B / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    expected = [json.loads(line) for line in lines if line.strip()]
    assert len(expected) == len(want)
    bad = [
        (row["employee_id"], row["period"], name)
        for row in expected
        for name in OUTPUTS
        if not _same(row[name], want[(row["employee_id"], row["period"])].outputs()[name])
    ]
    assert bad == []


def _csr(employee: str, period: str, score: str, overall: str = "80", **kw: Any) -> Staff:
    """A csr row whose score is exactly `score` (call_quality = 2 score - overall)."""
    s, ov = Decimal(score), Decimal(overall)
    base = Staff(employee, period, "csr", Decimal(3000), 2 * s - ov, s, ov, Decimal(80))
    return replace(base, **kw)


def test_oracle_ranks_share_the_better_rank_and_read_the_table_top_down() -> None:
    rows = [_csr(f"E{i:02d}", "2023-03", "60") for i in range(20)]
    rows[0] = _csr("E00", "2023-03", "90")
    rows[1] = _csr("E01", "2023-03", "85", "90")  # rank 2 of 20: exactly 10%
    rows[2] = _csr("E02", "2023-03", "85", "80")  # same score, worse overall: rank 3
    rows[3] = _csr("E03", "2023-03", "85", "80")  # tied with E02 on both keys: rank 3
    out = oracle(rows)
    ranks = [out[(f"E{i:02d}", "2023-03")].rank for i in range(6)]
    assert ranks == [1, 2, 3, 3, 5, 5]
    bonus = [out[(f"E{i:02d}", "2023-03")].monthly_bonus for i in range(5)]
    assert bonus == [500, 500, 300, 300, 100]  # 85 at 15% misses 10% and falls to >= 75
    e05 = out[("E05", "2023-03")]
    assert e05.perfect_star == 0  # no rows for the two months before
    assert e05.total_pay == 3000 + 100 + 100  # the 60 bonus and full attendance
