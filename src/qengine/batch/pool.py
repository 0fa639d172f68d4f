"""Validation in worker processes: the machine shipped once, chunks of raw lines sent, in order.

A pool of ``jobs`` processes (:class:`concurrent.futures.ProcessPoolExecutor`; forked on Linux
while the main process has a single thread, else started by a fork server or spawned) gets a
:class:`Spec` once, in its initializer: the form (which pickles as its machine JSON, never the
YAML), the params, and what to send back. The main process then reads the input and sends chunks
(:class:`Lines` of raw bytes,
:class:`Rows` of spreadsheet cells, or :class:`Records`), at most ``2 * jobs`` of them in flight at
a time, so memory stays flat whatever the input's size; the workers parse, validate and send back
compact results, which come out in input order.

What a worker sends back depends on :attr:`Spec.output`: the parts of each report (its
violations, path and canonical record, rebuilt here with :meth:`Report.of`), for the command the
text to print and the counts of the summary (so that the main process only reads and writes), or,
for the office's reports (:mod:`qengine.reports`), a compact tuple per record: a few of its values
and its findings and categories (:data:`Found`).
``--jobs 1`` runs the very same chunk code in the main process, without a pool.
"""

from __future__ import annotations

import csv
import datetime as _dt
import gc
import io
import itertools
import json
import math
import multiprocessing
import signal
import sys
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import attrs

from qengine.batch.jsonl import (
    BLANK,
    MAX_LINE_BYTES,
    RecordResult,
    Summary,
    parse_line,
    unreadable,
)
from qengine.errors import QengineError
from qengine.runtime import Form, Report, Violation

#: A chunk of lines holds at most this many lines, or this many bytes (a line more, at most).
CHUNK_LINES = 1000
CHUNK_BYTES = 1 << 20
#: Chunks in flight per worker: enough to keep every worker busy, few enough to keep memory flat.
IN_FLIGHT_PER_JOB = 2

OUTPUTS = ("reports", "jsonl", "csv", "none", "findings")
CSV_HEADER = ("file", "line", "rule", "severity", "questions", "message")


class WorkerError(QengineError):
    """A worker process died (killed, out of memory) before it sent its results back."""

    code = "worker_died"


@attrs.frozen
class Spec:
    """What each worker is set up with, once: the form, how to validate, what to send back.

    ``output`` is ``"reports"`` (the parts of each report), ``"jsonl"`` (one JSON line per
    record, as ``qengine validate`` prints it), ``"csv"`` (one row per violation), ``"none"``
    (the summary counts only) or ``"findings"`` (a :data:`Found` tuple per record, with the
    values of ``fields``); ``canonical`` adds each record's canonical record as a JSON line.
    """

    form: Form
    params: Mapping[str, Any] | None = None
    coerce: bool = False
    max_line_bytes: int = MAX_LINE_BYTES
    output: str = "reports"
    canonical: bool = False
    name_files: bool = False  # each JSON line names its file ("file") first
    fields: tuple[str, ...] = ()  # output "findings": the values sent back with each record


@attrs.frozen
class Lines:
    """Raw JSON Lines, as read: whole lines numbered from ``first``, each ending in a line end
    unless ``ended`` is false (the input's last line, without one); ``data`` is None for one line
    longer than the cap, whose rest is skipped (``urgent``: report it before reading on)."""

    source: str | None
    first: int
    data: bytes | None
    ended: bool = True
    position: int = 0  # bytes of the input read when the chunk was made (for a progress bar)
    urgent: bool = False


@attrs.frozen
class Undecodable:
    """A row of a CSV file that is not UTF-8: the first bad byte (``0xff``) and where (1-based)."""

    byte: str
    at: int


@attrs.frozen
class Rows:
    """Rows of a CSV file or a worksheet under ``header`` (question ids, or ``column N`` for a
    column without one): ``(line, cells)``, or ``(line, Undecodable(...))`` for a row of a CSV
    file that is not UTF-8. Cells are entered text (a worksheet's are typed values), read with
    ``coerce=True``; an empty cell is an absent answer."""

    source: str | None
    header: tuple[str, ...]
    rows: list[tuple[int, Any]]
    sheet: bool = False
    position: int = 0
    urgent: bool = False


@attrs.frozen
class Records:
    """Records from an iterable (any values), numbered from ``first``."""

    source: str | None
    first: int
    records: list[Any]
    position: int = 0
    urgent: bool = False


Chunk = Lines | Rows | Records


