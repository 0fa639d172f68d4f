"""`qengine export-records` as a real subprocess (docs/export.md#data-for-analysts): the wide table
of canonical records as CSV, Excel, SPSS and Stata, its columns, its 0/1 columns, its dictionary,
the warning about records with errors, and every bad argument one clear line and exit status 2."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from server_helpers import some_records

import qengine
from qengine.formats.records import record_columns

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "annex6-sample.jsonl"


def _have_stats() -> bool:
    try:
        import pandas  # noqa: F401
        import pyreadstat  # noqa: F401
    except ImportError:
        return False
    return True


HAVE_STATS = _have_stats()
needs_stats = pytest.mark.skipif(not HAVE_STATS, reason="pyreadstat and pandas (the stats extra: "
                                 "pip install 'qengine[stats]') are not installed")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qengine", "export-records", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=300)


def canonical(form: qengine.Form, path: Path) -> list[dict[str, Any]]:
    lines = path.read_text("utf-8").splitlines()
    return [form.validate(json.loads(line)).record for line in lines if line.strip()]


def expected_names(form: qengine.Form) -> list[str]:
    out = []
    for q in form.questions:
        out.append(q.id)
        if q.type == "multiple":
            out += [f"{q.id}__{c.code}" for c in q.choices]
    return out


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    return rows[0], rows[1:]


def typed(form: qengine.Form, header: list[str], cells: list[str]) -> dict[str, Any]:
    """A CSV row read back into a record's types (blank cells left out, 0/1 columns too)."""
    out: dict[str, Any] = {}
    for name, cell in zip(header, cells):
        if "__" in name or cell == "":
            continue
        q = form.question(name)
        if q.type == "multiple":
            out[name] = [int(c) for c in cell.split(";")]
        elif q.type in ("single", "integer", "year"):
            out[name] = int(cell)
        elif q.type in ("money", "number", "computed"):
            out[name] = float(cell) if "." in cell or "e" in cell else int(cell)
        else:
            out[name] = cell
    return out


def entered(header: list[str], cells: list[str]) -> dict[str, str | list[int]]:
    """A CSV row as entered text, as ``qengine validate`` would read it, but that a multiple
    choice with an empty list whose 0/1 columns say "nothing ticked" is ``[]``."""
    row = dict(zip(header, cells))
    out: dict[str, str | list[int]] = {}
    for name, cell in row.items():
        if "__" in name:
            continue
        if cell != "":
            out[name] = cell
        else:
            ticks = [v for k, v in row.items() if k.startswith(f"{name}__")]
            if ticks and set(ticks) == {"0"}:
                out[name] = []
    return out


def without_blanks(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and v != []}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Any]]]:
    root = tmp_path_factory.mktemp("records")
    out = {}
    for name in ("annex5", "annex6", "annex7"):
        records = some_records(qengine.load(name), 25)
        path = root / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                        encoding="utf-8")
        out[name] = (path, records)
    return out


def test_the_columns_are_the_questions_in_form_order() -> None:
    """One column per question in form order (computed values among them), a multiple choice's
    list followed by one 0/1 column per code."""
    form = qengine.load("annex6")
    names = [c.name for c in record_columns(form)]
    assert names == expected_names(form)
    assert names[names.index("q6_1"):names.index("q6_1") + 5] == [
        "q6_1", "q6_1__1", "q6_1__2", "q6_1__3", "q6_1__4"]
    assert names.index("q1_total") < names.index("q1_per_capita") < names.index("q1_1a")


