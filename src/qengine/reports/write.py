"""Writing a report in one of its formats, and the layout every writer shares.

:func:`write` dispatches: ``json`` and ``html`` go to standard output when no path is given,
``xlsx`` to ``<form>-report.xlsx`` and ``csv`` to the folder ``<form>-report/`` by default.
:func:`to_bytes` gives one document as bytes (for a web response). The helpers below lay the
tables out the same way in the workbook and the web page: annex 4's column groups, the runs of
indicator rows of one problem type, the villages in order, the progress totals.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from qengine.reports.annex import LEDGER_CATEGORY, PROBLEM_TYPES
from qengine.reports.data import ReportData

#: The formats :func:`write` knows, and the media type of each single-document one.
FORMATS: tuple[str, ...] = ("json", "html", "xlsx", "csv")
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Annex 3's header line and annex 4's footer line, left blank for the stamp and the signatures.
LEDGER_SIGNATURES = ("村（社区）盖章：" + "\u3000" * 12 + "村（社区）书记签名：" + "\u3000" * 12
                     + "第一书记签名：")
TALLIES_SIGNATURES = ("村（社区）（盖章）：" + "\u3000" * 10 + "村（社区）书记（签字）：" + "\u3000" * 10
                      + "第一书记：" + "\u3000" * 10 + "年\u3000\u3000月\u3000\u3000日")

#: Annex 3's 填写说明 (the notes under the ledger).
LEDGER_NOTES = (
    "填写说明：",
    "1．农户类别包括7类：①已脱贫户、②未脱贫户；③边缘户、④档外低保户、⑤档外五保（分散供养）户、⑥档外重残户、"
    "⑦档外重病户（农户类别中有“边缘户”的，只作为边缘户统计1次；没有“边缘户”的，按选择的其他户属性类型各统计1次)。",
    "2．问题类型包括①人均纯收入、②义务教育保障、③基本医疗保障、④住房安全保障、⑤饮水安全保障、⑥就业扶贫、"
    "⑦产业扶贫、⑧其他情况，1户存在2个以上政策未落实或者有缺项的问题据实填写。",
    "3．问题描述中要把存在两不愁三保障和饮水安全方面存在的问题描述清楚，如11-12月井水水位下降存在季节性缺水。",
    "4．此表由排查小组填写，以村（社区）为单位汇总，作为落实各级各部门整改责任、专项牵头部门协调解决相关问题的依据。",
)

#: Annex 3's columns: (level-1 label, level-2 label or None). 农户基本情况 heads three columns.
LEDGER_HEADER: tuple[tuple[str, str | None], ...] = (
    ("序号", None), ("村（社区）", None), ("农户基本情况", "户主姓名"), ("农户基本情况", "身份证号"),
    ("农户基本情况", "农户类别"), ("问题类型", None), ("具体描述", None), ("备注", None),
)
STATUS_COLUMNS = ("小计", "已解决", "正在解决")
NO_VILLAGE = "（未填村）"


def write(data: ReportData, fmt: str, out: str | Path | None = None, *,
          stdout: TextIO | None = None) -> Path | None:
    """Write ``data`` as ``fmt`` (json, html, xlsx or csv) to ``out``; return the path written, or
    None when json or html went to ``stdout`` (``sys.stdout`` by default; also for ``out == "-"``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt in ("json", "html"):
        text = render_text(data, fmt)
        if out is None or str(out) == "-":
            stream = stdout if stdout is not None else sys.stdout
            stream.write(text)
            stream.flush()
            return None
        path = Path(out)
        path.write_text(text, encoding="utf-8")
        return path
    if fmt == "xlsx":
        from qengine.reports.xlsx import write_xlsx

        path = Path(out) if out is not None else Path(f"{data.form_id}-report.xlsx")
        write_xlsx(data, path)
        return path
    from qengine.reports.csvs import write_csv

    folder = Path(out) if out is not None else Path(f"{data.form_id}-report")
    write_csv(data, folder)
    return folder


def render_text(data: ReportData, fmt: str) -> str:
    """The json or html document of ``data`` as text (JSON: the contract on one line, then a
    newline; not indented, which would take the json module's pure-Python encoder, ~3x slower
    on a large report)."""
    if fmt == "json":
        text = json.dumps(data.to_dict(), ensure_ascii=False) + "\n"
        # a lone surrogate (a record may hold one) has no UTF-8: written as its JSON escape
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if fmt == "html":
        from qengine.reports.html import render_html

        return render_html(data)
    raise ValueError(f"format {fmt!r} is not a text: expected json or html")


def to_bytes(data: ReportData, fmt: str) -> bytes:
    """One document of ``data`` as bytes: json or html (UTF-8) or xlsx (csv is three files)."""
    if fmt == "xlsx":
        import io

        from qengine.reports.xlsx import write_xlsx

        buffer = io.BytesIO()
        write_xlsx(data, buffer)
        return buffer.getvalue()
    if fmt in ("json", "html"):
        return render_text(data, fmt).encode("utf-8")
    raise ValueError(f"format {fmt!r} has no single document: expected json, html or xlsx")


# -- the layout every writer shares -------------------------------------------------------------

#: What no file format here can hold: the control characters XML 1.0 forbids (a workbook is XML),
#: lone surrogates (no UTF-8 for them) and the two non-characters U+FFFE, U+FFFF.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_SURROGATE = re.compile("[\ud800-\udfff]")


def writable(text: str) -> str:
    """``text`` with every character no writer can write replaced by U+FFFD (records are
    untrusted: a stray control character must not stop a report)."""
    return UNWRITABLE.sub("\ufffd", text)


def circled(number: Any) -> str:
    """①..⑳ for 1..20, the digits otherwise (annex 3 numbers its problem types so)."""
    return chr(0x2460 + number - 1) if isinstance(number, int) and 1 <= number <= 20 else ""


def type_text(row: Mapping[str, Any]) -> str:
    """A ledger row's or indicator's problem type as annex 3 writes it: ``①人均纯收入``."""
    number = row.get("type")
    label = row.get("type_label")
    if not label and isinstance(number, int):
        label = PROBLEM_TYPES.get(number, {}).get("zh")
    return f"{circled(number)}{label or ('' if number is None else number)}"


def category_text(row: Mapping[str, Any]) -> str:
    """A ledger row's 农户类别 (annex 3 note 1): its label, else the leaf ids' texts."""
    label = row.get("category_label")
    if label:
        return str(label)
    leaves = row.get("categories") or str(row.get("category") or "").split(",")
    return "、".join(LEDGER_CATEGORY.get(leaf, {}).get("zh", leaf) for leaf in leaves if leaf)


def remark_text(row: Mapping[str, Any]) -> str:
    """A ledger row's 备注: its status, then the office's note."""
    parts = [str(row.get("status") or ""), str(row.get("note") or "")]
    return "；".join(p for p in parts if p)


def village_name(value: Any) -> str:
    return str(value) if value not in (None, "") else NO_VILLAGE


@attrs.frozen
class ColumnGroup:
    """A level-2 header of annex 4 and the category columns under it (each split in three)."""

    label: str
    columns: tuple[tuple[str, str], ...]  # (category id, level-3 label, or "" for none)


def column_groups(categories: list[dict[str, Any]]) -> list[ColumnGroup]:
    """Annex 4's columns: ``all`` and each group under it, a group with leaves headed by its 小计
    and then its leaves (建档立卡贫困户: 小计, 未脱贫, 已脱贫), a lone leaf on its own (边缘户)."""
    ids = [c["id"] for c in categories]
    root = next((c["id"] for c in categories if c.get("parent") is None), None)
    out = []
    for cat in categories:
        parent = cat.get("parent")
        if parent is not None and parent != root and parent in ids:
            continue  # a leaf under a group: listed with its group
        kids = [c for c in categories if c.get("parent") == cat["id"] and cat["id"] != root]
        if kids:
            cols = ((cat["id"], "小计"), *((k["id"], str(k["label"])) for k in kids))
            out.append(ColumnGroup(str(cat["label"]), cols))
        else:
            out.append(ColumnGroup(str(cat["label"]), ((cat["id"], ""),)))
    return out


def category_order(groups: list[ColumnGroup]) -> list[str]:
    return [cid for g in groups for cid, _ in g.columns]


def indicators_of(data: ReportData) -> list[dict[str, Any]]:
    """The indicator rows, annex 4's order (from the tallies when the data names none)."""
    if data.indicators:
        return list(data.indicators)
    seen: dict[str, dict[str, Any]] = {}
    for row in data.tallies:
        seen.setdefault(row["indicator"], {"id": row["indicator"], "label": row.get("label"),
                                           "unit": row.get("unit"), "type": row.get("type")})
    return list(seen.values())


def tally_cells(data: ReportData) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["indicator"], row["category"]): row for row in data.tallies}


