"""Text -> Lark parse tree. Syntax errors become diagnostics, every one we can find."""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import ClassVar

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter

from policyc.diagnostics import Diagnostic, edit_distance, error
from policyc.source import SourceFile

MAX_POLICY_CHARS = 200_000
# Parse-tree levels one statement may nest (each parenthesis, operator, `if`, call and
# argument adds one or more). The bundled policies need at most 13; the limit keeps every
# later, recursive stage (lowering, checks, compiled closures) far from Python's stack limit.
MAX_NESTING = 100
# Syntax errors reported per policy: each one costs a whole parse, and after a few dozen
# the author has enough to fix.
MAX_SYNTAX_ERRORS = 50
# Lines reported for invisible characters (E0011), and for full-width digits (W0012, see
# lower.py); past it one summary line says how many more there are.
MAX_CHARACTER_REPORTS = 10
# Characters that reorder how a line is displayed (the "Trojan Source" attack: a comment that
# shows as code, a label that shows as another): the bidirectional embeddings, overrides and
# isolates, and the marks.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class PolicyIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types: ClassVar[list[str]] = ["LPAR"]
    CLOSE_PAREN_types: ClassVar[list[str]] = ["RPAR"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4

    def handle_NL(self, token: Token) -> Iterator[Token]:
        levels = list(self.indent_level)
        if "\u3000" in token:  # a full-width space is two columns wide, as it looks
            token = Token.new_borrow_pos(token.type, token.replace("\u3000", "  "), token)
        try:
            yield from super().handle_NL(token)
        except DedentError as e:  # Lark's error has no position: give it one
            raise BadDedent(token, levels) from e


class BadDedent(DedentError):
    """A line indented to a column that no enclosing block uses."""

    def __init__(self, token: Token, levels: list[int]) -> None:
        super().__init__(f"unexpected dedent at offset {token.end_pos}")
        self.offset = token.end_pos or 0
        self.levels = levels

    def diagnostic(self, source: SourceFile) -> Diagnostic:
        cols = " or ".join(str(n) for n in self.levels)
        return error(
            "E0002",
            "this line's indentation matches no enclosing block",
            source.span(self.offset, self.offset + 1),
            f"indent it by {cols} spaces, like the lines of its block",
        )


def grammar_text() -> str:
    """The grammar, from the source tree or from the installed wheel."""
    here = Path(__file__).resolve().parents[2] / "grammar" / "policy.lark"
    if here.exists():
        return here.read_text(encoding="utf-8")
    return resources.files("policyc").joinpath("_grammar/policy.lark").read_text(encoding="utf-8")


@functools.cache
def parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        postlex=PolicyIndenter(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,  # a grammar-keyed cache file in the temp dir: start-up is 0.1 s faster
    )


@dataclass(frozen=True)
class Comment:
    line: int
    column: int
    text: str


def comments(source: SourceFile) -> list[Comment]:
    """Every `#` comment with its position (the parser drops them; the formatter needs them)."""
    out = []
    for lineno, line in enumerate(source.text.split("\n"), 1):
        pos = _comment_start(line)
        if pos is not None:
            out.append(Comment(lineno, pos + 1, line[pos:].rstrip()))
    return out


def _comment_start(line: str) -> int | None:
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in '"“':
            quote = '"' if ch == '"' else "”"
        elif ch == "#":
            return i
    return None


_TOKEN_WORDS = {
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "NAME": "a name",
    "COLON": "`:`",
    "COMMA": "`,`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "ARROW": "`->`",
    "STRING": "a quoted label",
    "INT": "a whole number",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "_EQ": "`=`",
    "CMP_OP": "a comparison",
    "BOUND_OP": "a bound such as `>= 70`",
    "$END": "the end of the file",
    "LT": "`<`",
    "QMARK": "`?`",
    "MINUS": "`-`",
    "PLUS": "`+`",
    "TIMES": "`*`",
    "DIVIDE": "`/`",
    "BAR": "`|`",
    "MONTH": "a month such as `2021-03`",
    "HIT": "`first` or `unique`",
    "ORDER": "`asc` or `desc`",
}

# Full-width forms the grammar reads as their ASCII twins (see grammar/policy.lark): never
# the cause of an error, so never the subject of a hint.
ACCEPTED_WIDE = frozenset("：，（）％？｜＋－＊／＜＞＝、\u3000")
UNCLOSED = "this `(` is never closed"
# the hint for a row that lost its indentation (`band rows are indented under the ...`)
ROW_UNINDENTED = re.compile(r"are indented under the `\w+` line$")


@functools.cache
def _token_words() -> dict[str, str]:
    """How the help names each terminal; keywords and `..` by their text."""
    words = dict(_TOKEN_WORDS)
    for t in parser().terminals:
        if t.pattern.type == "str" and t.name not in words:
            words[t.name] = f"`{t.pattern.value}`"
    return words


@functools.cache
def keywords() -> frozenset[str]:
    """Every word the grammar reserves (`"band"`, and the `first` of `HIT: "first" | ...`)."""
    return frozenset(re.findall(r'"([a-z]+)"', grammar_text()))


def _describe(expected: set[str] | frozenset[str]) -> str:
    words = sorted({_token_words().get(t, f"`{t.lower()}`") for t in expected if t})
    if len(words) > 6:
        words = [*words[:6], "…"]
    return ", ".join(words)


def _expected(e: UnexpectedToken) -> frozenset[str]:
    """The tokens the parser could really take where it stopped. Lark's `expected` is the
    LALR state's lookahead set, which merged states pad with tokens no prefix allows (a `)`
    with no `(` open, a `->` outside a band row); feeding each one to a copy of the parser
    keeps only those that fit."""
    ip = getattr(e, "interactive_parser", None)
    if ip is not None:
        try:
            accepted = frozenset(ip.accepts())
        except (LarkError, AssertionError):
            accepted = frozenset()
        if accepted:
            return accepted
    return frozenset(e.expected)


def _hint_for(text: str) -> str | None:
    hints = {
        "；": "statements end at the end of the line; no `;` is needed",
        ";": "statements end at the end of the line; no `;` is needed",
        "\t": "indent with spaces",
        "\xa0": "use an ordinary space ` ` instead of the no-break space",
        "'": 'labels are quoted with double quotes: `"..."`',
        "‘": 'labels are quoted with double quotes: `"..."`',
        "{": "blocks are written by indentation, not braces",
        "\ufffd": "the file holds bytes that are not UTF-8 text: save it as UTF-8",
    }
    for key, hint in hints.items():
        if key in text:
            return hint
    for ch in text:
        if ch in BIDI or unicodedata.category(ch) == "Cf":
            code = f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()
            return f"an invisible character ({code}): delete it"
    for ch in text:
        # a full-width form from a Chinese keyboard (＂ ； ．...) the grammar does not read:
        # name the ASCII one
        plain = unicodedata.normalize("NFKC", ch)
        if ch in ACCEPTED_WIDE:
            continue
        if plain != ch and plain.isascii() and plain.isprintable():
            return f"use `{plain}` (ASCII) instead of the full-width `{ch}`"
    return None


def parse(source: SourceFile) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """Parse a policy. On a syntax error, keep going line by line to report the rest."""
    if len(source.text) > MAX_POLICY_CHARS:
        return None, [
            error(
                "E0003",
                f"policy is {len(source.text)} characters long; the limit is {MAX_POLICY_CHARS}",
                source.span(0, 1),
                "split the policy into smaller files",
            )
        ]
    hidden = invisible_characters(source)
    text = source.text if source.text.endswith("\n") else source.text + "\n"
    try:
        tree = parser().parse(text)
    except (LarkError, AssertionError, RecursionError):
        diags = _recovering_parse(source, text)
        return None, hidden + [_wide_hint(source, d) for d in _dedupe_lines(diags)]
    deep = _too_deep(source, tree)
    return (None, [*hidden, deep]) if deep else (tree, hidden)


def invisible_characters(source: SourceFile) -> list[Diagnostic]:
    """E0011 for each line whose comment or label holds a character that is not seen: a
    bidirectional control, another format character (a zero-width space, a soft hyphen) or
    a control character. In code the lexer already refuses them (E0001); in a comment or a
    label they would pass unseen, and a bidi control can make the line display as
    something other than what policyc reads. An error even without `--deny-warnings`, as
    rustc's `text_direction_codepoint_in_comment` is."""
    out: list[Diagnostic] = []
    lines = 0
    offset = 0
    for line in source.text.split("\n"):
        at = _first_hidden(line)
        if at is not None:
            lines += 1
            if lines <= MAX_CHARACTER_REPORTS:
                out.append(_hidden_diagnostic(source, offset + at, line, at))
        offset += len(line) + 1
    if lines > MAX_CHARACTER_REPORTS:
        first = out[-1].span
        more = lines - MAX_CHARACTER_REPORTS
        out.append(
            error(
                "E0011",
                f"{more} more line{'s' * (more != 1)} hold invisible characters",
                source.span(first.start, first.start + 1),
                "only the first few are shown: delete every such character",
            )
        )
    return out


def _is_hidden(ch: str) -> bool:
    if ch == "\t":
        return False
    return ch in BIDI or unicodedata.category(ch) in ("Cf", "Cc")


def _first_hidden(line: str) -> int | None:
    """The first invisible character inside a comment or a label of `line`."""
    if line.isprintable():
        return None  # the common case: nothing to look for (a tab is not printable: read on)
    masked = _mask(line)
    for i, ch in enumerate(line):
        if masked[i] != ch and _is_hidden(ch):
            return i
    return None


def _hidden_diagnostic(source: SourceFile, offset: int, line: str, at: int) -> Diagnostic:
    ch = line[at]
    where = "comment" if (c := _comment_start(line)) is not None and c < at else "label"
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}" + (f" {name}" if name else "")
    if ch in BIDI:
        message = f"a bidirectional control character ({code}) in a {where}"
        hint = (
            "it makes the line display in another order than policyc reads it (the "
            '"Trojan Source" attack); delete it'
        )
    else:
        kind = "control" if unicodedata.category(ch) == "Cc" else "invisible"
        message = f"an {kind} character ({code}) in a {where}"
        hint = "it cannot be seen where the policy is read or reviewed; delete it"
    return error("E0011", message, source.span(offset, offset + 1), hint)


