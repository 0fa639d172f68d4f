"""annex 6 against ../shared/bench/baseline.py, in one process: validate and interview steps.

``python bench/annex6.py [--quick]`` prints the figures; ``bench/bench.py`` calls :func:`measure`.
A script, not a test: it prints, never asserts on time.

- validate: records from ``../shared/bench/records.py --invalid-rate 0.1`` (seed 1); qengine's
  ``form.validate(record).ok`` beside ``baseline.validate(record)``, alternating in short chunks,
  best of several rounds per chunk, the parsed input gc-frozen as the baseline's own CLI does.
  Verdicts are cross-checked per record (has an error or not, and which questions): the rule names
  differ, and qengine's own check ``below_income_line`` is a warning the baseline does not know.
- interview: the first error-free records replayed question by question. qengine: ``form.start()``,
  ``iv.answer(record.get(iv.current.id))`` until finished; the baseline: ``baseline.interview``,
  which also runs its rules at the end. The figure is the time of one ``answer()`` against one
  baseline step (its whole replay divided by the questions asked); the whole interview with
  ``submit()`` is printed beside it for information.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
sys.path.insert(0, str(SHARED))

import baseline  # noqa: E402

import qengine  # noqa: E402

VALIDATE_TARGET = 1.0
ANSWER_TARGET = 1.5


def shared_records(n: int, invalid_rate: float = 0.1, seed: int = 1) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, str(SHARED / "records.py"), "--n", str(n), "--seed",
                          str(seed), "--invalid-rate", str(invalid_rate)],
                         capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def chunked(fn_a: Callable[[list[Any]], Any], fn_b: Callable[[list[Any]], Any], items: list[Any],
            chunk: int, rounds: int) -> tuple[float, float]:
    """Both functions over ``items`` in chunks, alternating; per chunk the best of ``rounds``,
    summed (short timed runs dodge most interference on a shared machine)."""
    parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    best_a, best_b = [math.inf] * len(parts), [math.inf] * len(parts)
    clock = time.perf_counter
    for _ in range(rounds):
        for k, part in enumerate(parts):
            t0 = clock()
            fn_a(part)
            t1 = clock()
            fn_b(part)
            t2 = clock()
            best_a[k] = min(best_a[k], t1 - t0)
            best_b[k] = min(best_b[k], t2 - t1)
    return sum(best_a), sum(best_b)


def figure(name: str, value: float, target: str, passed: bool | None, detail: str
           ) -> dict[str, Any]:
    return {"name": name, "value": value, "target": target, "passed": passed, "detail": detail}


def verdicts(form: qengine.Form, records: list[dict[str, Any]]) -> tuple[int, int]:
    """(records whose error/no-error verdict differs, records whose questions in error differ)."""
    verdict = detail = 0
    for r in records:
        report = form.validate(r)
        errors, _warnings, _per_capita = baseline.validate(r)
        verdict += report.ok != (not errors)
        theirs = {q for _rule, q in errors}
        named = {q for v in report.errors for q in v.questions}
        # a check names all its questions, the baseline one: each side's errors must meet
        detail += not (theirs <= named and all(theirs & set(v.questions) for v in report.errors))
    return verdict, detail


def measure_validate(quick: bool) -> dict[str, Any]:
    n = 5000 if quick else 20000
    records = shared_records(n)
    form = qengine.load("annex6")
    verdict, detail = verdicts(form, records)
    gc.collect()
    gc.freeze()  # the parsed input is not either validator's garbage

    def run_q(part: list[Any]) -> None:
        validate = form.validate
        for r in part:
            validate(r).ok  # noqa: B018

    def run_b(part: list[Any]) -> None:
        validate = baseline.validate
        for r in part:
            validate(r)

    t_q, t_b = chunked(run_q, run_b, records, 200, 5 if quick else 9)
    gc.unfreeze()
    ratio = t_q / t_b
    return figure("validate annex6 vs shared baseline", ratio, f"<= {VALIDATE_TARGET}x",
                  ratio <= VALIDATE_TARGET,
                  f"{n} records (invalid rate 0.1): qengine {n / t_q:,.0f} rec/s "
                  f"({form.engine}), baseline {n / t_b:,.0f} rec/s; verdicts differ on {verdict} "
                  f"records, questions in error on {detail}")


def measure_interview(quick: bool) -> list[dict[str, Any]]:
    records = [r for r in shared_records(3000 if quick else 8000, 0.0, 2)
               if not baseline.validate(r)[0]][:500 if quick else 2000]
    form = qengine.load("annex6")
    steps = 0
    for r in records[:50]:  # both replay the same path
        iv = form.start()
        while iv.current is not None:
            iv.answer(r.get(iv.current.id))
        assert iv.submit() is not None
    steps = sum(len(form.path(r)) for r in records)

    def interviews(part: list[Any], submit: bool) -> None:
        for r in part:
            iv = form.start()
            answer, get = iv.answer, r.get
            current = iv.current
            while current is not None:
                current = answer(get(current.id))
            if submit:
                iv.submit()

    def answers(part: list[Any]) -> None:
        interviews(part, False)

    def whole(part: list[Any]) -> None:
        interviews(part, True)

    def replay(part: list[Any]) -> None:
        for r in part:
            baseline.interview(r)

    rounds = 5 if quick else 9
    t_a, t_b = chunked(answers, replay, records, 50, rounds)
    t_w, t_b2 = chunked(whole, replay, records, 50, rounds)
    t_b = min(t_b, t_b2)
    ratio = t_a / t_b
    return [
        figure("interview answer() vs shared baseline step", ratio, f"<= {ANSWER_TARGET}x",
               ratio <= ANSWER_TARGET,
               f"{len(records)} interviews, {steps} answers: answer() {t_a / steps * 1e6:.2f} us, "
               f"baseline step {t_b / steps * 1e6:.2f} us (its replay incl. its rules / steps)"),
        figure("whole interview with submit() vs shared baseline replay", t_w / t_b, "information",
               None, f"qengine {t_w / len(records) * 1e6:.1f} us, baseline "
               f"{t_b / len(records) * 1e6:.1f} us per interview"),
    ]


def measure(quick: bool) -> list[dict[str, Any]]:
    return [measure_validate(quick), *measure_interview(quick)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    for f in measure(ap.parse_args().quick):
        mark = "" if f["passed"] is None else " PASS" if f["passed"] else " FAIL"
        print(f"{f['name']}: {f['value']:.2f}x (target {f['target']}){mark}\n  {f['detail']}")


if __name__ == "__main__":
    main()
