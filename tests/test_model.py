"""Stage 4: building the definition model and its structural problems."""

from __future__ import annotations

import pytest
from conftest import codes_of, form_yaml, problems_of

import qengine

YN = "  type: single\n  choices: yesno\n"


def test_duplicate_question_ids_point_at_the_second() -> None:
    """A repeated id is reported where it is repeated, naming the first line."""
    text = form_yaml("- id: a\n  label: A\n  type: text\n- id: a\n  label: B\n  type: text\n")
    [p] = problems_of(text)
    assert p.code == "duplicate_id"
    assert p.location.line == text.splitlines().index("      - id: a", 12) + 1


def test_unknown_choice_list_suggests_the_near_miss() -> None:
    """choices: yesn → did you mean 'yesno'."""
    [p] = problems_of(form_yaml("- id: a\n  label: A\n  type: single\n  choices: yesn\n"))
    assert p.code == "unknown_choice_list"
    assert "did you mean 'yesno'" in p.message


def test_choice_questions_need_choices_and_others_refuse_them() -> None:
    """single without choices, and text with choices, are both reported."""
    text = form_yaml("- id: a\n  label: A\n  type: single\n"
                     "- id: b\n  label: B\n  type: text\n  choices: yesno\n")
    assert sorted(codes_of(text)) == ["missing_choices", "unexpected_choices"]


def test_duplicate_choice_codes() -> None:
    """Two choices with code 1 in one list."""
    text = form_yaml("- id: a\n  label: A\n  type: single\n  choices:\n"
                     "    - {code: 1, label: x}\n    - {code: 1, label: y}\n")
    assert codes_of(text) == ["duplicate_code"]


def test_bad_jump_key_and_param_name_clash() -> None:
    """A jump key that is no code, and a param named like a question."""
    text = form_yaml("- id: a\n  label: A\n" + YN + "  jump: {yes: b}\n- id: b\n  label: B\n"
                     "  type: text\n", params="a: 3\n")
    assert sorted(codes_of(text)) == ["bad_jump_key", "name_clash"]


def test_closing_section_must_be_last() -> None:
    """closing: true on a section that is not the last one."""
    text = form_yaml("- id: a\n  label: A\n  type: text\n").replace(
        "  - id: main\n", "  - id: first\n    closing: true\n    questions:\n"
        "      - {id: z, label: Z, type: text}\n  - id: main\n")
    assert codes_of(text) == ["closing_not_last"]


def test_bounds_must_fit_the_type() -> None:
    """min on a text, a non-ISO date bound, and max below min."""
    text = form_yaml("- id: a\n  label: A\n  type: text\n  min: 1\n"
                     "- id: b\n  label: B\n  type: date\n  min: 2020/01/01\n"
                     "- id: c\n  label: C\n  type: integer\n  min: 5\n  max: 1\n")
    assert codes_of(text) == ["bad_bound"] * 3


def test_computed_needs_a_value_and_asked_questions_refuse_one() -> None:
    """type computed without value; a value on a text question."""
    text = form_yaml("- id: a\n  label: A\n  type: computed\n"
                     "- id: b\n  label: B\n  type: text\n  value: '1'\n")
    assert sorted(codes_of(text)) == ["missing_value", "unexpected_value"]


def test_none_ok_is_a_flag_of_multiple_choice_only() -> None:
    """none_ok: true reaches the definition on a multiple; on another type it is an error."""
    from qengine.compiler.loader import parse_yaml
    from qengine.compiler.model import build_definition
    from qengine.errors import Diagnostics

    text = form_yaml("- id: a\n  label: A\n  type: multiple\n  choices: yesno\n  none_ok: true\n"
                     "- id: b\n  label: B\n  type: multiple\n  choices: yesno\n")
    assert codes_of(text) == []
    diag = Diagnostics("t.yaml", text)
    definition = build_definition(parse_yaml(text, "t.yaml", diag), diag, "t.yaml")
    assert [q.none_ok for q in definition.questions] == [True, False]
    bad = form_yaml("- id: a\n  label: A\n  type: single\n  choices: yesno\n  none_ok: true\n")
    [p] = problems_of(bad)
    assert p.code == "unexpected_none_ok"
    assert bad.splitlines()[p.location.line - 1].strip().startswith("none_ok")
    assert codes_of(text.replace("none_ok: true", "none_ok: 1")) == ["schema"]


def test_bundled_policy_lists_take_none_of_these() -> None:
    """annex6 q10_1 and q13_1b, annex7 q8_2 carry none_ok, as FORMS.md says; no other question does."""
    from qengine.compiler.loader import parse_yaml
    from qengine.compiler.model import build_definition
    from qengine.compiler.pipeline import BUNDLED_DIR
    from qengine.errors import Diagnostics

    flagged = {}
    for name in ("annex5", "annex6", "annex7"):
        path = str(BUNDLED_DIR / f"{name}.yaml")
        text = (BUNDLED_DIR / f"{name}.yaml").read_text("utf-8")
        diag = Diagnostics(path, text)
        definition = build_definition(parse_yaml(text, path, diag), diag, path)
        flagged[name] = [q.id for q in definition.questions if q.none_ok]
    assert flagged == {"annex5": [], "annex6": ["q10_1", "q13_1b"], "annex7": ["q8_2"]}


