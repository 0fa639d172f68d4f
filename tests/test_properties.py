"""Invariants that hold for every form, checked with hypothesis on the bundled forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.testing import answers, interview_path, records

FORMS = ["annex6", "annex7", "annex5"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_loaded: dict[str, qengine.Form] = {}


def form_named(name: str) -> qengine.Form:
    if name not in _loaded:
        _loaded[name] = qengine.load(name) if name != "mini" else qengine.load(
            "examples/household_mini.yaml")
    return _loaded[name]


@pytest.mark.parametrize("name", FORMS)
def test_path_equals_interview_and_asked_conditions(name: str) -> None:
    """path(record) == what an interview asks == what the asked-conditions say."""
    form = form_named(name)

    @SETTINGS
    @given(records(form, valid=False))
    def check(record: dict[str, Any]) -> None:
        path = form.path(record)
        assert path == interview_path(form, record)
        asked = form.evaluate_asked(record)
        assert [q for q in path] == [q.id for q in form.questions
                                      if asked[q.id] and not q.computed]

    check()


@pytest.mark.parametrize("name", FORMS)
def test_generated_records_validate_and_submit(name: str) -> None:
    """Records that honour jumps and checks validate clean, and an interview submits them."""
    form = form_named(name)

    @SETTINGS
    @given(records(form))
    def check(record: dict[str, Any]) -> None:
        report = form.validate(record)
        assert report.ok, report.errors
        iv = form.start()
        while not iv.finished:
            iv.answer(record.get(iv.current.id))  # type: ignore[union-attr]
        submitted = iv.submit()
        assert {k: v for k, v in submitted.items() if not form.question(k).computed} == {
            k: v for k, v in record.items()}
        assert form.validate(submitted).ok

    check()


@pytest.mark.parametrize("name", FORMS)
def test_snapshot_resume_at_any_step(name: str) -> None:
    """At every step, resume(snapshot) rebuilds exactly the same state (through JSON)."""
    form = form_named(name)

    @SETTINGS
    @given(records(form, valid=False), st.data())
    def check(record: dict[str, Any], data: st.DataObject) -> None:
        iv = form.start()
        while not iv.finished:
            snap = json.loads(json.dumps(iv.snapshot(), ensure_ascii=False))
            again = form.resume(snap)
            assert again.state == iv.state
            assert again.violations == iv.violations
            if iv.can_back and data.draw(st.booleans(), label="back"):
                iv.back()
                iv.forward()
                continue
            iv.answer(record.get(iv.current.id))  # type: ignore[union-attr]

    check()


@pytest.mark.parametrize("name", FORMS)
def test_back_then_same_answer_is_identity(name: str) -> None:
    """Going back n steps and re-giving the same answers restores the state."""
    form = form_named(name)

    @SETTINGS
    @given(records(form, valid=False), st.integers(0, 200), st.integers(1, 6))
    def check(record: dict[str, Any], stop: int, depth: int) -> None:
        iv = advanced(form, record, stop)
        before = iv.state
        steps = 0
        while steps < depth and iv.back() is not None:
            steps += 1
        for _ in range(steps):
            iv.answer(iv.suggested())
        assert iv.state == before

    check()


def advanced(form: qengine.Form, record: dict[str, Any], steps: int) -> qengine.Interview:
    """An interview moved up to ``steps`` questions along ``record`` (less if it finishes)."""
    iv = form.start()
    for _ in range(steps):
        if iv.finished:
            break
        iv.answer(record.get(iv.current.id))  # type: ignore[union-attr]
    return iv


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=8)


@pytest.mark.parametrize("name", FORMS)
def test_validate_never_raises_on_arbitrary_json(name: str) -> None:
    """validate() answers any JSON-like record with a report, never an exception."""
    form = form_named(name)
    ids = [q.id for q in form.questions]

    @settings(max_examples=150, deadline=None)
    @given(st.one_of(JSONISH, st.dictionaries(st.sampled_from(ids) | st.text(max_size=4),
                                              JSONISH, max_size=12)))
    def check(record: Any) -> None:
        report = form.validate(record)
        assert isinstance(report, qengine.Report)
        json.dumps(report.to_dict(), allow_nan=True)
        form.path(record if isinstance(record, dict) else {})

    check()


@pytest.mark.parametrize("name", FORMS)
def test_answer_either_accepts_or_refuses_cleanly(name: str) -> None:
    """Any JSON value given to answer() is accepted or refused with AnswerError, state intact."""
    form = form_named(name)

    @settings(max_examples=100, deadline=None)
    @given(records(form, valid=False), st.integers(0, 60), JSONISH)
    def check(record: dict[str, Any], stop: int, junk: Any) -> None:
        iv = advanced(form, record, stop)
        before = iv.state
        try:
            iv.answer(junk)
        except qengine.AnswerError:
            assert iv.state == before

    check()


@pytest.mark.parametrize("name", FORMS)
def test_answers_strategy_gives_accepted_answers(name: str) -> None:
    """Every answer that answers(question) draws is accepted by that question."""
    form = form_named(name)
    asked = [q for q in form.questions if not q.computed]

    @settings(max_examples=60, deadline=None)
    @given(st.sampled_from(asked).flatmap(lambda q: st.tuples(st.just(q), answers(q))))
    def check(pair: tuple[qengine.Question, Any]) -> None:
        q, value = pair
        coerced = form.steps[q.index].entered(value)
        assert coerced == value or (coerced is None and value == [])

    check()
