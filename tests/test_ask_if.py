"""Relevance conditions (``ask_if``): the second way to skip, beside jumps.

A question is asked when the jumps reach it and its section's and its own ask_if hold on the
answers before it. Every part that moves through a form (the walk, interviews, the generated
validator, asked conditions, the explorer, lint, the test strategies) must agree on that.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.analysis.lint import lint
from qengine.formats.graph import graph
from qengine.formats.record_schema import record_schema
from qengine.testing import check_form, count_paths, paths, records
from tests.conftest import ROOT, form_yaml

EXAMPLE = ROOT / "examples" / "relevance.yaml"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

QUESTIONS = """\
- {id: a, label: A, type: single, choices: yesno}
- {id: b, label: B, type: integer, ask_if: "a == ①"}
- {id: c, label: C, type: integer, ask_if: "b > 5", jump: {0: e}}
- {id: d, label: D, type: text}
- {id: e, label: E, type: integer}
- {id: twice, label: T, type: computed, value: "e * 2", ask_if: "e > 1"}
"""


@pytest.fixture(scope="module")
def relevant() -> qengine.Form:
    return qengine.load_text(form_yaml(QUESTIONS))


@pytest.fixture(scope="module")
def example() -> qengine.Form:
    return qengine.load(EXAMPLE, cache=False)


def test_path_skips_what_ask_if_rules_out(relevant: qengine.Form) -> None:
    """Own ask_if, a chain of them, a jump on a question that is not asked, a computed value."""
    full = {"a": 1, "b": 6, "c": 1, "d": "x", "e": 3}
    assert relevant.path(full) == ["a", "b", "c", "d", "e"]
    assert relevant.path({"a": 2, "d": "x", "e": 3}) == ["a", "d", "e"]
    assert relevant.path({"a": 1, "b": 5, "d": "x", "e": 3}) == ["a", "b", "d", "e"]
    # c's jump fires only when c is asked
    assert relevant.path({"a": 1, "b": 6, "c": 0, "e": 3}) == ["a", "b", "c", "e"]
    assert relevant.path({"a": 2, "c": 0, "d": "x", "e": 3}) == ["a", "d", "e"]
    assert relevant.validate(full).record["twice"] == 6
    assert "twice" not in relevant.validate({**full, "e": 1}).record


def test_answers_to_questions_not_asked_are_reported(relevant: qengine.Form) -> None:
    report = relevant.validate({"a": 2, "b": 6, "c": 1, "d": "x", "e": 3})
    assert [(v.rule, v.questions) for v in report.errors] == [
        ("not_asked", ("b",)), ("not_asked", ("c",))]
    report = relevant.validate({"a": 1, "d": "x", "e": 3})  # b is asked and required
    assert [(v.rule, v.questions) for v in report.errors] == [("required", ("b",))]


def test_section_ask_if_covers_every_question_in_it(example: qengine.Form) -> None:
    base = {"size": 4, "children": 0, "migrant": 2, "surveyor": "王"}
    assert example.path(base) == ["size", "children", "migrant", "surveyor"]
    assert example.validate(base).ok
    with_kids = {**base, "children": 2, "aid": 1, "aid_amount": 500}
    assert example.path(with_kids) == ["size", "children", "migrant", "aid", "aid_amount",
                                       "surveyor"]
    assert example.validate(with_kids).ok
    assert [v.rule for v in example.validate({**with_kids, "children": 0}).errors] == [
        "not_asked", "not_asked"]


def test_interview_follows_ask_if_and_back_switches_it(example: qengine.Form) -> None:
    iv = example.start()
    for value in (3, 1, 1):
        iv.answer(value)
    assert iv.current.id == "migrant_months"
    iv.answer(6)
    assert iv.current.id == "aid"
    iv.goto("migrant")
    iv.answer(2)  # the months are no longer asked
    assert iv.current.id == "aid"
    iv.answer(2)
    assert iv.current.id == "surveyor"
    iv.answer("王")
    record = iv.submit()
    assert record == {"size": 3, "children": 1, "migrant": 2, "aid": 2, "surveyor": "王"}
    assert iv.kept["migrant_months"] == 6  # kept, not submitted
    again = example.resume(iv.snapshot())
    assert again.finished and again.submit() == record


def test_a_first_question_with_an_ask_if_on_a_param() -> None:
    form = qengine.load_text(form_yaml(
        "- {id: a, label: A, type: integer, ask_if: 'line > 3000'}\n"
        "- {id: b, label: B, type: integer}\n", params="line: {value: 4000}\n"))
    assert form.start().current.id == "a"
    assert form.start(params={"line": 1000}).current.id == "b"
    assert form.path({"b": 1}, params={"line": 1000}) == ["b"]


@pytest.mark.parametrize(("rule", "code", "column"), [
    ("b > 1", "ask_if_looks_ahead", 51),  # its own question
    ("c > 1", "ask_if_looks_ahead", 51),  # a later one
    ("later_value > 1", "ask_if_looks_ahead", 51),  # a computed value reading a later one
    ("a + 1", "type_mismatch", 53),
    ("nope == 1", "unknown_name", 51),
])
def test_bad_ask_if_rules_are_located(rule: str, code: str, column: int) -> None:
    text = form_yaml(f"""\
        - {{id: a, label: A, type: integer}}
        - {{id: b, label: B, type: integer, ask_if: "{rule}"}}
        - {{id: c, label: C, type: integer}}
        - {{id: later_value, label: L, type: computed, value: "c + 1"}}
        """)
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(text, "f.yaml")
    problems = [p for p in info.value.problems if p.severity == "error"]
    assert [(p.code, p.location.line, p.location.column) for p in problems] == [
        (code, 12, column)]


def test_a_section_ask_if_may_read_only_questions_before_the_section() -> None:
    text = form_yaml("- {id: a, label: A, type: integer}\n") + (
        "  - id: later\n    ask_if: 'b > 1'\n    questions:\n"
        "      - {id: b, label: B, type: integer}\n")
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(text, "f.yaml")
    assert [p.code for p in info.value.problems] == ["ask_if_looks_ahead"]


def test_the_machine_carries_ask_if_and_its_checker_refuses_a_bad_one(
        example: qengine.Form) -> None:
    machine = example.to_json()
    schooling = next(s for s in machine["sections"] if s["id"] == "schooling")
    assert schooling["ask_if"]["text"] == "children > 0"
    months = next(q for q in machine["questions"] if q["id"] == "migrant_months")
    assert months["ask_if"]["when"]["type"] == "bool"
    assert "ask_if" not in machine["questions"][0]
    again = qengine.Form.from_json(copy.deepcopy(machine))
    assert again.path({"size": 1, "children": 0, "migrant": 1, "migrant_months": 2}) == [
        "size", "children", "migrant", "migrant_months", "surveyor"]

    ahead = copy.deepcopy(machine)
    q = next(q for q in ahead["questions"] if q["id"] == "migrant_months")
    q["ask_if"]["when"]["args"][0]["id"] = "migrant_months"
    q["ask_if"]["when"]["args"][0]["type"] = "num"
    q["ask_if"]["when"]["args"][1] = {"op": "num", "value": 1, "type": "num", "at": [1, 1]}
    with pytest.raises(qengine.FormError, match="an ask_if reads migrant_months"):
        qengine.Form.from_json(ahead)
    not_bool = copy.deepcopy(machine)
    section = next(s for s in not_bool["sections"] if s["id"] == "schooling")
    section["ask_if"]["when"] = {"op": "num", "value": 1, "type": "num", "at": [1, 1]}
    with pytest.raises(qengine.FormError, match="expected an expression of type bool"):
        qengine.Form.from_json(not_bool)
    shape = copy.deepcopy(machine)
    shape["questions"][3]["ask_if"] = {"when": months["ask_if"]["when"]}
    with pytest.raises(qengine.FormError, match="'text' is missing"):
        qengine.Form.from_json(shape)


def test_asked_conditions_name_the_ask_if_rules(example: qengine.Form) -> None:
    assert example.asked_condition("aid_amount").ask_if == ("children > 0", "aid == ①")
    assert str(example.asked_condition("migrant_months")) == (
        "migrant_months: asked only if `migrant == ①`")
    assert str(example.asked_condition("size")) == "size: always asked"


@given(data=st.data())
@FAST
def test_every_way_through_agrees(data: st.DataObject) -> None:
    """The walk, the asked conditions, the interview and the generated validator agree, on valid
    records and on records with answers anywhere."""
    form = _EXAMPLE
    record = data.draw(st.one_of(records(form), records(form, valid=False), st.fixed_dictionaries(
        {}, optional={q.id: st.sampled_from([0, 1, 2, 3, "x"]) for q in form.questions
                      if not q.computed})))
    path = form.path(record)
    asked = form.evaluate_asked(record)
    assert [qid for qid, yes in asked.items() if yes and not form.question(qid).computed] == path
    assert form.validate(record).to_dict() == form.interpret(record).to_dict()
    assert form.validate(record).path == path


_EXAMPLE = qengine.load(EXAMPLE, cache=False)
_EXAMPLE.prepare()


def test_the_generated_validator_is_in_use() -> None:
    assert _EXAMPLE.engine == "generated" and _EXAMPLE.declined is None


def test_explorer_paths_follow_ask_if(example: qengine.Form, relevant: qengine.Form) -> None:
    for form in (example, relevant):
        found = list(paths(form))
        assert len(found) == count_paths(form)
        for p in found:
            assert form.path(p.witness) == list(p.questions)
    assert {p.questions for p in paths(example)} >= {
        ("size", "children", "migrant", "surveyor"),
        ("size", "children", "migrant", "migrant_months", "aid", "aid_amount", "surveyor")}


def test_lint_sees_a_question_an_ask_if_never_lets_through(tmp_path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(form_yaml("""\
        - {id: a, label: {zh: A, en: A}, type: single, choices: yesno}
        - {id: b, label: {zh: B, en: B}, type: integer, ask_if: "a == ① and a == ②"}
        - {id: c, label: {zh: C, en: C}, type: integer, ask_if: "a == ②"}
        """, checks="- {id: k, severity: error, when: 'c > 1 and a == ①', "
                    "message: {zh: m, en: m}}\n"), encoding="utf-8")
    found = [(p.code, p.location.line) for p in lint(path)]
    assert ("unreachable_question", 12) in found
    assert ("check_never", 15) in found
    assert not any(code == "unreachable_question" and line == 13 for code, line in found)
    assert lint(EXAMPLE) == []


def test_the_standard_properties_hold_on_a_form_with_ask_if() -> None:
    check_form(EXAMPLE, max_examples=40)


def test_record_schema_leaves_ask_if_questions_out_of_required(example: qengine.Form) -> None:
    schema = record_schema(example)
    assert "migrant_months" not in schema["required"]
    assert "size" in schema["required"] and "aid" not in schema["required"]
    assert "migrant_months" in schema["$comment"]


def test_diagrams_show_ask_if(example: qengine.Form) -> None:
    dot = graph(example, "dot")
    assert "ask if: migrant == ①" in dot and "ask if: children \\> 0" not in dot
    assert "ask if: children > 0" in dot
    assert "ask if: aid == ①" in graph(example, "mermaid")


def test_lint_tries_every_answer_an_ask_if_reads_before_a_check(tmp_path) -> None:
    """A check on questions behind an ask_if is searched from every state that reaches them
    (states alike at the next stop may differ in what an ask_if before it lets through)."""
    path = tmp_path / "f.yaml"
    path.write_text(form_yaml("""\
        - {id: a, label: {zh: A, en: A}, type: integer, min: 0}
        - {id: b, label: {zh: B, en: B}, type: integer, min: 0, ask_if: "not (a == 0)"}
        - id: c
          label: {zh: C, en: C}
          type: integer
          min: 0
          ask_if: "not (a == 0)"
          checks: [{id: x, severity: error, assert: "c <= b", message: {zh: M, en: M}}]
        """), encoding="utf-8")
    assert [p.code for p in lint(path)] == []


def test_an_ask_if_through_computed_values_is_judged_by_what_they_read() -> None:
    """Computed values are followed to the answers they read, however deep: the compiler and
    the machine checker agree (a machine the compiler writes always loads again)."""
    late = form_yaml("""\
        - {id: a, label: A, type: integer}
        - {id: c1, label: C1, type: computed, value: "e + 1"}
        - {id: c2, label: C2, type: computed, value: "c1 * 2"}
        - {id: b, label: B, type: integer, ask_if: "c2 > 4"}
        - {id: e, label: E, type: integer}
        """)
    with pytest.raises(qengine.FormError, match="uses computed c2, which needs e"):
        qengine.load_text(late)
    early = form_yaml("""\
        - {id: a, label: A, type: integer}
        - {id: b, label: B, type: integer, ask_if: "c2 > 4"}
        - {id: c2, label: C2, type: computed, value: "c1 * 2"}
        - {id: c1, label: C1, type: computed, value: "a + 1"}
        """)
    form = qengine.load_text(early)
    assert qengine.Form.from_json(form.to_json()).path({"a": 3, "b": 1}) == ["a", "b"]


def test_count_paths_stays_fast_on_a_chain_of_ask_if() -> None:
    """Each question asked only when the one before it is answered: one path, however long
    the chain (counted from memoised path suffixes, not by trying every answer)."""
    chain = "- {id: q0, label: Q, type: single, choices: yesno}\n" + "".join(
        f"- {{id: q{i}, label: Q, type: single, choices: yesno, ask_if: 'answered(q{i - 1})'}}\n"
        for i in range(1, 40))
    assert count_paths(qengine.load_text(form_yaml(chain))) == 1


def test_an_optional_none_ok_question_is_tried_blank_too() -> None:
    form = qengine.load_text(form_yaml("""\
        - {id: q1, label: A, type: multiple, required: false, none_ok: true, choices: yesno}
        - {id: q2, label: B, type: integer, ask_if: "not answered(q1)"}
        """))
    assert {p.questions for p in paths(form)} == {("q1",), ("q1", "q2")}
