"""`policyc report`: one self-contained HTML page (no network), every employee, charts,
explanations one click away. The browser side is tests/test_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from conftest import EXAMPLE_A, EXAMPLE_A_REL, POLICY_A_REL

from policyc.cli.report_cmd import report_cmd

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?!#)[a-z]+:|url\(|@import|<link\b""", re.I)


def write_report(tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        report_cmd, [POLICY_A_REL, EXAMPLE_A_REL, "-o", str(out), *extra], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained_and_lists_every_employee(tmp_path: Path) -> None:
    page = write_report(tmp_path, "--lang", "zh")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "<script src" not in page and "<style>" in page
    ids = {line.split(",")[0] for line in EXAMPLE_A.read_text(encoding="utf-8").splitlines()[1:]}
    for i in ids:
        assert f'href="#emp-{i}"' in page and f'id="emp-{i}"' in page
    rows = page.count('<tr><td><a class="explain-link"')
    assert rows == len(EXAMPLE_A.read_text(encoding="utf-8").splitlines()) - 1
    assert page.count('<svg class="chart"') >= 2
    assert "平均分 83.2 高于 80" in page  # E2110002's explanation, in Chinese
    assert "概况" in page


def test_report_in_english_and_by_a_field(tmp_path: Path) -> None:
    page = write_report(tmp_path, "--lang", "en", "--by", "role")
    assert "Summary" in page and "action by role (rows)" in page
    assert "the average 83.2 is above 80, so promote" in page


def test_report_needs_an_output_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(report_cmd, [POLICY_A_REL, EXAMPLE_A_REL])
    assert result.exit_code == 2