def _recovering_parse(source: SourceFile, text: str) -> list[Diagnostic]:
    """Report a syntax error, blank out the statement line it sits on (and the block under
    it), and parse again, until the rest parses. Blanking keeps every offset, so each later
    error is located in the original text, and no error is an echo of an earlier one."""
    lines = text.split("\n")
    diags: list[Diagnostic] = []
    rounds = MAX_SYNTAX_ERRORS if len(text) < 20_000 else 10  # each round is a whole parse
    for _ in range(rounds):
        try:
            parser().parse("\n".join(lines))
            break
        except BadDedent as e:
            d = e.diagnostic(source)
            blame, run = d.span.line, False
        except UnexpectedInput as e:
            d = _syntax_diagnostic(source, e, lines)
            blame, run = _blame(source, e, d)
        except RecursionError:
            d = error("E0004", "expression nested too deeply", source.span(0, 1))
            blame, run = 0, False
        except (LarkError, AssertionError):  # Lark's Indenter asserts on some stray `)`
            d = error("E0001", "the policy could not be read", source.span(0, 1))
            blame, run = 0, False
        diags.append(d)
        if blame >= 1 and d.help and ROW_UNINDENTED.search(d.help):
            # a row that lost its indentation: the rows still indented belong to the block
            if not lines[blame - 1].strip():
                break
            lines[blame - 1] = " " * len(lines[blame - 1])
            continue
        if blame < 1 or not _blank_unit(lines, blame - 1, run):
            break  # the end of the file, or nothing left to take away
    if not diags:  # the full parse failed but every recovery parse passed: say so plainly
        diags.append(error("E0001", "the policy could not be read", source.span(0, 1)))
    return diags


