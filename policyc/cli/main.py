"""The `policyc` command: thin click commands over the library, one module each."""

from __future__ import annotations

import importlib
import sys

import click

# Each command is imported when it is run: `eval` does not pay for loading `diff` or `fmt`.
COMMANDS = {
    "check": ("policyc.cli.check_cmd", "check_cmd"),
    "diff": ("policyc.cli.diff_cmd", "diff_cmd"),
    "eval": ("policyc.cli.eval_cmd", "eval_cmd"),
    "explain": ("policyc.cli.explain_cmd", "explain_cmd"),
    "fmt": ("policyc.cli.fmt_cmd", "fmt_cmd"),
    "test": ("policyc.cli.test_cmd", "test_cmd"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policyc")
def cli() -> None:
    """policyc: check, evaluate, explain and compare HR policies."""


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
