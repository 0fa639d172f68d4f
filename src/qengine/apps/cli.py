"""The ``qengine`` command: lint forms, validate records, run an interview in the terminal.

Exit status: 0 when all is well, 1 when a form has errors or a record fails validation,
2 for a usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from qengine.analysis.lint import lint
from qengine.batch.jsonl import Summary, validate_lines
from qengine.compiler.pipeline import list_forms, load
from qengine.compiler.schema import form_schema
from qengine.errors import AnswerError, FormError, ParamError, QengineError, SubmitError
from qengine.runtime.form import Form, Question


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qengine", description="YAML questionnaires compiled into "
                                "interview state machines.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("lint", help="check form files; every problem, located")
    s.add_argument("files", nargs="+", metavar="FILE", help="form files (or bundled form names)")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.set_defaults(run=cmd_lint)

    s = sub.add_parser("validate", help="validate records (JSON Lines) against a form")
    s.add_argument("form", help="a bundled form name (annex6) or a form file")
    s.add_argument("records", help="a JSON Lines file of records, or - for standard input")
    s.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a form param (repeatable)")
    s.add_argument("--quiet", action="store_true", help="print only the summary")
    s.add_argument("--strict", action="store_true",
                   help="exit with status 1 when any record has an error (for CI and scripts)")
    s.set_defaults(run=cmd_validate)

    s = sub.add_parser("interview", help="run an interview in the terminal")
    s.add_argument("form")
    s.add_argument("--lang", default=None, help="language of the labels (zh, en)")
    s.set_defaults(run=cmd_interview)

    s = sub.add_parser("graph", help="print a form's state machine (JSON or Graphviz dot)")
    s.add_argument("form")
    s.add_argument("--format", choices=("json", "dot"), default="json")
    s.set_defaults(run=cmd_graph)

    s = sub.add_parser("forms", help="list the bundled forms")
    s.set_defaults(run=cmd_forms)

    s = sub.add_parser("schema", help="print the JSON Schema of form files")
    s.set_defaults(run=cmd_schema)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qengine`` console script."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except FormError as exc:
        print(exc, file=sys.stderr)
        return 1
    except QengineError as exc:
        print(f"qengine: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    except BrokenPipeError:  # output piped into head: stop quietly
        sys.stderr.close()
        return 0


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
            print(f"{file}: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(everything, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise ParamError(pair, "expected NAME=VALUE")
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    form = load(args.form)
    params = _params(args.param)
    form.resolve_params(params)  # a bad override fails before any record is read
    summary = Summary()
    out = sys.stdout
    stream: TextIO
    if args.records == "-":
        stream = sys.stdin
    else:
        try:
            stream = open(args.records, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            print(f"qengine: cannot read {args.records}: {exc.strerror}", file=sys.stderr)
            return 2
    try:
        for result in validate_lines(form, stream, params or None):
            summary.add(result.report)
            if not args.quiet:
                out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    except UnicodeDecodeError as exc:
        print(f"qengine: {args.records} is not UTF-8 text: {exc}", file=sys.stderr)
        return 2
    finally:
        if stream is not sys.stdin:
            stream.close()
    out.write(json.dumps({"summary": {"form": form.id, "version": form.version,
                                      **summary.to_dict()}}, ensure_ascii=False) + "\n")
    print(_summary_text(form, summary), file=sys.stderr)
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


def cmd_forms(args: argparse.Namespace) -> int:
    for info in list_forms():
        print(f"{info['name']:10s} {info['version']:10s} {info['title']}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(form_schema(), ensure_ascii=False, indent=2))
    return 0


def _label(q: Question, lang: str | None) -> str:
    return q.labels.get(lang, q.label) if lang else q.label


def cmd_interview(args: argparse.Namespace) -> int:
    form = load(args.form)
    iv = form.start()
    print(f"{form.title} ({form.id} {form.version}). Type an answer; '<' goes back; "
          "empty leaves an optional question blank.")
    while not iv.finished:
        q = iv.current
        assert q is not None
        number = f"{q.number}. " if q.number else ""
        print(f"\n{number}{_label(q, args.lang)}" + (f" ({q.unit})" if q.unit else ""))
        for c in q.choices:
            print(f"   {c.code}) {c.labels.get(args.lang, c.label) if args.lang else c.label}")
        kept = iv.suggested()
        try:
            raw = input(f"[{kept}]> " if kept is not None else "> ")
        except EOFError:
            print("\n(input ended; interview not submitted)")
            return 1
        if raw.strip() == "<":
            iv.back()
            continue
        try:
            if not raw.strip() and kept is not None:
                iv.forward()
            else:
                iv.answer(raw if raw.strip() else None)
        except AnswerError as exc:
            print(f"  ! {exc.message}")
        for v in iv.violations:
            print(f"  {'!!' if v.severity == 'error' else '!'} {v.message}")
    try:
        record = iv.submit()
    except SubmitError as exc:
        print(exc)
        return 1
    print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
