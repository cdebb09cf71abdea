"""The static checker: golden diagnostics, the interval logic behind band and table checks,
the type inference the checks rely on, the stated limits, and the error catalogue.

Golden files: each `tests/check_cases/bad/NAME.policy` has `NAME.expected`, the exact
rendered output of `policyc check` (carets included). Regenerate them with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_check.py` and review the diff.
"""

from __future__ import annotations

import os
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.diagnostics import Severity, render, render_all
from policyc.pipeline import Checked, check_source
from policyc.semantics.checks import CHECKS, check_model
from policyc.semantics.checks.intervals import (
    Interval,
    IntervalSet,
    LabelSet,
    box_minus,
    region_minus,
)
from policyc.semantics.model import build_model
from policyc.semantics.types import Typer
from policyc.source import SourceFile, display_width
from policyc.syntax.lower import MAX_NUMBER_DIGITS, lower
from policyc.syntax.parse import MAX_POLICY_CHARS, parse

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "check_cases"
BAD = sorted((CASES / "bad").glob("*.policy"))
GOOD = sorted((CASES / "good").glob("*.policy"))
POLICIES = sorted((ROOT / "policies").glob("*.policy"))
ERRORS_DOC = ROOT / "docs" / "errors.md"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

D = Decimal


def check_text(text: str, name: str = "t.policy") -> Checked:
    return check_source(SourceFile.of(name, text))


def codes(checked: Checked) -> list[str]:
    return [d.code for d in checked.diagnostics]


def rendered(path: Path) -> str:
    source = SourceFile.of(path.name, path.read_text(encoding="utf-8"))
    checked = check_source(source)
    return render_all(checked.diagnostics, {source.name: source}) + "\n"


HEAD = """policy "t"
record
  employee_id : id
  period      : month
  role        : one of customer_rep, auditor
  score, overall : score?
  exact       : score places 2
  count       : integer 0..20
key employee_id, period
"""


# ---- golden diagnostics -----------------------------------------------------------------


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_policy_renders_as_expected(path: Path) -> None:
    expected_path = path.with_suffix(".expected")
    actual = rendered(path)
    if UPDATE or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_policy_has_findings_and_no_duplicates(path: Path) -> None:
    checked = check_text(path.read_text(encoding="utf-8"), path.name)
    assert checked.diagnostics, "a bad case must have at least one finding"
    keys = [(d.code, d.span.start, d.message) for d in checked.diagnostics]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_policy_checks_clean(path: Path) -> None:
    checked = check_text(path.read_text(encoding="utf-8"), path.name)
    assert checked.diagnostics == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_bundled_policy_has_no_errors(path: Path) -> None:
    checked = check_text(path.read_text(encoding="utf-8"), path.name)
    assert [d for d in checked.diagnostics if d.severity is Severity.ERROR] == []


def test_contract_a_has_no_findings_at_all() -> None:
    # `make demo` runs `policyc check` on it, which exits 1 on any finding
    path = ROOT / "policies" / "cs_levels_2021.policy"
    assert check_text(path.read_text(encoding="utf-8")).diagnostics == []


def test_caret_lands_under_the_name_after_chinese_text() -> None:
    text = HEAD.replace("score, overall", "绩效分数, overall") + "奖金 = 绩效分数 * 2 + 绩效分\n"
    checked = check_text(text)
    (diag,) = [d for d in checked.diagnostics if d.code == "E0101"]
    assert checked.source.text[diag.span.start : diag.span.end] == "绩效分"
    out = render(diag, {"t.policy": checked.source}).splitlines()
    source_line, caret_line = out[1], out[2]
    prefix = source_line[: source_line.rindex("绩效分")]
    assert caret_line.index("^") == display_width(prefix)
    assert caret_line.count("^") == display_width("绩效分")  # 3 characters, 6 cells


