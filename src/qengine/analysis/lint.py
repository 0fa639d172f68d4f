"""Whole-form analysis for ``qengine lint``: what a form's jumps and checks can never do.

It runs on a compiled form, after every other stage succeeded, and only for the linter:
:func:`qengine.load` never pays for it. The findings are warnings with stable codes
(``unreachable_question``, ``jump_never``, ``jump_always``, ``check_never``, ``check_always``,
``check_not_together``, ``unused_computed``, ``missing_language``), each located at the question,
jump, check or text concerned; docs/lint.md describes them for form authors.

The search walks the states of the form's state machine (see :mod:`qengine.explore`), trying for each
question that matters a few representative answers. A claim is made only when that search is
exhaustive: every question that decides it is a choice, a whole number with a small range, or a
number, date or text that rules compare only with constants, and no search budget ran out. Otherwise
it says so, with at most one ``cannot_decide`` warning per kind of finding. Params keep the values
the form gives them.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import itertools
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from qengine.analysis.explore import NUMERIC, Explorer, RuleRefs, compared_constants, representatives
from qengine.analysis.rules import RulesView, rules_view
from qengine.analysis.search import Env, Item, Walker
from qengine.compiler.loader import read_text
from qengine.compiler.model import FormDef
from qengine.compiler.pipeline import (
    compile_source,
    load_machine_text,
    resolve_source,
    unknown_form,
)
from qengine.errors import AnswerError, Diagnostics, FormError, Problem, sorted_problems
from qengine.lang import nodes as n
from qengine.location import SourceLocation
from qengine.runtime.findings import Indicator
from qengine.runtime.form import Form, Question
from qengine.runtime.results import Check

# Search budgets, in units of work: a state visited costs the number of answers that tell it apart
# from others (so a budget buys fewer states where many answers matter). Deterministic, unlike a
# time limit: the same form always gives the same findings.
#: the walk over the whole form (reachability and jumps)
FORM_BUDGET = 1_000_000
#: the search for one check, and for all checks together
CHECK_BUDGET = 100_000
TOTAL_CHECK_BUDGET = 1_000_000
#: a whole-number question with at most this many possible answers has every one of them tried
SMALL_RANGE = 16

_ORDERED = ("<", "<=", ">", ">=")
_CODE_TESTS = ("selected", "contains")  # contains() is another name for selected()



def analyse(form: Form, text: str | None = None, definition: FormDef | None = None, *,
            stats: dict[str, int] | None = None) -> list[Problem]:
    """The whole-form findings of ``form`` (warnings), sorted by location.

    ``text`` is the form file's text, for the source line and caret under each finding;
    ``definition`` (from the YAML) lets texts that lack a language be found too. ``stats``, when
    given, receives how much searching it took: ``states`` popped and ``leaves`` (records judged)
    over every search, and ``answers`` (candidate answers given to the checks' searches).
    """
    view = rules_view(form)
    diag = Diagnostics(view.file, text)
    if definition is not None:
        _missing_languages(definition, diag)
    _unused_computed(form, view, diag)
    analysis = _Analysis(form, view, diag)
    analysis.run()
    if stats is not None:
        stats.update(analysis.stats)
    return sorted_problems(diag.problems)


def lint(source: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of a form file (errors and warnings), located; never raises for bad input.

    A form that compiles is also analysed as a whole (this module): questions never
    asked, jumps and checks that can never do anything, unused computed values, missing texts.
    """
    try:
        path = resolve_source(source)
    except FormError as exc:
        return list(exc.problems)
    diag = Diagnostics(path)
    if unknown_form(path, diag):
        return diag.problems
    text = read_text(path, diag)
    if text is None:
        return diag.problems
    if path.endswith(".json"):  # a machine file: checked as one, then analysed like any form
        try:
            form = load_machine_text(text, path)
        except FormError as exc:
            return list(exc.problems)
        return analyse(form)
    compiled = compile_source(text, path)
    if compiled.form is None:
        return compiled.problems
    # Whole-form analysis (never in load: it searches the form's paths, and load must stay fast).
    return sorted_problems([*compiled.problems,
                            *analyse(compiled.form, text, compiled.definition)])


def _ids(form: Form) -> frozenset[str]:
    return frozenset(q.id for q in form.questions)


# -- texts and computed values -----------------------------------------------------------------
def _missing_languages(definition: FormDef, diag: Diagnostics) -> None:
    languages = definition.languages
    for loc, what, present in definition.text_locs:
        missing = [lang for lang in languages if lang not in present]
        if missing:
            diag.warn(loc, "missing_language",
                      f"{what} has no {', '.join(missing)} text (the form's languages are "
                      f"{', '.join(languages)})")


def _unused_computed(form: Form, view: RulesView, diag: Diagnostics) -> None:
    rules = [j.when for q in view.questions for j in q.jumps]
    rules += [rule for q in view.questions for rule in q.ask_if]
    rules += [c.expr for c in (*view.checks, *view.findings, *view.categories)]
    rules += [q.value for q in view.questions if q.value is not None]
    used = {m.id for rule in rules for m in n.names(rule)}
    used.update(name for ind in form.indicators for parts in ind.templates.values()
                for is_name, name in parts if is_name)  # quoted in a description
    for q in view.questions:
        if q.value is not None and q.id not in used:
            diag.warn(q.loc, "unused_computed",
                      f"computed value {q.id} is not used by any jump, check, finding or other "
                      "computed value (records still carry it)")


# -- how exactly representative answers stand for a question -----------------------------------
_COMBINED = "are used in arithmetic or compared with other answers"
_MANY_CODES = "are multiple choices of more than 4 codes, counted or tested for several codes"
_SINGULAR = {_COMBINED: "is used in arithmetic or compared with another answer",
             _MANY_CODES: "is a multiple choice of more than 4 codes, counted or tested for several "
                          "codes"}


def _nodes(rules: Iterable[n.Node], computed: Mapping[str, n.Node]
           ) -> Iterator[tuple[n.Node, n.Node | None]]:
    """Every node of ``rules`` with its parent, following computed values into their rules."""
    followed: set[str] = set()
    stack: list[tuple[n.Node, n.Node | None]] = [(rule, None) for rule in rules]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        if isinstance(node, n.Name) and node.id in computed and node.id not in followed:
            followed.add(node.id)
            stack.append((computed[node.id], None))
        stack.extend((child, node) for child in node.children())


def _is_constant(node: n.Node, form: Form) -> bool:
    return n.literal_value(node) is not None or (
        isinstance(node, n.Name) and node.id in form.params)


def _why_inexact(q: Question, name: n.Name, parent: n.Node | None, form: Form) -> str | None:
    """Why representative answers may miss a way ``parent`` sees ``q``; None when they do not."""
    if q.type == "single":
        return None
    if isinstance(parent, n.Call) and parent.func in ("answered", "count", *_CODE_TESTS):
        # answered() sees only blank or not; selected() and count() see the codes of a choice.
        return _MANY_CODES if parent.func == "count" and len(q.choices) > 4 else None
    if q.type == "multiple":
        return None if len(q.choices) <= 4 else _MANY_CODES
    simple = False
    if isinstance(parent, n.Compare):
        other = parent.right if parent.left is name else parent.left
        simple = _is_constant(other, form) and (
            q.type in (*NUMERIC, "date") or parent.op not in _ORDERED)
    elif isinstance(parent, n.In):
        simple = parent.left is name and all(_is_constant(i, form) for i in parent.items.items)
    return None if simple else _COMBINED


def _small_range(q: Question) -> list[int] | None:
    """Every answer to a whole-number question with few of them (``min: 0, max: 5``), else None."""
    if q.type not in ("integer", "year") or q.min is None or q.max is None:
        return None
    lo, hi = int(q.min), int(q.max)
    return list(range(lo, hi + 1)) if 0 <= hi - lo < SMALL_RANGE else None


def _inexact(rules: Iterable[n.Node], form: Form, computed: Mapping[str, n.Node],
             ids: frozenset[str] | None = None) -> tuple[set[str], dict[str, str]]:
    """The questions ``rules`` read in ways their representative answers may miss: those to give
    more answers, and of them those whose answers stay a sample (id → why). Choice codes and small
    ranges of whole numbers are tried in full, and constants on each side; the rest is sampled."""
    out: dict[str, str] = {}
    selected: dict[str, int] = {}
    ids = _ids(form) if ids is None else ids
    for node, parent in _nodes(rules, computed):
        if isinstance(node, n.Name) and node.id in ids and node.id not in computed:
            q = form.question(node.id)
            why = _why_inexact(q, node, parent, form)
            if why:
                out.setdefault(q.id, why)
            if isinstance(parent, n.Call) and parent.func in _CODE_TESTS:
                selected[q.id] = selected.get(q.id, 0) + 1
    for qid, count in selected.items():
        # One selected() is decided by single codes; several together need combinations.
        if count > 1 and len(form.question(qid).choices) > 4:
            out.setdefault(qid, _MANY_CODES)
    return set(out), {qid: why for qid, why in out.items()
                      if _small_range(form.question(qid)) is None}


def _numbers_in(rules: Iterable[n.Node], form: Form, computed: Mapping[str, n.Node]
                ) -> set[int | float]:
    """The numbers written in ``rules`` (and the computed values they use), params included."""
    out: set[int | float] = set()
    for node, _parent in _nodes(rules, computed):
        value = form.params.get(node.id) if isinstance(node, n.Name) else n.literal_value(node)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.add(value)
    return out


def _next_day(text: str, days: int) -> str | None:
    try:
        return (_dt.date.fromisoformat(text) + _dt.timedelta(days=days)).isoformat()
    except (ValueError, OverflowError):
        return None


def _snapped(q: Question, constants: Iterable[Any]) -> list[int | float]:
    """The answers just below and above each number ``q`` is compared with, at its precision:
    ``x > 2.5`` on a whole number is decided by 2 and 3 (1.5 and 3.5 are no answers)."""
    if q.type not in NUMERIC:
        return []
    places = 0 if q.type in ("integer", "year") else (
        q.decimals if q.decimals is not None else 2 if q.type == "money" else 6)
    step = 10 ** -places
    out: list[int | float] = []
    for c in constants:
        if isinstance(c, (int, float)) and not isinstance(c, bool):
            below = math.floor(round(c / step, 6)) * step
            out += [round(below, places), round(below + step, places)]
    return [int(v) if places == 0 else v for v in out]


def _widen(form: Form, q: Question, values: list[Any], constants: Iterable[Any],
           numbers: set[int | float], inexact: bool) -> list[Any]:
    """``values`` (raw answers to ``q``) plus the answers around each constant it is compared
    with, and, for a question that rules combine with others, a few small values and the numbers
    those rules mention: enough to show both outcomes of ``q15_1b <= q15_1a`` or
    ``(q1_total - q1_4) / size < 4000``."""
    extra: list[Any] = _snapped(q, constants)
    if q.type == "date":
        extra += [_next_day(v, d) for v in values if isinstance(v, str) for d in (-1, 1)]
    if inexact and _small_range(q) is not None:
        extra += _small_range(q) or []
    elif inexact and q.type in NUMERIC:
        lo = q.min if q.min is not None else (1900 if q.type == "year" else 0)
        extra += [0, 1, 2, lo, lo + 1, lo + 2]
        extra += [x for c in sorted(numbers) for x in (c, c + 1)]
    elif inexact and q.type == "date":
        lo = q.min or "2020-01-01"
        extra += [lo, _next_day(lo, 1), _next_day(lo, 2)]
    elif inexact and q.type == "text":
        extra += ["a", "zzzzzzzzzz"]
    coerce = form.steps[q.index].entered
    out = list(values)
    seen = {repr(v) for v in values}
    for v in extra:
        if v is None or repr(v) in seen:
            continue
        try:
            if coerce(v) is None:
                continue
        except AnswerError:  # outside the question's range: not a possible answer
            continue
        seen.add(repr(v))
        out.append(v)
    return out


def _canonical(form: Form, q: Question, values: list[Any]) -> list[Any]:
    """The answers as rules see them (None for a blank one), each once."""
    coerce = form.steps[q.index].entered
    out: dict[str, Any] = {}
    for v in values:
        c = coerce(v)
        out.setdefault(repr(c), c)
    return list(out.values())


def _join(names: list[str], limit: int = 6) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, … and 4 more``."""
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- one answer of each kind a check can tell apart --------------------------------------------
def _compared_with(rules: Iterable[n.Node], qid: str, form: Form, computed: Mapping[str, n.Node]
                   ) -> list[Any] | None:
    """The constants ``rules`` compare ``qid`` with, when that is all they do with it (``q > 3``,
    ``q in (1, 2)``, ``answered(q)``); None when some rule reads it another way."""
    out: list[Any] = []
    for node, parent in _nodes(rules, computed):
        if not isinstance(node, n.Name) or node.id != qid:
            continue
        if isinstance(parent, n.Compare):
            other = parent.right if parent.left is node else parent.left
            others = [other]
        elif isinstance(parent, n.In) and parent.left is node:
            others = list(parent.items.items)
        elif isinstance(parent, n.Call) and parent.func == "answered":
            continue
        else:
            return None
        for other in others:
            if not _is_constant(other, form):
                return None
            value = form.params[other.id] if isinstance(other, n.Name) else n.literal_value(other)
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                return None
            out.append(value)
    return out


def _near(a: float, b: float) -> bool:
    """Numbers close enough for the rules' forgiving equality (with a wide margin)."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


class _Answers:
    """The answers a check's search tries for one question, in order, and of them the first of
    each kind that comparisons with given constants tell apart: ``a > 7`` sees only whether an
    answer is blank, below, at or above 7, however many other constants a form compares ``a``
    with. Answers a comparison could order differently than Python does (unlike types, numbers
    nearly equal) are never merged."""

    def __init__(self, values: list[Any]) -> None:
        self.values = values
        self.blank = [k for k, v in enumerate(values) if v is None]
        given = [(v, k) for k, v in enumerate(values) if v is not None]
        self.kind: type | None = None
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v, _k in given):
            self.kind = float
        elif all(isinstance(v, str) for v, _k in given):
            self.kind = str
        if self.kind is not None:
            given.sort(key=lambda vk: vk[0])
        self.keys = [v for v, _k in given]
        if self.kind is float and any(_near(a, b) for a, b in itertools.pairwise(self.keys)):
            self.kind = None
        # first[j][i]: the earliest position among keys i .. i + 2**j - 1 (a sparse table)
        self.first = [[k for _v, k in given]]
        width = 1
        while 2 * width <= len(given):
            row = self.first[-1]
            self.first.append([min(row[i], row[i + width]) for i in range(len(row) - width)])
            width *= 2

    def _earliest(self, lo: int, hi: int) -> int:
        j = (hi - lo).bit_length() - 1
        return min(self.first[j][lo], self.first[j][hi - (1 << j)])

    def told_apart(self, constants: list[Any] | None) -> list[Any]:
        """The first answer of each kind comparisons with ``constants`` tell apart (blank, below,
        equal to or between them), in the order they are tried; every answer when they cannot be
        told apart that way (``constants`` None)."""
        if constants is None or self.kind is None:
            return self.values
        numeric = self.kind is float
        if not all(isinstance(c, str) != numeric for c in constants):
            return self.values
        keys = self.keys
        bounds = [0]
        for c in sorted(set(constants)):
            lo, hi = bisect.bisect_left(keys, c), bisect.bisect_right(keys, c)
            if numeric and any(_near(keys[k], c) for k in (lo - 1, hi) if 0 <= k < len(keys)):
                return self.values
            bounds += [lo, hi]
        bounds.append(len(keys))
        chosen = set(self.blank[:1])
        chosen.update(self._earliest(lo, hi) for lo, hi in itertools.pairwise(bounds) if lo < hi)
        return [self.values[k] for k in sorted(chosen)]


