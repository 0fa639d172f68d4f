"""A form's rules as syntax trees again, lifted from the machine's IR, for the tools that reason
about rules (the explorer, the linter's analysis, the test strategies).

Lifting works on any :class:`~qengine.Form`, whether compiled from YAML just now, read from a
machine file or unpickled: tools never need the YAML definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from qengine.lang import nodes as n
from qengine.location import SourceLocation
from qengine.runtime.form import Form

_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def lift(ir: Mapping[str, Any], file: str = "<machine>") -> n.Node:
    """The syntax tree of an IR expression (``contains`` comes back as ``selected``)."""
    loc = SourceLocation(file, *ir["at"])
    op = ir["op"]
    args = [lift(a, file) for a in ir.get("args", ())]
    if op == "num":
        return n.Num(loc, ir["value"])
    if op == "text":
        return n.Str(loc, ir["value"])
    if op == "code":
        return n.Code(loc, ir["value"])
    if op in ("answer", "computed"):
        return n.Name(loc, ir["id"])
    if op == "param":
        return n.Name(loc, ir["name"])
    if op == "neg":
        return n.Neg(loc, args[0])
    if op == "not":
        return n.Not(loc, args[0])
    if op in _BINARY:
        return n.BinOp(loc, _BINARY[op], args[0], args[1])
    if op in _COMPARE:
        return n.Compare(loc, _COMPARE[op], args[0], args[1])
    if op in ("and", "or"):
        return n.BoolOp(loc, op, tuple(args))
    if op in ("in", "not_in"):
        items = n.ListLit(args[1].loc if len(args) > 1 else loc, tuple(args[1:]))
        return n.In(loc, args[0], items, op == "not_in")
    return n.Call(loc, op, tuple(args))


@attrs.frozen(slots=True)
class JumpView:
    when: n.Node
    target: str  # as written: a question id or "end"
    loc: SourceLocation


@attrs.frozen(slots=True)
class QuestionView:
    id: str
    type: str
    index: int
    loc: SourceLocation
    jumps: tuple[JumpView, ...]
    value: n.Node | None  # computed questions only
    #: the ask_if rules it is asked under: its section's, then its own
    ask_if: tuple[n.Node, ...] = ()


@attrs.frozen(slots=True)
class CheckView:
    id: str
    expr: n.Node
    loc: SourceLocation


@attrs.frozen(slots=True)
class RulesView:
    """Every rule of a form as a syntax tree: per question (jumps, computed value), per check, per
    finding and per household category."""

    file: str
    questions: tuple[QuestionView, ...]
    checks: tuple[CheckView, ...]
    findings: tuple[CheckView, ...] = ()
    categories: tuple[CheckView, ...] = ()


def rules_view(form: Form) -> RulesView:
    """The rules of ``form``, lifted from its machine."""
    machine = form.to_json()
    file = form.source or "<machine>"
    jumps = {s["question"]: s["jumps"] for s in machine["steps"]}
    values = {c["question"]: c["value"] for c in machine["computed"]}
    section_ask = {s["id"]: s["ask_if"]["when"] for s in machine["sections"] if "ask_if" in s}
    ask_if = [tuple(lift(rule, file) for rule in (section_ask.get(q["section"]),
                                                  q.get("ask_if", {}).get("when")) if rule)
              for q in machine["questions"]]
    questions = tuple(
        QuestionView(q.id, q.type, q.index, q.location or SourceLocation(file, 0, 0),
                     tuple(JumpView(lift(j["when"], file), j["written"],
                                    SourceLocation(file, *j["at"]))
                           for j in jumps.get(q.id, ())),
                     lift(values[q.id], file) if q.id in values else None, ask_if[q.index])
        for q in form.questions)
    checks = tuple(CheckView(c["id"], lift(c["rule"], file), SourceLocation(file, *c["at"]))
                   for c in machine["checks"])
    findings, categories = (
        tuple(CheckView(c["id"], lift(c["rule"], file), SourceLocation(file, *c["at"]))
              for c in machine.get(key, ()))
        for key in ("findings", "categories"))
    return RulesView(file, questions, checks, findings, categories)