def test_every_golden_code_is_reached() -> None:
    """Every code the checker emits has a bad case that shows it (E0003/E0004 are below)."""
    seen = set()
    for path in BAD:
        seen |= set(re.findall(r"\[([EW]\d{4})\]", path.with_suffix(".expected").read_text()))
    emitted = codes_in_source(ROOT / "policyc" / "check")
    assert emitted - seen == set()


# ---- the catalogue -----------------------------------------------------------------------

# any string literal that is a code: `error("E0101", ...)`, `Diagnostic("E0101", ...)`, a table
CODE_CALL = re.compile(r"\"([EW]\d{4})\"")


def codes_in_source(root: Path) -> set[str]:
    found: set[str] = set()
    for py in root.rglob("*.py"):
        found |= set(CODE_CALL.findall(py.read_text(encoding="utf-8")))
    return found


def documented_codes() -> set[str]:
    return set(re.findall(r"^## ([EW]\d{4})\b", ERRORS_DOC.read_text(encoding="utf-8"), re.M))


def test_every_emitted_code_is_documented() -> None:
    emitted = codes_in_source(ROOT / "policyc")
    assert emitted, "the scan found no codes: the pattern is broken"
    missing = emitted - documented_codes()
    assert missing == set(), f"undocumented codes in docs/errors.md: {sorted(missing)}"


def test_no_documented_code_is_stale() -> None:
    assert documented_codes() - codes_in_source(ROOT / "policyc") == set()


def test_rendered_examples_in_the_catalogue_are_real() -> None:
    """A rendered block quoted from a golden case must be that case's output, verbatim."""
    doc = ERRORS_DOC.read_text(encoding="utf-8")
    quoted = 0
    for block in re.findall(r"```\n(.*?)```", doc, re.S):
        m = re.match(r"(\w+)\.policy:\d+:\d+: ", block)
        if m is None or not (CASES / "bad" / f"{m[1]}.expected").exists():
            continue
        expected = (CASES / "bad" / f"{m[1]}.expected").read_text(encoding="utf-8")
        assert block.strip() in expected, block
        quoted += 1
    assert quoted >= 40


def test_warnings_use_w_codes_and_errors_e_codes() -> None:
    for py in (ROOT / "policyc").rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        assert not re.search(r"\berror\(\s*\"W", text), py
        assert not re.search(r"\bwarning\(\s*\"E", text), py


def test_messages_follow_the_house_style() -> None:
    """Lowercase start, no final period, user text in backticks (spot-checked on goldens)."""
    for path in BAD:
        checked = check_text(path.read_text(encoding="utf-8"), path.name)
        for d in checked.diagnostics:
            assert not d.message.endswith("."), d.message
            first = d.message[0]
            assert not first.isupper(), d.message
            if d.help:
                assert not d.help.endswith("."), d.help


# ---- limits ------------------------------------------------------------------------------


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    text = HEAD + "x = " + "(" * 3000 + "score" + ")" * 3000 + "\noutput x\n"
    checked = check_text(text)
    assert codes(checked) == ["E0004"]
    assert checked.diagnostics[0].span.line == 10


def test_a_long_sum_is_within_the_nesting_limit_until_it_is_not() -> None:
    ok = check_text(HEAD + "x = " + " + ".join(["score"] * 20) + "\noutput x\n")
    assert codes(ok) == []
    deep = check_text(HEAD + "x = " + " + ".join(["score"] * 2000) + "\noutput x\n")
    assert codes(deep) == ["E0004"]


def test_too_long_policy_is_a_diagnostic() -> None:
    text = HEAD + "# " + "x" * MAX_POLICY_CHARS + "\n"
    checked = check_text(text)
    assert codes(checked) == ["E0003"]


def test_too_many_digits_is_a_diagnostic() -> None:
    number = "9" * (MAX_NUMBER_DIGITS + 1)
    checked = check_text(HEAD + f"x = score * {number}\noutput x\n")
    assert codes(checked) == ["E0005"]


# ---- intervals -----------------------------------------------------------------------------


