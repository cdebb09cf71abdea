"""Shared CLI helpers: loading a policy with its diagnostics, and reporting bad rows."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policyc.compile import Plan
from policyc.diagnostics import render_all
from policyc.pipeline import Checked, check_file, compile_checked


def load_plan(path: str) -> tuple[Checked, Plan]:
    """Check a policy; on errors print every diagnostic and exit 1."""
    if not Path(path).is_file():
        raise click.UsageError(f"no policy file at `{path}`")
    checked = check_file(path)
    if not checked.ok:
        click.echo(render_all(checked.diagnostics, {checked.source.name: checked.source}), err=True)
        sys.exit(1)
    return checked, compile_checked(checked)


def need_file(path: str, what: str) -> None:
    if not Path(path).is_file():
        raise click.UsageError(f"no {what} file at `{path}`")