@attrs.frozen
class Rendered:
    """What a chunk gave, for the command: ``text`` to print, ``canonical`` JSON lines (or "")."""

    text: str
    canonical: str
    summary: Summary
    records: int


#: The parts of a report a worker sends back: line, read, violations, path, record.
Parts = tuple[int, bool, tuple[Violation, ...], list[str], dict[str, Any]]

#: What a worker sends back per record for output "findings": ``(line, source, read, has_errors,
#: message, values, categories, findings)``. ``read`` is false for a line that is not a record
#: (not JSON, not UTF-8, not an object), whose ``message`` is its error's (None otherwise);
#: ``values`` are those of :attr:`Spec.fields` on the record's path (text, or None), ``categories``
#: the ids of :meth:`Form.categories_from` and ``findings`` ``(indicator id, type, description)``
#: for each of :meth:`Form.findings_from`, both on the params and the report's record: the record
#: is walked once, by its validation.
Found = tuple[int, str | None, bool, bool, str | None, tuple[str | None, ...],
              tuple[str, ...], tuple[tuple[str, int, str], ...]]


class Worker:
    """Validates chunks under one :class:`Spec` (in a worker process, or in the main one)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        form = spec.form
        form.prepare()  # a batch validates many records: the generated validator at once
        self._as_text = frozenset(q.id for q in form.questions if q.type in ("text", "id_number"))
        self._computed = frozenset(q.id for q in form.questions if q.computed)
        self._params = form.resolve_params(spec.params) if spec.output == "findings" else {}

    # -- validating -----------------------------------------------------------------------------
    def results(self, chunk: Chunk) -> Iterator[tuple[int, Report, bool]]:
        """``(line, report, read)`` for each record of ``chunk``, in order."""
        spec, form = self.spec, self.spec.form
        params = spec.params
        if isinstance(chunk, Lines):
            coerce, limit = spec.coerce, spec.max_line_bytes
            for number, raw in numbered_lines(chunk, limit):
                record, unread = parse_line(form, number, raw, limit)
                if unread is not None:
                    yield number, unread, False
                elif record is not BLANK:
                    yield number, form.validate(record, params, coerce=coerce), True
        elif isinstance(chunk, Rows):
            header, width = chunk.header, len(chunk.header)
            for number, cells in chunk.rows:
                if isinstance(cells, Undecodable):
                    yield number, unreadable(form, "bad_encoding", line=number, byte=cells.byte,
                                             at=cells.at), False
                    continue
                record: dict[str, Any] = {}
                for i, cell in enumerate(cells):
                    if cell is None or cell == "":
                        continue
                    key = header[i] if i < width else f"column {i + 1}"
                    if chunk.sheet:
                        cell = self._cell(key, cell)
                    if key in self._computed and isinstance(cell, str):
                        cell = _number(cell)  # a computed value is compared, not converted
                    record[key] = cell
                yield number, form.validate(record, params, coerce=True), True
        else:
            coerce = spec.coerce
            for number, record in enumerate(chunk.records, start=chunk.first):
                yield number, form.validate(record, params, coerce=coerce), True

    def _cell(self, key: str, value: Any) -> Any:
        """A worksheet cell as what was entered: a number in a text question is its digits, a
        date its ISO text (a date question converts a date itself)."""
        if key in self._as_text and not isinstance(value, str):
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            if isinstance(value, _dt.datetime) and value.time() == _dt.time():
                return value.date().isoformat()
            if isinstance(value, (_dt.date, _dt.time)):
                return value.isoformat()
            return str(value)
        return value

    # -- what goes back -------------------------------------------------------------------------
    def run(self, chunk: Chunk) -> list[Parts] | list[Found] | Rendered:
        """The result of one chunk, as :attr:`Spec.output` asks."""
        spec = self.spec
        if spec.output == "reports":
            return [(n, read, tuple(map(_plain, r.violations)), r.path, r.record)
                    for n, r, read in self.results(chunk)]
        if spec.output == "findings":
            return self.found(chunk)
        summary = Summary()
        out = io.StringIO()
        canon: list[str] = []
        write = out.write
        if spec.output == "csv":
            rows = csv.writer(out, lineterminator="\n")
            name = chunk.source if chunk.source is not None else "-"
        else:
            prefix = ('{"line": ' if chunk.source is None or not spec.name_files else
                      '{"file": ' + json.dumps(chunk.source, ensure_ascii=False) + ', "line": ')
        for number, report, _read in self.results(chunk):
            summary.add(report)
            if spec.output == "jsonl":
                if report.violations:
                    body = json.dumps(report.to_dict(), ensure_ascii=False)
                    write(f"{prefix}{number}, {body[1:]}\n")
                else:
                    write(f'{prefix}{number}, "ok": true, "errors": [], "warnings": []}}\n')
            elif spec.output == "csv":
                for v in report.violations:
                    rows.writerow((name, number, v.rule, v.severity, ";".join(v.questions),
                                   v.message))
            if spec.canonical:
                canon.append(json.dumps(report.record, ensure_ascii=False))
        return Rendered(out.getvalue(), "".join(c + "\n" for c in canon), summary,
                        summary.records)


    def found(self, chunk: Chunk) -> list[Found]:
        """A :data:`Found` tuple for each record of ``chunk``, in order."""
        form, params, fields = self.spec.form, self._params, self.spec.fields
        source = chunk.source
        findings_from, categories_from = form.findings_from, form.categories_from
        out: list[Found] = []
        append = out.append
        for number, report, read in self.results(chunk):
            errors = report.errors
            if not read or (errors and errors[0].rule == "not_a_record"):
                append((number, source, False, True, errors[0].message if errors else None,
                        (), (), ()))
                continue
            record = report.record
            shown = tuple(_shown(record.get(f)) for f in fields)
            values = record  # the report's own dict, dropped after this: params join it
            values.update(params)  # (a param name is never a question id)
            append((number, source, True, bool(errors), None, shown,
                    tuple(categories_from(values)),
                    tuple((f.id, f.type, f.description) for f in findings_from(values))))
        return out


def _shown(value: Any) -> str | None:
    """A value sent back with a record's findings: text as it is, anything else as text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _plain(v: Violation) -> Violation:
    """``v`` with its messages in a plain dict (a check's are a read-only view, which does not
    pickle)."""
    return v if type(v.messages) is dict else attrs.evolve(v, messages=dict(v.messages))


