"""The interview state machine: answer, back, forward, kept answers, submit, snapshot/resume."""

from __future__ import annotations

import json

import pytest

import qengine


def run(form: qengine.Form, *answers: object) -> qengine.Interview:
    iv = form.start()
    for a in answers:
        iv.answer(a)
    return iv


def test_answers_move_through_the_jumps(jumpy: qengine.Form) -> None:
    """The next question follows the jumps; finished at the end."""
    iv = jumpy.start()
    assert iv.current is not None and iv.current.id == "a"
    assert iv.answer("②") is not None and iv.current.id == "c"
    iv.answer([1, 3])
    assert iv.current.id == "sign"
    iv.answer("张三")
    assert iv.finished and iv.current is None
    assert iv.submit() == {"a": 2, "c": [1, 3], "sign": "张三"}


def test_refused_answer_changes_nothing(jumpy: qengine.Form) -> None:
    """A bad answer raises AnswerError and the state is exactly as before."""
    iv = run(jumpy, 1)
    before = iv.state
    for bad in (-1, "x", None, True, [1]):
        with pytest.raises(qengine.AnswerError):
            iv.answer(bad)
        assert iv.state == before


def test_optional_blank_and_required_blank(jumpy: qengine.Form) -> None:
    """None leaves an optional question blank and is refused for a required one."""
    iv = run(jumpy, 1, 5, [1], 50)
    assert iv.current is not None and iv.current.id == "e"
    iv.answer(None)
    assert iv.answers["e"] is None
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(None)
    assert info.value.code == "required"


def test_back_keeps_answers_and_forward_reuses_them(jumpy: qengine.Form) -> None:
    """back() returns to the previous question; its answer is kept and offered again."""
    iv = run(jumpy, 1, 5)
    assert iv.back() is not None and iv.current.id == "b"
    assert iv.suggested() == 5
    assert iv.answers["b"] == 5
    iv.forward()
    assert iv.current is not None and iv.current.id == "c"
    iv.back()
    iv.back()
    assert iv.current.id == "a" and iv.back() is None and iv.current.id == "a"


def test_changed_answer_hides_and_restores_later_answers(jumpy: qengine.Form) -> None:
    """Answers that a change makes unasked leave the record but come back on change back."""
    iv = run(jumpy, 1, 5, [1], 50, "note", 2, "张三")
    iv.goto("a")
    iv.answer(2)  # skip b
    assert "b" not in iv.answers and iv.kept["b"] == 5
    iv.back()
    iv.answer(1)
    assert iv.answers["b"] == 5


def test_same_answer_after_back_gives_the_same_state(jumpy: qengine.Form) -> None:
    """back() then the same answer restores the exact state."""
    iv = run(jumpy, 1, 5, [1])
    before = iv.state
    iv.back()
    iv.answer([1])
    assert iv.state == before


def test_errors_block_submit_and_warnings_do_not(mini: qengine.Form) -> None:
    """SubmitError carries the error violations; a warning alone never blocks."""
    iv = run(mini, "张三", 3, 3000, 2, 1)
    assert [v.rule for v in iv.warnings] == ["low_income"]
    with pytest.raises(qengine.SubmitError) as info:
        iv.submit()
    assert "not finished" in str(info.value)
    iv.answer("2020-04-15")
    record = iv.submit()
    assert record["q1_per_capita"] == 1000


def test_error_check_blocks_submission() -> None:
    """An error-severity check that holds refuses submit(), with its violation attached."""
    form = qengine.load_text("""
form: e
version: "1"
title: E
sections:
  - id: s
    questions:
      - {id: loan, label: Loan, type: money}
      - id: subsidy
        label: Subsidy
        type: money
        checks:
          - {id: le, severity: error, assert: subsidy <= loan, message: too much}
""")
    iv = run(form, 100, 150)
    with pytest.raises(qengine.SubmitError) as info:
        iv.submit()
    assert [v.rule for v in info.value.violations] == ["le"]
    iv.back()
    iv.answer(50)
    assert iv.submit() == {"loan": 100, "subsidy": 50}


def test_snapshot_round_trips_through_json(jumpy: qengine.Form) -> None:
    """resume(snapshot) gives the same state, kept answers included."""
    iv = run(jumpy, 1, 5, [1], 50)
    iv.back()
    snap = json.loads(json.dumps(iv.snapshot()))
    again = jumpy.resume(snap)
    assert again.state == iv.state
    assert again.current == iv.current
    assert again.suggested() == 50


def test_snapshot_of_other_form_or_version_is_refused(jumpy: qengine.Form,
                                                        mini: qengine.Form) -> None:
    """Another form, another version, junk and tampering each raise SnapshotError."""
    snap = run(jumpy, 1).snapshot()
    with pytest.raises(qengine.SnapshotError) as info:
        mini.resume(snap)
    assert info.value.code == "other_form"
    for bad, code in (({**snap, "version": "0"}, "other_version"), ("junk", "not_a_snapshot"),
                      ({**snap, "history": ["b"]}, "inconsistent"),
                      ({**snap, "answers": {"a": 9}}, "bad_answer"),
                      ({**snap, "answers": {"a": 1, "zz": 1}}, "unknown_question"),
                      ({**snap, "params": {"nope": 1}}, "bad_params"),
                      ({**snap, "answers": []}, "malformed")):
        with pytest.raises(qengine.SnapshotError) as info:
            jumpy.resume(bad)
        assert info.value.code == code


def test_params_override_at_start(mini: qengine.Form) -> None:
    """form.start(params=...) changes the rules' figures for that interview only."""
    iv = mini.start(params={"income_line": 4500})
    for a in ("张三", 3, 12600, 2, 1):
        iv.answer(a)
    assert [v.rule for v in iv.warnings] == ["low_income"]
    assert mini.start().params["income_line"] == 4000
    assert mini.resume(iv.snapshot()).params["income_line"] == 4500


def test_answer_after_finish_is_refused(jumpy: qengine.Form) -> None:
    """Once finished, answer() refuses with code 'finished'."""
    iv = run(jumpy, 2, [3], "x")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(1)
    assert info.value.code == "finished"
