"""The tallies (annex 4) equal a count made by hand, here, from ../shared/FORMS.md.

The counting below is written from FORMS.md's indicator table, its household categories and its
statuses (and the brief's extra annex 6 rows), not from qengine.reports nor from the forms'
``findings:``: it reads a record's values on its path (``form.validate(record).record``, the runtime
that says which questions were asked) and applies each rule of the table itself (the rows FORMS.md
leaves to the forms' authors as docs/forms.md reads them from the seed). Records are drawn
by ``qengine.testing.records`` for annex 6 and annex 7 (valid and not), with id numbers from a small
pool so that some households are surveyed twice, and statuses are drawn for some of their findings
(and for findings they do not have).

A property of any record set closes the file: ``all`` is the sum of its disjoint parts where the
parts are disjoint, a subtotal is at least each of its parts, and solved + in progress = total.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.notation import id_check_digit
from qengine.reports import build
from qengine.testing import records

SETTINGS = settings(max_examples=10, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

# -- FORMS.md, by hand ------------------------------------------------------------------------------
#: annex 4's columns in order, and each leaf's parent (the subtotals and `all` count a household once)
COLUMNS = ("all", "registered", "registered_not_exited", "registered_exited", "marginal", "special",
           "special_dibao", "special_wubao", "special_disabled_ill")
PARENT = {"registered_not_exited": "registered", "registered_exited": "registered",
          "special_dibao": "special", "special_wubao": "special",
          "special_disabled_ill": "special"}
SOLVED, IN_PROGRESS = "已解决", "正在解决"

Rule = Callable[[Mapping[str, Any], float], bool]


def has(v: Mapping[str, Any], *qs: str) -> bool:
    """Every question named has a value (a rule applies only then)."""
    return all(v.get(q) is not None for q in qs)


def is_(q: str, code: int) -> Rule:
    return lambda v, line: has(v, q) and v[q] == code


def hazard(q: str, sub: str, code: int | None) -> Rule:
    """住房安全但存在隐患: the house is safe (①) and a hazard is ticked (any, or ``code``)."""
    def rule(v: Mapping[str, Any], line: float) -> bool:
        if not has(v, q, sub) or v[q] != 1:
            return False
        return bool(v[sub]) if code is None else code in v[sub]
    return rule


def any_is(qs: tuple[str, ...], code: int) -> Rule:
    return lambda v, line: has(v, *qs) and any(v[q] == code for q in qs)


def none_ticked(q: str, sub: str) -> Rule:
    """``q`` is ① and nothing is ticked in the list ``sub``."""
    return lambda v, line: has(v, q, sub) and v[q] == 1 and v[sub] == []


ANNEX6: dict[str, Rule] = {
    "income_below_line": lambda v, line: has(v, "q1_per_capita") and v["q1_per_capita"] < line,
    "dropout": is_("q4_1", 2),
    # the seed's item 10: pupils since registration (q10 ①), and none of the aid (q10_1 [])
    "education_aid_missing": none_ticked("q10", "q10_1"),
    "no_medical_insurance": is_("q5", 2),
    "housing_unsafe": is_("q6", 2),
    "housing_unappraised": is_("q6", 3),
    "renovation_old_not_demolished": is_("q8_1", 2),
    "renovation_not_accepted": is_("q8_2", 2),
    "renovation_below_standard": is_("q8_3", 2),
    "renovation_subsidy_missing": is_("q8_5", 2),
    "housing_hazard": hazard("q6", "q6_1", None),
    "housing_hazard_leaks": hazard("q6", "q6_1", 1),
    "housing_hazard_livestock": hazard("q6", "q6_1", 2),
    "housing_hazard_lodging": hazard("q6", "q6_1", 3),
    "housing_hazard_other": hazard("q6", "q6_1", 4),
    "relocation_not_moved_in": is_("q7_1a", 2),
    "relocation_old_not_demolished": is_("q7_1c", 2),
    "relocation_no_support": is_("q7_1b", 2),
    "water_unsafe": any_is(("q9_1a", "q9_1b", "q9_1c"), 2),
    "food_insecure": is_("q2", 2),
    "clothing_insufficient": is_("q3", 2),
    "disability_no_support": none_ticked("q13", "q13_1b"),
}
ANNEX7: dict[str, Rule] = {
    "income_below_line": lambda v, line: (has(v, "q1_total", "household_size")
                                          and v["household_size"] != 0
                                          and v["q1_total"] / v["household_size"] < line),
    "dropout": is_("q2_1", 2),
    "no_medical_insurance": is_("q3", 2),
    "housing_unsafe": is_("q4", 2),
    "housing_unappraised": is_("q4", 3),
    "housing_hazard": hazard("q4", "q4_1", None),
    "housing_hazard_leaks": hazard("q4", "q4_1", 1),
    "housing_hazard_livestock": hazard("q4", "q4_1", 2),
    "housing_hazard_lodging": hazard("q4", "q4_1", 3),
    "housing_hazard_other": hazard("q4", "q4_1", 4),
    "water_unsafe": any_is(("q5_1a", "q5_1b", "q5_1c"), 2),
    "disability_no_support": none_ticked("q8", "q8_2"),
}
RULES = {"annex6": ANNEX6, "annex7": ANNEX7}


def leaves(form_id: str, v: Mapping[str, Any]) -> list[str]:
    """FORMS.md's household categories: annex 6 by exit_year; annex 7 by hh_type, where 边缘户
    counts once, as 边缘户 only, and 重残户 / 重病户 together as 重残重病户."""
    if form_id == "annex6":
        return ["registered_exited" if v.get("exit_year") is not None else "registered_not_exited"]
    types = v.get("hh_type") or []
    if 1 in types:
        return ["marginal"]
    out = []
    if 2 in types:
        out.append("special_dibao")
    if 3 in types:
        out.append("special_wubao")
    if 4 in types or 5 in types:
        out.append("special_disabled_ill")
    return out


def columns(cats: list[str]) -> set[str]:
    return {"all", *cats, *(PARENT[c] for c in cats if c in PARENT)}


def households(form: qengine.Form, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One path's values per household: a later survey (date, then order) replaces an earlier."""
    kept: dict[Any, tuple[tuple[str, int], dict[str, Any]]] = {}
    for i, r in enumerate(recs):
        v = form.validate(r).record
        key = v.get("id_number") or ("no id", i)
        order = (v.get("survey_date") or "", i)
        if key not in kept or order >= kept[key][0]:
            kept[key] = (order, v)
    return [v for _o, v in kept.values()]


