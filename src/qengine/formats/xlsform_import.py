"""An XLSForm workbook (ODK, KoboToolbox) read into a qengine form file (YAML), for the subset that
real forms use; ``docs/xlsform.md`` lists exactly what is read and what is left out.

The workbook is read with openpyxl; every row of the ``survey`` sheet becomes a question, a
computed value, a param, a section boundary, a check, or a located warning
(``FILE:sheet:row:column: warning: ...``) that says what was left out. The YAML written carries a
comment where something was left out, and it compiles: a translated rule that the compiler
refuses (a name asked later, a type that does not fit) is left out as well, with the compiler's
message as the warning.

The XPath of ``relevant``, ``constraint`` and ``calculation`` is translated by
:mod:`qengine.formats.xlsform_xpath`.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from qengine.compiler.pipeline import compile_text
from qengine.formats.xlsform import LANGUAGE_NAMES, id_number_constraint
from qengine.formats.xlsform_xpath import Names, Untranslatable, conjuncts, translate

_TYPES = {"text": "text", "integer": "integer", "int": "integer", "decimal": "number",
          "date": "date"}
_LANG = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}([-_][A-Za-z0-9]+)?)\)\s*$")
_YES = ("yes", "true", "true()", "1")
_NO = ("", "no", "false", "false()", "0")
#: words a question id cannot be: the rule language's operators, and the jump target ``end``
#: words no id may be: the rule language's own, and those YAML 1.1 reads as true, false or null
_RESERVED = ("and", "or", "not", "in", "end", "yes", "no", "on", "off", "true", "false", "null")
#: columns read; any other column with a value in a row is a located warning
_READ = ("type", "name", "label", "hint", "required", "relevant", "constraint",
         "constraint_message")
_SETTINGS = ("form_id", "version", "form_title", "title", "default_language")
_BOUND = re.compile(r"^\.\s*(?P<op>>=|<=)\s*(?P<value>-?\d+(\.\d+)?|date\('(?P<date>[\d-]+)'\))$")
_LENGTH = re.compile(r"^string-length\(\.\)\s*<=\s*(?P<value>\d+)$")
_CJK = re.compile(r"[\u3400-\u9fff]")


class XLSFormError(ValueError):
    """A workbook that cannot be read as an XLSForm at all (no survey sheet, not a workbook)."""


@dataclass
class XLSFormWarning:
    """One thing left out or changed, located in the workbook."""

    sheet: str
    row: int
    column: str
    message: str

    def located(self, file: str) -> str:
        return f"{file}:{self.sheet}:{self.row}:{self.column}: warning: {self.message}"


@dataclass
class Imported:
    """The result of :func:`read_xlsform`: the YAML text of the form and the warnings, by
    sheet, row and column. Choices keep their XLSForm names (``name:``), so records that use
    the names convert with ``validate(coerce=True)``."""

    yaml: str
    warnings: list[XLSFormWarning]


@dataclass
class _Rule:
    """A rule written in the YAML, with the cell it came from (to leave it out if it does not
    compile)."""

    text: str
    sheet: str
    row: int
    column: str
    dropped: bool = False
    type: str = "bool"


@dataclass
class _Item:
    """A question, computed value, or a comment line where a row was left out."""

    row: int
    qid: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    ask_if: _Rule | None = None
    value: _Rule | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class _Section:
    sid: str
    title: dict[str, str]
    ask_if: _Rule | None
    items: list[_Item] = field(default_factory=list)


class _Sheet:
    """A worksheet as rows of column name to value, with each column's header (for warnings)."""

    def __init__(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        self.name = name
        header = rows[0] if rows else ()
        self.columns = [str(h).strip() if h is not None else "" for h in header]
        self.rows: list[tuple[int, dict[str, str]]] = []
        for n, line in enumerate(rows[1:], start=2):
            cells = {c: _cell(v) for c, v in zip(self.columns, line) if c}
            if any(cells.values()):
                self.rows.append((n, cells))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def _open(source: str | Path | IO[bytes]) -> dict[str, _Sheet]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise XLSFormError(f"not an Excel workbook (.xlsx): {exc}") from None
    try:
        return {ws.title.strip().lower(): _Sheet(ws.title.strip().lower(),
                                                 list(ws.iter_rows(values_only=True)))
                for ws in book.worksheets}
    finally:
        book.close()


class _Reader:
    """The state of one import: names, languages, warnings."""

    def __init__(self, sheets: dict[str, _Sheet], stem: str) -> None:
        if "survey" not in sheets:
            raise XLSFormError("the workbook has no survey sheet")
        self.sheets = sheets
        self.stem = stem
        self.warnings: list[XLSFormWarning] = []
        self.taken: set[str] = set()
        self.names = Names()
        self.settings = self._settings()
        self.default = self._default_language()
        self.languages: list[str] = [self.default]
        self.form_id = ""

    def warn(self, sheet: str, row: int, column: str, message: str) -> str:
        self.warnings.append(XLSFormWarning(sheet, row, column, message))
        return f"left out: {sheet} row {row}, {column}: {message}"

    def _settings(self) -> dict[str, str]:
        for name, sheet in self.sheets.items():
            if name not in ("survey", "choices", "settings"):
                self.warn(name, 1, (sheet.columns or ["A"])[0] or "A",
                          f"the sheet {name!r} is not imported")
        sheet = self.sheets.get("settings")
        if sheet is None or not sheet.rows:
            return {}
        n, cells = sheet.rows[0]
        for key, value in cells.items():
            if value and key not in _SETTINGS:
                self.warn("settings", n, key, f"the setting {key} is not imported")
        return {k: v for k, v in cells.items() if v}

    def _default_language(self) -> str:
        value = self.settings.get("default_language", "")
        if value:
            return self.language(value)
        texts = " ".join(v for sheet in self.sheets.values() for _n, cells in sheet.rows
                         for k, v in cells.items() if k == "label")
        return "zh" if _CJK.search(texts) else "en"

    def language(self, text: str) -> str:
        """The code of a language named in a header (``English (en)``, ``中文``, ``fr``)."""
        m = _LANG.match(text)
        if m:
            return m.group("code").lower()
        names = {v.lower(): k for k, v in LANGUAGE_NAMES.items()}
        names |= {"english": "en", "chinese": "zh", "french": "fr", "spanish": "es"}
        if text.strip().lower() in names:
            return names[text.strip().lower()]
        code = text.strip().lower()
        return code if re.match(r"^[a-z]{2,3}$", code) else "und"

    def texts(self, cells: dict[str, str], column: str) -> dict[str, str]:
        """The texts of ``column`` (``label``, ``label::English (en)``) by language code."""
        out: dict[str, str] = {}
        for key, value in cells.items():
            head, sep, lang = key.partition("::")
            if head.strip().lower() != column or not value:
                continue
            code = self.language(lang) if sep else self.default
            if code not in self.languages:
                self.languages.append(code)
            out.setdefault(code, value)
        return out

    def ident(self, wanted: str, sheet: str, row: int, column: str, what: str,
              quiet: bool = False, taken: set[str] | None = None) -> str:
        """A valid, unused id for ``wanted``; a warning when it had to change."""
        base = re.sub(r"[^a-z0-9_]+", "_", wanted.strip().lower()).strip("_") or what
        if not base[0].isalpha():
            base = f"{what[0]}_{base}"
        if base in _RESERVED:
            base += "_"
        taken = self.taken if taken is None else taken
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        if name != wanted and not quiet:
            self.warn(sheet, row, column, f"the name {wanted!r} is no qengine id: imported "
                      f"as {name}")
        return name


# -- choices ------------------------------------------------------------------------------------
def _choices(r: _Reader) -> dict[str, list[dict[str, Any]]]:
    """Each list of the choices sheet: its choices (code, labels, name, row) in sheet order."""
    sheet = r.sheets.get("choices")
    lists: dict[str, list[dict[str, Any]]] = {}
    for n, cells in sheet.rows if sheet else ():
        listed = cells.get("list_name") or cells.get("list name", "")
        if not listed:
            r.warn("choices", n, "list_name", "a choice without a list_name is not imported")
            continue
        lists.setdefault(listed, []).append({"name": cells.get("name", ""), "row": n,
                                             "labels": r.texts(cells, "label")})
        for key, value in cells.items():
            if value and key.split("::")[0].strip().lower() not in ("list_name", "name",
                                                                    "label"):
                r.warn("choices", n, key, f"the column {key} is not imported")
    for listed, items in lists.items():
        seen: set[str] = set()
        for c in list(items):
            if c["name"] in seen:  # ODK refuses it too: the first one stands
                r.warn("choices", c["row"], "name", f"the name {c['name']!r} is used twice in "
                       f"list {listed}: this choice is not imported")
                items.remove(c)
            seen.add(c["name"])
        names = [c["name"] for c in items]
        whole = bool(names) and all(re.fullmatch(r"0|[1-9]\d{0,5}|1000000", x) for x in names)
        for k, c in enumerate(items, start=1):
            c["code"] = int(c["name"]) if whole else k
            c["named"] = not whole
            if not whole and c["name"].isdigit() and int(c["name"]) != k:
                # entered text "2" is code 2: a name that is another number cannot be kept
                r.warn("choices", c["row"], "name", f"the name {c['name']!r} is a number and the "
                       f"list's names are not all whole numbers: imported as code {k} without "
                       "its name")
                c["named"] = False
    return lists


# -- the survey sheet ---------------------------------------------------------------------------
class _Survey:
    """The survey sheet read into sections, items and form-level checks."""

    def __init__(self, r: _Reader, lists: dict[str, list[dict[str, Any]]]) -> None:
        self.r = r
        self.lists = lists
        self.sections: list[_Section] = []
        self.checks: list[dict[str, Any]] = []
        self.params: dict[str, Any] = {}
        self.used_lists: dict[str, str] = {}  # XLSForm list name -> choice_lists id
        self.list_ids: set[str] = set()
        self.groups: list[tuple[_Rule | None, str, dict[str, str], int]] = []
        self.current: _Section | None = None
        self.carried: list[_Item] = []  # comments of a section that had no questions

    def section(self) -> _Section:
        """The section the next question goes in (a new one after a group begins or ends)."""
        if self.current is None:
            self.current = self._open_section()
            self.sections.append(self.current)
            self.current.items += self.carried
            self.carried = []
        return self.current

    def comment(self, text: str, row: int) -> None:
        """A comment line where the row ``row`` is in the YAML."""
        self.section().items.append(_Item(row, comments=[text]))

    def _open_section(self) -> _Section:
        """A new section for the questions that follow, under the open groups."""
        if self.groups:
            _rule, name, title, row = self.groups[-1]
            sid = self.r.ident(name or "group", "survey", row, "name", "section")
        else:
            sid, title = self.r.ident("main", "survey", 0, "name", "section", True), {}
        conds = [g[0] for g in self.groups if g[0] is not None]
        rule = None
        if conds:
            text = " and ".join(f"({c.text})" if len(conds) > 1 else c.text for c in conds)
            rule = _Rule(text, "survey", conds[-1].row, "relevant")
        return _Section(sid, title, rule)

    def close_section(self) -> None:
        """End the current section; a section without questions is not written (its comments
        move to the next)."""
        if self.current is not None and not any(i.qid for i in self.current.items):
            self.sections.remove(self.current)
            self.carried += self.current.items
        self.current = None

    def rule(self, cells: dict[str, str], row: int, column: str, self_id: str | None,
             want: str = "bool") -> tuple[_Rule | None, str | None]:
        """The translated rule of a cell, or None and the comment saying it was left out."""
        text = cells.get(column, "")
        if not text:
            return None, None
        try:
            out = translate(text, self.r.names, self_id, want)
        except Untranslatable as exc:
            return None, self.r.warn("survey", row, column, f"{column} {text!r} is not "
                                     f"imported: {exc}")
        return _Rule(out.text, "survey", row, column, type=out.type), None


def _read_survey(r: _Reader, lists: dict[str, list[dict[str, Any]]]) -> _Survey:
    s = _Survey(r, lists)
    rows = r.sheets["survey"].rows
    _declare(r, s, rows)
    repeat = 0
    for n, cells in rows:
        kind = " ".join(cells.get("type", "").split())
        base = kind.lower().replace("_", " ")
        if base in ("begin repeat", "end repeat"):
            if base == "begin repeat":
                if repeat == 0:
                    s.comment(r.warn("survey", n, "type", f"the repeat "
                                     f"{cells.get('name', '')!r} is not imported, nor anything "
                                     "in it"), n)
                repeat += 1
            else:
                repeat = max(0, repeat - 1)
            continue
        if repeat or not kind:
            continue
        if base == "begin group":
            s.close_section()
            relevant, comment = s.rule(cells, n, "relevant", None)
            title = r.texts(cells, "label")
            s.groups.append((relevant, cells.get("name", ""), title, n))
            if comment:
                s.carried.append(_Item(n, comments=[comment]))
            s.carried += [_Item(n, comments=[c]) for c in
                          _extra_columns(r, n, cells, ("type", "name", "label", "relevant"))]
            continue
        if base == "end group":
            if s.groups:
                s.groups.pop()
                s.close_section()
            else:
                r.warn("survey", n, "type", "an end group without its begin group is ignored")
            continue
        _row(r, s, n, cells, kind)
    return s


def _declare(r: _Reader, s: _Survey, rows: list[tuple[int, dict[str, str]]]) -> None:
    """First pass: the id and the type of every name (rules may name later questions)."""
    repeat = 0
    for n, cells in rows:
        words = cells.get("type", "").split()
        base = " ".join(words).lower().replace("_", " ")
        repeat += base == "begin repeat"
        repeat -= base == "end repeat" and repeat > 0
        name = cells.get("name", "")
        if repeat or not words or not name or base in ("begin group", "end group",
                                                         "begin repeat", "end repeat"):
            continue
        head = words[0].lower()
        if head in ("select_one", "select_multiple") and len(words) == 2 \
                and words[1] in s.lists:
            kind = "single" if head == "select_one" else "multiple"
        elif head in _TYPES and len(words) == 1:
            kind = {"integer": "num", "number": "num"}.get(_TYPES[head], _TYPES[head])
        elif head == "calculate":
            kind = _calc_type(cells.get("calculation", ""))
        else:
            continue
        qid = r.ident(name, "survey", n, "name", "question")
        r.names.ids[name] = qid
        r.names.types[qid] = kind
        if kind in ("single", "multiple"):
            r.names.codes[qid] = {c["name"]: c["code"] for c in s.lists[words[1]]}


def _calc_type(xpath: str) -> str:
    """The type of a calculation, guessed before its names are known (refined later)."""
    text = xpath.strip()
    if re.fullmatch(r"date\('\d{4}-\d{2}-\d{2}'\)", text):
        return "date"
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"|(concat|substr|string)\(.*", text):
        return "text"
    return "num"


