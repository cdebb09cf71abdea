"""Results out as an Excel workbook (xlsxwriter): typed cells, money with its places, a
frozen bold header with an autofilter, widths fitted to CJK text, bad rows on a second
sheet."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from policyc.io.columns import OutKind
from policyc.io.records import RecordError
from policyc.io.results import CUT_PLACES, ERROR_FIELDS, cut, decimal_text, error_record
from policyc.source import display_width

MAX_WIDTH = 60
EXACT_DIGITS = 15  # a double holds 15 significant digits; a longer number is written as text


def to_xlsx(
    columns: list[str],
    rows: Iterable[dict[str, Any]],
    kinds: dict[str, OutKind],
    errors: list[RecordError],
    sheet: str = "results",
) -> bytes:
    import xlsxwriter  # imported when a workbook is written

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    bold = book.add_format({"bold": True})
    money_formats: dict[int, Any] = {}

    def money_format(places: int) -> Any:
        if places not in money_formats:
            money_formats[places] = book.add_format(
                {"num_format": "0." + "0" * places if places else "0"}
            )
        return money_formats[places]

    ws = book.add_worksheet(sheet)
    widths = [display_width(c) for c in columns]
    ws.write_row(0, 0, columns, bold)
    n = 0
    for n, obj in enumerate(rows, 1):
        for c, name in enumerate(columns):
            v = obj.get(name)
            k = kinds.get(name)
            shown = _write(ws, n, c, v, money_format(k.places or 0) if k and k.money else None)
            if shown > widths[c]:
                widths[c] = shown
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), max(len(columns) - 1, 0))
    for c, w in enumerate(widths):
        ws.set_column(c, c, min(w + 2, MAX_WIDTH))
    if errors:
        _reports(book, bold, errors)
    book.close()
    return buf.getvalue()


def _write(ws: Any, r: int, c: int, v: Any, money: Any) -> int:
    """Write one cell; the width it needs."""
    if v is None:
        return 0
    if isinstance(v, bool):
        ws.write_boolean(r, c, v)
        return 5
    if type(v) is Decimal:
        short = cut(decimal_text(v), CUT_PLACES)
        digits = short.lstrip("+-").replace(".", "").lstrip("0")
        if len(digits) <= EXACT_DIGITS:
            if money is not None:
                ws.write_number(r, c, float(Decimal(short)), money)
            else:
                ws.write_number(r, c, float(Decimal(short)))
            return len(short) + 3
        v = short  # more digits than a double holds: written as text, exactly
    text = str(v)
    ws.write_string(r, c, text)  # never a formula, whatever it starts with
    return display_width(text)


def _reports(book: Any, bold: Any, errors: list[RecordError]) -> None:
    ws = book.add_worksheet("reports")
    ws.write_row(0, 0, ERROR_FIELDS, bold)
    widths = [len(f) for f in ERROR_FIELDS]
    for r, e in enumerate(errors, 1):
        for c, value in enumerate(error_record(e).values()):
            if value is None:
                continue
            if isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
                widths[c] = max(widths[c], min(display_width(str(value)), MAX_WIDTH))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(errors), len(ERROR_FIELDS) - 1)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w + 2)


def chunks(data: bytes) -> Iterator[bytes]:
    yield data
