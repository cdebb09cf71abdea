"""Contracts C and D against independent oracles, on hostile files with bad rows in them.

The oracles below are written from ../shared/domain/seed-policies.md (the conventions and
contracts C and D) in plain Python, without reading the policies: exact arithmetic (Decimal
for pay, Fraction for the composite and its ranking), competition ranks counted as "one plus
the number of eligible rows strictly better". They read the CSV text themselves and decide
which rows are bad and which cells make them so; the rulings they take where the spec is
silent are stated where they are used:

- a number cell is ASCII digits with an optional sign and decimal part; anything else is text;
- a whole number may be written with a zero decimal part (`2.0` is the whole number 2);
- a duplicate employee_id rejects every copy (picking one would be a guess), and the copies
  that are otherwise good are reported on `employee_id`;
- contract D: a blank `regular` cannot be decided, so the row is bad; a non-regular row still
  gets pm_points and composite; a rejected row is not evaluated, so it is not ranked either.

The generator writes files on every edge: every grade and stage, years 0 and large, the
performance ratio blank/0/0.5/1, money with cents, pm_average exactly on 60/70/80 and 0.01
below, composites tied on equal and on different components, multi-line and quoted names,
blank lines (a spreadsheet shows them as rows), a BOM, CRLF, reordered columns, and rows
that must be rejected. Rows and columns of the rejections are compared, and the CLI is run
on a few files to check the `FILE:ROW:COLUMN: message` lines and the exit status.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TESTS, csv_text, errors_of, evaluate_plan, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.backend.closures.compile import Plan
from policyc.pipeline import check_file, compile_checked

SALARY = ROOT / "policies" / "salary_structure.policy"
TEAM_LEAD = ROOT / "policies" / "team_lead_selection.policy"
SALARY_HEADER = [
    "employee_id",
    "name",
    "grade",
    "stage",
    "years",
    "performance_ratio",
    "target_bonus",
    "phone_allowance",
    "full_attendance_bonus",
]
TEAM_HEADER = [
    "employee_id",
    "name",
    "regular",
    "ability",
    "pm_average",
    "interview",
    "manager",
    "peer_average",
]
METRICS = ("ability", "pm_average", "interview", "manager", "peer_average")
NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")

# ---- the oracles ------------------------------------------------------------------------------


def number(cell: str) -> Decimal | None:
    """The cell as a number, or None when it is text (blank cells are handled by callers)."""
    text = cell.strip()
    return Decimal(text) if NUMBER.fullmatch(text) else None


def whole(cell: str, low: int, high: int | None) -> int | None:
    n = number(cell)
    if n is None or n != n.to_integral_value() or n < low or (high is not None and n > high):
        return None
    return int(n)


def in_range(cell: str, low: int, high: int) -> Decimal | None:
    n = number(cell)
    return n if n is not None and low <= n <= high else None


@dataclass
class Verdict:
    """What a file must give: outputs by employee, the bad cells that must be reported for
    each rejected row, and the cells that may be reported besides (a duplicate's id)."""

    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    must: dict[int, set[str]] = field(default_factory=dict)
    may: dict[int, set[str]] = field(default_factory=dict)
    rows: dict[int, dict[str, str]] = field(default_factory=dict)  # accepted rows' cells

    @property
    def rejected(self) -> set[int]:
        return set(self.must)


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row, cells by column): the header is row 1, and a blank line is a row."""
    records = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    header = records[0]
    return [
        (i, dict(zip(header, rec, strict=True)))
        for i, rec in enumerate(records[1:], start=2)
        if rec
    ]


def judge(
    text: str,
    bad_cells: Callable[[dict[str, str]], set[str]],
    evaluate_row: Callable[[dict[str, str]], dict[str, Any]],
) -> Verdict:
    """Reject bad rows, then every copy of a duplicated id; evaluate the rest."""
    v = Verdict()
    rows = read_rows(text)
    for line, cells in rows:
        bad = bad_cells(cells)
        if not cells["employee_id"].strip():
            bad.add("employee_id")
        if bad:
            v.must[line] = bad
    ids = Counter(c["employee_id"] for _l, c in rows if c["employee_id"].strip())
    for line, cells in rows:
        if ids[cells["employee_id"]] > 1:
            v.may.setdefault(line, set()).add("employee_id")
            v.must.setdefault(line, {"employee_id"})
    for line, cells in rows:
        if line not in v.must:
            v.rows[line] = cells
            v.outputs[cells["employee_id"]] = evaluate_row(cells)
    return v


# Contract C. 岗位工资: grade wage x stage coefficient; A and B a fixed 2000, no coefficient.
GRADE_WAGE = {"C": 1100, "D": 900, "E": 800, "F": 700, "G": 500, "H": 0, "I": 0}
FIXED_WAGE = {"A": 2000, "B": 2000}
STAGE = {1: Decimal("1.00"), 2: Decimal("0.85"), 3: Decimal("0.75"), 4: Decimal("0.55")}
MONEY = ("target_bonus", "phone_allowance", "full_attendance_bonus")


def salary_bad_cells(c: dict[str, str]) -> set[str]:
    bad = set()
    if c["grade"] not in GRADE_WAGE and c["grade"] not in FIXED_WAGE:
        bad.add("grade")
    if whole(c["stage"], 1, 4) is None:
        bad.add("stage")
    if whole(c["years"], 0, None) is None:  # the spec sets no upper bound on service
        bad.add("years")
    if c["performance_ratio"].strip() and in_range(c["performance_ratio"], 0, 1) is None:
        bad.add("performance_ratio")
    bad.update(m for m in MONEY if c[m].strip() and number(c[m]) is None)
    return bad


def gross_pay(
    grade: str, stage: int, years: int, ratio: Decimal, money: Sequence[Decimal]
) -> Decimal:
    """800 base + 300 allowance + position wage + performance + seniority + the money."""
    position = FIXED_WAGE[grade] if grade in FIXED_WAGE else GRADE_WAGE[grade] * STAGE[stage]
    performance = Decimal(0) if stage == 4 else 300 * ratio  # 试用期员工无绩效工资
    seniority = 50 + (years - 1) * 20
    return 800 + 300 + position + performance + seniority + sum(money, Decimal(0))


def salary_row(c: dict[str, str]) -> dict[str, Any]:
    ratio = number(c["performance_ratio"]) if c["performance_ratio"].strip() else Decimal(1)
    money = [number(c[m]) or Decimal(0) for m in MONEY]
    stage, years = whole(c["stage"], 1, 4), whole(c["years"], 0, None)
    assert ratio is not None and stage is not None and years is not None
    return {"gross_pay": gross_pay(c["grade"], stage, years, ratio, money)}


def salary_oracle(text: str) -> Verdict:
    return judge(text, salary_bad_cells, salary_row)


# Contract D.
def pm_points(pm: Decimal) -> int:
    if pm < 60:
        return 0
    if pm < 70:
        return 6
    return 8 if pm < 80 else 10


def team_bad_cells(c: dict[str, str]) -> set[str]:
    bad = {m for m in METRICS if in_range(c[m], 0, 100) is None}
    if c["regular"] not in ("true", "false"):  # blank too: eligibility cannot be decided
        bad.add("regular")
    return bad


def team_row(c: dict[str, str]) -> dict[str, Any]:
    a, _pm, i, m, p = (Fraction(in_range(c[k], 0, 100) or 0) for k in METRICS)
    points = pm_points(Decimal(c["pm_average"].strip()))
    composite = Fraction(40, 100) * a + points + Fraction(30, 100) * i + (m + p) / 10
    eligible = c["regular"] == "true"
    return {"eligible": eligible, "pm_points": points, "composite": composite, "rank": None}


def team_oracle(text: str) -> Verdict:
    v = judge(text, team_bad_cells, team_row)
    pool = [o["composite"] for o in v.outputs.values() if o["eligible"]]
    for o in v.outputs.values():
        if o["eligible"]:
            o["rank"] = 1 + sum(1 for other in pool if other > o["composite"])
    return v


# ---- the generator ----------------------------------------------------------------------------

NAMES = (
    "张伟",
    "李娜",
    "",
    "O'Brien, Jr.",
    'say "hi"',
    "多行\n姓名",
    "line\r\nbreak",
    "  spaced  ",
    "=SUM(A1)",
    "Ана",
)
YEARS = ("0", "0", "1", "2", "3", "5", "10", "25", "40", "59", "60", "7.0")
RATIOS = ("", "", "", "0", "1", "0.5", "0.85", "0.333", "0.0001", "1.00", "0.50", "0.99", "0.01")
MONEY_CELLS = ("", "", "", "0", "100", "50", "0.01", "99.99", "100.50", "100.5", "1234.56")
C_REJECTS = (
    ("grade", "Z"),
    ("grade", ""),
    ("grade", "AA"),
    ("stage", "5"),
    ("stage", "0"),
    ("stage", "2.5"),
    ("stage", "x"),
    ("years", "-1"),
    ("years", "-10"),
    ("years", "1.5"),
    ("years", "abc"),
    ("years", ""),
    ("performance_ratio", "1.01"),
    ("performance_ratio", "-0.5"),
    ("performance_ratio", "abc"),
    ("performance_ratio", "2"),
    ("target_bonus", "abc"),
    ("phone_allowance", "12a"),
    ("full_attendance_bonus", "一百"),
    ("employee_id", ""),
)
PM = ("59.99", "60", "60.00", "69.99", "70", "79.99", "80", "80.0", "0", "100", "59.9", "75")
SCORES = ("0", "50", "60", "70", "75", "80", "80", "85", "90", "90", "100", "82.5", "66.67")
D_REJECTS = (
    ("regular", "maybe"),
    ("regular", "2"),
    ("regular", "N/A"),
    ("regular", ""),
    ("regular", "truee"),
    ("ability", "101"),
    ("pm_average", "100.01"),
    ("interview", "-1"),
    ("manager", "abc"),
    ("peer_average", ""),
    ("pm_average", "n/a"),
    ("employee_id", ""),
)


@dataclass(frozen=True)
class Shape:
    """The file's outline; the seed decides everything else."""

    n_staff: int = 30
    reject_rate: float = 0.15
    dup_rate: float = 0.05
    seed: int = 0