def hand_count(form: qengine.Form, recs: list[dict[str, Any]], status: Mapping[str, str]
               ) -> dict[tuple[str, str], tuple[int, int]]:
    """(indicator, column) → (total, solved), counted by hand."""
    rules = RULES[form.id]
    line = float(form.params["income_line"])
    total: Counter[tuple[str, str]] = Counter()
    solved: Counter[tuple[str, str]] = Counter()
    for v in households(form, recs):
        cols = columns(leaves(form.id, v))
        for ind, rule in rules.items():
            if not rule(v, line):
                continue
            key = f"{form.id}:{v.get('id_number') or ''}:{ind}"
            for c in cols:
                total[ind, c] += 1
                if status.get(key) == SOLVED:
                    solved[ind, c] += 1
    return {(ind, c): (total[ind, c], solved[ind, c]) for ind in rules for c in COLUMNS}


# -- drawing records and statuses ---------------------------------------------------------------
def pool_ids(n: int) -> list[str]:
    out = []
    for k in range(n):
        first = f"430122{_dt.date(1950, 1, 1) + _dt.timedelta(days=97 * k):%Y%m%d}{k:03d}"
        out.append(first + id_check_digit(first))
    return out


IDS = pool_ids(40)


@st.composite
def record_sets(draw: st.DrawFn, form: qengine.Form) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 15))
    out = []
    for _ in range(n):
        r = dict(draw(records(form, valid=draw(st.booleans()))))
        r["id_number"] = draw(st.sampled_from(IDS))
        out.append(r)
    return out


def draw_status(draw: st.DrawFn, form: qengine.Form, recs: list[dict[str, Any]]
                ) -> dict[str, str]:
    """Statuses for some of the findings the households have (found by hand), and for some
    they do not have (keys the report warns about and ignores)."""
    line = float(form.params["income_line"])
    found = sorted(f"{form.id}:{v['id_number']}:{ind}" for v in households(form, recs)
                   for ind, rule in RULES[form.id].items() if rule(v, line))
    others = [f"{form.id}:{i}:{ind}" for i in IDS[:3] for ind in sorted(RULES[form.id])]
    keys = draw(st.lists(st.sampled_from(found), max_size=len(found))) if found else []
    keys += draw(st.lists(st.sampled_from(others), max_size=5))
    return {k: draw(st.sampled_from((SOLVED, SOLVED, IN_PROGRESS))) for k in keys}


def report_cells(data: Any) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(t["indicator"], t["category"]): (t["total"], t["solved"], t["in_progress"])
            for t in data.tallies}


