"""`policyc fmt`: one canonical layout for a policy, printed from its AST, every comment kept.

The layout: the header, a blank line around every block statement, two-space indentation,
`:` aligned in record/by/ladder/window blocks and `->` in band and table rows, table cells
in columns, one space around operators, ASCII punctuation. Because the text is printed from
the AST, formatting cannot change meaning; `format_source` still re-parses its own output
and refuses to hand back text whose AST or comments differ. Comments, which the parser
drops, are put back by their source lines: an own-line comment before the line it preceded,
a trailing comment at the end of its line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from policyc.diagnostics import Diagnostic, Severity
from policyc.fmt.text import (
    BOUND_WORDS,
    INDENT,
    LINE_LIMIT,
    P_OR,
    P_SUM,
    WORD_BOUND,
    FormatError,
    align,
    body_text,
    expr_text,
    is_bare,
    literal_text,
    months_text,
    pad,
    quote,
    type_text,
    weighted_text,
    wrap,
)
from policyc.source import SourceFile, Span, display_width
from policyc.syntax import ast as A
from policyc.syntax.lower import lower
from policyc.syntax.parse import Comment, comments, parse

# ---- statements as lines ------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    indent: int = 0
    first: int = 0  # the source lines this line's code came from; 0 without a source
    last: int = 0
    trailing: str | None = None
    inner: list[Comment] = field(default_factory=list)  # comments from inside its code


@dataclass
class _Stmt:
    head: _Line
    rows: list[_Line]
    block: bool


class _Printer:
    """Turns statements into lines; with a source, it also keeps the author's choices the
    AST does not record (bound words or symbols, quoted keys, percent literals)."""

    def __init__(self, src: SourceFile | None) -> None:
        self.src = src
        self.comments = comments(src) if src is not None else []
        self.comment_col = {c.line: c.column for c in self.comments}

    # -- source helpers
    def code(self, start: int, end: int) -> str:
        """Source text between two offsets with comments cut out."""
        if self.src is None:
            return ""
        first, _ = self.src.position(start)
        last, _ = self.src.position(end)
        parts = []
        for line in range(first, last + 1):
            lo, hi = self._bounds(line, start, end)
            parts.append(self.src.line_text(line)[lo:hi])
        return "\n".join(parts).strip()

    def _bounds(self, line: int, start: int, end: int) -> tuple[int, int]:
        assert self.src is not None
        text = self.src.line_text(line)
        s_line, s_col = self.src.position(start)
        e_line, e_col = self.src.position(end)
        lo = s_col - 1 if line == s_line else 0
        hi = e_col - 1 if line == e_line else len(text)
        cut = self.comment_col.get(line)
        return lo, hi if cut is None else min(hi, cut - 1)

    def lines(self, span: Span, end: int | None = None) -> tuple[int, int]:
        """(first, last) source lines holding code of `span` (up to `end`)."""
        if self.src is None or span.line == 0:
            return 0, 0
        stop = span.end
        if end is not None:  # a block's head ends where the line of its first row starts
            stop = end - (self.src.position(end)[1] - 1)
        last = span.line
        e_line, _ = self.src.position(stop)
        for line in range(span.line, e_line + 1):
            lo, hi = self._bounds(line, span.start, stop)
            if self.src.line_text(line)[lo:hi].strip():
                last = line
        return span.line, last

    def blank_between(self, after: int, before: int) -> bool:
        if self.src is None or after == 0:
            return False
        return any(self.is_blank(n) for n in range(after + 1, before))

    def is_blank(self, line: int) -> bool:
        return self.src is not None and not self.src.line_text(line).strip()

    def line_count(self) -> int:
        return 0 if self.src is None else self.src.text.count("\n") + 1

    def line(self, text: str, span: Span, indent: int = 0, end: int | None = None) -> _Line:
        first, last = self.lines(span, end)
        return _Line(text, indent, first, last)

    def _breaks(self, rows: Sequence[_Line]) -> list[bool]:
        return [i > 0 and self.blank_between(rows[i - 1].last, r.first) for i, r in enumerate(rows)]

    def aligned(
        self,
        rows: list[_Line],
        pairs: list[tuple[str, str]],
        sep: str,
        wraps: Sequence[bool] = (),
    ) -> list[_Line]:
        texts = align(pairs, sep, self._breaks(rows))
        for k, (r, text) in enumerate(zip(rows, texts, strict=True)):
            right = pairs[k][1]
            may_wrap = k < len(wraps) and wraps[k]
            r.text = wrap(text[: len(text) - len(right)], right, r.indent) if may_wrap else text
        return rows

    # -- author's choices
    def bound_text(self, b: A.Bound, words: bool) -> str:
        value = expr_text(b.value, P_SUM)
        word = BOUND_WORDS.get(b.op)
        if self.src is not None and b.span.line:
            m = WORD_BOUND.match(self.src.text, b.span.start)
            words = m is not None
            if m is not None and m.group(1) == "under":
                word = "under"
        return f"{word} {value}" if words and word else f"{b.op} {value}"

    def keys_text(self, keys: tuple[A.CaseKey, ...], span: Span) -> str:
        if not keys:
            return "otherwise"
        quoted = self._quoted_in_head(span)
        out = []
        for k in keys:
            if isinstance(k, Decimal):
                out.append(format(k, "f"))
            else:
                out.append(quote(k) if k in quoted or not is_bare(k) else k)
        return ", ".join(out)

    def _quoted_in_head(self, span: Span) -> set[str]:
        """Keys the author quoted: `"A" : ...` stays quoted although `A` would do."""
        if self.src is None or not span.line:
            return set()
        text = self.code(span.start, span.end)
        colon = re.search(r"[:：]", _unquoted_mask(text))
        head = text[: colon.start()] if colon else text
        return {a or b for a, b in re.findall(r'"([^"\n]*)"|“([^”\n]*)”', head)}

    def percent_hint(self, span: Span) -> bool:
        """True when a literal after `=` in this span was written as a percentage."""
        text = self.code(span.start, span.end)
        return "=" in text and text.rstrip().endswith(("%", "％"))

    # -- statements
    def stmt(self, s: A.Stmt) -> _Stmt:
        match s:
            case A.RecordDecl():
                return self.record(s)
            case A.KeyDecl():
                return _Stmt(self.line("key " + ", ".join(s.names), s.span), [], False)
            case A.LadderDecl():
                return self.ladder(s)
            case A.WindowDecl():
                return self.window(s)
            case A.Def():
                return self.definition(s)
            case A.StateDecl():
                return self.state(s)
            case A.OverrideDecl():
                return _Stmt(self.line(_override_text(s), s.span), [], False)
            case A.OutputDecl():
                return self.output(s)
            case A.Example():
                return self.example(s)
        raise FormatError(f"cannot print a {type(s).__name__}")

    def record(self, s: A.RecordDecl) -> _Stmt:
        groups: list[list[A.FieldDecl]] = []
        for f in s.fields:  # `a, b : score?` lowers to one field each, sharing the span
            if groups and f.span.line and f.span == groups[-1][0].span:
                groups[-1].append(f)
            else:
                groups.append([f])
        rows = [self.line("", g[0].span, INDENT) for g in groups]
        pairs = [(", ".join(f.name for f in g), self.field_type(g[0])) for g in groups]
        head = self.line("record", s.span, end=s.fields[0].span.start if s.fields else None)
        return _Stmt(head, self.aligned(rows, pairs, " : "), True)

    def field_type(self, f: A.FieldDecl) -> str:
        text = type_text(f)
        if f.default is not None:
            text += " = " + literal_text(f.default, self.percent_hint(f.span))
        return text

    def ladder(self, s: A.LadderDecl) -> _Stmt:
        if s.by is None:
            steps = " < ".join(quote(x) for x in s.cases[0].steps)
            return _Stmt(self.line(f"ladder {s.name} = {steps}", s.span), [], False)
        rows = [self.line("", c.span, INDENT) for c in s.cases]
        pairs = [
            (self.keys_text(c.keys, c.span), " < ".join(quote(x) for x in c.steps)) for c in s.cases
        ]
        head = self.line(f"ladder {s.name} by {s.by}", s.span, end=s.cases[0].span.start)
        return _Stmt(head, self.aligned(rows, pairs, " : "), True)

    def window(self, s: A.WindowDecl) -> _Stmt:
        if s.by is None:
            text = f"window {s.name} = {months_text(s.cases[0].months)}"
            return _Stmt(self.line(text, s.span), [], False)
        rows = [self.line("", c.span, INDENT) for c in s.cases]
        pairs = [(self.keys_text(c.keys, c.span), months_text(c.months)) for c in s.cases]
        head = self.line(f"window {s.name} by {s.by}", s.span, end=s.cases[0].span.start)
        return _Stmt(head, self.aligned(rows, pairs, " : "), True)

    def definition(self, s: A.Def) -> _Stmt:
        name = f"{s.name}({', '.join(s.params)})" if s.params else s.name
        body = s.body
        if isinstance(body, A.Table):
            return self.table(name, body, s.span)
        if isinstance(body, A.By):
            rows = [self.line("", c.span, INDENT) for c in body.cases]
            pairs = [(self.keys_text(c.keys, c.span), body_text(c.body)) for c in body.cases]
            wraps = [not isinstance(c.body, A.Weighted) for c in body.cases]
            head = self.line(f"{name} = by {body.subject}", s.span, end=body.cases[0].span.start)
            return _Stmt(head, self.aligned(rows, pairs, " : ", wraps), True)
        if isinstance(body, A.Weighted):
            return _Stmt(self.line(f"{name} = {weighted_text(body)}", s.span), [], False)
        return _Stmt(self.line(wrap(f"{name} = ", expr_text(body)), s.span), [], False)

    def table(self, name: str, t: A.Table, span: Span) -> _Stmt:
        if t.band:
            head_text = f"{name} = band {expr_text(t.inputs[0])}"
        else:
            inputs = ", ".join(expr_text(i, P_OR) for i in t.inputs)
            head_text = f"{name} = table {t.hit} over {inputs}"
        cells = [[self.cell(c, t.band) for c in r.cells] for r in t.rows]
        ncols = max((len(c) for c in cells), default=0)
        widths = [
            max((display_width(c[j]) for c in cells if len(c) > j), default=0) for j in range(ncols)
        ]
        lefts = []
        for row, row_cells in zip(t.rows, cells, strict=True):
            if row.otherwise:
                lefts.append("otherwise")
                continue
            padded = [pad(c, widths[j]) for j, c in enumerate(row_cells[:-1])]
            lefts.append(" | ".join([*padded, *row_cells[-1:]]))
        pairs = [(left, expr_text(r.result)) for left, r in zip(lefts, t.rows, strict=True)]
        rows = [
            self.line(text, r.span, INDENT)
            for text, r in zip(
                align(pairs, " -> ", [False] * len(pairs), runs=False), t.rows, strict=True
            )
        ]
        head = self.line(head_text, span, end=t.rows[0].span.start if t.rows else None)
        return _Stmt(head, rows, True)

    def cell(self, c: A.Cell, band: bool) -> str:
        if isinstance(c, A.AnyCell):
            return "any"
        if isinstance(c, A.BoundsCell):
            return " and ".join(self.bound_text(b, words=band) for b in c.bounds)
        return ", ".join(expr_text(v, P_SUM) for v in c.values)

    def state(self, s: A.StateDecl) -> _Stmt:
        start = self.line(wrap("start = ", expr_text(s.start), INDENT), s.start.span, INDENT)
        rows = []
        for t in s.transitions:
            if t.kind == "becomes" and t.value is not None:
                prefix = f"becomes {expr_text(t.value, P_OR)} when "
            else:
                prefix = f"{t.kind} {t.steps} when "
            rows.append(self.line(wrap(prefix, expr_text(t.cond), INDENT), t.span, INDENT))
        written = self.code(s.span.start, s.span.end)
        if len(re.findall(r"^\s*start\s*=", written, re.M)) > 1:  # the AST keeps only one
            raise FormatError(f"state `{s.name}` has more than one `start =` line")
        # `start` goes first unless the author put it elsewhere (its comments go with it)
        before = sum(1 for t in s.transitions if 0 < t.span.start < s.start.span.start)
        rows.insert(before, start)
        on = f" on {s.ladder}" if s.ladder else ""
        starts = [s.start.span.start] + [t.span.start for t in s.transitions]
        head = self.line(f"state {s.name}{on}", s.span, end=min(starts))
        return _Stmt(head, rows, True)

    def output(self, s: A.OutputDecl) -> _Stmt:
        items = [_output_item(i) for i in s.items]
        one_line = "output " + ", ".join(items)
        was_block = self.src is not None and any(i.span.line > s.span.line for i in s.items)
        if not was_block and display_width(one_line) <= LINE_LIMIT:
            return _Stmt(self.line(one_line, s.span), [], False)
        rows = [self.line(text, i.span, INDENT) for text, i in zip(items, s.items, strict=True)]
        head = self.line("output", s.span, end=s.items[0].span.start)
        return _Stmt(head, rows, True)

    def example(self, s: A.Example) -> _Stmt:
        rows = [self.line(self.example_line(x), x.span, INDENT) for x in s.lines]
        end = s.lines[0].span.start if s.lines else None
        return _Stmt(self.line(f"example {quote(s.title)}", s.span, end=end), rows, True)

    def example_line(self, x: A.ExampleLine) -> str:
        key = x.key if re.fullmatch(r"\d+", x.key) or is_bare(x.key) else quote(x.key)
        when = ""
        if x.first is not None:
            when = f" {x.first}" if x.last in (None, x.first) else f" {x.first} to {x.last}"
        assigns = ", ".join(
            f"{a.name} = {literal_text(a.value, self.percent_hint(a.span))}" for a in x.assigns
        )
        return f"{x.kind} {key}{when}: {assigns}"


def _unquoted_mask(text: str) -> str:
    """`text` with quoted parts blanked out, so a `:` inside a label is not a separator."""
    return re.sub(r'"[^"\n]*"|“[^”\n]*”', lambda m: "_" * len(m.group(0)), text)


def _override_text(s: A.OverrideDecl) -> str:
    text = f"override {s.target} with {s.field}"
    if s.reason_field is not None:
        text += f" because {s.reason_field}"
    elif s.reason_text is not None:
        text += f" because {quote(s.reason_text)}"
    return text


def _output_item(i: A.OutputItem) -> str:
    return i.name if i.value is None else f"{i.name} = {expr_text(i.value)}"


# ---- comments and blank lines ----------------------------------------------------------------


@dataclass
class _Item:
    line: _Line
    top: bool  # a statement's first line (or the header), not a row of a block
    block: bool  # its statement is a block, so blank lines surround it
    first_row: bool = False


Gap = list[Comment | None]  # the comments before a line, None for a blank line


class _Layout:
    """Interleaves the printed lines with the source's comments and blank lines."""

    def __init__(self, printer: _Printer, items: list[_Item]) -> None:
        self.p = printer
        self.items = items
        self.before: dict[int, list[Comment]] = {}
        self.tail: list[Comment] = []
        self.out: list[tuple[int, str | None, str | None]] = []  # (indent, code, comment)
        # indexes by source line: whose code ends on a line, covers it, or starts after it
        self.ending: dict[int, list[_Line]] = {}
        self.covering: dict[int, _Line] = {}
        starts: list[tuple[int, int]] = []
        for i, it in enumerate(items):
            ln = it.line
            if ln.first:
                self.ending.setdefault(ln.last, []).append(ln)
                for n in range(ln.first, ln.last + 1):
                    self.covering.setdefault(n, ln)
                starts.append((ln.first, i))
        self.starts = sorted(starts)
        for c in printer.comments:
            self._place(c)
        # the last source line of code before each item (in source order), and before the end
        self.code_before = [0] * (len(items) + 1)
        running = 0
        for _first, i in self.starts:
            self.code_before[i] = running
            running = max(running, items[i].line.last)
        self.code_before[len(items)] = running

    def _place(self, c: Comment) -> None:
        assert self.p.src is not None
        own = not self.p.src.line_text(c.line)[: c.column - 1].strip()
        if not own:
            for ln in self.ending.get(c.line, []):
                if ln.trailing is None:
                    ln.trailing = c.text
                    return
        inside = self.covering.get(c.line)
        if inside is not None:  # a comment from inside a statement spread over several lines
            inside.inner.append(c)
            return
        k = bisect.bisect_right(self.starts, (c.line, len(self.items)))
        if k < len(self.starts):
            self.before.setdefault(self.starts[k][1], []).append(c)
        else:
            self.tail.append(c)

    def gap(self, i: int) -> Gap:
        """Comments placed before item `i`, with the source's blank lines among them."""
        mine = sorted(self.before.get(i, []) if i < len(self.items) else self.tail, key=_line)
        first = self.items[i].line.first if i < len(self.items) else 10**9
        lo = self.code_before[i]
        lines = {c.line: c for c in mine}
        seq: Gap = []
        hi = first if i < len(self.items) else self.p.line_count() + 1
        for n in range(lo + 1, hi):
            if n in lines:
                seq.append(lines.pop(n))
            elif self.p.is_blank(n) and (not seq or seq[-1] is not None):
                seq.append(None)
        seq.extend(lines[n] for n in sorted(lines))  # never lose one, wherever it was
        return seq

    def emit_comments(self, seq: Sequence[Comment | None], indent: int) -> None:
        for c in seq:
            self.out.append((0, None, None) if c is None else (indent, None, c.text))

    def run(self) -> list[tuple[int, str | None, str | None]]:
        prev: _Item | None = None
        prev_top: _Item | None = None
        for i, it in enumerate(self.items):
            seq = self.gap(i)
            if not it.top:
                if it.first_row:
                    seq = _strip_blanks(seq)
                self.emit_comments(seq, it.line.indent)
            elif prev_top is None or prev is None:
                self.emit_comments(_strip_blanks(seq), 0)
            else:
                self._between_statements(seq, prev, prev_top, it)
            self.emit_comments(it.line.inner, it.line.indent)
            self.out.append((it.line.indent, it.line.text, it.line.trailing))
            prev = it
            if it.top:
                prev_top = it
        self._tail(prev)
        return self.out

    def _between_statements(self, seq: Gap, prev: _Item, prev_top: _Item, it: _Item) -> None:
        if not (prev_top.block or it.block or None in seq):
            self.emit_comments(seq, 0)  # one-line statements the author kept together
            return
        if seq and seq[0] is not None and None in seq:
            # comments right under a statement, then a blank line: they belong to it
            cut = seq.index(None)
            for c in seq[:cut]:
                assert c is not None
                self.out.append((_sticky_indent(c, prev), None, c.text))
            seq = seq[cut:]
        self.out.append((0, None, None))
        self.emit_comments(_strip_blanks(seq), 0)

    def _tail(self, prev: _Item | None) -> None:
        seq = self.gap(len(self.items))
        while seq and seq[-1] is None:
            seq.pop()
        if not seq:
            return
        if seq[0] is None and prev is not None:
            self.out.append((0, None, None))
        for c in _strip_blanks(seq):
            if c is None:
                self.out.append((0, None, None))
            else:
                indent = _sticky_indent(c, prev) if prev is not None and seq[0] else 0
                self.out.append((indent, None, c.text))


