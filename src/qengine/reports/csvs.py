"""A report as three CSV files: ``ledger.csv``, ``tallies.csv`` and ``progress.csv``.

Each file is UTF-8 with a byte-order mark (Excel opens Chinese text right only with one), a header
row of the JSON contract's field names followed by the extra keys the rows carry, and one line per
row of the table. A list (a ledger row's ``findings``, ``categories``, ``keys``) is joined with
``;``. Records are untrusted: a text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or
carriage return) gets a leading ``'`` so that a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from qengine.reports.data import ReportData
from qengine.reports.write import writable

#: The contract's fields of each table, in order (docs/reports.md); extra keys follow them.
FIELDS: dict[str, tuple[str, ...]] = {
    "ledger": ("village", "head_name", "id_number", "category", "type", "description", "findings",
               "status"),
    "tallies": ("indicator", "category", "total", "solved", "in_progress"),
    "progress": ("village", "team", "date", "households"),
}

#: What a spreadsheet reads as the start of a formula (OWASP's list of CSV-injection triggers).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(text: str) -> str:
    """``text`` made writable (:func:`qengine.reports.write.writable`), with a ``'`` in front
    when a spreadsheet would read it as a formula."""
    text = writable(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Any) -> Any:
    """A value as one CSV cell: lists joined with ``;``, None empty, text guarded, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return guard_formula(";".join("" if v is None else str(v) for v in value))
    return guard_formula(str(value))


def columns(table: str, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The header of ``table``: the contract's fields, then every other key in first-seen order."""
    out = list(FIELDS[table])
    seen = set(out)
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                out.append(key)
    return out


def write_table(path: Path, header: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """One CSV file: UTF-8 with BOM, ``header`` then a line per row (missing keys empty)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell_text(row.get(key)) for key in header])


def write_csv(data: ReportData, directory: str | Path) -> list[Path]:
    """Write ``ledger.csv``, ``tallies.csv`` and ``progress.csv`` into ``directory`` (created when
    missing); return their paths in that order."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, rows in (("ledger", data.ledger), ("tallies", data.tallies),
                        ("progress", data.progress)):
        path = folder / f"{table}.csv"
        write_table(path, columns(table, rows), rows)
        paths.append(path)
    return paths


__all__ = ["FIELDS", "FORMULA_STARTS", "guard_formula", "write_csv"]
