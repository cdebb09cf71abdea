"""HTML pages: the run report (`policyc report`), one employee's explanation (`explain
--format html`) and the diff report (`diff --format html`, in `diff_html.py`).

Templates are jinja2 with autoescaping; the stylesheet and the script (sorting, searching,
opening an explanation from its link) are read from this package and inlined, so each page
is one file that works offline.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from policyc.backend.closures.compile import Plan
from policyc.diff.kinds import measure
from policyc.explain_words import explain_words
from policyc.messages import Lang, msg
from policyc.pipeline import Evaluation
from policyc.runtime.values import RowEnv, show

HERE = Path(__file__).parent / "templates"
BIG = 3000  # rows past which explanations show the outputs only (the page stays light)


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def _asset(name: str) -> Markup:
    return Markup((HERE / name).read_text(encoding="utf-8"))


def render(template: str, lang: Lang, **context: Any) -> str:
    return (
        _env()
        .get_template(template)
        .render(
            lang=lang,
            m=lambda key, **f: msg(key, lang, **f),
            css=_asset("report.css"),
            js=_asset("report.js"),
            **context,
        )
    )


_UNSAFE = re.compile(r"[^\w\-]+")


def anchors(ids: list[str]) -> dict[str, str]:
    """An HTML id for each employee id: readable, and unique even when two ids differ only
    in characters an id cannot hold."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for i in ids:
        a = _UNSAFE.sub("_", i) or "_"
        while a in used:
            a += "_"
        used.add(a)
        out[i] = a
    return out


def value_text(v: Any, lang: Lang) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return msg("explain.yes" if v else "explain.no", lang)
    return show(v)


def explanation_page(plan: Plan, rows: list[RowEnv], lang: Lang, policy_name: str) -> str:
    employee = rows[0].key[0] if rows else ""
    title = msg("report.explanation_title", lang, employee=employee)
    return render(
        "explanation.html.j2",
        lang,
        title=title,
        subtitle=policy_name,
        anchor=anchors([employee])[employee],
        text=explain_words(plan, rows, lang),
    )


# ---- the run report ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    num: bool = False
    sort: str = ""


def group_field(plan: Plan, by: str | None) -> str | None:
    """The field to break charts down by: `--by`, else a department-like field, else the
    first `one of` field of the record."""
    m = plan.model
    if by is not None:
        return by
    fields = [n for n in m.fields if n not in m.key and n in plan.slots]
    for n in fields:
        if re.fullmatch(r"dept|department|team|group|部门|组|团队|position|role|岗位", n):
            return n
    return next((n for n in fields if m.fields[n].type.kind == "enum"), None)


def _numbers(rows: list[RowEnv], slot: int) -> list[Decimal]:
    return [r.v[slot] for r in rows if isinstance(r.v[slot], Decimal)]


def _charts(plan: Plan, rows: list[RowEnv], by: str | None, lang: Lang) -> list[tuple[str, Markup]]:
    from policyc.report import charts

    m = plan.model
    out: list[tuple[str, Markup]] = []
    measures = {n: measure(m, n) for n, _ in plan.outputs}
    score = next((n for n, k in measures.items() if k == "score"), None)
    if score is not None:
        values = _numbers(rows, plan.slots[score])
        svg = charts.histogram(score, values)
        if svg:
            out.append((msg("report.chart_distribution", lang, name=score), Markup(svg)))
    gslot = plan.slots.get(by) if by else None
    everyone = msg("report.all", lang)

    def group_of(r: RowEnv) -> str:
        return (value_text(r.v[gslot], lang) or "—") if gslot is not None else everyone

    groups = sorted({group_of(r) for r in rows})
    for name, slot in plan.outputs:
        vals = [r.v[slot] for r in rows]
        labels = {v for v in vals if isinstance(v, str)}
        if not labels or len(labels) > 20 or any(isinstance(v, Decimal) for v in vals):
            continue
        counts = Counter((group_of(r), r.v[slot]) for r in rows if isinstance(r.v[slot], str))
        svg = charts.stacked(name, groups, sorted(labels), counts)
        if svg:
            caption = msg("report.chart_counts", lang, name=name, by=by or msg("report.all", lang))
            out.append((caption, Markup(svg)))
    money = [n for n, k in measures.items() if k == "money"]
    if money:
        name = money[-1]  # the last pay output: usually the total
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for r in rows:
            v = r.v[plan.slots[name]]
            if isinstance(v, Decimal):
                sums[group_of(r)] += v
        svg = charts.bars(name, sorted(sums.items()))
        caption = msg("report.chart_totals", lang, name=name, by=by or msg("report.all", lang))
        out.append((caption, Markup(svg)))
    return out


