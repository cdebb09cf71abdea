"""`policyc explain POLICY RECORDS --employee ID [--period M]`: every output, derived."""

from __future__ import annotations

import difflib
import json
import sys

import click

from policyc.cli.common import check_period, load_plan, need_file, policy_first, write_stdout
from policyc.explain import explain_json, explain_text
from policyc.io.records import printable
from policyc.io.terminal import for_terminal, json_for_terminal
from policyc.pipeline import Evaluation, evaluate


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
    policy_first("policyc explain POLICY RECORDS --employee ID", [policy], records)
    check_period(period)
    checked, plan = load_plan(policy)
    need_file(records, "records")
    result = evaluate(plan, records, trace_ids={employee})
    rows = [r for r in result.outcome.rows if r.key[0] == employee]
    if period:
        rows = [r for r in rows if r.key[1] == period]
    rejected = _rejected(result, employee, period)
    if not rows:
        _no_row(result, records, employee, period, rejected)
    for why in rejected:  # a month left out of the explanation is not left unexplained
        click.echo(f"policyc explain: {why}", err=True)
    if fmt == "json":
        text = json_for_terminal(json.dumps(explain_json(plan, rows), ensure_ascii=False, indent=2))
    else:
        text = for_terminal(explain_text(plan, rows, checked.source.name))
    write_stdout([text, "\n"])
    sys.exit(0)


def _rejected(result: Evaluation, employee: str, period: str | None) -> list[str]:
    """`row N was rejected: COLUMN: message; ...` for each rejected row of the employee
    (in `period`, when given), in row order."""
    keys = result.row_keys()
    why: dict[int, list[str]] = {}
    for e in result.errors:
        key = keys.get(e.row)
        if key and key[0] == employee and (period is None or key[1] == period):
            why.setdefault(e.row, []).append(f"{printable(e.column)}: {printable(e.message)}")
    return [f"row {row} was rejected: {'; '.join(msgs)}" for row, msgs in why.items()]


def _no_row(
    result: Evaluation, records: str, employee: str, period: str | None, rejected: list[str]
) -> None:
    """Why there is nothing to explain: the employee's rows were rejected or the file could
    not be read (exit 1, as `eval` for a bad row), or no row names this employee (or month):
    a usage error."""
    where = f" in {period}" if period else ""
    if rejected:
        who = printable(employee)
        click.echo(f"policyc explain: no evaluated row for employee `{who}`{where}", err=True)
        for why in rejected:
            click.echo(f"  {why}", err=True)
        sys.exit(1)
    unread = [e for e in result.errors if e.row == 1]  # the file itself: empty, not UTF-8
    if unread:
        for e in unread:
            click.echo(str(e), err=True)
        sys.exit(1)
    keys = result.row_keys().values()
    months = sorted({printable(p) for e, p in keys if e == employee and p})
    if months:
        raise click.UsageError(
            f"no evaluated row for employee `{printable(employee)}`{where}; "
            f"the records have {', '.join(months)}"
        )
    hint = _close_ids(employee, {e for e, _ in keys if e})
    raise click.UsageError(
        f"no evaluated row for employee `{printable(employee)}`: no row of `{records}` names them"
        + hint
    )


def _close_ids(employee: str, ids: set[str]) -> str:
    """`; did you mean `A1`?` for ids spelt alike (case aside), else nothing."""
    by_folded: dict[str, list[str]] = {}
    for i in sorted(ids):
        by_folded.setdefault(i.casefold(), []).append(i)
    close = difflib.get_close_matches(employee.casefold(), list(by_folded), n=3, cutoff=0.6)
    names = [f"`{printable(i)}`" for c in close for i in by_folded[c]][:3]
    return f"; did you mean {' or '.join(names)}?" if names else ""
