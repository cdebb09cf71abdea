"""Explanations: golden files for contract A, and what every explanation must show.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_explain.py`
and review the diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import (
    EXAMPLE_A,
    EXAMPLE_A_REL,
    GOLDEN,
    POLICY_A,
    POLICY_A_REL,
    UPDATE_GOLDEN,
    csv_text,
    evaluate_plan,
    plan_a,
    plan_for,
    run_cli,
)

from policyc.explain import explain_json, explain_text

POLICY_LINES = POLICY_A.read_text(encoding="utf-8").splitlines()
CITE = re.compile(r"cs_levels_2021\.policy:(\d+)$")

# (employee, period, what it shows): see examples/cs_levels_2021/README.md
CASES = {
    "promotion": ("E2110002", "2021-06"),
    "probation_dismissal": ("E2110005", "2021-07"),
    "missing_month": ("E2110006", "2021-06"),
    "ladder_top": ("E2110003", "2021-06"),
    "ladder_bottom": ("E2110005", "2021-09"),
}
JSON_CASES = ("promotion", "missing_month")


def policy_line(pattern: str) -> int:
    """The 1-based line of the policy that starts with `pattern`, a regular expression
    (found rather than hard-coded, so the tests follow edits to the policy)."""
    hits = [i for i, text in enumerate(POLICY_LINES, 1) if re.match(pattern, text.strip())]
    assert len(hits) == 1, f"{pattern!r} is on lines {hits}"
    return hits[0]


BAND_PROMOTE = r"above 80\s+->\s*promote"


def explain(case: str, fmt: str) -> str:
    employee, period = CASES[case]
    args = ["explain", POLICY_A_REL, EXAMPLE_A_REL, "--employee", employee, "--period", period]
    verbose = ["--verbose"] if fmt == "text" else []
    proc = run_cli(*args, "--format", fmt, *verbose)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def golden(name: str, got: str) -> None:
    path = GOLDEN / "explain" / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("case", list(CASES))
def test_text_matches_golden(case: str) -> None:
    golden(f"{case}.txt", explain(case, "text"))


@pytest.mark.parametrize("case", JSON_CASES)
def test_json_matches_golden(case: str) -> None:
    golden(f"{case}.json", explain(case, "json"))


def cited_lines(text: str) -> list[tuple[str, int]]:
    out = []
    for line in text.splitlines():
        m = CITE.search(line)
        if m:
            out.append((line, int(m.group(1))))
    return out


def test_promotion_cites_policy_lines_and_the_band_bound() -> None:
    text = explain("promotion", "text")
    assert text.startswith("E2110002 2021-06\n")
    cites = cited_lines(text)
    assert len(cites) >= 10
    band_row = policy_line(BAND_PROMOTE)
    assert any("83.2 is above 80 -> promote (band)" in line and n == band_row for line, n in cites)
    # each output line cites its own definition
    for name, fragment in [
        ("score", r"score = by role"),
        ("window_average", "window_average = if review"),
        ("action", "action = band window_average"),
        ("level", "state level on levels"),
        ("probation", r"probation = previous\(action\)"),
    ]:
        head = [n for line, n in cites if line.startswith(f"  {name} = ")]
        assert head == [policy_line(fragment)], name
    assert "mean of score over review_window (2021-04..2021-06): 2021-04 80, 2021-05 83" in text
    assert "up 1: 普通客服代表-中级 -> 普通客服代表-高级 (2 of 6)" in text


def test_every_cited_line_exists_in_the_policy() -> None:
    for case in CASES:
        for _line, n in cited_lines(explain(case, "text")):
            assert 1 <= n <= len(POLICY_LINES)
            assert POLICY_LINES[n - 1].strip() and not POLICY_LINES[n - 1].lstrip().startswith("#")


def test_probation_month_and_dismissal_candidate() -> None:
    text = explain("probation_dismissal", "text")
    assert "probation = true" in text
    assert "action in 2021-06 = demote_probation" in text
    assert "dismissal_candidate = true" in text
    assert "score = 47.2" in text


def test_missing_month_is_named() -> None:
    text = explain("missing_month", "text")
    assert "2021-05 missing" in text
    assert "months missing: 2021-05, so there is no mean" in text
    assert "window_average = none" in text and "action = none" in text
    assert "carried from 2021-04" in text  # the level comes from the last month there was


def test_ladder_ends_are_named() -> None:
    top = explain("ladder_top", "text")
    assert "up 1: the top of the ladder is reached, stays at 高级客服代表-高级 (6 of 6)" in top
    bottom = explain("ladder_bottom", "text")
    assert (
        "down 1: the bottom of the ladder is reached, stays at 普通客服代表-中级 (1 of 6)" in bottom
    )
    # the matching band row is shown with both of its bounds
    assert "55.466667… is at least 50 and 55.466667… is below 70 -> demote (band)" in bottom


def test_json_outputs_agree_with_eval() -> None:
    doc = json.loads(explain("promotion", "json"))
    assert isinstance(doc, list) and len(doc) == 1
    (row,) = doc
    proc = run_cli("eval", POLICY_A_REL, EXAMPLE_A_REL, "--format", "jsonl")
    evaluated = [json.loads(x) for x in proc.stdout.splitlines()]
    want = next(o for o in evaluated if (o["employee_id"], o["period"]) == CASES["promotion"])
    assert (row["employee_id"], row["period"]) == CASES["promotion"]
    assert row["outputs"] == {k: v for k, v in want.items() if k not in ("employee_id", "period")}
    steps = {s["definition"]: s for s in row["steps"]}
    assert steps["action"]["source"] == f"{POLICY_A_REL}:{policy_line('action = band')}"
    (hit,) = [e for e in steps["action"]["events"] if e["event"] == "TableHit"]
    assert hit["checks"] == [["83.2", ">", "80"]]
    assert hit["row_span"] == f"{POLICY_A_REL}:{policy_line(BAND_PROMOTE)}"


def test_json_names_missing_months() -> None:
    doc = json.loads(explain("missing_month", "json"))
    steps = {s["definition"]: s for s in doc[0]["steps"]}
    (agg,) = [e for e in steps["window_average"]["events"] if e["event"] == "WindowAggregate"]
    assert agg["missing"] == ["2021-05"]
    assert agg["months"] == ["2021-04", "2021-05", "2021-06"]
    assert agg["result"] is None


def test_override_is_shown_with_its_reason(tmp_path: Path) -> None:
    plan = plan_a()
    header = ["employee_id", "name", "role", "level", "period"]
    header += ["callback_rate", "satisfaction", "handling", "training", "attendance"]
    header += ["review_decision", "review_reason"]
    rows = [
        ["E9", "马", "customer_rep", "普通客服代表-高级", "2021-01", 60, 60, 60, 60, 60, "", ""],
        ["E9", "马", "customer_rep", "", "2021-02", 60, 60, 60, 60, 60, "", ""],
        ["E9", "马", "customer_rep", "", "2021-03", 60, 60, 60, 60, 60, "stay", "部门审核：病假"],
    ]
    path = tmp_path / "r.csv"
    path.write_text(csv_text(header, rows), encoding="utf-8")
    result = evaluate_plan(plan, path, trace_ids={"E9"})
    assert result.out("E9", "2021-03")["action"] == "stay"
    assert result.out("E9", "2021-03")["level"] == "普通客服代表-高级"
    march = [r for r in result.evaluation.outcome.rows if r.key == ("E9", "2021-03")]
    text = explain_text(plan, march, "cs_levels_2021.policy")
    override_line = policy_line("override action with")
    want = "overridden by department review: demote -> stay (reason: 部门审核：病假)"
    assert any(want in line and n == override_line for line, n in cited_lines(text))
    assert "no move: stays at 普通客服代表-高级" in text
    events = explain_json(plan, march)[0]["steps"]
    action = next(s for s in events if s["definition"] == "action")
    assert [e["event"] for e in action["events"]][-1] == "Override"


def test_all_months_when_no_period_is_given() -> None:
    proc = run_cli("explain", POLICY_A_REL, EXAMPLE_A_REL, "--employee", "E2110012", "--verbose")
    assert proc.returncode == 0
    heads = [line for line in proc.stdout.splitlines() if line.startswith("E2110012 ")]
    with EXAMPLE_A.open(encoding="utf-8") as f:
        n = sum(1 for line in f if line.startswith("E2110012,"))
    assert len(heads) == n and heads[0] == "E2110012 2021-01"


def test_plain_evaluation_records_no_trace() -> None:
    result = evaluate_plan(plan_a(), EXAMPLE_A)
    assert all(r.trace is None for r in result.evaluation.outcome.rows)
    traced = evaluate_plan(plan_a(), EXAMPLE_A, trace_ids={"E2110002"})
    rows = traced.evaluation.outcome.rows
    assert all((r.trace is not None) == (r.key[0] == "E2110002") for r in rows)
    # tracing changes nothing in the results
    assert traced.rows == result.rows


def test_unknown_employee_is_a_usage_error() -> None:
    proc = run_cli("explain", POLICY_A_REL, EXAMPLE_A_REL, "--employee", "NOBODY")
    assert proc.returncode == 2
    assert "no evaluated row for employee `NOBODY`" in proc.stderr
    assert "Traceback" not in proc.stderr


TABLE_POLICY = (
    'policy "t"\nrecord\n  employee_id : id\n  period : month\n  team : one of a, b\n'
    "  s : score\n  p : percent\nkey employee_id, period\n"
    "bonus = table first over s, p\n  >= 85 | <= 10% -> 500\n  >= 60 | any -> 100\n"
    "  otherwise -> 0\n"
    "r = rank(s desc among team is a)\noutput bonus, r\n"
)


def test_decision_tables_and_ranks_explain_themselves(tmp_path: Path) -> None:
    plan = plan_for(TABLE_POLICY)
    path = tmp_path / "r.csv"
    rows = [["E1", "2021-01", "a", 70, "0.5"], ["E2", "2021-01", "a", 70, "0.1"]]
    rows.append(["E3", "2021-01", "b", 90, "0.1"])
    path.write_text(csv_text(["employee_id", "period", "team", "s", "p"], rows), encoding="utf-8")
    result = evaluate_plan(plan, path, trace_ids={"E1", "E3"})
    traced = {r.key[0]: r for r in result.evaluation.outcome.rows if r.trace is not None}
    assert set(traced) == {"E1", "E3"}
    e1 = explain_text(plan, [traced["E1"]], "t.policy")
    # a first-hit table says which rows it passed over and the bound that failed
    assert any("row skipped: 70 is below 85" in line and n == 10 for line, n in cites(e1))
    assert any(
        "70 is at least 60 -> 100 (first match)" in line and n == 11 for line, n in cites(e1)
    )
    assert "rank 1 of 2 among `team is a`" in e1 and "shares the rank with 1 other(s)" in e1
    e3 = explain_text(plan, [traced["E3"]], "t.policy")
    # `p` is held as 0.1 and compared with `10%`: shown as the bound is written
    assert "90 is at least 85 and 10% is at most 10% -> 500 (first match)" in e3
    assert "not ranked: not among `team is a`" in e3


def cites(text: str) -> list[tuple[str, int]]:
    out = []
    for line in text.splitlines():
        m = re.search(r"t\.policy:(\d+)$", line)
        if m:
            out.append((line, int(m.group(1))))
    return out
