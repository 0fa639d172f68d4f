"""Generated validators: one straight-line Python function per form, for validation at speed.

This is the one module of qengine that calls ``compile`` and ``exec``, and it is written to be
audited. The source is built only from a form's checked machine, never from YAML text, and what
reaches the source is bounded by construction, then checked again before it is compiled:

- every identifier comes from a fixed table: ``v12`` (the value of question 12), ``p3`` (param 3),
  ``k7`` (constant 7 of the namespace), the helpers of :data:`HELPERS` and a few fixed names;
- literals are the ``repr()`` of exact ``int``, finite ``float`` and short ``str`` values; anything
  else becomes a constant in the namespace;
- operators come from fixed tables; messages, violations and coercers live in the namespace, never
  in the source;
- :func:`audit` parses the source and refuses any node, name, attribute or constant outside those
  tables, so a bug in the generator cannot turn into running text from a form;
- the function runs with empty ``__builtins__``.

Anything the generator does not handle (:class:`Declined`) leaves the form on the interpreter
(:mod:`qengine.runtime.walk` and :mod:`qengine.runtime.evaluate`), which stays the oracle: the
tests hold the generated function equal to it, violation for violation.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from datetime import date as _date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from qengine.errors import AnswerError
from qengine.notation import id_number_ok
from qengine.runtime.evaluate import (
    FUNCTIONS,
    ORDER,
    REDUCE,
    held,
    literal_of,
    num_eq,
    num_ne,
    safe_compare,
)
from qengine.runtime.machine import ANSWER_TYPES, MAX_MAGNITUDE, is_number
from qengine.runtime.results import Check, Violation
from qengine.runtime.values import ACCEPT_CODE, ACCEPT_INT, ACCEPT_TEXT, accepts
from qengine.runtime.walk import Walk

if TYPE_CHECKING:
    from qengine.runtime.form import Form

#: the longest text written into the source as a literal (longer ones become constants)
MAX_LITERAL_CHARS = 200
#: the most questions, checks or expression nodes a generated function holds
MAX_QUESTIONS = 20000
MAX_NODES = 200000
#: the deepest expression written out (each level costs up to three parentheses)
MAX_DEPTH = 40

_NAME = re.compile(r"(?:[vcwrpt]|k)\d{1,6}\Z")
_FIXED_NAMES = frozenset({"rec", "env", "get", "out", "ap", "x", "s", "e", "P", "T",
                          "validate", "AnswerError", "type", "int", "str", "list",
                          "len", "set", "sorted"})
_ATTRIBUTES = frozenset({"get", "append", "strip", "isascii", "isprintable", "isdisjoint",
                         "issuperset"})
_NODES = (ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.AugAssign, ast.If,
          ast.Try, ast.ExceptHandler, ast.Return, ast.Expr, ast.Call, ast.Compare, ast.BoolOp,
          ast.UnaryOp, ast.BinOp, ast.IfExp, ast.NamedExpr, ast.Name, ast.Load, ast.Store,
          ast.Constant, ast.Attribute, ast.Tuple, ast.List, ast.Subscript, ast.Pass,
          ast.And, ast.Or, ast.Not, ast.USub, ast.Add, ast.Sub, ast.Mult, ast.Div,
          ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn)

# Python's spelling of the IR's comparison and arithmetic ops (a fixed table)
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_ARITH = {"add": "+", "sub": "-", "mul": "*"}
_SAFE_BOUND = 2**53  # below this, results are exact integers or finite floats: nothing to hold


class Declined(Exception):
    """The generator does not handle this form (the interpreter runs it): the reason."""


# -- helpers the generated code calls: a fixed table, the same semantics as evaluate.py ---------
def _h_div(a: Any, b: Any) -> Any:
    if a is None or b is None or b == 0:
        return None
    try:
        return held(a / b)
    except OverflowError:
        return None


def _arith(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def arith(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        try:
            return held(fn(a, b))
        except OverflowError:
            return None

    return arith


def _compare(op: str) -> Callable[[Any, Any], bool]:
    fn = ORDER[op]
    return lambda a, b: a is not None and b is not None and safe_compare(fn, a, b)


def _numeric(eq: bool) -> Callable[[Any, Any], bool]:
    fn = num_eq if eq else num_ne
    return lambda a, b: a is not None and b is not None and safe_compare(fn, a, b)


def _aggregate(op: str) -> Callable[[tuple[Any, ...]], Any]:
    reduce = REDUCE[op]

    def aggregate(values: tuple[Any, ...]) -> Any:
        if None in values:
            return None
        try:
            return reduce(list(values))
        except OverflowError:
            return None

    return aggregate


def _h_in_num(a: Any, numbers: tuple[Any, ...], negated: bool) -> bool:
    return a is not None and (any(safe_compare(num_eq, a, v) for v in numbers) is not negated)


def _h_in_dyn(a: Any, values: tuple[Any, ...], negated: bool) -> bool:
    return a is not None and (any(v == a for v in values) is not negated)


def _h_in_dyn_num(a: Any, values: tuple[Any, ...], negated: bool) -> bool:
    return a is not None and (any(v is not None and safe_compare(num_eq, a, v)
                                  for v in values) is not negated)


def _h_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _h_ints(values: list[Any]) -> bool:
    for v in values:  # a loop: cheaper than all() over a generator for a few codes  # noqa: SIM110
        if type(v) is not int:
            return False
    return True


def _h_date(text: str) -> bool:
    """An ASCII text of ten characters that is a calendar date ``YYYY-MM-DD`` (as is_iso_date)."""
    if text[4] != "-" or text[7] != "-" or not (
            text[:4].isdigit() and text[5:7].isdigit() and text[8:].isdigit()):
        return False
    try:
        _date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _h_blank(value: Any) -> bool:
    if type(value) is str:
        return not value.strip()
    return (type(value) is list or type(value) is tuple) and not value


HELPERS: dict[str, Any] = {
    "h_div": _h_div, "h_add": _arith(lambda a, b: a + b), "h_sub": _arith(lambda a, b: a - b),
    "h_mul": _arith(lambda a, b: a * b), "h_neg": lambda a: None if a is None else -a,
    **{f"h_{op}": _compare(op) for op in _COMPARE},
    "h_numeq": num_eq, "h_num_eq": _numeric(True), "h_num_ne": _numeric(False),
    **{f"h_{op}": _aggregate(op) for op in REDUCE},
    "h_in_num": _h_in_num, "h_in_dyn": _h_in_dyn, "h_in_dyn_num": _h_in_dyn_num,
    "h_utf8": _h_utf8, "h_id": id_number_ok,
    "h_date": _h_date, "h_ints": _h_ints, "h_blank": _h_blank,
    "h_empty_list": lambda value: type(value) is list and not value,
    **{f"h_{op}": fn for op, fn in FUNCTIONS.items()},  # round, int, number, substr, mod
    "AnswerError": AnswerError, "type": type, "int": int, "str": str,
    "list": list, "len": len, "set": set, "sorted": sorted,
}
_HELPER_NAMES = frozenset(HELPERS) | {"h_bad", "h_unknown", "h_computed", "h_walk"}


# -- the source ------------------------------------------------------------------------------
class _Source:
    """Lines of Python, the constants they refer to, and the temporaries they use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._by_id: dict[int, str] = {}
        self._temps = 0
        self.nodes = 0

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def constant(self, value: Any) -> str:
        """The namespace name of ``value`` (one name per object)."""
        key = id(value)
        if key not in self._by_id:
            name = f"k{len(self.constants)}"
            self.constants[name] = value
            self._by_id[key] = name
        return self._by_id[key]

    def literal(self, value: Any) -> str:
        """``value`` in the source: ``repr`` of an exact int, finite float or short text, else a
        constant of the namespace."""
        kind = type(value)
        if kind is bool:
            return "True" if value else "False"
        if kind is int and abs(value) <= MAX_MAGNITUDE:
            return f"({value!r})"
        if kind is float and math.isfinite(value):
            return f"({value!r})"
        if kind is str and len(value) <= MAX_LITERAL_CHARS:
            return repr(value)
        return self.constant(value)

    def temp(self) -> str:
        self._temps += 1
        return f"t{self._temps}"


