"""Stage 3: parse rule text into the syntax tree of :mod:`qengine.nodes`, with locations.

The grammar is ``rules.lark`` (package data), parsed by lark's LALR parser: linear time, no
backtracking, and the tree is built in linear time too (a chain of ``and``/``or`` is one node built
once), so no rule text can make it hang; text longer than :data:`MAX_RULE_LENGTH` is refused before
it is parsed at all. Rule text is never evaluated as Python.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from qengine.lang import nodes as n
from qengine.lang.nodes import MAX_NUMBER_CHARS, number_problem
from qengine.location import SourceLocation
from qengine.notation import fold_fullwidth

MAX_NESTING = 40
MAX_TREE_DEPTH = 200
#: The longest rule text, in characters (the schema's ``maxLength`` of a rule says the same).
MAX_RULE_LENGTH = 4000


class RuleSyntaxError(Exception):
    """Raised by :func:`parse_rule`; carries the located message for the diagnostics."""

    def __init__(self, loc: SourceLocation, message: str, code: str = "rule_syntax") -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.code = code


# Where the rule being parsed starts in the form file. The LALR parser builds our nodes directly
# (an inline transformer: no intermediate tree), so the one transformer reads the base from here;
# thread-local, so that forms may be loaded on several threads at once.
_where = threading.local()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark.open_from_package(
        "qengine.lang", "rules.lark", parser="lalr", maybe_placeholders=True, transformer=_Builder()
    )


_COMP = {"=": "==", "≤": "<=", "≥": ">=", "≠": "!="}
_ARITH = {"−": "-", "×": "*", "÷": "/"}


def parse_rule(text: str, base: SourceLocation) -> n.Node:
    """Parse ``text``; ``base`` is where its first character stands in the form file."""
    if len(text) > MAX_RULE_LENGTH:  # refused before any work on it
        raise RuleSyntaxError(base, f"rule is too long ({len(text)} characters; at most "
                              f"{MAX_RULE_LENGTH})", "rule_too_long")
    text = fold_fullwidth(text)  # full-width ASCII folded before parsing: same columns
    _check_nesting(text, base)
    _where.base = base
    try:
        tree: n.Node = _lark().parse(text)
    except UnexpectedCharacters as exc:
        loc = _at(base, exc.line, exc.column)
        raise RuleSyntaxError(loc, f"unexpected character {text[exc.pos_in_stream]!r} in rule"
                              ) from None
    except UnexpectedEOF:
        loc = _offset(base, text, len(text.rstrip()))
        raise RuleSyntaxError(loc, "rule ends too early (an operand or ')' is missing)") from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if isinstance(token, Token) and token.type == "$END":
            loc = _offset(base, text, len(text.rstrip()))
            raise RuleSyntaxError(loc, "rule ends too early (an operand or ')' is missing)"
                                  ) from None
        loc = _at(base, getattr(exc, "line", 1), getattr(exc, "column", 1))
        shown = f" {str(token)!r}" if token is not None else ""
        raise RuleSyntaxError(loc, f"unexpected{shown} in rule") from None
    except LarkError as exc:  # pragma: no cover - other lark failures are still ours to report
        raise RuleSyntaxError(base, f"cannot parse rule: {exc}") from None
    depth = _tree_depth(tree)
    if depth > MAX_TREE_DEPTH:  # later stages walk trees recursively: keep them shallow
        raise RuleSyntaxError(base, f"rule is nested too deeply ({depth} levels; at most "
                              f"{MAX_TREE_DEPTH})", "rule_too_deep")
    return tree


def _check_nesting(text: str, base: SourceLocation) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                raise RuleSyntaxError(_offset(base, text, i), "brackets nested too deeply "
                                      f"(more than {MAX_NESTING} levels)", "rule_too_deep")
        elif ch in ")]":
            depth -= 1


def _tree_depth(tree: n.Node) -> int:
    deepest = 0
    stack: list[tuple[n.Node, int]] = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest = d
        stack.extend((c, d + 1) for c in node.children())
    return deepest


def _at(base: SourceLocation, line: int, column: int) -> SourceLocation:
    """Lark's 1-based (line, column) inside the rule, placed in the form file."""
    if line <= 1:
        return SourceLocation(base.file, base.line, base.column + column - 1)
    return SourceLocation(base.file, base.line + line - 1, column)


