"""qengine validate on real files in real processes: JSON Lines (plain, gzip, stdin), CSV, Excel,
many files in order, --jobs, --format csv, --output, the progress bar, and every bad input."""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "annex6-sample.jsonl"
LINES = SAMPLE.read_bytes().splitlines()
RECORDS = [json.loads(line) for line in LINES]
BIN = Path(sys.executable).parent
QENGINE = [str(BIN / "qengine")] if (BIN / "qengine").exists() else [sys.executable, "-m", "qengine"]


def run(*args: str, stdin: bytes = b"", cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*QENGINE, "validate", *args], input=stdin, capture_output=True,
                          cwd=cwd, timeout=300)


def lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [json.loads(x) for x in result.stdout.splitlines()]


def fails(result: subprocess.CompletedProcess[bytes], *words: str) -> None:
    """Exit 2, one line on standard error saying ``words``, no traceback, nothing on stdout."""
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert all(w in err for w in words), err


IDS = list(dict.fromkeys(k for r in RECORDS for k in r))


def cell(value: Any) -> Any:
    return ";".join(map(str, value)) if isinstance(value, list) else value


def write_csv(path: Path, records: list[dict[str, Any]], ids: list[str] = IDS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(ids)
        for r in records:
            out.writerow(["" if r.get(k) is None else cell(r.get(k)) for k in ids])
    return path


def write_xlsx(path: Path, records: list[dict[str, Any]], sheet: str = "records") -> Path:
    book = openpyxl.Workbook()
    book.active.title = "notes"
    book.active.append(["nothing here"])
    ws = book.create_sheet(sheet)
    ws.append(IDS)
    for r in records:
        ws.append([cell(r.get(k)) for k in IDS])
    book.save(path)
    return path


def test_many_files_of_every_format_in_input_order(tmp_path: Path) -> None:
    """JSON Lines, gzip, CSV and a workbook, one after the other: each line names its file and
    line (a sheet's row), in input order; one summary over all."""
    first = RECORDS[:4]
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(b"\n".join(LINES[:4]) + b"\n")
    gz = tmp_path / "b.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\n\n".join(LINES[:4])))
    sheet = write_csv(tmp_path / "c.csv", first)
    book = write_xlsx(tmp_path / "d.xlsx", first)
    result = run("annex6", str(plain), str(gz), str(sheet), str(book), "--sheet", "records",
                 "--jobs", "2")
    assert result.returncode == 0, result.stderr
    got = lines(result)
    assert [(x["file"], x["line"]) for x in got[:-1]] == (
        [(str(plain), n) for n in (1, 2, 3, 4)] + [(str(gz), n) for n in (1, 3, 5, 7)]
        + [(str(sheet), n) for n in (2, 3, 4, 5)] + [(str(book), n) for n in (2, 3, 4, 5)])
    assert all(x["ok"] for x in got[:-1]), [x for x in got if not x.get("ok", True)]
    assert got[-1]["summary"]["records"] == 16
    assert b"16 record(s)" in result.stderr


def test_one_file_keeps_todays_lines(tmp_path: Path) -> None:
    """With one input the lines are as before (no "file"), from a file and from stdin alike."""
    from_file = run("annex6", str(SAMPLE))
    from_stdin = run("annex6", "-", stdin=SAMPLE.read_bytes())
    assert from_file.returncode == from_stdin.returncode == 0
    assert from_file.stdout == from_stdin.stdout
    assert set(lines(from_file)[0]) == {"line", "ok", "errors", "warnings"}


def big_file(path: Path, copies: int) -> Path:
    """The sample ``copies`` times over, with bad lines among the records."""
    body = b"\n".join(LINES) + b"\n{oops\n\xff\n[1]\n\n"
    path.write_bytes(body * copies)
    return path


def test_jobs_give_the_same_bytes(tmp_path: Path) -> None:
    """--jobs 2 (a real pool, many chunks) prints and writes exactly what --jobs 1 does."""
    data = big_file(tmp_path / "big.jsonl", 200)
    outs = {}
    for jobs in ("1", "2"):
        canonical = tmp_path / f"canonical{jobs}.jsonl"
        result = run("annex6", str(data), "--jobs", jobs, "--output", str(canonical))
        assert result.returncode == 0, result.stderr
        outs[jobs] = (result.stdout, result.stderr, canonical.read_bytes())
    assert outs["1"] == outs["2"]
    stdout, _err, canonical = outs["2"]
    assert len(stdout.splitlines()) == 200 * 33 + 1
    assert len(canonical.splitlines()) == 200 * 33
    assert json.loads(canonical.splitlines()[0])["county"] == RECORDS[0]["county"]
    assert json.loads(canonical.splitlines()[30]) == {}  # "{oops": no record