def _extra_columns(r: _Reader, n: int, cells: dict[str, str], read: tuple[str, ...]) -> list[str]:
    """Warnings for the columns of a row that are not read (appearance, choice_filter, ...)."""
    out = []
    for key, value in cells.items():
        head = key.split("::")[0].strip().lower()
        if value and head not in read:
            out.append(r.warn("survey", n, key, f"{key} {value!r} is not imported"))
    return out


def _row(r: _Reader, s: _Survey, n: int, cells: dict[str, str], kind: str) -> None:
    words = kind.split()
    head = words[0].lower()
    name = cells.get("name", "")
    qid = r.names.ids.get(name)
    if head == "note":
        _note(r, s, n, cells)
        return
    if qid is None:
        why = ("a row without a name" if not name else
               f"the choice list {words[1]!r} is not on the choices sheet"
               if head.startswith("select_") and len(words) == 2 and words[1] not in s.lists
               else f"the type {kind!r}")
        s.comment(r.warn("survey", n, "type", f"{why} is not imported ({name or 'no name'})"),
                  n)
        return
    if head == "calculate":
        _calculate(r, s, n, cells, qid)
        return
    item = _Item(n, qid)
    if qid != name:
        item.comments.append(f"renamed: the XLSForm name {name!r} is {qid}")
    item.comments += _extra_columns(r, n, cells, _READ)
    labels = r.texts(cells, "label") or {r.default: name}
    item.fields["label"] = labels
    if "${" in json.dumps(labels):
        r.warn("survey", n, "label", "a ${name} in a label is shown as written (qengine "
               "labels do not insert answers)")
    item.fields["type"] = _TYPES.get(head) or ("single" if head == "select_one" else "multiple")
    if head.startswith("select_"):
        item.fields["choices"] = _list_id(r, s, words[1])
    hint = r.texts(cells, "hint")
    if hint:
        item.fields["hint"] = hint
    _required(r, n, cells, item)
    item.ask_if, comment = s.rule(cells, n, "relevant", qid)
    if comment:
        item.comments.append(comment)
    _constraint(r, s, n, cells, item)
    s.section().items.append(item)


