#!/usr/bin/env python3
"""Fuzz policyc with mutated policies and hostile record files: any traceback is a bug.

usage: python bench/fuzz.py [--seed N] [--count N] [--cli N] [--only policies|records]

`--count` mutated policies (every bundled policy, in turn, mutated by one to four random
edits) are checked through the library; those that still check clean are compiled and
evaluated on generated records. `--count` hostile record files (generated for each bundled
policy, then damaged) are evaluated; `--cli` of each also go through the real `policyc`
command. Every problem found is printed with its reproducer; the exit status is 1 then.

The generators are plain functions of a `random.Random`, so the suite's hypothesis tests
(tests/test_fuzz_*.py) drive the very same code with shrinkable randomness.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").glob("*.policy"))
CONTRACT_A = ROOT / "policies" / "cs_levels_2021.policy"
CONTRACT_B = ROOT / "policies" / "call_center_bonus.policy"

if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from policyc.backend.closures.compile import GroupStep, Plan  # noqa: E402
from policyc.diagnostics import Diagnostic, render_all  # noqa: E402
from policyc.explain import explain_json, explain_text  # noqa: E402
from policyc.io.results import result_columns, result_rows, to_csv, to_jsonl, to_table  # noqa: E402
from policyc.pipeline import check_source, compile_checked, evaluate  # noqa: E402
from policyc.semantics.model import Model  # noqa: E402
from policyc.source import SourceFile  # noqa: E402
from policyc.syntax import ast as A  # noqa: E402

# ---- policy mutations ---------------------------------------------------------------------

TOKEN_RE = re.compile(
    r'"[^"\n]*"|“[^”\n]*”|\d+(?:\.\d+)?[%％]?|\w+|\r?\n[ \t]*|[ \t]+|->|<=|>=|!=|==|\.\.|.',
    re.S,
)

# Full-width and typographic forms a Chinese keyboard produces, with their ASCII form.
FULL_WIDTH = {
    ":": "：",
    ",": "，",
    "(": "（",
    ")": "）",
    ";": "；",
    ">=": "≥",
    "<=": "≤",
    "->": "→",
    "=": "＝",
    "%": "％",
    "<": "＜",
    ">": "＞",
    "|": "｜",
    "+": "＋",
    "-": "－",
    "*": "＊",
    "/": "／",
    '"': "＂",
    " ": "\u3000",
}

STRAY = [
    *FULL_WIDTH.values(),
    *"张伟绩效客服😀🎉👍🏽",
    *"\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u200b\u200d\u2028\u2029\ufeff\u202e\ufffd",
    *"≠×÷−“”‘’、。【】《》！？…·",
    *"\t \r\n'\"{}[]\\#%$@`|?:,()=<>+-*/.;!~^&",
    *["\r\n", "..", "->", "9" * 38, "1e400", "0." + "0" * 33 + "1", "NaN", "inf", "-0", "1."],
    *[".5", "2021-13", "previous(", "mean(", "rank(", "record.", "  ", "    ", "\n  ", "\n    "],
    *["\n\n", "\n", "if", "then", "else", "band", "table", "first", "unique", "over", "by"],
    *["record", "key", "output", "example", "state", "window", "ladder", "override", "weighted"],
    *["among", "per", "not", "and", "or", "none", "true", "false", "start", "up", "down"],
    *["becomes", "when", "given", "expect", "otherwise", "any", "above", "below", "at", "least"],
    "most",
]


def tokens(text: str) -> list[str]:
    """Words, numbers, labels, operators, whitespace runs; joined they give `text` back."""
    return TOKEN_RE.findall(text)


def _line_edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.choice(["delete", "duplicate", "swap", "tab", "indent", "dedent", "join"])
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "tab":
        stripped = lines[i].lstrip(" ")
        lines[i] = "\t" * rng.randint(1, 2) + stripped if stripped != lines[i] else lines[i]
    elif kind == "indent":
        lines[i] = " " * rng.randint(1, 5) + lines[i]
    elif kind == "dedent":
        lines[i] = lines[i][rng.randint(1, 4) :] if lines[i].startswith(" ") else lines[i]
    elif i + 1 < len(lines):
        lines[i : i + 2] = [lines[i] + " " + lines[i + 1].lstrip()]
    return "\n".join(lines)


def _nest(toks: list[str], rng: random.Random) -> list[str]:
    """Wrap a word or number in many parentheses, minus signs or `not`s."""
    words = [i for i, t in enumerate(toks) if re.fullmatch(r"\w+", t)]
    if not words:
        return toks
    i = rng.choice(words)
    n = rng.choice([3, 50, 99, 101, 150, 400, 2000])
    pre, post = rng.choice([("(", ")"), ("-", ""), ("not ", ""), ("abs(", ")")])
    return [*toks[:i], pre * n, toks[i], post * n, *toks[i + 1 :]]


def _token_edit(toks: list[str], rng: random.Random) -> list[str]:
    if not toks:
        return [rng.choice(STRAY)]
    i = rng.randrange(len(toks))
    j = rng.randrange(len(toks))
    kind = rng.choice(
        ["delete", "delete_run", "duplicate", "swap_next", "swap", "insert", "replace", "copy"]
    )
    out = list(toks)
    if kind == "delete":
        del out[i]
    elif kind == "delete_run":
        del out[i : i + rng.randint(2, 8)]
    elif kind == "duplicate":
        out.insert(i, out[i])
    elif kind == "swap_next" and i + 1 < len(out):
        out[i], out[i + 1] = out[i + 1], out[i]
    elif kind == "swap":
        out[i], out[j] = out[j], out[i]
    elif kind == "insert":
        out.insert(i, rng.choice(STRAY))
    elif kind == "replace":
        out[i] = rng.choice(STRAY)
    else:
        out[i] = out[j]
    return out


def _full_width(text: str, rng: random.Random) -> str:
    ascii_form, wide = rng.choice(list(FULL_WIDTH.items()))
    if ascii_form not in text:
        return text
    if rng.random() < 0.5:
        return text.replace(ascii_form, wide)
    starts = [m.start() for m in re.finditer(re.escape(ascii_form), text)]
    at = rng.choice(starts)
    return text[:at] + wide + text[at + len(ascii_form) :]


def _number(toks: list[str], rng: random.Random) -> list[str]:
    nums = [i for i, t in enumerate(toks) if t[:1].isdigit()]
    if not nums:
        return toks
    out = list(toks)
    out[rng.choice(nums)] = rng.choice(
        ["9" * rng.randint(20, 60), "0." + "0" * 40 + "1", "1" * 28, "-1", "0", "0%", "1000%"]
    )
    return out


def mutate_policy(text: str, rng: random.Random) -> str:
    """One to four random edits of a policy's text: tokens, lines, Unicode, truncation."""
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
        op = rng.choice(
            ["token"] * 6 + ["line"] * 2 + ["wide"] * 2 + ["nest", "number", "newlines", "cut"]
        )
        if op == "token":
            text = "".join(_token_edit(tokens(text), rng))
        elif op == "line":
            text = _line_edit(text, rng)
        elif op == "wide":
            text = _full_width(text, rng)
        elif op == "nest":
            text = "".join(_nest(tokens(text), rng))
        elif op == "number":
            text = "".join(_number(tokens(text), rng))
        elif op == "newlines":
            text = text.replace("\n", rng.choice(["\r\n", "\r", "\n\n", "\n\t"]))
        else:
            text = text[: rng.randrange(len(text) + 1)]
    return text


