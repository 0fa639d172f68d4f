"""A report as an Excel workbook laid out like the annexes (openpyxl's second home, after
:mod:`qengine.batch.inputs`).

Sheets, in order:

- ``统计表``: annex 4 (整改成效统计表), the merged header 指标 / 类别 / 单位 and “回头看”发现问题解决情况
  over the category groups (合计; 建档立卡贫困户: 小计, 未脱贫, 已脱贫; 边缘户; 边缘户以外未建档立卡户: 小计,
  低保户, 分散供养五保户, 重残重病户), each split into 小计 / 已解决 / 正在解决; one row per indicator
  with its unit, the 指标 cell merged down the rows of one problem type, zeros shown; the stamp and
  signature line under the table;
- ``进度``: households surveyed per village, team and day, a 小计 per village, the days of all
  villages together and the 总计;
- ``台账 <村>``: annex 3 for each village: the title, the stamp and signature line left blank, the
  header 农户基本情况 over 户主姓名 / 身份证号 / 农户类别, the rows and the 填写说明.

Every sheet freezes the panes under its header, prints on A4 landscape fitted to the page width
with the header repeated on each page, and keeps id numbers as text. Text from records is never a
formula: one that starts like a formula gets a leading ``'``.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from qengine.reports.csvs import guard_formula
from qengine.reports.data import ReportData
from qengine.reports.write import (
    LEDGER_HEADER,
    LEDGER_NOTES,
    LEDGER_SIGNATURES,
    NO_VILLAGE,
    STATUS_COLUMNS,
    TALLIES_SIGNATURES,
    category_order,
    category_text,
    column_groups,
    counts_line,
    indicators_of,
    ledger_by_village,
    progress_by_day,
    progress_by_village,
    remark_text,
    tally_cells,
    type_runs,
    type_text,
    writable,
)

FONT = "宋体"  # what the annexes are printed in; LibreOffice and Excel substitute a CJK font
LEDGER_WIDTHS = (5, 11, 9, 20, 12, 15, 50, 28)  # 序号 .. 备注, in characters
TALLY_WIDTHS = (13, 37, 5)  # 指标, 类别, 单位; each count column is TALLY_COUNT_WIDTH
TALLY_COUNT_WIDTH = 5.6
PROGRESS_WIDTHS = (16, 46, 13, 8)


def write_xlsx(data: ReportData, path: str | Path | IO[bytes]) -> None:
    """Write ``data`` as a workbook to ``path`` (a file name or a binary file object)."""
    import openpyxl  # loaded only when a workbook is written

    # write-only: the rows of a large ledger go out as they are made, not kept as cells. The
    # workbook is made in memory (compressed) and written at the end: a path that cannot be
    # written fails after every sheet is closed, never with half-written sheets left to the
    # garbage collector (which would print their tracebacks).
    book = openpyxl.Workbook(write_only=True)
    buffer = io.BytesIO()
    try:
        _sheets(book, data)
    except BaseException:
        with contextlib.suppress(Exception):
            book.save(io.BytesIO())  # closes the sheets begun
        raise
    book.save(buffer)
    if isinstance(path, (str, Path)):
        Path(path).write_bytes(buffer.getvalue())
    else:
        path.write(buffer.getvalue())


def _sheets(book: Any, data: ReportData) -> None:
    styles = _Styles(book)
    _tallies_sheet(_Grid(book.create_sheet("统计表"), styles), data, styles)
    _progress_sheet(_Grid(book.create_sheet("进度"), styles), data, styles)
    names: set[str] = {"统计表", "进度"}
    for village, rows in ledger_by_village(data).items():
        sheet = book.create_sheet(_sheet_name(f"台账 {village}", names))
        _ledger_sheet(_Grid(sheet, styles), village, rows, styles)
    if not data.ledger and not data.progress:
        _ledger_sheet(_Grid(book.create_sheet("台账"), styles), "", [], styles)


class _Styles:
    """The few cell styles the sheets share, each combination a named style of the workbook:
    one assignment per cell (setting font, border, alignment one by one costs a lookup each,
    which is most of the time of a large ledger)."""

    def __init__(self, book: Any) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.book = book
        self.named: dict[tuple[int, ...], str] = {}
        thin = Side(style="thin", color="000000")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = Font(name=FONT, size=16, bold=True)
        self.bold = Font(name=FONT, size=11, bold=True)
        self.head_font = Font(name=FONT, size=10, bold=True)
        self.body = Font(name=FONT, size=10)
        self.fill = PatternFill("solid", fgColor="EEEEEE")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)

    def name(self, font: Any, align: Any, border: Any, fill: Any, text: bool) -> str:
        """The named style of this combination (made the first time it is asked for)."""
        key = (id(font), id(align), id(border), id(fill), text)
        name = self.named.get(key)
        if name is None:
            from openpyxl.styles import NamedStyle

            name = f"qengine {len(self.named) + 1}"
            style = NamedStyle(name=name, number_format="@" if text else "General")
            for attr, value in (("font", font), ("alignment", align), ("border", border),
                                ("fill", fill)):
                if value is not None:
                    setattr(style, attr, value)
            self.book.add_named_style(style)
            self.named[key] = name
        return name


def _text(value: Any) -> Any:
    """A cell value: numbers kept, None empty, text guarded against formulas."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        value = "；".join(str(v) for v in value)
    return guard_formula(str(value))


