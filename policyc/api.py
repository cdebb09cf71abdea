"""The library: `import policyc`, load a policy, evaluate records held anywhere.

A thin layer over `policyc.pipeline` (check_source, compile_checked, evaluate,
evaluate_loaded) and the records reader (`load_rows`): the CLI and the library give the
same rows and the same FILE:ROW:COLUMN reports. pandas, Polars and pyarrow are optional:
they are imported only when a frame is given or asked for. See docs/library.md.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.diagnostics import Diagnostic, Severity, render_all
from policyc.diff.records import DiffError, RecordDiff, diff_records
from policyc.diff.render import records_json, records_text
from policyc.diff.rules import version_of
from policyc.explain import explain_json, explain_text
from policyc.io.records import RecordError, load_rows
from policyc.io.results import result_columns
from policyc.messages import default_lang, msg
from policyc.pipeline import (
    Checked,
    Evaluation,
    check_source,
    compile_checked,
    evaluate,
    evaluate_loaded,
    reported_rows,
)
from policyc.runtime.values import RowEnv, plain
from policyc.source import SourceFile

Records = str | os.PathLike[str] | Iterable[Mapping[str, Any]] | Any
"""A records file (path), an iterable of dicts, a pandas or Polars DataFrame, an Arrow table."""

__all__ = [
    "Diff",
    "DiffError",
    "Explanation",
    "Policy",
    "PolicyError",
    "RecordError",
    "Results",
    "Summary",
    "diff",
    "load",
]


def _m(key: str, **fields: object) -> str:
    return msg(key, default_lang(), **fields)


class PolicyError(Exception):
    """A policy with errors: `diagnostics` holds every one (warnings too), `str()` shows
    them as `policyc check` does (FILE:LINE:COL, the source line and a caret)."""

    def __init__(self, source: SourceFile, diagnostics: list[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = diagnostics
        self.errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        shown = render_all(diagnostics, {source.name: source})
        super().__init__(
            _m("api.policy_errors", name=source.name, count=len(self.errors)) + "\n" + shown
        )


# ---- load --------------------------------------------------------------------------------------


def load(path_or_text: str | os.PathLike[str], *, name: str | None = None) -> Policy:
    """A checked, compiled policy from a file (a `Path`, or a string naming a file) or from
    policy text (a string holding a newline). Raises PolicyError when it has errors and
    FileNotFoundError when a path names no file; warnings stay on `.diagnostics`."""
    source = _source(path_or_text, name)
    checked = check_source(source)
    if not checked.ok:
        raise PolicyError(source, checked.diagnostics)
    return Policy(checked, compile_checked(checked))


def _source(path_or_text: str | os.PathLike[str], name: str | None) -> SourceFile:
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return SourceFile.of(name or "<text>", path_or_text)
    path = Path(path_or_text)
    if not path.is_file():
        raise FileNotFoundError(2, _m("api.no_policy_file"), str(path))
    source = SourceFile.read(path)
    return SourceFile.of(name, source.text) if name else source


# ---- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What a run did: data rows read, evaluated, reported (a row with two bad cells is one
    row), and for each output whose values are labels or yes/no the count of each value."""

    read: int
    evaluated: int
    reported: int
    counts: dict[str, dict[Any, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Results:
    """The rows (key columns, then the outputs, in `columns` order; numbers as exact
    `Decimal`s, labels as `str`, yes/no as `bool`, nothing as `None`), the bad rows'
    reports (FILE:ROW:COLUMN, as `policyc eval` prints them) and the summary."""

    columns: list[str]
    rows: list[dict[str, Any]]
    reports: list[RecordError]
    summary: Summary

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    @property
    def ok(self) -> bool:
        """Every row evaluated, nothing reported."""
        return not self.reports

    def to_pandas(self) -> Any:
        """A pandas DataFrame (numbers stay `Decimal` objects: exact, as computed)."""
        pd = _optional("pandas")
        return pd.DataFrame(self.rows, columns=self.columns)

    def to_polars(self) -> Any:
        """A Polars DataFrame (numbers as Polars decimals, or text when a column mixes)."""
        pl = _optional("polars")
        return pl.DataFrame(_columnar(self.columns, self.rows), strict=False)

    def to_arrow(self) -> Any:
        """A pyarrow Table (numbers as decimal128 at the largest scale of the column)."""
        pa = _optional("pyarrow")
        data = _columnar(self.columns, self.rows)
        return pa.table({c: pa.array(v, type=_arrow_type(pa, v)) for c, v in data.items()})


def _columnar(columns: list[str], rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {c: [r.get(c) for r in rows] for c in columns}


def _arrow_type(pa: Any, values: list[Any]) -> Any:
    """A decimal type wide enough for every value of a numeric column (decimal128, else
    decimal256); None: let Arrow infer (labels, yes/no, a column that is not numbers)."""
    numbers = [v for v in values if isinstance(v, Decimal)]
    if not numbers or len(numbers) != sum(v is not None for v in values):
        return None
    scale = max(0, *(-int(v.as_tuple().exponent) for v in numbers))
    whole = max(len(t.digits) + int(t.exponent) for t in (v.as_tuple() for v in numbers))
    precision = max(1, max(whole, 0) + scale)
    if precision <= 38:
        return pa.decimal128(precision, scale)
    return pa.decimal256(precision, scale) if precision <= 76 else None


def _optional(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(_m("api.missing_extra", module=module)) from e


@dataclass(frozen=True)
class Explanation:
    """How each output of one employee was derived: `text` as `policyc explain` prints
    it, `steps` as its `--format json` gives it, and why any of their rows was rejected."""

    employee: str
    period: str | None
    text: str
    steps: list[dict[str, Any]]
    rejected: list[RecordError]

    def __str__(self) -> str:
        return self.text


# ---- the policy --------------------------------------------------------------------------------


class Policy:
    """A policy that passed `check`: evaluate it on records, explain one employee."""

    def __init__(self, checked: Checked, plan: Plan) -> None:
        self._checked = checked
        self._plan = plan

    @property
    def name(self) -> str:
        return self._checked.source.name

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The warnings `check` gives (a policy with errors never loads)."""
        return list(self._checked.diagnostics)

    @property
    def columns(self) -> list[str]:
        """The result columns: the key, then the outputs."""
        return result_columns(self._plan)

    @property
    def fields(self) -> list[str]:
        """The record fields the policy reads."""
        return list(self._plan.model.fields)

    def __repr__(self) -> str:
        return f"<policyc.Policy {self.name!r}: {', '.join(self.columns)}>"

    def evaluate(self, records: Records, *, name: str | None = None) -> Results:
        """Evaluate every row of `records`: a path, an iterable of dicts, a pandas or
        Polars DataFrame or an Arrow table. In-memory rows are numbered as a sheet would
        number them (the first record is row 2) and reported as `NAME:ROW:COLUMN`."""
        return _results(self._plan, self._evaluate(records, name))

    def explain(self, records: Records, employee: str, period: str | None = None) -> Explanation:
        """Every output of `employee` (in `period`, else every month), derived."""
        ev = self._evaluate(records, None, trace={employee})
        rows = [r for r in ev.outcome.rows if r.key[0] == employee]
        if period is not None:
            rows = [r for r in rows if r.key[1] == period]
        keys = ev.row_keys()
        rejected = [
            e
            for e in ev.errors
            if (k := keys.get(e.row)) and k[0] == employee and period in (None, k[1])
        ]
        if not rows and not rejected:
            raise LookupError(_m("api.no_row", employee=employee, period=period or "-"))
        text = explain_text(self._plan, rows, self.name)
        return Explanation(employee, period, text, explain_json(self._plan, rows), rejected)

    def _evaluate(
        self, records: Records, name: str | None, trace: set[str] | None = None
    ) -> Evaluation:
        plan = self._plan
        if isinstance(records, str | os.PathLike):
            return evaluate(plan, Path(records), trace)
        label = name or _default_name(records)
        rows = _rows_of(records)
        loaded = load_rows(rows, plan.model, plan.field_names, plan.nslots, name=label)
        return evaluate_loaded(plan, loaded, label, trace)


def _results(plan: Plan, ev: Evaluation) -> Results:
    columns = result_columns(plan)
    rows = list(_typed_rows(plan, ev.outcome.rows))
    counts: dict[str, dict[Any, int]] = {}
    for c in columns[len(plan.model.key) :]:
        values = [r[c] for r in rows]
        if values and all(isinstance(v, str | bool) or v is None for v in values):
            counts[c] = dict(sorted(Counter(values).items(), key=lambda kv: str(kv[0])))
    errors = ev.errors
    summary = Summary(ev.loaded.total, len(ev.outcome.rows), len(reported_rows(errors)), counts)
    return Results(columns, rows, errors, summary)


def _typed_rows(plan: Plan, rows: list[RowEnv]) -> Iterator[dict[str, Any]]:
    """As `result_rows` (the CLI's rows), numbers as `Decimal` in the form printed."""
    key = plan.model.key
    key_slots = [(k, plan.field_names.index(k)) for k in key]
    outputs = [(n, s) for n, s in plan.outputs if n not in key]
    for r in rows:
        obj = {k: r.v[s] for k, s in key_slots}
        for n, s in outputs:
            v = r.v[s]
            obj[n] = Decimal(plain(v)) if isinstance(v, Decimal) else v
        yield obj


# ---- records held in memory ---------------------------------------------------------------------


def _default_name(records: Any) -> str:
    module = type(records).__module__.split(".")[0]
    return {"pandas": "<pandas>", "polars": "<polars>", "pyarrow": "<arrow>"}.get(module, "<rows>")


def _rows_of(records: Any) -> Iterator[dict[str, Any]]:
    """Dicts of plain Python values from any supported container, without importing the
    library that made it: a frame is recognised by its module and asked for its rows."""
    module = type(records).__module__.split(".")[0]
    if module == "pandas" and hasattr(records, "to_dict"):
        raw: Iterable[Mapping[str, Any]] = records.to_dict("records")
    elif module == "polars" and hasattr(records, "to_dicts"):
        raw = records.to_dicts()
    elif module == "pyarrow" and hasattr(records, "to_pylist"):
        raw = records.to_pylist()
    elif isinstance(records, Mapping) or not isinstance(records, Iterable):
        raise TypeError(_m("api.bad_records", type=type(records).__name__))
    else:
        raw = records
    for r in raw:
        if not isinstance(r, Mapping):
            raise TypeError(_m("api.bad_row", type=type(r).__name__))
        yield {str(k): _plain_value(v) for k, v in r.items()}


def _plain_value(v: Any) -> Any:
    """NumPy scalars to Python ones, and the missing values of pandas (NaN, NaT, NA) to
    None: a blank cell, as in a file."""
    if v is None or isinstance(v, str | bool | int | Decimal):
        return v
    if type(v).__name__ in ("NAType", "NaTType"):
        return None
    if type(v).__module__ == "numpy" and hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


# ---- diff --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    """What changed between two versions: the rule changes and, with records, every
    output that changes for whom. `text` as `policyc diff` prints it, `data` as its JSON."""

    text: str
    data: dict[str, Any]
    result: RecordDiff

    @property
    def differs(self) -> bool:
        r = self.result
        return bool(r.changed or r.only_old or r.only_new)

    def __str__(self) -> str:
        return self.text


def diff(
    old: Policy | str | os.PathLike[str], new: Policy | str | os.PathLike[str], records: Records
) -> Diff:
    """Compare two versions of a policy on the same records (a path, or rows as
    `Policy.evaluate` takes them). Raises DiffError when they cannot be compared (a
    column a version needs is missing)."""
    before, after = (_version(p) for p in (old, new))
    if isinstance(records, str | os.PathLike):
        result = diff_records(before, after, Path(records))
        return Diff(records_text(result), records_json(result), result)
    # the comparison reads a file (both versions, traced runs): rows go through a CSV
    months = {
        f for v in (before, after) for f, d in v.model.fields.items() if d.type.kind == "month"
    }
    with tempfile.TemporaryDirectory(prefix="policyc-diff-") as folder:
        path = Path(folder) / "records.csv"
        path.write_text(_csv_of(_rows_of(records), months), encoding="utf-8")
        result = dataclasses.replace(
            diff_records(before, after, path), records=_default_name(records)
        )
        return Diff(records_text(result), records_json(result), result)


def _version(p: Policy | str | os.PathLike[str]) -> Any:
    policy = p if isinstance(p, Policy) else load(p)
    return version_of(policy._checked)


def _csv_of(rows: Iterable[dict[str, Any]], months: set[str]) -> str:
    rows = list(rows)
    header: dict[str, None] = {}
    for r in rows:
        header.update(dict.fromkeys(r))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([_cell(r.get(h), h in months) for h in header])
    return buf.getvalue()


def _cell(v: Any, month: bool) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "isoformat"):  # a date; in a month field, its month
        return str(v.isoformat())[: 7 if month else 10]
    return str(v)
