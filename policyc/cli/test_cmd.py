"""`policyc test [PATH...]`: run the examples in policies; exit 0 all pass, 1 a failure, 2 usage."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policyc.fmt import write_atomic
from policyc.testing import REPORTS, files_to_test, run_files, summary


@click.command("test")
@click.argument("paths", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTS)),
    default="text",
    show_default=True,
    help="junit writes JUnit XML for CI",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="write here (atomically)")
def test_cmd(paths: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Run the examples in policy files and directories (default: policies/)."""
    try:
        files = files_to_test(paths or ("policies",))
    except FileNotFoundError as e:
        raise click.UsageError(f"no policy file or directory at `{e}`") from e
    if not files:
        raise click.UsageError(f"no `.policy` files in {', '.join(paths or ('policies',))}")
    results = run_files(files)
    report = REPORTS[fmt](results)
    if output:
        write_atomic(Path(output), report)
    else:
        sys.stdout.write(report)
    _passed, failed = summary(results)
    sys.exit(1 if failed else 0)
