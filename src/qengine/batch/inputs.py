"""Files of records, by format: JSON Lines (plain or gzip), CSV, and Excel workbooks (.xlsx).

:func:`inspect_input` looks at each input before any record is read (it exists, it can be read, its
format is known and its first bytes agree), so that a bad argument stops the run before any output;
:func:`read_inputs` then reads the inputs one after the other, in bounded chunks for
:func:`qengine.batch.pool.run_chunks`. Anything unreadable is an :class:`InputError` naming the file
(and the line, once reading has begun): ``qengine validate`` exits with status 2 on it.

- JSON Lines: ``.jsonl``, ``.ndjson``, ``.json``, ``.jl``, ``.txt`` or no extension (``-`` is
  standard input); ``.gz`` after any of these (``x.jsonl.gz``) is read through gzip. Each line is
  read as :mod:`qengine.batch.jsonl` says (a bad line is a record with a ``bad_json`` error).
- CSV: ``.csv`` (or ``.csv.gz``), UTF-8 (a byte-order mark is ignored); the first row holds the
  question ids; each later row is a record of entered text, read with ``coerce=True``; an empty
  cell is an absent answer, a multiple choice is ``1;3`` or ``1,3``; a row of empty cells is
  skipped like a blank line; a row that is not UTF-8 is a ``bad_encoding`` record.
- Excel: ``.xlsx`` (``.xlsm``), read with openpyxl in read-only mode: the first worksheet, or the
  one named; the first row holds the question ids, each later row a record, read with
  ``coerce=True`` (a number in a text question is its digits, a date cell a date).

``line`` is the line of the file where a record starts (the row, in a worksheet).
"""

from __future__ import annotations

import csv
import errno
import gzip
import itertools
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import Any, BinaryIO

import attrs

from qengine.batch.jsonl import MAX_LINE_BYTES
from qengine.batch.pool import (
    CHUNK_BYTES,
    CHUNK_LINES,
    Chunk,
    Lines,
    Rows,
    Undecodable,
    line_chunks,
    record_chunks,
)
from qengine.errors import QengineError

KINDS = ("jsonl", "csv", "xlsx")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".jl": "jsonl",
             ".txt": "jsonl", "": "jsonl", ".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
_BOM = b"\xef\xbb\xbf"
STDIN = "-"


class InputError(QengineError, ValueError):
    """An input that cannot be read: missing, unreadable, of an unknown format, or broken."""

    code = "bad_input"


@attrs.frozen
class Input:
    """One input, inspected: its name as given, its format, gzip or not, its size (or None)."""

    name: str
    kind: str
    gzip: bool = False
    size: int | None = None
    sheet: str | None = None

    @property
    def shown(self) -> str:
        """The name in messages."""
        return "standard input" if self.name == STDIN else self.name


def _why(exc: BaseException) -> str:
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).rstrip(".")


def kind_of(name: str) -> tuple[str | None, bool, str]:
    """(format, gzip, suffix) of a file name: ``x.jsonl.gz`` is ("jsonl", True, ".jsonl")."""
    path = PurePath(name)
    suffix = path.suffix.lower()
    gz = suffix == ".gz"
    if gz:
        suffix = PurePath(path.stem).suffix.lower()
    if suffix and not suffix[1:].isalpha():
        suffix = ""  # records.2020 or r.jsonl.1 has no extension to speak of
    return _SUFFIXES.get(suffix), gz, suffix


