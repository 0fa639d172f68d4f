"""Stage 4: the form definition model, built from the located data of a form file.

Frozen attrs classes, each with its :class:`SourceLocation`. The builder is tolerant: it reports
every problem it sees (duplicate ids, unknown targets, bad jump keys …) and keeps going, so that one
pass over a file finds them all. Rule text is parsed here; rule *meaning* is checked in
:mod:`qengine.typecheck`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from qengine.compiler.loader import LList, LMap
from qengine.compiler.schema import suggest, suggest_target
from qengine.errors import Diagnostics
from qengine.lang import nodes as n
from qengine.lang.nodes import MAX_NUMBER_CHARS, number_problem
from qengine.lang.parser import RuleSyntaxError, parse_rule
from qengine.location import SourceLocation
from qengine.notation import CIRCLED, is_iso_date
from qengine.runtime.findings import TYPES, UNITS, template_names

QUESTION_TYPES = ("text", "integer", "number", "money", "year", "date", "single", "multiple",
                  "id_number", "computed")
NUMERIC_TYPES = frozenset({"integer", "number", "money", "year"})
CHOICE_TYPES = frozenset({"single", "multiple"})
END = "end"

Texts = Mapping[str, str]


@attrs.frozen(slots=True)
class ChoiceDef:
    code: int
    labels: Texts = attrs.field(eq=False)
    loc: SourceLocation = attrs.field(eq=False, repr=False)
    #: a name records may give instead of the code (an XLSForm choice name: ``yes``)
    name: str | None = None


@attrs.frozen(slots=True)
class JumpDef:
    """A jump written on a question: when ``when`` holds, go to ``target`` (an id or ``end``)."""

    when: n.Node
    target: str
    loc: SourceLocation = attrs.field(eq=False, repr=False)
    target_loc: SourceLocation = attrs.field(eq=False, repr=False)


@attrs.frozen(slots=True)
class CheckDef:
    """A check: ``kind`` is ``when`` (fires when true) or ``assert`` (fires when false)."""

    id: str
    severity: str
    kind: str
    expr: n.Node
    messages: Texts = attrs.field(eq=False)
    question: str | None
    loc: SourceLocation = attrs.field(eq=False, repr=False)
    #: a warning whose submission needs a reason (``acknowledge: required``)
    acknowledge: bool = False


@attrs.frozen(slots=True)
class FindingDef:
    """A finding: when ``expr`` holds on a record, the record finds a problem of ``type`` (1-8),
    counted in ``unit`` toward the annex 4 row ``labels``; ``descriptions`` may quote values."""

    id: str
    type: int
    unit: str
    expr: n.Node
    labels: Texts = attrs.field(eq=False)
    descriptions: Texts = attrs.field(eq=False)
    loc: SourceLocation = attrs.field(eq=False, repr=False)


@attrs.frozen(slots=True)
class CategoryDef:
    """A household category: a household whose record makes ``expr`` hold counts under it."""

    id: str
    expr: n.Node
    labels: Texts = attrs.field(eq=False)
    loc: SourceLocation = attrs.field(eq=False, repr=False)


@attrs.frozen(slots=True)
class ParamDef:
    name: str
    value: int | float | str
    labels: Texts = attrs.field(eq=False)
    unit: str | None
    loc: SourceLocation = attrs.field(eq=False, repr=False)


@attrs.frozen(slots=True)
class QuestionDef:
    id: str
    index: int
    number: str | None
    labels: Texts = attrs.field(eq=False)
    type: str
    required: bool
    section: str
    unit: str | None = None
    min: Any = None
    max: Any = None
    decimals: int | None = None
    max_length: int | None = None
    choices: tuple[ChoiceDef, ...] = ()
    value: n.Node | None = None
    jumps: tuple[JumpDef, ...] = ()
    hints: Texts = attrs.field(eq=False, factory=dict)
    #: multiple choice only: the empty list is a complete answer ("none of these")
    none_ok: bool = False
    loc: SourceLocation = attrs.field(eq=False, repr=False, default=None)
    #: the relevance condition: the question is asked only while it holds
    ask_if: n.Node | None = None
    #: the ids it had in earlier versions of the form (diff and migration move answers here)
    renamed_from: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class SectionDef:
    id: str
    titles: Texts = attrs.field(eq=False)
    closing: bool
    questions: tuple[str, ...]
    loc: SourceLocation = attrs.field(eq=False, repr=False)
    #: the relevance condition of every question in the section
    ask_if: n.Node | None = None


@attrs.frozen(slots=True)
class FormDef:
    id: str
    version: str
    titles: Texts = attrs.field(eq=False)
    languages: tuple[str, ...]
    params: tuple[ParamDef, ...]
    sections: tuple[SectionDef, ...]
    questions: tuple[QuestionDef, ...]
    checks: tuple[CheckDef, ...]
    file: str
    loc: SourceLocation = attrs.field(eq=False, repr=False)
    findings: tuple[FindingDef, ...] = ()
    categories: tuple[CategoryDef, ...] = ()
    #: texts that lack a language, for the linter: (where, what)
    text_locs: tuple[tuple[SourceLocation, str, tuple[str, ...]], ...] = attrs.field(
        eq=False, repr=False, default=())


_ID = re.compile(r"[a-z][a-z0-9_]*")
_NO_TEXTS: Texts = MappingProxyType({})


def circled_or_int(value: Any) -> int | float | None:
    """A jump key or literal: ``②`` → 2, ``"0"`` → 0, 3 → 3; None when it is neither, or when it
    is outside the numeric domain of forms (:func:`qengine.lang.nodes.number_problem`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if number_problem(value) is None else None
    if isinstance(value, str):
        text = value.strip()
        if text in CIRCLED:
            return CIRCLED[text]
        if len(text) > MAX_NUMBER_CHARS:  # never convert it: int() of a long digit string is slow
            return None
        try:
            number = int(text)
        except ValueError:
            return None
        return number if number_problem(number) is None else None
    return None


class _Builder:
    def __init__(self, data: LMap, diag: Diagnostics, file: str) -> None:
        self.data = data
        self.diag = diag
        self.file = file
        langs = data.get("languages")
        self.languages: tuple[str, ...] = (
            tuple(x for x in langs if isinstance(x, str)) if isinstance(langs, list) and langs
            else ("zh", "en"))
        self.text_locs: list[tuple[SourceLocation, str, tuple[str, ...]]] = []
        self.check_ids: dict[str, SourceLocation] = {}
        # Jump targets that are not ids (5, "4—1"): reported once every question id is known.
        self.paper_targets: list[tuple[Any, SourceLocation]] = []
        self.renames: list[tuple[str, str, SourceLocation]] = []  # (old id, question, where)

    # -- texts -----------------------------------------------------------------------------
    def text(self, container: Any, key: Any, what: str) -> Texts:
        if type(container) is LMap:  # nearly always: read it directly
            value = container.get(key)
            loc: SourceLocation | None = container.value_locs.get(key, container.loc)
        else:
            value = container.get(key) if isinstance(container, dict) else None
            loc = container.where(key) if isinstance(container, (LMap, LList)) else None
        if type(value) is str:
            out = {self.languages[0]: value}
        elif isinstance(value, dict):
            out = {str(k): v for k, v in value.items() if isinstance(v, str)}
        else:
            return _NO_TEXTS
        if loc is not None:
            self.text_locs.append((loc, what, tuple(out)))
        return MappingProxyType(out)

    # -- rules -----------------------------------------------------------------------------
    def rule(self, container: LMap, key: str) -> n.Node | None:
        text = container.get(key)
        if not isinstance(text, str):
            return None
        try:
            return parse_rule(text, container.where(key))
        except RuleSyntaxError as exc:
            self.diag.fail(exc.loc, exc.code, exc.message)
            return None

    # -- the form --------------------------------------------------------------------------
    def build(self) -> FormDef:
        d = self.data
        params = self.params()
        lists = self.choice_lists()
        sections: list[SectionDef] = []
        questions: list[QuestionDef] = []
        checks: list[CheckDef] = []
        seen_ids: dict[str, SourceLocation] = {}
        raw_sections = d.get("sections") if isinstance(d.get("sections"), list) else []
        section_ids: dict[str, SourceLocation] = {}
        for si, sec in enumerate(raw_sections):
            if not isinstance(sec, LMap):
                continue
            sid = sec.get("id") if isinstance(sec.get("id"), str) else f"section{si + 1}"
            if sid in section_ids:
                self.diag.fail(sec.where("id"), "duplicate_id",
                               f"duplicate section id {sid!r} (first at line "
                               f"{section_ids[sid].line})")
            section_ids.setdefault(sid, sec.where("id"))
            ids: list[str] = []
            raw_qs = sec.get("questions") if isinstance(sec.get("questions"), list) else []
            for qi, q in enumerate(raw_qs):
                if not isinstance(q, LMap) or not isinstance(q.get("id"), str):
                    continue
                qid = q["id"]
                if qid in seen_ids:
                    self.diag.fail(q.where("id"), "duplicate_id",
                                   f"duplicate question id {qid!r} (first at line "
                                   f"{seen_ids[qid].line})")
                    continue
                if qid == END:
                    self.diag.fail(q.where("id"), "reserved_id",
                                   "'end' is reserved for jumps to the closing section")
                    continue
                seen_ids[qid] = q.where("id")
                question, qchecks = self.question(q, len(questions), sid, lists, raw_qs.where(qi))
                questions.append(question)
                checks.extend(qchecks)
                ids.append(qid)
            closing = sec.get("closing") is True
            sections.append(SectionDef(sid, self.text(sec, "title", f"section {sid} title"),
                                       closing, tuple(ids), sec.loc,
                                       self.rule(sec, "ask_if") if "ask_if" in sec else None))
        for target, where in self.paper_targets:
            printed = str(target).strip()[:1].isdigit()
            self.diag.fail(where, "unknown_target",
                           f"jump target {target!r} is not a question id or end"
                           + (" (a jump names the question's id, not its printed number)"
                              if printed else "") + suggest_target(target, seen_ids))
        for i, sec_def in enumerate(sections):
            if sec_def.closing and i != len(sections) - 1:
                self.diag.fail(sec_def.loc, "closing_not_last",
                               f"closing section {sec_def.id!r} must be the last section")
        claimed: dict[str, str] = {}
        for old, qid, where in self.renames:
            if old in seen_ids:
                self.diag.fail(where, "rename_clash",
                               f"{qid} is renamed from {old!r}, which is still a question of the "
                               "form (an old id may not be reused)")
            elif claimed.setdefault(old, qid) != qid:
                self.diag.fail(where, "rename_clash",
                               f"{claimed[old]} and {qid} are both renamed from {old!r}")
        for p in params:
            if p.name in seen_ids:
                self.diag.fail(p.loc, "name_clash",
                               f"param {p.name!r} has the same name as a question (line "
                               f"{seen_ids[p.name].line}); rename one of them")
        raw_checks = d.get("checks") if isinstance(d.get("checks"), list) else []
        for ci, c in enumerate(raw_checks):
            if isinstance(c, LMap):
                check = self.check(c, None, raw_checks.where(ci))
                if check is not None:
                    checks.append(check)
        form_id = d.get("form") if isinstance(d.get("form"), str) else "form"
        version = d.get("version")
        version = str(version) if isinstance(version, (str, int, float)) else ""
        titles = self.text(d, "title", "form title")
        names = {**seen_ids, **{p.name: p.loc for p in params}}
        findings = self.findings(names)
        categories = self.categories()
        return FormDef(form_id, version, titles, self.languages, tuple(params),
                       tuple(sections), tuple(questions), tuple(checks), self.file, d.loc,
                       tuple(findings), tuple(categories), tuple(self.text_locs))

    def findings(self, names: Mapping[str, SourceLocation]) -> list[FindingDef]:
        raw = self.data.get("findings")
        out: list[FindingDef] = []
        seen: dict[str, SourceLocation] = {}
        for i, f in enumerate(raw if isinstance(raw, LList) else ()):
            if not isinstance(f, LMap) or not isinstance(f.get("id"), str):
                continue
            fid = f["id"]
            if fid in seen:
                self.diag.fail(f.where("id"), "duplicate_id",
                               f"duplicate finding id {fid!r} (first at line {seen[fid].line})")
                continue
            seen[fid] = f.where("id")
            raw_type = f.get("type")
            kind = circled_or_int(raw_type)
            if isinstance(kind, float) and kind.is_integer():  # 1.0 is 1, as JSON Schema says
                kind = int(kind)
            if kind not in TYPES or isinstance(kind, float):
                kind = 0  # the finding is still checked through, so that every problem is told
                if isinstance(raw_type, str):  # the schema tells other kinds
                    self.diag.fail(f.where("type"), "bad_finding_type",
                                   f"finding {fid}: the problem type is 1-8 (or ①-⑧), not "
                                   f"{raw_type!r}")
            descriptions = self.text(f, "description", f"finding {fid} description")
            for lang, text in descriptions.items():
                try:
                    quoted = template_names(text)
                except ValueError as exc:
                    self.diag.fail(f.where("description"), "bad_description",
                                   f"finding {fid}: the {lang} description has {exc}")
                    continue
                for name in quoted:
                    if name not in names:
                        self.diag.fail(f.where("description"), "unknown_name",
                                       f"finding {fid}: the {lang} description quotes {{{name}}}, "
                                       f"which is no question or param{suggest(name, names)}")
            expr = self.rule(f, "when")
            unit = f.get("unit")
            if expr is None:
                continue
            # A bad type or unit was reported (here or by the schema): the form does not compile,
            # but the rule is type-checked all the same.
            out.append(FindingDef(fid, int(kind), unit if unit in UNITS else "", expr,
                                  self.text(f, "label", f"finding {fid} label"), descriptions,
                                  raw.where(i)))
        return out

    def categories(self) -> list[CategoryDef]:
        raw = self.data.get("categories")
        out: list[CategoryDef] = []
        seen: dict[str, SourceLocation] = {}
        for i, c in enumerate(raw if isinstance(raw, LList) else ()):
            if not isinstance(c, LMap) or not isinstance(c.get("id"), str):
                continue
            cid = c["id"]
            if cid in seen:
                self.diag.fail(c.where("id"), "duplicate_id",
                               f"duplicate category id {cid!r} (first at line {seen[cid].line})")
                continue
            seen[cid] = c.where("id")
            expr = self.rule(c, "when")
            if expr is not None:
                out.append(CategoryDef(cid, expr, self.text(c, "label", f"category {cid} label"),
                                       raw.where(i)))
        return out

    def params(self) -> list[ParamDef]:
        raw = self.data.get("params")
        out: list[ParamDef] = []
        if not isinstance(raw, LMap):
            return out
        for name, spec in raw.items():
            loc = raw.where_key(name)
            if isinstance(spec, LMap):
                value, labels = spec.get("value"), self.text(spec, "label", f"param {name}")
                unit = spec.get("unit") if isinstance(spec.get("unit"), str) else None
            else:
                value, labels, unit = spec, MappingProxyType({}), None
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                continue  # the schema reported it
            out.append(ParamDef(str(name), value, labels, unit, loc))
        return out

    def choice_lists(self) -> dict[str, tuple[ChoiceDef, ...]]:
        raw = self.data.get("choice_lists")
        out: dict[str, tuple[ChoiceDef, ...]] = {}
        if isinstance(raw, LMap):
            for name, items in raw.items():
                if isinstance(items, LList):
                    out[str(name)] = self.choices(items, f"choice list {name}")
        return out

    def choices(self, items: LList, what: str) -> tuple[ChoiceDef, ...]:
        out: list[ChoiceDef] = []
        codes: dict[int, SourceLocation] = {}
        names: dict[str, SourceLocation] = {}
        item_locs = items.item_locs
        for i, c in enumerate(items):
            if not isinstance(c, LMap):
                continue
            code = c.get("code")
            if type(code) is not int:  # a bool is no code either
                continue
            where = c.value_locs.get("code", c.loc)
            if code in codes:
                self.diag.fail(where, "duplicate_code",
                               f"duplicate choice code {code} in {what} (first at line "
                               f"{codes[code].line})")
                continue
            codes[code] = where
            name = c.get("name") if isinstance(c.get("name"), str) else None
            if name is not None and name.isdigit() and int(name) != code:
                self.diag.fail(c.where("name"), "duplicate_code",
                               f"choice name {name!r} in {what} is a number other than its code "
                               f"{code}: entered text {name!r} would mean code {int(name)}")
                name = None
            elif name is not None and name in names:
                self.diag.fail(c.where("name"), "duplicate_code",
                               f"duplicate choice name {name!r} in {what} (first at line "
                               f"{names[name].line})")
                name = None
            elif name is not None:
                names[name] = c.where("name")
            out.append(ChoiceDef(code, self.text(c, "label", f"{what} choice {code}"),
                                 item_locs[i] if i < len(item_locs) else items.loc, name))
        return tuple(out)

    def question(self, q: LMap, index: int, section: str,
                 lists: dict[str, tuple[ChoiceDef, ...]], loc: SourceLocation
                 ) -> tuple[QuestionDef, list[CheckDef]]:
        qid: str = q["id"]
        qtype = q.get("type") if q.get("type") in QUESTION_TYPES else "text"
        choices: tuple[ChoiceDef, ...] = ()
        raw_choices = q.get("choices")
        if qtype in CHOICE_TYPES:
            if isinstance(raw_choices, str):
                if raw_choices in lists:
                    choices = lists[raw_choices]
                else:
                    self.diag.fail(q.where("choices"), "unknown_choice_list",
                                   f"no choice list named {raw_choices!r}"
                                   f"{suggest(raw_choices, lists)}")
            elif isinstance(raw_choices, LList):
                choices = self.choices(raw_choices, f"question {qid}")
            elif raw_choices is None and "type" in q:
                self.diag.fail(q.where("type"), "missing_choices",
                               f"{qid} is a {qtype} choice question but has no 'choices'")
        elif raw_choices is not None and q.get("type") in QUESTION_TYPES:
            self.diag.fail(q.where_key("choices"), "unexpected_choices",
                           f"{qid} is of type {qtype}; only single and multiple take choices")
        value = None
        if qtype == "computed":
            if "value" not in q:
                self.diag.fail(q.where("type"), "missing_value",
                               f"computed question {qid} needs a 'value' rule")
            value = self.rule(q, "value")
        elif "value" in q:
            self.diag.fail(q.where_key("value"), "unexpected_value",
                           f"{qid} is asked, not computed; 'value' is only for type computed")
        self.bounds(q, qid, qtype)
        if "none_ok" in q and qtype != "multiple" and q.get("type") in QUESTION_TYPES:
            self.diag.fail(q.where_key("none_ok"), "unexpected_none_ok",
                           f"{qid} is of type {qtype}; none_ok is only for type multiple")
        number = q.get("number")
        required = q.get("required", True)
        question = QuestionDef(
            id=qid, index=index, number=str(number) if number is not None else None,
            labels=self.text(q, "label", f"question {qid} label"), type=qtype,
            required=required is not False and qtype != "computed", section=section,
            unit=q.get("unit") if isinstance(q.get("unit"), str) else None,
            min=q.get("min"), max=q.get("max"),
            decimals=q.get("decimals") if isinstance(q.get("decimals"), int) else None,
            max_length=q.get("max_length") if isinstance(q.get("max_length"), int) else None,
            choices=choices, value=value, jumps=self.jumps(q, qid, qtype, choices),
            hints=self.text(q, "hint", f"question {qid} hint") if "hint" in q
            else MappingProxyType({}), none_ok=q.get("none_ok") is True and qtype == "multiple",
            loc=loc, ask_if=self.rule(q, "ask_if") if "ask_if" in q else None,
            renamed_from=self.renamed_from(q, qid))
        checks: list[CheckDef] = []
        raw_checks = q.get("checks") if isinstance(q.get("checks"), LList) else []
        for ci, c in enumerate(raw_checks):
            if isinstance(c, LMap):
                check = self.check(c, qid, raw_checks.where(ci))
                if check is not None:
                    checks.append(check)
        return question, checks

    def renamed_from(self, q: LMap, qid: str) -> tuple[str, ...]:
        """The earlier ids of a question (checked against the form's ids once all are known)."""
        raw = q.get("renamed_from")
        names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        out = tuple(dict.fromkeys(x for x in names if isinstance(x, str) and _ID.fullmatch(x)))
        for old in out:
            self.renames.append((old, qid, q.where("renamed_from")))
        return out

    def bounds(self, q: LMap, qid: str, qtype: str) -> None:
        for key in ("min", "max"):
            if key not in q:
                continue
            v = q[key]
            if qtype == "date":
                if not is_iso_date(v):
                    self.diag.fail(q.where(key), "bad_bound",
                                   f"{key} of date question {qid} must be an ISO date "
                                   f"(YYYY-MM-DD), not {v!r}")
            elif qtype in NUMERIC_TYPES:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.diag.fail(q.where(key), "bad_bound",
                                   f"{key} of {qid} must be a number, not {v!r}")
            else:
                self.diag.fail(q.where_key(key), "bad_bound",
                               f"{key} applies to numbers, years and dates, not to {qtype}")
        lo, hi = q.get("min"), q.get("max")
        if lo is not None and hi is not None and type(lo) is type(hi) and lo > hi:
            self.diag.fail(q.where("max"), "bad_bound", f"max of {qid} is below its min")

    def jumps(self, q: LMap, qid: str, qtype: str, choices: tuple[ChoiceDef, ...]
              ) -> tuple[JumpDef, ...]:
        out: list[JumpDef] = []
        short = q.get("jump")
        if isinstance(short, LMap):
            for key, raw in short.items():
                kloc = short.where_key(key)
                guard = self.shorthand_guard(key, kloc, qid, qtype, choices)
                target = self.target(raw, short.where(key))
                if guard is not None and target is not None:
                    out.append(JumpDef(guard, target, kloc, short.where(key)))
        long = q.get("jumps")
        if isinstance(long, LList):
            for j in long:
                if not isinstance(j, LMap):
                    continue
                target = self.target(j.get("to"), j.where("to"))
                guard = self.rule(j, "when")
                if guard is not None and target is not None:
                    out.append(JumpDef(guard, target, j.where("when"), j.where("to")))
        return tuple(out)

    def target(self, raw: Any, loc: SourceLocation) -> str | None:
        """A jump target shaped like an id (whether it exists is checked when compiling); a
        number or other text, such as the printed number of the paper ("go to 5"), is noted for
        an unknown_target report that names the question probably meant."""
        if isinstance(raw, str) and _ID.fullmatch(raw):
            return raw
        if isinstance(raw, (str, int)) and not isinstance(raw, bool):
            self.paper_targets.append((raw, loc))
        return None  # anything else the schema reported

    def shorthand_guard(self, key: Any, loc: SourceLocation, qid: str, qtype: str,
                        choices: tuple[ChoiceDef, ...]) -> n.Node | None:
        """``{②: q5}`` on question q means ``q == ②`` (``selected(q, ②)`` for multiple)."""
        if qtype in ("text", "id_number", "date"):
            lit: n.Node = n.Str(loc, str(key))
        elif qtype in CHOICE_TYPES:
            code = circled_or_int(key)
            if not isinstance(code, int):  # a code is a whole number: 1.5 is no code at all
                self.diag.fail(loc, "bad_jump_key",
                               f"jump key {key!r} of {qid} is not a choice code (write ② or 2)")
                return None
            lit = n.Code(loc, code)
        else:
            value = circled_or_int(key)
            if value is None:
                self.diag.fail(loc, "bad_jump_key",
                               f"jump key {key!r} of {qid} is not an answer code or number "
                               "(write ② or 2)")
                return None
            lit = n.Num(loc, value)
        ref = n.Name(loc, qid)
        if qtype == "multiple":
            return n.Call(loc, "selected", (ref, lit))
        return n.Compare(loc, "==", ref, lit)

    def check(self, c: LMap, question: str | None, loc: SourceLocation) -> CheckDef | None:
        cid = c.get("id")
        if not isinstance(cid, str):
            return None
        if cid in self.check_ids:
            self.diag.fail(c.where("id"), "duplicate_id",
                           f"duplicate check id {cid!r} (first at line {self.check_ids[cid].line})")
            return None
        self.check_ids[cid] = c.where("id")
        kind = "when" if "when" in c else "assert" if "assert" in c else None
        if kind is None:
            return None
        expr = self.rule(c, kind)
        if expr is None:
            return None
        severity = c.get("severity") if c.get("severity") in ("error", "warning") else "error"
        acknowledge = c.get("acknowledge") == "required"
        if acknowledge and severity == "error":
            self.diag.fail(c.where("acknowledge"), "bad_acknowledge",
                           f"check {cid} is an error, which blocks submission: only a warning "
                           "may ask for a reason (acknowledge: required)")
        return CheckDef(cid, severity, kind, expr, self.text(c, "message", f"check {cid} message"),
                        question, loc, acknowledge)


def build_definition(data: LMap, diag: Diagnostics, file: str) -> FormDef:
    """Build the definition model from located data, reporting problems to ``diag``."""
    return _Builder(data, diag, file).build()
