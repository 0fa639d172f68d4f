"""Acknowledged warnings and the audit trail of an interview.

A warning never blocks, but a check may say ``acknowledge: required``: then submission needs a
reason for it (the seed's item 11, "应警告提示，但允许通过审核", where the office wants to know why
a household was let through). The reasons travel in the record under ``_meta``, which validate reads
and checks. The interview keeps events with times from an injectable clock.
"""

from __future__ import annotations

import itertools

import pytest

import qengine
from qengine.runtime.events import MAX_EVENTS
from tests.conftest import form_yaml

FORM = form_yaml("""\
    - {id: a, label: A, type: integer}
    - {id: b, label: B, type: integer}
    """, checks="""\
    - {id: big, severity: warning, acknowledge: required, when: "a > 10", message: big}
    - {id: odd, severity: warning, when: "b > 10", message: odd}
    - {id: neg, severity: error, when: "b < 0", message: neg}
    """)


@pytest.fixture()
def form() -> qengine.Form:
    return qengine.load_text(FORM)


def ticking() -> object:
    counter = itertools.count()
    return lambda: f"2026-12-02T00:00:{next(counter):02d}Z"


def test_a_required_acknowledgement_blocks_submission_until_given(form: qengine.Form) -> None:
    iv = form.start(clock=ticking())
    iv.answer(20)
    iv.answer(30)
    with pytest.raises(qengine.SubmitError) as info:
        iv.submit()
    assert info.value.code == "unacknowledged"
    assert [v.rule for v in info.value.violations] == ["big"]
    iv.acknowledge("big", "村干部核实：务工收入另计")
    record = iv.submit()
    assert record == {"a": 20, "b": 30, "_meta": {"acknowledged": {"big": "村干部核实：务工收入另计"}}}
    assert form.validate(record).ok
    assert [v.rule for v in form.validate(record).warnings] == ["big", "odd"]


def test_only_a_warning_that_holds_takes_a_reason(form: qengine.Form) -> None:
    iv = form.start()
    iv.answer(1)
    for rule, reason, key in (("big", "x", "acknowledge.not_holding"),
                              ("neg", "x", "acknowledge.unknown"),
                              ("nope", "x", "acknowledge.unknown"),
                              ("big", "  ", "acknowledge.reason"),
                              ("big", "x" * 1001, "acknowledge.reason")):
        with pytest.raises(qengine.AnswerError) as info:
            iv.acknowledge(rule, reason)
        assert info.value.key == key
    assert iv.acknowledged == {}


def test_an_acknowledgement_of_a_warning_that_stopped_holding_is_not_submitted(
        form: qengine.Form) -> None:
    iv = form.start()
    iv.answer(20)
    iv.acknowledge("big", "checked")
    iv.back()
    iv.answer(5)
    iv.answer(1)
    assert iv.submit() == {"a": 5, "b": 1}


def test_validate_reads_and_checks_meta(form: qengine.Form) -> None:
    bare = form.validate({"a": 20, "b": 1})
    assert bare.ok and [v.rule for v in bare.warnings] == ["big", "unacknowledged"]
    for meta, why in (([], "only key"), ({"acknowledged": {"neg": "x"}}, "not a warning"),
                      ({"acknowledged": {"big": ""}}, "1 to 1000"), ({"other": 1}, "only key")):
        report = form.validate({"a": 20, "b": 1, "_meta": meta})
        assert [v.rule for v in report.errors] == ["bad_meta"]
        assert why in report.errors[0].messages["en"]
    form.prepare()
    record = {"a": 20, "b": 1, "_meta": {"acknowledged": {"big": "ok"}}}
    assert form.validate(record).to_dict() == form.interpret(record).to_dict()


def test_an_error_cannot_ask_for_a_reason() -> None:
    text = FORM.replace("severity: error, when", "severity: error, acknowledge: required, when")
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(text)
    assert [p.code for p in info.value.problems] == ["bad_acknowledge"]


def test_the_trail_records_each_move_with_the_clock(form: qengine.Form) -> None:
    iv = form.start(clock=ticking())
    iv.answer(20)
    iv.back()
    iv.answer(30)
    iv.answer(1)
    iv.acknowledge("big", "checked")
    iv.submit()
    assert [(e["event"], e["at"][-3:-1], e.get("question"), e.get("value"))
            for e in iv.events] == [
        ("answered", "00", "a", 20), ("went_back", "01", "a", None),
        ("changed", "02", "a", 30), ("answered", "03", "b", 1),
        ("acknowledged", "04", None, None), ("submitted", "05", None, None)]
    again = form.resume(iv.snapshot(), clock=lambda: "later")
    assert again.acknowledged == {"big": "checked"}
    assert again.events[-1] == {"event": "resumed", "at": "later", "version": "1"}


def test_the_trail_is_bounded(form: qengine.Form) -> None:
    iv = form.start(clock=lambda: "t")
    for _ in range(MAX_EVENTS):
        iv.answer(1)
        iv.back()
    assert len(iv.events) == MAX_EVENTS
    with pytest.raises(TypeError, match="clock"):
        form.start(clock="noon")  # type: ignore[arg-type]


def test_a_failing_clock_changes_nothing_and_keep_refuses_confirmed_answers(
        form: qengine.Form) -> None:
    iv = form.start(clock=lambda: 12)  # no text, no datetime
    before = iv.state
    with pytest.raises(TypeError, match="the clock gave int"):
        iv.answer(2)
    assert iv.state == before and iv.events == []
    iv = form.start()
    iv.answer(1)
    with pytest.raises(qengine.AnswerError) as info:
        iv.keep({"a": 2})
    assert info.value.key == "keep.confirmed" and iv.answers == {"a": 1}


def test_a_resume_may_leave_the_trail_alone(form: qengine.Form) -> None:
    iv = form.start(clock=lambda: "t")
    iv.answer(1)
    quiet = form.resume(iv.snapshot(), resumed_event=False)
    assert [e["event"] for e in quiet.events] == ["answered"]
    assert [e["event"] for e in form.resume(iv.snapshot()).events] == ["answered", "resumed"]
