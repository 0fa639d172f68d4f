"""Validate many records at once: a CSV file and an Excel workbook made from the annex 6 sample, and
the sample itself, with the command (worker processes, one JSON line per record naming its file)
and with the Python API (qengine.batch.validate_stream in 2 worker processes).

Run from anywhere:  python examples/batch/validate_files.py
It writes its files into a temporary folder and prints what it found.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import openpyxl

import qengine
from qengine.batch import validate_stream

SAMPLE = Path(__file__).resolve().parent.parent / "annex6-sample.jsonl"


def cell(value: object) -> object:
    """A multiple choice as it is typed in a sheet: '1;3'."""
    return ";".join(map(str, value)) if isinstance(value, list) else value


def main() -> None:
    records = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    ids = list(dict.fromkeys(k for r in records for k in r))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with (folder / "sample.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(ids)
            out.writerows([["" if r.get(k) is None else cell(r.get(k)) for k in ids]
                           for r in records])
        book = openpyxl.Workbook()
        book.active.append(ids)
        for r in records:
            book.active.append([cell(r.get(k)) for k in ids])
        book.save(folder / "sample.xlsx")

        # The command: three files, one after the other, in 2 worker processes.
        result = subprocess.run(
            [sys.executable, "-m", "qengine", "validate", "annex6", str(SAMPLE),
             str(folder / "sample.csv"), str(folder / "sample.xlsx"), "--jobs", "2",
             "--output", str(folder / "canonical.jsonl")],
            capture_output=True, text=True, encoding="utf-8", check=True)
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        summary = lines.pop()["summary"]
        per_file = Counter(Path(x["file"]).name for x in lines if not x["ok"])
        print(f"qengine validate: {summary['records']} records, {summary['with_errors']} with "
              f"errors: {dict(per_file)}")
        canonical = (folder / "canonical.jsonl").read_text("utf-8").splitlines()
        print(f"canonical records written: {len(canonical)}")

    # The API: the same records in 2 worker processes; the reports come back in order.
    form = qengine.load("annex6")
    with SAMPLE.open("rb") as fh:
        failing = [(r.line, sorted({v.rule for v in r.errors}))
                   for r in validate_stream(form, fh, jobs=2) if not r.ok]
    print(f"validate_stream(jobs=2): {len(failing)} records with errors, the first {failing[0]}")


if __name__ == "__main__":
    main()