def _list_id(r: _Reader, s: _Survey, listed: str) -> str:
    if listed not in s.used_lists:
        s.used_lists[listed] = r.ident(listed, "choices", s.lists[listed][0]["row"],
                                       "list_name", "list", taken=s.list_ids)
    return s.used_lists[listed]


def _required(r: _Reader, n: int, cells: dict[str, str], item: _Item) -> None:
    value = cells.get("required", "").strip().lower()
    if value in _YES:
        item.fields["required"] = True
        return
    item.fields["required"] = False
    if value not in _NO:
        item.comments.append(r.warn("survey", n, "required", f"required {value!r} is not "
                                    "imported (only yes/true): the question is optional"))


def _constraint(r: _Reader, s: _Survey, n: int, cells: dict[str, str], item: _Item) -> None:
    """The constraint: bounds and text lengths as min/max/max_length, the id number check as
    the type id_number, the rest as one error check with the constraint_message."""
    text = cells.get("constraint", "")
    if not text:
        return
    if text == id_number_constraint() and item.fields["type"] == "text":
        item.fields["type"] = "id_number"  # the exporter's own GB 11643 check
        return
    parts = conjuncts(text) or [text]
    messages = r.texts(cells, "constraint_message")
    split = {lang: m.split("；") for lang, m in messages.items()}
    rest: list[tuple[str, dict[str, str]]] = []
    for k, part in enumerate(parts):
        mine = {lang: ms[k] for lang, ms in split.items() if len(ms) == len(parts) and ms[k]}
        if not _bound(part, item):
            rest.append((part, mine))
    if not rest:
        return
    xpath = " and ".join(f"({p})" for p, _m in rest) if len(rest) > 1 else rest[0][0]
    if len(rest) == len(parts):
        message = messages
    else:
        message = {}
        for _p, m in rest:
            for lang, t in m.items():
                message[lang] = f"{message[lang]}；{t}" if lang in message else t
    try:
        rule = translate(xpath, r.names, item.qid)
    except Untranslatable as exc:
        item.comments.append(r.warn("survey", n, "constraint", f"constraint {xpath!r} is not "
                                    f"imported: {exc}"))
        return
    assertion = rule.text
    if item.qid not in re.findall(r"[A-Za-z_]\w*", assertion):
        # XLSForm checks a constraint once its question has a value: so does the check
        assertion = f"not answered({item.qid}) or ({assertion})"
    item.checks.append({"id": r.ident(f"{item.qid}_constraint", "survey", n, "name", "check",
                                      quiet=True), "severity": "error",
                        "assert": _Rule(assertion, "survey", n, "constraint"),
                        "message": message or {r.default: f"{item.qid}: {text}"[:9000]}})


