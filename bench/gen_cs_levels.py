#!/usr/bin/env python3
"""Generate valid contract-A records (cs_levels_2021) for benchmarking.

usage: gen_cs_levels.py N OUT.csv [--seed SEED] [--start YYYY-MM] [--months M]

Writes exactly N staff-months: employees of all five roles, each with a run of contiguous
months (24 by default) from which about 2% are dropped, so some review windows are
incomplete. The starting level is on each employee's earliest row only. Scores mix
integers and one-decimal values, and many sit exactly on the band edges 50, 70 and 80
(whole months, even whole quarters, where every metric is on an edge). The same N and
seed always give the same file.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

COLUMNS = [
    "employee_id",
    "name",
    "role",
    "level",
    "period",
    "callback_rate",
    "satisfaction",
    "handling",
    "training",
    "attendance",
    "training_feedback",
    "skill",
    "coordination",
    "escalation",
    "quality",
    "efficiency",
    "team_culture",
    "appraisal",
    "initiative",
]
METRIC_INDEX = {name: i for i, name in enumerate(COLUMNS)}

# role -> (metrics the role weighs, ladder low to high), as in contract A
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer_rep": (
        ("callback_rate", "satisfaction", "handling", "training", "attendance"),
        (
            "普通客服代表-中级",
            "普通客服代表-高级",
            "大客户客服代表-中级",
            "大客户客服代表-高级",
            "高级客服代表-中级",
            "高级客服代表-高级",
        ),
    ),
    "tech_support": (
        ("handling", "training_feedback", "skill", "attendance"),
        ("技术支持-中级", "技术支持-高级"),
    ),
    "tech_lead": (
        ("handling", "training_feedback", "skill", "coordination", "escalation", "attendance"),
        ("技术支持组长-中级", "技术支持组长-高级"),
    ),
    "auditor": (
        ("quality", "efficiency", "attendance"),
        ("一级审核员", "二级审核员", "三级审核员", "四级审核员"),
    ),
    "cs_supervisor": (
        ("training_feedback", "team_culture", "appraisal", "initiative", "attendance"),
        ("客服主管-中级", "客服主管-高级"),
    ),
}
ROLE_NAMES = list(ROLES)
ROLE_WEIGHTS = [50, 15, 10, 15, 10]  # a department has many reps and few supervisors

EDGES = (50, 70, 80)
DROP_RATE = 0.02
FLAT_QUARTER_RATE = 0.25  # a quarter whose months mostly put every metric on one edge
FLAT_MONTH_RATE = 0.8  # within such a quarter
EDGE_METRIC_RATE = 0.08  # a single metric exactly on an edge

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉婷雪琳晨宇浩欣怡佳"


def month_list(start: str, count: int) -> list[str]:
    """`count` consecutive months from `start` (YYYY-MM)."""
    year, month = (int(part) for part in start.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def fmt_score(value: float, rng: random.Random) -> str:
    """A 0-100 score as an integer or with one decimal, half of each."""
    value = min(100.0, max(0.0, value))
    if rng.random() < 0.5:
        return str(round(value))
    return f"{round(value, 1):.1f}"


def random_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def employee_rows(
    number: int, periods: list[str], limit: int, rng: random.Random
) -> list[list[str]]:
    """At most `limit` rows of one employee over `periods`, with about 2% of months dropped."""
    role = rng.choices(ROLE_NAMES, ROLE_WEIGHTS)[0]
    metrics, ladder = ROLES[role]
    employee_id = f"E{3_000_000 + number:07d}"
    name = random_name(rng)
    base = rng.uniform(55.0, 92.0)
    flat_edge: int | None = None
    rows: list[list[str]] = []
    for k, period in enumerate(periods):
        if len(rows) == limit:
            break
        if (int(period[5:]) - 1) % 3 == 0:
            flat_edge = rng.choice(EDGES) if rng.random() < FLAT_QUARTER_RATE else None
        base = min(97.0, max(40.0, base + rng.gauss(0.0, 2.0)))
        if k > 0 and rng.random() < DROP_RATE:
            continue  # the earliest row, which holds the level, is never dropped
        row = [""] * len(COLUMNS)
        row[0], row[1], row[2], row[4] = employee_id, name, role, period
        if k == 0:
            row[3] = rng.choice(ladder)
        flat = flat_edge is not None and rng.random() < FLAT_MONTH_RATE
        for metric in metrics:
            if flat:
                value = str(flat_edge)
            elif rng.random() < EDGE_METRIC_RATE:
                value = str(rng.choice(EDGES))
            else:
                value = fmt_score(rng.gauss(base, 7.0), rng)
            row[METRIC_INDEX[metric]] = value
        rows.append(row)
    return rows


def generate(n: int, out: Path, seed: int = 2021, start: str = "2021-01", months: int = 24) -> int:
    """Write exactly `n` staff-months to `out`; return the number of employees."""
    rng = random.Random(seed)
    periods = month_list(start, months)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = employees = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        while written < n:
            rows = employee_rows(employees, periods, n - written, rng)
            writer.writerows(rows)
            written += len(rows)
            employees += 1
    return employees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, help="number of staff-months (rows) to write")
    parser.add_argument("out", type=Path, help="output CSV path")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--start", default="2021-01", help="first month, YYYY-MM")
    parser.add_argument("--months", type=int, default=24, help="months per employee")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("N must be at least 1")
    employees = generate(args.n, args.out, args.seed, args.start, args.months)
    print(f"wrote {args.n} rows for {employees} employees to {args.out}")


if __name__ == "__main__":
    main()