def _line(c: Comment) -> int:
    return c.line


def _strip_blanks(seq: Gap) -> Gap:
    start = 0
    while start < len(seq) and seq[start] is None:
        start += 1
    return seq[start:]


def _sticky_indent(c: Comment, prev: _Item | None) -> int:
    return prev.line.indent if prev is not None and c.column > 1 else 0


def _render(out: list[tuple[int, str | None, str | None]]) -> str:
    """The final text; trailing comments on neighbouring lines are aligned like gofmt's."""
    codes = [(" " * ind + code) if code is not None else None for ind, code, _ in out]
    texts = []
    i = 0
    while i < len(out):
        ind, code, comment = out[i]
        if code is None:
            texts.append("" if comment is None else " " * ind + comment)
            i += 1
            continue
        j = i
        while j < len(out) and "\n" not in (out[j][1] or "\n") and out[j][2] is not None:
            j += 1
        if j == i:  # code without a trailing comment, or spread over lines
            texts.append((codes[i] or "") + (f"  {comment}" if comment else ""))
            i += 1
            continue
        pairs = [(codes[k] or "", out[k][2] or "") for k in range(i, j)]
        texts.extend(align(pairs, "  ", [False] * len(pairs)))
        i = j
    return "\n".join(texts).rstrip("\n") + "\n" if texts else ""


