"""`policyc explain POLICY RECORDS --employee ID [--period M]`: every output, derived.

`--all -o DIR` (or `--employees FILE -o DIR`) writes one explanation per employee, all from
one evaluation of the records.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click

from policyc.backend.closures.compile import Plan
from policyc.cli.common import (
    check_period,
    load_plan,
    need_file,
    policy_first,
    write_output,
    write_stdout,
)
from policyc.cli.report_cmd import Everyone
from policyc.explain import explain_json, explain_text
from policyc.explain_words import explain_words
from policyc.io.records import printable
from policyc.io.terminal import for_terminal, json_for_terminal
from policyc.messages import LANGS, Lang, default_lang
from policyc.pipeline import Evaluation, evaluate
from policyc.runtime.values import RowEnv

SUFFIX = {"text": ".txt", "json": ".json", "html": ".html"}


@click.command("explain", short_help="Explain how each output of an employee was reached.")
@click.argument("policy")
@click.argument("records")
@click.option("--employee", "employee", help="the employee id")
@click.option("--period", help="one month (YYYY-MM); all months when left out")
@click.option(
    "--all", "everyone", is_flag=True, help="every employee, one file each (needs -o DIR)"
)
@click.option(
    "--employees",
    "employees_file",
    metavar="FILE",
    help="the employees listed in FILE (one id a line), one file each (needs -o DIR)",
)
@click.option("--output", "-o", metavar="PATH", help="a file, or with --all/--employees a folder")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option("--lang", type=click.Choice(LANGS), help="zh or en (default: from the locale, LANG)")
@click.option("--verbose", is_flag=True, help="the full derivation, every step (English)")
def explain_cmd(
    policy: str,
    records: str,
    employee: str | None,
    period: str | None,
    everyone: bool,
    employees_file: str | None,
    output: str | None,
    fmt: str,
    lang: Lang | None,
    verbose: bool,
) -> None:
    """Explain how each output of one employee (or of everyone) was derived."""
    policy_first("policyc explain POLICY RECORDS --employee ID", [policy], records)
    check_period(period)
    many = everyone or employees_file is not None
    if sum([employee is not None, everyone, employees_file is not None]) != 1:
        raise click.UsageError("give one of --employee ID, --all or --employees FILE")
    if many and not output:
        raise click.UsageError("--all and --employees write one file per employee: give -o DIR")
    language: Lang = lang or default_lang()
    checked, plan = load_plan(policy)
    need_file(records, "records")
    ids = _listed(employees_file) if employees_file else None
    if many:
        assert output is not None
        _prepare_dir(output)
        result = evaluate(plan, records, trace_ids=Everyone() if ids is None else set(ids))
        render = _renderer(plan, checked.source.name, fmt, language, verbose)
        sys.exit(_write_all(result, output, ids, period, fmt, render))
    assert employee is not None
    result = evaluate(plan, records, trace_ids={employee})
    rows = [r for r in result.outcome.rows if r.key[0] == employee]
    if period:
        rows = [r for r in rows if r.key[1] == period]
    rejected = _rejected(result, employee, period)
    if not rows:
        _no_row(result, records, employee, period, rejected)
    for why in rejected:  # a month left out of the explanation is not left unexplained
        click.echo(f"policyc explain: {why}", err=True)
    text = _renderer(plan, checked.source.name, fmt, language, verbose)(rows)
    if output:
        write_output("explain", output, [text])
    else:
        text = json_for_terminal(text) if fmt == "json" else for_terminal(text)
        write_stdout([text if text.endswith("\n") else text + "\n"])
    sys.exit(0)


def _renderer(
    plan: Plan, policy_name: str, fmt: str, lang: Lang, verbose: bool
) -> Callable[[list[RowEnv]], str]:
    if fmt == "json":
        return lambda rows: json.dumps(explain_json(plan, rows), ensure_ascii=False, indent=2)
    if fmt == "html":
        from policyc.report.html import explanation_page

        return lambda rows: explanation_page(plan, rows, lang, policy_name)
    if verbose:
        return lambda rows: explain_text(plan, rows, policy_name)
    return lambda rows: explain_words(plan, rows, lang)


def _listed(path: str) -> list[str]:
    need_file(path, "employees")
    text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    ids = [line.split(",")[0].strip() for line in text.splitlines()]
    ids = [i for i in ids if i and not i.startswith("#") and i != "employee_id"]
    if not ids:
        raise click.UsageError(f"`{path}` lists no employee id (one a line)")
    return list(dict.fromkeys(ids))


def _prepare_dir(output: str) -> None:
    path = Path(output)
    if path.exists() and not path.is_dir():
        raise click.UsageError(f"-o `{output}` is a file: --all and --employees write a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        click.echo(f"policyc explain: cannot create `{output}`: {e.strerror or e}", err=True)
        sys.exit(2)


_UNSAFE = re.compile(r"[^\w.\-]+")


def file_name(employee: str, suffix: str) -> str:
    """A file name for an employee id: characters a file name cannot hold become `_`."""
    return (_UNSAFE.sub("_", employee).strip("._") or "employee") + suffix


def _write_all(
    result: Evaluation,
    output: str,
    ids: list[str] | None,
    period: str | None,
    fmt: str,
    render: Callable[[list[RowEnv]], str],
) -> int:
    """One file per employee; the employees without an evaluated row are reported (exit 1)."""
    by_emp: dict[str, list[RowEnv]] = {}
    for r in result.outcome.rows:
        if period is None or r.key[1] == period:
            by_emp.setdefault(r.key[0], []).append(r)
    wanted = ids if ids is not None else sorted({k[0] for k in result.row_keys().values() if k[0]})
    status, used = 0, set()
    for emp in wanted:
        rows = by_emp.get(emp)
        for why in _rejected(result, emp, period):
            click.echo(f"policyc explain: {emp}: {why}", err=True)
            status = 1
        if not rows:
            click.echo(f"policyc explain: no evaluated row for employee `{emp}`", err=True)
            status = 1
            continue
        name = file_name(emp, SUFFIX[fmt])
        while name in used:  # two ids that make the same file name
            name = "_" + name
        used.add(name)
        text = render(rows)
        write_output(
            "explain", str(Path(output) / name), [text if text.endswith("\n") else text + "\n"]
        )
    click.echo(f"policyc explain: wrote {len(used)} file(s) to {output}", err=True)
    return status


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