def test_csv_output_one_row_per_violation(tmp_path: Path) -> None:
    """--format csv: a header, then file, line, rule, severity, questions, message per violation;
    the summary on standard error only."""
    result = run("annex6", str(SAMPLE), "--format", "csv")
    assert result.returncode == 0
    rows = list(csv.reader(io.StringIO(result.stdout.decode())))
    assert rows[0] == ["file", "line", "rule", "severity", "questions", "message"]
    by_rule = lines(run("annex6", str(SAMPLE)))[-1]["summary"]["violations_by_rule"]
    assert len(rows) - 1 == sum(by_rule.values())  # every violation, one row each
    assert {r[0] for r in rows[1:]} == {str(SAMPLE)}
    school = next(r for r in rows if r[2] == "school_consistency")
    assert school[3] == "error" and school[4] == "q4_1;q10"
    assert b"30 record(s)" in result.stderr


def test_csv_cells_are_entered_text(tmp_path: Path) -> None:
    """CSV cells are converted as with coerce=True ("②", "1,3", full-width digits); an empty cell
    is absent; a row of empty cells is skipped; a row that is not UTF-8 is bad_encoding."""
    good = dict(RECORDS[0])
    typed = {**good, "q2": "①", "household_size": "４", "q20": "1"}
    path = write_csv(tmp_path / "r.csv", [typed, good])
    with path.open("ab") as fh:
        fh.write(b",,,\n")
        fh.write(b"\xff" + b"," * 3 + b"\n")
    result = run("annex6", str(path))
    assert result.returncode == 0, result.stderr
    got = lines(result)
    assert [x["line"] for x in got[:-1]] == [2, 3, 5]
    assert got[0]["ok"] and got[1]["ok"], got[:2]
    assert [e["rule"] for e in got[2]["errors"]] == ["bad_encoding"]


def test_csv_multiple_choice_and_missing_answers(tmp_path: Path) -> None:
    """'1;3' and '1,3' are two codes; an empty required cell is required."""
    rec = next(r for r in RECORDS if isinstance(r.get("q11_1"), list) and len(r["q11_1"]) > 1)
    path = tmp_path / "r.csv"
    write_csv(path, [rec, {**rec, "q11_1": ",".join(map(str, rec["q11_1"]))},
                     {**rec, "county": None}])
    got = lines(run("annex6", str(path)))
    assert got[0]["ok"] == got[1]["ok"] == (annex6_ok(rec))
    assert [e["rule"] for e in got[2]["errors"]] == ["required"]


def annex6_ok(record: dict[str, Any]) -> bool:
    import qengine

    return qengine.load("annex6").validate(record).ok


def test_a_worksheet_by_name_with_typed_cells(tmp_path: Path) -> None:
    """--sheet picks the worksheet; numbers in text questions and date cells are read as typed."""
    rec = dict(RECORDS[0])
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "data"
    ws.append(IDS)
    row = [cell(rec.get(k)) for k in IDS]
    row[IDS.index("group")] = 3
    row[IDS.index("survey_date")] = datetime.date(2020, 4, 15)
    ws.append(row)
    ws.append([None] * len(IDS))
    path = tmp_path / "r.xlsx"
    book.save(path)
    result = run("annex6", str(path), "--sheet", "data", "--output", str(tmp_path / "c.jsonl"))
    assert result.returncode == 0, result.stderr
    got = lines(result)
    assert got[0]["line"] == 2 and got[0]["ok"], got[0]
    canonical = json.loads((tmp_path / "c.jsonl").read_text("utf-8"))
    assert canonical["group"] == "3" and canonical["survey_date"] == "2020-04-15"
    fails(run("annex6", str(path), "--sheet", "nope"), str(path), "nope", "data")


