"""Explanations in plain words, in English and Chinese: golden text, every trace event kind
in both languages, `per FIELD` groups named with their value, 80-column lines, `--all`.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_explain_words.py`
and review the diff.
"""

from __future__ import annotations

import re
import typing
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_A, EXAMPLE_A_REL, GOLDEN, POLICY_A_REL, UPDATE_GOLDEN, plan_a, run_cli

from policyc.cli.explain_cmd import explain_cmd
from policyc.cli.report_cmd import Everyone
from policyc.explain_words import Words, explain_words, phrase
from policyc.messages import LANGS
from policyc.pipeline import check_source, compile_checked, evaluate
from policyc.runtime import trace as T
from policyc.source import SourceFile, display_width

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "promotion": ("E2110002", "2021-06"),
    "probation_dismissal": ("E2110005", "2021-07"),
    "missing_month": ("E2110006", "2021-06"),
    "ladder_top": ("E2110003", "2021-06"),
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def golden(name: str, got: str) -> None:
    path = GOLDEN / "words" / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def explain(employee: str, period: str, lang: str) -> str:
    args = ["explain", POLICY_A_REL, EXAMPLE_A_REL, "--employee", employee, "--period", period]
    proc = run_cli(*args, "--lang", lang)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str, lang: str) -> None:
    golden(f"{case}.{lang}.txt", explain(*CASES[case], lang))


def test_a_promotion_in_chinese_names_the_average_the_bound_and_the_move() -> None:
    text = explain("E2110002", "2021-06", "zh")
    assert "平均分 83.2 高于 80，因此为 promote" in text
    assert "晋升一级：由 普通客服代表-中级 升至 普通客服代表-高级" in text
    en = explain("E2110002", "2021-06", "en")
    assert "the average 83.2 is above 80, so promote" in en
    assert "moves up one level: 普通客服代表-中级 → 普通客服代表-高级" in en


def test_plain_words_hold_no_engineer_speak_and_fit_80_columns() -> None:
    plan = plan_a()
    ev = evaluate(plan, EXAMPLE_A, Everyone())
    for lang in LANGS:
        text = explain_words(plan, ev.outcome.rows, lang)
        for line in text.splitlines():
            assert display_width(line) <= 80, line
            assert "(see above)" not in line and "`_" not in line
            assert not re.search(r"policies/\S+:\d+", line), line
        words = re.sub(r"previous\(action\) is demote_probation|score over review_window", "", text)
        assert " none" not in words.replace("is none", "")


