"""`qengine report annex6 FILE` on 1,000,000 records: time and peak memory, against `qengine
validate annex6 FILE` on the same file, in the same process.

`python bench/report.py` (1,000,000 records, --jobs 2), `--n 20000` for a smoke test, `--format
xlsx` (or csv, html) for another writer, `--repeat N` for the best of N. The records are
../shared/bench/records.py's (seed 1, 10% of them with errors), made once by bench/e2e.py's
`records_file` into QENGINE_BENCH_DIR (default /tmp/qengine-bench), never into the repository.

Both commands run as subprocesses of a small wrapper, alternating, each writing its output to a
file in that folder: the report its JSON (the ledger, tallies and progress), validate its JSON
line per record. Figures: the wall time of each whole command (start-up included), records/s,
the report's time as a multiple of validate's; peak memory two ways: the largest process of the
command and its workers (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss in the wrapper: children
included) and the sum over the process tree, sampled from /proc every 20 ms. A script, not a
test: it prints, never asserts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from e2e import DIR, QENGINE, SHARED, count, records_file, tree_rss  # noqa: E402

#: Runs the command given as its arguments and prints, last on standard error, the peak resident
#: set size (KiB) of its largest descendant: the command or one of its workers.
WRAPPER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
           "sys.stderr.write('\\nmaxrss %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN)"
           ".ru_maxrss); sys.exit(rc)")


def run(args: list[str], out: Path) -> dict[str, Any]:
    """One run of ``qengine ARGS`` (standard output to ``out``): wall seconds, the peak of its
    largest process (getrusage) and of its process tree (sampled), its standard error."""
    start = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-c", WRAPPER, *QENGINE, *args], stdout=fh,
                                stderr=subprocess.PIPE)
        peak = 0
        while proc.poll() is None:
            if os.path.isdir("/proc"):
                peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.02)
        err = (proc.stderr.read() if proc.stderr else b"").decode("utf-8", "replace")
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"qengine {' '.join(args)} failed ({proc.returncode}): {err[-2000:]}")
    lines = err.strip().splitlines()
    largest = int(lines[-1].split()[1]) * 1024 if lines and lines[-1].startswith("maxrss") else 0
    summary = next((line for line in reversed(lines) if line.startswith("annex6 ")), "")
    return {"wall": wall, "largest": largest, "tree": peak, "summary": summary}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="records (default 1,000,000)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--format", default="json", choices=("json", "xlsx", "csv", "html"))
    p.add_argument("--repeat", type=int, default=1, help="runs of each, the best kept")
    args = p.parse_args()
    if not (SHARED / "records.py").exists():
        print(f"skipped: {SHARED / 'records.py'} is not there")
        return
    path = records_file(args.n)
    records = count(path)
    out = DIR / f"report-out.{args.format}"
    jobs = ["--jobs", str(args.jobs)]
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for name, command, target in (
                ("validate", ["validate", "annex6", str(path), *jobs], DIR / "validate-out.jsonl"),
                ("report", ["report", "annex6", str(path), *jobs, "--format", args.format,
                            "-o", str(out)], DIR / "report-stdout.txt")):
            r = run(command, target)
            if name not in best or r["wall"] < best[name]["wall"]:
                best[name] = r
            best[name]["largest"] = max(best[name]["largest"], r["largest"])
            best[name]["tree"] = max(best[name]["tree"], r["tree"])
    size = path.stat().st_size
    print(f"{records:,} annex 6 records ({size / 2**20:,.0f} MiB), --jobs {args.jobs}, "
          f"{os.cpu_count()} cores, best of {args.repeat}")
    print(f"{'command':<34} {'wall s':>8} {'records/s':>10} {'largest MiB':>12} {'tree MiB':>9}")
    for name in ("validate", "report"):
        r = best[name]
        label = ("qengine validate (JSON lines)" if name == "validate"
                 else f"qengine report --format {args.format}")
        print(f"{label:<34} {r['wall']:8.1f} {records / r['wall']:10,.0f} "
              f"{r['largest'] / 2**20:12,.0f} {r['tree'] / 2**20:9,.0f}")
    ratio = best["report"]["wall"] / best["validate"]["wall"]
    output = out.stat().st_size if out.is_file() else sum(
        f.stat().st_size for f in out.iterdir()) if out.is_dir() else 0
    print(f"report / validate: {ratio:.2f}x the time; output {output / 2**20:,.0f} MiB")
    print(best["report"]["summary"])


if __name__ == "__main__":
    main()
