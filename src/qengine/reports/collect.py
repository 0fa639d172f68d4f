"""The three tables of a report, from a form and its records, in one streaming pass.

The records are validated by the batch engine (:mod:`qengine.batch.pool`, output ``"findings"``):
each worker sends back, per record, a few of its values (village, head of household, id number,
reviewer, date), its household categories and its findings, computed on the record's path as its
validation walked it. This process keeps one compact entry per household and makes the tables at
the end:

- a household is an id number: when the records hold it twice, the later survey (by
  ``survey_date``, then by input order) replaces the earlier (``counts["duplicates"]``); a record
  without an id number is a household of its own;
- a record with errors still gives its findings (``counts["with_errors"]``); a line that is not a
  record (not JSON, not UTF-8, not an object) gives nothing (``counts["unreadable"]``); both are
  warned about, naming the first few lines;
- a status (:mod:`qengine.reports.status`) whose key no finding has is warned about, not an error.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from qengine.batch.inputs import chunks_of
from qengine.batch.pool import Chunk, Found, Spec, run_chunks
from qengine.errors import QengineError
from qengine.reports.annex import (
    CATEGORIES,
    CATEGORY_BY_ID,
    IN_PROGRESS,
    LEDGER_CATEGORY,
    PROBLEM_TYPES,
    SOLVED,
    annex4_order,
    columns_of,
)
from qengine.reports.data import ReportData
from qengine.reports.status import Status, finding_key, status_map
from qengine.runtime import Form

__all__ = ["FIELDS", "ReportError", "ReportWarning", "build", "finding_key", "ledger", "progress",
           "tallies"]

#: The questions a report reads besides the findings and categories (annex 6 and 7 name them so).
FIELDS = ("village", "head_name", "id_number", "reviewer_unit", "reviewer_sign", "survey_date")
#: How many lines a warning names.
SHOWN = 5


class ReportError(QengineError, ValueError):
    """A report that cannot be made: a form without findings, records of the wrong kind."""

    code = "bad_report"


class ReportWarning(UserWarning):
    """Something a report counts but does not hold: unreadable lines, records with errors,
    statuses of findings the records do not have."""


# A household as kept: (line, source, has_errors, village, head_name, id_number, reviewer_unit,
# reviewer_sign, survey_date, categories, findings).
_Household = tuple[Any, ...]


def _form(form: Form | str) -> Form:
    if isinstance(form, Form):
        return form
    if isinstance(form, (str, os.PathLike)):
        from qengine.compiler.pipeline import load

        return load(os.fspath(form))
    raise ReportError(f"form: expected a Form or the name or path of one, not "
                      f"{type(form).__name__}")


def _chunks(records: Any) -> Iterator[Chunk]:
    try:
        return chunks_of(records)
    except TypeError as exc:
        raise ReportError(str(exc)) from None


def _warn(message: str) -> None:
    warnings.warn(message, ReportWarning, stacklevel=5)  # build's caller


def build(form: Form | str, records: Any, status: Any = None, *,
          params: Mapping[str, Any] | None = None, coerce: bool = False, jobs: int | None = 1,
          warn: Callable[[str], None] | None = None) -> ReportData:
    """The report on ``records`` of ``form``: :class:`ReportData` with the three tables.

    ``records``: an iterable of records (mappings), or the paths of JSON Lines, CSV or Excel
    files; ``status``: a status file's path, or statuses by finding key
    (:func:`qengine.reports.status.status_map`); ``params`` override the form's; ``coerce`` reads
    JSON records' entered text as an interview would (CSV and Excel cells always are); ``jobs``
    worker processes (None: one per core). ``warn`` gets each warning (unreadable lines, records
    with errors, unknown status keys); by default it is a :class:`ReportWarning`.
    """
    form = _form(form)
    if not form.indicators:
        raise ReportError(f"form {form.id} declares no findings: there is nothing to report "
                          "(a form's findings: docs/reports.md)")
    form.resolve_params(params)  # a bad override fails before any record is read
    statuses = status_map(status)
    say = warn or _warn
    spec = Spec(form, dict(params) if params else None, coerce, output="findings", fields=FIELDS)
    collector = _Collector(form)
    chunks = _chunks(records)
    for _chunk, result in run_chunks(spec, chunks, jobs or os.cpu_count() or 1):
        assert isinstance(result, list)
        collector.add(result)  # type: ignore[arg-type]
    return collector.report(statuses, say)


def ledger(form: Form | str, records: Any, status: Any = None, **options: Any
           ) -> list[dict[str, Any]]:
    """Annex 3: one row per household and problem type (see :func:`build` for the arguments)."""
    return build(form, records, status, **options).ledger


def tallies(form: Form | str, records: Any, status: Any = None, **options: Any
            ) -> list[dict[str, Any]]:
    """Annex 4: one row per indicator and category, zeros included (see :func:`build`)."""
    return build(form, records, status, **options).tallies


def progress(form: Form | str, records: Any, **options: Any) -> list[dict[str, Any]]:
    """Annex 2's daily reporting: households per village, team and day (see :func:`build`)."""
    return build(form, records, **options).progress