def diagnostic_problems(checked_text: str, name: str, diags: list[Diagnostic]) -> list[str]:
    """Every diagnostic names this file and a line and column inside it."""
    source = SourceFile.of(name, checked_text)
    nlines = len(source.text.split("\n"))
    problems = []
    for d in diags:
        sp = d.span
        line_len = len(source.line_text(sp.line))
        if sp.file != name or not 1 <= sp.line <= nlines or not 1 <= sp.column <= line_len + 1:
            problems.append(f"diagnostic outside the file: {sp} {d.code} {d.message}")
        if not d.message or "Traceback" in d.message:
            problems.append(f"diagnostic without a useful message: {d}")
    return problems


def check_policy_text(text: str, name: str = "fuzz.policy") -> tuple[bool, list[str]]:
    """(checked clean, problems): check, render; never an exception."""
    try:
        source = SourceFile.of(name, text)
        checked = check_source(source)
        rendered = render_all(checked.diagnostics, {name: source})
    except Exception:
        return False, [traceback.format_exc()]
    problems = diagnostic_problems(text, name, checked.diagnostics)
    if "Traceback" in rendered:
        problems.append("a rendered diagnostic holds a traceback")
    return checked.ok, problems


def compile_text(text: str, name: str = "fuzz.policy") -> Plan:
    checked = check_source(SourceFile.of(name, text))
    assert checked.ok, [f"{d.span} {d.message}" for d in checked.diagnostics]
    return compile_checked(checked)


# ---- record files ------------------------------------------------------------------------


@dataclass
class Records:
    """A generated record file: header, rows of cells, and whose row each is."""

    header: list[str]
    rows: list[list[str]]
    employees: list[str]  # the employee each row was generated for

    def to_bytes(self, bom: bool = False, crlf: bool = False) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
        w.writerow(self.header)
        w.writerows(self.rows)
        data = buf.getvalue().encode("utf-8", errors="surrogateescape")
        return (b"\xef\xbb\xbf" if bom else b"") + data


