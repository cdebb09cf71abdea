"""Evaluation, end to end through policyc.pipeline on small inline policies and CSV files."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Result, csv_text, evaluate_plan, plan_for

Run = Callable[..., Result]

HEAD = 'policy "t"\nrecord\n  employee_id : id\n  period : month\n'


# ---- arithmetic ------------------------------------------------------------------------


def test_weighted_sum_is_exact_decimal(run_policy: Run) -> None:
    policy = HEAD + (
        "  a, b, c : score\nkey employee_id, period\ns = weighted a 20%, b 45%, c 35%\noutput s\n"
    )
    rows = [("E1", "2021-01", "33.33", "0.1", "66.67"), ("E2", "2021-01", "0.2", "0.1", "0.3")]
    r = run_policy(policy, csv_text(["employee_id", "period", "a", "b", "c"], rows))
    for emp, _p, a, b, c in rows:
        want = (
            Decimal(a) * Decimal("0.2")
            + Decimal(b) * Decimal("0.45")
            + Decimal(c) * Decimal("0.35")
        )
        assert Decimal(r.out(emp, "2021-01")["s"]) == want
    assert r.out("E1", "2021-01")["s"] == "30.0455"  # no float noise such as 30.045499999


def test_blank_weighted_metric_rejects_the_row_naming_the_column(run_policy: Run) -> None:
    policy = (
        HEAD + "  a, b : score?\nkey employee_id, period\ns = weighted a 50%, b 50%\noutput s\n"
    )
    r = run_policy(policy, "employee_id,period,a,b\nE1,2021-01,80,\nE2,2021-01,80,90\n")
    assert [(e.row, e.column) for e in r.errors] == [(2, "b")]
    assert "weighs 50%" in r.errors[0].message
    assert r.out("E2", "2021-01")["s"] == "85"


def test_division_by_zero_rejects_only_that_row(run_policy: Run) -> None:
    policy = HEAD + "  a, b : number\nkey employee_id, period\nq = a / b\noutput q\n"
    r = run_policy(policy, "employee_id,period,a,b\nE1,2021-01,1,0\nE2,2021-01,1,3\n")
    assert [(e.row, e.column) for e in r.errors] == [(2, "q")]
    assert "division by zero" in r.errors[0].message
    assert Decimal(r.out("E2", "2021-01")["q"]) == Decimal(1) / Decimal(3)


def test_null_rule(run_policy: Run) -> None:
    policy = HEAD + (
        "  a : score?\n  act : one of promote, stay ?\nkey employee_id, period\n"
        "plus = a + 1\ngt = a > 1\nneg = not gt\nboth = gt and true\neither = gt or true\n"
        "cond = if a > 1 then 1 else 2\nis_none = a is none\nis_label = act is promote\n"
        "is_not_label = act is not promote\nin_list = act in (promote, stay)\n"
        "fallback = default(a, 7)\nhas = given(a)\n"
        "output plus, gt, neg, both, either, cond, is_none, is_label, is_not_label, in_list, "
        "fallback, has\n"
    )
    r = run_policy(policy, "employee_id,period,a,act\nE1,2021-01,,\nE2,2021-01,5,stay\n")
    blank = r.out("E1", "2021-01")
    assert blank == {
        "employee_id": "E1",
        "period": "2021-01",
        "plus": None,  # arithmetic with none gives none
        "gt": None,  # so does a comparison
        "neg": True,  # not treats none as false
        "both": False,
        "either": True,
        "cond": "2",  # if treats none as false
        "is_none": True,
        "is_label": False,
        "is_not_label": True,  # `x is not y` is exactly `not (x is y)`, none included
        "in_list": False,
        "fallback": "7",
        "has": False,
    }
    given = r.out("E2", "2021-01")
    assert (given["plus"], given["gt"], given["is_not_label"], given["fallback"]) == (
        "6",
        True,
        True,
        "5",
    )


@pytest.mark.parametrize(
    ("call", "value", "want"),
    [
        ("round(v, 0)", "2.5", "3"),
        ("round(v, 0)", "-2.5", "-3"),  # half_up rounds away from zero (四舍五入)
        ("round(v, 0, half_even)", "2.5", "2"),
        ("round(v, 1)", "0.05", "0.1"),
        ("round(v, 2)", "1.005", "1.01"),  # exact decimal: no binary 1.00499999
        ("round_down(v, 1)", "2.59", "2.5"),
        ("round_up(v, 1)", "2.51", "2.6"),
        ("clamp(v, 10, 20)", "25", "20"),
        ("clamp(v, 10, 20)", "5", "10"),
        ("abs(v)", "-4", "4"),
        ("min(v, 3)", "5", "3"),
        ("max(v, 3)", "5", "5"),
        ("v * 20%", "50", "10"),
    ],
)
def test_helper_functions(run_policy: Run, call: str, value: str, want: str) -> None:
    policy = HEAD + f"  v : number\nkey employee_id, period\nx = {call}\noutput x\n"
    r = run_policy(policy, f"employee_id,period,v\nE1,2021-01,{value}\n")
    assert r.errors == []
    assert r.out("E1", "2021-01")["x"] == want


def test_user_functions_are_inlined_with_their_arguments(run_policy: Run) -> None:
    policy = HEAD + (
        "  a, b : number\nkey employee_id, period\n"
        "share(part, whole) = part / whole * 100\nx = share(a, a + b)\noutput x\n"
    )
    r = run_policy(policy, "employee_id,period,a,b\nE1,2021-01,1,3\n")
    assert r.out("E1", "2021-01")["x"] == "25"


def test_record_dot_field_reads_the_field_not_the_definition(run_policy: Run) -> None:
    policy = HEAD + "  a : number\nkey employee_id, period\na = record.a * 2\nb = a + record.a\n"
    policy += "output a, b\n"
    r = run_policy(policy, "employee_id,period,a\nE1,2021-01,5\n")
    assert r.out("E1", "2021-01") == {
        "employee_id": "E1",
        "period": "2021-01",
        "a": "10",
        "b": "15",
    }


def test_output_with_an_expression(run_policy: Run) -> None:
    policy = HEAD + "  a : number\nkey employee_id, period\noutput a, double = a * 2\n"
    r = run_policy(policy, "employee_id,period,a\nE1,2021-01,5\n")
    assert r.out("E1", "2021-01")["double"] == "10"


# ---- bands, tables, cases -------------------------------------------------------------------

BAND = HEAD + (
    "  s : number\nkey employee_id, period\n"
    "action = band s\n"
    "  above 80                   -> promote\n"
    "  at least 70 and at most 80 -> stay\n"
    "  at least 50 and below 70   -> demote\n"
    "  below 50                   -> demote_probation\n"
    "output action\n"
)


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("100", "promote"),
        ("80.0000001", "promote"),
        ("80", "stay"),
        ("80.00", "stay"),
        ("70", "stay"),
        ("69.9999999", "demote"),
        ("50", "demote"),
        ("49.9999999", "demote_probation"),
        ("0", "demote_probation"),
    ],
)
def test_band_boundaries(run_policy: Run, value: str, want: str) -> None:
    r = run_policy(BAND, f"employee_id,period,s\nE1,2021-01,{value}\n")
    assert r.out("E1", "2021-01")["action"] == want


def test_band_with_symbols_and_otherwise(run_policy: Run) -> None:
    policy = HEAD + (
        "  s : number\nkey employee_id, period\n"
        "g = band s\n  > 90 -> A\n  ≥ 60 and ≤ 90 -> B\n  otherwise -> C\noutput g\n"
    )
    rows = [("E1", "2021-01", "90"), ("E2", "2021-01", "60"), ("E3", "2021-01", "59.5")]
    r = run_policy(policy, csv_text(["employee_id", "period", "s"], rows))
    assert [r.out(e, p)["g"] for e, p, _ in rows] == ["B", "B", "C"]


def test_first_hit_table_over_two_inputs(run_policy: Run) -> None:
    policy = HEAD + (
        "  s : score\n  p : percent\nkey employee_id, period\n"
        "bonus = table first over s, p\n  >= 85 | <= 10% -> 500\n  >= 60 | any -> 100\n"
        "  otherwise -> 0\noutput bonus\n"
    )
    rows = [
        ("E1", "2021-01", "85", "10%"),
        ("E2", "2021-01", "90", "0.11"),
        ("E3", "2021-01", "59", "0.05"),
    ]
    r = run_policy(policy, csv_text(["employee_id", "period", "s", "p"], rows))
    assert [r.out(e, "2021-01")["bonus"] for e, *_ in rows] == ["500", "100", "0"]


def test_equal_cells_and_no_match_gives_none(run_policy: Run) -> None:
    policy = HEAD + (
        "  role : one of a, b, c\nkey employee_id, period\n"
        "t = table unique over role\n  a, b -> 1\noutput t\n"
    )
    r = run_policy(policy, "employee_id,period,role\nE1,2021-01,b\nE2,2021-01,c\n")
    assert (r.out("E1", "2021-01")["t"], r.out("E2", "2021-01")["t"]) == ("1", None)


def test_by_cases_pick_the_role_variant(run_policy: Run) -> None:
    policy = HEAD + (
        "  role : one of a, b, c\n  x, y : score?\nkey employee_id, period\n"
        "s = by role\n  a : weighted x 20%, y 80%\n  b : x\noutput s\n"
    )
    r = run_policy(
        policy,
        "employee_id,period,role,x,y\nE1,2021-01,a,50,100\nE2,2021-01,b,50,\nE3,2021-01,c,1,1\n",
    )
    assert r.out("E1", "2021-01")["s"] == "90"
    assert r.out("E2", "2021-01")["s"] == "50"
    assert r.out("E3", "2021-01")["s"] is None  # no case and no otherwise


# ---- windows and history -------------------------------------------------------------------

LEVELS = HEAD + (
    "  level : text?\n  s : score\n  decision : one of promote, stay, demote, demote_probation ?\n"
    "  reason : text?\nkey employee_id, period\n"
    'ladder lv = "L1" < "L2" < "L3"\n'
    "window q = every 3 months\n"
    "review = closes(q)\n"
    "avg = if review then mean(s over q) else none\n"
    "action = band avg\n"
    "  above 80 -> promote\n  at least 70 and at most 80 -> stay\n"
    "  at least 50 and below 70 -> demote\n  below 50 -> demote_probation\n"
    "override action with decision because reason\n"
    "state level on lv\n  start = record.level\n  up 1 when action is promote\n"
    "  down 1 when action in (demote, demote_probation)\n"
    "probation = previous(action) is demote_probation\n"
    "dismissal = probation and s < 50\n"
    "output review, avg, action, level, probation, dismissal\n"
)
LEVELS_HEADER = ["employee_id", "period", "level", "s", "decision", "reason"]


def months(employee: str, level: str, scores: dict[str, str]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for i, (period, s) in enumerate(scores.items()):
        rows.append((employee, period, level if i == 0 else "", s, "", ""))
    return rows


def test_calendar_windows_review_in_their_last_month(run_policy: Run) -> None:
    scores = {f"2021-{m:02d}": "75" for m in range(1, 13)}
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, months("E1", "L2", scores)))
    review = r.column("review", "E1")
    assert [p for p, v in review.items() if v] == ["2021-03", "2021-06", "2021-09", "2021-12"]
    assert r.column("avg", "E1")["2021-03"] == "75"
    assert r.column("avg", "E1")["2021-02"] is None


def test_window_mean_is_exact_at_the_edge(run_policy: Run) -> None:
    # 79.9 + 80.1 + 80 = 240: exactly 80 stays; 80.01 would promote
    scores = {"2021-01": "79.9", "2021-02": "80.1", "2021-03": "80"}
    more = {"2021-01": "79.9", "2021-02": "80.1", "2021-03": "80.03"}
    rows = months("E1", "L2", scores) + months("E2", "L2", more)
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert (r.out("E1", "2021-03")["avg"], r.out("E1", "2021-03")["action"]) == ("80", "stay")
    assert (r.out("E2", "2021-03")["avg"], r.out("E2", "2021-03")["action"]) == (
        "80.01",
        "promote",
    )


def test_a_missing_month_means_no_review_and_the_level_is_kept(run_policy: Run) -> None:
    scores = {"2021-01": "90", "2021-03": "95"}  # no February row
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, months("E1", "L1", scores)))
    march = r.out("E1", "2021-03")
    assert march["review"] is True  # the window closes ...
    assert march["avg"] is None  # ... but has no mean without every month
    assert march["action"] is None
    assert march["level"] == "L1"


def test_a_rejected_row_counts_as_a_missing_month(run_policy: Run) -> None:
    rows = months("E1", "L1", {"2021-01": "90", "2021-02": "101", "2021-03": "95"})
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert [(e.row, e.column) for e in r.errors] == [(3, "s")]
    assert r.out("E1", "2021-03")["avg"] is None
    assert r.out("E1", "2021-03")["level"] == "L1"


def test_ladder_moves_clamp_at_both_ends(run_policy: Run) -> None:
    top = months("T", "L3", {"2021-01": "90", "2021-02": "90", "2021-03": "90"})
    bottom = months("B", "L1", {"2021-01": "60", "2021-02": "60", "2021-03": "60"})
    middle = months("M", "L2", {"2021-01": "90", "2021-02": "90", "2021-03": "90"})
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, top + bottom + middle))
    assert (r.out("T", "2021-03")["action"], r.out("T", "2021-03")["level"]) == ("promote", "L3")
    assert (r.out("B", "2021-03")["action"], r.out("B", "2021-03")["level"]) == ("demote", "L1")
    assert (r.out("M", "2021-03")["action"], r.out("M", "2021-03")["level"]) == ("promote", "L3")
    assert r.out("M", "2021-02")["level"] == "L2"  # the move happens in the review month


def test_up_by_more_than_one_clamps_at_the_top(run_policy: Run) -> None:
    policy = HEAD + (
        "  level : text?\n  s : score\nkey employee_id, period\n"
        'ladder lv = "L1" < "L2" < "L3" < "L4"\n'
        "state level on lv\n  start = record.level\n  up 2 when s > 90\n  down 3 when s < 10\n"
        "output level\n"
    )
    rows = [
        ("E1", "2021-01", "L3", "95"),
        ("E2", "2021-01", "L1", "95"),
        ("E3", "2021-01", "L3", "5"),
        ("E4", "2021-01", "L4", "50"),
    ]
    r = run_policy(policy, csv_text(["employee_id", "period", "level", "s"], rows))
    got = [r.out(e, "2021-01")["level"] for e, *_ in rows]
    assert got == ["L4", "L3", "L1", "L4"]


def test_state_becomes_and_carries_forward(run_policy: Run) -> None:
    policy = HEAD + (
        "  status : text?\n  s : score\nkey employee_id, period\n"
        'state status\n  start = record.status\n  becomes "warned" when s < 50\n'
        '  becomes "ok" when s > 90\noutput status\n'
    )
    rows = [("E1", "2021-01", "ok", "60"), ("E1", "2021-02", "", "40"), ("E1", "2021-03", "", "70")]
    rows.append(("E1", "2021-04", "", "95"))
    r = run_policy(policy, csv_text(["employee_id", "period", "status", "s"], rows))
    assert list(r.column("status", "E1").values()) == ["ok", "warned", "warned", "ok"]


def test_level_only_on_the_first_row_and_later_levels_ignored(run_policy: Run) -> None:
    rows = months("E1", "L1", {"2021-01": "90", "2021-02": "90", "2021-03": "90"})
    rows[2] = ("E1", "2021-03", "L3", "90", "", "")  # a later level cell is not a reset
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert r.out("E1", "2021-03")["level"] == "L2"


def test_bad_starting_levels_are_reported(run_policy: Run) -> None:
    rows = [("E1", "2021-01", "L9", "75", "", ""), ("E2", "2021-01", "", "75", "", "")]
    rows.append(("E3", "2021-01", "L1", "75", "", ""))
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert [(e.row, e.column) for e in r.errors] == [(2, "level"), (3, "level")]
    assert "not on the ladder" in r.errors[0].message
    assert "blank on this employee's first row" in r.errors[1].message
    assert r.out("E3", "2021-01")["level"] == "L1"


def test_probation_is_the_month_after_a_demote_probation(run_policy: Run) -> None:
    scores = {"2021-01": "40", "2021-02": "40", "2021-03": "40", "2021-04": "45", "2021-05": "45"}
    other = {"2021-01": "40", "2021-02": "40", "2021-03": "40", "2021-04": "55"}
    rows = months("E1", "L2", scores) + months("E2", "L2", other)
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert r.out("E1", "2021-03")["action"] == "demote_probation"
    assert r.out("E1", "2021-03")["level"] == "L1"
    assert r.column("probation", "E1") == {
        "2021-01": False,
        "2021-02": False,
        "2021-03": False,
        "2021-04": True,
        "2021-05": False,  # one month only
    }
    assert r.out("E1", "2021-04")["dismissal"] is True  # 45 < 50 in the probation month
    assert r.out("E2", "2021-04")["probation"] is True
    assert r.out("E2", "2021-04")["dismissal"] is False  # 55 passes


def test_probation_needs_the_review_month_row(run_policy: Run) -> None:
    # previous() reads the calendar month before: with no March row there is no probation
    scores = {"2021-01": "40", "2021-02": "40", "2021-04": "45"}
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, months("E1", "L2", scores)))
    assert r.out("E1", "2021-04")["probation"] is False


def test_override_with_a_reason_replaces_the_computed_value(run_policy: Run) -> None:
    rows = months("E1", "L2", {"2021-01": "60", "2021-02": "60", "2021-03": "60"})
    rows[2] = ("E1", "2021-03", "", "60", "stay", "部门审核: 病假")
    rows += months("E2", "L2", {"2021-01": "60", "2021-02": "60", "2021-03": "60"})
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert (r.out("E1", "2021-03")["action"], r.out("E1", "2021-03")["level"]) == ("stay", "L2")
    assert (r.out("E2", "2021-03")["action"], r.out("E2", "2021-03")["level"]) == ("demote", "L1")


def test_override_applies_outside_review_months_too(run_policy: Run) -> None:
    rows = months("E1", "L2", {"2021-01": "60"})
    rows[0] = ("E1", "2021-01", "L2", "60", "promote", "")
    r = run_policy(LEVELS, csv_text(LEVELS_HEADER, rows))
    assert (r.out("E1", "2021-01")["action"], r.out("E1", "2021-01")["level"]) == ("promote", "L3")


HISTORY = HEAD + (
    "  s : number\n  role : one of a, b\nkey employee_id, period\n"
    "window half by role\n  a : every 6 months\n  b : every 3 months\n"
    "p1 = previous(s)\np2 = previous(s, 2)\n"
    "l3 = sum(s over last 3 months)\nl3i = sum(s over last 3 months ignoring missing)\n"
    "wmax = max(s over half ignoring missing)\nwcount = count(s over half ignoring missing)\n"
    "done = complete(half)\nlast_window = previous_window(s, half)\n"
    "output p1, p2, l3, l3i, wmax, wcount, done, last_window\n"
)


def test_previous_and_last_n_months(run_policy: Run) -> None:
    rows = [("E1", f"2021-{m:02d}", str(m * 10), "b") for m in (1, 2, 3, 5)]
    r = run_policy(HISTORY, csv_text(["employee_id", "period", "s", "role"], rows))
    assert r.column("p1", "E1") == {
        "2021-01": None,
        "2021-02": "10",
        "2021-03": "20",
        "2021-05": None,
    }
    assert r.column("p2", "E1")["2021-03"] == "10"
    assert r.column("p2", "E1")["2021-05"] == "30"
    assert r.column("l3", "E1") == {
        "2021-01": None,
        "2021-02": None,
        "2021-03": "60",
        "2021-05": None,
    }
    assert r.column("l3i", "E1") == {
        "2021-01": "10",
        "2021-02": "30",
        "2021-03": "60",
        "2021-05": "80",
    }


def test_window_aggregates_and_previous_window(run_policy: Run) -> None:
    rows = [("E1", f"2021-{m:02d}", str(m * 10), "b") for m in (1, 2, 3, 5, 6)]
    rows += [("E2", f"2021-{m:02d}", str(m), "a") for m in range(1, 8)]
    r = run_policy(HISTORY, csv_text(["employee_id", "period", "s", "role"], rows))
    assert r.column("wmax", "E1")["2021-06"] == "60"  # Apr..Jun, April missing and left out
    assert r.column("wcount", "E1")["2021-06"] == "2"
    assert r.column("done", "E1") == {  # only a closing month can be complete
        "2021-01": False,
        "2021-02": False,
        "2021-03": True,
        "2021-05": False,
        "2021-06": False,
    }
    # previous_window: the value in the last month of the window before this one
    assert r.column("last_window", "E1")["2021-05"] == "30"
    assert r.column("last_window", "E1")["2021-02"] is None
    assert r.column("last_window", "E2")["2021-07"] == "6"  # 6-month window for role a
    assert r.column("wmax", "E2")["2021-06"] == "6"


# ---- cohorts -------------------------------------------------------------------------------

COHORT = HEAD + (
    "  team : one of a, b\n  s : score?\n  t : score?\nkey employee_id, period\n"
    "r = rank(s desc among s is not none)\n"
    "r_team = rank(s desc, t asc among s is not none per team)\n"
    "r_asc = rank(s asc among team is a)\n"
    "n = count(among team is a)\n"
    "avg = mean(s among team is a)\n"
    "best = max(s among s is not none per team)\n"
    "output r, r_team, r_asc, n, avg, best\n"
)
COHORT_ROWS = [
    ("E1", "2021-01", "a", "90", "1"),
    ("E2", "2021-01", "a", "80", "2"),
    ("E3", "2021-01", "b", "80", "1"),
    ("E4", "2021-01", "a", "70", "1"),
    ("E5", "2021-01", "b", "", "1"),
    ("E6", "2021-01", "a", "80", "1"),
    ("E1", "2021-02", "a", "10", "1"),
]


def test_rank_ties_share_the_better_rank(run_policy: Run) -> None:
    r = run_policy(COHORT, csv_text(["employee_id", "period", "team", "s", "t"], COHORT_ROWS))
    jan = {e: r.out(e, "2021-01")["r"] for e in ("E1", "E2", "E3", "E4", "E5", "E6")}
    assert jan == {"E1": "1", "E2": "2", "E3": "2", "E4": "5", "E5": None, "E6": "2"}
    assert r.out("E1", "2021-02")["r"] == "1"  # each period is ranked on its own


def test_rank_competition_order_1_2_2_4(run_policy: Run) -> None:
    policy = HEAD + "  s : score\nkey employee_id, period\nr = rank(s desc)\noutput r\n"
    rows = [("A", "2021-01", "70"), ("B", "2021-01", "80"), ("C", "2021-01", "90")]
    rows.append(("D", "2021-01", "80"))
    r = run_policy(policy, csv_text(["employee_id", "period", "s"], rows))
    assert [r.out(e, "2021-01")["r"] for e in "CBDA"] == ["1", "2", "2", "4"]


def test_rank_per_group_with_a_second_key(run_policy: Run) -> None:
    r = run_policy(COHORT, csv_text(["employee_id", "period", "team", "s", "t"], COHORT_ROWS))
    got = {e: r.out(e, "2021-01")["r_team"] for e in ("E1", "E2", "E3", "E4", "E6")}
    # team a: 90; then 80 with t=1 (E6) before 80 with t=2 (E2); then 70
    assert got == {"E1": "1", "E6": "2", "E2": "3", "E4": "4", "E3": "1"}
    asc = {e: r.out(e, "2021-01")["r_asc"] for e in ("E1", "E2", "E3", "E4", "E6")}
    assert asc == {"E4": "1", "E2": "2", "E6": "2", "E1": "4", "E3": None}


def test_cohort_aggregates(run_policy: Run) -> None:
    r = run_policy(COHORT, csv_text(["employee_id", "period", "team", "s", "t"], COHORT_ROWS))
    jan = r.out("E3", "2021-01")  # not in team a, still sees team a's figures
    assert (jan["n"], Decimal(jan["avg"])) == ("4", Decimal(320) / 4)
    assert r.out("E1", "2021-01")["best"] == "90"
    assert r.out("E3", "2021-01")["best"] == "80"
    assert r.out("E5", "2021-01")["best"] == "80"  # E5's team b, although E5 itself is blank
    assert r.out("E1", "2021-02")["n"] == "1"


def test_window_aggregate_before_the_window_closes_agrees_for_fields_and_definitions(
    run_policy: Run,
) -> None:
    # later months of the window have not happened yet: strict gives none, `ignoring missing`
    # a to-date figure, the same for a record field and for a definition copying it
    policy = HEAD + (
        "  s : score\nkey employee_id, period\nwindow q = every 3 months\n"
        "copy = s + 0\nof_field = mean(s over q ignoring missing)\n"
        "of_copy = mean(copy over q ignoring missing)\nstrict = mean(s over q)\n"
        "output of_field, of_copy, strict\n"
    )
    r = run_policy(policy, "employee_id,period,s\nE1,2021-01,10\nE1,2021-02,20\nE1,2021-03,60\n")
    assert r.column("of_field", "E1") == {"2021-01": "10", "2021-02": "15", "2021-03": "30"}
    assert r.column("of_copy", "E1") == r.column("of_field", "E1")
    assert r.column("strict", "E1") == {"2021-01": None, "2021-02": None, "2021-03": "30"}


def test_an_empty_cohort_counts_zero(run_policy: Run) -> None:
    policy = HEAD + (
        "  team : one of a, b\n  s : score\nkey employee_id, period\n"
        "nobody = count(among s > 50)\nper_team = count(among s > 15 per team)\n"
        "total = sum(s among s > 50)\noutput nobody, per_team, total\n"
    )
    rows = [("E1", "2021-01", "a", "10"), ("E2", "2021-01", "a", "20"), ("E3", "2021-01", "b", "5")]
    r = run_policy(policy, csv_text(["employee_id", "period", "team", "s"], rows))
    assert [r.out(e, "2021-01")["nobody"] for e in ("E1", "E2", "E3")] == ["0", "0", "0"]
    assert r.out("E3", "2021-01")["per_team"] == "0"  # team b: nobody above 15
    assert r.out("E1", "2021-01")["per_team"] == "1"
    assert r.out("E1", "2021-01")["total"] is None  # a sum of nothing is none, as over a window


def test_fast_jsonl_lines_equal_the_generic_encoder(tmp_path: Path) -> None:
    """`eval --format jsonl` writes lines without a dict per row; they must be the very
    bytes json would write, escapes and Chinese included."""
    from policyc.io.results import jsonl_lines, result_rows, to_jsonl

    text = (
        'policy "t"\nrecord\n  employee_id : id\n  note : text?\n  s : score?\n  ok : bool?\n'
        "key employee_id\nx = s * 2\noutput note, x, ok\n"
    )
    records = 'employee_id,note,s,ok\n"E""1","say ""hi""\\\\ 张伟\t",33.3,true\nE2,,,\nE3,\\u0041,0,false\n'
    plan = plan_for(text)
    path = tmp_path / "r.csv"
    path.write_text(records, encoding="utf-8")
    rows = evaluate_plan(plan, path).evaluation.outcome.rows
    assert len(rows) == 3
    assert list(jsonl_lines(plan, rows)) == list(to_jsonl(result_rows(plan, rows)))
