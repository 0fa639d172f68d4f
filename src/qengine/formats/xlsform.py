"""A form as an XLSForm workbook (ODK, KoboToolbox): the sheets ``survey``, ``choices`` and
``settings``, written with openpyxl.

Everything is written from the machine (``docs/machine.md``), never from the YAML:

- each asked question is a survey row of its type (``integer``, ``decimal``, ``text``, ``date``,
  ``select_one LIST``, ``select_multiple LIST``), each computed value a ``calculate`` row, each
  param a ``calculate`` row holding its value, each section a ``begin group``/``end group``;
- the jumps become the ``relevant`` of every question they pass over: the negation of "some jump
  over it fired first" (:meth:`Form.asked_condition` gives the skips), in XPath translated from the
  IR of the jumps' rules;
- a question's ``ask_if`` is and-ed into its ``relevant``, a section's ``ask_if`` is its group's
  ``relevant``; a jump on a question with an ``ask_if`` counts only where that holds;
- an error check becomes a ``constraint`` (and its ``constraint_message``) on the last asked
  question it reads, written so that it holds while some question the check waits for has no
  value, as a check applies only then;
- a warning becomes a ``note`` row after that question, shown (``relevant``) while the warning
  fires: XLSForm has no soft checks;
- bounds, text lengths and the GB 11643 id number (its shape, birth date and check digit) become
  constraints too.

A comparison with a blank answer is false in qengine; in XPath a blank is ``''``, which as a
number is NaN, so ``=``, ``<`` and the others are false on it as well, and ``!=`` is true:
``${q4} != 2`` is exactly ``not(${q4} = 2)``. Where the XPath would differ (``!=`` itself, texts,
dates), the translation adds ``${x} != ''`` for each value read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from qengine.formats.record_schema import ID_NUMBER_PATTERN
from qengine.runtime.form import Form, Question

#: the names of languages in XLSForm's column headers (``label::English (en)``)
LANGUAGE_NAMES = {"zh": "中文", "en": "English", "fr": "Français", "es": "Español",
                  "ru": "Русский", "ar": "العربية", "pt": "Português", "de": "Deutsch",
                  "ja": "日本語", "ko": "한국어", "bo": "བོད་ཡིག", "ug": "ئۇيغۇرچە"}
#: GB 11643: the weights of the first 17 digits, and the check character of the sum mod 11
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"
_TYPES = {"integer": "integer", "year": "integer", "number": "decimal", "money": "decimal",
          "text": "text", "date": "date", "id_number": "text", "computed": "calculate"}
_COMPARE = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "div"}
_NUMERIC = ("num", "code")
#: characters a cell cannot hold (openpyxl refuses them): written as spaces
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def language_column(lang: str) -> str:
    """The header suffix of a language: ``中文 (zh)``, or the code itself for an unnamed one."""
    name = LANGUAGE_NAMES.get(lang)
    return f"{name} ({lang})" if name else lang


def xpath_string(text: str) -> str:
    """``text`` as an XPath 1.0 string literal (which has no escapes: ``concat()`` when it holds
    both kinds of quote)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def _number(value: Any) -> str:
    """A number as an XPath literal, which has no exponent (``1e-9`` is ``0.000000001``)."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


class Inexpressible(ValueError):
    """A rule XPath 1.0 cannot say: it orders texts (``<`` turns both sides into numbers)."""


#: the columns of free text, where XLSForm reads ``${name}`` as a reference
_TEXT_COLUMNS = ("label::", "hint::", "constraint_message::")


class XPath:
    """The translation of the machine's IR into XPath, naming questions ``${id}`` (the question
    ``self_id`` as ``.``) and params by their calculate rows, or as values where ``inline``."""

    def __init__(self, params: Mapping[str, str], values: Mapping[str, Any]) -> None:
        self.params = params  # param name to the name of its calculate row
        self.values = values  # param name to its value (for a param without a row)

    def ref(self, name: str, self_id: str | None) -> str:
        return "." if name == self_id else f"${{{name}}}"

    def refs(self, node: Mapping[str, Any]) -> list[str]:
        """The questions, computed values and params ``node`` reads (outside literals)."""
        op = node.get("op")
        if op in ("answer", "computed"):
            return [node["id"]]
        if op == "param":
            row = self.params.get(node["name"])
            return [row] if row else []
        return [r for a in node.get("args", ()) for r in self.refs(a)]

    def given(self, nodes: Iterable[Mapping[str, Any]], self_id: str | None) -> list[str]:
        """``${x} != ''`` for each value ``nodes`` read: they all have a value."""
        names = dict.fromkeys(r for n in nodes for r in self.refs(n))
        return [f"{self.ref(r, self_id)} != ''" for r in names]

    def expr(self, node: Mapping[str, Any], self_id: str | None = None) -> str:
        """``node`` in XPath."""
        op, args = node["op"], node.get("args", [])
        if op == "num":
            return _number(node["value"])
        if op == "code":
            return str(int(node["value"]))
        if op == "text":
            return xpath_string(str(node["value"]))
        if op in ("answer", "computed"):
            return self.ref(node["id"], self_id)
        if op == "param":
            row = self.params.get(node["name"])
            if row:
                return f"${{{row}}}"
            value = self.values[node["name"]]
            return xpath_string(value) if isinstance(value, str) else _number(value)
        if op == "neg":
            return f"-({self.expr(args[0], self_id)})"
        if op == "not":
            return f"not({self.expr(args[0], self_id)})"
        if op in _ARITH:
            return f"({self.expr(args[0], self_id)} {_ARITH[op]} {self.expr(args[1], self_id)})"
        if op in ("and", "or"):
            return "(" + f" {op} ".join(self.expr(a, self_id) for a in args) + ")"
        if op in _COMPARE:
            return self._compare(op, args, self_id)
        if op in ("in", "not_in"):
            subject, *items = args
            if not items:
                return "false()" if op == "in" else self._all(self.given([subject], self_id))
            one = "(" + " or ".join(self._compare("eq", [subject, i], self_id)
                                    for i in items) + ")"
            if op == "in":
                return one
            return self._all([*self.given([subject, *items], self_id), f"not({one})"])
        if op == "answered":
            return self._all(self.given(args, self_id))
        if op == "selected":
            question, *codes = args
            ref = self.expr(question, self_id)
            if not codes:
                return "false()"
            return "(" + " or ".join(f"selected({ref}, '{int(c['value'])}')"
                                     for c in codes) + ")"
        if op == "count":
            return f"count-selected({self.expr(args[0], self_id)})"
        if op == "sum":
            return "(" + " + ".join(self.expr(a, self_id) for a in args) + ")"
        if op in ("min", "max", "abs"):
            return f"{op}(" + ", ".join(self.expr(a, self_id) for a in args) + ")"
        if op == "len":
            return f"string-length({self.expr(args[0], self_id)})"
        if op == "mod":  # XPath's mod keeps the sign of the dividend, as qengine's mod()
            return f"({self.expr(args[0], self_id)} mod {self.expr(args[1], self_id)})"
        if op in ("if", "round", "int", "number", "substr"):  # the same names in ODK's XPath
            return f"{op}(" + ", ".join(self.expr(a, self_id) for a in args) + ")"
        raise ValueError(f"no XPath for the IR op {op!r}")

    def _compare(self, op: str, args: list[Mapping[str, Any]], self_id: str | None) -> str:
        left, right = (self.expr(a, self_id) for a in args)
        if op in ("lt", "le", "gt", "ge"):
            kinds = {a.get("type") for a in args}
            if "text" in kinds:
                raise Inexpressible("XPath 1.0 cannot order texts (< makes both sides numbers)")
            if "date" in kinds:  # a date as text is no number: date() makes it one
                left, right = f"date({left})", f"date({right})"
        if op in ("eq", "ne") and _tolerant(args):
            # eq forgives float rounding (machine.md); abs() of a blank is NaN: false, as in
            # qengine, for ne as for eq
            near = f"abs({left} - {right}) <= 0.000000001 * max(1, abs({left}), abs({right}))"
            return near if op == "eq" else near.replace(" <= ", " > ", 1)
        text = f"{left} {_COMPARE[op]} {right}"
        numeric = all(a.get("type") in _NUMERIC for a in args)
        if op != "ne" and numeric:
            return text  # a blank is NaN: the comparison is false, as in qengine
        return self._all([*self.given(args, self_id), text])

    @staticmethod
    def _all(parts: list[str]) -> str:
        if not parts:
            return "true()"
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def negate(self, node: Mapping[str, Any], self_id: str | None = None) -> str:
        """``not(node)`` in XPath, the negation pushed into ``and``/``or`` and a numeric ``=``
        written ``!=`` (the same in XPath: NaN ``!=`` anything is true)."""
        op, args = node["op"], node.get("args", [])
        if op == "not":
            return self.expr(args[0], self_id)
        if op in ("and", "or"):
            other = "or" if op == "and" else "and"
            return "(" + f" {other} ".join(self.negate(a, self_id) for a in args) + ")"
        if op == "eq" and all(a.get("type") in _NUMERIC for a in args) and not _tolerant(args):
            return f"{self.expr(args[0], self_id)} != {self.expr(args[1], self_id)}"
        return f"not({self.expr(node, self_id)})"


def _tolerant(args: list[Mapping[str, Any]]) -> bool:
    """Whether a comparison of numbers is to forgive float rounding in XPath: one side is
    arithmetic (codes, answers and literals compare exactly enough as they are)."""
    return (all(a.get("type") == "num" for a in args)
            and any(a.get("op") not in ("num", "answer", "param") for a in args))


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL.sub(" ", value)
    return value


def _texts(texts: Mapping[str, str], languages: tuple[str, ...], fallback: str) -> list[str]:
    first = next((texts[lang] for lang in languages if texts.get(lang)), fallback)
    return [texts.get(lang) or first for lang in languages]


def _label(q: Question, languages: tuple[str, ...]) -> list[str]:
    out = []
    for text in _texts(q.labels, languages, q.id):
        if q.number:
            text = f"{q.number} {text}"
        out.append(f"{text} ({q.unit})" if q.unit else text)
    return out


def _ranges(q: Question) -> list[str]:
    """The constraints of ``q``'s own settings: bounds, text length, the id number."""
    out: list[str] = []
    if q.type in ("integer", "year", "number", "money"):
        if q.min is not None:
            out.append(f". >= {_number(q.min)}")
        if q.max is not None:
            out.append(f". <= {_number(q.max)}")
    elif q.type == "date":
        if q.min is not None:
            out.append(f". >= date('{q.min}')")
        if q.max is not None:
            out.append(f". <= date('{q.max}')")
    elif q.type == "text" and q.max_length is not None and q.max_length != 10000:
        out.append(f"string-length(.) <= {q.max_length}")
    elif q.type == "id_number":
        out.append(id_number_constraint())
    return out