def _score(rng: random.Random) -> str:
    return rng.choice([str(rng.randint(0, 100)), f"{rng.randint(0, 99)}.{rng.randint(0, 9)}"])


def _value(f: A.FieldDecl, rng: random.Random) -> str:
    t = f.type
    if t.kind == "enum":
        return rng.choice(t.labels)
    if t.kind == "bool":
        return rng.choice(["true", "false", "false", "false"])
    if t.kind == "month":
        return f"20{rng.randint(20, 23)}-{rng.randint(1, 12):02d}"
    if t.kind == "date":
        return f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if t.kind == "score" and t.low is None:
        return _score(rng)
    if t.kind in ("number", "integer", "money", "percent", "score"):
        low = t.low if t.low is not None else Decimal(0)
        high = t.high if t.high is not None else Decimal(10000)
        if t.kind == "percent" and t.low is None:
            high = Decimal(1)
        places = 0 if t.kind == "integer" else min(t.places if t.places is not None else 2, 2)
        if high - low <= 1 and t.kind != "integer":
            places = 2
        unit = Decimal(1).scaleb(-places)
        steps = int((high - low) / unit)
        return str(low + unit * rng.randint(0, max(0, min(steps, 10**6))))
    return rng.choice(["张伟", "李娜", "Wang Fang", "刘洋", "陈静"])


def _ladder_labels(model: Model) -> tuple[str | None, str | None, dict[str, tuple[str, ...]]]:
    """(field holding a state's start, field choosing the ladder, steps by that field)."""
    for st in model.states.values():
        if isinstance(st.start, A.FieldRef) and st.ladder in model.ladders:
            lad = model.ladders[st.ladder]
            steps = {str(k): c.steps for c in lad.cases for k in c.keys}
            if lad.by is None and lad.cases:  # one ladder for everyone
                steps[""] = lad.cases[0].steps
            return st.start.name, lad.by, steps
    return None, None, {}


def good_records(model: Model, rng: random.Random, employees: int = 8) -> Records:
    """Valid rows: each employee one role, consecutive months with a few gaps, the state's
    starting value on the employee's first row only; optional labels left blank."""
    header = list(model.fields)
    start_field, by_field, ladder = _ladder_labels(model)
    period = model.period_field
    id_field = model.id_field or header[0]
    rows: list[list[str]] = []
    owners: list[str] = []
    for n in range(employees):
        emp = f"E{n + 1:03d}"
        fixed = {
            k: _value(f, rng) for k, f in model.fields.items() if f.type.kind in ("enum", "text")
        }
        months = range(rng.randint(1, 14)) if period else range(1)
        first = True
        for m in months:
            if period and rng.random() < 0.08:
                continue  # a missing month
            cells = []
            for name, f in model.fields.items():
                if name == id_field:
                    cells.append(emp)
                elif name == period:
                    cells.append(f"{2021 + m // 12}-{m % 12 + 1:02d}")
                elif name == start_field:
                    steps = ladder.get(fixed.get(by_field or "", ""), ())
                    cells.append(rng.choice(steps) if first and steps else "")
                elif f.optional and f.type.kind in ("enum", "text"):
                    cells.append("")
                elif f.type.kind in ("enum", "text"):
                    cells.append(fixed[name])
                else:
                    cells.append(_value(f, rng))
            rows.append(cells)
            owners.append(emp)
            first = False
    return Records(header, rows, owners)


HOSTILE_CELLS = [
    *["", " ", "abc", "张伟", "1e400", "-1e400", "99999999999999999999", "1" * 40, "-5", "-0"],
    *["0." + "0" * 30 + "1", "101", "100.0000001", "NaN", "nan", "inf", "-Infinity", "sNaN"],
    *["1,000", "50%", "５０", "0x10", "1_000", " 50 ", "2021-13", "2021-1", "21-01", "2021/01"],
    *["2021-00", "0000-01", "9999-12", "boss", "CUSTOMER_REP", "true", "maybe", "null", "None"],
    *["=1+1", '"', 'a"b', "a\nb", "a\r\nb", "\x00", "\ufeff", "x" * 2000, "😀", "\u202e"],
]
BAD_BYTES = [b"\xff", b"\xd5\xc5\xc8\xfd", b"\xc3", b"\xed\xa0\x80", b"\x80abc"]


