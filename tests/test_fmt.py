"""`policyc fmt`: golden layouts, meaning kept (parse(fmt(p)) == parse(p)), comments kept,
idempotence, over the bundled policies and over generated ones; and the command itself."""

from __future__ import annotations

import os
import stat
import string
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT, TESTS, UPDATE_GOLDEN, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.fmt.layout import format_policy, format_source, format_text, parse_policy
from policyc.fmt.text import FormatError, expr_text, keywords
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.parse import comments

CASES = TESTS / "fmt_cases"
BUNDLED = sorted((ROOT / "policies").glob("*.policy"))


def _ast(text: str, name: str = "t.policy") -> A.Policy:
    policy, diags = parse_policy(SourceFile.of(name, text))
    assert policy is not None and not diags, [d.message for d in diags]
    return policy


def _comment_texts(text: str) -> list[str]:
    return [c.text for c in comments(SourceFile.of("t", text))]


# ---- golden pairs -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES.glob("*.policy")), ids=lambda p: p.stem)
def test_golden_layout(case: Path) -> None:
    text = case.read_text(encoding="utf-8")
    out = format_text(text, case.name)
    golden = case.with_name(case.name + ".formatted")
    if UPDATE_GOLDEN:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")
    assert format_text(out, case.name) == out
    assert _ast(out, case.name) == _ast(text, case.name)


def test_golden_inputs_are_not_already_formatted() -> None:
    """Each case exercises the formatter: its input is not its own output."""
    for case in sorted(CASES.glob("*.policy")):
        text = case.read_text(encoding="utf-8")
        assert format_text(text, case.name) != text, case.name


# ---- the bundled policies --------------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_policy_round_trip(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = format_text(text, path.name)
    assert _ast(out, path.name) == _ast(text, path.name)
    assert _comment_texts(out) == _comment_texts(text)
    assert format_text(out, path.name) == out


# ---- layout rules, one at a time ------------------------------------------------------------------

HEAD = 'policy "t"\n\nrecord\n  employee_id : id\n  x, y : number?\n\nkey employee_id\n\n'


def test_full_width_punctuation_becomes_ascii() -> None:
    text = (
        'policy "t"\nrecord\n  a：one of p，q\n  b : number?\nc = if b ≥ 1 then （b × 2） else b\n'
    )
    out = format_text(text)
    assert "a : one of p, q" in out
    assert "c = if b >= 1 then b * 2 else b" in out
    assert not any(ch in out for ch in "：，（）≥×")


def test_precedence_parentheses_are_added_only_where_needed() -> None:
    x, y, z = A.Name("x"), A.Name("y"), A.Name("z")
    assert expr_text(A.BinOp("*", A.BinOp("+", x, y), z)) == "(x + y) * z"
    assert expr_text(A.BinOp("+", x, A.BinOp("*", y, z))) == "x + y * z"
    assert expr_text(A.BinOp("-", x, A.BinOp("-", y, z))) == "x - (y - z)"
    assert expr_text(A.BinOp("-", A.BinOp("-", x, y), z)) == "x - y - z"
    assert expr_text(A.And(A.Or(x, y), z)) == "(x or y) and z"
    assert expr_text(A.Or(A.And(x, y), z)) == "x and y or z"
    assert expr_text(A.Not(A.Compare(">", x, y))) == "not x > y"
    assert expr_text(A.Compare(">", A.Not(x), y)) == "(not x) > y"
    assert expr_text(A.Neg(A.Neg(x))) == "-(-x)"
    assert expr_text(A.BinOp("+", A.If(x, y, z), x)) == "(if x then y else z) + x"
    assert expr_text(A.Is(x, A.NoneLit(), negated=True)) == "x is not none"


def test_percent_literals_keep_their_form() -> None:
    out = format_text(HEAD + "r = x * 12.50% + 0.125\n")
    assert "r = x * 12.5% + 0.125\n" in out


def test_columns_align_by_display_width() -> None:
    text = HEAD + 'g = table first over x, y\n  >= 1 | "一二" -> 1\n  any | "a" -> 2\n'
    out = format_text(text)
    assert '  >= 1 | "一二" -> 1\n' in out
    assert '  any  | "a"    -> 2\n' in out


