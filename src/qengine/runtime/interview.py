"""An interview: one respondent going through a compiled form, question by question.

The state is a frozen value; every move (answer, back, forward) builds a new one, so a refused answer
leaves nothing half-changed, and back, snapshot and resume are exact. Answers are never thrown
away: an answer that a changed earlier answer makes unasked is kept (out of the record), and comes
back if the earlier answer is changed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from qengine.errors import AnswerError, SnapshotError, SubmitError
from qengine.runtime.form import Question, Violation, _Findings

if TYPE_CHECKING:
    from qengine.runtime.form import Form

SNAPSHOT_FORMAT = 1
_ABSENT: Any = object()


@attrs.frozen(slots=True)
class State:
    """Where an interview stands.

    ``answers`` holds every answer given (blank ones as None), asked or not. ``history`` holds the
    questions confirmed so far, in order; ``frontiers[i]`` is the index the jumps had skipped to
    after ``history[i]``. ``env`` is params plus the confirmed answers: what jumps look at.
    """

    answers: Mapping[str, Any]
    history: tuple[str, ...]
    frontiers: tuple[int, ...]
    env: Mapping[str, Any]
    cursor: int


class Interview(_Findings):
    """Drives one interview. Get one from :meth:`Form.start` or :meth:`Form.resume`.

    Inside, the interview keeps plain dicts and lists and an undo log, so a step costs the same
    on a 10,000-question form as on a small one; :attr:`state` hands out a frozen copy.
    """

    def __init__(self, form: Form, params: dict[str, Any]) -> None:
        self.form = form
        self._params = params
        self._answers: dict[str, Any] = {}
        self._history: list[str] = []
        self._frontiers: list[int] = []
        self._undo: list[Any] = []  # the env value each history entry replaced (or _ABSENT)
        self._env: dict[str, Any] = dict(params)
        self._cursor = form._next_index(0)

    # -- reading -------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current state, as a frozen value: compare it, keep it, ``restore`` it."""
        return State(MappingProxyType(dict(self._answers)), tuple(self._history),
                     tuple(self._frontiers), MappingProxyType(dict(self._env)), self._cursor)

    def restore(self, state: State) -> None:
        """Go back to a state this interview (or another of the same form) was in."""
        self._answers = dict(state.answers)
        self._history = list(state.history)
        self._frontiers = list(state.frontiers)
        self._env = dict(state.env)
        # Rebuild the undo log: before each confirmed answer, that question had no env value.
        self._undo = [_ABSENT] * len(self._history)
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
        """Every answer given, including those the current answers make unasked."""
        return dict(self._answers)

    def suggested(self) -> Any:
        """The answer kept for the current question (from before a ``back``), or None."""
        q = self.current
        return None if q is None else self._answers.get(q.id)

    def _view(self) -> tuple[list[str], dict[str, Any]]:
        env = dict(self._params)
        path = self.form._walk(self._answers, env, None)
        return path, env

    @property
    def answers(self) -> dict[str, Any]:
        """The answers on the current path (what would be submitted), computed values included."""
        path, env = self._view()
        return self.form._output(path, env, self._answers)

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The checks that hold on the current answers (errors and warnings)."""
        _path, env = self._view()
        problems: list[Violation] = []
        self.form._run_checks(env, problems)
        return tuple(problems)

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
        steps = self.form._steps
        cursor = self._cursor
        if cursor >= len(steps):
            raise AnswerError(None, "finished", "the interview is finished; nothing is asked")
        step = steps[cursor]
        qid = step.id
        normalised = step.coerce(value)  # may raise: nothing has changed yet
        if normalised is None and step.required:
            raise AnswerError(qid, "required", f"{qid} is required; it cannot be blank")
        env = self._env
        previous = env.get(qid, _ABSENT)
        if normalised is None:
            env.pop(qid, None)
        else:
            env[qid] = normalised
        frontier = self._frontiers[-1] if self._frontiers else 0
        try:
            for guard, target in step.jumps:
                if guard(env):
                    frontier = target
                    break
        except Exception:  # pragma: no cover - compiled guards are total; stay consistent anyway
            self._put_back(qid, previous)
            raise
        self._answers[qid] = normalised
        self._history.append(qid)
        self._frontiers.append(frontier)
        self._undo.append(previous)
        self._cursor = self.form._next_index(max(cursor + 1, frontier))
        return self.current

    def _put_back(self, qid: str, previous: Any) -> None:
        if previous is _ABSENT:
            self._env.pop(qid, None)
        else:
            self._env[qid] = previous

    def back(self) -> Question | None:
        """Go back to the previous asked question (its answer is kept); returns it.

        At the first question nothing changes and None is returned (see ``can_back``).
        """
        if not self._history:
            return None
        qid = self._history.pop()
        self._frontiers.pop()
        self._put_back(qid, self._undo.pop())
        self._cursor = self.form.question(qid).index
        return self.current

    def forward(self) -> Question | None:
        """Confirm the answer kept for the current question and move on (after a ``back``)."""
        q = self.current
        if q is None:
            raise AnswerError(None, "finished", "the interview is finished; nothing is asked")
        if q.id not in self._answers:
            raise AnswerError(q.id, "no_answer", f"{q.id} has no kept answer to move forward with")
        return self.answer(self._answers[q.id])

    def goto(self, qid: str) -> Question | None:
        """Go back to an earlier asked question ``qid`` (a series of ``back``)."""
        if qid not in self._history:
            raise AnswerError(qid, "not_in_history", f"{qid} has not been asked in this interview")
        while self.current is None or self.current.id != qid:
            self.back()
        return self.current

    def submit(self) -> dict[str, Any]:
        """The completed record. :class:`SubmitError` while unfinished or while an error holds;
        warnings never block."""
        q = self.current
        if q is not None:
            raise SubmitError(f"the interview is not finished: {q.id} is still to be asked")
        errors = self.errors
        if errors:
            raise SubmitError(f"{len(errors)} error(s) block submission", errors)
        return self.answers

    # -- snapshot and resume -------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The interview as JSON-ready data; :meth:`Form.resume` restores it exactly."""
        form = self.form
        overrides = {k: v for k, v in self._params.items() if form.params.get(k) != v}
        return {"qengine_snapshot": SNAPSHOT_FORMAT, "form": form.id, "version": form.version,
                "params": overrides, "answers": dict(self._answers),
                "history": list(self._history)}

    @classmethod
    def from_snapshot(cls, form: Form, snap: Any) -> Interview:
        """Rebuild an interview from :meth:`snapshot` data (see :meth:`Form.resume`)."""
        if not isinstance(snap, Mapping) or snap.get("qengine_snapshot") != SNAPSHOT_FORMAT:
            raise SnapshotError("not_a_snapshot", "not a qengine snapshot (format "
                                f"{SNAPSHOT_FORMAT})")
        if snap.get("form") != form.id:
            raise SnapshotError("other_form", f"the snapshot is of form {snap.get('form')!r}, "
                                f"not {form.id!r}")
        if snap.get("version") != form.version:
            raise SnapshotError("other_version", f"the snapshot is of version "
                                f"{snap.get('version')!r} of {form.id}, this form is version "
                                f"{form.version!r}")
        answers, history, params = snap.get("answers"), snap.get("history"), snap.get("params", {})
        if not isinstance(answers, Mapping) or not isinstance(history, list) or not isinstance(
                params, Mapping):
            raise SnapshotError("malformed", "a snapshot needs 'answers' (a mapping), 'history' "
                                "(a list) and 'params' (a mapping)")
        try:
            iv = cls(form, form.resolve_params(params))
        except Exception as exc:  # ParamError
            raise SnapshotError("bad_params", str(exc)) from None
        for qid in history:
            current = iv.current
            if current is None or qid != current.id:
                at = current.id if current else "the end"
                raise SnapshotError("inconsistent", f"history names {qid!r} where the form asks "
                                    f"{at}")
            if qid not in answers:
                raise SnapshotError("inconsistent", f"history names {qid!r} but it has no answer")
            try:
                iv.answer(answers[qid])
            except AnswerError as exc:
                raise SnapshotError("bad_answer", f"answer to {qid!r} is refused: {exc}") from None
        kept = iv._answers
        for qid, value in answers.items():
            if qid in kept:
                continue
            try:
                q = form.question(qid)
            except KeyError:
                raise SnapshotError("unknown_question", f"{qid!r} is not a question of "
                                    f"{form.id}") from None
            step = form._steps[q.index]
            try:
                kept[qid] = step.coerce(value)
            except AnswerError as exc:
                raise SnapshotError("bad_answer", f"kept answer to {qid!r} is refused: {exc}"
                                    ) from None
        return iv
