"""Hypothesis strategies built from a compiled form.

``answers(question)`` draws valid answers to one question; ``records(form)`` draws complete records
that honour every jump (and, by default, pass every error check). Both shrink toward small, readable
examples: the first choice code, zero, short text.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from qengine.analysis.rules import rules_view
from qengine.errors import AnswerError
from qengine.lang import nodes as n
from qengine.notation import id_check_digit
from qengine.runtime.form import Form, Question

_TEXT_ALPHABET = st.characters(codec="utf-8", categories=("L", "N"))
_SAMPLE_TEXTS = ("张三", "3组", "靖港镇", "望城区", "李四", "镇扶贫办")


def _numbers(q: Question) -> st.SearchStrategy[Any]:
    # min and max are effective (a year's default range is in them); answers stay in the
    # runtime's numeric domain
    lo = -10**15 if q.min is None else q.min
    hi = 10**15 if q.max is None else q.max
    ilo = None if lo is None else int(-(-lo // 1))
    ihi = None if hi is None else int(hi // 1)
    # Small values first: they shrink well, and make part <= whole checks likely to hold.
    small_hi = 20 if ihi is None else min(ihi, 20)
    small_lo = 0 if ilo is None else max(ilo, 0) if (ihi is None or ihi >= 0) else ilo
    parts: list[st.SearchStrategy[Any]] = []
    if small_lo <= small_hi:
        parts.append(st.integers(small_lo, small_hi))
    parts.append(st.integers(ilo, min(ihi, max(ilo, 0) + 10**6)))
    if q.type in ("money", "number") and (ihi is None or ihi > (ilo or 0)):
        decimals = q.decimals if q.decimals is not None else 2
        low = max(ilo, -10**6)
        base = st.integers(low, max(low, min(ihi, 10**6)))
        parts.append(st.builds(lambda i, c: round(i + c / 10**min(decimals, 2), decimals),
                               base, st.integers(0, 10**min(decimals, 2) - 1)).filter(
            lambda v: (lo is None or v >= lo) and (hi is None or v <= hi)))
    return st.one_of(parts)


def _dates(q: Question) -> st.SearchStrategy[str]:
    lo = _dt.date.fromisoformat(q.min) if q.min else _dt.date(2019, 1, 1)
    hi = _dt.date.fromisoformat(q.max) if q.max else _dt.date(2021, 12, 31)
    return st.dates(lo, hi).map(_dt.date.isoformat)


@st.composite
def _id_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(("430112", "430122", "110105")))
    birth = draw(st.dates(_dt.date(1930, 1, 1), _dt.date(2015, 12, 31)))
    seq = draw(st.integers(0, 999))
    first = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first + id_check_digit(first)


def answers(question: Question, *, blank: bool | None = None) -> st.SearchStrategy[Any]:
    """Valid answers to ``question``, in canonical form.

    ``blank`` allows a blank answer (None, or [] for a multiple choice); by default it is allowed
    exactly when the question is optional.
    """
    if not isinstance(question, Question):
        raise TypeError(f"answers() takes a qengine Question, not {type(question).__name__}")
    if question.computed:
        raise ValueError(f"{question.id} is computed; it has no answers")
    q = question
    codes = [c.code for c in q.choices]
    strategy: st.SearchStrategy[Any]
    if q.type == "single":
        strategy = st.sampled_from(codes)
    elif q.type == "multiple":
        strategy = st.lists(st.sampled_from(codes), min_size=1, max_size=len(codes),
                            unique=True).map(sorted)
    elif q.type in ("integer", "number", "money", "year"):
        strategy = _numbers(q)
    elif q.type == "date":
        strategy = _dates(q)
    elif q.type == "id_number":
        strategy = _id_numbers()
    else:
        limit = q.max_length or 10000
        strategy = st.one_of(st.sampled_from(_SAMPLE_TEXTS),
                             st.text(_TEXT_ALPHABET, min_size=1, max_size=min(limit, 12)))
    if q.none_ok:  # "none of these" is a complete answer
        strategy = st.one_of(st.just([]), strategy)
    allow_blank = (not q.required) if blank is None else blank
    if allow_blank:
        return st.one_of(st.just([] if q.type == "multiple" else None), strategy)
    return strategy


def _walk_draw(draw: st.DrawFn, form: Form, env: dict[str, Any], fixed: Mapping[str, Any]
               ) -> dict[str, Any]:
    """Draw answers along the path the jumps and ask_if rules take; ``fixed`` answers are used
    where asked."""
    record: dict[str, Any] = {}
    skip_to = 0
    for step in form.steps:
        if step.index < skip_to or step.compute is not None or (
                step.relevant is not None and not step.relevant(env)):
            continue
        q = form.question(step.id)
        value = fixed[step.id] if step.id in fixed else draw(answers(q), label=step.id)
        record[step.id] = value
        canonical = step.entered(value)
        if canonical is not None:
            env[step.id] = canonical
        hit = step.route(env) if step.route is not None else None
        if hit is not None:
            skip_to = hit[1]
    return record


def _number(node: n.Node, env: Mapping[str, Any]) -> Any:
    """Evaluate a numeric expression for repairs (None when unanswered or not numeric)."""
    if isinstance(node, n.Num):
        return node.value
    if isinstance(node, n.Name):
        value = env.get(node.id)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if isinstance(node, n.Neg):
        v = _number(node.operand, env)
        return None if v is None else -v
    if isinstance(node, n.BinOp):
        a, b = _number(node.left, env), _number(node.right, env)
        if a is None or b is None or (node.op == "/" and b == 0):
            return None
        return {"+": a + b, "-": a - b, "*": a * b}.get(node.op, a / b if b else None)
    if isinstance(node, n.Call) and node.func in ("sum", "min", "max", "abs"):
        values = [_number(a, env) for a in node.args]
        if None in values:
            return None
        return {"sum": sum, "min": min, "max": max, "abs": lambda v: abs(v[0])}[node.func](values)
    return None


def _repairs(form: Form, record: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """New values that make failing ``assert`` comparison checks hold (``a == b + c``: set a)."""
    fixes: dict[str, Any] = {}
    report = form.validate(record, params={k: env[k] for k in form.params})
    failing = {v.rule for v in report.errors}
    rules = {c.id: c.expr for c in rules_view(form).checks}
    for check in form.checks:
        if check.id not in failing or check.kind != "assert":
            continue
        expr = rules[check.id]
        if not isinstance(expr, n.Compare) or expr.op == "!=":
            continue
        for side, other, on_left in ((expr.left, expr.right, True), (expr.right, expr.left, False)):
            if not isinstance(side, n.Name) or side.id not in record:
                continue
            q = form.question(side.id)
            if q.type not in ("integer", "number", "money"):
                continue
            target = _number(other, env)
            if target is None:
                continue
            if expr.op in ("<", ">"):
                step = 1 if q.type == "integer" else 0.01
                target = target - step if (expr.op == "<") == on_left else target + step
            if q.type == "integer" and float(target).is_integer():
                target = int(target)
            try:
                ok = form.steps[q.index].entered(target) is not None
            except AnswerError:
                ok = False
            if ok:
                fixes[side.id] = target
                break
    return fixes


@st.composite
def _records(draw: st.DrawFn, form: Form, fixed: Mapping[str, Any], params: Mapping[str, Any],
             valid: bool) -> dict[str, Any]:
    fixed = dict(fixed)
    for _round in range(6):
        env = form.resolve_params(params)
        record = _walk_draw(draw, form, env, fixed)
        if not valid:
            return record
        full_env = form.walk(record, params).env
        fixes = _repairs(form, record, full_env)
        if not fixes:
            break
        # Keep what was drawn, apply the repairs, and draw only for newly reached questions.
        fixed = {**fixed, **record, **fixes}
    if valid:
        report = form.validate(record, params=params or None)
        assume(report.ok)
    return record


def records(form: Form, *, fixed: Mapping[str, Any] | None = None,
            params: Mapping[str, Any] | None = None, valid: bool = True
            ) -> st.SearchStrategy[dict[str, Any]]:
    """Complete records of ``form`` that honour every jump.

    With ``valid`` (the default) they also pass every error-severity check (warnings may hold).
    ``fixed`` pins answers (used wherever the question is asked); ``params`` overrides params.
    """
    if not isinstance(form, Form):
        raise TypeError(f"records() takes a compiled qengine Form, not {type(form).__name__}")
    fixed = dict(fixed or {})
    for qid, value in fixed.items():
        q = form.question(qid)  # KeyError names an unknown id
        form.steps[q.index].entered(value)  # AnswerError for a value the question refuses
    resolved = form.resolve_params(params)  # ParamError for a bad override
    overrides = {k: v for k, v in resolved.items() if form.params.get(k) != v}
    return _records(form, fixed, overrides, valid)
