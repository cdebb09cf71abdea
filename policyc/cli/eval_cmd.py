"""`policyc eval POLICY RECORDS`: outputs per row; bad rows on stderr as FILE:ROW:COLUMN;
a summary of the run after it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from policyc.cli.common import (
    check_writable,
    load_plan,
    need_file,
    policy_first,
    run_inputs,
    write_output,
    write_stdout,
)
from policyc.io.decode import DELIMITERS, STDIN, ReadOptions
from policyc.io.records import RecordError, printable
from policyc.io.results import (
    errors_csv,
    errors_jsonl,
    json_document,
    jsonl_lines,
    result_columns,
    result_rows,
    to_csv,
    to_table,
)
from policyc.messages import LANGS, Lang, default_lang, msg
from policyc.pipeline import Evaluation, evaluate, reported_rows

FORMATS = ("table", "json", "jsonl", "csv", "xlsx")
BY_SUFFIX = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".xlsx": "xlsx", ".txt": "table"}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_REPORTS_SHOWN = 1000  # on stderr; --errors FILE holds them all


@click.command("eval")
@click.argument("policy")
@click.argument("records")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="default: from the -o file's extension (.csv, .json, .jsonl, .xlsx, .txt), else table",
)
@click.option("--output", "-o", metavar="FILE", help="write here (atomically)")
@click.option("--strict", is_flag=True, help="stop at the first bad row")
@click.option("--sheet", metavar="NAME|N", help="the workbook sheet to read (default: the first)")
@click.option("--encoding", metavar="NAME", help="the records' text encoding (default: detected)")
@click.option("--delimiter", metavar="D", help="`,`, `tab` or `;` (default: detected)")
@click.option(
    "--bom/--no-bom", default=None, help="CSV: start with a UTF-8 BOM (default: with -o only)"
)
@click.option("--keep", metavar="COL,...", help="input columns to carry into the output")
@click.option(
    "--summary",
    "summary_fmt",
    type=click.Choice(["text", "json", "off"]),
    default="text",
    help="the run's summary on stderr (default: text)",
)
@click.option("--by", "by", metavar="FIELD", help="break the summary down by FIELD")
@click.option(
    "--lang", type=click.Choice(LANGS), help="the summary's language (default: the locale)"
)
@click.option("--quiet", "-q", is_flag=True, help="no progress and no summary text")
@click.option(
    "--errors", "errors_file", metavar="FILE", help="write every report (.csv, else JSON lines)"
)
def eval_cmd(
    policy: str,
    records: str,
    fmt: str | None,
    output: str | None,
    strict: bool,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    bom: bool | None,
    keep: str | None,
    summary_fmt: str,
    by: str | None,
    lang: Lang | None,
    quiet: bool,
    errors_file: str | None,
) -> None:
    """Evaluate POLICY over the staff RECORDS.

    RECORDS is a CSV, TSV or workbook file, or `-` for standard input. Text files may be UTF-8, GBK/GB18030 or UTF-16 (detected); workbooks .xlsx, .xlsm,
    .xls, .ods. A summary of the run follows on stderr.
    """
    policy_first("policyc eval POLICY RECORDS", [policy], records)
    for target in (output, errors_file):
        check_writable("eval", target, run_inputs([policy], records))
    fmt = _format(fmt, output)
    if delimiter is not None and delimiter not in DELIMITERS and len(delimiter) != 1:
        raise click.UsageError(f"--delimiter `{delimiter}`: give one character, `tab` or `;`")
    _checked, plan = load_plan(policy)
    kept = tuple(c.strip() for c in keep.split(",") if c.strip()) if keep else ()
    if by is not None and by not in plan.slots:
        raise click.UsageError(f"--by `{by}` is neither a record field nor a value of the policy")
    if records != STDIN:
        need_file(records, "records")
    lang = lang or default_lang()
    options = ReadOptions(encoding, delimiter, sheet)
    result = _evaluate(plan, records, options, kept, quiet)
    _check_kept(result, kept)
    errors = result.errors
    for w in result.loaded.warnings:
        click.echo(f"{w.file}:{w.row}:{printable(w.column)}: warning: {w.message}", err=True)
    if strict and errors:
        click.echo(str(errors[0]), err=True)
        sys.exit(1)
    _show_reports(errors, errors_file, lang)
    if errors_file:
        chunks = (
            errors_csv(errors, bom is not False)
            if errors_file.lower().endswith(".csv")
            else errors_jsonl(errors)
        )
        write_output("eval", errors_file, chunks)
    from policyc.io.summary import summarise, summary_json, summary_text

    tally = summarise(
        plan, result.outcome.rows, result.loaded.total, len(reported_rows(errors)), by
    )
    summary = summary_json(tally)
    evaluated = result.outcome.rows
    if output and not evaluated and errors:
        # a run that evaluated nothing never replaces a results file
        click.echo(msg("summary.kept_old", lang, output=output), err=True)
    else:
        _write_results(result, fmt, output, kept, bom, summary)
    if summary_fmt == "json":
        click.echo(json.dumps(summary, ensure_ascii=False), err=True)
    elif summary_fmt == "text" and not quiet:
        click.echo(summary_text(tally, lang), err=True)
    if errors:
        reported = len(reported_rows(errors))
        click.echo(f"{reported} row(s) reported, {len(evaluated)} evaluated", err=True)
    sys.exit(1 if errors else 0)


def _format(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the one the `-o` file's extension names. An extension
    eval cannot write is a usage error, and so is text into a workbook's name."""
    suffix = Path(output).suffix.lower() if output else ""
    if fmt is not None:
        if output and (
            (fmt == "xlsx" and suffix != ".xlsx") or (fmt != "xlsx" and suffix in WORKBOOK_SUFFIXES)
        ):
            raise click.UsageError(
                f"--format {fmt} cannot be written to `{output}`: use a .xlsx name with --format xlsx"
            )
        return fmt
    if not output:
        return "table"
    if suffix in BY_SUFFIX:
        return BY_SUFFIX[suffix]
    if suffix == "":
        return "table"
    names = ", ".join(sorted(BY_SUFFIX))
    raise click.UsageError(
        f"eval cannot write `{suffix}` files (`{output}`): name it {names}, or give --format"
    )


