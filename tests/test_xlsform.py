"""XLSForm export: pyxform (and ODK Validate, where Java is) accept every bundled form; jumps
become the right ``relevant``, error checks constraints with their messages, warnings notes;
labels in every language; hostile labels stay text. The XPath written is also evaluated here, by a
small XPath 1.0 evaluator of the subset the writer uses, against qengine's own walk."""

from __future__ import annotations

import math
import random
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import qengine
from qengine.apps.cli import main
from qengine.formats.xlsform import (
    ID_CHECKS,
    ID_WEIGHTS,
    Inexpressible,
    XPath,
    id_number_constraint,
    write_xlsform,
    xpath_string,
)
from qengine.notation import id_check_digit, id_number_ok
from qengine.testing import paths
from tests.xlsforms import ASK_IF

pyxform = pytest.importorskip("pyxform")
from pyxform.xls2xform import xls2xform_convert  # noqa: E402

BUNDLED = ("annex5", "annex6", "annex7")
FORMS = {name: qengine.load(name) for name in BUNDLED}
JAVA = shutil.which("java")
ZH, EN = "label::中文 (zh)", "label::English (en)"


def _export(form: qengine.Form, tmp_path: Path) -> Path:
    path = tmp_path / f"{form.id}.xlsx"
    write_xlsform(form, path)
    return path


def _rows(path: Path, sheet: str = "survey") -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(path)
    lines = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rows if r["name"] == name)


@pytest.mark.parametrize("name", BUNDLED)
def test_pyxform_converts_every_bundled_form(name: str, tmp_path: Path) -> None:
    """pyxform turns each exported bundled form into an XForm, with no warning."""
    path = _export(FORMS[name], tmp_path)
    xml = tmp_path / f"{name}.xml"
    warnings = xls2xform_convert(xlsform_path=path, xform_path=xml, validate=False)
    assert warnings == []
    text = xml.read_text("utf-8")
    assert "<h:title>" in text and f'id="{name}"' in text


@pytest.mark.skipif(JAVA is None, reason="ODK Validate needs Java, which is not installed "
                    "(apt-get install default-jre-headless)")
@pytest.mark.parametrize("name", BUNDLED)
def test_odk_validate_accepts_every_bundled_form(name: str, tmp_path: Path) -> None:
    """ODK Validate (bundled with pyxform, run on Java) accepts each exported form."""
    path = _export(FORMS[name], tmp_path)
    warnings = xls2xform_convert(xlsform_path=path, xform_path=tmp_path / f"{name}.xml",
                                 validate=True)
    assert warnings == []


def test_a_jump_becomes_the_relevant_of_what_it_skips(tmp_path: Path) -> None:
    """annex 6: 4 ② → 5 makes 4—1 and 4—2 relevant only while q4 is not 2; 4—1 ① → 5 adds
    itself to 4—2's."""
    rows = _rows(_export(FORMS["annex6"], tmp_path))
    assert _row(rows, "q4_1")["relevant"] == "${q4} != 2"
    assert _row(rows, "q4_2")["relevant"] == "${q4} != 2 and ${q4_1} != 1"
    assert _row(rows, "q4")["relevant"] is None and _row(rows, "q5")["relevant"] is None
    # 8 ③ → 9 and ① → 8—2: 8—1 is skipped by either
    assert _row(rows, "q8_1")["relevant"] == "${q8} != 3 and ${q8} != 1"


def test_an_error_check_becomes_a_constraint_with_its_message(tmp_path: Path) -> None:
    """school_consistency (q4_1 == ① and q10 == ②) is a constraint on q10, the last question it
    names, holding while q4_1 is blank, with the check's message in both languages."""
    form = FORMS["annex6"]
    check = next(c for c in form.checks if c.id == "school_consistency")
    q10 = _row(_rows(_export(form, tmp_path)), "q10")
    assert q10["constraint"] == "${q4_1} = '' or (${q4_1} != 1 or . != 2)"
    assert q10["constraint_message::English (en)"] == check.messages["en"]
    assert q10["constraint_message::中文 (zh)"] == check.messages["zh"]


