"""The bundled annex 5 (poor-village exit verification) against its contract in shared/FORMS.md."""

from __future__ import annotations

import pytest
from bundled_cases import (
    BASE,
    JUMPS,
    RELATIONS,
    SIGNOFF,
    answer_until,
    broken_relations,
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
from qengine.testing import records

FID = "annex5"
F = form(FID)
ROWS = [row[1:] for row in JUMPS if row[0] == FID]
TAKEN = [row for row in ROWS if skipped_by(FID, row[0], row[2])]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
RELATION_IDS = {check_id: ids for check_id, ids, _holds in RELATIONS[FID]}

# For every relation of FORMS.md: a change to the base record that breaks it (and nothing else), and
# one that brings it to its boundary, where it still holds. Base: 420 households, 1520 people.
CASES: list[tuple[str, dict[str, int], dict[str, int]]] = [
    ("i4_le_i2", {"i2": 30}, {"i2": 38}),
    ("i5_le_i3", {"i5": 1521}, {"i5": 1520}),
    ("i2_le_i3", {"i2": 1521}, {"i2": 1520}),
    ("i4_le_i5", {"i5": 37}, {"i5": 38}),
    ("i8_le_i2", {"i8": 421, "i9": 600}, {"i8": 420, "i9": 600}),
    ("i8_le_i9", {"i9": 19}, {"i9": 20}),
    *[(f"i{k}_le_i3", {f"i{k}": 1521}, {f"i{k}": 1520}) for k in (6, 7, 9, 10, 11, 12, 13)],
    *[(f"i18_{k}_le_i18", {f"i18_{k}": 19}, {f"i18_{k}": 18}) for k in range(1, 6)],
    ("i22_le_i4", {"i22": 39}, {"i22": 38}),
    ("i24_1_le_i24", {"i24_1": 13}, {"i24_1": 12}),
    ("i30_4_sum", {"i30_4_2": 3}, {"i30_4": 7, "i30_4_2": 3}),
    ("i30_4_sum", {"i30_4_2": 1}, {"i30_4": 5, "i30_4_2": 1}),
    ("i30_5_sum", {"i30_5_2": 2}, {"i30_5": 4, "i30_5_2": 2}),
    ("i30_5_sum", {"i30_5_2": 0}, {"i30_5": 2, "i30_5_2": 0}),
    ("i30_5_3_4_le_i30_5_1", {"i30_5_4": 2}, {"i30_5_3": 0, "i30_5_4": 2}),
    ("i34_le_i33", {"i34": 8}, {"i34": 7}),
]


def _row_id(row: tuple) -> str:
    return f"{row[0]}={row[1]}->{row[2]}"


def _case_id(case: tuple) -> str:
    return f"{case[0]}:" + ",".join(f"{k}={v}" for k, v in case[1].items())


# -- ids, order, types -----------------------------------------------------------------------------
def test_ids_in_order():
    """Every FORMS.md id of annex 5 (header, items, sign-off) exists, in the seed's order."""
    check_ids_in_order(FID)


def test_no_extra_ids():
    """Annex 5 has no question that FORMS.md does not list."""
    check_no_extra_ids(FID)


def test_types_match_contract():
    """Counts are integers ≥ 0, i20 is a signed 万元 amount, yes/no and ①–N items are choices."""
    assert kind_problems(FID) == []


def test_labels_have_zh_and_en():
    """Every annex 5 question and choice has a zh and an en label."""
    assert label_problems(FID) == []


def test_item_numbers_are_item_codes():
    """Each item keeps its printed code as number: i18_1 is "18_1", i30_4_1 is "30_4_1"."""
    items = [q for q in F.questions if q.id.startswith("i")]
    assert {q.id: q.number for q in items} == {q.id: q.id[1:] for q in items}


def test_base_record_is_clean():
    """The hand-written annex 5 record asks every item and validates with no violation."""
    assert F.path(BASE[FID]) == [q.id for q in F.questions]
    assert F.validate(BASE[FID]).violations == ()


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
    """Answers kept for items a jump skips are flagged not_asked; null ones pass."""
    check_skipped_answers_refused(FID, question, answer, nxt)


def test_i31_no_ends_with_the_signoff():
    """i31 ② ends the sheet: only the review sign-off follows, and it can be submitted."""
    rec = record(FID, i31=2)
    path = F.path(rec)
    assert path[path.index("i31"):] == ["i31", *SIGNOFF[FID]]
    iv, asked = interview(FID, rec)
    assert asked == path
    out = iv.submit()
    assert [k for k in ("i32", "i33", "i34", "i35") if k in out] == []


@pytest.mark.parametrize("entered", ["0", "０", 0.0])
def test_numeric_jump_on_entered_zero(entered):
    """An entered "0" (also full-width, or 0.0) at i23 jumps to i25."""
    iv = F.start()
    answer_until(iv, record(FID), "i23")
    assert iv.answer(entered).id == "i25"


def test_all_numeric_jumps_together():
    """No workshops, renovations or relocations: i24…, i30_4_1…, i30_5_1… are all skipped."""
    rec = record(FID, i23=0, i30_4=0, i30_5=0)
    path = F.path(rec)
    assert path[path.index("i23"):path.index("i31") + 1] == [
        "i23", "i25", "i26", "i27_1", "i27_2", "i27_3", "i27_4", "i27_5", "i27_6", "i28", "i29",
        "i30_1", "i30_2", "i30_3", "i30_4", "i30_5", "i31"]
    assert F.validate(rec).violations == ()


# -- part-not-exceeding-whole checks ---------------------------------------------------------------
def test_every_relation_has_cases():
    """Each FORMS.md relation of annex 5 has a breaking and a boundary case below."""
    assert {c[0] for c in CASES} == set(RELATION_IDS)


@pytest.mark.parametrize("check_id,breaking,_holding", CASES, ids=[_case_id(c) for c in CASES])
def test_relation_is_enforced(check_id, breaking, _holding):
    """A record breaking a FORMS.md relation fails on some check that names the relation's items."""
    rec = record(FID, breaking)
    assert broken_relations(FID, rec) == {check_id}  # the case breaks this relation only
    report = F.validate(rec)
    check_ids = {c.id for c in F.checks}
    assert any(v.rule in check_ids and set(RELATION_IDS[check_id]) <= set(v.questions)
               for v in report.errors), report.errors


@pytest.mark.parametrize("check_id,breaking,_holding", CASES, ids=[_case_id(c) for c in CASES])
def test_relation_check_fires_by_id(check_id, breaking, _holding):
    """Breaking a relation fires exactly its check, by id, as an error that blocks submission."""
    rec = record(FID, breaking)
    report = F.validate(rec)
    assert error_rules(report) == {check_id}
    assert [v.severity for v in report.violations] == ["error"]
    iv, _asked = interview(FID, rec)
    with pytest.raises(qengine.SubmitError) as info:
        iv.submit()
    assert [v.rule for v in info.value.violations] == [check_id]


@pytest.mark.parametrize("check_id,_breaking,holding", CASES, ids=[_case_id(c) for c in CASES])
def test_relation_holds_at_its_boundary(check_id, _breaking, holding):
    """At its boundary (part equal to whole, sum exact) a relation holds and nothing fires."""
    rec = record(FID, holding)
    assert broken_relations(FID, rec) == set()
    assert F.validate(rec).violations == ()


def test_sum_checks_wait_for_unskipped_parts():
    """With i30_4 and i30_5 at 0 the breakdowns are not asked, so the sum checks cannot fire."""
    rec = record(FID, i30_4=0, i30_5=0)
    assert {"i30_4_1", "i30_4_2", "i30_5_1", "i30_5_4"}.isdisjoint(rec)
    assert F.validate(rec).ok


# -- edge cases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [-3.25, 0, 12.35, "-0.5", 1234.567])
def test_i20_net_income_may_be_negative_with_decimals(value):
    """i20 (万元, a net income) accepts negative and fractional amounts (text when asked to convert)."""
    assert F.validate(record(FID, i20=value), coerce=isinstance(value, str)).violations == ()


@pytest.mark.parametrize("qid,value,code", [
    ("i2", -1, "range"), ("i24", -5, "range"), ("i18_1", 2.5, "type"), ("i3", "很多", "type"),
    ("i16", 4, "choice"), ("i35", 7, "choice"), ("i14", 0, "choice"), ("i1", 999, "range"),
    ("i1", 20201, "range"),
])
def test_bad_item_values_refused(qid, value, code):
    """A negative or fractional count, a bad code and an out-of-range year are refused by code."""
    report = F.validate(record(FID, {qid: value}))
    assert ("required", (qid,)) not in [(v.rule, v.questions) for v in report.errors]
    assert (code, (qid,)) in [(v.rule, v.questions) for v in report.errors]


def test_negative_count_refused_in_interview():
    """iv.answer refuses a negative count (range) and stays on the item."""
    iv = F.start()
    answer_until(iv, record(FID), "i2")
    with pytest.raises(qengine.AnswerError) as info:
        iv.answer(-1)
    assert info.value.code == "range" and iv.current.id == "i2"


@pytest.mark.parametrize("entered,nxt", [("②", "reviewer_unit"), ("２", "reviewer_unit"),
                                         ("①", "i32")])
def test_entered_text_at_i31(entered, nxt):
    """Circled and full-width digits are accepted at i31 and drive its jump to the end."""
    iv = F.start()
    answer_until(iv, record(FID), "i31")
    assert iv.answer(entered).id == nxt


def test_year_entered_as_text():
    """i1 accepts the year typed as text, full-width digits included, when asked to convert; a
    record holding it as text is a type error."""
    assert F.validate(record(FID, i1="２０１７"), coerce=True).violations == ()
    report = F.validate(record(FID, i1="２０１７"))
    assert [(v.rule, v.questions) for v in report.errors] == [("type", ("i1",))]


# -- properties ------------------------------------------------------------------------------------
@SETTINGS
@given(records(F))
def test_generated_records_validate_and_match_interview(rec):
    """Generated valid records validate clean; an interview fed them asks form.path(record)."""
    check_generated_record(FID, rec)


@SETTINGS
@given(records(F, valid=False))
def test_path_and_errors_follow_forms_md(rec):
    """For any record honouring the jumps, path and errors are what FORMS.md's relations predict."""
    check_contract_oracle(FID, rec)


@pytest.mark.parametrize(("year", "warned"), [(2013, True), (2014, False), (2020, False),
                                              (2021, True)])
def test_exit_year_outside_the_period_is_a_warning(year, warned):
    """i1 takes any four-digit year; one outside 2014-2020 is flagged, never refused."""
    report = F.validate(record(FID, i1=year))
    assert report.ok
    assert ("exit_year_in_period" in {v.rule for v in report.warnings}) is warned
