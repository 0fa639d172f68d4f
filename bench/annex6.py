"""annex 6 validation against ../shared/bench/baseline.py, in one process, alternating.

`python bench/annex6_baseline.py [N]` generates N records (default 5000) with
../shared/bench/records.py and prints records/s of qengine and of the baseline and their ratio
(best of 7). A script, not a test: it prints, never asserts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
sys.path.insert(0, str(SHARED))

import baseline  # noqa: E402

import qengine  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    out = subprocess.run([sys.executable, str(SHARED / "records.py"), "--n", str(n), "--seed", "1",
                          "--invalid-rate", "0.1"], capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in out.stdout.splitlines()]
    form = qengine.load("annex6")
    best_q = best_b = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for r in records:
            form.validate(r)
        best_q = min(best_q, time.perf_counter() - start)
        start = time.perf_counter()
        for r in records:
            baseline.validate(r)
        best_b = min(best_b, time.perf_counter() - start)
    print(f"annex6, {n} records: qengine {n / best_q:,.0f} rec/s, baseline {n / best_b:,.0f} rec/s, "
          f"ratio {best_q / best_b:.2f}x")


if __name__ == "__main__":
    main()
