"""Syntax errors name the likely mistake: a misspelt keyword, a chained comparison, a weight
without `%`, a band row or `by` case of the wrong shape, an unclosed `(` or label; and the
generic `expected ...` list holds only what could really come next."""

from __future__ import annotations

import pytest

from policyc.diagnostics import Diagnostic
from policyc.source import SourceFile
from policyc.syntax.parse import parse

HEAD = (
    'policy "t"\nrecord\n  employee_id : id\n  period : month\n  role : one of sales, support\n'
    "  quality, speed : score\nkey employee_id, period\n"
)
BAND = "grade = band quality\n  at least 80 -> good\n  below 80 -> poor\n"
LINE = HEAD.count("\n") + 1  # the first line after HEAD


def _errors(body: str) -> list[Diagnostic]:
    tree, diags = parse(SourceFile.of("t.policy", HEAD + body))
    assert tree is None and diags, "expected a syntax error"
    return diags


def _one(body: str) -> Diagnostic:
    diags = _errors(body)
    assert len(diags) == 1, [(d.message, d.help) for d in diags]
    return diags[0]


# ---- misspelt keywords ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "typo", "keyword"),
    [
        ("kye employee_id, period\n", 0, "kye", "key"),
        ("grade = bnad quality\n  at least 80 -> good\n  below 80 -> poor\n", 0, "bnad", "band"),
        ("s = weigted quality 60%, speed 40%\n", 0, "weigted", "weighted"),
        ("grade = band quality\n  at lest 80 -> good\n  below 80 -> poor\n", 1, "lest", "least"),
        (
            "grade = band quality\n  at least 80 -> good\n  otherwize -> poor\n",
            2,
            "otherwize",
            "otherwise",
        ),
        ("r = rank(quality desc amnog role is sales)\n", 0, "amnog", "among"),
        # the keyword fits even when the line has a second mistake after it
        ("r = rank(quality desc amnog role is sales pre role)\n", 0, "amnog", "among"),
        ("x = if quality > 1 tehn 1 esle 0\n", 0, "tehn", "then"),
        ("x = quality si none\n", 0, "si", "is"),
        ("x = if quality > 1 than 1 else 0\n", 0, "than", "then"),
        ("Output quality\n", 0, "Output", "output"),
    ],
)
def test_a_misspelt_keyword_is_named(body: str, line: int, typo: str, keyword: str) -> None:
    d = _one(body)
    assert d.span.line == LINE + line
    assert d.help == f"`{typo}` is not a keyword; did you mean `{keyword}`?"


def test_the_message_and_place_stay_those_of_the_unexpected_token() -> None:
    d = _one("kye employee_id, period\n")
    assert (d.message, d.span.line, d.span.column) == ("unexpected `employee_id`", LINE, 5)


def test_a_name_near_a_keyword_that_would_not_fit_there_gets_no_keyword_hint() -> None:
    # `rate` is one edit from `state`, but `x = state 5` is no better
    d = _one("rate = 1\nx = rate 5\n")
    assert d.help is not None and "not a keyword" not in d.help
    assert d.help.startswith("expected ")


# ---- what the expected list names ---------------------------------------------------------------


def test_no_closing_parenthesis_is_expected_when_none_is_open() -> None:
    """Lark's LALR lookahead sets name `)` and `->` wherever a merged state allows them."""
    outside = _one("x = quality 5\n").help or ""
    inside = _one("x = max(quality 5)\n").help or ""
    assert outside.startswith("expected ") and inside.startswith("expected ")
    assert "`)`" not in outside and "`->`" not in outside
    assert "`)`" in inside


def test_a_record_line_without_its_colon_expects_only_what_fits() -> None:
    text = HEAD.replace("  period : month", "  period  month")
    _tree, diags = parse(SourceFile.of("t.policy", text))
    assert [d.help for d in diags] == ["expected `,`, `:`"]


# ---- specific mistakes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "hint"),
    [
        ("50 <= quality < 70", "write `quality >= 50 and quality < 70`, or use a band"),
        ("quality > 50 and 50 < speed <= 70", "write `speed > 50 and speed <= 70`, or use a band"),
        ("if 50 ≤ quality ＜ 70 then 1 else 0", "write `quality >= 50 and quality < 70`, or use"),
        ("50 <= quality + 1 < 70", "write `x >= 50 and x < 70`, or use a band"),
    ],
)
def test_a_chained_comparison_is_named(expr: str, hint: str) -> None:
    d = _one(f"x = {expr}\n")
    assert d.help is not None
    assert d.help.startswith("comparisons don't chain; ") and hint in d.help


@pytest.mark.parametrize(
    ("weights", "hint"),
    [
        ("quality 60, speed 40", "`quality 60%`"),
        ("quality 0.6, speed 0.4", "`quality 60%`"),
        ("quality 60%, speed 40", "`speed 40%`"),
        ("quality 0.125, speed 87.5%", "`quality 12.5%`"),
    ],
)
def test_a_weight_without_percent_is_named(weights: str, hint: str) -> None:
    d = _one(f"s = weighted {weights}\n")
    assert d.help == f"a weight is a percentage: {hint}"