def inspect_input(name: str, *, kind: str | None = None, sheet: str | None = None) -> Input:
    """``name`` checked before anything is read: it exists, can be read, and is of a format read
    here (by its extension, or ``kind``), which its first bytes do not belie."""
    if name == STDIN:
        if kind == "xlsx":
            raise InputError("a workbook cannot be read from standard input; give its file name")
        return Input(name, kind or "jsonl", sheet=sheet)
    by_name, gz, suffix = kind_of(name)
    if kind is None:
        if by_name is None:
            if suffix == ".xls":
                raise InputError(f"{name}: Excel 97-2003 workbooks (.xls) are not read; save it "
                                 "as .xlsx or CSV")
            raise InputError(f"{name}: unknown format {suffix!r}: records are read from JSON Lines "
                             "(.jsonl, .jsonl.gz), CSV (.csv) or Excel (.xlsx) files "
                             "(--input-format names the format of any other file)")
        kind = by_name
    else:
        gz = gz and kind != "xlsx"
    if kind == "xlsx" and gz:
        raise InputError(f"{name}: a gzip-compressed workbook is not read; decompress it first")
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(st.st_mode):  # a pipe, /dev/stdin, a device: not read ahead
            if not os.access(name, os.R_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            if kind == "xlsx":
                raise InputError(f"{name}: a workbook is read from a file, not a pipe or device")
            return Input(name, kind, gz, None, sheet)
        with open(name, "rb") as fh:
            size = st.st_size
            head = fh.read(4)
            if gz:
                if not head.startswith(_GZIP):
                    raise InputError(f"{name}: line 1: not a gzip file, though its name ends in .gz")
                fh.seek(0)
                head = gzip.GzipFile(fileobj=fh).read(4)
    except InputError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {name}: {_why(exc)}") from None
    _check_head(name, kind, head, gz)
    return Input(name, kind, gz, size, sheet)


def _check_head(name: str, kind: str, head: bytes, gz: bool) -> None:
    """The first bytes of a file must not belie its format."""
    if kind == "xlsx":
        if head and not head.startswith(_ZIP):
            raise InputError(f"{name}: line 1: not an Excel workbook (.xlsx is a zip file)")
        return
    what = ("a gzip file (name it .gz)" if head.startswith(_GZIP) and not gz else
            "a zip file (an Excel workbook? name it .xlsx)" if head.startswith(_ZIP) else
            "an Excel 97-2003 workbook (save it as .xlsx or CSV)" if head.startswith(_OLE) else
            None)
    if what is not None:
        expected = "JSON Lines (one JSON object per line)" if kind == "jsonl" else "CSV text"
        raise InputError(f"{name}: line 1: expected {expected}, but this is {what}")


class _Reader:
    """A binary input whose read errors are :class:`InputError` naming the file and the line."""

    def __init__(self, stream: BinaryIO, shown: str) -> None:
        self._stream = stream
        self._shown = shown
        self.lines = 0

    def readline(self, size: int = -1, /) -> bytes:
        try:
            data = self._stream.readline(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self._shown}: line {self.lines + 1}: cannot read: {_why(exc)}"
                             ) from None
        if data.endswith(b"\n"):
            self.lines += 1
        return data

    def peek(self, size: int = 0) -> bytes:
        peek = getattr(self._stream, "peek", None)
        try:
            return peek(size) if peek is not None else b""
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self._shown}: line 1: cannot read: {_why(exc)}") from None


