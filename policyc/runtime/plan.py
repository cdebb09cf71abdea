"""A runnable plan: the IR's steps, each with the function a backend compiled for it.

The engine runs these; it knows nothing of how the functions were made (the closure
backend, `policyc.backend.closures`, is one way). A step's `ir` is its `policyc.ir` step:
what it reads this month and from history, and its expression as data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policyc.ir import nodes as N
from policyc.runtime.values import RowEnv
from policyc.semantics.model import Model
from policyc.source import Span
from policyc.syntax import ast as A

Fn = Callable[[RowEnv], Any]


@dataclass
class LadderInfo:
    name: str
    subject: int | None
    steps: dict[Any, tuple[str, ...]]
    default: tuple[str, ...] | None

    @classmethod
    def of(cls, ref: N.LadderRef) -> LadderInfo:
        return cls(ref.name, ref.subject, dict(ref.steps), ref.default)

    def for_row(self, r: RowEnv) -> tuple[str, ...] | None:
        if self.subject is None:
            return self.default
        return self.steps.get(r.v[self.subject], self.default)


@dataclass
class RowStep:
    name: str
    slot: int
    fn: Fn
    span: Span
    override: tuple[int, int | None, str | None, Span] | None = None  # field, reason, text
    hidden: bool = False
    traced: Fn | None = None  # `fn` recording how it was worked out, for explained rows
    owner: str | None = None  # a hidden step: the definition that reads it this month
    ir: N.RowStep | None = None


@dataclass
class GroupStep:
    name: str
    slot: int
    kind: str  # rank, mean, sum, min, max, count, all, any
    keys: list[tuple[Fn, bool, str]]  # (value, descending, text) for rank; value for aggs
    cond: Fn
    cond_text: str
    per: int | None
    per_name: str | None
    span: Span
    owner: str | None = None  # the definition that reads it
    ir: N.GroupStep | None = None


@dataclass
class StateStep:
    name: str
    slot: int
    start: Fn
    ladder: LadderInfo | None
    transitions: list[tuple[str, int, Fn, Fn | None, Span]]
    start_column: str
    span: Span
    ir: N.StateStep | None = None


Step = RowStep | GroupStep | StateStep


@dataclass
class Plan:
    model: Model
    slots: dict[str, int]
    nslots: int
    field_names: list[str]
    steps: list[Step]
    outputs: list[tuple[str, int]]
    hidden: dict[str, A.Expr]
    source_text: str = ""
    ir: N.Program | None = None
    # compiles each row step's `traced` function the first time a row is traced: plain
    # evaluation never pays for it
    trace_compiler: Callable[[Plan], None] | None = field(default=None, repr=False)

    def ensure_traced(self) -> None:
        if self.trace_compiler is not None:
            compile_traced, self.trace_compiler = self.trace_compiler, None
            compile_traced(self)


__all__ = ["Fn", "GroupStep", "LadderInfo", "Plan", "RowStep", "StateStep", "Step"]
