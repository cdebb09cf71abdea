"""A run's summary: rows read, evaluated and reported; for each label or yes/no output the
count of each value; for each money output its total (money only: ranks and scores are not
summed); with `by`, the same for each value of a field or output."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from policyc.backend.closures.compile import Plan
from policyc.io.columns import output_kinds
from policyc.io.results import decimal_text
from policyc.messages import Lang, msg
from policyc.runtime.values import RowEnv


@dataclass
class Tally:
    evaluated: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    totals: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Summary:
    read: int
    evaluated: int
    reported: int
    all: Tally
    places: dict[str, int]
    by: str | None = None
    groups: dict[str, Tally] = field(default_factory=dict)


def value_name(v: Any) -> str:
    if v is None:
        return "none"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return decimal_text(v)
    return str(v)


def summarise(
    plan: Plan, rows: list[RowEnv], read: int, reported: int, by: str | None = None
) -> Summary:
    kinds = output_kinds(plan)
    slots = dict(plan.outputs)
    counted = [(n, slots[n]) for n, k in kinds.items() if k.categorical and n not in plan.model.key]
    money = [(n, slots[n]) for n, k in kinds.items() if k.money]
    places = {n: kinds[n].places or 0 for n, _ in money}
    by_slot = plan.slots.get(by) if by else None
    whole = Tally()
    groups: dict[str, Tally] = {}
    with localcontext() as ctx:
        ctx.prec = 100  # 200,000 amounts of 15 digits each add up exactly
        for r in rows:
            v = r.v
            tallies = [whole]
            if by_slot is not None:
                g = value_name(v[by_slot])
                tallies.append(groups.setdefault(g, Tally()))
            for t in tallies:
                t.evaluated += 1
                for n, s in counted:
                    t.counts.setdefault(n, Counter())[value_name(v[s])] += 1
                for n, s in money:
                    x = v[s]
                    if isinstance(x, Decimal):
                        t.totals[n] = t.totals.get(n, Decimal(0)) + x
                    else:
                        t.totals.setdefault(n, Decimal(0))
    return Summary(read, len(rows), reported, whole, places, by, dict(sorted(groups.items())))


def summary_json(s: Summary) -> dict[str, Any]:
    out: dict[str, Any] = {"rows_read": s.read, "evaluated": s.evaluated, "reported": s.reported}
    out.update(_tally_json(s.all, s.places))
    if s.by is not None:
        out["by"] = s.by
        out["groups"] = {
            g: {"evaluated": t.evaluated, **_tally_json(t, s.places)} for g, t in s.groups.items()
        }
    return out


def _tally_json(t: Tally, places: dict[str, int]) -> dict[str, Any]:
    return {
        "counts": {n: dict(sorted(c.items())) for n, c in t.counts.items()},
        "totals": {n: decimal_text(v, places.get(n)) for n, v in t.totals.items()},
    }


def summary_text(s: Summary, lang: Lang) -> str:
    lines = [msg("summary.rows", lang, read=s.read, evaluated=s.evaluated, reported=s.reported)]
    lines += _tally_lines(s.all, s.places, lang, "  ")
    if s.by is not None:
        lines.append(msg("summary.by", lang, field=s.by, groups=len(s.groups)))
        for g, t in s.groups.items():
            lines.append("  " + msg("summary.group", lang, value=g, evaluated=t.evaluated))
            lines += _tally_lines(t, s.places, lang, "    ")
    return "\n".join(lines)


def _tally_lines(t: Tally, places: dict[str, int], lang: Lang, indent: str) -> list[str]:
    sep = msg("summary.sep", lang)
    out = []
    for n, c in t.counts.items():
        values = sep.join(
            msg("summary.count", lang, value=v, count=k) for v, k in sorted(c.items())
        )
        out.append(indent + msg("summary.counts", lang, output=n, values=values))
    for n, total in t.totals.items():
        out.append(
            indent + msg("summary.total", lang, output=n, total=decimal_text(total, places.get(n)))
        )
    return out
