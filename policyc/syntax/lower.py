"""Parse tree -> AST. Punctuation is dropped here; every node keeps its span."""

from __future__ import annotations

import dataclasses
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from policyc.diagnostics import Diagnostic, error, warning
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.walk import children

MAX_NUMBER_DIGITS = 28
# Counts written in a policy: decimal places (as many as a number may have digits), months of a
# window or look-back (a century), levels one rule moves.
MAX_PLACES = MAX_NUMBER_DIGITS
MAX_MONTHS = 1200
MAX_STEPS = 1000
# A function is inlined at each call, so calls can multiply a short text into a huge or
# very deep expression (`f2(v) = f1(v) + f1(v)`, `f3(v) = f2(v) + f2(v)`, ...). Bounds on
# a definition's expression once every call in it is inlined (the bundled policies stay
# under 30 nodes and 10 levels):
MAX_INLINED_NODES = 20_000
MAX_INLINED_DEPTH = 100
MAX_INLINED_TOTAL = 200_000  # the whole policy
PUNCT = {"COLON", "COMMA", "LPAR", "RPAR", "ARROW", "BAR", "LT", "QMARK"}

_OPS = {
    "≤": "<=",
    "≥": ">=",
    "≦": "<=",
    "≧": ">=",
    "≠": "!=",
    "==": "=",
    "×": "*",
    "÷": "/",
    "−": "-",
}


def _op(text: str) -> str:
    # NFKC turns the full-width forms (＜＝, ＋, ！＝ ...) into their ASCII ones
    plain = unicodedata.normalize("NFKC", text)
    return _OPS.get(plain, plain)


def _month(tok: Token) -> str:
    return unicodedata.normalize("NFKC", str(tok))  # 2021－03 (full-width hyphen) is 2021-03


def _toks(children: list[Any]) -> list[Any]:
    return [c for c in children if not (isinstance(c, Token) and c.type in PUNCT)]


class LowerError(Exception):
    def __init__(self, diag: Diagnostic) -> None:
        super().__init__(diag.message)
        self.diag = diag