@attrs.frozen(slots=True)
class _CheckPlan:
    """What the search for one check needs: the answers to try and the positions that matter."""

    check: Check | Indicator
    loc: SourceLocation
    named: dict[str, list[Any]]  # question read → canonical answers to try
    inexact: dict[str, str]  # question read → why its answers are only a sample
    watch: frozenset[str]  # computed values the check waits for
    first: int
    last: int
    what: str = "check"  # or "finding"


class _Analysis:
    """Reachability, jumps and checks of one form, reported to ``diag``."""

    def __init__(self, form: Form, view: RulesView, diag: Diagnostics) -> None:
        self.form = form
        self.d = view
        self.diag = diag
        self.computed = {q.id: q.value for q in self.d.questions if q.value is not None}
        self.ids = _ids(form)
        self.by_id = {q.id: q for q in form.questions}
        self.refs = RuleRefs(form, view)
        #: per question: the answers checks try for it (unless their rule widens them), and what
        #: jumps compare it with (None: they read it another way)
        self.answers: dict[str, _Answers] = {}
        self.jump_constants: dict[str, list[Any] | None] = {}
        self.stats = {"states": 0, "leaves": 0, "answers": 0}
        self.ex = Explorer(form)
        self.constants = compared_constants(form, view)
        self.n = len(form.steps)
        #: findings left undecided, by kind: (where, what, why: question → reason; None: budget)
        self.undecided: dict[str, list[tuple[SourceLocation, str, dict[str, str] | None]]] = {}
        guards = [_inexact((*(j.when for j in q.jumps), *q.ask_if), form, self.computed, self.ids)
                  for q in self.d.questions]
        #: per question: the questions its jumps read whose answers stay a sample, and why
        self.guard_inexact = [approx for _wide, approx in guards]
        # prefix_exact[i]: every jump before position i is decided by representative answers.
        self.prefix_exact = [True] * (self.n + 1)
        for i in range(self.n):
            self.prefix_exact[i + 1] = self.prefix_exact[i] and not self.guard_inexact[i]
        self._widen_explorer([wide for wide, _approx in guards])

    def _widen_explorer(self, wide: list[set[str]]) -> None:
        """Give the exploration more answers for questions that jumps read in arithmetic."""
        inexact: dict[str, set[int | float]] = {}
        for q, qids in zip(self.d.questions, wide):
            for qid in qids:
                inexact.setdefault(qid, set()).update(
                    _numbers_in((*(j.when for j in q.jumps), *q.ask_if), self.form,
                                self.computed))
        for qid, values in self.ex.values.items():
            q = self.form.question(qid)
            self.ex.values[qid] = _widen(self.form, q, values, self.constants.get(qid, ()),
                                         inexact.get(qid, set()), qid in inexact)

    def run(self) -> None:
        plans = [self._plan(c, cdef.expr, cdef.loc) for c, cdef in zip(self.form.checks, self.d.checks)]
        plans += [attrs.evolve(self._plan(f, fdef.expr, fdef.loc), what="finding")
                  for f, fdef in zip(self.form.indicators, self.d.findings)]
        walker = Walker(self.ex, [p.first for p in plans])
        complete, asked = self._walk_form(walker)
        unreachable = self._report_unreachable({self.form.steps[i].id for i in asked}, complete)
        budget = TOTAL_CHECK_BUDGET
        for plan in plans:
            if unreachable & set(plan.check.deps):
                continue  # the question it waits for is reported as never asked
            if budget <= 0:
                self._undecided(plan.what, plan.loc, plan.check.id, None)
                continue
            starts = walker.frontier[plan.first].values()
            budget -= self._check(plan, starts, complete, min(budget, CHECK_BUDGET))
        self.stats["states"] += walker.states
        self.stats["leaves"] += walker.leaves
        self._report_undecided()

    def _undecided(self, kind: str, loc: SourceLocation, what: str,
                   why: dict[str, str] | None) -> None:
        self.undecided.setdefault(kind, []).append((loc, what, why))

    def _prefix_reasons(self, index: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for why in self.guard_inexact[:index]:
            out.update(why)
        return out

    # -- reachability and jumps ----------------------------------------------------------------
    def _walk_form(self, walker: Walker) -> tuple[bool, set[int]]:
        """Walk every state once, judging the jumps on the way; whether the walk finished within
        its budget, and the positions it asked."""
        steps = self.form.steps
        # per question with jumps, per jump: [holds somewhere, fails somewhere, taken somewhere]
        stats = {i: [[False, False, False] for _ in s.jumps] for i, s in enumerate(steps) if s.jumps}

        def on_stop(i: int, env: Env) -> None:
            step = steps[i]
            if not step.jumps:
                return
            for value in self.ex.values.get(step.id, [self.ex.defaults.get(step.id)]):
                after = dict(env)
                canonical = step.entered(value)
                if canonical is not None:
                    after[step.id] = canonical
                for k, (guard, _target) in enumerate(step.jumps):
                    stats[i][k][0 if guard(after) else 1] = True
                hit = step.route(after) if step.route is not None else None
                if hit is not None:
                    stats[i][hit[0]][2] = True

        complete, _work = walker.search([(0, 0, dict(self.form.params))], {}, self.n - 1,
                                        FORM_BUDGET, lambda env, reached: False,
                                        on_stop=on_stop, record=True)
        asked = {i for start, stop in walker.spans for i in range(start, stop)}
        for i, per_jump in stats.items():
            if i in asked:
                self._report_jumps(self.d.questions[i], per_jump, complete)
        return complete, asked

    def _report_jumps(self, q: Any, per_jump: list[list[bool]], complete: bool) -> None:
        exact = complete and self.prefix_exact[q.index] and not self.guard_inexact[q.index]
        for jump, (holds, fails, taken) in zip(q.jumps, per_jump):
            to = "the closing section" if jump.target == "end" else jump.target
            rule = n.to_source(jump.when)
            if holds and fails and taken:
                continue
            if not exact:
                why = None if not complete else {**self._prefix_reasons(q.index),
                                                 **self.guard_inexact[q.index]}
                self._undecided("jump", jump.loc, f"{q.id} → {jump.target}", why)
            elif not holds:
                self.diag.warn(jump.loc, "jump_never",
                               f"the jump of {q.id} to {to} is never taken: `{rule}` never "
                               f"holds when {q.id} is asked")
            elif not taken:
                self.diag.warn(jump.loc, "jump_never",
                               f"the jump of {q.id} to {to} is never taken: whenever `{rule}` "
                               "holds, an earlier jump of the question is taken first")
            elif not fails:
                self.diag.warn(jump.loc, "jump_always",
                               f"the rule of the jump of {q.id} to {to} always holds: `{rule}` is "
                               f"true for every answer to {q.id} on every path, so {q.id} never "
                               "goes on to the question after it")

    def _report_unreachable(self, reached: set[str], complete: bool) -> set[str]:
        out = set()
        for q in self.d.questions:
            if q.type == "computed" or q.id in reached:
                continue
            if complete and self.prefix_exact[q.index]:
                out.add(q.id)
                self.diag.warn(q.loc, "unreachable_question",
                               f"{q.id} is never asked: " + (
                                   "the jumps before it or its ask_if skip it on every path"
                                   if q.ask_if else "the jumps before it skip it on every path"))
            else:
                why = self._prefix_reasons(q.index) if complete else None
                self._undecided("unreachable_question", q.loc, q.id, why)
        return out

    # -- checks --------------------------------------------------------------------------------
    def _plan(self, check: Check | Indicator, expr: n.Node, loc: SourceLocation) -> _CheckPlan:
        """The answers to try for each question ``check`` reads, and where the search runs."""
        wide, inexact = _inexact([expr], self.form, self.computed, self.ids)
        named: dict[str, list[Any]] = {}
        for qid in self.refs(expr):
            q = self.by_id[qid]
            if q.computed:
                continue
            if qid in wide:
                numbers = _numbers_in([expr], self.form, self.computed)
                named[qid] = _canonical(self.form, q, _widen(
                    self.form, q, self._base(q), self.constants.get(qid, set()), numbers, True))
                continue
            # Only the constants this check and the jumps compare the answer with tell answers
            # apart here: of the answers tried for the whole form, one of each kind is enough.
            constants = _compared_with([expr], qid, self.form, self.computed)
            if constants is not None and qid in self.ex.branching:
                jumps = self._jump_constants(qid)
                constants = None if jumps is None else constants + jumps
            named[qid] = self._answers(q).told_apart(constants)
        for values in named.values():
            self.stats["answers"] += len(values)
        watch = frozenset(d for d in check.deps if self.by_id[d].computed)
        positions = [self.by_id[qid].index for qid in (*named, *watch)]
        return _CheckPlan(check, loc, named, {q: w for q, w in inexact.items() if q in named},
                          watch, min(positions, default=0), max(positions, default=-1))

    def _base(self, q: Question) -> list[Any]:
        return self.ex.values.get(q.id) or representatives(
            self.form, q, self.constants.get(q.id, set()))[0]

    def _answers(self, q: Question) -> _Answers:
        """The answers every check whose rule does not widen them tries for ``q`` (built once)."""
        if q.id not in self.answers:
            constants = self.constants.get(q.id, set())
            self.answers[q.id] = _Answers(_canonical(self.form, q, _widen(
                self.form, q, self._base(q), constants, set(), False)))
        return self.answers[q.id]

    def _jump_constants(self, qid: str) -> list[Any] | None:
        if qid not in self.jump_constants:
            rules = [j.when for q in self.d.questions for j in q.jumps]
            rules += [rule for q in self.d.questions for rule in q.ask_if]
            self.jump_constants[qid] = _compared_with(rules, qid, self.form, self.computed)
        return self.jump_constants[qid]

    def _check(self, plan: _CheckPlan, starts: Iterable[Item], walked: bool, budget: int) -> int:
        """Search for records on which a check fires and does not; report; the work it took."""
        check, deps = plan.check, plan.check.deps
        found = {"fires": False, "passes": False}
        together: set[frozenset[str]] = set()
        computes = {cid: self.form.steps[self.form.question(cid).index].compute
                    for cid in plan.watch}

        def on_leaf(env: Env, reached: frozenset[str]) -> bool:
            if plan.watch:
                env = dict(env)
                for cid in reached:
                    value = computes[cid](env)  # type: ignore[misc]
                    if value is not None:
                        env[cid] = value
            answered = frozenset(d for d in deps if env.get(d) is not None)
            if len(answered) < len(deps):
                together.add(answered)
                return False
            found["fires" if check.fires(env) else "passes"] = True
            return found["fires"] and found["passes"]

        walker = Walker(self.ex)
        complete, work = walker.search(starts, plan.named, plan.last, budget, on_leaf,
                                       watch=plan.watch)
        self.stats["states"] += walker.states
        self.stats["leaves"] += walker.leaves
        complete &= walked
        if found["fires"] and found["passes"]:
            return work
        asked_exact = complete and self.prefix_exact[plan.last + 1]
        why = None if not complete else {**self._prefix_reasons(plan.last + 1), **plan.inexact}
        if not (found["fires"] or found["passes"]):
            if asked_exact:
                self._never_applies(plan, together)
            else:
                self._undecided(plan.what, plan.loc, check.id, why)
        elif not asked_exact or plan.inexact:
            self._undecided(plan.what, plan.loc, check.id, why)
        else:
            self._one_sided(plan, fires=found["fires"])
        return work

    def _one_sided(self, plan: _CheckPlan, fires: bool) -> None:
        check, what = plan.check, plan.what
        holds = "always" if fires == (check.kind == "when") else "never"
        does = {("check", True): "fires on every record it applies to",
                ("check", False): "never fires",
                ("finding", True): "is made by every record it applies to",
                ("finding", False): "is never made by any record"}[what, fires]
        self.diag.warn(plan.loc, f"{what}_{'always' if fires else 'never'}",
                       f"{what} {check.id} {does}: `{check.source}` {holds} holds once its "
                       "questions are answered")

    def _never_applies(self, plan: _CheckPlan, together: set[frozenset[str]]) -> None:
        """Report a check that no record ever applies to, naming the questions that keep it out."""
        check, what = plan.check, plan.what
        deps = sorted(check.deps, key=lambda qid: self.form.question(qid).index)
        missing = [d for d in deps if not any(d in s for s in together)]
        if missing:
            self.diag.warn(plan.loc, f"{what}_never",
                           f"{what} {check.id} never applies: {_join(missing)} never has a "
                           "value on any path")
            return
        apart = next(((a, b) for k, a in enumerate(deps) for b in deps[k + 1:]
                      if not any(a in s and b in s for s in together)), None)
        names = f"both {apart[0]} and {apart[1]}" if apart else f"all of {_join(deps)}"
        self.diag.warn(plan.loc, f"{what}_not_together",
                       f"{what} {check.id} never applies: no path asks {names}, and it waits "
                       "for an answer to each")

    # -- what could not be decided -------------------------------------------------------------
    def _report_undecided(self) -> None:
        """One cannot_decide per kind of finding, at the first item left open, naming them all."""
        whats = {"unreachable_question": ("whether {} can be asked", "whether {} can be asked"),
                 "jump": ("whether the jump {} is taken on some paths and not on others",
                          "whether the jumps {} are taken on some paths and not on others"),
                 "check": ("whether the check {} can both fire and pass",
                           "whether the checks {} can both fire and pass"),
                 "finding": ("whether the finding {} is made on some records and not on others",
                             "whether the findings {} are made on some records and not on "
                             "others")}
        for kind, items in self.undecided.items():
            items.sort(key=lambda item: (item[0].line, item[0].column))
            by_reason: dict[str, list[str]] = {}
            ran_out = False
            for _loc, _what, why in items:
                ran_out |= why is None
                for qid, reason in (why or {}).items():
                    if qid not in by_reason.setdefault(reason, []):
                        by_reason[reason].append(qid)
            because = [self._because(ids, reason) for reason, ids in by_reason.items()]
            if ran_out:
                because.append("the search budget ran out")
            names = [what for _loc, what, _why in items]
            what = whats[kind][len(names) > 1].format(_join(names))
            self.diag.warn(items[0][0], "cannot_decide",
                           f"could not decide {what}: {'; '.join(because)}")

    def _because(self, qids: list[str], reason: str) -> str:
        qids = sorted(qids, key=lambda qid: self.form.question(qid).index)
        verb = reason if len(qids) > 1 else _SINGULAR[reason]
        return f"only sample answers were tried for {_join(qids)}, which {verb}"
