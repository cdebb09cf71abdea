"""Records in: CSV (UTF-8, with or without BOM) -> validated rows, or FILE:ROW:COLUMN errors.

Each row is validated by a pydantic model built from the policy's `record` declaration.
Rows are numbered as a spreadsheet shows them (the header is row 1); columns by name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, repeat
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from policyc.runtime.values import RowEnv, month_ord
from policyc.semantics.model import Model
from policyc.syntax import ast as A

MAX_ABS = Decimal("1e15")  # numbers beyond this are reported, never computed with
NUMERIC = {"number", "integer", "money", "percent", "score"}
MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_RE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


@dataclass(frozen=True, slots=True)
class RecordError:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{printable(self.column)}: {printable(self.message)}"


def printable(text: str) -> str:
    """Control characters (a newline, a terminal escape, undecodable bytes) as escapes:
    one report stays one line, and a cell's text cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


@dataclass
class Loaded:
    rows: list[RowEnv]
    errors: list[RecordError]
    warnings: list[RecordError]
    total: int  # data rows read
    dropped: list[RowEnv] = field(default_factory=list)  # valid rows left out as duplicates
    header: list[str] = field(default_factory=list)  # the column names, as trimmed
    # the (employee id, period) cells of each row rejected while loading, by row number, as
    # written (possibly not a valid month): for saying why an employee has no result
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)

    def column_order(self) -> dict[str, int]:
        """Where each column sits in the sheet, `-` (the whole row) first."""
        return {"-": -1, **{h: i for i, h in enumerate(self.header) if h}}


def error_order(columns: dict[str, int]) -> Any:
    """A sort key for reports: by row, then left to right as in the sheet (so the first
    report of a row is its first bad cell); a column the sheet lacks comes last."""
    last = len(columns)

    def key(e: RecordError) -> tuple[int, int]:
        return (e.row, columns.get(e.column, last))

    return key


