"""A form, ready to run interviews and validate records: the machine evaluated.

A :class:`Form` is built from a machine document (``docs/machine.md``): by the compiler, by
:meth:`Form.from_json` for a machine file, or by unpickling. It never imports the YAML loader,
lark, jsonschema or the compiler; what is asked is decided by the one walk of
:mod:`qengine.runtime.walk`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from qengine.errors import (
    AnswerError,
    ParamError,
    RecordError,
    UnknownQuestionError,
    describe,
    render,
)
from qengine.location import SourceLocation
from qengine.notation import is_iso_date
from qengine.runtime.evaluate import Evaluator
from qengine.runtime.findings import (
    Category,
    Finding,
    Indicator,
    describe_finding,
    template_parts,
)
from qengine.runtime.machine import check_machine, is_number
from qengine.runtime.results import (
    AskedCondition,
    Check,
    Report,
    Skip,
    Transition,
    Violation,
)
from qengine.runtime.values import accepts, is_blank, make_coercers
from qengine.runtime.walk import (
    Env,
    Guard,
    Step,
    Walk,
    code_table,
    make_code_route,
    make_route,
    next_asked,
    walk,
)

if TYPE_CHECKING:
    from qengine.runtime.interview import Interview
    from qengine.runtime.migrate import Migration

END = "end"
#: the reserved key of a record that carries what is not an answer (acknowledged warnings)
META = "_meta"
#: the longest reason an acknowledgement may give
MAX_REASON = 1000
#: how many records a form validates with the interpreter before it generates its validator
WARM_UP = 3


@attrs.frozen(slots=True)
class Choice:
    """One option of a choice question: ``code`` (① is 1) and its label."""

    code: int
    label: str
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    #: a name entered text may give instead of the code (an XLSForm choice name), or None
    name: str | None = None


@attrs.frozen(slots=True)
class Question:
    """A question of a form, as a front end shows it. ``min``, ``max``, ``decimals`` and
    ``max_length`` are the effective settings (the type's defaults applied)."""

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
    none_ok: bool = False  # a multiple choice where [] means "none of these"
    #: the ids it had in earlier versions of the form (``renamed_from``)
    renamed_from: tuple[str, ...] = attrs.field(eq=False, repr=False, default=())

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
            out["choices"] = [{"code": c.code, "label": dict(c.labels),
                               **({"name": c.name} if c.name is not None else {})}
                              for c in self.choices]
        for key in ("unit", "min", "max", "decimals", "max_length"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.none_ok:
            out["none_ok"] = True
        if self.hints:
            out["hints"] = dict(self.hints)
        return out


def _finite_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _primary(texts: Mapping[str, str], languages: tuple[str, ...], fallback: str) -> str:
    for lang in languages:
        if texts.get(lang):
            return str(texts[lang])
    return next(iter(texts.values()), fallback)


def _location(file: str | None, at: list[int] | None) -> SourceLocation | None:
    return SourceLocation(file or "<machine>", at[0], at[1]) if at else None


def _code_of(rule: Mapping[str, Any], q: Question) -> int | None:
    """The code of a jump of single choice ``q`` written ``q == code`` (the paper's jumps), else
    None."""
    if q.type != "single" or rule["op"] != "eq":
        return None
    left, right = rule["args"]
    if left["op"] == "answer" and left["id"] == q.id and right["op"] == "code":
        return int(right["value"])
    return None


class Form:
    """A form, ready to run. Made by :func:`qengine.load`, :func:`qengine.load_text` or
    :meth:`Form.from_json`; pickles (through its machine) for worker processes."""

    def __init__(self, machine: dict[str, Any]) -> None:
        """Build from a machine already checked (use :meth:`from_json` for one from outside)."""
        m = self._machine = machine
        self.id: str = m["id"]
        self.version: str = m["version"]
        self.titles = MappingProxyType(dict(m["titles"]))
        self.languages: tuple[str, ...] = tuple(m["languages"])
        self.source: str | None = m["source"]
        self.params: Mapping[str, Any] = MappingProxyType({p["name"]: p["value"]
                                                           for p in m["params"]})
        self.param_info = MappingProxyType({p["name"]: {"label": dict(p["labels"]),
                                                        "unit": p["unit"], "type": p["type"]}
                                            for p in m["params"]})
        self.sections = tuple((s["id"], MappingProxyType(dict(s["titles"])),
                               tuple(s["questions"])) for s in m["sections"])
        file = m["source"]
        langs = self.languages
        self.questions: tuple[Question, ...] = tuple(
            Question(id=q["id"], number=q["number"], label=_primary(q["labels"], langs, q["id"]),
                     type=q["type"],
                     choices=tuple(Choice(c["code"], _primary(c["labels"], langs, str(c["code"])),
                                          MappingProxyType(dict(c["labels"])), c.get("name"))
                                   for c in q["choices"]),
                     required=q["required"], unit=q["unit"], min=q["min"], max=q["max"],
                     decimals=q["decimals"], max_length=q["max_length"], section=q["section"],
                     index=i, labels=MappingProxyType(dict(q["labels"])),
                     hints=MappingProxyType(dict(q["hints"])), location=_location(file, q["at"]),
                     none_ok=q["none_ok"], renamed_from=tuple(q.get("renamed_from", ())))
            for i, q in enumerate(m["questions"]))
        self._by_id = {q.id: q for q in self.questions}
        self._known = frozenset(self._by_id)
        self._computed_ids = frozenset(q.id for q in self.questions if q.computed)
        index = {q.id: q.index for q in self.questions}
        closing = next((s for s in m["sections"] if s["closing"] and s["questions"]), None)
        self._closing = index[closing["questions"][0]] if closing else len(self.questions)
        ev = Evaluator(self.params)
        for c in m["computed"]:
            ev.computed[c["question"]] = ev.expr(c["value"])
        jumps_of = {s["question"]: s["jumps"] for s in m["steps"]}
        section_ask = {s["id"]: ev.expr(s["ask_if"]["when"]) for s in m["sections"]
                       if "ask_if" in s}
        section_texts = {s["id"]: s["ask_if"]["text"] for s in m["sections"] if "ask_if" in s}
        self._ask_if_texts = {
            q["id"]: tuple(t for t in (section_texts.get(q["section"]),
                                       q.get("ask_if", {}).get("text")) if t is not None)
            for q in m["questions"] if q["section"] in section_texts or "ask_if" in q}
        steps: list[Step] = []
        transitions: list[Transition] = []
        asked = [q.id for q in self.questions if not q.computed]
        following = dict(zip(asked, [*asked[1:], END]))
        tables: list[dict[int, tuple[int, int]] | None] = []
        for q, mq in zip(self.questions, m["questions"], strict=True):
            entered, strict = make_coercers(q)
            written = jumps_of.get(q.id, ())
            jumps = tuple((ev.expr(j["when"]), index.get(j["target"], len(self.questions)))
                          for j in written)
            codes = [_code_of(j["when"], q) for j in written]
            table = (code_table([(c, t) for c, (_g, t) in zip(codes, jumps, strict=True)])
                     if written and None not in codes else None)
            tables.append(table)
            route = make_code_route(q.id, table) if table is not None else make_route(jumps)
            own = ev.expr(mq["ask_if"]["when"]) if "ask_if" in mq else None
            steps.append(Step(q.id, q.index, entered, strict, q.required, q.type == "multiple",
                              jumps, route, ev.computed.get(q.id), q.none_ok,
                              _both(section_ask.get(q.section), own)))
            if not q.computed:
                transitions += [Transition(q.id, j["target"], j["text"], _location(file, j["at"]))
                                for j in jumps_of[q.id]]
                transitions.append(Transition(q.id, following[q.id], None, q.location))
        self.steps: tuple[Step, ...] = tuple(steps)
        #: what an interview step needs of each question, by index: (id, entered coercer,
        #: required, route, the question, its code table or None, and what the coercer takes
        #: as it is: see values.accepts), and the first asked index at or after each index
        self.interview_plan = tuple((s.id, s.entered, s.required, s.route, q, t, *accepts(q))
                                    for s, q, t in zip(steps, self.questions, tables, strict=True))
        asked_from = [len(steps)] * (len(steps) + 1)
        for i in range(len(steps) - 1, -1, -1):
            asked_from[i] = asked_from[i + 1] if steps[i].compute is not None else i
        self.asked_from = tuple(asked_from)
        #: each question's relevance (its section's and its own ask_if), None when it has none
        self.relevance: tuple[Guard | None, ...] = tuple(s.relevant for s in steps)
        self.has_relevance = any(r is not None for r in self.relevance)
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        self.checks: tuple[Check, ...] = tuple(self._check(c, ev, file) for c in m["checks"])
        #: the findings the form declares (the rows of the office's tallies), in order
        self.indicators: tuple[Indicator, ...] = tuple(
            self._indicator(f, ev, file) for f in m.get("findings", ()))
        #: the household categories the form declares, in order
        self.household_categories: tuple[Category, ...] = tuple(
            Category(c["id"], _primary(c["labels"], langs, c["id"]),
                     MappingProxyType(dict(c["labels"])), c["text"], tuple(c["deps"]),
                     _location(file, c["at"]), ev.expr(c["rule"]))
            for c in m.get("categories", ()))
        self._choice_labels = {q.id: {c.code: c.labels for c in q.choices}
                               for q in self.questions if q.choices}
        #: multiple choices whose [] is a blank, not the answer "none of these"
        self._blank_lists = tuple(q.id for q in self.questions
                                  if q.type == "multiple" and not q.none_ok)
        self._asked_conditions: dict[str, AskedCondition] | None = None
        #: the warnings whose submission needs a reason, and every warning's id
        self.acknowledge_required = tuple(c.id for c in self.checks if c.acknowledge)
        self._warnings = frozenset(c.id for c in self.checks if c.severity == "warning")
        # the generated validators (codegen), by coerce: None until built, False if declined
        self._uses = 0
        self._param_values = dict(self.params)  # read only: the generated validator's params
        self._fast: dict[bool, Any] = {False: None, True: None}
        self._track: dict[bool, Any] = {False: None, True: None}
        #: why the generator left this form to the interpreter, if it did
        self.declined: str | None = None
        # The walk's view of the steps: plain tuples unpack faster than attribute lookups.
        self._plans = {
            coerce: tuple((s.id, s.index, s.entered if coerce else s.strict, s.required, s.route,
                           s.compute, s.relevant) for s in steps)
            for coerce in (False, True)}

    @staticmethod
    def _check(c: dict[str, Any], ev: Evaluator, file: str | None) -> Check:
        f = ev.expr(c["rule"])
        fires = f if c["kind"] == "when" else (lambda env: not f(env))
        return Check(c["id"], c["severity"], c["kind"], tuple(c["questions"]), tuple(c["deps"]),
                     MappingProxyType(dict(c["messages"])), c["text"], c["rule"], fires,
                     _location(file, c["at"]), c.get("acknowledge") == "required")

    def _indicator(self, f: dict[str, Any], ev: Evaluator, file: str | None) -> Indicator:
        langs = self.languages
        return Indicator(f["id"], f["type"], f["unit"], _primary(f["labels"], langs, f["id"]),
                         MappingProxyType(dict(f["labels"])), f["text"], tuple(f["questions"]),
                         tuple(f["deps"]), _location(file, f["at"]), ev.expr(f["rule"]),
                         MappingProxyType({lang: tuple(template_parts(text))
                                           for lang, text in f["descriptions"].items()}))

    # -- the machine ---------------------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Any, name: str = "<machine>", *, parsed: bool = False) -> Form:
        """A form from a machine document; :class:`FormError` for a bad one. ``parsed=True``
        says ``data`` comes straight from ``json.loads`` (and is not shared): it is then neither
        searched for foreign objects nor copied."""
        check_machine(data, name, parsed=parsed)
        return cls(data if parsed else copy.deepcopy(data))

    def to_json(self) -> dict[str, Any]:
        """The machine of this form: JSON-ready data that :meth:`from_json` turns back into it."""
        return copy.deepcopy(self._machine)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickled, (self._machine, self.source or "<machine>"))

    # -- the public surface --------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.titles.get(self.languages[0], next(iter(self.titles.values()), self.id))

    def __repr__(self) -> str:
        return f"<Form {self.id} {self.version}: {len(self.questions)} questions>"

    def question(self, qid: str) -> Question:
        """The question with id ``qid``; :class:`UnknownQuestionError` (a KeyError) if none."""
        try:
            return self._by_id[qid]
        except (KeyError, TypeError):
            raise UnknownQuestionError(self.id, qid) from None

    def start(self, params: Mapping[str, Any] | None = None, *,
              clock: Callable[[], Any] | None = None) -> Interview:
        """A new interview, optionally with some params overridden; ``clock`` (a function giving
        the time as ISO text or a datetime) stamps its events (default: UTC now)."""
        from qengine.runtime.interview import Interview

        return Interview(self, self.resolve_params(params), clock)

    def resume(self, snapshot: Any, *, migrate: bool = False,
               clock: Callable[[], Any] | None = None, resumed_event: bool = True) -> Interview:
        """The interview a :meth:`Interview.snapshot` describes; :class:`SnapshotError` if not.

        With ``migrate``, a snapshot of an older version of this form is carried over
        (:mod:`qengine.runtime.migrate`): the interview's ``migration`` says what was renamed and
        what dropped. ``resumed_event=False`` leaves the ``resumed`` event out of the trail (for a
        server that rebuilds an interview from its stored snapshot on every request)."""
        from qengine.runtime.interview import Interview

        if not migrate:
            return Interview.from_snapshot(self, snapshot, clock, resumed_event=resumed_event)
        from qengine.runtime.migrate import migrate_snapshot

        iv, migration = migrate_snapshot(self, snapshot, clock)
        iv.migration = migration
        return iv

    def migrate_record(self, record: Any, params: Mapping[str, Any] | None = None) -> Migration:
        """A stored record of an older version of this form as one of this version: renames
        applied, answers that no longer fit dropped and listed, computed values and checks
        recomputed (see :class:`qengine.runtime.migrate.Migration`)."""
        from qengine.runtime.migrate import migrate_record

        return migrate_record(self, record, params)

    def walk(self, record: Mapping[str, Any], params: Mapping[str, Any] | None = None, *,
             coerce: bool = False) -> Walk:
        """Walk ``record``: the path asked, the values the rules see, the jumps taken."""
        if not isinstance(record, Mapping):
            record = {}
        return walk(self._plans[coerce], self.steps, record, self._env(params), None)

    def path(self, record: Mapping[str, Any], params: Mapping[str, Any] | None = None, *,
             coerce: bool = False) -> list[str]:
        """The ids an interview asks, in order, when the answers are those of ``record``."""
        return self.walk(record, params, coerce=coerce).path

    def validate(self, record: Any, params: Mapping[str, Any] | None = None, *,
                 coerce: bool = False) -> Report:
        """Check a completed record. Never raises on record content: every problem is a
        :class:`Violation` in the report (bad params raise :class:`ParamError`).

        A record is data, so its types are strict (a code is an integer); ``coerce=True``
        converts entered text (``"②"``, ``"1,234.5"``) as :meth:`Interview.answer` does.

        After a few records (or :meth:`prepare`), the form validates with a function generated
        for it (:mod:`qengine.runtime.codegen`) that gives the same reports as :meth:`interpret`;
        the report's ``path`` and ``record`` are then worked out when first asked for, from the
        record passed: to change the record before reading them, validate a copy.
        """
        if type(record) is dict:
            fast = self._fast[coerce]
            if fast is None:
                fast = self._warm(coerce)
            if fast:
                env = self.resolve_params(params) if params is not None else self._param_values
                # path and record are worked out when first asked for (see the docstring)
                found = fast(record, env)
                if self.acknowledge_required or META in record:
                    found += self.meta_violations(record, found)
                return Report(found, (_tracked, self, record, env, params, coerce))
        return self.interpret(record, params, coerce=coerce)

    def prepare(self) -> bool:
        """Build the generated validators now rather than after a few records (a batch does this
        once); True when they are in use, False when this form stays on the interpreter."""
        self._uses = WARM_UP
        return bool(self._warm(False)) and bool(self._warm(True))

    @property
    def engine(self) -> str:
        """``"generated"`` once validation runs the function generated for this form,
        ``"interpreter"`` before (and for a form the generator declines: see ``declined``)."""
        return "generated" if self._fast[False] or self._fast[True] else "interpreter"

    def _warm(self, coerce: bool) -> Any:
        """The generated validator for ``coerce``, once the form has validated enough records to
        be worth it; None until then, False when the generator declines the form."""
        self._uses += 1
        if self._uses < WARM_UP:
            return None
        from qengine.runtime import codegen

        try:
            fn: Any = codegen.build(self, self._machine, coerce=coerce, track=False)
        except codegen.Declined as exc:
            fn, self.declined = False, str(exc)
        self._fast[coerce] = fn
        return fn

    def _tracked(self, record: dict[str, Any], env: Env, params: Mapping[str, Any] | None,
                 coerce: bool) -> Walk:
        """The walk of ``record`` for a report of the generated validator."""
        track = self._track[coerce]
        if track is None:
            from qengine.runtime import codegen

            try:
                track = codegen.build(self, self._machine, coerce=coerce, track=True)
            except codegen.Declined:
                track = False
            self._track[coerce] = track
        if not track:
            return self.walk(record, params, coerce=coerce)
        walked: Walk = track(record, dict(env))[1]
        return walked

    def interpret(self, record: Any, params: Mapping[str, Any] | None = None, *,
                  coerce: bool = False) -> Report:
        """:meth:`validate` with the interpreter alone: the closures of
        :mod:`qengine.runtime.evaluate` walked by :mod:`qengine.runtime.walk` (the oracle that
        the generated validators are held equal to)."""
        env = self._env(params)
        problems: list[Violation] = []
        if not isinstance(record, Mapping):
            problems.append(self.violation("not_a_record", (), kind=type(record).__name__))
            record = {}
        else:
            problems += self.unknown_questions(record)

        def on_problem(rule: str, qid: str, exc: AnswerError | None) -> None:
            if exc is not None:
                messages = exc.messages(self.languages)
                problems.append(Violation(rule, "error", (qid,), messages[self.languages[0]],
                                          messages))
            else:
                problems.append(self.violation(rule, (qid,), question=qid))

        result = walk(self._plans[coerce], self.steps, record, env, on_problem)
        if self._computed_ids and not self._computed_ids.isdisjoint(record.keys()):
            self._compare_computed(record, env, problems)
        problems += self.run_checks(env)
        if self.acknowledge_required or META in record:
            problems += self.meta_violations(record, problems)
        return Report(problems, result)

    def meta_violations(self, record: Mapping[str, Any], found: list[Violation]
                        ) -> list[Violation]:
        """What ``_meta`` says wrong (``bad_meta``), and each warning that asks for a reason,
        holds in ``found`` and has none in ``_meta["acknowledged"]`` (``unacknowledged``)."""
        out: list[Violation] = []
        acknowledged = self.acknowledgements_of(record, out)
        holding = {v.rule for v in found if v.severity == "warning"}
        for check in self.checks:
            if check.acknowledge and check.id in holding and check.id not in acknowledged:
                out.append(self.violation("unacknowledged", check.questions, question=check.id))
        return out

    def acknowledgements_of(self, record: Mapping[str, Any], problems: list[Violation]
                            ) -> dict[str, str]:
        """The acknowledged warnings a record's ``_meta`` gives (check id to reason); each
        problem with it is added to ``problems`` as a ``bad_meta`` violation."""
        if META not in record:
            return {}
        meta = record[META]
        why = None
        acknowledged: dict[str, str] = {}
        if not isinstance(meta, Mapping) or set(meta) - {"acknowledged"}:
            why = "it is a mapping whose only key is 'acknowledged'"
        elif not isinstance(meta.get("acknowledged", {}), Mapping):
            why = "'acknowledged' maps a warning's id to the reason given"
        else:
            for rule, reason in meta.get("acknowledged", {}).items():
                if rule not in self._warnings:
                    why = f"{describe(rule)} is not a warning of form {self.id}"
                elif not isinstance(reason, str) or not reason.strip() or len(
                        reason) > MAX_REASON:
                    why = f"the reason for {rule} is not a text of 1 to {MAX_REASON} characters"
                else:
                    acknowledged[rule] = reason
                    continue
                break
        if why is not None:
            problems.append(self.violation("bad_meta", (META,), why=why))
            return {}
        return acknowledged

    def violation(self, rule: str, questions: tuple[str, ...], **args: Any) -> Violation:
        """A built-in violation with the message ``rule`` of ``qengine.errors.MESSAGES`` (a code,
        or ``code.variant``) in each of the form's languages; its rule is the code."""
        if "value" in args:
            args["value"] = describe(args["value"])
        messages = {lang: render(rule, lang, args) for lang in self.languages}
        code = rule.split(".")[0]  # a message key names its variant after the dot
        severity = "warning" if code in ("computed_mismatch", "unacknowledged") else "error"
        return Violation(code, severity, questions, messages[self.languages[0]], messages)

    def _compare_computed(self, record: Mapping[str, Any], env: Env,
                          problems: list[Violation]) -> None:
        """A record may carry computed values (a submitted one does); one that disagrees with
        what the form computes is reported as a warning rather than silently replaced."""
        for qid in sorted(self._computed_ids & record.keys(), key=lambda q: self._by_id[q].index):
            given, computed = record[qid], env.get(qid)
            if computed is not None:
                mismatch = self.computed_mismatch(qid, given, computed)
                if mismatch is not None:
                    problems.append(mismatch)

    def unknown_questions(self, record: Mapping[str, Any]) -> list[Violation]:
        """An ``unknown_question`` violation for each key of ``record`` that names no question
        of the form, in a stable order."""
        extra = record.keys() - self._known  # set arithmetic: fast on every record
        extra.discard(META)  # not a question: what meta_violations reads
        out = []
        for key in sorted(extra, key=describe) if extra else ():
            name = key if isinstance(key, str) and len(key) <= 200 else describe(key)
            out.append(self.violation("unknown_question", (name,), value=key, form=self.id))
        return out

    def computed_mismatch(self, qid: str, given: Any, computed: Any) -> Violation | None:
        """The warning for a record whose value of computed question ``qid`` disagrees with
        what the form computes (numbers to a relative 1e-6), or None (a blank one agrees)."""
        if is_blank(given):
            return None
        if _finite_number(given) and _finite_number(computed):  # 1e16 and 10**16 agree
            same = abs(given - computed) <= 1e-6 * max(1.0, abs(computed))
        else:
            same = type(given) is type(computed) and given == computed
        if same:
            return None
        return self.violation("computed_mismatch", (qid,), question=qid, value=given,
                              computed=describe(computed))

    def run_checks(self, values: Mapping[str, Any]) -> list[Violation]:
        """The checks that fire on ``values`` (params, answers and computed values by id), each
        applying once every question it waits for has a value."""
        primary = self.languages[0]
        out: list[Violation] = []
        for check in self.checks:
            for dep in check.deps:
                if values.get(dep) is None:
                    break
            else:
                if check.fires(values):  # type: ignore[arg-type]
                    out.append(Violation(
                        check.id, check.severity, check.questions,
                        check.messages.get(primary) or next(iter(check.messages.values()), check.id),
                        check.messages))
        return out

    # -- findings ------------------------------------------------------------------------------
    def values(self, record: Any, params: Mapping[str, Any] | None = None, *,
               coerce: bool = False) -> dict[str, Any]:
        """What the rules of findings and categories read for ``record``: the params, then the
        record's canonical values (the answers on its path and the computed values)."""
        if not isinstance(record, Mapping):
            raise RecordError(f"a record is a mapping of question ids to answers, not "
                              f"{describe(record)}")
        env = self.resolve_params(params)
        env.update(self.validate(dict(record), params, coerce=coerce).record)
        return env

    def findings(self, record: Any, params: Mapping[str, Any] | None = None, *,
                 coerce: bool = False) -> list[Finding]:
        """The findings of ``record`` (the suspected problems it shows), in the form's order; a
        question that was not asked never makes one. :class:`RecordError` for a non-mapping."""
        return self.findings_from(self.values(record, params, coerce=coerce))

    def categories(self, record: Any, params: Mapping[str, Any] | None = None, *,
                   coerce: bool = False) -> list[str]:
        """The ids of the household categories ``record`` falls under, in the form's order."""
        return self.categories_from(self.values(record, params, coerce=coerce))

    def findings_from(self, values: Mapping[str, Any]) -> list[Finding]:
        """The findings on ``values`` (params, answers and computed values by id, as
        :meth:`values` gives them; a missing param takes the form's value)."""
        if not self.indicators:
            return []
        values = self._rule_values(values)
        out = []
        get = values.get
        for ind in self.indicators:  # applies(), inline: this runs per indicator per record
            for dep in ind.deps:
                if get(dep) is None:
                    break
            else:
                if ind.fires(values):
                    out.append(describe_finding(ind, values, self._choice_labels,
                                                self.languages))
        return out

    def categories_from(self, values: Mapping[str, Any]) -> list[str]:
        """The categories on ``values`` (as for :meth:`findings_from`)."""
        if not self.household_categories:
            return []
        values = self._rule_values(values)
        out = []
        get = values.get
        for c in self.household_categories:
            for dep in c.deps:
                if get(dep) is None:
                    break
            else:
                if c.fires(values):
                    out.append(c.id)
        return out

    def _rule_values(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """``values`` as the rules see them: a missing param takes the form's value, and a
        multiple choice left blank (``[]`` in a canonical record, unless [] is its answer "none
        of these") has no value, as for checks."""
        blank = [q for q in self._blank_lists if values.get(q) == []]
        if blank or not self.params.keys() <= values.keys():
            values = {**self.params, **values, **dict.fromkeys(blank)}
        return values

    def next_asked(self, index: int) -> int:
        """The index of the first asked (not computed) question at or after ``index``."""
        return next_asked(self.steps, index)

    def next_relevant(self, index: int, env: Env) -> int:
        """The first asked question at or after ``index`` whose ask_if holds on ``env`` (the
        answers before it): where an interview goes next once the jumps have had their say."""
        asked_from, relevance, n = self.asked_from, self.relevance, len(self.steps)
        index = asked_from[index]
        while index < n:
            rel = relevance[index]
            if rel is None or rel(env):
                return index
            index = asked_from[index + 1]
        return index

    @property
    def closing_index(self) -> int:
        """Where a jump to ``end`` lands: the first question of the closing section."""
        return self._closing

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
            "start": next((s.id for s in self.steps if s.compute is None), END),
            "states": [q.to_dict() for q in self.questions if not q.computed],
            "transitions": [t.to_dict() for t in self.transitions],
        }

    # -- params --------------------------------------------------------------------------------
    def resolve_params(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """The form's params with ``overrides`` applied; :class:`ParamError` for a bad one."""
        values = dict(self.params)
        if overrides is None:
            return values
        if not isinstance(overrides, Mapping):  # [] or "" is no mapping (nor "no overrides")
            raise ParamError("*", "params must be a mapping of name to value")
        # An unknown name first, the least (by code point) of them: every runtime names the same
        # one, whatever order its mappings keep ("4" comes before "" in a JavaScript object).
        unknown = [name for name in overrides if name not in values]
        if unknown:
            name = min(unknown, key=lambda n: (0, n, "") if isinstance(n, str) else (1, "",
                                                                                   describe(n)))
            known = ", ".join(self.params) or "none"
            shown = name if isinstance(name, str) and len(name) <= 100 else describe(name)
            raise ParamError(shown, f"form {self.id} has no such param (params: {known})",
                             "unknown_param")
        for name, value in overrides.items():
            kind = self.param_info[name]["type"]
            if kind == "num" and not is_number(value):
                raise ParamError(name, f"expected a number within ±1e15, got {describe(value)}")
            if kind != "num" and not isinstance(value, str):
                raise ParamError(name, f"expected a text, got {describe(value)}")
            if kind == "date" and not is_iso_date(value):
                raise ParamError(name, f"expected an ISO date (YYYY-MM-DD), got {describe(value)}")
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise ParamError(name, "text holds a lone surrogate") from None
            values[name] = value
        return values

    def _env(self, params: Mapping[str, Any] | None) -> Env:
        return self.resolve_params(params) if params is not None else dict(self.params)

    # -- asked conditions ----------------------------------------------------------------------
    def _build_asked_conditions(self) -> dict[str, AskedCondition]:
        skips: dict[str, list[Skip]] = {q.id: [] for q in self.questions}
        by_source: dict[str, list[Transition]] = {}
        for t in self.transitions:
            if t.guard is not None:
                by_source.setdefault(t.source, []).append(t)
        index = {s.id: s.index for s in self.steps}
        n = len(self.steps)
        for source, jumps in by_source.items():
            for j, t in enumerate(jumps):
                stop = index.get(t.target, self._closing if t.target == END else n)
                for k in range(index[source] + 1, stop):
                    skips[self.steps[k].id].append(Skip(source, t.guard or "", t.target, j))
        return {qid: AskedCondition(qid, tuple(s), self._ask_if_texts.get(qid, ()))
                for qid, s in skips.items()}

    def evaluate_asked(self, record: Mapping[str, Any], params: Mapping[str, Any] | None = None
                       ) -> dict[str, bool]:
        """Whether each question is asked for ``record``, computed from the asked conditions
        alone (not from the walk): a second derivation that the tests hold equal to :meth:`path`.
        """
        env = self._env(params)
        asked: dict[str, bool] = {}
        first_jump: dict[str, int | None] = {}
        for step in self.steps:
            cond = self.asked_condition(step.id)
            is_asked = not any(asked.get(s.source) and first_jump.get(s.source) == s.jump
                               for s in cond.skips) and (
                step.relevant is None or bool(step.relevant(env)))
            asked[step.id] = is_asked
            if step.compute is not None:
                continue
            if is_asked:
                raw = record.get(step.id)
                try:
                    value = None if raw is None else step.strict(raw)
                except AnswerError:
                    value = None
                if value is not None:
                    env[step.id] = value
            hit = step.route(env) if step.route is not None else None
            first_jump[step.id] = None if hit is None else hit[0]
        return asked


#: the walk of a report of the generated validator, worked out when first asked for
_tracked = Form._tracked


def _both(first: Guard | None, second: Guard | None) -> Guard | None:
    """A question's relevance: its section's ask_if and its own (None when it has neither)."""
    if first is None or second is None:
        return first or second
    return lambda env: bool(first(env)) and bool(second(env))


def _unpickled(machine: dict[str, Any], name: str) -> Form:
    """A pickled form: its machine, fresh from pickle (plain data, owned by nobody), checked."""
    return Form.from_json(machine, name, parsed=True)