def test_csv_of_the_sample(tmp_path: Path) -> None:
    """The sample as CSV: its header, one row per record equal to the canonical record, the 0/1
    columns, the dictionary beside it, and the records with errors warned about by line."""
    form = qengine.load("annex6")
    out = tmp_path / "annex6.csv"
    done = run("annex6", SAMPLE, "--format", "csv", "-o", out, "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, rows = read_csv(out)
    assert header == expected_names(form)
    records = canonical(form, SAMPLE)
    assert len(rows) == len(records) == 30
    for cells, record in zip(rows, records):
        assert typed(form, header, cells) == without_blanks(record)
    first = dict(zip(header, rows[0]))
    assert first["q11_1"] == "1;5" and first["q11_1__1"] == "1" and first["q11_1__5"] == "1"
    assert first["q11_1__2"] == "0"
    assert first["q6_1"] == "" and {first[f"q6_1__{c}"] for c in range(1, 5)} == {"0"}
    assert first["q8_4"] == "" and first["q8_4__1"] == "", "not asked: blank, not 0"
    assert first["id_number"] == "430122196203142019" and first["survey_date"] == "2020-04-07"
    bad = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    failing = [i + 1 for i, r in enumerate(bad) if not form.validate(r).ok]
    assert f"{len(failing)} of 30 record(s) have errors" in done.stderr
    assert f"lines {', '.join(map(str, failing))}" in done.stderr
    head, entries = read_csv(tmp_path / "annex6.dictionary.csv")
    assert head[:5] == ["variable", "question", "number", "label (zh)", "label (en)"]
    assert [e[0] for e in entries] == header
    book = {e[0]: dict(zip(head, e)) for e in entries}
    assert book["q2"]["value labels (zh)"] == "1 = 是; 2 = 否"
    assert book["q6_1__1"]["type"] == "0/1" and "漏风漏雨" in book["q6_1__1"]["label (zh)"]
    assert book["q1_total"]["unit"] == "元"


@pytest.mark.parametrize("name", ["annex5", "annex6", "annex7"])
def test_csv_reread_gives_the_canonical_records(name: str, generated: dict[str, Any],
                                                tmp_path: Path) -> None:
    """Generated records, exported in two worker processes and read back (the question columns
    validated with coerce, as a CSV file is), give their canonical records again."""
    form = qengine.load(name)
    path, records = generated[name]
    out = tmp_path / "out.csv"
    done = run(name, path, "--format", "csv", "-o", out, "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "have errors" not in done.stderr
    header, rows = read_csv(out)
    assert len(rows) == len(records)
    for cells, record in zip(rows, records):
        assert form.validate(entered(header, cells), coerce=True).record == \
            form.validate(record).record
        assert typed(form, header, cells) == without_blanks(form.validate(record).record)


def test_invalid_values_are_blank_and_lines_that_are_not_records_are_named(tmp_path: Path
                                                                           ) -> None:
    """An invalid value is a blank cell (a multiple choice's 0/1 columns too); a line that is not
    JSON is not written, and the warning names it."""
    form = qengine.load("annex6")
    good = json.loads(SAMPLE.read_text("utf-8").splitlines()[0])
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({**good, "q2": "x", "q11_1": [1, 99]}, ensure_ascii=False)
                      + "\n{not json\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    done = run("annex6", source, "--format", "csv", "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, rows = read_csv(out)
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["q2"] == "" and row["q11_1"] == "" and row["q11_1__1"] == ""
    assert row["q3"] == str(good["q3"])
    assert "1 of 1 record(s) have errors" in done.stderr and "in.jsonl line 1 " in done.stderr
    assert "1 line(s) are not records and are not written" in done.stderr
    assert "in.jsonl:2" in done.stderr
    assert form.validate(good).ok


def test_xlsx_has_the_records_and_a_dictionary(tmp_path: Path) -> None:
    """The workbook: a records sheet (codes integers, dates real dates, id numbers text) and a
    dictionary sheet with each language's label, the type, the value labels and the unit."""
    form = qengine.load("annex6")
    out = tmp_path / "annex6.xlsx"
    done = run("annex6", SAMPLE, "--format", "xlsx", "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["records", "dictionary"]
    rows = list(book["records"].iter_rows(values_only=True))
    assert list(rows[0]) == expected_names(form)
    first = dict(zip(rows[0], rows[1]))
    assert first["q2"] == 1 and isinstance(first["q2"], int)
    assert first["survey_date"] == dt.datetime(2020, 4, 7)
    assert first["id_number"] == "430122196203142019"
    assert first["q11_1"] == "1;5" and first["q11_1__5"] == 1 and first["q11_1__2"] == 0
    assert first["q8_4__1"] is None
    assert len(rows) == 31
    words = list(book["dictionary"].iter_rows(values_only=True))
    head = list(words[0])
    assert head == ["variable", "question", "number", "label (zh)", "label (en)", "type",
                    "value labels (zh)", "value labels (en)", "unit"]
    entry = {w[0]: dict(zip(head, w)) for w in words[1:]}
    assert entry["q2"]["value labels (en)"] == "1 = Yes; 2 = No"
    assert entry["q1_total"]["unit"] == "元" and entry["q1_total"]["type"] == "money"
    assert entry["q6_1__2"]["value labels (zh)"] == "0 = 未选; 1 = 选中"
    book.close()


@needs_stats
@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_sav_and_dta_round_trip_with_labels(fmt: str, generated: dict[str, Any],
                                            tmp_path: Path) -> None:
    """SPSS and Stata files read back with pyreadstat: the values of the canonical records, the
    variable labels and the value labels."""
    import pyreadstat

    form = qengine.load("annex6")
    path, records = generated["annex6"]
    out = tmp_path / f"annex6.{fmt}"
    done = run("annex6", path, "--format", fmt, "-o", out, "--lang", "en", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    frame, meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(out))
    assert list(frame.columns) == expected_names(form)
    assert len(frame) == len(records)
    assert meta.variable_value_labels["q2"] == {1: "Yes", 2: "No"}
    assert meta.variable_value_labels["q6_1__1"] == {0: "not chosen", 1: "chosen"}
    assert meta.column_names_to_labels["q2"].startswith("2 ")
    for i, record in enumerate(records):
        canon = form.validate(record).record
        for q in form.questions:
            got = frame[q.id][i]
            value = canon.get(q.id)
            if q.type == "multiple":
                assert got == (";".join(map(str, value)) if value else "")
                for c in q.choices:
                    tick = frame[f"{q.id}__{c.code}"][i]
                    if q.id in canon:
                        assert tick == (1 if c.code in value else 0)
                    else:
                        assert tick != tick  # NaN: not asked
            elif value is None:
                assert got in ("", None) or got != got
            elif q.type == "date":
                assert got == dt.date.fromisoformat(value)
            else:
                assert got == value


def test_sav_without_pyreadstat_says_how_to_install(tmp_path: Path) -> None:
    """Without the stats extra, --format sav is one line saying how to install it, exit 2,
    before anything is written."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pyreadstat.py").write_text("raise ImportError('blocked', name='pyreadstat')\n")
    out = tmp_path / "x.sav"
    env_code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                "from qengine.apps.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", env_code, str(blocker), "export-records",
                           "annex6", str(SAMPLE), "--format", "sav", "-o", str(out)],
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "pip install 'qengine[stats]'" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(("args", "says"), [
    (["annex6", "missing.jsonl", "--format", "csv", "-o", "x.csv"], "missing.jsonl"),
    (["annex6", str(SAMPLE), "--format", "parquet", "-o", "x.parquet"], "unknown format"),
    (["annex6", str(SAMPLE), "-o", "x.csv"], "--format is one of csv, xlsx, sav, dta"),
    (["annex6", str(SAMPLE), "--format", "csv"], "-o FILE"),
    (["annex6", str(SAMPLE), "--format", "csv", "-o", "nowhere/x.csv"], "not a folder"),
    (["annex6", str(SAMPLE), "--format", "csv", "-o", str(SAMPLE)], "overwrite"),
    (["annex6", str(SAMPLE), "--format", "xlsx", "-o", "x.xlsx", "--lang", "fr"], "language"),
])
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], says: str, tmp_path: Path) -> None:
    """A missing file, an unknown or missing format, no -o, an output that cannot be written or
    would overwrite an input: one line on standard error, exit status 2, no file written."""
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())
