"""`policyc diff` results as text for a person or JSON for a program.

Text: the summary first, then the rule changes, then the changed employees (most affected
first), each changed row with its causes citing `FILE:LINE` in OLD and in NEW. JSON: the
shape other tools read, `{"summary": {...}, "rules": [...], "changed": [...]}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from policyc.diff.records import Cause, Change, RecordDiff, RowDiff, Side, Summary, same
from policyc.diff.rules import Cite, RuleChange, Version
from policyc.explain import explain_json, explain_text
from policyc.runtime.values import plain, show
from policyc.source import display_width

MARKS = {"added": "+", "removed": "-", "changed": "~"}
# causes whose rule is the same on both sides: show what the rule computed instead
COMPUTED = ("earlier months", "others in the period")


def value(v: Any) -> Any:
    """A value for JSON: decimals as plain strings; labels, text, booleans and null as is."""
    return plain(v)


# ---- JSON -----------------------------------------------------------------------------------


def _cite_json(c: Cite | None) -> dict[str, str] | None:
    return None if c is None else {"source": c.where, "text": c.text}


def rule_json(c: RuleChange) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "name": c.name,
        "part": c.part,
        "change": c.change,
        "summary": c.summary,
        "old": _cite_json(c.old),
        "new": _cite_json(c.new),
    }


def rules_json(old: Version, new: Version, rules: list[RuleChange]) -> dict[str, Any]:
    return {
        "summary": {"old": old.name, "new": new.name, "rules_changed": len(rules)},
        "rules": [rule_json(c) for c in rules],
    }


def _pair(c: Change) -> dict[str, Any]:
    return {"old": value(c.old), "new": value(c.new)}


def summary_json(s: Summary) -> dict[str, Any]:
    return {
        "rows": s.rows,
        "rows_changed": s.rows_changed,
        "employees": s.employees,
        "employees_changed": s.employees_changed,
        "outputs_changed": dict(s.outputs_changed),
        "transitions": {
            name: [{"old": value(a), "new": value(b), "rows": n} for a, b, n in pairs]
            for name, pairs in s.transitions.items()
        },
        "totals": {
            name: {"old": value(a), "new": value(b), "delta": value(b - a)}
            for name, (a, b) in s.totals.items()
        },
        "mixed": list(s.mixed),
    }


def _side_json(s: Side) -> dict[str, Any]:
    return {
        "value": value(s.value),
        "kind": s.kind,
        "rule": s.rule,
        "source": s.where,
        "detail": list(s.detail),
    }


def cause_json(c: Cause) -> dict[str, Any]:
    out: dict[str, Any] = {
        "definition": c.name,
        "reason": c.reason,
        "inputs": {i.name: _pair(i) for i in c.inputs},
        "old": _side_json(c.old),
        "new": _side_json(c.new),
        "text": cause_text(c),
    }
    if c.since is not None:
        out["since"] = c.since
    return out


def _key_json(employee: str, period: str) -> dict[str, str]:
    return {"employee_id": employee, "period": period} if period else {"employee_id": employee}


def row_json(r: RowDiff) -> dict[str, Any]:
    return {
        **_key_json(r.employee, r.period),
        "changes": {c.name: _pair(c) for c in r.changes},
        "causes": [cause_json(c) for c in r.causes],
    }


def records_json(d: RecordDiff, rows: bool = True) -> dict[str, Any]:
    """The JSON report; `rows=False` leaves `changed` empty (records_json_chunks fills it)."""
    summary: dict[str, Any] = {
        "old": d.old.name,
        "new": d.new.name,
        "records": d.records,
        "outputs": list(d.outputs),
        **summary_json(d.summary),
        "rows_only_old": len(d.only_old),
        "rows_only_new": len(d.only_new),
        "rows_rejected": {
            "old": len({e.row for e in d.errors_old}),
            "new": len({e.row for e in d.errors_new}),
        },
    }
    if d.by is not None:
        summary["by"] = {
            "field": d.by,
            "groups": [{"value": value(v), **summary_json(s)} for v, s in d.groups],
        }
    out: dict[str, Any] = {
        "summary": summary,
        "rules": [rule_json(c) for c in d.rules],
        "changed": [row_json(r) for r in d.changed] if rows else [],
        "only_old": [_key_json(*k) for k in d.only_old],
        "only_new": [_key_json(*k) for k in d.only_new],
    }
    if d.focus is not None:
        orow, nrow = d.focus
        out["explanations"] = {
            **_key_json(*orow.key),
            "old": explain_json(d.old.plan, [orow])[0],
            "new": explain_json(d.new.plan, [nrow])[0],
        }
    return out


_MARK = "\x00changed rows\x00"


def records_json_chunks(d: RecordDiff) -> Iterator[str]:
    """`records_json(d)` as indented JSON text, the changed rows rendered one at a time:
    a large population's report is written without holding all of it as one string."""
    out = records_json(d, rows=False)
    if not d.changed:
        yield json.dumps(out, ensure_ascii=False, indent=2) + "\n"
        return
    out["changed"] = [_MARK]
    text = json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    marker = json.dumps(_MARK)
    at = text.index(marker)
    line_start = text.rindex("\n", 0, at) + 1
    yield text[:line_start]
    for i, r in enumerate(d.changed):
        body = json.dumps(row_json(r), ensure_ascii=False, indent=2)
        sep = ",\n" if i + 1 < len(d.changed) else "\n"
        yield "    " + body.replace("\n", "\n    ") + sep
    yield text[text.index("\n", at) + 1 :]


