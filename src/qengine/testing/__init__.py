"""Testing a form's skip logic: hypothesis strategies and path enumeration for any compiled form.

This is the only part of qengine that imports hypothesis.
"""

from __future__ import annotations

from qengine.analysis.explore import FormPath
from qengine.testing.paths import Coverage, count_paths, coverage, paths
from qengine.testing.properties import PROPERTIES, check_form, interview_path
from qengine.testing.scenarios import (
    Answer,
    Back,
    Change,
    InterviewScript,
    InvalidRecord,
    SnapshotResume,
    interviews,
    invalid_records,
)
from qengine.testing.strategies import answers, records

__all__ = [
    "PROPERTIES",
    "Answer",
    "Back",
    "Change",
    "Coverage",
    "FormPath",
    "InterviewScript",
    "InvalidRecord",
    "SnapshotResume",
    "answers",
    "check_form",
    "count_paths",
    "coverage",
    "interview_path",
    "interviews",
    "invalid_records",
    "paths",
    "records",
]
