"""Explanations show every step with its values: the branch an `if` took and why, arithmetic
worked out, rounding, percentage bounds as written, true/false; and the JSON form carries the
same lines, with no internal names and decimals as strings.

The policy is the user review's reproducer (a sales bonus), cut down and written inline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import csv_text, evaluate_plan, plan_for, run_cli

from policyc.backend.closures.compile import Plan
from policyc.explain import explain_json, explain_text
from policyc.runtime.values import RowEnv

SALES = """policy "sales"
record
  employee_id : id
  period      : month
  team        : one of east, south
  target      : money places 2
  sales       : money places 2
  attendance  : score
  rate        : number?
key employee_id, period
completion = sales / target
team_rank = rank(sales desc among true per team)
bonus_tier = table first over completion, attendance
  >= 120% | >= 90 -> gold
  >= 100% | >= 90 -> silver
  otherwise       -> none_tier
base_bonus = by bonus_tier
  gold      : 5000
  silver    : 3000
  none_tier : 0
rank_bonus = if team_rank = 1 then 1000 else 0
total_bonus = round(base_bonus + rank_bonus, 2)
payout = round(default(rate, 0) * 1000, 2)
top_team = team_rank = 1 and completion >= 120%
output completion, team_rank, bonus_tier, total_bonus, payout, top_team
"""
HEADER = ["employee_id", "period", "team", "target", "sales", "attendance", "rate"]
ROWS = [
    ["S1", "2024-01", "east", "100000", "130000", "95", "1.990045"],
    ["S2", "2024-01", "east", "100000", "110000", "95", ""],
    ["S3", "2024-01", "south", "100000", "90000", "95", ""],
]


def _traced(tmp_path: Path, text: str = SALES, rows: list[list[Any]] | None = None) -> Any:
    plan = plan_for(text)
    path = tmp_path / "r.csv"
    path.write_text(csv_text(HEADER, rows or ROWS), encoding="utf-8")
    ids = {r[0] for r in rows or ROWS}
    result = evaluate_plan(plan, path, trace_ids=ids)
    traced = {r.key[0]: r for r in result.evaluation.outcome.rows}
    return plan, traced, result


def _lines(plan: Plan, row: RowEnv) -> list[str]:
    """The explanation's lines without their citations."""
    text = explain_text(plan, [row], "t.policy")
    return [line.split("  t.policy:")[0].strip() for line in text.splitlines()]


def test_an_if_says_which_branch_it_took_and_why(tmp_path: Path) -> None:
    plan, rows, _ = _traced(tmp_path)
    first = _lines(plan, rows["S1"])
    assert "if team_rank = 1 (1 = 1): true -> then 1000" in first
    second = _lines(plan, rows["S2"])
    assert "if team_rank = 1 (2 = 1): false -> else 0" in second


def test_arithmetic_is_shown_with_its_values_and_result(tmp_path: Path) -> None:
    plan, rows, _ = _traced(tmp_path)
    lines = _lines(plan, rows["S1"])
    assert "130000 / 100000 = 1.3" in lines
    assert "5000 + 1000 = 6000" in lines
    # a yes/no definition is worked out the same way, its percent bound as written
    assert "team_rank = 1 and completion >= 120% (1 = 1 and 130% >= 120%): true" in lines


def test_rounding_shows_the_value_before_and_after(tmp_path: Path) -> None:
    plan, rows, result = _traced(tmp_path)
    assert result.out("S1", "2024-01")["payout"] == "1990.05"
    lines = _lines(plan, rows["S1"])
    assert "1.990045 * 1000 = 1990.045" in lines
    assert "round(default(rate, 0) * 1000, 2, half_up): 1990.045 -> 1990.05" in lines
    assert "round(base_bonus + rank_bonus, 2, half_up): 6000 -> 6000" in lines


def test_each_line_sits_under_the_definition_it_explains(tmp_path: Path) -> None:
    plan, rows, _ = _traced(tmp_path)
    lines = _lines(plan, rows["S1"])
    at = lines.index("rank_bonus = 1000")
    assert lines[at + 1] == "if team_rank = 1 (1 = 1): true -> then 1000"
    at = lines.index("total_bonus = 6000")
    assert lines[at + 1 : at + 3] == [
        "5000 + 1000 = 6000",
        "round(base_bonus + rank_bonus, 2, half_up): 6000 -> 6000",
    ]


def test_percent_bounds_are_shown_as_written(tmp_path: Path) -> None:
    plan, rows, _ = _traced(tmp_path)
    assert "130% is at least 120% and 95 is at least 90 -> gold (first match)" in _lines(
        plan, rows["S1"]
    )
    s3 = _lines(plan, rows["S3"])
    assert "row skipped: 90% is below 120%" in s3
    assert "row skipped: 90% is below 100%" in s3
    table = [line for line in s3 if line.startswith("row skipped") or "->" in line]
    assert not any("1.2" in line or "0.9" in line for line in table)


def test_a_percent_band_bound_is_shown_as_written(tmp_path: Path) -> None:
    policy = SALES.replace(
        "bonus_tier = table first over completion, attendance\n"
        "  >= 120% | >= 90 -> gold\n  >= 100% | >= 90 -> silver\n  otherwise       -> none_tier\n",
        "bonus_tier = band completion\n  at least 120%              -> gold\n"
        "  at least 100% and below 120% -> silver\n  below 100%                 -> none_tier\n",
    )
    plan, rows, _ = _traced(tmp_path, policy)
    assert "110% is at least 100% and 110% is below 120% -> silver (band)" in _lines(
        plan, rows["S2"]
    )


