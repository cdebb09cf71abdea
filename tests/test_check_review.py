"""Findings of a user review of `policyc check`, each pinned by a test that failed before.

Defaults that do not fit a field's places, history without a monthly key, suggestions for
2-character Chinese names, warnings that only repeat an error, and a singular "1 cell".
"""

from __future__ import annotations

import random

import pytest

from policyc.diagnostics import Diagnostic, Severity, did_you_mean
from policyc.pipeline import Checked, check_source
from policyc.source import SourceFile


def check_text(text: str) -> Checked:
    return check_source(SourceFile.of("t.policy", text))


def found(text: str) -> list[Diagnostic]:
    return check_text(text).diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in found(text)]


def marked(checked: Checked, d: Diagnostic) -> str:
    return checked.source.text[d.span.start : d.span.end]


CN_HEAD = """policy "错误测试"
record
  employee_id : id
  period      : month
  岗位        : one of 销售, 客服
  质量, 效率  : score
{fields}
key {key}

得分 = weighted 质量 60%, 效率 40%

等级 = band 得分
  at least 80              -> 优秀
  at least 60 and below 80 -> 合格
  below 60                 -> 不合格
"""


def cn(body: str, fields: str = "", key: str = "employee_id, period") -> str:
    return CN_HEAD.format(fields=fields, key=key) + body


# ---- 1. a default must fit the field's places and whole numbers (E0206) ---------------------


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "底薪 : money places 2 = 100.125",
            "the default `100.125` has 3 decimal places, but `底薪` allows 2 decimal places",
        ),
        (
            "底薪 : integer = 1.5",
            "the default `1.5` is not a whole number, but `底薪` holds whole numbers",
        ),
        (
            "底薪 : number 0..10 places 1 = 2.25",
            "the default `2.25` has 2 decimal places, but `底薪` allows 1 decimal place",
        ),
        (
            "底薪 : percent places 2 = 85.5%",
            "the default `85.5%` is 0.855, which has 3 decimal places, but `底薪` allows 2 "
            "decimal places",
        ),
    ],
)
def test_a_default_with_too_many_decimals_is_e0206(field: str, message: str) -> None:
    checked = check_text(cn("output 得分, 等级, 底薪\n", fields="  " + field))
    (d,) = checked.diagnostics
    assert (d.code, d.message) == ("E0206", message)
    assert marked(checked, d) == field.split("= ")[1]
    assert d.help is not None and "e.g. `= " in d.help


def test_the_hint_rounds_the_default_half_up() -> None:
    (d,) = found(cn("output 得分, 等级\n", fields="  底薪 : money places 2 = 100.125"))
    assert d.help == "round it to 2 decimal places, e.g. `= 100.13`, or allow more with `places 3`"
    (d,) = found(cn("output 得分, 等级\n", fields="  n : integer = 2.5"))
    assert d.help == "write a whole number, e.g. `= 3`"


@pytest.mark.parametrize(
    "field",
    [
        "底薪 : money places 2 = 100.10",  # a trailing zero is no decimal place (as in a cell)
        "底薪 : money = 100.125",  # no `places`: any decimals
        "n : integer = 3",
        "n : integer 0..5 = 3.0",
        "r : percent places 2 = 85%",
    ],
)
def test_defaults_that_fit_are_clean(field: str) -> None:
    assert codes(cn("output 得分, 等级\n", fields="  " + field)) == []


def test_fields_sharing_a_bad_default_are_reported_once() -> None:
    text = cn("output 得分, 等级\n").replace("质量, 效率  : score", "质量, 效率  : score = 120")
    (d,) = found(text)
    assert d.code == "E0206"
    assert d.message == "the default `120` is outside the range of `质量` and `效率` (0..100)"


# ---- 2. history and windows need a monthly key (E0506) ---------------------------------------

NO_MONTH_USES = [
    "previous(得分)",
    "previous(得分, 2)",
    "previous_row(得分)",
    "previous_window(得分, q)",
    "closes(q)",
    "complete(q)",
    "mean(得分 over q)",
    "sum(得分 over last 3 months ignoring missing)",
    "count(得分 over last 2 months)",
    "max(得分 over q)",
]


