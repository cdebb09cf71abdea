"""Results out: rows as a table, JSON, JSON lines, CSV or an Excel workbook.

Every format shows money with its places (`4610.00`) and never a negative zero. CSV and
XLSX cut long decimals (a mean's 50 digits) to `CUT_PLACES`, without rounding; JSON keeps
every digit; the table cuts to 6 and marks the cut with `…`. A text cell that a
spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or CR first) is written so
that it shows as text: a `'` before it in CSV, a string cell in XLSX.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.io.columns import OutKind, output_kinds
from policyc.io.records import RecordError, printable
from policyc.runtime.values import RowEnv, plain

CUT_PLACES = 10  # decimals kept in CSV and XLSX cells
TABLE_PLACES = 6
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def result_columns(plan: Plan, keep: Iterable[str] = ()) -> list[str]:
    """Key columns, the `--keep` input columns, then the outputs."""
    keys = list(plan.model.key)
    kept = [k for k in keep if k not in keys]
    return keys + kept + [n for n, _ in plan.outputs if n not in keys and n not in kept]


class Shaper:
    """Turns a row's values into output values, by column kind (money, places)."""

    def __init__(self, plan: Plan, places: bool = True) -> None:
        self.kinds = output_kinds(plan) if places else {}

    def value(self, name: str, v: Any) -> Any:
        if type(v) is Decimal:
            k = self.kinds.get(name)
            return decimal_text(v, k.places if k is not None and k.money else None)
        return v


def _keep_type(name: str, v: Any) -> Any:
    return v


def decimal_text(v: Decimal, places: int | None = None) -> str:
    """A decimal as plain text: no exponent, no trailing zeros, no `-0`; with `places`,
    padded to that many decimals (never rounded: a value with more keeps them)."""
    text = str(plain(v))
    if text.startswith("-") and not v:
        text = text[1:]
    if places:
        dot = text.find(".")
        have = 0 if dot < 0 else len(text) - dot - 1
        if have < places:
            text += ("" if dot >= 0 else ".") + "0" * (places - have)
    return text


def result_rows(
    plan: Plan,
    rows: list[RowEnv],
    kept: Mapping[int, tuple[str, ...]] | None = None,
    keep: Iterable[str] = (),
    typed: bool = False,
    places: bool = True,
) -> Iterator[dict[str, Any]]:
    """One dict per evaluated row, values ready for JSON (decimals as plain strings, money
    with its places unless `places` is false); `typed` keeps the decimals, for the CSV and
    XLSX writers."""
    m = plan.model
    shaper = Shaper(plan, places)
    key_slots = [(k, plan.field_names.index(k)) for k in m.key]
    keep = [k for k in keep if k not in m.key]
    outputs = [(n, s) for n, s in plan.outputs if n not in m.key and n not in keep]
    shape = _keep_type if typed else shaper.value
    for r in rows:
        v = r.v
        obj = {k: shape(k, v[s]) for k, s in key_slots}
        if keep:
            cells = (kept or {}).get(r.line, ())
            for i, k in enumerate(keep):
                obj[k] = cells[i] if i < len(cells) else None
        for n, s in outputs:
            obj[n] = shape(n, v[s])
        yield obj


