"""Stage 6: compiled rules (semantics of unanswered values) and jump targets."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import codes_of, form_yaml, problems_of

import qengine

QS = """\
- {id: a, label: A, type: integer, required: false}
- {id: b, label: B, type: integer, required: false}
- {id: m, label: M, type: money, required: false}
- {id: s, label: S, type: single, choices: yesno, required: false}
- id: k
  label: K
  type: multiple
  required: false
  choices: [{code: 1, label: x}, {code: 2, label: y}, {code: 3, label: z}]
- {id: t, label: T, type: text, required: false}
"""


def fires(rule: str, record: dict[str, Any], params: str = "p: 10\n") -> bool:
    """Whether a 'when' check with ``rule`` fires on ``record``."""
    form = qengine.load_text(form_yaml(QS + "- {id: v, label: V, type: computed, value: a / b}\n",
                                       checks=f"- id: c\n  severity: warning\n  when: '{rule}'\n"
                                       "  message: m\n", params=params))
    report = form.validate(record)
    assert not report.errors, report.errors
    return any(v.rule == "c" for v in report.warnings)


@pytest.mark.parametrize(("rule", "record", "expected"), [
    ("a == 1", {"a": 1}, True),
    ("a != 1", {"a": 2}, True),
    ("a + b == 3", {"a": 1, "b": 2}, True),
    ("a > p", {"a": 11}, True),
    ("m == 0.3", {"m": 0.3}, True),
    ("m * 3 == 0.9", {"m": 0.3}, True),  # float rounding is forgiven in numeric equality
    ("s == ②", {"s": 2}, True),
    ("s in [①, ②]", {"s": 1}, True),
    ("s not in [①]", {"s": 2}, True),
    ("m * 3 in [0.9, 2]", {"m": 0.3}, True),
    ("selected(k, ②)", {"k": [1, 2]}, True),
    ("selected(k, ②, ③)", {"k": [3]}, True),
    ("selected(k, ②)", {"k": [1]}, False),
    ("contains(k, ②)", {"k": [2]}, True),
    ("count(k) == 2", {"k": [1, 3]}, True),
    ("sum(a, b) == 5 and max(a, b) == 3 and min(a, b) == 2", {"a": 2, "b": 3}, True),
    ("abs(a - b) == 1", {"a": 2, "b": 3}, True),
    ("len(t) == 2", {"t": "张三"}, True),
    ("v == 2", {"a": 4, "b": 2}, True),
    ("not (a == 1 or b == 1)", {"a": 2, "b": 3}, True),
])
def test_rule_semantics(rule: str, record: dict[str, Any], expected: bool) -> None:
    """Each operator and function computes what docs/rules.md says."""
    assert fires(rule, record) is expected


def test_checks_wait_for_every_named_answer() -> None:
    """A check applies only once every question it names is answered."""
    assert not fires("a + b == 3 or a == 1", {"a": 1})
    assert fires("answered(a) and not answered(b)", {"a": 1})  # answered() does not wait


def test_unanswered_semantics_in_computed_values() -> None:
    """Arithmetic with an unanswered value, and division by zero, give no value."""
    form = qengine.load_text(form_yaml(QS + "- {id: v, label: V, type: computed, value: a / b}\n"
                                       "- {id: w, label: W, type: computed, value: a + b}\n"))
    assert form.validate({"a": 4, "b": 0}).record.get("v") is None
    assert form.validate({"a": 4}).record.get("w") is None
    assert form.validate({"a": 4, "b": 2}).record["v"] == 2
    assert form.validate({"a": 4, "b": 2}).record["w"] == 6


def test_comparison_with_unanswered_is_false_in_jumps(jumpy: qengine.Form) -> None:
    """A jump whose guard names an unanswered value does not fire."""
    iv = jumpy.start()
    iv.answer(1)  # a
    iv.answer(5)  # b
    iv.answer([1])  # c
    assert iv.current is not None and iv.current.id == "d"


def test_jump_target_problems_are_located_with_suggestions() -> None:
    """Unknown target (did you mean), jump to self, jump backwards: all reported together."""
    text = form_yaml("""\
        - {id: q4, label: Q4, type: single, choices: yesno, jump: {②: q55}}
        - {id: q5, label: Q5, type: single, choices: yesno, jump: {②: q5}}
        - {id: q6, label: Q6, type: single, choices: yesno, jump: {②: q4}}
        - {id: q7, label: Q7, type: text}
        """)
    problems = problems_of(text)
    assert sorted(p.code for p in problems) == ["jump_backward", "jump_self", "unknown_target"]
    unknown = next(p for p in problems if p.code == "unknown_target")
    assert "jump target 'q55' does not exist; did you mean 'q5'?" in unknown.message
    line = text.splitlines()[unknown.location.line - 1]
    assert line[unknown.location.column - 1:].startswith("q55")


def test_problems_of_every_stage_come_back_together() -> None:
    """Type errors and jump errors in one pass: nothing hides behind another."""
    text = form_yaml("- {id: a, label: A, type: single, choices: yesno, jump: {②: a}}\n"
                     "- {id: b, label: B, type: text}\n",
                     checks="- {id: c, severity: error, when: zz == 1, message: m}\n")
    assert sorted(codes_of(text)) == ["jump_self", "unknown_name"]


def test_form_error_lists_every_problem_with_locations() -> None:
    """str(FormError) prints file:line:col, the source line and a caret."""
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(form_yaml("- {id: a, label: A, type: single, choices: yesno, "
                                    "jump: {②: zz}}\n"), "form.yaml")
    text = str(info.value)
    assert "form.yaml:11:67:" in text
    assert "^" in text
    assert info.value.problems[0].code == "unknown_target"