def _open(inp: Input) -> tuple[BinaryIO, BinaryIO | None]:
    """(the stream to read, the file under it whose position is the progress) of ``inp``."""
    if inp.name == STDIN:
        if sys.stdin is None:
            raise InputError("no standard input to read records from")
        return sys.stdin.buffer, None
    try:
        raw = open(inp.name, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise InputError(f"cannot read {inp.name}: {_why(exc)}") from None
    if inp.gzip:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    return raw, raw


def read_inputs(inputs: Iterable[Input], *, max_line_bytes: int = MAX_LINE_BYTES
                ) -> Iterator[Chunk]:
    """The chunks of every input, one input after the other; a chunk's ``position`` counts the
    bytes read of all the inputs so far (of the compressed file, for gzip)."""
    offset = 0
    for inp in inputs:
        yield from read_input(inp, max_line_bytes=max_line_bytes, offset=offset)
        offset += inp.size or 0


def read_input(inp: Input, *, max_line_bytes: int = MAX_LINE_BYTES, offset: int = 0
               ) -> Iterator[Chunk]:
    """The chunks of one input (see the module docstring), each naming it (``-`` for standard
    input)."""
    name = inp.name
    if inp.kind == "xlsx":
        yield from _sheet_chunks(inp, offset, name)
        return
    stream, under = _open(inp)
    try:
        reader = _Reader(stream, inp.shown)
        if inp.size is None and not inp.gzip:  # standard input, a pipe: not looked at before
            _check_head(inp.shown, inp.kind, reader.peek(8)[:8], False)
        tell = under.tell if under is not None and under.seekable() else None

        def position() -> int:
            return offset + (tell() if tell is not None else 0)

        if inp.kind == "jsonl":
            def failed(line: int, exc: Exception) -> InputError:
                return InputError(f"{inp.shown}: line {line}: cannot read: {_why(exc)}")

            yield from line_chunks(stream, name, max_line_bytes, position, failed=failed)
        else:
            yield from _csv_chunks(reader, inp, name, max_line_bytes, position)
    finally:
        if under is not None:
            stream.close()
            under.close()


# -- CSV --------------------------------------------------------------------------------------------
def _column(i: int, text: Any) -> str:
    name = str(text).strip() if text is not None else ""
    return name or f"column {i + 1}"


def _header(cells: list[Any], shown: str) -> tuple[str, ...]:
    header = tuple(_column(i, c) for i, c in enumerate(cells))
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in seen:
            raise InputError(f"{shown}: line 1: column {h!r} appears twice (columns {seen[h] + 1} "
                             f"and {i + 1})")
        seen[h] = i
    return header


def _csv_chunks(reader: _Reader, inp: Input, name: str | None, max_line_bytes: int,
                position: Any) -> Iterator[Rows]:
    bad: dict[int, Undecodable] = {}

    def text_lines() -> Iterator[str]:
        number = 0
        while True:
            raw = reader.readline(max_line_bytes + 2)
            if not raw:
                return
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                raise InputError(f"{inp.shown}: line {number}: longer than {max_line_bytes} bytes")
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad[number] = Undecodable(f"{raw[exc.start]:#04x}", exc.start + 1)
                yield raw.decode("utf-8", "replace")

    rows = csv.reader(text_lines(), strict=True)  # an unclosed quote is an error, not one cell
    header: tuple[str, ...] | None = None
    batch: list[tuple[int, Any]] = []
    size, last = 0, 0
    try:
        for cells in rows:
            start, last = last + 1, rows.line_num
            if header is None:
                header = _header(cells, inp.shown)
                if bad:
                    raise InputError(f"{inp.shown}: line 1: the header is not UTF-8 text")
                continue
            if not any(cells):
                continue  # a blank line, or a row of empty cells
            if bad:
                undecodable = next((bad[n] for n in range(start, last + 1) if n in bad), None)
                for n in range(start, last + 1):
                    bad.pop(n, None)
                if undecodable is not None:
                    batch.append((start, undecodable))
                    continue
            batch.append((start, cells))
            size += sum(map(len, cells))
            if len(batch) >= CHUNK_LINES or size >= CHUNK_BYTES:
                yield Rows(name, header, batch, position=position())
                batch, size = [], 0
    except csv.Error as exc:
        raise InputError(f"{inp.shown}: line {rows.line_num}: not CSV: {exc}") from None
    if batch and header is not None:
        yield Rows(name, header, batch, position=position())


# -- Excel ------------------------------------------------------------------------------------------
def _sheet_chunks(inp: Input, offset: int, name: str | None) -> Iterator[Rows]:
    import openpyxl  # the one home of openpyxl; loaded only for a workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(inp.name, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, InvalidFileException, EOFError, zlib.error) as exc:
        raise InputError(f"{inp.name}: cannot read as an Excel workbook: {_why(exc)}") from None
    except Exception as exc:  # zipfile.BadZipFile and openpyxl's own parse errors
        raise InputError(f"{inp.name}: cannot read as an Excel workbook: {_why(exc)}") from None
    try:
        if inp.sheet is not None:
            if inp.sheet not in book.sheetnames:
                raise InputError(f"{inp.name}: no worksheet {inp.sheet!r} (worksheets: "
                                 f"{', '.join(book.sheetnames)})")
            sheet = book[inp.sheet]
        else:
            sheet = book.worksheets[0]
        header: tuple[str, ...] | None = None
        batch: list[tuple[int, Any]] = []
        number = 0
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if header is None:
                    header = _header(list(cells), inp.name)
                    continue
                if all(c is None or c == "" for c in cells):
                    continue
                batch.append((number, list(cells)))
                if len(batch) >= CHUNK_LINES:
                    yield Rows(name, header, batch, sheet=True, position=offset)
                    batch = []
        except InputError:
            raise
        except Exception as exc:  # a damaged sheet: openpyxl raises what its parser raises
            raise InputError(f"{inp.name}: row {number + 1}: cannot read: {_why(exc)}") from None
        if batch and header is not None:
            yield Rows(name, header, batch, sheet=True, position=offset + (inp.size or 0))
    finally:
        book.close()


__all__ = ["KINDS", "STDIN", "Input", "InputError", "Lines", "Rows", "inspect_input", "kind_of",
           "read_input", "read_inputs"]


def chunks_of(records: Any) -> Iterator[Chunk]:
    """The chunks of ``records`` for :func:`qengine.batch.pool.run_chunks`: the paths of files
    (JSON Lines, CSV, Excel, read as ``qengine validate`` reads them; a path alone is one file,
    and every file is looked at now, before any is read) or an iterable of records. TypeError for
    anything else, such as a single record or a list that mixes paths with other things."""
    if isinstance(records, (str, os.PathLike)):
        records = [records]
    elif isinstance(records, (Mapping, bytes)) or not isinstance(records, Iterable):
        raise TypeError(f"records: expected an iterable of records or of file paths, not "
                        f"{type(records).__name__}")
    it = iter(records)
    head = list(itertools.islice(it, 1))
    if head and isinstance(head[0], (str, os.PathLike)):
        names = [os.fspath(head[0])]
        for p in it:
            if not isinstance(p, (str, os.PathLike)):
                raise TypeError(f"records: a list of paths holds {type(p).__name__}")
            names.append(os.fspath(p))
        return read_inputs([inspect_input(name) for name in names])
    return record_chunks(itertools.chain(head, it))
