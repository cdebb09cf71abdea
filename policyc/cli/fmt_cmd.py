"""`policyc fmt [--check] [PATH...]`: rewrite policies in the canonical layout.

With `--check` nothing is written: each file that is not formatted is shown as a unified
diff and the exit status is 1. A file that does not parse is reported and left alone.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from policyc.cli.common import policy_files
from policyc.diagnostics import render_all
from policyc.fmt.layout import (
    Formatted,
    find_policy_files,
    format_source,
    read_policy,
)
from policyc.fmt.text import FormatError
from policyc.io.atomic import OutputError, write_atomic
from policyc.source import SourceFile


@click.command("fmt")
@click.argument("paths", metavar="[PATH]...", nargs=-1)
@click.option("--check", is_flag=True, help="change nothing; show a diff and exit 1 if unformatted")
def fmt_cmd(paths: tuple[str, ...], check: bool) -> None:
    """Rewrite policy files in the canonical layout.

    PATH is a policy file or a directory of them (default: policies/); `-` reads standard
    input and writes the result to standard output.
    """
    if paths == ("-",):
        sys.exit(_stdin(check))
    files = policy_files(paths, find_policy_files)
    failed = unformatted = changed = 0
    for path in files:
        result = _format(path)
        if result is None or result.text is None:
            failed += 1
        elif result.changed and check:
            unformatted += 1
            sys.stdout.write(_diff(result))
            click.echo(f"{path}: not formatted", err=True)
        elif not check and (result.changed or path.read_bytes() != result.text.encode()):
            # a rewrite also drops a BOM and CRLF line ends; --check looks at the text only
            try:
                write_atomic(path, [result.text])
            except (OSError, OutputError) as e:  # a read-only file: say so, format the others
                why = e.reason if isinstance(e, OutputError) else e.strerror or str(e)
                click.echo(f"policyc fmt: cannot write `{path}`: {why}", err=True)
                failed += 1
                continue
            changed += 1
            click.echo(f"formatted {path}", err=True)
    if not check:
        click.echo(
            f"{changed} file(s) formatted, {len(files) - changed - failed} unchanged", err=True
        )
    sys.exit(1 if failed or unformatted else 0)


def _format(path: Path) -> Formatted | None:
    try:
        result = format_source(read_policy(path))
    except FormatError as e:
        click.echo(f"{path}: cannot format: {e}", err=True)
        return None
    except OSError as e:  # unreadable: say so, and format the others
        click.echo(f"{path}: cannot format: {e.strerror or e}", err=True)
        return None
    _report(result)
    return result


def _report(result: Formatted) -> None:
    if result.diagnostics:
        click.echo(render_all(result.diagnostics, {result.source.name: result.source}), err=True)
    elif result.problem:
        click.echo(f"{result.source.name}: cannot format: {result.problem}", err=True)


def _diff(result: Formatted) -> str:
    assert result.text is not None
    name = result.source.name
    lines = difflib.unified_diff(
        result.source.text.splitlines(keepends=True),
        result.text.splitlines(keepends=True),
        fromfile=f"{name} (as written)",
        tofile=f"{name} (formatted)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _stdin(check: bool) -> int:
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        click.echo("<stdin>: cannot format: not UTF-8 text", err=True)
        return 1
    result = format_source(SourceFile.of("<stdin>", text))
    _report(result)
    if result.text is None:
        return 1
    if check:
        sys.stdout.write(_diff(result))
        return 1 if result.changed else 0
    sys.stdout.write(result.text)
    return 0
