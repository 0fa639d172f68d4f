"""qengine.reports, the Python API (docs/reports.md): the three tables of a small inline form's
records, written out by hand here; records from JSON Lines, CSV and Excel files alike; worker
processes giving what one process gives; duplicates, records with errors and unreadable lines; the
status file and its errors; and the runnable examples of docs/reports.md."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import qengine
from qengine.notation import id_check_digit
from qengine.reports import ReportData, build, ledger, progress, tallies
from qengine.reports.annex import ANNEX4_ROWS, CATEGORIES, annex4_order, columns_of
from qengine.reports.collect import ReportError, ReportWarning
from qengine.reports.status import StatusError, finding_key, read_status, status_map

ROOT = Path(__file__).resolve().parent.parent
FORM = """\
form: t
version: "1"
title: {zh: 测试, en: Test}
params:
  income_line: 4000
sections:
  - id: s
    questions:
      - {id: village, label: {zh: 村, en: Village}, type: text}
      - {id: head_name, label: {zh: 户主, en: Head}, type: text}
      - {id: id_number, label: {zh: 身份证号, en: ID}, type: id_number}
      - {id: size, label: {zh: 人口, en: Size}, type: integer, min: 1}
      - {id: income, label: {zh: 收入, en: Income}, type: money}
      - {id: exited, label: {zh: 脱贫年度, en: Exit}, type: year, required: false}
      - id: house
        label: {zh: 住房, en: House}
        type: single
        choices:
          - {code: 1, label: {zh: 安全, en: safe}}
          - {code: 2, label: {zh: 危房, en: unsafe}}
        jump: {2: reviewer_unit}
      - id: hazard
        label: {zh: 隐患, en: Hazard}
        type: multiple
        none_ok: true
        choices:
          - {code: 1, label: {zh: 漏风漏雨, en: leaks}}
          - {code: 2, label: {zh: 人畜共住, en: livestock}}
      - {id: reviewer_unit, label: {zh: 单位, en: Unit}, type: text, required: false}
      - {id: reviewer_sign, label: {zh: 签名, en: Sign}, type: text, required: false}
      - {id: survey_date, label: {zh: 日期, en: Date}, type: date, required: false}
findings:
  - id: extra_thing
    type: 8
    label: {zh: 其他, en: Other}
    unit: 户
    when: size > 8
    description: {zh: "人口{size}人", en: "{size} people"}
  - id: housing_unsafe
    type: 4
    label: {zh: 住危房户数, en: Unsafe house}
    unit: 户
    when: house == ②
    description: {zh: "住房鉴定为危房", en: "An unsafe house"}
  - id: housing_hazard
    type: ④
    label: {zh: 住房安全但存在隐患, en: Hazards}
    unit: 户
    when: house == ① and count(hazard) > 0
    description: {zh: "隐患：{hazard}", en: "Hazards: {hazard}"}
  - id: income_below_line
    type: 1
    label: {zh: 收入低于4000元, en: Low income}
    unit: 户
    when: income / size < income_line
    description: {zh: "人均纯收入{income}元/{size}人，低于{income_line}元", en: "low"}
categories:
  - id: registered_exited
    label: {zh: 已脱贫, en: Out}
    when: answered(exited)
  - id: registered_not_exited
    label: {zh: 未脱贫, en: Not out}
    when: not answered(exited)
  - id: foo
    label: {zh: 其他类, en: Foo}
    when: size > 8