@dataclass
class Hostile:
    """A damaged record file and what the damage touched."""

    data: bytes
    touched: set[str] = field(default_factory=set)  # employees whose rows were damaged
    notes: list[str] = field(default_factory=list)  # the damage done, for a reproducer
    all_touched: bool = False  # damage that may reject any row (a dropped column)


def _damage_cells(rec: Records, rng: random.Random, out: Hostile) -> None:
    """Replace cells of some rows. Bytes that are not UTF-8 ride in the text as surrogate
    escapes until the file is encoded."""
    for i, cells in enumerate(rec.rows):
        if rng.random() > 0.15:
            continue
        out.touched.add(rec.employees[i])
        for _ in range(rng.randint(1, 3)):
            c = rng.randrange(len(cells))
            if rng.random() < 0.1:
                bad = rng.choice(BAD_BYTES).decode("utf-8", errors="surrogateescape")
                cells[c] = bad + cells[c]
                out.notes.append(f"row {i + 2} cell {rec.header[c]} non-UTF-8")
            else:
                cells[c] = rng.choice(HOSTILE_CELLS)
                out.notes.append(f"row {i + 2} cell {rec.header[c]} = {cells[c][:20]!r}")
        if rng.random() < 0.05:
            del cells[rng.randrange(len(cells)) :]
            out.notes.append(f"row {i + 2} cut short")
        elif rng.random() < 0.05:
            cells.extend(["extra"] * rng.randint(1, 3))
            out.notes.append(f"row {i + 2} extra cells")


def _damage_rows(rec: Records, rng: random.Random, out: Hostile) -> None:
    """Duplicate employee-months, shuffled order, blank lines."""
    for _ in range(rng.choice([0, 0, 1, 2])):
        if rec.rows:
            i = rng.randrange(len(rec.rows))
            rec.rows.append(list(rec.rows[i]))
            rec.employees.append(rec.employees[i])
            out.touched.add(rec.employees[i])
            out.notes.append(f"row {i + 2} duplicated")
    if rng.random() < 0.5:
        order = list(range(len(rec.rows)))
        rng.shuffle(order)
        rec.rows = [rec.rows[i] for i in order]
        rec.employees = [rec.employees[i] for i in order]
        out.notes.append("rows shuffled")


def _damage_columns(rec: Records, model: Model, rng: random.Random, out: Hostile) -> None:
    roll = rng.random()
    if roll < 0.05:
        c = rng.randrange(len(rec.header))
        name = rec.header[c]
        for cells in [rec.header, *rec.rows]:
            if c < len(cells):
                del cells[c]
        f = model.fields.get(name)
        if f is not None and not f.optional:
            out.all_touched = True
        else:
            out.touched.update(rec.employees)  # blank optional labels may now be needed
        out.notes.append(f"column {name} dropped")
    elif roll < 0.10:
        rec.header.append(rng.choice(["extra", "备注", "", "employee_id2"]))
        for cells in rec.rows:
            cells.append(rng.choice(["x", "", "1"]))
        out.notes.append("extra column")
    elif roll < 0.15:
        order = list(range(len(rec.header)))
        rng.shuffle(order)
        rec.header = [rec.header[i] for i in order]
        rec.rows = [[cells[i] for i in order if i < len(cells)] for cells in rec.rows]
        out.notes.append("columns shuffled")


def hostile_records(model: Model, good: Records, rng: random.Random) -> Hostile:
    """`good` records for `model`, damaged: bad cells, duplicates, bytes, structure."""
    rec = Records(list(good.header), [list(r) for r in good.rows], list(good.employees))
    out = Hostile(b"", all_touched=True)
    kind = rng.random()
    if kind < 0.03:
        out.notes.append("empty file")
        return out
    if kind < 0.06:
        out.data = rec.to_bytes(bom=rng.random() < 0.5)
        out.data = out.data[: out.data.index(b"\n") + 1]
        out.notes.append("header only")
        return out
    out.all_touched = False
    _damage_cells(rec, rng, out)
    _damage_rows(rec, rng, out)
    _damage_columns(rec, model, rng, out)
    data = rec.to_bytes(crlf=rng.random() < 0.3)
    if rng.random() < 0.2:
        data = b"\xef\xbb\xbf" + data
        out.notes.append("BOM")
    if rng.random() < 0.1:
        data = data.replace(b"\n", b"\n\n", 1)
        out.notes.append("blank line")
    if rng.random() < 0.15 and rec.rows:
        last = data.rstrip(b"\r\n").rfind(b"\n") + 1
        data = data[: rng.randint(last, len(data))]
        # the last line with text: a row cut down to no cells is a blank line, not a row
        rows_with_text = (i for i, cells in enumerate([[], *rec.rows]) if "".join(cells).strip())
        last_row = max(rows_with_text, default=0)
        if last_row:
            out.touched.add(rec.employees[last_row - 1])
        out.notes.append("last line truncated")
    out.data = data
    return out