# ---- entry points ----------------------------------------------------------------------------


def format_policy(policy: A.Policy, source: SourceFile | None = None) -> str:
    """The canonical text of a policy; comments come from `source` when it is given."""
    p = _Printer(source)
    items: list[_Item] = []
    if policy.name or policy.version is not None:
        version = f" version {quote(policy.version)}" if policy.version is not None else ""
        n = _first_code_line(source) if source is not None else 0
        header = _Line(f"policy {quote(policy.name)}{version}", 0, n, n)
        items.append(_Item(header, True, True))
    for s in policy.stmts:
        st = p.stmt(s)
        items.append(_Item(st.head, True, st.block))
        items.extend(_Item(r, False, True, k == 0) for k, r in enumerate(st.rows))
    return _render(_Layout(p, items).run())


def _first_code_line(source: SourceFile) -> int:
    marks = {c.line: c.column for c in comments(source)}
    for n, text in enumerate(source.text.split("\n"), 1):
        if text[: marks.get(n, len(text) + 1) - 1].strip():
            return n
    return 0


@dataclass(frozen=True)
class Formatted:
    """The outcome for one file: the canonical text, or why there is none."""

    source: SourceFile
    text: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    problem: str | None = None

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.source.text


def parse_policy(source: SourceFile) -> tuple[A.Policy | None, list[Diagnostic]]:
    """Text -> AST, with every syntax diagnostic and lowering diagnostic."""
    tree, diags = parse(source)
    if tree is None:
        return None, diags
    policy, ldiags = lower(tree, source)
    return policy, diags + ldiags


