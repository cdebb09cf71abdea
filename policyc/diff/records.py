"""`policyc diff` over records: what a new version of a policy changes for whom, and why.

Both versions are evaluated on the same records; every output of every (employee, period)
row is compared exactly. Each changed row carries its causes: walking from a changed output
down its same-period inputs (`policyc.semantics.model.dependencies`), the definitions whose value
differs while what they read this month does not (the difference comes from earlier
months), or whose rule, window or ladder changed for this row. The deciding rule on each
side (band row, case, definition) is read from the evaluation trace of the changed
employees only. The rule-level diff is `policyc.diff.rules`; rendering `policyc.diff.render`.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.diagnostics import did_you_mean
from policyc.diff.rules import Cite, RuleChange, Version, diff_rules, span_text, version_of
from policyc.explain import describe, segments
from policyc.io.records import RecordError
from policyc.pipeline import evaluate
from policyc.runtime import trace as T
from policyc.runtime.values import RowEnv, plain
from policyc.semantics.lift import is_cohort
from policyc.semantics.model import Model, dependencies
from policyc.source import NO_SPAN, Span
from policyc.syntax import ast as A
from policyc.syntax.walk import walk


class DiffError(Exception):
    """The comparison cannot be made (a column the records lack, an unknown employee)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


Key = tuple[str, ...]  # (employee id, period); the period is "" for yearly policies


@dataclass(frozen=True, slots=True)
class Change:
    """One value under OLD and under NEW (an output of a row, or an input of a cause)."""

    name: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Side:
    """How one version reached a value: the rule that decided it, and the computation."""

    value: Any
    kind: str  # what `rule` is: band row, table row, case, window, ladder, field, rule
    rule: str  # the deciding source text
    where: str  # FILE:LINE of it
    detail: tuple[str, ...]  # explanation lines (weighted sums, window months, look-backs)


@dataclass(frozen=True, slots=True)
class Cause:
    """A definition whose value differs although what it reads this month does not, or whose
    rule (or a window or ladder it uses) changed: where a row's difference comes from."""

    name: str
    reason: str  # rule changed, window changed, ladder changed, record field changed,
    # earlier months (history, windows, carried state), others in the period (rank, among)
    inputs: tuple[Change, ...]  # what it reads in the same month, under both versions
    since: str | None  # earlier months: the first month of the run of differing values
    old: Side
    new: Side


@dataclass(frozen=True, slots=True)
class RowDiff:
    employee: str
    period: str
    changes: tuple[Change, ...]
    causes: tuple[Cause, ...]


@dataclass(frozen=True)
class Summary:
    rows: int
    rows_changed: int
    employees: int
    employees_changed: int
    outputs_changed: dict[str, int]
    transitions: dict[str, list[tuple[Any, Any, int]]]  # categorical outputs: (old, new, rows)
    totals: dict[str, tuple[Decimal, Decimal]]  # numeric outputs: (old total, new total)
    # outputs that are numbers in some rows and labels, text or yes/no in others (a number
    # in OLD turned into a label in NEW): a total of their numbers would mean nothing
    mixed: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordDiff:
    old: Version
    new: Version
    records: str
    rules: list[RuleChange]
    outputs: tuple[str, ...]  # the outputs compared: those both versions produce
    summary: Summary
    by: str | None
    groups: list[tuple[Any, Summary]]
    changed: list[RowDiff]
    only_old: list[Key]  # rows evaluated under OLD only (NEW rejected them)
    only_new: list[Key]
    errors_old: list[RecordError]
    errors_new: list[RecordError]
    warnings: list[RecordError]
    employee_rows: dict[str, int]  # rows compared per employee
    focus: tuple[RowEnv, RowEnv] | None  # `employee`: both traced rows of the month explained


