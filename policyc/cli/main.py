"""The `policyc` command: thin click commands over the library, one module each."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys

import click

from policyc.io.atomic import Signalled, StdoutError, end_by_signal
from policyc.messages import default_lang, msg

# Each command is imported when it is run: `eval` does not pay for loading `diff` or `fmt`.
COMMANDS = {
    "check": ("policyc.cli.check_cmd", "check_cmd"),
    "diff": ("policyc.cli.diff_cmd", "diff_cmd"),
    "eval": ("policyc.cli.eval_cmd", "eval_cmd"),
    "explain": ("policyc.cli.explain_cmd", "explain_cmd"),
    "fmt": ("policyc.cli.fmt_cmd", "fmt_cmd"),
    "plan": ("policyc.cli.plan_cmd", "plan_cmd"),
    "report": ("policyc.cli.report_cmd", "report_cmd"),
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
    """Entry point: usage errors exit 2; no Python traceback ever reaches the user.

    Standard output is flushed here, inside the guard, so that a closed pipe or a full disk
    is seen as such and not as a traceback when the interpreter exits."""
    try:
        code = _run()
        sys.stdout.flush()
    except BrokenPipeError:
        code = _pipe_closed()
    except OSError as e:
        code = _stdout_failed(e.strerror or str(e))
    except Signalled as s:
        end_by_signal(s.signum)
    sys.exit(code)


def _run() -> int:
    stdout = sys.stdout
    try:
        cli.main(standalone_mode=False)
        return 0
    except SystemExit as e:
        if _click_saw_a_closed_pipe(stdout):
            return _pipe_closed()
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except click.exceptions.Abort:
        _say("aborted")
        return 130
    except click.ClickException as e:
        e.show()
        return 2 if isinstance(e, click.UsageError) or e.exit_code == 2 else e.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        return _pipe_closed()
    except StdoutError as e:
        return _stdout_failed(str(e))
    except OSError as e:
        if e.filename is None:  # nothing but a stream was being written: standard output
            return _stdout_failed(e.strerror or str(e))
        _say(_cannot_read(e))
        return 2
    except Signalled:
        raise
    except Exception as e:  # a bug in policyc: say so plainly, without a traceback
        _say(f"policyc: internal error: {type(e).__name__}: {e}")
        _say("please report this with the policy and records that caused it")
        return 3


def _cannot_read(e: OSError) -> str:
    """An input that vanished or may not be read (permission denied), found mid-run."""
    command = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in COMMANDS else ""
    prog = f"policyc {command}".strip()
    reason = e.strerror or str(e)
    return msg("output.cannot_read", default_lang(), prog=prog, path=e.filename, reason=reason)


def _click_saw_a_closed_pipe(stdout: object) -> bool:
    """click turns a closed pipe into exit 1, wrapping stdout so that the last flush is
    quiet; that wrapping is how it is recognised (and undone)."""
    if sys.stdout is stdout or getattr(sys.stdout, "wrapped", None) is not stdout:
        return False
    sys.stdout = stdout  # type: ignore[assignment]
    return True


def _pipe_closed() -> int:
    """`policyc eval ... | head -1`: the reader had enough. Quiet, status 0 (what `yes |
    head` does short of dying by SIGPIPE); stdout goes to /dev/null so the interpreter's
    last flush does not complain."""
    _silence_stdout()
    return 0


def _stdout_failed(reason: str) -> int:
    _silence_stdout()
    _say(msg("output.stdout_failed", default_lang(), reason=reason))
    return 2


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing will flush it at exit


def _say(line: str) -> None:
    """A line on stderr; a stderr that cannot be written is let go (nothing else to tell)."""
    with contextlib.suppress(OSError, ValueError):
        click.echo(line, err=True)


if __name__ == "__main__":
    main()
