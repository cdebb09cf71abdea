"""Records in: a table of cells -> validated rows, or FILE:ROW:COLUMN errors.

The stages: a source (a path, `-` for stdin, or rows in memory) -> a table of cells
(`policyc.io.decode` for text, `policyc.io.sheets` for workbooks) -> the cells in their one
text form (`policyc.io.cells`) -> validation against the policy's `record` declaration (a
pydantic adapter built from it) -> `Loaded`, the rows the evaluator runs on.

Rows are numbered as a spreadsheet shows them (the header is row 1); columns by name.
Entry points: `load_csv` (any file or `-`, despite its name), `load_cells` (a header and
numbered rows) and `load_rows` (an iterable of dicts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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

from policyc.io.cells import (
    MAX_DIGITS,
    bool_value,
    date_text,
    has_foreign_digits,
    month_text,
    negative_zero,
    number_text,
    too_many_digits,
    typed_to_text,
)
from policyc.io.decode import BadRow, ReadOptions, SourceError, read_table, source_name
from policyc.runtime.values import RowEnv, month_ord
from policyc.semantics.model import Model
from policyc.syntax import ast as A

MAX_ABS = Decimal("1e15")  # numbers beyond this are reported, never computed with
NUMERIC = {"number", "integer", "money", "percent", "score"}
# ASCII digits only: pydantic runs these in Rust regex, where `\d` is any Unicode digit. In
# Python use `re.fullmatch` (`$` alone also matches before a trailing newline).
MONTH_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
DATE_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
MAX_LABELS_SHOWN = 10  # a `one of` list in a message; the rest is counted
MAX_VALUE_KEPT = 200  # characters of a rejected cell kept for --errors (memory per row)


@dataclass(frozen=True, slots=True)
class RecordError:
    file: str
    row: int
    column: str
    message: str
    code: str = ""  # stable per kind of report (docs/records.md), for programs
    value: str | None = None  # the cell as written (cut short), for --errors

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
    # the --keep columns' cells of every data row, by row number
    kept: dict[int, tuple[str, ...]] = field(default_factory=dict)
    encoding: str = ""  # what the text was decoded as (empty: a workbook or rows)
    delimiter: str = ""
    sheet: str = ""  # the workbook sheet read

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
    """Booleans are `true` / `false` (any case, as Excel writes them) or `是` / `否`, nothing
    else: a `1` or a `yes` in a yes/no column is more likely a misplaced cell than a meaning."""
    if isinstance(v, str):
        got = bool_value(v)
        if got is None:
            raise PydanticCustomError("bool_parsing", "not true or false")
        return got
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
        labels = ", ".join(f.type.labels[:MAX_LABELS_SHOWN])
        more = len(f.type.labels) - MAX_LABELS_SHOWN
        if more > 0:
            labels += f" (and {more} more)"
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
        return f"{shown} is not `true` or `false` (or 是 / 否)"
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


def load_csv(
    path: str | Path,
    model: Model,
    fields: list[str],
    nslots: int,
    options: ReadOptions | None = None,
    keep: tuple[str, ...] = (),
) -> Loaded:
    """Read and validate every row of a records file (CSV/TSV in any detected encoding, a
    workbook, or `-` for stdin); `fields` is the plan's slot order for the values."""
    name = source_name(path)
    try:
        table = read_table(path, options, model.fields)
    except SourceError as e:
        return Loaded(
            [], [RecordError(name, 1, "-", str(e).removeprefix(f"{name}: "), "R001")], [], 0
        )
    loaded = load_cells(
        name,
        table.header,
        table.rows,
        model,
        fields,
        nslots,
        header_row=table.header_row,
        notes=table.notes,
        keep=keep,
        typed=table.typed,
        damaged=table.damaged,
    )
    loaded.encoding, loaded.delimiter, loaded.sheet = table.encoding, table.delimiter, table.sheet
    return loaded