def iv(lo: str | None, lo_closed: bool, hi: str | None, hi_closed: bool) -> Interval:
    return Interval(
        None if lo is None else D(lo), lo_closed, None if hi is None else D(hi), hi_closed
    )


def test_gap_between_79_99_and_80_holds_values_only_when_exact() -> None:
    rows = IntervalSet.of([iv(None, False, "79.99", True), iv("80", True, None, False)])
    gaps = rows.complement()
    (gap,) = gaps.parts
    assert gap.show() == "(79.99, 80)"
    assert gap.has_value(None)  # an exact mean can be 79.995
    assert not gap.has_value(2)  # a value of 2 places cannot
    assert gap.has_value(3)
    assert gap.witness(None) == D("79.995")
    assert gap.witness(3) == D("79.991")


def test_open_ends_that_meet_leave_one_point() -> None:
    rows = IntervalSet.of([iv(None, False, "80", False), iv("80", False, None, False)])
    (gap,) = rows.complement().parts
    assert gap.is_point() and gap.show() == "80"
    assert gap.has_value(0)


def test_closed_and_open_ends_that_meet_cover_everything() -> None:
    rows = IntervalSet.of([iv(None, False, "80", False), iv("80", True, None, False)])
    assert rows.parts == (Interval(),)
    assert rows.complement().parts == ()


def test_overlap_of_closed_ends_is_one_point() -> None:
    a = IntervalSet.of([iv("70", True, "80", True)])
    b = IntervalSet.of([iv("80", True, None, False)])
    (both,) = a.intersect(b).parts
    assert both.show() == "80"


def test_integer_precision_closes_gaps_between_whole_numbers() -> None:
    rows = IntervalSet.of([iv(None, False, "0", True), iv("1", True, "3", True)])
    domain = IntervalSet.of([iv("0", True, "3", True)])
    rest = domain.minus(rows)
    assert rest.has_value(None)
    assert not rest.has_value(0)


def test_gap_ends_remember_the_bounds_beside_them() -> None:
    from policyc.source import Span

    low = Span("f", 10, 20, 3, 1, 3, 11)
    high = Span("f", 30, 40, 4, 1, 4, 11)
    rows = IntervalSet.of(
        [
            Interval(None, False, D("50"), False, None, low),
            Interval(D("60"), True, None, False, high, None),
        ]
    )
    (gap,) = rows.complement().parts
    assert gap.show() == "[50, 60)"
    assert gap.lo_at == low and gap.hi_at == high


def test_label_sets() -> None:
    csr = LabelSet(frozenset({"csr"}))
    everything = LabelSet.everything()
    assert everything.minus(csr).show() == "other than `csr`"
    assert not csr.minus(everything).has_value()
    assert csr.union(LabelSet(frozenset({"qa"}))).items == {"csr", "qa"}


def test_box_minus_splits_into_disjoint_pieces() -> None:
    full = IntervalSet.of([iv("0", True, "100", True)])
    box = (full, full)
    corner = (
        IntervalSet.of([iv("80", True, "100", True)]),
        IntervalSet.of([iv("0", True, "10", True)]),
    )
    pieces = box_minus(box, corner, [None, None])
    assert len(pieces) == 2
    again = region_minus(pieces, corner, [None, None])
    assert again == pieces  # nothing of the corner is left to take away


SMALL = st.integers(min_value=0, max_value=20)


@st.composite
def bands(draw: st.DrawFn) -> list[Interval]:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        a, b = sorted((draw(SMALL), draw(SMALL)))
        out.append(iv(str(a), draw(st.booleans()), str(b), draw(st.booleans())))
    return out


@settings(max_examples=200, deadline=None)
@given(bands(), st.sampled_from([0, 1]))
def test_gaps_agree_with_brute_force_on_a_grid(rows: list[Interval], places: int) -> None:
    """A value of the grid is in a reported gap exactly when no row holds it."""
    domain = IntervalSet.of([iv("0", True, "20", True)])
    gaps = domain.minus(IntervalSet.of(rows)).pieces(places)
    step = D(1).scaleb(-places)
    for k in range(int(20 / step) + 1):
        v = step * k
        in_row = any(_holds(r, v) for r in rows)
        in_gap = any(_holds(g, v) for g in gaps)
        assert in_row != in_gap, (v, [r.show() for r in rows], [g.show() for g in gaps])