def test_a_long_left_side_starts_a_new_alignment_run() -> None:
    long_names = ", ".join(f"field_{i}" for i in range(7))
    text = f'policy "t"\nrecord\n  id : id\n  name : text\n  {long_names} : number?\n'
    out = format_text(text)
    assert "  id   : id\n  name : text\n" in out
    assert f"  {long_names} : number?\n" in out


def test_blank_line_inside_a_block_is_kept_and_splits_alignment() -> None:
    text = 'policy "t"\nrecord\n  a : id\n  bb : text\n\n\n  cccc : text\n'
    out = format_text(text)
    assert "  a  : id\n  bb : text\n\n  cccc : text\n" in out


def test_one_line_statements_kept_together_blocks_separated() -> None:
    text = HEAD + "a = x\nb = y\n\n\n\nc = band a\n  above 1 -> 1\n  otherwise -> 0\nd = 1\n"
    out = format_text(text)
    assert "a = x\nb = y\n\nc = band a\n" in out
    assert "otherwise -> 0\n\nd = 1\n" in out


def test_long_expression_is_wrapped_inside_parentheses() -> None:
    terms = " + ".join(f"value_{i}" for i in range(14))
    out = format_text(HEAD + f"total = {terms}\n")
    lines = out.split("total = ")[1].splitlines()
    assert lines[0].startswith("(value_0 + ")
    assert len(lines) == 2 and lines[1].startswith("         + value_")
    assert all(len(f"total = {line}") <= 100 for line in lines)
    assert _ast(out) == _ast(HEAD + f"total = {terms}\n")


def test_wrapped_call_continues_under_its_parenthesis() -> None:
    terms = " + ".join(f"value_{i}" for i in range(14))
    out = format_text(HEAD + f"total = round({terms}, 2)\n")
    first, second = out.split("total = ")[1].splitlines()[:2]
    assert first.startswith("round(value_0")
    assert second.startswith(" " * len("total = round(") + "+ value_")


def test_a_long_output_list_becomes_a_block() -> None:
    names = [f"a_rather_long_output_name_{i}" for i in range(5)]
    defs = "".join(f"{n} = x\n" for n in names)
    out = format_text(HEAD + defs + "output " + ", ".join(names) + "\n")
    assert "output\n" + "".join(f"  {n}\n" for n in names) in out


def test_trailing_comments_on_neighbouring_lines_align() -> None:
    out = format_text(HEAD + "a = 1 # one\nlonger = 2 # two\n")
    assert "a = 1       # one\nlonger = 2  # two\n" in out


def test_bound_words_and_symbols_are_kept_as_written() -> None:
    text = HEAD + "b = band x\n  under 1 -> 1\n  >= 1 and at most 2 -> 2\n  > 2 -> 3\n"
    out = format_text(text)
    assert (
        "  under 1            -> 1\n  >= 1 and at most 2 -> 2\n  > 2                -> 3\n" in out
    )


def test_a_quoted_case_key_stays_quoted_and_a_keyword_key_is_quoted() -> None:
    text = HEAD + 'k = by x\n  "A" : 1\n  B : 2\n  "otherwise" : 3\n  otherwise : 4\n'
    out = format_text(text)
    assert '  "A"         : 1\n  B           : 2\n  "otherwise" : 3\n  otherwise   : 4\n' in out


# ---- refusing to format what it cannot keep ----------------------------------------------------


def test_syntax_error_is_reported_not_formatted() -> None:
    result = format_source(SourceFile.of("t.policy", 'policy "t"\nx = = 1\n'))
    assert result.text is None
    assert result.diagnostics and result.diagnostics[0].code.startswith("E000")


def test_a_lowering_diagnostic_stops_formatting() -> None:
    """`every 3 weeks` lowers to 3 months plus a diagnostic: printing it would change it."""
    result = format_source(SourceFile.of("t.policy", HEAD + "window w = every 3 weeks\n"))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["E0006"]


def test_an_unquotable_label_is_refused() -> None:
    policy = A.Policy("t", None, (A.Def("a", A.Str('x"y”z')),))
    with pytest.raises(FormatError):
        format_policy(policy)


# ---- property tests: generated policies ----------------------------------------------------------

