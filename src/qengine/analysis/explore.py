"""Exploring a compiled form's state space: which paths exist, with a witness record for each.

The branching of a form comes from its jumps and its ask_if rules. A question matters to the
branching when it has jumps or when a later jump's or ask_if's rule reads it; every other question
gets one plain answer. A question that matters is tried with a few *representative* answers: every
code of a choice question, and for a number the values around each constant it is compared with
(so ``i23 == 0`` is tried with 0 and 1).
That makes the exploration exact where the domain is finite or the rules compare with constants,
and :attr:`Explorer.exact` says when it is not.

Used by :mod:`qengine.testing` (paths, coverage) and by the linter's whole-form analysis.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import attrs

from qengine.analysis.rules import RulesView, rules_view
from qengine.errors import AnswerError
from qengine.lang import nodes as n
from qengine.runtime.form import Form, Question

DEFAULT_ID_NUMBER = "11010519491231002X"
NUMERIC = ("integer", "number", "money", "year")


@attrs.frozen(slots=True)
class FormPath:
    """One distinct path: the ids asked, in order, and a record that takes it."""

    questions: tuple[str, ...]
    witness: dict[str, Any] = attrs.field(eq=False)


class RuleRefs:
    """The question ids rules read, with computed values expanded to what they read: one index of
    the form's computed values and ids, built once for any number of rules."""

    def __init__(self, form: Form, view: RulesView | None = None) -> None:
        view = view or rules_view(form)
        self.values = {q.id: q.value for q in view.questions if q.value is not None}
        self.ids = {q.id for q in view.questions}

    def __call__(self, node: n.Node) -> set[str]:
        out: set[str] = set()
        stack = [m.id for m in n.names(node)]
        while stack:
            name = stack.pop()
            if name in out or name not in self.ids:
                continue
            out.add(name)
            if name in self.values:
                stack.extend(m.id for m in n.names(self.values[name]))
        return out


def rule_refs(node: n.Node, form: Form, view: RulesView | None = None) -> set[str]:
    """The question ids a rule reads, with computed values expanded to what they read."""
    return RuleRefs(form, view)(node)


def rules_of(form: Form, view: RulesView | None = None) -> list[n.Node]:
    """Every rule of a form: jump conditions, ask_if rules, check rules and computed values."""
    d = view or rules_view(form)
    out = [j.when for q in d.questions for j in q.jumps]
    out += _ask_if_rules(d)
    out += [c.expr for c in d.checks]
    out += [q.value for q in d.questions if q.value is not None]
    return out


def _ask_if_rules(view: RulesView) -> list[n.Node]:
    """Each ask_if rule once (a section's is shared by its questions)."""
    out: list[n.Node] = []
    seen: set[int] = set()
    for q in view.questions:
        for rule in q.ask_if:
            if id(rule) not in seen:
                seen.add(id(rule))
                out.append(rule)
    return out


def compared_constants(form: Form, view: RulesView | None = None) -> dict[str, set[Any]]:
    """For each question, the constants (literals and params) rules compare it with."""
    params = form.params
    ids = {q.id for q in form.questions}
    out: dict[str, set[Any]] = {}

    def value_of(node: n.Node) -> Any:
        lit = n.literal_value(node)
        if lit is not None:
            return lit
        if isinstance(node, n.Name) and node.id in params:
            return params[node.id]
        return None

    for rule in rules_of(form, view):
        for node in n.walk(rule):
            pairs: list[tuple[n.Node, list[n.Node]]] = []
            if isinstance(node, n.Compare):
                pairs = [(node.left, [node.right]), (node.right, [node.left])]
            elif isinstance(node, n.In):
                pairs = [(node.left, list(node.items.items))]
            elif isinstance(node, n.Call) and node.func in ("selected", "contains") and node.args:
                pairs = [(node.args[0], list(node.args[1:]))]
            for side, others in pairs:
                if isinstance(side, n.Name) and side.id in ids:
                    for other in others:
                        value = value_of(other)
                        if value is not None:
                            out.setdefault(side.id, set()).add(value)
    return out


