"""Canonical records written wide, for analysts: CSV, Excel, SPSS (``.sav``) and Stata (``.dta``).

The records are read and validated by the batch engine (:mod:`qengine.batch.pool`, the inputs of
``qengine validate``: JSON Lines, CSV, Excel, in worker processes) and each becomes one row of its
canonical record (:attr:`qengine.Report.record`):

- one column per question, in form order, computed values included; a column is blank where the
  question was not asked, was left blank, or its value was invalid (the record's error says why);
- a multiple choice is its list (text ``1;3``) and one 0/1 column per code, ``q6_1__1``,
  ``q6_1__2`` …: 0 or 1 where the question was asked and its answer is valid (nothing ticked is all
  0), blank where it was not asked or its answer is invalid;
- codes are integers, dates ISO text in CSV and dates in the other formats, id numbers text;
- a data dictionary: each variable, its question's label in each language, its type, its value
  labels (``1 = 是``) and its unit (a sheet of the workbook, a CSV file beside the CSV, variable
  and value labels inside ``.sav`` and ``.dta``).

Records with errors are written (their invalid values blank), counted and warned about, naming
their lines; a line that is not a record at all (not JSON, not UTF-8) is not written, and is
warned about too. ``.sav`` and ``.dta`` are written with pyreadstat and pandas, the ``stats``
extra (``pip install 'qengine[stats]'``), and are made in memory; CSV and Excel are streamed.
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from qengine.batch.inputs import chunks_of
from qengine.batch.pool import Chunk, Spec, run_chunks
from qengine.errors import QengineError
from qengine.runtime import Form, Question

RECORD_FORMATS = ("csv", "xlsx", "sav", "dta")
STATS_INSTALL = "pip install 'qengine[stats]'"
#: How many lines a warning names.
SHOWN = 10
#: What the 0/1 columns of a multiple choice mean, by language.
_TICKED = {"zh": ("未选", "选中"), "en": ("not chosen", "chosen")}
#: Words SPSS and Stata keep for themselves, which no variable may be called.
_RESERVED = {"sav": {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to",
                     "with"},
             "dta": {"byte", "double", "float", "if", "in", "int", "long", "using", "with",
                     "str", "strl"}}
_NAME_LIMIT = {"sav": 64, "dta": 32}
_LABEL_LIMIT = {"sav": 256, "dta": 80}


class ExportError(QengineError, ValueError):
    """Records that cannot be exported: an unknown format, a missing extra, a bad output."""

    code = "bad_export"


@attrs.frozen
class Column:
    """One column of the wide table: a question's answer, or (``code`` set) the 0/1 column of
    one code of a multiple choice."""

    name: str
    question: Question
    code: int | None = None

    @property
    def kind(self) -> str:
        """``code`` (an integer code), ``ticked`` (0/1), ``codes`` (a list as text), ``integer``,
        ``number``, ``date``, ``text`` or ``computed``."""
        t = self.question.type
        if self.code is not None:
            return "ticked"
        return {"single": "code", "multiple": "codes", "year": "integer", "integer": "integer",
                "money": "number", "number": "number", "date": "date", "computed": "computed"
                }.get(t, "text")


@attrs.define
class Exported:
    """What an export wrote: counts, the lines warned about, the files."""

    records: int = 0
    with_errors: int = 0
    unreadable: int = 0
    error_lines: list[tuple[str | None, int]] = attrs.field(factory=list)
    bad_lines: list[str] = attrs.field(factory=list)
    columns: int = 0
    files: list[str] = attrs.field(factory=list)


def record_columns(form: Form) -> list[Column]:
    """The columns of ``form``'s wide table, in form order."""
    out: list[Column] = []
    for q in form.questions:
        out.append(Column(q.id, q))
        if q.type == "multiple":
            out += [Column(f"{q.id}__{c.code}", q, c.code) for c in q.choices]
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ExportError(f"form {form.id}: the column {twice[0]} would appear twice (a question "
                          "id is also the 0/1 column of a multiple choice's code)")
    return out


def _check_ids(form: Form) -> frozenset[str]:
    return frozenset(c.id for c in form.checks)


def row(columns: Sequence[Column], record: Mapping[str, Any], invalid: Iterable[str] = ()
        ) -> list[Any]:
    """The values of ``record`` (canonical) under ``columns``: None for a blank cell; a list is
    its text (``"1;3"``), a date its ISO text. ``invalid`` names the questions whose value was
    refused (a multiple choice's canonical ``[]`` then means nothing, not "nothing ticked")."""
    bad = set(invalid)
    out: list[Any] = []
    for col in columns:
        qid = col.question.id
        value = record.get(qid)
        if col.question.type == "multiple":
            if qid not in record or qid in bad or not isinstance(value, list):
                out.append(None)
            elif col.code is None:
                out.append(";".join(str(v) for v in value))
            else:
                out.append(1 if col.code in value else 0)
            continue
        out.append(value)
    return out