def test_a_warning_becomes_a_note_shown_while_it_fires(tmp_path: Path) -> None:
    """no_health_policy (q11 == ②) is a note after q11, relevant while q11 is 2."""
    form = FORMS["annex6"]
    check = next(c for c in form.checks if c.id == "no_health_policy")
    rows = _rows(_export(form, tmp_path))
    names = [r["name"] for r in rows]
    note = _row(rows, "warning_no_health_policy")
    assert note["type"] == "note"
    assert names.index("warning_no_health_policy") == names.index("q11") + 1
    assert note["relevant"] == "(${q11} != '' and ${q11} = 2)"
    assert note[EN] == "⚠ " + check.messages["en"] and note[ZH] == "⚠ " + check.messages["zh"]
    # one on a computed value follows the last question it reads
    per_capita = _row(rows, "warning_below_income_line")
    assert names.index("warning_below_income_line") == names.index("q1_4") + 1
    assert "${income_line}" in per_capita["relevant"]


def test_labels_choices_settings_and_types(tmp_path: Path) -> None:
    """Both languages' labels, the choices sheet, settings, types, params and computed values."""
    form = FORMS["annex6"]
    path = _export(form, tmp_path)
    rows = _rows(path)
    q4 = _row(rows, "q4")
    assert q4["type"] == "select_one q4" and q4["required"] == "yes"
    assert q4[ZH].startswith("4 ") and q4[ZH].endswith(form.question("q4").labels["zh"])
    assert q4[EN].endswith(form.question("q4").labels["en"])
    assert _row(rows, "q6_1")["type"] == "select_multiple q6_1"
    assert _row(rows, "exit_year")["type"] == "integer"
    assert _row(rows, "q1_total")["type"] == "decimal"
    assert _row(rows, "survey_date")["type"] == "date"
    assert _row(rows, "income_line") == {**_row(rows, "income_line"), "type": "calculate",
                                         "calculation": "4000"}
    assert _row(rows, "period_start")["calculation"] == "date('2019-10-01')"
    assert _row(rows, "q1_per_capita")["calculation"] == (
        "((${q1_total} - ${q1_4}) div ${household_size})")
    assert _row(rows, "exit_year")["constraint"] == "(. >= 2014) and (. <= 2020)"
    types = [r["type"] for r in rows]
    assert types.count("begin group") == types.count("end group") == len(form.sections)
    choices = _rows(path, "choices")
    assert [(c["name"], c[EN]) for c in choices if c["list_name"] == "q4"] == [
        ("1", form.question("q4").choice(1).labels["en"]),
        ("2", form.question("q4").choice(2).labels["en"])]
    (settings,) = _rows(path, "settings")
    assert settings["form_id"] == "annex6" and settings["version"] == form.version
    assert settings["form_title"] == form.title


HOSTILE = """
form: hostile
version: "1"
title: {zh: "=1+1", en: "@SUM(A1)"}
languages: [zh, en]
params:
  tricky: {value: "it's \\"x\\"", label: {zh: "=P()", en: "tricky"}}
sections:
  - id: s1
    title: {zh: "+cmd|' /C calc'!A0", en: "-2+3"}
    questions:
      - id: q1
        label: {zh: "=HYPERLINK(\\"http://x\\",\\"y\\")", en: "it's \\"quoted\\" & <b>"}
        hint: {zh: "=A1", en: "'single' and \\"double\\""}
        type: single
        choices:
          - {code: 1, label: {zh: "=cmd()", en: "O'Brien \\"x\\""}}
          - {code: 2, label: {zh: 否, en: "No"}}
        jump: {②: q3}
      - id: q2
        label: {zh: "=2", en: "two"}
        type: text
        checks:
          - id: not_tricky
            severity: error
            when: q2 == tricky or q2 == "it's"
            message: {zh: "=ERROR()", en: "don't write \\"that\\""}
      - id: q3
        label: {zh: 三, en: three}
        type: integer
"""


