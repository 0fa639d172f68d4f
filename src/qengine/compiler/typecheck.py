"""Stage 5: check what every rule means against the questions and params it names.

Reports unknown names (with the near miss), codes that are not among a question's choices,
comparisons of unlike things, arithmetic on choices, non-boolean conditions, jumps that look at
later questions, and computed values that depend on themselves. The result, :class:`Types`, tells
the compiler the type of every node it needs.
"""

from __future__ import annotations

from typing import Any

import attrs

from qengine.compiler.model import CHOICE_TYPES, NUMERIC_TYPES, FormDef, QuestionDef
from qengine.compiler.schema import suggest
from qengine.errors import Diagnostics
from qengine.lang import nodes as n
from qengine.notation import is_iso_date

FUNCTIONS = ("answered", "selected", "contains", "count", "sum", "min", "max", "abs", "len",
             "if", "round", "int", "number", "substr", "mod")


@attrs.frozen(slots=True)
class Ty:
    """A rule type: ``num``, ``text``, ``date``, ``code`` (one choice), ``codes`` (several),
    ``bool`` or ``list``; ``question`` names the choice question a code type comes from."""

    kind: str
    question: str | None = None

    def __str__(self) -> str:
        return _KIND_NAMES.get(self.kind, self.kind)


_KIND_NAMES = {"num": "a number", "text": "a text", "date": "a date", "code": "a choice code",
               "codes": "a multiple choice", "bool": "a condition (true/false)", "list": "a list"}
NUM, TEXT, DATE, BOOL = Ty("num"), Ty("text"), Ty("date"), Ty("bool")


def question_type(q: QuestionDef) -> Ty:
    if q.type in NUMERIC_TYPES:
        return NUM
    if q.type == "date":
        return DATE
    if q.type == "single":
        return Ty("code", q.id)
    if q.type == "multiple":
        return Ty("codes", q.id)
    return TEXT


def param_type(value: Any) -> Ty:
    if isinstance(value, (int, float)):
        return NUM
    return DATE if is_iso_date(value) else TEXT


class Types:
    """What type checking learned: node types, and the names each rule depends on."""

    def __init__(self) -> None:
        self.of: dict[int, Ty] = {}
        self.computed: dict[str, Ty] = {}