def test_booleans_read_true_and_false_as_in_eval(tmp_path: Path) -> None:
    plan, rows, result = _traced(tmp_path)
    assert result.out("S2", "2024-01")["top_team"] is False
    lines = _lines(plan, rows["S2"])
    assert "top_team = false" in lines
    assert not any(line.endswith((" yes", " no")) or "= yes" in line for line in lines)


def test_tracing_changes_no_value(tmp_path: Path) -> None:
    plan = plan_for(SALES)
    path = tmp_path / "r.csv"
    path.write_text(csv_text(HEADER, ROWS), encoding="utf-8")
    plain = evaluate_plan(plan, path)
    traced = evaluate_plan(plan, path, trace_ids={"S1", "S2", "S3"})
    assert plain.rows == traced.rows
    assert all(r.trace is None for r in plain.evaluation.outcome.rows)


# ---- JSON ----------------------------------------------------------------------------------


def _json(tmp_path: Path, employee: str = "S1") -> dict[str, Any]:
    policy, records = tmp_path / "sales.policy", tmp_path / "sales.csv"
    policy.write_text(SALES, encoding="utf-8")
    records.write_text(csv_text(HEADER, ROWS), encoding="utf-8")
    proc = run_cli("explain", policy, records, "--employee", employee, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert isinstance(row, dict)
    return row


def test_json_carries_the_lines_the_text_shows(tmp_path: Path) -> None:
    row = _json(tmp_path)
    steps = {s["definition"]: s for s in row["steps"]}
    completion = steps["completion"]
    assert completion["text"] == [
        "130000 / 100000 = 1.3",
        "from the record: sales = 130000, target = 100000",
    ]
    assert completion["inputs"] == {"sales": "130000", "target": "100000"}
    assert steps["total_bonus"]["reads"] == ["base_bonus", "rank_bonus"]
    (worked,) = [e for e in completion["events"] if e["event"] == "Worked"]
    assert worked["expression"] == "sales / target"
    assert worked["operands"] == [
        {"operand": "sales", "value": "130000"},
        {"operand": "target", "value": "100000"},
    ]
    branch = next(e for e in steps["rank_bonus"]["events"] if e["event"] == "Branch")
    assert (branch["cond"], branch["held"], branch["taken"], branch["result"]) == (
        "team_rank = 1",
        True,
        "then",
        "1000",
    )


def test_json_text_matches_the_text_explanation(tmp_path: Path) -> None:
    plan, rows, _ = _traced(tmp_path)
    text = _lines(plan, rows["S1"])
    (doc,) = explain_json(plan, [rows["S1"]])
    for step in doc["steps"]:
        for line in step["text"]:
            assert line in text, line


def test_json_names_no_internal_step_and_writes_decimals_as_strings(tmp_path: Path) -> None:
    row = _json(tmp_path)
    dumped = json.dumps(row, ensure_ascii=False)
    assert '"_' not in dumped and "_rank_" not in dumped
    steps = {s["definition"]: s for s in row["steps"]}
    (ranked,) = [e for e in steps["team_rank"]["events"] if e["event"] == "Ranked"]
    assert ranked["name"] == "rank(sales desc among true per team)"
    assert ranked["rank"] == "1" == row["outputs"]["team_rank"]

    def numbers(x: Any) -> list[Any]:
        if isinstance(x, dict):
            return [n for k, v in x.items() for n in numbers(v) if k not in INTS]
        if isinstance(x, list):
            return [n for v in x for n in numbers(v)]
        return [x] if isinstance(x, int | float) and not isinstance(x, bool) else []

    # positions and counts are numbers; every value a rule computed or read is a string
    INTS = {"size", "tied", "row", "input_index", "places", "months", "steps", "position"}
    assert numbers(row) == []


# ---- where a hidden step's events go -------------------------------------------------------

ORDER = """policy "o"
record
  employee_id : id
  period      : month
  s           : score
key employee_id, period
bonus = if rank(s desc among true) = 1 then base else 0
base = 100 + s
output bonus, base
"""


def test_a_lifted_rank_is_explained_under_the_definition_that_reads_it(tmp_path: Path) -> None:
    """`_rank` runs before `base` (dependencies in name order): its line must still go with
    `bonus`, which reads it, and not with whatever is computed next."""
    plan = plan_for(ORDER)
    path = tmp_path / "r.csv"
    path.write_text(
        csv_text(["employee_id", "period", "s"], [["E1", "2024-01", 90], ["E2", "2024-01", 80]]),
        encoding="utf-8",
    )
    result = evaluate_plan(plan, path, trace_ids={"E1"})
    (row,) = [r for r in result.evaluation.outcome.rows if r.trace is not None]
    lines = _lines(plan, row)
    bonus, base = lines.index("bonus = 190"), lines.index("base = 190")
    rank_line = next(i for i, line in enumerate(lines) if line.startswith("rank 1 of 2"))
    assert bonus < rank_line < base
    assert "if rank(s desc among true) = 1 (1 = 1): true -> then 190" in lines
    assert lines[base + 1] == "100 + 90 = 190"


def test_min_max_clamp_and_default_are_worked_out(tmp_path: Path) -> None:
    text = SALES.replace(
        "output completion,",
        "above = max(sales - 150000, 0)\nband_part = clamp(sales - 100000, 0, 50000)\n"
        "output above, band_part, completion,",
    )
    plan, rows, result = _traced(tmp_path, text)
    assert result.out("S1", "2024-01")["above"] == "0"
    lines = _lines(plan, rows["S1"])
    assert "max(130000 - 150000, 0) = 0" in lines
    assert "clamp(130000 - 100000, 0, 50000) = 30000" in lines
    assert "default(1.990045, 0) = 1.990045" in lines
