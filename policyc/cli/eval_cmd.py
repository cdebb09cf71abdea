"""`policyc eval POLICY RECORDS`: outputs per row; bad rows on stderr as FILE:ROW:COLUMN."""

from __future__ import annotations

import sys

import click

from policyc.cli.common import (
    check_writable,
    format_for,
    load_plan,
    need_file,
    policy_first,
    run_inputs,
    write_output,
    write_stdout,
)
from policyc.io.records import printable
from policyc.io.results import jsonl_lines, result_columns, result_rows, to_csv, to_json, to_table
from policyc.pipeline import evaluate, reported_rows

FORMATS = ("table", "json", "jsonl", "csv")


@click.command("eval")
@click.argument("policy")
@click.argument("records")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="default: from the -o file's extension (.csv, .json, .jsonl), else table",
)
@click.option("--output", "-o", metavar="FILE", help="write here (atomically)")
@click.option("--strict", is_flag=True, help="stop at the first bad row")
def eval_cmd(policy: str, records: str, fmt: str | None, output: str | None, strict: bool) -> None:
    """Evaluate POLICY over the staff RECORDS (CSV)."""
    policy_first("policyc eval POLICY RECORDS", [policy], records)
    check_writable("eval", output, run_inputs([policy], records))
    fmt = format_for(fmt, output, FORMATS, "table")
    _checked, plan = load_plan(policy)
    need_file(records, "records")
    try:
        result = evaluate(plan, records)
    except OSError as exc:
        raise click.UsageError(f"cannot read `{records}`: {exc.strerror}") from exc
    errors = result.errors
    for w in result.loaded.warnings:
        click.echo(f"{w.file}:{w.row}:{printable(w.column)}: warning: {w.message}", err=True)
    if strict and errors:
        click.echo(str(errors[0]), err=True)
        sys.exit(1)
    for e in errors:
        click.echo(str(e), err=True)
    columns = result_columns(plan)
    rows = result_rows(plan, result.outcome.rows)
    chunks = {
        "jsonl": lambda: jsonl_lines(plan, result.outcome.rows),
        "json": lambda: to_json(rows),
        "csv": lambda: to_csv(columns, rows),
        "table": lambda: to_table(columns, rows),
    }[fmt]()
    if output:
        write_output("eval", output, chunks)  # on failure the old file stays
    else:
        write_stdout(chunks)
    if errors:
        reported = len(reported_rows(errors))
        click.echo(f"{reported} row(s) reported, {len(result.outcome.rows)} evaluated", err=True)
    sys.exit(1 if errors else 0)