class _Grid:
    """The cells of one write-only sheet, put in any order within the rows not yet written:
    each cell is kept as its value and style parts until :meth:`flush` writes the rows up to a
    given one, in order (the column widths, the panes and the page properties must be set before
    the first row goes out, the print settings may follow)."""

    def __init__(self, sheet: Any, st: _Styles) -> None:
        self.sheet, self.st = sheet, st
        self.rows: dict[int, dict[int, list[Any]]] = {}
        self.written = 0
        self.last = 1

    def put(self, row: int, col: int, value: Any, font: Any = None, align: Any = None,
            border: Any = None, fill: Any = None, text: bool = False) -> None:
        assert row > self.written, f"row {row} is written already"
        self.rows.setdefault(row, {})[col] = [_text(value), font, align, border, fill, text]
        self.last = max(self.last, row)

    def _cell(self, row: int, col: int) -> list[Any]:
        assert row > self.written, f"row {row} is written already"
        self.last = max(self.last, row)
        return self.rows.setdefault(row, {}).setdefault(col, [None, None, None, None, None, False])

    def merge(self, r1: int, c1: int, r2: int, c2: int, border: bool = False) -> None:
        """Merge a range (when it is more than one cell); ``border`` draws round every cell of
        it (Excel draws a merged range's borders from the cells under it)."""
        self.shade(r1, c1, r2, c2, border)
        if (r1, c1) != (r2, c2):
            from openpyxl.worksheet.cell_range import CellRange

            self.sheet.merged_cells.add(CellRange(min_col=c1, min_row=r1, max_col=c2, max_row=r2))

    def shade(self, r1: int, c1: int, r2: int, c2: int, border: bool = False,
              fill: Any = None) -> None:
        """Give every cell of a range a border and/or a fill, keeping the rest of its style."""
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if border or fill is not None:
                    cell = self._cell(r, c)
                    if border:
                        cell[3] = self.st.border
                    if fill is not None:
                        cell[4] = fill

    def height(self, row: int, points: float) -> None:
        assert row > self.written, f"row {row} is written already"
        self.sheet.row_dimensions[row].height = points

    def flush(self, upto: int | None = None) -> None:
        """Write every row up to ``upto`` (all by default)."""
        from openpyxl.cell import WriteOnlyCell

        end = self.last if upto is None else upto
        for r in range(self.written + 1, end + 1):
            cells = self.rows.pop(r, {})
            out: list[Any] = [None] * (max(cells) if cells else 0)
            for c, (value, font, align, border, fill, text) in cells.items():
                cell = WriteOnlyCell(self.sheet, value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever openpyxl guesses
                cell.style = self.st.name(font, align, border, fill, text)
                out[c - 1] = cell
            self.sheet.append(out)
        self.written = max(self.written, end)


def _width(text: str) -> int:
    """Display width of ``text`` in character cells: CJK and full-width forms count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (about)."""
    room = int(max(2.0, width * 1.05))  # a CJK character (two cells) is ~1.9 column units wide
    return sum(max(1, -(-_width(part) // room)) for part in text.split("\n"))


def _start(g: _Grid, widths: Iterable[float], freeze: str) -> None:
    """What goes before a sheet's first row: column widths, frozen panes, fit to the page."""
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        g.sheet.column_dimensions[get_column_letter(i)].width = width
    g.sheet.freeze_panes = freeze
    g.sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _finish(g: _Grid, title_rows: str, last_col: int) -> None:
    """The rest of the rows, then A4 landscape, one page wide, the header rows on every page."""
    from openpyxl.utils import get_column_letter

    g.flush()
    sheet = g.sheet
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.print_area = f"A1:{get_column_letter(last_col)}{g.last}"


_BAD_NAME = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unused sheet name: Excel forbids []:*?/\\, a ' at either end and > 31 characters."""
    base = _BAD_NAME.sub("_", writable(wanted)).strip("'")[:31].strip("'") or "台账"
    name, n = base, 2
    while name.lower() in taken or name.lower() == "history":
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


# -- annex 3: the ledger of one village ---------------------------------------------------------

def _ledger_sheet(g: _Grid, village: str, rows: list[dict[str, Any]], st: _Styles) -> None:
    ncol = len(LEDGER_HEADER)
    _start(g, LEDGER_WIDTHS, "A5")
    total_width = sum(LEDGER_WIDTHS)
    place = village if village not in ("", NO_VILLAGE) else "\u3000" * 6
    title = f"{place}2020年脱贫质量“回头看”疑似问题排查工作台账"
    g.put(1, 1, title, st.title, st.center)
    g.merge(1, 1, 1, ncol)
    g.height(1, 32)
    g.put(2, 1, LEDGER_SIGNATURES, st.bold, st.left)
    g.merge(2, 1, 2, ncol)
    g.height(2, 30)
    # the two-level header: 农户基本情况 over three columns, the others merged down both rows
    col = 1
    while col <= ncol:
        top, sub = LEDGER_HEADER[col - 1]
        if sub is None:
            g.put(3, col, top, st.head_font, st.center, fill=st.fill)
            g.merge(3, col, 4, col, border=True)
            col += 1
            continue
        span = sum(1 for t, s in LEDGER_HEADER if t == top and s is not None)
        g.put(3, col, top, st.head_font, st.center, fill=st.fill)
        g.merge(3, col, 3, col + span - 1, border=True)
        for i in range(span):
            g.put(4, col + i, LEDGER_HEADER[col - 1 + i][1], st.head_font, st.center,
                 st.border, st.fill)
        col += span
    g.shade(3, 1, 4, ncol, fill=st.fill)
    g.height(3, 20)
    g.height(4, 20)
    r = 5
    for i, row in enumerate(rows, start=1):
        number = row.get("number", i)
        values = (number, row.get("village"), row.get("head_name"),
                  None if row.get("id_number") is None else str(row.get("id_number")),
                  category_text(row), type_text(row), row.get("description"), remark_text(row))
        for c, value in enumerate(values, start=1):
            align = st.left if c in (7, 8) else st.center
            g.put(r, c, value, st.body, align, st.border, text=c == 4)
        lines = max(_lines(str(values[6] or ""), LEDGER_WIDTHS[6]),
                    _lines(str(values[7] or ""), LEDGER_WIDTHS[7]),
                    _lines(str(values[4] or ""), LEDGER_WIDTHS[4]), 1)
        g.height(r, max(20, 14 * lines + 4))
        if r % 500 == 0:
            g.flush(r)  # a long ledger leaves memory as it goes
        r += 1
    if not rows:
        g.put(r, 1, "（未发现疑似问题）", st.body, st.center)
        g.merge(r, 1, r, ncol, border=True)
        g.height(r, 22)
        r += 1
    r += 1
    for note in LEDGER_NOTES:
        g.put(r, 1, note, st.bold if note.endswith("：") else st.body, st.left)
        g.merge(r, 1, r, ncol)
        g.height(r, max(16, 14 * _lines(note, total_width) + 4))
        r += 1
    _finish(g, "3:4", ncol)


# -- annex 4: the tallies -----------------------------------------------------------------------

def _tallies_sheet(g: _Grid, data: ReportData, st: _Styles) -> None:
    groups = column_groups(data.categories)
    order = category_order(groups)
    ncol = 3 + 3 * len(order)
    _start(g, (*TALLY_WIDTHS, *([TALLY_COUNT_WIDTH] * (3 * len(order)))), "D6")
    villages = {str(row.get("village") or "") for row in data.progress} - {""}
    place = next(iter(villages)) if len(villages) == 1 else "\u3000" * 6 + "村（社区）"
    g.put(1, 1, f"{place}“回头看”整改成效统计表", st.title, st.center)
    g.merge(1, 1, 1, ncol)
    g.height(1, 32)
    # four header rows: 指标/类别/单位 merged down all four; the title of the counts over them all;
    # the groups; the categories of a group (a lone category merged down two rows); 小计/已解决/正在解决
    for c, label in enumerate(("指标", "类别", "单位"), start=1):
        g.put(2, c, label, st.head_font, st.center)
        g.merge(2, c, 5, c, border=True)
    g.put(2, 4, "“回头看”发现问题解决情况", st.head_font, st.center)
    g.merge(2, 4, 2, ncol, border=True)
    col = 4
    for group in groups:
        span = 3 * len(group.columns)
        g.put(3, col, group.label, st.head_font, st.center)
        if len(group.columns) == 1 and not group.columns[0][1]:
            g.merge(3, col, 4, col + 2, border=True)
        else:
            g.merge(3, col, 3, col + span - 1, border=True)
            for i, (_cid, label) in enumerate(group.columns):
                g.put(4, col + 3 * i, label, st.head_font, st.center)
                g.merge(4, col + 3 * i, 4, col + 3 * i + 2, border=True)
        for i in range(span):
            label = STATUS_COLUMNS[i % 3]
            label = label[:2] + "\n" + label[2:] if len(label) > 3 else label  # 正在 / 解决
            g.put(5, col + i, label, st.head_font, st.center, st.border)
        col += span
    g.shade(2, 1, 5, ncol, fill=st.fill)
    g.height(2, 20)
    g.height(3, 30)
    g.height(4, 20)
    g.height(5, 30)
    indicators = indicators_of(data)
    cells = tally_cells(data)
    first = 6
    for i, ind in enumerate(indicators):
        r = first + i
        g.put(r, 2, ind.get("label") or ind["id"], st.body, st.left, st.border)
        g.put(r, 3, ind.get("unit"), st.body, st.center, st.border)
        for j, cid in enumerate(order):
            tally = cells.get((ind["id"], cid), {})
            values = (tally.get("total", 0), tally.get("solved", 0), tally.get("in_progress", 0))
            for k, value in enumerate(values):
                g.put(r, 4 + 3 * j + k, value, st.body, st.center, st.border)
        lines = _lines(str(ind.get("label") or ""), TALLY_WIDTHS[1])
        g.height(r, max(18, 14 * lines + 4))
    for start, length, label in type_runs(indicators):
        g.put(first + start, 1, label, st.body, st.center, st.border)
        g.merge(first + start, 1, first + start + length - 1, 1, border=True)
    r = first + len(indicators)
    if not indicators:
        g.put(r, 1, "（表单未声明指标）", st.body, st.center)
        g.merge(r, 1, r, ncol, border=True)
        r += 1
    g.put(r + 1, 1, TALLIES_SIGNATURES, st.bold, st.left)
    g.merge(r + 1, 1, r + 1, ncol)
    g.height(r + 1, 30)
    _finish(g, "2:5", ncol)


# -- annex 2: progress per village, team and day -------------------------------------------------

def _progress_sheet(g: _Grid, data: ReportData, st: _Styles) -> None:
    ncol = len(PROGRESS_WIDTHS)
    _start(g, PROGRESS_WIDTHS, "A4")
    g.put(1, 1, f"{data.form_title}：排查进度", st.title, st.center)
    g.merge(1, 1, 1, ncol)
    g.height(1, 32)
    counts = counts_line(data)
    g.put(2, 1, counts, st.body, st.left)
    g.merge(2, 1, 2, ncol)
    g.height(2, max(18, 14 * _lines(counts, sum(PROGRESS_WIDTHS)) + 4))
    for c, label in enumerate(("村（社区）", "排查小组", "日期", "户数"), start=1):
        g.put(3, c, label, st.head_font, st.center, st.border, st.fill)
    g.height(3, 20)
    r = 4

    def line(village: str, team: str, day: str, count: int, bold: bool = False) -> None:
        nonlocal r
        font = st.bold if bold else st.body
        # the village on every line (not merged): a village can run over a page break
        g.put(r, 1, village, font, st.center, st.border)
        g.put(r, 2, team, font, st.center if bold else st.left, st.border)
        g.put(r, 3, day, font, st.center, st.border, text=True)
        g.put(r, 4, count, font, st.center, st.border)
        height = max(_lines(team, PROGRESS_WIDTHS[1]), _lines(village, PROGRESS_WIDTHS[0]))
        g.height(r, max(18, 14 * height + 4))
        r += 1

    for village, rows in progress_by_village(data).items():
        for row in rows:
            line(village, str(row.get("team") or ""), str(row.get("date") or ""),
                 int(row.get("households") or 0))
        line(village, "小计", "", sum(int(x.get("households") or 0) for x in rows), bold=True)
    days = progress_by_day(data)
    for day, count in days:
        line("按日期", "各村（社区）合计", day, count)
    g.put(r, 1, "总计", st.bold, st.center, st.border)
    g.merge(r, 1, r, 3, border=True)
    g.put(r, 4, sum(count for _, count in days), st.bold, st.center, st.border)
    _finish(g, "3:3", ncol)


__all__ = ["write_xlsx"]
