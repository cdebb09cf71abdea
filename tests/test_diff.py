"""`policyc diff`: rule changes, outcome changes with causes, and the 2021 -> 2022 example.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_diff.py` and
review the diff. The outcome comparison is checked against `reference`, an independent
hand-written evaluator of contract A and of its 2022 revision (parameterised by version),
on the example records and on generated ones.
"""

from __future__ import annotations

import csv
import decimal
import json
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    EXAMPLE_A,
    EXAMPLE_A_REL,
    GOLDEN,
    OUTPUTS_A,
    POLICY_A_2022_REL,
    POLICY_A_REL,
    ROOT,
    UPDATE_GOLDEN,
    csv_text,
    run_cli,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyc.diff.records as diff_module
from policyc.diff.records import DiffError, RecordDiff, diff_records, missing_columns
from policyc.diff.render import records_json, records_text
from policyc.diff.rules import Version, diff_rules, version_of
from policyc.pipeline import check_file, check_source
from policyc.source import SourceFile

OLD_REL = POLICY_A_REL
NEW_REL = POLICY_A_2022_REL
OUTPUTS = OUTPUTS_A

_VERSIONS: dict[str, Version] = {}


def version(path: str | Path) -> Version:
    """A bundled policy, named by its path in the project, compiled once per session."""
    key = str(path)
    if key not in _VERSIONS:
        text = (ROOT / path).read_text(encoding="utf-8")
        _VERSIONS[key] = version_text(text, key)
    return _VERSIONS[key]


def version_text(text: str, name: str) -> Version:
    checked = check_source(SourceFile.of(name, text))
    assert checked.ok, [(d.span.line, d.message) for d in checked.diagnostics]
    return version_of(checked)


def old_new() -> tuple[Version, Version]:
    return version(OLD_REL), version(NEW_REL)


def golden(name: str, got: str) -> None:
    path = GOLDEN / "diff" / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


# ---- the independent reference: contract A by hand, 2021 or 2022 -------------------------

LADDERS = {
    "customer_rep": ["普通客服代表-中级", "普通客服代表-高级", "大客户客服代表-中级",
                     "大客户客服代表-高级", "高级客服代表-中级", "高级客服代表-高级"],
    "tech_support": ["技术支持-中级", "技术支持-高级"],
    "tech_lead": ["技术支持组长-中级", "技术支持组长-高级"],
    "auditor": ["一级审核员", "二级审核员", "三级审核员", "四级审核员"],
    "cs_supervisor": ["客服主管-中级", "客服主管-高级"],
}  # fmt: skip
WEIGHTS = {
    "customer_rep": {"callback_rate": 20, "satisfaction": 20, "handling": 25, "training": 25,
                     "attendance": 10},
    "tech_support": {"handling": 40, "training_feedback": 40, "skill": 10, "attendance": 10},
    "tech_lead": {"handling": 20, "training_feedback": 20, "skill": 15, "coordination": 15,
                  "escalation": 20, "attendance": 10},
    "auditor": {"quality": 45, "efficiency": 45, "attendance": 10},
    "cs_supervisor": {"training_feedback": 25, "team_culture": 25, "appraisal": 20,
                      "initiative": 20, "attendance": 10},
}  # fmt: skip
WINDOWS = {"customer_rep": 3, "tech_support": 6, "tech_lead": 12, "auditor": 6, "cs_supervisor": 12}


def spec(year: int) -> dict[str, Any]:
    """The rules of one version, written out from the issue, not from the policy files."""
    weights = {role: dict(w) for role, w in WEIGHTS.items()}
    windows = dict(WINDOWS)
    if year == 2021:
        return {"weights": weights, "windows": windows, "promote": Decimal(80),
                "promote_inclusive": False, "probation": 1}  # fmt: skip
    weights["customer_rep"].update(callback_rate=15, satisfaction=25)
    windows["auditor"] = 3
    return {"weights": weights, "windows": windows, "promote": Decimal(85),
            "promote_inclusive": True, "probation": 2}  # fmt: skip


