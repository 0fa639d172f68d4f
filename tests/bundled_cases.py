"""The contract of the bundled forms, written out by hand from shared/FORMS.md, and helpers.

Everything in the tables below comes from FORMS.md, not from the YAML, so that the tests built on
them check each YAML file against the contract: the ids in order with their kinds, the jumps (taken and
not taken), and the part-not-exceeding-whole relations. Only the check ids (``i4_le_i2`` …) were looked
up in the YAML, since FORMS.md names the rules but not their ids.

One complete, valid, realistic record per form (a household of 格塘村, 靖港镇, 望城区) is the base of
every hand-made case: :func:`record` overrides a few answers and drops the answers the jumps skip.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

import qengine

FORM_IDS = ("annex6", "annex7", "annex5")


@functools.cache
def form(fid: str) -> qengine.Form:
    """The bundled form ``fid``, compiled once per test session."""
    return qengine.load(fid)


# -- ids, in order, with their kinds ---------------------------------------------------------------
# A kind is one of: text, id_number, date, money, computed, count (integer >= 0), size (integer >= 1),
# exit_year, year, yesno, one:N (single, codes 1..N), any:N (multiple, codes 1..N), net_wan (annex 5
# item 20: 万元, decimals, may be negative). A trailing "?" marks an optional question.

_HOUSEHOLD_HEADER = [
    ("county", "text"), ("township", "text"), ("village", "text"), ("group", "text"),
    ("head_name", "text"), ("id_number", "id_number"), ("household_size", "size"),
]

SPEC: dict[str, list[tuple[str, str]]] = {
    "annex6": [
        *_HOUSEHOLD_HEADER, ("exit_year", "exit_year?"),
        ("q1_total", "money"), ("q1_per_capita", "computed"), ("q1_1a", "money"), ("q1_1b", "money"),
        ("q1_2", "money"), ("q1_3", "money"), ("q1_4", "money"),
        ("q2", "yesno"), ("q3", "yesno"),
        ("q4", "yesno"), ("q4_1", "yesno"), ("q4_2", "one:4"),
        ("q5", "yesno"), ("q5_1", "one:4"),
        ("q6", "one:3"), ("q6_1", "any:4?"),
        ("q7", "yesno"), ("q7_1a", "yesno"), ("q7_1b", "yesno"), ("q7_1c", "yesno"), ("q7_1d", "yesno"),
        ("q8", "one:3"), ("q8_1", "yesno"), ("q8_2", "yesno"), ("q8_3", "yesno"), ("q8_4", "any:5"),
        ("q8_5", "yesno"),
        ("q9", "one:4"), ("q9_1a", "one:2"), ("q9_1b", "yesno"), ("q9_1c", "one:2"),
        ("q10", "yesno"), ("q10_1", "any:8"),
        ("q11", "yesno"), ("q11_1", "any:7"),
        ("q12", "yesno"), ("q12_1", "any:6"), ("q12_2", "yesno"), ("q12_3", "one:3"),
        ("q13", "yesno"), ("q13_1a", "yesno"), ("q13_1b", "any:7"),
        ("q14", "yesno"), ("q14_1", "yesno"), ("q14_2", "yesno"), ("q14_3", "yesno"), ("q14_4", "yesno"),
        ("q15", "yesno"), ("q15_1a", "money"), ("q15_1b", "money"),
        ("q16", "yesno"), ("q17", "yesno"), ("q18", "yesno"),
        ("q19", "yesno"), ("q19_1", "any:7"), ("q20", "one:4"),
        ("respondent_sign", "text"), ("proxy_note", "text?"), ("reviewer_unit", "text"),
        ("reviewer_sign", "text"), ("survey_date", "date"),
    ],
    "annex7": [
        *_HOUSEHOLD_HEADER, ("hh_type", "any:5"),
        ("q1_total", "money"), ("q1_a", "money"), ("q1_b", "money"),
        ("q2", "yesno"), ("q2_1", "yesno"), ("q2_2", "one:4"),
        ("q3", "yesno"), ("q3_1", "yesno"), ("q3_2", "money"), ("q3_3", "yesno"),
        ("q3_4a", "money"), ("q3_4b", "money"),
        ("q4", "one:3"), ("q4_1", "any:4?"),
        ("q5", "one:4"), ("q5_1a", "one:2"), ("q5_1b", "yesno"), ("q5_1c", "one:2"),
        ("q6", "yesno"), ("q6_1", "any:7"), ("q6_2", "yesno"),
        ("q7", "yesno"), ("q7_1", "one:3"),
        ("q8", "yesno"), ("q8_1", "yesno"), ("q8_2", "any:6"),
        ("respondent_sign", "text"), ("reviewer_unit", "text"), ("reviewer_sign", "text"),
        ("survey_date", "date"),
    ],
    "annex5": [
        ("county", "text"), ("township", "text"), ("village", "text"),
        ("i1", "year"),
        *[(f"i{k}", "count") for k in range(2, 14)],
        ("i14", "yesno"), ("i15", "yesno"), ("i16", "one:3"), ("i17", "one:3"),
        ("i18", "count"), *[(f"i18_{k}", "count") for k in range(1, 6)],
        ("i19", "count"), ("i20", "net_wan"), ("i21", "count"), ("i22", "count"), ("i23", "count"),
        ("i24", "count"), ("i24_1", "count"), ("i25", "count"), ("i26", "yesno"),
        *[(f"i27_{k}", "count") for k in range(1, 7)], ("i28", "count"), ("i29", "count"),
        ("i30_1", "count"), ("i30_2", "count"), ("i30_3", "count"),
        ("i30_4", "count"), ("i30_4_1", "count"), ("i30_4_2", "count"),
        ("i30_5", "count"), *[(f"i30_5_{k}", "count") for k in range(1, 5)],
        ("i31", "yesno"), ("i32", "count"), ("i33", "count"), ("i34", "count"), ("i35", "one:6"),
        ("reviewer_unit", "text"), ("reviewer_sign", "text"), ("review_date", "date"),
    ],
}

# The closing sign-off block of each form: what an "end" jump still asks.
SIGNOFF: dict[str, list[str]] = {
    "annex6": ["respondent_sign", "proxy_note", "reviewer_unit", "reviewer_sign", "survey_date"],
    "annex7": ["respondent_sign", "reviewer_unit", "reviewer_sign", "survey_date"],
    "annex5": ["reviewer_unit", "reviewer_sign", "review_date"],
}

# The printed number of each annex 6 / annex 7 question in the table ("no." column of FORMS.md).
NUMBERS: dict[str, dict[str, str]] = {
    "annex6": {
        "q1_total": "1", "q1_per_capita": "1", "q1_1a": "1—1", "q1_1b": "1—1", "q1_2": "1—2",
        "q1_3": "1—3", "q1_4": "1—4", "q2": "2", "q3": "3", "q4": "4", "q4_1": "4—1", "q4_2": "4—2",
        "q5": "5", "q5_1": "5—1", "q6": "6", "q6_1": "6—1", "q7": "7", "q7_1a": "7—1", "q7_1b": "7—1",
        "q7_1c": "7—1", "q7_1d": "7—1", "q8": "8", "q8_1": "8—1", "q8_2": "8—2", "q8_3": "8—3",
        "q8_4": "8—4", "q8_5": "8—5", "q9": "9", "q9_1a": "9—1", "q9_1b": "9—1", "q9_1c": "9—1",
        "q10": "10", "q10_1": "10—1", "q11": "11", "q11_1": "11—1", "q12": "12", "q12_1": "12—1",
        "q12_2": "12—2", "q12_3": "12—3", "q13": "13", "q13_1a": "13—1", "q13_1b": "13—1",
        "q14": "14", "q14_1": "14—1", "q14_2": "14—2", "q14_3": "14—3", "q14_4": "14—4",
        "q15": "15", "q15_1a": "15—1", "q15_1b": "15—1", "q16": "16", "q17": "17", "q18": "18",
        "q19": "19", "q19_1": "19—1", "q20": "20",
    },
    "annex7": {
        "q1_total": "1", "q1_a": "1", "q1_b": "1", "q2": "2", "q2_1": "2—1", "q2_2": "2—2",
        "q3": "3", "q3_1": "3—1", "q3_2": "3—2", "q3_3": "3—3", "q3_4a": "3—4", "q3_4b": "3—4",
        "q4": "4", "q4_1": "4—1", "q5": "5", "q5_1a": "5—1", "q5_1b": "5—1", "q5_1c": "5—1",
        "q6": "6", "q6_1": "6—1", "q6_2": "6—2", "q7": "7", "q7_1": "7—1", "q8": "8",
        "q8_1": "8—1", "q8_2": "8—2",
    },
}


def spec_ids(fid: str) -> list[str]:
    """Every id FORMS.md lists for ``fid``, in order (computed ones included)."""
    return [qid for qid, _kind in SPEC[fid]]


def asked_ids(fid: str) -> list[str]:
    """The ids FORMS.md lists for ``fid`` that an interview can ask (computed ones left out)."""
    return [qid for qid, kind in SPEC[fid] if kind != "computed"]


# -- jumps -----------------------------------------------------------------------------------------
# (form, question, answer, the id asked next). A jump to "end" goes on to the sign-off block. Each jump
# of FORMS.md appears taken and not taken; the not-taken rows expect the question printed next.
JUMPS: list[tuple[str, str, Any, str]] = [
    # annex 6
    ("annex6", "q4", 2, "q5"), ("annex6", "q4", 1, "q4_1"),
    ("annex6", "q4_1", 1, "q5"), ("annex6", "q4_1", 2, "q4_2"),
    ("annex6", "q5", 1, "q6"), ("annex6", "q5", 2, "q5_1"),
    ("annex6", "q7", 2, "q8"), ("annex6", "q7", 1, "q7_1a"),
    ("annex6", "q8", 3, "q9"), ("annex6", "q8", 1, "q8_2"), ("annex6", "q8", 2, "q8_1"),
    ("annex6", "q8_3", 1, "q8_5"), ("annex6", "q8_3", 2, "q8_4"),
    ("annex6", "q9", 1, "q10"), ("annex6", "q9", 2, "q9_1a"), ("annex6", "q9", 4, "q9_1a"),
    ("annex6", "q10", 2, "q11"), ("annex6", "q10", 1, "q10_1"),
    ("annex6", "q11", 2, "q12"), ("annex6", "q11", 1, "q11_1"),
    ("annex6", "q12", 2, "q12_2"), ("annex6", "q12", 1, "q12_1"),
    ("annex6", "q12_2", 2, "q13"), ("annex6", "q12_2", 1, "q12_3"),
    ("annex6", "q13", 2, "q14"), ("annex6", "q13", 1, "q13_1a"),
    ("annex6", "q14", 2, "q14_2"), ("annex6", "q14", 1, "q14_1"),
    ("annex6", "q14_3", 2, "q15"), ("annex6", "q14_3", 1, "q14_4"),
    ("annex6", "q15", 2, "q16"), ("annex6", "q15", 1, "q15_1a"),
    ("annex6", "q19", 2, "q20"), ("annex6", "q19", 1, "q19_1"),
    # annex 7
    ("annex7", "q2", 2, "q3"), ("annex7", "q2", 1, "q2_1"),
    ("annex7", "q2_1", 1, "q3"), ("annex7", "q2_1", 2, "q2_2"),
    ("annex7", "q3_1", 2, "q3_3"), ("annex7", "q3_1", 1, "q3_2"),
    ("annex7", "q3_3", 2, "q4"), ("annex7", "q3_3", 1, "q3_4a"),
    ("annex7", "q5", 1, "q6"), ("annex7", "q5", 3, "q5_1a"),
    ("annex7", "q6", 2, "q7"), ("annex7", "q6", 1, "q6_1"),
    ("annex7", "q7", 2, "q8"), ("annex7", "q7", 1, "q7_1"),
    ("annex7", "q8", 2, "end"), ("annex7", "q8", 1, "q8_1"),
    # annex 5: numeric jumps on 0, and i31 ② ends the sheet
    ("annex5", "i23", 0, "i25"), ("annex5", "i23", 1, "i24"),
    ("annex5", "i30_4", 0, "i30_5"), ("annex5", "i30_4", 6, "i30_4_1"),
    ("annex5", "i30_5", 0, "i31"), ("annex5", "i30_5", 3, "i30_5_1"),
    ("annex5", "i31", 2, "end"), ("annex5", "i31", 1, "i32"),
]


def target_id(fid: str, target: str) -> str:
    """The id asked at ``target``: the first sign-off question for "end"."""
    return SIGNOFF[fid][0] if target == "end" else target


def skipped_by(fid: str, question: str, target: str) -> list[str]:
    """The ids FORMS.md puts strictly between ``question`` and ``target`` (the skipped ones)."""
    ids = asked_ids(fid)
    return ids[ids.index(question) + 1: ids.index(target_id(fid, target))]


# -- checks ----------------------------------------------------------------------------------------
Pred = Callable[[Mapping[str, Any]], bool]


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005  # money has at most 2 decimals


# (check id, the ids it names, the relation that must hold) for every error rule of FORMS.md.
RELATIONS: dict[str, list[tuple[str, tuple[str, ...], Pred]]] = {
    "annex6": [
        ("income_total", ("q1_total", "q1_1a", "q1_1b", "q1_2", "q1_3"),
         lambda r: _close(r["q1_total"], r["q1_1a"] + r["q1_1b"] + r["q1_2"] + r["q1_3"])),
        ("school_consistency", ("q4_1", "q10"), lambda r: not (r["q4_1"] == 1 and r["q10"] == 2)),
        ("subsidy_le_loan", ("q15_1a", "q15_1b"), lambda r: r["q15_1b"] <= r["q15_1a"]),
    ],
    "annex7": [
        ("income_total", ("q1_total", "q1_a", "q1_b"),
         lambda r: _close(r["q1_total"], r["q1_a"] + r["q1_b"])),
        ("hospital_self_le_total", ("q3_4a", "q3_4b"), lambda r: r["q3_4b"] <= r["q3_4a"]),
    ],
    "annex5": [
        *[(f"{part}_le_{whole}", (part, whole),
           (lambda p, w: lambda r: r[p] <= r[w])(part, whole))
          for part, whole in [
              ("i4", "i2"), ("i5", "i3"), ("i2", "i3"), ("i4", "i5"), ("i8", "i2"), ("i8", "i9"),
              ("i6", "i3"), ("i7", "i3"), ("i9", "i3"), ("i10", "i3"), ("i11", "i3"), ("i12", "i3"),
              ("i13", "i3"), ("i18_1", "i18"), ("i18_2", "i18"), ("i18_3", "i18"), ("i18_4", "i18"),
              ("i18_5", "i18"), ("i22", "i4"), ("i24_1", "i24"), ("i34", "i33")]],
        ("i30_4_sum", ("i30_4", "i30_4_1", "i30_4_2"),
         lambda r: r["i30_4_1"] + r["i30_4_2"] == r["i30_4"]),
        ("i30_5_sum", ("i30_5", "i30_5_1", "i30_5_2"),
         lambda r: r["i30_5_1"] + r["i30_5_2"] == r["i30_5"]),
        ("i30_5_3_4_le_i30_5_1", ("i30_5_1", "i30_5_3", "i30_5_4"),
         lambda r: r["i30_5_3"] + r["i30_5_4"] <= r["i30_5_1"]),
    ],
}


def broken_relations(fid: str, rec: Mapping[str, Any]) -> set[str]:
    """The check ids of the FORMS.md relations that ``rec`` breaks (a relation whose questions are
    not all answered does not apply)."""
    out = set()
    for check_id, ids, holds in RELATIONS[fid]:
        if all(rec.get(q) is not None for q in ids) and not holds(rec):
            out.add(check_id)
    return out


# -- one complete valid record per form ------------------------------------------------------------
# GB 11643 ids: 430112 is 望城区; the check digits were computed by hand (and are tested).
ID_LI = "430112196503121233"
ID_ZHOU = "430112195809210453"

_PLACE = {"county": "望城区", "township": "靖港镇", "village": "格塘村"}

# Every question of annex 6 is asked: no jump fires. Per capita (20000 − 3200) / 4 = 4200 元,
# above the 4000 元 line and below 4500.
BASE: dict[str, dict[str, Any]] = {
    "annex6": {
        **_PLACE, "group": "3组", "head_name": "李建国", "id_number": ID_LI, "household_size": 4,
        "exit_year": 2017,
        "q1_total": 20000, "q1_1a": 12000, "q1_1b": 5000, "q1_2": 300, "q1_3": 2700, "q1_4": 3200,
        "q2": 1, "q3": 1, "q4": 1, "q4_1": 2, "q4_2": 2, "q5": 2, "q5_1": 2, "q6": 1, "q6_1": [1],
        "q7": 1, "q7_1a": 1, "q7_1b": 1, "q7_1c": 1, "q7_1d": 2,
        "q8": 2, "q8_1": 1, "q8_2": 1, "q8_3": 2, "q8_4": [2], "q8_5": 1,
        "q9": 2, "q9_1a": 1, "q9_1b": 1, "q9_1c": 1, "q10": 1, "q10_1": [1, 2], "q11": 1,
        "q11_1": [1, 4], "q12": 1, "q12_1": [1], "q12_2": 1, "q12_3": 2, "q13": 1, "q13_1a": 1,
        "q13_1b": [1], "q14": 1, "q14_1": 2, "q14_2": 2, "q14_3": 1, "q14_4": 1,
        "q15": 1, "q15_1a": 50000, "q15_1b": 2250, "q16": 2, "q17": 1, "q18": 1, "q19": 1,
        "q19_1": [2], "q20": 2,
        "respondent_sign": "李建国", "proxy_note": None, "reviewer_unit": "靖港镇扶贫办",
        "reviewer_sign": "王敏", "survey_date": "2020-04-15",
    },
    "annex7": {
        **_PLACE, "group": "5组", "head_name": "周桂英", "id_number": ID_ZHOU, "household_size": 3,
        "hh_type": [4],
        "q1_total": 15600, "q1_a": 0, "q1_b": 15600,
        "q2": 1, "q2_1": 2, "q2_2": 1, "q3": 1, "q3_1": 1, "q3_2": 2400.5, "q3_3": 1,
        "q3_4a": 18000, "q3_4b": 5400, "q4": 1, "q4_1": [], "q5": 2, "q5_1a": 1, "q5_1b": 1,
        "q5_1c": 1, "q6": 1, "q6_1": [1], "q6_2": 2, "q7": 1, "q7_1": 1, "q8": 1, "q8_1": 1,
        "q8_2": [1, 2],
        "respondent_sign": "周桂英", "reviewer_unit": "靖港镇人民政府", "reviewer_sign": "王敏",
        "survey_date": "2020-04-16",
    },
    "annex5": {
        **_PLACE, "i1": 2017, "i2": 420, "i3": 1520, "i4": 38, "i5": 95, "i6": 1480, "i7": 1050,
        "i8": 20, "i9": 35, "i10": 6, "i11": 60, "i12": 1, "i13": 2, "i14": 1, "i15": 1, "i16": 1,
        "i17": 2, "i18": 18, "i18_1": 18, "i18_2": 18, "i18_3": 18, "i18_4": 16, "i18_5": 18,
        "i19": 2, "i20": 12.35, "i21": 3, "i22": 15, "i23": 1, "i24": 12, "i24_1": 5, "i25": 8,
        "i26": 2, "i27_1": 2, "i27_2": 1, "i27_3": 0, "i27_4": 0, "i27_5": 1, "i27_6": 0,
        "i28": 38, "i29": 120, "i30_1": 30, "i30_2": 25, "i30_3": 20,
        "i30_4": 6, "i30_4_1": 4, "i30_4_2": 2,
        "i30_5": 3, "i30_5_1": 2, "i30_5_2": 1, "i30_5_3": 1, "i30_5_4": 1,
        "i31": 1, "i32": 3, "i33": 7, "i34": 2, "i35": 4,
        "reviewer_unit": "靖港镇扶贫办", "reviewer_sign": "王敏", "review_date": "2020-04-20",
    },
}


def record(fid: str, overrides: Mapping[str, Any] | None = None, /, *,
           params: Mapping[str, Any] | None = None, **answers: Any) -> dict[str, Any]:
    """The base record of ``fid`` with some answers changed, without the answers the jumps skip."""
    rec = copy.deepcopy(BASE[fid])
    rec.update(overrides or {})
    rec.update(answers)
    asked = set(form(fid).path(rec, params))
    return {qid: value for qid, value in rec.items() if qid in asked}


def answer_until(iv: qengine.Interview, rec: Mapping[str, Any], stop: str) -> None:
    """Answer ``iv`` from ``rec`` until the current question is ``stop``."""
    while iv.current is not None and iv.current.id != stop:
        iv.answer(rec.get(iv.current.id))
    assert iv.current is not None, f"the interview never asked {stop}"


def interview(fid: str, rec: Mapping[str, Any], params: Mapping[str, Any] | None = None
              ) -> tuple[qengine.Interview, list[str]]:
    """An interview of ``fid`` fed the answers of ``rec`` to the end, and the ids it asked in order."""
    iv = form(fid).start(params=params)
    asked: list[str] = []
    while iv.current is not None:
        qid = iv.current.id
        asked.append(qid)
        assert len(asked) <= len(form(fid).questions), "the interview does not end"
        iv.answer(rec.get(qid))
    return iv, asked


def error_rules(report: qengine.Report) -> set[str]:
    return {v.rule for v in report.errors}


def warning_rules(report: qengine.Report) -> set[str]:
    return {v.rule for v in report.warnings}


# -- the contract as an oracle -----------------------------------------------------------------------
def spec_path(fid: str, rec: Mapping[str, Any]) -> list[str]:
    """The ids FORMS.md says are asked for ``rec``, walking the JUMPS table (not the YAML)."""
    ids = asked_ids(fid)
    taken: dict[str, list[tuple[Any, str]]] = {}
    for f, question, answer, nxt in JUMPS:
        if f == fid and nxt != ids[ids.index(question) + 1]:
            taken.setdefault(question, []).append((answer, target_id(fid, nxt)))
    path: list[str] = []
    skip_to: str | None = None
    for qid in ids:
        if skip_to is not None:
            if qid != skip_to:
                continue
            skip_to = None
        path.append(qid)
        for answer, target in taken.get(qid, []):
            if rec.get(qid) == answer:
                skip_to = target
                break
    return path


def on_path(fid: str, rec: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of ``rec`` that FORMS.md says are asked."""
    return {qid: rec[qid] for qid in spec_path(fid, rec) if qid in rec}


