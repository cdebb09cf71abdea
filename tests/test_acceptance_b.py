"""Contract B (call_center_bonus): the public acceptance case, what the policy's examples
cover (tests/test_examples.py runs them) and the explanation of a csr's bonus.

The acceptance case runs through the library (check, compile, evaluate, render) and must
match every row and output exactly, without the rounding ../shared/acceptance/check.py
allows. The generated-records comparison with an independent oracle is in
test_contract_b_oracle.py.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import POLICY_A, ROOT, TESTS, errors_of, run_cli

from policyc.backend.closures.compile import Plan
from policyc.io.results import result_rows
from policyc.pipeline import check_file, compile_checked, evaluate
from policyc.syntax import ast as A

POLICY_B = ROOT / "policies" / "call_center_bonus.policy"
POLICY_B_REL = "policies/call_center_bonus.policy"
CASE_B = TESTS / "acceptance" / "call_center_bonus"
CASE_B_REL = "tests/acceptance/call_center_bonus/records.csv"

_PLANS: dict[Path, Plan] = {}


def plan_of(path: Path) -> Plan:
    """Check (no errors allowed) and compile a bundled policy, once per session."""
    if path not in _PLANS:
        checked = check_file(path)
        bad = errors_of(checked)
        assert checked.ok and not bad, [f"{d.span.where} {d.message}" for d in bad]
        _PLANS[path] = compile_checked(checked)
    return _PLANS[path]


def _exact(value: Any) -> Any:
    """Numbers as exact decimals (JSON numbers and decimal strings alike); others as they are."""
    if value is None or isinstance(value, bool):
        return value
    return Decimal(str(value))


def _expected_rows() -> list[dict[str, Any]]:
    lines = (CASE_B / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# ---- the public acceptance case ------------------------------------------------------------


def test_acceptance_case_matches_every_row_exactly() -> None:
    spec = json.loads((CASE_B / "case.json").read_text(encoding="utf-8"))
    assert spec["policy"] == POLICY_B_REL
    plan = plan_of(ROOT / spec["policy"])
    ev = evaluate(plan, CASE_B / "records.csv")
    assert ev.errors == []
    got = {tuple(str(o[k]) for k in spec["key"]): o for o in result_rows(plan, ev.outcome.rows)}
    want = _expected_rows()
    assert len(got) == len(want) == ev.loaded.total
    assert set(got) == {tuple(str(row[k]) for k in spec["key"]) for row in want}
    assert set(spec["fields"]) == {name for name, _ in plan.outputs} - set(spec["key"])
    mismatches = []
    for row in want:
        have = got[tuple(str(row[k]) for k in spec["key"])]
        for f in spec["fields"]:
            if _exact(row[f]) != _exact(have[f]):
                mismatches.append((row["employee_id"], row["period"], f, row[f], have[f]))
    assert mismatches == []


def test_acceptance_case_exercises_every_rule() -> None:
    """The case is only a proof if it reaches each rule: bonuses of every amount, star
    bonuses, awards, unranked rows."""
    want = _expected_rows()
    assert {Decimal(str(r["monthly_bonus"])) for r in want} >= {
        Decimal(n) for n in (0, 100, 200, 300, 400, 500)
    }
    assert any(Decimal(str(r["star_bonus"])) > 0 for r in want)
    assert any(Decimal(str(r["awards"])) >= 600 for r in want)
    assert any(r["rank"] is None for r in want)


# ---- the policy's own examples (run by tests/test_examples.py): what they cover ---------------


def _expected(value: object) -> object:
    return value.name if isinstance(value, A.LabelValue) else value


def _example_outputs(plan: Plan) -> dict[str, set[object]]:
    """Every value an example expects, by name."""
    seen: dict[str, set[object]] = {}
    for ex in plan.model.examples:
        for line in ex.lines:
            for a in line.assigns:
                if line.kind == "expect":
                    seen.setdefault(a.name, set()).add(_expected(a.value))
    return seen


def test_examples_cover_every_rule_and_amount() -> None:
    plan = plan_of(POLICY_B)
    seen = _example_outputs(plan)
    assert {name for name, _ in plan.outputs} - {"employee_id", "period"} <= set(seen)
    assert {Decimal(n) for n in (0, 100, 200, 300, 400, 500)} <= seen["monthly_bonus"]
    assert seen["percentile"] >= {Decimal("0.1"), Decimal("0.35"), Decimal("0.45")}
    assert {Decimal(85), Decimal(80), Decimal(75), Decimal(70), Decimal(60)} <= seen["score"]
    assert {Decimal(500), Decimal(0)} <= seen["star_bonus"]
    for award in ("full_attendance", "quality_service", "perfect_star", "progress"):
        assert Decimal(0) in seen[award] and len(seen[award]) > 1, award
    assert None in seen["rank"]
    assert {Decimal(1), Decimal(2), Decimal(3)} <= seen["rank"]


def test_contract_a_examples_cover_every_band_edge() -> None:
    seen = _example_outputs(plan_of(POLICY_A))
    assert seen["window_average"] >= {Decimal(50), Decimal(70), Decimal(80)}
    assert {"promote", "stay", "demote", "demote_probation", None} <= seen["action"]
    assert True in seen["dismissal_candidate"]
    assert False in seen["review"]


# ---- explain: a csr with a bonus -----------------------------------------------------------

POLICY_B_LINES = POLICY_B.read_text(encoding="utf-8").splitlines()


def _policy_line(pattern: str) -> int:
    """The 1-based line of the policy matching `pattern` (found, not hard-coded)."""
    hits = [i for i, text in enumerate(POLICY_B_LINES, 1) if re.match(pattern, text.strip())]
    assert len(hits) == 1, f"{pattern!r} is on lines {hits}"
    return hits[0]


def _bonus_row_line(amount: int) -> int:
    """The line of the rule-2 table row that pays `amount`."""
    return _first_after_table(rf"at least \d+\s*\|.*->\s*{amount}$")


def _first_after_table(pattern: str) -> int:
    start = _policy_line(r"bonus_table\(s, p\) = table first over s, p")
    for i in range(start, len(POLICY_B_LINES)):
        if re.match(pattern, POLICY_B_LINES[i].strip()):
            return i + 1
    raise AssertionError(pattern)


def _csr_with_bonus() -> tuple[str, str, int, int, int]:
    """From the acceptance data: a csr paid a bonus who was not ranked first, so the
    explanation must show table rows skipped before the one that matched; with the size of
    its ranked group (csrs with a rank that month) counted from the expected outputs."""
    text = (CASE_B / "records.csv").read_text(encoding="utf-8-sig")
    header, *rows = [line.split(",") for line in text.splitlines()]
    position = {(r[0], r[header.index("period")]): r[header.index("position")] for r in rows}
    want = _expected_rows()
    csr = [r for r in want if position[(r["employee_id"], r["period"])] == "csr"]
    pick = next(r for r in csr if Decimal(str(r["monthly_bonus"])) in (200, 300) and r["rank"] != 1)
    size = sum(1 for r in csr if r["period"] == pick["period"] and r["rank"] is not None)
    bonus = int(Decimal(str(pick["monthly_bonus"])))
    return pick["employee_id"], pick["period"], int(pick["rank"]), size, bonus


def test_explain_shows_rank_group_percentile_and_the_table_row() -> None:
    employee, period, rank, size, bonus = _csr_with_bonus()
    proc = run_cli(
        "explain", POLICY_B_REL, CASE_B_REL, "--employee", employee, "--period", period, "--verbose"
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()

    def cited(fragment: str) -> list[int]:
        """Source lines cited by the explanation lines that contain `fragment`."""
        out = []
        for text in lines:
            m = re.search(r"call_center_bonus\.policy:(\d+)\s*$", text)
            if fragment in text and m:
                out.append(int(m.group(1)))
        return out

    rank_line = _policy_line(r"csr_rank = rank\(")
    group = f"rank {rank} of {size} among `csr_eligible`"
    assert cited(group) == [rank_line]
    assert "by score desc" in next(t for t in lines if group in t)
    assert "then overall desc" in next(t for t in lines if group in t)
    percentile = Decimal(rank) / Decimal(size)
    shown = f"{percentile:.6f}".rstrip("0")
    assert any(re.search(rf"percentile = {re.escape(shown)}…?\s", t) for t in lines), shown
    assert cited("percentile = ") == [_policy_line(r"percentile = csr_rank / csr_ranked")]
    assert cited(f"-> {bonus} (first match)") == [_bonus_row_line(bonus)]
    # the rows above the match were tried and skipped, each cited at its own line
    skipped = cited("row skipped")
    table_rows = [_bonus_row_line(n) for n in (500, 400, 300, 200, 100)]
    assert [n for n in skipped if n in table_rows] == table_rows[
        : table_rows.index(_bonus_row_line(bonus))
    ]
    assert f"monthly_bonus = {bonus}" in proc.stdout
