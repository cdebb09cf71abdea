"""Contract A (2021) and its 2022 revision against an independent oracle, on hostile files.

The oracle below is written from the rules of ../shared/domain/seed-policies.md (contract A)
and the 2022 revision's issue text, in plain Python, without reading the policies: exact
arithmetic (Fraction for scores and means), calendar-aligned windows counted on month
numbers, the starting level from the earliest accepted row. It also says which rows must be
rejected: a bad cell (a blank weighed metric, a score outside 0-100 or not a number, an
unknown role, a level off the role's ladder, a malformed month), every copy of a duplicate
employee-month, and, as the policy's comment on `level` rules, an accepted row that would
have to start an employee's level but leaves it blank. A rejected row is a missing month.

The generator writes files that sit on every edge: window averages exactly 50/70/80/85 and
a cent (over the window) off them, all five roles, 12-24 months across year ends, missing
months, employees starting mid-window, both ends of every ladder, demote_probation followed
by probation months below/at/above 50 or missing, levels filled in on later rows, and a few
rows of every rejected kind, including the row that holds the starting level. Both policies
must equal the oracle on every row and output, and `policyc diff` must report exactly the
rows and outputs that the oracle's two versions disagree on.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from conftest import (
    OUTPUTS_A,
    POLICY_A_2022_REL,
    POLICY_A_REL,
    ROOT,
    Result,
    errors_of,
    evaluate_plan,
    run_cli,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.diff.records import diff_records
from policyc.diff.render import records_json
from policyc.diff.rules import Version, version_of
from policyc.pipeline import check_file

OLD_REL = POLICY_A_REL
NEW_REL = POLICY_A_2022_REL
OUTPUTS = OUTPUTS_A
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

# ---- the oracle -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    weights: Mapping[str, int]
    window: int  # months; windows are calendar-aligned and end in a multiple of it
    ladder: tuple[str, ...]  # low to high


# Contract A's table: role, window in months, metrics and weights; then the ladders.
TABLE = """
customer_rep   3  callback_rate 20 satisfaction 20 handling 25 training 25 attendance 10
tech_support   6  handling 40 training_feedback 40 skill 10 attendance 10
tech_lead     12  handling 20 training_feedback 20 skill 15 coordination 15 escalation 20 attendance 10
auditor        6  quality 45 efficiency 45 attendance 10
cs_supervisor 12  training_feedback 25 team_culture 25 appraisal 20 initiative 20 attendance 10
"""
LADDERS = {
    "customer_rep": "普通客服代表-中级 普通客服代表-高级 大客户客服代表-中级 大客户客服代表-高级"
    " 高级客服代表-中级 高级客服代表-高级",
    "tech_support": "技术支持-中级 技术支持-高级",
    "tech_lead": "技术支持组长-中级 技术支持组长-高级",
    "auditor": "一级审核员 二级审核员 三级审核员 四级审核员",
    "cs_supervisor": "客服主管-中级 客服主管-高级",
}


def _roles(table: str) -> dict[str, Role]:
    roles = {}
    for line in table.strip().splitlines():
        name, window, *pairs = line.split()
        weights = {m: int(w) for m, w in zip(pairs[::2], pairs[1::2], strict=True)}
        assert sum(weights.values()) == 100
        roles[name] = Role(weights, int(window), tuple(LADDERS[name].split()))
    return roles


ROLES_2021 = _roles(TABLE)
# the record's metric columns, in the order the table first names them (the spec's order)
METRICS = tuple(dict.fromkeys(m for role in ROLES_2021.values() for m in role.weights))
HEADER = ["employee_id", "name", "role", "level", "period", *METRICS]
REP_LADDER = ROLES_2021["customer_rep"].ladder
# The 2022 revision: customer_rep callback 15 / satisfaction 25, auditors every 3 months.
ROLES_2022 = {
    **ROLES_2021,
    "customer_rep": Role(
        {**ROLES_2021["customer_rep"].weights, "callback_rate": 15, "satisfaction": 25},
        3,
        REP_LADDER,
    ),
    "auditor": Role(ROLES_2021["auditor"].weights, 3, ROLES_2021["auditor"].ladder),
}


@dataclass(frozen=True)
class Contract:
    year: int
    roles: Mapping[str, Role]
    promotes: Callable[[Fraction], bool]  # the top band; the others are the same both years
    probation_months: int  # calendar months right after a demote_probation review

    def band(self, average: Fraction) -> str:
        if self.promotes(average):
            return "promote"
        if average >= 70:
            return "stay"
        return "demote" if average >= 50 else "demote_probation"


A2021 = Contract(2021, ROLES_2021, lambda a: a > 80, 1)
A2022 = Contract(2022, ROLES_2022, lambda a: a >= 85, 2)
CONTRACTS = {2021: A2021, 2022: A2022}


@dataclass(frozen=True)
class Line:
    """One data row of the file as text; `row` is its spreadsheet row (the header is 1)."""

    row: int
    cells: Mapping[str, str]

    @property
    def key(self) -> tuple[str, str]:
        return (self.cells["employee_id"], self.cells["period"])

    @property
    def month(self) -> int:
        """Months since year 0 (only for a well-formed period)."""
        p = self.cells["period"]
        return int(p[:4]) * 12 + int(p[5:7]) - 1


@dataclass
class Out:
    score: Fraction
    review: bool
    window_average: Fraction | None
    action: str | None
    level: str
    probation: bool
    dismissal_candidate: bool
    start: str  # the level before this month's review (for the coverage checks)

    def outputs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in OUTPUTS}


@dataclass
class Verdict:
    """The oracle's answer for one file and one contract."""

    rows: dict[tuple[str, str], Out] = field(default_factory=dict)
    rejected: dict[int, set[str]] = field(default_factory=dict)  # row -> columns at fault
    lines: dict[int, Line] = field(default_factory=dict)


