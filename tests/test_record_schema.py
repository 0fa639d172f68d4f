"""The JSON Schema of records: every valid record passes it, and each kind of invalid record that
JSON Schema can express fails it (and fails validation too: the schema never refuses more)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.apps.cli import main
from qengine.formats.record_schema import (
    DATE_PATTERN,
    ID_NUMBER_PATTERN,
    NON_BLANK,
    WHITESPACE,
    record_schema,
)
from qengine.notation import check_id_number, is_iso_date
from qengine.testing import records

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ("annex5", "annex6", "annex7")
FORMS = {name: qengine.load(name) for name in BUNDLED}
VALIDATORS = {name: jsonschema.Draft202012Validator(record_schema(form))
              for name, form in FORMS.items()}
QUICK = settings(max_examples=25, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

#: a form with the jumps the schema can say (in, selected on a multiple choice, an ordering, a
#: jump to the end) and one it cannot (a jump that reads another question)
JUMPY = """
form: jumpy
version: "1"
title: {zh: 跳转, en: Jumps}
choice_lists:
  yesno:
    - {code: 1, label: {zh: 是, en: "Yes"}}
    - {code: 2, label: {zh: 否, en: "No"}}
sections:
  - id: main
    questions:
      - id: a
        number: "1"
        label: {zh: 甲, en: A}
        type: single
        choices:
          - {code: 1, label: {zh: 一, en: One}}
          - {code: 2, label: {zh: 二, en: Two}}
          - {code: 3, label: {zh: 三, en: Three}}
        jumps:
          - {when: "a in [②, ③]", to: c}
      - id: b
        number: "2"
        label: {zh: 乙, en: B}
        type: multiple
        choices: yesno
        jump: {①: d}
      - id: c
        number: "3"
        label: {zh: 丙, en: C}
        type: integer
        min: 0
        max: 100
        jumps:
          - {when: "c > 10", to: e}
      - id: d
        number: "4"
        label: {zh: 丁, en: D}
        type: money
        decimals: 0
        jumps:
          - {when: "d == 0 and a == ①", to: e}
      - id: d_1
        number: "4—1"
        label: {zh: 丁一, en: D1}
        type: multiple
        none_ok: true
        choices: yesno
      - id: e
        number: "5"
        label: {zh: 戊, en: E}
        type: date
        min: "2019-06-15"
        max: "2021-03-31"
      - id: f
        number: "6"
        label: {zh: 己, en: F}
        type: text
        max_length: 5
        required: false
      - id: g
        number: "7"
        label: {zh: 庚, en: G}
        type: single
        choices: yesno
        jump: {②: end}
      - id: h
        number: "8"
        label: {zh: 辛, en: H}
        type: number
        min: -2.5
        max: 2.5
  - id: signoff
    closing: true
    questions:
      - id: sign
        label: {zh: 签名, en: Signature}
        type: text
"""


JUMPY_FORM = qengine.load_text(JUMPY, "jumpy.yaml")
JUMPY_VALIDATOR = jsonschema.Draft202012Validator(record_schema(JUMPY_FORM))


def _with_nulls(form: qengine.Form, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with null for every question it leaves out."""
    return {**{q.id: None for q in form.questions}, **record}


def _passes(validator: jsonschema.Draft202012Validator, record: Any) -> bool:
    return not list(validator.iter_errors(record))


# A valid annex 6 record (the one of docs/api.md, with its three errors put right).
VALID6: dict[str, Any] = {
    "county": "望城区", "township": "靖港镇", "village": "柏叶村", "group": "5组",
    "head_name": "冯建军", "id_number": "430122196701112912", "household_size": 4,
    "exit_year": 2016, "q1_total": 32900, "q1_1a": 25000, "q1_1b": 6000, "q1_2": 400,
    "q1_3": 1500, "q1_4": 2500, "q2": 1, "q3": 1, "q4": 2, "q5": 1, "q6": 1, "q6_1": [],
    "q7": 2, "q8": 3, "q9": 1, "q10": 2, "q11": 1, "q11_1": [1, 5], "q12": 2,
    "q12_2": 1, "q12_3": 1, "q13": 2, "q14": 2, "q14_2": 2, "q14_3": 1, "q14_4": 2, "q15": 1,
    "q15_1a": 2375, "q15_1b": 50, "q16": 2, "q17": 1, "q18": 1, "q19": 1, "q19_1": [1],
    "q20": 2, "respondent_sign": "冯建军", "reviewer_unit": "靖港镇第2排查小组",
    "reviewer_sign": "刘湘文", "survey_date": "2020-04-13",
}


