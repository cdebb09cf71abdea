"""Stage 1 of reading records: bytes -> a table of cells (header + numbered rows).

A source is a path or `-` (stdin). Workbooks (`.xlsx`, `.xlsm`, `.xls`, `.ods`, found by
their first bytes, whatever the name) go to `policyc.io.sheets`; everything else is text:
decoded (a BOM, then strict UTF-8, then GB18030, or the `--encoding` given), split on the
delimiter (comma, tab or semicolon, detected from the header, or the `--delimiter` given).

Rows are numbered as a spreadsheet shows them: one number per record, blank lines included,
so a quoted cell holding a newline does not push the rows after it down.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
DELIMITERS = {",": ",", "comma": ",", "\\t": "\t", "\t": "\t", "tab": "\t", ";": ";"}
DELIMITERS["semicolon"] = ";"
STDIN = "-"
STDIN_NAME = "<stdin>"
# what a Chinese Excel writes when asked for plain "CSV"; GB18030 holds all of GBK
DETECTED = ("UTF-8", "GB18030")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class SourceError(Exception):
    """The whole file cannot be read as a table: one message, never one per row."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A record that is not a row of cells (a quote that never closes)."""

    message: str
    text: str = ""  # the line as written, cut short


@dataclass
class Table:
    """Stage 1's result: the header and its rows, each cell text or a typed value (a
    workbook's number, date or boolean cell)."""

    name: str
    header: list[str]
    rows: Iterable[tuple[int, list[Any] | BadRow]]
    header_row: int = 1
    notes: list[tuple[int, str]] = field(default_factory=list)  # (row, warning) on the file
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    typed: bool = False  # cells may be numbers, dates, booleans (a workbook)
    damaged: bool = False  # UTF-8 with some bad bytes, kept as surrogate escapes


@dataclass(frozen=True, slots=True)
class ReadOptions:
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None  # a name, or a 1-based number


def source_name(source: str | Path) -> str:
    return STDIN_NAME if str(source) == STDIN else str(source)


def read_bytes(source: str | Path) -> bytes:
    if str(source) == STDIN:
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def is_workbook(raw: bytes) -> bool:
    return raw.startswith(WORKBOOK_MAGIC)


def read_table(
    source: str | Path,
    options: ReadOptions | None = None,
    expected: Iterable[str] = (),
    no_breaks: frozenset[str] = frozenset(),
) -> Table:
    """The table in `source`; `expected` (the declared field names) helps pick the
    delimiter. Raises SourceError when the file as a whole cannot be read."""
    options = options or ReadOptions()
    name = source_name(source)
    raw = read_bytes(source)
    if is_workbook(raw):
        from policyc.io.sheets import read_workbook

        table: Table = read_workbook(name, raw, options.sheet)
        return table
    text, encoding = decode(name, raw, options.encoding)
    return text_table(name, text, options.delimiter, set(expected), encoding, no_breaks)