"""
def id_number(first17: str) -> str:
    return first17 + id_check_digit(first17)


ID1, ID2, ID3 = (id_number("43012219770915137"), id_number("43012219670111291"),
                 id_number("11010519900307123"))


def rec(idn: str, village: str, **answers: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"village": village, "head_name": f"户主{idn[-4:]}", "id_number": idn,
                            "size": 2, "income": 20000, "house": 1, "hazard": [],
                            "reviewer_unit": "第1组", "reviewer_sign": "张三",
                            "survey_date": "2020-04-08"}
    base.update(answers)
    if base["house"] == 2:
        base["hazard"] = None  # skipped
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def form() -> qengine.Form:
    return qengine.load_text(FORM, "t.yaml")


RECORDS = [
    rec(ID1, "石毫村", income=6000, house=2, exited=2018),          # low income; unsafe house
    rec(ID2, "芦江社区", hazard=[1, 2], size=9, income=90000),       # hazards; extra; foo
    rec(ID3, "石毫村", reviewer_sign=None, survey_date="2020-04-09"),  # nothing found
]


def quiet(form: qengine.Form, records: Any, status: Any = None, **kw: Any) -> ReportData:
    said: list[str] = []
    data = build(form, records, status, warn=said.append, **kw)
    data.counts["warnings"] = len(said)
    return data


# -- the tables -----------------------------------------------------------------------------------
def test_the_json_contract(form: qengine.Form) -> None:
    data = quiet(form, RECORDS)
    out = data.to_dict()
    assert list(out) == ["ledger", "tallies", "progress"]
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out  # plain data
    for row in out["ledger"]:
        assert list(row)[:8] == ["village", "head_name", "id_number", "category", "type",
                                 "description", "findings", "status"]
    for row in out["tallies"]:
        assert list(row)[:5] == ["indicator", "category", "total", "solved", "in_progress"]
    for row in out["progress"]:
        assert list(row)[:4] == ["village", "team", "date", "households"]


def test_the_ledger(form: qengine.Form) -> None:
    rows = quiet(form, RECORDS).ledger
    plain = [{k: r[k] for k in ("village", "id_number", "category", "type", "description",
                                "findings", "status", "number", "category_label", "type_label",
                                "keys", "line")} for r in rows]
    assert plain == [
        {"village": "石毫村", "id_number": ID1, "category": "registered_exited", "type": 1,
         "description": "人均纯收入6000元/2人，低于4000元", "findings": ["income_below_line"],
         "status": "正在解决", "number": 1, "category_label": "已脱贫户",
         "type_label": "人均纯收入", "keys": [f"t:{ID1}:income_below_line"], "line": 1},
        {"village": "石毫村", "id_number": ID1, "category": "registered_exited", "type": 4,
         "description": "住房鉴定为危房", "findings": ["housing_unsafe"], "status": "正在解决",
         "number": 2, "category_label": "已脱贫户", "type_label": "住房安全保障",
         "keys": [f"t:{ID1}:housing_unsafe"], "line": 1},
        {"village": "芦江社区", "id_number": ID2, "category": "registered_not_exited,foo",
         "type": 4, "description": "隐患：漏风漏雨、人畜共住", "findings": ["housing_hazard"],
         "status": "正在解决", "number": 1, "category_label": "未脱贫户、其他类",
         "type_label": "住房安全保障", "keys": [f"t:{ID2}:housing_hazard"], "line": 2},
        {"village": "芦江社区", "id_number": ID2, "category": "registered_not_exited,foo",
         "type": 8, "description": "人口9人", "findings": ["extra_thing"], "status": "正在解决",
         "number": 2, "category_label": "未脱贫户、其他类", "type_label": "其他情况",
         "keys": [f"t:{ID2}:extra_thing"], "line": 2},
    ]
    assert all(r["form"] == "t" and r["source"] is None and r["note"] == "" for r in rows)
    assert rows[0]["head_name"] == "户主1371"


def test_a_row_joins_the_findings_of_one_type(form: qengine.Form) -> None:
    """Two findings of type 4 in one row, descriptions joined with "；", solved only when both are."""
    two = [{**rec(ID1, "村"), "house": 1, "hazard": [1], "size": 9, "income": 90000}]
    extra = quiet(form, two).ledger
    assert [(r["type"], r["findings"]) for r in extra] == [(4, ["housing_hazard"]),
                                                           (8, ["extra_thing"])]
    custom = qengine.load_text(FORM.replace("when: size > 8\n    description: {zh: \"人口",
                                            "when: house == ①\n    description: {zh: \"人口")
                               .replace("type: 8\n", "type: 4\n", 1), "t.yaml")
    rows = quiet(custom, two).ledger
    assert [(r["type"], r["findings"]) for r in rows] == [(4, ["extra_thing", "housing_hazard"])]
    assert rows[0]["description"] == "人口9人；隐患：漏风漏雨"
    half = {f"t:{ID1}:extra_thing": "已解决"}
    assert quiet(custom, two, half).ledger[0]["status"] == "正在解决"
    both = {**half, f"t:{ID1}:housing_hazard": "solved"}
    assert quiet(custom, two, both).ledger[0]["status"] == "已解决"


def test_the_tallies(form: qengine.Form) -> None:
    status = {f"t:{ID1}:housing_unsafe": "已解决"}
    data = quiet(form, RECORDS, status)
    # indicators in annex 4's order, the one annex 4 does not know last
    assert [i["id"] for i in data.indicators] == ["income_below_line", "housing_unsafe",
                                                  "housing_hazard", "extra_thing"]
    assert data.indicators[0] == {"id": "income_below_line", "label": "收入低于4000元",
                                  "unit": "户", "type": 1, "type_label": "人均纯收入"}
    assert [c["id"] for c in data.categories] == [c.id for c in CATEGORIES]
    assert len(data.tallies) == 4 * 9
    cells = {(t["indicator"], t["category"]): (t["total"], t["solved"], t["in_progress"])
             for t in data.tallies}
    nonzero = {k: v for k, v in cells.items() if v[0]}
    assert nonzero == {
        ("income_below_line", "all"): (1, 0, 1), ("income_below_line", "registered"): (1, 0, 1),
        ("income_below_line", "registered_exited"): (1, 0, 1),
        ("housing_unsafe", "all"): (1, 1, 0), ("housing_unsafe", "registered"): (1, 1, 0),
        ("housing_unsafe", "registered_exited"): (1, 1, 0),
        ("housing_hazard", "all"): (1, 0, 1), ("housing_hazard", "registered"): (1, 0, 1),
        ("housing_hazard", "registered_not_exited"): (1, 0, 1),
        ("extra_thing", "all"): (1, 0, 1), ("extra_thing", "registered"): (1, 0, 1),
        ("extra_thing", "registered_not_exited"): (1, 0, 1),  # "foo" counts under all only
    }
    row = data.tallies[9]
    assert row == {"indicator": "housing_unsafe", "category": "all", "total": 1, "solved": 1,
                   "in_progress": 0, "label": "住危房户数", "unit": "户", "type": 4}
    assert data.counts == {"records": 3, "unreadable": 0, "with_errors": 0, "households": 3,
                           "findings": 4, "duplicates": 0, "ledger_rows": 4, "without_id": 0,
                           "warnings": 0}


def test_the_progress(form: qengine.Form) -> None:
    more = [*RECORDS, rec(id_number("43012219800101001"), "石毫村"),
            rec(id_number("43012219800102001"), "石毫村",
                                                                reviewer_unit=None)]
    assert quiet(form, more).progress == [
        {"village": "石毫村", "team": "张三", "date": "2020-04-08", "households": 1,
         "reviewer_unit": "", "reviewer_sign": "张三"},
        {"village": "石毫村", "team": "第1组", "date": "2020-04-09", "households": 1,
         "reviewer_unit": "第1组", "reviewer_sign": ""},
        {"village": "石毫村", "team": "第1组 张三", "date": "2020-04-08", "households": 2,
         "reviewer_unit": "第1组", "reviewer_sign": "张三"},
        {"village": "芦江社区", "team": "第1组 张三", "date": "2020-04-08", "households": 1,
         "reviewer_unit": "第1组", "reviewer_sign": "张三"},
    ]


def test_the_three_functions_give_builds_tables(form: qengine.Form) -> None:
    data = quiet(form, RECORDS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ledger(form, RECORDS) == data.ledger
        assert tallies(form, RECORDS) == data.tallies
        assert progress(form, RECORDS) == data.progress
    assert qengine.reports.build("annex6", []).counts["households"] == 0  # a name is loaded


# -- what is read ---------------------------------------------------------------------------------
def test_a_later_survey_replaces_an_earlier_one(form: qengine.Form) -> None:
    recs = [rec(ID1, "甲", house=2, survey_date="2020-04-09"),
            rec(ID1, "甲", survey_date="2020-04-08"),          # earlier: ignored
            rec(ID2, "乙", house=2), rec(ID2, "乙")]          # same day: the later line wins
    data = quiet(form, recs)
    assert [(r["id_number"], r["findings"], r["line"]) for r in data.ledger] == [
        (ID1, ["housing_unsafe"], 1)]
    assert data.counts["duplicates"] == 2 and data.counts["households"] == 2
    assert sum(p["households"] for p in data.progress) == 2
    no_id = [{k: v for k, v in rec(ID1, "甲", house=2).items() if k != "id_number"}] * 2
    data = quiet(form, no_id)  # without an id number each record is a household of its own
    assert data.counts["households"] == 2 and data.counts["duplicates"] == 0
    assert data.ledger[0]["keys"] == []  # no key: no status can mark it (nor all such at once)
    assert data.counts["without_id"] == 2


def test_records_with_errors_and_unreadable_lines(form: qengine.Form, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    lines = [json.dumps(RECORDS[0], ensure_ascii=False), "{not json", "",
             json.dumps({**RECORDS[1], "size": 0}), "[1, 2]", json.dumps(RECORDS[2])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said: list[str] = []
    data = build(form, [path], warn=said.append)
    assert data.counts["unreadable"] == 2 and data.counts["records"] == 3
    assert data.counts["with_errors"] == 1 and data.counts["households"] == 3
    assert len(said) == 2
    assert f"{path}:2:" in said[0] and f"{path}:5:" in said[0]
    assert "1 record(s) have errors" in said[1] and f"{path}:4" in said[1]
    assert data.ledger[0]["source"] == str(path)
    with pytest.warns(ReportWarning) as got:
        build(form, [path])
    assert [str(w.message) for w in got] == said
    assert got[0].filename == __file__  # the warning points at the call


def test_files_of_every_format_give_the_same_report(form: qengine.Form, tmp_path: Path) -> None:
    expected = quiet(form, RECORDS)
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), "utf-8")
    header = [q.id for q in form.questions]

    def cell(value: Any) -> Any:
        return ";".join(map(str, value)) if isinstance(value, list) else value

    csv_path = tmp_path / "r.csv"
    import csv

    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in RECORDS:
            w.writerow(["" if r.get(q) is None else cell(r[q]) for q in header])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in RECORDS:
        sheet.append([cell(r.get(q)) for q in header])
    xlsx = tmp_path / "r.xlsx"
    book.save(xlsx)
    for path, line0 in ((jsonl, 1), (csv_path, 2), (xlsx, 2)):
        data = quiet(form, path)  # a path alone is one file
        assert data.tallies == expected.tallies, path
        assert data.progress == expected.progress, path
        strip = [{k: v for k, v in r.items() if k not in ("line", "source")} for r in data.ledger]
        assert strip == [{k: v for k, v in r.items() if k not in ("line", "source")}
                         for r in expected.ledger], path
        assert data.ledger[0]["line"] == line0
    both = quiet(form, [jsonl, str(csv_path)])
    assert both.counts["duplicates"] == 3 and both.counts["households"] == 3


def test_worker_processes_give_what_one_process_gives(form: qengine.Form) -> None:
    many = []
    for k in range(1200):  # more than two chunks of records
        first = f"43012219{80 + k // 336}{k // 28 % 12 + 1:02d}{k % 28 + 1:02d}{k % 1000:03d}"
        many.append(rec(id_number(first), f"村{k % 7}", house=1 + k % 2,
                        hazard=[1] if k % 3 == 0 else [], survey_date=f"2020-04-{k % 9 + 1:02d}"))
    one = quiet(form, many, jobs=1)
    two = quiet(form, many, jobs=2)
    assert one.to_dict() == two.to_dict() and one.counts == two.counts
    assert one.counts["records"] == 1200


def test_what_is_refused(form: qengine.Form, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="declares no findings"):
        build("annex5", [])
    with pytest.raises(ReportError, match="iterable of records or of file paths"):
        build(form, RECORDS[0])
    with pytest.raises(ReportError, match="iterable"):
        build(form, 42)
    with pytest.raises(qengine.QengineError, match="No such file"):
        build(form, [tmp_path / "missing.jsonl"])
    with pytest.raises(qengine.ParamError):
        build(form, [], params={"income_line": "many"})
    assert quiet(form, RECORDS, params={"income_line": 100}).counts["findings"] == 3


# -- statuses -------------------------------------------------------------------------------------
def test_the_status_file(form: qengine.Form, tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_bytes("\ufeffkey,status,date,note\n"
                     f"t:{ID1}:housing_unsafe,已解决,2020-05-01,已改造\n"
                     f"t:{ID1}:income_below_line,solved,,\n"
                     f"t:{ID1}:income_below_line,正在解决,2020-05-02,复查\n"  # the last row wins
                     "\n"
                     f"t:{ID3}:housing_unsafe,已解决\n".encode())                 # no such finding
    status = read_status(path)
    assert status[f"t:{ID1}:housing_unsafe"].date == "2020-05-01"
    assert status[f"t:{ID1}:income_below_line"].status == "正在解决"
    said: list[str] = []
    data = build(form, RECORDS, path, warn=said.append)
    rows = {r["type"]: r for r in data.ledger if r["id_number"] == ID1}
    assert rows[4]["status"] == "已解决" and rows[4]["note"] == "已改造"
    assert rows[4]["status_date"] == "2020-05-01"
    assert rows[1]["status"] == "正在解决" and rows[1]["note"] == "复查"
    assert said == [f"1 status key(s) match no finding of these records and are ignored: "
                    f"t:{ID3}:housing_unsafe ({path}:6)"]
    # no header, columns in their order
    plain = tmp_path / "plain.csv"
    plain.write_text(f"t:{ID1}:housing_unsafe,已解决\n", encoding="utf-8")
    assert read_status(plain)[f"t:{ID1}:housing_unsafe"].solved
    reordered = tmp_path / "reordered.csv"
    reordered.write_text(f"status,key\n已解决,t:{ID1}:housing_unsafe\n", encoding="utf-8")
    assert read_status(reordered)[f"t:{ID1}:housing_unsafe"].solved


@pytest.mark.parametrize(("text", "message"), [
    ("t:1:x,done\n", r":1: status 'done' is neither"),
    ("key,status\nt:1:x,已解决\nnot a key,已解决\n", r":3: key 'not a key' is not a finding key"),
    ("t:1:x,已解决,2020-13-01\n", r":1: date '2020-13-01' is not a date of the calendar"),
    ("t:1:x,已解决,yesterday\n", r":1: date 'yesterday' is not a date YYYY-MM-DD"),
    ("t:1:x,已解决,,,extra\n", r":1: 5 cells; a row holds at most 4"),
    ("key,status,who\n", r":1: unknown column 'who'"),
    ("key,date\n", r":1: no status column"),
    ("t:1:x\n", r":1: no status for t:1:x"),
    ('t:1:x,"已解决\n', r":\d+: not CSV"),
])
def test_a_bad_status_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StatusError, match=re.escape(str(path)) + message):
        read_status(path)


def test_status_file_errors_of_reading(tmp_path: Path) -> None:
    with pytest.raises(StatusError, match="cannot read the status file"):
        read_status(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"t:1:x,\xe5\xb7\xb2\nt:1:y,\xff\n")
    with pytest.raises(StatusError, match=r"bad.csv:2: not UTF-8"):
        read_status(bad)


def test_statuses_given_as_data() -> None:
    key = finding_key("annex6", ID1, "housing_unsafe")
    assert key == f"annex6:{ID1}:housing_unsafe"
    assert status_map({key: {"status": "已解决", "date": "2020-05-01"}})[key].date == "2020-05-01"
    assert status_map([(key, "in_progress")])[key].status == "正在解决"
    with pytest.raises(StatusError, match="status 1: unknown field 'when'"):
        status_map({key: {"status": "已解决", "when": "now"}})
    with pytest.raises(StatusError, match="status 1: a row is"):
        status_map([key])


# -- the fixed tables -----------------------------------------------------------------------------
def test_the_annex_tables() -> None:
    assert [c.id for c in CATEGORIES] == ["all", "registered", "registered_not_exited",
                                          "registered_exited", "marginal", "special",
                                          "special_dibao", "special_wubao",
                                          "special_disabled_ill"]
    assert columns_of(["special_dibao", "special_wubao"]) == {
        "all", "special", "special_dibao", "special_wubao"}
    assert columns_of([]) == {"all"}
    assert annex4_order(["zzz", "water_unsafe", "dropout"], key=str) == [
        "dropout", "water_unsafe", "zzz"]
    for name in ("annex6", "annex7"):
        ids = [i.id for i in qengine.load(name).indicators]
        assert set(ids) <= set(ANNEX4_ROWS), name