# -- shared assertions (each test file calls them for its own form) ----------------------------------
def check_ids_in_order(fid: str) -> None:
    """Every FORMS.md id exists in the form, in the FORMS.md order."""
    actual = [q.id for q in form(fid).questions]
    missing = [qid for qid in spec_ids(fid) if qid not in actual]
    assert missing == [], f"{fid} lacks {missing}"
    positions = [actual.index(qid) for qid in spec_ids(fid)]
    out_of_order = [spec_ids(fid)[i] for i in range(1, len(positions))
                    if positions[i] < positions[i - 1]]
    assert out_of_order == [], f"{fid}: out of the FORMS.md order: {out_of_order}"


def check_no_extra_ids(fid: str) -> None:
    """The form asks nothing that FORMS.md does not list."""
    extra = [q.id for q in form(fid).questions if q.id not in spec_ids(fid)]
    assert extra == [], f"{fid} has questions FORMS.md does not list: {extra}"


def kind_problems(fid: str) -> list[str]:
    """How the form's questions differ from the kinds FORMS.md gives them (empty when they agree)."""
    problems: list[str] = []
    f = form(fid)
    for qid, spec_kind in SPEC[fid]:
        optional = spec_kind.endswith("?")
        kind = spec_kind.rstrip("?")
        q = f.question(qid)
        codes = [c.code for c in q.choices]
        got = f"type={q.type} min={q.min} max={q.max} codes={codes} unit={q.unit}"
        if kind != "computed" and q.required == optional:
            problems.append(f"{qid}: required={q.required}, FORMS.md: "
                            f"{'optional' if optional else 'required'}")
        if kind == "yesno":
            ok = q.type == "single" and codes == [1, 2] and [
                c.labels.get("zh") for c in q.choices] == ["是", "否"]
        elif kind.startswith(("one:", "any:")):
            n = int(kind[4:])
            ok = q.type == ("single" if kind.startswith("one") else "multiple") and codes == list(
                range(1, n + 1))
        elif kind == "money":
            ok = q.type == "money" and q.min in (None, 0) and q.unit in (None, "元")
        elif kind == "count":
            ok = q.type == "integer" and q.min == 0
        elif kind == "size":
            ok = q.type == "integer" and q.min == 1
        elif kind == "exit_year":
            ok = q.type == "year" and (q.min, q.max) == (2014, 2020)
        elif kind == "net_wan":
            ok = (q.type in ("number", "money") and q.unit == "万元" and (q.min is None or q.min < 0)
                  and (q.decimals is None or q.decimals > 0))
        else:  # text, date, id_number, year, computed
            ok = q.type == kind
        if not ok:
            problems.append(f"{qid}: FORMS.md {spec_kind}, form {got}")
    return problems


