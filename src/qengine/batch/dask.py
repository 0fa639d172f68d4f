"""Validation on a dask cluster (the ``dask`` extra: ``pip install 'qengine[dask]'``).

:func:`validate_bag` validates JSON Lines on the workers of a dask cluster and brings back only the
summary and the violations, never the records. The machine (``form.to_json()``) goes to each
worker once (``client.scatter(..., broadcast=True)``, or one delayed object without a distributed
client), and each worker builds the form from it once; every line is read as
:mod:`qengine.batch.jsonl` reads it (a bad line is a ``bad_json`` or ``bad_encoding`` record, and
the run goes on).

The data is either paths or URLs (anything :func:`dask.bytes.read_bytes` reads: local paths, globs,
``s3://bucket/*.jsonl`` with s3fs, ``.gz`` files), read as bytes in blocks of ``blocksize`` (None:
one partition per file; a compressed file is always one), or a :class:`dask.bag.Bag` of text lines
(``dask.bag.read_text(...)``; with ``include_path=True`` its elements are ``(line, path)``); an
element that is not text (a dict) is a record, validated as it is.
Line numbers are those of the files (counted across the blocks of a file); for a bag without paths,
a source is ``partition N`` and a line counts within that partition.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import dask
import dask.bag
import orjson
from dask.utils import parse_bytes
from fsspec.core import get_fs_token_paths
from fsspec.utils import infer_compression, read_block

from qengine.batch.jsonl import BLANK, MAX_LINE_BYTES, Summary, read_value, unreadable
from qengine.batch.pool import line_chunks, numbered_lines
from qengine.errors import QengineError
from qengine.runtime import Form

__all__ = ["BagResult", "DaskError", "connect", "validate_bag"]

#: The default block of a file read on a worker: one partition per file.
DEFAULT_BLOCKSIZE: int | str | None = None


class DaskError(QengineError):
    """The cluster cannot be reached, or the data cannot be read on it."""

    code = "dask"


@attrs.frozen
class BagResult:
    """What :func:`validate_bag` brings back.

    ``summary`` has the fields of :meth:`qengine.batch.Summary.to_dict` (records, ok, with_errors,
    with_warnings, violations_by_rule); ``violations`` is a list of ``(source, line, violation)``
    in input order, ``source`` a path or URL (or ``partition N``), ``violation`` the dict of
    :meth:`qengine.Violation.to_dict`; ``partitions`` is how many partitions were validated.
    """

    summary: dict[str, Any]
    violations: list[tuple[str, int, dict[str, Any]]]
    partitions: int = 0

    def records(self) -> Iterator[dict[str, Any]]:
        """One dict per record with violations, as ``qengine validate`` prints it:
        ``{"file", "line", "ok", "errors", "warnings"}``, in input order."""
        current: dict[str, Any] | None = None
        for source, line, v in self.violations:
            if current is None or (current["file"], current["line"]) != (source, line):
                if current is not None:
                    yield current
                current = {"file": source, "line": line, "ok": True, "errors": [], "warnings": []}
            if v["severity"] == "error":
                current["ok"] = False
                current["errors"].append(v)
            else:
                current["warnings"].append(v)
        if current is not None:
            yield current


# -- on the workers ---------------------------------------------------------------------------------
_FORMS: dict[str, Form] = {}


def _form(machine: Mapping[str, Any], token: str) -> Form:
    """The form of ``machine``, built once per worker process."""
    form = _FORMS.get(token)
    if form is None:
        form = _FORMS[token] = Form.from_json(dict(machine))
        form.prepare()  # a partition is many records: the generated validator at once
    return form


#: A part's outcome: source, lines, summary, violations (local line, dict), unread (line, key, args).
_Part = tuple[str | None, int, dict[str, Any], bytes | list[Any],
              list[tuple[int, str, dict[str, Any]]]]


class _Record:
    """A bag's element that is a record already (a dict, say), not a line of text."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _validate_lines(lines: Iterable[bytes | _Record | None], machine: Mapping[str, Any],
                    token: str, params: Mapping[str, Any] | None, coerce: bool,
                    max_line_bytes: int, bom: bool, source: str | None) -> _Part:
    """Validate lines (bytes without the line end, None for one over the cap) or records; the
    violations go back as one orjson document (one object to send, not thousands)."""
    form = _form(machine, token)
    summary = Summary()
    found: list[tuple[int, dict[str, Any]]] = []
    unread: list[tuple[int, str, dict[str, Any]]] = []
    number = 0
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, _Record):
            value, problem = raw.value, None
        else:
            value, problem = read_value(number, raw if raw is None or len(raw) <= max_line_bytes
                                        else None, max_line_bytes, bom=bom and number == 1)
        if problem is not None:
            unread.append((number, *problem))
            summary.records += 1
            summary.with_errors += 1
            summary.by_rule[problem[0].split(".")[0]] += 1
            continue
        if value is BLANK:
            continue
        report = form.validate(value, params, coerce=coerce)
        summary.add(report)
        found += [(number, v.to_dict()) for v in report.violations]
    try:
        packed: bytes | list[Any] = orjson.dumps(found)
    except TypeError:  # a lone surrogate in a message: pickled as it is
        packed = found
    return source, number, summary.to_dict(), packed, unread