def id_number_constraint() -> str:
    """A GB 11643 id number in XPath: 18 characters, 6 digits, a real birth date, 3 digits and
    the check character of the weighted sum of the first 17 digits, mod 11."""
    total = " + ".join(f"substr(., {i}, {i + 1}) * {w}" for i, w in enumerate(ID_WEIGHTS))
    rest = f"(({total}) mod 11)"
    return (f"string-length(.) = 18 and regex(., '{ID_NUMBER_PATTERN}') and "
            f"substr('{ID_CHECKS}', {rest}, {rest} + 1) = substr(., 17, 18)")


def _range_messages(q: Question, languages: tuple[str, ...]) -> dict[str, str]:
    """The message of ``q``'s own constraints, in each language (English where no other)."""
    if q.type == "id_number":
        zh, en = "身份证号码有误（位数、出生日期或校验位）", \
            "not a valid id number (GB 11643: length, birth date or check digit)"
    elif q.type == "text":
        zh, en = f"最多 {q.max_length} 个字", f"at most {q.max_length} characters"
    else:
        lo, hi = ((v if isinstance(v, str) or v is None else _number(v)) for v in (q.min, q.max))
        if lo is not None and hi is not None:
            zh, en = f"应在 {lo} 至 {hi} 之间", f"must lie between {lo} and {hi}"
        elif lo is not None:
            zh, en = f"不能小于 {lo}", f"must be at least {lo}"
        else:
            zh, en = f"不能大于 {hi}", f"must be at most {hi}"
    return {lang: zh if lang == "zh" else en for lang in languages}