def month_number(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def reference(path: Path, year: int) -> dict[tuple[str, str], dict[str, Any]]:
    """Every output of every row under one version, by a plain loop over the CSV."""
    with decimal.localcontext(prec=60):  # finer than any rounding the policy engine does
        return _reference(path, spec(year))


def _reference(path: Path, rules: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    by_emp: dict[str, list[dict[str, str]]] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            by_emp.setdefault(r["employee_id"], []).append(r)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for emp, rows in by_emp.items():
        rows.sort(key=lambda r: r["period"])
        role = rows[0]["role"]
        ladder, window = LADDERS[role], rules["windows"][role]
        weights = rules["weights"][role]
        level = ladder.index(rows[0]["level"])
        scores = {
            month_number(r["period"]): sum(Decimal(r[m]) * w for m, w in weights.items()) / 100
            for r in rows
        }
        actions: dict[int, str | None] = {}
        for r in rows:
            m = month_number(r["period"])
            review = (m % 12 + 1) % window == 0
            action = average = None
            if review and all(m - k in scores for k in range(window)):
                average = sum(scores[m - k] for k in range(window)) / window
                action = band(average, rules)
                step = {"promote": 1, "stay": 0}.get(action, -1)
                level = max(0, min(len(ladder) - 1, level + step))
            actions[m] = action
            probation = any(
                actions.get(m - k) == "demote_probation" for k in range(1, rules["probation"] + 1)
            )
            out[(emp, r["period"])] = {
                "score": scores[m],
                "review": review,
                "window_average": average,
                "action": action,
                "level": ladder[level],
                "probation": probation,
                "dismissal_candidate": probation and scores[m] < 50,
            }
    return out


def band(average: Decimal, rules: dict[str, Any]) -> str:
    promote = rules["promote"]
    if average > promote or (rules["promote_inclusive"] and average == promote):
        return "promote"
    if average >= 70:
        return "stay"
    return "demote" if average >= 50 else "demote_probation"


def reference_changes(path: Path) -> dict[tuple[str, str], dict[str, tuple[Any, Any]]]:
    old, new = reference(path, 2021), reference(path, 2022)
    assert old.keys() == new.keys()
    out = {}
    for key in old:
        changed = {
            name: (old[key][name], new[key][name])
            for name in OUTPUTS
            if old[key][name] != new[key][name] or type(old[key][name]) is not type(new[key][name])
        }
        if changed:
            out[key] = changed
    return out


PLACES = Decimal("1e-30")


def as_value(v: Any) -> Any:
    """A number to 30 places (both sides compute far finer); other values as they are."""
    if isinstance(v, Decimal | str) and not isinstance(v, bool):
        try:
            return Decimal(v).quantize(PLACES)
        except decimal.InvalidOperation:
            return v
    return v


def json_changes(d: RecordDiff) -> dict[tuple[str, str], dict[str, tuple[Any, Any]]]:
    """The diff's changed rows as its JSON states them, numbers read back as decimals."""
    return {
        (r["employee_id"], r["period"]): {
            n: (as_value(c["old"]), as_value(c["new"])) for n, c in r["changes"].items()
        }
        for r in records_json(d)["changed"]
    }


def assert_matches_reference(d: RecordDiff, path: Path) -> None:
    want = {
        key: {n: (as_value(a), as_value(b)) for n, (a, b) in changes.items()}
        for key, changes in reference_changes(path).items()
    }
    got = json_changes(d)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == want[key], key
    assert d.summary.rows_changed == len(want)
    assert d.summary.employees_changed == len({k[0] for k in want})


# ---- rule-level diff ------------------------------------------------------------------------


def test_rule_changes_2021_to_2022_name_each_change_with_both_lines() -> None:
    old, new = old_new()
    got = {
        (c.kind, c.name, c.part, c.change): (
            c.summary,
            c.old and c.old.where,
            c.new and c.new.where,
        )
        for c in diff_rules(old, new)
    }
    assert got == {
        ("policy", "policy", "", "changed"): (
            "客服部岗位级别说明 2021.1 -> 客服部岗位级别说明 2022.1",
            f"{OLD_REL}:1",
            f"{NEW_REL}:1",
        ),
        ("weight", "score", "role customer_rep: callback_rate", "changed"): (
            "role customer_rep: weight of callback_rate 20% -> 15%",
            f"{OLD_REL}:31",
            f"{NEW_REL}:31",
        ),
        ("weight", "score", "role customer_rep: satisfaction", "changed"): (
            "role customer_rep: weight of satisfaction 20% -> 25%",
            f"{OLD_REL}:31",
            f"{NEW_REL}:31",
        ),
        ("window", "review_window", "auditor", "changed"): (
            "auditor: every 6 months -> every 3 months",
            f"{OLD_REL}:40",
            f"{NEW_REL}:39",
        ),
        ("band row", "action", "row 1", "changed"): (
            "row 1 changed",
            f"{OLD_REL}:49",
            f"{NEW_REL}:49",
        ),
        ("band row", "action", "row 2", "changed"): (
            "row 2 changed",
            f"{OLD_REL}:50",
            f"{NEW_REL}:50",
        ),
        ("definition", "probation", "", "changed"): (
            "rule changed",
            f"{OLD_REL}:63",
            f"{NEW_REL}:63",
        ),
    }
    rows = {c.part: (c.old and c.old.text, c.new and c.new.text) for c in diff_rules(old, new)}
    assert rows["row 1"] == ("above 80 -> promote", "at least 85 -> promote")
    assert rows["row 2"] == (
        "at least 70 and at most 80 -> stay",
        "at least 70 and below 85 -> stay",
    )


def test_a_policy_has_no_rule_changes_against_itself() -> None:
    old, _ = old_new()
    assert diff_rules(old, old) == []


def test_rule_diff_finds_added_removed_and_reordered_pieces() -> None:
    head = (
        'policy "t"\nrecord\n  employee_id : id\n  role : one of a, b\n  s, u : score?\n'
        "key employee_id\n"
    )
    before = version_text(
        head + "x = band s\n  at least 50 -> 1\n  below 50 -> 0\ny = s + 1\noutput x, y\n",
        "a.policy",
    )
    after = version_text(
        head
        + "x = band s\n  at least 60 -> 2\n  at least 50 and below 60 -> 1\n  below 50 -> 0\n"
        + "z = u * 2\noutput x, z\n",
        "b.policy",
    )
    got = {(c.kind, c.name, c.change, c.part) for c in diff_rules(before, after)}
    assert ("definition", "y", "removed", "") in got
    assert ("definition", "z", "added", "") in got
    assert ("output", "y", "removed", "") in got and ("output", "z", "added", "") in got
    # `at least 50 -> 1` became two rows: a changed row 1 and an added row, `below 50` kept
    assert ("band row", "x", "changed", "row 1") in got
    assert ("band row", "x", "added", "row 2") in got
    assert not any(c[3] == "row 3" for c in got)


def test_rule_diff_of_fields_ladders_states_and_cases() -> None:
    head = 'policy "t"\nrecord\n  employee_id : id\n  role : one of a, b\n  period : month\n'
    tail = "key employee_id, period\n"
    before = version_text(
        head
        + "  s : score?\n"
        + tail
        + 'ladder steps by role\n  a : "x" < "y"\n  b : "p" < "q"\n'
        + "w = by role\n  a : s\n  b : s + 1\n"
        + 'state lv on steps\n  start = "x"\n  up 1 when s > 50\n'
        + "output w, lv\n",
        "a.policy",
    )
    after = version_text(
        head
        + "  s : score\n"
        + tail
        + 'ladder steps by role\n  a : "x" < "y" < "z"\n  b : "p" < "q"\n'
        + "w = by role\n  a : s\n  b : s + 2\n"
        + 'state lv on steps\n  start = "x"\n  up 1 when s > 60\n'
        + "output w, lv\n",
        "b.policy",
    )
    got = {(c.kind, c.name, c.part): c.summary for c in diff_rules(before, after)}
    assert got == {
        ("field", "s", ""): "score? -> score",
        ("ladder", "steps", "a"): "a: adds z",
        ("definition", "w", "role b"): "role b: rule changed",
        ("transition", "lv", "rule 1"): "rule 1 changed",
    }


def test_rules_only_cli_text_json_and_exit_status() -> None:
    same = run_cli("diff", OLD_REL, OLD_REL)
    assert same.returncode == 0 and "no rule changes" in same.stdout
    text = run_cli("diff", OLD_REL, NEW_REL)
    assert text.returncode == 1, text.stderr
    golden("rules_2021_2022.txt", text.stdout)
    js = run_cli("diff", OLD_REL, NEW_REL, "--format", "json")
    assert js.returncode == 1
    golden("rules_2021_2022.json", js.stdout)
    assert json.loads(js.stdout)["summary"]["rules_changed"] == 7


# ---- outcomes on the example records ---------------------------------------------------------


def test_example_records_match_the_hand_written_reference() -> None:
    d = diff_records(*old_new(), EXAMPLE_A)
    assert_matches_reference(d, EXAMPLE_A)
    assert d.summary.rows == 239 and d.summary.employees == 14


def test_golden_text_and_json_on_the_example_records() -> None:
    text = run_cli("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL)
    assert text.returncode == 1, text.stderr
    assert text.stderr == ""
    golden("cs_levels_2021_2022.txt", text.stdout)
    js = run_cli("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--format", "json")
    assert js.returncode == 1
    golden("cs_levels_2021_2022.json", js.stdout)
    report = json.loads(js.stdout)
    assert set(report) >= {"summary", "changed"}
    assert set(report["summary"]) >= {
        "rows",
        "rows_changed",
        "employees_changed",
        "transitions",
        "totals",
    }
    for row in report["changed"]:
        assert set(row) == {"employee_id", "period", "changes", "causes"}
        assert row["changes"] and all(c["old"] != c["new"] for c in row["changes"].values())


def test_golden_one_employee_with_both_explanations() -> None:
    got = run_cli(
        "diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--employee", "E2110010", "--period", "2021-12"
    )
    assert got.returncode == 1, got.stderr
    golden("employee_E2110010.txt", got.stdout)
    explained = got.stdout.split("Explained: E2110010 2021-12", 1)[1]
    assert "-     83.066667… is above 80 -> promote (band)" in explained
    assert "+     83.733333… is at least 70 and 83.733333… is below 85 -> stay (band)" in explained


def test_summary_counts_transitions_and_totals() -> None:
    old, new = old_new()
    d = diff_records(old, new, EXAMPLE_A, by="role")
    s = d.summary
    action = {(a, b): n for a, b, n in s.transitions["action"]}
    assert action[("promote", "stay")] == 7
    assert action[(None, "stay")] == 5 and action[(None, "demote")] == 1
    for name, pairs in s.transitions.items():
        assert sum(n for _, _, n in pairs) == s.rows, name
    assert set(s.totals) == {"score", "window_average"}
    ref_old, ref_new = reference(EXAMPLE_A, 2021), reference(EXAMPLE_A, 2022)
    assert s.totals["score"] == (
        sum(r["score"] for r in ref_old.values()),
        sum(r["score"] for r in ref_new.values()),
    )
    # the breakdown by role adds up to the whole
    assert [v for v, _ in d.groups] == sorted(LADDERS)
    assert sum(g.rows for _, g in d.groups) == s.rows
    assert sum(g.rows_changed for _, g in d.groups) == s.rows_changed
    assert sum(g.employees_changed for _, g in d.groups) == s.employees_changed
    groups = dict(d.groups)
    assert groups["cs_supervisor"].rows_changed == 0
    assert groups["customer_rep"].totals["score"][0] - groups["customer_rep"].totals["score"][
        1
    ] == (s.totals["score"][0] - s.totals["score"][1])


def causes_of(d: RecordDiff, employee: str, period: str) -> dict[str, Any]:
    row = next(r for r in d.changed if (r.employee, r.period) == (employee, period))
    return {c.name: c for c in row.causes}


def test_causes_name_the_rule_lines_in_both_files() -> None:
    d = diff_records(*old_new(), EXAMPLE_A)
    # a promotion lost to the new band: the band rows on both sides, the average on both
    promo = causes_of(d, "E2110007", "2021-06")
    assert list(promo) == ["action"]
    action = promo["action"]
    assert (action.reason, action.old.kind, action.new.kind) == (
        "rule changed",
        "band row",
        "band row",
    )
    assert (action.old.where, action.new.where) == (f"{OLD_REL}:49", f"{NEW_REL}:50")
    assert (action.old.value, action.new.value) == ("promote", "stay")
    assert [(i.name, i.old == i.new) for i in action.inputs] == [("window_average", True)]
    # an auditor reviewed in March only under the 3-month window
    audit = causes_of(d, "E2110011", "2021-03")
    assert audit["review"].reason == "window changed"
    assert (audit["review"].old.where, audit["review"].new.where) == (
        f"{OLD_REL}:40",
        f"{NEW_REL}:39",
    )
    # the second probation month exists only under 2022
    prob = causes_of(d, "E2110005", "2021-08")
    assert prob["probation"].reason == "rule changed"
    assert (prob["probation"].old.value, prob["probation"].new.value) == (False, True)
    assert prob["probation"].new.where == f"{NEW_REL}:63"
    assert "action in 2021-06 = demote_probation" in prob["probation"].new.detail
    # a level carried from the review that changed it
    carried = causes_of(d, "E2110007", "2021-09")
    assert carried["level"].reason == "earlier months" and carried["level"].since == "2021-06"
    # weights: a score that changes although no metric did
    score = causes_of(d, "E2110002", "2021-01")["score"]
    assert score.reason == "rule changed" and score.old.kind == "case"
    assert "callback_rate 20%" in score.old.rule and "callback_rate 15%" in score.new.rule


def test_text_report_cites_both_files_for_a_changed_employee() -> None:
    text = records_text(diff_records(*old_new(), EXAMPLE_A))
    section = text.split("\nE2110014:", 1)[1].split("\n\n", 1)[0]
    assert "band: above 80 -> promote (policies/cs_levels_2021.policy:49)" in section
    assert "at least 70 and below 85 -> stay (policies/cs_levels_2022.policy:50)" in section
    assert text.index("Summary") < text.index("Rule changes") < text.index("Changed employees")


def test_a_rank_that_moves_because_others_moved_is_blamed_on_them(tmp_path: Path) -> None:
    text = (
        'policy "pick"\nrecord\n  employee_id : id\n  a, b : score\nkey employee_id\n'
        "total = weighted a {}%, b {}%\nplace = rank(total desc)\noutput total, place\n"
    )
    old = version_text(text.format(50, 50), "old.policy")
    new = version_text(text.format(70, 30), "new.policy")
    records = tmp_path / "people.csv"
    records.write_text(
        csv_text(["employee_id", "a", "b"], [["X", 80, 80], ["Y", 100, 70], ["Z", 70, 95]])
    )
    d = diff_records(old, new, records)
    rows = {r.employee: r for r in d.changed}
    assert {c.name: (c.old, c.new) for c in rows["X"].changes} == {
        "place": (Decimal(3), Decimal(2))
    }
    (cause,) = rows["X"].causes
    assert cause.reason == "others in the period"
    assert cause.name == "`rank(total desc)`"
    assert [(i.name, i.old == i.new) for i in cause.inputs] == [("total", True)]
    assert any("rank 3 of 3" in t for t in cause.old.detail)
    assert any("rank 2 of 3" in t for t in cause.new.detail)
    assert {c.reason for c in rows["Z"].causes} == {"rule changed"}
    report = records_json(d)
    assert all("period" not in r for r in report["changed"])


# ---- the records: validated against both versions first ------------------------------------


def test_a_column_new_needs_is_reported_before_anything_is_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / NEW_REL).read_text(encoding="utf-8")
    text = text.replace("  review_reason   : text?\n", "  review_reason   : text?\n  team : text\n")
    path = tmp_path / "cs_levels_team.policy"
    path.write_text(text, encoding="utf-8")
    new = version_of(check_file(path))
    old, _ = old_new()
    assert missing_columns(EXAMPLE_A, old, old) == []
    problems = missing_columns(EXAMPLE_A, old, new)
    assert len(problems) == 1
    assert "`team`" in problems[0] and "NEW needs it" in problems[0] and "OLD" not in problems[0]

    def no_evaluation(*args: object, **kwargs: object) -> None:
        raise AssertionError("evaluated although a column is missing")

    monkeypatch.setattr(diff_module, "evaluate", no_evaluation)
    with pytest.raises(DiffError) as err:
        diff_records(old, new, EXAMPLE_A)
    assert "team" in str(err.value)
    got = run_cli("diff", OLD_REL, path, EXAMPLE_A_REL)
    assert got.returncode == 2
    assert got.stdout == ""
    assert f"{EXAMPLE_A_REL}:1:team: the records have no `team` column; NEW needs it" in got.stderr
    assert "Traceback" not in got.stderr


def test_rows_only_one_version_can_evaluate_are_kept_apart(tmp_path: Path) -> None:
    # NEW weighs a column that tech_support rows leave blank: NEW rejects those rows
    text = (
        (ROOT / NEW_REL)
        .read_text(encoding="utf-8")
        .replace(
            "tech_support  : weighted handling 40%, training_feedback 40%, skill 10%, attendance 10%",
            "tech_support  : weighted handling 40%, training_feedback 40%, skill 10%, quality 10%",
        )
    )
    path = tmp_path / "strict.policy"
    path.write_text(text, encoding="utf-8")
    old, new = version(OLD_REL), version_of(check_file(path))
    d = diff_records(old, new, EXAMPLE_A)
    tech = {k for k in reference(EXAMPLE_A, 2021) if k[0] in ("E2110007", "E2110008")}
    assert set(d.only_old) == tech and d.only_new == []
    assert not any(r.employee in ("E2110007", "E2110008") for r in d.changed)
    assert d.errors_old == [] and {e.column for e in d.errors_new} == {"quality"}
    got = run_cli("diff", OLD_REL, path, EXAMPLE_A_REL, "--format", "json")
    assert got.returncode == 1
    assert "(under NEW only)" in got.stderr
    assert json.loads(got.stdout)["summary"]["rows_only_old"] == len(tech)


def test_cli_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (
        ("diff", OLD_REL, NEW_REL, "--by", "role"),
        ("diff", OLD_REL, "missing.policy"),
        ("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--by", "rol"),
        ("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--employee", "NOBODY"),
        ("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--period", "2021-06"),
    ):
        got = run_cli(*args)
        assert got.returncode == 2, args
        assert "Traceback" not in got.stderr and got.stderr.strip(), args
    typo = run_cli("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--by", "rol")
    assert "did you mean `role`" in typo.stderr
    out = tmp_path / "report.json"
    got = run_cli("diff", OLD_REL, NEW_REL, EXAMPLE_A_REL, "--format", "json", "--output", out)
    assert got.returncode == 1 and got.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["rows_changed"] == 152


def test_identical_versions_exit_0_with_records() -> None:
    got = run_cli("diff", OLD_REL, OLD_REL, EXAMPLE_A_REL, "--format", "json")
    assert got.returncode == 0
    report = json.loads(got.stdout)
    assert report["changed"] == [] and report["summary"]["rows_changed"] == 0


# ---- properties over generated records -----------------------------------------------------

HEADER = [
    "employee_id", "name", "role", "level", "period", "callback_rate", "satisfaction",
    "handling", "training", "attendance", "training_feedback", "skill", "coordination",
    "escalation", "quality", "efficiency", "team_culture", "appraisal", "initiative",
]  # fmt: skip
# values chosen so that averages land on the band edges (50, 70, 80, 85) now and then
SCORE_VALUES = ["40", "50", "60", "70", "75", "80", "82.5", "85", "90", "100"]


@st.composite
def employee_rows(draw: st.DrawFn, index: int) -> list[list[str]]:
    role = draw(st.sampled_from(["customer_rep", "auditor", "tech_support"]))
    ladder = LADDERS[role]
    start = draw(st.sampled_from(ladder))
    months = sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=12)))
    base = {m: draw(st.sampled_from(SCORE_VALUES)) for m in WEIGHTS[role]}
    rows = []
    for i, month in enumerate(months):
        cells = {
            "employee_id": f"E{index}",
            "name": "n",
            "role": role,
            "period": f"2021-{month:02d}",
        }
        cells["level"] = start if i == 0 else ""
        for metric, value in base.items():
            # mostly steady months, so that band edges are hit exactly, now and then a jump
            cells[metric] = draw(st.sampled_from([value, value, value, *SCORE_VALUES]))
        rows.append([cells.get(h, "") for h in HEADER])
    return rows


