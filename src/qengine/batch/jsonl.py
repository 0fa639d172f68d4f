"""Batch validation: many completed records (JSON Lines) against one compiled form.

The input is read as bytes, one bounded line at a time, and each line is decoded on its own, so no
line can stop the run or exhaust memory. A line that cannot be read as a record is reported as that
record's error and the run goes on; nothing is dropped silently:

- ``bad_encoding``: the line is not UTF-8 text;
- ``bad_json``: the line is not JSON, is nested too deeply to read, or is longer than
  :data:`MAX_LINE_BYTES` (the rest of it is skipped, up to the next line end);
- ``not_a_record`` (from :meth:`Form.validate`): the line is JSON, but not an object.

Records are data, so their types are strict (a code is a JSON integer): entered text such as ``"②"``
is a ``type`` error unless ``coerce=True`` asks for it to be converted as an interview would.

A UTF-8 byte-order mark at the start of the input is ignored. Lines end with ``\\n`` (``\\r\\n`` is
the same); blank lines are skipped but still counted, so the numbers are those of the input file.

Lines are parsed with orjson where it gives exactly what :func:`json.loads` gives, and with
:func:`json.loads` itself otherwise (integers beyond 64 bits, which orjson would turn into floats;
``NaN`` and ``Infinity``; lone surrogates; deep nesting; anything orjson refuses), so the values,
and the messages of lines that are not JSON, are those of :mod:`json` whichever reads the line.

:func:`validate_stream` is also :func:`qengine.batch.validate_stream`: a binary stream of JSON Lines
gives :class:`RecordResult` objects, any other iterable of records :class:`~qengine.Report`
objects, in input order; ``jobs=N`` validates in ``N`` worker processes (:mod:`qengine.batch.pool`).
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import Any, Protocol

import attrs
import orjson

from qengine.errors import MESSAGES, QengineError
from qengine.runtime import Form, Report, Violation

#: The longest line read as a record, in bytes (the line end not counted): 1 MiB. A record of the
#: bundled forms is a few kilobytes; anything this long is a broken export, not a household.
MAX_LINE_BYTES = 1 << 20

#: How much of an overlong line is read at a time while skipping it.
_SKIP_CHUNK = 1 << 16
_BOM = b"\xef\xbb\xbf"
#: What a blank line parses to.
BLANK: Any = object()

#: orjson reads an integer beyond 64 bits as a float, and nests deeper than json.loads can: a line
#: with a run of 19 digits, or with many brackets, is read by json.loads alone.
_DIGITS = bytes(48 if 48 <= i <= 57 else i for i in range(256))  # every digit to "0"
_LONG_RUN = b"0" * 19
_MAX_FAST_BRACKETS = 200

#: Inputs that are plainly not JSON Lines, by extension and by their first bytes.
_OTHER_FORMATS = {".csv": "a CSV file", ".xlsx": "an Excel workbook", ".xls": "an Excel workbook"}
_SIGNATURES = {b"PK\x03\x04": "a zip file (an Excel workbook?)",
               b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook"}


class InputFormatError(QengineError, ValueError):
    """The records are in a format other than JSON Lines (a spreadsheet, a CSV file)."""

    code = "not_json_lines"

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        super().__init__(f"{name}: expected JSON Lines (one JSON object per line), but this is "
                         f"{kind}; export the records as JSON Lines first")


class LineSource(Protocol):
    """What records are read from: a binary file (``open(path, "rb")``, ``sys.stdin.buffer``).
    A ``peek`` method, when there is one, lets :func:`check_json_lines` look at the first bytes."""

    def readline(self, size: int = -1, /) -> bytes: ...


#: zh and en templates of the messages of unreadable lines that :data:`qengine.errors.MESSAGES`
#: does not hold yet (``bad_json`` and ``bad_encoding`` are there; a key found there wins).
_UNREAD_MESSAGES: dict[str, dict[str, str]] = {
    "bad_json.deep": {"en": "line {line} is nested too deeply to read",
                      "zh": "第 {line} 行嵌套过深，无法读取"},
    "bad_json.long": {"en": "line {line} is longer than {limit} bytes",
                      "zh": "第 {line} 行超过 {limit} 字节"},
}


def _unread(form: Form, key: str, **args: Any) -> Report:
    """The report of a line that cannot be read as a record: one error naming no question, its
    message in each of the form's languages."""
    if key in MESSAGES:
        return Report.of([form.violation(key, (), **args)])
    texts = _UNREAD_MESSAGES[key]
    messages = {lang: texts.get(lang, texts["en"]).format(**args) for lang in form.languages}
    return Report.of([Violation(key.split(".")[0], "error", (), messages[form.languages[0]],
                                messages)])