def named_keys(data: bytes, model: Model) -> Counter[tuple[str, ...]]:
    """How many rows name each employee-month with readable key cells (a row with more
    cells than the header is not read at all, so it names nothing)."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    rows = list(csv.reader(io.StringIO(text.replace("\x00", ""), newline="")))
    if not rows or not model.id_field:
        return Counter()
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    at = {name: i for i, name in enumerate(header)}
    out: Counter[tuple[str, ...]] = Counter()
    for cells in rows[1:]:
        if len(cells) > len(header) or model.id_field not in at:
            continue
        cells = [*cells, *[""] * len(header)]
        emp = cells[at[model.id_field]].strip()
        period = cells[at[model.period_field]].strip() if model.period_field in at else ""
        if not emp or not emp.isprintable() or emp != emp.encode("utf-8", "replace").decode():
            continue
        if model.period_field and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            continue
        out[(emp, period)] += 1
    return out


def spreadsheet_rows(data: bytes) -> tuple[int, int]:
    """(data rows, lines) of a file, counted naively and apart from the loader's parser:
    physical lines, a line joined to the next while its record holds an odd number of
    quotes (a quoted cell with a line break); a quote still open at the end of the file is
    a stray one, so its first line is one row and counting resumes on the next line.
    Blank records and the first non-blank line (the header) are not data rows."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    lines = re.split(r"\r\n|\n|\r", text)
    if lines and lines[-1] == "":
        lines.pop()
    rows, i, header_seen = 0, 0, False
    while i < len(lines):
        j, quotes = i, lines[i].count('"')
        while quotes % 2 and j + 1 < len(lines):
            j += 1
            quotes += lines[j].count('"')
        if quotes % 2:  # never closed: a stray quote
            j = i
        record = "\n".join(lines[i : j + 1])
        if any(cell.strip() not in ("", '""') for cell in record.split(",")):  # not blank
            if header_seen:
                rows += 1
            header_seen = True
        i = j + 1
    return rows, max(1, text.count("\n") + text.count("\r") + 1)


@dataclass
class Counts:
    rows_in: int = 0
    rows_out: int = 0
    rows_reported: int = 0


def record_problems(
    plan: Plan, case: Hostile, path: Path, clean: dict[Any, Any], counts: Counts | None = None
) -> list[str]:
    """Evaluate one hostile file and check the promises; `clean` is the undamaged run's
    outputs by key (for employees the damage did not touch)."""
    path.write_bytes(case.data)
    try:
        ev = evaluate(plan, path)
        errors = ev.errors
        outputs = list(result_rows(plan, ev.outcome.rows))
        for render in (to_jsonl(iter(outputs)), to_table(result_columns(plan), iter(outputs))):
            "".join(render)
        "".join(to_csv(result_columns(plan), iter(outputs)))
    except Exception:
        return [traceback.format_exc()]
    problems = []
    rows_in, lines = spreadsheet_rows(case.data)
    names = set(plan.field_names) | {n for n, _ in plan.outputs} | {s.name for s in plan.steps}
    data_errors = {e.row for e in errors if e.row >= 2}
    if counts is not None:
        counts.rows_in += rows_in
        counts.rows_out += len(outputs)
        counts.rows_reported += len(data_errors)
    if ev.loaded.total != rows_in:
        problems.append(f"{rows_in} rows in the file, the loader read {ev.loaded.total}")
    if rows_in != len(outputs) + len(data_errors):
        problems.append(
            f"rows in {rows_in} != rows out {len(outputs)} + rows reported {len(data_errors)}"
        )
    for e in errors:
        if e.file != str(path) or not 1 <= e.row <= lines:
            problems.append(f"error outside the file: {e}")
        if e.column != "-" and e.column not in names:
            problems.append(f"error names no column: {e}")
        if not e.message:
            problems.append(f"error without a message: {e}")
        if not str(e).isprintable():
            problems.append(f"a report that is not one printable line: {str(e)!r}")
    keys = [tuple(str(o[k]) for k in plan.model.key) for o in outputs]
    if len(set(keys)) != len(keys):
        problems.append("an employee-month is output twice")
    named = named_keys(case.data, plan.model)
    for key in keys:
        if plan.model.id_field and named[key] > 1:
            problems.append(f"{key} is named by {named[key]} rows but one of them was used")
    if not case.all_touched and case.data:
        got = {k: o for k, o in zip(keys, outputs, strict=True)}
        same = not any(isinstance(s, GroupStep) for s in plan.steps)
        for key, want in clean.items():
            if key[0] in case.touched:
                continue
            if key not in got:
                problems.append(f"untouched row {key} is missing from the output")
            elif same and got[key] != want:
                problems.append(f"untouched row {key} changed: {got[key]} != {want}")
    return problems


