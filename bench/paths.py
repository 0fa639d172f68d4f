"""Path enumeration benchmark: distinct paths of each bundled form, counted and enumerated.

Run: python bench/paths.py   (prints one line per form; the baseline is a plain loop that only
builds the same number of path tuples, to show what enumeration costs on top of producing them)
"""

from __future__ import annotations

import time

import qengine
from qengine.testing import count_paths, paths


def main() -> None:
    print(f"{'form':8s} {'paths':>8s} {'count s':>9s} {'enumerate s':>12s} {'baseline s':>11s} "
          f"{'ratio':>6s}")
    for name in ("annex6", "annex7", "annex5"):
        form = qengine.load(name)
        t = time.perf_counter()
        total = count_paths(form)
        counted = time.perf_counter() - t
        t = time.perf_counter()
        found = sum(1 for _ in paths(form))
        enumerated = time.perf_counter() - t
        assert found == total, (name, found, total)
        # Baseline: build as many path tuples of the same length with plain Python.
        ids = [q.id for q in form.questions]
        t = time.perf_counter()
        made = [tuple(ids[: len(ids) - (i % 7)]) for i in range(total)]
        baseline = time.perf_counter() - t
        assert len(made) == total
        print(f"{name:8s} {total:8d} {counted:9.4f} {enumerated:12.3f} {baseline:11.4f} "
              f"{enumerated / max(baseline, 1e-9):6.1f}")


if __name__ == "__main__":
    main()
