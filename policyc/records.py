"""Records in: CSV (UTF-8, with or without BOM) -> validated rows, or FILE:ROW:COLUMN errors.

Each row is validated by a pydantic model built from the policy's `record` declaration.
Rows are numbered as a spreadsheet shows them (the header is row 1); columns by name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from policyc.eval.values import RowEnv, month_ord
from policyc.model import Model
from policyc.syntax import ast as A

MAX_ABS = Decimal("1e15")  # numbers beyond this are reported, never computed with
NUMERIC = {"number", "integer", "money", "percent", "score"}
MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_RE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
TRUE = {"true", "yes", "1", "是", "y", "t"}
FALSE = {"false", "no", "0", "否", "n", "f"}


@dataclass(frozen=True, slots=True)
class RecordError:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


@dataclass
class Loaded:
    rows: list[RowEnv]
    errors: list[RecordError]
    warnings: list[RecordError]
    total: int  # data rows read


def _blank_to_none(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return None if v == "" else v
    return v


def _to_bool(v: Any) -> Any:
    if isinstance(v, str):
        low = v.strip().lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
    return v


def _percent(v: Any) -> Any:
    if isinstance(v, str) and v.strip().endswith(("%", "％")):
        try:
            return Decimal(v.strip()[:-1]) / 100
        except ArithmeticError:
            return v
    return v


def _field_type(f: A.FieldDecl) -> Any:
    t = f.type
    if t.kind == "enum":
        base: Any = Literal[tuple(t.labels)]  # type: ignore[valid-type]
    elif t.kind in NUMERIC:
        low, high = t.low, t.high
        if t.kind == "score" and low is None:
            low, high = Decimal(0), Decimal(100)
        if t.kind == "percent" and low is None:
            low, high = Decimal(0), Decimal(1)
        low = -MAX_ABS if low is None else low
        high = MAX_ABS if high is None else high
        places = t.places
        base = Annotated[
            Decimal, Field(ge=low, le=high, allow_inf_nan=False, decimal_places=places)
        ]
        if t.kind == "percent":
            base = Annotated[base, BeforeValidator(_percent)]
    elif t.kind == "bool":
        base = Annotated[bool, BeforeValidator(_to_bool)]
    elif t.kind == "month":
        base = Annotated[str, Field(pattern=MONTH_RE)]
    elif t.kind == "date":
        base = Annotated[str, Field(pattern=DATE_RE)]
    else:
        base = Annotated[str, Field(max_length=1000)]
    if f.optional:
        default = f.default
        if isinstance(default, A.LabelValue):
            default = default.name
        return (Annotated[base | None, BeforeValidator(_blank_to_none)], default)
    return (Annotated[base, BeforeValidator(_blank_to_none)], ...)


def record_model(model: Model) -> type[BaseModel]:
    """The pydantic model of one record, built from the policy's declaration."""
    fields = {name: _field_type(f) for name, f in model.fields.items()}
    config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    return create_model("Record", __config__=config, **fields)  # type: ignore[call-overload, no-any-return]


def _message(err: Any, model: Model) -> str:
    kind = err["type"]
    value = err.get("input")
    name = str(err["loc"][0]) if err["loc"] else ""
    f = model.fields.get(name)
    shown = f"`{value}`"
    ctx = err.get("ctx") or {}
    if kind == "missing" or (value is None and kind.endswith(("_type", "parsing"))):
        return "is blank, and the policy needs a value"
    if kind == "literal_error" and f is not None:
        labels = ", ".join(f.type.labels)
        return f"{shown} is not one of {labels}"
    if kind in ("decimal_parsing", "decimal_type", "finite_number"):
        return f"{shown} is not a number"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{shown} is out of range {_range(f)}"
    if kind == "decimal_max_places":
        return f"{shown} has more than {ctx.get('decimal_places')} decimal places"
    if kind == "bool_parsing" or kind == "bool_type":
        return f"{shown} is not `true` or `false`"
    if kind == "string_pattern_mismatch":
        if f is not None and f.type.kind == "month":
            return f"{shown} is not a month (write YYYY-MM, e.g. 2021-03)"
        return f"{shown} is not a date (write YYYY-MM-DD)"
    if kind == "string_too_long":
        return "is longer than 1000 characters"
    return f"{shown} is not valid here"


