"""The rule language's syntax tree: frozen attrs classes, each with the location it was written at."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import attrs

from qengine.location import SourceLocation
from qengine.notation import circled

#: The numeric domain of forms. Every number a form writes (a YAML number: a bound, a param, a jump
#: key, a choice code; or a number in a rule) is finite and at most 10**15 in size: far beyond any
#: count or sum of money a survey records, and small enough that every whole number in the range
#: is exact as a float. A number written with more than MAX_NUMBER_CHARS characters is refused
#: before it is converted, so no digit string can make ``int()`` slow or hit Python's limit on
#: int-to-text conversion.
MAX_MAGNITUDE = 10**15
MAX_NUMBER_CHARS = 30


def number_problem(value: int | float) -> str | None:
    """Why ``value`` is outside the numeric domain of forms ('' phrases), or None when inside."""
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    if abs(value) > MAX_MAGNITUDE:
        return "is beyond 10**15 (1e15), the largest size a number in a form may have"
    return None


@attrs.frozen(slots=True)
class Node:
    loc: SourceLocation = attrs.field(eq=False, repr=False)

    def children(self) -> tuple[Node, ...]:
        return ()


@attrs.frozen(slots=True)
class Num(Node):
    value: int | float


@attrs.frozen(slots=True)
class Str(Node):
    value: str


@attrs.frozen(slots=True)
class Code(Node):
    """A circled number such as ②, written for choice code 2."""

    value: int


@attrs.frozen(slots=True)
class Name(Node):
    """A reference to a question (by id) or a param (by name)."""

    id: str


@attrs.frozen(slots=True)
class ListLit(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@attrs.frozen(slots=True)
class Neg(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@attrs.frozen(slots=True)
class Not(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@attrs.frozen(slots=True)
class BinOp(Node):
    """Arithmetic: ``op`` is one of + - * /."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@attrs.frozen(slots=True)
class Compare(Node):
    """A comparison: ``op`` is one of == != < <= > >=."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@attrs.frozen(slots=True)
class BoolOp(Node):
    """``and`` / ``or`` over two or more operands."""

    op: str
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands


@attrs.frozen(slots=True)
class In(Node):
    left: Node
    items: ListLit
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.items)


@attrs.frozen(slots=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def names(node: Node, *, skip_answered: bool = False) -> list[Name]:
    """The :class:`Name` nodes of a tree, in reading order.

    With ``skip_answered``, names that only appear as the argument of ``answered(...)`` are left out:
    those are the names a check does not wait for.
    """
    out: list[Name] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            out.append(current)
        elif skip_answered and isinstance(current, Call) and current.func == "answered":
            continue
        else:
            stack.extend(reversed(current.children()))
    return out


def to_source(node: Node) -> str:
    """Render a tree back to rule text (normalised spacing and operators)."""
    return _render(node, 0)


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def _render(node: Node, outer: int) -> str:
    text, prec = _render_inner(node)
    return f"({text})" if prec < outer else text


def _render_inner(node: Node) -> tuple[str, int]:
    if isinstance(node, Num):
        return repr(node.value), 9
    if isinstance(node, Str):
        return '"' + node.value + '"', 9
    if isinstance(node, Code):
        return circled(node.value), 9
    if isinstance(node, Name):
        return node.id, 9
    if isinstance(node, ListLit):
        return "[" + ", ".join(_render(i, 0) for i in node.items) + "]", 9
    if isinstance(node, Call):
        return f"{node.func}(" + ", ".join(_render(a, 0) for a in node.args) + ")", 9
    if isinstance(node, Neg):
        return "-" + _render(node.operand, 7), 7
    if isinstance(node, Not):
        return "not " + _render(node.operand, 3), 3
    if isinstance(node, BinOp):
        p = _PREC[node.op]
        return f"{_render(node.left, p)} {node.op} {_render(node.right, p + 1)}", p
    if isinstance(node, Compare):
        return f"{_render(node.left, 5)} {node.op} {_render(node.right, 5)}", 4
    if isinstance(node, In):
        word = "not in" if node.negated else "in"
        return f"{_render(node.left, 5)} {word} {_render(node.items, 0)}", 4
    if isinstance(node, BoolOp):
        p = _PREC[node.op]
        return f" {node.op} ".join(_render(o, p + 1) for o in node.operands), p
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover


def literal_value(node: Node) -> Any:
    """The value of a literal node (Num, Str, Code), else None."""
    if isinstance(node, (Num, Str, Code)):
        return node.value
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        return -node.operand.value
    return None
