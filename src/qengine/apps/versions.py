"""The ``qengine diff`` and ``qengine migrate`` commands: what changed between two versions of a
form, and carrying snapshots and records of an older version onto the new one.

``diff`` exits 0 when the forms are equal, 1 when every change is safe, 2 when any is breaking, and
3 when a form does not load or an argument is bad. ``migrate`` exits 0 when every item migrated, 1
when some could not be (each is named on standard error by file and line), 2 for a bad argument or
an unreadable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from qengine.analysis.diff import diff
from qengine.compiler.pipeline import load
from qengine.errors import FormError, QengineError, RecordError, SnapshotError
from qengine.runtime import Form

FORM_HELP = "a bundled form name, the path of a form file, or of a machine file (.json)"
#: the longest line a file of snapshots or records may have
MAX_LINE = 16 * 1024 * 1024


def add_commands(sub: Any) -> None:
    """Register ``diff`` and ``migrate`` on the ``qengine`` command's subparsers."""
    s = sub.add_parser("diff", help="what changed between two versions of a form, and whether "
                       "it is safe for interviews in progress and stored records")
    s.add_argument("old", help=FORM_HELP)
    s.add_argument("new", help=FORM_HELP)
    s.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one line per change (default); json: the FormDiff as JSON")
    s.set_defaults(run=cmd_diff)

    s = sub.add_parser("migrate", help="carry snapshots and records of an older version of a "
                       "form onto this one (JSON Lines in, JSON Lines out, a report of what was "
                       "dropped)")
    s.add_argument("form", help=FORM_HELP)
    s.add_argument("files", nargs="+", metavar="FILE",
                   help="JSON Lines files of snapshots (Interview.snapshot) or records")
    s.add_argument("-o", "--output", default="-",
                   help="where the migrated items go, one per line (default: standard output)")
    s.add_argument("--report", metavar="FILE",
                   help="write what each item's migration renamed and dropped, one JSON line each")
    s.set_defaults(run=cmd_migrate)


def cmd_diff(args: argparse.Namespace) -> int:
    try:
        old, new = load(args.old), load(args.new)
    except FormError as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except QengineError as exc:
        print(f"qengine: {exc}", file=sys.stderr)
        return 3
    found = diff(old, new)
    if args.format == "json":
        sys.stdout.write(json.dumps(found.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(str(found) + "\n")
    return found.exit_code


class _Usage(QengineError):
    """A bad argument or an unreadable file (``qengine`` exits 2)."""


def cmd_migrate(args: argparse.Namespace) -> int:
    form = load(args.form)
    inputs = [Path(f) for f in args.files]
    for path in inputs:
        if not path.is_file():
            raise _Usage(f"{path}: no such file")
    outputs = [o for o in (args.output, args.report) if o not in (None, "-")]
    for out in outputs:
        if any(Path(out).resolve() == p.resolve() for p in inputs):
            raise _Usage(f"{out}: the output would overwrite an input file")
    failed = migrated = dropped = 0
    with _Output(args.output) as sink, _Output(args.report) as report:
        for path, line, item in _items(inputs):
            try:
                if isinstance(item, _Unreadable):
                    raise RecordError(item.why)
                out, migration = _migrate(form, item)
            except (SnapshotError, RecordError) as exc:
                print(f"{path}:{line}: {exc}", file=sys.stderr)
                failed += 1
                continue
            migrated += 1
            dropped += len(migration.dropped)
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")
            if report is not None:
                entry = {"file": str(path), "line": line,
                         "kind": "snapshot" if "qengine_snapshot" in item else "record",
                         **{k: v for k, v in migration.to_dict().items() if k != "record"}}
                report.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"qengine migrate: {migrated} migrated to {form.id} {form.version}, {failed} refused, "
          f"{dropped} answer(s) dropped" + (" (listed in the report)" if args.report else ""),
          file=sys.stderr)
    return 1 if failed else 0


def _migrate(form: Form, item: Any) -> tuple[dict[str, Any], Any]:
    if isinstance(item, dict) and "qengine_snapshot" in item:
        iv = form.resume(item, migrate=True)
        assert iv.migration is not None
        return iv.snapshot(), iv.migration
    migration = form.migrate_record(item)
    return migration.record, migration


def _items(paths: list[Path]) -> Iterator[tuple[Path, int, Any]]:
    for path in paths:
        try:
            with path.open("rb") as fh:
                for number, raw in enumerate(fh, 1):
                    if len(raw) > MAX_LINE:
                        raise _Usage(f"{path}:{number}: a line longer than {MAX_LINE} bytes")
                    if not raw.strip():
                        continue
                    try:
                        yield path, number, json.loads(raw)
                    except (ValueError, UnicodeDecodeError) as exc:
                        yield path, number, _Unreadable(f"not JSON: {exc}")
        except OSError as exc:
            raise _Usage(f"cannot read {path}: {exc.strerror or exc}") from None


class _Unreadable:
    """A line of an input file that is not JSON (reported, and the others go on)."""

    def __init__(self, why: str) -> None:
        self.why = why


class _Output:
    """Standard output for ``-``, a file for a name, nothing for None."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.fh: TextIO | None = None

    def __enter__(self) -> Any:
        if self.name is None:
            return None
        if self.name == "-":
            return sys.stdout
        try:
            self.fh = open(self.name, "w", encoding="utf-8")
        except OSError as exc:
            raise _Usage(f"cannot write {self.name}: {exc.strerror or exc}") from None
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()
