"""`policyc test`: run the examples written in policies, and in `X.test.policy` beside X.

An example's `given` lines are records, validated against the policy's record declaration as
CSV rows are; the plan runs over them with tracing on; each `expect` value is compared
exactly (Decimal equality, so `80.10` equals `80.1`). A failure cites the example line and
carries the explanation of the value that came out.
"""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from policyc.backend.closures.compile import Plan
from policyc.diagnostics import did_you_mean, render_all
from policyc.explain import explain_output
from policyc.fmt.layout import find_policy_files, parse_policy
from policyc.fmt.text import is_bare, literal_text
from policyc.io.records import RecordSchema, cells_to_data
from policyc.io.records import _message as record_message
from policyc.pipeline import check_file, compile_checked
from policyc.runtime.engine import run
from policyc.runtime.values import RowEnv, month_ord, ord_month, plain
from policyc.semantics.hidden import user_name
from policyc.semantics.model import Model
from policyc.source import SourceFile
from policyc.syntax import ast as A

TEST_SUFFIX = ".test.policy"
MAX_MONTHS = 1200  # a `given` range longer than a century is a typo, not a test
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Failure:
    """One thing that went wrong in an example, at one line of it."""

    where: str  # FILE:LINE
    message: str
    expected: str | None = None
    actual: str | None = None
    explanation: str = ""


@dataclass(frozen=True)
class ExampleResult:
    title: str
    where: str  # FILE:LINE of the `example` line
    failures: tuple[Failure, ...]
    checks: int  # expected values compared

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class FileResult:
    path: str
    examples: tuple[ExampleResult, ...]
    problem: str = ""  # the policy does not check, or the test file is not one

    @property
    def ok(self) -> bool:
        return not self.problem and all(e.ok for e in self.examples)


# ---- finding and running files ---------------------------------------------------------------


def files_to_test(paths: Sequence[str | Path]) -> list[Path]:
    """Policy files to test: those named, each with its `X.test.policy` beside it, and every
    `*.policy` under the directories named. Raises FileNotFoundError for a missing path."""
    out: list[Path] = []
    for path in find_policy_files(paths):
        out.append(path)
        sibling = path.with_name(path.name[: -len(".policy")] + TEST_SUFFIX)
        if not path.name.endswith(TEST_SUFFIX) and sibling.is_file():
            out.append(sibling)
    return list(dict.fromkeys(out))


def run_file(path: Path) -> FileResult:
    """Check a policy and run its examples; a test file runs against the policy beside it."""
    name = str(path)
    policy_path = path
    if path.name.endswith(TEST_SUFFIX):
        policy_path = path.with_name(path.name[: -len(TEST_SUFFIX)] + ".policy")
        if not policy_path.is_file():
            return FileResult(name, (), f"no policy `{policy_path}` beside this test file")
    checked = check_file(policy_path)
    if not checked.ok or checked.model is None:
        shown = render_all(checked.diagnostics, {checked.source.name: checked.source})
        return FileResult(name, (), shown or "the policy could not be read")
    plan = compile_checked(checked)
    if policy_path == path:
        examples = checked.model.examples
    else:
        found = _test_file_examples(path)
        if isinstance(found, str):
            return FileResult(name, (), found)
        examples = found
    return FileResult(name, tuple(_guarded(plan, ex) for ex in examples))


def _guarded(plan: Plan, example: A.Example) -> ExampleResult:
    """One example; a crash inside policyc fails that example, and the others still run."""
    try:
        return run_example(plan, example)
    except Exception as e:  # a bug in policyc, reported like `policyc` reports one
        why = Failure(example.span.where, f"policyc internal error: {type(e).__name__}: {e}")
        return ExampleResult(example.title, example.span.where, (why,), 0)


