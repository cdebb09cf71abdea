"""Record declarations: known types, ranges that hold something, defaults that fit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from policyc.diagnostics import Diagnostic, did_you_mean, error
from policyc.semantics.checks.common import and_list
from policyc.semantics.checks.intervals import show_number
from policyc.semantics.model import Model
from policyc.semantics.types import NUMERIC_KINDS, TYPE_KINDS, Ty, field_type
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    return _field_decls(model, source)


def _field_decls(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    decls = [f for st in model.policy.stmts if isinstance(st, A.RecordDecl) for f in st.fields]
    # `a, b : score = 1` declares two fields that share one type and one default: each
    # group is reported once, naming all its fields
    groups: dict[int, list[A.FieldDecl]] = {}
    for f in decls:
        groups.setdefault(id(f.type), []).append(f)
    for group in groups.values():
        out.extend(_type_ref(group[0].type, source))
        if group[0].default is not None:
            d = _default(group, source)
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


def _default(group: list[A.FieldDecl], source: SourceFile) -> Diagnostic | None:
    f = group[0]
    t = field_type(f)
    d = f.default
    eq = source.text.find("=", f.span.start, f.span.end)
    span = source.span(eq + 1, f.span.end) if eq >= 0 else f.span
    span = _strip_span(source, span)
    shown = source.text[span.start : span.end]
    who = and_list([f"`{g.name}`" for g in group])
    one = len(group) == 1
    if t.kind == "num":
        return _number_default(t, d, shown, who, one, span)
    if t.kind == "label":
        name = d.name if isinstance(d, A.LabelValue) else d if isinstance(d, str) else None
        if name is None or name not in t.labels:
            listed = f"{who} {'is' if one else 'are'} one of " + ", ".join(
                f"`{x}`" for x in t.labels
            )
            dym = did_you_mean(str(name), t.labels) if name else None
            owner = f"{who}'s" if one else f"the labels of {who}"
            return error(
                "E0206",
                f"the default `{shown}` is not one of {owner}" + (" labels" if one else ""),
                span,
                f"{dym} ({listed})" if dym else listed,
            )
        return None
    if t.kind == "bool" and not isinstance(d, bool):
        return error(
            "E0206",
            f"{who} {'is' if one else 'are'} yes/no, but {'its' if one else 'their'} "
            f"default `{shown}` is not",
            span,
            "write `= true` or `= false`",
        )
    return None


def _number_default(
    t: Ty, d: object, shown: str, who: str, one: bool, span: Span
) -> Diagnostic | None:
    """A number default must be a number, in the range and with no more decimals than the
    field's places (a whole number for an `integer`): what a cell of the field may hold."""
    if not isinstance(d, Decimal):
        return error(
            "E0206",
            f"{who} {'is a number' if one else 'are numbers'}, but "
            f"{'its' if one else 'their'} default `{shown}` is not",
            span,
        )
    if (t.low is not None and d < t.low) or (t.high is not None and d > t.high):
        lo = "" if t.low is None else str(t.low)
        hi = "" if t.high is None else str(t.high)
        return error(
            "E0206", f"the default `{shown}` is outside the range of {who} ({lo}..{hi})", span
        )
    if t.places is None or _places(d) <= t.places:
        return None
    fixed = _rounded(d, t.places, shown)
    if t.places == 0:
        what = f"{who} {'holds' if one else 'hold'} whole numbers"
        return error(
            "E0206",
            f"the default `{shown}` is not a whole number, but {what}",
            span,
            f"write a whole number, e.g. `= {fixed}`",
        )
    what = f"{who} {'allows' if one else 'allow'} {_count_places(t.places)}"
    # a percent is held as a fraction, and its places count there: `85.5%` is 0.855
    held = f" is {show_number(d)}, which" if shown.endswith(("%", "％")) else ""
    return error(
        "E0206",
        f"the default `{shown}`{held} has {_count_places(_places(d))}, but {what}",
        span,
        f"round it to {_count_places(t.places)}, e.g. `= {fixed}`, or allow more with "
        f"`places {_places(d)}`",
    )


def _places(d: Decimal) -> int:
    """Decimal places that count: `2.50` has 1, as a cell `2.50` passes `places 1`."""
    exponent = d.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _count_places(n: int) -> str:
    return f"{n} decimal place" + ("" if n == 1 else "s")


def _rounded(d: Decimal, places: int, shown: str) -> str:
    """`d` rounded half up to `places`, written as the default was (`85.5%` as a percent)."""
    fixed = d.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if shown.endswith(("%", "％")):
        return show_number(fixed * 100) + "%"
    return show_number(fixed)


def _strip_span(source: SourceFile, span: Span) -> Span:
    text = source.text[span.start : span.end]
    cut = text.find("#")
    if cut >= 0:
        text = text[:cut]
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    return source.span(span.start + lead, span.start + lead + max(1, len(body)))