def _with_window(use: str) -> str:
    window = "window q = every 3 months\n" if "q)" in use else ""  # else it is never used
    return window + f"p = {use}\noutput 得分, 等级, p\n"


@pytest.mark.parametrize("use", NO_MONTH_USES)
def test_history_without_a_monthly_key_is_e0506(use: str) -> None:
    body = _with_window(use)
    checked = check_text(cn(body, key="employee_id"))
    (d,) = checked.diagnostics
    assert d.code == "E0506" and d.severity is Severity.ERROR
    assert marked(checked, d) == use  # located at the call
    assert d.message.endswith("needs a monthly key, but `key employee_id` has no month")
    assert d.help == "add the month field to `key` (e.g. `key employee_id, period`)"


@pytest.mark.parametrize("use", NO_MONTH_USES)
def test_history_with_a_monthly_key_is_clean(use: str) -> None:
    body = _with_window(use)
    assert codes(cn(body)) == []


def test_each_use_inside_a_function_and_an_expression_is_reported() -> None:
    body = "f(x) = previous(得分) + x\np = if closes(w) then f(1) else 0\n"
    body += "window w = every 3 months\n"
    body += "output 得分, 等级, p\n"
    assert codes(cn(body, key="employee_id")) == ["E0506", "E0506"]


def test_rank_needs_no_month() -> None:
    body = "r = rank(得分 desc, employee_id asc)\noutput 得分, 等级, r\n"
    assert codes(cn(body, key="employee_id")) == []


def test_without_a_month_field_the_hint_says_to_declare_one() -> None:
    text = cn("p = previous(得分)\noutput 得分, 等级, p\n", key="employee_id")
    text = text.replace("  period      : month\n", "")
    (d,) = found(text)
    assert d.code == "E0506"
    assert d.help is not None and "declare a month field in the record" in d.help


def test_an_unknown_key_field_is_not_also_a_missing_month() -> None:
    text = cn("p = previous(得分)\noutput 得分, 等级, p\n", key="employee_id, 月份")
    assert codes(text) == ["E0124"]


def test_the_cycle_hint_offers_previous_only_with_a_monthly_key() -> None:
    body = "a = b + 1\nb = a * 2\noutput 得分, 等级, a\n"
    (monthly,) = found(cn(body))
    (plain,) = found(cn(body, key="employee_id"))
    assert monthly.code == plain.code == "E0702"
    assert monthly.help is not None and "previous(b)" in monthly.help
    assert plain.help is not None and "previous" not in plain.help


# ---- 3. did you mean, for 2-character names ----------------------------------------------------

NAMES = ["质量", "效率", "得分", "等级", "岗位", "底薪", "employee_id", "period", "绩效分数"]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("质里", "质量"),
        ("得份", "得分"),
        ("等极", "等级"),
        ("分得", "得分"),  # two neighbours swapped
        ("绩效分", "绩效分数"),
        ("perod", "period"),
    ],
)
def test_one_wrong_character_in_a_short_name_is_suggested(typo: str, meant: str) -> None:
    assert did_you_mean(typo, NAMES) == f"did you mean `{meant}`?"


@pytest.mark.parametrize("name", ["工资", "奖金", "部门", "ab", "月份"])
def test_an_unrelated_short_name_gets_no_suggestion(name: str) -> None:
    assert did_you_mean(name, NAMES) is None


def test_random_2_character_names_sharing_no_character_get_no_suggestion() -> None:
    rng = random.Random(7)
    used = set("".join(NAMES))
    pool = [chr(c) for c in range(0x4E00, 0x4E00 + 400) if chr(c) not in used]
    for _ in range(300):
        name = "".join(rng.sample(pool, 2))
        assert did_you_mean(name, NAMES) is None, name


def test_a_name_is_never_suggested_for_itself() -> None:
    assert did_you_mean("得分", NAMES) is None


def test_misspelt_names_in_the_policy_get_the_suggestion() -> None:
    text = cn("output 得分, 等极\n").replace("weighted 质量 60%", "weighted 质里 60%")
    hints = {d.message: d.help for d in found(text)}
    assert hints["unknown name `质里`"] == "did you mean `质量`?"
    assert hints["output `等极` is not defined"] == "did you mean `等级`?"