def test_hostile_labels_round_trip_as_text(tmp_path: Path) -> None:
    """Labels that look like formulas, or hold both quotes, are written and read back as text;
    pyxform reads the form, and a text literal with both quotes is a concat()."""
    form = qengine.load_text(HOSTILE, "hostile.yaml")
    path = _export(form, tmp_path)
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type in ("s", "n"), (sheet.title, cell.coordinate, cell.value)
    rows = _rows(path)
    q1 = _row(rows, "q1")
    assert q1[ZH] == '=HYPERLINK("http://x","y")' and q1[EN] == 'it\'s "quoted" & <b>'
    assert q1["hint::中文 (zh)"] == "=A1"
    assert _row(rows, "s1")[ZH] == "+cmd|' /C calc'!A0"
    choices = _rows(path, "choices")
    assert choices[0][ZH] == "=cmd()" and choices[0][EN] == "O'Brien \"x\""
    assert _rows(path, "settings")[0]["form_title"] == "=1+1"
    q2 = _row(rows, "q2")
    assert q2["constraint"] == ("(not((. != '' and ${tricky} != '' and . = ${tricky})) and "
                                'not((. != \'\' and . = "it\'s")))')
    assert _row(rows, "tricky")["calculation"] == "concat('it', \"'\", 's \"x\"')"
    assert q2["constraint_message::English (en)"] == 'don\'t write "that"'
    xml = tmp_path / "hostile.xml"
    assert xls2xform_convert(xlsform_path=path, xform_path=xml, validate=False) == []
    assert "O'Brien" in xml.read_text("utf-8")


def test_xpath_strings() -> None:
    """A text is quoted with whichever quote it lacks, or concat() of pieces when it has both."""
    assert xpath_string("ab") == "'ab'"
    assert xpath_string("a'b") == '"a\'b"'
    assert xpath_string("a'b\"c") == "concat('a', \"'\", 'b\"c')"
    assert _evaluate(xpath_string("a'b\"c'"), {}) == "a'b\"c'"


def _ir(op: str, *args: dict[str, Any], type: str = "bool", **fields: Any) -> dict[str, Any]:
    return {"op": op, "type": type, "args": list(args), **fields}


def _answer(qid: str, type: str = "num") -> dict[str, Any]:
    return {"op": "answer", "id": qid, "type": type}


def _code(value: int) -> dict[str, Any]:
    return {"op": "code", "value": value, "type": "code"}


def _num(value: float) -> dict[str, Any]:
    return {"op": "num", "value": value, "type": "num"}


CASES = [  # an IR rule, values, and what qengine says
    (_ir("in", _answer("a", "code"), _code(1), _code(3)), {"a": "3"}, True),
    (_ir("in", _answer("a", "code")), {"a": "3"}, False),
    (_ir("not_in", _answer("a", "code"), _code(1)), {"a": ""}, False),
    (_ir("not_in", _answer("a", "code"), _code(1)), {"a": "2"}, True),
    (_ir("ne", _answer("a"), _num(2)), {"a": ""}, False),
    (_ir("ne", _answer("a"), _num(2)), {"a": "3"}, True),
    (_ir("not", _ir("eq", _answer("a"), _num(2))), {"a": ""}, True),
    (_ir("answered", _answer("a")), {"a": ""}, False),
    (_ir("answered", _answer("m", "codes")), {"m": "1 2"}, True),
    (_ir("eq", _ir("count", _answer("m", "codes"), type="num"), _num(2)), {"m": "1 4"}, True),
    (_ir("selected", _answer("m", "codes"), _code(4), _code(5)), {"m": "1 4"}, True),
    (_ir("selected", _answer("m", "codes"), _code(2)), {"m": "1 4"}, False),
    (_ir("eq", _ir("add", _num(0.1), _num(0.2), type="num"), _num(0.3)), {}, True),
    (_ir("gt", _ir("param", type="num", name="line"), _num(10)), {"line": "4000"}, True),
    (_ir("lt", {"op": "answer", "id": "d", "type": "date"},
         {"op": "text", "value": "2020-01-01", "type": "date"}), {"d": ""}, False),
    (_ir("or", _ir("eq", _answer("a"), _num(1)), _ir("eq", _answer("b"), _num(1))),
     {"a": "1", "b": ""}, True),
    (_ir("eq", _ir("len", _answer("t", "text"), type="num"), _num(3)), {"t": "abc"}, True),
    (_ir("eq", _ir("max", _answer("a"), _num(5), type="num"), _num(5)), {"a": "4"}, True),
    (_ir("eq", _ir("neg", _answer("a"), type="num"), _num(-4)), {"a": "4"}, True),
]