def _number(text: str) -> Any:
    """The number that ``text`` (a cell of a computed question) spells, or the text."""
    plain = text.strip().replace(",", "")
    try:
        return int(plain)
    except ValueError:
        pass
    try:
        value = float(plain)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def numbered_lines(chunk: Lines, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes without the line end)`` of each line of ``chunk``; None for a line
    longer than ``limit`` bytes (as :func:`qengine.batch.jsonl.read_lines` gives them)."""
    if chunk.data is None:
        yield chunk.first, None
        return
    lines = chunk.data.split(b"\n")
    if chunk.ended:
        lines.pop()  # what follows the last line end
    last = len(lines) - 1
    for i, raw in enumerate(lines):
        if raw.endswith(b"\r") and (chunk.ended or i < last):
            raw = raw[:-1]
        yield chunk.first + i, raw if len(raw) <= limit else None


# -- the pool ---------------------------------------------------------------------------------------
_WORKER: Worker | None = None


def _init(spec: Spec) -> None:
    """A worker's initializer: the spec (and its form, from the machine JSON) once."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _WORKER = Worker(spec)
    # The form lives as long as the worker: out of the collector's way. A worker's garbage is a
    # chunk's records and reports, gone when the chunk is done: collect young objects rarely.
    gc.freeze()
    gc.set_threshold(20000, 20, 20)


def _run(chunk: Chunk) -> list[Parts] | list[Found] | Rendered:
    assert _WORKER is not None, "the worker was not initialised"
    return _WORKER.run(chunk)