def read_lines(text: str) -> list[Line]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader)
    return [Line(i, dict(zip(header, cells, strict=True))) for i, cells in enumerate(reader, 2)]


def _score_cell(text: str) -> Fraction | str | None:
    """A score cell: None when blank, the number, or "bad" (text or outside 0-100)."""
    if text == "":
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return "bad"
    if not d.is_finite() or not 0 <= d <= 100:
        return "bad"
    return Fraction(d)


def bad_cells(line: Line, contract: Contract) -> set[str]:
    """The columns that make this row a bad record on its own."""
    c = line.cells
    bad = set()
    role = contract.roles.get(c["role"])
    if role is None:
        bad.add("role")
    if not MONTH.fullmatch(c["period"]):
        bad.add("period")
    for metric in METRICS:
        value = _score_cell(c[metric])
        if value == "bad" or (value is None and role is not None and metric in role.weights):
            bad.add(metric)
    if role is not None and c["level"] != "" and c["level"] not in role.ladder:
        bad.add("level")
    return bad


def oracle(text: str, contract: Contract) -> Verdict:
    lines = read_lines(text)
    verdict = Verdict(lines={ln.row: ln for ln in lines})
    for ln in lines:
        if bad := bad_cells(ln, contract):
            verdict.rejected[ln.row] = bad
    copies = Counter(ln.key for ln in lines)
    for ln in lines:
        if copies[ln.key] > 1:
            verdict.rejected.setdefault(ln.row, set()).add("duplicate")
    by_employee: dict[str, list[Line]] = {}
    for ln in lines:
        if ln.row not in verdict.rejected:
            by_employee.setdefault(ln.cells["employee_id"], []).append(ln)
    for employee_lines in by_employee.values():
        _timeline(sorted(employee_lines, key=lambda ln: ln.month), contract, verdict)
    return verdict


def _timeline(lines: list[Line], contract: Contract, verdict: Verdict) -> None:
    """One employee's accepted rows in calendar order."""
    level: str | None = None
    done: dict[int, Out] = {}  # month -> outputs of the rows evaluated so far
    for ln in lines:
        if level is None:
            if ln.cells["level"] == "":
                # the earliest accepted row must give the level; it is not guessed
                verdict.rejected[ln.row] = {"level"}
                continue
            level = ln.cells["level"]
        role = contract.roles[ln.cells["role"]]
        weighted = sum(w * Fraction(Decimal(ln.cells[m])) for m, w in role.weights.items())
        score = Fraction(weighted) / 100
        month = ln.month
        review = (month % 12 + 1) % role.window == 0
        window = range(month - role.window + 1, month)
        average = None
        if review and all(m in done for m in window):
            average = (sum((done[m].score for m in window), Fraction(0)) + score) / role.window
        action = contract.band(average) if average is not None else None
        start = level
        at = role.ladder.index(level)
        if action == "promote":
            level = role.ladder[min(at + 1, len(role.ladder) - 1)]
        elif action in ("demote", "demote_probation"):
            level = role.ladder[max(at - 1, 0)]
        after = range(month - contract.probation_months, month)
        probation = any(m in done and done[m].action == "demote_probation" for m in after)
        out = Out(score, review, average, action, level, probation, probation and score < 50, start)
        done[month] = out
        verdict.rows[ln.key] = out