def clean_outputs(plan: Plan, rec: Records, path: Path) -> dict[Any, Any]:
    """Outputs of the undamaged file by key, leaving out employees it already rejects."""
    path.write_bytes(rec.to_bytes())
    ev = evaluate(plan, path)
    bad = {rec.employees[e.row - 2] for e in ev.errors if 2 <= e.row < len(rec.rows) + 2}
    out = {}
    for o in result_rows(plan, ev.outcome.rows):
        key = tuple(str(o[k]) for k in plan.model.key)
        if key[0] not in bad:
            out[key] = o
    return out


# ---- random expressions -------------------------------------------------------------------

# One field of every type, a window and a ladder: the expressions below read them all.
EXPR_HEAD = """policy "expressions"
record
  employee_id : id
  period      : month
  s           : score
  m           : money places 2
  n           : integer 0..10
  p           : percent?
  big         : number?
  b           : bool
  r           : one of x, y
key employee_id, period
window q = every 3 months
"""
EXPR_RECORDS = (
    "employee_id,period,s,m,n,p,big,b,r\n"
    "E1,2021-01,50,10.5,3,50%,999999999999999,true,x\n"
    "E1,2021-02,0,0,0,,-999999999999999,false,y\n"
    "E1,2021-03,100,99999.99,10,1,,true,x\n"
    "E2,2021-03,100,0.01,10,0,0.000001,false,y\n"
)
EXPR_ATOMS = ["s", "m", "n", "p", "big", "b", "r", "x", "none", "true", "0", "1", "0.5", "50%"]
EXPR_ATOMS += ["9" * 28, "0." + "0" * 26 + "1", "-3"]
# values past 10^50: `big` is 10^15 in the records, so its fourth power is 10^60
EXPR_HUGE = ["(big * big * big * big)", "(" + "9" * 28 + " * " + "9" * 28 + ")", "(m * big * big)"]


def random_expression(rng: random.Random, depth: int = 0, cohort: bool = True) -> str:
    """A well-formed expression mixing every type, operator and built-in, often oddly:
    cohort functions (`rank`, `among`, `per`) and values past 10^50 included. `cohort`
    is off inside what reads another month or a window (a cohort there is not allowed)."""
    if depth > 4 or rng.random() < 0.3:
        return rng.choice(EXPR_HUGE) if rng.random() < 0.1 else rng.choice(EXPR_ATOMS)
    if cohort and rng.random() < 0.15:
        return _cohort_expression(rng, depth)
    a, b, c = (random_expression(rng, depth + 1, cohort) for _ in range(3))
    h = random_expression(rng, depth + 1, cohort=False)  # read from other months
    places = rng.choice(["0", "2", "28", "47", "48", "-5", "-60"])
    return rng.choice(
        [
            f"({a} {rng.choice(['+', '-', '*', '/'])} {b})",
            f"({a} {rng.choice(['<', '>=', '=', '!=', 'is', 'and', 'or'])} {b})",
            f"{rng.choice(['round', 'round_up', 'round_down'])}({a}, {places})",
            f"if {a} then {b} else {c}",
            f"{rng.choice(['min', 'max'])}({a}, {b})",
            f"clamp({a}, {b}, {c})",
            f"default({a}, {b})",
            f"abs({a})",
            f"given({a})",
            f"not {a}",
            f"-{a}",
            f"{rng.choice(['mean', 'sum', 'min', 'max', 'count', 'all', 'any'])}({h} over q)",
            f"{rng.choice(['mean', 'sum', 'max'])}({h} over last {rng.choice(['1', '3', '1200'])} months)",
            f"previous({h})",
            f"previous_window({h}, q)",
            f"{a} in (x, y, {b})",
        ]
    )


def _cohort_expression(rng: random.Random, depth: int) -> str:
    """`rank`, an aggregate `among` a condition, `per` a field: over the whole period."""
    a = random_expression(rng, depth + 1, cohort=False)
    cond = random_expression(rng, depth + 1, cohort=False)
    order = rng.choice(["", " desc", " asc"])
    among = rng.choice(["", f" among {cond}", f" among {cond} per r", " per r", " per b"])
    agg = rng.choice(["mean", "sum", "min", "max", "count"])
    arg = "" if agg == "count" else a
    return rng.choice([f"rank({a}{order}{among})", f"{agg}({arg}{among or ' per r'})"])


EXPR_ROWS = EXPR_RECORDS.count("\n") - 1  # data rows, counted without the loader


