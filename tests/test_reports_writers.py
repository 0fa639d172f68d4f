"""The report writers: the workbook (annex 3 and 4 laid out, printable), the CSV files, the web page
and the dispatch, on reports built by hand and on one built from annex 6 records."""

from __future__ import annotations

import csv
import gc
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from bundled_cases import ID_LI, record

import qengine.reports as reports
from qengine.reports.annex import CATEGORIES
from qengine.reports.csvs import FIELDS, write_csv
from qengine.reports.data import ReportData
from qengine.reports.html import render_html
from qengine.reports.write import FORMATS, to_bytes, write
from qengine.reports.xlsx import write_xlsx

ID_A = "430122197607204866"
ID_B = "43012219780929312X"
HOSTILE_NAME = "=cmd|' /C calc'!A0"
HOSTILE_TEXT = "<script>alert('x')</script> & \"quotes\""

INDICATORS = [
    {"id": "income_below_line", "label": "收入低于4000元", "unit": "户", "type": 1,
     "type_label": "人均纯收入"},
    {"id": "dropout", "label": "有失学辍学学生", "unit": "人", "type": 2,
     "type_label": "义务教育保障"},
    {"id": "housing_unsafe", "label": "住危房户数", "unit": "户", "type": 4,
     "type_label": "住房安全保障"},
    {"id": "housing_unappraised", "label": "住房未鉴定户数", "unit": "户", "type": 4,
     "type_label": "住房安全保障"},
]


def _ledger_row(village: str, number: int, name: str, id_number: str, leaf: str, type_: int,
                description: str, findings: list[str], status: str = "正在解决",
                note: str = "") -> dict[str, Any]:
    labels = {"registered_exited": "已脱贫户", "registered_not_exited": "未脱贫户"}
    type_labels = {1: "人均纯收入", 2: "义务教育保障", 4: "住房安全保障"}
    return {"village": village, "head_name": name, "id_number": id_number, "category": leaf,
            "type": type_, "description": description, "findings": findings, "status": status,
            "number": number, "form": "annex6", "category_label": labels[leaf],
            "categories": [leaf], "type_label": type_labels[type_],
            "keys": [f"annex6:{id_number}:{f}" for f in findings], "note": note, "line": number,
            "source": "records.jsonl"}


def _data(head_name: str = "侯金红", description: str = "人均纯收入3165元，低于4000元",
          village: str = "杨家山村") -> ReportData:
    """A small report built by hand: two villages, three ledger rows, tallies with zeros."""
    ledger = [
        _ledger_row(village, 1, head_name, ID_A, "registered_exited", 1, description,
                    ["income_below_line"], "已解决", "已核实"),
        _ledger_row(village, 2, head_name, ID_A, "registered_exited", 4,
                    "住房鉴定为C级或D级危房；住房未鉴定过", ["housing_unsafe", "housing_unappraised"]),
        _ledger_row("石毫村", 1, "袁兰武", ID_B, "registered_not_exited", 2, "有失学辍学学生",
                    ["dropout"]),
    ]
    counts = {  # (indicator, category) -> (total, solved)
        ("income_below_line", "all"): (1, 1), ("income_below_line", "registered"): (1, 1),
        ("income_below_line", "registered_exited"): (1, 1),
        ("dropout", "all"): (1, 0), ("dropout", "registered"): (1, 0),
        ("dropout", "registered_not_exited"): (1, 0),
        ("housing_unsafe", "all"): (1, 0), ("housing_unsafe", "registered"): (1, 0),
        ("housing_unsafe", "registered_exited"): (1, 0),
        ("housing_unappraised", "all"): (1, 0), ("housing_unappraised", "registered"): (1, 0),
        ("housing_unappraised", "registered_exited"): (1, 0),
    }
    tallies = []
    for ind in INDICATORS:
        for cat in CATEGORIES:
            total, solved = counts.get((ind["id"], cat.id), (0, 0))
            tallies.append({"indicator": ind["id"], "category": cat.id, "total": total,
                            "solved": solved, "in_progress": total - solved,
                            "label": ind["label"], "unit": ind["unit"], "type": ind["type"]})
    progress = [
        {"village": village, "team": "靖港镇扶贫办 任忠", "date": "2020-04-22", "households": 3,
         "reviewer_unit": "靖港镇扶贫办", "reviewer_sign": "任忠"},
        {"village": village, "team": "靖港镇扶贫办 任忠", "date": "2020-04-23", "households": 2,
         "reviewer_unit": "靖港镇扶贫办", "reviewer_sign": "任忠"},
        {"village": "石毫村", "team": "靖港镇卫生健康办 张依", "date": "2020-04-22",
         "households": 4, "reviewer_unit": "靖港镇卫生健康办", "reviewer_sign": "张依"},
    ]
    categories = [{"id": c.id, "label": c.label("zh"), "parent": c.parent} for c in CATEGORIES]
    return ReportData(
        form_id="annex6", form_title="建档立卡贫困户脱贫情况调查问卷", version="2020.1",
        ledger=ledger, tallies=tallies, progress=progress, indicators=INDICATORS,
        categories=categories,
        counts={"records": 9, "unreadable": 0, "with_errors": 1, "households": 9, "findings": 4})


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(_data(), path)
    return openpyxl.load_workbook(path)


