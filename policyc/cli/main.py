"""The `policyc` command: thin click commands over the library, one module each."""

from __future__ import annotations

import sys

import click

from policyc.cli.check_cmd import check_cmd
from policyc.cli.diff_cmd import diff_cmd
from policyc.cli.eval_cmd import eval_cmd
from policyc.cli.explain_cmd import explain_cmd
from policyc.cli.fmt_cmd import fmt_cmd
from policyc.cli.test_cmd import test_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policyc")
def cli() -> None:
    """policyc: check, evaluate, explain and compare HR policies."""


cli.add_command(check_cmd)
cli.add_command(diff_cmd)
cli.add_command(eval_cmd)
cli.add_command(explain_cmd)
cli.add_command(fmt_cmd)
cli.add_command(test_cmd)


def main() -> None:
    """Entry point: usage errors exit 2; no Python traceback ever reaches the user."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2 if isinstance(e, click.UsageError) or e.exit_code == 2 else e.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:  # a bug in policyc: say so plainly, without a traceback
        click.echo(f"policyc: internal error: {type(e).__name__}: {e}", err=True)
        click.echo("please report this with the policy and records that caused it", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
