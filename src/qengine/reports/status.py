"""The status of findings: which the office has marked solved (annex 4, 解决情况).

A finding is 正在解决 (in progress) from the day it is found until it is marked 已解决 (solved). Its
key is stable across runs: ``f"{form id}:{id number}:{indicator id}"`` (:func:`finding_key`).

A status file is CSV, UTF-8 (a byte-order mark is ignored), one finding per row: ``key, status,
date, note`` (date ``YYYY-MM-DD`` and note optional), with or without that header line (a header
may name its columns in another order; ``key`` and ``status`` are required). A status is 已解决 or
正在解决 (``solved`` and ``in_progress`` are read too). A key listed twice takes its last row: the
file may be a log of changes. A bad row is a :class:`StatusError` naming the file and the line; a
key that no finding of the records has is not an error (the record may have been corrected since):
the report warns about it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from qengine.errors import QengineError
from qengine.reports.annex import IN_PROGRESS, SOLVED

__all__ = ["COLUMNS", "Status", "StatusError", "finding_key", "normalize_status", "parse_key",
           "read_status", "status_map"]

COLUMNS = ("key", "status", "date", "note")
_ALIASES = {SOLVED: SOLVED, IN_PROGRESS: IN_PROGRESS, "solved": SOLVED, "in_progress": IN_PROGRESS,
            "in progress": IN_PROGRESS}
_KEY = re.compile(r"^([A-Za-z0-9_.\-]+):([^:\s]+):([a-z][a-z0-9_]*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StatusError(QengineError, ValueError):
    """A status that cannot be read: a bad key, status or date (naming the file and line)."""

    code = "bad_status"


@attrs.frozen
class Status:
    """A finding's status as marked: 已解决 or 正在解决, the day it was marked (or None) and a note;
    ``where`` is the file and line it was read from (for messages)."""

    status: str
    date: str | None = None
    note: str = ""
    where: str | None = None

    @property
    def solved(self) -> bool:
        return self.status == SOLVED


def finding_key(form_id: str, id_number: str | None, indicator: str) -> str:
    """The stable key of a finding: ``"annex6:430122197709151371:housing_unsafe"``."""
    return f"{form_id}:{id_number or ''}:{indicator}"


def parse_key(key: str) -> tuple[str, str, str] | None:
    """``(form id, id number, indicator id)`` of a finding key, or None when it is not one."""
    m = _KEY.match(key)
    # an id number's check character is written x as often as X: the report's keys have X
    return None if m is None else (m.group(1), m.group(2).upper(), m.group(3))


def normalize_status(text: Any) -> str | None:
    """已解决 or 正在解决 for what ``text`` spells (its aliases too), or None."""
    if not isinstance(text, str):
        return None
    return _ALIASES.get(text.strip().lower() if text.isascii() else text.strip())


def check_date(text: Any) -> str | None:
    """``text`` as a date ``YYYY-MM-DD`` (None when blank); ValueError when it is not one."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str) or not _DATE.match(text.strip()):
        raise ValueError(f"date {text!r} is not a date YYYY-MM-DD")
    try:
        _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"date {text!r} is not a date of the calendar") from None
    return text.strip()


def make_status(key: Any, status: Any, date: Any = None, note: Any = None, *,
                where: str | None = None) -> tuple[str, Status]:
    """``(key, Status)`` from the parts of a row; ValueError saying what is wrong."""
    parts = parse_key(key.strip()) if isinstance(key, str) else None
    if parts is None:
        raise ValueError(f"key {key!r} is not a finding key FORM:ID_NUMBER:INDICATOR "
                         "(e.g. annex6:430122197709151371:housing_unsafe)")
    value = normalize_status(status)
    if value is None:
        raise ValueError(f"status {status!r} is neither {SOLVED} (solved) nor {IN_PROGRESS} "
                         "(in progress)")
    if note is not None and not isinstance(note, str):
        raise ValueError(f"note {note!r} is not text")
    return ":".join(parts), Status(value, check_date(date), (note or "").strip(), where)