def test_bad_inputs_exit_2_naming_the_file(tmp_path: Path) -> None:
    """Missing, unreadable, unknown or broken inputs: one line naming the file (and the line,
    once reading has begun), exit 2, never a traceback."""
    good = tmp_path / "good.jsonl"
    good.write_bytes(LINES[0] + b"\n")
    (tmp_path / "r.parquet").write_bytes(b"PAR1")
    (tmp_path / "r.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    (tmp_path / "fake.jsonl.gz").write_bytes(b"{}\n")
    (tmp_path / "zipped.jsonl").write_bytes(gzip.compress(b"{}\n"))
    (tmp_path / "fake.xlsx").write_bytes(b"county\n")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (tmp_path / "book.csv").write_bytes(b"PK\x03\x04\x14\x00")
    (tmp_path / "twice.csv").write_bytes(b"county,q2,q2\nx,1,1\n")
    (tmp_path / "long.csv").write_bytes(b'county\n"' + b"x" * 200_000 + b'"\n')
    truncated = gzip.compress(b"\n".join(LINES * 50))
    (tmp_path / "cut.jsonl.gz").write_bytes(truncated[: len(truncated) // 2])
    cases = {
        "missing.jsonl": ("missing.jsonl",),
        "r.parquet": ("r.parquet", ".parquet"),
        "r.xls": ("r.xls", ".xlsx"),
        "fake.jsonl.gz": ("fake.jsonl.gz", "gzip"),
        "zipped.jsonl": ("zipped.jsonl", "gzip"),
        "fake.xlsx": ("fake.xlsx",),
        "broken.xlsx": ("broken.xlsx",),
        "book.csv": ("book.csv", ".xlsx"),
        "twice.csv": ("twice.csv", "line 1", "q2"),
        "long.csv": ("long.csv", "line 2"),
        "cut.jsonl.gz": ("cut.jsonl.gz", "line "),
        ".": ("cannot read",),
    }
    for name, words in cases.items():
        result = run("annex6", str(good), name, cwd=tmp_path)
        fails(result, *words)
        if name not in ("long.csv", "cut.jsonl.gz", "broken.xlsx"):
            assert result.stdout == b"", name  # refused before any record
    fails(run("annex6", "-", "-"), "standard input")
    fails(run("annex6", str(good), "--output", str(good)), "overwrite")
    fails(run("annex6", str(good), "--output", str(tmp_path / "no" / "c.jsonl")), "cannot write")
    fails(run("annex6", str(good), "--input-format", "xlsx"), str(good))
    bad_jobs = run("annex6", str(good), "--jobs", "0")
    assert bad_jobs.returncode == 2 and b"Traceback" not in bad_jobs.stderr


def test_other_names_and_stdin_by_input_format(tmp_path: Path) -> None:
    """--input-format reads a file of any name, and CSV from standard input."""
    path = write_csv(tmp_path / "export.dat", RECORDS[:2])
    assert run("annex6", str(path)).returncode == 2
    result = run("annex6", "--input-format", "csv", str(path))
    assert result.returncode == 0 and [x["line"] for x in lines(result)[:-1]] == [2, 3]
    piped = run("annex6", "--input-format", "csv", "-", stdin=path.read_bytes())
    assert piped.stdout == result.stdout


def test_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    """A progress bar goes to standard error when it is a terminal (records, records/s), and
    never into the output."""
    pty = pytest.importorskip("pty")
    data = big_file(tmp_path / "big.jsonl", 100)
    out = tmp_path / "out.jsonl"
    master, slave = pty.openpty()
    with out.open("wb") as fh:
        proc = subprocess.Popen([*QENGINE, "validate", "annex6", str(data), "--jobs", "1"],
                                stdout=fh, stderr=slave, cwd=ROOT)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=300) == 0
    os.close(master)
    assert b"records" in seen and b"3,300 record(s)" in seen.replace(b"3300", b"3,300")
    assert out.read_bytes() == run("annex6", str(data), "--jobs", "1").stdout
    plain = run("annex6", str(data), "--jobs", "1")
    assert b"records/s" not in plain.stderr


def test_an_unclosed_quote_in_a_csv_file_is_an_error(tmp_path: Path) -> None:
    """csv in strict mode: a stray quote does not swallow the rows after it into one cell."""
    path = tmp_path / "q.csv"
    path.write_bytes(b'county,household_size\n"abc,1\nx,2\ny,3\n')
    result = run("annex6", str(path))
    assert result.returncode == 2, result.stderr
    assert b"q.csv" in result.stderr and b"Traceback" not in result.stderr