@pytest.mark.parametrize(("rule", "values", "expected"), CASES)
def test_rules_in_xpath_keep_qengines_meaning(rule: dict[str, Any], values: dict[str, str],
                                              expected: bool) -> None:
    """Each IR op in XPath gives what qengine gives, blanks included (a comparison with a blank
    is false, ne too), whether written as it is or negated."""
    xp = XPath({"line": "line"}, {"line": 4000})
    assert _evaluate(xp.expr(rule), values) is expected
    assert _evaluate(xp.negate(rule), values) is (not expected)


@pytest.mark.parametrize("name", BUNDLED)
def test_relevant_agrees_with_the_walk_on_every_path(name: str, tmp_path: Path) -> None:
    """On a witness record of every path (at most 300), a question is relevant exactly when the
    walk asks it, evaluating the exported XPath on the record's answers."""
    form = FORMS[name]
    rows = [r for r in _rows(_export(form, tmp_path))
            if r["name"] in {q.id for q in form.questions if not q.computed}]
    seen = 0
    for found in paths(form, limit=300):
        values = {q: _value(v) for q, v in found.witness.items()}
        asked = set(form.path(found.witness))
        for row in rows:
            relevant = row["relevant"] is None or _evaluate(row["relevant"], values)
            assert relevant == (row["name"] in asked), (row["name"], row["relevant"], values)
        seen += 1
    assert seen > 1


def test_constraints_agree_with_validate(tmp_path: Path) -> None:
    """annex 6's constraints hold on a valid record and fail where validate finds the error."""
    form = FORMS["annex6"]
    rows = {r["name"]: r for r in _rows(_export(form, tmp_path))}
    good = next(p.witness for p in paths(form, limit=50)
                if p.witness.get("q4_1") is not None)
    cases = [{**good, "q4_1": 1, "q10": 2}, {**good, "q4_1": 2, "q10": 2},
             {**good, "q15": 1, "q15_1a": 100, "q15_1b": 200},
             {**good, "q15": 1, "q15_1a": 100, "q15_1b": 50}]
    for record in cases:
        walked = set(form.path(record))
        record = {k: v for k, v in record.items() if k in walked}
        failing = {v.questions[-1] for v in form.validate(record).errors}
        values = {q: _value(v) for q, v in record.items()}
        for qid, value in values.items():
            constraint = rows[qid]["constraint"] if qid in rows else None
            if constraint is None:
                continue
            holds = _evaluate(constraint, values, here=value)
            assert holds == (qid not in failing), (qid, constraint, record.get(qid))


