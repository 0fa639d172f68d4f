"""Stage 4: building the definition model and its structural problems."""

from __future__ import annotations

from conftest import codes_of, form_yaml, problems_of

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
