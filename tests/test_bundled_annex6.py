"""The bundled annex 6 (registered poor household) against its contract in shared/FORMS.md."""

from __future__ import annotations

import pytest
from bundled_cases import (
    BASE,
    ID_LI,
    JUMPS,
    NUMBERS,
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
    warning_rules,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.notation import id_check_digit
from qengine.testing import records

FID = "annex6"
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
    """Every FORMS.md id of annex 6 (header, table, sign-off) exists, in the FORMS.md order."""
    check_ids_in_order(FID)


def test_no_extra_ids():
    """Annex 6 has no question that FORMS.md does not list."""
    check_no_extra_ids(FID)


def test_types_match_contract():
    """Each annex 6 question has the type, codes, bounds and optionality FORMS.md gives it."""
    assert kind_problems(FID) == []


def test_labels_have_zh_and_en():
    """Every annex 6 question and choice has a zh and an en label."""
    assert label_problems(FID) == []


def test_printed_numbers():
    """Each annex 6 table question keeps its printed number (4—1 for q4_1)."""
    assert {qid: F.question(qid).number for qid in NUMBERS[FID]} == NUMBERS[FID]


def test_per_capita_is_computed_not_asked():
    """q1_per_capita is never asked but appears in the report's record."""
    rec = record(FID)
    assert "q1_per_capita" not in F.path(rec)
    assert F.validate(rec).record["q1_per_capita"] == pytest.approx((20000 - 3200) / 4)


def test_base_record_is_clean():
    """The hand-written annex 6 record asks every question and validates with no violation."""
    assert F.path(BASE[FID]) == [q.id for q in F.questions if not q.computed]
    assert F.validate(BASE[FID]).violations == ()


def test_id_number_check_digit():
    """The sample id number carries a valid GB 11643 check digit; a wrong one is refused."""
    assert id_check_digit("11010519491231002") == "X"  # the standard's own example
    assert id_check_digit(ID_LI[:17]) == ID_LI[17]
    wrong = ID_LI[:17] + ("0" if ID_LI[17] != "0" else "1")
    report = F.validate(record(FID, id_number=wrong))
    assert [(v.rule, v.questions) for v in report.errors] == [("format", ("id_number",))]


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


def test_q8_is_a_three_way_jump():
    """q8: ③ skips all of 8—1…8—5, ① skips only 8—1, ② asks 8—1 and 8—2."""
    block = ["q8_1", "q8_2", "q8_3", "q8_4", "q8_5"]
    asked = {a: [q for q in block if q in F.path(record(FID, q8=a))] for a in (1, 2, 3)}
    assert asked == {3: [], 1: ["q8_2", "q8_3", "q8_4", "q8_5"], 2: block}


# -- checks ----------------------------------------------------------------------------------------
def test_income_total_fires():
    """income_total (error) fires when q1_total is not the sum of 1—1 to 1—3."""
    report = F.validate(record(FID, q1_total=20001))
    assert error_rules(report) == {"income_total"}
    (v,) = report.errors
    assert set(v.questions) >= {"q1_total", "q1_1a", "q1_1b", "q1_2", "q1_3"}


def test_income_total_holds_with_decimals():
    """income_total does not fire on a sum of amounts with fen (float rounding is forgiven)."""
    rec = record(FID, q1_total=20000.3, q1_1a=12000.1, q1_1b=5000.2, q1_2=300, q1_3=2700)
    assert F.validate(rec).violations == ()


def test_income_total_waits_for_its_parts():
    """income_total does not fire mid-interview before 1—1 to 1—3 are answered, then fires."""
    rec = record(FID, q1_total=99999)
    iv = F.start()
    for qid in ("q1_1a", "q1_1b", "q1_2", "q1_3"):
        answer_until(iv, rec, qid)
        assert "income_total" not in _rules(iv.violations)
    iv.answer(rec["q1_3"])
    assert "income_total" in _rules(iv.errors)


@pytest.mark.parametrize("answers", [{"q4": 1, "q4_1": 1, "q10": 2}], ids=["in-school-then-no"])
def test_school_consistency_fires_and_blocks_submit(answers):
    """q4_1 ① with q10 ② is the school_consistency error, and the interview cannot submit."""
    rec = record(FID, answers)
    report = F.validate(rec)
    assert error_rules(report) == {"school_consistency"}
    (v,) = report.errors
    assert v.severity == "error" and {"q4_1", "q10"} <= set(v.questions)
    iv, _asked = interview(FID, rec)
    with pytest.raises(qengine.SubmitError) as info:
        iv.submit()
    assert _rules(info.value.violations) == {"school_consistency"}


@pytest.mark.parametrize("answers", [
    {"q4": 1, "q4_1": 1, "q10": 1},
    {"q4": 1, "q4_1": 2, "q10": 2},
    {"q4": 2, "q10": 2},
], ids=["in-school-yes", "not-in-school-no", "no-children-no"])
def test_school_consistency_silent(answers):
    """school_consistency does not fire unless q4_1 is ① and q10 is ②."""
    report = F.validate(record(FID, answers))
    assert "school_consistency" not in _rules(report.violations)
    assert report.ok


def test_no_health_policy_warns_but_submits():
    """q11 ② is the no_health_policy warning; alone, it does not block submission."""
    rec = record(FID, q11=2)
    report = F.validate(rec)
    assert report.ok and error_rules(report) == set()
    assert warning_rules(report) == {"no_health_policy"}
    iv, _asked = interview(FID, rec)
    assert [(v.rule, v.severity) for v in iv.violations] == [("no_health_policy", "warning")]
    assert iv.submit()["q11"] == 2


def test_no_health_policy_silent_on_yes():
    """no_health_policy does not fire when q11 is ①."""
    assert "no_health_policy" not in _rules(F.validate(record(FID, q11=1)).violations)


@pytest.mark.parametrize("subsidy,fires", [(50000.01, True), (50000, False), (0, False)])
def test_subsidy_le_loan(subsidy, fires):
    """subsidy_le_loan (error) fires exactly when the interest subsidy exceeds the loan."""
    report = F.validate(record(FID, q15_1b=subsidy))
    assert error_rules(report) == ({"subsidy_le_loan"} if fires else set())


def test_subsidy_le_loan_needs_a_loan():
    """With q15 ② the loan amounts are not asked and subsidy_le_loan cannot fire."""
    rec = record(FID, q15=2)
    assert "q15_1a" not in rec and F.validate(rec).violations == ()


def test_below_income_line_follows_the_param():
    """below_income_line (warning) follows param income_line alone: 4200 元 passes 4000, not 4500."""
    rec = record(FID)
    assert "below_income_line" not in warning_rules(F.validate(rec))
    report = F.validate(rec, params={"income_line": 4500})
    assert report.ok and warning_rules(report) == {"below_income_line"}
    (v,) = report.warnings
    assert v.severity == "warning" and "q1_per_capita" in v.questions


def test_below_income_line_in_interview_and_record():
    """With income_line 4500 the interview warns, still submits, and the record has q1_per_capita."""
    rec = record(FID)
    iv, _asked = interview(FID, rec, params={"income_line": 4500})
    assert _rules(iv.warnings) == {"below_income_line"} and iv.errors == ()
    submitted = iv.submit()
    assert submitted["q1_per_capita"] == pytest.approx((rec["q1_total"] - rec["q1_4"]) / 4)
    iv_default, _asked = interview(FID, rec)
    assert iv_default.violations == ()
    assert iv_default.submit() == submitted


@pytest.mark.parametrize("expenses,fires", [(5000, True), (4000, False), (3999.99, False)])
def test_below_income_line_default(expenses, fires):
    """With the default line (4000 元) a per capita of 3750 warns; 4000 (at the line) does not."""
    report = F.validate(record(FID, q1_4=expenses))
    assert ("below_income_line" in warning_rules(report)) is fires
    assert report.ok


# -- edge cases ------------------------------------------------------------------------------------
def test_negative_money_refused():
    """A negative amount is refused with code range, in a record and in an interview."""
    report = F.validate(record(FID, q15_1a=-100))
    assert ("range", ("q15_1a",)) in [(v.rule, v.questions) for v in report.errors]
    iv = F.start()
    answer_until(iv, record(FID), "q1_1a")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(-100)
    assert info.value.code == "range" and iv.current.id == "q1_1a"


def test_money_with_decimals_in_interview():
    """Entered amounts with fen ("12,000.10", 5000.2) are accepted and kept as numbers."""
    rec = record(FID, q1_total=20000.3, q1_1a=12000.1, q1_1b=5000.2)
    iv = F.start()
    answer_until(iv, rec, "q1_1a")
    iv.answer("12,000.10")
    iv.answer(5000.2)
    while iv.current is not None:
        iv.answer(rec.get(iv.current.id))
    out = iv.submit()
    assert out["q1_1a"] == pytest.approx(12000.1) and out["q1_1b"] == pytest.approx(5000.2)


@pytest.mark.parametrize("qid,value", [("q2", 3), ("q6", 4), ("q4_2", 5), ("q6_1", [5]),
                                       ("q10_1", [9])])
def test_bad_code_refused(qid, value):
    """A code outside the question's choices is refused with code choice."""
    report = F.validate(record(FID, {qid: value}))
    assert ("choice", (qid,)) in [(v.rule, v.questions) for v in report.errors]


def test_bad_code_refused_in_interview():
    """iv.answer refuses a code that is not a choice and stays on the question."""
    iv = F.start()
    answer_until(iv, record(FID), "q2")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(3)
    assert info.value.code == "choice" and iv.current.id == "q2"


@pytest.mark.parametrize("entered,nxt", [("②", "q5"), ("２", "q5"), ("2", "q5"), ("否", "q5"),
                                         ("①", "q4_1"), ("１", "q4_1")])
def test_entered_text_answers(entered, nxt):
    """Circled "②", full-width "２" and the label "否" are accepted as codes, and drive the jump."""
    rec = record(FID)
    iv = F.start()
    answer_until(iv, rec, "q4")
    assert iv.answer(entered).id == nxt


def test_household_of_size_zero_refused():
    """A household of 0 people is refused (range), in a record and in an interview."""
    report = F.validate(record(FID, household_size=0))
    assert ("range", ("household_size",)) in [(v.rule, v.questions) for v in report.errors]
    iv = F.start()
    answer_until(iv, record(FID), "household_size")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(0)
    assert info.value.code == "range"


@pytest.mark.parametrize("year,rule", [(None, None), (2014, None), (2020, None), (2013, "range"),
                                       (2021, "range")])
def test_exit_year_optional_and_bounded(year, rule):
    """exit_year may be left empty; otherwise it lies in 2014–2020."""
    report = F.validate(record(FID, exit_year=year))
    assert [v.rule for v in report.errors] == ([] if rule is None else [rule])


@pytest.mark.parametrize("value", [None, []])
def test_q6_1_optional(value):
    """q6_1 (选填) may be left blank."""
    assert F.validate(record(FID, q6_1=value)).violations == ()


@pytest.mark.parametrize("qid,value,rule", [("q10_1", [1, 1], "duplicate"), ("q10_1", None, "required"),
                                            ("head_name", "", "required"),
                                            ("head_name", "  ", "required"),
                                            ("q2", True, "type"),
                                            ("survey_date", "2020-02-30", "format"),
                                            ("q15_1b", 0.001, "decimals")])
def test_malformed_answers(qid, value, rule):
    """A repeated code, empty required answers, a boolean, a bad date, 0.001 元: each refused by code."""
    report = F.validate(record(FID, {qid: value}))
    assert [(v.rule, v.questions) for v in report.errors] == [(rule, (qid,))]


def test_blank_optional_answers_in_record():
    """Blank optional answers come out of validation as None (exit_year, proxy_note) and [] (q6_1)."""
    report = F.validate(record(FID, exit_year=None, q6_1=None, proxy_note=""))
    assert report.violations == ()
    out = report.record
    assert (out["exit_year"], out["q6_1"], out["proxy_note"]) == (None, [], None)


def test_id_number_lower_case_x_stored_upper():
    """An id number ending in x is accepted and stored with X."""
    report = F.validate(record(FID, id_number="11010519491231002x"))
    assert report.violations == () and report.record["id_number"] == "11010519491231002X"


def test_changed_jump_answer_drops_skipped_answers():
    """Going back to q4 and answering ② drops the kept 4—1 and 4—2 answers from the submission."""
    rec = record(FID)
    iv = F.start()
    answer_until(iv, rec, "q5")
    iv.goto("q4")
    assert iv.answer("②").id == "q5"
    while iv.current is not None:
        iv.answer(rec.get(iv.current.id))
    out = iv.submit()
    assert "q4_1" not in out and "q4_2" not in out and out["q4"] == 2
    assert list(iv.history) == F.path(out)


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


@SETTINGS
@given(records(F), st.integers(0, 20000))
def test_below_income_line_iff_per_capita_below(rec, line):
    """below_income_line fires exactly when (q1_total − q1_4) / household_size < income_line."""
    per_capita = (rec["q1_total"] - rec["q1_4"]) / rec["household_size"]
    report = F.validate(rec, params={"income_line": line})
    assert ("below_income_line" in warning_rules(report)) is (per_capita < line)
    assert report.record["q1_per_capita"] == pytest.approx(per_capita)


@pytest.mark.parametrize("qid", ["q10_1", "q13_1b"])
def test_none_of_these_is_a_complete_answer(qid):
    """[] answers q10_1 and q13_1b ("none of these", FORMS.md); absent or None is still no answer."""
    rec = record(FID, {"q10": 1, "q13": 1, "q13_1a": 1, qid: []})
    report = F.validate(rec)
    assert report.ok, report.errors
    assert report.record[qid] == []
    for blank in (None,):
        report = F.validate({**rec, qid: blank})
        assert [(v.rule, v.questions) for v in report.errors] == [("required", (qid,))]