def test_the_schemas_are_draft_2020_12() -> None:
    """The schema of each bundled form (and of a form with every kind of jump) is a valid draft
    2020-12 schema, and survives JSON."""
    for form in (*FORMS.values(), JUMPY_FORM):
        schema = record_schema(form)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
        assert json.loads(json.dumps(schema, allow_nan=False)) == schema
        assert schema["additionalProperties"] is False
        warns = any(c.severity == "warning" for c in form.checks)
        assert set(schema["properties"]) == {q.id for q in form.questions} | (
            {"_meta"} if warns else set())  # acknowledged warnings (docs/versions.md)


def test_the_record_of_the_guide_passes() -> None:
    """A valid annex 6 record, and its canonical record, pass the schema."""
    report = FORMS["annex6"].validate(VALID6)
    assert report.ok, report.violations
    assert _passes(VALIDATORS["annex6"], VALID6)
    assert _passes(VALIDATORS["annex6"], report.record)


@pytest.mark.parametrize("name", BUNDLED)
def test_generated_valid_records_pass(name: str) -> None:
    """Records that honour every jump and pass every check, and their canonical records, pass
    the schema of their form."""
    form, validator = FORMS[name], VALIDATORS[name]

    @QUICK
    @given(records(form))
    def check(record: dict[str, Any]) -> None:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record, errors)
        canonical = form.validate(record).record
        assert _passes(validator, canonical), canonical
        with_nulls = _with_nulls(form, record)  # a question not asked is absent, or null
        assert form.validate(with_nulls).ok and _passes(validator, with_nulls), with_nulls

    check()


@QUICK
@given(st.data())
def test_generated_records_of_every_kind_of_jump_pass(data: st.DataObject) -> None:
    """On a form with `in`, `selected`, ordering and end jumps, valid records pass, and records
    the schema refuses are invalid."""
    record = data.draw(records(JUMPY_FORM))
    assert _passes(JUMPY_VALIDATOR, record), record
    with_nulls = _with_nulls(JUMPY_FORM, record)
    assert JUMPY_FORM.validate(with_nulls).ok and _passes(JUMPY_VALIDATOR, with_nulls), with_nulls
    any_record = data.draw(records(JUMPY_FORM, valid=False))
    if not _passes(JUMPY_VALIDATOR, any_record):
        assert not JUMPY_FORM.validate(any_record).ok, any_record