def default_answer(q: Question) -> Any:
    """A plain valid answer to ``q``: its first code, its lower bound or 0, "x", a valid date."""
    if q.type == "single":
        return q.choices[0].code
    if q.type == "multiple":
        return [q.choices[0].code]
    if q.type in NUMERIC:
        lo = q.min if q.min is not None else 0  # min is effective: a year's default is in it
        if q.max is not None and lo > q.max:
            lo = q.max
        return int(lo) if float(lo).is_integer() else lo
    if q.type == "date":
        return q.min or "2020-01-01"
    if q.type == "id_number":
        return DEFAULT_ID_NUMBER
    return "x"


def representatives(form: Form, q: Question, constants: set[Any]) -> tuple[list[Any], bool]:
    """A few answers that between them show every way rules can see ``q``; exact or not."""
    coerce = form.steps[q.index].entered
    values: list[Any] = []
    exact = True
    if q.type == "single":
        values = [c.code for c in q.choices]
    elif q.type == "multiple":
        codes = [c.code for c in q.choices]
        if len(codes) <= 4:
            values = [[c for i, c in enumerate(codes) if mask >> i & 1]
                      for mask in range(1, 2 ** len(codes))]
        else:
            values = [[c] for c in codes] + [codes]
            exact = False
    elif q.type in NUMERIC:
        step = 1 if q.type in ("integer", "year") else 0.01
        points = {default_answer(q)}
        for c in constants:
            if isinstance(c, (int, float)) and not isinstance(c, bool):
                points |= {c - step, c, c + step}
        for bound in (q.min, q.max):
            if bound is not None:
                points.add(bound)
        # Snap every point to the answer's grid too, so a constant finer than the answers
        # (x > 2.5 on an integer, m > 0.005 on money) still splits the domain where it should.
        places = q.decimals or 0  # effective: the machine holds every question's decimals
        scale = 10 ** places
        for p in list(points):
            points |= {math.floor(p * scale) / scale, math.ceil(p * scale) / scale}
        values = sorted(int(p) if float(p).is_integer() else p for p in points)
    else:
        values = [default_answer(q), *sorted(c for c in constants if isinstance(c, str))]
        exact = all(isinstance(c, str) for c in constants)
    accepted = []
    for v in values:
        try:
            if coerce(v) is not None:
                accepted.append(round(v, 2) if isinstance(v, float) else v)
        except AnswerError:  # outside the question's range: not a possible answer
            continue
    if q.type == "multiple" and q.none_ok:  # "none of these" is an answer of its own
        accepted.append([])
    if not q.required:  # and the blank (a none_ok question's [] is no blank: both are tried)
        accepted.append(None if q.type != "multiple" or q.none_ok else [])
    return accepted, exact


def _sampled(rule: n.Node, form: Form) -> bool:
    """True when representative answers cannot decide ``rule`` exactly."""
    for node in n.walk(rule):
        if isinstance(node, (n.BinOp, n.Neg)) or (
                isinstance(node, n.Call) and node.func not in ("answered", "selected",
                                                               "contains")):
            return True
        if isinstance(node, n.Compare) and not any(
                n.literal_value(side) is not None or (isinstance(side, n.Name)
                                                      and side.id in form.params)
                for side in (node.left, node.right)):
            return True
    return False