@st.composite
def boxes(draw: st.DrawFn) -> tuple[IntervalSet, IntervalSet]:
    dims = []
    for _ in range(2):
        a, b = sorted((draw(st.integers(0, 6)), draw(st.integers(0, 6))))
        dims.append(IntervalSet.of([iv(str(a), draw(st.booleans()), str(b), draw(st.booleans()))]))
    return dims[0], dims[1]


@settings(max_examples=150, deadline=None)
@given(st.lists(boxes(), min_size=1, max_size=4))
def test_region_minus_agrees_with_brute_force(cut: list[tuple[IntervalSet, IntervalSet]]) -> None:
    """What is left of a 2-input table after its rows: exactly the grid points no row holds,
    each in one piece only (the first-hit dead-row and coverage checks rest on this)."""
    full = IntervalSet.of([iv("0", True, "6", True)])
    region: list[tuple[IntervalSet, IntervalSet]] = [(full, full)]
    for box in cut:
        region = region_minus(region, box, [0, 0])
    for x in range(7):
        for y in range(7):
            p = (D(x), D(y))
            in_rows = any(_in_box(b, p) for b in cut)
            pieces = sum(1 for b in region if _in_box(b, p))
            assert pieces == (0 if in_rows else 1), (p, in_rows, pieces)


def _in_box(box: tuple[object, ...], p: tuple[Decimal, Decimal]) -> bool:
    return all(
        isinstance(d, IntervalSet) and any(_holds(i, v) for i in d.parts)
        for d, v in zip(box, p, strict=True)
    )


def _holds(i: Interval, v: Decimal) -> bool:
    above = i.lo is None or v > i.lo or (v == i.lo and i.lo_closed)
    below = i.hi is None or v < i.hi or (v == i.hi and i.hi_closed)
    return above and below


# ---- band and table checks on small policies -------------------------------------------------


def test_exact_subject_has_the_gap_two_places_do_not() -> None:
    band = "\n  at least 80 -> a\n  at most 79.99 -> b\n"
    text = HEAD + "window q = every 3 months\nm = mean(score over q)\n"
    text += "x = band m" + band + "y = band exact" + band + "output x, y\n"
    checked = check_text(text)
    (gap,) = checked.diagnostics
    assert gap.code == "E0401"
    assert gap.message == "`m` values in (79.99, 80) match no row"
    assert checked.source.text[gap.span.start : gap.span.end] == "at most 79.99"
    assert gap.help is not None and "write `below 80` instead of `at most 79.99`" in gap.help


def test_band_over_undeclared_range_reports_the_open_ends() -> None:
    text = (
        HEAD
        + "d = score - overall\nx = band d\n  at least 0 -> up\n  below -10 -> down\noutput x\n"
    )
    messages = [d.message for d in check_text(text).diagnostics]
    assert messages == ["`d` values in [-10, 0) match no row"]


def test_first_hit_dead_row_and_coverage() -> None:
    text = HEAD + (
        "x = table first over score, role\n  >= 50 | any -> 1\n  >= 60 | auditor -> 2\noutput x\n"
    )
    found = [(d.code, d.span.line) for d in check_text(text).diagnostics]
    assert ("E0403", 12) in found
    assert ("W0406", 10) in found


def test_unique_table_names_the_overlap() -> None:
    text = HEAD + (
        "x = table unique over score, role\n"
        "  >= 50 | any -> 1\n"
        "  >= 60 and < 70 | auditor -> 2\n"
        "  otherwise -> 0\n"
        "output x\n"
    )
    (d,) = check_text(text).diagnostics
    assert d.code == "E0405"
    assert d.message == (
        "this row and the row on line 11 both match `score` in [60, 70) and `role` is `auditor`"
    )