def _changed(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(record)
    for key, value in changes.items():
        if value is _DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


_DROP = object()
#: one of each kind of invalid record JSON Schema can express, with what validate calls it
INVALID6: list[tuple[str, dict[str, Any], str]] = [
    ("text for a number", {"household_size": "4"}, "type"),
    ("entered text for a code", {"q2": "①"}, "type"),
    ("a boolean for a code", {"q2": True}, "type"),
    ("a number for a text", {"county": 12}, "type"),
    ("a code for a multiple choice", {"q11_1": 1}, "type"),
    ("text in a multiple choice", {"q11_1": ["1"]}, "type"),
    ("an unknown code", {"q2": 7}, "choice"),
    ("an unknown code in a multiple choice", {"q11_1": [1, 9]}, "choice"),
    ("a fraction for a whole number", {"household_size": 2.5}, "type"),
    ("below the minimum", {"household_size": 0}, "range"),
    ("above the maximum", {"exit_year": 2030}, "range"),
    ("negative money", {"q1_2": -1}, "range"),
    ("beyond the numeric domain", {"q1_2": 10**16}, "range"),
    ("an extra key", {"q99": 1}, "unknown_question"),
    ("a duplicate code in a multiple choice", {"q11_1": [1, 1]}, "duplicate"),
    ("a date not ISO", {"survey_date": "2020-4-13"}, "format"),
    ("a date that does not exist", {"survey_date": "2020-02-30"}, "format"),
    ("an id number too short", {"id_number": "43012219670111291"}, "format"),
    ("an id number with a bad birth date", {"id_number": "430122196702302912"}, "format"),
    ("a text too long", {"county": "x" * 10001}, "length"),
    ("a blank required text", {"county": "   "}, "required"),
    ("a required question null", {"county": None}, "required"),
    ("a required question missing", {"county": _DROP}, "required"),
    ("required-when-asked missing", {"q4": 1, "q4_1": _DROP}, "required"),
    ("required-when-asked null", {"q4": 1, "q4_1": None}, "required"),
    ("required-when-asked, the second jump", {"q4": 1, "q4_1": 2, "q4_2": _DROP}, "required"),
    ("a required multiple choice left empty", {"q11_1": []}, "required"),
    ("a skipped question answered", {"q4_1": 1}, "not_asked"),
    ("a question skipped by the second of two jumps answered",
     {"q8": 1, "q8_1": 1, "q8_2": 1, "q8_3": 1, "q8_5": 1}, "not_asked"),
    ("a question skipped by a later question's jump answered",
     {"q12": 1, "q12_1": [1], "q12_2": 2, "q12_3": 1}, "not_asked"),
]


@pytest.mark.parametrize(("what", "changes", "rule"), INVALID6, ids=[w for w, _c, _r in INVALID6])
def test_each_kind_of_invalid_record_fails(what: str, changes: dict[str, Any], rule: str) -> None:
    """The schema refuses the record, and validate reports it with the built-in rule."""
    record = _changed(VALID6, changes)
    assert not _passes(VALIDATORS["annex6"], record), what
    assert rule in {v.rule for v in FORMS["annex6"].validate(record).errors}, what


def test_records_the_schema_cannot_judge_pass_it() -> None:
    """What JSON Schema cannot say is left to validate: a check comparing answers, too many
    decimals, an id number's check digit (listed in $comment)."""
    schema = record_schema(FORMS["annex6"])
    for changes, rule in [({"q15_1b": 5000}, "subsidy_le_loan"),
                          ({"q1_2": 400.001, "q1_total": 32900.001}, "decimals"),
                          ({"id_number": "430122196701112913"}, "format")]:
        record = _changed(VALID6, changes)
        assert _passes(VALIDATORS["annex6"], record)
        assert rule in {v.rule for v in FORMS["annex6"].validate(record).errors}
    for said in ("subsidy_le_loan", "decimals", "check digit"):
        assert said in schema["$comment"]


def test_spellings_of_entered_text_are_refused() -> None:
    """The schema is of canonical records: white space around a date, a lower-case x, blank
    text for no answer pass validate (as entered text would) but not the schema, and the
    canonical record validate gives back passes both."""
    for changes in ({"survey_date": " 2020-04-13\n"}, {"proxy_note": ""},
                    {"id_number": "11010519491231002x"}):
        record = _changed(VALID6, changes)
        report = FORMS["annex6"].validate(record)
        assert report.ok, changes
        assert not _passes(VALIDATORS["annex6"], record), changes
        assert _passes(VALIDATORS["annex6"], report.record), changes


def test_required_when_asked_is_an_if_then() -> None:
    """A single jump `q4 == ②` over q4_1 reads: if q4 is 2, q4_1 has no answer; else it has one."""
    rules = record_schema(FORMS["annex6"])["allOf"]
    rule = next(r for r in rules if "q4_1" in r["then"]["properties"])
    assert rule["if"] == {"properties": {"q4": {"const": 2}}, "required": ["q4"]}
    assert rule["then"]["properties"]["q4_1"] == {"type": "null"}
    assert rule["else"]["required"] == ["q4_1"]


def test_the_jumps_it_cannot_say_are_named() -> None:
    """A jump that reads another question leaves the questions it skips unconstrained, and the
    schema's $comment names them; the others are said."""
    schema = record_schema(JUMPY_FORM)
    said = {q for r in schema["allOf"] for part in ("then", "else") if part in r
            for q in r[part].get("properties", {})}
    assert "d_1" not in said and "d_1" in schema["$comment"]
    assert {"b", "c", "d", "h"} <= said
    record = {"a": 1, "b": [2], "c": 5, "d": 0, "d_1": None, "e": "2020-01-01", "g": 1, "h": 0,
              "sign": "x"}
    assert JUMPY_FORM.validate(record).ok
    assert _passes(JUMPY_VALIDATOR, record)


def test_date_bounds_are_patterns() -> None:
    """A date's min and max hold as patterns, one day either side."""
    validator = JUMPY_VALIDATOR
    base = {"a": 2, "c": 11, "e": "2019-06-15", "g": 1, "h": 0, "sign": "x"}
    assert JUMPY_FORM.validate(base).ok and _passes(validator, base)
    for day, ok in [("2019-06-14", False), ("2019-06-15", True), ("2021-03-31", True),
                    ("2021-04-01", False), ("2020-12-31", True), ("2019-05-20", False)]:
        record = {**base, "e": day}
        assert _passes(validator, record) is ok, day
        assert JUMPY_FORM.validate(record).ok is ok, day


def test_the_date_pattern_is_the_calendar() -> None:
    """The date pattern takes exactly the real dates of years 0001-9999 (leap years included)."""
    pattern = re.compile(DATE_PATTERN)
    samples = [f"{y:04d}-{m:02d}-{d:02d}" for y in (0, 1, 4, 100, 400, 1900, 2000, 2019, 2020,
                                                  2100, 9999)
               for m in (0, 1, 2, 4, 12, 13) for d in (0, 1, 28, 29, 30, 31, 32)]
    for text in samples:
        assert bool(pattern.search(text)) is is_iso_date(text), text


def test_the_id_number_pattern_is_the_birth_date() -> None:
    """The id number pattern agrees with GB 11643 on everything but the check digit."""
    pattern = re.compile(ID_NUMBER_PATTERN)
    for birth in ("19670111", "20000229", "19000229", "19670230", "00000101", "19671301"):
        for last in "0X":
            text = f"430122{birth}291{last}"
            why = check_id_number(text)
            assert bool(pattern.search(text)) is (why in (None, "id_check_digit")), text


def test_blank_is_what_python_calls_white_space() -> None:
    """The white space the pattern refuses is exactly str.isspace's."""
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    pattern = re.compile(NON_BLANK)
    assert not pattern.search(" \t\u3000\n") and pattern.search(" x ")


def test_the_command_writes_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    """`qengine export FORM --format record-schema` prints the schema, or writes it with -o."""
    assert main(["export", "annex7", "--format", "record-schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == record_schema(FORMS["annex7"])
    out = tmp_path / "annex7.schema.json"
    assert main(["export", "annex7", "--format", "record-schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text("utf-8")) == printed


def test_the_python_blocks_of_the_export_guide_run() -> None:
    """Each ```python block of docs/export.md runs from the repository root, and prints what the
    ```text block after it shows."""
    text = (ROOT / "docs" / "export.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```(?:\n\n```text\n(.*?)```)?", text, re.S)
    assert len(blocks) >= 3 and all(shown for _code, shown in blocks)
    for n, (code, shown) in enumerate(blocks):
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                                text=True, encoding="utf-8", timeout=120)
        assert result.returncode == 0, f"docs/export.md block {n}:\n{result.stderr[-2000:]}"
        assert result.stdout == shown, f"docs/export.md block {n}"


def test_a_record_with_acknowledged_warnings_passes() -> None:
    """What Interview.submit writes under _meta passes; a reason for no warning does not."""
    form = FORMS["annex6"]
    schema = record_schema(form)
    warning = next(c.id for c in form.checks if c.severity == "warning")
    ok = {"_meta": {"acknowledged": {warning: "村委核实"}}}
    jsonschema.validate(ok["_meta"], schema["properties"]["_meta"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"acknowledged": {"no_such_check": "x"}}, schema["properties"]["_meta"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"acknowledged": {warning: ""}}, schema["properties"]["_meta"])