def test_the_id_number_constraint_checks_the_check_digit() -> None:
    """The id number's XPath takes valid GB 11643 numbers and refuses a wrong check digit, a
    bad birth date and a wrong length; its weights are the standard's."""
    assert "".join(ID_CHECKS) == "10X98765432" and len(ID_WEIGHTS) == 17
    constraint = id_number_constraint()
    for first in ("43012219670111291", "11010519491231002", "44030820000229123",
                  "44030819990229123"):
        good = first + id_check_digit(first)
        wrong = first + ("1" if id_check_digit(first) != "1" else "2")
        assert _evaluate(constraint, {}, here=good) is (good[6:14] != "19990229")
        assert _evaluate(constraint, {}, here=wrong) is False
    rng = random.Random(11643)
    for _ in range(300):  # random digits: mostly bad birth dates or check digits
        text = "".join(rng.choice("0123456789") for _ in range(17))
        text = text[:6] + rng.choice(("1967", "2000", "1900", "0000")) + text[10:]
        text += rng.choice((id_check_digit(text), "X", "0"))
        assert _evaluate(constraint, {}, here=text) is id_number_ok(text), text
    assert _evaluate(constraint, {}, here="1101051949123100") is False
    assert _evaluate(constraint, {}, here="110105194913310029") is False  # month 13


def test_export_command_writes_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    """`qengine export FORM --format xlsform -o FILE.xlsx` writes it; to standard output it is
    a usage error (status 2)."""
    out = tmp_path / "annex7.xlsx"
    assert main(["export", "annex7", "--format", "xlsform", "-o", str(out)]) == 0
    assert {s.title for s in openpyxl.load_workbook(out).worksheets} == {
        "survey", "choices", "settings"}
    assert main(["export", "annex7", "--format", "xlsform"]) == 2
    assert "-o FILE.xlsx" in capsys.readouterr().err


# -- a small XPath 1.0 evaluator of the subset the writer uses ------------------------------------
_TOKEN = re.compile(r"""\s*(?:(\$\{\w+\})|(\d+(?:\.\d+)?)|('[^']*'|"[^"]*")|(!=|<=|>=|[=<>+\-*(),.])
                    |((?:div|mod|and|or)\b)|([a-z][a-z-]*(?=\s*\()))""", re.X)


def _value(answer: Any) -> str:
    """An answer as ODK holds it: a text ('' for none), a multiple choice space-separated."""
    if answer is None:
        return ""
    if isinstance(answer, list):
        return " ".join(str(a) for a in answer)
    return str(answer)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    try:
        return float(value.strip()) if re.fullmatch(r"\s*-?\d+(\.\d*)?\s*", value) else math.nan
    except AttributeError:
        return math.nan


def _compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        a, b = bool(a if not isinstance(a, str) else a != ""), bool(
            b if not isinstance(b, str) else b != "")
        return (a == b) if op == "=" else (a != b)
    if op in ("=", "!=") and isinstance(a, str) and isinstance(b, str):
        return (a == b) if op == "=" else (a != b)
    x, y = _number(a), _number(b)
    return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _substr(s: Any, start: Any, end: Any = None) -> str:
    s, i, j = str(s), _number(start), _number(end if end is not None else len(str(s)))
    if math.isnan(i) or math.isnan(j):
        return ""
    return s[int(i):int(j)]


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "not": lambda x: not _truth(x), "true": lambda: True, "false": lambda: False,
    "selected": lambda v, c: str(c) in str(v).split(),
    "count-selected": lambda v: float(len(str(v).split())),
    "abs": lambda x: abs(_number(x)),
    "max": lambda *xs: max(_number(x) for x in xs) if not any(
        math.isnan(_number(x)) for x in xs) else math.nan,
    "min": lambda *xs: min(_number(x) for x in xs),
    "string-length": lambda s: float(len(str(s))),
    "substr": _substr, "regex": lambda s, p: re.search(p, str(s)) is not None,
    "concat": lambda *xs: "".join(str(x) for x in xs), "date": lambda s: s,
    "if": lambda c, a, b: a if _truth(c) else b,
    "round": lambda x, d=0.0: math.floor(_number(x) * 10 ** _number(d) + 0.5) / 10 ** _number(d)
    if not math.isnan(_number(x)) else math.nan,
    "int": lambda x: float(math.trunc(_number(x))) if not math.isnan(_number(x)) else math.nan,
    "number": _number,
}