@v_args(meta=True)
class _Lower(Transformer[Token, Any]):
    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.src = source
        self.diags: list[Diagnostic] = []

    # -- helpers
    def sp(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return self.src.span(0, 0)
        return self.src.span(meta.start_pos, meta.end_pos)

    def tsp(self, tok: Token) -> Span:
        start = tok.start_pos or 0
        return self.src.span(start, tok.end_pos if tok.end_pos is not None else start)

    def dec(self, tok: Token) -> Decimal:
        text = unicodedata.normalize("NFKC", str(tok)).rstrip("%")
        digits = len(text.replace(".", ""))
        if digits > MAX_NUMBER_DIGITS:
            self.diags.append(
                error(
                    "E0005",
                    f"number `{tok}` has {digits} digits; the limit is {MAX_NUMBER_DIGITS}",
                    self.tsp(tok),
                    "write a smaller number",
                )
            )
            return Decimal(0)
        try:
            return Decimal(text)
        except InvalidOperation:
            self.diags.append(error("E0005", f"`{tok}` is not a number", self.tsp(tok)))
            return Decimal(0)

    def count(self, tok: Token, limit: int, what: str, stand_in: int | None = None) -> int:
        """A whole number that counts something (places, months, levels): past `limit` it
        means nothing, and a huge one would make later stages build huge things. Once
        reported it becomes `stand_in` (else the limit), chosen to raise no second error."""
        if len(str(tok)) > len(str(limit)) or int(unicodedata.normalize("NFKC", tok)) > limit:
            self.diags.append(
                error(
                    "E0005",
                    f"`{tok}` {what} is more than the limit of {limit}",
                    self.tsp(tok),
                    f"write the number of {what} you meant",
                )
            )
            return limit if stand_in is None else stand_in
        return int(unicodedata.normalize("NFKC", tok))

    # -- top level
    def start(self, meta: Meta, ch: list[Any]) -> A.Policy:
        name, version = "", None
        stmts = []
        for c in ch:
            if isinstance(c, tuple) and c and c[0] == "header":
                name, version = c[1], c[2]
            else:
                stmts.append(c)
        return A.Policy(name, version, tuple(stmts), self.src.name, self.sp(meta))

    def header(self, meta: Meta, ch: list[Any]) -> tuple[str, str, str | None]:
        strs = [str(c)[1:-1] for c in ch]
        return ("header", strs[0], strs[1] if len(strs) > 1 else None)

    # -- record
    def record_decl(self, meta: Meta, ch: list[Any]) -> A.RecordDecl:
        fields = [f for group in ch for f in group]
        return A.RecordDecl(tuple(fields), self.sp(meta))

    def field_decl(self, meta: Meta, ch: list[Any]) -> list[A.FieldDecl]:
        names, type_ref = ch[0], ch[2]
        optional = any(isinstance(c, Token) and c.type == "QMARK" for c in ch)
        default = next((c[1] for c in ch if isinstance(c, tuple) and c[0] == "default"), None)
        span = self.sp(meta)
        return [
            A.FieldDecl(n, type_ref, optional or default is not None, default, span) for n in names
        ]

    def default(self, meta: Meta, ch: list[Any]) -> tuple[str, object]:
        return ("default", ch[0])

    def enum_type(self, meta: Meta, ch: list[Any]) -> A.TypeRef:
        return A.TypeRef("enum", tuple(ch[0]), span=self.sp(meta))

    def named_type(self, meta: Meta, ch: list[Any]) -> A.TypeRef:
        kind = str(ch[0])
        low = high = None
        places = None
        for c in ch[1:]:
            if isinstance(c, tuple) and c[0] == "range":
                low, high = c[1], c[2]
            elif isinstance(c, tuple) and c[0] == "places":
                places = c[1]
        return A.TypeRef(kind, (), low, high, places, self.sp(meta))

    def range(self, meta: Meta, ch: list[Any]) -> tuple[str, Decimal, Decimal]:
        return ("range", ch[0], ch[1])

    def places(self, meta: Meta, ch: list[Any]) -> tuple[str, int]:
        return ("places", self.count(ch[0], MAX_PLACES, "decimal places"))

    def signed_number(self, meta: Meta, ch: list[Any]) -> Decimal:
        value = self.dec(ch[-1])
        return -value if len(ch) == 2 else value

    def literal(self, meta: Meta, ch: list[Any]) -> object:
        if not ch:
            text = self.src.text[meta.start_pos : meta.end_pos]
            return {"true": True, "false": False}.get(text)
        c = ch[0]
        if isinstance(c, Decimal):
            return c
        if c.type == "PERCENT":
            return self.dec(c) / 100
        if c.type == "STRING":
            return str(c)[1:-1]
        if c.type == "MONTH":
            return _month(c)
        return A.LabelValue(str(c))

    def key_decl(self, meta: Meta, ch: list[Any]) -> A.KeyDecl:
        return A.KeyDecl(tuple(ch[0]), self.sp(meta))

    def name_list(self, meta: Meta, ch: list[Any]) -> list[str]:
        return [str(c) for c in _toks(ch)]

    # -- ladders and windows
    def steps(self, meta: Meta, ch: list[Any]) -> tuple[str, ...]:
        return tuple(str(c)[1:-1] for c in _toks(ch))

    def ladder_single(self, meta: Meta, ch: list[Any]) -> A.LadderDecl:
        span = self.sp(meta)
        return A.LadderDecl(str(ch[0]), None, (A.LadderCase((), ch[1], span),), span)

    def ladder_by(self, meta: Meta, ch: list[Any]) -> A.LadderDecl:
        return A.LadderDecl(str(ch[0]), str(ch[1]), tuple(ch[2:]), self.sp(meta))

    def ladder_case(self, meta: Meta, ch: list[Any]) -> A.LadderCase:
        ch = _toks(ch)
        return A.LadderCase(ch[0], ch[1], self.sp(meta))

    def window_spec(self, meta: Meta, ch: list[Any]) -> int:
        unit = str(ch[1])
        if unit not in ("month", "months"):
            self.diags.append(
                error(
                    "E0006",
                    f"unknown unit `{unit}`",
                    self.tsp(ch[1]),
                    "windows are counted in `months`",
                )
            )
        return self.count(ch[0], MAX_MONTHS, "months", 12)

    def window_single(self, meta: Meta, ch: list[Any]) -> A.WindowDecl:
        span = self.sp(meta)
        return A.WindowDecl(str(ch[0]), None, (A.WindowCase((), ch[1], span),), span)

    def window_by(self, meta: Meta, ch: list[Any]) -> A.WindowDecl:
        return A.WindowDecl(str(ch[0]), str(ch[1]), tuple(ch[2:]), self.sp(meta))

    def window_case(self, meta: Meta, ch: list[Any]) -> A.WindowCase:
        ch = _toks(ch)
        return A.WindowCase(ch[0], ch[1], self.sp(meta))

    def case_keys(self, meta: Meta, ch: list[Any]) -> tuple[A.CaseKey, ...]:
        out: list[A.CaseKey] = []
        for c in _toks(ch):
            if isinstance(c, Decimal):
                out.append(c)
            elif c.type == "STRING":
                out.append(str(c)[1:-1])
            else:
                out.append(str(c))
        return tuple(out)

    def otherwise_keys(self, meta: Meta, ch: list[Any]) -> tuple[A.CaseKey, ...]:
        return ()

    # -- definitions
    def def_stmt(self, meta: Meta, ch: list[Any]) -> A.Def:
        return A.Def(str(ch[0]), ch[1], (), self.sp(meta))

    def func_def(self, meta: Meta, ch: list[Any]) -> A.Def:
        ch = _toks(ch)
        return A.Def(str(ch[0]), ch[2], tuple(ch[1]), self.sp(meta))

    def weighted(self, meta: Meta, ch: list[Any]) -> A.Weighted:
        return A.Weighted(tuple(_toks(ch)), self.sp(meta))

    def weight_term(self, meta: Meta, ch: list[Any]) -> A.WeightTerm:
        return A.WeightTerm(ch[0], self.dec(ch[1]), self.sp(meta))

    def band_block(self, meta: Meta, ch: list[Any]) -> A.Table:
        return A.Table("unique", (ch[0],), tuple(ch[1:]), True, self.sp(meta))

    def band_row(self, meta: Meta, ch: list[Any]) -> A.Row:
        ch = _toks(ch)
        return A.Row((ch[0],), ch[1], False, self.sp(meta))

    def otherwise_row(self, meta: Meta, ch: list[Any]) -> A.Row:
        return A.Row((), _toks(ch)[0], True, self.sp(meta))

    def bounds(self, meta: Meta, ch: list[Any]) -> A.BoundsCell:
        return A.BoundsCell(tuple(ch), self.sp(meta))

    def bound(self, meta: Meta, ch: list[Any]) -> A.Bound:
        return A.Bound(_op(str(ch[0])), ch[1], self.sp(meta))  # type: ignore[arg-type]

    def bound_above(self, meta: Meta, ch: list[Any]) -> A.Bound:
        return A.Bound(">", ch[0], self.sp(meta))

    def bound_below(self, meta: Meta, ch: list[Any]) -> A.Bound:
        return A.Bound("<", ch[0], self.sp(meta))

    def bound_at_least(self, meta: Meta, ch: list[Any]) -> A.Bound:
        return A.Bound(">=", ch[0], self.sp(meta))

    def bound_at_most(self, meta: Meta, ch: list[Any]) -> A.Bound:
        return A.Bound("<=", ch[0], self.sp(meta))

    def table_block(self, meta: Meta, ch: list[Any]) -> A.Table:
        hit = str(ch[0])
        inputs = ch[1]
        return A.Table(hit, tuple(inputs), tuple(ch[2:]), False, self.sp(meta))  # type: ignore[arg-type]

    def table_row(self, meta: Meta, ch: list[Any]) -> A.Row:
        ch = _toks(ch)
        return A.Row(tuple(ch[:-1]), ch[-1], False, self.sp(meta))

    def any_cell(self, meta: Meta, ch: list[Any]) -> A.AnyCell:
        return A.AnyCell(self.sp(meta))

    def equal_cell(self, meta: Meta, ch: list[Any]) -> A.EqualCell:
        return A.EqualCell(tuple(_toks(ch)), self.sp(meta))

    def by_block(self, meta: Meta, ch: list[Any]) -> A.By:
        return A.By(str(ch[0]), tuple(ch[1:]), self.sp(meta))

    def by_case(self, meta: Meta, ch: list[Any]) -> A.Case:
        ch = _toks(ch)
        return A.Case(ch[0], ch[1], self.sp(meta))

    # -- state, overrides, outputs
    def state_decl(self, meta: Meta, ch: list[Any]) -> A.StateDecl:
        name = str(ch[0])
        ladder = str(ch[1]) if len(ch) > 1 and isinstance(ch[1], Token) else None
        clauses = [c for c in ch[1:] if not isinstance(c, Token)]
        starts = [c[1] for c in clauses if isinstance(c, tuple)]
        span = self.sp(meta)
        if not starts:
            self.diags.append(
                error(
                    "E0007",
                    f"state `{name}` has no `start = ...` line",
                    span,
                    "say where the first value comes from, e.g. `start = record." + name + "`",
                )
            )
        if len(starts) > 1:
            self.diags.append(
                error(
                    "E0010",
                    f"state `{name}` has {len(starts)} `start = ...` lines",
                    span,
                    "keep one: the first value of a state comes from one place",
                )
            )
        start = starts[0] if starts else A.NoneLit(span)
        trans = tuple(c for c in clauses if isinstance(c, A.Transition))
        return A.StateDecl(name, ladder, start, trans, span)

    def state_start(self, meta: Meta, ch: list[Any]) -> tuple[str, Any]:
        return ("start", ch[0])

    def state_up(self, meta: Meta, ch: list[Any]) -> A.Transition:
        return A.Transition(
            "up", ch[1], self.count(ch[0], MAX_STEPS, "levels"), None, self.sp(meta)
        )

    def state_down(self, meta: Meta, ch: list[Any]) -> A.Transition:
        steps = self.count(ch[0], MAX_STEPS, "levels")
        return A.Transition("down", ch[1], steps, None, self.sp(meta))

    def state_becomes(self, meta: Meta, ch: list[Any]) -> A.Transition:
        return A.Transition("becomes", ch[1], 0, ch[0], self.sp(meta))

    def override_decl(self, meta: Meta, ch: list[Any]) -> A.OverrideDecl:
        reason_field = reason_text = None
        if len(ch) > 2:
            if ch[2].type == "STRING":
                reason_text = str(ch[2])[1:-1]
            else:
                reason_field = str(ch[2])
        return A.OverrideDecl(str(ch[0]), str(ch[1]), reason_field, reason_text, self.sp(meta))

    def output_decl(self, meta: Meta, ch: list[Any]) -> A.OutputDecl:
        return A.OutputDecl(tuple(_toks(ch)), self.sp(meta))

    def out_item(self, meta: Meta, ch: list[Any]) -> A.OutputItem:
        return A.OutputItem(str(ch[0]), ch[1] if len(ch) > 1 else None, self.sp(meta))

    # -- examples
    def example_decl(self, meta: Meta, ch: list[Any]) -> A.Example:
        return A.Example(str(ch[0])[1:-1], tuple(ch[1:]), self.sp(meta))

    def _example_line(self, kind: str, meta: Meta, ch: list[Any]) -> A.ExampleLine:
        ch = _toks(ch)
        key, first, last = ch[0]
        return A.ExampleLine(kind, key, first, last, ch[1], self.sp(meta))  # type: ignore[arg-type]

    def given(self, meta: Meta, ch: list[Any]) -> A.ExampleLine:
        return self._example_line("given", meta, ch)

    def expect(self, meta: Meta, ch: list[Any]) -> A.ExampleLine:
        return self._example_line("expect", meta, ch)

    def example_key(self, meta: Meta, ch: list[Any]) -> tuple[str, str | None, str | None]:
        key = str(ch[0])
        if ch[0].type == "INT":
            key = unicodedata.normalize("NFKC", key)  # `１２３` is employee 123 (W0012)
        key = key[1:-1] if key.startswith('"') else key
        months = [_month(c) for c in ch[1:]]
        first = months[0] if months else None
        last = months[1] if len(months) > 1 else first
        return key, first, last

    def assigns(self, meta: Meta, ch: list[Any]) -> tuple[A.Assign, ...]:
        return tuple(_toks(ch))

    def assign(self, meta: Meta, ch: list[Any]) -> A.Assign:
        return A.Assign(str(ch[0]), ch[1], self.sp(meta))

    # -- expressions
    def if_expr(self, meta: Meta, ch: list[Any]) -> A.If:
        return A.If(ch[0], ch[1], ch[2], self.sp(meta))

    def or_(self, meta: Meta, ch: list[Any]) -> A.Or:
        return A.Or(ch[0], ch[1], self.sp(meta))

    def and_(self, meta: Meta, ch: list[Any]) -> A.And:
        return A.And(ch[0], ch[1], self.sp(meta))

    def not_(self, meta: Meta, ch: list[Any]) -> A.Not:
        return A.Not(ch[0], self.sp(meta))

    def compare(self, meta: Meta, ch: list[Any]) -> A.Compare:
        return A.Compare(_op(str(ch[1])), ch[0], ch[2], self.sp(meta))  # type: ignore[arg-type]

    def is_(self, meta: Meta, ch: list[Any]) -> A.Is:
        return A.Is(ch[0], ch[1], False, self.sp(meta))

    def is_not(self, meta: Meta, ch: list[Any]) -> A.Is:
        return A.Is(ch[0], ch[1], True, self.sp(meta))

    def in_(self, meta: Meta, ch: list[Any]) -> A.In:
        ch = _toks(ch)
        return A.In(ch[0], tuple(ch[1]), self.sp(meta))

    def binop(self, meta: Meta, ch: list[Any]) -> A.BinOp:
        return A.BinOp(_op(str(ch[1])), ch[0], ch[2], self.sp(meta))  # type: ignore[arg-type]

    def neg(self, meta: Meta, ch: list[Any]) -> A.Expr:
        operand = ch[1]
        if isinstance(operand, A.Num):
            return A.Num(-operand.value, operand.percent, self.sp(meta))
        return A.Neg(operand, self.sp(meta))

    def number(self, meta: Meta, ch: list[Any]) -> A.Num:
        return A.Num(self.dec(ch[0]), False, self.sp(meta))

    def percent(self, meta: Meta, ch: list[Any]) -> A.Num:
        return A.Num(self.dec(ch[0]) / 100, True, self.sp(meta))

    def string(self, meta: Meta, ch: list[Any]) -> A.Str:
        return A.Str(str(ch[0])[1:-1], self.sp(meta))

    def true(self, meta: Meta, ch: list[Any]) -> A.Bool:
        return A.Bool(True, self.sp(meta))

    def false(self, meta: Meta, ch: list[Any]) -> A.Bool:
        return A.Bool(False, self.sp(meta))

    def none(self, meta: Meta, ch: list[Any]) -> A.NoneLit:
        return A.NoneLit(self.sp(meta))

    def paren(self, meta: Meta, ch: list[Any]) -> Any:
        return _toks(ch)[0]

    def name(self, meta: Meta, ch: list[Any]) -> A.Name:
        return A.Name(str(ch[0]), self.sp(meta))

    def field_ref(self, meta: Meta, ch: list[Any]) -> A.Expr:
        if str(ch[0]) != "record":
            self.diags.append(
                error(
                    "E0008",
                    f"`{ch[0]}.{ch[1]}` is not a record field reference",
                    self.sp(meta),
                    f"write `record.{ch[1]}` for the record's field `{ch[1]}`",
                )
            )
        return A.FieldRef(str(ch[1]), self.sp(meta))

    def call(self, meta: Meta, ch: list[Any]) -> A.Call:
        ch = _toks(ch)
        args: tuple[A.Arg, ...] = ()
        clause = None
        if len(ch) > 1:
            args, clause = ch[1]
        return A.Call(str(ch[0]), args, clause, self.sp(meta))

    def call_args(self, meta: Meta, ch: list[Any]) -> tuple[tuple[A.Arg, ...], Any]:
        ch = _toks(ch)
        clause = None
        if ch and isinstance(ch[-1], A.Over | A.Among):
            clause = ch.pop()
        return tuple(ch), clause

    def call_arg(self, meta: Meta, ch: list[Any]) -> A.Arg:
        order = str(ch[1]) if len(ch) > 1 else None
        return A.Arg(ch[0], order, self.sp(meta))  # type: ignore[arg-type]

    def over(self, meta: Meta, ch: list[Any]) -> A.Over:
        window, last = ch[0]
        # `ignoring missing` is the only way the clause has more than the window
        ignoring = any(isinstance(c, Token) and c.type == "IGNORING" for c in ch)
        return A.Over(window, last, ignoring, self.sp(meta))

    def window_named(self, meta: Meta, ch: list[Any]) -> tuple[str | None, int | None]:
        return str(ch[0]), None

    def window_last(self, meta: Meta, ch: list[Any]) -> tuple[str | None, int | None]:
        if str(ch[1]) not in ("month", "months"):
            self.diags.append(
                error("E0006", f"unknown unit `{ch[1]}`", self.tsp(ch[1]), "write `last N months`")
            )
        return None, self.count(ch[0], MAX_MONTHS, "months", 12)

    def among(self, meta: Meta, ch: list[Any]) -> A.Among:
        per = str(ch[1]) if len(ch) > 1 else None
        return A.Among(ch[0], per, self.sp(meta))

    def per_only(self, meta: Meta, ch: list[Any]) -> A.Among:
        """`per F` alone means `among true per F`: everyone, grouped by F. The condition
        no one wrote gets an empty span (see `implicit_condition`)."""
        start = meta.start_pos
        return A.Among(A.Bool(True, self.src.span(start, start)), str(ch[0]), self.sp(meta))

    def expr_list(self, meta: Meta, ch: list[Any]) -> list[Any]:
        return _toks(ch)


def implicit_condition(clause: A.Among) -> bool:
    """True for `per F` written without `among`: its condition `true` has no text."""
    c = clause.cond
    return (
        clause.per is not None and isinstance(c, A.Bool) and c.value and c.span.start == c.span.end
    )


def lower(tree: Tree[Token], source: SourceFile) -> tuple[A.Policy, list[Diagnostic]]:
    """Turn Lark's parse tree into the AST, with any number-size and unit diagnostics."""
    lw = _Lower(source)
    policy = lw.transform(tree)
    lw.diags.extend(_wide_digits(tree, source))
    return _bound_inlining(policy, source, lw.diags), lw.diags


WIDE_DIGITS = frozenset("０１２３４５６７８９")
NUMERIC_TOKENS = frozenset({"INT", "NUMBER", "PERCENT", "MONTH"})
MAX_WIDE_REPORTS = 10  # as parse.MAX_CHARACTER_REPORTS: then one summary line


def _wide_digits(tree: Tree[Token], source: SourceFile) -> list[Diagnostic]:
    """W0012 for numbers typed with full-width digits (`８０`). They are read as their
    ASCII twins, as full-width punctuation is; `policyc fmt` rewrites them in ASCII."""
    wide = [
        t
        for t in tree.scan_values(lambda v: isinstance(v, Token) and v.type in NUMERIC_TOKENS)
        if not WIDE_DIGITS.isdisjoint(t)
    ]
    out = []
    for tok in wide[:MAX_WIDE_REPORTS]:
        start = tok.start_pos or 0
        plain = unicodedata.normalize("NFKC", str(tok))
        out.append(
            warning(
                "W0012",
                f"`{tok}` is written with full-width digits; it reads as `{plain}`",
                source.span(start, start + len(tok)),
                "`policyc fmt` writes it with the digits 0-9",
            )
        )
    if len(wide) > MAX_WIDE_REPORTS:
        more = len(wide) - MAX_WIDE_REPORTS
        start = wide[MAX_WIDE_REPORTS].start_pos or 0
        out.append(
            warning(
                "W0012",
                f"{more} more number{'s' * (more != 1)} are written with full-width digits",
                source.span(start, start + 1),
                "`policyc fmt` writes them all with the digits 0-9",
            )
        )
    return out


def _calls(e: A.Expr, funcs: dict[str, A.Def]) -> list[str]:
    out, stack = [], [e]
    while stack:
        x = stack.pop()
        if isinstance(x, A.Call) and x.func in funcs:
            out.append(x.func)
        stack.extend(children(x))
    return sorted(set(out))


def _inlined(e: A.Expr, sizes: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(nodes, depth) of `e` with every measured function call inlined; no recursion."""
    nodes, deepest = 0, 0
    stack = [(e, 1)]
    while stack:
        x, depth = stack.pop()
        more_nodes, more_depth = sizes.get(x.func, (0, 0)) if isinstance(x, A.Call) else (0, 0)
        nodes += 1 + more_nodes
        deepest = max(deepest, depth + more_depth)
        stack.extend((c, depth + 1) for c in children(x))
    return nodes, deepest


def _call_order(funcs: dict[str, A.Def]) -> list[str]:
    """Functions, each after those it calls (a depth-first walk with its own stack; a
    recursive call is skipped here and reported by the checker, E0702)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in funcs:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(_calls(funcs[root].body, funcs)))]
        while stack:
            name, callees = stack[-1]
            callee = next(callees, None)
            if callee is None:
                stack.pop()
                order.append(name)
            elif callee not in seen:
                seen.add(callee)
                stack.append((callee, iter(_calls(funcs[callee].body, funcs))))
    return order


