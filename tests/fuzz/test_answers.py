"""Surface: answers, through iv.answer on every question type of the bundled forms."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import strategies as st

import qengine
from qengine.testing import answers as valid_answers

from .contract import (
    BUNDLED,
    ROOT,
    HostileInt,
    HostileStr,
    bundled,
    escapes_only_qengine_errors,
    fuzz,
    handouts_do_not_alias,
    hostile,
    run_bounded,
    snapshot_round_trips,
)


@st.composite
def interviews(draw: st.DrawFn) -> tuple[object, object]:
    """A bundled form and an interview some valid answers into it (so every question type comes up)."""
    form = bundled(draw(st.sampled_from(BUNDLED)))
    iv = form.start()
    for _ in range(draw(st.integers(0, 60))):
        if iv.finished:
            break
        try:
            iv.answer(draw(valid_answers(iv.current)))
        except qengine.AnswerError:
            break
        if draw(st.integers(0, 9)) == 0 and iv.can_back:
            iv.back()
    return form, iv


@fuzz("answers", 150, pair=interviews(), value=hostile)
def test_a_hostile_answer_is_refused_cleanly_or_accepted_soundly(pair: tuple, value: object) -> None:
    """answer(hostile) raises only AnswerError and then changes nothing; accepted, it survives JSON."""
    form, iv = pair
    value = value.value
    before, snap = iv.state, iv.snapshot()
    _, exc = escapes_only_qengine_errors(lambda: iv.answer(value))
    if exc is not None:
        assert isinstance(exc, qengine.AnswerError), type(exc)
        assert iv.state == before and iv.snapshot() == snap
    json.dumps(iv.snapshot(), allow_nan=False)
    snapshot_round_trips(form, iv)
    handouts_do_not_alias(iv)


@fuzz("answers", 60, pair=interviews(), target=hostile)
def test_goto_anything_is_not_in_history_or_a_move(pair: tuple, target: object) -> None:
    """goto(hostile) raises only AnswerError, and then changes nothing."""
    _, iv = pair
    target = target.value
    before = iv.state
    _, exc = escapes_only_qengine_errors(lambda: iv.goto(target))
    if exc is not None:
        assert isinstance(exc, qengine.AnswerError) and iv.state == before


@fuzz("answers", 30, pair=interviews(), data=st.data())
def test_submit_hands_out_a_copy(pair: tuple, data: st.DataObject) -> None:
    """Finishing with valid answers, then mutating what submit() returns, changes nothing."""
    _, iv = pair
    while not iv.finished:
        q = iv.current
        try:
            iv.forward() if q.id in iv.kept else iv.answer(data.draw(valid_answers(q)))
        except qengine.AnswerError:
            return
    record, exc = escapes_only_qengine_errors(iv.submit)
    if record is None:
        assert isinstance(exc, qengine.SubmitError)
        return
    kept = copy.deepcopy(record)
    for v in record.values():
        if isinstance(v, list):
            v.append(999)
    record.clear()
    assert iv.submit() == kept


# -- bounded cases ---------------------------------------------------------------------------------
BOUND = """
import decimal, json
SAMPLE = json.loads(open("examples/annex6-sample.jsonl", encoding="utf-8").readline())
form = qengine.load(FORM)
iv = form.start()
while iv.current.type != TYPE:
    iv.answer(SAMPLE[iv.current.id])
before = iv.state
try:
    iv.answer(VALUE)
except qengine.AnswerError as exc:
    str(exc)
    assert iv.state == before
"""
BOUNDED = {
    "decimal_1e1000000": ("integer", 'decimal.Decimal("1E+1000000")'),
    "decimal_1e1000000_money": ("money", 'decimal.Decimal("-1E+1000000")'),
    "int_10_5000": ("integer", "10**5000"),
    "int_10_5000_number": ("money", "-(10**5000)"),
    "digits_1e6_text": ("integer", '"9" * 1000000'),
    "exponent_text": ("money", '"1e999999999"'),
    "huge_text": ("text", '"字" * 1000000'),
    "nested_100000_multiple": ("multiple", "nested(100000)"),
    "nested_100000_text": ("text", "nested(100000, 'a')"),
    "long_multiple_1e6": ("multiple", '"①" * 1000000'),
    "codes_list_1e6": ("multiple", "[1] * 1000000"),
    "id_number_1e6": ("id_number", '"4" * 1000000'),
    "date_1e6": ("date", '"2020-01-01" * 100000'),
    "single_digits_1e6": ("single", '"1" * 1000000'),
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bounded_hostile_answers(case: str) -> None:
    """Huge numbers, texts and nestings are refused (or taken) in bounded time and memory."""
    qtype, value = BOUNDED[case]
    run_bounded(f"FORM = 'annex6'\nTYPE = {qtype!r}\nVALUE = {value}\n" + BOUND)


SAMPLE = json.loads((ROOT / "examples" / "annex6-sample.jsonl").read_text("utf-8").splitlines()[0])


@pytest.mark.parametrize(("qid", "value"), [("county", HostileStr("望城区")),
                                            ("household_size", HostileInt(4))],
                         ids=["str_subclass", "int_subclass"])
def test_finding_hostile_subclass_answer(qid: str, value: object) -> None:
    """A str/int subclass whose methods raise is taken as its plain value (no method of it runs),
    the same as the plain value would be; in a record too."""
    form = bundled("annex6")
    iv, twin = form.start(), form.start()
    while iv.current.id != qid:
        iv.answer(SAMPLE[iv.current.id])
        twin.answer(SAMPLE[twin.current.id])
    iv.answer(value)
    twin.answer(str.__str__(value) if isinstance(value, str) else int.__int__(value))
    assert iv.state == twin.state
    assert type(iv.kept[qid]) in (str, int)
    record = {**SAMPLE, qid: value}
    for _ in range(5):  # the interpreter, then the generated validator
        assert form.validate(record).to_dict() == form.validate({**SAMPLE, qid: iv.kept[qid]}).to_dict()