def _blank_to_none(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return None if v == "" else v
    return v


def _blank_to(default: Any) -> Any:
    """A blank cell takes the field's declared default (`ratio : number 0..1 = 1`)."""

    def convert(v: Any) -> Any:
        v = _blank_to_none(v)
        return default if v is None else v

    return convert


def cells_to_data(header: list[str], cells: list[str]) -> dict[str, str]:
    """A row's non-blank cells by column: a blank cell is "not given", so it is left out
    and the record model's default (or its "is blank" error) applies."""
    if _SPACE.search("".join(cells)) is None:  # the common row: nothing to trim, in C
        return dict(zip(compress(header, cells), filter(None, cells), strict=False))
    # trimmed here, because pydantic's str_strip_whitespace does not reach enum labels
    return {k: t for k, v in zip(header, cells, strict=False) if (t := v.strip())}


_SPACE = re.compile(r"\s")


# A number cell as a spreadsheet exports it: ASCII digits, an optional sign and decimals.
# Python's Decimal would also take `8_0`, `1e3`, `１２` and `٨٠`; a staff file never means those.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def _plain_number(v: Any) -> Any:
    if isinstance(v, str) and not _NUMBER.fullmatch(v):
        raise PydanticCustomError("decimal_parsing", "not a number")
    return v


def _percent(v: Any) -> Any:
    """`50%` and `0.5` are the same cell."""
    if isinstance(v, str) and v.endswith(("%", "％")):
        _plain_number(v[:-1])
        return Decimal(v[:-1]) / 100
    return _plain_number(v)


def _true_false(v: Any) -> Any:
    """Booleans are `true` / `false` (any case, as Excel writes them), nothing else: a `1`
    or a `yes` in a yes/no column is more likely a misplaced cell than a meaning."""
    if isinstance(v, str):
        word = v.lower()
        if word in ("true", "false"):
            return word == "true"
        raise PydanticCustomError("bool_parsing", "not true or false")
    return v


def _base_type(f: A.FieldDecl) -> Any:
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
        places = 0 if t.kind == "integer" and t.places is None else t.places  # whole numbers
        base = Annotated[
            Decimal,
            Field(ge=low, le=high, allow_inf_nan=False, decimal_places=places),
        ]
        if t.kind == "percent":  # other number cells are screened per row (_odd_cells)
            base = Annotated[base, BeforeValidator(_percent)]
    elif t.kind == "bool":
        base = Annotated[bool, BeforeValidator(_true_false)]
    elif t.kind == "month":
        base = Annotated[str, Field(pattern=MONTH_RE)]
    elif t.kind == "date":
        base = Annotated[str, Field(pattern=DATE_RE)]
    else:
        base = Annotated[str, Field(max_length=1000)]
    return base


def _default(f: A.FieldDecl) -> Any:
    default = f.default
    return default.name if isinstance(default, A.LabelValue) else default


def _field_type(f: A.FieldDecl) -> Any:
    base = _base_type(f)
    if f.optional:
        default = f.default
        if isinstance(default, A.LabelValue):
            default = default.name
        if default is None:
            return (base | None, None)
        return (Annotated[base | None, BeforeValidator(_blank_to(default))], default)
    return (base, ...)


def record_model(model: Model) -> type[BaseModel]:
    """The pydantic model of one record, built from the policy's declaration."""
    fields = {name: _field_type(f) for name, f in model.fields.items()}
    config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    return create_model("Record", __config__=config, **fields)  # type: ignore[call-overload, no-any-return]


class RecordSchema:
    """Validates one CSV row (its non-blank cells) against the record declaration.

    A pydantic TypedDict adapter: the declaration's types, ranges, places and enums are
    pydantic constraints; an absent (blank) optional cell then takes its declared default.
    It is about three times faster than instantiating a model per row.
    """

    def __init__(self, model: Model) -> None:
        spec: dict[str, Any] = {}
        for name, f in model.fields.items():
            base = _base_type(f)
            spec[name] = NotRequired[base] if f.optional else base
        typed: Any = TypedDict("Record", spec)  # type: ignore[misc]
        setattr(typed, "__pydantic_config__", ConfigDict(str_strip_whitespace=True))  # noqa: B010
        self.adapter: TypeAdapter[Any] = TypeAdapter(typed)
        self.defaults = {n: _default(f) for n, f in model.fields.items() if f.optional}
        self.given_defaults = {n: d for n, d in self.defaults.items() if d is not None}

    def validate(self, data: dict[str, str]) -> dict[str, Any]:
        """The row's typed values; blank optional cells are absent (see `values`)."""
        got: dict[str, Any] = self.adapter.validate_python(data)
        return got

    def values(self, got: dict[str, Any], fields: list[str]) -> list[Any]:
        """Values in `fields` order, with declared defaults for the blank cells."""
        if self.given_defaults:
            got = {**self.given_defaults, **got}
        return list(map(got.get, fields))


def _shown(text: str) -> str:
    return f"`{text[:60]}…`" if len(text) > 60 else f"`{text}`"


def _message(err: Any, model: Model) -> str:
    kind = err["type"]
    value = err.get("input")
    name = str(err["loc"][0]) if err["loc"] else ""
    f = model.fields.get(name)
    text = str(value)
    shown = _shown(text)
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
    if kind == "decimal_max_places" and ctx.get("decimal_places") == 0:
        return f"{shown} is not a whole number"
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
    """(spreadsheet row number, cells). A spreadsheet shows one row per record, blank lines
    included, so a cell with a quoted newline does not push the rows after it down."""
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            row += 1
            yield row, ["\x00csv-error"]
            continue
        row += 1
        yield row, cells


def load_csv(path: str | Path, model: Model, fields: list[str], nslots: int) -> Loaded:
    """Read and validate every row; `fields` is the plan's slot order for the values."""
    path = Path(path)
    name = str(path)
    text, _ = _read_text(path)
    undecodable = _has_surrogate(text)
    rows_iter = _csv_rows(text)
    errors: list[RecordError] = []
    warnings: list[RecordError] = []
    try:
        _, header = next(rows_iter)
    except StopIteration:
        return Loaded([], [RecordError(name, 1, "-", "the file is empty: no header row")], [], 0)
    header = [h.strip().lstrip("\ufeff") for h in header]
    if undecodable and any(map(_has_surrogate, header)):
        return _unreadable_header(name, header, rows_iter)
    for h in header:
        if h and h not in model.fields:
            warnings.append(
                RecordError(name, 1, h, "column is not declared by the policy; ignored")
            )
    missing = [f for f, d in model.fields.items() if not d.optional and f not in header]
    schema = RecordSchema(model)
    numeric = [f for f in header if (d := model.fields.get(f)) and d.type.kind in NUMERIC]
    id_field, period_field = model.id_field, model.period_field
    out: list[RowEnv] = []
    claimed: dict[tuple[str, ...], list[int]] = {}  # keys that rejected rows still name
    rejected: dict[int, tuple[str, str]] = {}
    total = 0
    width = len(header)
    for line, cells in rows_iter:
        if not cells or not "".join(cells).strip():
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
            rejected[line] = _key_cells(cells_to_data(header, cells), id_field, period_field)
            continue
        if missing:
            for col in missing:
                errors.append(RecordError(name, line, col, "column is missing from the file"))
            rejected[line] = _key_cells(cells_to_data(header, cells), id_field, period_field)
            continue
        data = cells_to_data(header, cells)
        odd = _odd_cells(data, numeric, undecodable)
        got = None if odd else _validate(schema, data)
        if not isinstance(got, dict):
            for col, message in _row_errors(schema, data, odd, got, model):
                errors.append(RecordError(name, line, col, message))
            rejected[line] = key_cells = _key_cells(data, id_field, period_field)
            _claim(claimed, key_cells, id_field, period_field, line)
            continue
        values = schema.values(got, fields)
        values.extend([None] * (nslots - len(values)))
        key = str(got[id_field]) if id_field else str(line)
        period = got.get(period_field) if period_field else None
        env = RowEnv(values, (key, period or ""), month_ord(period) if period else 0, line)
        out.append(env)
    kept = _drop_duplicates(name, out, errors, period_field, claimed)
    dropped = []
    if len(kept) < len(out):
        kept_ids = {id(r) for r in kept}
        dropped = [r for r in out if id(r) not in kept_ids]
    return Loaded(kept, errors, warnings, total, dropped, header, rejected)


def _key_cells(
    data: dict[str, str], id_field: str | None, period_field: str | None
) -> tuple[str, str]:
    return (data.get(id_field or "", "").strip(), data.get(period_field or "", "").strip())


NOT_UTF8 = (
    'the file is not UTF-8 text (Excel\'s default for Chinese is GBK): save it as "CSV UTF-8"'
)


def _unreadable_header(
    name: str, header: list[str], rows: Iterator[tuple[int, list[str]]]
) -> Loaded:
    """A header that is not UTF-8 means the whole file is in another encoding: one clear
    report, not a warning per garbled column name and a "missing column" per row. Each data
    row is still counted and reported, so rows in = rows out + rows reported holds."""
    errors = [RecordError(name, 1, "-", NOT_UTF8)]
    total = 0
    for line, cells in rows:
        if cells and "".join(cells).strip():
            total += 1
            errors.append(RecordError(name, line, "-", "not read: the header is not UTF-8"))
    return Loaded([], errors, [], total, header=header)


# Characters a number cell never holds; one search over a row's number cells joined keeps
# the common, clean row at one regex call (Decimal alone would take `8_0`, `1e3`, `１２`).
_NOT_NUMBER = re.compile(r"[^0-9.+\-%％]")


def _odd_cells(data: dict[str, str], numeric: list[str], undecodable: bool) -> dict[str, str]:
    """Cells rejected before validation: undecodable bytes, numbers Decimal would misread."""
    odd = {}
    if undecodable:
        odd = {k: "cell is not valid UTF-8 text" for k, v in data.items() if _has_surrogate(v)}
    if numeric and _NOT_NUMBER.search("".join(map(data.get, numeric, repeat("")))):
        for k in numeric:
            v = data.get(k)
            if v is not None and k not in odd and not _NUMBER.fullmatch(v.rstrip("%％")):
                odd[k] = f"{_shown(v)} is not a number"
    return odd


def _validate(schema: RecordSchema, data: dict[str, str]) -> dict[str, Any] | ValidationError:
    """The typed row, or why not (cells are already trimmed, blank ones left out)."""
    try:
        return schema.validate(data)
    except ValidationError as e:
        return e


def _row_errors(
    schema: RecordSchema,
    data: dict[str, str],
    odd: dict[str, str],
    failed: ValidationError | None,
    model: Model,
) -> list[tuple[str, str]]:
    """(column, message) for every bad cell of a rejected row: the odd cells, then what
    validating the rest finds."""
    out = list(odd.items())
    if failed is None:
        rest = _validate(schema, {k: v for k, v in data.items() if k not in odd})
        failed = rest if isinstance(rest, ValidationError) else None
    for err in failed.errors(include_url=False) if failed is not None else []:
        col = str(err["loc"][0]) if err["loc"] else "-"
        if col not in odd:
            out.append((col, _message(err, model)))
    return out


def _claim(
    claimed: dict[tuple[str, ...], list[int]],
    key_cells: tuple[str, str],
    id_field: str | None,
    period_field: str | None,
    line: int,
) -> None:
    """Note the employee-month a rejected row names, when its key cells are readable: a good
    row with the same key is then a duplicate too, not a silent pick of the one that loaded."""
    emp, period = key_cells
    if not id_field or not emp or _has_surrogate(emp):
        return
    if period_field and not re.match(MONTH_RE, period):
        return
    claimed.setdefault((emp, period), []).append(line)


def _has_surrogate(v: str) -> bool:
    """True when the text holds bytes that were not UTF-8 (kept as surrogate escapes)."""
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _drop_duplicates(
    name: str,
    rows: list[RowEnv],
    errors: list[RecordError],
    period_field: str | None,
    claimed: dict[tuple[str, ...], list[int]] | None = None,
) -> list[RowEnv]:
    """A duplicate employee-month is never silently picked: every copy is reported (a copy
    rejected for a bad cell already is; the good copies are reported as duplicates)."""
    claimed = claimed or {}
    seen: dict[tuple[str, ...], list[RowEnv]] = {}
    for r in rows:
        seen.setdefault(r.key, []).append(r)
    dup = {k for k, rs in seen.items() if len(rs) > 1 or k in claimed}
    if not dup:
        return rows
    column = period_field or "employee_id"
    for k in dup:
        lines = sorted([r.line for r in seen[k]] + claimed.get(k, []))
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
