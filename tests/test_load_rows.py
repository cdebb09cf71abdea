"""`load_rows` and `load_cells`: records held in memory validate as a file's rows do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from conftest import plan_for

from policyc.io.records import load_csv, load_rows
from policyc.pipeline import evaluate_loaded

POLICY = (
    'policy "t"\nrecord\n  employee_id : id\n  period : month\n  s : score\n  pay : money?\n'
    "key employee_id, period\nx = s * 2\noutput x\n"
)


def test_dicts_give_the_same_rows_and_reports_as_the_csv(tmp_path: Path) -> None:
    plan = plan_for(POLICY)
    text = "employee_id,period,s,pay\nE1,2021-01,50,\nE2,2021-01,abc,\nE3,2021-02,70,100\n"
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    from_file = load_csv(path, plan.model, plan.field_names, plan.nslots)
    dicts = [
        {"employee_id": "E1", "period": "2021-01", "s": 50, "pay": None},
        {"employee_id": "E2", "period": "2021-01", "s": "abc", "pay": None},
        {"employee_id": "E3", "period": dt.date(2021, 2, 1), "s": 70.0, "pay": Decimal(100)},
    ]
    in_memory = load_rows(dicts, plan.model, plan.field_names, plan.nslots, name=str(path))
    assert [r.v for r in in_memory.rows] == [r.v for r in from_file.rows]
    assert (
        [(e.row, e.column, e.message) for e in in_memory.errors]
        == [(e.row, e.column, e.message) for e in from_file.errors]
        == [(3, "s", "`abc` is not a number")]
    )
    ev = evaluate_loaded(plan, in_memory, "<rows>")
    assert len(ev.outcome.rows) == 2 and in_memory.total == 3