def oracle_changes(old: Verdict, new: Verdict) -> dict[tuple[str, str], dict[str, tuple[Any, Any]]]:
    """The rows evaluated under both versions whose outputs differ, and only those outputs."""
    out = {}
    for key in sorted(set(old.rows) & set(new.rows)):
        a, b = old.rows[key].outputs(), new.rows[key].outputs()
        if changes := {n: (a[n], b[n]) for n in OUTPUTS if a[n] != b[n]}:
            out[key] = changes
    return out


# ---- the generator ----------------------------------------------------------------------------

EDGES = (Decimal(50), Decimal(70), Decimal(80), Decimal(85))
# probation-month scores: below, at and above 50, and far from it
PROBATION_SCORES = ("49.99", "50", "50.00", "50.01", "0", "30", "75")
OFF_LADDER = ("普通客服代表-初级", "五级审核员", "技术支持-初级", "客服主管", "一级审核员")
BAD_ROLES = ("manager", "Customer_Rep", "客服代表", "tech-support")
BAD_MONTHS = ("2021-13", "2021-00", "2021-3-15", "21-03", "2021/13", "")  # 2021-3, 2021/03 read
BAD_SCORES = ("101", "100.01", "-1", "-0.01", "n/a", "八十", "eighty")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Shape:
    """The file's outline; the seed decides everything else."""

    start: str = "2021-07"
    n_months: int = 18
    n_employees: int = 30
    seed: int = 0
    bad_rate: float = 0.03  # a row's chance of a bad cell (the first row's is four times it)


