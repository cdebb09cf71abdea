"""`policyc report POLICY RECORDS -o report.html`: the run as one self-contained HTML page."""

from __future__ import annotations

import sys

import click

from policyc.cli.common import check_writable, load_plan, need_file, policy_first, write_output
from policyc.messages import LANGS, Lang, default_lang
from policyc.pipeline import evaluate


class Everyone(set[str]):
    """A trace set that holds every employee id: every row's explanation from one run."""

    def __contains__(self, item: object) -> bool:
        return True


@click.command("report", short_help="Write the run as one HTML page with charts.")
@click.argument("policy")
@click.argument("records")
@click.option("--output", "-o", metavar="FILE", required=True, help="the HTML file to write")
@click.option("--by", metavar="FIELD", help="break the charts down by this field")
@click.option("--lang", type=click.Choice(LANGS), help="zh or en (default: from the locale)")
def report_cmd(policy: str, records: str, output: str, by: str | None, lang: Lang | None) -> None:
    """Evaluate POLICY over RECORDS and write one offline HTML page: the summary, charts,
    every row in a sortable, searchable table, and each employee's explanation.

    Rejected rows are reported as `eval` reports them (exit 1); the page has the others.
    """
    from policyc.report.html import report_page

    policy_first("policyc report POLICY RECORDS -o FILE", [policy], records)
    check_writable("report", output)
    checked, plan = load_plan(policy)
    need_file(records, "records")
    if by is not None and by not in plan.slots:
        raise click.UsageError(f"--by `{by}` is not a field or definition of the policy")
    result = evaluate(plan, records, trace_ids=Everyone())
    for e in result.errors:
        click.echo(str(e), err=True)
    page = report_page(plan, result, lang or default_lang(), checked.source.name, records, by)
    write_output("report", output, [page])
    sys.exit(1 if result.errors else 0)
