"""`policyc plan POLICY [--format text|json]`: the evaluation tree (IR) of a policy."""

from __future__ import annotations

import json
import sys

import click

from policyc.cli.common import load_plan
from policyc.ir.print import program_json, program_text


@click.command("plan", short_help="Print the evaluation tree (IR) of a policy.")
@click.argument("policy")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def plan_cmd(policy: str, fmt: str) -> None:
    """Print the evaluation plan of a policy: its slots and steps, each expression with
    names resolved, its inferred type and where it stands in the policy."""
    _checked, plan = load_plan(policy)
    assert plan.ir is not None
    if fmt == "json":
        click.echo(json.dumps(program_json(plan.ir), ensure_ascii=False, indent=2))
    else:
        click.echo(program_text(plan.ir), nl=False)
    sys.exit(0)