def _period(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _clamp(d: Decimal) -> Decimal:
    return min(max(d, Decimal(0)), Decimal(100))


def _fill_block(
    rng: random.Random, block: list[int], total: Decimal, fixed: dict[int, Decimal]
) -> dict[int, Decimal]:
    """Scores for the block's free months so that the whole block sums to `total`."""
    free = [m for m in block if m not in fixed]
    rest = total - sum((fixed[m] for m in block if m in fixed), Decimal(0))
    if not free:
        return {}
    for jitter in (800, 200, 0):
        share = (rest / len(free)).quantize(CENT)
        out = {m: _clamp(share + Decimal(rng.randint(-jitter, jitter)) / 100) for m in free[:-1]}
        out[free[-1]] = rest - sum(out.values(), Decimal(0))
        if 0 <= out[free[-1]] <= 100:
            return out
    return {m: _clamp(rest / len(free)).quantize(CENT) for m in free}  # unreachable target


def plan_scores(rng: random.Random, window: int, months: list[int]) -> dict[int, Decimal]:
    """A monthly score for each month, most windows aimed at a band edge or below 50."""
    span = set(months)
    scores: dict[int, Decimal] = {}
    fixed: dict[int, Decimal] = {}
    for b in range(months[0] - months[0] % window, months[-1] + 1, window):
        block = [m for m in range(b, b + window) if m in span]
        mode = rng.choice(("edge", "edge", "edge", "edge", "low", "free"))
        if mode == "free" or len(block) < window:
            for m in block:
                scores[m] = fixed.get(m, Decimal(rng.randint(3000, 10000)) / 100)
            continue
        if mode == "edge":
            cents = rng.choice((0, 0, 0, 1, -1, 2, -2, window, -window))
            total = window * rng.choice(EDGES) + cents * CENT
        else:
            total = window * rng.choice((Decimal("49.99"), Decimal(45), Decimal(20)))
        scores.update({m: fixed[m] for m in block if m in fixed})
        scores.update(_fill_block(rng, block, total, fixed))
        if mode == "low":  # the next two months are probation (2022) or one of them (2021)
            fixed = {b + window + i: Decimal(rng.choice(PROBATION_SCORES)) for i in range(2)}
    return scores


def realize(rng: random.Random, weights: Mapping[str, int], score: Decimal) -> dict[str, Decimal]:
    """Metric values (at most two decimals) whose weighted score is exactly `score`.

    All but attendance are near the score with one decimal; attendance (10%) balances:
    a = (100 score - sum w m) / 10 has at most two decimals.
    """
    others = [m for m in weights if m != "attendance"]
    for spread in (150, 40, 5) if rng.random() < 0.8 else ():
        near = (score + Decimal(rng.randint(-spread, spread)) / 10 for _ in others)
        values = {m: _clamp(v).quantize(Decimal("0.1")) for m, v in zip(others, near, strict=True)}
        rest = 100 * score - sum((weights[m] * v for m, v in values.items()), Decimal(0))
        values["attendance"] = rest / 10
        if 0 <= values["attendance"] <= 100:
            return values
    return dict.fromkeys(weights, score)


def _cell(rng: random.Random, d: Decimal) -> str:
    """The same number written differently: 85, 85.0 and 85.00 are all valid cells."""
    return f"{d:.2f}" if rng.random() < 0.3 else f"{d.normalize():f}"


def employee_rows(rng: random.Random, shape: Shape, index: int) -> list[dict[str, str]]:
    role_name = rng.choice(tuple(ROLES_2021))
    contract = CONTRACTS[rng.choice((2021, 2022))]  # whose weights and windows to aim at
    role = contract.roles[role_name]
    first = int(shape.start[:4]) * 12 + int(shape.start[5:7]) - 1
    months = list(range(first, first + shape.n_months))
    if rng.random() < 0.3:  # starts mid-window, or leaves early
        months = months[rng.randrange(len(months) // 2) :]
    if rng.random() < 0.15:
        months = months[: rng.randrange(1, len(months) + 1)]
    scores = plan_scores(rng, role.window, months)
    present = [m for m in months if rng.random() > 0.07]
    employee = f"E{index:03d}"
    ladder = role.ladder
    rows: list[dict[str, str]] = []
    for m in present:
        values = realize(rng, role.weights, scores[m])
        if rng.random() < 0.05:  # any two-decimal metrics, whatever the score
            values = {k: Decimal(rng.randint(0, 10000)) / 100 for k in role.weights}
        if rng.random() < 0.05:  # a metric the role does not weigh, given anyway: ignored
            unused = [k for k in METRICS if k not in role.weights]
            values[rng.choice(unused)] = Decimal(rng.choice(("0", "80", "100")))
        cells = dict.fromkeys(HEADER, "")
        cells.update(employee_id=employee, name=f"员工{index}", role=role_name, period=_period(m))
        cells.update({k: _cell(rng, v) for k, v in values.items()})
        if not rows or rng.random() < 0.1:  # later rows' levels are never read
            cells["level"] = rng.choice((ladder[0], ladder[-1], rng.choice(ladder)))
        rows.append(cells)
    if len(rows) > 1 and rng.random() < 0.08:  # the level only given from the second row
        rows[1]["level"] = rows[0]["level"] or ladder[0]
        rows[0]["level"] = ""
    return rows


def corrupt(rng: random.Random, cells: dict[str, str]) -> list[dict[str, str]]:
    """The row made bad in one way (a duplicate adds a second copy)."""
    kind = rng.choice(("blank", "score", "unused", "role", "level", "month", "duplicate"))
    weighed = list(ROLES_2021[cells["role"]].weights)
    if kind == "unused":  # out of range even where the role does not weigh it
        cells[rng.choice([m for m in METRICS if m not in weighed])] = rng.choice(BAD_SCORES[:4])
    elif kind == "blank":
        cells[rng.choice(weighed)] = ""
    elif kind == "score":
        cells[rng.choice(weighed)] = rng.choice(BAD_SCORES)
    elif kind == "role":
        cells["role"] = rng.choice(BAD_ROLES)
    elif kind == "level":
        cells["level"] = rng.choice(
            [x for x in OFF_LADDER if x not in ROLES_2021[cells["role"]].ladder]
        )
    elif kind == "month":
        cells["period"] = rng.choice(BAD_MONTHS)
    else:
        copy = dict(cells)
        copy[rng.choice(weighed)] = rng.choice(("0", "100", "77.77"))
        return [cells, copy]
    return [cells]


def staff_file(shape: Shape) -> str:
    """A hostile staff file as CSV text (rows shuffled, sometimes with a BOM)."""
    rng = random.Random(shape.seed)
    rows: list[dict[str, str]] = []
    for i in range(shape.n_employees):
        mine = employee_rows(rng, shape, i)
        for j, cells in enumerate(mine):
            if rng.random() >= shape.bad_rate * (4 if j == 0 else 1):
                rows.append(cells)
                continue
            rows.extend(corrupt(rng, cells))
            if j == 0 and len(mine) > 1 and rng.random() < 0.6:  # the next row gives it
                mine[1]["level"] = rng.choice(ROLES_2021[mine[1]["role"]].ladder)
    rng.shuffle(rows)
    header = list(HEADER)
    if rng.random() < 0.2:  # columns are found by name: any order, one more ignored
        header.append("remark")
        rng.shuffle(header)
    buf = io.StringIO()
    end = rng.choice(("\n", "\r\n"))
    if rng.random() < 0.2:
        writer = csv.writer(buf, lineterminator=end, quoting=csv.QUOTE_ALL)
    else:
        writer = csv.writer(buf, lineterminator=end)
    writer.writerow(header)
    writer.writerows([r.get(h, "备注") for h in header] for r in rows)
    text = buf.getvalue()
    return "\ufeff" + text if rng.random() < 0.2 else text


# ---- comparison -----------------------------------------------------------------------------

_VERSIONS: dict[str, Version] = {}


def version(rel: str) -> Version:
    """A bundled policy, checked and compiled once (its `plan` is what `eval` runs)."""
    if rel not in _VERSIONS:
        checked = check_file(ROOT / rel)
        assert checked.ok and not errors_of(checked)
        _VERSIONS[rel] = version_of(checked)
    return _VERSIONS[rel]


def same(have: Any, want: Any) -> bool:
    """An output against the oracle's value: numbers as exact decimals.

    A mean like 80.00333... has no finite decimal; the policy prints it with many digits,
    so it must equal the exact mean rounded at its last printed digit (and print 20+ digits).
    """
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return bool(have == want)
    if isinstance(have, bool) or have is None:
        return False
    d = Decimal(str(have))
    if Fraction(d) == want:
        return True
    digits = len(d.as_tuple().digits)
    half_unit = Fraction(1, 2) * Fraction(10) ** d.as_tuple().exponent  # type: ignore[operator]
    return digits >= 20 and abs(Fraction(d) - want) <= half_unit


def reports(result_errors: Iterable[Any]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for e in result_errors:
        out.setdefault(e.row, set()).add(e.column)
    return out


def expected_reports(verdict: Verdict) -> dict[int, set[str]]:
    """The oracle's rejected rows, a duplicate being reported on its period."""
    return {
        row: {"period" if c == "duplicate" else c for c in columns}
        for row, columns in verdict.rejected.items()
    }


def report_disagreements(have: dict[int, set[str]], verdict: Verdict) -> list[tuple[Any, ...]]:
    """Exactly the oracle's rejected rows, each at a column the oracle finds at fault.

    The oracle names every bad column of a row; policyc reports all the cells that fail
    their type, but then only one later problem (a blank weighed metric, a level off the
    ladder, a duplicate), so a row's columns need only be among the oracle's. The test
    `test_every_problem_of_a_row_is_reported` below holds the stricter reading.
    """
    want = expected_reports(verdict)
    rows = sorted(set(have) | set(want))
    return [
        (r, have.get(r), want.get(r))
        for r in rows
        if not have.get(r) or not want.get(r) or not have[r] <= want[r]
    ]


def output_disagreements(verdict: Verdict, result: Result) -> list[tuple[Any, ...]]:
    bad: list[tuple[Any, ...]] = []
    if set(result.rows) != set(verdict.rows):
        extra, lost = set(result.rows) - set(verdict.rows), set(verdict.rows) - set(result.rows)
        bad.append(("rows", sorted(extra)[:5], sorted(lost)[:5]))
    for key in sorted(set(result.rows) & set(verdict.rows)):
        have, want = result.rows[key], verdict.rows[key].outputs()
        bad.extend((*key, n, have[n], want[n]) for n in OUTPUTS if not same(have[n], want[n]))
    return bad


def diff_disagreements(path: Path, old: Verdict, new: Verdict) -> list[tuple[Any, ...]]:
    report = records_json(diff_records(version(OLD_REL), version(NEW_REL), path))
    return compare_diff(report, old, new)


def compare_diff(report: dict[str, Any], old: Verdict, new: Verdict) -> list[tuple[Any, ...]]:
    """`policyc diff`'s JSON against the oracle's own comparison of its two verdicts."""
    want = oracle_changes(old, new)
    summary = report["summary"]
    bad: list[tuple[Any, ...]] = []
    counts = {
        "rows": len(set(old.rows) & set(new.rows)),
        "rows_changed": len(want),
        "employees_changed": len({e for e, _ in want}),
    }
    bad.extend(("summary", k, summary[k], v) for k, v in counts.items() if summary[k] != v)
    rejected = {"old": len(old.rejected), "new": len(new.rejected)}
    if summary["rows_rejected"] != rejected:
        bad.append(("summary", "rows_rejected", summary["rows_rejected"], rejected))
    sides = {"only_old": set(old.rows) - set(new.rows), "only_new": set(new.rows) - set(old.rows)}
    for side, rows in sides.items():
        listed = {(r["employee_id"], r["period"]) for r in report[side]}
        if listed != rows:
            bad.append((side, sorted(listed ^ rows)[:5]))
    have = {(r["employee_id"], r["period"]): r["changes"] for r in report["changed"]}
    if len(have) != len(report["changed"]):
        bad.append(("changed", "a row listed twice"))
    for key in sorted(set(have) | set(want)):
        got, exp = have.get(key, {}), want.get(key, {})
        if set(got) != set(exp):
            bad.append((*key, "outputs", sorted(got), sorted(exp)))
            continue
        for name, (a, b) in exp.items():
            if not (same(got[name]["old"], a) and same(got[name]["new"], b)):
                bad.append((*key, name, got[name], (a, b)))
    return bad


def check_text(text: str, with_diff: bool = True) -> list[tuple[Any, ...]]:
    """Every disagreement between policyc and the oracle on one file, both versions."""
    verdicts = {year: oracle(text, c) for year, c in CONTRACTS.items()}
    problems: list[tuple[Any, ...]] = []
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "staff.csv"
        path.write_text(text, encoding="utf-8", newline="")
        for year, rel in ((2021, OLD_REL), (2022, NEW_REL)):
            result = evaluate_plan(version(rel).plan, path)
            if bad := report_disagreements(reports(result.errors), verdicts[year]):
                problems.append((year, "reports", bad))
            problems.extend((year, *p) for p in output_disagreements(verdicts[year], result))
        if with_diff:
            problems.extend(("diff", *p) for p in diff_disagreements(path, *verdicts.values()))
    return problems


# ---- coverage: the seeded corpus must reach every edge ------------------------------------------


def _events(verdict: Verdict, year: int) -> Iterable[str]:
    """Names of the edges one verdict reaches (the coverage test wants each of them)."""
    contract = CONTRACTS[year]
    at = {ln.key: ln for ln in verdict.lines.values() if ln.row not in verdict.rejected}
    for (employee, period), out in verdict.rows.items():
        line = at[(employee, period)]
        role = contract.roles[line.cells["role"]]
        month = line.month
        a = out.window_average
        if out.action is not None:
            yield f"{year} {line.cells['role']} reviewed"
        if a is not None:
            for edge in (50, 70, 80, 85):
                if a == edge:
                    yield f"{year} average exactly {edge} -> {out.action}"
                elif 0 < abs(a - edge) <= Fraction(1, 100):
                    yield f"{year} average just {'above' if a > edge else 'below'} {edge}"
        elif out.review:
            yield f"{year} review with a month missing"
        if out.action == "promote" and out.start == role.ladder[-1]:
            yield f"{year} promote at the top"
        if out.action in ("demote", "demote_probation") and out.start == role.ladder[0]:
            yield f"{year} {out.action} at the bottom"
        if out.action == "demote_probation":
            nxt = [(employee, _period(month + i)) for i in (1, 2)]
            if nxt[0] not in verdict.rows:
                yield f"{year} probation month missing"
            if year == 2022 and nxt[0] not in verdict.rows and nxt[1] in verdict.rows:
                yield "2022 second probation month after a missing one"
        if out.probation:
            s = out.score
            yield f"{year} probation score {'below' if s < 50 else 'at' if s == 50 else 'above'} 50"
            if period.endswith("-01"):
                yield f"{year} probation across the year end"
        if out.start != line.cells["level"] != "":
            yield "a later row's level ignored"


def _rejection_events(verdict: Verdict) -> Iterable[str]:
    firsts: dict[str, int] = {}
    for line in verdict.lines.values():
        if MONTH.fullmatch(line.cells["period"]):
            e = line.cells["employee_id"]
            firsts[e] = min(firsts.get(e, line.month), line.month)
    evaluated = {e for e, _ in verdict.rows}
    for row, columns in verdict.rejected.items():
        line = verdict.lines[row]
        blank_start = line.cells["level"] == "" and columns == {"level"}
        for c in columns:
            kind = "metric" if c in METRICS else c
            yield "rejected: level blank on the first row" if blank_start else f"rejected: {kind}"
        e = line.cells["employee_id"]
        first = MONTH.fullmatch(line.cells["period"]) and firsts[e] == line.month
        if first and e in evaluated and line.cells["level"] != "" and not blank_start:
            yield "earliest row rejected, a later row gives the level"


EVERY_YEAR = (
    *(f"average exactly {e} -> {a}" for e, a in ((50, "demote"), (70, "stay"), (80, "stay"))),
    "average exactly 85 -> promote",
    *(f"average just {d} {e}" for e in (50, 70, 80, 85) for d in ("above", "below")),
    *(f"{role} reviewed" for role in ROLES_2021),
    *(f"probation score {d} 50" for d in ("below", "at", "above")),
    *("promote at the top", "demote at the bottom", "demote_probation at the bottom"),
    *("review with a month missing", "probation month missing", "probation across the year end"),
)


def _required() -> set[str]:
    return {
        "a later row's level ignored",
        "2022 second probation month after a missing one",
        "earliest row rejected, a later row gives the level",
        "rejected: level blank on the first row",
        *(f"rejected: {k}" for k in ("metric", "role", "period", "level", "duplicate")),
        *(f"{year} {name}" for year in CONTRACTS for name in EVERY_YEAR),
    }


def corpus_coverage(seeds: Iterable[int]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for seed in seeds:
        text = staff_file(corpus_shape(seed))
        for year, contract in CONTRACTS.items():
            verdict = oracle(text, contract)
            seen.update(_events(verdict, year))
            seen.update(_rejection_events(verdict))
    return seen


def corpus_shape(seed: int) -> Shape:
    starts = ("2021-01", "2020-11", "2021-07", "2021-12")
    return Shape(starts[seed % 4], 12 + (seed * 5) % 13, 50, seed)


# ---- the tests ------------------------------------------------------------------------------------

SHAPES = st.builds(
    Shape,
    start=st.sampled_from(("2020-11", "2021-01", "2021-06", "2021-12")),
    n_months=st.integers(12, 24),
    n_employees=st.integers(5, 30),
    seed=st.integers(0, 2**32),
    bad_rate=st.sampled_from((0.0, 0.03, 0.1)),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES)
def test_both_versions_and_their_diff_match_the_oracle_on_hostile_files(shape: Shape) -> None:
    assert check_text(staff_file(shape)) == []


CORPUS_SEEDS = range(10)


def test_seeded_corpus_matches_and_reaches_every_edge() -> None:
    for seed in CORPUS_SEEDS:
        assert check_text(staff_file(corpus_shape(seed)), with_diff=False) == [], seed
    seen = corpus_coverage(CORPUS_SEEDS)
    assert sorted(name for name in _required() if seen[name] == 0) == []


def _jsonl(stdout: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = [json.loads(line) for line in stdout.splitlines()]
    out = {(r["employee_id"], r["period"]): r for r in rows}
    assert len(out) == len(rows)
    return out


def test_a_large_file_through_the_cli(tmp_path: Path) -> None:
    """About 3000 rows: `policyc eval` for both versions and `policyc diff`, end to end."""
    text = staff_file(Shape("2020-11", 24, 140, seed=20220101, bad_rate=0.02))
    path = tmp_path / "staff.csv"
    path.write_text(text, encoding="utf-8", newline="")
    verdicts = {year: oracle(text, c) for year, c in CONTRACTS.items()}
    for year, rel in ((2021, OLD_REL), (2022, NEW_REL)):
        proc = run_cli("eval", rel, path, "--format", "jsonl")
        want = verdicts[year]
        assert proc.returncode == (1 if want.rejected else 0), proc.stderr[-2000:]
        lines = proc.stderr.splitlines()
        reported = [ln for ln in lines if ln.startswith(str(path)) and ": warning: " not in ln]
        have: dict[int, set[str]] = {}
        for line in reported:
            row, column = line[len(str(path)) + 1 :].split(":", 2)[:2]
            have.setdefault(int(row), set()).add(column)
        assert report_disagreements(have, want) == []
        assert proc.stderr.splitlines()[-1] == (
            f"{len(want.rejected)} row(s) reported, {len(want.rows)} evaluated"
        )
        printed = _jsonl(proc.stdout)
        assert set(printed) == set(want.rows)
        bad = [
            (*k, n, printed[k][n], out.outputs()[n])
            for k, out in want.rows.items()
            for n in OUTPUTS
            if not same(printed[k][n], out.outputs()[n])
        ]
        assert bad == []
    proc = run_cli("diff", OLD_REL, NEW_REL, path, "--format", "json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["summary"]["rows_changed"] > 100
    assert compare_diff(report, verdicts[2021], verdicts[2022]) == []


# ---- the oracle itself, checked on data it did not write ---------------------------------------------


def test_oracle_reproduces_the_public_acceptance_case() -> None:
    """The oracle is only a referee if it agrees with the contract's own expected outputs."""
    case = ROOT / "tests" / "acceptance" / "cs_levels_2021"
    verdict = oracle((case / "records.csv").read_text(encoding="utf-8"), A2021)
    lines = (case / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    expected = [json.loads(line) for line in lines if line.strip()]
    assert len(expected) == len(verdict.rows) > 1000 and verdict.rejected == {}

    def norm(v: Any) -> Any:
        """Both sides rounded half-up to the case's two places, as check.py does."""
        if isinstance(v, str) and v[:1].isdigit():
            v = Fraction(Decimal(v))
        return int(v * 100 + Fraction(1, 2)) if isinstance(v, Fraction) else v  # all >= 0

    bad = [
        (row["employee_id"], row["period"], name)
        for row in expected
        for name in OUTPUTS
        if norm(row[name])
        != norm(verdict.rows[(row["employee_id"], row["period"])].outputs()[name])
    ]
    assert bad == []


def _rep(employee: str, period: str, cb: str, sat: str, rest: str, level: str = "") -> list[str]:
    metrics = {"callback_rate": cb, "satisfaction": sat, "handling": rest, "training": rest}
    metrics["attendance"] = rest
    return [employee, "n", "customer_rep", level, period, *(metrics.get(m, "") for m in METRICS)]


def _text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER, *rows])
    return buf.getvalue()


def test_oracle_bands_and_probation_by_version() -> None:
    """2021: 84.99 promotes, one probation month; 2022: 85 promotes, 84.99 stays, two
    probation months; the weights move 5 points from callback_rate to satisfaction."""
    top, low = REP_LADDER[2], REP_LADDER[0]
    rows = [_rep("S", f"2021-0{m}", "85", "85", "85", top) for m in (1, 2, 3)]
    rows += [_rep("T", f"2021-0{m}", "84.99", "84.99", "84.99", top) for m in (1, 2, 3)]
    rows += [_rep("P", f"2021-0{m}", "40", "40", "40", low) for m in (1, 2, 3)]
    rows += [_rep("P", "2021-04", "60", "60", "60"), _rep("P", "2021-05", "40", "40", "49.99")]
    rows += [_rep("W", "2021-01", "100", "0", "50", low)]
    text = _text(rows)
    old, new = oracle(text, A2021), oracle(text, A2022)
    assert old.rows[("S", "2021-03")].action == new.rows[("S", "2021-03")].action == "promote"
    assert old.rows[("T", "2021-03")].action == "promote" != new.rows[("T", "2021-03")].action
    assert [old.rows[("P", p)].probation for p in ("2021-04", "2021-05")] == [True, False]
    assert [new.rows[("P", p)].dismissal_candidate for p in ("2021-04", "2021-05")] == [False, True]
    assert old.rows[("P", "2021-03")].level == new.rows[("P", "2021-03")].level == low  # bottom
    assert old.rows[("W", "2021-01")].score == 50 and new.rows[("W", "2021-01")].score == 45


def test_oracle_starting_level_comes_from_the_earliest_accepted_row() -> None:
    """A rejected earliest row does not give the level; the next accepted row must."""
    a, b = REP_LADDER[0], REP_LADDER[3]
    rows = [
        _rep("X", "2021-01", "101", "80", "80", b),  # bad score: its level is not used
        _rep("X", "2021-02", "80", "80", "80", a),
        _rep("X", "2021-03", "80", "80", "80", b),  # a later level is never read
        _rep("Y", "2021-01", "80", "", "80", a),  # blank weighed metric
        _rep("Y", "2021-02", "80", "80", "80"),  # must give the level: reported
        _rep("Y", "2021-03", "80", "80", "80", b),  # tries again, and starts here
        _rep("Z", "2021-01", "80", "80", "80", a),
        _rep("Z", "2021-01", "70", "80", "80", a),  # duplicate: both copies reported
        _rep("Z", "2021-02", "80", "80", "80"),  # reported: no starting level
    ]
    verdict = oracle(_text(rows), A2021)
    assert verdict.rejected == {
        2: {"callback_rate"},
        5: {"satisfaction"},
        6: {"level"},
        8: {"duplicate"},
        9: {"duplicate"},
        10: {"level"},
    }
    assert verdict.rows[("X", "2021-03")].level == a
    assert verdict.rows[("X", "2021-03")].window_average is None  # January was rejected
    assert verdict.rows[("Y", "2021-03")].level == b


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    def auditor(employee: str, level: str, quality: str) -> list[str]:
        cells = {"attendance": "80", "quality": quality, "efficiency": "80"}
        return [employee, "n", "auditor", level, "2021-01", *(cells.get(m, "") for m in METRICS)]

    rows = [
        auditor("A", "五级审核员", ""),  # a blank weighed metric and a level off the ladder
        auditor("B", "五级审核员", "80"),  # a duplicate and a level off the ladder
        auditor("B", "一级审核员", "80"),
    ]
    path = tmp_path / "staff.csv"
    path.write_text(_text(rows), encoding="utf-8", newline="")
    have = reports(evaluate_plan(version(OLD_REL).plan, path).errors)
    assert expected_reports(oracle(_text(rows), A2021)) == {
        2: {"quality", "level"},
        3: {"period", "level"},
        4: {"period"},
    }
    assert have == {2: {"quality", "level"}, 3: {"period", "level"}, 4: {"period"}}