def _truth(x: Any) -> bool:
    if isinstance(x, str):
        return x != ""
    if isinstance(x, float):
        return not (x == 0 or math.isnan(x))
    return bool(x)


def _evaluate(text: str, values: Mapping[str, str], here: Any = None) -> Any:
    """``text`` evaluated with ``${x}`` as ``values[x]`` and ``.`` as ``here``."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        assert m and m.end() > pos, f"cannot read {text[pos:]!r}"
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    here_value = "" if here is None else _value(here)
    at = [0]

    def peek() -> str | None:
        return tokens[at[0]] if at[0] < len(tokens) else None

    def take() -> str:
        at[0] += 1
        return tokens[at[0] - 1]

    def binary(lower: Callable[[], Any], ops: tuple[str, ...],
               apply: Callable[[str, Any, Any], Any]) -> Any:
        left = lower()
        while peek() in ops:
            op = take()
            left = apply(op, left, lower())
        return left

    def primary() -> Any:
        tok = take()
        if tok == "(":
            value = or_()
            assert take() == ")"
            return value
        if tok == "-":
            return -_number(primary())
        if tok == ".":
            return here_value
        if tok.startswith("${"):
            return values.get(tok[2:-1], "")
        if tok[0] in "'\"":
            return tok[1:-1]
        if tok[0].isdigit():
            return float(tok)
        assert take() == "("
        args = []
        while peek() != ")":
            args.append(or_())
            if peek() == ",":
                take()
        take()
        return _FUNCTIONS[tok](*args)

    def arith(op: str, a: Any, b: Any) -> float:
        x, y = _number(a), _number(b)
        if op == "div":
            return x / y if y else (math.nan if x == 0 or math.isnan(x) else math.copysign(
                math.inf, x))
        if op == "mod":
            return math.fmod(x, y) if y else math.nan
        return {"+": x + y, "-": x - y, "*": x * y}[op]

    def mul() -> Any:
        return binary(primary, ("*", "div", "mod"), arith)

    def add() -> Any:
        return binary(mul, ("+", "-"), arith)

    def rel() -> Any:
        return binary(add, ("<", "<=", ">", ">="), _compare)

    def eq() -> Any:
        return binary(rel, ("=", "!="), _compare)

    def and_() -> Any:
        return binary(eq, ("and",), lambda _op, a, b: _truth(a) and _truth(b))

    def or_() -> Any:
        return binary(and_, ("or",), lambda _op, a, b: _truth(a) or _truth(b))

    result = or_()
    assert at[0] == len(tokens), f"left over in {text!r}: {tokens[at[0]:]}"
    return _truth(result) if not isinstance(result, (str, float)) else result


def test_texts_cannot_be_ordered_in_xpath_and_dates_are_dates() -> None:
    """XPath 1.0's < turns both sides into numbers: an ordering of texts is refused (a check
    becomes a note saying it is not checked), one of dates compares date() values."""
    xp = XPath({}, {})
    with pytest.raises(Inexpressible):
        xp.expr(_ir("lt", _answer("t", "text"), {"op": "text", "value": "b", "type": "text"}))
    text = xp.expr(_ir("gt", {"op": "answer", "id": "d", "type": "date"},
                       {"op": "text", "value": "2020-12-31", "type": "date"}))
    assert "date(${d}) > date('2020-12-31')" in text


def test_a_reference_written_in_a_label_stays_text(tmp_path: Path) -> None:
    """XLSForm reads ${x} in a label as a reference: the export breaks it, and pyxform converts."""
    form = qengine.load_text(
        'form: r\nversion: "1"\ntitle: R\nlanguages: [zh]\nsections:\n  - id: s\n'
        '    questions:\n      - {id: a, label: "姓名 ${x}", type: text}\n'
        '      - {id: t, label: 文字, type: text, checks: [{id: c, severity: error, '
        'when: "t < \'b\'", message: 太小}]}\n', "r.yaml")
    path = tmp_path / "r.xlsx"
    write_xlsform(form, path)
    rows = _rows(path)
    assert "${x}" not in str(_row(rows, "a")) and "x}" in str(_row(rows, "a"))
    assert any(str(r.get("name", "")).startswith("unchecked_c") for r in rows)
    assert xls2xform_convert(xlsform_path=str(path), xform_path=str(tmp_path / "r.xml"),
                             validate=False) == []


# -- ask_if and the newer functions -------------------------------------------------------------


def _asked_rows(path: Path) -> list[tuple[dict[str, Any], list[str]]]:
    """Each question row with the relevants of the groups it is in."""
    out, groups = [], []
    for row in _rows(path):
        if row["type"] == "begin group":
            groups.append(row["relevant"])
        elif row["type"] == "end group":
            groups.pop()
        else:
            out.append((row, [g for g in groups if g]))
    return out


def test_ask_if_becomes_relevant_and_agrees_with_the_walk(tmp_path: Path) -> None:
    """A question's ask_if is and-ed into its relevant, a section's is its group's; a jump on a
    question with an ask_if fires only where that holds. On every path's witness, a question
    is relevant (with its groups) exactly when the walk asks it."""
    form = qengine.load_text(ASK_IF, "asks.yaml")
    path = _export(form, tmp_path)
    rows = {r["name"]: r for r in _rows(path) if r["type"] != "end group"}
    assert rows["s2"]["relevant"] == "not(${a} = 2)"
    assert rows["b"]["relevant"] == "${a} = 1"
    assert rows["c"]["relevant"] == "not((not(${b} > 5) and (${a} = 1)))"
    assert rows["f"]["relevant"] == ("not((${e} = 2 and (not(${a} = 2)))) and "
                                     "(${b} > 2 or ${e} = 1)")
    asked_rows = [(r, g) for r, g in _asked_rows(path) if not form.question(r["name"]).computed]
    seen = 0
    for found in paths(form):
        values = {q: _value(v) for q, v in found.witness.items()}
        asked = set(form.path(found.witness))
        for row, groups in asked_rows:
            conditions = [*groups, *([row["relevant"]] if row["relevant"] else [])]
            relevant = all(_evaluate(c, values) for c in conditions)
            assert relevant == (row["name"] in asked), (row["name"], conditions, values)
        seen += 1
    assert seen >= 5
    assert xls2xform_convert(xlsform_path=path, xform_path=tmp_path / "asks.xml",
                             validate=JAVA is not None) == []


def test_the_new_functions_in_xpath(tmp_path: Path) -> None:
    """if(), round(), int(), number(), substr() keep their names in XPath, mod() is XPath's
    mod; the calculations give what qengine computes."""
    form = qengine.load_text(ASK_IF, "asks.yaml")
    rows = {r["name"]: r for r in _rows(_export(form, tmp_path))}
    assert rows["h"]["calculation"] == ("if(${b} > 2, round((${b} div 3), 1), "
                                        "(${b} mod 2))")
    assert rows["u"]["calculation"] == "substr(${t}, 1, 3)"
    assert rows["v"]["calculation"] == "int((number(${t}) * 2))"
    for record in ({"a": 1, "b": 7, "e": 1, "f": 1, "t": "12.5"},
                   {"a": 1, "b": 2, "e": 1, "t": "abcdef"}):
        computed = form.validate(record).record
        values = {q: _value(v) for q, v in record.items()}
        for qid in ("h", "u", "v"):
            got = _evaluate(rows[qid]["calculation"], values)
            want = computed.get(qid)
            if isinstance(got, float) and math.isnan(got):
                assert want is None, qid
            else:
                assert got == want, (qid, got, want)
