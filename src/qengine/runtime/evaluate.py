"""Evaluating the expression IR: each rule of a machine becomes a Python closure, once.

A dispatch table over the IR's ops builds the closures; nothing is ever passed to ``eval``. The
semantics, for every runtime (``docs/machine.md``): an unanswered value is ``None``; a comparison
with it is false (``!=`` too) and arithmetic with it gives ``None``, as does division by zero or a
result beyond the float range; ``==`` on numbers forgives float rounding. The functions ``round``,
``int``, ``number``, ``substr`` and ``mod`` are plain functions here (:data:`FUNCTIONS`), shared
with the generated validators, so that both give the same value to the last bit.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

Env = dict[str, Any]
Fn = Callable[[Env], Any]

ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
          "eq": operator.eq, "ne": operator.ne}
_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
#: integers up to 2**53 are exact in every runtime (a JavaScript number is a double)
EXACT = 2**53


def held(result: Any) -> Any:
    """An arithmetic result as every runtime holds it: an integer of ±2**53 or more becomes the
    nearest double, a float (as in JavaScript; the same rounding as IEEE arithmetic; from 2**53 on
    the double itself tells whether it is that big), and a result beyond the float range has no
    value (None)."""
    if -EXACT < result < EXACT:  # the common case: one comparison chain
        return result
    if type(result) is int:
        try:
            result = float(result)
        except OverflowError:
            return None
    return result if math.isfinite(result) else None


def add_all(values: list[Any]) -> Any:
    """``sum()`` of the rule language: left to right, each step held (never Python 3.12's
    compensated ``sum``, so that every runtime adds alike)."""
    total: Any = 0
    for v in values:
        total = held(total + v)
        if total is None:
            return None
    return total


def num_eq(a: Any, b: Any) -> bool:
    """Equality of numbers that forgives float rounding (0.1 + 0.2 == 0.3 in a money check)."""
    if a == b:
        return True
    try:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    except OverflowError:  # beyond the float range: only exact equality counts
        return False


def num_ne(a: Any, b: Any) -> bool:
    return not num_eq(a, b)


#: 10**d for the decimals d of round(x, d): exact doubles, the same in every runtime
POWERS = tuple(float(10**d) for d in range(16))


def fn_round(x: Any, d: Any = 0) -> Any:
    """``round(x)`` = floor(x + 0.5) (XPath 1.0); ``round(x, d)`` = floor(x * 10**d + 0.5) / 10**d
    for d a whole number 0..15, else no value. Each step is one IEEE operation on doubles, as in
    JavaScript, so every runtime gets the same double."""
    if x is None or d is None or d != int(d) or not 0 <= d <= 15:
        return None
    p = POWERS[int(d)]
    y = x * p + 0.5
    if not math.isfinite(y):  # beyond the float range: no value
        return None
    whole = math.floor(y)
    return held(whole) if p == 1.0 else held(float(whole) / p)


def fn_int(x: Any) -> Any:
    """``int(x)``: x truncated toward zero."""
    return None if x is None else held(math.trunc(x))


# A decimal number text: optional sign, digits, optionally a point and digits, spaces trimmed
# (space, tab, CR, LF only: the same set in every runtime). ASCII digits only.
_NUMBER_TEXT = re.compile(r"[ \t\r\n]*([+-]?[0-9]+(?:\.[0-9]+)?)[ \t\r\n]*")


def fn_number(x: Any) -> Any:
    """``number(x)``: a text that is a decimal number gives that number (anything else no value);
    a number is itself; a choice code is its number."""
    if type(x) is not str:
        return x  # a number, a code, or no value
    m = _NUMBER_TEXT.fullmatch(x)
    if m is None:
        return None
    body = m.group(1)
    if "." not in body and len(body) <= 17:  # short enough to convert fast; held: 2**53 on
        return held(int(body))              # is the nearest double, as a parsed one
    return held(float(body))  # the nearest double (correctly rounded, as JavaScript's Number)


def _index(i: Any, size: int) -> int:
    i = math.trunc(i)
    return 0 if i < 0 else size if i > size else i


def fn_substr(s: Any, start: Any, end: Any = ...) -> Any:
    """``substr(s, start[, end])``: 0-based, end exclusive, in code points; the indices truncated
    to whole numbers and clamped to 0..len(s)."""
    if s is None or start is None or end is None:
        return None
    size = len(s)
    a = _index(start, size)
    b = size if end is ... else _index(end, size)
    return s[a:b]


def fn_mod(a: Any, b: Any) -> Any:
    """``mod(a, b)``: the remainder with the sign of a (C's fmod, JavaScript's %); none for b 0."""
    if a is None or b is None or b == 0:
        return None
    if type(a) is int and type(b) is int:  # exact, and an int like the operands
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    return held(math.fmod(a, b))


#: the rule language's functions of plain values (None when an argument has no value)
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "round": fn_round, "int": fn_int, "number": fn_number, "substr": fn_substr, "mod": fn_mod,
}


def literal_of(node: Mapping[str, Any]) -> tuple[bool, Any]:
    """``(True, value)`` when ``node`` is a literal (``-3`` included), else ``(False, None)``."""
    op = node["op"]
    if op in ("num", "text", "code"):
        return True, node["value"]
    if op == "neg" and node["args"][0]["op"] == "num":
        return True, -node["args"][0]["value"]
    return False, None


class Evaluator:
    """Builds closures from IR; ``computed`` maps each computed question to its closure, filled
    before any rule runs (a rule reading a computed value looks it up when it runs)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        self.computed: dict[str, Fn] = {}

    def expr(self, node: Mapping[str, Any]) -> Fn:
        return _BUILDERS[node["op"]](self, node)

    # -- leaves ----------------------------------------------------------------------------
    def _const(self, node: Mapping[str, Any]) -> Fn:
        value = node["value"]
        return lambda env: value

    def _answer(self, node: Mapping[str, Any]) -> Fn:
        name = node["id"]
        return lambda env: env.get(name)

    def _param(self, node: Mapping[str, Any]) -> Fn:
        name = node["name"]
        return lambda env: env[name]  # params are always in the environment

    def _computed(self, node: Mapping[str, Any]) -> Fn:
        name, table = node["id"], self.computed
        return lambda env: table[name](env)

    # -- operators -------------------------------------------------------------------------
    def _neg(self, node: Mapping[str, Any]) -> Fn:
        f = self.expr(node["args"][0])

        def neg(env: Env) -> Any:
            a = f(env)
            return None if a is None else -a

        return neg

    def _not(self, node: Mapping[str, Any]) -> Fn:
        f = self.expr(node["args"][0])
        return lambda env: not f(env)

    def _div(self, node: Mapping[str, Any]) -> Fn:
        lf, rf = (self.expr(a) for a in node["args"])

        def div(env: Env) -> Any:
            a = lf(env)
            if a is None:
                return None
            b = rf(env)
            if b is None or b == 0:
                return None  # division by zero has no answer, like an unanswered value
            try:
                return held(a / b)
            except OverflowError:
                return None

        return div

    def _arith(self, node: Mapping[str, Any]) -> Fn:
        lf, rf = (self.expr(a) for a in node["args"])
        pyop = _ARITH[node["op"]]

        def arith(env: Env) -> Any:
            a = lf(env)
            if a is None:
                return None
            b = rf(env)
            if b is None:
                return None
            try:
                return held(pyop(a, b))
            except OverflowError:  # a float result beyond the float range has no answer
                return None

        return arith

    def _bool(self, node: Mapping[str, Any]) -> Fn:
        fs = tuple(self.expr(a) for a in node["args"])
        if node["op"] == "and":
            if len(fs) == 2:
                a, b = fs
                return lambda env: bool(a(env) and b(env))
            return lambda env: all(f(env) for f in fs)
        if len(fs) == 2:
            a, b = fs
            return lambda env: bool(a(env) or b(env))
        return lambda env: any(f(env) for f in fs)

    def _compare(self, node: Mapping[str, Any]) -> Fn:
        op = node["op"]
        left, right = node["args"]
        pyop = ORDER[op]
        numeric = left["type"] == "num" or right["type"] == "num"
        if op in ("eq", "ne") and numeric:
            pyop = num_eq if op == "eq" else num_ne
        is_const, c = literal_of(right)
        if is_const and left["op"] == "answer":
            return _answer_vs_constant(left["id"], op, pyop, c)
        lf = self.expr(left)
        if is_const:
            def compare_const(env: Env) -> bool:
                a = lf(env)
                return a is not None and safe_compare(pyop, a, c)

            return compare_const
        rf = self.expr(right)

        def compare(env: Env) -> bool:
            a = lf(env)
            if a is None:
                return False  # a comparison with an unanswered value is false
            b = rf(env)
            return b is not None and safe_compare(pyop, a, b)

        return compare

    def _in(self, node: Mapping[str, Any]) -> Fn:
        left, *items = node["args"]
        lf = self.expr(left)
        negated = node["op"] == "not_in"
        consts = [literal_of(i) for i in items]
        if all(ok for ok, _v in consts) and left["type"] == "num":
            numbers = tuple(v for _ok, v in consts)

            def member_number(env: Env) -> bool:
                a = lf(env)  # numbers compare as == does: forgiving float rounding
                return a is not None and (
                    any(safe_compare(num_eq, a, v) for v in numbers) is not negated)

            return member_number
        if all(ok for ok, _v in consts):
            values = frozenset(v for _ok, v in consts)

            def member(env: Env) -> bool:
                a = lf(env)
                return a is not None and ((a in values) is not negated)

            return member
        fs = tuple(self.expr(i) for i in items)

        if left["type"] == "num":
            def member_dynamic_number(env: Env) -> bool:
                a = lf(env)  # numbers compare as == does: forgiving float rounding
                if a is None:
                    return False
                found = any((v := f(env)) is not None and safe_compare(num_eq, a, v) for f in fs)
                return found is not negated

            return member_dynamic_number

        def member_dynamic(env: Env) -> bool:
            a = lf(env)
            if a is None:
                return False
            found = any(f(env) == a for f in fs)
            return found is not negated

        return member_dynamic

    # -- functions -------------------------------------------------------------------------
    def _answered(self, node: Mapping[str, Any]) -> Fn:
        f = self.expr(node["args"][0])
        return lambda env: f(env) is not None

    def _selected(self, node: Mapping[str, Any]) -> Fn:
        first, *rest = node["args"]
        f = self.expr(first)
        codes = frozenset(a["value"] for a in rest)
        if first["type"] == "codes":
            return lambda env: bool((v := f(env)) and not codes.isdisjoint(v))
        return lambda env: f(env) in codes

    def _count(self, node: Mapping[str, Any]) -> Fn:
        f = self.expr(node["args"][0])
        return lambda env: len(f(env) or ())

    def _if(self, node: Mapping[str, Any]) -> Fn:
        cond, yes, no = (self.expr(a) for a in node["args"])
        return lambda env: yes(env) if cond(env) else no(env)  # only the branch chosen runs

    def _function(self, node: Mapping[str, Any]) -> Fn:
        fs = tuple(self.expr(a) for a in node["args"])
        fn = FUNCTIONS[node["op"]]
        if len(fs) == 1:
            (f,) = fs
            return lambda env: fn(f(env))
        return lambda env: fn(*(f(env) for f in fs))

    def _aggregate(self, node: Mapping[str, Any]) -> Fn:
        fs = tuple(self.expr(a) for a in node["args"])
        reduce = REDUCE[node["op"]]

        def aggregate(env: Env) -> Any:
            values = [f(env) for f in fs]
            if None in values:
                return None  # like arithmetic: an unanswered operand gives no answer
            try:
                return reduce(values)
            except OverflowError:
                return None

        return aggregate


