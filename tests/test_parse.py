"""Parsing: text -> Lark parse tree, or E0001/E0002 diagnostics at the right place."""

from __future__ import annotations

import re

import pytest
from conftest import POLICY_A, ROOT

from policyc.diagnostics import render
from policyc.pipeline import check_source, compile_checked
from policyc.source import SourceFile, display_width
from policyc.syntax.lower import lower
from policyc.syntax.parse import MAX_POLICY_CHARS, comments, parse

HEAD = 'policy "t"\nrecord\n  employee_id : id\n  period : month\n  s : score?\nkey employee_id, period\n'


def _parse(text: str) -> tuple[object, list[tuple[str, int, int, str]]]:
    tree, diags = parse(SourceFile.of("t.policy", text))
    return tree, [(d.code, d.span.line, d.span.column, d.message) for d in diags]


def _ast(text: str) -> object:
    src = SourceFile.of("t.policy", text)
    tree, diags = parse(src)
    assert tree is not None, diags
    policy, ldiags = lower(tree, src)
    assert not ldiags
    return policy.stmts


def test_bundled_policy_parses_without_diagnostics() -> None:
    src = SourceFile.read(POLICY_A)
    tree, diags = parse(src)
    assert diags == []
    assert tree is not None
    kinds = [t.data for t in tree.children if hasattr(t, "data")]
    assert kinds[0] == "header"
    for kind in ("record_decl", "key_decl", "ladder_by", "window_by", "state_decl"):
        assert kind in kinds
    assert kinds.count("example_decl") == src.text.count("\nexample ")


def test_missing_operand_reports_e0002_at_end_of_line() -> None:
    tree, diags = _parse(HEAD + "x = s +\noutput x\n")
    assert tree is None
    assert diags[0][:3] == ("E0002", 7, 8)
    assert "end of line" in diags[0][3]


def test_band_row_without_arrow_points_at_the_result() -> None:
    text = HEAD + "a = band s\n  above 80 promote\n  otherwise -> stay\n"
    _tree, diags = _parse(text)
    assert diags[0][:3] == ("E0002", 8, 12)
    assert "`promote`" in diags[0][3]


def test_unexpected_character_is_e0001_with_column() -> None:
    _tree, diags = _parse(HEAD + "x = s $ 2\n")
    assert diags == [("E0001", 7, 7, "unexpected character `$`")]


def test_every_broken_line_is_reported_once() -> None:
    text = HEAD + "x = s +\ny = 1\nz = * 2\n"
    _tree, diags = _parse(text)
    lines = [d[1] for d in diags]
    assert lines == sorted(set(lines))
    assert 7 in lines and 9 in lines
    assert 8 not in lines


def test_independent_mistakes_in_the_contract_a_policy_give_one_report_each() -> None:
    """A typo inside a block is set aside with its line: nothing after it is an echo."""
    lines = POLICY_A.read_text(encoding="utf-8").split("\n")
    broken = {}
    for n, line in enumerate(lines):
        if line.startswith("  role ") and "one of" in line:
            lines[n], broken[n + 1] = line.replace("one of", "one off"), "customer_rep"
        elif line.startswith("  tech_support  :") and "<" in line:
            lines[n], broken[n + 1] = line.replace(" < ", " ", 1), '"技术支持-高级"'
        elif line.startswith("  auditor       : weighted"):
            lines[n], broken[n + 1] = line.replace("weighted", "weigted"), "quality"
    assert len(broken) == 3
    _tree, diags = _parse("\n".join(lines))
    assert [(d[1], d[3]) for d in diags] == [(n, f"unexpected `{w}`") for n, w in broken.items()]


def test_a_broken_only_line_of_a_block_takes_its_header_along() -> None:
    text = HEAD.replace("  s : score?\n", "") + "x = band period\n  above 80 -> -> a\noutput x\n"
    text = text.replace("record\n  employee_id : id\n  period : month\n", "record\n  e : : id\n")
    _tree, diags = _parse(text)
    assert [d[1] for d in diags] == [3, 6]


def test_a_wrongly_indented_run_is_one_report() -> None:
    _tree, diags = _parse(HEAD + "x = 1\n  y = 2\n  z = 3\n    w = 4\noutput x\n")
    assert [(d[1], d[3]) for d in diags] == [(8, "unexpected indentation")]


def test_policy_ending_early_is_located_at_the_last_character() -> None:
    text = HEAD + "x = max(s, 1"
    _tree, diags = _parse(text)
    assert len(diags) == 1
    code, line, col, message = diags[0]
    assert (code, line, col) == ("E0002", 7, len("x = max(s, 1"))
    assert message == "the policy ends too early"


def test_column_counts_characters_after_chinese_text() -> None:
    text = HEAD + "绩效 = s $\n"
    _tree, diags = _parse(text)
    assert diags[0][:3] == ("E0001", 7, 8)


def test_caret_is_aligned_by_display_width_under_chinese() -> None:
    src = SourceFile.of("t.policy", HEAD + "绩效 = s $\n")
    _tree, diags = parse(src)
    lines = render(diags[0], {"t.policy": src}).splitlines()
    assert lines[0].startswith("t.policy:7:8: error[E0001]")
    source_line, caret_line = lines[1], lines[2]
    # 绩效 takes four terminal cells: the caret must sit under `$`, not two cells left of it
    assert display_width(source_line[: source_line.index("$")]) == caret_line.index("^")