def _offset(base: SourceLocation, text: str, pos: int) -> SourceLocation:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return _at(base, line, column)


class _Builder(Transformer):  # type: ignore[type-arg]
    """Builds :mod:`qengine.nodes` as lark parses, placing every node in the form file."""

    @property
    def base(self) -> SourceLocation:
        return _where.base  # type: ignore[no-any-return]

    def _loc(self, item: Any) -> SourceLocation:
        if isinstance(item, Token):
            return _at(self.base, item.line or 1, item.column or 1)
        if isinstance(item, n.Node):
            return item.loc
        return self.base

    def start(self, items: list[n.Node]) -> n.Node:
        return items[0]

    def number(self, items: list[Token]) -> n.Node:
        tok = items[0]
        loc = self._loc(tok)
        if len(tok) > MAX_NUMBER_CHARS:  # never convert it: int() of a long digit string is slow
            raise RuleSyntaxError(loc, f"the number {tok[:20]}... is written with {len(tok)} "
                                  f"characters; a number in a rule has at most "
                                  f"{MAX_NUMBER_CHARS}", "number_range")
        value: int | float = float(tok) if "." in tok else int(tok)
        problem = number_problem(value)
        if problem is not None:
            raise RuleSyntaxError(loc, f"the number {tok} {problem}", "number_range")
        return n.Num(loc, value)

    def string(self, items: list[Token]) -> n.Node:
        return n.Str(self._loc(items[0]), str(items[0])[1:-1])

    def code(self, items: list[Token]) -> n.Node:
        return n.Code(self._loc(items[0]), ord(str(items[0])) - 0x245F)

    def name(self, items: list[Token]) -> n.Node:
        return n.Name(self._loc(items[0]), str(items[0]))

    def call(self, items: list[Any]) -> n.Node:
        func, args = items
        return n.Call(self._loc(func), str(func), tuple(args or ()))

    def args(self, items: list[n.Node]) -> list[n.Node]:
        return list(items)

    def list(self, items: list[Any]) -> n.Node:
        args = items[0] or []
        loc = args[0].loc if args else self.base
        return n.ListLit(loc, tuple(args))

    def unary(self, items: list[Any]) -> n.Node:
        sign, operand = items
        if str(sign) == "+":
            return operand  # type: ignore[no-any-return]
        return n.Neg(self._loc(sign), operand)

    def not_(self, items: list[Any]) -> n.Node:
        return n.Not(self._loc(items[0]), items[1])

    def binop(self, items: list[Any]) -> n.Node:
        left, op, right = items
        return n.BinOp(self._loc(op), _ARITH.get(str(op), str(op)), left, right)

    def compare(self, items: list[Any]) -> n.Node:
        left, op, right = items
        return n.Compare(self._loc(op), _COMP.get(str(op), str(op)), left, right)

    def in_(self, items: list[Any]) -> n.Node:
        left, word, items_ = items
        return n.In(self._loc(word), left, items_)

    def not_in(self, items: list[Any]) -> n.Node:
        left, word, _in, items_ = items
        return n.In(self._loc(word), left, items_, negated=True)

    def _bool(self, op: str, items: list[Any]) -> n.Node:
        # The grammar hands over a whole chain at once: [a, OR, b, OR, c, ...]. One pass builds
        # the node; a bracketed operand of the same operator is merged in, as before.
        operands: list[n.Node] = []
        for side in items[::2]:
            if isinstance(side, n.BoolOp) and side.op == op:
                operands.extend(side.operands)
            else:
                operands.append(side)
        return n.BoolOp(self._loc(items[1]), op, tuple(operands))

    def and_(self, items: list[Any]) -> n.Node:
        return self._bool("and", items)

    def or_(self, items: list[Any]) -> n.Node:
        return self._bool("or", items)
