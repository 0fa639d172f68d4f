"""The bundled annex 7 (non-registered household) against its contract in shared/FORMS.md."""

from __future__ import annotations

import pytest
from bundled_cases import (
    BASE,
    ID_ZHOU,
    JUMPS,
    NUMBERS,
    SIGNOFF,
    answer_until,
    check_contract_oracle,
    check_generated_record,
    check_ids_in_order,
    check_jump_interview,
    check_jump_path,
    check_no_extra_ids,
    check_skipped_answers_refused,
    error_rules,
    form,
    interview,
    kind_problems,
    label_problems,
    record,
    skipped_by,
)
from hypothesis import HealthCheck, given, settings

import qengine
from qengine.notation import id_check_digit
from qengine.testing import records

FID = "annex7"
F = form(FID)
ROWS = [row[1:] for row in JUMPS if row[0] == FID]
TAKEN = [row for row in ROWS if skipped_by(FID, row[0], row[2])]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _row_id(row: tuple) -> str:
    return f"{row[0]}={row[1]}->{row[2]}"


def _rules(violations) -> set[str]:
    return {v.rule for v in violations}


# -- ids, order, types -----------------------------------------------------------------------------
def test_ids_in_order():
    """Every FORMS.md id of annex 7 (header, table, sign-off) exists, in the FORMS.md order."""
    check_ids_in_order(FID)


def test_no_extra_ids():
    """Annex 7 has no question that FORMS.md does not list."""
    check_no_extra_ids(FID)


def test_types_match_contract():
    """Each annex 7 question has the type, codes, bounds and optionality FORMS.md gives it."""
    assert kind_problems(FID) == []


def test_labels_have_zh_and_en():
    """Every annex 7 question and choice has a zh and an en label."""
    assert label_problems(FID) == []


def test_printed_numbers():
    """Each annex 7 table question keeps its printed number (3—4 for q3_4a and q3_4b)."""
    assert {qid: F.question(qid).number for qid in NUMBERS[FID]} == NUMBERS[FID]


def test_base_record_is_clean():
    """The hand-written annex 7 record asks every question and validates with no violation."""
    assert F.path(BASE[FID]) == [q.id for q in F.questions]
    assert F.validate(BASE[FID]).violations == ()
    assert id_check_digit(ID_ZHOU[:17]) == ID_ZHOU[17]


def test_hh_type_needs_at_least_one():
    """hh_type (户属性) is a multiple choice that needs at least one code."""
    report = F.validate(record(FID, hh_type=[]))
    assert [(v.rule, v.questions) for v in report.errors] == [("required", ("hh_type",))]
    assert F.validate(record(FID, hh_type=[1, 2, 3, 4, 5])).ok


# -- jumps -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("question,answer,nxt", ROWS, ids=[_row_id(r) for r in ROWS])
def test_jump_path(question, answer, nxt):
    """form.path honours the FORMS.md jump (or its absence) for this answer."""
    check_jump_path(FID, question, answer, nxt)


@pytest.mark.parametrize("question,answer,nxt", ROWS, ids=[_row_id(r) for r in ROWS])
def test_jump_interview(question, answer, nxt):
    """An interview answered step by step asks the FORMS.md next question after this answer."""
    check_jump_interview(FID, question, answer, nxt)


@pytest.mark.parametrize("question,answer,nxt", TAKEN, ids=[_row_id(r) for r in TAKEN])
def test_skipped_answers_are_not_asked(question, answer, nxt):
    """Answers kept for questions a jump skips are flagged not_asked; null ones pass."""
    check_skipped_answers_refused(FID, question, answer, nxt)


def test_q8_no_ends_with_the_signoff():
    """q8 ② ends the questionnaire: only the sign-off block follows, and it can be submitted."""
    rec = record(FID, q8=2, hh_type=[1])
    path = F.path(rec)
    assert path[path.index("q8"):] == ["q8", *SIGNOFF[FID]]
    iv, asked = interview(FID, rec)
    assert asked == path
    out = iv.submit()
    assert "q8_1" not in out and "q8_2" not in out and out["survey_date"] == "2020-04-16"


