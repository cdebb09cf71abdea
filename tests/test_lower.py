"""Lowering: parse tree -> AST. Shapes are compared by structure (spans are left out)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policyc.diagnostics import Diagnostic
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.lower import lower
from policyc.syntax.parse import parse

HEAD = 'policy "t"\nrecord\n  employee_id : id\n  period : month\n  s, u : score?\nkey employee_id, period\n'
HEAD_LINES = HEAD.count("\n")


def lowered(text: str) -> tuple[A.Policy, list[Diagnostic]]:
    src = SourceFile.of("t.policy", text)
    tree, diags = parse(src)
    assert tree is not None, [d.message for d in diags]
    return lower(tree, src)


def stmts(body: str) -> tuple[A.Stmt, ...]:
    policy, diags = lowered(HEAD + body)
    assert diags == []
    return policy.stmts[2:]


def expr(source: str) -> A.Expr:
    (d,) = stmts(f"x = {source}\n")
    assert isinstance(d, A.Def)
    return d.body


def N(name: str) -> A.Name:
    return A.Name(name)


def num(text: str) -> A.Num:
    return A.Num(Decimal(text))


def test_header_and_record_fields() -> None:
    text = (
        'policy "客服" version "2021.1"\nrecord\n  employee_id : id\n'
        "  role : one of rep, lead ?\n  a, b : score?\n  ratio : number 0..1 = 1\n"
        "  wage : money places 2\n  delta : integer -5..5\n  rate : percent = 50%\n"
        '  grade : text = "A"\n'
    )
    policy, diags = lowered(text)
    assert diags == []
    assert (policy.name, policy.version, policy.file) == ("客服", "2021.1", "t.policy")
    (rec,) = policy.stmts
    assert isinstance(rec, A.RecordDecl)
    f = {x.name: x for x in rec.fields}
    assert list(f) == ["employee_id", "role", "a", "b", "ratio", "wage", "delta", "rate", "grade"]
    assert f["role"].type == A.TypeRef("enum", ("rep", "lead"))
    assert f["role"].optional and not f["employee_id"].optional
    assert f["a"] == A.FieldDecl("a", A.TypeRef("score"), True)
    assert f["b"] == A.FieldDecl("b", A.TypeRef("score"), True)  # `a, b : score?` declares both
    assert f["ratio"].type == A.TypeRef("number", (), Decimal(0), Decimal(1))
    assert f["ratio"].default == Decimal(1) and f["ratio"].optional  # a default makes it optional
    assert f["wage"].type.places == 2
    assert (f["delta"].type.low, f["delta"].type.high) == (Decimal(-5), Decimal(5))
    assert f["rate"].default == Decimal("0.5")
    assert f["grade"].default == "A"


def test_arithmetic_precedence_and_associativity() -> None:
    assert expr("s + u * 2") == A.BinOp("+", N("s"), A.BinOp("*", N("u"), num("2")))
    assert expr("s - u - 1") == A.BinOp("-", A.BinOp("-", N("s"), N("u")), num("1"))
    assert expr("(s + u) / 2") == A.BinOp("/", A.BinOp("+", N("s"), N("u")), num("2"))
    assert expr("-5") == num("-5")  # a negative literal is folded
    assert expr("-s") == A.Neg(N("s"))
    assert expr("s × 2 ÷ u") == A.BinOp("/", A.BinOp("*", N("s"), num("2")), N("u"))


def test_logic_binds_looser_than_comparison() -> None:
    got = expr("not s > 1 and u <= 2 or s is none")
    want = A.Or(
        A.And(A.Not(A.Compare(">", N("s"), num("1"))), A.Compare("<=", N("u"), num("2"))),
        A.Is(N("s"), A.NoneLit()),
    )
    assert got == want
    assert expr("s ≥ 1") == A.Compare(">=", N("s"), num("1"))
    assert expr("s == 1") == A.Compare("=", N("s"), num("1"))
    assert expr("s ≠ 1") == A.Compare("!=", N("s"), num("1"))
    assert expr("s is not promote") == A.Is(N("s"), N("promote"), negated=True)
    assert expr("s in (a, b)") == A.In(N("s"), (N("a"), N("b")))
    assert expr("if s then 1 else none") == A.If(N("s"), num("1"), A.NoneLit())


def test_percent_literals_are_fractions_and_weights_are_percent() -> None:
    assert expr("20%") == A.Num(Decimal("0.2"), percent=True)
    assert expr("12.5％") == A.Num(Decimal("0.125"), percent=True)
    got = expr("weighted s 20%, u 80%")
    assert got == A.Weighted((A.WeightTerm(N("s"), Decimal(20)), A.WeightTerm(N("u"), Decimal(80))))


def test_record_dot_field_is_a_field_ref() -> None:
    assert expr("record.s + s") == A.BinOp("+", A.FieldRef("s"), N("s"))


def test_other_dotted_names_are_e0008() -> None:
    _policy, diags = lowered(HEAD + "x = row.s\n")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("E0008", HEAD_LINES + 1, 5)]
    assert diags[0].help == "write `record.s` for the record's field `s`"


def test_band_bound_words_become_operators() -> None:
    body = expr_block(
        "band s\n  above 80 -> a\n  at least 70 and at most 80 -> b\n"
        "  under 50 -> c\n  below 40 -> d\n  > 1 and <= 2 -> e\n  otherwise -> f\n"
    )
    assert isinstance(body, A.Table) and body.band and body.hit == "unique"
    assert body.inputs == (N("s"),)
    ops = [
        tuple(b.op for b in r.cells[0].bounds) if isinstance(r.cells[0], A.BoundsCell) else ()
        for r in body.rows
        if r.cells
    ]
    assert ops == [(">",), (">=", "<="), ("<",), ("<",), (">", "<=")]
    assert body.rows[-1] == A.Row((), N("f"), otherwise=True)
    assert body.rows[1].cells[0] == A.BoundsCell(
        (A.Bound(">=", num("70")), A.Bound("<=", num("80")))
    )


def expr_block(block: str) -> A.Expr:
    (d,) = stmts(f"x = {block}")
    assert isinstance(d, A.Def)
    return d.body


def test_decision_table_cells() -> None:
    body = expr_block(
        "table first over s, u\n  >= 85 | <= 10% -> 500\n  any | 1, 2 -> 100\n  otherwise -> 0\n"
    )
    assert isinstance(body, A.Table) and body.hit == "first" and not body.band
    assert body.inputs == (N("s"), N("u"))
    assert body.rows[0].cells == (
        A.BoundsCell((A.Bound(">=", num("85")),)),
        A.BoundsCell((A.Bound("<=", A.Num(Decimal("0.1"), True)),)),
    )
    assert body.rows[1].cells == (A.AnyCell(), A.EqualCell((num("1"), num("2"))))
    assert body.rows[2] == A.Row((), num("0"), otherwise=True)


def test_by_cases_with_several_keys_and_otherwise() -> None:
    body = expr_block("by role\n  a, b : s\n  otherwise : weighted s 50%, u 50%\n")
    assert isinstance(body, A.By) and body.subject == "role"
    assert body.cases[0] == A.Case(("a", "b"), N("s"))
    assert body.cases[1].keys == ()
    assert isinstance(body.cases[1].body, A.Weighted)


def test_calls_with_windows_orders_and_cohorts() -> None:
    assert expr("mean(s over q)") == A.Call("mean", (A.Arg(N("s")),), A.Over("q", None))
    assert expr("sum(s over last 3 months ignoring missing)") == A.Call(
        "sum", (A.Arg(N("s")),), A.Over(None, 3, True)
    )
    got = expr("rank(s desc, u asc among s > 0 per team)")
    assert got == A.Call(
        "rank",
        (A.Arg(N("s"), "desc"), A.Arg(N("u"), "asc")),
        A.Among(A.Compare(">", N("s"), num("0")), "team"),
    )
    assert expr("count(among s > 0)") == A.Call(
        "count", (), A.Among(A.Compare(">", N("s"), num("0")))
    )
    assert expr("previous(s, 2)") == A.Call("previous", (A.Arg(N("s")), A.Arg(num("2"))))


def test_ladders_windows_and_units() -> None:
    got = stmts(
        'ladder one = "A" < "B"\nladder lv by role\n  a, b : ("X" < "Y" < "Z")\n'
        "window w = every 6 months\nwindow q by role\n  a : every 3 months\n  otherwise : every 12 months\n"
    )
    assert got[0] == A.LadderDecl("one", None, (A.LadderCase((), ("A", "B")),))
    assert got[1] == A.LadderDecl("lv", "role", (A.LadderCase(("a", "b"), ("X", "Y", "Z")),))
    assert got[2] == A.WindowDecl("w", None, (A.WindowCase((), 6),))
    assert got[3] == A.WindowDecl("q", "role", (A.WindowCase(("a",), 3), A.WindowCase((), 12)))
    _policy, diags = lowered(HEAD + "window w = every 2 weeks\n")
    assert [d.code for d in diags] == ["E0006"]


def test_state_override_output_and_function() -> None:
    got = stmts(
        "state level on lv\n  start = record.level\n  up 2 when s > 90\n  down 1 when s < 50\n"
        '  becomes "X" when u is none\n'
        "override action with decision because reason\n"
        'override bonus with manual because "部门审核"\n'
        "output s, total = s + u\n"
        "pct(a, b) = a / b\n"
    )
    st = got[0]
    assert isinstance(st, A.StateDecl)
    assert (st.name, st.ladder, st.start) == ("level", "lv", A.FieldRef("level"))
    assert [(t.kind, t.steps) for t in st.transitions] == [("up", 2), ("down", 1), ("becomes", 0)]
    assert st.transitions[2].value == A.Str("X")
    assert got[1] == A.OverrideDecl("action", "decision", "reason", None)
    assert got[2] == A.OverrideDecl("bonus", "manual", None, "部门审核")
    assert got[3] == A.OutputDecl(
        (A.OutputItem("s"), A.OutputItem("total", A.BinOp("+", N("s"), N("u"))))
    )
    assert got[4] == A.Def("pct", A.BinOp("/", N("a"), N("b")), ("a", "b"))


def test_state_without_start_is_e0007() -> None:
    _policy, diags = lowered(HEAD + "state level\n  up 1 when s > 90\n")
    assert [d.code for d in diags] == ["E0007"]


def test_examples_keep_months_and_labels() -> None:
    (ex,) = stmts(
        'example "steady"\n  given E1 2021-01 to 2021-03: s = 75, role = rep, ok = true\n'
        '  expect E1 2021-03: action = stay, level = "A", avg = none\n'
    )
    assert isinstance(ex, A.Example) and ex.title == "steady"
    given, expect = ex.lines
    assert (given.kind, given.key, given.first, given.last) == ("given", "E1", "2021-01", "2021-03")
    assert given.assigns == (
        A.Assign("s", Decimal(75)),
        A.Assign("role", A.LabelValue("rep")),
        A.Assign("ok", True),
    )
    assert (expect.first, expect.last) == ("2021-03", "2021-03")
    assert expect.assigns[0].value == A.LabelValue("stay")
    assert expect.assigns[1].value == "A"
    assert expect.assigns[2].value is None


def test_spans_give_line_and_column() -> None:
    policy, _ = lowered(HEAD + "total = s +   u\n")
    d = policy.stmts[-1]
    assert isinstance(d, A.Def) and isinstance(d.body, A.BinOp)
    line = HEAD_LINES + 1
    assert (d.span.line, d.span.column) == (line, 1)
    assert (d.body.span.line, d.body.span.column) == (line, 9)
    assert (d.body.right.span.line, d.body.right.span.column) == (line, 15)
    assert d.body.right.span.where == f"t.policy:{line}"
    # equality ignores spans, so the same expression elsewhere is equal
    assert d.body == A.BinOp("+", N("s"), N("u"))


def test_spans_count_characters_not_bytes_in_chinese_lines() -> None:
    policy, _ = lowered(HEAD + "绩效 = s + 分数\n")
    d = policy.stmts[-1]
    assert isinstance(d, A.Def) and isinstance(d.body, A.BinOp)
    assert d.body.right.span.column == 10


@pytest.mark.parametrize("digits", [29, 40])
def test_numbers_with_too_many_digits_are_e0005(digits: int) -> None:
    _policy, diags = lowered(HEAD + f"x = {'9' * digits}\n")
    assert [d.code for d in diags] == ["E0005"]
