"""The search of the linter's whole-form analysis: a depth-first walk over a form's states.

A state is a position, how far a jump skips and the answers read from there on; states alike are
walked once. A question is passed over when a jump skips it or its ask_if does not hold on the
answers so far, exactly as :func:`qengine.runtime.walk.walk` does.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from qengine.analysis.explore import Explorer

Env = dict[str, Any]
Leaf = Callable[[Env, frozenset[str]], bool]
Item = tuple[int, int, Env]  # a state to walk from: position, how far a jump skips, answers


class Walker:
    """A depth-first search over a form's states (a position, how far a jump skips, the answers
    jumps from there on read), memoised like :meth:`Explorer.reachable`. ``named`` questions are
    tried with each candidate answer, never merged; past ``last``, ``on_leaf`` gets the answers and
    the computed values of ``watch`` reached. A recording walk keeps the positions asked (``spans``)
    and the states crossing each of ``marks`` (``frontier``), where later searches start.
    """

    def __init__(self, explorer: Explorer, marks: Iterable[int] = ()) -> None:
        self.ex = explorer
        self.form = explorer.form
        self.steps = explorer.form.steps
        self.marks = sorted(set(marks))
        self.frontier: dict[int, dict[Any, Item]] = {m: {} for m in self.marks}
        self.spans: set[tuple[int, int]] = set()
        #: states taken from the stack and leaves judged, over every search of this walker
        self.states = 0
        self.leaves = 0

    def search(self, starts: Iterable[Item], named: Mapping[str, list[Any]], last: int,
               budget: int, on_leaf: Leaf, *, on_stop: Callable[[int, Env], None] | None = None,
               watch: frozenset[str] = frozenset(), record: bool = False) -> tuple[bool, int]:
        """Run the search; (whether it finished within ``budget``, the work it took)."""
        steps, ex = self.steps, self.ex
        stops = ex.branching | set(named)
        order = sorted(named, key=lambda qid: self.form.question(qid).index)
        seen: set[tuple[Any, ...]] = set()
        work = 0
        stack = [(i, skip_to, env, frozenset[str]()) for i, skip_to, env in starts]
        while stack:
            i0, skip_to, env, reached = stack.pop()
            self.states += 1
            i = start = max(i0, skip_to)
            while i <= last:
                step = steps[i]
                if step.relevant is not None and not step.relevant(env):
                    if record and i > start:  # not asked here: the span asked ends before it
                        self.spans.add((start, i))
                    i += 1
                    start = i
                    continue
                if step.compute is not None:
                    if step.id in watch:
                        reached = reached | {step.id}
                elif step.id in stops:
                    break
                i += 1
            key: tuple[Any, ...] = ("end", skip_to)
            if i <= last:
                key = (i, skip_to, reached, *(repr(env.get(q)) for q in ex.needed_after[i]),
                       *(repr(env.get(q)) for q in order))
            if record:
                if start <= min(i, last):
                    self.spans.add((start, min(i, last) + 1))
                self._mark(i0, min(i, last), reached, (i0, skip_to, env))
            if i > last:
                self.leaves += 1
                if on_leaf(env, reached):
                    return True, work
                continue
            if key in seen:
                continue
            work += len(key)
            if work > budget:
                return False, work
            seen.add(key)
            if on_stop is not None:
                on_stop(i, env)
            for after, target in reversed(self._branches(i, self._kept(i, env, order), named)):
                new_skip = max(skip_to, target) if target > i + 1 else skip_to
                stack.append((i + 1, new_skip, after, reached))
        return True, work

    def _mark(self, lo: int, hi: int, reached: frozenset[str], item: Item) -> None:
        """Record ``item`` as the state crossing each mark in [lo, hi]; states alike at a mark
        (the same skip, the same computed values reached, the same answers read from the mark
        on: an ask_if between the mark and the next stop may read one) cross it alike, so one is
        kept."""
        marks, needed = self.marks, self.ex.needed_after
        _i0, skip_to, env = item
        for k in range(bisect.bisect_left(marks, lo), bisect.bisect_right(marks, hi)):
            mark = marks[k]
            key = (skip_to, reached, *(repr(env.get(q)) for q in needed[mark]))
            self.frontier[mark].setdefault(key, item)

    def _kept(self, i: int, env: Env, order: list[str]) -> Env:
        """Only the answers still read from position i on: the copies at each branch stay small."""
        out = dict(self.form.params)
        for q in (*self.ex.needed_after[i], *order):
            if env.get(q) is not None:
                out[q] = env[q]
        return out

    def _branches(self, i: int, env: Env, named: Mapping[str, list[Any]]) -> list[tuple[Env, int]]:
        qid = self.steps[i].id
        if qid not in named:
            return [(after, target) for _v, after, target in self.ex.choices(i, env)]
        out = []
        for value in named[qid]:
            after = dict(env)
            if value is not None:
                after[qid] = value
            out.append((after, self.ex.outcome(i, after)))
        return out
