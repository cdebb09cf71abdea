"""Helpers every check shares: where each expression lives, and exact spans for names.

The AST keeps a span per node, but not per name inside a declaration (`ladder levels by
role` is one span); `find_word` finds the name's own characters so a caret lands on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from policyc.semantics.model import Model
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.walk import walk

SiteKind = Literal["def", "function", "state", "output"]


@dataclass(frozen=True, slots=True)
class Site:
    """One top-level expression: a definition's body, a state's clause, an output's value."""

    owner: str
    kind: SiteKind
    expr: A.Expr
    params: tuple[str, ...] = ()
    condition: bool = False  # a state's `when` clause: must be yes/no


def sites(model: Model) -> Iterator[Site]:
    for name, d in model.defs.items():
        yield Site(name, "def", d.body)
    for name, fn in model.functions.items():
        yield Site(name, "function", fn.body, fn.params)
    for name, st in model.states.items():
        yield Site(name, "state", st.start)
        for t in st.transitions:
            yield Site(name, "state", t.cond, (), True)
            if t.value is not None:
                yield Site(name, "state", t.value)
    for item in model.outputs:
        if item.value is not None:
            yield Site(item.name, "output", item.value)


def introduced_labels(model: Model) -> set[str]:
    """Enumeration labels, and bare names written where a result goes (`-> promote`)."""
    out = set(model.enum_labels())
    for site in sites(model):
        params = set(site.params)

        def result(e: A.Expr, params: set[str] = params) -> None:
            if isinstance(e, A.Name) and e.name not in params and _is_label(model, e.name):
                out.add(e.name)

        if not site.condition:
            result(site.expr)
        for node in walk(site.expr):
            match node:
                case A.If():
                    result(node.then)
                    result(node.otherwise)
                case A.Table():
                    for row in node.rows:
                        result(row.result)
                case A.By():
                    for c in node.cases:
                        result(c.body)
                case A.Call(func="default"):
                    for a in node.args:
                        result(a.value)
                case _:
                    pass
    return out


def _is_label(model: Model, name: str) -> bool:
    return not (
        model.is_value(name)
        or name in model.windows
        or name in model.ladders
        or name in model.functions
    )


def text_of(source: SourceFile, span: Span) -> str:
    return source.text[span.start : span.end]


def snippet(source: SourceFile, span: Span, limit: int = 40) -> str:
    """The source of an expression for a message: one line, shortened when long."""
    text = " ".join(text_of(source, span).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "this expression"


def find_word(
    source: SourceFile, span: Span, word: str, nth: int = 1, skip: int = 0
) -> Span | None:
    """The `nth` whole-word occurrence of `word` inside `span`, after `skip` characters."""
    if not word:
        return None
    region = source.text[span.start : span.end]
    pattern = re.compile(r"(?<![\w.])" + re.escape(word) + r"(?![\w])")
    for count, m in enumerate(pattern.finditer(region, skip), 1):
        if count == nth:
            return source.span(span.start + m.start(), span.start + m.end())
    return None


def find_quoted(source: SourceFile, span: Span, label: str, nth: int = 1) -> Span | None:
    """The `nth` occurrence of the quoted label `"x"` (or `“x”`) inside `span`."""
    region = source.text[span.start : span.end]
    pattern = re.compile('"' + re.escape(label) + '"|“' + re.escape(label) + "”")
    for count, m in enumerate(pattern.finditer(region), 1):
        if count == nth:
            return source.span(span.start + m.start(), span.start + m.end())
    return None


def word_span(source: SourceFile, span: Span, word: str, nth: int = 1, skip: int = 0) -> Span:
    """Like `find_word`, falling back to the whole span."""
    return find_word(source, span, word, nth, skip) or span


def header_span(source: SourceFile, span: Span) -> Span:
    """The first line of a block (`action = band window_average`), without its comment."""
    line = source.line_text(span.line)
    rest = line[span.column - 1 :]
    cut = rest.find("#")
    if cut >= 0:
        rest = rest[:cut]
    rest = rest.rstrip()
    return source.span(span.start, span.start + max(1, len(rest)))


def join_span(source: SourceFile, first: Span, last: Span) -> Span:
    return source.span(first.start, max(first.end, last.end))


def quoted_list(names: Iterable[str], limit: int = 8) -> str:
    items = list(names)
    shown = ", ".join(f"`{n}`" for n in items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


def and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def or_list(items: list[str], limit: int = 8) -> str:
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" or {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


KEYWORD = {A.LadderDecl: "ladder", A.WindowDecl: "window", A.StateDecl: "state"}


def decl_name_span(source: SourceFile, st: A.Stmt) -> Span:
    """The characters of a declaration's own name."""
    name = getattr(st, "name", "")
    keyword = KEYWORD.get(type(st), "")
    return word_span(source, st.span, name, skip=len(keyword))


def kind_of(model: Model, name: str) -> str | None:
    if name in model.windows:
        return "window"
    if name in model.ladders:
        return "ladder"
    if name in model.functions:
        return "function"
    return None
