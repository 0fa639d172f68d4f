"""The machine: a compiled form as a documented JSON document (``docs/machine.md``).

This module reads a machine and checks it, in the runtime's own terms and with no library: the
shape of every field (what ``machine.schema.json`` says, for implementers in other languages), then
what a schema cannot say: ids unique, jump targets that exist and lie ahead, rules that read only
questions, params and computed values the machine declares (jumps only earlier questions), and
expression IR that is well typed. Every problem is reported at once, at its JSON pointer, as a
:class:`~qengine.FormError` with code ``machine``; nothing else ever escapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from qengine.errors import FormError, Problem, describe
from qengine.location import SourceLocation
from qengine.notation import is_iso_date
from qengine.runtime.findings import TYPES, UNITS, template_names

FORMAT = "qengine-machine/1"
#: how deep an expression may nest (the rule parser makes trees at most this deep)
MAX_IR_DEPTH = 200
#: numbers a machine may hold (bounds, literals, params): the runtime's numeric domain
MAX_MAGNITUDE = 10**15

QUESTION_TYPES = ("text", "integer", "number", "money", "year", "date", "single", "multiple",
                  "id_number", "computed")
NUMERIC_TYPES = frozenset({"integer", "number", "money", "year"})
IR_TYPES = frozenset({"num", "text", "date", "code", "codes", "bool", "list"})
#: the expression type of an answer to each question type
ANSWER_TYPES = {"integer": "num", "number": "num", "money": "num", "year": "num", "date": "date",
                "single": "code", "multiple": "codes", "text": "text", "id_number": "text"}

# op -> (fewest arguments, most arguments or None, argument types or None for any, result types)
_NUM, _BOOL = frozenset({"num"}), frozenset({"bool"})
_ORDERED = frozenset({"num", "code", "date", "text"})  # codes are ordered as numbers (q9 < ③)
_ANY = None
OPS: dict[str, tuple[int, int | None, frozenset[str] | None, frozenset[str]]] = {
    "num": (0, 0, _ANY, _NUM), "text": (0, 0, _ANY, frozenset({"text", "date"})),
    "code": (0, 0, _ANY, frozenset({"code"})),
    "answer": (0, 0, _ANY, IR_TYPES),
    "computed": (0, 0, _ANY, frozenset({"num", "code", "text", "date"})),
    "param": (0, 0, _ANY, frozenset({"num", "text", "date"})),
    "neg": (1, 1, _NUM, _NUM), "not": (1, 1, _BOOL, _BOOL),
    "add": (2, 2, _NUM, _NUM), "sub": (2, 2, _NUM, _NUM), "mul": (2, 2, _NUM, _NUM),
    "div": (2, 2, _NUM, _NUM),
    "eq": (2, 2, _ANY, _BOOL), "ne": (2, 2, _ANY, _BOOL),
    "lt": (2, 2, _ORDERED, _BOOL), "le": (2, 2, _ORDERED, _BOOL),
    "gt": (2, 2, _ORDERED, _BOOL), "ge": (2, 2, _ORDERED, _BOOL),
    "and": (2, None, _BOOL, _BOOL), "or": (2, None, _BOOL, _BOOL),
    "in": (1, None, _ANY, _BOOL), "not_in": (1, None, _ANY, _BOOL),  # the list may be empty
    "answered": (1, 1, _ANY, _BOOL), "selected": (2, None, _ANY, _BOOL),
    "count": (1, 1, frozenset({"codes"}), _NUM), "sum": (1, None, _NUM, _NUM),
    "min": (1, None, _NUM, _NUM), "max": (1, None, _NUM, _NUM), "abs": (1, 1, _NUM, _NUM),
    "len": (1, 1, frozenset({"text"}), _NUM),
    # if(cond, a, b): checked below (a bool, then two branches of the node's type)
    "if": (3, 3, _ANY, frozenset({"num", "text", "date", "code"})),
    "round": (1, 2, _NUM, _NUM), "int": (1, 1, _NUM, _NUM), "mod": (2, 2, _NUM, _NUM),
    "number": (1, 1, frozenset({"text", "num", "code"}), _NUM),
    "substr": (2, 3, _ANY, frozenset({"text"})),  # a text, then numbers: checked below
}
LEAVES = frozenset({"num", "text", "code", "answer", "computed", "param"})


def ir_walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of an expression, parents before children (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.get("args", ())))


def ir_refs(node: dict[str, Any], *, skip_answered: bool = False) -> list[str]:
    """The question ids (answers and computed values) an expression reads, in reading order.

    With ``skip_answered``, those read only as the argument of ``answered(...)`` are left out.
    """
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        op = current["op"]
        if op in ("answer", "computed"):
            out.append(current["id"])
        elif not (skip_answered and op == "answered"):
            stack.extend(reversed(current.get("args", ())))
    return out


def is_number(value: Any) -> bool:
    """A JSON number of the machine's domain: finite, at most :data:`MAX_MAGNITUDE`."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and (math.isfinite(value) if isinstance(value, float) else True)
            and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE)