@attrs.frozen(slots=True)
class RecordResult:
    """One input line's outcome: its line number and report (``read`` is false when the line could
    not be read as JSON at all: the report holds that one error, and an empty record).

    It is a report too: ``ok``, ``violations``, ``errors``, ``warnings``, ``path`` and ``record``
    are those of ``report``."""

    line: int
    report: Report
    read: bool = True

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def violations(self) -> tuple[Violation, ...]:
        return self.report.violations

    @property
    def errors(self) -> tuple[Violation, ...]:
        return self.report.errors

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return self.report.warnings

    @property
    def path(self) -> list[str]:
        return self.report.path

    @property
    def record(self) -> dict[str, Any]:
        return self.report.record

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, **self.report.to_dict()}


@attrs.define
class Summary:
    """Counts over a batch: records, ok, with errors, with warnings, and violations by rule."""

    records: int = 0
    ok: int = 0
    with_errors: int = 0
    with_warnings: int = 0
    by_rule: Counter[str] = attrs.field(factory=Counter)

    def add(self, report: Report) -> None:
        self.records += 1
        violations = report.violations
        if not violations:  # most records: nothing more to count
            self.ok += 1
            return
        errors = warnings = False
        by_rule = self.by_rule
        for v in violations:
            if v.severity == "error":
                errors = True
            elif v.severity == "warning":
                warnings = True
            by_rule[v.rule] += 1
        if errors:
            self.with_errors += 1
        else:
            self.ok += 1
        if warnings:
            self.with_warnings += 1

    def merge(self, other: Summary) -> None:
        """Add the counts of ``other`` (another part of the same batch) to these."""
        self.records += other.records
        self.ok += other.ok
        self.with_errors += other.with_errors
        self.with_warnings += other.with_warnings
        self.by_rule.update(other.by_rule)

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "ok": self.ok, "with_errors": self.with_errors,
                "with_warnings": self.with_warnings,
                "violations_by_rule": dict(sorted(self.by_rule.items()))}


def check_json_lines(stream: LineSource, name: str) -> None:
    """Raise :class:`InputFormatError` when ``stream`` (called ``name``) is plainly not JSON Lines:
    a ``.csv``, ``.xlsx`` or ``.xls`` file, or a workbook by its first bytes. Consumes nothing."""
    kind = _OTHER_FORMATS.get(PurePath(name).suffix.lower()) if name != "-" else None
    peek = getattr(stream, "peek", None)
    if kind is None and peek is not None:
        head = peek(8)[:8]
        kind = next((k for sig, k in _SIGNATURES.items() if head.startswith(sig)), None)
    if kind is not None:
        raise InputFormatError("standard input" if name == "-" else name, kind)