def _staff_id(rng: random.Random, i: int) -> str:
    # ids that a number parser would merge (007, 7, 7.0) are distinct employees
    return rng.choice((f"S{i:03d}", f"S{i:03d}", f"00{i}", str(i), f"{i}.0", f"员工{i}"))


def salary_cells(rng: random.Random, i: int) -> dict[str, str]:
    return {
        "employee_id": _staff_id(rng, i),
        "name": rng.choice(NAMES),
        "grade": rng.choice("ABCDEFGHI"),
        "stage": rng.choice(("1", "2", "3", "4", "4", "3.0")),
        "years": rng.choice(YEARS),
        "performance_ratio": rng.choice(RATIOS),
        **{m: rng.choice(MONEY_CELLS) for m in MONEY},
    }


def team_cells(rng: random.Random, i: int, others: list[dict[str, str]]) -> dict[str, str]:
    cells = {
        "employee_id": _staff_id(rng, i),
        "name": rng.choice(NAMES),
        "regular": "true" if rng.random() < 0.75 else "false",
        "pm_average": rng.choice(PM),
        **{m: rng.choice(SCORES) for m in METRICS if m != "pm_average"},
    }
    if others and rng.random() < 0.3:
        cells.update({m: rng.choice(others)[m] for m in METRICS})  # an equal composite
    if others and rng.random() < 0.15:
        _compensated_twin(cells, rng.choice(others))
    return cells


