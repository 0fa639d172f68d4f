"""What the runtime hands out: violations, reports, checks, the edges and asked-conditions of a
form's state machine. Plain frozen values, JSON-ready through ``to_dict``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from qengine.location import SourceLocation

if TYPE_CHECKING:
    from qengine.runtime.walk import Walk


@attrs.frozen(slots=True)
class Violation:
    """A broken rule: a check (``rule`` is its id) or a built-in one (``required``, ``not_asked``,
    ``type``, ``choice``, ``range``, ``format``, ``unknown_question``, ``not_a_record`` …; see
    ``qengine.errors.MESSAGES``). ``message`` is in the form's first language, ``messages`` in each."""

    rule: str
    severity: str
    questions: tuple[str, ...]
    message: str
    messages: Mapping[str, str] = attrs.field(eq=False, repr=False, factory=dict)

    def __str__(self) -> str:
        where = ", ".join(self.questions)
        return f"{self.severity} {self.rule} [{where}]: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "questions": list(self.questions),
                "message": self.message, "messages": dict(self.messages)}


class Findings:
    """``errors`` and ``warnings`` split out of ``violations`` (for reports and interviews)."""

    __slots__ = ()
    violations: tuple[Violation, ...]

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")


class Report(Findings):
    """The result of :meth:`Form.validate`: ``ok`` is true when no error holds."""

    __slots__ = ("_walk", "violations")

    def __init__(self, violations: list[Violation], walk: Walk | tuple[Any, ...] | None) -> None:
        """``walk`` is the walk of the record, or ``(function, *arguments)`` that makes it when
        ``path`` or ``record`` is first asked for (validation itself never needs them)."""
        self.violations: tuple[Violation, ...] = tuple(violations)
        self._walk = walk

    @classmethod
    def of(cls, violations: list[Violation], *, path: list[str] | None = None,
           record: dict[str, Any] | None = None) -> Report:
        """A report of ``violations`` alone, with the ``path`` and canonical ``record`` already
        known (a worker process sends them back), or none: for input that is not a record at all
        (a line of a batch that is not JSON) nothing was asked and the record is empty."""
        return cls(violations, _Known(path or [], record or {}))

    def _walked(self) -> Any:
        walk = self._walk
        if type(walk) is tuple:
            make, *arguments = walk
            walk = self._walk = make(*arguments)
        return walk

    @property
    def ok(self) -> bool:
        for v in self.violations:  # noqa: SIM110 (a loop: no generator to make when empty)
            if v.severity == "error":
                return False
        return True

    @property
    def path(self) -> list[str]:
        """The ids asked for this record, in order."""
        walk = self._walked()
        return [] if walk is None else list(walk.path)

    @property
    def record(self) -> dict[str, Any]:
        """The canonical record: valid answers on the path (blank ones as None, ``[]`` for a
        multiple choice), in form order, then the computed values."""
        walk = self._walked()
        return {} if walk is None else walk.record(whole=True)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": [v.to_dict() for v in self.errors],
                "warnings": [v.to_dict() for v in self.warnings]}

    def __repr__(self) -> str:
        return f"<Report ok={self.ok} errors={len(self.errors)} warnings={len(self.warnings)}>"


class _Known:
    """The path and canonical record of a report, already known."""

    __slots__ = ("_record", "path")

    def __init__(self, path: list[str], record: dict[str, Any]) -> None:
        self.path = list(path)
        self._record = record

    def record(self, *, whole: bool = True) -> dict[str, Any]:  # known whole already
        return copy.deepcopy(self._record)


@attrs.frozen(slots=True)
class Check:
    """A check of a form: ``fires`` (a closure over an environment) says it is broken."""

    id: str
    severity: str
    kind: str  # "when" (fires when true) or "assert" (fires when false)
    questions: tuple[str, ...]  # questions named, in form order (for the violation)
    deps: tuple[str, ...]  # questions that must be answered for the check to apply
    messages: Mapping[str, str]
    source: str  # the rule, as text
    rule: Mapping[str, Any] = attrs.field(eq=False, repr=False)  # the IR
    fires: Callable[[dict[str, Any]], bool] = attrs.field(eq=False, repr=False)
    location: SourceLocation | None = attrs.field(eq=False, repr=False, default=None)
    #: a warning whose submission needs a reason (``acknowledge: required``)
    acknowledge: bool = False


@attrs.frozen(slots=True)
class Transition:
    """An edge of the form's state machine: from ``source`` to ``target`` when ``guard`` holds.

    ``guard`` is the rule text, or None for the fall-through edge taken when no jump fires.
    ``target`` is a question id, or ``"end"`` when no question follows.
    """

    source: str
    target: str
    guard: str | None
    location: SourceLocation | None = attrs.field(eq=False, repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "guard": self.guard}


@attrs.frozen(slots=True)
class Skip:
    """Part of a question's asked-condition: skipped when ``source`` is asked and its first
    firing jump is ``guard`` (pointing at ``target``, beyond the question)."""

    source: str
    guard: str
    target: str
    jump: int  # which jump of source (0-based, in declaration order)


@attrs.frozen(slots=True)
class AskedCondition:
    """When a question is asked: unless one of ``skips`` applies, and only while every rule of
    ``ask_if`` holds (its section's ask_if, then its own, as text)."""

    question: str
    skips: tuple[Skip, ...]
    ask_if: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.skips and not self.ask_if:
            return f"{self.question}: always asked"
        out = f"{self.question}: asked"
        if self.skips:
            parts = [f"({s.source} asked and jumps on `{s.guard}` to {s.target})"
                     for s in self.skips]
            out += " unless " + " or ".join(parts)
        if self.ask_if:
            out += (" and " if self.skips else " ") + "only if " + " and ".join(
                f"`{rule}`" for rule in self.ask_if)
        return out
