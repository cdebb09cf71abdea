"""`policyc check PATH...`: every diagnostic at once, for files and directories of policies.

Exit status: 0 when no file has an error (warnings are printed but do not fail, as in
cargo; `--deny-warnings` makes them fail), 1 when there are findings that fail, 2 on a
usage error such as a missing file (the files that exist are still checked).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from policyc.cli.common import USAGE, policy_first
from policyc.diagnostics import Diagnostic, Severity, render_all
from policyc.pipeline import check_file


@click.command("check")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@click.option("--deny-warnings", is_flag=True, help="exit 1 on warnings too")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def check_cmd(paths: tuple[str, ...], deny_warnings: bool, fmt: str) -> None:
    """Check policy files (or every .policy file under a directory)."""
    policy_first("policyc check PATH...", paths)
    files, missing = _policy_files(paths)
    if not files:  # nothing to check at all
        raise click.UsageError("; ".join(missing))
    failing = 0
    found = []
    for path in files:
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
    for problem in missing:  # last, where they are seen after a long listing
        click.echo(f"policyc check: {problem}", err=True)
    sys.exit(USAGE if missing else 1 if failing else 0)


def _policy_files(paths: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The files to check, in the order named (a directory's `*.policy` files sorted), and
    what is wrong with the paths that name none."""
    files: list[str] = []
    missing = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [str(p) for p in sorted(path.rglob("*.policy")) if p.is_file()]
            files.extend(found)
            if not found:
                missing.append(f"no `.policy` files in `{raw}`")
        elif path.is_file():
            files.append(raw)
        else:
            missing.append(f"no policy file or directory at `{raw}`")
    return list(dict.fromkeys(files)), missing


def _as_json(d: Diagnostic) -> dict[str, object]:
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