class _Checker:
    def __init__(self, form: FormDef, diag: Diagnostics) -> None:
        self.form = form
        self.diag = diag
        self.questions = {q.id: q for q in form.questions}
        self.params = {p.name: p for p in form.params}
        self.types = Types()
        self._computing: list[str] = []
        self._failed: set[str] = set()
        # A jump on question at index i may look only at questions 0..i.
        self.limit: int | None = None
        self.limit_source: str = ""
        self.relevant = False  # checking an ask_if: the limit excludes the question itself
        self._latest: dict[str, QuestionDef | None] = {}  # computed id -> latest_read

    def fail(self, node: n.Node, code: str, message: str) -> None:
        self.diag.fail(node.loc, code, message)

    # -- entry points ------------------------------------------------------------------------
    def run(self) -> Types:
        for q in self.form.questions:
            if q.type == "computed" and q.value is not None:
                self.computed_type(q)
        for q in self.form.questions:
            self.limit, self.limit_source = q.index, q.id
            for j in q.jumps:
                self.expect_bool(j.when, f"the condition of a jump on {q.id}")
        self.relevance()
        self.limit = None
        for c in self.form.checks:
            self.expect_bool(c.expr, f"check {c.id}")
        for f in self.form.findings:
            self.expect_bool(f.expr, f"finding {f.id}")
        for cat in self.form.categories:
            self.expect_bool(cat.expr, f"category {cat.id}")
        return self.types

    def relevance(self) -> None:
        """An ask_if reads only questions before it: a question's, those before the question; a
        section's, those before the section's first question."""
        first = {q.section: q for q in reversed(self.form.questions)}
        self.relevant = True
        try:
            for sec in self.form.sections:
                if sec.ask_if is not None and sec.id in first:
                    q = first[sec.id]
                    self.limit, self.limit_source = q.index - 1, f"section {sec.id}"
                    self.expect_bool(sec.ask_if, f"the ask_if of section {sec.id}")
            for q in self.form.questions:
                if q.ask_if is not None:
                    self.limit, self.limit_source = q.index - 1, q.id
                    self.expect_bool(q.ask_if, f"the ask_if of {q.id}")
        finally:
            self.relevant = False

    def expect_bool(self, node: n.Node, what: str) -> None:
        t = self.infer(node)
        if t is not None and t.kind != "bool":
            self.fail(node, "type_mismatch", f"{what} must be a condition (true/false), not {t}")

    def computed_type(self, q: QuestionDef) -> Ty | None:
        if q.id in self.types.computed or q.id in self._failed:
            return self.types.computed.get(q.id)
        if q.id in self._computing:
            cycle = " -> ".join([*self._computing[self._computing.index(q.id):], q.id])
            self.diag.fail(q.loc, "computed_cycle", f"computed value depends on itself: {cycle}")
            return None
        assert q.value is not None
        self._computing.append(q.id)
        saved = self.limit
        self.limit = None  # a computed value may look anywhere; jumps check its dependencies
        try:
            t = self.infer(q.value)
        finally:
            self.limit = saved
            self._computing.pop()
        if t is not None and t.kind in ("bool", "codes", "list"):
            self.fail(q.value, "type_mismatch",
                      f"computed value {q.id} must be a number, text or date, not {t}")
            t = None
        if t is not None:
            self.types.computed[q.id] = t
        else:
            self._failed.add(q.id)  # reported once, not at every use
        return t

    # -- inference -------------------------------------------------------------------------
    def infer(self, node: n.Node) -> Ty | None:
        method = getattr(self, "_" + type(node).__name__)
        t: Ty | None = method(node)
        if t is not None:
            self.types.of[id(node)] = t
        return t

    def _Num(self, node: n.Num) -> Ty:
        return NUM

    def _Str(self, node: n.Str) -> Ty:
        return TEXT

    def _Code(self, node: n.Code) -> Ty:
        return Ty("code")

    def _Name(self, node: n.Name) -> Ty | None:
        q = self.questions.get(node.id)
        if q is not None:
            self.check_order(node, q)
            if q.type == "computed":
                return self.computed_type(q) if q.value is not None else None
            return question_type(q)
        p = self.params.get(node.id)
        if p is not None:
            return param_type(p.value)
        names = [*self.questions, *self.params]
        self.fail(node, "unknown_name",
                  f"unknown question or param {node.id!r}{suggest(node.id, names)}")
        return None

    def check_order(self, node: n.Name, q: QuestionDef) -> None:
        if self.limit is None:
            return
        if q.type == "computed":
            late = self.latest_read(q)
            if late is not None and late.index > self.limit:
                if self.relevant:
                    self.fail(node, "ask_if_looks_ahead",
                              f"the ask_if of {self.limit_source} uses computed {q.id}, which "
                              f"needs {late.id}, not asked before it; an ask_if may only use "
                              "answers given before it")
                else:
                    self.fail(node, "jump_looks_ahead",
                              f"a jump on {self.limit_source} uses computed {q.id}, which needs "
                              f"{late.id}, asked later; a jump may only use answers given before "
                              "it")
        elif q.index > self.limit and self.relevant:
            self.fail(node, "ask_if_looks_ahead",
                      f"the ask_if of {self.limit_source} uses {q.id}, which is not asked before "
                      "it; an ask_if may only use earlier questions")
        elif q.index > self.limit:
            self.fail(node, "jump_looks_ahead",
                      f"a jump on {self.limit_source} uses {q.id}, which is asked later; a jump "
                      "may only use its own question and earlier ones")

    def latest_read(self, q: QuestionDef) -> QuestionDef | None:
        """The last asked question a computed value reads, through the computed values it reads
        (None when it reads none); what decides whether a jump or an ask_if may read it."""
        if q.id in self._latest:
            return self._latest[q.id]
        self._latest[q.id] = None  # a cycle is reported elsewhere; it reads nothing more here
        latest: QuestionDef | None = None
        for dep in n.names(q.value) if q.value is not None else ():
            dq = self.questions.get(dep.id)
            if dq is None:
                continue
            if dq.type == "computed":
                dq = self.latest_read(dq)
            if dq is not None and (latest is None or dq.index > latest.index):
                latest = dq
        self._latest[q.id] = latest
        return latest

    def _ListLit(self, node: n.ListLit) -> Ty | None:
        self.fail(node, "type_mismatch", "a list [...] may only follow 'in'")
        return None

    def _Neg(self, node: n.Neg) -> Ty | None:
        return self.numeric(node.operand, "'-'")

    def _Not(self, node: n.Not) -> Ty | None:
        self.expect_bool(node.operand, "the operand of 'not'")
        return BOOL

    def _BinOp(self, node: n.BinOp) -> Ty | None:
        left = self.numeric(node.left, f"'{node.op}'")
        right = self.numeric(node.right, f"'{node.op}'")
        return NUM if left and right else None

    def numeric(self, node: n.Node, op: str) -> Ty | None:
        t = self.infer(node)
        if t is None:
            return None
        if t.kind != "num":
            self.fail(node, "type_mismatch", f"{op} needs numbers, but {_show(node)} is {t}")
            return None
        return t

    def _BoolOp(self, node: n.BoolOp) -> Ty:
        for operand in node.operands:
            self.expect_bool(operand, f"each side of '{node.op}'")
        return BOOL

    def _Compare(self, node: n.Compare) -> Ty:
        lt, rt = self.infer(node.left), self.infer(node.right)
        if lt is None or rt is None:
            return BOOL
        self.comparable(node, node.left, lt, node.right, rt)
        return BOOL

    def comparable(self, at: n.Node, left: n.Node, lt: Ty, right: n.Node, rt: Ty) -> None:
        for side, t in ((left, lt), (right, rt)):
            if t.kind == "codes":
                self.fail(side, "type_mismatch",
                          f"{_show(side)} is a multiple choice; use selected({_show(side)}, ①) "
                          "or count(...)")
                return
            if t.kind == "bool":
                self.fail(side, "type_mismatch", f"{_show(side)} is a condition; it cannot be "
                          "compared (combine conditions with and/or)")
                return
        kinds = {lt.kind, rt.kind}
        if kinds <= {"num", "code"}:
            self.check_code(left, lt, right)
            self.check_code(right, rt, left)
            return
        if kinds == {"date", "text"}:
            lit = right if rt.kind == "text" else left
            if isinstance(lit, n.Str) and not is_iso_date(lit.value):
                self.fail(lit, "type_mismatch",
                          f"{lit.value!r} is not an ISO date (YYYY-MM-DD)")
            return
        if lt.kind != rt.kind:
            self.fail(at, "type_mismatch", f"cannot compare {_show(left)} ({lt}) with "
                      f"{_show(right)} ({rt})")

    def check_code(self, ref: n.Node, t: Ty, lit: n.Node) -> None:
        """A literal compared with (or selected from) a choice question must be one of its codes."""
        if t.kind not in ("code", "codes") or t.question is None:
            return
        value = n.literal_value(lit)
        if value is None or isinstance(value, str):
            return
        q = self.questions[t.question]
        codes = [c.code for c in q.choices]
        if codes and value not in codes:
            shown = _code_text(value)
            self.fail(lit, "unknown_code",
                      f"code {shown} is not among the choices of {q.id} "
                      f"({', '.join(_code_text(c) for c in codes)})")

    def _In(self, node: n.In) -> Ty:
        lt = self.infer(node.left)
        if lt is not None and lt.kind in ("codes", "bool"):  # said once, whatever the items
            self.comparable(node, node.left, lt, node.left, lt)
            lt = None
        for item in node.items.items:
            it = self.infer(item)
            if lt is not None and it is not None:
                self.comparable(item, node.left, lt, item, it)
        return BOOL

    def _Call(self, node: n.Call) -> Ty | None:
        func, args = node.func, node.args
        if func not in FUNCTIONS:
            self.fail(node, "unknown_function",
                      f"unknown function {func!r}{suggest(func, FUNCTIONS)} "
                      f"(functions: {', '.join(FUNCTIONS)})")
            return None
        handler = getattr(self, "_call_" + func)
        return handler(node, args)  # type: ignore[no-any-return]

    def arity(self, node: n.Call, args: tuple[n.Node, ...], lo: int, hi: int | None) -> bool:
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = str(lo) if hi == lo else f"{lo} or more" if hi is None else f"{lo} to {hi}"
            self.fail(node, "bad_arguments",
                      f"{node.func}() takes {want} argument(s), got {len(args)}")
            return False
        return True

    def question_arg(self, node: n.Call, arg: n.Node) -> QuestionDef | None:
        if not isinstance(arg, n.Name) or arg.id not in self.questions:
            if isinstance(arg, n.Name) and arg.id not in self.params:
                self.infer(arg)  # reports the unknown name with its near miss
            else:
                self.fail(arg, "bad_arguments", f"{node.func}() takes a question id")
            return None
        self.infer(arg)
        return self.questions[arg.id]

    def _call_answered(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 1, 1):
            self.question_arg(node, args[0])
        return BOOL

    def _call_selected(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if not self.arity(node, args, 2, None):
            return BOOL
        q = self.question_arg(node, args[0])
        if q is not None and q.type not in CHOICE_TYPES:
            self.fail(args[0], "type_mismatch", f"{node.func}() needs a choice question; {q.id} is "
                      f"of type {q.type}")
            return BOOL
        for lit in args[1:]:
            if not isinstance(lit, (n.Code, n.Num)):
                self.fail(lit, "bad_arguments", "selected() takes choice codes written as "
                          "literals (①, 2), not names or expressions")
                continue
            t = self.infer(lit)
            if t is not None and t.kind not in ("code", "num"):
                self.fail(lit, "type_mismatch", f"selected() takes choice codes, not {t}")
            elif q is not None:
                self.check_code(args[0], Ty("codes", q.id), lit)
        return BOOL

    _call_contains = _call_selected  # the same function under the name some authors expect

    def _call_count(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 1, 1):
            q = self.question_arg(node, args[0])
            if q is not None and q.type != "multiple":
                self.fail(args[0], "type_mismatch", f"count() needs a multiple choice question; "
                          f"{q.id} is of type {q.type}")
        return NUM

    def _numeric_call(self, node: n.Call, args: tuple[n.Node, ...], hi: int | None) -> Ty:
        if self.arity(node, args, 1, hi):
            for a in args:
                self.numeric(a, f"{node.func}()")
        return NUM

    def _call_sum(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        return self._numeric_call(node, args, None)

    _call_min = _call_sum
    _call_max = _call_sum

    def _call_abs(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        return self._numeric_call(node, args, 1)

    def _call_len(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 1, 1):
            t = self.infer(args[0])
            if t is not None and t.kind != "text":
                self.fail(args[0], "type_mismatch", f"len() needs a text, not {t}")
        return NUM

    def _call_if(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty | None:
        if not self.arity(node, args, 3, 3):
            return None
        cond, yes, no = args
        self.expect_bool(cond, "the condition of if()")
        a, b = self.infer(yes), self.infer(no)
        if a is None or b is None:
            return None
        for side, t in ((yes, a), (no, b)):
            if t.kind not in ("num", "text", "date", "code"):
                self.fail(side, "type_mismatch", "the branches of if() are numbers, texts, dates "
                          f"or choice codes; {_show(side)} is {t}")
                return None
        return self.branches(node, yes, a, no, b)

    def branches(self, node: n.Call, yes: n.Node, a: Ty, no: n.Node, b: Ty) -> Ty | None:
        """The type of ``if(c, yes, no)``: that of both branches. A date may stand beside an ISO
        date text literal, and a choice code beside a code written as a whole number."""
        if a.kind == b.kind:
            if a.kind != "code":
                return a
            self.check_code(yes, a, no)
            self.check_code(no, b, yes)
            if a.question == b.question or b.question is None:
                return a
            return b if a.question is None else Ty("code")  # codes of two questions
        kinds = {a.kind, b.kind}
        lit, other = (no, a) if b.kind in ("text", "num") else (yes, b)
        if kinds == {"date", "text"} and isinstance(lit, n.Str) and is_iso_date(lit.value):
            self.types.of[id(lit)] = DATE  # the literal is a date here (so the machine says)
            return DATE
        if kinds == {"code", "num"} and isinstance(lit, n.Num) and type(lit.value) is int:
            self.types.of[id(lit)] = Ty("code")  # lowered to a code literal
            self.check_code(yes if lit is no else no, other, lit)
            return other
        self.fail(node, "type_mismatch", f"the branches of if() must be of one type: "
                  f"{_show(yes)} is {a}, {_show(no)} is {b}")
        return None

    def _call_round(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 1, 2):
            for a in args:
                self.numeric(a, "round()")
            d = n.literal_value(args[1]) if len(args) == 2 else 0
            if type(d) in (int, float) and not (d == int(d) and 0 <= d <= 15):
                self.fail(args[1], "bad_arguments", "round(x, d) rounds to d decimals, a whole "
                          f"number from 0 to 15, not {d}")
        return NUM

    _call_int = _call_abs

    def _call_mod(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 2, 2):
            for a in args:
                self.numeric(a, "mod()")
        return NUM

    def _call_number(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 1, 1):
            t = self.infer(args[0])
            if t is not None and t.kind not in ("text", "num", "code"):
                self.fail(args[0], "type_mismatch",
                          f"number() takes a text, a number or a choice code, not {t}")
        return NUM

    def _call_substr(self, node: n.Call, args: tuple[n.Node, ...]) -> Ty:
        if self.arity(node, args, 2, 3):
            t = self.infer(args[0])
            if t is not None and t.kind != "text":
                self.fail(args[0], "type_mismatch", f"substr() needs a text, not {t}")
            for a in args[1:]:
                self.numeric(a, "substr()")
        return TEXT


def _show(node: n.Node) -> str:
    text = n.to_source(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _code_text(value: Any) -> str:
    return chr(0x245F + value) if isinstance(value, int) and 1 <= value <= 20 else str(value)


def check_types(form: FormDef, diag: Diagnostics) -> Types:
    """Type-check every rule of ``form``; problems go to ``diag``."""
    return _Checker(form, diag).run()
