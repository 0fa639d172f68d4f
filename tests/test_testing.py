"""qengine.testing: strategies, path enumeration, coverage, standard properties, pytest plugin."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from conftest import EXAMPLE, form_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import qengine
from qengine.testing import (
    InterviewScript,
    InvalidRecord,
    answers,
    check_form,
    count_paths,
    coverage,
    interviews,
    invalid_records,
    paths,
    records,
)
from qengine.testing.scenarios import KINDS

SET = settings(max_examples=30, deadline=None)


@pytest.mark.parametrize(("name", "expected"), [("annex6", 61440), ("annex7", 192),
                                                ("annex5", 16)])
def test_path_counts_of_the_bundled_forms(name: str, expected: int) -> None:
    """The number of distinct paths (annex 6: 3·2·2·5·2·2·2·4·2·4·2·2 = 61,440)."""
    assert count_paths(qengine.load(name)) == expected


@pytest.mark.parametrize("name", ["annex7", "annex5"])
def test_enumerated_paths_are_distinct_and_witnessed(name: str) -> None:
    """Every path is yielded once, and its witness record takes exactly that path."""
    form = qengine.load(name)
    found = list(paths(form))
    assert len(found) == count_paths(form)
    assert len({p.questions for p in found}) == len(found)
    for p in found:
        assert tuple(form.path(p.witness)) == p.questions


def test_annex6_paths_sampled_and_limited(annex6: qengine.Form) -> None:
    """A limit stops the enumeration; a sample of annex 6's witnesses takes its paths."""
    first = list(paths(annex6, limit=500))
    assert len(first) == 500
    for p in first[::25]:
        assert tuple(annex6.path(p.witness)) == p.questions
    with pytest.raises(ValueError):
        list(paths(annex6, limit=0))


def test_witnesses_cover_every_jump(annex6: qengine.Form) -> None:
    """The witnesses of all paths take every jump and pass every jump question."""
    cov = coverage(annex6, (p.witness for p in itertools.islice(paths(annex6), None)))
    assert cov.untaken_jumps == [] and cov.jumps_never_passed == []
    assert cov.records == 61440


def test_coverage_reports_what_is_missing(jumpy: qengine.Form) -> None:
    """One record leaves jumps untaken; the summary names them."""
    cov = coverage(jumpy, [{"a": 1, "b": 5, "c": [1], "d": 50, "e": "x", "f": 2, "sign": "s"}])
    assert ("a", 0) in cov.untaken_jumps
    assert not cov.complete
    assert "jump never taken: a `a == ②` -> c" in cov.summary()


def test_answers_rejects_what_it_cannot_draw(annex6: qengine.Form) -> None:
    """answers() takes a Question; a computed one has no answers."""
    with pytest.raises(TypeError):
        answers("q4")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        answers(annex6.question("q1_per_capita"))


def test_records_options_are_checked_eagerly(annex6: qengine.Form) -> None:
    """Unknown fixed ids, refused fixed values and bad params fail when the strategy is built."""
    with pytest.raises(KeyError):
        records(annex6, fixed={"q99": 1})
    with pytest.raises(qengine.AnswerError):
        records(annex6, fixed={"q4": 7})
    with pytest.raises(qengine.ParamError):
        records(annex6, params={"income": 1})
    with pytest.raises(TypeError):
        records("annex6")  # type: ignore[arg-type]


@SET
@given(records(qengine.load("annex6"), fixed={"q4": 1, "q4_1": 2}))
def test_fixed_answers_are_used(record: dict[str, Any]) -> None:
    """records(fixed=...) pins answers wherever the question is asked."""
    assert record["q4"] == 1 and record["q4_1"] == 2 and "q4_2" in record


@SET
@given(records(qengine.load("annex6"), params={"income_line": 4500}))
def test_params_reach_the_records(record: dict[str, Any]) -> None:
    """records(params=...) validates against the overridden params."""
    assert qengine.load("annex6").validate(record, params={"income_line": 4500}).ok


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["annex6", "annex7", "annex5"])
def test_invalid_records_yield_their_paired_error(name: str, kind: str) -> None:
    """Each broken record of each kind produces exactly its paired error."""
    form = qengine.load(name)

    @settings(max_examples=12, deadline=None)
    @given(invalid_records(form, kinds=(kind,)))
    def check(case: InvalidRecord) -> None:
        assert case.kind in (kind, "unknown_question")  # the fallback when a kind cannot apply
        report = form.validate(case.record)
        assert case.matches(report), (case, report.errors)

    check()


def test_invalid_records_arguments(annex6: qengine.Form) -> None:
    """kinds must be known."""
    with pytest.raises(ValueError):
        invalid_records(annex6, kinds=("nonsense",))


@pytest.mark.parametrize("name", ["annex6", "annex7"])
def test_interview_scripts_end_in_their_record(name: str) -> None:
    """A script with backs, detours and resumes submits exactly its record."""
    form = qengine.load(name)

    @settings(max_examples=25, deadline=None)
    @given(interviews(form))
    def check(script: InterviewScript) -> None:
        iv = script.run(form)
        assert iv.finished
        submitted = iv.submit()
        assert {k: v for k, v in submitted.items() if not form.question(k).computed} == \
            script.record

    check()


def test_check_form_passes_good_forms_and_catches_a_bad_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The standard properties pass on the example and fail on a form whose check always fires."""
    check_form(EXAMPLE, max_examples=10)
    bad = tmp_path / "bad.yaml"
    bad.write_text(form_yaml("- {id: a, label: A, type: integer, min: 0}\n",
                             checks="- {id: c, severity: error, assert: a < 0, message: m}\n"),
                   encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - hypothesis reports it unsatisfiable
        check_form(bad, max_examples=10, properties=("records_validate",))
    with pytest.raises(ValueError):
        check_form(EXAMPLE, properties=("nope",))


def test_plugin_fixture(pytester: pytest.Pytester) -> None:
    """A form author's repository tests a form in three lines with the qengine_check fixture."""
    pytester.makepyfile(test_form=f"""
        def test_form(qengine_check):
            qengine_check({str(EXAMPLE)!r})
    """)
    result = pytester.runpytest("--qengine-examples", "5")  # the plugin loads by entry point
    result.assert_outcomes(passed=1)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_answers_shrink_to_simple_values(data: st.DataObject) -> None:
    """The simplest answer drawn is the first code / zero / short text (readable shrinks)."""
    form = qengine.load("annex6")
    q = form.question("q8")
    value = data.draw(answers(q))
    assert value in (1, 2, 3)
