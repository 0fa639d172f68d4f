"""Interview scripts and broken records: strategies that exercise a front end and a validator."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
from hypothesis import strategies as st

from qengine.analysis.explore import Explorer, compared_constants, default_answer, representatives
from qengine.runtime.form import Form
from qengine.runtime.interview import Interview
from qengine.testing.strategies import answers, records


# -- interview actions --------------------------------------------------------------------------
@attrs.frozen
class Answer:
    """Answer the current question with ``value``."""

    value: Any


@attrs.frozen
class Back:
    """Go back one question."""


@attrs.frozen
class Change:
    """Go back to the earlier question ``question`` and answer it with ``value``."""

    question: str
    value: Any


@attrs.frozen
class SnapshotResume:
    """Snapshot the interview to JSON text and resume from it."""


Action = Answer | Back | Change | SnapshotResume


@attrs.frozen
class InterviewScript:
    """A sequence of actions a front end could send, ending with every question answered.

    ``record`` is what :meth:`run` submits at the end.
    """

    record: dict[str, Any]
    actions: tuple[Action, ...]

    def run(self, form: Form, iv: Interview | None = None) -> Interview:
        """Apply every action to a new interview (or ``iv``) and return it, finished."""
        iv = form.start() if iv is None else iv
        for action in self.actions:
            iv = apply(form, iv, action)
        return iv


def apply(form: Form, iv: Interview, action: Action) -> Interview:
    """Apply one action; returns the interview to go on with (a new one after a resume)."""
    if isinstance(action, Answer):
        iv.answer(action.value)
    elif isinstance(action, Back):
        iv.back()
    elif isinstance(action, Change):
        iv.goto(action.question)
        iv.answer(action.value)
    else:
        iv = form.resume(json.loads(json.dumps(iv.snapshot(), ensure_ascii=False)))
    return iv


_MOVES = ("answer", "answer", "back", "change", "snapshot")


@st.composite
def _interviews(draw: st.DrawFn, form: Form, fixed: Mapping[str, Any],
                params: Mapping[str, Any]) -> InterviewScript:
    record = draw(records(form, fixed=fixed, params=params))
    iv = form.start(params=params or None)
    actions: list[Action] = []
    budget = 3 * len(form.questions) + 10
    while not iv.finished:
        q = iv.current
        assert q is not None
        move = draw(st.sampled_from(_MOVES), label="move") if len(actions) < budget else "answer"
        if move == "back" and iv.can_back:
            action: Action = Back()
        elif move == "change" and iv.history:
            qid = draw(st.sampled_from(iv.history), label="change")
            other = draw(answers(form.question(qid)), label="detour")
            # A detour: change an earlier answer, then change it back, as an enumerator would.
            for step in (Change(qid, other), Change(qid, record.get(qid))):
                actions.append(step)
                iv = apply(form, iv, step)
            continue
        elif move == "snapshot":
            action = SnapshotResume()
        else:
            action = Answer(record.get(q.id))
        actions.append(action)
        iv = apply(form, iv, action)
    return InterviewScript(record, tuple(actions))


def interviews(form: Form, *, fixed: Mapping[str, Any] | None = None,
               params: Mapping[str, Any] | None = None) -> st.SearchStrategy[InterviewScript]:
    """Scripts of interview actions (answer, back, change an earlier answer and back again,
    snapshot/resume) ending with the interview finished and ``script.record`` submittable."""
    if not isinstance(form, Form):
        raise TypeError(f"interviews() takes a compiled qengine Form, not {type(form).__name__}")
    resolved = form.resolve_params(params)
    overrides = {k: v for k, v in resolved.items() if form.params.get(k) != v}
    return _interviews(form, dict(fixed or {}), overrides)


# -- broken records -----------------------------------------------------------------------------
@attrs.frozen
class InvalidRecord:
    """A record with one known defect, and the error it must produce (and no other error)."""

    record: dict[str, Any]
    kind: str
    rule: str
    questions: tuple[str, ...]

    def matches(self, report: Any) -> bool:
        """True when ``report``'s errors are exactly the expected one."""
        return [(v.rule, v.questions) for v in report.errors] == [(self.rule, self.questions)]


