"""Names: every name used means something, in a place where it makes sense.

Unknown names and functions (with a `did you mean`), calls with the wrong number of
arguments or a window where a value belongs, and `x is y` tests against a label `x` can
never be (names declared twice are the declarations check's). Bare names that are not values are labels (`-> promote`); a label is known when
an enumeration declares it or a result position (`-> promote`, `then stay`) introduces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.diagnostics import Diagnostic, did_you_mean, error
from policyc.semantics.builtins import BUILTINS, HISTORY, ROUNDERS, ROUNDING_MODES, WINDOW_ARGS
from policyc.semantics.checks.common import (
    Site,
    introduced_labels,
    kind_of,
    quoted_list,
    sites,
    snippet,
    word_span,
)
from policyc.semantics.model import AGGREGATES, BUILTIN_FUNCS, Model
from policyc.semantics.types import ANY, Typer
from policyc.semantics.types import shared as types_shared
from policyc.source import SourceFile, Span
from policyc.syntax import ast as A
from policyc.syntax.lower import MAX_MONTHS, MAX_PLACES
from policyc.syntax.walk import children


@dataclass(frozen=True, slots=True)
class Arity:
    low: int
    high: int | None  # None: any number
    clause: str  # "none", "optional", "optional-among", "required" (over or among)


# Arguments without a clause; with `over`/`among` the aggregates take one value.
ARITY: dict[str, Arity] = {b.name: Arity(b.low, b.high, b.clause) for b in BUILTINS.values()}


def check(model: Model, source: SourceFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    universe = introduced_labels(model)
    typer = types_shared(model, source)
    visitor = _Names(model, source, typer, universe, out)
    for site in sites(model):
        visitor.site(site)
    return out


# ---- labels ---------------------------------------------------------------------------------


_NOT_A_VALUE_HELP = {
    "window": "a window is used as `over {n}` or `closes({n})`",
    "ladder": "a ladder is used by `state NAME on {n}`",
    "function": "call it with its arguments: `{n}(...)`",
}


# ---- expressions ------------------------------------------------------------------------------


class _Names:
    def __init__(
        self,
        model: Model,
        source: SourceFile,
        typer: Typer,
        universe: set[str],
        out: list[Diagnostic],
    ) -> None:
        self.m = model
        self.src = source
        self.typer = typer
        self.universe = universe
        self.out = out
        self.params: set[str] = set()
        self.in_function: str | None = None

    def site(self, site: Site) -> None:
        self.params = set(site.params)
        self.in_function = site.owner if site.kind == "function" else None
        self.expr(site.expr)

    def known(self) -> set[str]:
        return self.m.value_names() | self.params

    def expr(self, e: A.Expr) -> None:
        match e:
            case A.Name():
                self.name(e)
            case A.FieldRef():
                if e.name not in self.m.fields:
                    self.out.append(
                        error(
                            "E0103",
                            f"the record has no field `{e.name}`",
                            e.span,
                            did_you_mean(e.name, self.m.fields),
                        )
                    )
            case A.Is():
                self.expr(e.left)
                self.label_test(e.left, e.right)
            case A.In():
                self.expr(e.left)
                for item in e.items:
                    self.label_test(e.left, item)
            case A.Call():
                self.call(e)
            case A.By():
                self.by(e)
            case A.Table():
                self.table(e)
            case _:
                for c in children(e):
                    self.expr(c)

    def name(self, e: A.Name) -> None:
        n = e.name
        if n in self.params or self.m.is_value(n):
            return
        kind = kind_of(self.m, n)
        if kind is not None:
            self.out.append(
                error(
                    "E0111",
                    f"`{n}` is a {kind}, not a value",
                    e.span,
                    _NOT_A_VALUE_HELP[kind].format(n=n),
                )
            )
            return
        if n in self.universe:
            return
        self.out.append(
            error(
                "E0101",
                f"unknown name `{n}`",
                e.span,
                did_you_mean(n, lambda: self.known() | self.universe),
            )
        )

    def label_test(self, left: A.Expr, right: A.Expr) -> None:
        """`x is y` / `x in (y, z)` / a table cell `y` for input `x`: can `x` be `y`?"""
        if isinstance(right, A.Name) and (right.name in self.params or self.m.is_value(right.name)):
            self.expr(right)
            return
        if not isinstance(right, A.Name | A.Str):
            self.expr(right)
            return
        value = right.name if isinstance(right, A.Name) else right.value
        lt = self.typer.of(left, {p: ANY for p in self.params})
        if lt.kind == "label":
            if value not in lt.labels:
                self.out.append(_never(self.src, left, lt.labels, value, right))
            return
        if isinstance(right, A.Name):
            self.name(right)

    def by(self, e: A.By) -> None:
        if e.subject not in self.params and not self.m.is_value(e.subject):
            span = word_span(self.src, e.span, e.subject, skip=2)
            self.out.append(
                error(
                    "E0113",
                    f"`by {e.subject}`: `{e.subject}` is not a field or a definition",
                    span,
                    did_you_mean(e.subject, self.known),
                )
            )
        for c in e.cases:
            self.expr(c.body)

    def table(self, e: A.Table) -> None:
        for i in e.inputs:
            self.expr(i)
        for row in e.rows:
            for index, cell in enumerate(row.cells):
                if isinstance(cell, A.BoundsCell):
                    for b in cell.bounds:
                        self.expr(b.value)
                elif isinstance(cell, A.EqualCell):
                    for v in cell.values:
                        if index < len(e.inputs):
                            self.label_test(e.inputs[index], v)
                        else:
                            self.expr(v)
            self.expr(row.result)

    # -- calls
    def call(self, e: A.Call) -> None:
        f = e.func
        func_span = self.src.span(e.span.start, e.span.start + len(f))
        if f in self.m.functions:
            self.user_call(e, func_span)
            return
        if f not in BUILTIN_FUNCS:
            self.out.append(
                error(
                    "E0102",
                    f"unknown function `{f}`",
                    func_span,
                    did_you_mean(f, BUILTIN_FUNCS | set(self.m.functions)),
                )
            )
            self.visit_args(e, skip=set())
            return
        skip: set[int] = set()
        self.arity(e)
        self.orders(e)
        if f in WINDOW_ARGS and len(e.args) > WINDOW_ARGS[f]:
            index = WINDOW_ARGS[f]
            skip.add(index)
            self.window_arg(e.args[index].value, f)
        if isinstance(e.clause, A.Over):
            self.over(e, e.clause)
        reads_history = f in HISTORY or (f in AGGREGATES and isinstance(e.clause, A.Over))
        if reads_history and e.args and self.history_arg(e, e.args[0].value):
            skip.add(0)
        if self.in_function is not None:
            self.function_limits(e)
        if f in ROUNDERS:
            skip |= self.rounding(e)
        if f == "previous" and len(e.args) > 1:
            skip.add(1)
            self.whole(e.args[1].value, "the number of months back", low=1, high=MAX_MONTHS)
        self.visit_args(e, skip)

    def visit_args(self, e: A.Call, skip: set[int]) -> None:
        for i, a in enumerate(e.args):
            if i not in skip:
                self.expr(a.value)
        if isinstance(e.clause, A.Among):
            self.expr(e.clause.cond)
            per = e.clause.per
            if per is not None and per not in self.params and not self.m.is_value(per):
                self.out.append(
                    error(
                        "E0101",
                        f"unknown name `{per}`",
                        word_span(self.src, e.clause.span, per, skip=5),
                        did_you_mean(per, self.known),
                    )
                )

    def user_call(self, e: A.Call, func_span: Span) -> None:
        fn = self.m.functions[e.func]
        if len(e.args) != len(fn.params):
            self.out.append(
                error(
                    "E0110",
                    f"`{e.func}` takes {_count(len(fn.params))}, but {_given(len(e.args))}",
                    e.span,
                    f"`{e.func}({', '.join(fn.params)})` is defined on line {fn.span.line}",
                )
            )
        if e.clause is not None:
            word = "over" if isinstance(e.clause, A.Over) else "among"
            self.out.append(
                error(
                    "E0116",
                    f"`{e.func}` is a function of the policy; it does not take `{word}`",
                    e.clause.span,
                    "`over` and `among` belong to mean, sum, min, max, count, all, any and rank",
                )
            )
        self.orders(e)
        self.visit_args(e, skip=set())

    def arity(self, e: A.Call) -> None:
        spec = ARITY.get(e.func)
        if spec is None:
            return
        f, n = e.func, len(e.args)
        clause = e.clause
        if spec.clause == "required" and clause is None:
            self.out.append(
                error(
                    "E0116",
                    f"`{f}` needs `over` a window or `among` a group",
                    e.span,
                    f"e.g. `{f}(x over last 3 months)` or `{f}(x among position is csr)`",
                )
            )
            return
        if spec.clause == "none" and clause is not None:
            word = "over" if isinstance(clause, A.Over) else "among"
            self.out.append(error("E0116", f"`{f}` does not take `{word}`", clause.span, None))
            return
        if spec.clause == "optional-among" and isinstance(clause, A.Over):
            self.out.append(
                error(
                    "E0116",
                    f"`{f}` ranks the rows of one period; it does not take `over`",
                    clause.span,
                    "rank a window's value instead: `rank(mean(x over w) desc among ...)`",
                )
            )
            return
        low, high = spec.low, spec.high
        if clause is not None and f in ("min", "max"):
            low, high = 1, 1
        if f == "count" and isinstance(clause, A.Over):
            low = 1
        if n < low or (high is not None and n > high):
            self.out.append(
                error(
                    "E0110",
                    f"`{f}` takes {_range_text(low, high)}, but {_given(n)}",
                    e.span,
                    _ARITY_HELP.get(f),
                )
            )

    def orders(self, e: A.Call) -> None:
        if e.func == "rank":
            return
        for a in e.args:
            if a.order is not None:
                self.out.append(
                    error(
                        "E0123",
                        f"`{a.order}` orders the keys of `rank`; `{e.func}` has no order",
                        a.span,
                        f"remove `{a.order}`",
                    )
                )

    def window_arg(self, arg: A.Expr, func: str) -> None:
        if isinstance(arg, A.Name) and arg.name in self.m.windows:
            return
        shown = snippet(self.src, arg.span)
        what = "is not a window"
        if isinstance(arg, A.Name) and self.m.is_value(arg.name):
            what = "is a value, not a window"
        elif isinstance(arg, A.Name) and arg.name in self.m.ladders:
            what = "is a ladder, not a window"
        self.out.append(
            error(
                "E0112",
                f"`{func}` needs a window, but `{shown}` {what}",
                arg.span,
                _window_hint(self.m, shown),
            )
        )

    def over(self, e: A.Call, over: A.Over) -> None:
        if over.window is not None and over.window not in self.m.windows:
            span = word_span(self.src, over.span, over.window, skip=4)
            kind = "a value" if self.m.is_value(over.window) else None
            kind = kind or kind_of(self.m, over.window)
            what = (
                f"`{over.window}` is {_article(kind)}, not a window"
                if kind
                else (f"there is no window `{over.window}`")
            )
            self.out.append(
                error(
                    "E0112",
                    f"`over {over.window}`: {what}",
                    span,
                    _window_hint(self.m, over.window),
                )
            )
        if over.window is None and (over.last is None or over.last < 1):
            self.out.append(
                error(
                    "E0117",
                    f"`over last {over.last} months` looks at no month",
                    over.span,
                    "write `over last N months` with N at least 1",
                )
            )

    def history_arg(self, e: A.Call, arg: A.Expr) -> bool:
        """`previous(x)`, `mean(x over w)`: x must be a value. True when reported."""
        what = None
        if (
            isinstance(arg, A.Name)
            and arg.name not in self.params
            and not self.m.is_value(arg.name)
        ):
            kind = kind_of(self.m, arg.name)
            if kind is not None:
                what = f"`{arg.name}` is a {kind}"
            elif arg.name in self.universe:
                what = f"`{arg.name}` is a label"
            else:
                return False  # unknown: reported as an unknown name
        elif isinstance(arg, A.Num | A.Str | A.Bool | A.NoneLit) and e.func != "count":
            what = f"`{snippet(self.src, arg.span)}` is a constant"
        if what is None:
            return False
        self.out.append(
            error(
                "E0111",
                f"`{e.func}` needs a value that changes from month to month, but {what}",
                arg.span,
                "give it a field or a definition, e.g. `previous(score)`",
            )
        )
        return True

    def function_limits(self, e: A.Call) -> None:
        """A function is inlined where it is called: no per-period or per-month slots."""
        fn = self.in_function
        if e.func == "rank" or isinstance(e.clause, A.Among):
            what = "`rank`" if e.func == "rank" else f"`{e.func}(... among ...)`"
            self.out.append(
                error(
                    "E0119",
                    f"{what} looks at a whole period and cannot be used inside the function `{fn}`",
                    e.span,
                    "define it as its own value (e.g. `r = rank(...)`) and pass that in",
                )
            )
            return
        reads_history = e.func in HISTORY or (e.func in AGGREGATES and isinstance(e.clause, A.Over))
        if not reads_history or not e.args:
            return
        arg = e.args[0].value
        if isinstance(arg, A.Name) and arg.name not in self.params:
            return
        self.out.append(
            error(
                "E0119",
                f"`{e.func}` inside the function `{fn}` must read a named value, "
                f"not `{snippet(self.src, arg.span)}`",
                arg.span,
                "define the value it reads by name outside the function",
            )
        )

    def rounding(self, e: A.Call) -> set[int]:
        skip: set[int] = set()
        if len(e.args) > 1:
            skip.add(1)
            self.whole(e.args[1].value, "the number of decimal places", low=0, high=MAX_PLACES)
        if len(e.args) > 2:
            skip.add(2)
            mode = e.args[2].value
            if not (isinstance(mode, A.Name) and mode.name in ROUNDING_MODES):
                shown = snippet(self.src, mode.span)
                self.out.append(
                    error(
                        "E0118",
                        f"unknown rounding mode `{shown}`",
                        mode.span,
                        did_you_mean(shown, ROUNDING_MODES)
                        or "the modes are " + ", ".join(f"`{m}`" for m in ROUNDING_MODES),
                    )
                )
        return skip

    def whole(self, arg: A.Expr, what: str, low: int, high: int) -> None:
        """A count written in the policy: a whole number from `low` to `high` (past the
        limit it would crash or stall evaluation: `round(x, 2147483648)`)."""
        if isinstance(arg, A.Num) and not arg.percent:
            v = arg.value
            if v == v.to_integral_value() and v >= low:
                if v <= high:
                    return
                self.out.append(
                    error(
                        "E0117",
                        f"{what} must be at most {high}, not `{snippet(self.src, arg.span)}`",
                        arg.span,
                        f"the limit is {high}; see docs/robustness.md",
                    )
                )
                return
        self.out.append(
            error(
                "E0117",
                f"{what} must be a whole number{' of at least 1' if low else ''}, "
                f"not `{snippet(self.src, arg.span)}`",
                arg.span,
            )
        )


def _article(kind: str | None) -> str:
    return "" if kind is None else (kind if kind.startswith("a ") else f"a {kind}")


def _window_hint(model: Model, shown: str) -> str | None:
    if model.windows:
        return did_you_mean(shown, model.windows) or "the windows are " + quoted_list(model.windows)
    return "declare one, e.g. `window quarter = every 3 months`"


_ARITY_HELP = {b.name: b.help for b in BUILTINS.values() if b.help}


def _count(n: int) -> str:
    return f"{n} argument" + ("" if n == 1 else "s")


def _given(n: int) -> str:
    return {0: "none is given", 1: "1 is given"}.get(n, f"{n} are given")


def _range_text(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {_count(low)}"
    if low == high:
        return _count(low)
    return f"{low} to {_count(high)}" if high - low > 1 else f"{low} or {_count(high)}"


def _never(
    source: SourceFile, left: A.Expr, labels: tuple[str, ...], value: str, right: A.Expr
) -> Diagnostic:
    shown_left = snippet(source, left.span)
    shown = value if isinstance(right, A.Name) else f'"{value}"'
    dym = did_you_mean(value, labels)
    listed = f"`{shown_left}` is one of {quoted_list(labels)}"
    return error(
        "E0115",
        f"`{shown_left}` is never `{shown}`",
        right.span,
        f"{dym} ({listed})" if dym else listed,
    )
