"""The Python side of ``bench/js_bench.mjs``: annex 6 validate and interview figures, as JSON.

``python bench/js_bench_python.py RECORDS.jsonl [--repeats 5] [--interviews 2000]`` prints one JSON
object on stdout, which ``node bench/js_bench.mjs`` reads (it runs this script itself; run it by hand
only to look at the Python figures alone):

- ``machine``: the machine of ``qengine.load("annex6")``, so that node runs the very machine timed here;
- ``verdicts``: per record ``[ok, violations, path]``, each violation
  ``[rule, severity, questions, message]`` and the path joined by spaces, for node to compare with its
  own (worked out before timing, outside the timed runs);
- ``validate``: ``form.validate(record).ok`` over all records, warmed up (the generated validator in
  use), and ``baseline.validate(record)`` of ``../shared/bench/baseline.py``, alternating in chunks of
  500 records, ``--repeats`` rounds: ``best_s`` (per chunk the fastest round, summed) and
  ``rounds_s`` (each round's seconds);
- ``interview``: the first ``--interviews`` error-free records replayed as interviews, ``form.start()``
  then ``iv.answer(record.get(qid))`` for each id of ``form.path(record)``, beside
  ``baseline.interview(record)`` (which also runs its rules), in chunks of 50 interviews; the same
  seconds, and the number of answers.

A script, not a test: it measures, never asserts on time.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
sys.path.insert(0, str(SHARED))

import baseline  # noqa: E402

import qengine  # noqa: E402

VALIDATE_CHUNK = 500  # records timed at once (as bench/js_bench.mjs does)
INTERVIEW_CHUNK = 50  # interviews timed at once


def verdict(form: qengine.Form, record: Any) -> list[Any]:
    """What node compares: ok, the violations in order, the path."""
    report = form.validate(record)
    violations = [[v.rule, v.severity, list(v.questions), v.message] for v in report.violations]
    return [report.ok, violations, " ".join(report.path)]


def scripts(form: qengine.Form, records: list[Any], oks: list[bool], limit: int
            ) -> tuple[list[Any], list[list[Any]]]:
    """The first ``limit`` error-free records and, for each, the answers in the order asked; every
    interview is checked to ask exactly ``form.path(record)`` and to submit."""
    chosen = [r for r, ok in zip(records, oks) if ok][:limit]
    out = []
    for r in chosen:
        path = form.path(r)
        iv = form.start()
        for qid in path:
            if iv.current is None or iv.current.id != qid:
                raise SystemExit(f"the interview asks {iv.current} where the path has {qid}")
            iv.answer(r.get(qid))
        if not iv.finished:
            raise SystemExit(f"the interview is not finished after the path of {r.get('id_number')}")
        iv.submit()
        out.append([r.get(qid) for qid in path])
    return chosen, out


def rounds(fns: list[Callable[[list[Any]], Any]], items: list[Any], chunk: int, repeats: int
           ) -> list[dict[str, Any]]:
    """Each function over ``items`` in chunks, alternating chunk by chunk, ``repeats`` rounds; per
    function ``best_s`` (per chunk the fastest round, summed: short timed runs dodge most of the
    interference of a shared machine) and ``rounds_s`` (the seconds of each whole round)."""
    parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    times = [[[0.0] * len(parts) for _ in range(repeats)] for _ in fns]
    clock = time.perf_counter
    for r in range(repeats):
        for j, part in enumerate(parts):
            for k, fn in enumerate(fns):
                t0 = clock()
                fn(part)
                times[k][r][j] = clock() - t0
    return [{"best_s": sum(map(min, zip(*per))), "rounds_s": [sum(row) for row in per]}
            for per in times]


def measure(records: list[Any], repeats: int, interviews: int) -> dict[str, Any]:
    form = qengine.load("annex6")
    form.prepare()
    verdicts = [verdict(form, r) for r in records]
    chosen, answers = scripts(form, records, [v[0] for v in verdicts], interviews)
    for r in records:  # the baseline's code paths warmed as qengine's were
        baseline.validate(r)
    gc.collect()
    gc.freeze()  # the parsed input is not either side's garbage (as bench/annex6.py does)

    def run_qengine(part: list[Any]) -> None:
        validate = form.validate
        for r in part:
            validate(r).ok  # noqa: B018

    def run_baseline(part: list[Any]) -> None:
        validate = baseline.validate
        for r in part:
            validate(r)

    def run_interviews(part: list[Any]) -> None:
        start = form.start
        for _r, values in part:
            answer = start().answer
            for v in values:
                answer(v)

    def run_replays(part: list[Any]) -> None:
        replay = baseline.interview
        for r, _values in part:
            replay(r)

    t_q, t_b = rounds([run_qengine, run_baseline], records, VALIDATE_CHUNK, repeats)
    pairs = list(zip(chosen, answers))
    run_interviews(pairs)
    t_i, t_r = rounds([run_interviews, run_replays], pairs, INTERVIEW_CHUNK, repeats)
    gc.unfreeze()
    return {
        "python": platform.python_version(), "qengine": qengine.__version__, "engine": form.engine,
        "machine": form.to_json(), "verdicts": verdicts,
        "validate": {"records": len(records), "qengine": t_q, "baseline": t_b},
        "interview": {"interviews": len(answers), "answers": sum(map(len, answers)),
                      "qengine": t_i, "baseline": t_r},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", type=Path, help="annex 6 records, one JSON object a line")
    ap.add_argument("--repeats", type=int, default=5, help="timed passes of each (default 5)")
    ap.add_argument("--interviews", type=int, default=2000,
                    help="error-free records replayed as interviews (default 2000)")
    args = ap.parse_args()
    with args.records.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    out = measure(records, max(1, args.repeats), max(0, args.interviews))
    json.dump(out, sys.stdout, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
