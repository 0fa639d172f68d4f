"""Surface: rule text, inside a small form's jumps and checks."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

import qengine

from .contract import escapes_only_qengine_errors, fuzz, run_bounded, small_form

TOKENS = st.sampled_from([
    *"abq123_0 ()[],+-*/%=<>!≤≥≠①②⑳'\".", "and", "or", "not", "in", "==", "!=", "<=", ">=",
    "sum(", "count(", "selected(", "blank(", "len(", "q1", "q2", "q3", "a", "income_line",
    "date(", "'2020-01-01'", "1e400", "1" * 31, "9" * 5000, "0.1", "-", "--", "1/0", "q2 / 0",
    "q2 ** q2", "__import__('os')", "{", "}", "\\", "\x00", "\ud800", "字", "true", "false",
    "null", "None", " " * 100])
RULES = st.one_of(st.lists(TOKENS, max_size=40).map("".join), st.text(max_size=60))
RECORDS = st.fixed_dictionaries({}, optional={
    "q1": st.sampled_from([1, 2, None]), "q2": st.one_of(st.integers(-(10**15), 10**15), st.none()),
    "q3": st.sampled_from([[1], [2], [1, 2], None])})


@fuzz("rules", 150, jump=RULES, check=RULES, record=RECORDS)
def test_any_rule_text_compiles_or_is_a_form_error(jump: str, check: str, record: dict) -> None:
    """Any rule text in a jump or a check gives a FormError or a form that runs on any record."""
    form, exc = escapes_only_qengine_errors(lambda: qengine.load_text(small_form(jump=jump,
                                                                                 check=check)))
    if form is None:
        assert isinstance(exc, qengine.FormError) and exc.problems
        return
    report, _ = escapes_only_qengine_errors(lambda: form.validate(record))
    assert report is not None
    iv = form.start()
    for qid in ("q1", "q2", "q3"):
        if iv.finished or iv.current.id != qid or qid not in record:
            break
        escapes_only_qengine_errors(lambda v=record[qid]: iv.answer(v))


BOUND = """
from tests.fuzz.contract import small_form
contract(lambda: qengine.load_text(small_form(check=RULE)))
contract(lambda: qengine.load_text(small_form(jump=RULE)))
"""
BOUNDED = {
    "or_chain_100000": 'RULE = " or ".join(["q2 == 1"] * 100000)',
    "and_chain_4000_chars": 'RULE = " and ".join(["q2 == 1"] * 360)',
    "parens_100000": 'RULE = "(" * 100000 + "1" + ")" * 100000',
    "parens_3999": 'RULE = "(" * 1999 + "1" + ")" * 1999',
    "not_100000": 'RULE = "not " * 100000 + "q1 == 1"',
    "minus_3990": 'RULE = "q2 == " + "-" * 3990 + "1"',
    "digits_5000": 'RULE = "q2 == " + "9" * 5000',
    "digits_3990": 'RULE = "q2 == " + "9" * 3990',
    "exponent_e400": 'RULE = "q2 == 1e400"',
    "plus_chain_1300": 'RULE = "q2 == " + " + ".join(["q2"] * 1300)',
    "unclosed_4000": 'RULE = "(" * 4000',
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bounded_hostile_rules(case: str) -> None:
    """Long, deep and many-digit rules are refused or compiled in bounded time and memory."""
    run_bounded(BOUNDED[case] + BOUND)
