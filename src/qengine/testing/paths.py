"""Every distinct path through a form, and which jumps and checks a set of records exercised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from qengine.analysis.explore import Explorer, FormPath
from qengine.runtime.form import Form


def paths(form: Form, *, limit: int | None = None) -> Iterator[FormPath]:
    """Yield every distinct path of ``form`` (the ids asked, in order) with a witness record.

    Branching comes from the jumps; each question that matters to them is tried with
    representative answers (every code; numbers around the constants they are compared with).
    ``count_paths(form)`` says how many there are before you enumerate them.
    """
    if not isinstance(form, Form):
        raise TypeError(f"paths() takes a compiled qengine Form, not {type(form).__name__}")
    if limit is not None and limit < 1:
        raise ValueError("limit must be a positive number of paths")
    return Explorer(form).paths(limit)


def count_paths(form: Form) -> int:
    """How many distinct paths ``form`` has (memoised: fast even for very many paths)."""
    return Explorer(form).count()


@attrs.define
class Coverage:
    """What a set of records exercised: each jump taken or not, each check fired or silent."""

    form: Form
    records: int = 0
    #: (question, jump number) -> how many records took that jump
    jumps_taken: Counter[tuple[str, int]] = attrs.field(factory=Counter)
    #: question -> how many records went past it with no jump firing
    fallthrough: Counter[str] = attrs.field(factory=Counter)
    #: check id -> how many records it fired on
    checks_fired: Counter[str] = attrs.field(factory=Counter)
    #: check id -> how many records it applied to and did not fire on
    checks_silent: Counter[str] = attrs.field(factory=Counter)

    def add(self, record: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> None:
        """Account for one more record."""
        form = self.form
        walked = form.walk(record, params)
        env = walked.env
        self.records += 1
        for qid, k in walked.jumps:
            if k is None:
                self.fallthrough[qid] += 1
            else:
                self.jumps_taken[(qid, k)] += 1
        for check in form.checks:
            if all(env.get(d) is not None for d in check.deps):
                if check.fires(env):
                    self.checks_fired[check.id] += 1
                else:
                    self.checks_silent[check.id] += 1

    def _jumps(self) -> list[tuple[str, int]]:
        return [(s.id, k) for s in self.form.steps for k in range(len(s.jumps))]

    @property
    def untaken_jumps(self) -> list[tuple[str, int]]:
        """Jumps that no record took, as (question, jump number)."""
        return [j for j in self._jumps() if not self.jumps_taken[j]]

    @property
    def jumps_never_passed(self) -> list[str]:
        """Questions with jumps where every record jumped (the way on was never tested)."""
        return [s.id for s in self.form.steps if s.jumps and not self.fallthrough[s.id]]

    @property
    def unfired_checks(self) -> list[str]:
        return [c.id for c in self.form.checks if not self.checks_fired[c.id]]

    @property
    def silent_checks_missing(self) -> list[str]:
        """Checks that fired on every record they applied to (never seen passing)."""
        return [c.id for c in self.form.checks if not self.checks_silent[c.id]]

    @property
    def complete(self) -> bool:
        """Every jump taken and passed, every check seen firing and passing."""
        return not (self.untaken_jumps or self.jumps_never_passed or self.unfired_checks
                    or self.silent_checks_missing)

    def summary(self) -> str:
        """A readable account of what is not covered yet."""
        jumps = self._jumps()
        lines = [f"{self.records} record(s): {len(jumps) - len(self.untaken_jumps)}/{len(jumps)} "
                 f"jumps taken, {len(self.form.checks) - len(self.unfired_checks)}/"
                 f"{len(self.form.checks)} checks fired"]
        for qid, k in self.untaken_jumps:
            t = self.form.transitions_from(qid)[k]
            lines.append(f"  jump never taken: {qid} `{t.guard}` -> {t.target}")
        lines += [f"  never went on without jumping: {q}" for q in self.jumps_never_passed]
        lines += [f"  check never fired: {c}" for c in self.unfired_checks]
        lines += [f"  check never passed: {c}" for c in self.silent_checks_missing]
        return "\n".join(lines)


def coverage(form: Form, records: Iterable[Mapping[str, Any]],
             params: Mapping[str, Any] | None = None) -> Coverage:
    """Which jumps and checks ``records`` exercised (see :class:`Coverage`)."""
    cov = Coverage(form)
    for record in records:
        cov.add(record, params)
    return cov