def same(a: Any, b: Any) -> bool:
    """Exact equality that never mistakes `true` for 1 or `none` for anything."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def read_header(records: str | Path) -> list[str] | None:
    """The column names of a CSV file (UTF-8, BOM optional), read as `load_csv` reads them:
    the first row. None when the file is empty or its first row is not valid CSV."""
    with open(records, encoding="utf-8-sig", errors="replace", newline="") as f:
        try:
            cells = next(csv.reader(f), None)
        except csv.Error:
            return None
    return None if cells is None else [c.strip().lstrip("\ufeff") for c in cells]


def missing_columns(records: str | Path, old: Version, new: Version) -> list[str]:
    """Columns a version requires that the records lack, as FILE:1:COLUMN messages."""
    header = read_header(records)
    if header is None:
        return [f"{records}:1:-: no header row (the file is empty or its first line is not CSV)"]
    out = []
    names = dict.fromkeys([*old.model.fields, *new.model.fields])
    for name in names:
        if name in header:
            continue
        needs = [
            f"{label} needs it ({v.model.fields[name].span.where})"
            for label, v in (("OLD", old), ("NEW", new))
            if name in v.model.fields and not v.model.fields[name].optional
        ]
        if needs:
            out.append(
                f"{records}:1:{name}: the records have no `{name}` column; {' and '.join(needs)}"
            )
    return out


def diff_records(
    old: Version,
    new: Version,
    records: str | Path,
    *,
    by: str | None = None,
    employee: str | None = None,
    period: str | None = None,
) -> RecordDiff:
    """Evaluate both versions on the same records and compare every output of every row.

    The records are checked against both versions' record declarations first: a column
    either version requires and the records lack is a DiffError before anything runs.
    `by` breaks the summary down by a field's (or definition's) value; `employee` narrows
    everything to one person and keeps both traced rows of `period` (default: the first
    month that differs) for side-by-side explanations.
    """
    _check_inputs(old, new, records, by)
    trace = {employee} if employee is not None else None
    ev_old, ev_new = evaluate(old.plan, records, trace), evaluate(new.plan, records, trace)
    rows_old = _rows_by_key(ev_old.outcome.rows, employee)
    rows_new = _rows_by_key(ev_new.outcome.rows, employee)
    if employee is not None and not rows_old and not rows_new:
        raise DiffError([f"no evaluated row for employee `{employee}` in {records}"])
    outs = _compared_outputs(old, new)
    both = sorted(k for k in rows_old if k in rows_new)
    pairs = [(rows_old[k], rows_new[k]) for k in both]
    diffs = {o.key: ch for o, n in pairs if (ch := tuple(_changes(outs, o, n)))}
    traced_old, traced_new = rows_old, rows_new
    if diffs and employee is None:
        ids = {k[0] for k in diffs}
        traced_old = _rows_by_key(evaluate(old.plan, records, ids).outcome.rows, None)
        traced_new = _rows_by_key(evaluate(new.plan, records, ids).outcome.rows, None)
    explain = _Causes(old, new, rows_old, rows_new, both)
    changed = [
        RowDiff(k[0], k[1], ch, explain.causes(traced_old[k], traced_new[k], ch))
        for k, ch in diffs.items()
    ]
    kinds = _kinds(outs, pairs)
    groups = _groups(old, new, by, pairs, outs, kinds, diffs) if by else []
    focus = None
    if employee is not None:
        at = min(diffs, default=None) if period is None else (employee, period)
        focus = _focus(traced_old, traced_new, at)
    return RecordDiff(
        old,
        new,
        str(records),
        diff_rules(old, new),
        tuple(n for n, _, _ in outs),
        _summarise(pairs, outs, kinds, diffs),
        by,
        groups,
        changed,
        sorted(k for k in rows_old if k not in rows_new),
        sorted(k for k in rows_new if k not in rows_old),
        ev_old.errors,
        ev_new.errors,
        sorted(set(ev_old.loaded.warnings) | set(ev_new.loaded.warnings), key=_error_order),
        dict(Counter(k[0] for k in both)),
        focus,
    )


def _check_inputs(old: Version, new: Version, records: str | Path, by: str | None) -> None:
    """What can be known wrong before evaluating: missing columns, an unknown `by`."""
    problems = missing_columns(records, old, new)
    if by is not None and by not in old.plan.slots and by not in new.plan.slots:
        hint = did_you_mean(by, sorted(set(old.plan.slots) | set(new.plan.slots)))
        problems.append(
            f"`{by}` is not a field or definition of either version" + (f"; {hint}" if hint else "")
        )
    if problems:
        raise DiffError(problems)


def _focus(
    rows_old: dict[Key, RowEnv], rows_new: dict[Key, RowEnv], at: Key | None
) -> tuple[RowEnv, RowEnv] | None:
    if at is None:
        return None
    if at not in rows_old or at not in rows_new:
        raise DiffError([f"employee `{at[0]}` has no row in {at[1]} under both versions"])
    return rows_old[at], rows_new[at]


def _error_order(e: RecordError) -> tuple[int, str, str]:
    return (e.row, e.column, e.message)


def _rows_by_key(rows: list[RowEnv], employee: str | None) -> dict[Key, RowEnv]:
    return {r.key: r for r in rows if employee is None or r.key[0] == employee}


Output = tuple[str, int, int]  # name, slot under OLD, slot under NEW


def _compared_outputs(old: Version, new: Version) -> list[Output]:
    new_slots = dict(new.plan.outputs)
    keys = set(old.model.key) | set(new.model.key)
    return [
        (name, slot, new_slots[name])
        for name, slot in old.plan.outputs
        if name in new_slots and name not in keys
    ]


def _changes(outs: list[Output], o: RowEnv, n: RowEnv) -> Iterable[Change]:
    for name, so, sn in outs:
        if not same(o.v[so], n.v[sn]):
            yield Change(name, o.v[so], n.v[sn])


def _kinds(outs: list[Output], pairs: list[tuple[RowEnv, RowEnv]]) -> dict[str, str]:
    """`numeric` when every value of the output is a number or none (under both versions),
    `categorical` when none is a number (labels, text, yes/no), else `mixed`: numbers get
    totals, categorical outputs a transition matrix, mixed ones neither."""
    kinds = {}
    for name, so, sn in outs:
        values = [v for o, n in pairs for v in (o.v[so], n.v[sn]) if v is not None]
        numbers = sum(1 for v in values if _is_number(v))
        kinds[name] = (
            "categorical" if numbers == 0 else "numeric" if numbers == len(values) else "mixed"
        )
    return kinds


def _is_number(v: Any) -> bool:
    return isinstance(v, Decimal)


def _summarise(
    pairs: list[tuple[RowEnv, RowEnv]],
    outs: list[Output],
    kinds: dict[str, str],
    diffs: dict[Key, tuple[Change, ...]],
) -> Summary:
    counts: dict[str, int] = {name: 0 for name, _, _ in outs}
    for ch in (diffs[o.key] for o, _ in pairs if o.key in diffs):
        for c in ch:
            counts[c.name] += 1
    transitions: dict[str, list[tuple[Any, Any, int]]] = {}
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for name, so, sn in outs:
        if kinds[name] == "numeric":
            totals[name] = (
                sum((o.v[so] for o, _ in pairs if _is_number(o.v[so])), Decimal(0)),
                sum((n.v[sn] for _, n in pairs if _is_number(n.v[sn])), Decimal(0)),
            )
        elif kinds[name] == "categorical":
            matrix = Counter((o.v[so], n.v[sn]) for o, n in pairs)
            transitions[name] = sorted(
                ((a, b, k) for (a, b), k in matrix.items()),
                key=lambda t: (-t[2], str(t[0]), str(t[1])),
            )
    changed_rows = [o.key for o, _ in pairs if o.key in diffs]
    return Summary(
        len(pairs),
        len(changed_rows),
        len({o.key[0] for o, _ in pairs}),
        len({k[0] for k in changed_rows}),
        {k: v for k, v in counts.items() if v},
        transitions,
        totals,
        tuple(name for name, _, _ in outs if kinds[name] == "mixed"),
    )


def _groups(
    old: Version,
    new: Version,
    by: str,
    pairs: list[tuple[RowEnv, RowEnv]],
    outs: list[Output],
    kinds: dict[str, str],
    diffs: dict[Key, tuple[Change, ...]],
) -> list[tuple[Any, Summary]]:
    """The summary per value of `by`, read under OLD (under NEW when OLD lacks it)."""
    side, slot = (0, old.plan.slots[by]) if by in old.plan.slots else (1, new.plan.slots[by])
    grouped: dict[Any, list[tuple[RowEnv, RowEnv]]] = {}
    for pair in pairs:
        grouped.setdefault(pair[side].v[slot], []).append(pair)
    order = sorted(grouped, key=lambda v: (v is None, str(plain(v))))
    return [(v, _summarise(grouped[v], outs, kinds, diffs)) for v in order]


Segments = dict[str, tuple[Any, Span, list[Any]]]


def _segments(row: RowEnv) -> Segments:
    return segments(row) if row.trace is not None else {}


@dataclass(frozen=True)
class _Facts:
    """What the cause search needs to know about one name, whatever the row."""

    deps: list[str]  # same-period inputs both versions compute, in evaluation order
    shown: list[str]  # the inputs named beside a cause
    field: bool  # a record field (no definition or state of that name)
    field_changed: tuple[Span, Span] | None  # its declarations, when they differ
    functions_changed: bool  # a user function it calls differs between the versions
    windows: list[tuple[A.WindowDecl, A.WindowDecl]]  # windows it reads under both
    ladders: tuple[A.LadderDecl, A.LadderDecl] | None  # a state's ladder under both
    cohort: bool  # ranks or aggregates the other rows of its period (`rank`, `among`)


def _facts(old: Version, new: Version, name: str) -> _Facts:
    om, nm = old.plan.model, new.plan.model
    found = dependencies(om, name) | dependencies(nm, name)
    deps = sorted(
        (d for d in found if d in old.plan.slots and d in new.plan.slots),
        key=lambda d: old.plan.slots[d],
    )
    field = _is_field_only(om, name) and _is_field_only(nm, name)
    fo, fn = (om.fields[name], nm.fields[name]) if field else (None, None)
    changed = (fo.span, fn.span) if fo is not None and fn is not None and fo != fn else None
    body_o, body_n = _body(om, name), _body(nm, name)
    functions = _functions_used(om, body_o) | _functions_used(nm, body_n)
    windows = sorted(_windows_used(om, body_o) & _windows_used(nm, body_n))
    lo, ln = _ladder_of(om, name), _ladder_of(nm, name)
    return _Facts(
        deps,
        [d for d in deps if _shown_input(om, name, d)],
        field,
        changed,
        any(om.functions.get(f) != nm.functions.get(f) for f in functions),
        [(om.windows[w], nm.windows[w]) for w in windows],
        (lo, ln) if lo is not None and ln is not None else None,
        any(is_cohort(x) for b in (body_o, body_n, _body(old.model, name)) for x in _walk(b)),
    )


def _walk(e: A.Expr | None) -> Iterable[A.Expr]:
    return walk(e) if e is not None else ()


class _Causes:
    """From a row's changed outputs down their same-period inputs, to where each difference
    starts: a definition whose value differs while what it reads this month does not (so the
    difference comes from earlier months), or whose rule, window or ladder changed."""

    def __init__(
        self,
        old: Version,
        new: Version,
        rows_old: dict[Key, RowEnv],
        rows_new: dict[Key, RowEnv],
        both: list[Key],
    ) -> None:
        self.versions = (old, new)
        self.rows = (rows_old, rows_new)
        self.timeline: dict[str, list[Key]] = {}
        for k in both:  # sorted by (employee, period): each timeline is in calendar order
            self.timeline.setdefault(k[0], []).append(k)
        self.position = {k: i for ks in self.timeline.values() for i, k in enumerate(ks)}
        self._facts: dict[str, _Facts] = {}

    def value(self, side: int, row: RowEnv, name: str) -> Any:
        return row.v[self.versions[side].plan.slots[name]]

    def differs(self, rows: tuple[RowEnv, RowEnv], name: str) -> bool:
        return not same(self.value(0, rows[0], name), self.value(1, rows[1], name))

    def facts(self, name: str) -> _Facts:
        """What does not depend on the row, worked out once per name."""
        if name not in self._facts:
            self._facts[name] = _facts(self.versions[0], self.versions[1], name)
        return self._facts[name]

    def causes(self, orow: RowEnv, nrow: RowEnv, changes: tuple[Change, ...]) -> tuple[Cause, ...]:
        rows = (orow, nrow)
        segs = (_segments(orow), _segments(nrow))
        found: list[tuple[int, Cause]] = []
        seen: set[str] = set()
        slots = self.versions[0].plan.slots

        def visit(name: str) -> None:
            if name in seen or not self.differs(rows, name):
                return
            seen.add(name)
            differing = [d for d in self.facts(name).deps if self.differs(rows, d)]
            reason, spans = self.reason(name, rows)
            if reason is None and not differing:
                # nothing this row reads differs: the others of its period, or its past, do
                reason = "others in the period" if self.facts(name).cohort else "earlier months"
            if reason is not None:
                found.append((slots[name], self.cause(name, reason, spans, rows, segs)))
            for d in differing:
                visit(d)

        for c in changes:
            visit(c.name)
        return tuple(c for _, c in sorted(found, key=lambda f: f[0]))

    def reason(
        self, name: str, rows: tuple[RowEnv, RowEnv]
    ) -> tuple[str | None, tuple[Span, Span] | None]:
        """Why `name` itself may compute differently for this row: its record field, its
        rule (the case this row takes), a function it calls, a window or ladder it uses."""
        (old, new), (orow, nrow) = self.versions, rows
        facts = self.facts(name)
        if facts.field:
            changed = facts.field_changed
            return ("record field changed", changed) if changed else (None, None)
        if facts.functions_changed or _rule(old, name, orow) != _rule(new, name, nrow):
            return "rule changed", None
        for ow, nw in facts.windows:
            oc, nc = _decl_case(ow, old.plan, orow), _decl_case(nw, new.plan, nrow)
            if oc is not None and nc is not None and oc.months != nc.months:
                return "window changed", (oc.span, nc.span)
        if facts.ladders is not None:
            oc = _decl_case(facts.ladders[0], old.plan, orow)
            nc = _decl_case(facts.ladders[1], new.plan, nrow)
            if oc is not None and nc is not None and oc.steps != nc.steps:
                return "ladder changed", (oc.span, nc.span)
        return None, None

    def cause(
        self,
        name: str,
        reason: str,
        spans: tuple[Span, Span] | None,
        rows: tuple[RowEnv, RowEnv],
        segs: tuple[Segments, Segments],
    ) -> Cause:
        old, new = self.versions
        inputs = tuple(
            Change(d, self.value(0, rows[0], d), self.value(1, rows[1], d))
            for d in self.facts(name).shown
        )
        decl = reason.split()[0] if spans else None  # window, ladder or record
        o = _side(old, rows[0], segs[0], name, (decl, spans[0]) if spans and decl else None)
        n = _side(new, rows[1], segs[1], name, (decl, spans[1]) if spans and decl else None)
        since = self.since(name, rows[0].key) if reason == "earlier months" else None
        return Cause(_label(old, name), reason, inputs, since, o, n)

    def since(self, name: str, key: Key) -> str | None:
        """The first month of the unbroken run of months in which `name` differs."""
        keys = self.timeline[key[0]]
        i = j = self.position[key]
        while j > 0:
            prev = keys[j - 1]
            if not self.differs((self.rows[0][prev], self.rows[1][prev]), name):
                break
            j -= 1
        return keys[j][1] if j < i else None


def _is_field_only(m: Model, name: str) -> bool:
    return name in m.fields and name not in m.defs and name not in m.states


def _body(m: Model, name: str) -> A.Expr | None:
    d = m.defs.get(name)
    return d.body if d is not None else None


def _subject_value(v: Version, subject: str, row: RowEnv) -> Any:
    slot = v.plan.slots.get(subject)
    return row.v[slot] if slot is not None else None


def _choose(cases: Sequence[Any], value: Any) -> Any:
    """The case a value selects: the first listing it, else `otherwise` (as evaluation does)."""
    for c in cases:
        if value in c.keys:
            return c
    return next((c for c in cases if not c.keys), None)


def _rule(v: Version, name: str, row: RowEnv) -> Any:
    """The rule as this row meets it: for a `by` definition only the case it takes. Rules
    are compared as written (hidden names of lifted cohort calls depend on positions)."""
    m = v.model if name in v.model.defs or name in v.model.states else v.plan.model
    override = m.overrides.get(name)
    if name in m.states:
        return (m.states[name], override)
    body = _body(m, name)
    if isinstance(body, A.By):
        case = _choose(body.cases, _subject_value(v, body.subject, row))
        return (body.subject, case.body if case is not None else None, override)
    return (body, override)


def _decl_case(decl: A.WindowDecl | A.LadderDecl, plan: Plan, row: RowEnv) -> Any:
    if decl.by is None:
        return decl.cases[0] if decl.cases else None
    slot = plan.slots.get(decl.by)
    return _choose(decl.cases, row.v[slot] if slot is not None else None)


def _ladder_of(m: Model, name: str) -> A.LadderDecl | None:
    st = m.states.get(name)
    return m.ladders.get(st.ladder) if st is not None and st.ladder else None


def _calls(m: Model, e: A.Expr | None, seen: set[str] | None = None) -> Iterable[A.Call]:
    """Every call in `e`, looking inside the user functions it calls (each once)."""
    if e is None:
        return
    seen = set() if seen is None else seen
    for x in walk(e):
        if isinstance(x, A.Call):
            yield x
            if x.func in m.functions and x.func not in seen:
                seen.add(x.func)
                yield from _calls(m, m.functions[x.func].body, seen)


def _functions_used(m: Model, e: A.Expr | None) -> set[str]:
    return {c.func for c in _calls(m, e) if c.func in m.functions}


def _windows_used(m: Model, e: A.Expr | None) -> set[str]:
    out = set()
    for c in _calls(m, e):
        if isinstance(c.clause, A.Over) and c.clause.window:
            out.add(c.clause.window)
        if c.args and isinstance(c.args[0].value, A.Name) and c.args[0].value.name in m.windows:
            out.add(c.args[0].value.name)
    return {w for w in out if w in m.windows}


def _shown_input(m: Model, name: str, dep: str) -> bool:
    """Inputs worth naming beside a cause: definitions and states, and the fields that pick
    a case (`by role`), a window or a ladder; the metric columns show in the computation."""
    if dep.startswith("_"):
        return False
    if dep in m.defs or dep in m.states:
        return True
    body = _body(m, name)
    subjects = {x.subject for x in walk(body) if isinstance(x, A.By)} if body is not None else set()
    subjects |= {m.windows[w].by or "" for w in _windows_used(m, body)}
    ladder = _ladder_of(m, name)
    if ladder is not None and ladder.by:
        subjects.add(ladder.by)
    return dep in subjects


def _label(v: Version, name: str) -> str:
    """A definition's name; for a hidden one (a lifted `rank(...)`), the text it stands for."""
    hidden = v.plan.hidden.get(name)
    if hidden is None or not name.startswith("_"):
        return name
    return f"`{span_text(v.source, hidden.span)}`"