def fuzz_expressions(rng: random.Random, count: int, cli: int, work: Path, tally: Tally) -> None:
    """Random expressions in one definition: checked, and when they check clean evaluated,
    every row accounted for, printed in every format and explained."""
    records = work / "expressions.csv"
    records.write_text(EXPR_RECORDS, encoding="utf-8")
    cli_files: list[Path] = []
    for _ in range(count):
        seed = rng.randrange(2**32)
        expr = random_expression(random.Random(seed))
        text = EXPR_HEAD + f"x = {expr}\noutput x\n"
        tally.cases += 1
        what = f"expression with seed {seed}: x = {expr}"
        ok, problems = check_policy_text(text)
        tally.fail(what, problems)
        if ok and not problems:
            tally.clean += 1
            tally.fail(what, expression_problems(text, records, tally.counts))
            if len(cli_files) < cli:
                f = work / f"expression_{len(cli_files)}.policy"
                f.write_text(text, encoding="utf-8")
                cli_files.append(f)
    for f in cli_files:
        for args in (
            ["eval", str(f), str(records)],
            ["eval", str(f), str(records), "--format", "csv"],
            ["explain", str(f), str(records), "--employee", "E1"],
            ["diff", str(f), str(f), str(records)],
        ):
            # explain: E1 may have no row left to show (exit 2); diff of a file with itself: 0
            tally.fail(f"policyc {args[0]} {f}", cli_problems(args, (0, 1, 2)))


def expression_problems(text: str, records: Path, counts: Counts | None = None) -> list[str]:
    """Evaluate a clean policy over EXPR_RECORDS: no exception in any output format or in
    `explain`, and every data row either evaluated or reported (once)."""
    try:
        plan = compile_text(text)
        ev = evaluate(plan, records, trace_ids={"E1", "E2"})
        rows = list(result_rows(plan, ev.outcome.rows))
        "".join(to_jsonl(iter(rows)))
        "".join(to_csv(result_columns(plan), iter(rows)))
        "".join(to_table(result_columns(plan), iter(rows)))
        for emp in ("E1", "E2"):
            mine = [r for r in ev.outcome.rows if r.key[0] == emp]
            if mine:
                explain_text(plan, mine, "fuzz.policy")
                explain_json(plan, mine)
    except Exception:
        return [traceback.format_exc()]
    reported = {e.row for e in ev.errors if e.row >= 2}
    if counts is not None:
        counts.rows_in += EXPR_ROWS
        counts.rows_out += len(rows)
        counts.rows_reported += len(reported)
    out_lines = {r.line for r in ev.outcome.rows}
    problems = []
    if len(rows) + len(reported) != EXPR_ROWS or out_lines & reported:
        problems.append(
            f"rows in {EXPR_ROWS} != rows out {len(rows)} + rows reported {len(reported)}"
        )
    for e in ev.errors:
        if e.column.startswith("_"):
            problems.append(f"a report names a hidden step: {e}")
    return problems


# ---- the CLI -------------------------------------------------------------------------------


def policyc_command() -> list[str]:
    script = Path(sys.executable).with_name("policyc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policyc.cli.main"]