def label_problems(fid: str) -> list[str]:
    """Questions or choices whose label lacks a zh or an en text."""
    problems = []
    for q in form(fid).questions:
        for lang in ("zh", "en"):
            if not (q.labels.get(lang) or "").strip():
                problems.append(f"{q.id}: no {lang} label")
            for c in q.choices:
                if not (c.labels.get(lang) or "").strip():
                    problems.append(f"{q.id} choice {c.code}: no {lang} label")
    return problems


def check_jump_path(fid: str, question: str, answer: Any, nxt: str) -> None:
    """form.path: after ``question`` answered ``answer`` comes ``nxt``; what lies between is absent."""
    f = form(fid)
    rec = record(fid, {question: answer})
    path = f.path(rec)
    target = target_id(fid, nxt)
    assert question in path
    assert path[path.index(question) + 1] == target
    skipped = skipped_by(fid, question, nxt)
    assert [qid for qid in skipped if qid in path] == []
    if nxt == "end":
        assert path[path.index(question) + 1:] == SIGNOFF[fid]
    report = f.validate(rec)
    assert error_rules(report) == set(), report.errors


def check_jump_interview(fid: str, question: str, answer: Any, nxt: str) -> None:
    """The same jump seen through an interview: the next question is the target, and back returns."""
    f = form(fid)
    rec = record(fid, {question: answer})
    iv = f.start()
    answer_until(iv, rec, question)
    nxt_q = iv.answer(answer)
    target = target_id(fid, nxt)
    assert nxt_q is not None and nxt_q.id == target
    assert iv.current is not None and iv.current.id == target
    assert iv.back() is not None and iv.current.id == question
    iv.forward()
    assert iv.current.id == target
    while iv.current is not None:
        iv.answer(rec.get(iv.current.id))
    assert list(iv.history) == f.path(rec)