@st.composite
def record_sets(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 4))
    rows = [row for i in range(count) for row in draw(employee_rows(i))]
    return csv_text(HEADER, rows)


def with_records(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.csv"
        path.write_text(text, encoding="utf-8")
        yield path


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(record_sets())
def test_a_policy_diffed_with_itself_reports_nothing(records: str) -> None:
    for path in with_records(records):
        for v in old_new():
            d = diff_records(v, v, path)
            assert d.changed == [] and d.only_old == [] and d.only_new == []
            assert d.summary.rows_changed == 0 and d.summary.outputs_changed == {}
            assert all(a == b for a, b in d.summary.totals.values())


@SETTINGS
@given(record_sets())
def test_generated_records_match_the_hand_written_reference(records: str) -> None:
    for path in with_records(records):
        assert_matches_reference(diff_records(*old_new(), path), path)


def swapped(d: RecordDiff) -> dict[tuple[str, str], Any]:
    return {
        (r.employee, r.period): (
            {(c.name, str(c.old), str(c.new)) for c in r.changes},
            {(c.name, c.reason, c.old.where, c.new.where, str(c.old.value), str(c.new.value))
             for c in r.causes},
        )
        for r in d.changed
    }  # fmt: skip


@SETTINGS
@given(record_sets())
def test_swapping_old_and_new_swaps_every_pair(records: str) -> None:
    old, new = old_new()
    for path in with_records(records):
        forward, backward = diff_records(old, new, path), diff_records(new, old, path)
        there, back = swapped(forward), swapped(backward)
        assert there.keys() == back.keys()
        for key, (changes, causes) in there.items():
            assert changes == {(n, b, a) for n, a, b in back[key][0]}
            assert causes == {(n, r, nw, ow, nv, ov) for n, r, ow, nw, ov, nv in back[key][1]}
        f, b = forward.summary, backward.summary
        assert (f.rows_changed, f.employees_changed) == (b.rows_changed, b.employees_changed)
        assert {k: (y, x) for k, (x, y) in f.totals.items()} == b.totals
        for name, pairs in f.transitions.items():
            assert sorted((str(y), str(x), n) for x, y, n in pairs) == sorted(
                (str(x), str(y), n) for x, y, n in b.transitions[name]
            )