def _merged(sheet: Any) -> set[str]:
    return {str(r) for r in sheet.merged_cells.ranges}


# -- xlsx ---------------------------------------------------------------------------------------

def test_the_workbook_has_the_tallies_the_progress_and_a_ledger_per_village(book: Any) -> None:
    """Sheets: annex 4 first, the progress, then annex 3 for each village in first-seen order."""
    assert book.sheetnames == ["统计表", "进度", "台账 杨家山村", "台账 石毫村"]


def test_the_tallies_have_annex_4s_merged_header(book: Any) -> None:
    """指标/类别/单位 run down the four header rows; the groups, their categories and the
    小计/已解决/正在解决 triples span the columns as in annex 4 (with a 小计 under 建档立卡贫困户)."""
    sheet = book["统计表"]
    merged = _merged(sheet)
    assert {"A2:A5", "B2:B5", "C2:C5", "D2:AD2", "D3:F4", "G3:O3", "G4:I4", "J4:L4", "M4:O4",
            "P3:R4", "S3:AD3", "S4:U4", "V4:X4", "Y4:AA4", "AB4:AD4"} <= merged
    assert [sheet[c].value for c in ("A2", "D2", "D3", "G3", "G4", "J4", "M4", "P3", "S3", "V4",
                                     "Y4", "AB4")] == [
        "指标", "“回头看”发现问题解决情况", "合计", "建档立卡贫困户", "小计", "未脱贫", "已脱贫",
        "边缘户", "边缘户以外未建档立卡户", "低保户", "分散供养五保户", "重残重病户"]
    assert [sheet.cell(row=5, column=c).value for c in range(4, 7)] == ["小计", "已解决", "正在\n解决"]
    assert sheet.freeze_panes == "D6"


def test_the_tallies_rows_hold_the_counts_with_zeros(book: Any) -> None:
    """One row per indicator with its label and unit; 指标 merged down a problem type's rows;
    a cell is total/solved/in progress of its category, zeros written."""
    sheet = book["统计表"]
    assert [sheet.cell(row=r, column=2).value for r in range(6, 10)] == [
        i["label"] for i in INDICATORS]
    assert [sheet.cell(row=r, column=3).value for r in range(6, 10)] == ["户", "人", "户", "户"]
    assert sheet["A8"].value == "住房安全保障" and "A8:A9" in _merged(sheet)
    assert [sheet.cell(row=6, column=c).value for c in range(4, 7)] == [1, 1, 0]  # 合计
    assert [sheet.cell(row=6, column=c).value for c in range(13, 16)] == [1, 1, 0]  # 已脱贫
    assert [sheet.cell(row=7, column=c).value for c in range(10, 13)] == [1, 0, 1]  # 未脱贫
    assert [sheet.cell(row=6, column=c).value for c in range(16, 31)] == [0] * 15
    footer = sheet.cell(row=11, column=1).value
    assert footer.startswith("村（社区）（盖章）：") and "第一书记：" in footer