# ---- text -------------------------------------------------------------------------------------


def _delta(a: Decimal, b: Decimal) -> str:
    d = b - a
    return f"+{show(d)}" if d > 0 else show(d)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def rules_text(old: Version, new: Version, rules: list[RuleChange], heading: bool = True) -> str:
    lines = [f"OLD  {old.name}", f"NEW  {new.name}", ""] if heading else []
    if not rules:
        lines.append("no rule changes")
    else:
        lines.append(f"Rule changes ({len(rules)})")
    for c in rules:
        lines.append(f"  {MARKS[c.change]} {c.name}: {c.summary}")
        for label, cite in (("OLD", c.old), ("NEW", c.new)):
            if cite is not None:
                lines.append(f"      {label} {cite.where}  {cite.text}")
    return "\n".join(lines) + "\n"


def _changes_text(changes: Iterable[Change]) -> str:
    return ", ".join(f"{c.name} {show(c.old)} -> {show(c.new)}" for c in changes)


def _inputs_text(c: Cause) -> str:
    return ", ".join(
        f"{i.name} {show(i.old)} under both"
        if same(i.old, i.new)
        else f"{i.name} {show(i.old)} vs {show(i.new)}"
        for i in c.inputs
    )


def _side_text(s: Side, reason: str) -> str:
    """A band or table row names its result itself; other rules are followed by the value.
    A value that comes from earlier months is shown with the computation that read them."""
    if s.kind in ("band row", "table row"):
        return f"{s.rule} ({s.where})"
    if reason in COMPUTED and s.detail:
        return f"{'; '.join(s.detail)} ({s.where})"
    return f"{s.rule} → {show(s.value)} ({s.where})"


def cause_text(c: Cause) -> str:
    """One line: `action: window_average 82.5 under both; band: above 80 -> promote (F:49)
    vs at least 70 and below 85 -> stay (G:50)`."""
    parts = [p for p in (_inputs_text(c),) if p]
    if c.since is not None:
        parts.append(f"differs since {c.since}")
    if c.reason == "others in the period":
        parts.append("the rows it is ranked or counted among changed")
    computed = c.reason in COMPUTED and bool(c.old.detail or c.new.detail)
    kinds = {c.old.kind, c.new.kind}
    label = ""
    if len(kinds) == 1 and c.old.kind != "rule" and not computed:
        label = f"{c.old.kind.split()[0]}: "  # band, table, case, window, ladder, record
    parts.append(f"{label}{_side_text(c.old, c.reason)} vs {_side_text(c.new, c.reason)}")
    return f"{c.name}: " + "; ".join(parts)


def _repeat_text(c: Cause, first: str) -> str:
    """A cause already shown in full for an earlier month of the same employee."""
    return f"{c.name} ({c.reason}, as in {first}: {c.old.where} vs {c.new.where})"


def summary_text(s: Summary, indent: str = "  ") -> list[str]:
    lines = [
        f"{indent}rows compared      {s.rows}",
        f"{indent}rows changed       {s.rows_changed}",
        f"{indent}employees changed  {s.employees_changed} of {s.employees}",
    ]
    if s.outputs_changed:
        counts = ", ".join(f"{n} {k}" for n, k in s.outputs_changed.items())
        lines.append(f"{indent}outputs changed    {counts} (rows)")
    for name, pairs in s.transitions.items():
        moved = [(a, b, n) for a, b, n in pairs if not same(a, b)]
        if not moved:
            continue
        kept = sum(n for a, b, n in pairs if same(a, b))
        lines.append(f"{indent}{name}")
        cells = [(f"{show(a)} -> {show(b)}", n) for a, b, n in moved]
        width = max(display_width(t) for t, _ in cells)
        lines += [f"{indent}  {_pad(t, width)}  {n:>5}" for t, n in cells]
        lines.append(f"{indent}  {_pad('(unchanged)', width)}  {kept:>5}")
    if s.totals:
        lines.append(f"{indent}totals (OLD -> NEW, change)")
        for name, (a, b) in s.totals.items():
            lines.append(f"{indent}  {name}: {show(a)} -> {show(b)} ({_delta(a, b)})")
    for name in s.mixed:
        lines.append(f"{indent}{name}: numbers in some rows, labels or text in others: no total")
    return lines


def _by_text(d: RecordDiff) -> list[str]:
    lines = [f"By {d.by}"]
    for v, s in d.groups:
        lines.append(
            f"  {d.by} {show(v)}: {s.rows_changed} of {s.rows} rows changed, "
            f"{s.employees_changed} of {s.employees} employees"
        )
        for name, pairs in s.transitions.items():
            moved = [f"{show(a)} -> {show(b)} {n}" for a, b, n in pairs if not same(a, b)]
            if moved:
                lines.append(f"    {name}: {', '.join(moved)}")
        for name, (a, b) in s.totals.items():
            if a != b:
                lines.append(f"    {name}: {show(a)} -> {show(b)} ({_delta(a, b)})")
    return lines