def _evaluate(
    plan: Any, records: str, options: ReadOptions, kept: tuple[str, ...], quiet: bool
) -> Evaluation:
    """Evaluate, with a spinner on stderr when it is a terminal (and not --quiet)."""
    try:
        if quiet or not sys.stderr.isatty():
            return evaluate(plan, records, options=options, keep=kept)
        from rich.console import Console

        with Console(stderr=True).status(msg("summary.progress_read", default_lang())):
            return evaluate(plan, records, options=options, keep=kept)
    except OSError as exc:
        raise click.UsageError(f"cannot read `{records}`: {exc.strerror}") from exc


def _check_kept(result: Evaluation, kept: tuple[str, ...]) -> None:
    header = result.loaded.header
    missing = [k for k in kept if k not in header]
    if missing and header:
        names = ", ".join(f"`{k}`" for k in missing)
        raise click.UsageError(f"--keep {names}: no such column in the records")


def _show_reports(errors: list[RecordError], errors_file: str | None, lang: Lang) -> None:
    """Every report on stderr up to MAX_REPORTS_SHOWN, then one line counting the rest."""
    for e in errors[:MAX_REPORTS_SHOWN]:
        click.echo(str(e), err=True)
    more = len(errors) - MAX_REPORTS_SHOWN
    if more > 0:
        if errors_file:
            click.echo(
                msg(
                    "summary.more_reports_file",
                    lang,
                    more=more,
                    total=len(errors),
                    file=errors_file,
                ),
                err=True,
            )
        else:
            click.echo(msg("summary.more_reports", lang, more=more, total=len(errors)), err=True)


def _write_results(
    result: Evaluation,
    fmt: str,
    output: str | None,
    kept: tuple[str, ...],
    bom: bool | None,
    summary: dict[str, Any],
) -> None:
    plan, rows, loaded = result.plan, result.outcome.rows, result.loaded
    columns = result_columns(plan, kept)
    chunks: Iterator[str] | Iterator[bytes]
    if fmt == "jsonl":
        chunks = jsonl_lines(plan, rows, loaded.kept, kept)
    elif fmt == "json":
        chunks = json_document(result_rows(plan, rows, loaded.kept, kept), result.errors, summary)
    elif fmt == "csv":
        from policyc.io.columns import output_kinds

        typed = result_rows(plan, rows, loaded.kept, kept, typed=True)
        # a file for Excel gets a BOM; a stream (stdout, a FIFO, a device) does not
        with_bom = bom if bom is not None else bool(output) and _regular_or_new(output)
        chunks = to_csv(columns, typed, with_bom, output_kinds(plan))
    elif fmt == "xlsx":
        from policyc.io.columns import output_kinds
        from policyc.io.xlsx import to_xlsx

        if not output:
            raise click.UsageError(
                "--format xlsx needs -o FILE.xlsx (a workbook is not text for a terminal)"
            )
        typed = result_rows(plan, rows, loaded.kept, kept, typed=True)
        chunks = iter([to_xlsx(columns, typed, output_kinds(plan), result.errors)])
    else:
        chunks = to_table(columns, result_rows(plan, rows, loaded.kept, kept))
    if output:
        write_output("eval", output, chunks)  # on failure the old file stays
        return
    write_stdout(chunks)  # type: ignore[arg-type]  # text: a workbook needs -o


def _regular_or_new(output: str | None) -> bool:
    path = Path(output or "")
    return not path.exists() or path.is_file()
