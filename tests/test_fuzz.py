"""Fuzzing the front of the pipeline: no text makes the loader or the rule parser misbehave."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.lang.parser import RuleSyntaxError, parse_rule
from qengine.location import SourceLocation
from qengine.testing import check_form

ROOT = Path(__file__).resolve().parent.parent
ANNEX6 = (ROOT / "forms" / "annex6.yaml").read_text("utf-8")
RULE_ALPHABET = st.sampled_from([*"abq1_0 ()[],+-*/=<>!≤≥≠①②⑳'\"\n\t.", "and", "or", "not",
                                 "in", "sum(", "selected(", "q4", "q10"])
YAML_PIECES = st.sampled_from(["\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a",
                               "!!str ", "!!python/name:os.system ", "'", '"', "#", "|", ">",
                               "---", "id: q1", "type: single", "jump: {②: q5}", "when: a ==",
                               "\x00", "\ufeff", "字"])
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(RULE_ALPHABET, max_size=40).map("".join))
def test_rule_parser_gives_a_tree_or_a_located_syntax_error(text: str) -> None:
    """Any rule text parses, or fails with RuleSyntaxError located inside the rule."""
    base = SourceLocation("f.yaml", 3, 5)
    try:
        parse_rule(text, base)
    except RuleSyntaxError as exc:
        assert exc.loc.line >= 3 and exc.message


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_is_a_form_error_or_a_form(text: str) -> None:
    """Arbitrary text compiles or yields located problems: no other exception."""
    form, problems = qengine.compile_text(text, "fuzz.yaml")
    assert (form is None) == any(p.severity == "error" for p in problems)
    for p in problems:
        assert p.location.file == "fuzz.yaml" and p.message


@FUZZ
@given(st.lists(YAML_PIECES, max_size=30).map("".join))
def test_yaml_shaped_junk_is_a_form_error(text: str) -> None:
    """YAML-looking junk (anchors, tags, NULs, flow collections) gives problems, not crashes."""
    form, problems = qengine.compile_text(text, "fuzz.yaml")
    assert form is None and problems


@FUZZ
@given(st.integers(0, len(ANNEX6) - 1), st.integers(1, 40), st.text(max_size=8))
def test_mutated_bundled_form_never_escapes_form_error(at: int, cut: int, insert: str) -> None:
    """Cutting and inserting text anywhere in annex6.yaml gives a form or a FormError."""
    text = ANNEX6[:at] + insert + ANNEX6[at + cut:]
    try:
        qengine.load_text(text, "annex6-mutant.yaml")
    except qengine.FormError as exc:
        assert exc.problems


@pytest.mark.parametrize("name", ["annex6", "annex7", "annex5"])
def test_standard_properties_hold_on_the_bundled_forms(name: str) -> None:
    """Every standard property of qengine.testing holds on each bundled form."""
    check_form(name, max_examples=15)