def load_rows(
    records: Iterable[Mapping[str, Any]],
    model: Model,
    fields: list[str],
    nslots: int,
    *,
    name: str = "<rows>",
    first_row: int = 2,
    keep: tuple[str, ...] = (),
) -> Loaded:
    """Validate records held in memory (an iterable of dicts, e.g. a DataFrame's
    `to_dict("records")`) exactly as a file's rows, with the same reports.

    Stable entry point for the library API. The header is every key in order of first
    appearance; the n-th record (from 0) is reported as row `first_row + n` (2: as if the
    header were row 1 of a sheet). Values may be text as a CSV holds it, or typed: `int`,
    `float`, `Decimal`, `bool`, `datetime.date`/`datetime` (a month field takes a date on
    the first of its month), `None` (blank). `fields` and `nslots` come from the plan
    (`plan.field_names`, `plan.nslots`).
    """
    rows = [dict(r) for r in records]
    header: dict[str, None] = {}
    for r in rows:
        for k in r:
            header.setdefault(str(k), None)
    names = list(header)
    numbered = ((first_row + i, [r.get(h) for h in names]) for i, r in enumerate(rows))
    return load_cells(
        name,
        names,
        numbered,
        model,
        fields,
        nslots,
        header_row=first_row - 1,
        keep=keep,
        typed=True,
    )


def load_cells(
    name: str,
    header: list[str],
    rows: Iterable[tuple[int, list[Any] | BadRow]],
    model: Model,
    fields: list[str],
    nslots: int,
    *,
    header_row: int = 1,
    notes: Iterable[tuple[int, str]] = (),
    keep: tuple[str, ...] = (),
    typed: bool = False,
    damaged: bool = False,
) -> Loaded:
    """Validate a header and its numbered rows (stage 3): `rows` gives (row number as the
    sheet shows it, cells), the cells text or, with `typed`, workbook values (see
    `load_rows`); a `BadRow` is reported as it is. Every report names FILE:ROW:COLUMN."""
    header = [str(h).strip().lstrip("\ufeff") for h in header]
    warnings = [RecordError(name, r, "-", text, "R010") for r, text in notes]
    if not any(header):
        return Loaded(
            [],
            [RecordError(name, header_row, "-", "the file is empty: no header row", "R002")],
            warnings,
            0,
        )
    errors: list[RecordError] = []
    if damaged and any(map(_has_surrogate, header)):
        return _refuse_all(
            name, [RecordError(name, header_row, "-", NOT_UTF8, "R001")], [], rows, header
        )
    reader = _RowReader(name, header, model, fields, nslots, keep, typed)
    reader.damaged = damaged
    header_errors = reader.header_report(header_row, warnings)
    if header_errors:
        return _refuse_all(name, header_errors, warnings, rows, header)
    loaded = reader.read(rows, errors)
    loaded.warnings = warnings + reader.late_warnings(header_row)
    return loaded


def _key_cells(
    data: dict[str, str], id_field: str | None, period_field: str | None
) -> tuple[str, str]:
    return (data.get(id_field or "", "").strip(), data.get(period_field or "", "").strip())


NOT_UTF8 = (
    "the header is not UTF-8 text, though most of the file is: save the file as "
    '"CSV UTF-8", or name its encoding with --encoding'
)


def _refuse_all(
    name: str,
    header_errors: list[RecordError],
    warnings: list[RecordError],
    rows: Iterable[tuple[int, list[Any] | BadRow]],
    header: list[str],
) -> Loaded:
    """A header that cannot be trusted (a declared column twice): one report on it, and
    each data row counted and reported, so rows in = rows out + rows reported holds."""
    errors = list(header_errors)
    why = f"not read: {header_errors[0].message}"
    total = 0
    for line, cells in rows:
        if isinstance(cells, BadRow) or _has_value(cells):
            total += 1
            errors.append(RecordError(name, line, "-", why, "R003"))
    return Loaded([], errors, warnings, total, header=header)


def _has_value(cells: list[Any]) -> bool:
    return any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells)