def test_full_width_punctuation_is_accepted_and_means_the_same() -> None:
    ascii_text = (
        'policy "t"\nrecord\n  employee_id : id\n  role : one of a, b\n  period : month\n'
        "  s, t : score?\nkey employee_id, period\n"
        "x = by role\n  a : weighted s 40%, t 60%\n  otherwise : max(s, t)\n"
        "y = band x\n  >= 80 -> high\n  < 80 -> low\n"
    )
    wide_text = (
        'policy "t"\nrecord\n  employee_id ： id\n  role ： one of a， b\n  period ： month\n'
        "  s， t ： score？\nkey employee_id， period\n"
        "x = by role\n  a ： weighted s 40％， t 60%\n  otherwise ： max（s， t）\n"
        "y = band x\n  ≥ 80 → high\n  < 80 → low\n"
    )
    assert _ast(wide_text) == _ast(ascii_text)


def test_chinese_identifiers_labels_and_comments_parse() -> None:
    text = (
        'policy "客服" version "2021.1"\nrecord\n  工号 : id\n  月份 : month\n  分数 : score\n'
        "key 工号, 月份  # 主键\n"
        "结果 = band 分数  # 绩效\n  above 80 -> 优秀\n  otherwise -> 合格\n"
        'ladder 级别 = "初级" < "高级"\n'
    )
    tree, diags = _parse(text)
    assert diags == []
    assert tree is not None


def test_crlf_line_endings_parse() -> None:
    tree, diags = _parse((HEAD + "x = s + 1\noutput x\n").replace("\n", "\r\n"))
    assert diags == []
    assert tree is not None


def test_comments_are_listed_but_hash_inside_a_label_is_not_one() -> None:
    src = SourceFile.of("t.policy", HEAD + 'x = "a#b"  # why\n# whole line\n')
    found = comments(src)
    assert [(c.line, c.column, c.text) for c in found] == [(7, 12, "# why"), (8, 1, "# whole line")]


def test_a_policy_over_the_size_limit_is_refused_without_parsing() -> None:
    _tree, diags = _parse("#" * (MAX_POLICY_CHARS + 1))
    assert [d[0] for d in diags] == ["E0003"]


def test_full_width_semicolon_gets_a_hint() -> None:
    src = SourceFile.of("t.policy", HEAD + "x = s；\n")
    _tree, diags = parse(src)
    assert diags[0].code == "E0001"
    assert diags[0].help is not None and "no `;` is needed" in diags[0].help


def _doc_policies() -> list[tuple[int, str]]:
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```policy\n(.*?)^```", text, flags=re.M | re.S)
    return [(i, b) for i, b in enumerate(blocks, 1)]


@pytest.mark.parametrize(("n", "text"), _doc_policies(), ids=lambda v: str(v)[:12])
def test_language_reference_examples_check_clean(n: int, text: str) -> None:
    checked = check_source(SourceFile.of(f"language.md#{n}", text))
    # W0601 (rank keys can tie) is the point of the ranking example: ties share a rank
    found = [(d.code, d.span.line, d.message) for d in checked.diagnostics]
    assert [f for f in found if f[0] != "W0601"] == []
    compile_checked(checked)


def test_language_reference_has_complete_examples() -> None:
    assert len(_doc_policies()) >= 6


def test_more_full_width_operators_are_accepted_and_mean_the_same() -> None:
    ascii_text = HEAD + (
        "x = if s > 1 and s < 9 and s >= 2 and s <= 8 and s != 5 then s + 1 - 2 * 3 / 4 else 0\n"
        "y = band s\n  >= 80 -> high\n  < 80 -> low\n"
        "t = table first over s, s\n  > 1 | any -> 1\n  otherwise -> 0\n"
        'example "e"\n  given E1 2021-01: s = 1\n'
    )
    wide_text = HEAD + (
        "x ＝ if s ＞ 1 and s ＜ 9 and s ≧ 2 and s ＜＝ 8 and s ！＝ 5 then s ＋ 1 － 2 ＊ 3 ／ 4 "
        "else 0\n"
        "y = band s\n  ＞＝ 80 －＞ high\n  ＜ 80 -> low\n"
        "t = table first over s, s\n  ＞ 1 ｜ any -> 1\n  otherwise -> 0\n"
        'example "e"\n  given E1 2021－01: s = 1\n'
    )
    assert _ast(wide_text) == _ast(ascii_text)


def test_a_full_width_space_is_a_space_and_two_columns_of_indentation() -> None:
    ascii_text = HEAD + "x = band s\n  above 1 -> a\n  otherwise -> b\noutput x\n"
    wide_text = HEAD + "x\u3000=\u3000band s\n\u3000above 1 -> a\n  otherwise -> b\noutput x\n"
    assert _ast(wide_text) == _ast(ascii_text)


def test_per_without_among_means_among_true_per() -> None:
    """`per F` alone groups everyone by F, as `among true per F` does."""
    team = HEAD.replace("  s : score?\n", "  s : score?\n  team : one of a, b\n")
    written = _ast(team + "r = rank(s desc per team)\nm = mean(s per team)\nc = count(per team)\n")
    spelled = _ast(
        team
        + "r = rank(s desc among true per team)\nm = mean(s among true per team)\n"
        + "c = count(among true per team)\n"
    )
    assert written == spelled
