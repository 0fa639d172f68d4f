"""The ``qengine`` command: lint forms, validate records, report on them, run an interview in the
terminal.

Exit status: 0 when all is well, 1 when a form has errors (or a record fails under
``validate --strict``, or an interview ends unsubmitted), 2 for a usage error or unreadable input.
A bad argument is one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import qengine  # the facade, for __version__ only: importing qengine.apps.cli has loaded it
from qengine.analysis.lint import lint
from qengine.apps import versions
from qengine.apps.terminal import run_interview
from qengine.batch.inputs import KINDS, inspect_input, kind_of, read_inputs
from qengine.batch.jsonl import MAX_LINE_BYTES, Summary
from qengine.batch.pool import CSV_HEADER, Rendered, Spec, run_chunks
from qengine.compiler.pipeline import list_forms, load
from qengine.compiler.schema import form_schema
from qengine.errors import FormError, ParamError, QengineError
from qengine.runtime import Form

FORM_HELP = ("a bundled form name (annex5, annex6, annex7), the path of a form file, or of a "
             "machine file (.json, as qengine export writes)")
EXPORT_FORMATS = ("machine", "record-schema", "xlsform")
GRAPH_FORMATS = ("json", "dot", "svg", "mermaid")
REPORT_FORMATS = ("json", "xlsx", "csv", "html")
RECORDS_FORMATS = ("csv", "xlsx", "sav", "dta")


class UsageError(QengineError):
    """A bad command-line argument or an unreadable input: exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qengine`` command and its subcommands."""
    p = argparse.ArgumentParser(prog="qengine", description="YAML questionnaires compiled into "
                                "interview state machines.")
    p.add_argument("--version", action="version", version=f"qengine {qengine.__version__}",
                   help="print the version of qengine and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("lint", help="check form files; every problem, located")
    s.add_argument("files", nargs="+", metavar="FILE", help="form files (or bundled form names)")
    s.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one located problem per line (the default); json: one list, for tools")
    s.set_defaults(run=cmd_lint)

    s = sub.add_parser("validate", help="validate records (JSON Lines, CSV, Excel) against a form")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("files", nargs="+", metavar="FILE",
                   help="files of records: JSON Lines (.jsonl, .jsonl.gz; - for standard input), "
                        "CSV (.csv) or Excel (.xlsx); read one after the other")
    s.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a form param (repeatable); VALUE is read as JSON when it can be")
    s.add_argument("--coerce", action="store_true",
                   help="convert entered text ('②', '是', full-width digits, '1,234.5') as an "
                        "interview does; by default a record's types are strict (CSV and Excel "
                        "cells are entered text: always converted)")
    s.add_argument("--quiet", action="store_true", help="print only the summary")
    s.add_argument("--strict", action="store_true",
                   help="exit with status 1 when any record has an error (for CI and scripts)")
    s.add_argument("--format", choices=("jsonl", "csv"), default="jsonl",
                   help="jsonl: one JSON line per record, then the summary (the default); csv: one "
                        "row per violation (file, line, rule, severity, questions, message)")
    s.add_argument("--output", metavar="FILE", default=None,
                   help="also write each record's canonical record (report.record), one JSON line "
                        "per record, in input order, to FILE")
    s.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: one per core); 1 validates in this process")
    s.add_argument("--input-format", choices=("auto", *KINDS), default="auto",
                   help="the format of the files: auto (by extension, the default), jsonl, csv "
                        "or xlsx")
    s.add_argument("--sheet", metavar="NAME", default=None,
                   help="the worksheet of an Excel workbook to read (default: the first)")
    s.add_argument("--no-progress", action="store_true",
                   help="no progress bar (shown on standard error only when it is a terminal)")
    s.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="validate on a dask cluster: the scheduler's address (tcp://host:8786), "
                        "or 'local' for a local one; JSON Lines files or URLs only (needs the "
                        "dask extra)")
    s.set_defaults(run=cmd_validate)

    s = sub.add_parser("report", help="the office's reports on records: the ledger (annex 3), the "
                       "tallies (annex 4) and the daily progress (docs/reports.md)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("files", nargs="+", metavar="FILE",
                   help="files of records: JSON Lines (.jsonl, .jsonl.gz; - for standard input), "
                        "CSV (.csv) or Excel (.xlsx); read one after the other")
    s.add_argument("--status", metavar="FILE", default=None,
                   help="the findings marked solved: CSV of key,status,date,note (status 已解决 or "
                        "正在解决); every other finding is in progress")
    s.add_argument("--format", choices=REPORT_FORMATS, default="json",
                   help="json: the three tables as data, on standard output (the default); xlsx: a "
                        "workbook (default FORM-report.xlsx); csv: one file per table in a folder "
                        "(default FORM-report/); html: a page for the office (standard output)")
    s.add_argument("-o", "--output", metavar="PATH", default=None,
                   help="where to write the report (a file; a folder for csv); - is standard "
                        "output for json and html")
    s.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a form param (repeatable), as for validate")
    s.add_argument("--coerce", action="store_true",
                   help="read JSON records' entered text as an interview does (as for validate)")
    s.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: one per core); 1 works in this process")
    s.set_defaults(run=cmd_report)

    s = sub.add_parser("interview", help="run an interview in the terminal (saved after every "
                       "answer; docs/terminal.md)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("--lang", default=None,
                   help="language of the labels and messages, one of the form's (zh, en); "
                        "default: its first")
    s.add_argument("--save", default=None, metavar="FILE",
                   help="the file the interview is saved to after every answer (a snapshot, "
                        "JSON); default: FORM-YYYYmmdd-HHMM.qengine.json in the current folder; "
                        "never an existing file unless it is the one resumed")
    s.add_argument("--resume", default=None, metavar="FILE",
                   help="continue the interview saved in FILE (and keep saving it there unless "
                        "--save says otherwise)")
    s.set_defaults(run=cmd_interview)

    s = sub.add_parser("serve", help="serve interviews over HTTP: a JSON API, a web page, SQLite")
    s.add_argument("forms", nargs="*", metavar="FORM",
                   help=f"the forms to serve (default: the bundled ones); each {FORM_HELP}")
    s.add_argument("--db", default="qengine.sqlite3", metavar="PATH",
                   help="the SQLite database file (default: ./qengine.sqlite3; created if missing)")
    s.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: "
                   "127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="the port (default: 8000; 0: any free "
                   "port, printed at start)")
    s.add_argument("--users", default=None, metavar="FILE",
                   help="the users (YAML: name, role enumerator or office, token hash); default: "
                   "the database's, with one office user made and its login printed at the first "
                   "start")
    s.set_defaults(run=cmd_serve)

    s = sub.add_parser("graph", help="print a form's state machine (JSON) or draw it (Graphviz "
                       "dot, SVG, Mermaid; docs/export.md)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("--format", choices=GRAPH_FORMATS, default="json",
                   help="json: Form.state_machine() (the default); dot: Graphviz source; svg: "
                        "drawn by Graphviz's dot (which must be installed); mermaid: a Mermaid "
                        "flowchart")
    s.add_argument("--lang", default=None,
                   help="language of the diagram's labels, one of the form's; default: its first")
    s.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="the file to write (default: - for standard output)")
    s.set_defaults(run=cmd_graph)

    s = sub.add_parser("export", help="write a compiled form in another format (machine JSON, "
                       "a JSON Schema of its records)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("--format", choices=EXPORT_FORMATS, default="machine",
                   help="machine: the compiled machine as JSON (qengine-machine/1), the default; "
                        "record-schema: a JSON Schema (draft 2020-12) of its records; "
                        "xlsform: an XLSForm workbook for ODK and KoboToolbox, to a file "
                        "(docs/export.md)")
    s.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="the file to write (default: - for standard output)")
    s.set_defaults(run=cmd_export)

    s = sub.add_parser("export-records", help="write records wide for analysts: CSV, Excel, "
                       "SPSS .sav or Stata .dta, with a data dictionary (docs/export.md)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("files", nargs="+", metavar="RECORDS",
                   help="files of records, as for validate: JSON Lines, CSV or Excel")
    s.add_argument("--format", default=None, metavar="|".join(RECORDS_FORMATS),
                   help="csv (UTF-8, and FILE.dictionary.csv beside it), xlsx (a records sheet "
                        "and a dictionary sheet), sav (SPSS) or dta (Stata); sav and dta need "
                        "the stats extra (pip install 'qengine[stats]')")
    s.add_argument("-o", "--output", default=None, metavar="FILE", help="the file to write")
    s.add_argument("--coerce", action="store_true",
                   help="read JSON records' entered text as an interview does (as for validate)")
    s.add_argument("--lang", default=None,
                   help="language of the labels in .sav and .dta files; default: the form's first")
    s.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: one per core); 1 works in this process")
    s.set_defaults(run=cmd_export_records)

    s = sub.add_parser("import", help="read an XLSForm workbook (ODK, KoboToolbox) into a form "
                       "file; what is left out is a located warning (docs/xlsform.md)")
    s.add_argument("file", metavar="FILE.xlsx", help="the XLSForm workbook")
    s.add_argument("-o", "--output", default="-", metavar="FORM.yaml",
                   help="the form file to write (default: - for standard output)")
    s.set_defaults(run=cmd_import)

    versions.add_commands(sub)  # diff and migrate: apps/versions.py

    s = sub.add_parser("forms", help="list the bundled forms")
    s.set_defaults(run=cmd_forms)

    s = sub.add_parser("schema", help="print the JSON Schema of form files")
    s.set_defaults(run=cmd_schema)
    return p


def _tolerant_output() -> None:
    """Print what cannot be encoded (a non-UTF-8 file name, a terminal that is not UTF-8) as
    backslash escapes instead of failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _drop_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush of a closed
    pipe or a full disk does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def _note(text: str) -> None:
    """A message for people, on standard error, after whatever standard output holds so far (so
    the two interleave in the order written when they go to one terminal or file)."""
    sys.stdout.flush()
    print(text, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qengine`` console script."""
    _tolerant_output()
    args = build_parser().parse_args(argv)
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # a write error surfaces here, not in the interpreter's exit
        return status
    except FormError as exc:
        _note(str(exc))
        return 1
    except QengineError as exc:
        _note(f"qengine: {exc}")
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    except BrokenPipeError:  # output piped into head: stop quietly
        _drop_stdout()
        return 0
    except OSError as exc:  # standard output cannot be written (a full disk)
        _drop_stdout()
        print(f"qengine: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return 2


def cmd_lint(args: argparse.Namespace) -> int:
    failed = False
    everything: list[dict[str, Any]] = []
    for file in args.files:
        problems = lint(file)
        failed |= any(p.severity == "error" for p in problems)
        if args.format == "json":
            everything.extend(p.to_dict() for p in problems)
        else:
            for p in problems:
                print(p)
            errors = sum(p.severity == "error" for p in problems)
            warnings = len(problems) - errors
            _note(f"{file}: {errors} error(s), {warnings} warning(s)")
    if args.format == "json":
        print(json.dumps(everything, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def _reject(text: str) -> Any:
    raise ValueError(text)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _params(pairs: list[str]) -> dict[str, Any]:
    """``--param NAME=VALUE`` pairs; a value is JSON when it parses as (finite) JSON, else text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise ParamError(pair, "expected NAME=VALUE")
        try:
            out[name] = json.loads(raw, parse_constant=_reject, parse_float=_finite)
        except (ValueError, RecursionError):  # NaN, 1e999, [[[…: text, which the param refuses
            out[name] = raw
    return out


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes >= 1, got {text!r}")
    return value


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def cmd_validate(args: argparse.Namespace) -> int:
    form = load(args.form)
    params = _params(args.param)
    form.resolve_params(params)  # a bad override fails before any record is read
    kind = None if args.input_format == "auto" else args.input_format
    if args.files.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    if args.dask is not None:
        return _validate_on_dask(args, form, params)
    inputs = [inspect_input(name, kind=kind, sheet=args.sheet) for name in args.files]
    if args.output is not None and any(i.name != "-" and _same_file(i.name, args.output)
                                       for i in inputs):
        raise UsageError(f"{args.output}: the output would overwrite an input")
    jobs = args.jobs or os.cpu_count() or 1
    spec = Spec(form, params or None, args.coerce, MAX_LINE_BYTES,
                "none" if args.quiet else args.format, canonical=args.output is not None,
                name_files=len(inputs) > 1)
    summary = Summary()
    canonical = _open_output(args.output)
    try:
        show = not args.no_progress and _is_terminal(sys.stderr)
        total = sum(i.size or 0 for i in inputs) if all(i.size for i in inputs) else None
        with _progress(show, total) as progress:
            out = sys.stdout  # after the progress bar has (perhaps) redirected it
            if args.format == "csv" and not args.quiet:
                csv.writer(out, lineterminator="\n").writerow(CSV_HEADER)
            for chunk, result in run_chunks(spec, read_inputs(inputs), jobs):
                assert isinstance(result, Rendered)
                summary.merge(result.summary)
                if result.text:
                    out.write(result.text)
                if canonical is not None:
                    canonical.write(result.canonical)
                if chunk.urgent:
                    out.flush()  # an overlong line's rest is skipped next: show its report now
                progress(summary.records, chunk.position)
    finally:
        if canonical is not None:
            _close_output(canonical, args.output)
    _print_summary(args, form, summary)
    # Records with errors are the report's findings, not a failure of the run; --strict makes
    # them one, for pipelines that must stop on a bad batch.
    return 1 if args.strict and summary.with_errors else 0


def cmd_report(args: argparse.Namespace) -> int:
    from qengine.reports.collect import build  # the reports load only for this command

    form = load(args.form)
    params = _params(args.param)
    form.resolve_params(params)
    if args.files.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    if not form.indicators:
        raise UsageError(f"form {form.id} declares no findings: there is nothing to report "
                         "(docs/reports.md says how a form declares them)")
    inputs = [inspect_input(name) for name in args.files]  # before the status file is read
    out = args.output
    if out == "-" and args.format in ("xlsx", "csv"):
        raise UsageError(f"--format {args.format} is written to a file, not standard output "
                         "(-o PATH)")
    _check_report_output(form.id, args.format, out,
                         [i.name for i in inputs if i.name != "-"] + [args.status or ""])
    status: Any = None
    if args.status is not None:
        from qengine.reports.status import read_status

        status = read_status(args.status)
    data = build(form, [i.name for i in inputs], status, params=params or None,
                 coerce=args.coerce, jobs=args.jobs or os.cpu_count() or 1,
                 warn=lambda text: _note(f"qengine: warning: {text}"))
    written = _write_report(data, args.format, out)
    c = data.counts
    _note(f"{form.id} {form.version}: {c['records']} record(s), {c['households']} household(s), "
          f"{c['findings']} finding(s) in {c['ledger_rows']} ledger row(s)"
          + (f"; {c['duplicates']} replaced by a later survey" if c["duplicates"] else "")
          + (f"; wrote {written}" if written is not None else ""))
    return 0


def _check_report_output(form_id: str, fmt: str, out: str | None, inputs: list[str]) -> None:
    """Refuse, before any record is read, an output that cannot be written or that would
    overwrite an input (a record file or the status file): the default name too."""
    if fmt in ("json", "html") and out in (None, "-"):
        return
    target = Path(out if out is not None else
                  f"{form_id}-report.xlsx" if fmt == "xlsx" else f"{form_id}-report")
    files = [target / name for name in ("ledger.csv", "tallies.csv", "progress.csv")] \
        if fmt == "csv" else [target]
    if fmt == "csv" and target.exists() and not target.is_dir():
        raise UsageError(f"{target}: --format csv writes a folder, and this is a file")
    if fmt != "csv" and target.is_dir():
        raise UsageError(f"{target}: is a folder; -o names the file to write")
    parent = (target if fmt == "csv" else target.parent)
    while not parent.exists() and parent != parent.parent and fmt == "csv":
        parent = parent.parent  # write_csv makes the folder, and those above it
    if not parent.is_dir():
        raise UsageError(f"{target}: cannot write there: {parent} is not a folder that exists")
    for path in files:
        for name in inputs:
            if name and _same_file(name, str(path)):
                raise UsageError(f"{path}: the report would overwrite {name}, one of its inputs")


def _write_report(data: Any, fmt: str, out: str | None) -> str | None:
    """Write the report; the path written (None for standard output)."""
    try:
        if fmt == "json":  # streamed: a report on a million records is hundreds of MiB of text
            if out is None or out == "-":
                _stream_json(data, sys.stdout)
                return None
            with open(out, "w", encoding="utf-8", errors="backslashreplace") as fh:
                _stream_json(data, fh)
            return out
        from qengine.reports.write import write

        path = write(data, fmt, out)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        where = getattr(exc, "filename", None) or out or "the report"
        raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from None
    return None if path is None else str(path)


def _stream_json(data: Any, stream: TextIO) -> None:
    """``json.dumps(data.to_dict(), ensure_ascii=False)`` and a newline, written a few rows at a
    time (a lone surrogate, which has no UTF-8, goes out as its JSON escape: backslashreplace)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    sep = "{"
    for name, rows in data.to_dict().items():
        stream.write(f"{sep}{json.dumps(name)}: [")
        for i in range(0, len(rows), 1000):
            stream.write((", " if i else "") + ", ".join(map(encode, rows[i:i + 1000])))
        stream.write("]")
        sep = ", "
    stream.write("}\n")


def _print_summary(args: argparse.Namespace, form: Form, summary: Summary) -> None:
    if args.format == "jsonl":
        sys.stdout.write(json.dumps({"summary": {"form": form.id, "version": form.version,
                                                 **summary.to_dict()}}, ensure_ascii=False) + "\n")
    _note(_summary_text(form, summary))


def _open_output(name: str | None) -> TextIO | None:
    if name is None:
        return None
    try:
        return open(name, "w", encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None


def _close_output(stream: TextIO, name: str) -> None:
    try:
        stream.close()
    except OSError as exc:
        raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def _progress(show: bool, total: int | None) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error (records, records/s, and, when the size of the input is
    known, the share done and the time left); a no-op when ``show`` is false."""
    if not show:
        yield lambda records, position: None
        return
    from rich.console import Console  # the one home of rich; loaded only for a terminal
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [TextColumn("{task.fields[records]:>12,} records"),
                          TextColumn("{task.fields[rate]:>16}")]
    columns += ([BarColumn(), TaskProgressColumn(), TimeRemainingColumn()] if total else
                [TimeElapsedColumn()])
    bar = Progress(*columns, console=Console(file=sys.stderr), transient=True,
                   redirect_stdout=_is_terminal(sys.stdout), redirect_stderr=False)
    start = time.monotonic()
    with bar:
        task = bar.add_task("validate", total=total or None, records=0, rate="")

        def update(records: int, position: int) -> None:
            elapsed = time.monotonic() - start
            rate = f"{records / elapsed:,.0f} records/s" if elapsed > 0 else ""
            bar.update(task, completed=position, records=records, rate=rate)

        yield update


def _validate_on_dask(args: argparse.Namespace, form: Form, params: dict[str, Any]) -> int:
    """``--dask ADDRESS``: JSON Lines files or URLs validated on a dask cluster
    (qengine.batch.dask); the records with violations are printed, in input order, then the
    summary. The files are read by the workers, so they are not looked at here."""
    for name in args.files:
        kind, _gz, _suffix = kind_of(name)
        if name == "-" or kind != "jsonl" or args.input_format not in ("auto", "jsonl"):
            raise UsageError(f"{name}: --dask reads JSON Lines files or URLs (.jsonl, .jsonl.gz), "
                             "not standard input, CSV or Excel")
    if args.output is not None:
        raise UsageError("--output (canonical records) is not written with --dask")
    try:
        from qengine.batch.dask import connect, validate_bag
    except ImportError as exc:
        raise UsageError(f"--dask needs the dask extra (pip install 'qengine[dask]'): {exc}"
                         ) from None
    with connect(args.dask, args.jobs) as client:
        result = validate_bag(form, list(args.files), params=params or None,
                              coerce=args.coerce, client=client)
    summary = Summary(result.summary["records"], result.summary["ok"],
                      result.summary["with_errors"], result.summary["with_warnings"],
                      Counter(result.summary["violations_by_rule"]))
    if not args.quiet:
        out = sys.stdout
        if args.format == "csv":
            rows = csv.writer(out, lineterminator="\n")
            rows.writerow(CSV_HEADER)
            for file, line, v in result.violations:
                rows.writerow((file, line, v["rule"], v["severity"], ";".join(v["questions"]),
                               v["message"]))
        else:
            for record in result.records():
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    _print_summary(args, form, summary)
    return 1 if args.strict and summary.with_errors else 0


def _summary_text(form: Form, s: Summary) -> str:
    lines = [f"{form.id} {form.version}: {s.records} record(s), {s.ok} ok, "
             f"{s.with_errors} with errors, {s.with_warnings} with warnings"]
    for rule, count in sorted(s.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:6d}  {rule}")
    return "\n".join(lines)


def cmd_graph(args: argparse.Namespace) -> int:
    from qengine.formats.graph import graph, svg

    _not_the_form_file(args)
    form = load(args.form)
    if args.lang is not None and args.lang not in form.languages:
        raise UsageError(f"form {form.id} has no language {args.lang!r} "
                         f"(languages: {', '.join(form.languages)})")
    if args.format == "json":
        text = json.dumps(form.state_machine(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "svg":
        dot = shutil.which("dot")
        if dot is None:
            raise UsageError("--format svg needs Graphviz's dot program, which is not on the "
                             "PATH: install Graphviz (apt-get install graphviz, brew install "
                             "graphviz, or https://graphviz.org/download/), or write --format "
                             "dot and draw it elsewhere")
        try:
            text = svg(form, lang=args.lang, dot=dot)
        except (OSError, RuntimeError) as exc:
            raise UsageError(str(exc)) from None
    else:
        text = graph(form, args.format, lang=args.lang)
    return _write_text(text, args.output)


def _not_the_form_file(args: argparse.Namespace) -> None:
    if (args.output != "-" and Path(args.form).is_file()
            and Path(args.output).resolve() == Path(args.form).resolve()):
        raise UsageError(f"{args.output}: the output would overwrite the form file")


def _write_text(text: str, output: str) -> int:
    """Write ``text`` to standard output (``-``) or to the file ``output``."""
    if output == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    _not_the_form_file(args)
    if args.format == "xlsform" and args.output == "-":
        raise UsageError("--format xlsform writes a workbook: give its file with -o FILE.xlsx")
    form = load(args.form)
    if args.format == "xlsform":
        from qengine.formats.xlsform import Inexpressible, write_xlsform

        try:
            write_xlsform(form, args.output)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        except Inexpressible as exc:  # a jump or computed value XLSForm cannot say
            raise UsageError(f"{form.id}: no XLSForm for this form: {exc}") from None
        return 0
    if args.format == "record-schema":
        from qengine.formats.record_schema import record_schema

        text = json.dumps(record_schema(form), ensure_ascii=False, indent=2,
                          allow_nan=False) + "\n"
        return _write_text(text, args.output)
    text = json.dumps(form.to_json(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return _write_text(text, args.output)


def cmd_export_records(args: argparse.Namespace) -> int:
    from qengine.formats.records import check_output, export_records

    if args.format is None or args.format not in RECORDS_FORMATS:
        given = "no --format" if args.format is None else f"unknown format {args.format!r}"
        raise UsageError(f"export-records: {given}: --format is one of "
                         f"{', '.join(RECORDS_FORMATS)}")
    if args.output is None or args.output == "-":
        raise UsageError(f"export-records: -o FILE names the file to write (a .{args.format} "
                         "file, not standard output)")
    if "-" in args.files:
        raise UsageError("export-records: records are read from files, not standard input")
    inputs = [inspect_input(name) for name in args.files]
    names = [i.name for i in inputs]
    check_output(args.format, args.output, [*names, args.form])  # before any record is read
    form = load(args.form)
    try:
        done = export_records(form, names, args.format, args.output, coerce=args.coerce,
                              jobs=args.jobs or os.cpu_count() or 1, lang=args.lang,
                              warn=lambda text: _note(f"qengine: warning: {text}"))
    except OSError as exc:
        where = getattr(exc, "filename", None) or args.output
        raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from None
    _note(f"{form.id} {form.version}: {done.records} record(s), {done.columns} column(s); wrote "
          + " and ".join(done.files))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from qengine.formats.xlsform_import import XLSFormError, read_xlsform

    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"{args.file}: no such file")
    if args.output != "-" and _same_file(args.file, args.output):
        raise UsageError(f"{args.output}: the output would overwrite the workbook")
    try:
        imported = read_xlsform(source, name=args.file)
    except XLSFormError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    for warning in imported.warnings:
        _note(warning.located(args.file))
    return _write_text(imported.yaml, args.output)


def cmd_forms(args: argparse.Namespace) -> int:
    for info in list_forms():
        print(f"{info['name']:10s} {info['version']:10s} {info['title']}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(form_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from qengine.apps.server.app import serve  # starlette and uvicorn load only for serve

    return serve(args)


def cmd_interview(args: argparse.Namespace) -> int:
    form = load(args.form)
    if args.lang is not None and args.lang not in form.languages:
        raise UsageError(f"form {form.id} has no language {args.lang!r} "
                         f"(languages: {', '.join(form.languages)})")
    if sys.stdin is None:
        raise UsageError("no standard input to read answers from")
    return run_interview(form, args.lang, save=args.save, resume=args.resume, name=args.form)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
