"""Batch validation of JSON Lines: every line gets a result, whatever the bytes hold."""

from __future__ import annotations

import io
import json

import pytest
from conftest import EXAMPLE

import qengine
from qengine.batch.jsonl import (
    InputFormatError,
    Summary,
    check_json_lines,
    read_lines,
    validate_stream,
)

GOOD = {"head_name": "张三", "household_size": 3, "q1": 12600, "q2": 2, "q3": 1,
        "survey_date": "2020-04-15"}
GOOD_LINE = json.dumps(GOOD, ensure_ascii=False).encode("utf-8")


@pytest.fixture(scope="module")
def form() -> qengine.Form:
    return qengine.load(str(EXAMPLE))


def results(form: qengine.Form, data: bytes, **kw: int) -> list[tuple[int, list[str]]]:
    """(line, rules of its errors) for each result of validating ``data``."""
    return [(r.line, [v.rule for v in r.report.errors])
            for r in validate_stream(form, io.BytesIO(data), **kw)]


def test_good_records_and_blank_lines(form: qengine.Form) -> None:
    """Good lines pass; blank lines are skipped but counted in the line numbers."""
    assert results(form, GOOD_LINE + b"\n\n  \n" + GOOD_LINE) == [(1, []), (4, [])]


def test_deep_nesting_is_bad_json_and_the_batch_goes_on(form: qengine.Form) -> None:
    """A line nested 2,000 (or 100,000) deep is bad_json, not a RecursionError."""
    deep = b"[" * 2000 + b"]" * 2000
    endless = b"[" * 100_000
    assert results(form, deep + b"\n" + endless + b"\n" + GOOD_LINE + b"\n") == [
        (1, ["bad_json"]), (2, ["bad_json"]), (3, [])]


def test_a_byte_order_mark_on_line_one_is_accepted(form: qengine.Form) -> None:
    """A UTF-8 BOM opening the input is ignored; elsewhere it is not JSON."""
    bom = b"\xef\xbb\xbf"
    assert results(form, bom + GOOD_LINE + b"\n" + bom + GOOD_LINE) == [(1, []), (2, ["bad_json"])]


def test_non_utf8_line_is_bad_encoding_and_the_batch_goes_on(form: qengine.Form) -> None:
    """A line that is not UTF-8 is its record's bad_encoding error; the next line is read."""
    latin1 = json.dumps({**GOOD, "head_name": "Zoë"}, ensure_ascii=False).encode("latin-1")
    assert results(form, b"\xff\n" + latin1 + b"\n" + GOOD_LINE) == [
        (1, ["bad_encoding"]), (2, ["bad_encoding"]), (3, [])]


def test_not_json_and_not_a_record(form: qengine.Form) -> None:
    """Text is bad_json; JSON that is not an object (null included) is validated: not_a_record."""
    got = results(form, b"{oops\nnull\n[1]\n")
    assert [line for line, _ in got] == [1, 2, 3]
    assert got[0][1] == ["bad_json"]
    assert "not_a_record" in got[1][1] and "not_a_record" in got[2][1]


def test_an_overlong_line_is_bad_json_and_the_batch_goes_on(form: qengine.Form) -> None:
    """A line longer than the cap is bad_json; the line at the cap, and the next line, are read."""
    cap = len(GOOD_LINE)
    data = GOOD_LINE + b"\r\n" + GOOD_LINE + b" \n" + b"x" * (cap * 50) + b"\n" + GOOD_LINE
    assert results(form, data, max_line_bytes=cap) == [
        (1, []), (2, ["bad_json"]), (3, ["bad_json"]), (4, [])]


