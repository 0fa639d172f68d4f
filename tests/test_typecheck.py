"""Stage 5: the meaning of rules, checked against the questions they name."""

from __future__ import annotations

from conftest import codes_of, form_yaml, problems_of

QS = """\
- id: q4
  label: Q4
  type: single
  choices: yesno
- id: q5
  label: Q5
  type: multiple
  choices: yesno
- id: n
  label: N
  type: integer
- id: t
  label: T
  type: text
- id: d
  label: D
  type: date
"""


def check(rule: str, kind: str = "when") -> list[str]:
    return codes_of(form_yaml(QS, checks=f"- id: c\n  severity: error\n  {kind}: {rule}\n"
                                         "  message: m\n", params="line: 4000\n"))


def test_valid_rules_pass() -> None:
    """A representative set of well-typed rules compiles."""
    for rule in ("q4 == ② and n > line", "selected(q5, ①)", "count(q5) >= 1",
                 "'x' == t", "d >= '2020-01-01'", "q4 in [①, ②]", "not answered(t)",
                 "sum(n, 1) == abs(n)", "len(t) < 3", "n / 2 == 1.5"):
        assert check(f'"{rule}"') == [], rule


def test_unknown_name_suggests_the_near_miss() -> None:
    """q55 → did you mean 'q5'."""
    text = form_yaml(QS, checks="- {id: c, severity: error, when: q55 == 1, message: m}\n")
    [p] = problems_of(text)
    assert p.code == "unknown_name"
    assert "did you mean 'q5'" in p.message


def test_code_not_among_choices() -> None:
    """q4 has codes 1 and 2; ③ is not one."""
    assert check("q4 == ③") == ["unknown_code"]
    assert check("selected(q5, ⑤)") == ["unknown_code"]
    assert check("q4 in [①, ⑨]") == ["unknown_code"]


def test_type_mismatches() -> None:
    """Comparing unlike things, arithmetic on text, a multiple choice compared, non-boolean."""
    assert check("t == 3") == ["type_mismatch"]
    assert check("t + 1 > 2") == ["type_mismatch"]
    assert check("q5 == ①") == ["type_mismatch"]
    assert check("n + 1") == ["type_mismatch"]
    assert check("d == '2020-13-45'") == ["type_mismatch"]
    assert check("q4 and n") == ["type_mismatch", "type_mismatch"]
    # a multiple choice is no value to look up, whatever the list holds (an empty one included)
    assert check("q5 in []") == ["type_mismatch"]
    assert check("q5 in [①, ②]") == ["type_mismatch"]
    assert check('"q4 in []"') == []  # an empty list is allowed (it holds nothing)


def test_functions_are_checked() -> None:
    """Unknown function with suggestion, wrong arity, wrong question type."""
    text = form_yaml(QS, checks='- {id: c, severity: error, when: "selectd(q4, 1)", message: m}\n')
    [p] = problems_of(text)
    assert p.code == "unknown_function" and "did you mean 'selected'" in p.message
    assert check("count(q4) > 1") == ["type_mismatch"]
    assert check("abs(n, n) > 1") == ["bad_arguments"]
    assert check("answered(3)") == ["bad_arguments"]


def test_jump_may_not_look_ahead() -> None:
    """A jump on q4 that names n (asked later) is refused."""
    text = form_yaml(QS.replace("  choices: yesno\n", "  choices: yesno\n  jumps: "
                                "[{when: n > 1, to: t}]\n", 1))
    assert codes_of(text) == ["jump_looks_ahead"]


def test_computed_cycles_are_reported() -> None:
    """x = y + 1 and y = x + 1."""
    text = form_yaml("- {id: x, label: X, type: computed, value: y + 1}\n"
                     "- {id: y, label: Y, type: computed, value: x + 1}\n")
    assert "computed_cycle" in codes_of(text)