# -- reading ----------------------------------------------------------------------------------------
def _chunks(records: Any) -> Iterator[Chunk]:
    try:
        return chunks_of(records)
    except TypeError as exc:
        raise ExportError(str(exc)) from None


def _where(source: str | None, line: int) -> str:
    return f"{source}:{line}" if source else f"record {line}"


def _lines(where: list[tuple[str | None, int]], total: int) -> str:
    """``a.jsonl lines 4, 9; b.csv line 2``, and how many more."""
    by_file: dict[str | None, list[int]] = {}
    for source, line in where:
        by_file.setdefault(source, []).append(line)
    parts = [f"{source or 'records'} line{'s' if len(lines) > 1 else ''} "
             f"{', '.join(map(str, lines))}" for source, lines in by_file.items()]
    more = total - len(where)
    return "; ".join(parts) + (f" and {more} more" if more > 0 else "")


def wide_rows(form: Form, records: Any, *, params: Mapping[str, Any] | None = None,
              coerce: bool = False, jobs: int = 1, done: Exported | None = None
              ) -> Iterator[list[Any]]:
    """One :func:`row` per record of ``records`` (file paths or records, as
    :func:`export_records` takes them), in input order, validated in ``jobs`` processes; ``done``
    counts the records, those with errors and the lines that are not records."""
    chunks = _chunks(records)  # every file looked at now, before anything is written
    return _rows(form, chunks, Spec(form, dict(params) if params else None, coerce,
                                    output="reports"), jobs, done if done is not None else Exported())


def _rows(form: Form, chunks: Iterator[Chunk], spec: Spec, jobs: int, seen: Exported
          ) -> Iterator[list[Any]]:
    columns = record_columns(form)
    checks = _check_ids(form)
    multiples = frozenset(q.id for q in form.questions if q.type == "multiple")
    for chunk, parts in run_chunks(spec, chunks, jobs):
        assert isinstance(parts, list)
        for number, read, violations, _path, record in parts:
            errors = [v for v in violations if v.severity == "error"]
            if not read or (errors and errors[0].rule == "not_a_record"):
                seen.unreadable += 1
                if len(seen.bad_lines) < SHOWN:
                    why = errors[0].message if errors else "not a record"
                    seen.bad_lines.append(f"{_where(chunk.source, number)}: {why}")
                continue
            seen.records += 1
            invalid: set[str] = set()
            if errors:
                seen.with_errors += 1
                if len(seen.error_lines) < SHOWN:
                    seen.error_lines.append((chunk.source, number))
                invalid = {q for v in errors if v.rule not in checks for q in v.questions
                           if q in multiples}
            yield row(columns, record, invalid)


# -- the dictionary ---------------------------------------------------------------------------------
def _type_name(col: Column) -> str:
    q = col.question
    if col.code is not None:
        return "0/1"
    if q.type == "multiple":
        return "multiple (codes separated by ;)"
    return q.type


def _value_labels(col: Column, lang: str) -> dict[int, str]:
    q = col.question
    if col.code is not None:
        no, yes = _TICKED.get(lang, _TICKED["en"])
        return {0: no, 1: yes}
    if q.type in ("single", "multiple"):
        return {c.code: c.labels.get(lang) or c.label for c in q.choices}
    return {}


def variable_label(col: Column, lang: str) -> str:
    """The label of a column: the question's printed number and label, and for a 0/1 column
    the label of its code."""
    q = col.question
    text = q.labels.get(lang) or q.label
    head = f"{q.number} {text}" if q.number else text
    if col.code is not None:
        choice = q.choice(col.code)
        head += f": {choice.labels.get(lang) or choice.label}"
    return head


def dictionary(form: Form, columns: Sequence[Column] | None = None) -> list[dict[str, Any]]:
    """The data dictionary: one row per column (variable, question, number, the label in each of
    the form's languages, type, value labels ``code = label`` in each language, unit)."""
    rows: list[dict[str, Any]] = []
    for col in columns if columns is not None else record_columns(form):
        q = col.question
        entry: dict[str, Any] = {"variable": col.name, "question": q.id, "number": q.number or ""}
        for lang in form.languages:
            entry[f"label ({lang})"] = variable_label(col, lang)
        entry["type"] = _type_name(col)
        for lang in form.languages:
            entry[f"value labels ({lang})"] = "; ".join(
                f"{code} = {text}" for code, text in _value_labels(col, lang).items())
        entry["unit"] = q.unit or ""
        rows.append(entry)
    return rows


