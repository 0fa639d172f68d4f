"""qengine.batch.validate_stream: records or JSON Lines, in this process or in a real pool of
worker processes, with the same reports in the same order; orjson read exactly as json.loads."""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qengine
from qengine.batch import RecordResult, validate_stream
from qengine.batch.jsonl import BLANK, read_lines, read_value
from qengine.batch.pool import Lines, Rows, Spec, Worker, line_chunks, numbered_lines

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "examples" / "annex6-sample.jsonl").read_bytes().splitlines()


@pytest.fixture(scope="module")
def annex6() -> qengine.Form:
    return qengine.load("annex6")


def batch(n: int, seed: int = 3) -> bytes:
    """``n`` lines: the sample's records, some changed, and a few lines that are not records."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        k = rng.random()
        if k < 0.02:
            out.append(rng.choice([b"{oops", b"\xff\xfe", b"[1, 2]", b"", b"null", b"[" * 3000,
                                   b'{"q2": 18446744073709551616}', b'{"q2": NaN}',
                                   b'{"head_name": "\\ud800"}']))
            continue
        record = json.loads(SAMPLE[i % len(SAMPLE)])
        if k < 0.3:
            key = rng.choice(sorted(record))
            record[key] = rng.choice([None, 9, "②", -1, [1, 1], "x" * 20])
        out.append(json.dumps(record, ensure_ascii=rng.random() < 0.5).encode())
    return b"\r\n".join(out[: n // 2]) + b"\r\n" + b"\n".join(out[n // 2:])


def same(a: Any, b: Any) -> None:
    """Two reports (or record results) alike in everything they tell."""
    assert type(a) is type(b)
    if isinstance(a, RecordResult):
        assert (a.line, a.read) == (b.line, b.read)
    assert a.violations == b.violations
    assert [v.messages for v in a.violations] == [v.messages for v in b.violations]
    assert a.ok == b.ok and a.errors == b.errors and a.warnings == b.warnings
    assert a.path == b.path
    assert a.record == b.record


def test_lines_in_a_pool_give_the_same_results_in_the_same_order(annex6: qengine.Form) -> None:
    """3,000 lines (bad ones among them) validated by 2 worker processes give, line for line, the
    violations, path and canonical record that this process gives."""
    data = batch(3000)
    here = list(validate_stream(annex6, io.BytesIO(data)))
    pooled = list(validate_stream(annex6, io.BytesIO(data), jobs=2))
    assert len(here) == len(pooled) > 2900
    for a, b in zip(here, pooled):
        same(a, b)
    assert any(not r.read for r in pooled) and any(r.ok for r in pooled)
    assert [r.line for r in pooled] == sorted(r.line for r in pooled)


def test_records_in_a_pool_give_reports_in_order(annex6: qengine.Form) -> None:
    """An iterable of records (non-dicts among them) gives Report objects, in order, whether
    validated here or in 2 workers; with coerce and params passed through."""
    records: list[Any] = [json.loads(line) for line in SAMPLE] * 40 + [None, [1], "x", 3]
    here = list(validate_stream(annex6, iter(records), {"income_line": 4500}, coerce=True))
    pooled = list(validate_stream(annex6, iter(records), {"income_line": 4500}, coerce=True,
                                  jobs=2))
    assert all(isinstance(r, qengine.Report) for r in pooled) and len(pooled) == len(records)
    for a, b, record in zip(here, pooled, records):
        same(a, b)
        same(b, annex6.validate(record, {"income_line": 4500}, coerce=True))
    assert [v.rule for v in pooled[-1].errors][:1] == ["not_a_record"]


def test_record_results_are_reports(annex6: qengine.Form) -> None:
    """A RecordResult has a report's ok, violations, errors, warnings, path and record."""
    (good, bad) = validate_stream(annex6, io.BytesIO(SAMPLE[0] + b"\n{oops\n"))
    assert good.ok and good.path == good.report.path and good.record == good.report.record
    assert good.violations == good.report.violations and good.warnings == good.report.warnings
    assert not bad.ok and [v.rule for v in bad.errors] == ["bad_json"] and bad.record == {}


def test_the_api_refuses_what_is_not_records(annex6: qengine.Form) -> None:
    """One record, text, or a bad jobs is a clear error at once; a bad param too."""
    with pytest.raises(TypeError):
        validate_stream(annex6, {"county": "x"})
    with pytest.raises(TypeError):
        validate_stream(annex6, "{}\n")
    for jobs in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            validate_stream(annex6, [], jobs=jobs)  # type: ignore[arg-type]
    with pytest.raises(qengine.ParamError):
        validate_stream(annex6, [], {"nope": 1})


def test_a_text_stream_is_read_as_utf8(annex6: qengine.Form) -> None:
    """A text stream (io.StringIO) is JSON Lines too."""
    (r,) = validate_stream(annex6, io.StringIO(SAMPLE[0].decode() + "\n"))
    assert isinstance(r, RecordResult) and r.ok