def _test_file_examples(path: Path) -> list[A.Example] | str:
    source = SourceFile.read(path)
    policy, diags = parse_policy(source)
    if policy is None or diags:
        return render_all(diags, {source.name: source})
    others = [s for s in policy.stmts if not isinstance(s, A.Example)]
    if others:
        line = others[0].span.line
        return f"{path}:{line}: a test file holds only `example` blocks"
    return [s for s in policy.stmts if isinstance(s, A.Example)]


def run_files(paths: Iterable[Path]) -> list[FileResult]:
    return [run_file(p) for p in paths]


# ---- one example -----------------------------------------------------------------------------


def run_example(plan: Plan, example: A.Example) -> ExampleResult:
    """Build the example's records, evaluate them with tracing, compare every expectation."""
    failures: list[Failure] = []
    rows, origin = _build_rows(plan, example, failures)
    expects = [x for x in example.lines if x.kind == "expect"]
    if not expects:
        failures.append(Failure(example.span.where, "the example has no `expect` line"))
    if failures:
        return ExampleResult(example.title, example.span.where, _unique(failures), 0)
    outcome = run(plan, rows, {r.key[0] for r in rows})
    for err in outcome.errors:
        key, line = origin[err.line]  # a row's `line` is its index, to know whose error it is
        column = user_name(plan.model, err.column)
        msg = f"{_who(key)}: cannot be evaluated: `{column}`: {err.message}"
        failures.append(Failure(line.span.where, msg))
    evaluated = {r.key: r for r in outcome.rows}
    given = {key for key, _line in origin.values()}
    checks = 0
    for line in expects:
        for key in _keys(plan.model, line, failures):
            row = evaluated.get(key)
            if row is None:
                why = "no evaluated row" if key in given else "no `given` line gives this row"
                failures.append(Failure(line.span.where, f"{_who(key)}: {why}"))
                continue
            for a in line.assigns:
                checks += 1
                failure = _compare(plan, row, a, key)
                if failure is not None:
                    failures.append(failure)
    return ExampleResult(example.title, example.span.where, _unique(failures), checks)


def _unique(failures: list[Failure]) -> tuple[Failure, ...]:
    """Each failure once: a bad value in a `given` range is one mistake, not one a month."""
    return tuple(dict.fromkeys(failures))


def _who(key: tuple[str, ...]) -> str:
    return " ".join(k for k in key if k)


def _keys(model: Model, line: A.ExampleLine, failures: list[Failure]) -> list[tuple[str, str]]:
    """The (employee, month) keys a `given` or `expect` line names; a range is every month."""
    if model.period_field is None:
        if line.first is not None:
            failures.append(
                Failure(line.span.where, "the policy has no month in its key; leave the month out")
            )
            return []
        return [(line.key, "")]
    if line.first is None:
        failures.append(
            Failure(line.span.where, f"give a month after `{line.key}`, e.g. `{line.key} 2021-01`")
        )
        return []
    last = line.last or line.first
    for m in (line.first, last):
        if not _MONTH.fullmatch(m):
            failures.append(Failure(line.span.where, f"`{m}` is not a month (write YYYY-MM)"))
            return []
    lo, hi = month_ord(line.first), month_ord(last)
    if hi < lo or hi - lo >= MAX_MONTHS:
        failures.append(Failure(line.span.where, f"`{line.first} to {last}` is not a month range"))
        return []
    return [(line.key, ord_month(o)) for o in range(lo, hi + 1)]


Origin = dict[int, tuple[tuple[str, str], A.ExampleLine]]