def _context() -> Any:
    """How workers start: forked on Linux while this process has one thread (quickest, and the
    main module is not imported again), else by a fork server or spawned (a thread, such as a
    progress bar's, may hold a lock at the moment of a fork)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["qengine.batch.pool"])  # each worker starts with it imported
        return ctx
    return multiprocessing.get_context("spawn")


def run_chunks(spec: Spec, chunks: Iterable[Chunk], jobs: int
               ) -> Iterator[tuple[Chunk, list[Parts] | list[Found] | Rendered]]:
    """``(chunk, its result)`` for each chunk, in order: in the main process when ``jobs`` is 1
    or the input is one chunk, else in a pool of ``jobs`` workers with at most ``2 * jobs`` chunks
    in flight. An urgent chunk (an overlong line, whose rest is skipped next) is answered at once,
    here, after those before it."""
    local: Worker | None = None
    it = iter(chunks)
    if jobs <= 1:
        local = Worker(spec)
        for chunk in it:
            yield chunk, local.run(chunk)
        return
    head: list[Chunk] = []
    for chunk in it:  # a pool only for more than one chunk: a small input is done here
        if chunk.urgent:
            local = local or Worker(spec)
            for c in [*head, chunk]:
                yield c, local.run(c)
            head = []
            continue
        head.append(chunk)
        if len(head) == 2:
            break
    if len(head) < 2:
        local = local or Worker(spec)
        for c in head:
            yield c, local.run(c)
        return
    limit = IN_FLIGHT_PER_JOB * jobs
    pending: deque[tuple[Chunk, Future[Any]]] = deque()
    executor = ProcessPoolExecutor(jobs, mp_context=_context(), initializer=_init,
                                   initargs=(spec,))
    try:
        for chunk in itertools.chain(head, it):
            if chunk.urgent:
                while pending:
                    yield _done(*pending.popleft())
                local = local or Worker(spec)
                yield chunk, local.run(chunk)
                continue
            pending.append((chunk, executor.submit(_run, chunk)))
            while len(pending) >= limit:
                yield _done(*pending.popleft())
        while pending:
            yield _done(*pending.popleft())
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _done(chunk: Chunk, future: Future[Any]) -> tuple[Chunk, Any]:
    try:
        return chunk, future.result()
    except BrokenProcessPool as exc:
        raise WorkerError(f"a worker process died before finishing its records ({exc})") from None


# -- the API's pooled paths -------------------------------------------------------------------------
def line_chunks(stream: Any, source: str | None = None, max_line_bytes: int = MAX_LINE_BYTES,
                position: Callable[[], int] | None = None, size: int = CHUNK_BYTES,
                failed: Callable[[int, Exception], Exception] | None = None) -> Iterator[Lines]:
    """The lines of the binary ``stream`` in chunks of whole lines, read ``size`` bytes at a time.

    A line longer than ``max_line_bytes`` is a chunk of its own when it outgrows a read, urgent,
    and its rest is skipped after the chunk is yielded (so its report is out before the skipping,
    which may never end: /dev/zero); a shorter long line is found by the worker. ``failed`` turns
    a read error at a line into the exception to raise (by default it is raised as it is)."""
    read = getattr(stream, "read1", None) or stream.readline  # whatever is there, up to size
    cap = max_line_bytes + 2  # the longest line and its "\r\n"
    where = position or (lambda: 0)
    number = 1  # of the next line
    carry = b""

    def more() -> bytes:
        try:
            return read(size)  # type: ignore[no-any-return]
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            if failed is None:
                raise
            raise failed(number, exc) from None

    while True:
        block = more()
        if not block:
            break
        data = carry + block if carry else block
        cut = data.rfind(b"\n")
        if cut >= 0:
            whole, carry = data[:cut + 1], data[cut + 1:]
            yield Lines(source, number, whole, True, where())
            number += whole.count(b"\n")
        else:
            carry = data
        if len(carry) > cap:  # no line end in sight: report the line, then skip to its end
            yield Lines(source, number, None, True, where(), urgent=True)
            number += 1
            carry = b""
            while True:
                block = more()
                end = block.find(b"\n")
                if not block or end >= 0:
                    carry = block[end + 1:] if block else b""
                    break
    while carry:  # what is left after the last read: whole lines, then perhaps an unended one
        cut = carry.rfind(b"\n")
        if cut >= 0:
            yield Lines(source, number, carry[:cut + 1], True, where())
            number += carry.count(b"\n", 0, cut + 1)
            carry = carry[cut + 1:]
        else:
            yield Lines(source, number, carry, False, where())
            carry = b""


def record_chunks(records: Iterable[Any], size: int = 500) -> Iterator[Records]:
    batch: list[Any] = []
    first = 1
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield Records(None, first, batch)
            first, batch = first + len(batch), []
    if batch:
        yield Records(None, first, batch)


def validate_pooled(form: Form, records: Any, params: Mapping[str, Any] | None, *,
                    coerce: bool, jobs: int, max_line_bytes: int, lines: bool) -> Iterator[Any]:
    """:func:`qengine.batch.validate_stream` with ``jobs > 1``: RecordResult objects for a stream
    of lines, Report objects for an iterable of records, rebuilt from the workers' parts."""
    spec = Spec(form, params, coerce, max_line_bytes, "reports")
    chunks: Iterable[Chunk] = (line_chunks(records, None, max_line_bytes) if lines
                               else record_chunks(records))
    for _chunk, parts in run_chunks(spec, chunks, jobs):
        assert isinstance(parts, list)
        for number, read, violations, path, record in parts:
            report = Report.of(list(violations), path=path, record=record)
            yield RecordResult(number, report, read) if lines else report