def _employees(changed: list[RowDiff], categorical: set[str]) -> list[tuple[str, list[RowDiff]]]:
    """Changed rows grouped by employee, the most affected first: by the rows whose
    categorical outputs (an action, a level) differ, then by the rows changed at all."""
    groups: dict[str, list[RowDiff]] = {}
    for r in changed:
        groups.setdefault(r.employee, []).append(r)

    def weight(item: tuple[str, list[RowDiff]]) -> tuple[int, int, str]:
        rows = item[1]
        moved = sum(1 for r in rows if any(c.name in categorical for c in r.changes))
        return (-moved, -len(rows), item[0])

    return sorted(groups.items(), key=weight)


CauseKey = tuple[str, str, str, str, str]


def _cause_key(c: Cause) -> CauseKey:
    return (c.name, c.reason, c.old.where, c.new.where, c.old.rule + "\n" + c.new.rule)


def _runs(rows: list[RowDiff]) -> list[list[RowDiff]]:
    """Consecutive rows with the same changes for the same causes, one line each run
    (a level carried forward for months after the review that changed it)."""
    runs: list[list[RowDiff]] = []
    for r in rows:
        last = runs[-1][0] if runs else None
        if last is not None and last.changes == r.changes and _keys(last) == _keys(r):
            runs[-1].append(r)
        else:
            runs.append([r])
    return runs


def _keys(r: RowDiff) -> list[CauseKey]:
    return [_cause_key(c) for c in r.causes]


def employee_text(employee: str, rows: list[RowDiff], total: int, details: bool) -> list[str]:
    counts: dict[str, int] = {}
    for r in rows:
        for ch in r.changes:
            counts[ch.name] = counts.get(ch.name, 0) + 1
    what = ", ".join(f"{n} {k}" for n, k in counts.items())
    lines = [f"{employee}: {len(rows)} of {total} rows changed ({what})"]
    first: dict[CauseKey, str] = {}
    for run in _runs(rows) if not details else [[r] for r in rows]:
        r = run[0]
        when = r.period or "-"
        if len(run) > 1:
            when = f"{run[0].period} .. {run[-1].period} ({len(run)} rows)"
        lines.append(f"  {when}  {_changes_text(r.changes)}")
        for c in r.causes:
            key = _cause_key(c)
            if key in first and not details:
                lines.append(f"      because {_repeat_text(c, first[key])}")
                continue
            first.setdefault(key, r.period or "-")
            lines.append(f"      because {cause_text(c)}")
            if details:
                lines += [f"          OLD {t}" for t in c.old.detail]
                lines += [f"          NEW {t}" for t in c.new.detail]
    return lines


def records_text(d: RecordDiff) -> str:
    lines = [
        f"OLD      {d.old.name}",
        f"NEW      {d.new.name}",
        f"records  {d.records}",
        "",
        "Summary",
        *summary_text(d.summary),
    ]
    if d.only_old or d.only_new:
        lines.append(
            f"  rows evaluated under one version only: OLD {len(d.only_old)}, "
            f"NEW {len(d.only_new)} (the other rejected them; see the messages above)"
        )
    if d.by is not None:
        lines += ["", *_by_text(d)]
    lines += ["", rules_text(d.old, d.new, d.rules, heading=False).rstrip("\n")]
    groups = _employees(d.changed, set(d.summary.transitions))
    if groups:
        lines += ["", f"Changed employees ({len(groups)}, most affected first)"]
    for employee, rows in groups:
        lines += [
            "",
            *employee_text(employee, rows, d.employee_rows[employee], d.focus is not None),
        ]
    if d.focus is not None:
        lines += ["", *_focus_text(d)]
    return "\n".join(lines) + "\n"


_CITE = re.compile(r"\s+\S+:\d+$")


def _focus_text(d: RecordDiff) -> list[str]:
    """Both explanations of the first changed row, one after the other; a line whose
    content (its citation aside) the other version does not have is marked - or +."""
    assert d.focus is not None
    orow, nrow = d.focus
    old = explain_text(d.old.plan, [orow], d.old.name).splitlines()
    new = explain_text(d.new.plan, [nrow], d.new.name).splitlines()
    old_set = {_CITE.sub("", x) for x in old}
    new_set = {_CITE.sub("", x) for x in new}
    when = f"{orow.key[0]} {orow.key[1]}".rstrip()
    lines = [f"Explained: {when}", "", f"OLD  {d.old.name}"]
    lines += [("- " if _CITE.sub("", x) not in new_set else "  ") + x for x in old[1:]]
    lines += ["", f"NEW  {d.new.name}"]
    lines += [("+ " if _CITE.sub("", x) not in old_set else "  ") + x for x in new[1:]]
    return lines


__all__ = [
    "cause_text",
    "records_json",
    "records_json_chunks",
    "records_text",
    "rules_json",
    "rules_text",
]