def _blame(source: SourceFile, e: UnexpectedInput, d: Diagnostic) -> tuple[int, bool]:
    """The line to take away after this error (0: stop), and whether it starts an indented
    run (every following line as deep or deeper goes with it)."""
    if not isinstance(e, UnexpectedToken):
        return d.span.line, False
    tok = e.token
    if d.message == UNCLOSED:  # set the unclosed line aside: what it swallowed is read again
        return d.span.line, False
    if tok.type == "$END":
        return 0, False
    if tok.type == "_INDENT":
        return d.span.line, True
    if tok.type == "_DEDENT" and tok.start_pos is not None:
        return source.span(tok.start_pos, tok.start_pos).line, False  # the unfinished line
    return d.span.line, False


def _indent(line: str) -> int | None:
    """The indentation of a line that holds a statement; None for blank and comment lines."""
    body = line.lstrip(" \t")
    if not body.strip() or body.startswith("#"):
        return None
    return len(line) - len(body)


def _blank_unit(lines: list[str], i: int, run: bool) -> bool:
    """Blank line `i` and the block under it (with `run`, also its deeper-or-equal
    siblings after it); a line that was its block's only line takes its heading along.
    False when the line is already blank, so recovery cannot loop."""
    own = _indent(lines[i]) if i < len(lines) else None
    if own is None:
        return False
    j = i + 1
    while j < len(lines):
        ind = _indent(lines[j])
        if ind is not None and (ind < own or (ind == own and not run)):
            break
        j += 1
    prev = next((k for k in range(i - 1, -1, -1) if _indent(lines[k]) is not None), None)
    after = next(
        (_indent(lines[k]) for k in range(j, len(lines)) if _indent(lines[k]) is not None), None
    )
    for k in range(i, j):
        lines[k] = " " * len(lines[k])
    if prev is None:
        return True
    heading = _indent(lines[prev])
    if heading is not None and heading < own and (after is None or after < own):
        _blank_unit(lines, prev, False)  # an empty block is an error of its own: not news
    return True


