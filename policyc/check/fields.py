"""Record declarations: known types, ranges that hold something, defaults that fit."""

from __future__ import annotations

from decimal import Decimal

from policyc.check.types import NUMERIC_KINDS, TYPE_KINDS, field_type
from policyc.diagnostics import Diagnostic, did_you_mean, error
from policyc.model import Model
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    return _field_decls(model, source)


def _field_decls(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    decls = [f for st in model.policy.stmts if isinstance(st, A.RecordDecl) for f in st.fields]
    seen_types: set[int] = set()
    for f in decls:
        t = f.type
        if id(t) in seen_types:
            continue  # `a, b : score` share one type: report it once
        seen_types.add(id(t))
        out.extend(_type_ref(t, source))
    for f in decls:
        if f.default is not None:
            d = _default(f, source)
            if d is not None:
                out.append(d)
    return out


def _type_ref(t: A.TypeRef, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if t.kind != "enum" and t.kind not in TYPE_KINDS:
        kind_span = source.span(t.span.start, t.span.start + len(t.kind))
        out.append(
            error(
                "E0208",
                f"unknown type `{t.kind}`",
                kind_span,
                did_you_mean(t.kind, TYPE_KINDS)
                or "the types are " + ", ".join(f"`{k}`" for k in TYPE_KINDS) + " and `one of ...`",
            )
        )
        return out
    if t.low is not None and t.high is not None and t.low > t.high:
        out.append(
            error(
                "E0207",
                f"the range {t.low}..{t.high} is empty: its low end is above its high end",
                t.span,
                f"write `{t.high}..{t.low}`",
            )
        )
    if (t.low is not None or t.places is not None) and t.kind not in NUMERIC_KINDS:
        out.append(
            error(
                "E0207",
                f"a `{t.kind}` field has no range or decimal places",
                t.span,
                "ranges and `places` belong to number, integer, money, percent and score",
            )
        )
    return out


def _default(f: A.FieldDecl, source: SourceFile) -> Diagnostic | None:
    t = field_type(f)
    d = f.default
    eq = source.text.find("=", f.span.start, f.span.end)
    span = source.span(eq + 1, f.span.end) if eq >= 0 else f.span
    span = _strip_span(source, span)
    shown = source.text[span.start : span.end]
    if t.kind == "num":
        if not isinstance(d, Decimal):
            return error("E0206", f"`{f.name}` is a number, but its default `{shown}` is not", span)
        if (t.low is not None and d < t.low) or (t.high is not None and d > t.high):
            lo = "" if t.low is None else str(t.low)
            hi = "" if t.high is None else str(t.high)
            return error(
                "E0206",
                f"the default `{shown}` is outside the range of `{f.name}` ({lo}..{hi})",
                span,
            )
        return None
    if t.kind == "label":
        name = d.name if isinstance(d, A.LabelValue) else d if isinstance(d, str) else None
        if name is None or name not in t.labels:
            listed = f"`{f.name}` is one of " + ", ".join(f"`{x}`" for x in t.labels)
            dym = did_you_mean(str(name), t.labels) if name else None
            return error(
                "E0206",
                f"the default `{shown}` is not one of `{f.name}`'s labels",
                span,
                f"{dym} ({listed})" if dym else listed,
            )
        return None
    if t.kind == "bool" and not isinstance(d, bool):
        return error(
            "E0206",
            f"`{f.name}` is yes/no, but its default `{shown}` is not",
            span,
            "write `= true` or `= false`",
        )
    return None


def _strip_span(source: SourceFile, span: Span) -> Span:
    text = source.text[span.start : span.end]
    cut = text.find("#")
    if cut >= 0:
        text = text[:cut]
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    return source.span(span.start + lead, span.start + lead + max(1, len(body)))
