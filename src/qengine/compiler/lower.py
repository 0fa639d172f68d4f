"""Stage 6: compile a checked definition into a runtime :class:`~qengine.runtime.Form`.

Rules become Python closures built from the typed syntax tree (a dispatch table over node types):
no rule text is ever passed to ``eval`` or ``exec``. Jumps become, for each question, guarded
transitions to an index further down; :class:`~qengine.runtime.Form` derives from them both the
step-by-step path of an interview and each question's asked-condition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from qengine.compiler.model import END, FormDef, QuestionDef
from qengine.compiler.schema import suggest
from qengine.compiler.typecheck import Types
from qengine.errors import Diagnostics
from qengine.lang import nodes as n
from qengine.runtime.form import Choice, CompiledCheck, Form, Question, Step, Transition
from qengine.runtime.values import make_coercer

Fn = Callable[[dict[str, Any]], Any]

_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


def num_eq(a: Any, b: Any) -> bool:
    """Equality of numbers that forgives float rounding (0.1 + 0.2 == 0.3 in a money check)."""
    if a == b:
        return True
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def num_ne(a: Any, b: Any) -> bool:
    return not num_eq(a, b)


def _answer_vs_constant(name: str, op: str, pyop: Callable[[Any, Any], bool], c: Any) -> Fn:
    """The commonest rule, ``q4 == ②``, as one small closure (it runs in every jump)."""
    if op == "==" and pyop is operator.eq:
        return lambda env: env.get(name) == c  # c is never None, so unanswered is False
    if op == "==":
        def numeric_eq(env: dict[str, Any]) -> bool:
            a = env.get(name)
            return a is not None and (a == c or num_eq(a, c))

        return numeric_eq

    def compare(env: dict[str, Any]) -> bool:
        a = env.get(name)
        return a is not None and pyop(a, c)

    return compare


class _Compiler:
    def __init__(self, form: FormDef, types: Types) -> None:
        self.form = form
        self.types = types
        self.questions = {q.id: q for q in form.questions}
        self.params = {p.name for p in form.params}
        self.computed: dict[str, Fn] = {}

    def expr(self, node: n.Node) -> Fn:
        fn: Fn = getattr(self, "_" + type(node).__name__)(node)
        return fn

    def const(self, node: n.Node) -> tuple[bool, Any]:
        value = n.literal_value(node)
        return value is not None, value

    # -- leaves ----------------------------------------------------------------------------
    def _Num(self, node: n.Num) -> Fn:
        value = node.value
        return lambda env: value

    _Str = _Num
    _Code = _Num

    def _Name(self, node: n.Name) -> Fn:
        name = node.id
        q = self.questions.get(name)
        if q is not None and q.type == "computed":
            table = self.computed  # filled for every computed question before any rule runs
            return lambda env: table[name](env)
        if q is None:  # a param: always present in the environment
            return lambda env: env[name]
        return lambda env: env.get(name)

    # -- operators -------------------------------------------------------------------------
    def _Neg(self, node: n.Neg) -> Fn:
        f = self.expr(node.operand)

        def neg(env: dict[str, Any]) -> Any:
            a = f(env)
            return None if a is None else -a

        return neg

    def _Not(self, node: n.Not) -> Fn:
        f = self.expr(node.operand)
        return lambda env: not f(env)

    def _BinOp(self, node: n.BinOp) -> Fn:
        lf, rf, op = self.expr(node.left), self.expr(node.right), node.op
        if op == "/":
            def div(env: dict[str, Any]) -> Any:
                a = lf(env)
                if a is None:
                    return None
                b = rf(env)
                if b is None or b == 0:
                    return None  # division by zero has no answer, like an unanswered value
                return a / b

            return div
        pyop = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

        def arith(env: dict[str, Any]) -> Any:
            a = lf(env)
            if a is None:
                return None
            b = rf(env)
            if b is None:
                return None
            return pyop(a, b)

        return arith

    def _BoolOp(self, node: n.BoolOp) -> Fn:
        fs = tuple(self.expr(o) for o in node.operands)
        if node.op == "and":
            if len(fs) == 2:
                a, b = fs
                return lambda env: bool(a(env) and b(env))
            return lambda env: all(f(env) for f in fs)
        if len(fs) == 2:
            a, b = fs
            return lambda env: bool(a(env) or b(env))
        return lambda env: any(f(env) for f in fs)

    def _numeric(self, node: n.Node) -> bool:
        t = self.types.of.get(id(node))
        return t is not None and t.kind == "num"

    def _Compare(self, node: n.Compare) -> Fn:
        op = node.op
        pyop = _ORDER_OPS[op]
        if op in ("==", "!=") and (self._numeric(node.left) or self._numeric(node.right)):
            pyop = num_eq if op == "==" else num_ne
        lf = self.expr(node.left)
        is_const, c = self.const(node.right)
        left = node.left
        if is_const and isinstance(left, n.Name) and left.id in self.questions and (
                self.questions[left.id].type != "computed"):
            return _answer_vs_constant(left.id, op, pyop, c)
        if is_const:
            def compare_const(env: dict[str, Any]) -> bool:
                a = lf(env)
                return a is not None and pyop(a, c)

            return compare_const
        rf = self.expr(node.right)

        def compare(env: dict[str, Any]) -> bool:
            a = lf(env)
            if a is None:
                return False  # a comparison with an unanswered value is false
            b = rf(env)
            return b is not None and pyop(a, b)

        return compare

    def _In(self, node: n.In) -> Fn:
        lf = self.expr(node.left)
        consts = [self.const(i) for i in node.items.items]
        negated = node.negated
        if all(ok for ok, _v in consts) and self._numeric(node.left):
            numbers = tuple(v for _ok, v in consts)

            def member_number(env: dict[str, Any]) -> bool:
                a = lf(env)  # numbers compare as == does: forgiving float rounding
                return a is not None and (any(num_eq(a, v) for v in numbers) is not negated)

            return member_number
        if all(ok for ok, _v in consts):
            values = frozenset(v for _ok, v in consts)

            def member(env: dict[str, Any]) -> bool:
                a = lf(env)
                return a is not None and ((a in values) is not negated)

            return member
        fs = tuple(self.expr(i) for i in node.items.items)

        def member_dynamic(env: dict[str, Any]) -> bool:
            a = lf(env)
            if a is None:
                return False
            found = any(f(env) == a for f in fs)
            return found is not negated

        return member_dynamic

    # -- functions -------------------------------------------------------------------------
    def _Call(self, node: n.Call) -> Fn:
        fn: Fn = getattr(self, "_call_" + node.func)(node.args)
        return fn

    def _call_answered(self, args: tuple[n.Node, ...]) -> Fn:
        f = self.expr(args[0])
        return lambda env: f(env) is not None

    def _call_selected(self, args: tuple[n.Node, ...]) -> Fn:
        f = self.expr(args[0])
        codes = frozenset(self.const(a)[1] for a in args[1:])
        q = self.questions[args[0].id]  # type: ignore[attr-defined]
        if q.type == "multiple":
            return lambda env: bool((v := f(env)) and not codes.isdisjoint(v))
        return lambda env: f(env) in codes

    _call_contains = _call_selected

    def _call_count(self, args: tuple[n.Node, ...]) -> Fn:
        f = self.expr(args[0])
        return lambda env: len(f(env) or ())

    def _aggregate(self, args: tuple[n.Node, ...], reduce: Callable[[list[Any]], Any]) -> Fn:
        fs = tuple(self.expr(a) for a in args)

        def aggregate(env: dict[str, Any]) -> Any:
            values = [f(env) for f in fs]
            if None in values:
                return None  # like arithmetic: an unanswered operand gives no answer
            return reduce(values)

        return aggregate

    def _call_sum(self, args: tuple[n.Node, ...]) -> Fn:
        return self._aggregate(args, sum)

    def _call_min(self, args: tuple[n.Node, ...]) -> Fn:
        return self._aggregate(args, min)

    def _call_max(self, args: tuple[n.Node, ...]) -> Fn:
        return self._aggregate(args, max)

    def _call_abs(self, args: tuple[n.Node, ...]) -> Fn:
        return self._aggregate(args, lambda vs: abs(vs[0]))

    def _call_len(self, args: tuple[n.Node, ...]) -> Fn:
        return self._aggregate(args, lambda vs: len(vs[0]))


def _primary(texts: Any, languages: tuple[str, ...], fallback: str) -> str:
    for lang in languages:
        if texts.get(lang):
            return str(texts[lang])
    return next(iter(texts.values()), fallback)


def _question(q: QuestionDef, languages: tuple[str, ...]) -> Question:
    return Question(
        id=q.id, number=q.number, label=_primary(q.labels, languages, q.id), type=q.type,
        choices=tuple(Choice(c.code, _primary(c.labels, languages, str(c.code)), c.labels)
                      for c in q.choices),
        required=q.required, unit=q.unit, min=q.min, max=q.max, decimals=q.decimals,
        max_length=q.max_length, section=q.section, index=q.index, labels=q.labels,
        hints=q.hints, location=q.loc)


def _resolve_targets(form: FormDef, diag: Diagnostics) -> tuple[dict[tuple[str, int], int], int]:
    """Check every jump target; map (question, jump number) to the target's index."""
    index = {q.id: q.index for q in form.questions}
    total = len(form.questions)
    closing = next((sec for sec in form.sections if sec.closing and sec.questions), None)
    closing_index = index[closing.questions[0]] if closing else total
    out: dict[tuple[str, int], int] = {}
    for q in form.questions:
        for j, jump in enumerate(q.jumps):
            target = jump.target
            if target == END:
                at = closing_index
            elif target not in index:
                diag.fail(jump.target_loc, "unknown_target",
                          f"jump target {target!r} does not exist{suggest(target, index)}")
                continue
            else:
                at = index[target]
            if target == q.id:
                diag.fail(jump.target_loc, "jump_self", f"{q.id} jumps to itself")
            elif at <= q.index:
                where = "the closing section, which comes" if target == END else f"{target}, which"
                diag.fail(jump.target_loc, "jump_backward",
                          f"{q.id} jumps back to {where} is not after it; jumps only go forward")
            else:
                out[(q.id, j)] = at
    return out, closing_index