def report_page(
    plan: Plan,
    result: Evaluation,
    lang: Lang,
    policy_name: str,
    records: str,
    by: str | None = None,
) -> str:
    """The run: summary cards, charts, every row in a sortable searchable table, and each
    employee's explanation (in plain words) behind their id."""
    m = plan.model
    rows = result.outcome.rows
    by = group_field(plan, by)
    ids = sorted({r.key[0] for r in rows})
    anchor = anchors(ids)
    rejected = len(result.reported_rows)
    periods = sorted({r.key[1] for r in rows if len(r.key) > 1 and r.key[1]})
    cards = [
        (msg("report.employees", lang), str(len(ids))),
        (msg("report.rows_evaluated", lang), str(len(rows))),
        (msg("report.rows_rejected", lang), str(rejected)),
    ]
    if periods:
        cards.append((msg("report.period", lang), f"{periods[0]} – {periods[-1]}"))
    for name, _slot in plan.outputs:
        if measure(m, name) in ("money", "count"):
            total = sum(_numbers(rows, plan.slots[name]), Decimal(0))
            cards.append((msg("report.total_of", lang, name=name), show(total)))
    shown_fields = [n for n in ("name", by) if n and n in plan.slots and n not in m.key]
    columns = [(k, False) for k in m.key] + [(f, False) for f in shown_fields]
    numeric = {n: any(isinstance(r.v[s], Decimal) for r in rows) for n, s in plan.outputs}
    columns += [(n, numeric[n]) for n, _ in plan.outputs if n not in m.key]
    table = []
    for r in rows:
        cells = [Cell(str(k)) for k in r.key]
        cells += [Cell(value_text(r.v[plan.slots[f]], lang)) for f in shown_fields]
        for n, s in plan.outputs:
            if n in m.key:
                continue
            v = r.v[s]
            cells.append(
                Cell(value_text(v, lang), numeric[n], show(v) if isinstance(v, Decimal) else "")
            )
        table.append({"anchor": anchor[r.key[0]], "cells": cells})
    by_emp: dict[str, list[RowEnv]] = defaultdict(list)
    for r in rows:
        by_emp[r.key[0]].append(r)
    depth = 1 if len(rows) > BIG else 2
    employees = [
        {
            "anchor": anchor[e],
            "title": e + _name(plan, by_emp[e]),
            "text": explain_words(plan, by_emp[e], lang, depth=depth),
        }
        for e in ids
    ]
    notes = [msg("report.rejected_note", lang, n=rejected)] if rejected else []
    return render(
        "report.html.j2",
        lang,
        title=msg("report.title", lang, policy=_policy_title(plan, policy_name)),
        subtitle=msg("report.subtitle", lang, policy=policy_name, records=records),
        cards=cards,
        notes=notes,
        charts=_charts(plan, rows, by, lang),
        columns=columns,
        rows=table,
        employees=employees,
    )


def _name(plan: Plan, rows: list[RowEnv]) -> str:
    slot = plan.slots.get("name")
    if slot is None or "name" not in plan.model.fields or not rows:
        return ""
    v = rows[0].v[slot]
    return f" {v}" if isinstance(v, str) and v else ""


def _policy_title(plan: Plan, fallback: str) -> str:
    name = getattr(plan.model.policy, "name", None)
    return name if isinstance(name, str) and name else fallback
