"""The jump rule, written once: what is asked, given the answers so far.

A question is asked unless an earlier asked question's first firing jump points past it, or its
``ask_if`` (its section's and its own, together its *relevance*) does not hold on the answers before
it. Each step gets a *route*, a closure that returns ``(jump number, index it lands on)`` for the
first jump whose guard holds, or None; :func:`walk` goes through a record with it, and the
interview, the explorer, coverage and the analysis all move with the same routes and
:func:`next_asked`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from qengine.errors import AnswerError

Env = dict[str, Any]
Guard = Callable[[Env], Any]
Route = Callable[[Env], "tuple[int, int] | None"]
Coercer = Callable[[Any], Any]
_MISSING: Any = object()


def make_route(jumps: Sequence[tuple[Guard, int]]) -> Route | None:
    """The route of a step's ``jumps`` ((guard, index of the target) in declaration order): the
    first jump whose guard holds wins."""
    if not jumps:
        return None
    if len(jumps) == 1:
        ((guard, target),) = jumps
        hit = (0, target)
        return lambda env: hit if guard(env) else None
    pairs = tuple((guard, (k, target)) for k, (guard, target) in enumerate(jumps))

    def route(env: Env) -> tuple[int, int] | None:
        for guard, hit in pairs:
            if guard(env):
                return hit
        return None

    return route


def code_table(jumps: Sequence[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """The jumps of a single choice written ``q == code`` ((code, index of the target) in
    declaration order) as a table from code to (jump number, target): the first jump wins."""
    table: dict[int, tuple[int, int]] = {}
    for k, (code, target) in enumerate(jumps):
        table.setdefault(code, (k, target))
    return table


def make_code_route(qid: str, table: Mapping[int, tuple[int, int]]) -> Route:
    """The route of a single choice whose every jump is ``qid == code``: one lookup."""
    get = table.get

    def route(env: Env) -> tuple[int, int] | None:
        value = env.get(qid)
        return get(value) if type(value) is int else None

    return route


@attrs.frozen(slots=True)
class Step:
    """What the runtime needs of one question, in form order (computed questions included)."""

    id: str
    index: int
    entered: Coercer  # converts entered text (Interview.answer, validate(coerce=True))
    strict: Coercer  # accepts a record's JSON types only
    required: bool
    multiple: bool
    jumps: tuple[tuple[Guard, int], ...]  # (guard, index of the target), in declaration order
    route: Route | None
    compute: Callable[[Env], Any] | None  # computed questions only
    none_ok: bool = False  # a multiple choice where [] answers "none of these"
    relevant: Guard | None = None  # its section's and its own ask_if, both; None: always


def next_asked(steps: Sequence[Step], start: int) -> int:
    """The index of the first asked (not computed) question at or after ``start``."""
    n = len(steps)
    while start < n and steps[start].compute is not None:
        start += 1
    return start


#: reports a problem of a record: (rule, question, the AnswerError or None)
OnProblem = Callable[[str, str, "AnswerError | None"], None]


class Walk:
    """One walk through a record: the ids asked (``path``), the values the rules saw (``env``:
    params, valid answers, computed values) and, per question with jumps, the jump taken."""

    __slots__ = ("env", "jumps", "multiple", "path", "source", "steps")

    def __init__(self, steps: Sequence[Step], source: Mapping[str, Any], env: Env) -> None:
        self.steps = steps
        self.source = source
        self.env = env
        self.path: list[str] = []
        self.jumps: list[tuple[str, int | None]] = []

    def record(self, *, whole: bool = False) -> dict[str, Any]:
        """The canonical record: the valid answers on the path (one left blank as None, ``[]``
        for a multiple choice), in form order, then the computed values; all copies. ``whole``
        gives every question on the path, those the record lacks or holds invalid as blanks
        (what a submit gives: a report's record); otherwise only the questions it names (an
        interview's answers so far)."""
        env, source = self.env, self.source
        steps = {s.id: s for s in self.steps}
        out: dict[str, Any] = {}
        for qid in self.path:
            if qid in env:
                value = env[qid]
                out[qid] = list(value) if type(value) is list else value
            elif whole or qid in source:  # a blank; [] of a none_ok question would be an answer
                step = steps[qid]
                out[qid] = [] if step.multiple and not step.none_ok else None
        for step in self.steps:
            if step.compute is not None and step.id in env:
                out[step.id] = env[step.id]
        return out


def walk(steps: Sequence[tuple[str, int, Coercer, bool, Route | None, Any, Guard | None]],
         all_steps: Sequence[Step], record: Mapping[str, Any], env: Env,
         on_problem: OnProblem | None) -> Walk:
    """Decide the path for ``record``, filling ``env`` with its valid answers and computed values.

    ``steps`` is the plan: (id, index, coercer, required, route, compute, relevant) per question, plain
    tuples because this is the hot loop of validation. With ``on_problem``, also reports missing,
    invalid and unasked answers.
    """
    out = Walk(all_steps, record, env)
    path, taken = out.path, out.jumps
    reached_computed: list[tuple[str, Callable[[Env], Any]]] = []
    get = record.get
    missing = _MISSING
    skip_to = 0
    for qid, index, coerce, required, route, compute, relevant in steps:
        if index < skip_to or (relevant is not None and not relevant(env)):
            if on_problem is not None:
                raw = get(qid)
                if raw is not None and (not _blank(raw) or (
                        type(raw) is list and all_steps[index].none_ok)):
                    on_problem("not_asked", qid, None)  # [] of a none_ok question is an answer
            continue
        if compute is not None:
            reached_computed.append((qid, compute))
            continue
        path.append(qid)
        raw = get(qid, missing)
        if raw is missing or raw is None:
            if required and on_problem is not None:
                on_problem("required", qid, None)
        else:
            try:
                value = coerce(raw)
            except AnswerError as exc:  # an invalid answer counts as none
                if on_problem is not None:
                    on_problem(exc.code, qid, exc)
            else:
                if value is not None:
                    env[qid] = value
                elif required and on_problem is not None:
                    on_problem("required", qid, None)
        if route is not None:
            hit = route(env)
            if hit is None:
                taken.append((qid, None))
            else:
                taken.append((qid, hit[0]))
                skip_to = hit[1]
    for qid, compute in reached_computed:
        value = compute(env)
        if value is not None:
            env[qid] = value
    return out


def _blank(value: Any) -> bool:
    if type(value) is str:
        return not value.strip()
    return (type(value) is list or type(value) is tuple) and not value