def test_a_ledger_sheet_is_annex_3(book: Any) -> None:
    """Title, the stamp and signature line, 农户基本情况 over three columns, the rows, the notes."""
    sheet = book["台账 杨家山村"]
    assert sheet["A1"].value == "杨家山村2020年脱贫质量“回头看”疑似问题排查工作台账"
    line = sheet["A2"].value
    assert "村（社区）盖章：" in line and "村（社区）书记签名：" in line and "第一书记签名：" in line
    assert {"A1:H1", "A2:H2", "A3:A4", "B3:B4", "C3:E3", "F3:F4", "G3:G4", "H3:H4"} <= _merged(sheet)
    assert [sheet.cell(row=4, column=c).value for c in (3, 4, 5)] == ["户主姓名", "身份证号", "农户类别"]
    assert [c.value for c in sheet[5]] == [1, "杨家山村", "侯金红", ID_A, "已脱贫户", "①人均纯收入",
                                           "人均纯收入3165元，低于4000元", "已解决；已核实"]
    assert sheet.cell(row=6, column=6).value == "④住房安全保障"
    assert sheet["D5"].data_type == "s" and sheet["D5"].number_format == "@"
    texts = [sheet.cell(row=r, column=1).value for r in range(7, sheet.max_row + 1)]
    assert "填写说明：" in texts and any(str(t).startswith("4．此表由排查小组填写") for t in texts)
    assert sheet.freeze_panes == "A5"


def test_the_progress_sheet_totals_per_village_and_per_day(book: Any) -> None:
    """A line per village, team and day, a 小计 per village, the days of all villages, 总计."""
    sheet = book["进度"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert ["杨家山村", "小计", None, 5] in rows and ["石毫村", "小计", None, 4] in rows
    assert ["按日期", "各村（社区）合计", "2020-04-22", 7] in rows
    assert ["按日期", "各村（社区）合计", "2020-04-23", 2] in rows
    assert rows[-1][0] == "总计" and rows[-1][3] == 9
    assert "读取记录 9 条" in sheet["A2"].value and "有错误 1 条" in sheet["A2"].value


def test_every_sheet_prints_on_a4_landscape_fitted_to_width(book: Any) -> None:
    """A4 landscape, one page wide, the header rows repeated on every page, column widths set."""
    titles = {"统计表": "$2:$5", "进度": "$3:$3", "台账 杨家山村": "$3:$4"}
    for name, rows in titles.items():
        sheet = book[name]
        setup = sheet.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9)
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == rows
        assert sheet.column_dimensions["B"].width > 10
    assert book["台账 杨家山村"].column_dimensions["D"].width >= 19  # 18 digits show whole