@pytest.fixture(scope="module", params=["annex6", "annex7"])
def form(request: pytest.FixtureRequest) -> qengine.Form:
    return qengine.load(request.param)


def test_the_form_declares_the_indicators_counted_here(form: qengine.Form) -> None:
    """The hand count covers every indicator of the form, and the tallies list them in annex 4's
    order: the FORMS.md table, then the other rows."""
    assert {i.id for i in form.indicators} == set(RULES[form.id])
    data = build(form, [], warn=lambda text: None)
    order = [t["indicator"] for t in data.tallies[::len(COLUMNS)]]
    assert order == list(RULES[form.id])  # written above in annex 4's order
    assert [t["category"] for t in data.tallies[:len(COLUMNS)]] == list(COLUMNS)


@SETTINGS
@given(data=st.data())
def test_the_tables_equal_the_hand_count(form: qengine.Form, data: st.DataObject) -> None:
    """The tallies cell by cell, the ledger row by row and the progress, counted by hand."""
    recs = data.draw(record_sets(form))
    status = draw_status(data.draw, form, recs)
    report = build(form, recs, status, warn=lambda text: None)
    kept = households(form, recs)
    # the tallies
    expected = hand_count(form, recs, status)
    got = report_cells(report)
    assert set(got) == set(expected)
    for cell, (total, solved) in expected.items():
        assert got[cell] == (total, solved, total - solved), cell
    assert report.counts["households"] == len(kept)
    # the ledger: a row per household and problem type
    types = {i.id: i.type for i in form.indicators}
    line = float(form.params["income_line"])
    rows = []
    for v in kept:
        found = [ind for ind, rule in RULES[form.id].items() if rule(v, line)]
        by_type: dict[int, list[str]] = {}
        for ind in found:
            by_type.setdefault(types[ind], []).append(ind)
        for t in sorted(by_type):
            keys = [f"{form.id}:{v['id_number']}:{ind}" for ind in by_type[t]]
            done = all(status.get(k) == SOLVED for k in keys)
            rows.append((v.get("village") or "", v["id_number"], t, sorted(by_type[t]),
                         SOLVED if done else IN_PROGRESS, ",".join(leaves(form.id, v))))
    assert sorted(rows) == sorted(
        (r["village"], r["id_number"], r["type"], sorted(r["findings"]), r["status"],
         r["category"]) for r in report.ledger)
    villages = [r["village"] for r in report.ledger]  # grouped, in first-seen order
    assert villages == sorted(villages, key=villages.index)
    for village in set(villages):
        numbers = [r["number"] for r in report.ledger if r["village"] == village]
        assert numbers == list(range(1, len(numbers) + 1))
    # the progress: households per village, team and day
    days: Counter[tuple[str, str, str]] = Counter()
    for v in kept:
        team = " ".join(p for p in (v.get("reviewer_unit"), v.get("reviewer_sign"))
                        if p and p.strip())
        days[v.get("village") or "", team, v.get("survey_date") or ""] += 1
    assert {(p["village"], p["team"], p["date"]): p["households"]
            for p in report.progress} == dict(days)


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_parts_and_totals_add_up(form: qengine.Form, data: st.DataObject) -> None:
    """For any record set: solved + in progress = total; a subtotal is at least each of its parts
    (and at most their sum); where the parts are disjoint (annex 6: one leaf per household) the
    whole is their sum; `all` is at least every column."""
    recs = data.draw(record_sets(form))
    status = draw_status(data.draw, form, recs)
    cells = report_cells(build(form, recs, status, warn=lambda text: None))
    for ind in RULES[form.id]:
        for c in COLUMNS:
            total, solved, in_progress = cells[ind, c]
            assert solved + in_progress == total and 0 <= solved <= total
            assert cells[ind, "all"][0] >= total
        for group in ("registered", "special"):
            parts = [c for c, p in PARENT.items() if p == group]
            for k in range(2):  # totals and solved alike
                whole = cells[ind, group][k]
                assert all(whole >= cells[ind, c][k] for c in parts)
                assert whole <= sum(cells[ind, c][k] for c in parts)
        for k in range(3):
            top = [cells[ind, c][k] for c in ("registered", "marginal", "special")]
            if form.id == "annex6":  # every household is registered, in exactly one leaf
                assert cells[ind, "all"][k] == top[0] == sum(
                    cells[ind, c][k] for c in ("registered_not_exited", "registered_exited"))
                assert top[1] == top[2] == 0
            else:  # 边缘户 counts once: marginal and special never share a household
                assert top[0] == 0
                assert cells[ind, "all"][k] >= top[1] + top[2]
