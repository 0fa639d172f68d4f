"""The compiled form: path, validate, params, and the state machine as data."""

from __future__ import annotations

import json

import pytest

import qengine

FULL = {"a": 1, "b": 5, "c": [1], "d": 50, "e": "note", "f": 2, "sign": "张三"}


def rules(report: qengine.Report) -> list[tuple[str, tuple[str, ...]]]:
    return [(v.rule, v.questions) for v in report.violations]


def test_form_attributes(jumpy: qengine.Form) -> None:
    """id, version, params, questions and question() lookups."""
    assert (jumpy.id, jumpy.version) == ("t", "1")
    assert [q.id for q in jumpy.questions] == ["a", "b", "c", "d", "e", "f", "sign"]
    q = jumpy.question("a")
    assert (q.type, [c.code for c in q.choices], q.choices[0].label) == ("single", [1, 2], "是")
    assert q.label == "A" and q.labels == {"zh": "A"}
    with pytest.raises(KeyError, match="no question 'zz'"):
        jumpy.question("zz")


def test_path_follows_each_kind_of_jump(jumpy: qengine.Form) -> None:
    """Shorthand, numeric, multiple-choice, general and end jumps each skip what they should."""
    assert jumpy.path(FULL) == ["a", "b", "c", "d", "e", "f", "sign"]
    assert jumpy.path({**FULL, "a": 2}) == ["a", "c", "d", "e", "f", "sign"]
    assert jumpy.path({**FULL, "b": 0}) == ["a", "b", "d", "e", "f", "sign"]
    assert jumpy.path({**FULL, "c": [1, 3]}) == ["a", "b", "c", "sign"]
    assert jumpy.path({**FULL, "d": 101}) == ["a", "b", "c", "d", "f", "sign"]
    assert jumpy.path({**FULL, "d": 101, "a": 2}) == ["a", "c", "d", "e", "f", "sign"]


def test_validate_clean_record(jumpy: qengine.Form) -> None:
    """A complete record honouring the jumps is ok, and its view is the record."""
    report = jumpy.validate(FULL)
    assert report.ok and not report.violations
    assert report.record == FULL
    assert report.path == jumpy.path(FULL)


def test_validate_reports_each_defect_by_question(jumpy: qengine.Form) -> None:
    """Skipped-but-answered, missing required, bad code, bad type, unknown key: each reported."""
    assert rules(jumpy.validate({**FULL, "a": 2})) == [("not_asked", ("b",))]
    record = {k: v for k, v in FULL.items() if k != "d"}
    assert rules(jumpy.validate(record)) == [("required", ("d",))]
    assert rules(jumpy.validate({**FULL, "f": 7})) == [("choice", ("f",))]
    assert rules(jumpy.validate({**FULL, "d": "lots"})) == [("type", ("d",))]
    assert rules(jumpy.validate({**FULL, "zz": 1})) == [("unknown_question", ("zz",))]
    assert rules(jumpy.validate({**FULL, "e": None})) == []  # optional left blank


def test_validate_never_raises_on_junk(jumpy: qengine.Form) -> None:
    """Non-mappings and odd values come back as violations."""
    for junk in (None, 3, "x", [1, 2], {"a": {"b": 1}}, {"a": [[1]]}, {1: 2}):
        report = jumpy.validate(junk)
        assert not report.ok


def test_blank_answers_are_kept_in_the_record_view(jumpy: qengine.Form) -> None:
    """An optional question on the path left blank, or left out, is in the record as None:
    the record is what a submit of the same answers gives."""
    assert jumpy.validate({**FULL, "e": None}).record["e"] is None
    absent = jumpy.validate({k: v for k, v in FULL.items() if k != "e"})
    assert absent.record["e"] is None
    iv = jumpy.start()
    while iv.current is not None:
        iv.answer(None if iv.current.id == "e" else FULL[iv.current.id])
    assert iv.submit() == absent.record


def test_params_are_overridable_per_run(mini: qengine.Form) -> None:
    """The income line is a param; overriding it changes the warning with no other edit."""
    record = {"head_name": "张三", "household_size": 3, "q1": 12600, "q2": 2, "q3": 1,
              "survey_date": "2020-04-15"}
    assert mini.validate(record).ok and not mini.validate(record).warnings
    lower = mini.validate(record, params={"income_line": 4500})
    assert [v.rule for v in lower.warnings] == ["low_income"]
    with pytest.raises(qengine.ParamError):
        mini.validate(record, params={"income_lin": 4500})
    with pytest.raises(qengine.ParamError):
        mini.validate(record, params={"income_line": "high"})


def test_transitions_expose_the_state_machine(jumpy: qengine.Form) -> None:
    """Each question's outgoing edges: jumps in order, then the fall-through."""
    edges = [(t.target, t.guard) for t in jumpy.transitions_from("a")]
    assert edges == [("c", "a == ②"), ("b", None)]
    assert [(t.target, t.guard) for t in jumpy.transitions_from("c")] == [
        ("sign", "selected(c, ③)"), ("d", None)]
    assert [t.target for t in jumpy.transitions_from("sign")] == ["end"]
    machine = jumpy.state_machine()
    json.dumps(machine)
    assert machine["start"] == "a"
    assert len(machine["transitions"]) == len(jumpy.transitions)


def test_asked_conditions_agree_with_the_walk(jumpy: qengine.Form) -> None:
    """The per-question asked-condition gives the same answer as the path."""
    cond = jumpy.asked_condition("b")
    assert [(s.source, s.target) for s in cond.skips] == [("a", "c")]
    assert "asked unless" in str(cond)
    for record in (FULL, {**FULL, "a": 2}, {**FULL, "c": [3]}, {**FULL, "d": 200}):
        asked = jumpy.evaluate_asked(record)
        assert [q for q, yes in asked.items() if yes and q != "v"] == jumpy.path(record)


def test_report_to_dict_is_json(jumpy: qengine.Form) -> None:
    """Reports serialise to JSON for the batch output."""
    data = jumpy.validate({**FULL, "f": 9}).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["errors"][0]["rule"] == "choice"


def test_computed_values_in_a_record_are_compared(mini: qengine.Form) -> None:
    """A record's own computed value is checked: equal passes, different is a warning."""
    record = {"head_name": "张三", "household_size": 3, "q1": 12600, "q2": 2, "q3": 1,
              "survey_date": "2020-04-15"}
    assert mini.validate({**record, "q1_per_capita": 4200}).violations == ()
    report = mini.validate({**record, "q1_per_capita": 99})
    assert report.ok
    assert [(v.rule, v.severity, v.questions) for v in report.violations] == [
        ("computed_mismatch", "warning", ("q1_per_capita",))]
    submitted = mini.validate(record).record
    assert mini.validate(submitted).violations == ()