def _bound(part: str, item: _Item) -> bool:
    """Whether ``part`` is a bound (``. >= 0``) or length the question's settings can hold."""
    kind = item.fields["type"]
    m = _BOUND.match(part)
    if m and ((kind in ("integer", "number") and not m.group("date"))
              or (kind == "date" and m.group("date"))):
        key = "min" if m.group("op") == ">=" else "max"
        if key in item.fields:
            return False
        value: Any = m.group("date") or m.group("value")
        if m.group("date"):
            try:
                datetime.date.fromisoformat(value)
            except ValueError:  # no date: the part stays a check (refused there, with a warning)
                return False
        else:
            value = float(value) if "." in value else int(value)
            if (kind == "integer" and isinstance(value, float)) or abs(value) > 10**15:
                return False
        item.fields[key] = value
        return True
    m = _LENGTH.match(part)
    if m and kind == "text" and "max_length" not in item.fields:
        item.fields["max_length"] = int(m.group("value"))
        return True
    return False


def _calculate(r: _Reader, s: _Survey, n: int, cells: dict[str, str], qid: str) -> None:
    """A calculate: a param when it is a literal and asked always, else a computed value."""
    text = cells.get("calculation", "")
    relevant = cells.get("relevant", "") or any(g[0] for g in s.groups)
    literal = re.fullmatch(r"\s*(-?\d+(\.\d+)?|'([^']*)'|date\('(\d{4}-\d{2}-\d{2})'\))\s*",
                           text)
    labels = r.texts(cells, "label")
    if literal and not relevant:
        value: Any = literal.group(4) or literal.group(3)
        if value is None:
            value = float(literal.group(1)) if literal.group(2) else int(literal.group(1))
        s.params[qid] = {"value": value, **({"label": labels} if labels else {})}
        _extra_columns(r, n, cells, ("type", "name", "label", "calculation"))
        return
    item = _Item(n, qid)
    item.comments += _extra_columns(r, n, cells, ("type", "name", "label", "calculation",
                                                  "relevant"))
    item.fields = {"label": labels or {r.default: cells.get("name", qid)},
                   "type": "computed"}
    item.value, comment = s.rule(cells, n, "calculation", qid, "value")
    if item.value is None:
        s.comment(comment or r.warn("survey", n, "calculation", "a calculate without a "
                                    "calculation is not imported"), n)
        return
    r.names.types[qid] = item.value.type
    item.ask_if, comment = s.rule(cells, n, "relevant", qid)
    if comment:
        item.comments.append(comment)
    s.section().items.append(item)


