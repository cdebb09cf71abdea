"""`policyc plan` and the IR: goldens for every bundled policy, and what the tree promises.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_plan.py` and
review the diff; a missing golden fails (it is never written silently).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import GOLDEN, ROOT, UPDATE_GOLDEN, checked_text, plan_for

from policyc.backend.closures.calls import IMPLEMENTED
from policyc.cli.main import cli
from policyc.ir import nodes as N
from policyc.ir.build import build, walk
from policyc.semantics.builtins import BUILTINS

POLICIES = sorted((ROOT / "policies").glob("*.policy"))


def _plan(*args: str) -> str:
    result = CliRunner().invoke(cli, ["plan", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _golden(name: str, got: str) -> None:
    path = GOLDEN / "plan" / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.stem)
def test_plan_text_golden(policy: Path) -> None:
    _golden(policy.stem + ".txt", _plan(str(policy.relative_to(ROOT))))


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.stem)
def test_plan_json_lists_every_step(policy: Path) -> None:
    data = json.loads(_plan(str(policy.relative_to(ROOT)), "--format", "json"))
    names = [s["name"] for s in data["steps"]]
    assert len(names) == len(set(names))
    assert {o["name"] for o in data["outputs"]} <= set(names) | set(data["fields"])
    for step in data["steps"]:
        assert all(r in data["slots"] for r in step["reads"])


def test_plan_of_a_bad_policy_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text('policy "x"\nrecord\n  a : id\nkey a\noutput b\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(bad)])
    assert result.exit_code == 1


FUNC_POLICY = """\
policy "p"
record
  id : id
  role : one of lead, member, guest
  other : one of lead, member, guest
key id

same(p) = role is p
either(p) = role in (p, lead)
x = same(other)
y = either(other)
z = same(member)
output x, y, z
"""


def test_function_parameter_right_of_is_and_in(run_policy) -> None:  # type: ignore[no-untyped-def]
    csv = "id,role,other\nA,member,member\nB,member,guest\nC,lead,guest\nD,guest,guest\n"
    result = run_policy(FUNC_POLICY, csv)
    assert not result.errors
    got = {k[0]: (v["x"], v["y"], v["z"]) for k, v in result.rows.items()}
    assert got == {
        "A": (True, True, True),
        "B": (False, False, True),
        "C": (False, True, False),
        "D": (True, True, False),
    }


def test_names_resolved_and_functions_inlined() -> None:
    checked = checked_text(FUNC_POLICY)
    assert checked.model is not None
    program = build(checked.model, checked.source)
    nodes = list(walk(program.steps))
    x = next(s for s in program.steps if s.name == "x")
    assert isinstance(x, N.RowStep)
    slots = {n.name for n in walk(x.expr) if isinstance(n, N.Slot)}
    assert slots == {"role", "other"}  # the parameter is the argument, not a name
    assert not any(isinstance(n, N.Const) and n.value == "p" for n in nodes)
    ids = [n.nid for n in nodes]
    assert len(set(ids)) == len({id(n) for n in nodes})  # one id per node


def test_ids_stable_and_spans_out_of_equality() -> None:
    text = FUNC_POLICY
    a = build(*_model(text))
    b = build(*_model("\n\n" + text.replace("\n", "\n", 1)))
    assert a.steps == b.steps  # two lines moved: equal trees (spans are not compared)
    assert [n.nid for n in walk(a.steps)] == [n.nid for n in walk(b.steps)]
    assert [s.span.line for s in a.steps] != [s.span.line for s in b.steps]


def _model(text: str):  # type: ignore[no-untyped-def]
    checked = checked_text(text)
    assert checked.model is not None
    return checked.model, checked.source


def test_hidden_steps_named_by_owner_not_line() -> None:
    policy = """\
policy "p"
record
  id : id
  team : text
  score : score
key id
place = rank(score desc among score > 0 per team)
output place
"""
    names = [s.name for s in plan_for(policy).ir.steps]  # type: ignore[union-attr]
    moved = [s.name for s in plan_for(policy.replace("key id\n", "key id\n\n\n")).ir.steps]  # type: ignore[union-attr]
    assert names == moved
    assert "_place.rank1" in names


def test_types_kept_from_the_checker() -> None:
    checked = checked_text(FUNC_POLICY)
    assert checked.model is not None and checked.model.typer is not None
    program = build(checked.model, checked.source)
    x = next(s for s in program.steps if s.name == "x")
    assert isinstance(x, N.RowStep)
    assert x.expr.ty.kind == "bool"


def test_every_builtin_has_a_closure_implementation() -> None:
    assert set(BUILTINS) == set(IMPLEMENTED)


def test_steps_list_history_reads() -> None:
    policy = """\
policy "p"
record
  id : id
  period : month
  score : score
key id, period
window quarter = every 3 months
last = previous(score * 2)
avg = mean(score over quarter)
output last, avg
"""
    steps = {s.name: s for s in plan_for(policy).ir.steps}  # type: ignore[union-attr]
    assert steps["last"].history == ("_last.arg1",)
    assert steps["avg"].history == ("score",)
    assert steps["avg"].reads == ("score",)  # the window holds this month too