class Endless(io.RawIOBase):
    """``size`` zero bytes, then ``tail``; records the largest read asked for."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left = size
        self.tail = tail
        self.largest = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        assert size is not None and size > 0, "an unbounded readline"
        self.largest = max(self.largest, size)
        if self.left:
            n = min(size, self.left)
            self.left -= n
            return b"\0" * n
        end = self.tail.find(b"\n") + 1 or len(self.tail)
        out, self.tail = self.tail[:min(end, size)], self.tail[min(end, size):]
        return out


def test_an_endless_line_is_read_in_bounded_pieces() -> None:
    """200 MiB without a line end are skipped in pieces no larger than the cap, then reading goes on."""
    stream = Endless(200 << 20, b"\n{}\n")
    got = list(read_lines(stream, max_bytes=1 << 20))
    assert got == [(1, None), (2, b"{}")]
    assert stream.largest <= (1 << 20) + 2


def test_spreadsheets_and_csv_are_refused() -> None:
    """.csv/.xlsx/.xls names and workbook bytes raise InputFormatError; JSON Lines pass, unread."""
    for name in ("r.csv", "R.XLSX", "r.xls"):
        with pytest.raises(InputFormatError) as info:
            check_json_lines(io.BufferedReader(io.BytesIO(b"{}\n")), name)
        assert info.value.code == "not_json_lines"
    for head in (b"PK\x03\x04rest", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        with pytest.raises(InputFormatError):
            check_json_lines(io.BufferedReader(io.BytesIO(head)), "-")
    stream = io.BufferedReader(io.BytesIO(GOOD_LINE))
    check_json_lines(stream, "records.jsonl")
    assert stream.read() == GOOD_LINE


def test_unread_lines_count_in_the_summary(form: qengine.Form) -> None:
    """An unread line's report has a Report's interface and counts as a record with an error."""
    summary = Summary()
    for r in validate_stream(form, io.BytesIO(b"\xff\n" + GOOD_LINE)):
        summary.add(r.report)
    assert (summary.records, summary.ok, summary.with_errors) == (2, 1, 1)
    assert summary.to_dict()["violations_by_rule"] == {"bad_encoding": 1}
    unread = next(validate_stream(form, io.BytesIO(b"{")))
    assert isinstance(unread.report, qengine.Report) and not unread.read
    assert unread.report.record == {} and unread.report.path == []
    good = next(validate_stream(form, io.BytesIO(GOOD_LINE)))
    assert set(unread.to_dict()) == set(good.to_dict()) == {"line", "ok", "errors", "warnings"}
    assert unread.report.violations == unread.report.errors and unread.report.warnings == ()


@pytest.mark.parametrize(("data", "rule", "en", "zh"), [
    (b"{oops", "bad_json", "line 1 is not JSON: ", "第 1 行不是 JSON："),
    (b"[" * 5000, "bad_json", "line 1 is nested too deeply to read", "第 1 行嵌套过深，无法读取"),
    (b"\xff", "bad_encoding", "line 1 is not UTF-8 text", "第 1 行不是 UTF-8 文"),
])
def test_unread_lines_have_messages_in_the_forms_languages(data: bytes, rule: str, en: str,
                                                           zh: str) -> None:
    """An unreadable line's violation speaks each of the form's languages, its first as message."""
    annex6 = qengine.load("annex6")
    (v,) = next(validate_stream(annex6, io.BytesIO(data))).report.errors
    assert v.rule == rule and v.questions == ()
    assert v.messages["en"].startswith(en) and v.messages["zh"].startswith(zh)
    assert v.message == v.messages["zh"]


def test_an_overlong_line_says_the_cap_in_each_language(form: qengine.Form) -> None:
    """A line over the cap is bad_json with the cap in its message."""
    (v,) = next(validate_stream(form, io.BytesIO(b"x" * 100), max_line_bytes=10)).report.errors
    assert v.rule == "bad_json" and "10" in v.message and set(v.messages) == set(form.languages)


def test_records_are_strict_unless_coerce(form: qengine.Form) -> None:
    """Entered text is a type error by default; coerce=True converts it as an interview does."""
    entered = json.dumps({**GOOD, "household_size": "３", "q2": "②", "q1": "12,600"},
                         ensure_ascii=False).encode("utf-8")
    (strict,) = validate_stream(form, io.BytesIO(entered))
    types = {q for v in strict.report.errors if v.rule == "type" for q in v.questions}
    assert types == {"household_size", "q2", "q1"}
    (coerced,) = validate_stream(form, io.BytesIO(entered), coerce=True)
    assert coerced.report.ok
    assert coerced.report.record["household_size"] == 3 and coerced.report.record["q2"] == 2