def compile_definition(form: FormDef, types: Types, diag: Diagnostics,
                       source: str | None = None) -> Form | None:
    """Compile ``form``; returns None (with problems in ``diag``) when it has errors."""
    targets, closing_index = _resolve_targets(form, diag)
    if diag.has_errors:  # from this stage or an earlier one: nothing is compiled
        return None
    comp = _Compiler(form, types)
    languages = form.languages
    questions = tuple(_question(q, languages) for q in form.questions)
    for q in form.questions:
        if q.type == "computed" and q.value is not None:
            comp.computed[q.id] = comp.expr(q.value)
    steps: list[Step] = []
    transitions: list[Transition] = []
    asked_ids = [q.id for q in form.questions if q.type != "computed"]
    following = {qid: asked_ids[i + 1] if i + 1 < len(asked_ids) else END
                 for i, qid in enumerate(asked_ids)}
    for q, pub in zip(form.questions, questions):
        jumps = tuple((comp.expr(j.when), targets[(q.id, k)]) for k, j in enumerate(q.jumps))
        steps.append(Step(q.id, q.index, make_coercer(pub), q.required, q.type == "multiple",
                          jumps, comp.computed.get(q.id)))
        if q.type != "computed":
            for k, j in enumerate(q.jumps):
                # A jump to `end` lands on the closing section: the edge points at the state it
                # really reaches, so a drawing of the machine never skips the sign-off.
                at = targets[(q.id, k)]
                target = form.questions[at].id if j.target == END and at < len(form.questions) \
                    else j.target
                transitions.append(Transition(q.id, target, n.to_source(j.when), j.loc))
            transitions.append(Transition(q.id, following[q.id], None, q.loc))
    checks = tuple(_check(comp, c, form) for c in form.checks)
    sections = tuple((s.id, s.titles, s.questions) for s in form.sections)
    return Form(id=form.id, version=form.version, titles=form.titles, languages=languages,
                params={p.name: p.value for p in form.params}, questions=questions,
                steps=tuple(steps), checks=checks, transitions=tuple(transitions),
                sections=sections, closing_index=closing_index, source=source,
                param_info={p.name: {"label": dict(p.labels), "unit": p.unit}
                            for p in form.params}, definition=form)


def _check(comp: _Compiler, check: Any, form: FormDef) -> CompiledCheck:
    questions = comp.questions
    deps = tuple(dict.fromkeys(
        m.id for m in n.names(check.expr, skip_answered=True) if m.id in questions))
    named = {m.id for m in n.names(check.expr) if m.id in questions}
    if check.question is not None:
        named.add(check.question)
    ordered = tuple(sorted(named, key=lambda qid: questions[qid].index))
    f = comp.expr(check.expr)
    fires = f if check.kind == "when" else (lambda env: not f(env))
    return CompiledCheck(check.id, check.severity, fires, deps, ordered, check.messages,
                         n.to_source(check.expr), check.loc, check.kind, check.expr)
