"""An interview: one respondent going through a form, question by question.

A refused answer leaves nothing half-changed, and back, snapshot and resume are exact. Answers are
never thrown away: an answer that a changed earlier answer makes unasked is kept (out of the
record), and comes back if the earlier answer is changed back. Everything handed out is a copy or
immutable: nothing a caller holds can change the interview.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from qengine.errors import AnswerError, ParamError, SnapshotError, SubmitError, describe
from qengine.runtime.events import Clock, EventLog
from qengine.runtime.results import Findings, Violation
from qengine.runtime.values import ACCEPT_CODE, ACCEPT_INT, ACCEPT_TEXT

if TYPE_CHECKING:
    from qengine.runtime.form import Form, Question
    from qengine.runtime.migrate import Migration

SNAPSHOT_FORMAT = 1


def _frozen(value: Any) -> Any:
    return tuple(value) if type(value) is list else value


def _thawed(value: Any) -> Any:
    return list(value) if type(value) is tuple else value


@attrs.frozen(slots=True)
class State:
    """Where an interview stands, as an immutable value (multiple choices as tuples).

    ``answers`` holds every answer given (blank ones as None), asked or not. ``history`` holds the
    questions confirmed so far, in order; ``frontiers[i]`` is the index the jumps had skipped to
    after ``history[i]``. ``env`` is params plus the confirmed answers: what jumps look at.
    """

    answers: Mapping[str, Any]
    history: tuple[str, ...]
    frontiers: tuple[int, ...]
    env: Mapping[str, Any]
    cursor: int


class Interview(Findings):
    """Drives one interview. Get one from :meth:`Form.start` or :meth:`Form.resume`.

    Inside, the interview keeps plain dicts and lists, so a step costs the same on a 10,000-question
    form as on a small one; :attr:`state` hands out a frozen copy.
    """

    def __init__(self, form: Form, params: dict[str, Any], clock: Clock | None = None) -> None:
        self.form = form
        self._log = EventLog(clock)
        self._acknowledged: dict[str, str] = {}
        self._params = params
        self._answers: dict[str, Any] = {}
        self._history: list[str] = []
        self._frontiers: list[int] = []
        self._env: dict[str, Any] = dict(params)
        self._cursor = form.next_relevant(0, self._env) if form.has_relevance else (
            form.next_asked(0))
        #: what migrating it from an older version did (:meth:`Form.resume` with migrate=True)
        self.migration: Migration | None = None
        self._plan = form.interview_plan  # the form's, read on every step
        self._asked_from = form.asked_from

    # -- reading -------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current state, as a frozen value: compare it, keep it, ``restore`` it."""
        return State(MappingProxyType({k: _frozen(v) for k, v in self._answers.items()}),
                     tuple(self._history), tuple(self._frontiers),
                     MappingProxyType({k: _frozen(v) for k, v in self._env.items()}), self._cursor)

    def restore(self, state: State) -> None:
        """Go back to a state this interview (or another of the same form) was in."""
        self._answers = {k: _thawed(v) for k, v in state.answers.items()}
        self._history = list(state.history)
        self._frontiers = list(state.frontiers)
        self._env = {k: _thawed(v) for k, v in state.env.items()}
        self._cursor = state.cursor

    @property
    def params(self) -> Mapping[str, Any]:
        return MappingProxyType(self._params)

    @property
    def current(self) -> Question | None:
        """The question to ask now; None when every question has been asked."""
        cursor = self._cursor
        questions = self.form.questions
        return questions[cursor] if cursor < len(questions) else None

    @property
    def finished(self) -> bool:
        return self._cursor >= len(self.form.questions)

    @property
    def history(self) -> tuple[str, ...]:
        """The ids asked and answered so far, in order."""
        return tuple(self._history)

    @property
    def can_back(self) -> bool:
        return bool(self._history)

    @property
    def kept(self) -> dict[str, Any]:
        """Every answer given, including those the current answers make unasked (copies)."""
        return {k: _thawed(_frozen(v)) for k, v in self._answers.items()}

    def suggested(self) -> Any:
        """The answer kept for the current question (from before a ``back``), or None."""
        q = self.current
        return None if q is None else _thawed(_frozen(self._answers.get(q.id)))

    @property
    def answers(self) -> dict[str, Any]:
        """The answers on the current path (what would be submitted), computed values included."""
        return self.form.walk(self._answers, self._params).record()

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The checks that hold on the current answers (errors and warnings)."""
        return tuple(self.form.run_checks(self.form.walk(self._answers, self._params).env))

    def __repr__(self) -> str:
        q = self.current
        at = q.id if q else "finished"
        return f"<Interview {self.form.id} at {at}, {len(self._history)} answered>"

    # -- moving --------------------------------------------------------------------------------
    def answer(self, value: Any) -> Question | None:
        """Answer the current question and move on; returns the next question (None at the end).

        A bad value raises :class:`AnswerError` and changes nothing. ``None`` leaves an optional
        question blank and is refused for a required one.
        """
        cursor = self._cursor
        plan = self._plan
        if cursor >= len(plan):
            raise AnswerError(None, "finished")
        qid, entered, required, route, _question, table, kind, a, b = plan[cursor]
        # what the coercer would return unchanged is taken at once (values.accepts)
        if (kind == ACCEPT_CODE and type(value) is int and value in a) or (
                kind == ACCEPT_INT and type(value) is int and a <= value <= b) or (
                kind == ACCEPT_TEXT and type(value) is str and value.strip() and len(value) <= a
                and value.isprintable()):
            normalised = value
        else:
            normalised = entered(value)  # may raise: nothing has changed yet
        at = self._log.stamp()  # a clock that fails does so before anything changes
        env = self._env
        if normalised is None:
            if required:
                raise AnswerError(qid, "required.blank")
            env.pop(qid, None)
        else:
            env[qid] = normalised
        frontiers = self._frontiers
        frontier = frontiers[-1] if frontiers else 0
        if table is not None:  # jumps written `q == code`: the route is one lookup
            hit = table.get(normalised) if type(normalised) is int else None
            if hit is not None:
                frontier = hit[1]
        elif route is not None:
            hit = route(env)
            if hit is not None:
                frontier = hit[1]
        if at is not None:
            previous = self._answers.get(qid, normalised)
            changed = previous != normalised or type(previous) is not type(normalised)
            self._log.put(("changed" if changed else "answered", at, qid,
                           list(normalised) if type(normalised) is list else normalised))
        self._answers[qid] = normalised
        self._history.append(qid)
        frontiers.append(frontier)
        if self.form.has_relevance:
            cursor = self._cursor = self.form.next_relevant(
                frontier if frontier > cursor else cursor + 1, env)
        else:
            cursor = self._cursor = self._asked_from[frontier if frontier > cursor else cursor + 1]
        return plan[cursor][4] if cursor < len(plan) else None

    def back(self) -> Question | None:
        """Go back to the previous asked question (its answer is kept); returns it.

        At the first question nothing changes and None is returned (see ``can_back``).
        """
        if not self._history:
            return None
        at = self._log.stamp()  # before anything changes
        qid = self._history.pop()
        self._frontiers.pop()
        self._env.pop(qid, None)  # a question enters env only when confirmed, once
        self._cursor = self.form.question(qid).index
        if at is not None:
            self._log.put(("went_back", at, qid))
        return self.current

    def keep(self, answers: Mapping[str, Any]) -> None:
        """Keep ``answers`` for questions not confirmed yet (offered as :meth:`suggested`, confirmed
        by :meth:`forward`); each is converted as :meth:`answer` converts it, all or nothing."""
        converted = {}
        for qid, value in answers.items():
            q = self.form.question(qid)  # UnknownQuestionError for an unknown id
            if q.computed:
                raise AnswerError(qid, "computed")
            if qid in self._history:  # confirmed: change it by going back to it
                raise AnswerError(qid, "keep.confirmed")
            converted[qid] = None if value is None else self.form.steps[q.index].entered(value)
        self._answers.update(converted)

    def forward(self) -> Question | None:
        """Confirm the answer kept for the current question and move on (after a ``back``)."""
        q = self.current
        if q is None:
            raise AnswerError(None, "finished")
        if q.id not in self._answers:
            raise AnswerError(q.id, "no_answer")
        return self.answer(self._answers[q.id])

    def goto(self, qid: str) -> Question | None:
        """Go back to an earlier asked question ``qid`` (a series of ``back``)."""
        if type(qid) is not str or qid not in self._history:  # a str subclass is described
            raise AnswerError(qid if type(qid) is str else describe(qid), "not_in_history")
        while self.current is None or self.current.id != qid:
            self.back()
        return self.current

    @property
    def events(self) -> list[dict[str, Any]]:
        """The audit trail, oldest first (copies): see :mod:`qengine.runtime.events`."""
        return self._log.copy()

    @property
    def acknowledged(self) -> dict[str, str]:
        """The warnings acknowledged so far: check id to the reason given (a copy)."""
        return dict(self._acknowledged)

    def acknowledge(self, rule: str, reason: str) -> None:
        """Let warning ``rule`` through for ``reason`` (a text of 1 to 1000 characters); it must
        hold on the current answers. The submitted record carries it under ``_meta``. A warning
        whose check says ``acknowledge: required`` cannot be submitted without one."""
        from qengine.runtime.form import MAX_REASON

        form = self.form
        if type(rule) is not str or rule not in {c.id for c in form.checks
                                                 if c.severity == "warning"}:
            raise AnswerError(rule if type(rule) is str else describe(rule), "acknowledge.unknown")
        if type(reason) is not str or not reason.strip() or len(reason) > MAX_REASON:
            raise AnswerError(rule, "acknowledge.reason")
        if rule not in {v.rule for v in self.violations if v.severity == "warning"}:
            raise AnswerError(rule, "acknowledge.not_holding")
        at = self._log.stamp()
        self._acknowledged[rule] = reason
        if at is not None:
            self._log.put(("acknowledged", at, rule, reason))

    def submit(self) -> dict[str, Any]:
        """The completed record. :class:`SubmitError` while unfinished, while an error holds, or
        while a warning that asks for a reason (``acknowledge: required``) has none; other warnings
        never block. Acknowledged warnings that hold go into the record under ``_meta``."""
        q = self.current
        if q is not None:
            raise SubmitError("unfinished", f"the interview is not finished: {q.id} is still to "
                              "be asked")
        walked = self.form.walk(self._answers, self._params)  # one walk: the checks and the record
        found = self.form.run_checks(walked.env)
        errors = tuple(v for v in found if v.severity == "error")
        if errors:
            raise SubmitError("errors", f"{len(errors)} error(s) block submission", errors)
        holding = {v.rule for v in found if v.severity == "warning"}
        missing = tuple(v for v in found if v.rule in holding - self._acknowledged.keys()
                        and v.rule in self.form.acknowledge_required)
        if missing:
            raise SubmitError("unacknowledged", f"{len(missing)} warning(s) need a reason "
                              "(Interview.acknowledge) before submission", missing)
        at = self._log.stamp()
        record = walked.record()
        given = {rule: reason for rule, reason in self._acknowledged.items() if rule in holding}
        if given:
            record["_meta"] = {"acknowledged": given}
        if at is not None:
            self._log.put(("submitted", at))
        return record

    # -- snapshot and resume -------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The interview as JSON-ready data (copies); :meth:`Form.resume` restores it exactly."""
        form = self.form
        overrides = {k: v for k, v in self._params.items() if form.params.get(k) != v}
        out = {"qengine_snapshot": SNAPSHOT_FORMAT, "form": form.id, "version": form.version,
               "params": overrides, "answers": self.kept, "history": list(self._history),
               "acknowledged": dict(self._acknowledged), "events": self._log.copy(),
               "events_dropped": self._log.dropped}
        return out

    @classmethod
    def from_snapshot(cls, form: Form, snap: Any, clock: Clock | None = None, *,
                      resumed_event: bool = True) -> Interview:
        """Rebuild an interview from :meth:`snapshot` data (see :meth:`Form.resume`); without
        ``resumed_event`` the trail does not record the resume (a server that rebuilds each
        interview from its stored snapshot on every request)."""
        version, answers, history, params = snapshot_parts(form, snap)
        if version != form.version:
            raise SnapshotError("other_version", f"the snapshot is of version "
                                f"{describe(version)} of {form.id}, this form is "
                                f"version {form.version!r}")
        try:
            iv = cls(form, form.resolve_params(params), clock)
        except ParamError as exc:
            raise SnapshotError("bad_params", str(exc)) from None
        iv._log.paused = True  # the replay below is not news: the snapshot has its events
        for qid in history:
            current = iv.current
            if current is None or type(qid) is not str or qid != current.id:
                at = current.id if current else "the end"
                raise SnapshotError("inconsistent", f"history names {describe(qid)} where the "
                                    f"form asks {at}")
            if qid not in answers:
                raise SnapshotError("inconsistent", f"history names {qid!r} but it has no answer")
            try:
                iv.answer(answers[qid])
            except AnswerError as exc:
                raise SnapshotError("bad_answer", f"answer to {qid!r} is refused: {exc}") from None
        for qid, value in answers.items():
            if qid in iv._answers:
                continue
            try:
                step = form.steps[form.question(qid).index]
            except KeyError:
                raise SnapshotError("unknown_question", f"{describe(qid)} is not a question of "
                                    f"{form.id}") from None
            try:
                iv._answers[qid] = step.entered(value)
            except AnswerError as exc:
                raise SnapshotError("bad_answer", f"kept answer to {qid!r} is refused: {exc}"
                                    ) from None
        iv.restore_trail(snap)
        if resumed_event:
            iv.note_resumed()
        return iv

    def pause_trail(self, paused: bool) -> None:
        """Stop (or start again) recording events: a replay of earlier answers is not news."""
        self._log.paused = paused

    def note_resumed(self, **fields: Any) -> None:
        """Record that the interview was resumed (with ``fields``, e.g. ``migrated_from``)."""
        self._log.add("resumed", version=self.form.version, **fields)

    def restore_trail(self, snap: Mapping[str, Any]) -> None:
        """Take a snapshot's acknowledgements and events (both optional: older snapshots lack
        them); :class:`SnapshotError` when they are malformed."""
        from qengine.runtime.form import MAX_REASON

        acknowledged = snap.get("acknowledged", {})
        warnings = {c.id for c in self.form.checks if c.severity == "warning"}
        if not isinstance(acknowledged, Mapping) or not all(
                type(k) is str and k in warnings and type(v) is str and v.strip()
                and len(v) <= MAX_REASON for k, v in acknowledged.items()):
            raise SnapshotError("malformed", "'acknowledged' maps warnings of the form to "
                                f"reasons of 1 to {MAX_REASON} characters")
        why = self._log.restore(snap.get("events", []), snap.get("events_dropped", 0))
        if why is not None:
            raise SnapshotError("malformed", why)
        self._acknowledged = dict(acknowledged)
        self._log.paused = False