def _note(r: _Reader, s: _Survey, n: int, cells: dict[str, str]) -> None:
    """A note with a relevant is a warning shown while it holds: a warning check; a note always
    shown is a comment. The exporter's own notes are recognised: ``warning_ID`` with ``⚠ ``
    (the check ID) and ``✖ `` (an error check that reads no question)."""
    labels = r.texts(cells, "label")
    if not cells.get("relevant"):
        first = next(iter(labels.values()), cells.get("name", ""))
        s.comment(f"note: {first}", n)
        _extra_columns(r, n, cells, ("type", "name", "label"))
        return
    _extra_columns(r, n, cells, ("type", "name", "label", "relevant"))
    rule, comment = s.rule(cells, n, "relevant", None)
    if rule is None:
        s.comment(comment or "", n)
        return
    conds = [g[0].text for g in s.groups if g[0] is not None]
    if conds:
        rule.text = " and ".join(f"({c})" for c in [*conds, rule.text])
    severity = "warning"
    marks = [t[:2] for t in labels.values()]
    if marks and all(m == "✖ " for m in marks):
        severity = "error"
    message = {lang: t[2:] if t[:2] in ("⚠ ", "✖ ") else t for lang, t in labels.items()}
    name = cells.get("name", "") or f"note_{n}"
    cid = name[len("warning_"):] if name.startswith("warning_") else name
    cid = r.ident(cid, "survey", n, "name", "check", quiet=True)
    s.checks.append({"id": cid, "severity": severity, "when": rule,
                     "message": message or {r.default: cid}})


def read_xlsform(source: str | Path | IO[bytes], name: str | None = None) -> Imported:
    """Read an XLSForm workbook into the text of a qengine form (YAML) and the warnings.

    ``name`` is the file name the warnings and the header comment use. Raises
    :class:`XLSFormError` for a file that is no XLSForm workbook.
    """
    from qengine.formats.xlsform_write import assemble

    label = name or (str(source) if isinstance(source, (str, Path)) else "form.xlsx")
    r = _Reader(_open(source), Path(label).stem)
    lists = _choices(r)
    survey = _read_survey(r, lists)
    r.form_id = r.ident(r.settings.get("form_id") or r.stem, "settings", 2, "form_id", "form",
                        taken=set())
    yaml, _ = assemble(r, survey, lists, label, compile_text)
    order = list(r.sheets)

    def where(w: XLSFormWarning) -> tuple[int, int, int]:
        columns = r.sheets[w.sheet].columns if w.sheet in r.sheets else []
        return (order.index(w.sheet) if w.sheet in order else len(order), w.row,
                columns.index(w.column) if w.column in columns else len(columns))

    return Imported(yaml, sorted(r.warnings, key=where))
