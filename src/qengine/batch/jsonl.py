"""Batch validation: many completed records (JSON Lines) against one compiled form.

A line that is not JSON, or not an object, is reported as that record's error; nothing stops the
run and nothing is dropped silently.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from qengine.runtime.form import Form, Report, Violation


@attrs.frozen(slots=True)
class RecordResult:
    """One input line's outcome: its line number and report."""

    line: int
    report: Report

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, **self.report.to_dict()}


@attrs.define
class Summary:
    """Counts over a batch: records, ok, with errors, with warnings, and violations by rule."""

    records: int = 0
    ok: int = 0
    with_errors: int = 0
    with_warnings: int = 0
    by_rule: Counter[str] = attrs.field(factory=Counter)

    def add(self, report: Report) -> None:
        self.records += 1
        if report.ok:
            self.ok += 1
        else:
            self.with_errors += 1
        if report.warnings:
            self.with_warnings += 1
        self.by_rule.update(v.rule for v in report.violations)

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "ok": self.ok, "with_errors": self.with_errors,
                "with_warnings": self.with_warnings,
                "violations_by_rule": dict(sorted(self.by_rule.items()))}


class _LineReport(Report):
    """A report for a line that is not a record at all."""

    __slots__ = ()


def _unreadable(form: Form, rule: str, message: str) -> Report:
    return _LineReport(form, [Violation(rule, "error", (), message)], [], {}, {})


def validate_lines(form: Form, lines: Iterable[str], params: Mapping[str, Any] | None = None
                   ) -> Iterator[RecordResult]:
    """Validate each non-empty line of JSON Lines input; yields one result per record line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield RecordResult(number, _unreadable(form, "bad_json",
                                                   f"line {number} is not JSON: {exc}"))
            continue
        yield RecordResult(number, form.validate(record, params=params))


def validate_records(form: Form, records: Iterable[Any], params: Mapping[str, Any] | None = None
                     ) -> tuple[list[Report], Summary]:
    """Validate records already in memory; the reports and their summary."""
    summary = Summary()
    reports = []
    for record in records:
        report = form.validate(record, params=params)
        summary.add(report)
        reports.append(report)
    return reports, summary
