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

from .exceptions import AnswerError, SnapshotError, SubmitError
from .runtime import Question, Violation

if TYPE_CHECKING:
    from .runtime import Form

SNAPSHOT_FORMAT = 1


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


class Interview:
    """Drives one interview. Get one from :meth:`Form.start` or :meth:`Form.resume`."""

    def __init__(self, form: Form, params: dict[str, Any]) -> None:
        self.form = form
        self._params = params
        self._state = State(MappingProxyType({}), (), (), MappingProxyType(dict(params)),
                            form._next_index(0))

    # -- reading -------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current state (a frozen value: compare, keep, or restore it with ``restore``)."""
        return self._state

    def restore(self, state: State) -> None:
        """Go back to a state this interview (or another of the same form) was in."""
        self._state = state

    @property
    def params(self) -> Mapping[str, Any]:
        return MappingProxyType(self._params)

    @property
    def current(self) -> Question | None:
        """The question to ask now; None when every question has been asked."""
        cursor = self._state.cursor
        steps = self.form._steps
        return self.form.question(steps[cursor].id) if cursor < len(steps) else None

    @property
    def finished(self) -> bool:
        return self._state.cursor >= len(self.form._steps)

    @property
    def history(self) -> tuple[str, ...]:
        """The ids asked and answered so far, in order."""
        return self._state.history

    @property
    def can_back(self) -> bool:
        return bool(self._state.history)

    @property
    def kept(self) -> dict[str, Any]:
        """Every answer given, including those the current answers make unasked."""
        return dict(self._state.answers)

    def suggested(self) -> Any:
        """The answer kept for the current question (from before a ``back``), or None."""
        q = self.current
        return None if q is None else self._state.answers.get(q.id)

    def _view(self) -> tuple[list[str], dict[str, Any]]:
        env = dict(self._params)
        path = self.form._walk(self._state.answers, env, None)
        return path, env

    @property
    def answers(self) -> dict[str, Any]:
        """The answers on the current path (what would be submitted), computed values included."""
        path, env = self._view()
        return self.form._output(path, env, self._state.answers)

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The checks that hold on the current answers (errors and warnings)."""
        _path, env = self._view()
        problems: list[Violation] = []
        self.form._run_checks(env, problems)
        return tuple(problems)

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")

    def __repr__(self) -> str:
        q = self.current
        at = q.id if q else "finished"
        return f"<Interview {self.form.id} at {at}, {len(self._state.history)} answered>"

    # -- moving --------------------------------------------------------------------------------
    def answer(self, value: Any) -> Question | None:
        """Answer the current question and move on; returns the next question (None at the end).

        A bad value raises :class:`AnswerError` and changes nothing. ``None`` leaves an optional
        question blank and is refused for a required one.
        """
        st = self._state
        steps = self.form._steps
        if st.cursor >= len(steps):
            raise AnswerError(None, "finished", "the interview is finished; nothing is asked")
        step = steps[st.cursor]
        normalised = step.coerce(value)
        if normalised is None and step.required:
            raise AnswerError(step.id, "required", f"{step.id} is required; it cannot be blank")
        env = dict(st.env)
        if normalised is None:
            env.pop(step.id, None)
        else:
            env[step.id] = normalised
        frontier = st.frontiers[-1] if st.frontiers else 0
        for guard, target in step.jumps:
            if guard(env):
                frontier = target
                break
        answers = dict(st.answers)
        answers[step.id] = normalised
        self._state = State(MappingProxyType(answers), (*st.history, step.id),
                            (*st.frontiers, frontier), MappingProxyType(env),
                            self.form._next_index(max(st.cursor + 1, frontier)))
        return self.current

    def back(self) -> Question | None:
        """Go back to the previous asked question (its answer is kept); returns it.

        At the first question nothing changes and None is returned (see ``can_back``).
        """
        st = self._state
        if not st.history:
            return None
        qid = st.history[-1]
        env = dict(st.env)
        env.pop(qid, None)
        self._state = State(st.answers, st.history[:-1], st.frontiers[:-1],
                            MappingProxyType(env), self.form.question(qid).index)
        return self.current

    def forward(self) -> Question | None:
        """Confirm the answer kept for the current question and move on (after a ``back``)."""
        q = self.current
        if q is None:
            raise AnswerError(None, "finished", "the interview is finished; nothing is asked")
        if q.id not in self._state.answers:
            raise AnswerError(q.id, "no_answer", f"{q.id} has no kept answer to move forward with")
        return self.answer(self._state.answers[q.id])

    def goto(self, qid: str) -> Question | None:
        """Go back to an earlier asked question ``qid`` (a series of ``back``)."""
        if qid not in self._state.history:
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
                "params": overrides, "answers": dict(self._state.answers),
                "history": list(self._state.history)}

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
        kept = dict(iv._state.answers)
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
        st = iv._state
        iv._state = State(MappingProxyType(kept), st.history, st.frontiers, st.env, st.cursor)
        return iv
