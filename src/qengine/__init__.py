"""qengine: questionnaires written in YAML, compiled into interview state machines.

>>> import qengine
>>> form = qengine.load("annex6")
>>> iv = form.start()
>>> iv.current.id
'county'

The runtime (``Form``, ``Interview`` and their results) is imported eagerly; the compiler and the
linter (``load``, ``lint`` …) when first used, so that ``import qengine.runtime`` loads neither
YAML, lark nor jsonschema.
"""

from __future__ import annotations

from typing import Any as _Any

from qengine.errors import (
    AnswerError,
    FormError,
    ParamError,
    Problem,
    QengineError,
    RecordError,
    SnapshotError,
    SubmitError,
    UnknownQuestionError,
)
from qengine.location import SourceLocation
from qengine.runtime import (
    AskedCondition,
    Category,
    Choice,
    Finding,
    Form,
    Indicator,
    Interview,
    Question,
    Report,
    Skip,
    State,
    Transition,
    Violation,
)

__version__ = "0.1.0"

#: names served from the compiler and analysis layers, imported on first use
_LAZY = {"bundled_forms": "qengine.compiler.pipeline", "compile_text": "qengine.compiler.pipeline",
         "list_forms": "qengine.compiler.pipeline", "load": "qengine.compiler.pipeline",
         "load_text": "qengine.compiler.pipeline", "lint": "qengine.analysis.lint",
         "forms": "qengine.compiler.pipeline"}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = getattr(module, "list_forms" if name == "forms" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qengine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AnswerError",
    "AskedCondition",
    "Category",
    "Choice",
    "Finding",
    "Form",
    "FormError",
    "Indicator",
    "Interview",
    "ParamError",
    "Problem",
    "QengineError",
    "Question",
    "RecordError",
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