class _Generator:
    """Writes the validator of one form (see the module docstring for what it may write)."""

    def __init__(self, form: Form, machine: Mapping[str, Any], coerce: bool, track: bool) -> None:
        self.form = form
        self.coerce = coerce
        self.track = track
        self.src = _Source()
        questions = machine["questions"]
        if len(questions) > MAX_QUESTIONS:
            raise Declined(f"more than {MAX_QUESTIONS} questions")
        self.questions = questions
        self.index = {q["id"]: i for i, q in enumerate(questions)}
        self.params = {p["name"]: (f"p{j}", p["type"]) for j, p in enumerate(machine["params"])}
        if set(self.params) & set(self.index):
            raise Declined("a param and a question share a name")
        self.computed = {c["question"]: c["value"] for c in machine["computed"]}
        self.machine_computed = machine["computed"]
        self._assigned: set[str] = set()
        self._bounds: dict[str, float] = {}
        self.steps = {s["question"]: s["jumps"] for s in machine["steps"]}
        section_ask = {s["id"]: s["ask_if"]["when"] for s in machine["sections"] if "ask_if" in s}
        #: per question, the ask_if rules it is asked under (its section's, then its own)
        self.relevance = [[r for r in (section_ask.get(q["section"]), q.get("ask_if", {}).get("when"))
                           if r is not None] for q in questions]
        self.checks = machine["checks"]
        self._inlining: set[str] = set()
        self._violations: dict[tuple[str, int], str] = {}
        self._depth = 0

    # -- expressions -------------------------------------------------------------------------
    def expr(self, node: Mapping[str, Any], after: bool) -> str:
        """A Python expression with the value the interpreter's closure of ``node`` gives.
        ``after``: evaluated after the walk (computed values are then in ``w`` locals)."""
        self.src.nodes += 1
        if self.src.nodes > MAX_NODES:
            raise Declined("expressions too large")
        op = node["op"]
        method = getattr(self, f"_op_{op}", None) if isinstance(op, str) else None
        if method is None:
            raise Declined(f"no generator for op {op!r}")
        self._depth += 1
        if self._depth > MAX_DEPTH:  # Python's parser nests parentheses at most 200 deep
            raise Declined(f"an expression nested deeper than {MAX_DEPTH}")
        try:
            out: str = method(node, after)
        finally:
            self._depth -= 1
        return out

    def _args(self, node: Mapping[str, Any], after: bool) -> list[str]:
        return [self.expr(a, after) for a in node["args"]]

    def _bound(self, node: Mapping[str, Any]) -> float:
        """How large a number ``node`` can be (math.inf when unknown): below
        :data:`_SAFE_BOUND`, arithmetic on it can neither overflow nor fail."""
        op = node["op"]
        if op in ("num", "code"):
            return abs(node["value"]) if is_number(node["value"]) else math.inf
        if op in ("answer", "param"):
            return float(MAX_MAGNITUDE)
        if op == "computed":
            qid = node["id"]
            if qid in self._inlining:
                return math.inf
            if qid not in self._bounds:  # once per value: a chain of values is read many times
                self._inlining.add(qid)
                try:
                    self._bounds[qid] = self._bound(self.computed[qid])
                finally:
                    self._inlining.discard(qid)
            return self._bounds[qid]
        if op in ("neg", "abs"):
            return self._bound(node["args"][0])
        bounds = [self._bound(a) for a in node.get("args", ())]
        if op in ("add", "sub", "sum"):
            return sum(bounds)
        if op == "mul":
            return bounds[0] * bounds[1] if all(b < _SAFE_BOUND for b in bounds) else math.inf
        if op in ("min", "max"):
            return max(bounds)
        if op in ("count", "len"):
            return float(MAX_MAGNITUDE)
        if op == "if":
            return max(bounds[1], bounds[2])
        if op in ("int", "mod"):  # never larger than their first argument
            return bounds[0]
        return math.inf

    def _op_num(self, node: Mapping[str, Any], after: bool) -> str:
        return self.src.literal(node["value"])

    _op_text = _op_code = _op_num

    def _op_answer(self, node: Mapping[str, Any], after: bool) -> str:
        qid = node["id"]
        if qid not in self.index or qid in self.computed:
            raise Declined("an answer names no asked question")
        q = self.questions[self.index[qid]]
        if ANSWER_TYPES.get(q["type"]) != node["type"]:
            raise Declined("an answer's type is not its question's")
        return f"v{self.index[qid]}"

    def _op_param(self, node: Mapping[str, Any], after: bool) -> str:
        name = node["name"]
        if name not in self.params or self.params[name][1] != node["type"]:
            raise Declined("a param that the machine does not declare")
        return self.params[name][0]

    def _op_computed(self, node: Mapping[str, Any], after: bool) -> str:
        qid = node["id"]
        if qid not in self.computed:
            raise Declined("a computed value that the machine does not define")
        if after:
            if qid not in self._assigned:
                raise Declined("a computed value read before its value is defined")
            return f"w{self.index[qid]}"
        if qid in self._inlining:
            raise Declined("a computed value that reads itself")
        self._inlining.add(qid)
        try:  # the interpreter evaluates a computed value where it is read: so does this
            return self.expr(self.computed[qid], after)
        finally:
            self._inlining.discard(qid)

    def _op_neg(self, node: Mapping[str, Any], after: bool) -> str:
        (a,) = self._args(node, after)
        return f"h_neg({a})"

    def _op_not(self, node: Mapping[str, Any], after: bool) -> str:
        (a,) = self._args(node, after)
        return f"(not {a})"

    def _op_div(self, node: Mapping[str, Any], after: bool) -> str:
        a, b = self._args(node, after)
        return f"h_div({a}, {b})"

    def _arith(self, node: Mapping[str, Any], after: bool) -> str:
        a, b = self._args(node, after)
        op = node["op"]
        if self._bound(node) < _SAFE_BOUND and all(x["type"] == "num" for x in node["args"]):
            ta, tb = self.src.temp(), self.src.temp()
            return (f"(None if ({ta} := {a}) is None or ({tb} := {b}) is None "
                    f"else {ta} {_ARITH[op]} {tb})")
        return f"h_{op}({a}, {b})"

    _op_add = _op_sub = _op_mul = _arith

    def _bool(self, node: Mapping[str, Any], after: bool) -> str:
        joined = f" {node['op']} ".join(self._args(node, after))
        return f"(True if ({joined}) else False)"

    _op_and = _op_or = _bool

    def _compare(self, node: Mapping[str, Any], after: bool) -> str:
        op = node["op"]
        left, right = node["args"]
        a, b = self._args(node, after)
        numeric = left["type"] == "num" or right["type"] == "num"
        both_num = left["type"] == "num" and right["type"] == "num"
        both_text = left["type"] in ("text", "date") and right["type"] in ("text", "date")
        ta, tb = self.src.temp(), self.src.temp()
        if op in ("eq", "ne") and numeric:
            if not both_num:
                return f"h_num_{op}({a}, {b})"
            same = f"({ta} == {tb} or h_numeq({ta}, {tb}))"
            test = same if op == "eq" else f"(not {same})"
            return f"(({ta} := {a}) is not None and ({tb} := {b}) is not None and {test})"
        if op == "eq" and right["op"] in ("text", "code") and left["op"] == "answer":
            return f"({a} == {b})"  # the literal is never None: an unanswered value is unequal
        if both_num or both_text or (op in ("eq", "ne") and left["type"] == right["type"]
                                     and left["type"] in ("code", "bool")):
            return (f"(({ta} := {a}) is not None and ({tb} := {b}) is not None "
                    f"and {ta} {_COMPARE[op]} {tb})")
        return f"h_{op}({a}, {b})"

    _op_eq = _op_ne = _op_lt = _op_le = _op_gt = _op_ge = _compare

    def _op_in(self, node: Mapping[str, Any], after: bool) -> str:
        left, *items = node["args"]
        a = self.expr(left, after)
        negated = node["op"] == "not_in"
        consts = [literal_of(i) for i in items]
        literal = all(ok for ok, _v in consts)
        t = self.src.temp()
        if literal and left["type"] == "num":
            numbers = self.src.constant(tuple(v for _ok, v in consts))
            return f"h_in_num({a}, {numbers}, {negated})"
        if literal:
            values = self.src.constant(frozenset(v for _ok, v in consts))
            return f"(({t} := {a}) is not None and ({t} {'not in' if negated else 'in'} {values}))"
        rest = ", ".join(self.expr(i, after) for i in items)
        helper = "h_in_dyn_num" if left["type"] == "num" else "h_in_dyn"
        return f"{helper}({a}, ({rest},), {negated})"

    _op_not_in = _op_in

    def _op_answered(self, node: Mapping[str, Any], after: bool) -> str:
        (a,) = self._args(node, after)
        return f"({a} is not None)"

    def _op_selected(self, node: Mapping[str, Any], after: bool) -> str:
        first, *rest = node["args"]
        a = self.expr(first, after)
        codes = self.src.constant(frozenset(c["value"] for c in rest))
        if first["type"] == "codes":
            t = self.src.temp()
            return f"(True if ({t} := {a}) and not {codes}.isdisjoint({t}) else False)"
        return f"({a} in {codes})"

    def _op_count(self, node: Mapping[str, Any], after: bool) -> str:
        (a,) = self._args(node, after)
        return f"len({a} or ())"

    def _aggregate(self, node: Mapping[str, Any], after: bool) -> str:
        return f"h_{node['op']}(({', '.join(self._args(node, after))},))"

    _op_sum = _op_min = _op_max = _op_abs = _op_len = _aggregate

    def _op_if(self, node: Mapping[str, Any], after: bool) -> str:
        cond, yes, no = self._args(node, after)
        return f"({yes} if {cond} else {no})"  # as the interpreter: only the branch chosen runs

    def _function(self, node: Mapping[str, Any], after: bool) -> str:
        return f"h_{node['op']}({', '.join(self._args(node, after))})"

    _op_round = _op_int = _op_number = _op_substr = _op_mod = _function

    # -- one question ------------------------------------------------------------------------
    def accept(self, q: Mapping[str, Any], i: int) -> str | None:
        """A condition under which the raw answer ``x`` is already what the coercer returns
        (so it is taken as it is), or None: every other value goes through the coercer."""
        lit = self.src.literal
        taken, a, b = accepts(self.form.questions[i])  # what the interview takes at once, too
        if taken == ACCEPT_CODE:
            codes = sorted(a)
            if codes and codes == list(range(codes[0], codes[-1] + 1)):
                return f"type(x) is int and {lit(codes[0])} <= x <= {lit(codes[-1])}"
            return f"type(x) is int and x in {self.src.constant(a)}"
        if taken == ACCEPT_INT:
            return f"type(x) is int and {lit(a)} <= x <= {lit(b)}"
        if taken == ACCEPT_TEXT:
            # printable text holds no lone surrogate, so it is UTF-8 (the coercer's last check)
            return (f"type(x) is str and x.strip() and len(x) <= {lit(a)} "
                    f"and (x.isprintable() or h_utf8(x))")
        kind = q["type"]
        if kind == "id_number":
            return "type(x) is str and h_id(x)"
        if kind == "date":
            bounds = "".join(f" and x {op} {lit(b)}" for op, b in ((">=", q["min"]), ("<=", q["max"]))
                             if b is not None)
            return f"type(x) is str and len(x) == 10 and x.isascii() and h_date(x){bounds}"
        if kind == "multiple":
            codes = self.src.constant(frozenset(c["code"] for c in q["choices"]))
            # codes of the question, each once, all exact ints: the coercer returns them sorted
            return (f"type(x) is list and x and h_ints(x) and {codes}.issuperset(x) "
                    f"and len(set(x)) == len(x)")
        return None

    def question(self, q: Mapping[str, Any], i: int, depth: int) -> None:
        """The code of one asked question on the path: read, check, keep."""
        emit, key = self.src.emit, self.src.literal(q["id"])
        required = q["required"]
        emit(depth, f"x = get({key})")
        if self.track:
            emit(depth, f"P.append({key})")
        emit(depth, "if x is None:")
        emit(depth + 1, f"ap({self.violation('required', i)})" if required else "pass")
        accept = self.accept(q, i)
        if accept is not None:
            emit(depth, f"elif {accept}:")
            emit(depth + 1, f"v{i} = sorted(x)" if q["type"] == "multiple" else f"v{i} = x")
        emit(depth, "else:")
        emit(depth + 1, "try:")
        emit(depth + 2, f"v{i} = {self.coercer(i)}(x)")
        emit(depth + 1, "except AnswerError as e:")
        emit(depth + 2, f"ap(h_bad(e, {i}))")
        if required:
            emit(depth + 1, "else:")
            emit(depth + 2, f"if v{i} is None:")
            emit(depth + 3, f"ap({self.violation('required', i)})")

    def coercer(self, i: int) -> str:
        step = self.form.steps[i]
        return self.src.constant(step.entered if self.coerce else step.strict)

    def violation(self, rule: str, i: int) -> str:
        """The namespace name of the built-in violation ``rule`` of question ``i``."""
        key = (rule, i)
        if key not in self._violations:
            qid = self.questions[i]["id"]
            made = self.form.violation(rule, (qid,), question=qid)  # shared by reports: frozen
            self._violations[key] = self.src.constant(
                attrs.evolve(made, messages=MappingProxyType(dict(made.messages))))
        return self._violations[key]

    def jumps(self, q: Mapping[str, Any], i: int, depth: int) -> None:
        emit = self.src.emit
        jumps = self.steps.get(q["id"], [])
        key = self.src.literal(q["id"])
        n = len(self.questions)
        for j, jump in enumerate(jumps):
            target = self.index.get(jump["target"], n)
            if target <= i:
                raise Declined("a jump that does not lead forward")
            emit(depth, f"{'if' if j == 0 else 'elif'} {self.expr(jump['when'], False)}:")
            emit(depth + 1, f"s = {target}")
            if self.track:
                emit(depth + 1, f"T.append(({key}, {j}))")
        if jumps and self.track:
            emit(depth, "else:")
            emit(depth + 1, f"T.append(({key}, None))")

    def read_values(self) -> set[int]:
        """The questions whose ``v`` local is read other than where it is set: by a rule, or by
        the tracked walk (every one)."""
        if self.track:
            return set(range(len(self.questions)))
        out: set[int] = set()
        nodes = [j["when"] for jumps in self.steps.values() for j in jumps]
        nodes += [c["rule"] for c in self.checks] + list(self.computed.values())
        nodes += [rule for rules in self.relevance for rule in rules]
        while nodes:
            node = nodes.pop()
            if node.get("op") == "answer" and node.get("id") in self.index:
                out.add(self.index[node["id"]])
            nodes.extend(node.get("args", ()))
        for check in self.checks:
            out.update(self.index[d] for d in check["deps"] if d in self.index)
        return out

    def skippable(self) -> set[int]:
        """The questions that some jump can skip (only they need to look at ``s``)."""
        out: set[int] = set()
        n = len(self.questions)
        for qid, jumps in self.steps.items():
            i = self.index.get(qid)
            if i is None:
                raise Declined("a step of no question")
            for jump in jumps:
                out.update(range(i + 1, self.index.get(jump["target"], n)))
        return out

    # -- the function ------------------------------------------------------------------------
    def generate(self) -> str:
        src, emit = self.src, self.src.emit
        questions = self.questions
        emit(0, "def validate(rec, env):")
        emit(1, "out = []")
        emit(1, "ap = out.append")
        emit(1, "get = rec.get")
        if self.track:
            emit(1, "P = []")
            emit(1, "T = []")
        for name, (local, _kind) in self.params.items():
            emit(1, f"{local} = env[{src.literal(name)}]")
        known = src.constant(frozenset(q["id"] for q in questions))
        emit(1, f"if not {known}.issuperset(rec):")
        emit(2, "h_unknown(rec, ap)")
        read = self.read_values()
        if read:  # what a rule may read before (or without) the walk setting it
            emit(1, " = ".join(f"v{i}" for i in sorted(read)) + " = None")
        emit(1, "s = 0")
        skippable = self.skippable()
        computed = [i for i, q in enumerate(questions) if q["type"] == "computed"]
        for i, q in enumerate(questions):
            depth = 1
            guards = [f"s <= {i}"] if i in skippable else []
            guards += [f"({self.expr(rule, False)})" for rule in self.relevance[i]]
            if guards:
                emit(1, f"if {' and '.join(guards)}:")
                depth = 2
            if q["type"] == "computed":
                emit(depth, f"r{i} = True")
            else:
                self.question(q, i, depth)
                self.jumps(q, i, depth)
            if guards:
                emit(1, "else:")
                emit(2, f"x = get({src.literal(q['id'])})")
                if q.get("none_ok"):  # its [] answers "none of these": an answer, not a blank
                    emit(2, "if x is not None and (not h_blank(x) or h_empty_list(x)):")
                else:
                    emit(2, "if x is not None and not h_blank(x):")
                emit(3, f"ap({self.violation('not_asked', i)})")
                if q["type"] == "computed":
                    emit(2, f"r{i} = False")
        if len(self.computed) != len(computed):
            raise Declined("a computed question without a value")
        for c in self.machine_computed:  # in the machine's order: each after what it reads
            i = self.index[c["question"]]
            emit(1, f"w{i} = {self.expr(c['value'], True)}")
            self._assigned.add(c["question"])
        for i in computed:
            emit(1, f"c{i} = w{i} if r{i} else None")
            emit(1, f"x = get({src.literal(questions[i]['id'])})")
            emit(1, f"if x is not None and c{i} is not None:")
            emit(2, f"h_computed(ap, {i}, x, c{i})")
        for check, compiled in zip(self.checks, self.form.checks, strict=True):
            self.check(check, compiled)
        if self.track:
            for i, q in enumerate(questions):
                name = f"c{i}" if q["type"] == "computed" else f"v{i}"
                emit(1, f"if {name} is not None:")
                emit(2, f"env[{src.literal(q['id'])}] = {name}")
            emit(1, "return out, h_walk(rec, env, P, T)")
        else:
            emit(1, "return out")
        return "\n".join(src.lines) + "\n"

    def check(self, check: Mapping[str, Any], found: Check) -> None:
        deps = []
        for dep in check["deps"]:
            if dep in self.params:
                deps.append(f"{self.params[dep][0]} is not None")
                continue
            if dep not in self.index:
                return  # waits for a value that never comes: the check never applies
            i = self.index[dep]
            deps.append(f"c{i} is not None" if dep in self.computed else f"v{i} is not None")
        rule = self.expr(check["rule"], True)
        fires = rule if check["kind"] == "when" else f"not {rule}"
        primary = self.form.languages[0]
        violation = self.src.constant(Violation(
            found.id, found.severity, found.questions,
            found.messages.get(primary) or next(iter(found.messages.values()), found.id),
            found.messages))
        self.src.emit(1, f"if {' and '.join([*deps, f'({fires})'])}:")
        self.src.emit(2, f"ap({violation})")