def snapshot_parts(form: Form, snap: Any) -> tuple[Any, Mapping[str, Any], list[Any],
                                                   Mapping[str, Any]]:
    """The version, answers, history and params of a snapshot of ``form`` (of any version);
    :class:`SnapshotError` when it is no snapshot, is of another form, or is malformed."""
    if not isinstance(snap, Mapping) or type(snap.get("qengine_snapshot")) is not int or (
            snap.get("qengine_snapshot") != SNAPSHOT_FORMAT):
        raise SnapshotError("not_a_snapshot", f"not a qengine snapshot (format {SNAPSHOT_FORMAT})")
    # exact types first: a snapshot's fields are JSON, and no object's own == is called
    if type(snap.get("form")) is not str or snap.get("form") != form.id:
        raise SnapshotError("other_form", f"the snapshot is of form "
                            f"{describe(snap.get('form'))}, not {form.id!r}")
    version = snap.get("version")
    if type(version) is not str:
        raise SnapshotError("other_version", f"the snapshot is of version {describe(version)} "
                            f"of {form.id}, this form is version {form.version!r}")
    answers, history, params = snap.get("answers"), snap.get("history"), snap.get("params", {})
    if not isinstance(answers, Mapping) or not isinstance(history, list) or not isinstance(
            params, Mapping):
        raise SnapshotError("malformed", "a snapshot needs 'answers' (a mapping) and "
                            "'history' (a list); 'params', if given, is a mapping")
    return version, answers, history, params
