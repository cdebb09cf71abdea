"""Stage 1 for workbooks: `.xlsx`, `.xlsm`, `.xls`, `.ods` (python-calamine) -> a table.

Cells stay typed (a number cell is a float or int, a date cell a date); `policyc.io.cells`
turns them into the text the record schema reads, by the declared kind of their column.
Rows are numbered as the sheet shows them, whatever empty rows or columns come first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from policyc.io.decode import SourceError, Table


def read_workbook(name: str, raw: bytes, sheet: str | None) -> Table:
    from python_calamine import CalamineWorkbook  # imported when a workbook is read

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as e:  # calamine raises its own kinds for every damaged file
        raise SourceError(f"{name}: cannot read the workbook: {_reason(e)}") from e
    names = list(book.sheet_names)
    chosen = _pick(name, names, sheet)
    try:
        grid = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception as e:
        raise SourceError(f"{name}: cannot read sheet `{chosen}`: {_reason(e)}") from e
    rows = _numbered(grid)
    first = next(rows, None)
    if first is None:
        return Table(name, [], iter(()), 1, sheet=chosen, typed=True)
    header_row, header = first
    notes = []
    if header_row > 1:
        notes.append(
            (header_row, f"rows 1-{header_row - 1} are blank; the header is row {header_row}")
        )
    return Table(
        name,
        [_header_text(c) for c in header],
        rows,
        header_row,
        notes,
        sheet=chosen,
        typed=True,
    )


def sheet_names(raw: bytes) -> list[str]:
    from python_calamine import CalamineWorkbook

    return list(CalamineWorkbook.from_filelike(io.BytesIO(raw)).sheet_names)


def _pick(name: str, names: list[str], sheet: str | None) -> str:
    """`--sheet NAME` or `--sheet N` (1-based); the first sheet by default."""
    if not names:
        raise SourceError(f"{name}: the workbook has no sheets")
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    if sheet.isascii() and sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    listed = ", ".join(f"`{n}`" for n in names)
    raise SourceError(f"{name}: no sheet `{sheet}`; the workbook has {listed} (--sheet NAME or N)")


def _numbered(grid: list[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(sheet row number, cells) from the first row holding anything; blank rows are
    skipped here as blank lines are in a CSV."""
    for i, cells in enumerate(grid):
        if any(c != "" and c is not None for c in cells):
            yield i + 1, [None if c == "" else c for c in cells]


def _header_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _reason(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:200]
