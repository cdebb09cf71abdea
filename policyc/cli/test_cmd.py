"""`policyc test [PATH...]`: run the examples in policies; exit 0 all pass, 1 a failure, 2 usage."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policyc.cli.common import (
    DEFAULT_DIR,
    check_writable,
    format_for,
    policy_files,
    run_inputs,
    write_output,
    write_stdout,
)
from policyc.examples import REPORTS, files_to_test, run_files, summary
from policyc.io.terminal import for_terminal, json_for_terminal


@click.command("test")
@click.argument("paths", metavar="[PATH]...", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTS)),
    help="junit writes JUnit XML for CI; default: from the -o file's extension "
    "(.json, .xml), else text",
)
@click.option("--output", "-o", metavar="FILE", help="write here (atomically)")
def test_cmd(paths: tuple[str, ...], fmt: str | None, output: str | None) -> None:
    """Run the examples written in policy files.

    PATH is a policy file or a directory of them (default: policies/).
    """
    fmt = format_for(fmt, output, REPORTS, "text")
    files = _files(paths)
    check_writable("test", output, run_inputs(files))
    results = run_files(files)
    report = REPORTS[fmt](results)
    if fmt == "text":  # example names and values are shown as written, escapes escaped
        report = for_terminal(report)
    elif fmt == "json":
        report = json_for_terminal(report)
    if output:
        write_output("test", output, [report])
    else:
        write_stdout([report])
    _passed, failed = summary(results)
    sys.exit(1 if failed else 0)


def _files(paths: tuple[str, ...]) -> list[Path]:
    files = policy_files(paths, files_to_test)
    if not files:
        raise click.UsageError(f"no `.policy` files in {', '.join(paths or (DEFAULT_DIR,))}")
    return files