def safe_compare(pyop: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    try:
        return pyop(a, b)
    except TypeError:  # unlike values (a hand-made machine): a comparison that cannot hold
        return False


def _answer_vs_constant(name: str, op: str, pyop: Callable[[Any, Any], bool], c: Any) -> Fn:
    """The commonest rule, ``q4 == ②``, as one small closure (it runs in every jump)."""
    if op == "eq" and pyop is operator.eq:
        return lambda env: env.get(name) == c  # c is never None, so unanswered is False
    if op == "eq":
        def numeric_eq(env: Env) -> bool:
            a = env.get(name)
            return a is not None and (a == c or safe_compare(num_eq, a, c))

        return numeric_eq

    def compare(env: Env) -> bool:
        a = env.get(name)
        return a is not None and safe_compare(pyop, a, c)

    return compare


REDUCE: dict[str, Callable[[list[Any]], Any]] = {
    "sum": add_all, "min": min, "max": max, "abs": lambda vs: abs(vs[0]), "len": lambda vs: len(vs[0]),
}

_BUILDERS: dict[str, Callable[..., Fn]] = {
    "num": Evaluator._const, "text": Evaluator._const, "code": Evaluator._const,
    "answer": Evaluator._answer, "param": Evaluator._param, "computed": Evaluator._computed,
    "neg": Evaluator._neg, "not": Evaluator._not, "div": Evaluator._div,
    "add": Evaluator._arith, "sub": Evaluator._arith, "mul": Evaluator._arith,
    "and": Evaluator._bool, "or": Evaluator._bool,
    **dict.fromkeys(("eq", "ne", "lt", "le", "gt", "ge"), Evaluator._compare),
    "in": Evaluator._in, "not_in": Evaluator._in,
    "answered": Evaluator._answered, "selected": Evaluator._selected, "count": Evaluator._count,
    **dict.fromkeys(("sum", "min", "max", "abs", "len"), Evaluator._aggregate),
    "if": Evaluator._if, **dict.fromkeys(FUNCTIONS, Evaluator._function),
}