JUMPING = ("- id: a\n  label: A\n  type: {type}\n{extra}  jump: {{{key}: b}}\n"
           "- id: b\n  label: B\n  type: text\n")


def test_a_jump_key_on_a_choice_question_is_a_code() -> None:
    """1.5 or 2.0 is no choice code (bad_jump_key); NaN and inf keys are number_range, not crashes."""
    choice = "  choices: yesno\n"
    for qtype in ("single", "multiple"):
        for key in ("1.5", "2.0", "'1.5'", "'99999999999999999999999'"):
            text = form_yaml(JUMPING.format(type=qtype, extra=choice, key=key))
            assert codes_of(text) == ["bad_jump_key"], (qtype, key)
        for key in (".nan", ".inf", "-.inf", "1" * 1000):
            assert codes_of(form_yaml(JUMPING.format(type=qtype, extra=choice, key=key))) == [
                "number_range"], (qtype, key)
    assert codes_of(form_yaml(JUMPING.format(type="single", extra=choice, key="②"))) == []
    assert codes_of(form_yaml(JUMPING.format(type="number", extra="", key="1.5"))) == []


@pytest.mark.parametrize(("bounds", "params"), [
    ("  min: .nan\n", ""), ("  max: .inf\n", ""), ("  min: -.inf\n", ""),
    ("  max: 1.0e+300\n", ""), ("  max: 10000000000000001\n", ""), ("  max: " + "9" * 5000 + "\n", ""),
    ("", "p: .nan\n"), ("", "p: {value: -.inf}\n"), ("", "p: 2.0e+15\n"),
])
def test_non_finite_or_huge_bounds_and_params_do_not_load(bounds: str, params: str) -> None:
    """min/max or a param that is NaN, infinite or beyond 1e15 is number_range; lint never raises."""
    text = form_yaml("- id: a\n  label: A\n  type: number\n" + bounds, params=params)
    [p] = problems_of(text)
    assert p.code == "number_range"
    assert text.splitlines()[p.location.line - 1][p.location.column - 1:].startswith(
        (".nan", ".inf", "-.inf", "1", "2", "9"))
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(text)
    assert [q.code for q in info.value.problems] == ["number_range"]


@pytest.mark.parametrize(("target", "meant"), [
    ("5", "q5"), ('"5"', "q5"), ('"4—1"', "q4_1"), ("'4-1'", "q4_1"), ("End", "end"),
])
def test_a_paper_style_jump_target_suggests_the_question(target: str, meant: str) -> None:
    """`jump: {②: 5}` (the printed number) is unknown_target at the target, suggesting q5."""
    text = form_yaml("- id: a\n  label: A\n" + YN + f"  jump: {{②: {target}}}\n"
                     f"  jumps: [{{when: a == ①, to: {target}}}]\n"
                     "- {id: q4_1, label: B, type: text}\n- {id: q5, label: C, type: text}\n")
    problems = problems_of(text)
    assert [p.code for p in problems] == ["unknown_target", "unknown_target"]
    for p in problems:
        assert f"did you mean '{meant}'" in p.message
        assert text.splitlines()[p.location.line - 1][p.location.column - 1:].startswith(
            target.strip("'\""))


def test_suggest_target_maps_printed_numbers_to_ids() -> None:
    """5 → q5, 4—1 → q4_1, full-width ４－１ → q4_1, 25 → i25; other targets get the near miss."""
    from qengine.compiler.schema import suggest_target

    ids = ["q1", "q4", "q4_1", "q5", "i25", "q13_1b"]
    assert suggest_target(5, ids) == "; did you mean 'q5'?"
    assert suggest_target("4—1", ids) == "; did you mean 'q4_1'?"
    assert suggest_target("４－１", ids) == "; did you mean 'q4_1'?"
    assert suggest_target("13—1b", ids) == "; did you mean 'q13_1b'?"
    assert suggest_target(25, ids) == "; did you mean 'i25'?"
    assert suggest_target("q55", ids) == "; did you mean 'q5'?"
    assert suggest_target("END", ids) == "; did you mean 'end'?"
    assert suggest_target(True, ids) == suggest_target(None, ids) == ""


def test_overlong_rule_is_one_located_problem() -> None:
    """A 5,000-digit number in a 5,000-character jump rule is one rule_too_long, not a schema error too."""
    text = form_yaml("- id: a\n  label: A\n  type: integer\n"
                     "  jumps: [{when: 'a == " + "1" * 5000 + "', to: b}]\n"
                     "- {id: b, label: B, type: text}\n")
    [p] = problems_of(text)
    assert p.code == "rule_too_long"
    text = text.replace("1" * 5000, "1" * 3000)
    [p] = problems_of(text)
    assert p.code == "number_range"
