"""The office's reports on a form's records: the ledger of annex 3, the tallies of annex 4 and the
daily progress of annex 2 (docs/reports.md).

:func:`build` reads the records once (through the batch engine, in worker processes) and gives a
:class:`ReportData`; :func:`ledger`, :func:`tallies` and :func:`progress` give one table each, as
plain data. The writers (:mod:`qengine.reports.write`) lay a report out as XLSX, CSV, HTML or JSON.
"""

from __future__ import annotations

from typing import Any

from qengine.reports.annex import ANNEX4_ROWS, CATEGORIES, PROBLEM_TYPES, STATUSES
from qengine.reports.data import ReportData

_LAZY = {"build", "ledger", "tallies", "progress", "read_status", "StatusError", "finding_key"}


def __getattr__(name: str) -> Any:
    # qengine.reports.collect loads the batch engine: only when a report is made
    if name in _LAZY:
        if name in ("read_status", "StatusError"):
            from qengine.reports import status as module
        else:
            from qengine.reports import collect as module  # type: ignore[no-redef]
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ANNEX4_ROWS", "CATEGORIES", "PROBLEM_TYPES", "STATUSES", "ReportData", "StatusError",
           "build", "finding_key", "ledger", "progress", "read_status", "tallies"]