def test_a_misspelt_given_field_gets_a_suggestion_like_expect() -> None:
    body = 'output 得分, 等级\nexample "x"\n  given E1 2024-01: 岗位 = 销售, 质里 = 80, 效率 = 80\n'
    body += "  expect E1 2024-01: 得份 = 80\n"
    hints = {d.message: d.help for d in found(cn(body))}
    assert hints["`given` sets `质里`, which is not a record field"] == "did you mean `质量`?"
    assert hints["`expect` checks `得份`, which the policy does not define"] == (
        "did you mean `得分`?"
    )


# ---- 4. no warning that only repeats an error ---------------------------------------------------


def test_no_unused_warning_for_the_twin_of_a_misspelt_output() -> None:
    assert codes(cn("output 得分, 等极\n")) == ["E0101"]


def test_no_unused_warning_when_there_is_no_output() -> None:
    assert codes(cn("")) == ["E0127"]


def test_an_unrelated_unused_definition_is_still_reported() -> None:
    text = cn("extra = 质量 * 2\noutput 得分, 等级, 奖金\n")
    assert sorted(codes(text)) == ["E0101", "W0701"]


def test_no_unused_warning_beside_an_error_on_the_same_line() -> None:
    assert codes(cn('ladder L = "A" < "B" < "A"\noutput 得分, 等级\n')) == ["E0501"]
    assert codes(cn("window w = every 5 months\noutput 得分, 等级\n")) == ["E0504"]
    # the same declarations without the error: the warning is there
    assert codes(cn('ladder L = "A" < "B"\noutput 得分, 等级\n')) == ["W0701"]
    assert codes(cn("window w = every 4 months\noutput 得分, 等级\n")) == ["W0701"]


def test_no_tie_warning_on_a_rank_key_that_is_already_an_error() -> None:
    body = "r = rank(岗位 desc)\noutput 得分, 等级, r\n"
    assert codes(cn(body)) == ["E0201"]
    assert codes(cn(body.replace("岗位 desc", "得分 desc"))) == ["W0601"]


def test_a_misspelt_case_counts_for_the_label_it_is_close_to() -> None:
    body = "x = by 岗位\n  销隹 : 1\n  客服 : 2\noutput 得分, 等级, x\n"
    assert codes(cn(body)) == ["E0114"]
    body = body.replace("销隹", "工资")  # close to nothing: `销售` has no case
    (missing, typo) = found(cn(body))
    assert (missing.code, typo.code) == ("W0503", "E0114")
    assert missing.message == "`by 岗位` has no case for `销售`, and no `otherwise`"


def test_a_misspelt_case_does_not_make_the_real_case_a_duplicate() -> None:
    body = "x = by 岗位\n  销隹 : 1\n  销售 : 2\n  客服 : 3\noutput 得分, 等级, x\n"
    assert codes(cn(body)) == ["E0114"]


# ---- 5. wording ----------------------------------------------------------------------------------


def test_a_row_of_one_cell_is_singular() -> None:
    body = "奖金 = table first over 得分, 岗位\n  >= 60 -> 100\n  otherwise -> 0\n"
    (d,) = found(cn(body + "output 得分, 等级, 奖金\n"))
    assert d.code == "E0407"
    assert d.message.startswith("this row has 1 cell, but the table has 2 inputs")


def test_a_misspelt_name_in_a_branch_is_an_unknown_name_not_a_label() -> None:
    head = CN_HEAD.format(fields="  底薪 : money places 2", key="employee_id, period")
    text = head.split("等级 = band")[0] + "flag = if 质量 > 1 then 底新 else 0\noutput flag\n"
    checked = check_text(text)
    errors = [d for d in checked.diagnostics if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["E0101"]
    assert marked(checked, errors[0]) == "底新" and errors[0].help == "did you mean `底薪`?"


def test_a_real_label_in_a_branch_is_still_a_kind_mismatch() -> None:
    head = CN_HEAD.format(fields="  底薪 : money places 2", key="employee_id, period")
    text = head.split("等级 = band")[0] + "flag = if 质量 > 1 then 优秀 else 0\noutput flag\n"
    assert "E0204" in codes(text)
