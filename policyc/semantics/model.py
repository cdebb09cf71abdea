"""The policy's symbol table: what each name means, and the order definitions run in.

Built from the AST once; the checker, the compiler, the formatter-independent tools and
`diff` all read it instead of walking statements again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policyc.semantics.builtins import AGGREGATES as _AGGREGATES
from policyc.semantics.builtins import BUILTINS, HISTORY
from policyc.syntax import ast as A
from policyc.syntax.walk import children

# the built-ins are declared in policyc.semantics.builtins; these are the names
BUILTIN_FUNCS = set(BUILTINS)
AGGREGATES = set(_AGGREGATES)


@dataclass
class Model:
    policy: A.Policy
    fields: dict[str, A.FieldDecl] = field(default_factory=dict)
    key: tuple[str, ...] = ()
    ladders: dict[str, A.LadderDecl] = field(default_factory=dict)
    windows: dict[str, A.WindowDecl] = field(default_factory=dict)
    defs: dict[str, A.Def] = field(default_factory=dict)
    functions: dict[str, A.Def] = field(default_factory=dict)
    states: dict[str, A.StateDecl] = field(default_factory=dict)
    overrides: dict[str, A.OverrideDecl] = field(default_factory=dict)
    outputs: list[A.OutputItem] = field(default_factory=list)
    examples: list[A.Example] = field(default_factory=list)
    record_decl: A.RecordDecl | None = None
    key_decl: A.KeyDecl | None = None
    # the type checker's run over this model (a `policyc.semantics.types.Typer`), kept by
    # the types check so that the IR reads its types instead of inferring them again
    typer: Any = field(default=None, compare=False, repr=False)

    @property
    def period_field(self) -> str | None:
        """The month-typed key field, when the policy runs over a monthly timeline."""
        for name in self.key:
            f = self.fields.get(name)
            if f is not None and f.type.kind == "month":
                return name
        return None

    @property
    def id_field(self) -> str | None:
        for name in self.key:
            if name != self.period_field:
                return name
        return None

    def is_value(self, name: str) -> bool:
        """True when `name` denotes a per-row value (field, definition or state)."""
        return name in self.defs or name in self.states or name in self.fields

    def value_names(self) -> set[str]:
        return set(self.defs) | set(self.states) | set(self.fields)

    def enum_labels(self) -> set[str]:
        labels: set[str] = set()
        for f in self.fields.values():
            labels.update(f.type.labels)
        return labels


def build_model(policy: A.Policy) -> Model:
    m = Model(policy)
    for st in policy.stmts:
        match st:
            case A.RecordDecl():
                m.record_decl = st
                for f in st.fields:
                    m.fields.setdefault(f.name, f)
            case A.KeyDecl():
                m.key_decl = st
                m.key = st.names
            case A.LadderDecl():
                m.ladders.setdefault(st.name, st)
            case A.WindowDecl():
                m.windows.setdefault(st.name, st)
            case A.Def() if st.params:
                m.functions.setdefault(st.name, st)
            case A.Def():
                m.defs.setdefault(st.name, st)
            case A.StateDecl():
                m.states.setdefault(st.name, st)
            case A.OverrideDecl():
                m.overrides.setdefault(st.target, st)
            case A.OutputDecl():
                m.outputs.extend(st.items)
            case A.Example():
                m.examples.append(st)
    return m


def referenced_values(m: Model, e: A.Expr, params: tuple[str, ...] = ()) -> set[str]:
    """Per-row values an expression reads in the same period (not through `previous`)."""
    out: set[str] = set()

    def go(x: A.Expr) -> None:
        if isinstance(x, A.Call) and x.func in HISTORY:
            return  # reads an earlier period: no same-period dependency
        if isinstance(x, A.Call) and x.func in m.functions:
            fn = m.functions[x.func]
            out.update(referenced_values(m, fn.body, fn.params))
        if isinstance(x, A.Name) and x.name not in params and m.is_value(x.name):
            out.add(x.name)
        if isinstance(x, A.By) and x.subject not in params and m.is_value(x.subject):
            out.add(x.subject)
        for c in children(x):
            go(c)
        if isinstance(x, A.Call) and isinstance(x.clause, A.Over):
            w = m.windows.get(x.clause.window or "")
            if w is not None and w.by and m.is_value(w.by):
                out.add(w.by)
        if isinstance(x, A.Call) and x.func in ("closes", "complete") and x.args:
            arg = x.args[0].value
            if isinstance(arg, A.Name) and arg.name in m.windows:
                w = m.windows[arg.name]
                if w.by and m.is_value(w.by):
                    out.add(w.by)

    go(e)
    return out


def state_dependencies(m: Model, st: A.StateDecl) -> set[str]:
    deps: set[str] = set()
    for t in st.transitions:
        deps |= referenced_values(m, t.cond)
        if t.value is not None:
            deps |= referenced_values(m, t.value)
    deps |= referenced_values(m, st.start)
    lad = m.ladders.get(st.ladder or "")
    if lad is not None and lad.by and m.is_value(lad.by):
        deps.add(lad.by)
    deps.discard(st.name)
    return deps


def dependencies(m: Model, name: str) -> set[str]:
    """Same-period dependencies of a definition or state (fields have none)."""
    if name in m.states:
        deps = state_dependencies(m, m.states[name])
    elif name in m.defs:
        deps = referenced_values(m, m.defs[name].body)
    else:
        return set()
    if name in m.overrides:
        ov = m.overrides[name]
        deps.add(ov.field)
        if ov.reason_field:
            deps.add(ov.reason_field)
    return {d for d in deps if d != name or name in m.fields}


def topo_order(m: Model) -> tuple[list[str], list[list[str]]]:
    """Definitions and states in an order where each comes after what it reads.

    Returns the order and any cycles found (each as the list of names in it).
    """
    order: list[str] = []
    state: dict[str, int] = {}
    cycles: list[list[str]] = []
    names = list(m.defs) + list(m.states)

    def visit(n: str, stack: list[str]) -> None:
        if n in m.fields and n not in m.defs and n not in m.states:
            return
        s = state.get(n, 0)
        if s == 2:
            return
        if s == 1:
            cycles.append([*stack[stack.index(n) :], n])
            return
        state[n] = 1
        for d in sorted(dependencies(m, n)):
            if d in m.defs or d in m.states:
                visit(d, [*stack, n])
        state[n] = 2
        order.append(n)

    for n in names:
        visit(n, [])
    return order, cycles
