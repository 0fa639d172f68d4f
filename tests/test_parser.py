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
    """Hundreds of brackets or operators (within the length cap) are refused, not a RecursionError."""
    for text in ("(" * 1000 + "a" + ")" * 1000, "1" + " + 1" * 900, "not " * 900 + "a"):
        with pytest.raises(RuleSyntaxError) as info:
            parse_rule(text, BASE)
        assert info.value.code == "rule_too_deep"


def test_overlong_rule_is_refused_before_parsing() -> None:
    """Rule text over MAX_RULE_LENGTH is rule_too_long at the rule's start, whatever it holds."""
    from qengine.lang.parser import MAX_RULE_LENGTH

    for text in (" or ".join(["a == 1"] * 100_000), "(" * 5000, "$" * (MAX_RULE_LENGTH + 1)):
        with pytest.raises(RuleSyntaxError) as info:
            parse_rule(text, BASE)
        assert info.value.code == "rule_too_long"
        assert info.value.loc == BASE
    assert parse_rule(" or ".join(["a"] * (MAX_RULE_LENGTH // 5)), BASE) is not None


def test_and_or_chains_are_one_node_built_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 operands of or (and of and) parse into one flat node (building it nested was
    quadratic: about 36 s)."""
    from qengine.lang import parser

    monkeypatch.setattr(parser, "MAX_RULE_LENGTH", 10**9)
    for word in ("or", "and"):
        tree = parse_rule(f" {word} ".join(["a == 1"] * 100_000), BASE)
        assert isinstance(tree, n.BoolOp) and tree.op == word and len(tree.operands) == 100_000
    nested = parse_rule("a or (b or c) or d and (e and f)", BASE)
    assert n.to_source(nested) == "a or b or c or d and e and f"
    assert isinstance(nested, n.BoolOp) and len(nested.operands) == 4


@pytest.mark.parametrize("literal", ["1" * 3990, "1" * 31, "1000000000000001", "1" * 20 + ".5"])
def test_number_literals_outside_the_domain_are_located_errors(literal: str) -> None:
    """A rule number beyond 1e15 or over 30 characters is number_range at the number, never a crash."""
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(f"q1 == {literal}", BASE)
    assert info.value.code == "number_range"
    assert info.value.loc == SourceLocation("f.yaml", 7, 18)


def test_number_literals_up_to_1e15_are_kept() -> None:
    """10**15 itself and small decimals are ordinary numbers."""
    assert parse_rule("1000000000000000", BASE) == n.Num(BASE, 10**15)
    assert parse_rule("0.000001", BASE) == n.Num(BASE, 0.000001)