def cli_problems(args: list[str], ok_codes: tuple[int, ...] = (0, 1)) -> list[str]:
    """Run `policyc ARGS`: an allowed exit status and no traceback or internal error."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    p = subprocess.run(
        [*policyc_command(), *args], capture_output=True, env=env, timeout=300, check=False
    )
    out = (p.stdout + p.stderr).decode("utf-8", errors="replace")
    problems = []
    if p.returncode not in ok_codes:
        problems.append(f"`policyc {' '.join(args)}` exited {p.returncode}")
    for bad in ("Traceback", "internal error"):
        if bad in out:
            problems.append(f"`policyc {' '.join(args)}` printed {bad!r}:\n{out[-3000:]}")
    return problems


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0
    clean: int = 0
    counts: Counts = field(default_factory=Counts)
    problems: list[str] = field(default_factory=list)

    def fail(self, what: str, problems: list[str]) -> None:
        for p in problems:
            self.problems.append(f"--- {what}\n{p}")


def fuzz_policies(rng: random.Random, count: int, cli: int, work: Path, tally: Tally) -> None:
    texts = {p: p.read_text(encoding="utf-8") for p in POLICIES}
    plans: dict[Path, Plan] = {}
    cli_files: list[str] = []
    for n in range(count):
        path = POLICIES[n % len(POLICIES)]
        seed = rng.randrange(2**32)
        text = mutate_policy(texts[path], random.Random(seed))
        what = f"policy {path.name} mutated with seed {seed}"
        tally.cases += 1
        ok, problems = check_policy_text(text)
        tally.fail(what, problems)
        if ok and not problems:
            tally.clean += 1
            tally.fail(what, evaluate_mutant(text, path, plans, work))
        if len(cli_files) < cli:
            f = work / f"mutant_{n}.policy"
            f.write_text(text, encoding="utf-8", errors="surrogatepass")
            cli_files.append(str(f))
    for i in range(0, len(cli_files), 50):
        tally.fail("policyc check on mutants", cli_problems(["check", *cli_files[i : i + 50]]))
    for f in cli_files[:5]:
        records = work / "cli_records.csv"
        records.write_text("employee_id\nE1\n", encoding="utf-8")
        tally.fail(f"policyc eval {f}", cli_problems(["eval", f, str(records)]))


def evaluate_mutant(text: str, path: Path, plans: dict[Path, Plan], work: Path) -> list[str]:
    """A mutant that still checks clean must compile and evaluate on good records."""
    try:
        plan = compile_text(text)
        if path not in plans:
            plans[path] = compile_text(path.read_text(encoding="utf-8"))
        rec = good_records(plans[path].model, random.Random(len(text)))
        records = work / "mutant_records.csv"
        records.write_bytes(rec.to_bytes())
        ev = evaluate(plan, records)
        "".join(to_jsonl(result_rows(plan, ev.outcome.rows)))
    except Exception:
        return [traceback.format_exc()]
    return []


def fuzz_records(rng: random.Random, count: int, cli: int, work: Path, tally: Tally) -> None:
    plans = {p: compile_text(p.read_text(encoding="utf-8"), str(p)) for p in POLICIES}
    # contracts A and B get half the cases between them
    weighted = [CONTRACT_A, CONTRACT_B, *POLICIES]
    path = work / "records.csv"
    for n in range(count):
        policy = weighted[n % len(weighted)]
        plan = plans[policy]
        seed = rng.randrange(2**32)
        case_rng = random.Random(seed)
        good = good_records(plan.model, case_rng, employees=case_rng.randint(1, 10))
        clean = clean_outputs(plan, good, path)
        case = hostile_records(plan.model, good, case_rng)
        what = f"records for {policy.name} with seed {seed} ({'; '.join(case.notes[:12])})"
        tally.cases += 1
        tally.fail(what, record_problems(plan, case, path, clean, tally.counts))
        if n < cli:
            f = work / f"hostile_{n}.csv"
            f.write_bytes(case.data)
            args = ["eval", str(policy), str(f), "--format", "jsonl"]
            tally.fail(f"policyc eval {policy.name} {f}", cli_problems(args))
            # explain: an employee without an evaluated row is a usage error (exit 2)
            if n % 5 == 0 and good.employees:
                args = ["explain", str(policy), str(f), "--employee", good.employees[0]]
                tally.fail(f"policyc explain {policy.name} {f}", cli_problems(args, (0, 1, 2)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--seed", type=int, default=None, help="default: a fresh random seed")
    ap.add_argument("--count", type=int, default=2000, help="cases of each kind")
    ap.add_argument("--cli", type=int, default=100, help="cases of each kind run by the CLI")
    ap.add_argument("--only", choices=["policies", "records", "expressions"], default=None)
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"bench/fuzz.py --seed {seed} --count {args.count} --cli {args.cli}")
    runs: list[tuple[str, Callable[..., None]]] = []
    if args.only in (None, "policies"):
        runs.append(("mutated policies", fuzz_policies))
    if args.only in (None, "records"):
        runs.append(("hostile record files", fuzz_records))
    if args.only in (None, "expressions"):
        runs.append(("random expressions", fuzz_expressions))
    failed = False
    with tempfile.TemporaryDirectory(prefix="policyc-fuzz-") as tmp:
        for title, fn in runs:
            tally = Tally()
            started = time.perf_counter()
            fn(random.Random(f"{seed}:{title}"), args.count, args.cli, Path(tmp), tally)
            took = time.perf_counter() - started
            print(f"{title}: {tally.cases} cases in {took:.1f} s, {len(tally.problems)} problems")
            if fn is fuzz_policies:
                print(f"  {tally.clean} mutants still checked clean and were evaluated")
            elif fn is fuzz_expressions:
                c = tally.counts
                print(
                    f"  {tally.clean} checked clean and were evaluated: rows in {c.rows_in} ="
                    f" rows out {c.rows_out} + rows reported {c.rows_reported}"
                )
            else:
                c = tally.counts
                print(
                    f"  rows in {c.rows_in} = rows out {c.rows_out}"
                    f" + rows reported {c.rows_reported}"
                )
            for p in tally.problems:
                print(p)
            failed = failed or bool(tally.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
