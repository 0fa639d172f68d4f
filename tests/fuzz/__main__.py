"""Run the fuzz properties for longer: ``python -m tests.fuzz --budget SECONDS``.

The budget is shared equally among the surfaces; within a surface the properties take turns, each
turn a fresh, randomised hypothesis run of ``--batch`` examples, until the surface's time is spent.
Prints, per surface, the cases run and the failing runs (each failure's summary is printed as it
happens). Exit status 1 when any run failed. The bounded subprocess cases are part of the normal
pytest run and are not repeated here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections import Counter, defaultdict

SURFACES = ("form_yaml", "rules", "answers", "records", "snapshots", "machines", "cli")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="total seconds (default 120)")
    parser.add_argument("--batch", type=int, default=100, help="examples per run of a property")
    parser.add_argument("--surface", action="append", choices=SURFACES, help="only these surfaces")
    parser.add_argument("--include-known", action="store_true",
                        help="do not step around the known, unfixed findings (contract.KNOWN_BUGS)")
    args = parser.parse_args(argv)
    if args.include_known:
        import os

        os.environ["QENGINE_FUZZ_INCLUDE_KNOWN"] = "1"
    from . import contract

    for surface in SURFACES:
        importlib.import_module(f"{__package__}.test_{surface}")
    chosen = args.surface or list(SURFACES)
    by_surface = defaultdict(list)
    for prop in contract.PROPERTIES:
        by_surface[prop.surface].append(prop)
    failures: Counter[str] = Counter()
    runs: Counter[str] = Counter()
    started = time.monotonic()
    share = args.budget / len(chosen)
    for n, surface in enumerate(chosen):
        deadline = started + share * (n + 1)
        props, turn = by_surface[surface], 0
        batch = max(1, args.batch // (10 if surface == "cli" else 1))
        while time.monotonic() < deadline:
            prop = props[turn % len(props)]
            turn += 1
            test = contract.build(prop, batch, derandomize=False)
            runs[surface] += 1
            try:
                test()
            except Exception as exc:
                failures[surface] += 1
                print(f"FAIL {surface}/{prop.name}: {type(exc).__name__}: {exc!s:.2000}", flush=True)
                if not isinstance(exc, AssertionError):
                    traceback.print_exc(limit=-3)
    elapsed = time.monotonic() - started
    print(f"\n{'surface':12} {'cases':>8} {'runs':>6} {'failures':>9}")
    for surface in chosen:
        print(f"{surface:12} {contract.CASES[surface]:8d} {runs[surface]:6d} {failures[surface]:9d}")
    print(f"{'total':12} {sum(contract.CASES[s] for s in chosen):8d} {sum(runs.values()):6d} "
          f"{sum(failures.values()):9d}   in {elapsed:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