def _build_rows(
    plan: Plan, example: A.Example, failures: list[Failure]
) -> tuple[list[RowEnv], Origin]:
    """One record per (employee, month); a later `given` line for the same employee-month
    adds to or replaces the values of an earlier one. Fields left out are blank."""
    model = plan.model
    records: dict[tuple[str, str], tuple[dict[str, object], A.ExampleLine]] = {}
    keys = {model.id_field, model.period_field} - {None}
    for line in (x for x in example.lines if x.kind == "given"):
        values: dict[str, object] = {}
        for a in line.assigns:
            if a.name in keys:
                failures.append(
                    Failure(line.span.where, f"`{a.name}` comes from the line's key; leave it out")
                )
            elif a.name not in model.fields:
                hint = did_you_mean(a.name, model.fields)
                msg = f"the record has no field `{a.name}`" + (f"; {hint}" if hint else "")
                failures.append(Failure(line.span.where, msg))
            else:
                values[a.name] = a.value
        for key in _keys(model, line, failures):
            old, first_line = records.get(key, ({}, line))
            records[key] = ({**old, **values}, first_line)
    rows: list[RowEnv] = []
    origin: Origin = {}
    validators: dict[frozenset[str], RecordSchema] = {}
    for key, (values, line) in records.items():
        row = _record(plan, key, values, line, failures, validators)
        if row is not None:
            row.line = len(rows) + 1
            origin[row.line] = (key, line)
            rows.append(row)
    return rows, origin


def _record(
    plan: Plan,
    key: tuple[str, str],
    values: dict[str, object],
    line: A.ExampleLine,
    failures: list[Failure],
    validators: dict[frozenset[str], RecordSchema],
) -> RowEnv | None:
    model = plan.model
    cells = {name: _cell(v) for name, v in values.items()}
    if model.id_field:
        cells[model.id_field] = key[0]
    if model.period_field:
        cells[model.period_field] = key[1]
    given = frozenset(cells)
    if given not in validators:
        validators[given] = _validator(model, given)
    schema = validators[given]
    try:  # the CSV path: blank cells left out, then the declaration's types and defaults
        got = schema.validate(cells_to_data(list(cells), list(cells.values())))
    except ValidationError as e:
        for err in e.errors(include_url=False):
            col = str(err["loc"][0]) if err["loc"] else "-"
            why = record_message(err, model)
            # the row as `expect` failures name it (with its month), then the field once:
            # `E1 2024-01: 底薪: `1.005` has ...`, `E1 2024-01: 底薪 is blank, ...`
            sep = " " if why.startswith("is ") else ": "
            failures.append(Failure(line.span.where, f"{_who(key)}: {col}{sep}{why}"))
        return None
    v = schema.values(got, plan.field_names)
    v.extend([None] * (plan.nslots - len(v)))
    return RowEnv(v, key, month_ord(key[1]) if key[1] else 0, line.span.line)