# -- checks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("answers,fires", [
    ({"q1_total": 15600.01}, True),
    ({"q1_a": 3600}, True),
    ({"q1_total": 15600.3, "q1_a": 3600.1, "q1_b": 12000.2}, False),
    ({"q1_total": 0, "q1_a": 0, "q1_b": 0}, False),
], ids=["total-off-by-a-fen", "part-changed", "decimals", "all-zero"])
def test_income_total(answers, fires):
    """income_total (error) fires exactly when q1_total differs from q1_a + q1_b."""
    report = F.validate(record(FID, answers))
    assert error_rules(report) == ({"income_total"} if fires else set())
    if fires:
        (v,) = report.errors
        assert set(v.questions) >= {"q1_total", "q1_a", "q1_b"}


def test_income_total_blocks_submit():
    """An interview whose income parts do not add up cannot submit (income_total)."""
    iv, _asked = interview(FID, record(FID, q1_total=16000))
    with pytest.raises(qengine.SubmitError) as info:
        iv.submit()
    assert _rules(info.value.violations) == {"income_total"}


@pytest.mark.parametrize("own,fires", [(18000.01, True), (18000, False), (0, False)])
def test_hospital_self_le_total(own, fires):
    """hospital_self_le_total (error) fires exactly when the own share exceeds the hospital bill."""
    report = F.validate(record(FID, q3_4b=own))
    assert error_rules(report) == ({"hospital_self_le_total"} if fires else set())
    if fires:
        (v,) = report.errors
        assert v.severity == "error" and {"q3_4a", "q3_4b"} <= set(v.questions)


def test_hospital_check_needs_a_stay():
    """With q3_3 ② the hospital amounts are not asked and hospital_self_le_total cannot fire."""
    rec = record(FID, q3_3=2)
    assert "q3_4a" not in rec and F.validate(rec).violations == ()


# -- edge cases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("qid", ["q1_total", "q3_2", "q3_4a"])
def test_negative_money_refused(qid):
    """A negative amount is refused with code range."""
    report = F.validate(record(FID, {qid: -1}))
    assert ("range", (qid,)) in [(v.rule, v.questions) for v in report.errors]


def test_money_with_decimals():
    """Amounts with fen (2400.5 元, "2,400.50") are accepted."""
    assert F.validate(record(FID, q3_2="2,400.50"), coerce=True).violations == ()
    assert F.validate(record(FID, q3_2=2400.5)).violations == ()
    iv = F.start()
    answer_until(iv, record(FID), "q3_2")
    assert iv.answer("2400.50").id == "q3_3"


@pytest.mark.parametrize("qid,value", [("q2", 3), ("q4", 4), ("q7_1", 4), ("hh_type", [6]),
                                       ("q8_2", [7])])
def test_bad_code_refused(qid, value):
    """A code outside the question's choices is refused with code choice."""
    report = F.validate(record(FID, {qid: value}))
    assert ("choice", (qid,)) in [(v.rule, v.questions) for v in report.errors]


@pytest.mark.parametrize("entered,nxt", [("②", "q3"), ("２", "q3"), ("①", "q2_1")])
def test_entered_text_answers(entered, nxt):
    """Circled and full-width digits are accepted by iv.answer and drive the q2 jump."""
    iv = F.start()
    answer_until(iv, record(FID), "q2")
    assert iv.answer(entered).id == nxt


def test_entered_text_ends_at_q8():
    """Entering full-width "２" at q8 ends the questionnaire (the sign-off is next)."""
    iv = F.start()
    answer_until(iv, record(FID), "q8")
    assert iv.answer("２").id == SIGNOFF[FID][0]


def test_household_of_size_zero_refused():
    """A household of 0 people is refused (range), in a record and in an interview."""
    report = F.validate(record(FID, household_size=0))
    assert ("range", ("household_size",)) in [(v.rule, v.questions) for v in report.errors]
    iv = F.start()
    answer_until(iv, record(FID), "household_size")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(0)
    assert info.value.code == "range" and iv.current.id == "household_size"


@pytest.mark.parametrize("value", [None, [], [1, 3]])
def test_q4_1_optional(value):
    """q4_1 (optional) may be left blank or answered."""
    assert F.validate(record(FID, q4_1=value)).violations == ()


# -- properties ------------------------------------------------------------------------------------
@SETTINGS
@given(records(F))
def test_generated_records_validate_and_match_interview(rec):
    """Generated valid records validate clean; an interview fed them asks form.path(record)."""
    check_generated_record(FID, rec)


@SETTINGS
@given(records(F, valid=False))
def test_path_and_errors_follow_forms_md(rec):
    """For any record honouring the jumps, path and errors are what FORMS.md's table predicts."""
    check_contract_oracle(FID, rec)