def read_status(path: str | os.PathLike[str]) -> dict[str, Status]:
    """The statuses of a status file (see the module docstring), by key; :class:`StatusError`
    naming the file and line of a bad row, or a file that cannot be read."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as exc:
        raise StatusError(f"cannot read the status file {name}: "
                          f"{(exc.strerror or str(exc)).rstrip('.')}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise StatusError(f"{name}:{line}: not UTF-8 text (byte {data[exc.start]:#04x})") from None
    return parse_status_csv(text, name)


def parse_status_csv(text: str, name: str = "status") -> dict[str, Status]:
    """The statuses of the CSV ``text`` (``name`` in messages)."""
    out: dict[str, Status] = {}
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: tuple[str, ...] = COLUMNS
    first = True
    line = 0
    try:
        for cells in rows:
            start, line = line + 1, rows.line_num
            if not any(c.strip() for c in cells):
                continue
            if first:
                first = False
                names = tuple(c.strip().lower() for c in cells)
                if "key" in names:
                    columns = _header(names, f"{name}:{start}")
                    continue
            if len(cells) > len(columns):
                raise StatusError(f"{name}:{start}: {len(cells)} cells; a row holds at most "
                                  f"{len(columns)} ({', '.join(columns)})")
            row = dict(zip(columns, (c.strip() for c in cells)))
            if not row.get("key"):
                raise StatusError(f"{name}:{start}: no key (the first cell of a row)")
            if not row.get("status"):
                raise StatusError(f"{name}:{start}: no status for {row['key']} ({SOLVED} or "
                                  f"{IN_PROGRESS})")
            try:
                key, status = make_status(row["key"], row["status"], row.get("date"),
                                          row.get("note"), where=f"{name}:{start}")
            except ValueError as exc:
                raise StatusError(f"{name}:{start}: {exc}") from None
            out.pop(key, None)  # a later row replaces an earlier one, and is ordered last
            out[key] = status
    except csv.Error as exc:
        raise StatusError(f"{name}:{line + 1}: not CSV: {exc}") from None
    return out


def _header(names: tuple[str, ...], where: str) -> tuple[str, ...]:
    for n in names:
        if n not in COLUMNS:
            raise StatusError(f"{where}: unknown column {n!r} (the columns: {', '.join(COLUMNS)})")
    if len(set(names)) != len(names):
        raise StatusError(f"{where}: a column appears twice")
    if "status" not in names:
        raise StatusError(f"{where}: no status column")
    return names


def status_map(status: Any) -> dict[str, Status]:
    """Statuses from what :func:`qengine.reports.build` takes: None, the path of a status file,
    a mapping of key → status text, → ``{"status", "date"?, "note"?}`` or → :class:`Status`, or
    an iterable of ``(key, status[, date[, note]])`` rows."""
    if status is None:
        return {}
    if isinstance(status, (str, os.PathLike)):
        return read_status(status)
    out: dict[str, Status] = {}
    items: Iterable[Any] = status.items() if isinstance(status, Mapping) else status
    for n, item in enumerate(items, start=1):
        try:
            if isinstance(status, Mapping):
                key, value = item
                if isinstance(value, Status):
                    out[str(key)] = value
                    continue
                if isinstance(value, Mapping):
                    unknown = set(value) - {"status", "date", "note"}
                    if unknown:
                        raise ValueError(f"unknown field {sorted(unknown)[0]!r} (status, date, "
                                         "note)")
                    key, st = make_status(key, value.get("status"), value.get("date"),
                                          value.get("note"))
                else:
                    key, st = make_status(key, value)
            else:
                if isinstance(item, (str, bytes)) or not 2 <= len(item) <= 4:
                    raise ValueError("a row is (key, status[, date[, note]])")
                key, st = make_status(*item)
        except ValueError as exc:
            raise StatusError(f"status {n}: {exc}") from None
        out.pop(key, None)
        out[key] = st
    return out