def _compensated_twin(cells: dict[str, str], of: dict[str, str]) -> None:
    """The same composite from different parts: 5 more ability (+2), two fewer pm_points."""
    ability = number(of["ability"])
    if ability is None or ability > 95 or number(of["pm_average"]) is None:
        return
    if pm_points(Decimal(of["pm_average"])) != 10:
        return
    cells.update({m: of[m] for m in METRICS})
    cells["ability"] = str(ability + 5)
    cells["pm_average"] = "79.99"


def _reject(
    rng: random.Random, cells: dict[str, str], rejects: Sequence[tuple[str, str]], strong: bool
) -> None:
    column, bad = rng.choice(rejects)
    if strong:  # would top the ranking if it were (wrongly) ranked
        cells.update({m: "100" for m in METRICS}, regular="true")
    cells[column] = bad


def write_file(rng: random.Random, header: list[str], rows: list[dict[str, str]]) -> str:
    """CSV text: columns sometimes reordered, CRLF, a BOM, blank lines between rows."""
    columns = header[:]
    if rng.random() < 0.3:
        rng.shuffle(columns)
    terminator = "\r\n" if rng.random() < 0.3 else "\n"
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator=terminator)
    out.writerow(columns)
    blanks = rng.random() < 0.25
    for row in rows:
        if blanks and rng.random() < 0.1:
            buf.write(terminator)
        out.writerow([row[c] for c in columns])
    text = buf.getvalue()
    return "\ufeff" + text if rng.random() < 0.2 else text


