"""The ``qengine`` command: lint forms, validate records, run an interview in the terminal.

Exit status: 0 when all is well, 1 when a form has errors (or a record fails under
``validate --strict``, or an interview ends unsubmitted), 2 for a usage error or unreadable input.
A bad argument is one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import qengine  # the facade, for __version__ only: importing qengine.apps.cli has loaded it
from qengine.analysis.lint import lint
from qengine.apps.terminal import run_interview
from qengine.batch.jsonl import LineSource, Summary, check_json_lines, validate_stream
from qengine.compiler.pipeline import list_forms, load
from qengine.compiler.schema import form_schema
from qengine.errors import FormError, ParamError, QengineError
from qengine.runtime import Form

FORM_HELP = ("a bundled form name (annex5, annex6, annex7), the path of a form file, or of a "
             "machine file (.json, as qengine export writes)")
EXPORT_FORMATS = ("machine",)


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

    s = sub.add_parser("validate", help="validate records (JSON Lines) against a form")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("records", metavar="RECORDS", help="a JSON Lines file of records, or - for standard input")
    s.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a form param (repeatable); VALUE is read as JSON when it can be")
    s.add_argument("--coerce", action="store_true",
                   help="convert entered text ('②', '是', full-width digits, '1,234.5') as an "
                        "interview does; by default a record's types are strict")
    s.add_argument("--quiet", action="store_true", help="print only the summary")
    s.add_argument("--strict", action="store_true",
                   help="exit with status 1 when any record has an error (for CI and scripts)")
    s.set_defaults(run=cmd_validate)

    s = sub.add_parser("interview", help="run an interview in the terminal")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("--lang", default=None,
                   help="language of the labels, one of the form's (zh, en); default: its first")
    s.set_defaults(run=cmd_interview)

    s = sub.add_parser("graph", help="print a form's state machine (JSON or Graphviz dot)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("--format", choices=("json", "dot"), default="json",
                   help="json: Form.state_machine() (the default); dot: Graphviz source")
    s.set_defaults(run=cmd_graph)

    s = sub.add_parser("export", help="write a compiled form in another format (machine JSON)")
    s.add_argument("form", metavar="FORM", help=FORM_HELP)
    s.add_argument("--format", choices=EXPORT_FORMATS, default="machine",
                   help="machine: the compiled machine as JSON (qengine-machine/1), the default")
    s.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="the file to write (default: - for standard output)")
    s.set_defaults(run=cmd_export)

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


class _Input:
    """A binary input whose read errors are usage errors naming the file."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def _fail(self, exc: OSError) -> UsageError:
        return UsageError(f"cannot read {self._name}: {exc.strerror or exc}")

    def readline(self, size: int = -1) -> bytes:
        try:
            return self._stream.readline(size)
        except OSError as exc:
            raise self._fail(exc) from None

    def peek(self, size: int = 0) -> bytes:
        try:
            return self._stream.peek(size)  # type: ignore[attr-defined, no-any-return]
        except OSError as exc:
            raise self._fail(exc) from None


@contextmanager
def _open_records(name: str) -> Iterator[LineSource]:
    """The records file ``name`` (``-`` for standard input), opened for binary reading."""
    if name == "-":
        if sys.stdin is None:
            raise UsageError("no standard input to read records from")
        yield _Input(sys.stdin.buffer, "standard input")
        return
    try:
        stream = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        yield _Input(stream, name)
    finally:
        stream.close()


def cmd_validate(args: argparse.Namespace) -> int:
    form = load(args.form)
    params = _params(args.param)
    form.resolve_params(params)  # a bad override fails before any record is read
    summary = Summary()
    out = sys.stdout
    with _open_records(args.records) as stream:
        check_json_lines(stream, args.records)
        for result in validate_stream(form, stream, params or None, coerce=args.coerce):
            summary.add(result.report)
            if not args.quiet:
                out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
                if not result.read:
                    out.flush()  # an overlong line's rest is skipped next: show its report now
    out.write(json.dumps({"summary": {"form": form.id, "version": form.version,
                                      **summary.to_dict()}}, ensure_ascii=False) + "\n")
    _note(_summary_text(form, summary))
    # Records with errors are the report's findings, not a failure of the run; --strict makes
    # them one, for pipelines that must stop on a bad batch.
    return 1 if args.strict and summary.with_errors else 0


def _summary_text(form: Form, s: Summary) -> str:
    lines = [f"{form.id} {form.version}: {s.records} record(s), {s.ok} ok, "
             f"{s.with_errors} with errors, {s.with_warnings} with warnings"]
    for rule, count in sorted(s.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:6d}  {rule}")
    return "\n".join(lines)


def cmd_graph(args: argparse.Namespace) -> int:
    form = load(args.form)
    if args.format == "json":
        print(json.dumps(form.state_machine(), ensure_ascii=False, indent=2))
        return 0
    print(f'digraph "{form.id}" {{\n  rankdir=TB; node [shape=box];')
    for q in form.questions:
        if not q.computed:
            print(f'  "{q.id}" [label={_dot(q.number or q.id)}];')
    print('  "end" [shape=doublecircle];')
    for t in form.transitions:
        label = f" [label={_dot(t.guard)}]" if t.guard else " [style=dashed]"
        print(f'  "{t.source}" -> "{t.target}"{label};')
    print("}")
    return 0


def _dot(text: str) -> str:
    """A Graphviz quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cmd_export(args: argparse.Namespace) -> int:
    if (args.output != "-" and Path(args.form).is_file()
            and Path(args.output).resolve() == Path(args.form).resolve()):
        raise UsageError(f"{args.output}: the output would overwrite the form file")
    form = load(args.form)
    text = json.dumps(form.to_json(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def cmd_forms(args: argparse.Namespace) -> int:
    for info in list_forms():
        print(f"{info['name']:10s} {info['version']:10s} {info['title']}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(form_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_interview(args: argparse.Namespace) -> int:
    form = load(args.form)
    if args.lang is not None and args.lang not in form.languages:
        raise UsageError(f"form {form.id} has no language {args.lang!r} "
                         f"(languages: {', '.join(form.languages)})")
    if sys.stdin is None:
        raise UsageError("no standard input to read answers from")
    return run_interview(form, args.lang)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
