"""Mutated and hostile policies: `check` answers with located diagnostics, never a traceback.

The mutations are bench/fuzz.py's (deleted, duplicated and swapped tokens, truncation, stray
Unicode, full-width punctuation, tabs, CRLF, deep nesting, huge numbers), driven here by
hypothesis's shrinkable randomness and bounded so the suite stays fast; `bench/fuzz.py`
runs thousands of them.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from conftest import EXAMPLE_A_REL, ROOT, checked_text, errors_of, run_cli, run_inline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.backend.closures.compile import Plan
from policyc.diagnostics import render_all
from policyc.syntax.lower import MAX_INLINED_DEPTH, MAX_INLINED_NODES, MAX_NUMBER_DIGITS
from policyc.syntax.parse import MAX_NESTING, MAX_POLICY_CHARS


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("policyc_bench_fuzz", ROOT / "bench" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()
POLICIES = sorted((ROOT / "policies").glob("*.policy"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in POLICIES}
DIAG = re.compile(r"^(?P<file>.+?\.policy):(?P<line>\d+):(?P<col>\d+): (error|warning)\[E\d{4}\]")
HEAD = 'policy "t"\nrecord\n  employee_id : id\n  period : month\n  s : score\nkey employee_id, period\n'
# every ASCII form that has a full-width twin, in the places the language uses it
SAMPLE = HEAD + (
    "x = if s >= 60 and s <= 90 then max(s, 1) + 2 - 1 else s * 2 / 4\n"
    "y = table first over s, x\n"
    '  >= 80 | < 10 -> "a"\n'
    '  > 60 | any   -> "b"\n'
    '  otherwise    -> "c"\n'
    "z = s * 20%  # a comment; with a semicolon\n"
    "output x, y, z\n"
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_PLANS: dict[Path, Plan] = {}


def test_the_bundled_policies_are_all_fuzzed() -> None:
    assert len(POLICIES) >= 6
    assert {"cs_levels_2021.policy", "call_center_bonus.policy"} <= set(TEXTS)


def test_mutations_change_the_text_and_often_break_it() -> None:
    """The generator is not vacuous: most mutants differ, many no longer check clean."""
    text = TEXTS["cs_levels_2021.policy"]
    mutants = [fuzz.mutate_policy(text, random.Random(i)) for i in range(60)]
    assert sum(m != text for m in mutants) >= 55
    broken = sum(not fuzz.check_policy_text(m)[0] for m in mutants)
    assert 15 <= broken <= 58


def test_the_sample_checks_clean_and_holds_every_ascii_form() -> None:
    assert errors_of(checked_text(SAMPLE)) == []
    assert all(ascii_form in SAMPLE for ascii_form in fuzz.FULL_WIDTH)


def test_tokens_join_back_to_the_text() -> None:
    for text in TEXTS.values():
        assert "".join(fuzz.tokens(text)) == text


@FUZZ
@given(st.sampled_from(sorted(TEXTS)), st.randoms(use_true_random=False))
def test_mutated_policies_get_diagnostics_never_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, name: str, rnd: random.Random
) -> None:
    text = fuzz.mutate_policy(TEXTS[name], rnd)
    ok, problems = fuzz.check_policy_text(text, name)
    assert problems == [], "\n".join(problems)
    if ok:  # a mutant that still checks clean must also compile and evaluate
        work = tmp_path_factory.mktemp("mutant")
        problems = fuzz.evaluate_mutant(text, ROOT / "policies" / name, _PLANS, work)
        assert problems == [], "\n".join(problems)


def _located(out: str, files: dict[str, str]) -> int:
    """Check every `FILE:LINE:COL:` head in `out` points inside its file; count them."""
    seen = 0
    for line in out.splitlines():
        m = DIAG.match(line)
        if not m:
            continue
        seen += 1
        lines = files[m["file"]].replace("\r\n", "\n").replace("\r", "\n").split("\n")
        row, col = int(m["line"]), int(m["col"])
        assert 1 <= row <= len(lines), line
        assert 1 <= col <= len(lines[row - 1]) + 1, line
    return seen


def test_cli_check_on_mutants_exits_0_or_1_without_traceback(tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for i in range(40):
        name = sorted(TEXTS)[i % len(TEXTS)]
        text = fuzz.mutate_policy(TEXTS[name], random.Random(1000 + i))
        path = tmp_path / f"m{i}.policy"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        files[str(path)] = text
    proc = run_cli("check", *files)
    out = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), out[-2000:]
    assert "Traceback" not in out and "internal error" not in out
    assert proc.returncode == 1 and _located(proc.stdout, files) > 0


def test_cli_check_on_bytes_that_are_not_a_policy(tmp_path: Path) -> None:
    rnd = random.Random(7)
    paths = []
    for i, data in enumerate(
        [
            bytes(rnd.randrange(256) for _ in range(3000)),
            b"\xff\xfe" + "policy".encode("utf-16-le"),
            b"\x00" * 100,
            b'policy "x"\n' + b"(" * 50_000,
            "：，（）；≥≤→\u3000😀".encode() * 100,
        ]
    ):
        path = tmp_path / f"junk{i}.policy"
        path.write_bytes(data)
        paths.append(path)
    proc = run_cli("check", *paths)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-2000:]
    assert "Traceback" not in out and "internal error" not in out
    assert sum(1 for line in proc.stdout.splitlines() if DIAG.match(line)) >= len(paths)


def test_broken_policy_given_to_eval_exits_1_with_diagnostics(tmp_path: Path) -> None:
    broken = []
    for i in range(200):
        name = sorted(TEXTS)[i % len(TEXTS)]
        text = fuzz.mutate_policy(TEXTS[name], random.Random(i))
        if errors_of(checked_text(text)):
            broken.append(text)
        if len(broken) == 3:
            break
    assert len(broken) == 3
    for i, text in enumerate(broken):
        path = tmp_path / f"broken{i}.policy"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        proc = run_cli("eval", path, EXAMPLE_A_REL)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert proc.stdout == ""
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        assert any(DIAG.match(line) for line in proc.stderr.splitlines()), proc.stderr


# ---- full-width punctuation from a Chinese keyboard -------------------------------------------


@pytest.mark.parametrize(("ascii_form", "wide"), sorted(fuzz.FULL_WIDTH.items()))
def test_full_width_forms_are_accepted_or_named_in_ascii(ascii_form: str, wide: str) -> None:
    """Each full-width form, put in place of its ASCII form anywhere in a bundled policy,
    is read as that form or answered with a hint that names the ASCII form."""
    tried = 0
    for name, text in [*TEXTS.items(), ("sample.policy", SAMPLE)]:
        starts = [m.start() for m in re.finditer(re.escape(ascii_form), text)]
        for at in starts[:: max(1, len(starts) // 3)][:3]:
            mutant = text[:at] + wide + text[at + len(ascii_form) :]
            tried += 1
            errors = errors_of(checked_text(mutant, name))
            if not errors:
                continue
            named = f"`{ascii_form}`" if ascii_form != " " else "ordinary space"
            assert any(named in f"{d.message} {d.help}" for d in errors), (
                f"{name}: `{wide}` for `{ascii_form}` at offset {at}: "
                + "; ".join(f"{d.span.line}:{d.span.column} {d.message} / {d.help}" for d in errors)
            )
    assert tried > 0


@pytest.mark.parametrize(
    "line",
    [
        "x = if s ≥ 60 then 1 else 0",
        "x = if s ≤ 60 then 1 else 0",
        "x = if s ≠ 60 then 1 else 0",
        "x = max（s，1）",
        "x = band s\n  ≥ 60 → 1\n  otherwise → 0",
        "x = s × 2 ÷ 4 − 1",
        "x = s * 20％",
        "x ＝ if s ＞ 60 and s ＜＝ 90 then s ＋ 1 － 2 ＊ 3 ／ 4 else 0",
        "x = table first over s, s\n  ＞＝ 60 ｜ any －＞ 1\n  otherwise → 0",
        "x\u3000=\u3000s\u3000+ 1",
    ],
)
def test_accepted_typographic_forms_check_clean(line: str) -> None:
    assert errors_of(checked_text(HEAD + line + "\noutput x\n")) == []


@pytest.mark.parametrize(
    ("line", "ascii_form"),
    [
        ("x = record．s", "`.`"),
        ("x = s + 1；", "`;`"),
        ('x = if s > 1 then ＂a" else "b"', '`"`'),
    ],
)
def test_rejected_full_width_forms_get_a_hint_naming_the_ascii_form(
    line: str, ascii_form: str
) -> None:
    errors = errors_of(checked_text(HEAD + line + "\noutput x\n"))
    assert errors
    assert any(ascii_form in (d.help or "") for d in errors), [(d.message, d.help) for d in errors]
    assert all(d.span.line == 7 for d in errors)


@pytest.mark.parametrize(
    ("indent", "column", "hint"), [("    ", 5, "line it up"), (" ", 2, "by 0 or 2 spaces")]
)
def test_bad_indentation_is_located_on_its_line(indent: str, column: int, hint: str) -> None:
    errors = errors_of(checked_text(HEAD.replace("  period", indent + "period") + "output s\n"))
    d = errors[0]
    assert (d.code, d.span.line, d.span.column) == ("E0002", 4, column)
    assert "indentation" in d.message and hint in (d.help or "")


# ---- bounded by construction --------------------------------------------------------------------

DEEP = {
    "parentheses": "(" * 5000 + "s" + ")" * 5000,
    "minus signs": "-" * 5000 + "s",
    "nots": "not " * 3000 + "(s > 1)",
    "a long sum": " + ".join(["s"] * 5000),
    "nested ifs": "if s > 1 then " * 2000 + "1" + " else 0" * 2000,
    "nested calls": "max(1, " * 2000 + "s" + ")" * 2000,
    "unclosed parentheses": "(" * 20000,
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_nesting_is_a_diagnostic_not_a_recursion_error(kind: str) -> None:
    started = time.perf_counter()
    checked = checked_text(HEAD + "x = " + DEEP[kind] + "\noutput x\n")
    assert time.perf_counter() - started < 10
    codes = {d.code for d in errors_of(checked)}
    assert codes & {"E0004", "E0002"}, codes
    if kind != "unclosed parentheses":
        assert codes == {"E0004"}
        assert errors_of(checked)[0].span.line == 7


def test_nesting_just_under_the_limit_still_evaluates(tmp_path: Path) -> None:
    def policy(depth: int) -> str:
        return HEAD + "x = " + "-" * depth + "s\noutput x\n"

    deepest = next(d for d in range(MAX_NESTING, 0, -1) if not errors_of(checked_text(policy(d))))
    assert deepest >= MAX_NESTING - 10  # the statement around the expression takes a few levels
    assert {d.code for d in errors_of(checked_text(policy(deepest + 1)))} == {"E0004"}
    r = run_inline(tmp_path, policy(deepest), "employee_id,period,s\nE1,2021-01,7\n")
    assert r.out("E1", "2021-01")["x"] == ("-7" if deepest % 2 else "7")


def test_numbers_past_the_digit_limit_are_a_diagnostic() -> None:
    at_limit = "9" * MAX_NUMBER_DIGITS
    assert errors_of(checked_text(HEAD + f"x = s + {at_limit}\noutput x\n")) == []
    for big in ("9" * (MAX_NUMBER_DIGITS + 1), "1" * 5000, "0." + "0" * 40 + "1", "1" * 40 + "%"):
        errors = errors_of(checked_text(HEAD + f"x = s + {big}\noutput x\n"))
        assert [d.code for d in errors] == ["E0005"], big
        assert (errors[0].span.line, errors[0].span.column) == (7, 9)


def test_a_policy_past_the_length_limit_is_refused_quickly() -> None:
    text = HEAD + "# " + "x" * MAX_POLICY_CHARS + "\noutput s\n"
    started = time.perf_counter()
    errors = errors_of(checked_text(text))
    assert time.perf_counter() - started < 2
    assert [d.code for d in errors] == ["E0003"]
    assert f"{MAX_POLICY_CHARS}" in errors[0].message


def test_function_calls_that_multiply_are_refused_quickly() -> None:
    """`f1` calls `f0` twice, `f2` calls `f1` twice...: inlined, 2^40 nodes from 1 KB."""
    funcs = "f0(v) = v + 1\n" + "".join(
        f"f{i}(v) = f{i - 1}(v) + f{i - 1}(v)\n" for i in range(1, 40)
    )
    started = time.perf_counter()
    checked = checked_text(HEAD + funcs + "x = f39(s)\noutput x\n")
    assert time.perf_counter() - started < 10
    e9 = [d for d in errors_of(checked) if d.code == "E0009"]
    assert e9 and f"{MAX_INLINED_NODES}" in e9[0].message
    m = re.match(r"function `f(\d+)`", e9[0].message)
    assert m and 10 <= int(m[1]) <= 16  # about 2^n nodes: cut where the limit is passed
    assert e9[0].span.line == 7 + int(m[1])


def test_long_chains_of_functions_are_refused_not_a_recursion_error() -> None:
    funcs = "f0(v) = v + 1\n" + "".join(f"f{i}(v) = f{i - 1}(v) + 1\n" for i in range(1, 1000))
    checked = checked_text(HEAD + funcs + "x = f999(s)\noutput x\n")
    e9 = [d for d in errors_of(checked) if d.code == "E0009"]
    assert e9 and f"{MAX_INLINED_DEPTH}" in e9[0].message


def test_many_calls_of_a_large_function_hit_the_policy_total() -> None:
    funcs = "f0(v) = v + 1\n" + "".join(
        f"f{i}(v) = f{i - 1}(v) + f{i - 1}(v)\n" for i in range(1, 12)
    )
    defs = "".join(f"x{i} = f11(s)\n" for i in range(200))
    started = time.perf_counter()
    checked = checked_text(HEAD + funcs + defs + "output x0\n")
    assert time.perf_counter() - started < 20
    messages = [d.message for d in errors_of(checked) if d.code == "E0009"]
    assert any("takes the policy past" in m for m in messages)


# ---- nothing is executed as Python ---------------------------------------------------------------

CALLS = re.compile(r"(?<![\w.])(eval|exec|compile|__import__|execfile|breakpoint)\s*\(")


def test_the_package_never_calls_eval_or_exec() -> None:
    offenders = []
    for path in sorted((ROOT / "policyc").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if CALLS.search(code) or re.search(r"\bimport (pickle|marshal|shelve)\b", code):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_see_a_call() -> None:
    assert CALLS.search("x = eval(text)") and CALLS.search("exec (code)")
    assert not CALLS.search("plan = evaluate(x)") and not CALLS.search("re.compile(p)")


def test_python_in_a_policy_or_a_record_is_only_text(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    policy = tmp_path / "p.policy"
    policy.write_text(
        HEAD.replace("  s : score\n", "  s : score\n  note : text?\n")
        + f'x = if note is "{payload}" then 1 else 0\n'
        + f"# {payload}\noutput x, note\n",
        encoding="utf-8",
    )
    records = tmp_path / "r.csv"
    records.write_text(
        f'employee_id,period,s,note\nE1,2021-01,5,"{payload}"\nE2,2021-01,{payload},x\n',
        encoding="utf-8",
    )
    proc = run_cli("eval", policy, records, "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr  # row 3's score is Python, reported as not a number
    assert not marker.exists()
    assert '"x": "1"' in proc.stdout and ":3:s:" in proc.stderr
    check = run_cli("check", tmp_path / "p.policy")
    assert check.returncode == 0 and not marker.exists()


@pytest.mark.parametrize(
    "expr",
    [
        "round(s, 48)",
        "round(s * 1" + "0" * 27 + " * 1" + "0" * 27 + ", 2)",
        "max(round(true, 2), m)",
    ],
)
def test_the_type_checker_answers_odd_arithmetic_with_diagnostics(expr: str) -> None:
    head = HEAD.replace("  s : score\n", "  s : score\n  m : money places 2\n")
    checked = checked_text(head + f"x = {expr}\noutput x\n")
    assert all(d.span.line == 8 for d in checked.diagnostics)


def test_diagnostics_show_control_characters_escaped_and_carets_aligned() -> None:
    """A terminal escape in a policy is shown, not obeyed; a tab is one column."""
    checked = checked_text(HEAD + "x = \x1b[31m s\ny =\tnope\noutput x, y\n")
    text = render_all(checked.diagnostics, {"t.policy": checked.source})
    assert "\x1b" not in text and "\\x1b" in text
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith(("7 | ", "8 | ")):
            caret = lines[n + 1]
            col = caret.index("^") - len("7 | ")
            word = "\\x1b" if line.startswith("7") else "nope"
            assert line[len("7 | ") :][col:].startswith(word), (line, caret)


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("  m : money places 2000000000000000000000000000000\n", "decimal places"),
        ("window w = every 99999999999999999999999 months\n", "months"),
    ],
)
def test_huge_counts_get_a_diagnostic_and_evaluation_never_starts(line: str, what: str) -> None:
    """Found by fuzzing: `places 2222…` reached pydantic and overflowed building the record
    model. A count past its limit is E0005, and only E0005."""
    text = (
        HEAD.replace("  s : score\n", "  s : score\n" + line) if "places" in line else HEAD + line
    )
    checked = checked_text(text + "x = s\noutput x\n")
    errors = errors_of(checked)
    assert [d.code for d in errors] == ["E0005"] and what in errors[0].message