def _wide_hint(source: SourceFile, d: Diagnostic) -> Diagnostic:
    """Name the ASCII form when the line of a syntax error holds a full-width character
    outside its quoted labels (the likely cause, typed on a Chinese keyboard)."""
    if d.help and "full-width" in d.help:
        return d
    line = source.line_text(d.span.line)
    indent = line[: len(line) - len(line.lstrip(" \t\u3000"))]
    hint: str | None
    if "\u3000" in indent and ("indentation" in d.message or "end of block" in d.message):
        hint = "indent with ordinary spaces: a full-width space counts as two"
        return dataclasses.replace(d, help=f"{d.help}; {hint}" if d.help else hint)
    # a full-width quote is never meant; other full-width forms may be in labels
    line = line if "＂" in line else re.sub(r'"[^"]*"|“[^”]*”', "", line)
    hint = next((h for ch in line if (h := _hint_for(ch)) and "full-width" in h), None)
    if hint is None:
        return d
    return dataclasses.replace(d, help=f"{d.help}; {hint}" if d.help else hint)


def _too_deep(source: SourceFile, tree: Tree[Token]) -> Diagnostic | None:
    """E0004 when a statement nests deeper than MAX_NESTING; walked with a stack, not
    recursion, so a 5000-level expression is measured as safely as a 5-level one."""
    stack: list[tuple[Tree[Token], int, Tree[Token]]] = [(tree, 1, tree)]
    while stack:
        node, depth, top = stack.pop()
        if depth > MAX_NESTING:
            start = getattr(top.meta, "start_pos", 0) or 0
            return error(
                "E0004",
                f"expression nested more than {MAX_NESTING} levels deep",
                source.span(start, start + 1),
                "name the inner parts as separate definitions",
            )
        for c in node.children:
            if isinstance(c, Tree):
                stack.append((c, depth + 1, c if depth == 1 else top))
    return None