def _range(f: A.FieldDecl | None) -> str:
    if f is None:
        return ""
    t = f.type
    if t.low is not None:
        return f"{t.low}..{t.high}"
    if t.kind == "score":
        return "0..100"
    if t.kind == "percent":
        return "0..1 (or 0%..100%)"
    return f"±{MAX_ABS:.0e}"


def _read_text(path: Path) -> tuple[str, list[int]]:
    """Decode UTF-8 (BOM optional); bytes that are not UTF-8 are kept as escapes and the
    rows holding them are reported later."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="surrogateescape")
    return text, []


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells), counting physical lines so quoted newlines are right."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield reader.line_num, ["\x00csv-error"]
            continue
        yield reader.line_num, cells


def load_csv(path: str | Path, model: Model, fields: list[str], nslots: int) -> Loaded:
    """Read and validate every row; `fields` is the plan's slot order for the values."""
    path = Path(path)
    name = str(path)
    text, _ = _read_text(path)
    rows_iter = _csv_rows(text)
    errors: list[RecordError] = []
    warnings: list[RecordError] = []
    try:
        _, header = next(rows_iter)
    except StopIteration:
        return Loaded([], [RecordError(name, 1, "-", "the file is empty: no header row")], [], 0)
    header = [h.strip().lstrip("\ufeff") for h in header]
    for h in header:
        if h and h not in model.fields:
            warnings.append(
                RecordError(name, 1, h, "column is not declared by the policy; ignored")
            )
    missing = [f for f, d in model.fields.items() if not d.optional and f not in header]
    Record = record_model(model)
    id_field, period_field = model.id_field, model.period_field
    out: list[RowEnv] = []
    total = 0
    width = len(header)
    for line, cells in rows_iter:
        if not cells or all(not c.strip() for c in cells):
            continue  # a blank line is not a row
        total += 1
        if cells == ["\x00csv-error"]:
            errors.append(
                RecordError(name, line, "-", "the line is not valid CSV (unbalanced quote)")
            )
            continue
        if len(cells) > width:
            errors.append(
                RecordError(
                    name, line, "-", f"row has {len(cells)} cells but the header has {width}"
                )
            )
            continue
        if missing:
            for col in missing:
                errors.append(RecordError(name, line, col, "column is missing from the file"))
            continue
        data = dict(zip(header, cells, strict=False))
        bad = [k for k, v in data.items() if _has_surrogate(v)]
        if bad:
            for k in bad:
                errors.append(RecordError(name, line, k, "cell is not valid UTF-8 text"))
            continue
        try:
            rec = Record.model_validate(data)
        except ValidationError as e:
            for err in e.errors(include_url=False):
                col = str(err["loc"][0]) if err["loc"] else "-"
                errors.append(RecordError(name, line, col, _message(err, model)))
            continue
        values = [getattr(rec, f) for f in fields]
        values.extend([None] * (nslots - len(values)))
        key = str(getattr(rec, id_field)) if id_field else str(line)
        period = getattr(rec, period_field) if period_field else None
        env = RowEnv(values, (key, period or ""), month_ord(period) if period else 0, line)
        out.append(env)
    out = _drop_duplicates(name, out, errors, period_field)
    return Loaded(out, errors, warnings, total)


def _has_surrogate(v: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in v)


def _drop_duplicates(
    name: str, rows: list[RowEnv], errors: list[RecordError], period_field: str | None
) -> list[RowEnv]:
    """A duplicate employee-month is never silently picked: every copy is reported."""
    seen: dict[tuple[str, ...], list[RowEnv]] = {}
    for r in rows:
        seen.setdefault(r.key, []).append(r)
    dup = {k for k, rs in seen.items() if len(rs) > 1}
    if not dup:
        return rows
    column = period_field or "employee_id"
    for k in dup:
        lines = [r.line for r in seen[k]]
        for r in seen[k]:
            others = ", ".join(str(x) for x in lines if x != r.line)
            what = f"employee `{k[0]}` in {k[1]}" if period_field else f"employee `{k[0]}`"
            errors.append(
                RecordError(
                    name,
                    r.line,
                    column,
                    f"duplicate row for {what} (also on row {others}); neither is used",
                )
            )
    return [r for r in rows if r.key not in dup]


_ = re  # patterns are given to pydantic as strings
