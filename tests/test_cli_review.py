"""The command line after a user review: `--output` files, usage slips, explain's answers,
formats from the file name, and the help text. Run in this process (fast), through the same
entry point as the `policyc` script."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import re
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE_A, POLICY_A, ROOT, run_cli

from policyc.cli import main as cli_main
from policyc.io.atomic import write_atomic

Run = Callable[..., tuple[int, str, str]]

POLICY_A_2022 = ROOT / "policies" / "cs_levels_2022.policy"
POLICY = (
    'policy "t"\nrecord\n  employee_id : id\n  period : month\n  s : score\n  n : number?\n'
    "key employee_id, period\nx = s * 2\noutput x\n"
)


@pytest.fixture
def policyc(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`policyc ARGS` -> (exit status, stdout, stderr)."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["policyc", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            cli_main.main()
        code = exit_info.value.code
        out, err = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out, err

    return run


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def files(tmp_path: Path, records: str) -> tuple[Path, Path]:
    policy = tmp_path / "t.policy"
    policy.write_text(POLICY, encoding="utf-8")
    path = tmp_path / "r.csv"
    path.write_text(records, encoding="utf-8")
    return policy, path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- 1. --output keeps permissions ------------------------------------------------------

OUTPUT_COMMANDS = {
    "eval": ("eval", POLICY_A, EXAMPLE_A),
    "diff": ("diff", POLICY_A, POLICY_A_2022),
    "test": ("test", POLICY_A),
}


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_output_keeps_an_existing_files_mode(
    tmp_path: Path, policyc: Run, umask: Callable[[int], int], command: str
) -> None:
    umask(0o077)  # what mkstemp's 0600 would look like: the file's own mode must win
    target = tmp_path / "out.txt"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o664)
    code, _, err = policyc(*OUTPUT_COMMANDS[command], "-o", target)
    assert code in (0, 1), err
    assert target.read_text(encoding="utf-8") != "old\n"
    assert mode(target) == 0o664


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_a_new_output_file_follows_the_umask(
    tmp_path: Path, policyc: Run, umask: Callable[[int], int], command: str, mask: int
) -> None:
    umask(mask)
    target = tmp_path / "new.txt"
    code, _, err = policyc(*OUTPUT_COMMANDS[command], "-o", target)
    assert code in (0, 1), err
    assert mode(target) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["new.txt"]


def test_write_atomic_keeps_the_old_file_and_its_mode_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old contents\n", encoding="utf-8")
    target.chmod(0o640)

    def chunks() -> Iterator[str]:
        yield "half of the new "
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, chunks())
    assert target.read_text(encoding="utf-8") == "old contents\n"
    assert mode(target) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# ---- 2. an --output that cannot be written: one line, exit 2, before any work -------------


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_output_into_a_missing_folder_is_one_line_and_exit_2(
    tmp_path: Path, policyc: Run, command: str
) -> None:
    target = tmp_path / "nope" / "x.xml"
    code, out, err = policyc(*OUTPUT_COMMANDS[command], "-o", target)
    assert code == 2
    assert err == (
        f"policyc {command}: cannot write `{target}`: the directory `{target.parent}` "
        "does not exist\n"
    )
    assert out == ""


def test_output_that_is_a_directory_is_one_line_and_exit_2(tmp_path: Path, policyc: Run) -> None:
    code, _, err = policyc("eval", POLICY_A, EXAMPLE_A, "-o", tmp_path)
    assert code == 2
    assert err == f"policyc eval: cannot write `{tmp_path}`: it is a directory\n"


def test_eval_checks_the_output_before_reporting_records(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, "employee_id,period,s\nE1,2024-01,abc\nE2,2024-01,x\n")
    target = tmp_path / "missing" / "out.csv"
    code, _, err = policyc("eval", policy, records, "-o", target)
    assert code == 2
    assert err.splitlines() == [
        f"policyc eval: cannot write `{target}`: the directory `{target.parent}` does not exist"
    ]


def test_a_write_that_fails_midway_is_the_same_one_line(
    tmp_path: Path, policyc: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policyc.cli.eval_cmd as eval_cmd

    def full_disk(*args: object) -> Iterator[str]:
        yield "{"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(eval_cmd, "jsonl_lines", full_disk)
    target = tmp_path / "out.jsonl"
    code, _, err = policyc("eval", POLICY_A, EXAMPLE_A, "--format", "jsonl", "-o", target)
    assert code == 2
    assert err == f"policyc eval: cannot write `{target}`: No space left on device\n"
    assert not target.exists()


# ---- 3. explain: a bad --period, a rejected row, an unknown id ----------------------------

EXPLAIN_RECORDS = (
    "employee_id,period,s,n\n"
    "E1001,2024-01,50,\n"
    "E1001,2024-02,abc,x\n"  # row 3: two bad cells
    "E2002,2024-01,60,\n"
)


@pytest.mark.parametrize("period", ["2024/01", "2023-13", "24-01", "2024-1"])
def test_explain_period_must_be_a_month(tmp_path: Path, policyc: Run, period: str) -> None:
    policy, records = files(tmp_path, EXPLAIN_RECORDS)
    code, _, err = policyc("explain", policy, records, "--employee", "E1001", "--period", period)
    assert code == 2
    assert f"--period `{period}` is not a month: write YYYY-MM" in err


def test_explain_says_why_a_rejected_row_has_no_explanation(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, EXPLAIN_RECORDS)
    code, out, err = policyc(
        "explain", policy, records, "--employee", "E1001", "--period", "2024-02"
    )
    assert code == 1
    assert out == ""
    assert "Usage:" not in err
    assert err.splitlines() == [
        "policyc explain: no evaluated row for employee `E1001` in 2024-02",
        "  row 3 was rejected: s: `abc` is not a number; n: `x` is not a number",
    ]


def test_explain_notes_a_rejected_month_beside_the_others(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, EXPLAIN_RECORDS)
    code, out, err = policyc("explain", policy, records, "--employee", "E1001", "--verbose")
    assert code == 0
    assert "E1001 2024-01" in out
    assert "policyc explain: row 3 was rejected: s: `abc` is not a number" in err


def test_explain_suggests_a_close_employee_id(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, EXPLAIN_RECORDS)
    code, _, err = policyc("explain", policy, records, "--employee", "E1010")
    assert code == 2
    assert "no evaluated row for employee `E1010`" in err
    assert "did you mean `E1001`" in err
    code, _, err = policyc("explain", policy, records, "--employee", "e2002")
    assert "did you mean `E2002`" in err
    code, _, err = policyc("explain", policy, records, "--employee", "ZZZZZZ")
    assert code == 2 and "did you mean" not in err


def test_explain_of_an_unreadable_file_says_so(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, "")
    code, _, err = policyc("explain", policy, records, "--employee", "E1")
    assert code == 1
    assert err == f"{records}:1:-: the file is empty: no header row\n"


def test_diff_period_must_be_a_month(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, EXPLAIN_RECORDS)
    args = ("diff", policy, policy, records, "--employee", "E1001", "--period", "2024/2")
    code, _, err = policyc(*args)
    assert code == 2 and "--period `2024/2` is not a month" in err


def test_explain_names_the_months_an_employee_has(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, EXPLAIN_RECORDS)
    code, _, err = policyc("explain", policy, records, "--employee", "E2002", "--period", "2024-05")
    assert code == 2
    assert "no evaluated row for employee `E2002` in 2024-05; the records have 2024-01" in err


# ---- 4, 5. what is wrong with the whole file is not a reported row ------------------------


def test_an_empty_file_reports_no_rows(tmp_path: Path, policyc: Run) -> None:
    policy, records = files(tmp_path, "")
    code, _, err = policyc("eval", policy, records)
    assert code == 1
    assert err.splitlines() == [
        f"{records}:1:-: the file is empty: no header row",
        "summary: 0 row(s) read, 0 evaluated, 0 reported",
        "0 row(s) reported, 0 evaluated",
    ]


def test_a_gbk_file_is_read(tmp_path: Path, policyc: Run) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(POLICY.replace("  n : number?\n", "  岗位 : text\n"), encoding="utf-8")
    records = tmp_path / "r.csv"
    text = "employee_id,period,岗位,s\nE1,2024-01,开发,50\n\nE2,2024-01,测试,60\n"
    records.write_bytes(text.encode("gbk"))
    code, out, err = policyc("eval", policy, records, "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 2, err


# ---- 7. arguments in the wrong order ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("eval", "sales.csv", "sales.policy"),
            "POLICY comes first: `policyc eval POLICY RECORDS`",
        ),
        (("eval", "a.CSV", "b.csv"), "`a.CSV` is records (CSV), not a policy"),
        (("check", "sales.csv"), "`sales.csv` is records (CSV), not a policy"),
        (("explain", "r.csv", "p.policy", "--employee", "E1"), "POLICY comes first"),
        (("diff", "a.policy", "r.csv"), "`r.csv` is records (CSV), not a policy"),
        (("diff", "r.csv", "a.policy", "b.policy"), "POLICY comes first"),
    ],
)
def test_records_where_a_policy_goes_is_a_usage_error(
    tmp_path: Path,
    policyc: Run,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in args[1:]:  # the files exist: only their order is wrong
        if "." in name:
            Path(name).write_text("employee_id,period\nE1,2024-01\n", encoding="utf-8")
    code, out, err = policyc(*args)
    assert code == 2
    assert message in err
    assert "E0002" not in out + err


# ---- 8. a row's reports left to right, as in the sheet -------------------------------------


def test_strict_and_diff_show_a_rows_cells_left_to_right(tmp_path: Path, policyc: Run) -> None:
    # `s` stands left of `n` in the sheet; alphabetically `n` comes first
    policy, records = files(tmp_path, "employee_id,period,s,n\nE1,2024-01,abc,x\nE2,2024-01,5,\n")
    code, _, err = policyc("eval", policy, records, "--strict")
    assert code == 1
    assert err == f"{records}:2:s: `abc` is not a number\n"
    new = tmp_path / "new.policy"
    new.write_text(POLICY.replace("x = s * 2", "x = s * 3"), encoding="utf-8")
    code, _, err = policyc("diff", policy, new, records)
    assert code == 1
    assert err.splitlines() == [
        f"{records}:2:s: `abc` is not a number",
        f"{records}:2:n: `x` is not a number",
    ]


# ---- 10. check: directories, and a missing file among others -------------------------------


def test_check_accepts_a_directory(tmp_path: Path, policyc: Run) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(POLICY_A, tmp_path / "sub" / "a.policy")
    shutil.copy(POLICY_A_2022, tmp_path / "b.policy")
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    code, out, err = policyc("check", tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        f"{tmp_path / 'b.policy'}: ok",
        f"{tmp_path / 'sub' / 'a.policy'}: ok",
    ]


def test_check_goes_on_past_a_missing_file(tmp_path: Path, policyc: Run) -> None:
    missing = tmp_path / "missing.policy"
    code, out, err = policyc("check", POLICY_A, missing, POLICY_A_2022)
    assert code == 2
    assert out.splitlines() == [f"{POLICY_A}: ok", f"{POLICY_A_2022}: ok"]
    assert err == f"policyc check: no policy file or directory at `{missing}`\n"
    code, _, err = policyc("check", "--format", "json", POLICY_A, tmp_path)
    assert code == 2 and f"no `.policy` files in `{tmp_path}`" in err


# ---- 11. test and fmt without PATH, outside a project ------------------------------------


@pytest.mark.parametrize("command", ["test", "fmt"])
def test_no_path_and_no_policies_folder(
    tmp_path: Path, policyc: Run, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = policyc(command)
    assert code == 2
    assert "no PATH given and there is no `policies/` directory here" in err


# ---- 12. the format from the -o file's extension ----------------------------------------


def test_eval_format_follows_the_output_extension(tmp_path: Path, policyc: Run) -> None:
    got = {}
    for name in ("o.csv", "o.json", "o.jsonl", "o.txt", "O.CSV"):
        code, _, err = policyc("eval", POLICY_A, EXAMPLE_A, "-o", tmp_path / name)
        assert code == 0, err
        got[name] = (tmp_path / name).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(got["o.csv"])))
    assert rows and got["O.CSV"] == got["o.csv"]
    document = json.loads(got["o.json"])
    assert document["rows"] == [json.loads(line) for line in got["o.jsonl"].splitlines()]
    assert len(document["rows"]) == len(rows) and got["o.csv"].startswith("\ufeff")
    assert re.search(r"^-+  -+", got["o.txt"], re.M)  # the table
    code, _, _ = policyc("eval", POLICY_A, EXAMPLE_A, "--format", "jsonl", "-o", tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text(encoding="utf-8") == got["o.jsonl"]


def test_diff_and_test_formats_follow_the_output_extension(tmp_path: Path, policyc: Run) -> None:
    policyc("diff", POLICY_A, POLICY_A_2022, "-o", tmp_path / "d.json")
    assert json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    policyc("test", POLICY_A, "-o", tmp_path / "t.xml")
    assert (tmp_path / "t.xml").read_text(encoding="utf-8").startswith("<?xml")


# ---- 13, 14. README and --help -------------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_lists_every_bundled_policy() -> None:
    table = _section("Bundled policies")
    for policy in sorted((ROOT / "policies").glob("*.policy")):
        assert f"| `{policy.stem}` |" in table, policy.stem


def test_readme_quick_start_is_two_commands() -> None:
    block = _section("Quick start").split("```", 2)[1]
    assert block.split() == ["make", "demo", "make", "test"]


def test_readme_commands_show_every_option() -> None:
    block = _section("Commands").split("```", 2)[1]
    usage = {}  # command -> its usage, continuation lines included
    for entry in block.strip().split("\npolicyc "):
        name = entry.removeprefix("policyc ").split()[0]
        usage[name] = entry
    assert sorted(usage) == sorted(cli_main.COMMANDS)
    for name, (module, attr) in cli_main.COMMANDS.items():
        command = getattr(importlib.import_module(module), attr)
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in usage[name], (name, opt)


def test_readme_exit_status_covers_diff() -> None:
    section = _section("Exit status")
    assert "`diff`" in section and "no differences" in section and "differences found" in section


def test_help_summaries_are_whole_sentences() -> None:
    proc = run_cli("--help", env={"COLUMNS": "80"})
    commands = proc.stdout.split("Commands:\n", 1)[1].splitlines()
    assert len(commands) == len(cli_main.COMMANDS)
    for line in commands:
        assert line.rstrip().endswith(".") and "..." not in line, line