def _dedupe_lines(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One syntax error per line: recovery inside a broken line adds only noise."""
    seen: set[int] = set()
    out = []
    for d in diags:
        if d.span.line not in seen:
            seen.add(d.span.line)
            out.append(d)
    return out


def _syntax_diagnostic(source: SourceFile, e: UnexpectedInput, lines: list[str]) -> Diagnostic:
    """The diagnostic for one syntax error. `lines` is the text being parsed (the source
    with the lines of earlier errors blanked)."""
    if isinstance(e, UnexpectedCharacters):
        offset = e.pos_in_stream or 0
        ch = source.text[offset : offset + 1] if offset < len(source.text) else ""
        span = source.span(offset, offset + 1)
        digits = _foreign_digits(source, offset)
        if digits is not None:
            return digits
        hint = (
            _label_hint(source.text, offset)
            or _hint_for(ch)
            or "remove it, or put it inside a quoted label"
        )
        return error("E0001", f"unexpected character `{ch}`", span, hint)
    if isinstance(e, UnexpectedToken):
        return _token_diagnostic(source, e, lines)
    pos = getattr(e, "pos_in_stream", 0) or 0
    return error("E0002", "unexpected input", source.span(pos, pos + 1), None)


def _token_diagnostic(source: SourceFile, e: UnexpectedToken, lines: list[str]) -> Diagnostic:
    tok = e.token
    text = "\n".join(lines)
    if tok.type == "$END":
        last = max(0, len(source.text.rstrip()) - 1)
        unclosed = _unclosed_paren(source, text, last)
        if unclosed is not None:
            return unclosed
        span = source.span(last, last + 1)
        return error(
            "E0002", "the policy ends too early", span, f"expected {_describe(_expected(e))}"
        )
    start = tok.start_pos if tok.start_pos is not None else len(source.text)
    end = tok.end_pos if tok.end_pos is not None else start + 1
    if tok.type in ("_DEDENT", "_INDENT"):
        start = end  # the first character of the line that is indented wrongly
    if tok.type in ("_NL", "_DEDENT", "_INDENT"):
        end = start + 1
    unclosed = _unclosed_paren(source, text, start)
    if unclosed is not None:
        return unclosed
    what = {"_NL": "end of line", "_INDENT": "indentation", "_DEDENT": "end of block"}.get(
        tok.type, f"`{tok.value}`"
    )
    row = text.count("\n", 0, start)
    site = _Site(lines, row, start - (text.rfind("\n", 0, start) + 1), tok, _expected(e))
    own = _hint_for(str(tok.value)) if tok.type != "STRING" else None  # a label may hold `'`
    hint = own or _specific_hint(site) or f"expected {_describe(site.accepts)}"
    if tok.type == "_INDENT" and "\t" not in str(tok.value):
        hint = "line it up with the line above: only lines under a block's heading go deeper"
    return error("E0002", f"unexpected {what}", source.span(start, end), hint)


# ---- hints for the common mistakes ---------------------------------------------------------------

_LABEL = re.compile(r'"[^"\n]*"|“[^”\n]*”')
_ARROW_TEXT = re.compile(r"->|→|－＞|-＞|－>")
# `a, b, c` with an optional `?`: what a field's `one of` list looks like
_VALUE_LIST = re.compile(r"(?!\d)\w+(?:\s*[,，、]\s*(?!\d)\w+)+\s*[?？]?")
# the first word of a statement that is not a definition
_STATEMENT_WORD = re.compile(
    r"\s*(?:policy|record|key|ladder|window|state|override|output|example)\b"
)
_BOUND_START = re.compile(
    r"\s*(?:above|below|under|at\s+least|at\s+most|otherwise\b|[<>=≤≥≦≧＜＞＝])"
)
_COMPARISON = re.compile(r"<=|>=|==|!=|[<>=≤≥≦≧≠]")
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "≤": ">=", "≥": "<=", "≦": ">=", "≧": "<="}
_OPERAND = r"([\w.%]+)"
# a definition's `NAME =` or `NAME(PARAMS) =`: that `=` is not a comparison
_DEF_HEAD = re.compile(r"\s*(?!\d)\w+\s*(?:\([^)]*\))?\s*[=＝](?![=＝])")
# where an expression starts again: after these a comparison is a fresh one
_EXPR_BREAK = re.compile(r"\b(?:if|then|else|and|or|not|among)\b|[,(:]|->|→")
# the most candidate keywords tried (each try parses one statement again)
MAX_KEYWORD_TRIES = 4


@dataclass(frozen=True)
class _Site:
    """Where a syntax error sits."""

    lines: list[str]  # the text being parsed, line by line
    row: int  # the error token's line, 0-based
    col: int  # its column in that line, 0-based
    tok: Token
    accepts: frozenset[str]  # what the parser could take there

    @property
    def line(self) -> str:
        return self.lines[self.row] if self.row < len(self.lines) else ""

    @property
    def before(self) -> str:
        """The line up to the error token, its labels and comment blanked."""
        return _mask(self.line)[: self.col]

    @property
    def heading(self) -> str | None:
        """The heading line of the block the error line is in (None at the top level)."""
        own = _indent(self.line)
        if not own:
            return None
        for k in range(self.row - 1, -1, -1):
            ind = _indent(self.lines[k])
            if ind is not None and ind < own:
                return _mask(self.lines[k]).strip()
        return None


def _mask(line: str) -> str:
    """The line with its quoted labels and its comment blanked: only code is left to match."""
    out = _LABEL.sub(lambda m: " " * len(m.group()), line)
    cut = out.find("#")
    return out if cut < 0 else out[:cut] + " " * (len(out) - cut)


def _specific_hint(site: _Site) -> str | None:
    """A hint naming the likely mistake, when the line shows one; else None."""
    for find in (
        _unindented_row_hint,
        _chain_hint,
        _weight_hint,
        _one_of_hint,
        _keyword_hint,
        _row_hint,
    ):
        hint = find(site)
        if hint is not None:
            return hint
    return None


def _unindented_row_hint(site: _Site) -> str | None:
    """`below 60 -> x` at column 1 under a `band` line (the same for `table` and `by`)."""
    if _indent(site.line) != 0:
        return None
    top = next(
        (_mask(site.lines[k]) for k in range(site.row - 1, -1, -1) if _indent(site.lines[k]) == 0),
        "",
    )
    block = re.search(r"[=＝]\s*(band|table|by)\b", top)
    if block is None:
        return None
    kind, masked = block.group(1), _mask(site.line)
    if _DEF_HEAD.match(masked) or _STATEMENT_WORD.match(masked):
        return None  # a statement of its own
    if kind == "band" and not _BOUND_START.match(masked):
        return None
    if kind != "by" and _ARROW_TEXT.search(masked):
        return f"{kind} rows are indented under the `{kind}` line"
    first_case = "_INDENT" in site.accepts and re.search("[:：]", masked)
    if kind == "by" and (site.tok.type == "COLON" or first_case):
        return "`by` cases are indented under the `by` line"
    return None


def _chain_hint(site: _Site) -> str | None:
    """`50 <= x < 70`: the second comparison is the error."""
    op = unicodedata.normalize("NFKC", str(site.tok.value))
    if site.tok.type in ("_NL", "_INDENT", "_DEDENT") or not _COMPARISON.fullmatch(op):
        return None
    if "CMP_OP" in site.accepts or "AND" not in site.accepts:
        return None  # not right after a finished comparison (an example's `a = = 1`)
    before = unicodedata.normalize("NFKC", site.before)
    head = _DEF_HEAD.match(before)
    segment = _EXPR_BREAK.split(before[head.end() if head else 0 :])[-1]
    if not _COMPARISON.search(segment):
        return None
    generic = "comparisons don't chain; write `x >= 50 and x < 70`, or use a band"
    whole = re.fullmatch(rf"\s*{_OPERAND}\s*({_COMPARISON.pattern})\s*{_OPERAND}\s*", segment)
    after = unicodedata.normalize("NFKC", _mask(site.line)[site.col + len(str(site.tok)) :])
    last = re.match(rf"\s*{_OPERAND}", after)
    if whole is None or last is None or whole.group(2) not in _FLIPPED:
        return generic
    low, op1, x = whole.groups()
    op2 = _FLIPPED[_FLIPPED[op]] if op in _FLIPPED else op  # `≤` is written `<=`
    return (
        f"comparisons don't chain; write `{x} {_FLIPPED[op1]} {low} and {x} {op2} "
        f"{last.group(1)}`, or use a band"
    )


def _weight_hint(site: _Site) -> str | None:
    """`weighted quality 60, speed 40`, or `quality 0.6`: the weight lacks its `%`."""
    if site.tok.type not in ("INT", "NUMBER"):
        return None
    starts = list(re.finditer(r"\bweighted\b", site.before))
    if not starts:
        return None
    term = re.split(r"[,，、]", site.before[starts[-1].end() :])[-1].strip()
    try:
        value = Decimal(unicodedata.normalize("NFKC", str(site.tok)))
    except InvalidOperation:
        return None
    if not term:
        return None
    if site.tok.type == "NUMBER" and value <= 1:
        value *= 100  # 0.6 meant 60%
    return f"a weight is a percentage: `{term} {format(value.normalize(), 'f')}%`"


def _one_of_hint(site: _Site) -> str | None:
    """`role : sales, support` in a record: the values of a field need `one of`."""
    if site.tok.type != "COMMA" or site.heading != "record":
        return None
    m = re.match(r"[^:：]+[:：]\s*", _mask(site.line))
    if m is None:
        return None
    cut = _comment_start(site.line)
    values = site.line[m.end() : cut].strip()
    if not _VALUE_LIST.fullmatch(values):
        return None
    return f"did you mean `one of {values}`?"


def _row_hint(site: _Site) -> str | None:
    """A band or table row without its `->`, a `by` case without its `:`."""
    heading = site.heading
    if heading is None:
        return None
    if "ARROW" in site.accepts and site.tok.type != "ARROW":
        if re.search(r"[=＝]\s*band\b", heading):
            return "a band row is `bounds -> result`"
        if re.search(r"[=＝]\s*table\b", heading):
            return "a table row is `cell | cell | ... -> result`, one cell per input"
    if "COLON" in site.accepts and site.tok.type != "COLON" and re.search(r"\bby\s+\S+$", heading):
        return "a `by` case is `key : value`"
    return None


# ---- a misspelt keyword --------------------------------------------------------------------------


def _keyword_hint(site: _Site) -> str | None:
    """`kye employee_id`, `x = bnad score`: a word of the line (the error token or one before
    it) is a keyword misspelt, and the keyword fits where the word is."""
    end = site.col if site.tok.type.startswith("_") else site.col + len(str(site.tok))
    words = list(re.finditer(r"(?<![\w.])[A-Za-z]\w*", _mask(site.line)[:end]))
    tries = 0
    for m in reversed(words):
        for kw in _near_keywords(m.group()):
            if tries == MAX_KEYWORD_TRIES:
                return None
            tries += 1
            if _fits(site, m.start(), m.group(), kw):
                return f"`{m.group()}` is not a keyword; did you mean `{kw}`?"
    return None


def _near_keywords(word: str) -> list[str]:
    """Keywords within a typo of `word`: one edit for short keywords, two for longer ones;
    a two-letter word only when it is a two-letter keyword swapped (`ro`, `si`)."""
    if word in keywords():
        return []
    if len(word) == 2:
        return sorted(kw for kw in keywords() if kw == word[::-1].lower())
    near = []
    for kw in keywords():
        d = edit_distance(word.lower(), kw)
        if d <= (1 if len(kw) <= 4 else 2):
            near.append((d, kw))
    return [kw for _d, kw in sorted(near)]


def _fits(site: _Site, col: int, word: str, kw: str) -> bool:
    """Whether, with `word` (at `col`) replaced by `kw`, the parser reads on past the token
    it failed on, and one token more (or to the end of the line). Only the top-level
    statement the line belongs to is parsed again, up to this line."""
    top = site.row
    while top > 0 and _indent(site.lines[top]) != 0:
        top -= 1
    fixed = site.line[:col] + kw + site.line[col + len(word) :]
    text = "\n".join([*site.lines[top : site.row], fixed]) + "\n"
    line_start, line_end = len(text) - len(fixed) - 1, len(text) - 1
    failed_at = site.col if site.tok.type.startswith("_") else site.col + len(str(site.tok))
    boundary = line_start + max(failed_at + len(kw) - len(word), col + len(kw))
    taken: int | None = None  # where the first token past the boundary starts
    try:
        for tok in parser().parse_interactive(text).iter_parse():  # yields, then feeds
            if taken is not None or tok.start_pos is None or tok.start_pos > line_end:
                return True  # the token past the boundary was taken, or the whole line
            if tok.start_pos >= boundary:
                taken = tok.start_pos
    except UnexpectedInput as e:  # the lexer fails on the token after the one it gave
        failed = e.token.start_pos if isinstance(e, UnexpectedToken) else e.pos_in_stream
        return taken is not None and failed is not None and failed > taken
    except (LarkError, AssertionError, RecursionError):
        return False
    return True


# ---- unclosed parentheses and labels --------------------------------------------------------------


def _unclosed_paren(source: SourceFile, text: str, pos: int) -> Diagnostic | None:
    """When a `(` left open on an earlier line made the parser read on into this one: point
    at that `(`, not at the innocent line where the reading failed."""
    opened = _open_parens(text, pos)
    if not opened:
        return None
    paren = opened[-1]
    if text.count("\n", 0, paren) >= text.count("\n", 0, pos) or _closed_later(text, paren):
        return None
    return error(
        "E0002",
        UNCLOSED,
        source.span(paren, paren + 1),
        "add the `)` it needs; until it is closed, the lines after it count as part of "
        "this statement",
    )


def _open_parens(text: str, pos: int) -> list[int]:
    """The offsets of the parentheses still open at `pos` (labels and comments skipped)."""
    stack: list[int] = []
    offset = 0
    for line in text[:pos].split("\n"):
        for i, ch in enumerate(_mask(line)):
            if ch in "(（":
                stack.append(offset + i)
            elif ch in ")）" and stack:
                stack.pop()
        offset += len(line) + 1
    return stack


def _closed_later(text: str, paren: int) -> bool:
    """Whether the `(` at `paren` is closed within its statement: on its own line, or on
    a continuation line indented deeper than the line it opens on (a line that is not, a
    new statement or row, means the `(` was left open)."""
    start = text.rfind("\n", 0, paren) + 1
    lines = text[start:].split("\n")
    depth, skip = 0, paren - start
    for n, line in enumerate(lines):
        ind = _indent(line)
        if n > 0 and ind is not None and ind <= (_indent(lines[0]) or 0):
            return False
        for ch in _mask(line)[skip:]:
            depth += (ch in "(（") - (ch in ")）")
            if depth == 0:
                return True
        skip = 0
    return False


def _foreign_digits(source: SourceFile, offset: int) -> Diagnostic | None:
    """E0001 for a number written in digits other than 0-9 (`৪০`, Bengali 40, looks like
    80): named with the value it would have, never read as it."""
    run = ""
    for ch in source.text[offset : offset + MAX_POLICY_CHARS]:
        if not (ch.isdecimal() or (run and ch == ".")):
            break
        run += ch
    run = run.rstrip(".")
    if not run or run.isascii():
        return None
    value = "".join(str(unicodedata.decimal(c)) if c != "." else "." for c in run)
    script = unicodedata.name(run[0], "").split(" DIGIT")[0].title()
    return error(
        "E0001",
        f"`{run}` is written in {script} digits",
        source.span(offset, offset + len(run)),
        f"write numbers with the digits 0-9: `{value}`",
    )


def _label_hint(text: str, offset: int) -> str | None:
    """An unexpected quote opens a label that its line never closes."""
    quote = text[offset : offset + 1]
    line_end = text.find("\n", offset)
    rest = text[offset + 1 : line_end if line_end >= 0 else len(text)]
    if quote == '"':
        also = " (`”` closes only a label opened with `“`)" if "”" in rest else ""
        return f'this label is not closed: end it with `"` on the same line{also}'
    if quote == "“":
        return (
            "this label is not closed: a label opened with `“` ends with `”` on the same "
            'line; or quote it with `"` at both ends'
        )
    return None


def iter_tokens(tree: Tree[Token]) -> Iterator[Token]:
    yield from tree.scan_values(lambda v: isinstance(v, Token))