class _Collector:
    """The households of a stream of :data:`Found` tuples, then the tables."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.lang = form.languages[0]
        self.households: dict[Any, _Household] = {}
        self.dates: dict[Any, str] = {}
        self.seen = 0  # records and lines that are not records
        self.records = 0
        self.unreadable = 0
        self.with_errors = 0
        self.duplicates = 0
        self.bad_lines: list[str] = []
        self.error_lines: list[str] = []
        self._texts: dict[Any, Any] = {}

    def _same(self, value: Any) -> Any:
        """One object for equal values (villages, teams, dates, categories repeat)."""
        texts = self._texts
        kept = texts.get(value)
        if kept is None:
            if len(texts) > 200_000:
                return value
            texts[value] = kept = value
        return kept

    def add(self, found: list[Found]) -> None:
        same = self._same
        for line, source, read, errors, message, values, cats, finds in found:
            self.seen += 1
            if not read:
                self.unreadable += 1
                if len(self.bad_lines) < SHOWN:
                    self.bad_lines.append(f"{_where(source, line)}: {message}")
                continue
            self.records += 1
            if errors:
                self.with_errors += 1
                if len(self.error_lines) < SHOWN:
                    self.error_lines.append(_where(source, line))
            village, head, idn, unit, sign, date = values
            household = (line, same(source), errors, same(village or ""), head, idn,
                         same(unit), same(sign), same(date), same(cats),
                         tuple((same(i), t, same(d)) for i, t, d in finds))
            key: Any = idn if idn else self.seen  # no id number: a household of its own
            if key in self.households:
                self.duplicates += 1
                if (date or "") < self.dates.get(key, ""):
                    continue  # the kept survey is later
            self.households[key] = household
            if date:
                self.dates[key] = date

    # -- the tables ----------------------------------------------------------------------------
    def report(self, statuses: Mapping[str, Status], warn: Callable[[str], None]) -> ReportData:
        form, lang = self.form, self.lang
        indicators = annex4_order(form.indicators)
        households = list(self.households.values())
        self.households.clear()
        self.dates.clear()
        # villages in first-seen order, households in input order within each
        by_village: dict[str, list[_Household]] = {}
        for h in households:
            by_village.setdefault(h[3], []).append(h)
        used: set[str] = set()
        leaf_labels = {c.id: c.label for c in form.household_categories}
        ledger_rows: list[dict[str, Any]] = []
        findings = without_id = 0
        columns: dict[tuple[str, ...], frozenset[str]] = {}
        total: Counter[tuple[str, str]] = Counter()
        solved: Counter[tuple[str, str]] = Counter()
        for village, members in by_village.items():
            number = 0
            for h in members:
                line, source, _errors, _village, head, idn, _unit, _sign, _date, cats, finds = h
                if not finds:
                    continue
                cols = columns.get(cats)
                if cols is None:
                    cols = columns[cats] = columns_of(cats)
                category = ",".join(cats)
                category_label = _join([_ledger_category(c, lang, leaf_labels) for c in cats],
                                       lang)
                by_type: dict[int, list[tuple[str, int, str]]] = {}
                for f in finds:
                    by_type.setdefault(f[1], []).append(f)
                findings += len(finds)
                for type_, group in sorted(by_type.items()):
                    # without an id number a finding has no key: no status can name it (a key
                    # with a blank id would name every such household at once)
                    keys = [finding_key(form.id, idn, f[0]) for f in group] if idn else []
                    marks = [statuses.get(k) for k in keys] if idn else [None] * len(group)
                    without_id += 0 if idn else 1
                    for k, m in zip(keys, marks):
                        if m is not None:
                            used.add(k)
                    done = [m is not None and m.solved for m in marks]
                    for f, ok in zip(group, done):
                        for col in cols:
                            total[f[0], col] += 1
                            if ok:
                                solved[f[0], col] += 1
                    number += 1
                    dates = [m.date for m in marks if m is not None and m.date]
                    ledger_rows.append({
                        "village": village, "head_name": head or "", "id_number": idn or "",
                        "category": category, "type": type_,
                        "description": "；".join(f[2] for f in group),
                        "findings": [f[0] for f in group],
                        "status": SOLVED if all(done) else IN_PROGRESS,
                        "number": number, "form": form.id, "category_label": category_label,
                        "categories": list(cats), "type_label": _type_label(type_, lang),
                        "keys": keys,
                        "note": "；".join(m.note for m in marks if m is not None and m.note),
                        "status_date": max(dates) if dates else None,
                        "line": line, "source": source,
                    })
        tally_rows = [{"indicator": ind.id, "category": c.id, "total": total[ind.id, c.id],
                       "solved": solved[ind.id, c.id],
                       "in_progress": total[ind.id, c.id] - solved[ind.id, c.id],
                       "label": ind.label, "unit": ind.unit, "type": ind.type}
                      for ind in indicators for c in CATEGORIES]
        progress_rows = self._progress(households, list(by_village))
        self._warnings(statuses, used, warn)
        if without_id:
            warn(f"{without_id} ledger row(s) are of households without a valid id number: "
                 "their findings have no key, so no status can mark them solved (correct the id "
                 "numbers and report again)")
        return ReportData(
            form_id=form.id, form_title=form.title, version=form.version,
            ledger=ledger_rows, tallies=tally_rows, progress=progress_rows,
            indicators=[{"id": ind.id, "label": ind.label, "unit": ind.unit, "type": ind.type,
                         "type_label": _type_label(ind.type, lang)} for ind in indicators],
            categories=[{"id": c.id, "label": c.label(lang), "parent": c.parent}
                        for c in CATEGORIES],
            counts={"records": self.records, "unreadable": self.unreadable,
                    "with_errors": self.with_errors, "households": len(households),
                    "findings": findings, "duplicates": self.duplicates,
                    "ledger_rows": len(ledger_rows), "without_id": without_id})

    @staticmethod
    def _progress(households: list[_Household], villages: list[str]) -> list[dict[str, Any]]:
        order = {v: i for i, v in enumerate(villages)}
        count: Counter[tuple[str, str, str, str | None, str | None]] = Counter()
        for h in households:
            unit, sign, date = h[6], h[7], h[8]
            team = " ".join(p.strip() for p in (unit, sign) if p and p.strip())
            count[h[3], team, date or "", unit, sign] += 1
        merged: dict[tuple[str, str, str], list[Any]] = {}
        for (village, team, date, unit, sign), n in count.items():
            row = merged.get((village, team, date))
            if row is None:
                merged[village, team, date] = [unit, sign, n]
            else:
                row[2] += n
        return [{"village": village, "team": team, "date": date, "households": n,
                 "reviewer_unit": unit or "", "reviewer_sign": sign or ""}
                for (village, team, date), (unit, sign, n) in
                sorted(merged.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2]))]

    def _warnings(self, statuses: Mapping[str, Status], used: set[str],
                  warn: Callable[[str], None]) -> None:
        if self.unreadable:
            more = ", …" if self.unreadable > len(self.bad_lines) else ""
            warn(f"{self.unreadable} line(s) are not records and are left out of the report: "
                 + "; ".join(self.bad_lines) + more)
        if self.with_errors:
            more = ", …" if self.with_errors > len(self.error_lines) else ""
            warn(f"{self.with_errors} record(s) have errors (qengine validate says which); their "
                 "findings are counted all the same: " + ", ".join(self.error_lines) + more)
        unknown = [k for k in statuses if k not in used]
        if unknown:
            shown = ", ".join(f"{k} ({statuses[k].where})" if statuses[k].where else k
                              for k in unknown[:SHOWN])
            more = ", …" if len(unknown) > SHOWN else ""
            warn(f"{len(unknown)} status key(s) match no finding of these records and are "
                 f"ignored: {shown}{more}")


def _where(source: str | None, line: int) -> str:
    return f"{source}:{line}" if source is not None else f"record {line}"


def _type_label(type_: int, lang: str) -> str:
    texts = PROBLEM_TYPES.get(type_)
    if texts is None:
        return str(type_)
    return texts.get(lang) or texts["zh"]


def _ledger_category(leaf: str, lang: str, labels: Mapping[str, str]) -> str:
    texts = LEDGER_CATEGORY.get(leaf)
    if texts is not None:
        return texts.get(lang) or texts["zh"]
    column = CATEGORY_BY_ID.get(leaf)
    return column.label(lang) if column is not None else labels.get(leaf, leaf)


def _join(parts: list[str], lang: str) -> str:
    return ("、" if lang.startswith("zh") else ", ").join(parts)