def _bound_inlining(policy: A.Policy, source: SourceFile, diags: list[Diagnostic]) -> A.Policy:
    """E0009 for a definition too large or deep once its calls are inlined, or past the
    policy's total; its body then becomes `none`, so no later stage builds the expansion."""
    funcs: dict[str, A.Def] = {}
    for s in policy.stmts:
        if isinstance(s, A.Def) and s.params:
            funcs.setdefault(s.name, s)  # the first definition is the one used (model.py)
    ordered = [funcs[n] for n in _call_order(funcs)]
    rest = [s for s in policy.stmts if isinstance(s, A.Def) and all(s is not f for f in ordered)]
    sizes: dict[str, tuple[int, int]] = {}
    cut: dict[int, A.Def] = {}  # by identity: a name may be defined twice (E0102)
    total = 0
    for d in [*ordered, *rest]:
        nodes, depth = _inlined(d.body, sizes)
        total += nodes
        if nodes > MAX_INLINED_NODES or depth > MAX_INLINED_DEPTH or total > MAX_INLINED_TOTAL:
            diags.append(_too_large(d, nodes, depth, total, source))
            cut[id(d)] = dataclasses.replace(d, body=A.NoneLit(d.span))
            nodes, depth = 1, 1
            total = min(total, MAX_INLINED_TOTAL)
        if d.params and funcs.get(d.name) is d:
            sizes[d.name] = (nodes, depth)
    if not cut:
        return policy
    stmts = tuple(cut.get(id(s), s) for s in policy.stmts)
    return dataclasses.replace(policy, stmts=stmts)


def _too_large(d: A.Def, nodes: int, depth: int, total: int, source: SourceFile) -> Diagnostic:
    what = "function" if d.params else "definition"
    if nodes > MAX_INLINED_NODES or depth > MAX_INLINED_DEPTH:
        message = (
            f"{what} `{d.name}` grows to {nodes} expression nodes, {depth} levels deep, once "
            f"its calls are inlined; the limits are {MAX_INLINED_NODES} and {MAX_INLINED_DEPTH}"
        )
    else:
        message = (
            f"{what} `{d.name}` takes the policy past {MAX_INLINED_TOTAL} expression nodes "
            "once every call is inlined"
        )
    return error(
        "E0009",
        message,
        source.span(d.span.start, d.span.start + len(d.name)),
        "call functions from fewer levels of other functions, or name intermediate results "
        "as definitions",
    )
