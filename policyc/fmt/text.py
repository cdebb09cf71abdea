"""Printing pieces for `policyc fmt`: literals, expressions with the parentheses precedence
needs, aligned columns, and line wrapping inside parentheses."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from decimal import Decimal

from policyc.source import display_width
from policyc.syntax import ast as A
from policyc.syntax.lower import implicit_condition
from policyc.syntax.parse import parser

INDENT = 2
LINE_LIMIT = 100  # an `output` list longer than this becomes a block, one name a line
ALIGN_SMALL = 40  # gofmt's rule for aligned columns: short left sides always align, and
ALIGN_RATIO = 2.5  # a long one starts a new run when it is 2.5x off the run's typical width

_NAME = re.compile(r"(?!\d)\w+")
_MONTH = re.compile(r"\d{4}-\d{2}")
WORD_BOUND = re.compile(r"(above|below|under|at\s+least|at\s+most)\b")
BOUND_WORDS = {">": "above", "<": "below", ">=": "at least", "<=": "at most"}


class FormatError(Exception):
    """The policy cannot be formatted safely; the file is left as it is."""


@functools.cache
def keywords() -> frozenset[str]:
    """Every word the grammar uses as a keyword (quoted where a bare name could clash)."""
    words = {
        str(t.pattern.value)
        for t in parser().terminals
        if t.pattern.type == "str" and str(t.pattern.value).isidentifier()
    }
    return frozenset(words | {"first", "unique", "desc", "asc"})


def is_bare(text: str) -> bool:
    return bool(_NAME.fullmatch(text)) and text not in keywords()


def quote(text: str) -> str:
    if '"' not in text:
        return f'"{text}"'
    if "”" not in text:
        return f"“{text}”"
    raise FormatError(f"cannot quote the label {text!r}")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def literal_text(value: object, percent: bool = False) -> str:
    """A literal as written in a default or an example: `75`, `20%`, `"A"`, `promote`."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _plain(value * 100) + "%" if percent else format(value, "f")
    if isinstance(value, A.LabelValue):
        return value.name
    if isinstance(value, str):
        return value if _MONTH.fullmatch(value) else quote(value)
    raise FormatError(f"cannot print the literal {value!r}")


# ---- expressions ----------------------------------------------------------------------
# Precedence levels, loosest first: an operand printed where a tighter level is needed
# gets parentheses.

P_IF, P_OR, P_AND, P_NOT, P_CMP, P_SUM, P_PROD, P_UNARY, P_ATOM = range(9)


def _level(e: A.Expr) -> int:
    if isinstance(e, A.If):
        return P_IF
    if isinstance(e, A.Or):
        return P_OR
    if isinstance(e, A.And):
        return P_AND
    if isinstance(e, A.Not):
        return P_NOT
    if isinstance(e, A.Compare | A.Is | A.In):
        return P_CMP
    if isinstance(e, A.BinOp):
        return P_SUM if e.op in ("+", "-") else P_PROD
    if isinstance(e, A.Neg) or (isinstance(e, A.Num) and e.value.is_signed()):
        return P_UNARY
    return P_ATOM


def expr_text(e: A.Expr, level: int = P_IF) -> str:
    """An expression in canonical spacing, parenthesised when it sits below `level`."""
    text = _expr(e)
    return f"({text})" if _level(e) < level else text


def _expr(e: A.Expr) -> str:
    match e:
        case A.Num(value=v, percent=True):
            return _plain(v * 100) + "%"
        case A.Num(value=v):
            return format(v, "f")
        case A.Str(value=v):
            return quote(v)
        case A.Bool(value=v):
            return "true" if v else "false"
        case A.NoneLit():
            return "none"
        case A.Name(name=n):
            return n
        case A.FieldRef(name=n):
            return f"record.{n}"
        case A.BinOp(op=op, left=left, right=right):
            lo, hi = (P_SUM, P_PROD) if op in ("+", "-") else (P_PROD, P_UNARY)
            return f"{expr_text(left, lo)} {op} {expr_text(right, hi)}"
        case A.Neg(operand=operand):
            inner = expr_text(operand, P_UNARY)
            return f"-({inner})" if inner.startswith("-") else f"-{inner}"
        case A.Compare(op=op, left=left, right=right):
            return f"{expr_text(left, P_SUM)} {op} {expr_text(right, P_SUM)}"
        case A.Is(left=left, right=right, negated=neg):
            word = "is not" if neg else "is"
            return f"{expr_text(left, P_SUM)} {word} {expr_text(right, P_SUM)}"
        case A.In(left=left, items=items):
            return f"{expr_text(left, P_SUM)} in ({', '.join(expr_text(i) for i in items)})"
        case A.And(left=left, right=right):
            return f"{expr_text(left, P_AND)} and {expr_text(right, P_NOT)}"
        case A.Or(left=left, right=right):
            return f"{expr_text(left, P_OR)} or {expr_text(right, P_AND)}"
        case A.Not(operand=operand):
            return f"not {expr_text(operand, P_NOT)}"
        case A.If(cond=c, then=t, otherwise=o):
            return f"if {expr_text(c, P_OR)} then {expr_text(t, P_OR)} else {expr_text(o)}"
        case A.Call():
            return _call(e)
    raise FormatError(f"a {type(e).__name__} cannot be written inside an expression")


