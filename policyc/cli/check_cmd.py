"""`policyc check POLICY...`: every diagnostic at once.

Exit status: 0 when no file has an error (warnings are printed but do not fail, as in
cargo; `--deny-warnings` makes them fail), 1 when there are findings that fail, 2 on a
usage error such as a missing file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from policyc.diagnostics import Severity, render_all
from policyc.pipeline import check_file


@click.command("check")
@click.argument("policies", nargs=-1, required=True)
@click.option("--deny-warnings", is_flag=True, help="exit 1 on warnings too")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def check_cmd(policies: tuple[str, ...], deny_warnings: bool, fmt: str) -> None:
    """Check POLICY files for errors and warnings."""
    failing = 0
    found = []
    for path in policies:
        if not Path(path).is_file():
            raise click.UsageError(f"no policy file at `{path}`")
        checked = check_file(path)
        diags = checked.diagnostics
        found.extend(diags)
        failing += sum(1 for d in diags if d.severity is Severity.ERROR or deny_warnings)
        if fmt == "json":
            continue
        if diags:
            click.echo(render_all(diags, {checked.source.name: checked.source}))
        else:
            click.echo(f"{path}: ok")
    if fmt == "json":
        click.echo(json.dumps([_as_json(d) for d in found], ensure_ascii=False, indent=2))
    sys.exit(1 if failing else 0)


def _as_json(d: object) -> dict[str, object]:
    from policyc.diagnostics import Diagnostic

    assert isinstance(d, Diagnostic)
    sp = d.span
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": sp.file,
        "line": sp.line,
        "column": sp.column,
        "end_line": sp.end_line,
        "end_column": sp.end_column,
        "help": d.help,
    }
