"""The runtime: a compiled form, ready to run interviews and validate records.

Everything here works on compiled closures and plain data: this module never imports the YAML
loader, lark, or the compiler. One walk over the questions in order decides what is asked: a
question is asked unless an earlier asked question's jump, which fired, points past it.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from qengine.errors import AnswerError, ParamError, UnknownQuestionError
from qengine.location import SourceLocation
from qengine.runtime.values import Coercer, is_blank

if TYPE_CHECKING:
    from qengine.runtime.interview import Interview

Env = dict[str, Any]
Guard = Callable[[Env], bool]
END = "end"
_MISSING: Any = object()


@attrs.frozen(slots=True)
class Choice:
    """One option of a choice question: ``code`` (① is 1) and its label."""

    code: int
    label: str
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)


@attrs.frozen(slots=True)
class Question:
    """A question of a compiled form, as a front end shows it."""

    id: str
    number: str | None
    label: str
    type: str
    choices: tuple[Choice, ...] = ()
    required: bool = True
    unit: str | None = None
    min: Any = None
    max: Any = None
    decimals: int | None = None
    max_length: int | None = None
    section: str = ""
    index: int = 0
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False, factory=dict)
    hints: Mapping[str, str] = attrs.field(eq=False, repr=False, factory=dict)
    location: SourceLocation | None = attrs.field(eq=False, repr=False, default=None)

    @property
    def computed(self) -> bool:
        return self.type == "computed"

    def choice(self, code: int) -> Choice:
        """The choice with ``code``; KeyError when there is none."""
        for c in self.choices:
            if c.code == code:
                return c
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        """The question as JSON-ready data (for a web or mobile front end)."""
        out: dict[str, Any] = {"id": self.id, "number": self.number, "label": dict(self.labels),
                               "type": self.type, "required": self.required}
        if self.choices:
            out["choices"] = [{"code": c.code, "label": dict(c.labels)} for c in self.choices]
        for key in ("unit", "min", "max", "decimals", "max_length"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.hints:
            out["hint"] = dict(self.hints)
        return out


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
    """When a question is asked: always, unless one of ``skips`` applies."""

    question: str
    skips: tuple[Skip, ...]

    def __str__(self) -> str:
        if not self.skips:
            return f"{self.question}: always asked"
        parts = [f"({s.source} asked and jumps on `{s.guard}` to {s.target})" for s in self.skips]
        return f"{self.question}: asked unless " + " or ".join(parts)


@attrs.frozen(slots=True)
class Violation:
    """A broken rule: a check (``rule`` is its id) or a built-in one (``required``, ``not_asked``,
    ``type``, ``choice``, ``range``, ``format``, ``unknown_question``, ``not_a_record`` …)."""

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
                "message": self.message}


class _Findings:
    """``errors`` and ``warnings`` split out of ``violations`` (for reports and interviews)."""

    __slots__ = ()
    violations: tuple[Violation, ...]

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")


class Report(_Findings):
    """The result of :meth:`Form.validate`: ``ok`` is true when no error holds."""

    __slots__ = ("_env", "_form", "_path", "_record", "violations")

    def __init__(self, form: Form, violations: list[Violation], path: list[str], env: Env,
                 record: Mapping[str, Any]) -> None:
        self._form = form
        self.violations: tuple[Violation, ...] = tuple(violations)
        self._path = path
        self._env = env
        self._record = record

    @property
    def ok(self) -> bool:
        return not any(v.severity == "error" for v in self.violations)

    @property
    def path(self) -> list[str]:
        """The ids asked for this record, in order."""
        return list(self._path)

    @property
    def record(self) -> dict[str, Any]:
        """The record as the form sees it: answers on the path (valid ones), computed values."""
        return self._form._output(self._path, self._env, self._record)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": [v.to_dict() for v in self.errors],
                "warnings": [v.to_dict() for v in self.warnings]}

    def __repr__(self) -> str:
        return f"<Report ok={self.ok} errors={len(self.errors)} warnings={len(self.warnings)}>"


@attrs.frozen(slots=True)
class Step:
    """What the runtime needs of one question: made by the compiler."""

    id: str
    index: int
    coerce: Coercer
    required: bool
    multiple: bool
    jumps: tuple[tuple[Guard, int], ...]  # (guard, index of the target), in declaration order
    compute: Callable[[Env], Any] | None  # computed questions only


@attrs.frozen(slots=True)
class CompiledCheck:
    id: str
    severity: str
    fires: Guard
    deps: tuple[str, ...]  # questions that must be answered for the check to apply
    questions: tuple[str, ...]  # questions named, in form order (for the violation)
    messages: Mapping[str, str]
    source: str
    location: SourceLocation | None = attrs.field(eq=False, repr=False, default=None)
    kind: str = "when"  # "when" (fires when true) or "assert" (fires when false)
    expr: Any = attrs.field(eq=False, repr=False, default=None)  # the syntax tree, for tools


class Form:
    """A compiled form. Made by :func:`qengine.load` or :func:`qengine.load_text`."""

    def __init__(self, *, id: str, version: str, titles: Mapping[str, str],
                 languages: tuple[str, ...], params: Mapping[str, Any],
                 questions: tuple[Question, ...], steps: tuple[Step, ...],
                 checks: tuple[CompiledCheck, ...], transitions: tuple[Transition, ...],
                 sections: tuple[tuple[str, Mapping[str, str], tuple[str, ...]], ...],
                 closing_index: int, source: str | None = None,
                 param_info: Mapping[str, Mapping[str, Any]] | None = None,
                 definition: Any = None) -> None:
        self.id = id
        self.version = version
        self.titles = MappingProxyType(dict(titles))
        self.languages = languages
        self.params: Mapping[str, Any] = MappingProxyType(dict(params))
        self.param_info = MappingProxyType(dict(param_info or {}))
        self.questions = questions
        self.checks = checks
        self.transitions = transitions
        self.sections = sections
        self.source = source
        #: the definition model this form was compiled from (for analysis tools); the runtime
        #: itself never looks at it
        self.definition = definition
        self._steps = steps
        self._closing = closing_index
        self._by_id = {q.id: q for q in questions}
        self._known = frozenset(self._by_id)
        self._computed_ids = frozenset(q.id for q in questions if q.type == "computed")
        self._asked_conditions: dict[str, AskedCondition] | None = None
        # The walk's view of the steps: plain tuples unpack faster than attribute lookups.
        self._plan = tuple((s.id, s.index, s.coerce, s.required, s.jumps, s.compute)
                           for s in steps)

    # -- the public surface --------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.titles.get(self.languages[0], next(iter(self.titles.values()), self.id))

    def __repr__(self) -> str:
        return f"<Form {self.id} {self.version}: {len(self.questions)} questions>"

    def question(self, qid: str) -> Question:
        """The question with id ``qid``; KeyError naming the id when there is none."""
        try:
            return self._by_id[qid]
        except (KeyError, TypeError):
            raise UnknownQuestionError(self.id, qid) from None

    def start(self, params: Mapping[str, Any] | None = None) -> Interview:
        """A new interview, optionally with some params overridden."""
        from qengine.runtime.interview import Interview

        return Interview(self, self.resolve_params(params))

    def resume(self, snapshot: Any) -> Interview:
        """The interview a :meth:`Interview.snapshot` describes; :class:`SnapshotError` if not."""
        from qengine.runtime.interview import Interview

        return Interview.from_snapshot(self, snapshot)

    def path(self, record: Mapping[str, Any], params: Mapping[str, Any] | None = None
             ) -> list[str]:
        """The ids an interview asks, in order, when the answers are those of ``record``."""
        if not isinstance(record, Mapping):
            return self._walk({}, self._env(params), None)
        return self._walk(record, self._env(params), None)

    def validate(self, record: Any, params: Mapping[str, Any] | None = None) -> Report:
        """Check a completed record. Never raises on record content: every problem is a
        :class:`Violation` in the report (bad params raise :class:`ParamError`)."""
        env = self._env(params)
        problems: list[Violation] = []
        if not isinstance(record, Mapping):
            problems.append(_builtin("not_a_record", (), "a record must be a mapping of question "
                                     f"id to answer, not {type(record).__name__}"))
            record = {}
        else:
            try:
                extra = record.keys() - self._known
            except TypeError:  # unhashable keys cannot come from JSON; be safe anyway
                extra = {k for k in record if not isinstance(k, str) or k not in self._known}
            for key in sorted(extra, key=str):
                problems.append(_builtin("unknown_question", (str(key),),
                                         f"{key!r} is not a question of form {self.id}"))
        path = self._walk(record, env, problems)
        if self._computed_ids and not self._computed_ids.isdisjoint(record.keys()):
            self._compare_computed(record, env, problems)
        self._run_checks(env, problems)
        return Report(self, problems, path, env, record)

    def _compare_computed(self, record: Mapping[str, Any], env: Env,
                          problems: list[Violation]) -> None:
        """A record may carry computed values (a submitted one does); one that disagrees with
        what the form computes is reported as a warning rather than silently replaced."""
        for qid in sorted(self._computed_ids & record.keys(), key=lambda q: self._by_id[q].index):
            given, computed = record[qid], env.get(qid)
            if is_blank(given) or computed is None:
                continue
            same = (isinstance(given, (int, float)) and not isinstance(given, bool)
                    and isinstance(computed, (int, float))
                    and abs(given - computed) <= 1e-6 * max(1.0, abs(computed))) or given == computed
            if not same:
                problems.append(Violation("computed_mismatch", "warning", (qid,),
                                          f"{qid} is given as {given!r} but computes to "
                                          f"{computed!r}; the computed value is used"))

    def asked_condition(self, qid: str) -> AskedCondition:
        """The condition under which ``qid`` is asked, as data (see :class:`AskedCondition`)."""
        self.question(qid)
        if self._asked_conditions is None:
            self._asked_conditions = self._build_asked_conditions()
        return self._asked_conditions[qid]

    def transitions_from(self, qid: str) -> tuple[Transition, ...]:
        """The outgoing edges of ``qid``: its jumps in order, then the fall-through."""
        self.question(qid)
        return tuple(t for t in self.transitions if t.source == qid)

    def state_machine(self) -> dict[str, Any]:
        """The form's state machine as JSON-ready data: states (questions) and transitions."""
        return {
            "form": self.id, "version": self.version,
            "start": next((s.id for s in self._steps if s.compute is None), END),
            "states": [q.to_dict() for q in self.questions if not q.computed],
            "transitions": [t.to_dict() for t in self.transitions],
        }

    # -- params --------------------------------------------------------------------------------
    def resolve_params(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """The form's params with ``overrides`` applied; :class:`ParamError` for a bad one."""
        values = dict(self.params)
        if not overrides:
            return values
        if not isinstance(overrides, Mapping):
            raise ParamError("*", "params must be a mapping of name to value")
        for name, value in overrides.items():
            if name not in values:
                known = ", ".join(self.params) or "none"
                raise ParamError(str(name), f"form {self.id} has no such param (params: {known})")
            old = values[name]
            numeric = isinstance(old, (int, float))
            if isinstance(value, bool) or (
                numeric and not isinstance(value, (int, float))) or (
                    not numeric and not isinstance(value, str)):
                raise ParamError(name, f"expected {'a number' if numeric else 'a text'}, got "
                                 f"{value!r}")
            if not numeric and _ISO_DATE.match(old) and not _is_date(value):
                raise ParamError(name, f"expected an ISO date (YYYY-MM-DD), got {value!r}")
            values[name] = value
        return values

    def _env(self, params: Mapping[str, Any] | None) -> Env:
        return self.resolve_params(params) if params else dict(self.params)

    # -- the walk ------------------------------------------------------------------------------
    def _walk(self, record: Mapping[str, Any], env: Env, problems: list[Violation] | None,
              trace: list[tuple[str, int | None]] | None = None) -> list[str]:
        """Decide the path for ``record``, filling ``env`` with its valid answers.

        Returns the ids asked, in order. With ``problems``, also reports missing, invalid and
        unasked answers; with ``trace``, records (question, jump number or None for the
        fall-through) at each question with jumps. This is the hot loop of validation: plain
        tuples, no attribute lookups.
        """
        path: list[str] = []
        reached_computed: list[tuple[str, Callable[[Env], Any]]] = []
        get = record.get
        missing = _MISSING
        skip_to = 0
        for qid, index, coerce, required, jumps, compute in self._plan:
            if index < skip_to:
                if problems is not None:
                    raw = get(qid)
                    if raw is not None and not is_blank(raw):
                        problems.append(_builtin("not_asked", (qid,), f"{qid} is answered, but "
                                                 "the jumps skip it: it must be left empty"))
                continue
            if compute is not None:
                reached_computed.append((qid, compute))
                continue
            path.append(qid)
            raw = get(qid, missing)
            if raw is missing or raw is None or (type(raw) is str and not raw.strip()) or (
                    (type(raw) is list or type(raw) is tuple) and not raw):
                if required and problems is not None:
                    problems.append(_builtin("required", (qid,), f"{qid} is required but has "
                                             "no answer"))
            else:
                try:
                    env[qid] = coerce(raw)
                except AnswerError as exc:  # an invalid answer counts as none
                    if problems is not None:
                        problems.append(_builtin(exc.code, (qid,), exc.message))
            if jumps:
                for k, (guard, target) in enumerate(jumps):
                    if guard(env):
                        skip_to = target
                        if trace is not None:
                            trace.append((qid, k))
                        break
                else:
                    if trace is not None:
                        trace.append((qid, None))
        for qid, compute in reached_computed:
            value = compute(env)
            if value is not None:
                env[qid] = value
        return path

    def _run_checks(self, env: Env, problems: list[Violation]) -> None:
        primary = self.languages[0]
        for check in self.checks:
            for dep in check.deps:
                if env.get(dep) is None:
                    break
            else:
                if check.fires(env):
                    problems.append(Violation(
                        check.id, check.severity, check.questions,
                        check.messages.get(primary) or next(iter(check.messages.values()), check.id),
                        check.messages))

    def _output(self, path: list[str], env: Env, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record: the valid answers on the path (one left blank as None, [] for a multiple
        choice), in form order, then the computed values."""
        out: dict[str, Any] = {}
        for qid in path:
            if qid in env:
                out[qid] = env[qid]
            elif qid in record and is_blank(record[qid]):
                out[qid] = [] if self._by_id[qid].type == "multiple" else None
        for step in self._steps:
            if step.compute is not None and step.id in env:
                out[step.id] = env[step.id]
        return out

    def _next_index(self, start: int) -> int:
        """The index of the first asked (not computed) question at or after ``start``."""
        steps = self._steps
        n = len(steps)
        while start < n and steps[start].compute is not None:
            start += 1
        return start

    # -- asked conditions ----------------------------------------------------------------------
    def _build_asked_conditions(self) -> dict[str, AskedCondition]:
        skips: dict[str, list[Skip]] = {q.id: [] for q in self.questions}
        by_source: dict[str, list[Transition]] = {}
        for t in self.transitions:
            if t.guard is not None:
                by_source.setdefault(t.source, []).append(t)
        index = {s.id: s.index for s in self._steps}
        n = len(self._steps)
        for source, jumps in by_source.items():
            for j, t in enumerate(jumps):
                stop = index.get(t.target, self._closing if t.target == END else n)
                for k in range(index[source] + 1, stop):
                    skips[self._steps[k].id].append(Skip(source, t.guard or "", t.target, j))
        return {qid: AskedCondition(qid, tuple(s)) for qid, s in skips.items()}

    def evaluate_asked(self, record: Mapping[str, Any], params: Mapping[str, Any] | None = None
                       ) -> dict[str, bool]:
        """Whether each question is asked for ``record``, computed from the asked conditions
        alone (not from the walk): a second derivation that the tests hold equal to :meth:`path`.
        """
        env = self._env(params)
        asked: dict[str, bool] = {}
        first_jump: dict[str, int | None] = {}
        for step in self._steps:
            cond = self.asked_condition(step.id)
            is_asked = not any(asked.get(s.source) and first_jump.get(s.source) == s.jump
                               for s in cond.skips)
            asked[step.id] = is_asked
            if step.compute is not None:
                continue
            if is_asked:
                raw = record.get(step.id)
                try:
                    value = None if is_blank(raw) else step.coerce(raw)
                except AnswerError:
                    value = None
                if value is not None:
                    env[step.id] = value
            first_jump[step.id] = next(
                (j for j, (guard, _t) in enumerate(step.jumps) if guard(env)), None)
        return asked


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(text: str) -> bool:
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(_ISO_DATE.match(text))


def _builtin(rule: str, questions: tuple[str, ...], message: str) -> Violation:
    return Violation(rule, "error", questions, message)
