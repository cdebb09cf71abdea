"""`per FIELD` without `among`: everyone, grouped by FIELD. It parses, formats back as
written, and evaluates per group."""

from __future__ import annotations

from collections.abc import Callable

from conftest import Result, csv_text

from policyc.fmt.layout import format_text

POLICY = """policy "per team"

record
  employee_id : id
  period      : month
  team        : one of north, south
  sales       : number

key employee_id, period

r = rank(sales desc, employee_id asc per team)
team_mean = mean(sales per team)
team_size = count(per team)
spelled = rank(sales desc, employee_id asc among true per team)

output r, team_mean, team_size, spelled
"""

ROWS = [
    ("a", "2024-01", "north", "10"),
    ("b", "2024-01", "north", "30"),
    ("c", "2024-01", "south", "20"),
    ("d", "2024-01", "south", "5"),
    ("e", "2024-01", "north", "20"),
]


def test_per_alone_formats_as_written() -> None:
    assert format_text(POLICY) == POLICY


def test_per_alone_ranks_and_aggregates_within_each_team(
    run_policy: Callable[..., Result],
) -> None:
    r = run_policy(POLICY, csv_text(["employee_id", "period", "team", "sales"], ROWS))
    assert r.errors == []
    got = {e: r.out(e, "2024-01") for e, *_ in ROWS}
    assert {e: got[e]["r"] for e in got} == {"b": "1", "e": "2", "a": "3", "c": "1", "d": "2"}
    assert {e: got[e]["spelled"] for e in got} == {e: got[e]["r"] for e in got}
    assert {e: str(got[e]["team_mean"]) for e in "ac"} == {"a": "20", "c": "12.5"}
    assert {e: got[e]["team_size"] for e in "ad"} == {"a": "3", "d": "2"}