def test_workbook_text_from_records_is_never_a_formula(tmp_path: Path) -> None:
    """A name starting with = and a village starting with + are written as text with a leading
    apostrophe; no cell of the workbook is a formula; an odd village name makes a valid sheet."""
    path = tmp_path / "r.xlsx"
    write_xlsx(_data(head_name=HOSTILE_NAME, description="@SUM(1+1)", village="+村/[x]"), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[2] == "台账 +村__x_"
    sheet = book[book.sheetnames[2]]
    assert sheet["C5"].value == "'" + HOSTILE_NAME and sheet["C5"].data_type == "s"
    assert sheet["G5"].value == "'@SUM(1+1)"
    assert sheet["B5"].value == "'+村/[x]"
    assert all(c.data_type != "f" for s in book.worksheets for row in s.iter_rows() for c in row)


def test_characters_no_file_can_hold_are_replaced(tmp_path: Path) -> None:
    """A control character or a lone surrogate in a record becomes U+FFFD in every format,
    instead of stopping the report."""
    data = _data(head_name="a\x00b\x1bc\ud800d", village="村\x0b")
    write_xlsx(data, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames[2] == "台账 村\ufffd"
    assert book[book.sheetnames[2]]["C5"].value == "a\ufffdb\ufffdc\ufffdd"
    paths = write_csv(data, tmp_path / "csv")
    assert _read_csv(paths[0])[0]["head_name"] == "a\ufffdb\ufffdc\ufffdd"
    assert "a\ufffdb\ufffdc\ufffdd" in to_bytes(data, "html").decode("utf-8")
    # JSON keeps the text as it is: the control characters and the surrogate as escapes
    assert json.loads(to_bytes(data, "json"))["ledger"][0]["head_name"] == "a\x00b\x1bc\ud800d"


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_path_that_cannot_be_written_fails_cleanly(tmp_path: Path) -> None:
    """No folder to write in: the OSError, and no half-written sheet left behind to complain."""
    with pytest.raises(FileNotFoundError):
        write_xlsx(_data(), tmp_path / "missing" / "r.xlsx")
    gc.collect()
    assert not (tmp_path / "missing").exists()


def test_an_empty_report_still_makes_a_workbook(tmp_path: Path) -> None:
    """No records: the tallies with zeros, an empty progress and one blank ledger."""
    data = _data()
    empty = ReportData(data.form_id, data.form_title, data.version, [], [], [], INDICATORS,
                       data.categories, {})
    path = tmp_path / "empty.xlsx"
    write_xlsx(empty, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["统计表", "进度", "台账"]
    assert book["统计表"]["D6"].value == 0
    assert book["台账"]["A5"].value == "（未发现疑似问题）"


# -- csv ----------------------------------------------------------------------------------------

def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_files_round_trip(tmp_path: Path) -> None:
    """Three files, UTF-8 with BOM, the contract's fields first, lists joined with ';'."""
    data = _data()
    paths = write_csv(data, tmp_path / "out")
    assert [p.name for p in paths] == ["ledger.csv", "tallies.csv", "progress.csv"]
    for path, table in zip(paths, ("ledger", "tallies", "progress")):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        header = next(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
        assert tuple(header[: len(FIELDS[table])]) == FIELDS[table]
    ledger = _read_csv(paths[0])
    assert len(ledger) == 3
    assert ledger[1]["findings"] == "housing_unsafe;housing_unappraised"
    assert ledger[0]["id_number"] == ID_A and ledger[2]["id_number"] == ID_B
    assert ledger[0]["keys"] == f"annex6:{ID_A}:income_below_line"
    for row, want in zip(ledger, data.ledger):
        assert {k: row[k] for k in FIELDS["ledger"] if k != "findings"} == {
            k: str(want[k]) for k in FIELDS["ledger"] if k != "findings"}
    tallies = _read_csv(paths[1])
    assert len(tallies) == len(data.tallies) == 4 * 9
    assert [{k: int(r[k]) if k in ("total", "solved", "in_progress") else r[k]
             for k in FIELDS["tallies"]} for r in tallies] == [
        {k: r[k] for k in FIELDS["tallies"]} for r in data.tallies]
    progress = _read_csv(paths[2])
    assert [int(r["households"]) for r in progress] == [3, 2, 4]


def test_csv_text_that_starts_like_a_formula_gets_an_apostrophe(tmp_path: Path) -> None:
    """=, +, -, @ at the start of a text cell: a leading ' (numbers are left alone)."""
    paths = write_csv(_data(head_name=HOSTILE_NAME, description="-2+3", village="@x"), tmp_path)
    rows = _read_csv(paths[0])
    assert rows[0]["head_name"] == "'" + HOSTILE_NAME
    assert rows[0]["description"] == "'-2+3" and rows[0]["village"] == "'@x"
    assert _read_csv(paths[2])[0]["households"] == "3"


# -- html ---------------------------------------------------------------------------------------

class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_the_page_is_self_contained() -> None:
    """It parses; no script, no link or URL to anywhere; the tables and three inline charts."""
    page = render_html(_data())
    parsed = _parse(page)
    names = [t for t, _ in parsed.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert "://" not in page and "url(" not in page
    assert all(not a.get(k) for _, a in parsed.tags for k in ("src", "href"))
    assert names.count("svg") == 3 and names.count("style") == 1
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    assert names.count("table") == 2 + 2  # tallies, progress, a ledger per village


def test_the_page_has_annex_4s_two_level_header() -> None:
    """The groups span their columns, a lone category runs down two rows, counts are shown."""
    parsed = _parse(render_html(_data()))
    ths = [(a.get("colspan"), a.get("rowspan")) for t, a in parsed.tags if t == "th"]
    assert ("27", None) in ths  # “回头看”发现问题解决情况
    assert ("9", None) in ths and ("12", None) in ths  # 建档立卡贫困户, 边缘户以外未建档立卡户
    assert ths.count(("3", "2")) == 2  # 合计, 边缘户
    text = "".join(parsed.text)
    for label in ("建档立卡贫困户", "未脱贫", "已脱贫", "边缘户以外未建档立卡户", "重残重病户", "住危房户数",
                  "杨家山村", "侯金红", ID_A, "①人均纯收入"):
        assert label in text


def test_the_page_escapes_record_text() -> None:
    """A record's <script> is shown as text, never run; quotes cannot leave an attribute."""
    page = render_html(_data(head_name=HOSTILE_TEXT, description=HOSTILE_TEXT,
                             village="<b onmouseover=x>"))
    assert "<script>" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;" in page
    parsed = _parse(page)
    assert "script" not in [t for t, _ in parsed.tags]
    assert HOSTILE_TEXT in "".join(parsed.text)


# -- write --------------------------------------------------------------------------------------

def test_write_sends_json_and_html_to_stdout_and_files(tmp_path: Path) -> None:
    """json is the contract exactly; html and json go to a stream or to a file."""
    data = _data()
    out = io.StringIO()
    assert write(data, "json", stdout=out) is None
    assert json.loads(out.getvalue()) == data.to_dict()
    assert list(json.loads(out.getvalue())) == ["ledger", "tallies", "progress"]
    out = io.StringIO()
    write(data, "html", "-", stdout=out)
    assert out.getvalue().startswith("<!DOCTYPE html>")
    assert write(data, "html", tmp_path / "r.html") == tmp_path / "r.html"
    assert (tmp_path / "r.html").read_text("utf-8") == out.getvalue()


def test_write_default_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """xlsx goes to <form>-report.xlsx and csv to <form>-report/ by default."""
    monkeypatch.chdir(tmp_path)
    data = _data()
    assert write(data, "xlsx") == Path("annex6-report.xlsx")
    assert openpyxl.load_workbook(tmp_path / "annex6-report.xlsx").sheetnames[0] == "统计表"
    assert write(data, "csv") == Path("annex6-report")
    assert sorted(p.name for p in (tmp_path / "annex6-report").iterdir()) == [
        "ledger.csv", "progress.csv", "tallies.csv"]


def test_write_refuses_an_unknown_format() -> None:
    """An unknown format names the ones there are; csv has no single document."""
    with pytest.raises(ValueError, match="json, html, xlsx, csv"):
        write(_data(), "pdf")
    with pytest.raises(ValueError, match="csv"):
        to_bytes(_data(), "csv")
    assert FORMATS == ("json", "html", "xlsx", "csv")


def test_to_bytes_gives_a_workbook_and_pages() -> None:
    """xlsx bytes are a zip openpyxl reads; json and html are UTF-8."""
    data = _data()
    book = openpyxl.load_workbook(io.BytesIO(to_bytes(data, "xlsx")))
    assert book.sheetnames[0] == "统计表"
    assert json.loads(to_bytes(data, "json").decode("utf-8")) == data.to_dict()
    assert "整改成效统计表" in to_bytes(data, "html").decode("utf-8")


# -- a report built from annex 6 records --------------------------------------------------------

def test_every_format_renders_a_report_of_annex6(tmp_path: Path) -> None:
    """Records of annex 6 through qengine.reports.build, then each writer: the finding shows in
    the ledger sheet, the tallies and the page."""
    recs = [record("annex6"), record("annex6", id_number="430112197001011231", head_name="王小明",
                                     q6=2, exit_year=None)]
    warned: list[str] = []
    data = reports.build("annex6", recs, jobs=1, warn=warned.append)
    assert not warned and data.counts["with_errors"] == 0
    assert len(data.ledger) >= 3, "both records have findings"
    for fmt in FORMATS:
        write(data, fmt, tmp_path / f"out.{fmt}")
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    sheet = book["台账 格塘村"]
    ids = {sheet.cell(row=r, column=4).value for r in range(5, 5 + len(data.ledger))}
    assert ID_LI in ids
    tallies = book["统计表"]
    labels = [tallies.cell(row=r, column=2).value for r in range(6, 6 + len(data.indicators))]
    assert labels == [i["label"] for i in data.indicators]
    page = (tmp_path / "out.html").read_text("utf-8")
    assert data.ledger[0]["description"].split("；")[0] in page
    assert len(_read_csv(tmp_path / "out.csv" / "tallies.csv")) == 9 * len(data.indicators)
