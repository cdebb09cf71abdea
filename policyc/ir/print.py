"""The IR in a stable, readable text form (`policyc plan`) and as JSON (`--format json`).

Both are read off the dataclasses generically: a new node kind prints without a change
here. Values print as the policy writes them (decimals plain, labels bare, text quoted);
spans as LINE:COL; types as `num[0..100] places 2`, `bool`, `label{a, b}`.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from decimal import Decimal
from typing import Any

from policyc.ir import nodes as N
from policyc.semantics.types import Ty
from policyc.source import Span

_SKIP = ("nid", "ty", "span")


def type_text(t: Ty) -> str:
    if t.kind == "num":
        low = "" if t.low is None else _num(t.low)
        high = "" if t.high is None else _num(t.high)
        places = "" if t.places is None else f" places {t.places}"
        return f"num[{low}..{high}]{places}"
    if t.kind == "label" and t.labels:
        return "label{" + ", ".join(t.labels) + "}"
    return t.kind


def type_json(t: Ty) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": t.kind}
    if t.kind == "num":
        out["low"] = None if t.low is None else _num(t.low)
        out["high"] = None if t.high is None else _num(t.high)
        out["places"] = t.places
    if t.labels:
        out["labels"] = list(t.labels)
    return out


def _num(d: Decimal) -> str:
    if d == d.to_integral_value():
        return format(d.quantize(Decimal(1)), "f")
    return format(d.normalize(), "f")


def _value(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return _num(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, tuple):
        return "(" + ", ".join(_value(x) for x in v) + ")"
    return str(v)


def _where(span: Span) -> str:
    return f"{span.line}:{span.column}" if span.line else "-"


def _is_tree(v: Any) -> bool:
    if isinstance(v, tuple):
        return any(_is_tree(x) for x in v)
    return is_dataclass(v) and not isinstance(v, type)


# ---- text ------------------------------------------------------------------------------


def _lines(obj: Any, indent: str, label: str, out: list[str]) -> None:
    head = f"{indent}{label}{type(obj).__name__}"
    attrs, children = [], []
    for f in fields(obj):
        if f.name in _SKIP:
            continue
        v = getattr(obj, f.name)
        if _is_tree(v):
            children.append((f.name, v))
        else:
            attrs.append(f"{f.name}={_value(v)}")
    if attrs:
        head += " " + " ".join(attrs)
    if isinstance(obj, N.Node):
        head = f"{indent}#{obj.nid} {head[len(indent) :]} : {type_text(obj.ty)} @{_where(obj.span)}"
    out.append(head)
    for name, v in children:
        items = v if isinstance(v, tuple) else (v,)
        for i, item in enumerate(items):
            tag = f"{name}[{i}]: " if isinstance(v, tuple) else f"{name}: "
            if _is_tree(item) and not isinstance(item, tuple):
                _lines(item, indent + "  ", tag, out)
            else:
                out.append(f"{indent}  {tag}{_value(item)}")


def program_text(p: N.Program) -> str:
    out = [f"policy {_value(p.policy)}" + (f" version {_value(p.version)}" if p.version else "")]
    out.append(
        "key " + ", ".join(p.key) + (f" (period {p.period_field})" if p.period_field else "")
    )
    out.append("slots")
    for slot, name in enumerate(p.field_names):
        out.append(f"  {slot:>3} {name} (field)")
    for name, slot in sorted(p.slots, key=lambda item: item[1]):
        if slot >= len(p.field_names):
            out.append(f"  {slot:>3} {name}")
    out.append("outputs " + ", ".join(f"{n}@{s}" for n, s in p.outputs))
    out.append("steps")
    for step in p.steps:
        kind = {"RowStep": "row", "GroupStep": "group", "StateStep": "state"}[type(step).__name__]
        out.append(f"  {kind} {step.name} -> slot {step.slot} @{_where(step.span)}")
        out.append("    reads " + (", ".join(step.reads) or "-"))
        out.append("    history " + (", ".join(step.history) or "-"))
        body: list[str] = []
        for f in fields(step):
            if f.name in ("name", "slot", "reads", "history", "span"):
                continue
            v = getattr(step, f.name)
            if _is_tree(v):
                items = v if isinstance(v, tuple) else (v,)
                for i, item in enumerate(items):
                    tag = f"{f.name}[{i}]: " if isinstance(v, tuple) else f"{f.name}: "
                    _lines(item, "    ", tag, body)
            else:
                body.append(f"    {f.name} {_value(v)}")
        out.extend(body)
    return "\n".join(out) + "\n"


# ---- JSON ------------------------------------------------------------------------------


def _json(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_json(x) for x in v]
    if isinstance(v, Decimal):
        return _num(v)
    if isinstance(v, Span):
        return _where(v)
    if is_dataclass(v) and not isinstance(v, type):
        out: dict[str, Any] = {"node": type(v).__name__}
        for f in fields(v):
            x = getattr(v, f.name)
            if f.name == "ty":
                out["type"] = type_json(x)
            elif f.name == "nid":
                out["id"] = x
            else:
                out[f.name] = _json(x)
        return out
    return v


def program_json(p: N.Program) -> dict[str, Any]:
    return {
        "policy": p.policy,
        "version": p.version,
        "key": list(p.key),
        "period_field": p.period_field,
        "fields": list(p.field_names),
        "slots": {name: slot for name, slot in p.slots},
        "nslots": p.nslots,
        "outputs": [{"name": n, "slot": s} for n, s in p.outputs],
        "hidden": {n: _where(s) for n, s in p.hidden},
        "steps": [_json(s) for s in p.steps],
    }


__all__ = ["program_json", "program_text", "type_json", "type_text"]
