"""Hostile values at the runtime: the numeric domain, huge and deep values, aliasing, bad text."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import pytest

import qengine
from qengine.errors import FORM_CODES, MESSAGES

ANNEX6 = qengine.load("annex6")
ANNEX5 = qengine.load("annex5")


def _at(form: qengine.Form, qid: str) -> qengine.Interview:
    """An interview of ``form`` advanced to ``qid`` with plain answers."""
    from qengine.testing import interview_path  # noqa: F401  (public helpers exist; walk by hand)

    iv = form.start()
    plain = {"text": "x", "id_number": "11010519491231002X", "date": "2020-05-01"}
    while iv.current is not None and iv.current.id != qid:
        q = iv.current
        value = q.choices[0].code if q.type == "single" else [q.choices[0].code] if (
            q.type == "multiple") else plain.get(q.type, q.min if q.min is not None else 1)
        iv.answer(value)
    return iv


def test_integers_beyond_float_range_are_range_violations() -> None:
    """validate() with 10**400 (a per-capita division) reports range, never OverflowError."""
    report = ANNEX6.validate({"q1_total": 10**400, "q1_1a": 0, "q1_1b": 0, "q1_2": 0, "q1_3": 0})
    assert ("range", ("q1_total",)) in [(v.rule, v.questions) for v in report.errors]
    assert ANNEX6.path({"household_size": 10**400})
    assert ANNEX6.validate({"q1_per_capita": 10**400}).warnings == ()


def test_the_cli_validates_a_400_digit_integer_without_a_traceback() -> None:
    """qengine validate on a record with a 400-digit integer prints a range violation, exit 0."""
    line = json.dumps({"household_size": 10**400}) + "\n"
    out = subprocess.run([sys.executable, "-m", "qengine", "validate", "annex6", "-"], input=line,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert json.loads(out.stdout.splitlines()[0])["errors"][0]["rule"] in ("range", "required")


@pytest.mark.parametrize("value", [10**5000, -(10**5000), 10**16, Decimal("1E+1000000"),
                                   Decimal("1E+10000000"), "1" * 5000, float("inf"),
                                   Decimal("NaN"), "1e400"],
                         ids=["1e5000", "-1e5000", "1e16", "D1e1000000", "D1e10000000", "5000 ones",
                              "inf", "DNaN", "text 1e400"])
def test_huge_numbers_are_refused_as_answers_quickly(value: Any) -> None:
    """An answer far beyond the domain is an AnswerError at once; the interview is unchanged."""
    iv = _at(ANNEX6, "household_size")
    before = iv.state
    start = time.process_time()
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(value)
    assert time.process_time() - start < 5  # a hang would be minutes; this is no timing test
    assert info.value.code in ("range", "type")
    assert iv.state == before
    assert len(str(info.value)) < 300
    json.dumps(iv.snapshot(), allow_nan=False)


def test_a_jump_comparing_numbers_takes_huge_values() -> None:
    """annex5 i23 == 0 (a jump) with an out-of-range answer: AnswerError, nothing changes."""
    iv = _at(ANNEX5, "i23")
    before = iv.state
    with pytest.raises(qengine.AnswerError):
        iv.answer(10**400)
    assert iv.state == before


def test_deeply_nested_values_give_short_messages() -> None:
    """An answer, a record value, a goto() target nested 5,000 deep: qengine errors, short text."""
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    iv = _at(ANNEX6, "q6_1")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(deep)
    assert len(str(info.value)) < 300
    report = ANNEX6.validate({"q6_1": deep, "county": deep})
    assert {v.rule for v in report.errors} >= {"type"}
    with pytest.raises(qengine.AnswerError):
        iv.goto(deep)
    snapshot = iv.snapshot()
    snapshot["answers"]["q2"] = deep
    with pytest.raises(qengine.SnapshotError):
        ANNEX6.resume(snapshot)


def test_nothing_handed_out_aliases_the_interview() -> None:
    """Mutating what snapshot(), state, kept, answers and submit() return changes nothing."""
    iv = _at(ANNEX6, "q6_1")
    iv.answer([1, 2])
    frozen = iv.state
    iv.snapshot()["answers"]["q6_1"].append(3)
    iv.kept["q6_1"].append(3)
    iv.answers["q6_1"].append(3)
    assert iv.state == frozen
    assert iv.state.answers["q6_1"] == (1, 2)
    iv.back()
    assert iv.suggested() == [1, 2]
    iv.suggested().append(4)
    assert iv.suggested() == [1, 2]
    report = ANNEX6.validate({"q6_1": [1, 2]})
    report.record.get("q6_1", []).append(9)
    assert report.record.get("q6_1") in (None, [1, 2])


def test_lone_surrogates_are_refused() -> None:
    """Text with a lone surrogate is refused, so every snapshot can be encoded as UTF-8."""
    iv = ANNEX6.start()
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer("\ud800")
    assert info.value.code == "format"
    assert ANNEX6.validate({"county": "\udcff"}).errors[0].rule == "format"


def test_a_snapshot_needs_its_format_number() -> None:
    """{"qengine_snapshot": true} is not a snapshot (True is not the format number 1)."""
    snap = ANNEX6.start().snapshot()
    snap["qengine_snapshot"] = True
    with pytest.raises(qengine.SnapshotError) as info:
        ANNEX6.resume(snap)
    assert info.value.code == "not_a_snapshot"


def test_params_beyond_the_domain_are_param_errors() -> None:
    """A param override of 10**400, NaN or inf is a ParamError, never an OverflowError later."""
    for bad in (10**400, float("nan"), float("inf"), True, "4000"):
        with pytest.raises(qengine.ParamError) as info:
            ANNEX6.start(params={"income_line": bad})
        assert info.value.code == "param_type"
    with pytest.raises(qengine.ParamError) as info:
        ANNEX6.start(params={"no_such": 1})
    assert info.value.code == "unknown_param"


def test_every_runtime_message_has_zh_and_en() -> None:
    """The catalogue gives every message and every form code in zh and in en."""
    for key, texts in {**MESSAGES, **FORM_CODES}.items():
        assert set(texts) >= {"zh", "en"}, key
        assert all(texts.values()), key


def test_built_in_violations_speak_the_forms_languages() -> None:
    """A required violation carries zh and en messages; message is in the first language."""
    report = ANNEX6.validate({})
    v = report.errors[0]
    assert v.rule == "required" and set(v.messages) == {"zh", "en"}
    assert v.message == v.messages["zh"]
    assert "county" in v.messages["en"]


def test_violation_codes_used_by_the_runtime_are_catalogued() -> None:
    """Every rule a built-in violation or answer error can carry is in the catalogue."""
    import ast
    from pathlib import Path

    src = Path(qengine.__file__).parent
    keys: set[str] = set()
    for module in [*src.glob("runtime/*.py")]:
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AnswerError"
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                keys.add(node.args[1].value)
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "violation"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                keys.add(node.args[0].value)
    assert keys, "found no message keys"
    missing = {k for k in keys if k not in MESSAGES and k.split(".")[0] not in MESSAGES}
    assert not missing


def test_form_codes_used_by_the_compiler_are_catalogued() -> None:
    """Every code a form definition can be refused with is listed in FORM_CODES."""
    import ast
    from pathlib import Path

    src = Path(qengine.__file__).parent
    codes: set[str] = set()
    for module in src.rglob("*.py"):
        if module.name == "machine.py":  # its problems all have the code "machine"
            continue
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("fail", "warn")
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str)):
                codes.add(node.args[1].value)
    assert {"unknown_target", "schema", "yaml_syntax"} <= codes
    assert codes - set(FORM_CODES) == set()


def test_question_to_dict_says_hints() -> None:
    """Question.to_dict() names its hints "hints", as the attribute does."""
    q = next(q for q in ANNEX6.questions if q.hints) if any(
        q.hints for q in ANNEX6.questions) else None
    if q is not None:
        assert "hints" in q.to_dict() and "hint" not in q.to_dict()
    assert "hint" not in ANNEX6.questions[0].to_dict()