def _split(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    ended = data.endswith(b"\n")
    if ended:
        lines.pop()
    last = len(lines) - 1
    return [raw[:-1] if raw.endswith(b"\r") and (ended or i < last) else raw
            for i, raw in enumerate(lines)]


def _validate_range(fs: Any, path: str, offset: int, length: int | None, compression: str | None,
                    machine: Mapping[str, Any], token: str, params: Mapping[str, Any] | None,
                    coerce: bool, max_line_bytes: int, source: str) -> _Part:
    """One partition of a file, read on the worker: the whole file, streamed in bounded chunks
    (``length`` None), or the lines that start in ``length`` bytes from ``offset``."""
    try:
        if length is None:
            with fs.open(path, "rb", compression=compression) as fh:
                lines = (raw for chunk in line_chunks(fh, None, max_line_bytes)
                         for _n, raw in numbered_lines(chunk, max_line_bytes))
                return _validate_lines(lines, machine, token, params, coerce, max_line_bytes,
                                       True, source)
        with fs.open(path, "rb") as fh:
            block = read_block(fh, offset, length, delimiter=b"\n")
    except (OSError, EOFError, zlib.error) as exc:
        raise DaskError(f"cannot read {source}: {exc}") from None
    # a block inside one long line is empty: it holds no line (and must not count as one)
    return _validate_lines(_split(block) if block else [], machine, token, params, coerce,
                           max_line_bytes,
                           offset == 0, source)


def _validate_partition(items: Sequence[Any], machine: Mapping[str, Any], token: str,
                        params: Mapping[str, Any] | None, coerce: bool, max_line_bytes: int,
                        index: int) -> _Part:
    source: str | None = None
    lines: list[bytes | _Record] = []
    for item in items:
        if (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str)
                and isinstance(item[0], (str, bytes))):  # read_text(..., include_path=True)
            item, source = item
        if not isinstance(item, (str, bytes, bytearray)):
            lines.append(_Record(item))  # a record already: validated as it is
            continue
        text = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else bytes(item)
        if text.endswith(b"\n"):
            text = text[:-2] if text.endswith(b"\r\n") else text[:-1]
        lines.append(text)
    return _validate_lines(lines, machine, token, params, coerce, max_line_bytes, False,
                           source if source is not None else f"partition {index}")


# -- on the client ----------------------------------------------------------------------------------
def _client() -> Any:
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - dask without distributed
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _paths(data: Any) -> list[str] | None:
    if isinstance(data, (str, os.PathLike)):
        return [os.fspath(data)]
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (str, os.PathLike))
                                                        for d in data):
        return [os.fspath(d) for d in data]
    return None


_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4")


