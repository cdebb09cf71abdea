"""The library (`import policyc`): the examples of docs/library.md run as written, and the
API over dicts, a pandas frame, a Polars frame and an Arrow table gives the CLI's rows."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_A, POLICY_A, ROOT, run_cli

import policyc

DOC = ROOT / "docs" / "library.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_the_documented_examples_run(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(BLOCKS[index], f"{DOC}:block{index + 1}", "exec"), {})


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 4


def _cli_rows() -> list[dict[str, Any]]:
    """`policyc eval --format json` on contract A's example records, as a user runs it."""
    done = run_cli("eval", POLICY_A, EXAMPLE_A, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)["rows"]  # the json document
    return rows


CLI_ROWS: list[dict[str, Any]] = []


def cli_rows() -> list[dict[str, Any]]:
    if not CLI_ROWS:
        CLI_ROWS.extend(_cli_rows())
    return CLI_ROWS


def as_json(results: policyc.Results) -> list[dict[str, Any]]:
    """The API's rows as the CLI's JSON writes them (numbers as they print)."""
    out = []
    for r in results.rows:
        out.append({k: (str(v) if type(v).__name__ == "Decimal" else v) for k, v in r.items()})
    return out


def _dicts() -> list[dict[str, str]]:
    with open(EXAMPLE_A, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _frame(kind: str) -> Any:
    if importlib.util.find_spec(kind) is None:
        pytest.skip(f"{kind} is not installed (pip install -e '.[dev]' installs it)")
    if kind == "pandas":
        import pandas as pd

        return pd.read_csv(EXAMPLE_A)
    if kind == "polars":
        import polars as pl

        return pl.read_csv(EXAMPLE_A)
    import pyarrow.csv as pacsv

    return pacsv.read_csv(EXAMPLE_A)


@pytest.mark.parametrize("kind", ["path", "dicts", "pandas", "polars", "pyarrow"])
def test_every_kind_of_records_gives_the_clis_rows(kind: str) -> None:
    policy = policyc.load(POLICY_A)
    records: Any = {"path": EXAMPLE_A, "dicts": None}.get(kind)
    if kind == "dicts":
        records = _dicts()
    elif kind not in ("path",):
        records = _frame(kind)
    results = policy.evaluate(records)
    expected = cli_rows()
    assert results.reports == []
    assert len(results) == len(expected) == 239
    got = as_json(results)
    for a, b in zip(got, expected, strict=True):
        assert {k: _plainer(v) for k, v in a.items()} == {k: _plainer(v) for k, v in b.items()}


def _plainer(v: Any) -> Any:
    """The CLI's JSON has numbers as JSON numbers; compare their text."""
    return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


def test_bad_rows_are_reported_by_row_and_column_and_the_rest_evaluated() -> None:
    policy = policyc.load(POLICY_A)
    rows = _dicts()[:12]
    rows[3] = {**rows[3], "callback_rate": "lots"}
    results = policy.evaluate(rows, name="sheet")
    assert [(e.file, e.row, e.column) for e in results.reports] == [("sheet", 5, "callback_rate")]
    assert results.summary.read == 12
    assert results.summary.reported == 1
    assert results.summary.evaluated == len(results) == 11


def test_outputs_to_frames_keep_the_values() -> None:
    policy = policyc.load(POLICY_A)
    results = policy.evaluate(EXAMPLE_A)
    means = [r["window_average"] for r in results.rows if r["window_average"] is not None]
    if importlib.util.find_spec("pandas"):
        assert results.to_pandas()["window_average"].dropna().tolist() == means
    if importlib.util.find_spec("polars"):
        assert [v for v in results.to_polars()["window_average"].to_list() if v is not None] == (
            means
        )
    if importlib.util.find_spec("pyarrow"):
        table = results.to_arrow()
        assert [v for v in table.column("window_average").to_pylist() if v is not None] == means
        assert str(table.schema.field("score").type).startswith("decimal")


def test_a_missing_extra_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    results = policyc.load(POLICY_A).evaluate(_dicts()[:2])
    monkeypatch.setitem(sys.modules, "polars", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install polars"):
        results.to_polars()


def test_records_of_the_wrong_shape_are_a_type_error() -> None:
    policy = policyc.load(POLICY_A)
    with pytest.raises(TypeError, match="iterable of dicts"):
        policy.evaluate(42)
    with pytest.raises(TypeError, match="dict of column"):
        policy.evaluate([["E1", "2021-01"]])


def test_a_policy_with_errors_raises_with_its_diagnostics(tmp_path: Path) -> None:
    with pytest.raises(policyc.PolicyError) as info:
        policyc.load('policy "x"\nrecord\n  a : nope\n')
    assert {d.code for d in info.value.errors} >= {"E0208"}
    assert "<text>:3:7: error[E0208]" in str(info.value)
    with pytest.raises(FileNotFoundError):
        policyc.load(tmp_path / "missing.policy")


def test_explain_matches_the_cli() -> None:
    why = policyc.load(POLICY_A).explain(EXAMPLE_A, "E2110002", "2021-06")
    done = run_cli(
        "explain", POLICY_A, EXAMPLE_A, "--employee", "E2110002", "--period", "2021-06", "--verbose"
    )
    assert done.returncode == 0
    assert str(why) + "\n" == done.stdout.replace(str(POLICY_A), why.text and str(POLICY_A))
    with pytest.raises(LookupError):
        policyc.load(POLICY_A).explain(EXAMPLE_A, "NOBODY")


def test_diff_over_rows_matches_diff_over_the_file() -> None:
    old, new = POLICY_A, ROOT / "policies" / "cs_levels_2022.policy"
    on_file = policyc.diff(old, new, EXAMPLE_A)
    on_rows = policyc.diff(old, new, _dicts())
    assert on_file.differs and on_rows.differs
    assert on_rows.data["summary"]["rows_changed"] == on_file.data["summary"]["rows_changed"]
    assert on_rows.data["changed"] == on_file.data["changed"]


def test_python_m_policyc_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "policyc", "check", POLICY_A],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(": ok")


def test_importing_the_cli_does_not_load_the_library() -> None:
    code = "import sys, policyc.cli.main; print('policyc.api' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