_WORDS = [
    w
    for w in ["a", "b", "score", "rate", "total_pay", "级别", "绩效", "x1", "role", "q"]
    if w not in keywords()
]
names = st.sampled_from(_WORDS)
texts = st.text(
    alphabet=string.ascii_letters + string.digits + " :#%-_.,()级别客服代表", max_size=12
)
decimals = st.decimals(
    min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False
)
plain_decimals = st.decimals(
    min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False
)
months = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2000, 2030), st.integers(1, 12))


def _num(value: Decimal, percent: bool) -> A.Num:
    return A.Num(value / 100 if percent else value, percent)


leaves = st.one_of(
    st.builds(_num, decimals, st.booleans()),
    st.builds(A.Str, texts),
    st.builds(A.Bool, st.booleans()),
    st.just(A.NoneLit()),
    st.builds(A.Name, names),
    st.builds(A.FieldRef, names),
)


def _compound(inner: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    not_number = inner.filter(lambda e: not isinstance(e, A.Num | A.Neg))  # `-5` lowers to Num
    clause = st.one_of(
        st.none(),
        st.builds(A.Over, names, st.none(), st.booleans()),
        st.builds(A.Over, st.none(), st.integers(1, 24), st.booleans()),
        st.builds(A.Among, inner, st.one_of(st.none(), names)),
    )
    arg = st.builds(A.Arg, inner, st.sampled_from([None, "asc", "desc"]))
    return st.one_of(
        st.builds(A.BinOp, st.sampled_from(["+", "-", "*", "/"]), inner, inner),
        st.builds(A.Neg, not_number),
        st.builds(A.Compare, st.sampled_from(["<", "<=", ">", ">=", "=", "!="]), inner, inner),
        st.builds(A.Is, inner, inner, st.booleans()),
        st.builds(A.In, inner, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(A.And, inner, inner),
        st.builds(A.Or, inner, inner),
        st.builds(A.Not, inner),
        st.builds(A.If, inner, inner, inner),
        st.builds(A.Call, names, st.lists(arg, max_size=3).map(tuple), clause),
    )


exprs = st.recursive(leaves, _compound, max_leaves=8)
case_keys = st.lists(st.one_of(names, texts.filter(bool), decimals), min_size=1, max_size=2)
literals = st.one_of(
    st.none(),
    st.booleans(),
    decimals,
    texts,
    months,
    st.builds(A.LabelValue, names),
)
weighted = st.builds(
    A.Weighted,
    st.lists(st.builds(A.WeightTerm, exprs, plain_decimals), min_size=1, max_size=3).map(tuple),
)
bounds_cell = st.builds(
    A.BoundsCell,
    st.lists(
        st.builds(A.Bound, st.sampled_from([">", ">=", "<", "<=", "="]), exprs),
        min_size=1,
        max_size=2,
    ).map(tuple),
)
cells = st.one_of(
    st.just(A.AnyCell()),
    bounds_cell,
    st.builds(A.EqualCell, st.lists(exprs, min_size=1, max_size=2).map(tuple)),
)


@st.composite
def tables(draw: st.DrawFn) -> A.Table:
    if draw(st.booleans()):
        rows = draw(
            st.lists(
                st.builds(lambda c, r: A.Row((c,), r), bounds_cell, exprs), min_size=1, max_size=3
            )
        )
        inputs: tuple[A.Expr, ...] = (draw(exprs),)
        hit, band = "unique", True
    else:
        inputs = tuple(draw(st.lists(exprs, min_size=1, max_size=3)))
        row = st.builds(
            A.Row, st.lists(cells, min_size=len(inputs), max_size=len(inputs)).map(tuple), exprs
        )
        rows = draw(st.lists(row, min_size=1, max_size=3))
        hit, band = draw(st.sampled_from(["first", "unique"])), False
    if draw(st.booleans()):
        rows.append(A.Row((), draw(exprs), True))
    return A.Table(hit, inputs, tuple(rows), band)


@st.composite
def bys(draw: st.DrawFn) -> A.By:
    body = st.one_of(exprs, weighted)
    cases = draw(st.lists(st.builds(A.Case, case_keys.map(tuple), body), min_size=1, max_size=3))
    if draw(st.booleans()):
        cases.append(A.Case((), draw(body)))
    return A.By(draw(names), tuple(cases))


@st.composite
def fields(draw: st.DrawFn) -> A.FieldDecl:
    kind = draw(st.sampled_from(["id", "text", "number", "score", "money", "month", "enum"]))
    if kind == "enum":
        ref = A.TypeRef("enum", tuple(draw(st.lists(names, min_size=1, max_size=3))))
    elif kind in ("number", "money") and draw(st.booleans()):
        low, high = sorted(draw(st.lists(decimals, min_size=2, max_size=2)))
        places = draw(st.one_of(st.none(), st.integers(0, 4)))
        ref = A.TypeRef(kind, (), low, high, places)
    else:
        ref = A.TypeRef(kind)
    default = draw(st.one_of(st.none(), literals))
    optional = default is not None or draw(st.booleans())
    return A.FieldDecl(draw(names), ref, optional, default)


@st.composite
def example_lines(draw: st.DrawFn) -> A.ExampleLine:
    key = draw(st.one_of(names, texts.filter(bool), st.integers(0, 999).map(str)))
    first = draw(st.one_of(st.none(), months))
    last = first if first is None or draw(st.booleans()) else draw(months)
    assigns = st.builds(A.Assign, names, literals)
    return A.ExampleLine(
        draw(st.sampled_from(["given", "expect"])),
        key,
        first,
        last,
        tuple(draw(st.lists(assigns, min_size=1, max_size=3))),
    )


steps = st.lists(texts, min_size=1, max_size=3).map(tuple)
stmts = st.one_of(
    st.builds(A.RecordDecl, st.lists(fields(), min_size=1, max_size=4).map(tuple)),
    st.builds(A.KeyDecl, st.lists(names, min_size=1, max_size=2).map(tuple)),
    st.builds(lambda n, s: A.LadderDecl(n, None, (A.LadderCase((), s),)), names, steps),
    st.builds(
        A.LadderDecl,
        names,
        names,
        st.lists(st.builds(A.LadderCase, case_keys.map(tuple), steps), min_size=1, max_size=3).map(
            tuple
        ),
    ),
    st.builds(
        lambda n, m: A.WindowDecl(n, None, (A.WindowCase((), m),)), names, st.integers(1, 12)
    ),
    st.builds(
        A.WindowDecl,
        names,
        names,
        st.lists(
            st.builds(A.WindowCase, case_keys.map(tuple), st.integers(1, 12)),
            min_size=1,
            max_size=3,
        ).map(tuple),
    ),
    st.builds(A.Def, names, st.one_of(exprs, weighted, tables(), bys())),
    st.builds(
        A.Def,
        names,
        st.one_of(exprs, tables()),
        st.lists(names, min_size=1, max_size=2).map(tuple),
    ),
    st.builds(
        A.StateDecl,
        names,
        st.one_of(st.none(), names),
        exprs,
        st.lists(
            st.one_of(
                st.builds(A.Transition, st.sampled_from(["up", "down"]), exprs, st.integers(0, 3)),
                st.builds(lambda c, v: A.Transition("becomes", c, 0, v), exprs, exprs),
            ),
            max_size=2,
        ).map(tuple),
    ),
    st.builds(
        A.OverrideDecl,
        names,
        names,
        st.one_of(st.none(), names),
        st.none(),
    ),
    st.builds(lambda t, f, r: A.OverrideDecl(t, f, None, r), names, names, texts),
    st.builds(
        A.OutputDecl,
        st.lists(
            st.builds(A.OutputItem, names, st.one_of(st.none(), exprs)), min_size=1, max_size=3
        ).map(tuple),
    ),
    st.builds(A.Example, texts, st.lists(example_lines(), min_size=1, max_size=3).map(tuple)),
)


@st.composite
def policies(draw: st.DrawFn) -> A.Policy:
    # a composite keeps hypothesis's description of the strategy short in failure reports
    name, version = draw(texts.filter(bool)), draw(st.one_of(st.none(), texts))
    return A.Policy(name, version, tuple(draw(st.lists(stmts, max_size=5))), "gen.policy")


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# hypothesis describes each generated policy; a big one only earns a warning about its size
QUIET_REPR = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@QUIET_REPR
@PROPERTY
@given(policies())
def test_generated_policy_prints_to_text_that_parses_back_to_it(policy: A.Policy) -> None:
    text = format_policy(policy)
    assert _ast(text, "gen.policy") == policy
    assert format_text(text, "gen.policy") == text


@st.composite
def commented(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A generated policy's text with comments dropped in: trailing and on their own lines."""
    text = format_policy(draw(policies()))
    out, added = [], []
    for n, line in enumerate(text.splitlines()):
        mark = f"# note {n}"
        where = draw(st.sampled_from(["none", "none", "own", "trailing"]))
        if where == "own":
            out.append(" " * draw(st.sampled_from([0, 2, 5])) + mark)
            added.append(mark)
        out.append(line + (f"   {mark}" if where == "trailing" else ""))
        if where == "trailing":
            added.append(mark)
    return "\n".join(out) + "\n", added


@QUIET_REPR
@PROPERTY
@given(commented())
def test_comments_survive_formatting_in_order(case: tuple[str, list[str]]) -> None:
    text, added = case
    out = format_text(text, "gen.policy")
    assert _comment_texts(out) == added
    assert _ast(out, "gen.policy") == _ast(text, "gen.policy")
    assert format_text(out, "gen.policy") == out


# ---- the command -----------------------------------------------------------------------------------

MESSY = 'policy "t"\nrecord\n  employee_id:id  # the id\n  s : score?\nkey employee_id\nx=s*2\n'


def test_check_reports_a_diff_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text(MESSY, encoding="utf-8")
    proc = run_cli("fmt", "--check", path)
    assert proc.returncode == 1
    assert "-x=s*2" in proc.stdout and "+x = s * 2" in proc.stdout
    assert "not formatted" in proc.stderr
    assert path.read_text(encoding="utf-8") == MESSY


def test_fmt_rewrites_in_place_keeping_mode_then_check_passes(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text(MESSY, encoding="utf-8")
    os.chmod(path, 0o640)
    proc = run_cli("fmt", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text(encoding="utf-8") == format_text(MESSY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["p.policy"]  # no temporary file left
    again = run_cli("fmt", "--check", path)
    assert again.returncode == 0 and again.stdout == ""


def test_fmt_leaves_a_broken_or_non_utf8_file_alone(tmp_path: Path) -> None:
    broken = tmp_path / "broken.policy"
    broken.write_text('policy "t"\nx = = 1\n', encoding="utf-8")
    latin = tmp_path / "latin.policy"
    latin.write_bytes(b'policy "caf\xe9"\n')
    proc = run_cli("fmt", broken, latin)
    assert proc.returncode == 1
    assert "error[E0002]" in proc.stderr and "not UTF-8" in proc.stderr
    assert broken.read_text(encoding="utf-8") == 'policy "t"\nx = = 1\n'
    assert latin.read_bytes() == b'policy "caf\xe9"\n'


def test_fmt_usage_error_for_a_missing_path(tmp_path: Path) -> None:
    proc = run_cli("fmt", tmp_path / "nope.policy")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_fmt_reads_standard_input() -> None:
    import subprocess

    from conftest import policyc_command

    proc = subprocess.run(
        [*policyc_command(), "fmt", "-"],
        input=MESSY,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout == format_text(MESSY)


def test_crlf_passes_check_and_a_rewrite_writes_lf(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    formatted = format_text(MESSY)
    path.write_bytes(formatted.replace("\n", "\r\n").encode("utf-8"))
    assert run_cli("fmt", "--check", path).returncode == 0
    assert b"\r\n" in path.read_bytes()
    assert run_cli("fmt", path).returncode == 0
    assert path.read_bytes() == formatted.encode("utf-8")


def test_the_layout_shown_in_the_authoring_guide_is_formatted() -> None:
    import re

    guide = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    samples = re.findall(r"```\n(policy .*?)```", guide, re.S)
    assert samples
    for sample in samples:
        assert format_text(sample) == sample


def test_a_second_start_line_is_not_silently_dropped() -> None:
    """The parser keeps one `start =` of a state; formatting must not delete the other."""
    text = 'policy "t"\nstate s\n  start = 1\n  # the second\n  start = 2\n'
    result = format_source(SourceFile.of("t.policy", text))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["E0010"]