def to_jsonl(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for obj in rows:
        yield dumps(obj) + "\n"


def jsonl_lines(
    plan: Plan,
    rows: list[RowEnv],
    kept: Mapping[int, tuple[str, ...]] | None = None,
    keep: Iterable[str] = (),
) -> Iterator[str]:
    """The same lines as `to_jsonl(result_rows(...))`, byte for byte, without a dict and
    the generic encoder per row: on a large file this is a quarter of `eval`'s time."""
    keep = list(keep)
    if keep:
        yield from to_jsonl(result_rows(plan, rows, kept, keep))
        return
    m = plan.model
    shaper = Shaper(plan)
    keys = [(k, plan.field_names.index(k)) for k in m.key]
    outputs = [(n, s) for n, s in plan.outputs if n not in m.key]
    names = [k for k, _ in keys] + [n for n, _ in outputs]
    heads = [("{" if i == 0 else ", ") + encode_basestring(n) + ": " for i, n in enumerate(names)]
    money = {n: k.places for n, k in shaper.kinds.items() if k.money}
    parts_of = [
        (h, s, n in money, money.get(n)) for h, (n, s) in zip(heads, keys + outputs, strict=True)
    ]
    for r in rows:
        v = r.v
        parts = []
        for h, s, is_money, places in parts_of:
            x = v[s]
            if type(x) is Decimal:
                x = decimal_text(x, places if is_money else None)
            parts.append(h + _json_value(x))
        yield "".join(parts) + "}\n"


def _json_value(v: Any) -> str:
    if type(v) is str:
        return encode_basestring(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Decimal):
        return encode_basestring(decimal_text(v))
    return json.dumps(v, ensure_ascii=False, default=str)


def to_json(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A JSON list of the rows (see `json_document` for what `eval --format json` writes)."""
    yield json.dumps(list(rows), ensure_ascii=False, indent=2, default=str) + "\n"


def json_document(
    rows: Iterator[dict[str, Any]], errors: list[RecordError], summary: dict[str, Any] | None
) -> Iterator[str]:
    """`{"rows": [...], "errors": [...], "summary": {...}}`: everything a program needs."""
    doc: dict[str, Any] = {"rows": list(rows), "errors": [error_record(e) for e in errors]}
    if summary is not None:
        doc["summary"] = summary
    yield json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


ERROR_FIELDS = ("file", "row", "column", "code", "message", "value")


def error_record(e: RecordError) -> dict[str, Any]:
    return {
        "file": e.file,
        "row": e.row,
        "column": e.column,
        "code": e.code,
        "message": e.message,
        "value": e.value,
    }


def errors_jsonl(errors: Iterable[RecordError]) -> Iterator[str]:
    for e in errors:
        yield json.dumps(error_record(e), ensure_ascii=False) + "\n"


def errors_csv(errors: Iterable[RecordError], bom: bool) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ERROR_FIELDS)
    yield (BOM if bom else "") + _take(buf)
    for e in errors:
        w.writerow([_safe_text(str(x)) if x is not None else "" for x in error_record(e).values()])
        yield _take(buf)


def _take(buf: io.StringIO) -> str:
    text = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return text


# ---- CSV -------------------------------------------------------------------------------------


def to_csv(
    columns: list[str],
    rows: Iterator[dict[str, Any]],
    bom: bool = False,
    kinds: Mapping[str, OutKind] | None = None,
) -> Iterator[str]:
    """CSV; `bom` starts it with a UTF-8 BOM (what Excel needs to read UTF-8). Rows from
    `result_rows(..., typed=True)` with `kinds` get money's places and long decimals cut."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_safe_text(c) for c in columns])
    yield (BOM if bom else "") + _take(buf)
    places = [_money_places(kinds, c) for c in columns]
    pairs = list(zip(columns, places, strict=True))
    for obj in rows:
        w.writerow([_csv_cell(obj.get(c), p) for c, p in pairs])
        yield _take(buf)


def _money_places(kinds: Mapping[str, OutKind] | None, name: str) -> int | None:
    k = (kinds or {}).get(name)
    return k.places if k is not None and k.money else None


def _csv_cell(v: Any, places: int | None = None) -> str:
    if v is None:
        return ""
    if v is True or v is False:
        return "true" if v else "false"
    if type(v) is Decimal:
        return cut(decimal_text(v, places), max(CUT_PLACES, places or 0))
    return _safe_text(str(v))


def _safe_text(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a `'` first, so it shows as text."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def cut(text: str, places: int) -> str:
    """A plain decimal's text cut (not rounded) to `places` decimals, trailing zeros off."""
    dot = text.find(".")
    if dot < 0 or len(text) - dot - 1 <= places:
        return text
    out = text[: dot + 1 + places].rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


# ---- the table -------------------------------------------------------------------------------


def _human(v: Any) -> str:
    """A cell for a person: long decimals cut (never rounded: 0.9999999 is not 1) to 6
    places and marked with `…`; control characters escaped."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        v = decimal_text(v)
    text = str(v)
    if _NUMBER.fullmatch(text):
        dot = text.find(".")
        if dot >= 0 and len(text) - dot - 1 > TABLE_PLACES:
            whole = text[: dot + 1 + TABLE_PLACES].rstrip("0")
            return (whole + "0" if whole.endswith(".") else whole) + "…"
        return text
    return printable(text)


def to_table(columns: list[str], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A plain aligned text table (display-width aware, for Chinese labels)."""
    from policyc.source import display_width

    data = [[_human(o.get(c)) for c in columns] for o in rows]
    heads = [printable(c) for c in columns]
    widths = [
        max([display_width(c)] + [display_width(r[i]) for r in data]) for i, c in enumerate(heads)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    yield line(heads) + "\n"
    yield line(["-" * w for w in widths]) + "\n"
    for r in data:
        yield line(r) + "\n"


def output_kind(plan: Plan, name: str) -> OutKind:
    return output_kinds(plan).get(name, OutKind())
