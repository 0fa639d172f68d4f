"""The library's exception types and the catalogue of every error and violation code.

Every error qengine raises is a :class:`QengineError`. Two tiers, as in fastjsonschema:
:class:`FormError` for a bad form or machine definition (found when a form is loaded, every problem
at once), and the run-time errors for bad answers, snapshots, params and submissions. Tests and tools
match on the stable ``code`` attributes, never on message wording; :data:`MESSAGES` holds the zh and
en template of every run-time message, and :data:`FORM_CODES` names every form-definition code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from qengine.catalogue import FORM_CODES, MESSAGES, describe, render
from qengine.location import SourceLocation, caret_excerpt

__all__ = ["FORM_CODES", "MESSAGES", "AnswerError", "Diagnostics", "FormError", "ParamError",
           "Problem", "QengineError", "SnapshotError", "SubmitError", "UnknownQuestionError",
           "describe", "render", "sorted_problems"]


class QengineError(Exception):
    """Base class of every error qengine raises."""


@attrs.frozen(slots=True)
class Problem:
    """One problem in a form file: where, what, a stable code, and its severity."""

    location: SourceLocation
    code: str
    message: str
    severity: str = "error"  # "error" or "warning"
    excerpt: str = ""

    def __str__(self) -> str:
        head = f"{self.location}: {self.severity}[{self.code}]: {self.message}"
        return f"{head}\n{self.excerpt}" if self.excerpt else head

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready data."""
        loc = self.location
        return {
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


class FormError(QengineError):
    """A form definition has problems; ``problems`` lists every one found, located."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._render())

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def _render(self) -> str:
        n = len(self.errors)
        head = f"{n} problem{'s' if n != 1 else ''} in form definition"
        return head + "\n" + "\n".join(str(p) for p in self.problems)


class Diagnostics:
    """Collects the problems of one form file; the single place that builds a :class:`Problem`."""

    def __init__(self, file: str, text: str | None = None) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._lines = text.splitlines() if text is not None else None

    def fail(
        self, loc: SourceLocation, code: str, message: str, severity: str = "error"
    ) -> None:
        """Record a problem at ``loc`` with the source line and a caret."""
        self.problems.append(
            Problem(loc, code, message, severity, caret_excerpt(self._lines, loc))
        )

    def warn(self, loc: SourceLocation, code: str, message: str) -> None:
        self.fail(loc, code, message, "warning")

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise FormError(sorted_problems(self.problems))


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.line, p.location.column))


class AnswerError(QengineError, ValueError):
    """An answer was refused; the interview is unchanged. ``code`` says why.

    ``key`` names the message in :data:`MESSAGES` (``range.below``; its code is the part before the
    dot) and ``args`` fills it; :meth:`messages` gives the message in each language asked for.
    """

    def __init__(self, question: str | None, key: str, **args: Any) -> None:
        self.question = question
        self.key = key
        self.code = key.split(".")[0]
        if "value" in args:
            args["value"] = describe(args["value"])
        self.args_ = {"question": question or "", **args}
        self.message = render(key, "en", self.args_)
        where = f"{question}: " if question else ""
        super().__init__(f"{where}{self.message} [{self.code}]")

    def messages(self, languages: Sequence[str]) -> dict[str, str]:
        """The message in each of ``languages`` (English where the catalogue has no text)."""
        return {lang: render(self.key, lang, self.args_) for lang in languages}


class SubmitError(QengineError):
    """Submission refused: ``code`` is ``unfinished`` (a question is still to be asked) or
    ``errors`` (an error-severity check holds; see ``violations``). Warnings never block."""

    def __init__(self, code: str, message: str, violations: Sequence[Any] = ()) -> None:
        self.code = code
        self.violations = tuple(violations)
        lines = [message, *(f"  - {v}" for v in self.violations)]
        super().__init__("\n".join(lines))


class SnapshotError(QengineError, ValueError):
    """A snapshot cannot be resumed: malformed, of another form or version, or inconsistent."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{message} [{code}]")


class ParamError(QengineError, ValueError):
    """A param override names no param of the form (``code`` ``unknown_param``), or has the wrong
    kind of value (``param_type``)."""

    def __init__(self, name: str, message: str, code: str = "param_type") -> None:
        self.name = name
        self.code = code
        super().__init__(f"param {name!r}: {message}")


class RecordError(QengineError, ValueError):
    """What was passed as a record is not one (a record is a mapping of question ids to answers)."""

    code = "not_a_record"

    def __init__(self, message: str, code: str = "not_a_record") -> None:
        self.code = code  # or cannot_migrate: an answer's question changed type
        super().__init__(f"{message} [{self.code}]")


class UnknownQuestionError(QengineError, KeyError):
    """A question id that the form does not have (also a ``KeyError``, as for a mapping)."""

    code = "unknown_question"

    def __init__(self, form: str, question: object) -> None:
        self.form = form
        self.question = question
        super().__init__(f"form {form} has no question {describe(question)}")

    def __str__(self) -> str:  # KeyError would add quotes around the whole message
        return str(self.args[0])
