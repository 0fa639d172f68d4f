"""What a report holds, as plain data: the three tables and what the writers need to lay them out.

``ReportData.to_dict()`` is the JSON contract of ``qengine report --format json``:
``{"ledger": [...], "tallies": [...], "progress": [...]}`` (docs/reports.md).
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class ReportData:
    """A report on one form's records (built by :func:`qengine.reports.build`).

    - ``ledger``: annex 3, one row per household and problem type, grouped by village;
    - ``tallies``: annex 4, one row per indicator and category (zeros included);
    - ``progress``: annex 2's daily reporting, households per village, team and day;
    - ``indicators``: ``{"id", "label", "unit", "type", "type_label"}`` in annex 4's order;
    - ``categories``: ``{"id", "label", "parent"}``, the 9 columns of annex 4 in order;
    - ``counts``: ``{"records", "unreadable", "with_errors", "households", "findings"}`` (and
      ``"duplicates"``: records replaced by a later survey of the same id number).
    """

    form_id: str
    form_title: str
    version: str
    ledger: list[dict[str, Any]]
    tallies: list[dict[str, Any]]
    progress: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: ``{"ledger", "tallies", "progress"}``, exactly these keys."""
        return {"ledger": self.ledger, "tallies": self.tallies, "progress": self.progress}


__all__ = ["ReportData"]