# -- writers ----------------------------------------------------------------------------------------
def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def dictionary_path(output: str | os.PathLike[str]) -> Path:
    """Where the CSV dictionary of ``output`` goes: ``a.csv`` → ``a.dictionary.csv``."""
    path = Path(output)
    if path.suffix.lower() == ".csv":
        return path.with_suffix(".dictionary.csv")
    return path.with_name(path.name + ".dictionary.csv")


def _write_csv(form: Form, columns: list[Column], rows: Iterator[list[Any]], output: Path
               ) -> list[str]:
    with open(output, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([c.name for c in columns])
        for values in rows:
            out.writerow([_csv_cell(v) for v in values])
    book = dictionary(form, columns)
    side = dictionary_path(output)
    with open(side, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(book[0]) if book else ["variable"])
        for entry in book:
            out.writerow(list(entry.values()))
    return [str(output), str(side)]


def _write_xlsx(form: Form, columns: list[Column], rows: Iterator[list[Any]], output: Path
                ) -> list[str]:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("records")
    dates = [c.kind == "date" for c in columns]

    def cell(value: Any, is_date: bool) -> Any:
        if value is None:
            return None
        if is_date and isinstance(value, str):
            try:
                day = _dt.date.fromisoformat(value)
            except ValueError:
                return value
            c = WriteOnlyCell(sheet, value=day)
            c.number_format = "yyyy-mm-dd"
            return c
        if isinstance(value, str) and value.startswith("="):
            c = WriteOnlyCell(sheet, value=value)
            c.data_type = "s"  # text as it was entered, never a formula
            return c
        return value

    sheet.append([c.name for c in columns])
    for values in rows:
        sheet.append([cell(v, d) for v, d in zip(values, dates)])
    words = book.create_sheet("dictionary")
    entries = dictionary(form, columns)
    words.append(list(entries[0]) if entries else ["variable"])
    for entry in entries:
        words.append([cell(v, False) for v in entry.values()])
    book.save(output)
    return [str(output)]


def stats_libraries() -> tuple[Any, Any]:
    """(pyreadstat, pandas), or :class:`ExportError` saying how to install them."""
    try:
        import pandas
        import pyreadstat
    except ImportError as exc:
        raise ExportError(f"SPSS and Stata files are written with pyreadstat and pandas, which "
                          f"are not installed ({exc.name or exc}): {STATS_INSTALL}") from None
    return pyreadstat, pandas


def _check_names(form: Form, columns: Sequence[Column], fmt: str) -> None:
    limit = _NAME_LIMIT[fmt]
    what = "SPSS" if fmt == "sav" else "Stata"
    for c in columns:
        if len(c.name) > limit:
            raise ExportError(f"form {form.id}: the variable {c.name} is longer than the "
                              f"{limit} characters {what} allows")
        if c.name.lower() in _RESERVED[fmt] or (fmt == "dta" and c.name.startswith("_")):
            raise ExportError(f"form {form.id}: {c.name} is a word {what} keeps for itself and "
                              "cannot name a variable")


def _write_stats(form: Form, columns: list[Column], rows: Iterator[list[Any]], output: Path,
                 fmt: str, lang: str) -> list[str]:
    pyreadstat, pd = stats_libraries()
    _check_names(form, columns, fmt)
    data: list[list[Any]] = [[] for _ in columns]
    for values in rows:
        for i, v in enumerate(values):
            data[i].append(v)
    frame: dict[str, Any] = {}
    formats: dict[str, str] = {}
    measure: dict[str, str] = {}
    for col, values in zip(columns, data):
        kind = col.kind
        if kind == "computed":
            kind = ("number" if all(v is None or isinstance(v, (int, float)) for v in values)
                    else "text")
        if kind in ("code", "ticked", "integer"):
            frame[col.name] = pd.array(values, dtype="Int64")
            width = max([len(str(v)) for v in values if v is not None] + [1]) + 1
            formats[col.name] = f"F{max(width, 2)}.0"
            measure[col.name] = "nominal" if kind != "integer" else "scale"
        elif kind == "number":
            frame[col.name] = pd.array([None if v is None else float(v) for v in values],
                                       dtype="Float64")
            measure[col.name] = "scale"
        elif kind == "date":
            frame[col.name] = pd.Series([None if v is None else _dt.date.fromisoformat(v)
                                         for v in values], dtype="object")
        else:
            frame[col.name] = pd.Series(["" if v is None else str(v) for v in values],
                                        dtype="object")
            measure[col.name] = "nominal"
    df = pd.DataFrame(frame, columns=[c.name for c in columns])
    limit = _LABEL_LIMIT[fmt]
    labels = {c.name: variable_label(c, lang)[:limit] for c in columns}
    value_labels = {c.name: _value_labels(c, lang) for c in columns
                    if c.kind in ("code", "ticked")}
    title = (form.titles.get(lang) or form.title)[:limit]
    try:
        if fmt == "sav":
            pyreadstat.write_sav(df, str(output), file_label=title, column_labels=labels,
                                 variable_value_labels=value_labels, variable_measure=measure,
                                 variable_format=formats)
        else:
            pyreadstat.write_dta(df, str(output), file_label=title, column_labels=labels,
                                 variable_value_labels=value_labels)
    except OSError:
        raise
    except Exception as exc:  # pyreadstat's ReadstatError and the like: say what it said
        raise ExportError(f"cannot write {output}: {exc}") from None
    return [str(output)]


def check_output(fmt: str, output: str | os.PathLike[str], inputs: Iterable[str] = ()) -> Path:
    """``output`` checked before any record is read: a file in a folder that exists, not one of
    ``inputs`` (nor, for CSV, is its dictionary)."""
    if fmt not in RECORD_FORMATS:
        raise ExportError(f"unknown format {fmt!r}: one of {', '.join(RECORD_FORMATS)}")
    path = Path(output)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; -o names the file to write")
    if not path.parent.is_dir():
        raise ExportError(f"{path}: cannot write there: {path.parent} is not a folder that exists")
    targets = [path, dictionary_path(path)] if fmt == "csv" else [path]
    for target in targets:
        for name in inputs:
            if name != "-" and target.exists() and os.path.exists(name) and \
                    os.path.samefile(name, target):
                raise ExportError(f"{target}: the export would overwrite {name}, one of its inputs")
    if fmt in ("sav", "dta"):
        stats_libraries()
    return path


def export_records(form: Form, records: Any, fmt: str, output: str | os.PathLike[str], *,
                   params: Mapping[str, Any] | None = None, coerce: bool = False,
                   jobs: int | None = 1, lang: str | None = None,
                   warn: Callable[[str], None] | None = None) -> Exported:
    """Write the canonical records of ``records`` wide, as ``fmt`` (csv, xlsx, sav or dta), to
    ``output``; what was written, counted.

    ``records``: the paths of JSON Lines, CSV or Excel files (read as ``qengine validate``
    reads them) or an iterable of records; ``coerce`` reads JSON records' entered text as an
    interview would; ``jobs`` worker processes (None: one per core); ``lang`` the language of the
    variable and value labels of ``.sav`` and ``.dta`` (default: the form's first). ``warn``
    gets a message for the records with errors and for the lines that are not records.
    """
    if lang is not None and lang not in form.languages:
        raise ExportError(f"form {form.id} has no language {lang!r} "
                          f"(languages: {', '.join(form.languages)})")
    names = [os.fspath(records)] if isinstance(records, (str, os.PathLike)) else (
        [os.fspath(r) for r in records] if isinstance(records, (list, tuple)) and records
        and all(isinstance(r, (str, os.PathLike)) for r in records) else [])
    path = check_output(fmt, output, names)
    form.resolve_params(params)  # a bad override fails before any record is read
    columns = record_columns(form)
    done = Exported(columns=len(columns))
    rows = wide_rows(form, names or records, params=params, coerce=coerce,
                     jobs=jobs or os.cpu_count() or 1, done=done)
    if fmt == "csv":
        done.files = _write_csv(form, columns, rows, path)
    elif fmt == "xlsx":
        done.files = _write_xlsx(form, columns, rows, path)
    else:
        done.files = _write_stats(form, columns, rows, path, fmt, lang or form.languages[0])
    say = warn or (lambda text: None)
    if done.with_errors:
        say(f"{done.with_errors} of {done.records} record(s) have errors, written with their "
            f"invalid values blank: {_lines(done.error_lines, done.with_errors)} (qengine "
            "validate says what is wrong)")
    if done.unreadable:
        more = "; …" if done.unreadable > len(done.bad_lines) else ""
        say(f"{done.unreadable} line(s) are not records and are not written: "
            f"{'; '.join(done.bad_lines)}{more}")
    return done


__all__ = ["RECORD_FORMATS", "STATS_INSTALL", "Column", "ExportError", "Exported", "check_output",
           "dictionary", "dictionary_path", "export_records", "record_columns", "row",
           "stats_libraries", "variable_label", "wide_rows"]