def test_an_endless_line_in_a_pool_is_reported_before_it_is_skipped(annex6: qengine.Form) -> None:
    """An overlong line is its record's bad_json, between the lines around it, with jobs=2."""
    data = b"\n".join(SAMPLE * 80) + b"\n" + b"x" * 3_000_000 + b"\n" + SAMPLE[0] + b"\n"
    results = list(validate_stream(annex6, io.BytesIO(data), jobs=2))
    assert len(results) == 30 * 80 + 2
    long = results[-2]
    assert not long.read and long.line == 2401 and [v.rule for v in long.errors] == ["bad_json"]
    assert results[-1].line == 2402 and results[-1].ok


# -- reading ----------------------------------------------------------------------------------------
def chunked(data: bytes, max_bytes: int, size: int) -> list[tuple[int, bytes | None]]:
    """What the workers see of ``data`` read in blocks of ``size``."""
    out = []
    for chunk in line_chunks(io.BytesIO(data), None, max_bytes, size=size):
        assert isinstance(chunk, Lines)
        out += list(numbered_lines(chunk, max_bytes))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"bb", b"\n", b"\r\n", b"\r", b"x" * 7, b"{}", b"\xef\xbb\xbf"]),
                max_size=40), st.integers(1, 9), st.integers(1, 12))
def test_reading_in_blocks_gives_the_lines_read_lines_gives(parts: list[bytes], cap: int,
                                                            size: int) -> None:
    """Blocks of any size give the numbers, bytes and overlong lines of read_lines."""
    data = b"".join(parts)
    assert chunked(data, cap, size) == list(read_lines(io.BytesIO(data), cap))


JSONISH = st.recursive(
    st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=5),
              st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=3), inner, max_size=4)),
    max_leaves=12)


def _json_loads(raw: bytes) -> Any:
    try:
        return ("ok", json.loads(raw.decode("utf-8")))
    except RecursionError:
        return ("bad", "bad_json.deep")
    except ValueError:
        return ("bad", "bad")


def _read(raw: bytes) -> Any:
    value, problem = read_value(2, raw)
    if problem is None:
        return ("ok", value)
    return ("bad", "bad_json.deep" if problem[0] == "bad_json.deep" else "bad")


def _typed(value: Any) -> Any:
    """A value with its types spelled out (1 and 1.0, 0.0 and -0.0, NaN compare as they read)."""
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    return (type(value).__name__, value)


@settings(max_examples=400, deadline=None)
@given(JSONISH, st.sampled_from(["", " ", "x", "]", ","]), st.booleans())
def test_lines_read_as_json_loads_reads_them(value: Any, junk: str, ascii_only: bool) -> None:
    """Whatever orjson would do, a line reads as json.loads reads it: big integers stay integers,
    NaN and Infinity are floats, lone surrogates are text, and what json refuses is refused."""
    text = json.dumps(value, ensure_ascii=ascii_only) + junk
    raw = text.encode("utf-8", "surrogatepass")
    expected, got = _json_loads(raw), _read(raw)
    if expected[0] == "bad" and isinstance(got[1], str):
        assert got[0] == "bad"
        return
    assert got[0] == expected[0] and _typed(got[1]) == _typed(expected[1])


@pytest.mark.parametrize("raw", [
    b"18446744073709551616", b"-9223372036854775809", b'{"a": 123456789012345678901234567890}',
    b"NaN", b"[Infinity, -Infinity]", b'"\\ud800"', b'{"a": 1, "a": 2}', b"1e400", b"-0",
    b"[" * 999 + b"]" * 999, b"[" * 1024 + b"]" * 1024, b"0.1000000000000000055511151231257827",
    b"\xef\xbb\xbf{}", b"{}\x0c", b"\x0c", b"\xe3\x80\x80", b"  ", b"1" * 5000,
])
def test_lines_orjson_would_read_otherwise(raw: bytes) -> None:
    """The lines where orjson differs from json.loads read as json.loads reads them."""
    value, problem = read_value(2, raw)
    text = raw.decode("utf-8")
    if not text.strip():
        assert value is BLANK and problem is None
        return
    try:
        expected = json.loads(text)
    except RecursionError:
        assert problem is not None and problem[0] == "bad_json.deep"
        return
    except ValueError as exc:
        assert problem == ("bad_json", {"why": str(exc)})
        return
    assert problem is None and _typed(value) == _typed(expected)


def test_worksheet_cells_read_as_entered(annex6: qengine.Form) -> None:
    """A number in a text question of a worksheet is its digits; a date cell in a date question
    is a date; a multiple choice '1;3' is two codes."""
    import datetime

    record = json.loads(SAMPLE[0])
    header = tuple(record)
    cells = [record[k] for k in header]
    cells[header.index("group")] = 3.0
    cells[header.index("survey_date")] = datetime.datetime(2020, 4, 15)
    worker = Worker(Spec(annex6))
    ((_n, report, read),) = list(worker.results(Rows("x.xlsx", header, [(2, cells)], sheet=True)))
    assert read and report.ok, report.errors
    assert report.record["group"] == "3" and report.record["survey_date"] == "2020-04-15"