class _Reader:
    """Checks a machine document, collecting every problem with its JSON pointer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        if len(self.problems) < 100:  # enough to act on; a hostile file cannot flood memory
            self.problems.append(Problem(SourceLocation(self.name, 0, 0), "machine",
                                         f"{where or '/'}: {message}"))

    # -- shapes ------------------------------------------------------------------------------
    def obj(self, value: Any, where: str, required: tuple[str, ...],
            optional: tuple[str, ...] = ()) -> bool:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_kind(value)}")
            return False
        ok = True
        for key in required:
            if key not in value:
                self.fail(where, f"{key!r} is missing")
                ok = False
        for key in value:
            if key not in required and key not in optional:
                self.fail(f"{where}/{key}", "is not a field of the machine format")
                ok = False
        return ok

    def text(self, value: Any, where: str, *, nullable: bool = False) -> bool:
        if isinstance(value, str) or (nullable and value is None):
            if isinstance(value, str) and not _encodable(value):
                self.fail(where, "text holds a lone surrogate")
                return False
            return True
        self.fail(where, f"expected {'text or null' if nullable else 'text'}, got {_kind(value)}")
        return False

    def texts(self, value: Any, where: str) -> bool:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object of texts by language, got {_kind(value)}")
            return False
        return all([self.text(k, where) and self.text(v, f"{where}/{k}")
                    for k, v in value.items()])

    def array(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"expected an array, got {_kind(value)}")
            return []
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {_kind(value)}")
            return False
        return True

    def number(self, value: Any, where: str, *, nullable: bool = True, integer: bool = False
               ) -> bool:
        if value is None and nullable:
            return True
        if not is_number(value) or (integer and not isinstance(value, int)):
            what = "a whole number" if integer else "a number"
            self.fail(where, f"expected {what} within ±{MAX_MAGNITUDE:.0e}, got {_kind(value)}")
            return False
        return True

    def position(self, value: Any, where: str) -> None:
        if not (isinstance(value, list) and len(value) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**31
                        for x in value)):
            self.fail(where, "expected [line, column]")


def _member(value: Any, names: Any) -> bool:
    """``value in names`` for a text value; False for anything else (unhashable included)."""
    return isinstance(value, str) and value in names


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_machine(data: Any, name: str = "<machine>", *, parsed: bool = False) -> None:
    """Raise :class:`~qengine.FormError` (code ``machine``) listing every problem of ``data``.

    ``parsed``: ``data`` comes straight from ``json.loads``, so it is plain JSON data and the
    look for foreign objects (a str subclass, an object with its own ``==``) is skipped."""
    r = _Reader(name)
    foreign = None if parsed else _foreign(data)
    if foreign is not None:  # checked first: every later check may compare and hash values
        where, value = foreign
        r.fail(where, f"is not JSON data: a {_type_name(value)} object")
    else:
        _check_document(r, data)
    if r.problems:
        raise FormError(r.problems)


#: the Python types that JSON data is made of (a tuple is not JSON, but the checks can say so)
_JSON_TYPES = frozenset({dict, list, tuple, str, int, float, bool, type(None)})


def _foreign(data: Any) -> tuple[str, Any] | None:
    """The JSON pointer and value of the first object in ``data`` that is not plain JSON data
    (a subclass of str or dict, or any other object), or None. Iterative, and no deeper than
    :data:`_FOREIGN_DEPTH`: what lies deeper is refused by the depth checks without being read."""
    level = [data]  # a quick pass, level by level; the pointer is found only when needed
    for _depth in range(_FOREIGN_DEPTH + 1):
        deeper: list[Any] = []
        for value in level:
            kind = type(value)
            if kind is dict:
                if not all(type(k) is str for k in value):
                    return _foreign_at(data)
                deeper.extend(value.values())
            elif kind is list or kind is tuple:
                deeper.extend(value)
            elif kind not in _JSON_TYPES:
                return _foreign_at(data)
        if not deeper:
            return None
        level = deeper
    return None


def _foreign_at(data: Any) -> tuple[str, Any] | None:
    """:func:`_foreign` with the JSON pointer of what it finds."""
    stack: list[tuple[Any, Any, int]] = [(None, data, 0)]  # (path as a linked list, value, depth)
    while stack:
        path, value, depth = stack.pop()
        kind = type(value)
        if kind not in _JSON_TYPES:
            return _pointer(path), value
        if depth >= _FOREIGN_DEPTH:
            continue
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str:
                    return _pointer(path) or "/", key
                stack.append(((path, key), item, depth + 1))
        elif kind is list or kind is tuple:
            stack.extend(((path, i), item, depth + 1) for i, item in enumerate(value))
    return None


#: how deep :func:`_foreign` looks (expressions are refused beyond MAX_IR_DEPTH anyway)
_FOREIGN_DEPTH = 4 * MAX_IR_DEPTH


def _pointer(path: Any) -> str:
    parts: list[str] = []
    while path is not None:
        path, key = path
        parts.append(str(key))
    return "/" + "/".join(reversed(parts))


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return name if isinstance(name, str) and len(name) <= 60 else "foreign"


_TOP = ("format", "id", "version", "titles", "languages", "source", "params", "sections",
        "questions", "steps", "computed", "checks")
#: top-level keys a machine may leave out (an absent one is an empty list)
_OPTIONAL_TOP = ("findings", "categories")
_QUESTION = ("id", "number", "labels", "hints", "type", "section", "required", "unit", "min", "max",
             "decimals", "max_length", "none_ok", "choices", "at")


#: a choice's name: what a record may give instead of its code (an XLSForm choice name)
_CHOICE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def _check_document(r: _Reader, data: Any) -> None:
    if not r.obj(data, "", _TOP, _OPTIONAL_TOP):
        if isinstance(data, dict) and data.get("format") not in (None, FORMAT):
            r.fail("/format", f"this runtime reads {FORMAT!r}, not {describe(data.get('format'))}")
        return
    if data["format"] != FORMAT:
        r.fail("/format", f"this runtime reads {FORMAT!r}, not {describe(data['format'])}")
        return
    r.text(data["id"], "/id")
    r.text(data["version"], "/version")
    r.texts(data["titles"], "/titles")
    r.text(data["source"], "/source", nullable=True)
    languages = r.array(data["languages"], "/languages")
    if not languages:
        r.fail("/languages", "at least one language is needed")
    for i, lang in enumerate(languages):
        r.text(lang, f"/languages/{i}")
    params = _check_params(r, data["params"])
    questions = _check_questions(r, data["questions"])
    _check_sections(r, data["sections"], questions)
    if r.problems:  # the rules below need sound questions and params
        return
    index = {q["id"]: i for i, q in enumerate(questions)}
    scope = _Scope(questions, params)
    _check_computed(r, data["computed"], scope)
    _check_steps(r, data["steps"], questions, index, scope)
    _check_relevance(r, data["sections"], questions, index, scope)
    _check_checks(r, data["checks"], scope)
    _check_findings(r, data.get("findings", []), scope)
    _check_categories(r, data.get("categories", []), scope)


def _check_params(r: _Reader, value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, p in enumerate(r.array(value, "/params")):
        where = f"/params/{i}"
        if not r.obj(p, where, ("name", "type", "value", "labels", "unit")):
            continue
        if not r.text(p["name"], f"{where}/name"):
            continue
        if p["name"] in out:
            r.fail(f"{where}/name", f"param {p['name']!r} is declared twice")
        kind = p["type"]
        if kind == "num":
            r.number(p["value"], f"{where}/value", nullable=False)
        elif kind in ("text", "date"):
            r.text(p["value"], f"{where}/value")
        else:
            r.fail(f"{where}/type", f"expected num, text or date, got {_kind(kind)}")
        r.texts(p["labels"], f"{where}/labels")
        r.text(p["unit"], f"{where}/unit", nullable=True)
        out[p["name"]] = kind
    return out


def _check_questions(r: _Reader, value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    renamed: set[str] = set()
    seen: set[str] = set()
    for i, q in enumerate(r.array(value, "/questions")):
        where = f"/questions/{i}"
        if not r.obj(q, where, _QUESTION, ("ask_if", "renamed_from")) or not r.text(
                q["id"], f"{where}/id"):
            continue
        if q["id"] in seen or q["id"] == "end":
            r.fail(f"{where}/id", f"question id {q['id']!r} is used twice or reserved")
        seen.add(q["id"])
        r.text(q["number"], f"{where}/number", nullable=True)
        r.texts(q["labels"], f"{where}/labels")
        r.texts(q["hints"], f"{where}/hints")
        r.text(q["section"], f"{where}/section")
        r.text(q["unit"], f"{where}/unit", nullable=True)
        r.boolean(q["required"], f"{where}/required")
        r.boolean(q["none_ok"], f"{where}/none_ok")
        r.position(q["at"], f"{where}/at")
        qtype = q["type"]
        if not _member(qtype, QUESTION_TYPES):
            r.fail(f"{where}/type", f"expected one of {', '.join(QUESTION_TYPES)}, got "
                   f"{_kind(qtype)}")
            continue
        if q["none_ok"] is True and qtype != "multiple":
            r.fail(f"{where}/none_ok", "only a multiple choice takes [] as an answer")
        _check_settings(r, q, where)
        codes: set[int] = set()
        names: set[str] = set()
        for k, c in enumerate(r.array(q["choices"], f"{where}/choices")):
            cw = f"{where}/choices/{k}"
            if r.obj(c, cw, ("code", "labels"), ("name",)) and r.number(
                    c["code"], f"{cw}/code", nullable=False, integer=True):
                if c["code"] in codes or c["code"] < 0:
                    r.fail(f"{cw}/code", f"code {c['code']} is negative or used twice")
                codes.add(c["code"])
                r.texts(c["labels"], f"{cw}/labels")
                if "name" in c and r.text(c["name"], f"{cw}/name"):
                    if c["name"] in names or not _CHOICE_NAME.fullmatch(c["name"]):
                        r.fail(f"{cw}/name", f"choice name {c['name']!r} is used twice or is "
                               "not 1-100 of A-Z a-z 0-9 _ . : -")
                    names.add(c["name"])
        if (qtype in ("single", "multiple")) != bool(codes):
            r.fail(f"{where}/choices", "choice questions, and only they, have choices")
        q = {**q, "codes": codes}
        out.append(q)
    ids = {q["id"] for q in out}
    for i, q in enumerate(out):
        for k, old in enumerate(r.array(q.get("renamed_from", []), f"/questions/{i}/renamed_from")):
            if not r.text(old, f"/questions/{i}/renamed_from/{k}"):
                continue  # not text (a list would not hash)
            if old in ids or old in renamed or not _is_id(old):
                r.fail(f"/questions/{i}/renamed_from/{k}", f"{old!r} is not an id, is a "
                       "question of the form, or is claimed twice")
            renamed.add(old)
    return out


def _check_settings(r: _Reader, q: dict[str, Any], where: str) -> None:
    """The effective settings a question type needs (the compiler wrote them all)."""
    qtype = q["type"]
    if qtype == "date":
        for key in ("min", "max"):
            if q[key] is not None and not (isinstance(q[key], str) and is_iso_date(q[key])):
                r.fail(f"{where}/{key}", "expected an ISO date or null")
    else:
        for key in ("min", "max"):
            r.number(q[key], f"{where}/{key}")
    if qtype in NUMERIC_TYPES:
        if not (isinstance(q["decimals"], int) and not isinstance(q["decimals"], bool)
                and 0 <= q["decimals"] <= 15):
            r.fail(f"{where}/decimals", "a number question needs its decimals (0-15)")
    elif q["decimals"] is not None:
        r.fail(f"{where}/decimals", "only number questions have decimals")
    if qtype == "text":
        if not (isinstance(q["max_length"], int) and not isinstance(q["max_length"], bool)
                and 0 < q["max_length"] <= 10**7):
            r.fail(f"{where}/max_length", "a text question needs its max_length (1-10000000)")
    elif q["max_length"] is not None:
        r.fail(f"{where}/max_length", "only text questions have max_length")
    lo, hi = q["min"], q["max"]
    if (lo is not None and hi is not None and type(lo) is type(hi)) or (
            isinstance(lo, (int, float)) and isinstance(hi, (int, float))):
        try:
            if lo is not None and hi is not None and hi < lo:
                r.fail(f"{where}/max", "max is below min")
        except TypeError:
            r.fail(f"{where}/max", "min and max are of different kinds")


def _check_sections(r: _Reader, value: Any, questions: list[dict[str, Any]]) -> None:
    ids = [q["id"] for q in questions]
    listed: list[str] = []
    seen: set[str] = set()
    sections = r.array(value, "/sections")
    for i, s in enumerate(sections):
        where = f"/sections/{i}"
        if not r.obj(s, where, ("id", "titles", "closing", "questions"), ("ask_if",)):
            continue
        if not r.text(s["id"], f"{where}/id"):
            continue
        if s["id"] in seen:
            r.fail(f"{where}/id", f"section {s['id']!r} is declared twice")
        seen.add(s["id"])
        r.texts(s["titles"], f"{where}/titles")
        if r.boolean(s["closing"], f"{where}/closing") and s["closing"] and i != len(sections) - 1:
            r.fail(f"{where}/closing", "only the last section may be the closing one")
        for k, qid in enumerate(r.array(s["questions"], f"{where}/questions")):
            if r.text(qid, f"{where}/questions/{k}"):
                listed.append(qid)
    if not r.problems and listed != ids:
        r.fail("/sections", "the sections must list every question once, in question order")
    if not r.problems:
        by_id = {q["id"]: q for q in questions}
        for s in sections:
            for qid in s["questions"]:
                if by_id[qid]["section"] != s["id"]:
                    r.fail("/sections", f"question {qid!r} names section "
                           f"{by_id[qid]['section']!r} but is listed in {s['id']!r}")


class _Scope:
    """What an expression may name: questions (with their answer types), params, computed."""

    def __init__(self, questions: list[dict[str, Any]], params: dict[str, str]) -> None:
        self.answers = {q["id"]: ANSWER_TYPES[q["type"]] for q in questions
                        if q["type"] != "computed"}
        self.codes = {q["id"]: q["codes"] for q in questions}
        self.index = {q["id"]: i for i, q in enumerate(questions)}
        self.computed_ids = {q["id"] for q in questions if q["type"] == "computed"}
        self.computed: dict[str, str] = {}  # id -> type, once its value is checked
        self.reach: dict[str, int] = {}  # computed id -> the highest question index it reads
        self.params = params


def _check_expr(r: _Reader, node: Any, where: str, scope: _Scope,
                limit: int | None = None, expect: str | None = None) -> str | None:
    """Check an expression; its type, or None when it is malformed. ``limit``: the highest
    question index it may read (a jump reads only its own and earlier questions)."""
    ok = True
    stack: list[tuple[Any, str, int]] = [(node, where, 0)]
    while stack:
        current, at, depth = stack.pop()
        if depth > MAX_IR_DEPTH:
            r.fail(at, f"expression nested deeper than {MAX_IR_DEPTH}")
            return None
        if not _check_node(r, current, at, scope, limit):
            ok = False
            continue
        stack.extend((a, f"{at}/args/{i}", depth + 1) for i, a in enumerate(current.get("args", ())))
    if not ok:
        return None
    t: str = node["type"]
    if expect is not None and t != expect:
        r.fail(where, f"expected an expression of type {expect}, got {t}")
        return None
    return t


def _check_node(r: _Reader, node: Any, at: str, scope: _Scope, limit: int | None) -> bool:
    if not isinstance(node, dict) or not _member(node.get("op"), OPS):
        r.fail(at, f"expected an expression node with a known op, got "
               f"{_kind(node.get('op') if isinstance(node, dict) else node)}")
        return False
    op = node["op"]
    lo, hi, arg_types, results = OPS[op]
    extra = {"num": ("value",), "text": ("value",), "code": ("value",), "answer": ("id",),
             "computed": ("id",), "param": ("name",)}.get(op, ("args",))
    if not r.obj(node, at, ("op", "type", "at", *extra)):
        return False
    r.position(node["at"], f"{at}/at")
    if not _member(node["type"], results):
        r.fail(f"{at}/type", f"{op} gives {' or '.join(sorted(results))}, not {_kind(node['type'])}")
        return False
    if op in LEAVES:
        return _check_leaf(r, node, at, scope, limit)
    args = node["args"]
    if not isinstance(args, list) or len(args) < lo or (hi is not None and len(args) > hi):
        r.fail(f"{at}/args", f"{op} takes {lo}{'' if hi == lo else ' or more'} arguments")
        return False
    if not all(isinstance(a, dict) and _member(a.get("type"), IR_TYPES) for a in args):
        return True  # each argument reports its own problem
    types = [a["type"] for a in args]
    if arg_types is not None and not all(t in arg_types for t in types):
        r.fail(f"{at}/args", f"{op} takes {' or '.join(sorted(arg_types))}, got {', '.join(types)}")
        return False
    if op in ("lt", "le", "gt", "ge") and len(
            {"num" if t in ("num", "code") else "text" for t in types}) > 1:
        r.fail(f"{at}/args", f"{op} compares a number with a text or date")
        return False
    if op in ("in", "not_in") and types[0] in ("codes", "bool"):
        r.fail(f"{at}/args", f"{op} takes a value to look for, not {types[0]}")
        return False
    if op == "selected" and not (args[0].get("op") == "answer" and types[0] in ("code", "codes")
                                 and all(a.get("op") == "code" for a in args[1:])):
        r.fail(f"{at}/args", "selected takes a choice question and codes")
        return False
    if op == "answered" and args[0].get("op") not in ("answer", "computed", "param"):
        r.fail(f"{at}/args", "answered takes a question")
        return False
    if op == "if" and (types[0] != "bool" or types[1] != node["type"] or types[2] != node["type"]):
        r.fail(f"{at}/args", f"if takes a bool and two branches of its type {node['type']}, got "
               f"{', '.join(types)}")
        return False
    if op == "substr" and (types[0] != "text" or any(t != "num" for t in types[1:])):
        r.fail(f"{at}/args", f"substr takes a text and numbers, got {', '.join(types)}")
        return False
    return True


def _check_leaf(r: _Reader, node: dict[str, Any], at: str, scope: _Scope, limit: int | None
                ) -> bool:
    op = node["op"]
    if op == "num":
        return r.number(node["value"], f"{at}/value", nullable=False)
    if op == "text":
        return r.text(node["value"], f"{at}/value")
    if op == "code":
        return r.number(node["value"], f"{at}/value", nullable=False, integer=True)
    if op == "param":
        name = node["name"]
        if not isinstance(name, str) or name not in scope.params:
            r.fail(f"{at}/name", f"names no param: {_kind(name)}")
            return False
        if scope.params[name] != node["type"]:
            r.fail(f"{at}/type", f"param {name} is {scope.params[name]}, not {node['type']}")
            return False
        return True
    qid = node["id"]
    table = scope.answers if op == "answer" else scope.computed_ids
    if not isinstance(qid, str) or qid not in table:
        r.fail(f"{at}/id", f"names no {'question' if op == 'answer' else 'computed value'}: "
               f"{qid!r}" if isinstance(qid, str) else f"{at}/id: expected text")
        return False
    if op == "answer" and scope.answers[qid] != node["type"]:
        r.fail(f"{at}/type", f"an answer to {qid} is {scope.answers[qid]}, not {node['type']}")
        return False
    if op == "computed" and qid in scope.computed and scope.computed[qid] != node["type"]:
        r.fail(f"{at}/type", f"computed value {qid} is {scope.computed[qid]}, not {node['type']}")
        return False
    if op == "computed" and qid not in scope.computed:
        r.fail(f"{at}/id", f"computed value {qid} is read before its value is defined")
        return False
    if limit is not None and op == "answer" and scope.index[qid] > limit:
        r.fail(f"{at}/id", f"a jump reads {qid}, which comes later")
        return False
    return True


def _check_computed(r: _Reader, value: Any, scope: _Scope) -> None:
    done: set[str] = set()
    for i, c in enumerate(r.array(value, "/computed")):
        where = f"/computed/{i}"
        if not r.obj(c, where, ("question", "value", "text")):
            continue
        qid = c["question"]
        if not isinstance(qid, str) or qid not in scope.computed_ids or qid in done:
            r.fail(f"{where}/question", "expected a computed question, each once")
            continue
        r.text(c["text"], f"{where}/text")
        t = _check_expr(r, c["value"], f"{where}/value", scope)
        if t is not None and t not in ("num", "code", "text", "date"):
            r.fail(f"{where}/value", f"a computed value is a number, code, text or date, not {t}")
        elif t is not None:
            scope.computed[qid] = t  # later values may read it: defined in order, so no cycles
            scope.reach[qid] = max((scope.reach.get(ref, -1) if ref in scope.computed_ids
                                    else scope.index[ref] for ref in ir_refs(c["value"])),
                                   default=-1)
        done.add(qid)
    if done != scope.computed_ids:
        r.fail("/computed", "every computed question needs its value, once")


def _check_steps(r: _Reader, value: Any, questions: list[dict[str, Any]], index: dict[str, int],
                 scope: _Scope) -> None:
    asked = [q["id"] for q in questions if q["type"] != "computed"]
    steps = r.array(value, "/steps")
    if [s.get("question") if isinstance(s, dict) else None for s in steps] != asked:
        r.fail("/steps", "expected one step per asked question, in question order")
        return
    for i, s in enumerate(steps):
        where = f"/steps/{i}"
        if not r.obj(s, where, ("question", "jumps")):
            continue
        here = index[s["question"]]
        for k, j in enumerate(r.array(s["jumps"], f"{where}/jumps")):
            jw = f"{where}/jumps/{k}"
            if not r.obj(j, jw, ("when", "text", "target", "written", "at")):
                continue
            r.text(j["text"], f"{jw}/text")
            r.text(j["written"], f"{jw}/written")
            r.position(j["at"], f"{jw}/at")
            target = j["target"]
            if not isinstance(target, str) or (target != "end" and target not in index):
                r.fail(f"{jw}/target", f"names no question: {_kind(target)}")
            elif target != "end" and index[target] <= here:
                r.fail(f"{jw}/target", f"{target} is not after {s['question']}: jumps go forward")
            _check_expr(r, j["when"], f"{jw}/when", scope, limit=here, expect="bool")


def _check_relevance(r: _Reader, sections: list[dict[str, Any]], questions: list[dict[str, Any]],
                     index: dict[str, int], scope: _Scope) -> None:
    """Each ``ask_if`` is a ``bool`` rule reading only questions before it (a section's, those
    before its first question), computed values included through what they read."""
    where_of = [(f"/sections/{i}", s, index[s["questions"][0]])
                for i, s in enumerate(sections) if "ask_if" in s and s["questions"]]
    where_of += [(f"/questions/{i}", q, i) for i, q in enumerate(questions) if "ask_if" in q]
    for where, owner, first in where_of:
        rel, rw = owner["ask_if"], f"{where}/ask_if"
        if not r.obj(rel, rw, ("when", "text", "at")):
            continue
        r.text(rel["text"], f"{rw}/text")
        r.position(rel["at"], f"{rw}/at")
        if _check_expr(r, rel["when"], f"{rw}/when", scope, expect="bool") is None:
            continue
        for ref in ir_refs(rel["when"]):
            reach = scope.reach.get(ref, -1) if ref in scope.computed_ids else scope.index[ref]
            if reach >= first:
                late = questions[reach]["id"]
                through = f" (through computed {ref})" if late != ref else ""
                r.fail(f"{rw}/when", f"an ask_if reads {late}{through}, which is not before "
                       f"{questions[first]['id']}")
                break


def _check_checks(r: _Reader, value: Any, scope: _Scope) -> None:
    seen: set[str] = set()
    for i, c in enumerate(r.array(value, "/checks")):
        where = f"/checks/{i}"
        if not r.obj(c, where, ("id", "severity", "kind", "rule", "text", "questions", "deps",
                                "messages", "at"), ("acknowledge",)):
            continue
        if "acknowledge" in c and (c["acknowledge"] != "required" or c["severity"] != "warning"):
            r.fail(f"{where}/acknowledge", "expected \"required\", on a warning")
        if not r.text(c["id"], f"{where}/id"):
            continue
        if c["id"] in seen:
            r.fail(f"{where}/id", f"check {c['id']!r} is declared twice")
        seen.add(c["id"])
        if not _member(c["severity"], ("error", "warning")):
            r.fail(f"{where}/severity", "expected error or warning")
        if not _member(c["kind"], ("when", "assert")):
            r.fail(f"{where}/kind", "expected when or assert")
        r.text(c["text"], f"{where}/text")
        r.texts(c["messages"], f"{where}/messages")
        r.position(c["at"], f"{where}/at")
        for key in ("questions", "deps"):
            for k, qid in enumerate(r.array(c[key], f"{where}/{key}")):
                if not isinstance(qid, str) or qid not in scope.index:
                    r.fail(f"{where}/{key}/{k}", "names no question")
        _check_expr(r, c["rule"], f"{where}/rule", scope, expect="bool")


_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _is_id(text: str) -> bool:
    """A name as the form language writes ids (a finding's id goes into the keys of reports)."""
    return 0 < len(text) <= 100 and "a" <= text[0] <= "z" and set(text) <= _ID_CHARS


def _check_quoted(r: _Reader, texts: Any, where: str, scope: _Scope) -> None:
    """A description's ``{name}`` placeholders each name a question, computed value or param."""
    if not r.texts(texts, where):
        return
    for lang, text in texts.items():
        try:
            names = template_names(text)
        except ValueError as exc:
            r.fail(f"{where}/{lang}", f"a bad description: {exc}")
            continue
        for name in names:
            if name not in scope.index and name not in scope.params:
                r.fail(f"{where}/{lang}", f"quotes {{{name}}}, which is no question or param")


def _check_named(r: _Reader, value: Any, key: str, noun: str, fields: tuple[str, ...],
                 scope: _Scope) -> Iterator[tuple[str, dict[str, Any]]]:
    """The entries of ``key`` (findings or categories) with what they share checked: their
    fields, a unique id that is a name, labels, rule text and position, deps, a bool rule; each
    sound entry with its JSON pointer, for the checks of its own."""
    seen: set[str] = set()
    for i, entry in enumerate(r.array(value, f"/{key}")):
        where = f"/{key}/{i}"
        if not r.obj(entry, where, fields) or not r.text(entry["id"], f"{where}/id"):
            continue
        if not _is_id(entry["id"]):
            r.fail(f"{where}/id", f"a {noun} id is a name: a-z, then a-z, 0-9 or _")
        if entry["id"] in seen:
            r.fail(f"{where}/id", f"{noun} {entry['id']!r} is declared twice")
        seen.add(entry["id"])
        r.texts(entry["labels"], f"{where}/labels")
        r.text(entry["text"], f"{where}/text")
        r.position(entry["at"], f"{where}/at")
        for name in ("questions", "deps"):
            for n, qid in enumerate(r.array(entry.get(name, []), f"{where}/{name}")):
                if not isinstance(qid, str) or qid not in scope.index:
                    r.fail(f"{where}/{name}/{n}", "names no question")
        yield where, entry
        _check_expr(r, entry["rule"], f"{where}/rule", scope, expect="bool")


def _check_findings(r: _Reader, value: Any, scope: _Scope) -> None:
    fields = ("id", "type", "unit", "labels", "rule", "text", "questions", "deps",
              "descriptions", "at")
    for where, f in _check_named(r, value, "findings", "finding", fields, scope):
        kind = f["type"]
        if not (type(kind) is int and kind in TYPES):
            r.fail(f"{where}/type", f"expected a problem type 1-8, got {_kind(kind)}")
        if not _member(f["unit"], UNITS):
            r.fail(f"{where}/unit", f"expected one of {', '.join(UNITS)}, got {_kind(f['unit'])}")
        _check_quoted(r, f["descriptions"], f"{where}/descriptions", scope)


def _check_categories(r: _Reader, value: Any, scope: _Scope) -> None:
    fields = ("id", "labels", "rule", "text", "deps", "at")
    for _where, _c in _check_named(r, value, "categories", "category", fields, scope):
        pass  # a category has nothing of its own beyond what every named rule has
