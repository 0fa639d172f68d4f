"""Surface: records, through form.validate and form.path, with and without coerce."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import strategies as st

import qengine
from qengine.testing import records as valid_records

from .contract import (
    BUNDLED,
    bundled,
    escapes_only_qengine_errors,
    fuzz,
    hostile,
    mutate,
    run_bounded,
)


@st.composite
def hostile_records(draw: st.DrawFn) -> tuple[object, object]:
    """A bundled form and a valid record of it with some answers and keys made hostile."""
    form = bundled(draw(st.sampled_from(BUNDLED)))
    record = dict(draw(valid_records(form)))
    ids = [q.id for q in form.questions]
    for _ in range(draw(st.integers(0, 4))):
        record[draw(st.sampled_from(ids))] = draw(hostile).value
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.one_of(st.integers(), st.none(), st.text(max_size=300), st.tuples(st.integers()),
                             st.sampled_from(["\ud800", "x" * 100_000, 10**400])))
        record[key] = draw(hostile).value
    if draw(st.integers(0, 15)) == 0:
        return form, draw(hostile).value  # not a record at all
    return form, record


@fuzz("records", 120, pair=hostile_records(), coerce=st.booleans())
def test_validate_never_raises_on_a_record(pair: tuple, coerce: bool) -> None:
    """validate() reports every problem as a Violation; its report is strict JSON and a copy."""
    form, record = pair
    before = set(record) if type(record) is dict else None
    report, exc = escapes_only_qengine_errors(lambda: form.validate(record, coerce=coerce))
    assert exc is None, f"validate raised {exc!r} on record content"
    json.dumps(report.to_dict(), allow_nan=False)
    json.dumps(report.record, allow_nan=False)
    path, _ = escapes_only_qengine_errors(lambda: form.path(record, coerce=coerce))
    assert path == report.path
    kept = copy.deepcopy(report.record)
    mutate(report.record)
    assert report.record == kept, "report.record aliases the report"
    again = form.validate(record, coerce=coerce)
    assert again.to_dict() == report.to_dict() and again.record == kept
    if before is not None:
        assert set(record) == before  # validate never edits the record


BOUND = """
form = qengine.load("annex6")
record = json.loads(open("examples/annex6-sample.jsonl", encoding="utf-8").readline())
record.update(CHANGE)
for coerce in (False, True):
    report = form.validate(record, coerce=coerce)
    json.dumps(report.to_dict(), allow_nan=False)
    form.path(record, coerce=coerce)
"""
BOUNDED = {
    "int_10_5000": "{'household_size': 10**5000, 'q1_total': -(10**5000)}",
    "decimal_1e1000000": "{'q1_total': decimal.Decimal('1E+1000000'), 'q2': decimal.Decimal('NaN')}",
    "digits_1e6": "{'q1_total': '9' * 1000000, 'household_size': '1' * 1000000}",
    "nested_100000": "{'q6_1': nested(100000), 'county': nested(100000, 'a')}",
    "keys_100000": "{f'k{i}': i for i in range(100000)}",
    "text_1e6": "{'county': '字' * 1000000, 'q6_1': '①' * 1000000}",
    "codes_1e6": "{'q6_1': list(range(1000000))}",
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bounded_hostile_records(case: str) -> None:
    """Records with huge numbers, texts, nestings and key counts validate in bounded time."""
    run_bounded(f"CHANGE = {BOUNDED[case]}\n" + BOUND)


@pytest.mark.parametrize("bad", [[], "x", 1, None, qengine], ids=["list", "str", "int", "none", "module"])
def test_not_a_record_is_a_violation(bad: object) -> None:
    """A non-mapping record is the violation not_a_record, never an exception."""
    report = bundled("annex6").validate(bad)
    assert "not_a_record" in [v.rule for v in report.errors]
