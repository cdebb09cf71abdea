"""`policyc diff OLD NEW [RECORDS]`: what changed between two versions, and for whom.

Exit status as diff(1): 0 no differences, 1 differences found, 2 trouble (a usage error, a
policy with errors, records that lack a column a version needs, an unknown employee).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from policyc.cli.common import (
    check_period,
    check_writable,
    format_for,
    need_file,
    policy_first,
    run_inputs,
    write_output,
    write_stdout,
)
from policyc.diagnostics import render_all
from policyc.diff.records import DiffError, RecordDiff, diff_records, read_header
from policyc.diff.render import records_json_chunks, records_text, rules_json, rules_text
from policyc.diff.rules import Version, diff_rules, version_of
from policyc.io.records import RecordError, printable
from policyc.io.terminal import for_terminal, json_for_terminal
from policyc.pipeline import check_file

TROUBLE = 2
FORMATS = ("text", "json")


@click.command("diff", short_help="Compare two versions of a policy (and their outcomes).")
@click.argument("old")
@click.argument("new")
@click.argument("records", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="default: json when the -o file ends in .json, else text",
)
@click.option("--output", "-o", metavar="FILE", help="write here (atomically)")
@click.option(
    "--by", metavar="FIELD", help="break the summary down by this field or output (needs RECORDS)"
)
@click.option(
    "--employee",
    metavar="ID",
    help="only this employee, with both explanations of the first changed month (needs RECORDS)",
)
@click.option(
    "--period", metavar="YYYY-MM", help="with --employee: explain this month (YYYY-MM) instead"
)
def diff_cmd(
    old: str,
    new: str,
    records: str | None,
    fmt: str | None,
    output: str | None,
    by: str | None,
    employee: str | None,
    period: str | None,
) -> None:
    """Compare two versions of a policy: the rules that changed and, given staff RECORDS
    (CSV), every output that changes for whom, with the rule lines responsible.

    Exit status: 0 no differences, 1 differences found, 2 trouble.
    """
    policy_first("policyc diff OLD NEW [RECORDS]", [old, new], records)
    check_period(period)
    check_writable("diff", output, run_inputs([old, new], records))
    fmt = format_for(fmt, output, FORMATS, "text")
    if records is None and (by or employee or period):
        raise click.UsageError("--by, --employee and --period compare outcomes: give RECORDS too")
    if period and not employee:
        raise click.UsageError("--period explains one employee's month: give --employee too")
    before, after = _version(old), _version(new)
    if records is None:
        rules = diff_rules(before, after)
        if fmt == "json":
            _emit(_json(rules_json(before, after, rules)), output, fmt)
        else:
            _emit(rules_text(before, after, rules), output, fmt)
        sys.exit(1 if rules else 0)
    need_file(records, "records")
    try:
        result = diff_records(before, after, records, by=by, employee=employee, period=period)
    except DiffError as e:
        for problem in e.problems:
            click.echo(f"policyc diff: {for_terminal(problem)}", err=True)
        sys.exit(TROUBLE)
    _report_rows(result, read_header(records) or [])
    if fmt == "json":
        _emit_chunks(records_json_chunks(result), output, fmt)
    else:
        _emit(records_text(result), output, fmt)
    differs = result.changed or result.only_old or result.only_new
    sys.exit(1 if differs else 0)


def _version(path: str) -> Version:
    """A policy checked and compiled; its diagnostics and exit 2 when it has errors."""
    if not Path(path).is_file():
        raise click.UsageError(f"no policy file at `{path}`")
    checked = check_file(path)
    if not checked.ok:
        click.echo(render_all(checked.diagnostics, {checked.source.name: checked.source}), err=True)
        sys.exit(TROUBLE)
    return version_of(checked)


def _report_rows(result: RecordDiff, header: list[str]) -> None:
    """Rejected rows on stderr as FILE:ROW:COLUMN, once when both versions reject them; a
    row's reports left to right as in the sheet, as `eval` shows them."""
    for w in result.warnings:
        click.echo(f"{w.file}:{w.row}:{printable(w.column)}: warning: {w.message}", err=True)
    old, new = set(result.errors_old), set(result.errors_new)
    at = {"-": -1, **{h: i for i, h in enumerate(header) if h}}

    def order(e: RecordError) -> tuple[int, int, str, str]:
        return (e.row, at.get(e.column, len(at)), e.column, e.message)

    for e in sorted(old | new, key=order):
        where = (
            ""
            if e in old and e in new
            else (" (under OLD only)" if e in old else " (under NEW only)")
        )
        click.echo(f"{e}{where}", err=True)


def _json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def _emit(text: str, output: str | None, fmt: str) -> None:
    _emit_chunks(iter([text]), output, fmt)


def _emit_chunks(chunks: Iterator[str], output: str | None, fmt: str) -> None:
    """Record text (ids, labels, cells) cannot drive a terminal: its control characters are
    escaped, as `\\x1b` in text and `\\u001b` in JSON (which parses to the same value)."""
    escape = json_for_terminal if fmt == "json" else for_terminal
    safe = map(escape, chunks)
    if output:
        write_output("diff", output, safe)
    else:
        write_stdout(safe)