def check_skipped_answers_refused(fid: str, question: str, answer: Any, nxt: str) -> None:
    """A record that keeps answers the jump skips gets one not_asked per skipped answer; nulls pass."""
    f = form(fid)
    rec = record(fid, {question: answer})
    skipped = skipped_by(fid, question, nxt)
    kept = {qid: BASE[fid][qid] for qid in skipped if BASE[fid].get(qid) not in (None, [])}
    report = f.validate({**rec, **kept})
    flagged = {v.questions[0] for v in report.violations if v.rule == "not_asked"}
    assert flagged == set(kept)
    nulls = f.validate({**rec, **dict.fromkeys(skipped)})
    assert [v.rule for v in nulls.violations if v.rule == "not_asked"] == []
    assert nulls.ok


def check_generated_record(fid: str, rec: Mapping[str, Any],
                           params: Mapping[str, Any] | None = None) -> None:
    """A generated valid record validates clean, and an interview fed it asks form.path(record)."""
    f = form(fid)
    report = f.validate(rec, params=params)
    assert report.ok, report.errors
    assert [v.rule for v in report.violations if v.severity == "error"] == []
    iv, asked = interview(fid, rec, params)
    assert asked == f.path(rec, params)
    assert iv.submit() == report.record


def check_contract_oracle(fid: str, rec: Mapping[str, Any]) -> None:
    """Path and errors of any record honouring the jumps are those FORMS.md predicts."""
    f = form(fid)
    assert f.path(rec) == spec_path(fid, rec)
    report = f.validate(rec)
    assert error_rules(report) == broken_relations(fid, on_path(fid, rec))
