"""`policyc check POLICY...`: every diagnostic at once; exit 0 clean, 1 findings, 2 usage."""

from __future__ import annotations

import sys

import click

from policyc.diagnostics import render_all
from policyc.pipeline import check_file


@click.command("check")
@click.argument("policies", nargs=-1, required=True)
def check_cmd(policies: tuple[str, ...]) -> None:
    """Check POLICY files for errors and warnings."""
    from pathlib import Path

    findings = 0
    for path in policies:
        if not Path(path).is_file():
            raise click.UsageError(f"no policy file at `{path}`")
        checked = check_file(path)
        if checked.diagnostics:
            findings += len(checked.diagnostics)
            click.echo(render_all(checked.diagnostics, {checked.source.name: checked.source}))
        else:
            click.echo(f"{path}: ok")
    sys.exit(1 if findings else 0)