class _RowReader:
    """The validation stage for one table: the schema, the declared kinds by column and
    what the rows so far have claimed (for duplicate employee-months)."""

    def __init__(
        self,
        name: str,
        header: list[str],
        model: Model,
        fields: list[str],
        nslots: int,
        keep: tuple[str, ...],
        typed: bool,
    ) -> None:
        self.name, self.header, self.model = name, header, model
        self.fields, self.nslots, self.typed = fields, nslots, typed
        self.schema = RecordSchema(model)
        kinds = {n: f.type.kind for n, f in model.fields.items()}
        self.kinds = [kinds.get(h, "text") for h in header]
        self.numeric = [h for h in header if kinds.get(h) in NUMERIC]
        self.months = [h for h in header if kinds.get(h) in ("month", "date")]
        self.bools = [h for h in header if kinds.get(h) == "bool"]
        self.kind_of = kinds
        self.unnamed = [i for i, h in enumerate(header) if not h]
        self.unnamed_seen: dict[int, int] = {}
        self.keep = [header.index(k) for k in keep if k in header]
        self.damaged = False

    def header_report(self, header_row: int, warnings: list[RecordError]) -> list[RecordError]:
        name, header, model = self.name, self.header, self.model
        errors = []
        seen: dict[str, list[int]] = {}
        for i, h in enumerate(header):
            if h:
                seen.setdefault(h, []).append(i + 1)
        for h, at in seen.items():
            if len(at) < 2:
                continue
            where = ", ".join(map(str, at))
            text = f"the header names `{printable(h)}` {len(at)} times (columns {where})"
            if h in model.fields:
                errors.append(
                    RecordError(name, header_row, h, text + ": keep one, rename the others", "R004")
                )
            else:
                warnings.append(
                    RecordError(name, header_row, h, text + "; not declared, ignored", "R011")
                )
        for h in seen:
            if h not in model.fields:
                warnings.append(
                    RecordError(
                        name, header_row, h, "column is not declared by the policy; ignored", "R012"
                    )
                )
        return errors

    def late_warnings(self, header_row: int) -> list[RecordError]:
        out = []
        for i, row in sorted(self.unnamed_seen.items()):
            out.append(
                RecordError(
                    self.name,
                    header_row,
                    f"#{i + 1}",
                    f"column {i + 1} has no header name but holds values (first on row {row}); "
                    "they are ignored: give the column a name",
                    "R013",
                )
            )
        return out

    def read(
        self, rows: Iterable[tuple[int, list[Any] | BadRow]], errors: list[RecordError]
    ) -> Loaded:
        name, header, model, schema = self.name, self.header, self.model, self.schema
        missing = [f for f, d in model.fields.items() if not d.optional and f not in header]
        id_field, period_field = model.id_field, model.period_field
        out: list[RowEnv] = []
        claimed: dict[tuple[str, ...], list[int]] = {}
        rejected: dict[int, tuple[str, str]] = {}
        kept: dict[int, tuple[str, ...]] = {}
        total = 0
        width = len(header)
        fields, nslots, keep = self.fields, self.nslots, self.keep
        for line, raw in rows:
            if isinstance(raw, BadRow):
                total += 1
                errors.append(RecordError(name, line, "-", raw.message, "R020", raw.text))
                continue
            cells = self._texts(raw) if self.typed else raw
            if not cells or not "".join(cells).strip():
                continue  # a blank line is not a row
            total += 1
            if keep:
                kept[line] = tuple(cells[i].strip() if i < len(cells) else "" for i in keep)
            if self.unnamed:
                self._note_unnamed(line, cells)
            if len(cells) > width:
                errors.append(
                    RecordError(
                        name,
                        line,
                        "-",
                        f"row has {len(cells)} cells but the header has {width}",
                        "R021",
                    )
                )
                rejected[line] = _key_cells(cells_to_data(header, cells), id_field, period_field)
                continue
            if missing:
                for col in missing:
                    errors.append(
                        RecordError(name, line, col, "column is missing from the file", "R022")
                    )
                rejected[line] = _key_cells(cells_to_data(header, cells), id_field, period_field)
                continue
            data = cells_to_data(header, cells)
            odd = self._prepare(data)
            got = None if odd else _validate(schema, data)
            if not isinstance(got, dict):
                for col, message in _row_errors(schema, data, odd, got, model):
                    errors.append(
                        RecordError(name, line, col, message, _code(message), _kept(data.get(col)))
                    )
                rejected[line] = key_cells = _key_cells(data, id_field, period_field)
                _claim(claimed, key_cells, id_field, period_field, line)
                continue
            values = schema.values(got, fields)
            values.extend([None] * (nslots - len(values)))
            key = str(got[id_field]) if id_field else str(line)
            period = got.get(period_field) if period_field else None
            out.append(
                RowEnv(values, (key, period or ""), month_ord(period) if period else 0, line)
            )
        kept_rows = _drop_duplicates(name, out, errors, period_field, claimed)
        dropped = []
        if len(kept_rows) < len(out):
            ids = {id(r) for r in kept_rows}
            dropped = [r for r in out if id(r) not in ids]
        loaded = Loaded(kept_rows, errors, [], total, dropped, header, rejected)
        loaded.kept = kept
        return loaded

    def _texts(self, cells: list[Any]) -> list[str]:
        kinds = self.kinds
        return [
            c if type(c) is str else typed_to_text(c, kinds[i] if i < len(kinds) else "text")
            for i, c in enumerate(cells)
        ]

    def _note_unnamed(self, line: int, cells: list[str]) -> None:
        for i in self.unnamed:
            if i < len(cells) and cells[i].strip() and i not in self.unnamed_seen:
                self.unnamed_seen[i] = line

    def _prepare(self, data: dict[str, str]) -> dict[str, str]:
        """Cells in the forms Excel writes put into the one form the schema reads (in
        place); returns the cells refused before validation, with why."""
        odd: dict[str, str] = {}
        if self.damaged:
            odd = {k: "cell is not valid UTF-8 text" for k, v in data.items() if _has_surrogate(v)}
        if self.numeric:
            joined = "".join(map(data.get, self.numeric, repeat("")))
            if _NOT_NUMBER.search(joined) or len(joined) > MAX_DIGITS or "-0" in joined:
                self._numbers(data, odd)
        for k in self.months:
            v = data.get(k)
            kind = self.kind_of[k]
            if k in odd:
                continue
            if v is not None and not (_MONTH if kind == "month" else _DATE).fullmatch(v):
                fixed = month_text(v) if kind == "month" else date_text(v)
                if fixed is not None:
                    data[k] = fixed
                elif has_foreign_digits(v):
                    odd[k] = f"{_shown(v)} has digits that are not ASCII 0-9: write them as 0-9"
        return odd

    def _numbers(self, data: dict[str, str], odd: dict[str, str]) -> None:
        for k in self.numeric:
            v = data.get(k)
            if v is None or k in odd:
                continue
            kind = self.kind_of[k]
            body = v[:-1] if kind == "percent" and v.endswith(("%", "％")) else v
            plain = number_text(body, kind)
            if plain is None:
                if has_foreign_digits(v):
                    odd[k] = f"{_shown(v)} has digits that are not ASCII 0-9: write them as 0-9"
                else:
                    odd[k] = f"{_shown(v)} is not a number"
                continue
            if too_many_digits(plain):
                odd[k] = (
                    f"{_shown(v)} has more than {MAX_DIGITS} significant digits, the most "
                    "policyc computes with exactly: shorten it"
                )
                continue
            if negative_zero(plain):
                plain = plain[1:]
            if plain != body:
                data[k] = plain + v[len(body) :]


_MONTH = re.compile(MONTH_RE)
_DATE = re.compile(DATE_RE)


def _kept(value: str | None) -> str | None:
    if value is None:
        return None
    return value if len(value) <= MAX_VALUE_KEPT else value[:MAX_VALUE_KEPT] + "…"


_CODES = (
    ("is blank", "R101"),
    ("is not one of", "R102"),
    ("is not a number", "R103"),
    ("is out of range", "R104"),
    ("is not a whole number", "R105"),
    ("decimal places", "R106"),
    ("is not `true` or `false`", "R107"),
    ("is not a month", "R108"),
    ("is not a date", "R109"),
    ("longer than", "R110"),
    ("not ASCII", "R111"),
    ("significant digits", "R112"),
)


def _code(message: str) -> str:
    """A stable code for each kind of cell report (listed in docs/records.md)."""
    return next((code for text, code in _CODES if text in message), "R100")


# Characters a number cell never holds; one search over a row's number cells joined keeps
# the common, clean row at one regex call (Decimal alone would take `8_0`, `1e3`, `１２`).
_NOT_NUMBER = re.compile(r"[^0-9.+\-%％]")


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
    if period_field and not re.fullmatch(MONTH_RE, period):
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
