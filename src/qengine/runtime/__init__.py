"""The runtime: a form's machine evaluated, for interviews and record validation.

Never imports the YAML loader, lark, jsonschema or the compiler.
"""

from qengine.runtime.findings import Category, Finding, Indicator
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

__all__ = ["AskedCondition", "Category", "Choice", "Finding", "Form", "Indicator", "Interview",
           "Question", "Report", "Skip", "State", "Transition", "Violation"]
