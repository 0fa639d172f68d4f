"""The library's exception types. Every error qengine raises is a :class:`QengineError`.

Two tiers, as in fastjsonschema: :class:`FormError` for a bad form definition (found when a form is
loaded, every problem at once), and the run-time errors for bad answers, snapshots and params.
Tests and tools match on the stable ``code`` attributes, never on message wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from qengine.location import SourceLocation, caret_excerpt

if TYPE_CHECKING:
    from qengine.runtime.form import Violation


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
    """An answer was refused; the interview is unchanged. ``code`` says why."""

    def __init__(self, question: str | None, code: str, message: str) -> None:
        self.question = question
        self.code = code
        self.message = message
        where = f"{question}: " if question else ""
        super().__init__(f"{where}{message} [{code}]")


class SubmitError(QengineError):
    """Submission refused: unfinished, or an error-severity check holds (see ``violations``)."""

    def __init__(self, message: str, violations: Sequence[Violation] = ()) -> None:
        self.violations = tuple(violations)
        lines = [message, *(f"  - {v}" for v in self.violations)]
        super().__init__("\n".join(lines))


class SnapshotError(QengineError, ValueError):
    """A snapshot cannot be resumed: malformed, of another form or version, or inconsistent."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{message} [{code}]")


class ParamError(QengineError, ValueError):
    """A param override names no param of the form, or has the wrong kind of value."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(f"param {name!r}: {message}")


class UnknownQuestionError(QengineError, KeyError):
    """A question id that the form does not have (also a ``KeyError``, as for a mapping)."""

    def __init__(self, form: str, question: object) -> None:
        self.form = form
        self.question = question
        super().__init__(f"form {form} has no question {question!r}")

    def __str__(self) -> str:  # KeyError would add quotes around the whole message
        return str(self.args[0])
