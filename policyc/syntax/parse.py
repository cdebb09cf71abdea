"""Text -> Lark parse tree. Syntax errors become diagnostics, every one we can find."""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import ClassVar

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter

from policyc.diagnostics import Diagnostic, error
from policyc.source import SourceFile

MAX_POLICY_CHARS = 200_000
# Parse-tree levels one statement may nest (each parenthesis, operator, `if`, call and
# argument adds one or more). The bundled policies need at most 13; the limit keeps every
# later, recursive stage (lowering, checks, compiled closures) far from Python's stack limit.
MAX_NESTING = 100
# Syntax errors reported per policy: each one costs a whole parse, and after a few dozen
# the author has enough to fix.
MAX_SYNTAX_ERRORS = 50


class PolicyIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types: ClassVar[list[str]] = ["LPAR"]
    CLOSE_PAREN_types: ClassVar[list[str]] = ["RPAR"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4

    def handle_NL(self, token: Token) -> Iterator[Token]:
        levels = list(self.indent_level)
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
    "EQUAL": "`=`",
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
    "DOT": "`.`",
    "__ANON_0": "`..`",
    "MONTH": "a month such as `2021-03`",
    "HIT": "`first` or `unique`",
    "ORDER": "`asc` or `desc`",
}


def _describe(expected: set[str]) -> str:
    words = sorted({_TOKEN_WORDS.get(t, f"`{t.lower()}`") for t in expected if t})
    if len(words) > 6:
        words = [*words[:6], "…"]
    return ", ".join(words)


def _hint_for(text: str) -> str | None:
    hints = {
        "：": "use `:` (ASCII colon)",
        "；": "statements end at the end of the line; no `;` is needed",
        ";": "statements end at the end of the line; no `;` is needed",
        "\t": "indent with spaces",
        "'": 'labels are quoted with double quotes: `"..."`',
        "‘": 'labels are quoted with double quotes: `"..."`',
        "{": "blocks are written by indentation, not braces",
        "\ufffd": "the file holds bytes that are not UTF-8 text: save it as UTF-8",
    }
    for key, hint in hints.items():
        if key in text:
            return hint
    for ch in text:
        # a full-width form from a Chinese keyboard (＝ ＞ ＋ ｜ ＂ ...): name the ASCII one
        plain = unicodedata.normalize("NFKC", ch)
        if ch == "\u3000":
            return "use an ordinary space ` ` instead of the full-width space"
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
    text = source.text if source.text.endswith("\n") else source.text + "\n"
    try:
        tree = parser().parse(text)
    except (LarkError, AssertionError, RecursionError):
        diags = _recovering_parse(source, text)
        return None, [_wide_hint(source, d) for d in _dedupe_lines(diags)]
    deep = _too_deep(source, tree)
    return (None, [deep]) if deep else (tree, [])


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
            d = _syntax_diagnostic(source, e)
            blame, run = _blame(source, e, d)
        except RecursionError:
            d = error("E0004", "expression nested too deeply", source.span(0, 1))
            blame, run = 0, False
        except (LarkError, AssertionError):  # Lark's Indenter asserts on some stray `)`
            d = error("E0001", "the policy could not be read", source.span(0, 1))
            blame, run = 0, False
        diags.append(d)
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


def _syntax_diagnostic(source: SourceFile, e: UnexpectedInput) -> Diagnostic:
    if isinstance(e, UnexpectedCharacters):
        offset = e.pos_in_stream or 0
        ch = source.text[offset : offset + 1] if offset < len(source.text) else ""
        span = source.span(offset, offset + 1)
        hint = _hint_for(ch) or "remove it, or put it inside a quoted label"
        return error("E0001", f"unexpected character `{ch}`", span, hint)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        start = tok.start_pos if tok.start_pos is not None else len(source.text)
        if tok.type == "$END":
            start = max(0, len(source.text.rstrip()) - 1)
            span = source.span(start, start + 1)
            return error(
                "E0002", "the policy ends too early", span, f"expected {_describe(e.expected)}"
            )
        end = tok.end_pos if tok.end_pos is not None else start + 1
        if tok.type in ("_DEDENT", "_INDENT"):
            start = end  # the first character of the line that is indented wrongly
        if tok.type in ("_NL", "_DEDENT", "_INDENT"):
            end = start + 1
        span = source.span(start, end)
        what = {"_NL": "end of line", "_INDENT": "indentation", "_DEDENT": "end of block"}.get(
            tok.type, f"`{tok.value}`"
        )
        hint = _hint_for(str(tok.value)) or f"expected {_describe(e.expected)}"
        if tok.type == "_INDENT" and "\t" not in str(tok.value):
            hint = "line it up with the line above: only lines under a block's heading go deeper"
        return error("E0002", f"unexpected {what}", span, hint)
    pos = getattr(e, "pos_in_stream", 0) or 0
    return error("E0002", "unexpected input", source.span(pos, pos + 1), None)


def iter_tokens(tree: Tree[Token]) -> Iterator[Token]:
    yield from tree.scan_values(lambda v: isinstance(v, Token))