# ---- types ----------------------------------------------------------------------------------


def typer_for(text: str) -> Typer:
    source = SourceFile.of("t.policy", text)
    tree, diags = parse(source)
    assert tree is not None, diags
    policy, _ = lower(tree, source)
    return Typer(build_model(policy), source)


def test_weighted_sum_of_scores_is_0_to_100_exact() -> None:
    t = typer_for(HEAD + "w = weighted score 60%, overall 40%\n").value("w")
    assert (t.kind, t.low, t.high, t.places) == ("num", 0, 100, None)


def test_mean_of_two_place_values_is_exact() -> None:
    typer = typer_for(HEAD + "window q = every 3 months\nm = mean(exact over q)\n")
    assert typer.field("exact").places == 2
    t = typer.value("m")
    assert (t.low, t.high, t.places) == (0, 100, None)


def test_integer_arithmetic_keeps_whole_numbers() -> None:
    t = typer_for(HEAD + "n = count * 2 + count - 3\n").value("n")
    assert (t.low, t.high, t.places) == (-3, 57, 0)


def test_labels_of_a_band_joined_with_its_override() -> None:
    text = HEAD.replace("key", "  d : one of hold, stay ?\nkey") + (
        "a = band score\n  above 50 -> up\n  at most 50 -> stay\noverride a with d\n"
    )
    t = typer_for(text).value("a")
    assert t.kind == "label" and t.labels == ("up", "stay", "hold")


def test_division_by_a_constant_keeps_places_when_finite() -> None:
    typer = typer_for(HEAD + "h = count / 4\nt = count / 3\n")
    assert typer.value("h").places == 2
    assert typer.value("t").places is None


# ---- robustness -------------------------------------------------------------------------------


def test_checks_never_raise_on_mutated_policies() -> None:
    """Names swapped at random in every bundled and test policy: checks answer, never raise."""
    texts = [p.read_text(encoding="utf-8") for p in [*POLICIES, *BAD, *GOOD]]
    rng = random.Random(20240501)
    word = re.compile(r"[^\W\d]\w*|\d+(?:\.\d+)?%?")
    reached = 0
    for _ in range(200):  # long bundled policies parse less often once mutated
        text = rng.choice(texts)
        pool = [*sorted(set(word.findall(text))), "none", "any", "0", "-1", "100%", "x"]
        mutated = word.sub(lambda m, pool=pool: _swap(rng, pool, m[0]), text)
        source = SourceFile.of("m.policy", mutated)
        try:
            tree, _ = parse(source)
        except Exception:  # the parser's own robustness is tested with the parser
            continue
        if tree is None:
            continue
        policy, _ = lower(tree, source)
        model = build_model(policy)
        for check in CHECKS:
            check(model, source)
        reached += 1
    assert reached > 30


def _swap(rng: random.Random, pool: list[str], word: str) -> str:
    return rng.choice(pool) if rng.random() < 0.05 else word


def test_check_model_runs_every_check() -> None:
    source = SourceFile.of("t.policy", HEAD + "x = score +\n")
    tree, _ = parse(source)
    assert tree is None
    source = SourceFile.of("t.policy", HEAD + "x = weighted score 50%\nunused = score\n")
    tree, _ = parse(source)
    assert tree is not None
    policy, _ = lower(tree, source)
    found = {d.code for d in check_model(build_model(policy), source)}
    # HEAD has no `output`, which explains why nothing is used: no W0701 for `unused`
    assert found == {"E0301", "E0127"}
    source = SourceFile.of("t.policy", HEAD + "x = weighted score 50%\nunused = score\noutput x\n")
    tree, _ = parse(source)
    assert tree is not None
    policy, _ = lower(tree, source)
    found = {d.code for d in check_model(build_model(policy), source)}
    assert found == {"E0301", "W0701"}
