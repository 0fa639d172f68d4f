"""Answer coercion: canonical values, entered text, and refusals with stable codes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import form_yaml

import qengine
from qengine.notation import check_id_number, id_check_digit
from qengine.runtime.values import is_blank

FORM = qengine.load_text(form_yaml("""\
- {id: s, label: S, type: single, choices: yesno}
- id: k
  label: K
  type: multiple
  choices: [{code: 1, label: x}, {code: 2, label: y}, {code: 3, label: z}]
- {id: i, label: I, type: integer, min: 0, max: 100}
- {id: m, label: M, type: money}
- {id: n, label: N, type: number, min: -5}
- {id: y, label: Y, type: year, min: 2014, max: 2020}
- {id: d, label: D, type: date, min: '2020-01-01'}
- {id: p, label: P, type: id_number}
- {id: t, label: T, type: text, max_length: 5}
"""))


def coerce(qid: str, value: Any) -> Any:
    return FORM.steps[FORM.question(qid).index].entered(value)


@pytest.mark.parametrize(("qid", "raw", "expected"), [
    ("s", 2, 2), ("s", "②", 2), ("s", "2", 2), ("s", "２", 2), ("s", "否", 2), ("s", 2.0, 2),
    ("k", [3, 1], [1, 3]), ("k", "①③", [1, 3]), ("k", "1, 3", [1, 3]), ("k", 2, [2]),
    ("i", "１２", 12), ("i", 12.0, 12), ("m", "1,234.5", 1234.5), ("m", 0, 0), ("n", -5, -5),
    ("y", "2016", 2016), ("d", "2020-04-15", "2020-04-15"), ("t", "abc", "abc"),
    ("s", None, None), ("t", "   ", None), ("k", [], None),
])
def test_accepted_values(qid: str, raw: Any, expected: Any) -> None:
    """Entered text, full-width digits and labels become canonical answers."""
    assert coerce(qid, raw) == expected


@pytest.mark.parametrize(("qid", "raw", "code"), [
    ("s", 3, "choice"), ("s", "⑤", "choice"), ("s", True, "type"), ("s", "maybe", "choice"),
    ("k", [1, 1], "duplicate"), ("k", [4], "choice"), ("k", {"a": 1}, "type"),
    ("i", -1, "range"), ("i", 101, "range"), ("i", 1.5, "type"), ("i", "x", "type"),
    ("m", -0.01, "range"), ("m", 1.234, "decimals"), ("m", float("nan"), "type"),
    ("y", 2013, "range"), ("y", 2021, "range"),
    ("d", "2020-02-30", "format"), ("d", "2019-12-31", "range"), ("d", 20200101, "type"),
    ("p", "430112199001011234", "format"), ("p", "12345", "format"), ("t", "abcdef", "length"),
    ("t", 5, "type"),
])
def test_refused_values(qid: str, raw: Any, code: str) -> None:
    """Bad answers raise AnswerError with a stable code naming the question."""
    with pytest.raises(qengine.AnswerError) as info:
        coerce(qid, raw)
    assert info.value.code == code
    assert info.value.question == qid


def test_id_numbers_check_digit() -> None:
    """GB 11643: the check digit is computed and verified; x is stored as X."""
    first = "11010519491231002"
    full = first + id_check_digit(first)
    assert full == "11010519491231002X"
    assert check_id_number(full) is None
    assert coerce("p", full.lower()) == full
    assert check_id_number("11010519491331002X") is not None  # month 13


def test_blank() -> None:
    """None, white space (including the ideographic space) and [] are blank."""
    assert all(is_blank(v) for v in (None, "", "  ", "\u3000", [], ()))
    assert not any(is_blank(v) for v in (0, "0", [0]))


@pytest.mark.parametrize("raw", ["²", "⑴", "➀", "1" * 5000, "٣"])
def test_odd_digits_are_refused_cleanly(raw: str) -> None:
    """Superscripts, parenthesised digits and huge digit strings are AnswerErrors, not crashes."""
    with pytest.raises(qengine.AnswerError):
        coerce("s", raw)
    with pytest.raises(qengine.AnswerError):
        coerce("p", "4301221965031512³2")