def _cell(value: object) -> str:
    """A given value as the CSV cell it stands for, so it is validated the same way."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, A.LabelValue):
        return value.name
    return str(value)


def _validator(model: Model, given: frozenset[str]) -> RecordSchema:
    """The record model, except that a field the example leaves out may be blank: an example
    states only what its rule reads. A field given as `none` is still checked."""
    fields = {
        name: f if name in given or f.optional else dataclasses.replace(f, optional=True)
        for name, f in model.fields.items()
    }
    return RecordSchema(dataclasses.replace(model, fields=fields))


def _compare(plan: Plan, row: RowEnv, a: A.Assign, key: tuple[str, str]) -> Failure | None:
    where = f"{a.span.file}:{a.span.line}" if a.span.line else ""
    slot = plan.slots.get(a.name)
    if slot is None or a.name.startswith("_"):
        known = [n for n in plan.slots if not n.startswith("_")]
        hint = did_you_mean(a.name, known)
        return Failure(where, f"nothing is named `{a.name}`" + (f"; {hint}" if hint else ""))
    actual = row.v[slot]
    if same_value(a.value, actual):
        return None
    expected, got = literal_text(a.value), value_text(actual)
    return Failure(
        where,
        f"{_who(key)}: {a.name}: expected {expected}, got {got}",
        expected,
        got,
        explain_output(plan, row, a.name),
    )


def same_value(expected: object, actual: Any) -> bool:
    """Exact comparison: numbers as Decimals, labels and texts as strings, no coercion
    between kinds (`true` is not `1`)."""
    if expected is None or isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, Decimal):
        is_number = isinstance(actual, Decimal | int) and not isinstance(actual, bool)
        return is_number and bool(actual == expected)
    if isinstance(expected, A.LabelValue):
        return isinstance(actual, str) and actual == expected.name
    return isinstance(actual, str) and actual == expected


def value_text(value: Any) -> str:
    """An evaluated value written the way an example would write it."""
    if value is None or isinstance(value, bool):
        return literal_text(value)
    if isinstance(value, Decimal | int):
        return str(plain(Decimal(value)))
    if isinstance(value, str):
        return value if is_bare(value) else literal_text(value)
    return str(value)


# ---- reports -----------------------------------------------------------------------------------


def summary(results: Sequence[FileResult]) -> tuple[int, int]:
    """(examples passed, failures) where a policy that does not check is one failure."""
    passed = sum(1 for r in results for e in r.examples if e.ok)
    failed = sum(1 for r in results for e in r.examples if not e.ok)
    return passed, failed + sum(1 for r in results if r.problem)


def report_text(results: Sequence[FileResult]) -> str:
    out: list[str] = []
    for r in results:
        out.append(r.path)
        if r.problem:
            out.append("  FAIL  the examples cannot run")
            out.extend("        " + line for line in r.problem.splitlines())
        elif not r.examples:
            out.append("  (no examples)")
        for e in r.examples:
            out.append(f"  {'ok  ' if e.ok else 'FAIL'}  {e.title}")
            for f in e.failures:
                out.append(f"        {f.where}: {f.message}" if f.where else f"        {f.message}")
                out.extend("        " + line for line in f.explanation.splitlines())
    passed, failed = summary(results)
    files = len(results)
    out.append(f"{passed} passed, {failed} failed, in {files} file{'s' * (files != 1)}")
    return "\n".join(out) + "\n"


def report_json(results: Sequence[FileResult]) -> str:
    passed, failed = summary(results)
    data = {
        "passed": passed,
        "failed": failed,
        "files": [
            {
                "file": r.path,
                "ok": r.ok,
                "problem": r.problem or None,
                "examples": [
                    {
                        "title": e.title,
                        "where": e.where,
                        "ok": e.ok,
                        "checks": e.checks,
                        "failures": [dataclasses.asdict(f) for f in e.failures],
                    }
                    for e in r.examples
                ],
            }
            for r in results
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: a control character from a bad file would break the report."""
    return _XML_BAD.sub("\ufffd", text)


def report_junit(results: Sequence[FileResult]) -> str:
    """JUnit XML: a suite per file, a test case per example (and one for a failed check)."""
    passed, failed = summary(results)
    root = ET.Element(
        "testsuites", name="policyc test", tests=str(passed + failed), failures=str(failed)
    )
    for r in results:
        cases = len(r.examples) + (1 if r.problem else 0)
        bad = sum(1 for e in r.examples if not e.ok) + (1 if r.problem else 0)
        suite = ET.SubElement(
            root, "testsuite", name=_xml(r.path), tests=str(cases), failures=str(bad)
        )
        if r.problem:
            case = ET.SubElement(suite, "testcase", classname=_xml(r.path), name="check")
            fail = ET.SubElement(case, "failure", message="the policy does not check")
            fail.text = _xml(r.problem)
        for e in r.examples:
            case = ET.SubElement(suite, "testcase", classname=_xml(r.path), name=_xml(e.title))
            case.set("file", _xml(r.path))
            case.set("line", e.where.rsplit(":", 1)[-1])
            if e.failures:
                first = e.failures[0]
                fail = ET.SubElement(case, "failure", message=_xml(first.message))
                fail.text = _xml(
                    "\n".join(
                        f"{f.where}: {f.message}" + (f"\n{f.explanation}" if f.explanation else "")
                        for f in e.failures
                    )
                )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


REPORTS = {"text": report_text, "json": report_json, "junit": report_junit}