# -- the audit -------------------------------------------------------------------------------
def audit(source: str, namespace: Mapping[str, Any]) -> None:
    """Refuse (:class:`Declined`) source holding anything outside the generator's tables: a node
    type, a name, an attribute or a constant it never writes."""
    tree = ast.parse(source)
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise Declined("audit: not one function")
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise Declined(f"audit: {type(node).__name__} is not written by the generator")
        if isinstance(node, ast.Name) and not (
                node.id in _FIXED_NAMES or _NAME.match(node.id) or node.id in _HELPER_NAMES):
            raise Declined(f"audit: the name {node.id!r} is not in the table")
        if isinstance(node, ast.Attribute) and node.attr not in _ATTRIBUTES:
            raise Declined(f"audit: the attribute {node.attr!r} is not in the table")
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float, str, bool,
                                                                       type(None)):
            raise Declined("audit: a constant of an unexpected type")
        if isinstance(node, ast.Call) and not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise Declined("audit: a call of something computed")
        if isinstance(node, ast.FunctionDef) and (node.name != "validate" or node.decorator_list):
            raise Declined("audit: an unexpected function")
    for name in namespace:
        if not (_NAME.match(name) or name in _HELPER_NAMES or name == "__builtins__"):
            raise Declined(f"audit: the namespace holds {name!r}")