def _home(m: Model, name: str) -> Span:
    decl: Any = m.defs.get(name) or m.states.get(name) or m.fields.get(name)
    return decl.span if decl is not None else NO_SPAN  # type: ignore[no-any-return]


def _side(
    v: Version, row: RowEnv, segs: Segments, name: str, decl: tuple[str, Span] | None
) -> Side:
    """One version's value of `name` with the rule that decided it, read from the row's
    trace: the declaration case that changed, else the band or table row that matched,
    else the case taken, else the definition itself."""
    seg = segs.get(name)
    kind, span = decl if decl is not None else ("rule", _home(v.plan.model, name))
    found: dict[str, Span] = {}
    detail: list[str] = []
    if seg is not None:
        events = seg[2]
    else:  # a hidden cohort step records no `Computed`: find its own events by name
        cohort = (T.Ranked, T.CohortAggregate)
        events = [e for e in row.trace or [] if isinstance(e, cohort) and e.name == name]
    for ev in events:
        if isinstance(ev, T.TableHit):
            if ev.row_span is not None:
                found["band row" if ev.band else "table row"] = ev.row_span
            detail.append(describe(ev, v.plan)[-1][0])
        elif isinstance(ev, T.CaseChosen):
            if ev.case_span is not None:
                found["case"] = ev.case_span
        else:
            if isinstance(ev, T.LadderMove) and ev.rule_span is not None:
                found["case"] = ev.rule_span  # the transition that moved the state
            detail.extend(text for text, _ in describe(ev, v.plan))
    if decl is None:
        kind = next((k for k in ("band row", "table row", "case") if k in found), "rule")
        span = found.get(kind, span)
    value = row.v[v.plan.slots[name]]
    return Side(value, kind, span_text(v.source, span), span.where, tuple(detail))


__all__ = [
    "Cause",
    "Change",
    "Cite",
    "DiffError",
    "RecordDiff",
    "RowDiff",
    "RuleChange",
    "Side",
    "Summary",
    "Version",
    "diff_records",
    "diff_rules",
    "missing_columns",
    "same",
    "span_text",
    "version_of",
]
