"""Walking expression trees: the sub-expressions of a node, every node, every name."""

from __future__ import annotations

from collections.abc import Iterator

from policyc.syntax import ast as A


def children(e: A.Expr) -> Iterator[A.Expr]:
    """The sub-expressions of `e`, including table cells, bounds and case bodies."""
    match e:
        case A.BinOp() | A.Compare() | A.And() | A.Or():
            yield e.left
            yield e.right
        case A.Neg() | A.Not():
            yield e.operand
        case A.Is():
            yield e.left
            yield e.right
        case A.In():
            yield e.left
            yield from e.items
        case A.If():
            yield e.cond
            yield e.then
            yield e.otherwise
        case A.Call():
            for a in e.args:
                yield a.value
            if isinstance(e.clause, A.Among):
                yield e.clause.cond
        case A.Weighted():
            for t in e.terms:
                yield t.value
        case A.Table():
            yield from e.inputs
            for row in e.rows:
                for cell in row.cells:
                    if isinstance(cell, A.BoundsCell):
                        for b in cell.bounds:
                            yield b.value
                    elif isinstance(cell, A.EqualCell):
                        yield from cell.values
                yield row.result
        case A.By():
            for c in e.cases:
                yield c.body
        case _:
            return


def walk(e: A.Expr) -> Iterator[A.Expr]:
    yield e
    for c in children(e):
        yield from walk(c)


def names_in(e: A.Expr) -> Iterator[A.Name]:
    for node in walk(e):
        if isinstance(node, A.Name):
            yield node
