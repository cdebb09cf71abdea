"""Shared CLI helpers: loading a policy, arguments in the wrong order, and `--output` files."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import click

from policyc.backend.closures.compile import Plan
from policyc.diagnostics import render_all
from policyc.io.atomic import (
    Chunk,
    OutputError,
    StdoutError,
    check_target,
    refuse_inputs,
    write_atomic,
)
from policyc.io.records import MONTH_RE
from policyc.messages import default_lang, msg
from policyc.pipeline import Checked, check_file, compile_checked

USAGE = 2  # the exit status of a usage error, as click's own


def load_plan(path: str) -> tuple[Checked, Plan]:
    """Check a policy; on errors print every diagnostic and exit 1."""
    need_file(path, "policy")
    checked = check_file(path)  # an unreadable file: OSError, one line from `main`
    if not checked.ok:
        click.echo(render_all(checked.diagnostics, {checked.source.name: checked.source}), err=True)
        sys.exit(1)
    return checked, compile_checked(checked)


def need_file(path: str, what: str) -> None:
    if not Path(path).is_file():
        raise click.UsageError(f"no {what} file at `{path}`")


def is_records_name(path: str) -> bool:
    return path.lower().endswith(".csv")


def is_policy_name(path: str) -> bool:
    return path.lower().endswith(".policy")


def policy_first(usage: str, policies: Iterable[str], records: str | None = None) -> None:
    """Records given where a policy goes (or the other way round) would be parsed as a
    policy and bury the slip under syntax errors: say which comes first instead."""
    if records and is_policy_name(records):
        raise click.UsageError(f"POLICY comes first: `{usage}`")
    csv = next((p for p in policies if is_records_name(p)), None)
    if csv is not None:
        raise click.UsageError(f"`{csv}` is records (CSV), not a policy: `{usage}`")


def check_period(period: str | None) -> None:
    if period is not None and not re.fullmatch(MONTH_RE, period):
        raise click.UsageError(f"--period `{period}` is not a month: write YYYY-MM, e.g. 2024-01")


# ---- --output ------------------------------------------------------------------------------

# `--format` left out: the `-o` file's extension says which (anything else: the default)
FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".xml": "junit"}


def format_for(fmt: str | None, output: str | None, choices: Iterable[str], default: str) -> str:
    """The format asked for, else the one the `-o` file's extension names, else `default`."""
    if fmt is not None:
        return fmt
    by_suffix = FORMAT_BY_SUFFIX.get(Path(output).suffix.lower()) if output else None
    return by_suffix if by_suffix in set(choices) else default


def cannot_write(command: str, output: str, reason: str) -> NoReturn:
    """One line and exit 2, whatever the command and whenever it is found out."""
    click.echo(f"policyc {command}: cannot write `{output}`: {reason}", err=True)
    sys.exit(USAGE)


def check_writable(
    command: str, output: str | None, inputs: Mapping[str, str] | None = None
) -> None:
    """Fail before any work when `output` plainly cannot be written or is one of the run's
    `inputs` (path -> what it is): the user learns of a mistyped folder at once, not after
    every record error of a long run, and no input is ever overwritten by results."""
    if not output:
        return
    try:
        check_target(output)
        refuse_inputs(output, inputs or {})
    except OutputError as e:
        cannot_write(command, output, e.reason)


def run_inputs(policies: Iterable[str | Path], records: str | Path | None = None) -> dict[str, str]:
    """The inputs of a run, for `check_writable`."""
    lang = default_lang()
    found = {str(p): msg("output.what.policy", lang) for p in policies}
    if records is not None:
        found[str(records)] = msg("output.what.records", lang)
    return found


def write_output(command: str, output: str, chunks: Iterable[Chunk]) -> None:
    """Write `output` safely (policyc.io.atomic); any failure is one line and exit 2, the old
    file intact. A termination signal (`Signalled`) goes on up to `main`."""
    try:
        write_atomic(Path(output), chunks)
    except OutputError as e:
        cannot_write(command, output, e.reason)
    except OSError as e:  # a full disk, no permission, a vanished folder
        cannot_write(command, output, e.strerror or str(e))


def write_stdout(chunks: Iterable[str]) -> None:
    """Results to standard output; a failing one (a full disk, `ulimit -f`) is `StdoutError`,
    reported by `main` in one line. A closed pipe (`| head`) stays BrokenPipeError."""
    out = sys.stdout
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise StdoutError(e.strerror or str(e)) from e


DEFAULT_DIR = "policies"


def policy_files(paths: tuple[str, ...], find: Callable[[Sequence[str]], list[Path]]) -> list[Path]:
    """The files `test` and `fmt` work on: PATHs (files and directories), or `policies/`."""
    if not paths and not Path(DEFAULT_DIR).is_dir():
        raise click.UsageError(f"no PATH given and there is no `{DEFAULT_DIR}/` directory here")
    try:
        return find(paths or (DEFAULT_DIR,))
    except FileNotFoundError as e:
        raise click.UsageError(f"no policy file or directory at `{e}`") from e