def format_source(source: SourceFile) -> Formatted:
    """Format a policy text, and prove the result means the same and keeps every comment."""
    policy, diags = parse_policy(source)
    diags = [d for d in diags if d.severity is Severity.ERROR]  # W0012: fmt is the fix
    if policy is None or diags:
        # lowering errors mean the AST lost something (a number too long, a unit)
        return Formatted(source, None, tuple(diags))
    try:
        text = format_policy(policy, source)
    except FormatError as e:
        return Formatted(source, None, (), str(e))
    again, again_diags = parse_policy(SourceFile.of(source.name, text))
    if again != policy or again_diags:
        return Formatted(source, None, (), "the formatted text would not mean the same")
    kept = [c.text for c in comments(SourceFile.of(source.name, text))]
    if kept != [c.text for c in comments(source)]:
        return Formatted(source, None, (), "a comment would be lost or moved out of order")
    return Formatted(source, text)


def format_text(text: str, name: str = "<text>") -> str:
    """Format policy text or raise FormatError (for tests and editors)."""
    result = format_source(SourceFile.of(name, text))
    if result.text is None:
        why = result.problem or "; ".join(d.message for d in result.diagnostics)
        raise FormatError(why)
    return result.text


def read_policy(path: Path) -> SourceFile:
    """Read a policy strictly: a file that is not UTF-8 is refused, never rewritten."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FormatError(f"not UTF-8 text (byte {e.start})") from e
    return SourceFile.of(str(path), text)


def find_policy_files(paths: Sequence[str | Path]) -> list[Path]:
    """Files named on the command line, and `*.policy` files under directories, sorted."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.policy") if p.is_file()))
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(str(raw))
    return list(dict.fromkeys(out))