def build(form: Form, machine: Mapping[str, Any], *, coerce: bool, track: bool
          ) -> Callable[..., Any]:
    """The generated validator of ``form`` (from its checked ``machine``):
    ``validate(record, env) -> violations``, or ``-> (violations, walk)`` with ``track``.
    Raises :class:`Declined` when the form is left to the interpreter."""
    gen = _Generator(form, machine, coerce, track)
    try:
        source = gen.generate()
    except (KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
        raise Declined(f"the machine has a shape the generator does not know: {exc!r}"[:200]) from None
    primary = form.languages[0]
    ids = tuple(q["id"] for q in gen.questions)

    def h_bad(exc: AnswerError, i: int) -> Violation:
        messages = exc.messages(form.languages)
        return Violation(exc.code, "error", (ids[i],), messages[primary], messages)

    def h_unknown(record: Mapping[str, Any], ap: Callable[[Violation], None]) -> None:
        for v in form.unknown_questions(record):
            ap(v)

    def h_computed(ap: Callable[[Violation], None], i: int, given: Any, computed: Any) -> None:
        mismatch = form.computed_mismatch(ids[i], given, computed)
        if mismatch is not None:
            ap(mismatch)

    def h_walk(record: Mapping[str, Any], env: dict[str, Any], path: list[str],
               taken: list[tuple[str, int | None]]) -> Walk:
        out = Walk(form.steps, record, env)
        out.path = path
        out.jumps = taken
        return out

    namespace: dict[str, Any] = {"__builtins__": {}, **HELPERS, **gen.src.constants,
                                 "h_bad": h_bad, "h_unknown": h_unknown,
                                 "h_computed": h_computed, "h_walk": h_walk}
    try:
        audit(source, namespace)
        code = compile(source, "<qengine generated validator>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise Declined(f"the source does not compile: {type(exc).__name__}") from None
    exec(code, namespace)  # the audited source above: see the module docstring
    fn: Callable[..., Any] = namespace["validate"]
    return fn


def source_of(form: Form, machine: Mapping[str, Any], *, coerce: bool = False,
              track: bool = False) -> str:
    """The source :func:`build` would compile (for reading and for the tests)."""
    return _Generator(form, machine, coerce, track).generate()
