"""qengine: questionnaires written in YAML, compiled into interview state machines.

>>> import qengine
>>> form = qengine.load("annex6")
>>> iv = form.start()
>>> iv.current.id
'county'
"""

from __future__ import annotations

from qengine.analysis.lint import lint
from qengine.compiler.pipeline import bundled_forms, compile_text, list_forms, load, load_text
from qengine.errors import (
    AnswerError,
    FormError,
    ParamError,
    Problem,
    QengineError,
    SnapshotError,
    SubmitError,
    UnknownQuestionError,
)
from qengine.location import SourceLocation
from qengine.runtime.form import (
    AskedCondition,
    Choice,
    Form,
    Question,
    Report,
    Skip,
    Transition,
    Violation,
)
from qengine.runtime.interview import Interview, State

forms = list_forms

__version__ = "0.1.0"

__all__ = [
    "AnswerError",
    "AskedCondition",
    "Choice",
    "Form",
    "FormError",
    "Interview",
    "ParamError",
    "Problem",
    "QengineError",
    "Question",
    "Report",
    "Skip",
    "SnapshotError",
    "SourceLocation",
    "State",
    "SubmitError",
    "Transition",
    "UnknownQuestionError",
    "Violation",
    "__version__",
    "bundled_forms",
    "compile_text",
    "forms",
    "lint",
    "list_forms",
    "load",
    "load_text",
]
