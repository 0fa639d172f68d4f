"""Stage 6: lower a checked definition into the machine, the JSON document every runtime evaluates.

The machine (``docs/machine.md``, ``qengine/runtime/machine.schema.json``) holds all a runtime needs
and nothing of the YAML: questions with their *effective* settings (the form language's defaults are
applied here, and only here), the steps with their jumps resolved to the question they land on, the
checks, the computed values, and every rule as an expression IR, a small typed JSON tree with the
source position of each node. No rule text is ever passed to ``eval`` or ``exec``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from qengine.compiler.model import END, CategoryDef, CheckDef, FindingDef, FormDef, QuestionDef
from qengine.compiler.schema import suggest
from qengine.compiler.typecheck import Types
from qengine.errors import Diagnostics
from qengine.lang import nodes as n
from qengine.notation import is_iso_date
from qengine.runtime.machine import FORMAT, ir_refs

#: The form language's defaults, the one place they live: what a question type means when the
#: form does not say (money is never negative and has fen; a year is a plausible calendar year).
TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "integer": {"decimals": 0},
    "year": {"min": 1900, "max": 2100, "decimals": 0},
    "money": {"min": 0, "decimals": 2},
    "number": {"decimals": 6},
    "text": {"max_length": 10000},
}

_BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_COMPARE = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_CALLS = {"contains": "selected"}  # contains() is another name for selected()


class _Lowering:
    """AST → IR, with the types the type checker found."""

    def __init__(self, form: FormDef, types: Types) -> None:
        self.types = types
        self.questions = {q.id: q for q in form.questions}

    def expr(self, node: n.Node) -> dict[str, Any]:
        lower: Callable[[Any], dict[str, Any]] = getattr(self, "_" + type(node).__name__)
        out = lower(node)
        t = self.types.of.get(id(node))
        out["type"] = t.kind if t is not None else _LITERAL_TYPES.get(out["op"], "bool")
        out["at"] = [node.loc.line, node.loc.column]
        return out

    def _Num(self, node: n.Num) -> dict[str, Any]:
        return {"op": "num", "value": node.value}

    def _Str(self, node: n.Str) -> dict[str, Any]:
        return {"op": "text", "value": node.value}

    def _Code(self, node: n.Code) -> dict[str, Any]:
        return {"op": "code", "value": node.value}

    def _Name(self, node: n.Name) -> dict[str, Any]:
        q = self.questions.get(node.id)
        if q is None:
            return {"op": "param", "name": node.id}
        return {"op": "computed" if q.type == "computed" else "answer", "id": node.id}

    def _Neg(self, node: n.Neg) -> dict[str, Any]:
        return {"op": "neg", "args": [self.expr(node.operand)]}

    def _Not(self, node: n.Not) -> dict[str, Any]:
        return {"op": "not", "args": [self.expr(node.operand)]}

    def _BinOp(self, node: n.BinOp) -> dict[str, Any]:
        return {"op": _BINARY[node.op], "args": [self.expr(node.left), self.expr(node.right)]}

    def _Compare(self, node: n.Compare) -> dict[str, Any]:
        return {"op": _COMPARE[node.op], "args": [self.expr(node.left), self.expr(node.right)]}

    def _BoolOp(self, node: n.BoolOp) -> dict[str, Any]:
        return {"op": node.op, "args": [self.expr(o) for o in node.operands]}

    def _In(self, node: n.In) -> dict[str, Any]:
        return {"op": "not_in" if node.negated else "in",
                "args": [self.expr(node.left), *(self.expr(i) for i in node.items.items)]}

    def _Call(self, node: n.Call) -> dict[str, Any]:
        op = _CALLS.get(node.func, node.func)
        args = [self.expr(a) for a in node.args]
        if op == "selected":  # codes written as plain numbers (selected(q9, 1)) are codes
            for a in args[1:]:
                if a["op"] == "num":
                    a.update(op="code", value=int(a["value"]), type="code")
        if op == "if":  # a branch code written as a number (if(c, q4, 99)) is a code
            for a in args[1:]:
                if a["op"] == "num" and a["type"] == "code":
                    a.update(op="code", value=int(a["value"]))
        return {"op": op, "args": args}


_LITERAL_TYPES = {"num": "num", "text": "text", "code": "code"}


def effective(q: QuestionDef) -> dict[str, Any]:
    """A question's min, max, decimals and max_length with the type's defaults applied."""
    out: dict[str, Any] = {"min": q.min, "max": q.max, "decimals": q.decimals,
                           "max_length": q.max_length}
    for key, value in TYPE_DEFAULTS.get(q.type, {}).items():
        if out[key] is None:
            out[key] = value
    return out


def _texts(texts: Mapping[str, str]) -> dict[str, str]:
    # The model's texts map language (text) to text already; a plain copy is all it takes.
    return dict(texts)


def _question(q: QuestionDef) -> dict[str, Any]:
    defaults = TYPE_DEFAULTS.get(q.type)
    lo, hi, decimals, max_length = q.min, q.max, q.decimals, q.max_length
    if defaults is not None:  # effective(q), inline: this runs once per question
        if lo is None:
            lo = defaults.get("min")
        if hi is None:
            hi = defaults.get("max")
        if decimals is None:
            decimals = defaults.get("decimals")
        if max_length is None:
            max_length = defaults.get("max_length")
    return {
        "id": q.id, "number": q.number, "labels": dict(q.labels), "hints": dict(q.hints),
        "type": q.type, "section": q.section, "required": q.required, "unit": q.unit,
        "min": lo, "max": hi, "decimals": decimals, "max_length": max_length,
        "none_ok": bool(q.none_ok),
        "choices": [{"code": c.code, "labels": dict(c.labels),
                     **({"name": c.name} if c.name is not None else {})} for c in q.choices],
        "at": [q.loc.line, q.loc.column],
    }


def _resolve_targets(form: FormDef, diag: Diagnostics) -> dict[tuple[str, int], int]:
    """Check every jump target; map (question, jump number) to the index it lands on."""
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
    return out


def _check(low: _Lowering, check: CheckDef) -> dict[str, Any]:
    questions = low.questions
    deps = list(dict.fromkeys(
        m.id for m in n.names(check.expr, skip_answered=True) if m.id in questions))
    named = {m.id for m in n.names(check.expr) if m.id in questions}
    if check.question is not None:
        named.add(check.question)
    return {
        "id": check.id, "severity": check.severity, "kind": check.kind,
        "rule": low.expr(check.expr), "text": n.to_source(check.expr),
        "questions": sorted(named, key=lambda qid: questions[qid].index), "deps": deps,
        "messages": _texts(check.messages), "at": [check.loc.line, check.loc.column],
        **({"acknowledge": "required"} if check.acknowledge else {}),
    }


def _deps(low: _Lowering, expr: n.Node) -> list[str]:
    return list(dict.fromkeys(
        m.id for m in n.names(expr, skip_answered=True) if m.id in low.questions))


def _finding(low: _Lowering, f: FindingDef) -> dict[str, Any]:
    questions = low.questions
    named = {m.id for m in n.names(f.expr) if m.id in questions}
    return {
        "id": f.id, "type": f.type, "unit": f.unit, "labels": _texts(f.labels),
        "rule": low.expr(f.expr), "text": n.to_source(f.expr),
        "questions": sorted(named, key=lambda qid: questions[qid].index),
        "deps": _deps(low, f.expr), "descriptions": _texts(f.descriptions),
        "at": [f.loc.line, f.loc.column],
    }


def _category(low: _Lowering, c: CategoryDef) -> dict[str, Any]:
    return {"id": c.id, "labels": _texts(c.labels), "rule": low.expr(c.expr),
            "text": n.to_source(c.expr), "deps": _deps(low, c.expr),
            "at": [c.loc.line, c.loc.column]}


def lower_definition(form: FormDef, types: Types, diag: Diagnostics,
                     source: str | None = None) -> dict[str, Any] | None:
    """The machine of ``form``; None (with problems in ``diag``) when it has errors."""
    targets = _resolve_targets(form, diag)
    if diag.has_errors:  # from this stage or an earlier one: nothing is lowered
        return None
    low = _Lowering(form, types)
    ids = [q.id for q in form.questions]
    steps = []
    for q in form.questions:
        if q.type == "computed":
            continue
        jumps = []
        for k, j in enumerate(q.jumps):
            at = targets[(q.id, k)]
            jumps.append({"when": low.expr(j.when), "text": n.to_source(j.when),
                          "target": ids[at] if at < len(ids) else END,
                          "written": j.target, "at": [j.loc.line, j.loc.column]})
        steps.append({"question": q.id, "jumps": jumps})
    return {
        "format": FORMAT, "id": form.id, "version": form.version, "titles": _texts(form.titles),
        "languages": list(form.languages), "source": source,
        "params": [{"name": p.name, "type": _param_type(p.value), "value": p.value,
                    "labels": _texts(p.labels), "unit": p.unit} for p in form.params],
        "sections": [_relevant(low, s.ask_if, {
            "id": s.id, "titles": _texts(s.titles), "closing": s.closing,
            "questions": list(s.questions)}) for s in form.sections],
        "questions": [_renamed(q, _relevant(low, q.ask_if, _question(q))) for q in form.questions],
        "steps": steps,
        "computed": _in_reading_order(
            [{"question": q.id, "value": low.expr(q.value), "text": n.to_source(q.value)}
             for q in form.questions if q.type == "computed" and q.value is not None]),
        "checks": [_check(low, c) for c in form.checks],
        **({"findings": [_finding(low, f) for f in form.findings]} if form.findings else {}),
        **({"categories": [_category(low, c) for c in form.categories]}
           if form.categories else {}),
    }


def _renamed(q: QuestionDef, out: dict[str, Any]) -> dict[str, Any]:
    """``out`` with the question's earlier ids, when it has any."""
    if q.renamed_from:
        out["renamed_from"] = list(q.renamed_from)
    return out