class _Survey:
    """The survey rows being written, and the names taken."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.langs = form.languages
        self.rows: list[dict[str, Any]] = []
        self.names = {q.id for q in form.questions} | {s[0] for s in form.sections}
        self.by_id = {q.id: q for q in form.questions}

    def name(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.names:
            n += 1
            name = f"{wanted}_{n}"
        self.names.add(name)
        return name


def _reads_asked(node: Any, by_id: Mapping[str, Question],
                 values: Mapping[str, Any]) -> set[str]:
    """The asked questions ``node`` reads, through computed values."""
    out: set[str] = set()
    if isinstance(node, Mapping):
        if node.get("op") in ("answer", "computed"):
            qid = node["id"]
            if by_id[qid].computed:
                out |= _reads_asked(values.get(qid), by_id, values)
            else:
                out.add(qid)
        for arg in node.get("args", ()):
            out |= _reads_asked(arg, by_id, values)
    return out


def survey_rows(form: Form) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """The survey rows of ``form`` (column to value) and its choices rows."""
    if not isinstance(form, Form):
        raise TypeError(f"write_xlsform() takes a compiled qengine Form, not "
                        f"{type(form).__name__}")
    machine = form.to_json()
    s = _Survey(form)
    langs = s.langs
    params = {p["name"]: s.name(p["name"]) if p["name"] in s.names else p["name"]
              for p in machine["params"]}
    s.names |= set(params.values())
    xp = XPath(params, dict(form.params))
    values = {c["question"]: c["value"] for c in machine["computed"]}
    jumps = {st["question"]: st["jumps"] for st in machine["steps"]}
    # what each asked question carries: constraints, messages, the notes after it
    constraints: dict[str, list[str]] = {}
    messages: dict[str, list[dict[str, str]]] = {}
    notes: dict[str | None, list[dict[str, Any]]] = {}
    hosted: dict[str, int] = {}  # how many checks each question holds so far
    for q in form.questions:
        if not q.computed and _ranges(q):
            constraints[q.id] = _ranges(q)
            messages[q.id] = [_range_messages(q, langs)]
    for check in machine["checks"]:
        read = _reads_asked(check["rule"], s.by_id, values) | {
            d for d in check["deps"] + check["questions"] if not s.by_id[d].computed}
        host = max(read, key=lambda qid: s.by_id[qid].index) if read else None
        rule = check["rule"]
        try:
            holds = xp.negate(rule, host) if check["kind"] == "when" else xp.expr(rule, host)
            fires = xp.expr(rule) if check["kind"] == "when" else f"not({xp.expr(rule)})"
        except Inexpressible as exc:  # told on the form, never dropped in silence
            notes.setdefault(host, []).append({
                "type": "note", "name": s.name(f"unchecked_{check['id']}"),
                **{f"label::{language_column(lang)}": f"（XLSForm 不能检查 / not checked in "
                   f"XLSForm: {exc}）{t}" for lang, t in
                   zip(langs, _texts(check["messages"], langs, check["id"]), strict=True)}})
            continue
        if check["severity"] == "error" and host is not None:
            # holds while some dep is blank (the check waits), else as the rule says
            blank = [f"${{{d}}} = ''" for d in check["deps"] if d != host]
            text = " or ".join([*blank, holds])
            # the checks first, in declaration order, then the question's own bounds
            at = hosted[host] = hosted.get(host, 0) + 1
            constraints.setdefault(host, []).insert(at - 1, text)
            messages.setdefault(host, []).insert(at - 1, dict(check["messages"]))
            continue
        deps = [f"${{{d}}} != ''" for d in check["deps"]]
        marks = ["⚠ " + t for t in _texts(check["messages"], langs, check["id"])]
        if check["severity"] == "error":  # reads no question: a note is all it can be
            marks = ["✖ " + t for t in _texts(check["messages"], langs, check["id"])]
        notes.setdefault(host, []).append({
            "type": "note", "name": s.name(f"warning_{check['id']}"),
            **{f"label::{language_column(lang)}": m for lang, m in zip(langs, marks, strict=True)},
            "relevant": XPath._all([*deps, fires])})
    for p in machine["params"]:
        value = p["value"]
        s.rows.append({"type": "calculate", "name": params[p["name"]],
                       "calculation": f"date({xpath_string(value)})" if p["type"] == "date"
                       else xpath_string(value) if isinstance(value, str) else _number(value),
                       **{f"label::{language_column(lang)}": t
                          for lang, t in zip(langs, _texts(p["labels"], langs, p["name"]),
                                             strict=True)}})
    relevant: dict[str, str | None] = {}
    # ask_if: a question's own is and-ed into its relevant, a section's is its group's relevant
    asks = {q["id"]: xp.expr(q["ask_if"]["when"]) for q in machine["questions"] if "ask_if" in q}
    conditional = set(asks) | {qid for sec in machine["sections"] if "ask_if" in sec
                               for qid in sec["questions"]}
    for (sid, titles, qids), sec in zip(form.sections, machine["sections"], strict=True):
        group = xp.expr(sec["ask_if"]["when"]) if "ask_if" in sec else None
        s.rows.append({"type": "begin group", "name": sid,
                       **{f"label::{language_column(lang)}": t
                          for lang, t in zip(langs, _texts(titles, langs, sid), strict=True)},
                       **({"relevant": group} if group is not None else {})})
        for qid in qids:
            s.rows.append(_question_row(form, s.by_id[qid], xp, values, jumps,
                                        constraints, messages, relevant,
                                        (group, asks, conditional)))
            s.rows += notes.get(qid, [])
        s.rows.append({"type": "end group", "name": sid})
    s.rows += notes.get(None, [])
    choices = [[q.id, str(c.code), *_texts(c.labels, langs, str(c.code))]
               for q in form.questions for c in q.choices]
    return s.rows, choices


def _question_row(form: Form, q: Question, xp: XPath, values: Mapping[str, Any],
                  jumps: Mapping[str, list[dict[str, Any]]], constraints: Mapping[str, list[str]],
                  messages: Mapping[str, list[dict[str, str]]],
                  relevant: dict[str, str | None],
                  ask: tuple[str | None, Mapping[str, str], set[str]] = (None, {}, set())
                  ) -> dict[str, Any]:
    """The survey row of ``q``; ``ask`` holds its section's ``ask_if`` in XPath (written on
    the group), every question's own, and the questions that have either."""
    langs = form.languages
    group, asks, conditional = ask
    kind = (f"select_one {q.id}" if q.type == "single" else
            f"select_multiple {q.id}" if q.type == "multiple" else _TYPES[q.type])
    row: dict[str, Any] = {"type": kind, "name": q.id}
    for lang, text in zip(langs, _label(q, langs), strict=True):
        row[f"label::{language_column(lang)}"] = text
    for lang in langs:
        if q.hints.get(lang):
            row[f"hint::{language_column(lang)}"] = q.hints[lang]
    if q.computed:
        row["calculation"] = xp.expr(values[q.id])
        if q.id in asks:
            row["relevant"] = asks[q.id]
        return row
    row["required"] = "yes" if q.required and not (q.type == "multiple" and q.none_ok) else "no"
    parts = [p for p in (skipped_when(form, q, xp, jumps, relevant, conditional),
                         asks.get(q.id)) if p is not None]
    condition = " and ".join(parts) if parts else None
    # what asks q, for the jumps on q: its own relevant and its group's
    asked = [p for p in (group, condition) if p is not None]
    relevant[q.id] = " and ".join(f"({p})" for p in asked) if len(asked) > 1 else \
        (asked[0] if asked else None)
    if condition is not None:
        row["relevant"] = condition
    if q.id in constraints:
        parts = constraints[q.id]
        row["constraint"] = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
        for lang in langs:
            row[f"constraint_message::{language_column(lang)}"] = "；".join(
                _texts(m, langs, "")[langs.index(lang)] for m in messages[q.id])
    return row