def type_runs(indicators: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """(first index, length, label) of each run of consecutive indicators of one problem type."""
    runs: list[tuple[int, int, str]] = []
    for i, ind in enumerate(indicators):
        label = str(ind.get("type_label") or PROBLEM_TYPES.get(ind.get("type"), {}).get("zh", ""))
        if runs and runs[-1][2] == label and indicators[runs[-1][0]].get("type") == ind.get("type"):
            first, length, _ = runs[-1]
            runs[-1] = (first, length + 1, label)
        else:
            runs.append((i, 1, label))
    return runs


def villages(data: ReportData) -> list[str]:
    """Every village of the report: first seen in the progress (all surveyed), then the ledger."""
    out: dict[str, None] = {}
    for row in (*data.progress, *data.ledger):
        out.setdefault(village_name(row.get("village")), None)
    return list(out)


def ledger_by_village(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {v: [] for v in villages(data)}
    for row in data.ledger:
        out[village_name(row.get("village"))].append(row)
    return out


def progress_by_village(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in data.progress:
        out.setdefault(village_name(row.get("village")), []).append(row)
    return out


def progress_by_day(data: ReportData) -> list[tuple[str, int]]:
    """Households surveyed per day, all villages together, days in order (blank last)."""
    days: dict[str, int] = {}
    for row in data.progress:
        day = str(row.get("date") or "")
        days[day] = days.get(day, 0) + int(row.get("households") or 0)
    return sorted(days.items(), key=lambda kv: (kv[0] == "", kv[0]))


def counts_line(data: ReportData) -> str:
    """One line on what the report read: records, unreadable, with errors, households, findings."""
    c = data.counts
    parts = [f"表单 {data.form_id}" + (f"（版本 {data.version}）" if data.version else ""),
             f"读取记录 {c.get('records', 0)} 条", f"无法读取 {c.get('unreadable', 0)} 条",
             f"有错误 {c.get('with_errors', 0)} 条"]
    if c.get("duplicates"):
        parts.append(f"重复 {c['duplicates']} 条")
    parts += [f"农户 {c.get('households', 0)} 户", f"发现问题 {c.get('findings', 0)} 个"]
    return "，".join(parts)


__all__ = ["FORMATS", "MEDIA_TYPES", "render_text", "to_bytes", "write"]
