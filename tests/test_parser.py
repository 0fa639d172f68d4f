"""Stage 3: the rule grammar and its located syntax errors."""

from __future__ import annotations

import pytest

from qengine.lang import nodes as n
from qengine.lang.parser import RuleSyntaxError, parse_rule
from qengine.location import SourceLocation

BASE = SourceLocation("f.yaml", 7, 12)


def src(text: str) -> str:
    return n.to_source(parse_rule(text, BASE))


@pytest.mark.parametrize(("text", "expected"), [
    ("a or b and c", "a or b and c"),
    ("(a or b) and c", "(a or b) and c"),
    ("not a == 1 and b", "not a == 1 and b"),
    ("1 + 2 * 3 - 4 / 5", "1 + 2 * 3 - 4 / 5"),
    ("(1 + 2) * 3", "(1 + 2) * 3"),
    ("a - (b - c)", "a - (b - c)"),
    ("-x + 1", "-x + 1"),
    ("q4 == ② and q10 != ①", "q4 == ② and q10 != ①"),
    ("q in [①, ②]", "q in [①, ②]"),
    ("q not in [1, 2]", "q not in [1, 2]"),
    ("sum(a, b, c) >= max(d, 1)", "sum(a, b, c) >= max(d, 1)"),
    ("a = 1", "a == 1"),
    ("a ≤ b", "a <= b"),
    ("ｑ１ ＝ ２", "q1 == 2"),
    ("name == \"张三\"", "name == \"张三\""),
])
def test_precedence_and_normalised_operators(text: str, expected: str) -> None:
    """Operators bind as documented; =, ≤ and full-width forms are normalised."""
    assert src(text) == expected


def test_circled_numbers_are_codes() -> None:
    """① is code 1 and ⑳ is code 20."""
    assert parse_rule("①", BASE) == n.Code(BASE, 1)
    assert parse_rule("⑳", BASE) == n.Code(BASE, 20)


def test_node_locations_are_offset_by_the_scalar_start() -> None:
    """A name at rule column 6 sits at column 12 + 5 of the file line."""
    tree = parse_rule("a == bb", BASE)
    assert isinstance(tree, n.Compare)
    assert tree.right.loc == SourceLocation("f.yaml", 7, 17)


@pytest.mark.parametrize(("text", "column"), [
    ("a ==", 16), ("a + * b", 16), ("a $ b", 14), ("(a", 14),
])
def test_syntax_errors_are_located(text: str, column: int) -> None:
    """Each syntax error points at the offending column."""
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text, BASE)
    assert info.value.loc.line == 7
    assert info.value.loc.column == column


def test_absurd_nesting_is_refused() -> None:
    """Thousands of brackets or operators are refused, not a RecursionError."""
    for text in ("(" * 5000 + "a" + ")" * 5000, "1" + " + 1" * 3000, "not " * 3000 + "a"):
        with pytest.raises(RuleSyntaxError) as info:
            parse_rule(text, BASE)
        assert info.value.code == "rule_too_deep"