KINDS = ("not_asked", "required", "choice", "type", "range", "check", "unknown_question")


def _candidates(form: Form, record: dict[str, Any], kind: str, quiet: set[str]
                ) -> list[tuple[dict[str, Any], str, tuple[str, ...]]]:
    """Every way to give ``record`` one defect of ``kind``: (record, rule, questions)."""
    path = form.path(record)
    asked = set(path)
    out: list[tuple[dict[str, Any], str, tuple[str, ...]]] = []
    for q in form.questions:
        if q.computed:
            continue
        plain = q.id in asked and q.id in quiet  # changing it moves no jump
        if kind == "not_asked" and q.id not in asked:
            out.append(({**record, q.id: default_answer(q)}, "not_asked", (q.id,)))
        elif kind == "required" and plain and q.required:
            out.append(({k: v for k, v in record.items() if k != q.id}, "required", (q.id,)))
        elif kind == "choice" and plain and q.choices:
            bad = max(c.code for c in q.choices) + 1
            out.append(({**record, q.id: [bad] if q.type == "multiple" else bad}, "choice",
                        (q.id,)))
        elif kind == "type" and plain:
            out.append(({**record, q.id: {"not": "an answer"}}, "type", (q.id,)))
        elif kind == "range" and plain and q.type in ("integer", "money", "year") and (
                q.min is not None or q.type in ("money", "year")):
            low = q.min if q.min is not None else (0 if q.type == "money" else 1900)
            out.append(({**record, q.id: low - 1}, "range", (q.id,)))
    if kind == "unknown_question":
        out.append(({**record, "no_such_question": 1}, "unknown_question", ("no_such_question",)))
    return out


def _check_candidates(form: Form, record: dict[str, Any], explorer: Explorer, quiet: set[str]
                      ) -> list[tuple[dict[str, Any], str, tuple[str, ...]]]:
    """Records where one error check fires: change one answer it names to a firing value."""
    constants = compared_constants(form)
    out = []
    for check in form.checks:
        if check.severity != "error":
            continue
        for qid in check.questions:
            q = form.question(qid)
            if q.computed or qid not in record or qid not in quiet:
                continue
            values, _exact = representatives(form, q, constants.get(qid, set()))
            if q.type in ("integer", "number", "money"):
                values += [0, 1, 10**6]
            for value in values:
                broken = {**record, qid: value}
                report = form.validate(broken)
                if [(v.rule, v.questions) for v in report.errors] == [(check.id, check.questions)]:
                    out.append((broken, check.id, check.questions))
                    break
    return out


@st.composite
def _invalid_records(draw: st.DrawFn, form: Form, kinds: tuple[str, ...]) -> InvalidRecord:
    record = draw(records(form))
    explorer = Explorer(form)
    quiet = {q.id for q in form.questions} - explorer.branching
    kind = draw(st.sampled_from(kinds), label="kind")
    order = [kind, *[k for k in kinds if k != kind]]
    for k in order:
        found = (_check_candidates(form, record, explorer, quiet) if k == "check"
                 else _candidates(form, record, k, quiet))
        if found:
            broken, rule, questions = draw(st.sampled_from(found), label="defect")
            return InvalidRecord(broken, k, rule, questions)
    raise AssertionError("unreachable: unknown_question always applies")  # pragma: no cover


def invalid_records(form: Form, *, kinds: tuple[str, ...] = KINDS
                    ) -> st.SearchStrategy[InvalidRecord]:
    """Records with exactly one known defect, each paired with the error it must produce.

    Kinds: an answer to a skipped question (``not_asked``), a missing required answer
    (``required``), a code not in the list (``choice``), a wrong type (``type``), a number out of
    range (``range``), an error check that fires (``check``), an unknown key.
    """
    if not isinstance(form, Form):
        raise TypeError(f"invalid_records() takes a compiled qengine Form, not "
                        f"{type(form).__name__}")
    unknown = set(kinds) - set(KINDS)
    if not kinds or unknown:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}; unknown: {unknown}")
    if "unknown_question" not in kinds:
        kinds = (*kinds, "unknown_question")  # the fallback that always applies
    return _invalid_records(form, tuple(kinds))
