"""Declarations: nothing declared twice, and every declaration names things that exist.

Fields, definitions, ladders, windows and states declared twice (the model keeps the
first, so the second is reported with the first's line), a key or an override naming
what is not there, outputs that are not values, states on missing ladders, and examples
that set or expect names the policy does not have.
"""

from __future__ import annotations

from collections.abc import Iterable

from policyc.diagnostics import Diagnostic, did_you_mean, error
from policyc.semantics.checks.common import (
    KEYWORD,
    decl_name_span,
    find_word,
    introduced_labels,
    kind_of,
    quoted_list,
    word_span,
)
from policyc.semantics.model import Model
from policyc.semantics.types import Typer
from policyc.semantics.types import shared as types_shared
from policyc.source import SourceFile
from policyc.syntax import ast as A


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    out.extend(_duplicates(model.policy, source))
    out.extend(_key(model, source))
    out.extend(_states(model, source))
    out.extend(_overrides(model, source))
    out.extend(_outputs(model, introduced_labels(model)))
    out.extend(_output_redefinitions(model, source))
    out.extend(_repeated_in_lists(model, source))
    out.extend(_examples(model, source, types_shared(model, source)))
    return out


def _decl_kind(st: A.Stmt) -> str:
    if isinstance(st, A.Def):
        return "function" if st.params else "definition"
    return KEYWORD.get(type(st), "declaration")


