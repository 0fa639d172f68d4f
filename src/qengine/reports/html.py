"""A report as one self-contained web page for the office.

The page needs nothing from elsewhere and runs no script: the style is inline, the charts are
inline SVG (findings per indicator, solved against in progress; households surveyed per village
and per day), and the tables are annex 4 (with its merged two-level header), the progress, and
annex 3's ledger of each village. Every text is escaped: records are untrusted.
"""

from __future__ import annotations

from html import escape
from typing import Any

from qengine.reports.data import ReportData
from qengine.reports.write import (
    LEDGER_HEADER,
    LEDGER_SIGNATURES,
    STATUS_COLUMNS,
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

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 2em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #555; padding: 0.2em 0.4em; }
th { background: #eee; font-weight: 600; text-align: center; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.c { text-align: center; }
td.zero { color: #999; }
td.label { min-width: 14em; } th.kind { min-width: 5em; }
table.tallies { font-size: 0.8em; } table.tallies td.n { padding: 0.2em 0.3em; }
td.id { font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.sub td { font-weight: 600; background: #f6f6f6; }
.wrap { overflow-x: auto; }
.sign { margin: 0.3em 0 1em; white-space: pre-wrap; }
.notes { font-size: 0.8em; color: #444; max-width: 60em; }
svg { display: block; margin: 0.5em 0 1em; }
svg text { font-size: 12px; fill: #222; }
.solved { fill: #4a8f4a; } .open { fill: #d98c2b; } .count { fill: #4a6fa5; }
.legend span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em;
               vertical-align: middle; }
table.ledger td.c { white-space: nowrap; }
@page { size: A4 landscape; margin: 10mm; }
@media print { body { margin: 0; } .wrap { overflow: visible; } h2.page { break-before: page; }
               table { font-size: 7.5pt; } tr { break-inside: avoid; } }
"""


#: The class of each ledger column: centred, the id number kept on one line, the texts left.
LEDGER_CLASSES = (' class="c"', ' class="c"', ' class="c"', ' class="c id"', ' class="c"',
                  ' class="c"', "", "")


def _e(value: Any) -> str:
    return escape(writable("" if value is None else str(value)), quote=True)


def render_html(data: ReportData) -> str:
    """The page of ``data`` (UTF-8 text, one document)."""
    title = f"{data.form_title}：排查报告"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh">',
        "<head>",
        '<meta charset="utf-8">',
        # nothing to load and nothing to run: a record that slipped past escaping still cannot
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{_e(counts_line(data))}</p>",
        *_tallies(data),
        *_progress(data),
        *_ledger(data),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# -- annex 4 ------------------------------------------------------------------------------------

def _tallies(data: ReportData) -> list[str]:
    groups = column_groups(data.categories)
    order = category_order(groups)
    out = ['<h2 id="tallies">“回头看”整改成效统计表（附件4）</h2>',
           '<div class="wrap"><table class="tallies">',
           "<thead>",
           '<tr><th rowspan="4">指标</th><th rowspan="4">类别</th><th rowspan="4">单位</th>'
           f'<th colspan="{3 * len(order)}">“回头看”发现问题解决情况</th></tr>']
    second, third = [], []
    for group in groups:
        if len(group.columns) == 1 and not group.columns[0][1]:
            second.append(f'<th colspan="3" rowspan="2">{_e(group.label)}</th>')
        else:
            second.append(f'<th colspan="{3 * len(group.columns)}">{_e(group.label)}</th>')
            third += [f'<th colspan="3">{_e(label)}</th>' for _cid, label in group.columns]
    out += [f"<tr>{''.join(second)}</tr>", f"<tr>{''.join(third)}</tr>",
            "<tr>" + "".join(f"<th>{s}</th>" for s in STATUS_COLUMNS * len(order)) + "</tr>",
            "</thead>", "<tbody>"]
    indicators = indicators_of(data)
    cells = tally_cells(data)
    heads = {start: (length, label) for start, length, label in type_runs(indicators)}
    for i, ind in enumerate(indicators):
        row = []
        if i in heads:
            length, label = heads[i]
            row.append(f'<th class="kind" rowspan="{length}">{_e(label)}</th>')
        row.append(f'<td class="label">{_e(ind.get("label") or ind["id"])}</td>')
        row.append(f'<td class="c">{_e(ind.get("unit"))}</td>')
        for cid in order:
            tally = cells.get((ind["id"], cid), {})
            for key in ("total", "solved", "in_progress"):
                value = int(tally.get(key, 0) or 0)
                row.append(f'<td class="n{" zero" if value == 0 else ""}">{value}</td>')
        out.append(f"<tr>{''.join(row)}</tr>")
    if not indicators:
        out.append(f'<tr><td colspan="{3 + 3 * len(order)}">（表单未声明指标）</td></tr>')
    out += ["</tbody></table></div>", "<h3>发现问题（合计）：已解决与正在解决</h3>",
            '<p class="legend"><span class="solved" style="background:#4a8f4a"></span>已解决'
            '<span class="open" style="background:#d98c2b"></span>正在解决</p>']
    bars = []
    for ind in indicators:
        tally = cells.get((ind["id"], "all"), {})
        solved = int(tally.get("solved", 0) or 0)
        bars.append((str(ind.get("label") or ind["id"]),
                     [(solved, "solved"), (int(tally.get("total", 0) or 0) - solved, "open")]))
    out.append(_bar_chart(bars, _unit_note(indicators)))
    return out


def _unit_note(indicators: list[dict[str, Any]]) -> str:
    units = sorted({str(ind.get("unit") or "") for ind in indicators} - {""})
    return "单位：" + " / ".join(units) if units else ""


# -- progress -----------------------------------------------------------------------------------

def _progress(data: ReportData) -> list[str]:
    out = ['<h2 class="page" id="progress">排查进度（按村、排查小组、日期）</h2>', "<table>",
           "<thead><tr><th>村（社区）</th><th>排查小组</th><th>日期</th><th>户数</th></tr></thead>",
           "<tbody>"]
    per_village = []
    for village, rows in progress_by_village(data).items():
        total = sum(int(r.get("households") or 0) for r in rows)
        per_village.append((village, [(total, "count")]))
        for i, row in enumerate(rows):
            head = f'<td rowspan="{len(rows) + 1}">{_e(village)}</td>' if i == 0 else ""
            out.append(f'<tr>{head}<td>{_e(row.get("team"))}</td><td class="c">'
                       f'{_e(row.get("date"))}</td><td class="n">'
                       f'{int(row.get("households") or 0)}</td></tr>')
        out.append(f'<tr class="sub"><td colspan="2">小计</td><td class="n">{total}</td></tr>')
    days = progress_by_day(data)
    for i, (day, count) in enumerate(days):
        head = f'<td rowspan="{len(days)}">按日期</td>' if i == 0 else ""
        out.append(f'<tr>{head}<td>各村合计</td><td class="c">{_e(day)}</td>'
                   f'<td class="n">{count}</td></tr>')
    out += [f'<tr class="sub"><td colspan="3">总计</td><td class="n">'
            f'{sum(c for _, c in days)}</td></tr>', "</tbody></table>",
            "<h3>各村（社区）已排查户数</h3>", _bar_chart(per_village, "单位：户"),
            "<h3>每日已排查户数</h3>",
            _bar_chart([(day or "（未填日期）", [(count, "count")]) for day, count in days],
                       "单位：户")]
    return out


# -- annex 3 ------------------------------------------------------------------------------------

def _ledger(data: ReportData) -> list[str]:
    out = ['<h2 class="page" id="ledger">疑似问题排查工作台账（附件3）</h2>']
    top = "".join(
        f'<th rowspan="2">{_e(t)}</th>' if s is None else
        (f'<th colspan="3">{_e(t)}</th>' if s == "户主姓名" else "") for t, s in LEDGER_HEADER)
    sub = "".join(f"<th>{_e(s)}</th>" for _t, s in LEDGER_HEADER if s is not None)
    for village, rows in ledger_by_village(data).items():
        out += [f"<h3>{_e(village)}</h3>",
                f'<p class="sign">{_e(LEDGER_SIGNATURES)}</p>',
                '<div class="wrap"><table class="ledger">',
                f"<thead><tr>{top}</tr><tr>{sub}</tr></thead>",
                "<tbody>"]
        for i, row in enumerate(rows, start=1):
            cells = (row.get("number", i), row.get("village"), row.get("head_name"),
                     row.get("id_number"), category_text(row), type_text(row),
                     row.get("description"), remark_text(row))
            out.append("<tr>" + "".join(
                f"<td{LEDGER_CLASSES[k]}>{_e(v)}</td>" for k, v in enumerate(cells)) + "</tr>")
        if not rows:
            out.append(f'<tr><td colspan="{len(LEDGER_HEADER)}">（未发现疑似问题）</td></tr>')
        out.append("</tbody></table></div>")
    return out


# -- charts -------------------------------------------------------------------------------------

def _clip(text: str, room: int) -> str:
    """``text`` cut to about ``room`` pixels at 12px (CJK 12, others 7), with … when cut."""
    width, out = 0, []
    for ch in text:
        width += 12 if ord(ch) > 0x2E7F else 7
        if width > room:
            return "".join(out) + "…"
        out.append(ch)
    return text


def _bar_chart(bars: list[tuple[str, list[tuple[int, str]]]], note: str = "") -> str:
    """Horizontal bars, one per (label, [(value, css class), ...]) stacked left to right."""
    if not bars:
        return "<p>（无数据）</p>"
    label_w, bar_w, row_h = 300, 420, 20
    top = max((sum(v for v, _ in parts) for _, parts in bars), default=0) or 1
    height = row_h * len(bars) + 24
    out = [f'<svg width="{label_w + bar_w + 60}" height="{height}" role="img" '
           f'aria-label="{_e(note)}">']
    for i, (label, parts) in enumerate(bars):
        y = i * row_h + 4
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end"><title>{_e(label)}'
                   f"</title>{_e(_clip(label, label_w - 10))}</text>")
        x = float(label_w)
        for value, css in parts:
            if value > 0:
                w = bar_w * value / top
                out.append(f'<rect class="{_e(css)}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                           f'height="{row_h - 6}"><title>{value}</title></rect>')
                x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{sum(v for v, _ in parts)}</text>')
    out.append(f'<text x="{label_w}" y="{height - 4}">{_e(note)}</text>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["render_html"]