def read_lines(stream: LineSource, max_bytes: int = MAX_LINE_BYTES
               ) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each line of ``stream``, without its line end; ``None`` instead
    of the bytes for a line longer than ``max_bytes``, whose rest is skipped in bounded memory."""
    number = 0
    while True:
        chunk = stream.readline(max_bytes + 2)  # room for the longest line and its "\r\n"
        if not chunk:
            return
        number += 1
        ended = chunk.endswith(b"\n")
        body = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1] if ended else chunk
        if len(body) <= max_bytes:
            yield number, body
            continue
        yield number, None
        while chunk and not chunk.endswith(b"\n"):
            chunk = stream.readline(_SKIP_CHUNK)


def read_value(number: int, raw: bytes | None, max_bytes: int = MAX_LINE_BYTES,
               bom: bool | None = None) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    """The JSON value of line ``number`` (its bytes, or None for an overlong line) and None, or
    None and why it cannot be read (a message key and its arguments, but the line); :data:`BLANK`
    for a blank line. A byte-order mark is skipped on line 1 (or where ``bom`` says)."""
    if raw is None:
        return None, ("bad_json.long", {"limit": max_bytes})
    if (number == 1 if bom is None else bom) and raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    if (raw.count(b"[") + raw.count(b"{") < _MAX_FAST_BRACKETS
            and _LONG_RUN not in raw.translate(_DIGITS)):
        try:
            return orjson.loads(raw), None
        except orjson.JSONDecodeError:
            pass  # json.loads says why (or reads what orjson refuses: NaN, lone surrogates)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ("bad_encoding", {"byte": f"{exc.object[exc.start]:#04x}", "at": exc.start + 1})
    if not text.strip():
        return BLANK, None
    try:
        return json.loads(text), None
    except RecursionError:
        return None, ("bad_json.deep", {})
    except ValueError as exc:  # JSONDecodeError, and an integer of too many digits
        return None, ("bad_json", {"why": str(exc)})


def parse_line(form: Form, number: int, raw: bytes | None, max_bytes: int = MAX_LINE_BYTES
               ) -> tuple[Any, Report | None]:
    """The JSON value of line ``number`` (its bytes, or None for an overlong line), or the report
    saying why it cannot be read; :data:`BLANK` for a blank line."""
    value, problem = read_value(number, raw, max_bytes)
    if problem is None:
        return value, None
    return None, _unread(form, problem[0], line=number, **problem[1])


def unreadable(form: Form, key: str, **args: Any) -> Report:
    """The report of input that cannot be read as a record (``bad_json``, ``bad_encoding`` …, or a
    ``code.variant`` key of :data:`qengine.errors.MESSAGES`): one error naming no question."""
    return _unread(form, key, **args)


def validate_stream(form: Form, records: LineSource | Iterable[Any],
                    params: Mapping[str, Any] | None = None, *, coerce: bool = False,
                    jobs: int | None = 1, max_line_bytes: int = MAX_LINE_BYTES
                    ) -> Iterator[Any]:
    """Validate many records against ``form``, yielding one result per record in input order.

    ``records`` is either a binary stream of JSON Lines (``open(path, "rb")``,
    ``sys.stdin.buffer``; a text stream is read through its ``buffer``), which gives a
    :class:`RecordResult` for each non-blank line, readable or not; or any other iterable of
    records (dicts; anything else is reported ``not_a_record`` by :meth:`Form.validate`), which
    gives a :class:`~qengine.Report` for each. A record is data, so its types are strict;
    ``coerce=True`` converts entered text as an interview does.

    ``jobs`` is the number of processes: 1 (the default) validates here, ``N > 1`` in a pool of
    ``N`` worker processes, which get the form's machine once and chunks of lines (or records),
    a bounded number at a time (memory stays flat); ``None`` is one per core. The results are the
    same either way, in the same order.
    """
    if jobs is None:
        jobs = os.cpu_count() or 1
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1 (or None for one per core), not {jobs!r}")
    if isinstance(records, Mapping):
        raise TypeError("records is one record; pass an iterable of records (or a stream of "
                        "JSON Lines)")
    if params is not None:
        form.resolve_params(params)  # a bad override fails at once, before any record is read
    stream = _line_source(records)
    if jobs > 1:
        from qengine.batch.pool import validate_pooled  # the pool only when it is asked for

        return validate_pooled(form, stream if stream is not None else records, params,
                               coerce=coerce, jobs=jobs, max_line_bytes=max_line_bytes,
                               lines=stream is not None)
    if stream is not None:
        return _validate_lines(form, stream, params, coerce, max_line_bytes)
    return (form.validate(r, params, coerce=coerce) for r in records)  # type: ignore[union-attr]


def _line_source(records: Any) -> LineSource | None:
    """``records`` as a binary line source, or None when it is an iterable of records."""
    if isinstance(records, (str, bytes, bytearray)):
        raise TypeError("records is text; pass a binary stream of JSON Lines "
                        "(io.BytesIO(data)) or an iterable of records")
    if not callable(getattr(records, "readline", None)):
        return None
    if isinstance(records, io.TextIOBase):
        buffer = getattr(records, "buffer", None)
        return buffer if buffer is not None else _Encoded(records)
    return records  # type: ignore[no-any-return]


class _Encoded:
    """A text stream without a buffer (io.StringIO) read as UTF-8 bytes."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream

    def readline(self, size: int = -1, /) -> bytes:
        return self._stream.readline(size).encode("utf-8", "surrogatepass")


def _validate_lines(form: Form, stream: LineSource, params: Mapping[str, Any] | None,
                    coerce: bool, max_line_bytes: int) -> Iterator[RecordResult]:
    for number, raw in read_lines(stream, max_line_bytes):
        record, unread = parse_line(form, number, raw, max_line_bytes)
        if unread is not None:
            yield RecordResult(number, unread, read=False)
        elif record is not BLANK:
            yield RecordResult(number, form.validate(record, params=params, coerce=coerce))