def _call(e: A.Call) -> str:
    # an `if` argument followed by `desc` or a clause reads better in parentheses
    level = P_OR if e.clause is not None else P_IF
    args = []
    for a in e.args:
        text = expr_text(a.value, P_OR if a.order else level)
        args.append(f"{text} {a.order}" if a.order else text)
    inner = ", ".join(args)
    if e.clause is not None:
        clause = _clause(e.clause)
        inner = f"{inner} {clause}" if inner else clause
    return f"{e.func}({inner})"


def _clause(c: A.Over | A.Among) -> str:
    if isinstance(c, A.Among):
        per = f" per {c.per}" if c.per else ""
        if implicit_condition(c):  # written `per F` alone: keep it so
            return per.lstrip()
        return f"among {expr_text(c.cond, P_OR)}{per}"
    if c.window is not None:
        text = f"over {c.window}"
    else:
        text = f"over last {c.last} {'month' if c.last == 1 else 'months'}"
    return text + (" ignoring missing" if c.ignoring_missing else "")


def weighted_text(w: A.Weighted) -> str:
    terms = ", ".join(f"{expr_text(t.value, P_OR)} {format(t.weight, 'f')}%" for t in w.terms)
    return f"weighted {terms}"


def body_text(e: A.Expr) -> str:
    return weighted_text(e) if isinstance(e, A.Weighted) else expr_text(e)


def months_text(n: int) -> str:
    return f"every {n} {'month' if n == 1 else 'months'}"


def type_text(f: A.FieldDecl) -> str:
    t = f.type
    if t.kind == "enum":
        text = "one of " + ", ".join(t.labels)
    else:
        text = t.kind
        if t.low is not None and t.high is not None:
            text += f" {format(t.low, 'f')}..{format(t.high, 'f')}"
        if t.places is not None:
            text += f" places {t.places}"
    if f.optional and f.default is None:
        text += " ?" if t.kind == "enum" else "?"  # `one of a, b?` would read as a label `b?`
    return text


# ---- alignment --------------------------------------------------------------------------


def _runs(widths: Sequence[int], breaks: Sequence[bool]) -> list[range]:
    """Rows that align together, as gofmt decides: a blank line always splits; short left
    sides always align; a long one splits when far from the run's geometric mean width."""
    runs: list[range] = []
    start, logsum = 0, 0.0
    for i, w in enumerate(widths):
        if i > start:
            split = breaks[i]
            if not split and not (widths[i - 1] <= ALIGN_SMALL and w <= ALIGN_SMALL):
                ratio = max(w, 1) / math.exp(logsum / (i - start))
                split = ratio <= 1 / ALIGN_RATIO or ratio >= ALIGN_RATIO
            if split:
                runs.append(range(start, i))
                start, logsum = i, 0.0
        logsum += math.log(max(w, 1))
    runs.append(range(start, len(widths)))
    return runs


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def align(
    pairs: Sequence[tuple[str, str]], sep: str, breaks: Sequence[bool], runs: bool = True
) -> list[str]:
    widths = [display_width(left) for left, _ in pairs]
    groups = _runs(widths, breaks) if runs else [range(len(pairs))]
    out = [""] * len(pairs)
    for run in groups:
        width = max(widths[i] for i in run)
        for i in run:
            out[i] = pad(pairs[i][0], width) + sep + pairs[i][1]
    return out


_BREAK_OPS = (" + ", " - ", " * ", " / ", " and ", " or ", " then ", " else ")


def _break_points(text: str) -> list[tuple[int, int]]:
    """(index of a space, paren depth) where a line may break: before a binary operator or
    after a comma. Inside parentheses a newline is ignored by the parser, so breaking there
    cannot change the tokens, let alone the meaning."""
    out = []
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in '"“':
            quote = '"' if ch == '"' else "”"
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == " " and (text.startswith(_BREAK_OPS, i) or text[i - 1 : i] == ","):
            out.append((i, depth))
    return out


def wrap(prefix: str, body: str, column: int = 0) -> str:
    """`prefix + body`, broken inside parentheses when it is longer than the line limit;
    continuation lines start under the parenthesis they are in. `column` is the indent."""
    if column + display_width(prefix + body) <= LINE_LIMIT:
        return prefix + body
    points = _break_points(body)
    if any(depth == 0 for _, depth in points):
        body = f"({body})"  # parentheses make the outer operators breakable
        points = _break_points(body)
    return prefix + _fill(body, points, column + display_width(prefix))


def _fill(text: str, points: list[tuple[int, int]], column: int) -> str:
    """Greedy filling: break at a point when the text up to the next point at the same or an
    outer level would not fit, so outer operators break before inner ones."""
    ends = {}
    for k, (pos, depth) in enumerate(points):
        later = [p for p, d in points[k + 1 :] if d <= depth]
        ends[pos] = later[0] if later else len(text)
    lines, cur, col = [], "", column
    stack: list[int] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        fits = i not in ends or col + display_width(text[i : ends[i]]) <= LINE_LIMIT
        if not fits and not quote and stack and cur.strip():
            lines.append(cur.rstrip())
            cur, col = " " * stack[-1], stack[-1]
            i += 1
            continue
        if quote:
            quote = "" if ch == quote else quote
        elif ch in '"“':
            quote = '"' if ch == '"' else "”"
        elif ch == "(":
            stack.append(col + 1)
        elif ch == ")" and stack:
            stack.pop()
        cur += ch
        col += display_width(ch)
        i += 1
    lines.append(cur)
    return "\n".join(lines)