def skipped_when(form: Form, q: Question, xp: XPath,
                 jumps: Mapping[str, list[dict[str, Any]]],
                 relevant: Mapping[str, str | None] | None = None,
                 conditional: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The ``relevant`` of ``q``: no jump that passes over it fires first at its question (None
    when no jump passes over it). ``relevant`` holds the conditions of earlier questions: a jump
    fires only where its question is asked, which is said where some jump over the jump's
    question lands before ``q`` (otherwise that jump skips ``q`` too, and says it)."""
    skips = form.asked_condition(q.id).skips
    if not skips:
        return None
    mine = {(k.source, k.jump) for k in skips}
    parts = []
    for skip in skips:
        written = jumps[skip.source]
        # this jump fires first: the earlier ones that do not pass over q do not fire
        earlier = [xp.negate(written[k]["when"]) for k in range(skip.jump)
                   if (skip.source, k) not in mine]
        source_skips = {(k.source, k.jump) for k in form.asked_condition(skip.source).skips}
        # ... and a jump whose question has an ask_if (its own, its section's) fires only where
        # that holds
        asked = (relevant or {}).get(skip.source) \
            if not source_skips <= mine or skip.source in conditional else None
        if asked is not None:
            earlier.insert(0, f"({asked})")
        when = written[skip.jump]["when"]
        parts.append(f"not({XPath._all([xp.expr(when), *earlier])})" if earlier
                     else xp.negate(when))
    return parts[0] if len(parts) == 1 else " and ".join(parts)


def write_xlsform(form: Form, path: str | Path | IO[bytes]) -> None:
    """Write ``form`` as an XLSForm workbook (sheets survey, choices, settings) to ``path``."""
    from openpyxl import Workbook

    rows, choices = survey_rows(form)
    langs = form.languages
    columns = ["type", "name", *(f"label::{language_column(lang)}" for lang in langs),
               *(f"hint::{language_column(lang)}" for lang in langs),
               "required", "relevant", "constraint",
               *(f"constraint_message::{language_column(lang)}" for lang in langs),
               "calculation"]
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    _append(survey, columns)
    free = [c.startswith(_TEXT_COLUMNS) for c in columns]
    for row in rows:  # "${x}" in a label would be a reference to question x: broken with U+200B
        _append(survey, [v.replace("${", "$\u200b{") if is_free and isinstance(v, str) else v
                         for v, is_free in zip((row.get(c) for c in columns), free, strict=True)])
    sheet = book.create_sheet("choices")
    _append(sheet, ["list_name", "name", *(f"label::{language_column(lang)}" for lang in langs)])
    for line in choices:
        _append(sheet, line)
    settings = book.create_sheet("settings")
    _append(settings, ["form_id", "version", "form_title", "default_language"])
    _append(settings, [form.id, form.version, form.title, language_column(langs[0])])
    book.save(path)


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append([_text(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # a label that looks like a formula stays text