def validate_bag(form: Form, data: Any, *, params: Mapping[str, Any] | None = None,
                 coerce: bool = False, client: Any = None,
                 blocksize: int | str | None = DEFAULT_BLOCKSIZE,
                 max_line_bytes: int = MAX_LINE_BYTES) -> BagResult:
    """Validate JSON Lines on a dask cluster: ``data`` is a path or URL (or a list of them), or a
    :class:`dask.bag.Bag` of text lines. ``client`` is a :class:`distributed.Client` (default: the
    current one, if any; else dask's own scheduler). See the module docstring."""
    if params is not None:
        form.resolve_params(params)
    client = client if client is not None else _client()
    machine = form.to_json()
    token = hashlib.sha256(json.dumps(machine, sort_keys=True, ensure_ascii=False).encode()
                           ).hexdigest()
    if client is not None:  # in a list: a dict would be scattered key by key
        (ref,) = client.scatter([machine], broadcast=True, hash=False)
    else:
        ref = dask.delayed(machine, traverse=False)
    tasks: list[Any] = []
    paths = _paths(data)
    if paths is not None:
        size = parse_bytes(blocksize) if isinstance(blocksize, str) else blocksize
        for url in paths:
            try:
                fs, _token, names = get_fs_token_paths(url, mode="rb")
                if not names:
                    raise FileNotFoundError(f"no file matches {url}")
                if len(names) == 1 and not any(c in url for c in "*?["):
                    shown = [url]  # the name as given, not as the file system spells it
                else:
                    shown = [n if "://" not in url else f"{url.split('://')[0]}://{n}"
                             for n in names]
                for name, source in zip(names, shown):
                    compression = infer_compression(name)
                    if size is None or compression is not None:
                        ranges: list[tuple[int, int | None]] = [(0, None)]
                    else:
                        total = fs.info(name)["size"]
                        ranges = [(start, size) for start in range(0, max(total, 1), size)]
                    tasks += [dask.delayed(_validate_range, pure=False)(
                        fs, name, start, length, compression, ref, token, params, coerce,
                        max_line_bytes, source) for start, length in ranges]
            except (OSError, ValueError) as exc:
                raise DaskError(f"cannot read {url}: {exc}") from None
    elif isinstance(data, dask.bag.Bag):
        for i, part in enumerate(data.to_delayed()):
            tasks.append(dask.delayed(_validate_partition, pure=False)(
                part, ref, token, params, coerce, max_line_bytes, i))
    else:
        raise TypeError("data must be a path or URL, a list of them, or a dask.bag.Bag of lines")
    try:
        if client is not None:
            parts: list[_Part] = client.gather(client.compute(tasks))
        else:
            parts = list(dask.compute(*tasks))
    except (OSError, UnicodeError) as exc:
        raise DaskError(f"cannot read the records: {exc}") from None
    return _merge(form, parts)


def _merge(form: Form, parts: list[_Part]) -> BagResult:
    """One result from the parts, in order, with the lines of each source counted across its
    parts (and the messages of unreadable lines written with those line numbers)."""
    summary = Summary()
    violations: list[tuple[str, int, dict[str, Any]]] = []
    offsets: dict[str, int] = {}
    for source, count, counts, found, unread in parts:
        name = source or "?"
        offset = offsets.get(name, 0)
        offsets[name] = offset + count
        summary.merge(Summary(counts["records"], counts["ok"], counts["with_errors"],
                              counts["with_warnings"], Counter(counts["violations_by_rule"])))
        rows = [(offset + n, v) for n, v in (orjson.loads(found) if isinstance(found, bytes)
                                             else found)]
        for n, key, args in unread:
            (v,) = unreadable(form, key, line=offset + n, **args).violations
            rows.append((offset + n, v.to_dict()))
        rows.sort(key=lambda r: r[0])  # stable: a record's violations keep their order
        violations += [(name, line, v) for line, v in rows]
    return BagResult(summary.to_dict(), violations, len(parts))


@contextmanager
def connect(address: str, workers: int | None = None) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``address`` (``tcp://host:8786``), or of a
    new :class:`distributed.LocalCluster` of ``workers`` processes (default: one per core) when
    ``address`` is ``local``; closed on leaving."""
    from distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None,
                               silence_logs=logging.CRITICAL)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address)  # waits distributed.comm.timeouts.connect (dask config)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskError(f"cannot reach the dask scheduler at {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
