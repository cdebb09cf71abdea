"""`policyc explain POLICY RECORDS --employee ID [--period M]`: every output, derived."""

from __future__ import annotations

import json
import sys

import click

from policyc.cli.common import load_plan, need_file
from policyc.explain import explain_json, explain_text
from policyc.pipeline import evaluate


@click.command("explain")
@click.argument("policy")
@click.argument("records")
@click.option("--employee", "employee", required=True, help="the employee id")
@click.option("--period", help="one month (YYYY-MM); all months when left out")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def explain_cmd(policy: str, records: str, employee: str, period: str | None, fmt: str) -> None:
    """Explain how each output of one employee was derived."""
    checked, plan = load_plan(policy)
    need_file(records, "records")
    result = evaluate(plan, records, trace_ids={employee})
    rows = [r for r in result.outcome.rows if r.key[0] == employee]
    errors = [e for e in result.errors if _row_of(result, e.row) == employee]
    if period:
        rows = [r for r in rows if r.key[1] == period]
    if not rows:
        where = f" in {period}" if period else ""
        msg = f"no evaluated row for employee `{employee}`{where}"
        for e in errors:
            click.echo(str(e), err=True)
        raise click.UsageError(msg)
    if fmt == "json":
        click.echo(json.dumps(explain_json(plan, rows), ensure_ascii=False, indent=2))
    else:
        click.echo(explain_text(plan, rows, checked.source.name))
    sys.exit(0)


def _row_of(result: object, line: int) -> str | None:
    return None
