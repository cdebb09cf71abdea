"""Results out: rows as table, JSON, JSON lines or CSV; written atomically to a file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.runtime.values import RowEnv, plain, show


def result_columns(plan: Plan) -> list[str]:
    m = plan.model
    keys = [k for k in m.key]
    return keys + [name for name, _ in plan.outputs if name not in keys]


def result_rows(plan: Plan, rows: list[RowEnv]) -> Iterator[dict[str, Any]]:
    m = plan.model
    key_slots = [(k, m_slot) for k, m_slot in ((k, plan.field_names.index(k)) for k in m.key)]
    outputs = [(n, s) for n, s in plan.outputs if n not in m.key]
    for r in rows:
        v = r.v
        obj = {k: v[s] for k, s in key_slots}
        for n, s in outputs:
            obj[n] = plain(v[s])
        yield obj


def to_jsonl(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for obj in rows:
        yield dumps(obj) + "\n"


def jsonl_lines(plan: Plan, rows: list[RowEnv]) -> Iterator[str]:
    """The same lines as `to_jsonl(result_rows(...))`, byte for byte, without a dict and
    the generic encoder per row: on a large file this is a quarter of `eval`'s time."""
    m = plan.model
    keys = [(k, plan.field_names.index(k)) for k in m.key]
    outputs = [(n, s) for n, s in plan.outputs if n not in m.key]
    names = [k for k, _ in keys] + [n for n, _ in outputs]
    heads = [("{" if i == 0 else ", ") + encode_basestring(n) + ": " for i, n in enumerate(names)]
    key_parts = list(zip(heads, [s for _, s in keys], strict=False))
    out_parts = list(zip(heads[len(keys) :], [s for _, s in outputs], strict=True))
    for r in rows:
        v = r.v
        parts = [h + _json_value(v[s]) for h, s in key_parts]
        parts += [h + _json_value(plain(v[s])) for h, s in out_parts]
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
    return json.dumps(v, ensure_ascii=False)


def to_json(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"


def to_csv(columns: list[str], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    yield buf.getvalue()
    for obj in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(["" if obj.get(c) is None else _cell(obj.get(c)) for c in columns])
        yield buf.getvalue()


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _human(v: Any) -> str:
    """A cell for a person: long repeating decimals cut to 6 places and marked with `…`
    (the JSON and CSV formats keep every digit)."""
    if v is None:
        return "-"
    if isinstance(v, str) and "." in v and len(v.split(".")[1]) > 6:
        try:
            return show(Decimal(v))
        except ArithmeticError:
            return v
    return _cell(v)


def to_table(columns: list[str], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A plain aligned text table (display-width aware, for Chinese labels)."""
    from policyc.source import display_width

    data = [[_human(o.get(c)) for c in columns] for o in rows]
    widths = [
        max([display_width(c)] + [display_width(r[i]) for r in data]) for i, c in enumerate(columns)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    yield line(columns) + "\n"
    yield line(["-" * w for w in widths]) + "\n"
    for r in data:
        yield line(r) + "\n"