def test_lang_follows_the_locale() -> None:
    args = ["explain", POLICY_A_REL, EXAMPLE_A_REL, "--employee", "E2110002", "--period", "2021-06"]
    zh = run_cli(*args, env={"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    en = run_cli(*args, env={"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert "平均分 83.2 高于 80" in zh.stdout and "the average" not in zh.stdout
    assert "the average 83.2 is above 80" in en.stdout and "平均分" not in en.stdout


def test_verbose_keeps_the_full_derivation() -> None:
    args = ["explain", POLICY_A_REL, EXAMPLE_A_REL, "--employee", "E2110002", "--period", "2021-06"]
    proc = run_cli(*args, "--verbose")
    assert proc.stdout == (GOLDEN / "explain" / "promotion.txt").read_text(encoding="utf-8")


PER_POLICY = """policy "per team"

record
  employee_id : id
  period      : month
  team        : one of north, south
  sales       : number
  eligible    : bool

key employee_id, period

r = rank(sales desc among eligible per team)
team_mean = mean(sales per team)
team_size = count(among eligible per team)

output r, team_mean, team_size
"""
PER_ROWS = "employee_id,period,team,sales,eligible\n" + "".join(
    f"{e},2024-01,{t},{s},{g}\n"
    for e, t, s, g in [
        ("a", "north", 10, "true"),
        ("b", "north", 30, "true"),
        ("c", "south", 20, "true"),
        ("d", "south", 5, "false"),
        ("e", "north", 20, "true"),
    ]
)


def test_per_groups_are_named_with_their_value(tmp_path: Path) -> None:
    records = tmp_path / "r.csv"
    records.write_text(PER_ROWS, encoding="utf-8")
    checked = check_source(SourceFile.of("per.policy", PER_POLICY))
    assert checked.ok, checked.diagnostics
    plan = compile_checked(checked)
    rows = [r for r in evaluate(plan, records, {"c"}).outcome.rows if r.key[0] == "c"]
    en, zh = explain_words(plan, rows, "en"), explain_words(plan, rows, "zh")
    assert "ranked 1 among the 1 eligible in south this month" in en
    assert "the count among the 1 eligible in south this month: 1" in en
    assert "the average among the 2 in south this month: 12.5" in en
    assert "whole file" not in en
    assert "本月在south符合“eligible”的 1 人中排名第 1" in zh
    assert "本月south的 2 人的平均分：12.5" in zh


# ---- every kind of trace event, in both languages ------------------------------------------


def _events() -> list[object]:
    """At least one of each event kind (most in more than one variant), on spans of A."""
    plan = plan_a()
    sp = plan.model.defs["action"].span
    op = T.Operand(sp, Decimal("83.2"))
    tried = T.RowTried(sp, 0, Decimal(60), ">=", Decimal(70))
    return [
        T.Worked((op,), Decimal("83.2"), sp),
        T.Condition((op,), True, sp),
        T.Condition((op, T.Operand(sp, None)), False, sp),
        T.Branch((op,), sp, True, "then", sp, Decimal(1), sp),
        T.Branch((op,), sp, False, "else", sp, None, sp),
        T.Branch((op,), sp, None, "else", sp, None, sp),
        T.Rounded("round", 2, "half_up", Decimal("1.005"), Decimal("1.01"), sp, sp),
        T.Rounded("round_down", 0, "down", Decimal("1.5"), Decimal(1), sp, sp),
        T.WeightedSum(
            (("a", Decimal(80), Decimal(50)), ("b", Decimal(90), Decimal(50))), Decimal(85), sp
        ),
        T.TableHit(
            "first",
            True,
            ("window_average",),
            (Decimal("83.2"),),
            0,
            sp,
            ((Decimal("83.2"), ">", Decimal(80)),),
            (),
            False,
            "promote",
            sp,
        ),
        T.TableHit(
            "first",
            False,
            ("s", "p"),
            (Decimal(60), Decimal("0.2")),
            1,
            sp,
            ((Decimal(60), ">=", Decimal(60)),),
            (tried,),
            False,
            Decimal(100),
            sp,
        ),
        T.TableHit(
            "first", False, ("s",), (Decimal(1),), 2, sp, (), (tried,), True, Decimal(0), sp
        ),
        T.TableHit(
            "first", True, ("window_average",), (None,), None, None, (), (), False, None, sp
        ),
        T.TableHit(
            "first", False, ("s",), (Decimal(1),), None, None, (), (tried,), False, None, sp
        ),
        T.CaseChosen("role", "customer_rep", sp, sp),
        T.CaseChosen("role", "auditor", None, sp),
        T.WindowAggregate(
            "mean",
            "score",
            "review_window",
            ("2021-04", "2021-05"),
            (Decimal(80), None),
            ("2021-05",),
            False,
            None,
            sp,
        ),
        T.WindowAggregate(
            "sum",
            "score",
            "year",
            ("2021-04", "2021-05"),
            (Decimal(80), None),
            ("2021-05",),
            True,
            Decimal(80),
            sp,
        ),
        T.Lookback("action", "2021-05", True, "promote", sp),
        T.Lookback("action", "2021-05", False, None, sp),
        T.Lookback("star", "2021-03", True, Decimal(300), sp, deferred=True),
        T.Lookback("star", "2021-03", False, None, sp, deferred=True),
        T.WindowCloses("review_window", 3, "2021-06", True, sp),
        T.WindowCloses("review_window", 3, "2021-05", False, sp),
        T.LadderMove("level", "A", "B", "up", 1, False, 2, 6, "2021-05", sp, sp),
        T.LadderMove("level", "B", "A", "down", 2, False, 1, 6, "2021-05", sp, sp),
        T.LadderMove("level", "F", "F", "up", 1, True, 6, 6, "2021-05", sp, sp),
        T.LadderMove("level", "A", "A", "down", 1, True, 1, 6, "2021-05", sp, sp),
        T.LadderMove(
            "months", Decimal(2), Decimal(3), "becomes", 0, False, 0, 0, "2021-05", sp, sp
        ),
        T.LadderMove("level", "A", "A", "stay", 0, False, 1, 6, "2021-05", None, sp),
        T.LadderMove("count", Decimal(0), Decimal(0), "stay", 0, False, 0, 0, None, None, sp),
        T.LadderMove("level", "A", "A", "start", 0, False, 1, 6, None, None, sp),
        T.Override("action", "promote", "stay", "部门审核", sp),
        T.Override("action", "promote", "stay", None, sp),
        T.Ranked(
            "r",
            Decimal(2),
            7,
            (("score", "desc", Decimal(90)),),
            1,
            "eligible",
            ("dept", "行政部"),
            True,
            sp,
        ),
        T.Ranked(
            "r", Decimal(1), 7, (("score", "asc", Decimal(90)),), 0, "everyone", None, True, sp
        ),
        T.Ranked("r", None, 0, (), 0, "eligible", None, False, sp),
        T.CohortAggregate("count", "n", 7, Decimal(7), "eligible", sp),
        T.CohortAggregate("mean", "m", 7, Decimal("81.5"), "everyone", sp),
    ]


def test_every_event_kind_is_said_in_both_languages() -> None:
    events = _events()
    kinds = set(typing.get_args(T.Event)) - {T.Computed}
    assert {type(e) for e in events} == kinds
    plan = plan_a()
    for lang in LANGS:
        w = Words(plan, lang)
        for ev in events:
            lines = phrase(ev, w)
            assert lines, ev
            for text, _span in lines:
                assert text.strip() and "{" not in text, (lang, ev, text)
                assert not re.search(r"\bnone\b|\bNone\b|\(see above\)", text), (lang, text)
                if lang == "zh":
                    assert CJK.search(text) or "=" in text, (ev, text)
    ranked = phrase(events[-5], Words(plan, "en"))[0][0]
    assert ranked == (
        "ranked 2 among the 7 eligible in 行政部 this month, by score 90 (highest first); "
        "1 other(s) share this rank"
    )


# ---- everyone at once ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_all_writes_one_file_per_employee(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        explain_cmd,
        [POLICY_A_REL, EXAMPLE_A_REL, "--all", "-o", str(out), "--format", fmt, "--lang", "zh"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    ids = {line.split(",")[0] for line in EXAMPLE_A.read_text(encoding="utf-8").splitlines()[1:]}
    suffix = {"text": ".txt", "json": ".json", "html": ".html"}[fmt]
    assert sorted(p.name for p in out.iterdir()) == sorted(i + suffix for i in ids)
    one = (out / f"E2110002{suffix}").read_text(encoding="utf-8")
    assert "E2110002" in one and "E2110003" not in one
    if fmt == "text":
        assert "平均分 83.2 高于 80" in one


def test_employees_file_picks_who_is_explained(tmp_path: Path) -> None:
    listed = tmp_path / "ids.txt"
    listed.write_text("E2110002\nE2110003\nNOBODY\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        explain_cmd, [POLICY_A_REL, EXAMPLE_A_REL, "--employees", str(listed), "-o", str(out)]
    )
    assert result.exit_code == 1  # NOBODY has no row: said, the others written
    assert sorted(p.name for p in out.iterdir()) == ["E2110002.txt", "E2110003.txt"]
    assert "no evaluated row for employee `NOBODY`" in result.output