class Explorer:
    """The branching structure of one compiled form."""

    def __init__(self, form: Form) -> None:
        self.form = form
        steps = form.steps
        self.n = len(steps)
        d = self.view = rules_view(form)
        constants = compared_constants(form, d)
        index = {s.id: s.index for s in steps}
        refs = RuleRefs(form, d)
        self.guard_refs: list[set[str]] = [
            set().union(*(refs(r) for r in (*(j.when for j in q.jumps), *q.ask_if)))
            for q in d.questions]
        # needed_after[i]: answers before i that a jump at i or later reads.
        self.needed_after: list[tuple[str, ...]] = [()] * (self.n + 1)
        later: set[str] = set()
        for i in range(self.n - 1, -1, -1):
            later |= self.guard_refs[i]
            self.needed_after[i] = tuple(sorted(q for q in later if index[q] < i))
        read_later = set().union(*self.needed_after)
        self.branching = {steps[i].id for i in range(self.n) if steps[i].jumps} | read_later
        self.read_later = read_later
        self.values: dict[str, list[Any]] = {}
        self.exact = True
        for qid in self.branching:
            q = form.question(qid)
            if q.computed:
                continue
            self.values[qid], exact = representatives(form, q, constants.get(qid, set()))
            self.exact &= exact
        self.defaults = {q.id: default_answer(q) for q in form.questions if not q.computed}
        # Representative answers are exact only for comparisons with constants; arithmetic or a
        # comparison of two answers in a jump makes them a sample.
        if any(_sampled(r, form) for r in (*(j.when for q in d.questions for j in q.jumps),
                                           *_ask_if_rules(d))):
            self.exact = False

    def _next(self, i: int, skip_to: int, env: dict[str, Any]) -> int:
        """The next question asked at or after ``i``: not skipped by a jump, its ask_if holding."""
        return self.form.next_relevant(max(i, skip_to), env)

    def outcome(self, i: int, env: dict[str, Any]) -> int:
        """Where the jumps of question i send the interview: the index to continue from."""
        route = self.form.steps[i].route
        hit = route(env) if route is not None else None
        return i + 1 if hit is None else hit[1]

    def choices(self, i: int, env: dict[str, Any]) -> list[tuple[Any, dict[str, Any], int]]:
        """The answers worth trying at branching question i: (value, env after, next index).
        Answers with the same effect are merged unless a later jump reads this one."""
        step = self.form.steps[i]
        out: list[tuple[Any, dict[str, Any], int]] = []
        seen: set[int] = set()
        for value in self.values.get(step.id, [self.defaults[step.id]]):
            after = dict(env)
            canonical = step.entered(value)
            if canonical is not None:
                after[step.id] = canonical
            target = self.outcome(i, after)
            if step.id not in self.read_later:
                if target in seen:
                    continue
                seen.add(target)
            out.append((value, after, target))
        return out

    def paths(self, limit: int | None = None) -> Iterator[FormPath]:
        """Every distinct path with a witness record; at most ``limit`` of them."""
        seen: set[tuple[str, ...]] = set()
        start = dict(self.form.params)
        produced = 0
        # An explicit stack of (index, skip_to, env, path, witness): no recursion limit.
        stack: list[tuple[int, int, dict[str, Any], list[str], dict[str, Any]]] = [
            (0, 0, start, [], {})]
        steps = self.form.steps
        # A state reached again along the same path so far can only repeat paths given already
        # (answers told apart for a rule that, in the end, sends them the same way).
        visited: set[tuple[Any, ...]] = set()
        while stack:
            i, skip_to, env, path, witness = stack.pop()
            i = self._next(i, skip_to, env)
            while i < self.n and steps[i].id not in self.branching:
                qid = steps[i].id
                path.append(qid)
                witness[qid] = self.defaults[qid]
                canonical = steps[i].entered(witness[qid])
                if canonical is not None:
                    env[qid] = canonical
                i = self._next(i + 1, skip_to, env)
            if i < self.n:
                state = (len(path), tuple(path), i, skip_to,
                         *(repr(env.get(q)) for q in self.needed_after[i]))
                if state in visited:
                    continue
                visited.add(state)
            if i >= self.n:
                key = tuple(path)
                if key not in seen:
                    seen.add(key)
                    yield FormPath(key, witness)
                    produced += 1
                    if limit is not None and produced >= limit:
                        return
                continue
            qid = steps[i].id
            for value, after, target in reversed(self.choices(i, env)):
                new_skip = target if target > i + 1 else skip_to
                stack.append((i + 1, max(skip_to, new_skip), after, [*path, qid],
                               {**witness, qid: value}))

    def count(self) -> int:
        """How many distinct paths there are (memoised: fast even when they are many).

        With ask_if rules, answers that a rule reads are told apart even where they lead the same
        way, so counting per answer would count such a path twice: the distinct path suffixes
        from each state are kept instead (memoised on the same states)."""
        if self.form.has_relevance:
            return len(self._suffixes())
        memo: dict[tuple[Any, ...], int] = {}
        steps = self.form.steps

        def key(i: int, skip_to: int, env: dict[str, Any]) -> tuple[Any, ...]:
            return (i, skip_to, *(repr(env.get(q)) for q in self.needed_after[i]))

        def count_from(i: int, skip_to: int, env: dict[str, Any]) -> int:
            i = self._next(i, skip_to, env)
            while i < self.n and steps[i].id not in self.branching:
                i = self._next(i + 1, skip_to, env)
            if i >= self.n:
                return 1
            k = key(i, skip_to, env)
            if k not in memo:
                total = 0
                for _value, after, target in self.choices(i, env):
                    new_skip = target if target > i + 1 else skip_to
                    total += count_from(i + 1, max(skip_to, new_skip), after)
                memo[k] = total
            return memo[k]

        return count_from(0, 0, dict(self.form.params))

    def _suffixes(self) -> frozenset[tuple[int, ...]]:
        """The distinct paths (as positions asked), built from the end: each state's set of
        path suffixes is worked out once (the state: position, skip, answers read later)."""
        memo: dict[tuple[Any, ...], frozenset[tuple[int, ...]]] = {}
        steps = self.form.steps

        def from_state(i: int, skip_to: int, env: dict[str, Any]) -> frozenset[tuple[int, ...]]:
            stretch: list[int] = []
            i = self._next(i, skip_to, env)
            while i < self.n and steps[i].id not in self.branching:
                stretch.append(i)
                i = self._next(i + 1, skip_to, env)
            if i >= self.n:
                return frozenset({tuple(stretch)})
            k = (i, skip_to, *(repr(env.get(q)) for q in self.needed_after[i]))
            if k not in memo:
                found: set[tuple[int, ...]] = set()
                for _value, after, target in self.choices(i, env):
                    new_skip = target if target > i + 1 else skip_to
                    found |= {(i, *rest) for rest in from_state(i + 1, max(skip_to, new_skip),
                                                                 after)}
                memo[k] = frozenset(found)
            head = tuple(stretch)
            return frozenset(head + rest for rest in memo[k]) if head else memo[k]

        return from_state(0, 0, dict(self.form.params))

    def reachable(self) -> dict[str, list[dict[str, Any]]]:
        """For each question that some path asks: a few environments in which it is asked.

        Memoised on the state (position, skip, answers later jumps read), so it stays fast when the
        number of paths is huge.
        """
        steps = self.form.steps
        out: dict[str, list[dict[str, Any]]] = {}
        visited: set[tuple[Any, ...]] = set()
        stack: list[tuple[int, int, dict[str, Any]]] = [(0, 0, dict(self.form.params))]
        while stack:
            i, skip_to, env = stack.pop()
            i = self._next(i, skip_to, env)
            if i >= self.n:
                continue
            k = (i, skip_to, *(repr(env.get(q)) for q in self.needed_after[i]))
            if k in visited:
                continue
            visited.add(k)
            qid = steps[i].id
            envs = out.setdefault(qid, [])
            if len(envs) < 8:
                envs.append(env)
            if qid not in self.branching:
                after = dict(env)
                canonical = steps[i].entered(self.defaults[qid])
                if canonical is not None:
                    after[qid] = canonical
                stack.append((i + 1, skip_to, after))
                continue
            for _value, after, target in self.choices(i, env):
                new_skip = target if target > i + 1 else skip_to
                stack.append((i + 1, max(skip_to, new_skip), after))
        return out