def _duplicates(policy: A.Policy, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[str, tuple[str, int]] = {}
    fields: dict[str, int] = {}
    outputs: dict[str, int] = {}
    overrides: dict[str, int] = {}
    key_line: int | None = None
    record_line: int | None = None
    for st in policy.stmts:
        match st:
            case A.RecordDecl():
                if record_line is not None:
                    out.append(
                        error(
                            "E0104",
                            f"the record is already declared on line {record_line}",
                            source.span(st.span.start, st.span.start + len("record")),
                            "declare every field in one `record` block",
                        )
                    )
                else:
                    record_line = st.span.line
                out.extend(_duplicate_fields(st, source, fields))
            case A.KeyDecl():
                if key_line is not None:
                    out.append(
                        error(
                            "E0104",
                            f"the key is already declared on line {key_line}",
                            source.span(st.span.start, st.span.start + 3),
                            "declare the key once",
                        )
                    )
                else:
                    key_line = st.span.line
            case A.LadderDecl() | A.WindowDecl() | A.Def() | A.StateDecl():
                kind = _decl_kind(st)
                if st.name in seen:
                    first_kind, line = seen[st.name]
                    also = "" if first_kind == kind else f" (as a {first_kind})"
                    out.append(
                        error(
                            "E0104",
                            f"`{st.name}` is already defined on line {line}{also}",
                            decl_name_span(source, st),
                            "the first definition is the one used; rename or remove this one",
                        )
                    )
                else:
                    seen[st.name] = (kind, st.span.line)
            case A.OverrideDecl():
                if st.target in overrides:
                    out.append(
                        error(
                            "E0107",
                            f"`{st.target}` already has an override on line {overrides[st.target]}",
                            word_span(source, st.span, st.target, skip=8),
                            "one override per value; the first is the one used",
                        )
                    )
                else:
                    overrides[st.target] = st.span.line
            case A.OutputDecl():
                for item in st.items:
                    if item.name in outputs:
                        line = outputs[item.name]
                        where = "" if line == item.span.line else f" (line {line})"
                        out.append(
                            error(
                                "E0106",
                                f"`{item.name}` is already in the output{where}",
                                source.span(item.span.start, item.span.start + len(item.name)),
                                "each output is listed once",
                            )
                        )
                    else:
                        outputs[item.name] = item.span.line
            case _:
                pass
    return out


def _duplicate_fields(
    st: A.RecordDecl, source: SourceFile, fields: dict[str, int]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    on_line: dict[tuple[int, str], int] = {}
    for f in st.fields:
        nth = on_line.get((f.span.start, f.name), 0) + 1
        on_line[(f.span.start, f.name)] = nth
        if f.name in fields:
            out.append(
                error(
                    "E0105",
                    f"field `{f.name}` is already declared on line {fields[f.name]}",
                    word_span(source, f.span, f.name, nth=nth),
                    "the first declaration is the one used; remove this one",
                )
            )
        else:
            fields[f.name] = f.span.line
    return out


def _key(model: Model, source: SourceFile) -> list[Diagnostic]:
    decl = model.key_decl
    if decl is None:
        return []
    return [
        error(
            "E0124",
            f"the key names `{n}`, which is not a record field",
            word_span(source, decl.span, n, skip=3),
            did_you_mean(n, model.fields)
            or "the key is the employee id field, and the month field for a monthly policy",
        )
        for n in decl.names
        if n not in model.fields
    ]


def _states(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for st in model.states.values():
        if st.ladder is not None and st.ladder not in model.ladders:
            span = find_word(source, st.span, st.ladder, skip=len("state ") + len(st.name) + 1)
            out.append(
                error(
                    "E0120",
                    f"`state {st.name} on {st.ladder}`: there is no ladder `{st.ladder}`",
                    span or st.span,
                    did_you_mean(st.ladder, model.ladders),
                )
            )
    return out


def _overrides(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for ov in model.overrides.values():
        if ov.target not in model.defs:
            span = word_span(source, ov.span, ov.target, skip=8)
            what = (
                f"`{ov.target}` is a state; only a definition can be overridden"
                if ov.target in model.states
                else f"there is no definition `{ov.target}` to override"
            )
            out.append(error("E0121", what, span, did_you_mean(ov.target, model.defs)))
        skip = len("override ") + len(ov.target)
        for name in (ov.field, ov.reason_field):
            if name is not None and name not in model.fields:
                out.append(
                    error(
                        "E0121",
                        f"the override reads `{name}`, which is not a record field",
                        word_span(source, ov.span, name, skip=skip),
                        did_you_mean(name, model.fields)
                        or "an override's value and reason come from the record",
                    )
                )
    return out


def _outputs(model: Model, universe: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for item in model.outputs:
        if item.value is not None or model.is_value(item.name):
            continue
        kind = kind_of(model, item.name)
        hint: str | None
        if kind is not None:
            message = f"output `{item.name}` is a {kind}, not a value"
            hint = "output a definition, a state or a field"
        else:
            message = f"output `{item.name}` is not defined"
            hint = did_you_mean(item.name, model.value_names)
        out.append(error("E0101", message, item.span, hint))
    return out


def _output_redefinitions(model: Model, source: SourceFile) -> list[Diagnostic]:
    """`output y = round(y, 2)` where `y` is defined: which `y` would `eval` print, and
    which would the policy read? Neither guess is safe, so it is an error."""
    out: list[Diagnostic] = []
    for item in model.outputs:
        if item.value is None or not model.is_value(item.name):
            continue
        decl = model.defs.get(item.name) or model.states.get(item.name)
        if decl is not None:
            kind = "state" if item.name in model.states else "definition"
            where = f"a {kind} on line {decl.span.line}"
        else:
            where = f"a record field (line {model.fields[item.name].span.line})"
        out.append(
            error(
                "E0109",
                f"`output {item.name} = ...` gives `{item.name}` a second value, but "
                f"`{item.name}` is already {where}",
                source.span(item.span.start, item.span.start + len(item.name)),
                f"give the output its own name (`output {item.name}_out = ...`), or change "
                f"the definition of `{item.name}` itself",
            )
        )
    return out


def _repeated_in_lists(model: Model, source: SourceFile) -> list[Diagnostic]:
    """A parameter named twice (`f(v, v)`: which argument is `v`?) and a label listed
    twice in one `one of` list."""
    out: list[Diagnostic] = []
    for st in model.policy.stmts:
        if isinstance(st, A.Def) and st.params:
            for name in _repeated(st.params):
                span = find_word(source, st.span, name, nth=2, skip=len(st.name))
                out.append(
                    error(
                        "E0108",
                        f"function `{st.name}` names the parameter `{name}` twice",
                        span or decl_name_span(source, st),
                        "give each parameter its own name",
                    )
                )
    seen: set[int] = set()
    fields = (f for st in model.policy.stmts if isinstance(st, A.RecordDecl) for f in st.fields)
    for f in fields:
        t = f.type
        if t.kind != "enum" or t.span.start in seen:
            continue
        seen.add(t.span.start)
        for label in _repeated(t.labels):
            span = find_word(source, t.span, label, nth=2)
            out.append(
                error(
                    "E0108",
                    f"`one of` lists `{label}` twice",
                    span or t.span,
                    "list each label once",
                )
            )
    return out


def _repeated(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    twice: list[str] = []
    for n in names:
        if n in seen and n not in twice:
            twice.append(n)
        seen.add(n)
    return twice


def _examples(model: Model, source: SourceFile, typer: Typer) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for ex in model.examples:
        for line in ex.lines:
            for a in line.assigns:
                out.extend(_assign(model, source, typer, line.kind, a))
    return out


def _assign(
    model: Model, source: SourceFile, typer: Typer, kind: str, a: A.Assign
) -> Iterable[Diagnostic]:
    name_span = source.span(a.span.start, a.span.start + len(a.name))
    if kind == "given" and a.name not in model.fields:
        yield error(
            "E0122",
            f"`given` sets `{a.name}`, which is not a record field",
            name_span,
            did_you_mean(a.name, model.fields),
        )
        return
    computed = {i.name: i.value for i in model.outputs if i.value is not None}
    if kind == "expect" and not model.is_value(a.name) and a.name not in computed:
        yield error(
            "E0122",
            f"`expect` checks `{a.name}`, which the policy does not define",
            name_span,
            did_you_mean(a.name, model.value_names),
        )
        return
    if not isinstance(a.value, A.LabelValue):
        return
    if kind == "given":
        t = typer.field(a.name)
    elif model.is_value(a.name):
        t = typer.value(a.name)
    else:
        t = typer.of(computed[a.name])  # a value defined on its `output` line
    value = a.value.name
    if t.kind == "label" and value not in t.labels:
        span = find_word(source, a.span, value, skip=len(a.name)) or a.span
        dym = did_you_mean(value, t.labels)
        listed = f"`{a.name}` is one of {quoted_list(t.labels)}"
        yield error(
            "E0115",
            f"`{a.name}` is never `{value}`",
            span,
            f"{dym} ({listed})" if dym else listed,
        )