def _relevant(low: _Lowering, rule: n.Node | None, out: dict[str, Any]) -> dict[str, Any]:
    """``out`` with its ``ask_if`` when it has one (absent means always asked)."""
    if rule is not None:
        out["ask_if"] = {"when": low.expr(rule), "text": n.to_source(rule),
                         "at": [rule.loc.line, rule.loc.column]}
    return out


def _in_reading_order(computed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The computed values, each after those it reads (the machine defines a value before any
    value reads it), otherwise in form order; a cycle is left as written for the checks to refuse.
    """
    by_id = {c["question"]: c for c in computed}
    out: list[dict[str, Any]] = []
    state: dict[str, int] = {}  # 1: being placed (its reads first), 2: placed
    for first in computed:
        stack = [(first, iter(ir_refs(first["value"])))]
        state.setdefault(first["question"], 1)
        while stack:
            c, refs = stack[-1]
            ref = next((r for r in refs if r in by_id and r not in state), None)
            if ref is None:
                stack.pop()
                if state[c["question"]] == 1:
                    state[c["question"]] = 2
                    out.append(c)
            else:
                state[ref] = 1
                stack.append((by_id[ref], iter(ir_refs(by_id[ref]["value"]))))
    return out


def _param_type(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "num"
    return "date" if is_iso_date(value) else "text"
