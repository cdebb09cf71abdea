"""Definitions never used (a warning) and definitions that depend on themselves (an error).

A name counts as used when anything else reads it: another definition, a state, an
output, an override, an example's `expect`. Names starting with `_` are exempt: that is
how an author says "kept on purpose". A cycle runs through same-period reads only;
`previous(x)` reads last month's value and breaks it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from policyc.diagnostics import Diagnostic, error, warning
from policyc.semantics.checks.common import decl_name_span, find_word, sites, word_span
from policyc.semantics.model import Model, dependencies, referenced_values, topo_order
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.walk import walk


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    function_cycles, recursive = _function_cycles(model, source)
    # the model's dependency walk expands function calls, so it would never end on a
    # function that reaches itself: look for value cycles without those functions
    acyclic = dataclasses.replace(model)
    acyclic.functions = {n: f for n, f in model.functions.items() if n not in recursive}
    return _unused(model, source) + _cycles(acyclic, source) + function_cycles


# ---- unused ---------------------------------------------------------------------------------


def _names_read(e: A.Expr) -> Iterator[str]:
    for node in walk(e):
        match node:
            case A.Name():
                yield node.name
            case A.By():
                yield node.subject
            case A.Call():
                yield node.func
                if isinstance(node.clause, A.Over) and node.clause.window:
                    yield node.clause.window
                if isinstance(node.clause, A.Among) and node.clause.per:
                    yield node.clause.per
            case _:
                pass


def used_by(model: Model) -> dict[str, set[str]]:
    """For each name, the owners that read it ("" for outputs, overrides and examples)."""
    users: dict[str, set[str]] = {}

    def use(name: str, owner: str) -> None:
        users.setdefault(name, set()).add(owner)

    for site in sites(model):
        owner = "" if site.kind == "output" else site.owner
        for n in _names_read(site.expr):
            use(n, owner)
    for st in model.states.values():
        if st.ladder:
            use(st.ladder, st.name)
    for lad in model.ladders.values():
        if lad.by:
            use(lad.by, lad.name)
    for w in model.windows.values():
        if w.by:
            use(w.by, w.name)
    for item in model.outputs:
        use(item.name, "")
    for ov in model.overrides.values():
        use(ov.field, "")
        if ov.reason_field:
            use(ov.reason_field, "")
    for ex in model.examples:
        for line in ex.lines:
            if line.kind == "expect":
                for a in line.assigns:
                    use(a.name, "")
    return users


def _unused(model: Model, source: SourceFile) -> list[Diagnostic]:
    users = used_by(model)
    out: list[Diagnostic] = []
    decls: list[tuple[str, str, A.Stmt]] = [
        *(("definition", n, d) for n, d in model.defs.items()),
        *(("function", n, d) for n, d in model.functions.items()),
        *(("state", n, s) for n, s in model.states.items()),
        *(("ladder", n, lad) for n, lad in model.ladders.items()),
        *(("window", n, w) for n, w in model.windows.items()),
    ]
    for kind, name, decl in decls:
        if name.startswith("_"):
            continue
        readers = users.get(name, set()) - {name}
        if readers:
            continue
        out.append(
            warning(
                "W0701",
                f"{kind} `{name}` is never used",
                decl_name_span(source, decl),
                _unused_hint(kind, name),
            )
        )
    return out


def _unused_hint(kind: str, name: str) -> str:
    if kind in ("definition", "state"):
        return "add it to `output`, use it, or remove it (a name starting with `_` is exempt)"
    if kind == "ladder":
        return f"use it with `state NAME on {name}`, or remove it"
    if kind == "window":
        return f"use it with `over {name}` or `closes({name})`, or remove it"
    return "call it, or remove it"


# ---- cycles ---------------------------------------------------------------------------------


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    ring = cycle[:-1] if len(cycle) > 1 and cycle[0] == cycle[-1] else cycle
    i = ring.index(min(ring))
    return tuple(ring[i:] + ring[:i])


def _reference_span(model: Model, source: SourceFile, owner: str, target: str) -> Span:
    """Where `owner` reads `target` (the first such name in its text)."""
    decl: A.Def | A.StateDecl | None = model.defs.get(owner) or model.states.get(owner)
    if decl is None:
        return source.span(0, 1)
    skip = len(owner) + (len("state ") if isinstance(decl, A.StateDecl) else 0)
    return find_word(source, decl.span, target, skip=skip) or decl_name_span(source, decl)


def _cycles(model: Model, source: SourceFile) -> list[Diagnostic]:
    _order, cycles = topo_order(model)
    found: list[tuple[str, ...]] = []
    for cycle in cycles:
        ring = _canonical(cycle)
        if ring not in found:
            found.append(ring)
    for name, d in model.defs.items():
        reads_itself = name not in model.fields and name in referenced_values(model, d.body)
        if reads_itself and (name,) not in found:
            found.append((name,))
    out: list[Diagnostic] = list(_self_starts(model, source))
    for ring in found:
        path = " → ".join(f"`{n}`" for n in (*ring, ring[0]))
        first, second = ring[0], ring[1] if len(ring) > 1 else ring[0]
        if second not in dependencies(model, first) and len(ring) > 1:
            first, second = ring[-1], ring[0]
        out.append(
            error(
                "E0702",
                f"`{ring[0]}` depends on itself: {path}",
                _reference_span(model, source, first, second),
                _cycle_hint(model, second, len(ring)),
            )
        )
    return out


def _self_starts(model: Model, source: SourceFile) -> list[Diagnostic]:
    """`state s` with `start = s`: the first value would be the value being started (a
    field of the same name is `record.s`; `s` alone is the state)."""
    out = []
    for st in model.states.values():
        if st.name not in referenced_values(model, st.start):
            continue
        span = find_word(source, st.start.span, st.name) or st.start.span
        hint = (
            f"write `start = record.{st.name}` to start from the record's field `{st.name}`"
            if st.name in model.fields
            else "start it from a record field or other values, e.g. `start = record.level`"
        )
        out.append(
            error(
                "E0702",
                f"the `start` of state `{st.name}` reads `{st.name}` itself, which has no "
                "value before it starts",
                span,
                hint,
            )
        )
    return out


def _cycle_hint(model: Model, name: str, length: int) -> str:
    # `previous` needs a monthly key (E0506): suggest it only where it is allowed
    if model.period_field is not None:
        return (
            "a value cannot read itself in the same month; to read last month's value "
            f"use `previous({name})`"
        )
    which = "it" if length == 1 else "one of them"
    return f"a value cannot read itself; compute {which} from other values"


def _function_cycles(model: Model, source: SourceFile) -> tuple[list[Diagnostic], set[str]]:
    """Functions are inlined where called, so one that reaches itself never ends."""
    calls = {
        name: {n.func for n in walk(fn.body) if isinstance(n, A.Call) and n.func in model.functions}
        for name, fn in model.functions.items()
    }
    out: list[Diagnostic] = []
    reported: set[tuple[str, ...]] = set()
    recursive: set[str] = set()
    for start in calls:
        path = _path_back(calls, start)
        if path is None:
            continue
        recursive.add(start)
        ring = _canonical(path)
        if ring in reported:
            continue
        reported.add(ring)
        shown = " → ".join(f"`{n}`" for n in path)
        callee = path[1]
        fn = model.functions[start]
        out.append(
            error(
                "E0702",
                f"function `{start}` calls itself: {shown}",
                word_span(source, fn.span, callee, skip=len(start)),
                "functions are written out where they are called, so they cannot recurse",
            )
        )
    return out, recursive


def _path_back(calls: dict[str, set[str]], start: str) -> list[str] | None:
    """A call path from `start` back to `start`, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(calls.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