def test_a_weight_without_percent_in_a_by_case_is_named() -> None:
    d = _one("s = by role\n  sales : weighted quality 60, speed 40%\n  otherwise : quality\n")
    assert (d.span.line, d.help) == (LINE + 1, "a weight is a percentage: `quality 60%`")


@pytest.mark.parametrize(
    "row", ["at least 80 : good", "at least 80 good", "at least 80 => good", "above 80 > good"]
)
def test_a_band_row_of_the_wrong_shape_is_named(row: str) -> None:
    d = _one(f"grade = band quality\n  {row}\n  below 80 -> poor\n")
    assert (d.span.line, d.help) == (LINE + 1, "a band row is `bounds -> result`")


def test_a_table_row_without_its_arrow_is_named() -> None:
    d = _one("t = table first over quality, role\n  >= 60 | sales 100\n  otherwise -> 0\n")
    assert d.help is not None and d.help.startswith("a table row is `cell | cell")


@pytest.mark.parametrize("case", ["sales -> 1", "sales 1", "sales = 1"])
def test_a_by_case_of_the_wrong_shape_is_named(case: str) -> None:
    d = _one(f"k = by role\n  {case}\n  support : 2\n")
    assert (d.span.line, d.help) == (LINE + 1, "a `by` case is `key : value`")


def test_an_unindented_band_row_is_named() -> None:
    d = _one("grade = band quality\n  at least 80 -> good\nbelow 80 -> poor\n")
    assert (d.span.line, d.help) == (LINE + 2, "band rows are indented under the `band` line")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("grade = band quality\nat least 80 -> good\n  below 80 -> poor\n", "band rows"),
        ("t = table first over quality\n  >= 1 -> 1\notherwise -> 2\n", "table rows"),
        ("k = by role\nsales : 1\n  support : 2\n", "`by` cases"),
        ("k = by role\n  sales : 1\nsupport : 2\n", "`by` cases"),
    ],
)
def test_an_unindented_row_is_named_and_only_its_line_is_set_aside(body: str, kind: str) -> None:
    """The rows still indented read on as the block's rows: no second, echoed error."""
    d = _one(body)
    assert d.help is not None and d.help.startswith(f"{kind} are indented under the `")


def test_a_row_under_an_ordinary_statement_gets_no_band_hint() -> None:
    d = _one(BAND + "y = 1\nbelow 80 -> poor\n")
    assert d.help is not None and "indented under" not in d.help


def test_field_values_without_one_of_are_named() -> None:
    text = HEAD.replace("one of sales, support", "sales, support  # the roles")
    _tree, diags = parse(SourceFile.of("t.policy", text))
    assert [d.help for d in diags] == ["did you mean `one of sales, support`?"]


# ---- unclosed parentheses and labels ----------------------------------------------------------------


def test_an_unclosed_parenthesis_is_reported_at_the_parenthesis() -> None:
    diags = _errors("x = round(quality * 2, 2\noutput x\n")
    assert [(d.code, d.message, d.span.line, d.span.column) for d in diags] == [
        ("E0002", "this `(` is never closed", LINE, 10)
    ]
    assert diags[0].help is not None and "`)`" in diags[0].help


def test_after_an_unclosed_parenthesis_the_lines_it_swallowed_are_read_again() -> None:
    diags = _errors("x = round(quality * 2, 2\ny = quality +\noutput x, y\n")
    assert [(d.message, d.span.line) for d in diags] == [
        ("this `(` is never closed", LINE),
        ("unexpected end of line", LINE + 1),
    ]


def test_an_unclosed_parenthesis_at_the_end_of_the_file_is_reported_at_it() -> None:
    diags = _errors("output quality\nx = max(quality,\n  speed")
    assert [(d.message, d.span.line, d.span.column) for d in diags] == [
        ("this `(` is never closed", LINE + 1, 8)
    ]


def test_a_parenthesis_closed_on_a_later_line_is_not_blamed() -> None:
    d = _one("x = max(quality,\n        speed speed)\noutput x\n")
    assert (d.message, d.span.line) == ("unexpected `speed`", LINE + 1)


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ('policy "t', 'this label is not closed: end it with `"` on the same line'),
        ('policy "t”', "(`”` closes only a label opened with `“`)"),
        ('policy “t"', "a label opened with `“` ends with `”` on the same line"),
    ],
)
def test_an_unclosed_label_is_named(header: str, hint: str) -> None:
    _tree, diags = parse(SourceFile.of("t.policy", HEAD.replace('policy "t"', header)))
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("E0001", 1, 8)]
    assert diags[0].help is not None and hint in diags[0].help


def test_a_no_break_space_is_not_called_full_width() -> None:
    d = _one("output quality,\xa0speed\n")
    assert d.help == "use an ordinary space ` ` instead of the no-break space"


def test_a_full_width_space_in_a_broken_indentation_is_named() -> None:
    diags = _errors(BAND.replace("  below", "\u3000 below") + "output grade\n")
    assert diags[0].span.line == LINE + 2
    assert diags[0].help is not None and "a full-width space counts as two" in diags[0].help
