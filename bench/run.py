#!/usr/bin/env python3
"""Time `policyc eval` against the hand-written contract-A baseline on the same files.

usage: python bench/run.py [--sizes 100000,1000000] [--quick] [--seed N] [--no-verify]

For each size, generates records into bench/out/, then runs, in the same run and on the
same file, (a) the hand-written baseline `baseline_cs_levels.py` from the shared folder
next to the project (skipped when absent) and (b) `policyc eval ... --format jsonl`.
Each command runs under a small wrapper process that reports the wall time and peak RSS
of its one child. Prints a table (rows/s, peak MB, policyc/baseline ratios), checks that
both tools computed the same outputs, and writes bench/out/results.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from gen_cs_levels import generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BASELINE = Path(__file__).resolve().parents[2] / "shared" / "bench" / "baseline_cs_levels.py"
POLICYC = ROOT / ".venv" / "bin" / "policyc"
POLICY = ROOT / "policies" / "cs_levels_2021.policy"

# Runs argv[2:] with stdout to argv[1]; prints the child's wall time and peak RSS as JSON.
# RUSAGE_CHILDREN of this wrapper covers exactly one child, so its ru_maxrss is that child's.
WRAPPER = """\
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    start = time.perf_counter()
    code = subprocess.call(sys.argv[2:], stdout=out)
    wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024
print(json.dumps({"returncode": code, "wall_s": wall, "peak_bytes": usage.ru_maxrss * scale,
                  "user_s": usage.ru_utime, "sys_s": usage.ru_stime}))
