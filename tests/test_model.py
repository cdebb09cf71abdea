"""The model: symbol table, same-period dependencies and the order definitions run in."""

from __future__ import annotations

from conftest import OUTPUTS_A, POLICY_A

from policyc.pipeline import check_file
from policyc.semantics.model import Model, build_model, dependencies, topo_order
from policyc.source import SourceFile
from policyc.syntax import ast as A
from policyc.syntax.lower import lower
from policyc.syntax.parse import parse
from policyc.syntax.walk import names_in

HEAD = (
    'policy "t"\nrecord\n  employee_id : id\n  role : one of a, b\n  period : month\n'
    "  s, u : score?\nkey employee_id, period\n"
)


def model_of(body: str) -> Model:
    src = SourceFile.of("t.policy", HEAD + body)
    tree, diags = parse(src)
    assert tree is not None, [d.message for d in diags]
    policy, _ = lower(tree, src)
    return build_model(policy)


def contract_a_model() -> Model:
    checked = check_file(POLICY_A)
    assert checked.model is not None
    return checked.model


def test_contract_a_symbol_table() -> None:
    m = contract_a_model()
    assert m.key == ("employee_id", "period")
    assert (m.id_field, m.period_field) == ("employee_id", "period")
    assert m.fields["role"].type.labels == (
        "customer_rep",
        "tech_support",
        "tech_lead",
        "auditor",
        "cs_supervisor",
    )
    assert set(m.ladders) == {"levels"} and set(m.windows) == {"review_window"}
    assert set(m.states) == {"level"}
    assert set(m.overrides) == {"action"}
    assert m.overrides["action"].reason_field == "review_reason"
    assert tuple(o.name for o in m.outputs) == OUTPUTS_A
    assert len(m.examples) >= 2
    assert m.examples[0].title == "a steady rep stays"
    # `level` is both a record field (the starting level) and a state
    assert m.is_value("level") and "level" in m.fields and "level" in m.states


def test_contract_a_runs_each_definition_after_what_it_reads() -> None:
    m = contract_a_model()
    order, cycles = topo_order(m)
    assert cycles == []
    assert set(order) == set(m.defs) | set(m.states)
    pos = {n: i for i, n in enumerate(order)}
    for name in order:
        for dep in dependencies(m, name):
            if dep in pos:
                assert pos[dep] < pos[name], f"{dep} must run before {name}"
    assert pos["score"] < pos["window_average"] < pos["action"] < pos["level"]
    assert pos["probation"] < pos["dismissal_candidate"]


def test_previous_creates_no_same_period_edge() -> None:
    m = contract_a_model()
    # probation reads last month's action: it does not wait for this month's
    assert dependencies(m, "probation") == set()
    assert dependencies(m, "dismissal_candidate") == {"probation", "score"}


def test_a_loop_through_previous_is_not_a_cycle() -> None:
    m = model_of("a = default(previous(b), 0) + 1\nb = a + s\nc = previous(c) + 1\n")
    order, cycles = topo_order(m)
    assert cycles == []
    assert order.index("a") < order.index("b")
    assert dependencies(m, "a") == set()
    assert dependencies(m, "c") == set()


def test_a_same_period_loop_is_reported_as_a_cycle() -> None:
    m = model_of("a = b + 1\nb = c * 2\nc = a\n")
    _order, cycles = topo_order(m)
    assert len(cycles) == 1
    cycle = cycles[0]
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_dependencies_see_through_functions_windows_ladders_and_overrides() -> None:
    m = model_of(
        "window q by role\n  a : every 3 months\n  b : every 6 months\n"
        'ladder lv by role\n  a : "X" < "Y"\n  b : "P" < "Q"\n'
        "half(x) = x / 2 + k\nk = 1\n"
        "h = half(s)\n"
        "avg = mean(s over q)\n"
        "state lev on lv\n  start = record.role\n  up 1 when avg > 80\n"
        "override h with u\n"
    )
    assert dependencies(m, "h") == {"s", "k", "u"}  # function body inlined; override field
    assert dependencies(m, "avg") == {"s", "role"}  # the window's length depends on role
    assert dependencies(m, "lev") == {"avg", "role"}  # the ladder is chosen by role


def test_function_parameters_are_not_dependencies() -> None:
    m = model_of("f(s) = s * 2\nx = f(u)\n")
    assert dependencies(m, "x") == {"u"}
    assert "f" in m.functions and "f" not in m.defs


def test_names_in_finds_names_inside_tables_and_cases() -> None:
    m = model_of("x = band s\n  above u -> hi\n  otherwise -> lo\n")
    names = {n.name for n in names_in(m.defs["x"].body)}
    assert names == {"s", "u", "hi", "lo"}


def test_first_declaration_wins_in_the_table() -> None:
    m = model_of("x = 1\nx = 2\n")
    body = m.defs["x"].body
    assert isinstance(body, A.Num) and body.value == 1
