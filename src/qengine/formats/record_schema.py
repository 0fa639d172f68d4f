"""A JSON Schema (draft 2020-12) of a form's records, for tools outside qengine.

The schema describes **canonical** records: what ``Interview.submit()``, ``Report.record`` and
``qengine validate --output`` give, a mapping from question id to answer in the strict JSON types
of ``docs/machine.md`` (a code is an integer, a multiple choice a list of distinct codes, a date an
ISO text, no answer ``null``). Every canonical record that ``Form.validate`` passes also passes the
schema, so a canonical record the schema refuses is never valid (``validate`` also takes spellings
of entered text that the schema refuses: blank text, white space around a date, a lower-case x in
an id number). What JSON Schema cannot say (the checks that
compare answers, decimals of fractional numbers, the id number's check digit, asked conditions
that are not simple conditions on earlier answers) is listed in the schema's ``$comment`` and left
to ``validate``: the schema is a gate for other tools, not a replacement.

Required-when-asked is said with ``if``/``then``/``else``: for a question that jumps can skip, the
``if`` is "some earlier question holds an answer that takes a jump over it" (``q4`` is 2 skips
``q4_1``), the ``then`` says the skipped questions have no answer, and the ``else`` that the
required ones have one. This is exact when every jump over the question reads only its own
question and compares it with literals (``q4 == ②``, ``q8 in [①, ③]``, ``i23 == 0``,
``selected(q6_1, ②)``): in a valid record a question has an answer only when it was asked, so an
answer that takes the jump means the jump was taken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from qengine.runtime.form import Form, Question

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: the numeric domain of answers (runtime.values): beyond it is a range error whatever the bounds
MAX_MAGNITUDE = 10**15

#: the characters ``str.isspace`` holds to be white space: a text of only these is no answer
#: (written as \\u escapes, which ECMA-262 and Python regular expressions read alike)
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_CLASS = "".join(f"\\u{ord(c):04x}" for c in WHITESPACE)
#: a text holding some character that is not white space (``re.search`` finds it anywhere)
NON_BLANK = f"[^{_CLASS}]"


def _calendar_date(sep: str) -> str:
    """A real calendar date YYYY<sep>MM<sep>DD (year 0001-9999, 29 February of leap years
    only), in the syntax common to ECMA-262 and Python regular expressions (ASCII digits: a
    Python ``\\d`` would take other scripts' digits)."""
    month_day = (f"(?:(?:0[13578]|1[02]){sep}(?:0[1-9]|[12][0-9]|3[01])"
                 f"|(?:0[469]|11){sep}(?:0[1-9]|[12][0-9]|30)"
                 f"|02{sep}(?:0[1-9]|1[0-9]|2[0-8]))")
    quad = "(?:0[48]|[2468][048]|[13579][26])"
    leap = f"(?:[0-9]{{2}}{quad}|{quad}00)"
    return f"(?:(?!0000)[0-9]{{4}}{sep}{month_day}|{leap}{sep}02{sep}29)"


#: an ISO date; with minLength and maxLength 10 (a Python ``$`` also matches before a last newline)
DATE_PATTERN = f"^{_calendar_date('-')}$"
#: a GB 11643 id number without its check: 6 digits, a birth date, 3 digits, a digit or X
ID_NUMBER_PATTERN = f"^[0-9]{{6}}{_calendar_date('')}[0-9]{{3}}[0-9X]$"
_NOT_NULL: dict[str, Any] = {"not": {"type": "null"}}
_FLIPPED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_BOUND = {"lt": "exclusiveMaximum", "le": "maximum", "gt": "exclusiveMinimum", "ge": "minimum"}


def record_schema(form: Form, *, lang: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``form``'s canonical records, as JSON-ready data.

    ``lang`` picks the language of titles (default: the form's first)."""
    if not isinstance(form, Form):
        raise TypeError(f"record_schema() takes a compiled qengine Form, not "
                        f"{type(form).__name__}")
    lang = lang if lang in form.languages else form.languages[0]
    machine = form.to_json()
    computed_types = {c["question"]: c["value"]["type"] for c in machine["computed"]}
    jumps_of = {s["question"]: s["jumps"] for s in machine["steps"]}
    skips_said = {}
    unsaid: list[str] = []
    for q in form.questions:
        asked = form.asked_condition(q.id)
        if not q.computed and asked.ask_if:
            unsaid.append(q.id)  # an ask_if rule is more than a schema of the record can say
        elif not q.computed and asked.skips:
            condition = _skipped_when(form, q, jumps_of)
            if condition is None:
                unsaid.append(q.id)
            else:
                skips_said[q.id] = condition
    properties: dict[str, Any] = {}
    required: list[str] = []
    for q in form.questions:
        if q.computed:
            properties[q.id] = _computed(q, computed_types.get(q.id, "num"), lang)
            continue
        asked = form.asked_condition(q.id)
        always = not asked.skips and not asked.ask_if
        properties[q.id] = _answer(q, lang, required=q.required and always)
        if q.required and always:
            required.append(q.id)
    warnings = [c.id for c in form.checks if c.severity == "warning"]
    if warnings:  # what Interview.submit writes when a warning was let through for a reason
        properties["_meta"] = {
            "description": "acknowledged warnings: the reason each was let through",
            "type": "object", "additionalProperties": False,
            "properties": {"acknowledged": {
                "type": "object", "propertyNames": {"enum": warnings},
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 1000}}}}
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"https://qengine.dev/schema/records/{quote(form.id, safe='')}/"
               f"{quote(form.version, safe='')}.json",
        "title": f"{form.titles.get(lang, form.title)} ({form.id} {form.version}): a record",
        "description": "A canonical record of the form: question id to answer, null for no "
                       "answer (written by qengine.formats.record_schema).",
        "$comment": _comment(form, unsaid),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    rules = _asked_rules(form, skips_said)
    if rules:
        schema["allOf"] = rules
    return schema


# -- one answer ------------------------------------------------------------------------------
def _title(q: Question, lang: str) -> str:
    label = q.labels.get(lang) or q.label
    return f"{q.number} {label}" if q.number else label


def _integer_valued(q: Question) -> bool:
    return q.type in ("integer", "year") or (q.type in ("money", "number") and q.decimals == 0)


def _answer(q: Question, lang: str, *, required: bool) -> dict[str, Any]:
    """The schema of ``q``'s answer; ``null`` allowed unless ``required`` (always asked)."""
    out: dict[str, Any] = {"title": _title(q, lang)}
    if q.hints.get(lang):
        out["description"] = q.hints[lang]
    if q.type == "single":
        codes: list[Any] = [c.code for c in q.choices]
        out["enum"] = codes if required else [*codes, None]
        out["description"] = "; ".join(f"{c.code}: {c.labels.get(lang) or c.label}"
                                       for c in q.choices)
        return out
    if q.type == "multiple":
        out["type"] = "array" if required else ["array", "null"]
        out["items"] = {"enum": [c.code for c in q.choices]}
        out["uniqueItems"] = True
        out["maxItems"] = len(q.choices)
        if required and not q.none_ok:
            out["minItems"] = 1  # [] is "none of these" only where the form says so
        out["description"] = "; ".join(f"{c.code}: {c.labels.get(lang) or c.label}"
                                       for c in q.choices)
        return out
    kind = "string"
    if q.type in ("integer", "year", "money", "number"):
        kind = "integer" if _integer_valued(q) else "number"
        out["minimum"] = max(-MAX_MAGNITUDE, q.min) if q.min is not None else -MAX_MAGNITUDE
        out["maximum"] = min(MAX_MAGNITUDE, q.max) if q.max is not None else MAX_MAGNITUDE
    elif q.type == "date":
        out.update(_date(q.min, q.max))
    elif q.type == "id_number":
        out.update(minLength=18, maxLength=18, pattern=ID_NUMBER_PATTERN)
    else:  # text
        out.update(maxLength=q.max_length or 10000, pattern=NON_BLANK)
    out["type"] = kind if required else [kind, "null"]
    if q.unit:
        out["description"] = f"{out.get('description', '')} (unit: {q.unit})".lstrip()
    return out


def _date(lo: str | None, hi: str | None) -> dict[str, Any]:
    """An ISO date within ``lo``..``hi``: the bounds as patterns, since a fixed-width text is
    ordered as its characters are."""
    out: dict[str, Any] = {"minLength": 10, "maxLength": 10}
    patterns = [DATE_PATTERN]
    if lo is not None:
        patterns.append(_at_least(lo))
    if hi is not None:
        patterns.append(_at_most(hi))
    if len(patterns) == 1:
        out["pattern"] = DATE_PATTERN
    else:
        out["allOf"] = [{"pattern": p} for p in patterns]
    return out


def _at_least(bound: str) -> str:
    """Texts of ``bound``'s shape that sort at or after it (the shape itself checked elsewhere):
    the bound, or a prefix of it followed by a greater digit."""
    options = [re.escape(bound)]
    for i, ch in enumerate(bound):
        if ch.isdigit() and ch != "9":
            options.append(f"{re.escape(bound[:i])}[{int(ch) + 1}-9]")
    return f"^(?:{'|'.join(options)})"


def _at_most(bound: str) -> str:
    """Texts of ``bound``'s shape that sort at or before it."""
    options = [re.escape(bound)]
    for i, ch in enumerate(bound):
        if ch.isdigit() and ch != "0":
            options.append(f"{re.escape(bound[:i])}[0-{int(ch) - 1}]")
    return f"^(?:{'|'.join(options)})"


def _computed(q: Question, kind: str, lang: str) -> dict[str, Any]:
    """A computed value: optional (a record may carry it; validation computes its own)."""
    out: dict[str, Any] = {"title": _title(q, lang)}
    if kind == "num":
        out["type"] = ["number", "null"]
    elif kind == "code":
        out["type"] = ["integer", "null"]
    elif kind == "date":
        out.update(type=["string", "null"], minLength=10, maxLength=10, pattern=DATE_PATTERN)
    else:
        out["type"] = ["string", "null"]
    return out


# -- asked conditions --------------------------------------------------------------------------
def _skipped_when(form: Form, q: Question, jumps_of: Mapping[str, list[dict[str, Any]]]
                  ) -> list[dict[str, Any]] | None:
    """The alternatives under which ``q`` is skipped, each a schema of the record ("source holds
    an answer whose first firing jump passes over q"); None when one cannot be said."""
    out: list[dict[str, Any]] = []
    for skip in form.asked_condition(q.id).skips:
        source = form.question(skip.source)
        jumps = jumps_of[skip.source]
        matches = [_match(j["when"], source) for j in jumps[: skip.jump + 1]]
        if any(m is None for m in matches):
            return None
        *earlier, this = matches
        if this is False or any(m is True for m in earlier):
            continue  # this jump never fires first
        value = _first_fires(this, [m for m in earlier if m is not False])
        if value is not False:
            out.append({"properties": {source.id: value}, "required": [source.id]})
    return out


def _values(match: Any) -> list[Any] | None:
    """The values a ``const`` or ``enum`` match allows, or None for another kind."""
    if isinstance(match, dict) and len(match) == 1:
        if "const" in match:
            return [match["const"]]
        if "enum" in match:
            return list(match["enum"])
    return None


def _first_fires(this: Any, earlier: list[Any]) -> Any:
    """A schema of an answer for which ``this`` jump fires and none of the ``earlier`` ones do
    (so ``this`` is the first to fire); ``null``, which fires no jump, excluded."""
    mine = _values(this)
    before = [_values(m) for m in earlier]
    if mine is not None and all(b is not None for b in before):  # codes: a plain set
        gone = {v for b in before for v in b or ()}
        left = [v for v in mine if v not in gone]
        if not left:
            return False
        return {"const": left[0]} if len(left) == 1 else {"enum": left}
    # null passes every keyword but const, enum and type (contains, minimum … hold vacuously)
    parts: list[Any] = [] if mine is not None else [_NOT_NULL]
    if this is not True:
        parts.append(this)
    parts += [{"not": m} for m in earlier]
    if not parts:
        return _NOT_NULL
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _is_answer(node: Mapping[str, Any], q: Question) -> bool:
    return node.get("op") == "answer" and node.get("id") == q.id


def _literal(node: Mapping[str, Any], q: Question) -> int | float | None:
    """The literal ``node`` as ``q``'s answer would equal it exactly, or None."""
    if q.type == "single" and node.get("op") == "code":
        return int(node["value"])
    if node.get("op") == "num" and _integer_valued(q):
        value = node["value"]
        # eq forgives float rounding (machine.md); on whole numbers only a whole literal is exact
        return int(value) if float(value).is_integer() else None
    return None


def _match(node: Mapping[str, Any], q: Question) -> dict[str, Any] | bool | None:
    """A schema of ``q``'s (non-null, valid) answer that holds exactly when rule ``node`` does,
    True or False for a rule that always or never holds, or None when it cannot be said (it reads
    another question, or a comparison JSON Schema cannot make exactly)."""
    op, args = node.get("op"), node.get("args", [])
    if op in ("and", "or"):
        parts = [_match(a, q) for a in args]
        if any(p is None for p in parts):
            return None
        return {"allOf" if op == "and" else "anyOf": parts}
    if op == "selected" and args and _is_answer(args[0], q):
        codes = [_literal(a, q) if q.type == "single" else
                 (int(a["value"]) if a.get("op") == "code" else None) for a in args[1:]]
        if any(c is None for c in codes) or q.type not in ("single", "multiple"):
            return None
        if not codes:
            return False
        return {"enum": codes} if q.type == "single" else {"contains": {"enum": codes}}
    if op in ("in", "not_in") and args and _is_answer(args[0], q):
        values = [_literal(a, q) for a in args[1:]]
        if any(v is None for v in values):
            return None
        if not values:
            return op == "not_in"
        return {"enum": values} if op == "in" else {"not": {"enum": values}}
    if op in _FLIPPED and len(args) == 2:
        left, right = args
        if _is_answer(right, q) and not _is_answer(left, q):
            left, right, op = right, left, _FLIPPED[op]
        if not _is_answer(left, q):
            return None
        if op in ("eq", "ne"):
            value = _literal(right, q)
            if value is None:
                return None
            return {"const": value} if op == "eq" else {"not": {"const": value}}
        numeric = q.type in ("integer", "year", "money", "number")
        if (q.type == "single" and right.get("op") == "code") or (
                numeric and right.get("op") == "num"):  # ordering is exact (no tolerance)
            return {_BOUND[op]: right["value"]}
    return None


def _not_asked(q: Question) -> dict[str, Any]:
    if q.type == "multiple" and not q.none_ok:
        return {"type": ["array", "null"], "maxItems": 0}  # [] is a blank there
    return {"type": "null"}


def _asked_rules(form: Form, skips_said: Mapping[str, list[dict[str, Any]]]
                 ) -> list[dict[str, Any]]:
    """One ``if``/``then``/``else`` per distinct skip condition: then the questions it skips have
    no answer, else the required ones among them have one."""
    groups: dict[str, tuple[Any, list[Question]]] = {}
    for qid, alternatives in skips_said.items():
        q = form.question(qid)
        if not alternatives:  # no jump over it can fire first: always asked
            groups.setdefault("always", (None, []))[1].append(q)
            continue
        condition = alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}
        key = json.dumps(condition, sort_keys=True)
        groups.setdefault(key, (condition, []))[1].append(q)
    rules: list[dict[str, Any]] = []
    for condition, questions in groups.values():
        needed = [q for q in questions if q.required]
        asked = {"properties": {q.id: ({**_NOT_NULL, "minItems": 1}
                                       if q.type == "multiple" and not q.none_ok else _NOT_NULL)
                                for q in needed}, "required": [q.id for q in needed]}
        if condition is None:
            if needed:
                rules.append(asked)
            continue
        rule: dict[str, Any] = {"if": condition,
                                "then": {"properties": {q.id: _not_asked(q) for q in questions}}}
        if needed:
            rule["else"] = asked
        rules.append(rule)
    return rules


def _comment(form: Form, unsaid: list[str]) -> str:
    """What the schema leaves to ``Form.validate``."""
    parts = ["Not said here, checked by qengine's validate:"]
    if form.checks:
        parts.append("the checks that compare answers (" + ", ".join(c.id for c in form.checks)
                     + ");")
    fractional = [q.id for q in form.questions if q.type in ("money", "number")
                  and not _integer_valued(q)]
    if fractional:
        parts.append("the decimals of " + ", ".join(fractional)
                     + " (a multipleOf of a fraction is inexact on binary numbers);")
    if any(q.type == "id_number" for q in form.questions):
        parts.append("the check digit of id numbers (the pattern checks the birth date);")
    if unsaid:
        parts.append("when " + ", ".join(unsaid) + " must or must not be answered (an ask_if, "
                     "or a jump over them that reads more than its own question's answer);")
    parts.append("that a choice code is written without a fraction (JSON Schema holds 1.0 "
                 "equal to 1);")
    parts.append("the computed values' agreement with what the form computes.")
    return " ".join(parts)