"""

FIELDS = (
    "score",
    "review",
    "window_average",
    "action",
    "level",
    "probation",
    "dismissal_candidate",
)
PLACES = Decimal("0.01")


@dataclass
class Measurement:
    tool: str
    size: int
    wall_s: float
    user_s: float
    sys_s: float
    peak_mb: float
    rows_per_s: float
    returncode: int
    digest: str | None = None


def measure(tool: str, size: int, argv: list[str], stdout: Path) -> Measurement | None:
    """Run `argv` under the wrapper; None (with the child's stderr shown) when it fails."""
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(stdout), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    try:
        report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        report = {"returncode": proc.returncode or 1}
    if report["returncode"] != 0:
        print(f"  {tool}: exit status {report['returncode']}", file=sys.stderr)
        for line in proc.stderr.splitlines()[-15:]:
            print(f"    {line}", file=sys.stderr)
        return None
    wall = float(report["wall_s"])
    return Measurement(
        tool=tool,
        size=size,
        wall_s=round(wall, 3),
        user_s=round(float(report["user_s"]), 3),
        sys_s=round(float(report["sys_s"]), 3),
        peak_mb=round(int(report["peak_bytes"]) / 2**20, 1),
        rows_per_s=round(size / wall) if wall > 0 else 0.0,
        returncode=0,
    )


def canonical(value: Any) -> str:
    """One output value as text, numbers rounded to 2 places (JSON number or decimal string)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float | str):
        try:
            return str(Decimal(str(value)).quantize(PLACES, rounding=ROUND_HALF_UP))
        except InvalidOperation:
            return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def digest(path: Path) -> tuple[int, str]:
    """Row count and an order-independent digest of a JSONL output (key columns + FIELDS)."""
    total = count = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            parts = [str(row.get("employee_id")), str(row.get("period"))]
            parts += [canonical(row.get(field)) for field in FIELDS]
            h = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).digest()
            total = (total + int.from_bytes(h, "big")) % 2**128
            count += 1
    return count, f"{count}:{total:032x}"


def run_size(size: int, seed: int, verify: bool) -> list[Measurement]:
    records = OUT / f"cs_levels_{size}.csv"
    start = time.perf_counter()
    employees = generate(size, records, seed)
    took = time.perf_counter() - start
    print(f"\n{size:,} rows ({employees:,} employees) -> {records.relative_to(ROOT)} [{took:.1f}s]")

    results: list[Measurement] = []
    runs: list[tuple[str, list[str], Path, Path]] = []
    if BASELINE.exists():
        base_out = OUT / "baseline.jsonl"
        argv = [sys.executable, str(BASELINE), str(records)]
        runs.append(("baseline", argv, base_out, base_out))
    else:
        print(f"  baseline: skipped, {BASELINE} not found")
    if not POLICYC.exists():
        print(f"  policyc: skipped, {POLICYC.relative_to(ROOT)} not found (run `make demo` first)")
    elif not POLICY.exists():
        print(f"  policyc: skipped, {POLICY.relative_to(ROOT)} not found")
    else:
        pol_out = OUT / "out.jsonl"
        argv = [str(POLICYC), "eval", str(POLICY), str(records)]
        argv += ["--format", "jsonl", "--output", str(pol_out)]
        runs.append(("policyc", argv, Path(os.devnull), pol_out))

    for tool, argv, stdout, output in runs:
        print(f"  {tool}: running")
        output.unlink(missing_ok=True)  # a stale output must not pass for this run's
        m = measure(tool, size, argv, stdout)
        if m is None:
            continue
        if verify and not output.exists():
            print(f"  {tool}: no output at {output.relative_to(ROOT)}", file=sys.stderr)
        elif verify:
            rows, m.digest = digest(output)
            if rows != size:
                print(f"  {tool}: wrote {rows:,} rows for {size:,} records", file=sys.stderr)
        results.append(m)
    return results


@dataclass
class Ratio:
    """policyc over baseline at one size."""

    time: float | None
    peak_memory: float | None
    outputs_agree: bool | None


def ratios(results: list[Measurement]) -> dict[int, Ratio]:
    """policyc/baseline time and peak-memory ratios per size (sizes where both ran)."""
    out: dict[int, Ratio] = {}
    for size in sorted({m.size for m in results}):
        by_tool = {m.tool: m for m in results if m.size == size}
        if {"baseline", "policyc"} <= by_tool.keys():
            p, b = by_tool["policyc"], by_tool["baseline"]
            out[size] = Ratio(
                time=round(p.wall_s / b.wall_s, 3) if b.wall_s else None,
                peak_memory=round(p.peak_mb / b.peak_mb, 3) if b.peak_mb else None,
                outputs_agree=None if p.digest is None else p.digest == b.digest,
            )
    return out


def print_table(results: list[Measurement], by_size: dict[int, Ratio]) -> None:
    header = f"{'rows':>10}  {'tool':<9} {'wall s':>8} {'rows/s':>10} {'peak MB':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    for m in results:
        print(
            f"{m.size:>10,}  {m.tool:<9} {m.wall_s:>8.2f} {m.rows_per_s:>10,.0f} {m.peak_mb:>8.1f}"
        )
    agree = {True: "outputs agree", False: "OUTPUTS DIFFER", None: "outputs not compared"}
    for size, r in by_size.items():
        print(
            f"{size:>10,}  policyc/baseline: time {_times(r.time)}, "
            f"peak memory {_times(r.peak_memory)}, {agree[r.outputs_agree]}"
        )


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def main() -> int:
    parser = argparse.ArgumentParser(description="policyc eval vs the hand-written baseline")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--quick", action="store_true", help="one small size (20000 rows)")
    parser.add_argument("--seed", type=int, default=2021, help="generator seed")
    parser.add_argument(
        "--no-verify", dest="verify", action="store_false", help="skip the output comparison"
    )
    args = parser.parse_args()
    try:
        sizes = [20_000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: expected comma-separated integers, got {args.sizes!r}")
    if any(size < 1 for size in sizes):
        parser.error("--sizes: every size must be at least 1")

    OUT.mkdir(parents=True, exist_ok=True)
    results: list[Measurement] = []
    for size in sizes:
        results += run_size(size, args.seed, args.verify)
    by_size = ratios(results)
    print_table(results, by_size)

    summary = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "baseline": str(BASELINE) if BASELINE.exists() else None,
        "results": [asdict(m) for m in results],
        "policyc_over_baseline": {str(size): asdict(r) for size, r in by_size.items()},
    }
    path = OUT / "results.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
