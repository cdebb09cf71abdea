"""Contract A's public acceptance case, checked row by row through the CLI.

The comparison is the one `../shared/acceptance/check.py` makes: every expected row must be
printed, and numbers are compared as exact decimals after rounding both sides half-up to
the case's `places`. The case data is a copy in tests/acceptance/cs_levels_2021.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pytest
from conftest import ACCEPTANCE_A, ROOT, run_cli

CASE = json.loads((ACCEPTANCE_A / "case.json").read_text(encoding="utf-8"))
PLACES: int = CASE.get("places", 2)
KEYS: list[str] = CASE["key"]
FIELDS: list[str] = CASE["fields"]


def norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | str):
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            return value
        return d.quantize(Decimal(1).scaleb(-PLACES), rounding=ROUND_HALF_UP)
    return value


def key_of(obj: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(obj.get(k)) for k in KEYS)


@pytest.fixture(scope="module")
def printed() -> dict[tuple[str, ...], dict[str, Any]]:
    proc = run_cli("eval", CASE["policy"], ACCEPTANCE_A / "records.csv", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    got: dict[tuple[str, ...], dict[str, Any]] = {}
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        assert key_of(obj) not in got, f"row {key_of(obj)} printed twice"
        got[key_of(obj)] = obj
    return got


def expected() -> list[dict[str, Any]]:
    text = (ACCEPTANCE_A / "expected.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_case_policy_is_the_bundled_one() -> None:
    assert (ROOT / CASE["policy"]).is_file()
    assert CASE["policy"] == "policies/cs_levels_2021.policy"


def test_every_expected_row_matches(printed: dict[tuple[str, ...], dict[str, Any]]) -> None:
    want = expected()
    assert len(want) > 1000
    mismatches = []
    for row in want:
        have = printed.get(key_of(row))
        if have is None:
            mismatches.append(f"missing row {key_of(row)}")
            continue
        diffs = [
            f"{f}: want {row[f]!r} got {have.get(f, '<absent>')!r}"
            for f in FIELDS
            if norm(row[f]) != norm(have.get(f))
        ]
        if diffs:
            mismatches.append(f"{key_of(row)}: " + "; ".join(diffs))
    assert mismatches == [], f"{len(mismatches)} of {len(want)} rows differ:\n" + "\n".join(
        mismatches[:20]
    )


def test_no_row_is_printed_that_is_not_expected(
    printed: dict[tuple[str, ...], dict[str, Any]],
) -> None:
    assert set(printed) == {key_of(row) for row in expected()}


def test_case_exercises_every_action_and_missing_months() -> None:
    # guards the copy: a truncated case would make the row-by-row test meaningless
    rows = expected()
    actions = {row["action"] for row in rows}
    assert actions == {None, "promote", "stay", "demote", "demote_probation"}
    assert any(row["dismissal_candidate"] for row in rows)
    assert any(row["review"] and row["window_average"] is None for row in rows)