def _with_rejects_and_duplicates(
    rng: random.Random, shape: Shape, rows: list[dict[str, str]], rejects: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    for cells in rows:
        if rng.random() < shape.reject_rate:
            _reject(rng, cells, rejects, strong=rng.random() < 0.5)
    for k in range(1, len(rows)):
        if rng.random() < shape.dup_rate:
            rows[k]["employee_id"] = rows[rng.randrange(k)]["employee_id"]
    rng.shuffle(rows)
    return rows


def salary_file(shape: Shape) -> str:
    rng = random.Random(shape.seed)
    rows = [salary_cells(rng, i) for i in range(shape.n_staff)]
    rows = _with_rejects_and_duplicates(rng, shape, rows, C_REJECTS)
    return write_file(rng, SALARY_HEADER, rows)


def team_file(shape: Shape) -> str:
    rng = random.Random(shape.seed)
    rows: list[dict[str, str]] = []
    for i in range(shape.n_staff):
        rows.append(team_cells(rng, i, rows))
    rows = _with_rejects_and_duplicates(rng, shape, rows, D_REJECTS)
    return write_file(rng, TEAM_HEADER, rows)


# ---- comparison -----------------------------------------------------------------------------

_PLANS: dict[Path, Plan] = {}


def plan_of(path: Path) -> Plan:
    if path not in _PLANS:
        checked = check_file(path)
        assert checked.ok and not errors_of(checked)
        _PLANS[path] = compile_checked(checked)
    return _PLANS[path]


def same(have: Any, want: Any) -> bool:
    """Exact: a bool is a bool, a number any JSON number or decimal string of that value."""
    if want is None or isinstance(want, bool) or have is None or isinstance(have, bool):
        return have is want
    return Fraction(Decimal(str(have))) == Fraction(want)


def disagreements(
    want: Verdict, have: dict[str, dict[str, Any]], reported: set[tuple[int, str]]
) -> list[tuple[Any, ...]]:
    """Every output, and every rejection, where the engine and the oracle differ."""
    bad: list[tuple[Any, ...]] = []
    if set(have) != set(want.outputs):
        bad.append(("rows evaluated", sorted(set(have) ^ set(want.outputs))))
    for emp, outputs in sorted(want.outputs.items()):
        got = have.get(emp, {})
        for name, value in outputs.items():
            if emp in have and not same(got.get(name), value):
                bad.append((emp, name, got.get(name), value))
    rows = {r for r, _c in reported}
    if rows != want.rejected:
        bad.append(("rows rejected", sorted(rows ^ want.rejected)))
    for line, columns in want.must.items():
        allowed = columns | want.may.get(line, set())
        cols = {c for r, c in reported if r == line}
        if not columns <= cols <= allowed and line in rows:
            bad.append(("row", line, "reported", sorted(cols), "want", sorted(columns)))
    return bad


def engine(policy: Path, text: str) -> tuple[dict[str, dict[str, Any]], set[tuple[int, str]]]:
    """The library's outputs by employee and its (row, column) rejections."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "staff.csv"
        path.write_text(text, encoding="utf-8", newline="")
        result = evaluate_plan(plan_of(policy), path)
    have = {emp: row for (emp, _p), row in result.rows.items()}
    return have, {(e.row, e.column) for e in result.errors}


def check_salary(text: str) -> list[tuple[Any, ...]]:
    return disagreements(salary_oracle(text), *engine(SALARY, text))


def check_team(text: str) -> list[tuple[Any, ...]]:
    return disagreements(team_oracle(text), *engine(TEAM_LEAD, text))


SHAPES = st.builds(
    Shape,
    n_staff=st.sampled_from((1, 2, 5, 20, 40, 60)),
    reject_rate=st.sampled_from((0.0, 0.1, 0.3)),
    dup_rate=st.sampled_from((0.0, 0.05, 0.2)),
    seed=st.integers(0, 2**32),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES)
def test_salary_matches_the_oracle(shape: Shape) -> None:
    assert check_salary(salary_file(shape)) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES)
def test_team_lead_matches_the_oracle(shape: Shape) -> None:
    assert check_team(team_file(shape)) == []


# ---- the corpus reaches every edge ------------------------------------------------------------

CORPUS = [Shape(40, 0.2, 0.08, seed) for seed in range(12)]


def _salary_edges(v: Verdict, text: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    for line, c in read_rows(text):
        if line in v.rows:
            seen[f"grade {c['grade']} stage {whole(c['stage'], 1, 4)}"] += 1
            seen[f"years {c['years']}"] += 1
            seen[f"ratio {c['performance_ratio'] or 'blank'}"] += 1
            seen["money with cents"] += any("." in c[m] for m in MONEY)
            seen["multi-line name"] += "\n" in c["name"]
        for column in v.must.get(line, set()):
            seen[f"reject {column}"] += 1
        seen["duplicate"] += "employee_id" in v.may.get(line, set())
    return seen


def _team_edges(v: Verdict, text: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    ranked = [o for o in v.outputs.values() if o["rank"] is not None]
    best = max((o["composite"] for o in ranked), default=None)
    tally = Counter(o["composite"] for o in ranked)
    seen["tie"] += sum(n > 1 for n in tally.values())
    seen["tie across pm_points"] += sum(
        len({o["pm_points"] for o in ranked if o["composite"] == c}) > 1 for c in tally
    )
    for line, c in read_rows(text):
        o = v.outputs.get(c["employee_id"]) if line in v.rows else None
        if o is not None:
            seen[f"pm {c['pm_average']}"] += 1
            seen["not regular, above the best ranked"] += (
                not o["eligible"] and best is not None and o["composite"] > best
            )
        for column in v.must.get(line, set()):
            seen[f"reject {column}"] += 1
        strong = all(c[m] == "100" for m in METRICS if m not in v.must.get(line, set()))
        seen["rejected row that would rank first"] += line in v.must and strong
    return seen


def test_corpus_matches_and_reaches_every_edge() -> None:
    seen: Counter[str] = Counter()
    for shape in CORPUS:
        salary, team = salary_file(shape), team_file(shape)
        assert check_salary(salary) == [], shape
        assert check_team(team) == [], shape
        seen.update(_salary_edges(salary_oracle(salary), salary))
        seen.update(_team_edges(team_oracle(team), team))
    wanted = [f"grade {g} stage {s}" for g in "ABCDEFGHI" for s in range(1, 5)]
    wanted += [f"years {y}" for y in ("0", "60", "7.0")]
    wanted += [f"ratio {r}" for r in ("blank", "0", "1", "0.5", "0.0001")]
    wanted += [f"reject {c}" for c in SALARY_HEADER if c != "name"]
    wanted += [f"pm {p}" for p in PM]
    wanted += [f"reject {c}" for c in ("regular", *METRICS)]
    wanted += ["money with cents", "multi-line name", "duplicate", "tie", "tie across pm_points"]
    wanted += ["not regular, above the best ranked", "rejected row that would rank first"]
    assert [w for w in wanted if seen[w] == 0] == []


# ---- the oracles themselves, on data they did not write ----------------------------------------

# 例: 出纳 E3 m=0; 库管 E2 m=1 任务完成 (target 100) + phone 50; 商务 E1 m=2 target 100; 会计 D4 m=1;
# 人事 D3 m=0; 财务主管 C2 m=1.
SEED_EXAMPLES = [
    ("出纳", "E", "3", "0", "", "", "", "2030"),
    ("库管", "E", "2", "1", "100", "50", "", "2280"),
    ("商务", "E", "1", "2", "100", "", "", "2370"),
    ("会计", "D", "4", "1", "", "", "", "1645"),
    ("人事", "D", "3", "0", "", "", "", "2105"),
    ("财务主管", "C", "2", "1", "", "", "", "2385"),
]


def _seed_file() -> str:
    rows = [(e, e, g, s, y, "", t, p, f) for e, g, s, y, t, p, f, _pay in SEED_EXAMPLES]
    return csv_text(SALARY_HEADER, rows)


def test_oracle_reproduces_the_seed_worked_examples() -> None:
    want = salary_oracle(_seed_file())
    assert {e: o["gross_pay"] for e, o in want.outputs.items()} == {
        row[0]: Decimal(row[-1]) for row in SEED_EXAMPLES
    }


@pytest.mark.parametrize("example", SEED_EXAMPLES, ids=lambda row: row[0])
def test_policy_reproduces_each_seed_worked_example(example: tuple[str, ...]) -> None:
    text = _seed_file()
    assert check_salary(text) == []
    have, reported = engine(SALARY, text)
    assert reported == set()
    assert Decimal(have[example[0]]["gross_pay"]) == Decimal(example[-1])


@pytest.mark.parametrize(
    ("case", "oracle"), [("salary_structure", salary_oracle), ("team_lead_selection", team_oracle)]
)
def test_oracle_reproduces_the_public_acceptance_case(
    case: str, oracle: Callable[[str], Verdict]
) -> None:
    """The oracle is only a referee if it agrees exactly with the contract's expected rows."""
    folder = TESTS / "acceptance" / case
    want = oracle((folder / "records.csv").read_text(encoding="utf-8"))
    assert want.rejected == set()
    lines = (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    expected = [json.loads(line) for line in lines if line.strip()]
    assert len(expected) == len(want.outputs)
    bad = [
        (row["employee_id"], name)
        for row in expected
        for name, value in want.outputs[row["employee_id"]].items()
        if not same(row[name], value)
    ]
    assert bad == []


def test_oracle_ranks_only_eligible_accepted_rows() -> None:
    rows = [
        ("A", "", "true", "90", "80", "80", "80", "80"),  # 36 + 10 + 24 + 8 + 8 = 86
        ("B", "", "true", "95", "79.99", "80", "80", "80"),  # 38 + 8 + 40 = 86: tied with A
        ("C", "", "false", "100", "100", "100", "100", "100"),  # 100, not regular
        ("D", "", "maybe", "100", "100", "100", "100", "100"),  # rejected
        ("E", "", "true", "80", "60", "80", "80", "80"),  # 32 + 6 + 40 = 78
        ("F", "", "true", "100", "100", "100", "100", "100.5"),  # rejected
    ]
    v = team_oracle(csv_text(TEAM_HEADER, rows))
    assert {e: o["rank"] for e, o in v.outputs.items()} == {"A": 1, "B": 1, "C": None, "E": 3}
    assert v.must == {5: {"regular"}, 7: {"peer_average"}}


# ---- bad rows: not ranked, reported where they are, through the CLI -------------------------------


def test_rejected_rows_take_no_rank() -> None:
    rows = [
        ("TOP", "", "true", "100", "100", "100", "100", "100"),  # duplicated below
        ("X", "", "true", "100", "100", "100", "100", "101"),  # a score over 100
        ("Y", "", "yes?", "100", "100", "100", "100", "100"),  # regular not a boolean
        ("Z", "", "true", "100", "", "100", "100", "100"),  # pm_average blank
        ("P", "", "true", "50", "59.99", "50", "50", "50"),  # 45: ranks 1 of the good rows
        ("Q", "", "true", "50", "60", "50", "50", "50"),  # 51
        ("TOP", "", "true", "100", "100", "100", "100", "100"),
    ]
    text = csv_text(TEAM_HEADER, rows)
    assert check_team(text) == []
    have, reported = engine(TEAM_LEAD, text)
    assert {e: o["rank"] for e, o in have.items()} == {"P": "2", "Q": "1"}
    assert reported == {
        (2, "employee_id"),
        (3, "peer_average"),
        (4, "regular"),
        (5, "pm_average"),
        (8, "employee_id"),
    }


REPORT = re.compile(r"(?P<file>[^:]+):(?P<row>\d+):(?P<column>[^:]+): (?P<message>\S.*)")


def cli(policy: Path, text: str, tmp: Path) -> tuple[int, dict[str, Any], set[tuple[int, str]]]:
    """Run `policyc eval POLICY staff.csv --format jsonl` in tmp: status, rows, reports."""
    (tmp / "staff.csv").write_text(text, encoding="utf-8", newline="")
    done = run_cli("eval", policy, "staff.csv", "--format", "jsonl", cwd=tmp)
    rows = {}
    for line in done.stdout.splitlines():
        obj = json.loads(line)
        rows[str(obj["employee_id"])] = obj
    reports = set()
    for line in done.stderr.splitlines():
        m = REPORT.fullmatch(line)
        if m and m["file"] == "staff.csv":
            reports.add((int(m["row"]), m["column"]))
    return done.returncode, rows, reports


@pytest.mark.parametrize("seed", [3, 7])
@pytest.mark.parametrize(
    ("policy", "make", "oracle"),
    [(SALARY, salary_file, salary_oracle), (TEAM_LEAD, team_file, team_oracle)],
    ids=["salary", "team_lead"],
)
def test_cli_reports_bad_rows_and_evaluates_the_rest(
    seed: int,
    policy: Path,
    make: Callable[[Shape], str],
    oracle: Callable[[str], Verdict],
    tmp_path: Path,
) -> None:
    text = make(Shape(30, 0.2, 0.1, seed))
    want = oracle(text)
    assert want.rejected and want.outputs  # both kinds of row are in the file
    status, rows, reports = cli(policy, text, tmp_path)
    assert status == 1
    assert disagreements(want, rows, reports) == []


def test_cli_exit_status_is_0_when_no_row_is_bad(tmp_path: Path) -> None:
    text = salary_file(Shape(20, 0.0, 0.0, 5))
    status, rows, reports = cli(SALARY, text, tmp_path)
    assert (status, reports) == (0, set())
    assert disagreements(salary_oracle(text), rows, reports) == []


def test_cli_counts_rows_as_a_spreadsheet_does(tmp_path: Path) -> None:
    """A multi-line cell is one row, a blank line is a row, the BOM is not part of a name."""
    text = (
        "\ufeffemployee_id,name,grade,stage,years,performance_ratio,target_bonus,"
        'phone_allowance,full_attendance_bonus\r\nE1,"two\r\nlines",E,3,0,,,,\r\n\r\n'
        "E2,,Z,3,0,,,,\r\nE1,,E,3,0,,,,\r\nE3,,E,5,-1,,,,\r\n"
    )
    status, rows, reports = cli(SALARY, text, tmp_path)
    assert status == 1
    assert rows == {}
    assert reports == {
        (2, "employee_id"),
        (4, "grade"),
        (5, "employee_id"),
        (6, "stage"),
        (6, "years"),
    }


# ---- rulings where the spec is silent, held by the engine ----------------------------------------


def test_sub_fen_pay_agrees_once_rounded_to_the_fen() -> None:
    """300 x a five-decimal ratio leaves fractions of a fen; the acceptance checker rounds both
    sides half up to 2 places, and there the engine must agree with the exact pay."""
    ratios = ["0.00015", "0.00005", "0.12345", "0.99999", "0.33333"]
    rows = [(f"R{i}", "", "E", "1", "3", r, "", "", "") for i, r in enumerate(ratios)]
    text = csv_text(SALARY_HEADER, rows)
    have, reported = engine(SALARY, text)
    assert reported == set()
    cent = Decimal("0.01")
    for emp, o in salary_oracle(text).outputs.items():
        exact = o["gross_pay"].quantize(cent, rounding=ROUND_HALF_UP)
        assert Decimal(have[emp]["gross_pay"]).quantize(cent, rounding=ROUND_HALF_UP) == exact


def test_sub_fen_pay_is_rounded_half_up_to_the_fen_as_the_policy_says() -> None:
    """The policy's one rounding, named in its text: pay is money, paid to the fen."""
    text = csv_text(SALARY_HEADER, [("R", "", "E", "1", "3", "0.00015", "", "", "")])
    have, _ = engine(SALARY, text)
    assert salary_oracle(text).outputs["R"]["gross_pay"] == Decimal("1990.045")
    assert Decimal(have["R"]["gross_pay"]) == Decimal("1990.05")


@pytest.mark.parametrize("years", ["61", "100"])
def test_long_service_is_paid(years: str) -> None:
    text = csv_text(SALARY_HEADER, [("L", "", "E", "1", years, "", "", "", "")])
    assert check_salary(text) == []


@pytest.mark.parametrize("cell", ["yes", "no", "1", "0", "on", "off", "y", "n", "t", "f"])
def test_regular_not_true_or_false_is_rejected(cell: str) -> None:
    text = csv_text(TEAM_HEADER, [("R", "", cell, "80", "80", "80", "80", "80")])
    assert check_team(text) == []


def test_underscore_in_a_number_cell_is_rejected() -> None:
    text = csv_text(TEAM_HEADER, [("U", "", "true", "8_0", "80", "80", "80", "80")])
    assert check_team(text) == []
