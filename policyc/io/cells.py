"""Cells as Excel and WPS write them -> the one text form the record schema validates.

Only forms whose meaning is certain are accepted (see docs/records.md); anything else is
left as written, so validation reports it as before. Digits are ASCII only: `２０２１` or
`٢٠٢١` look like numbers but Python's `int()` would read them, and a staff file never
means them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

MAX_DIGITS = 50  # significant digits exact arithmetic keeps (runtime.values' context)
NUMERIC = frozenset({"number", "integer", "money", "percent", "score"})

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# thousands separators, as a formatted number cell is exported: 23,500.00 or 1,234
_GROUPED = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+)(\.[0-9]*)?")
_CURRENCY = ("¥", "￥", "CN¥", "RMB", "元")
_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])")
# 2021/3, 2021/03, 2021-3, 2021.3, 2021年3月 (and a first-of-month date in those forms)
_MONTH_FORMS = re.compile(
    r"([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:月)?(?:\s*(?:[-/.])\s*0?1|\s*1\s*日|\s*01\s*日)?"
)
_DATE_FORMS = re.compile(
    r"([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*([0-9]{1,2})\s*日?"
)
_EXCEL_TIME = re.compile(r"\s+0?0:00(?::00)?$")  # `2021/3/1 0:00`, a date cell exported as text
_TRUE = frozenset({"true", "是", "对", "√"})
_FALSE = frozenset({"false", "否", "错", "×"})
_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f]")


def typed_to_text(value: Any, kind: str) -> str:
    """A workbook's typed cell (number, date, boolean) as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if kind == "month" and value.day == 1 and value.time() == dt.time():
            return f"{value.year:04d}-{value.month:02d}"
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        if kind == "month" and value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    if isinstance(value, float):
        # the shortest text that reads back as the same double: what Excel shows
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def number_text(text: str, kind: str) -> str | None:
    """A number cell in a form Excel writes, as plain digits; None when it is no number."""
    t = text
    if kind == "money":
        sign = ""
        if t[:1] in "+-":
            sign, t = t[:1], t[1:].lstrip()
        for mark in _CURRENCY:
            if t.startswith(mark):
                t = t[len(mark) :].strip()
                break
            if t.endswith(mark) and mark == "元":
                t = t[: -len(mark)].strip()
                break
        t = sign + t
    if _NUMBER.fullmatch(t):
        return t
    if kind in ("number", "integer", "money"):
        m = _GROUPED.fullmatch(t)
        if m:
            return m.group(1) + m.group(2).replace(",", "") + (m.group(3) or "")
    return None


def too_many_digits(text: str) -> bool:
    """More significant digits than exact arithmetic keeps: reading it would round it."""
    if len(text) <= MAX_DIGITS:
        return False
    digits = text.lstrip("+-").replace(".", "").lstrip("0")
    return len(digits.rstrip("0") if "." in text else digits) > MAX_DIGITS


def month_text(text: str) -> str | None:
    """`2021-03`, `2021/3`, `2021年3月`, `2021-03-01` -> `2021-03`; None otherwise."""
    if _MONTH.fullmatch(text):
        return text
    t = _EXCEL_TIME.sub("", text)
    m = _MONTH_FORMS.fullmatch(t)
    if m is None:
        return None
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return f"{m.group(1)}-{month:02d}"


def date_text(text: str) -> str | None:
    """`2021-03-05`, `2021/3/5`, `2021年3月5日` -> `2021-03-05`; None otherwise."""
    if _DATE.fullmatch(text):
        return text
    m = _DATE_FORMS.fullmatch(_EXCEL_TIME.sub("", text))
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def bool_value(text: str) -> bool | None:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def has_foreign_digits(text: str) -> bool:
    """Digits outside ASCII (full-width ２, Arabic-Indic ٢, Bengali ২): refused in records."""
    if not _NON_ASCII_DIGIT.search(text):
        return False
    return any(c.isdigit() and not c.isascii() for c in text)


def negative_zero(text: str) -> bool:
    return text[:1] == "-" and _NUMBER.fullmatch(text) is not None and Decimal(text) == 0