def decode(name: str, raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, the encoding used). A BOM decides; else strict UTF-8, then GB18030."""
    if encoding is not None:
        return _forced(name, raw, encoding), encoding
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom) :]
            try:
                return body.decode(codec), codec.upper()
            except UnicodeDecodeError as e:
                text = body.decode(codec, errors="surrogateescape") if codec == "utf-8" else ""
                if text and _few_bad_rows(text):
                    return text, DAMAGED_UTF8
                raise SourceError(_undecodable(name, body, e, [codec.upper() + " (BOM)"])) from e
    guess = _utf16_without_bom(raw)
    if guess:
        try:
            return raw.decode(guess), guess.upper()
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as first:
        text = raw.decode("utf-8", errors="surrogateescape")
        try:
            other = raw.decode("gb18030")
        except UnicodeDecodeError:
            if _few_bad_rows(text):
                return text, DAMAGED_UTF8
            raise SourceError(_undecodable(name, raw, first, list(DETECTED))) from first
        if _mostly_utf8(raw, text):
            return text, DAMAGED_UTF8
        return other, "GB18030"


DAMAGED_UTF8 = "UTF-8 (damaged)"


def _mostly_utf8(raw: bytes, text: str) -> bool:
    """UTF-8 text with a few bytes that are not (a GBK cell pasted into a UTF-8 file): more
    bytes of real UTF-8 Chinese than bad bytes. (GBK read as UTF-8 also yields some valid
    sequences, but two-byte ones, Cyrillic or Armenian, hardly ever a Chinese character.)
    The bad bytes are kept as surrogate escapes and their cells reported; reading it all as
    GB18030 would garble the rest."""
    bad = sum(1 for c in text if "\udc80" <= c <= "\udcff")
    chinese = sum(1 for c in text if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return 3 * chinese > bad


def _few_bad_rows(text: str) -> bool:
    """Bad bytes on at most half the lines: damage to report by cell, not a file to refuse."""
    lines = text.splitlines()
    bad = sum(1 for line in lines if has_bad_bytes(line))
    return bad <= max(3, len(lines) // 2)


def has_bad_bytes(text: str) -> bool:
    """True when the text holds bytes that were not UTF-8 (kept as surrogate escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 text without a BOM shows as a NUL byte beside nearly every ASCII one."""
    head = raw[:4000]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _forced(name: str, raw: bytes, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding)
    except LookupError as e:
        raise SourceError(
            f"{name}: unknown encoding `{encoding}` (try utf-8, gbk, gb18030, utf-16)"
        ) from e
    if codec.name in ("utf-8", "utf-16") and raw.startswith(
        (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        codec = codecs.lookup("utf-8-sig") if codec.name == "utf-8" else codec
    try:
        return raw.decode(codec.name)
    except UnicodeDecodeError as e:
        raise SourceError(_undecodable(name, raw, e, [encoding])) from e


def _undecodable(name: str, raw: bytes, e: UnicodeDecodeError, tried: list[str]) -> str:
    line = raw.count(b"\n", 0, e.start) + 1
    return (
        f"{name}: cannot decode the file: tried {', '.join(tried)}; the first bad byte "
        f'(0x{raw[e.start]:02x}) is on line {line}. Save it as "CSV UTF-8" in Excel or WPS, '
        "or name its encoding with --encoding (e.g. --encoding gbk)"
    )


# ---- text -> rows --------------------------------------------------------------------------

MAX_CELL = 1 << 24  # a quoted cell may span lines; past 16 MB it is certainly a stray quote


def text_table(
    name: str,
    text: str,
    delimiter: str | None,
    expected: set[str],
    encoding: str = "",
    no_breaks: frozenset[str] = frozenset(),
) -> Table:
    """`no_breaks`: the declared columns where a line break in a cell cannot be meant (a
    number, a month): a record holding one there is a stray quote."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = list(_physical_lines(text))
    start = 0
    notes: list[tuple[int, str]] = []
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines):
        return Table(name, [], iter(()), 1, notes, encoding, delimiter or ",")
    if start:
        notes.append(
            (start + 1, f"the first {start} line(s) are blank; the header is row {start + 1}")
        )
    delim = _delimiter(lines[start], delimiter, expected)
    rows = _records(lines, start, delim, no_breaks)
    header_row, first = next(rows)
    if isinstance(first, BadRow):
        raise SourceError(f"{name}:{header_row}: the header row is not valid CSV: {first.message}")
    table = Table(name, first, rows, header_row, notes, encoding, delim)
    table.damaged = encoding == DAMAGED_UTF8
    return table


def _physical_lines(text: str) -> Iterator[str]:
    """Lines with their endings (\\n, \\r\\n or \\r), as the csv module splits them."""
    import io

    return iter(io.StringIO(text, newline=""))


def _delimiter(header: str, given: str | None, expected: set[str]) -> str:
    if given is not None:
        return DELIMITERS.get(given, given)
    best, score = ",", (-1, -1)
    for d in (",", "\t", ";"):
        cells = next(csv.reader([header], delimiter=d), [])
        s = (sum(1 for c in cells if c.strip() in expected), len(cells))
        if s > score:
            best, score = d, s
    return best


class _Swallowed(Exception):
    """A record spanning lines that is not a clean row (see `_records`)."""


def _records(
    lines: list[str], start: int, delim: str, no_breaks: frozenset[str]
) -> Iterator[tuple[int, list[Any] | BadRow]]:
    """(row number, cells) for every record from physical line `start` on.

    The csv module, strict, over the lines. A record that spans lines is a quoted cell
    holding a newline only when its quotes close cleanly (and, given `no_breaks`, the
    newline sits in a column that may hold one). A quote that never closes would otherwise
    swallow every line after it: that first line is reported alone and reading resumes on
    the next physical line.
    """
    _allow_big_cells()
    row, pos, n = start, start, len(lines)
    header: list[str] | None = None
    while pos < n:
        base = pos
        reader = csv.reader(map(lines.__getitem__, range(pos, n)), delimiter=delim, strict=True)
        try:
            for cells in reader:
                end = base + reader.line_num
                if end - pos > 1 and no_breaks and header is not None:
                    _check_span(cells, header, no_breaks)
                if header is None:
                    header = [c.strip() for c in cells]
                row += 1
                yield row, cells
                pos = end
        except (csv.Error, _Swallowed) as e:
            row += 1
            reason = str(e) or "it would take in the lines after it"
            yield row, BadRow(_quote_message(reason), lines[pos].rstrip("\r\n")[:80])
            pos += 1
            continue
        pos = n


def _check_span(cells: list[str], header: list[str], no_breaks: frozenset[str]) -> None:
    for h, c in zip(header, cells, strict=False):
        if h in no_breaks and ("\n" in c or "\r" in c):
            raise _Swallowed(f"a line break inside `{h}` would take in the lines after it")


def _quote_message(reason: str) -> str:
    return f'the line is not valid CSV: a quote `"` that does not close ({reason})'


def _allow_big_cells() -> None:
    """csv's field limit (131,072 characters) would split a long quoted cell into a phantom
    row; long cells are reported by the validation stage instead."""
    if csv.field_size_limit() < MAX_CELL:
        csv.field_size_limit(MAX_CELL)
