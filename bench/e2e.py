"""End to end: `qengine validate annex6 FILE --jobs 2` against the plain-Python baseline.

`python bench/e2e.py` (1,000,000 records), `--quick` (100,000), `--big` (also a ~2 GB file, for
peak memory). Records are generated with ../shared/bench/records.py (--seed 1 --invalid-rate 0.1)
into a temporary folder (never into the repository); each file is made once and kept there
(QENGINE_BENCH_DIR, default /tmp/qengine-bench) for the next run.

qengine: the installed command, in a subprocess, reading the file, validating, and writing one JSON
line per record to a file, with 2 worker processes; its rate is records / wall time of the whole
command (start-up and the form's compilation included). Baseline: ../shared/bench/baseline.py
imported here, reading the same file line by line with json.loads and calling baseline.validate on
each record, in one process (the figure its own CLI prints times validation alone, on parsed
records). Both are the best of a few runs, alternating. Peak memory: the largest sum of the
resident set sizes of the command and its workers, sampled from /proc every 20 ms (and the peak
of the largest process, from getrusage of the children, beside it).

Target: qengine >= 1.5x the baseline's records/s end to end; and flat memory (the peak on the big
file within 1.5x that on the small one plus 64 MiB).

`measure(quick)` returns the figures as dicts (name, value, target, passed, detail) for bench.py;
a script, not a test: it never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench"
BIN = Path(sys.executable).parent
QENGINE = [str(BIN / "qengine")] if (BIN / "qengine").exists() else [sys.executable, "-m", "qengine"]
DIR = Path(os.environ.get("QENGINE_BENCH_DIR", Path(tempfile.gettempdir()) / "qengine-bench"))
TARGET = 1.5


def records_file(n: int) -> Path:
    """``n`` annex 6 records (seed 1, 10% invalid), made once."""
    DIR.mkdir(parents=True, exist_ok=True)
    path = DIR / f"annex6-{n}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as out:
            subprocess.run([sys.executable, str(SHARED / "records.py"), "--n", str(n), "--seed",
                            "1", "--invalid-rate", "0.1", "--truth", os.devnull], stdout=out,
                           check=True)
        tmp.rename(path)
    return path


def big_file(n: int, copies: int) -> Path:
    """The ``n``-record file ``copies`` times over (about 650 bytes a record)."""
    path = DIR / f"annex6-{n}x{copies}.jsonl"
    if not path.exists():
        src = records_file(n)
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as out:
            for _ in range(copies):
                with src.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
        tmp.rename(path)
    return path


def tree_rss(pid: int) -> int:
    """The resident set size of ``pid`` and all its descendants, in bytes (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def run_qengine(path: Path, jobs: int = 2) -> dict[str, float]:
    """One run of the command: wall seconds, peak memory of its process tree, its largest process."""
    out = DIR / "qengine-out.jsonl"
    start = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen([*QENGINE, "validate", "annex6", str(path), "--jobs", str(jobs)],
                                stdout=fh, stderr=subprocess.PIPE)
        peak = 0
        while proc.poll() is None:
            if os.path.isdir("/proc"):
                peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.02)
        err = proc.stderr.read() if proc.stderr else b""
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"qengine failed ({proc.returncode}): {err.decode()[-2000:]}")
    # the largest process waited for so far (its workers are reaped by it: they count too)
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"wall": wall, "peak_tree": float(peak), "peak_largest": float(largest)}


def run_baseline(path: Path) -> float:
    """Wall seconds of the baseline: read line by line, json.loads, baseline.validate."""
    sys.path.insert(0, str(SHARED))
    import baseline  # ../shared/bench, found at run time

    validate, loads = baseline.validate, json.loads
    start = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                validate(loads(line))
    return time.perf_counter() - start


def count(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def measure(quick: bool, big: bool = False, repeat: int | None = None) -> list[dict[str, Any]]:
    """The figures: end-to-end records/s of qengine --jobs 2 and of the baseline, their ratio,
    and the peak memory of the qengine run (and on the big file, with ``big``)."""
    if not (SHARED / "records.py").exists():
        return [{"name": "e2e validate annex6", "value": None, "target": f">= {TARGET}x",
                 "passed": False, "detail": f"skipped: {SHARED / 'records.py'} is not there"}]
    n = 100_000 if quick else 1_000_000
    repeat = repeat or (3 if quick else 2)
    path = records_file(n)
    records = count(path)
    q_best = b_best = float("inf")
    peak = largest = 0.0
    for _ in range(repeat):
        q = run_qengine(path)
        q_best = min(q_best, q["wall"])
        peak, largest = max(peak, q["peak_tree"]), max(largest, q["peak_largest"])
        b_best = min(b_best, run_baseline(path))
    q_rate, b_rate = records / q_best, records / b_best
    ratio = q_rate / b_rate
    empty = DIR / "empty.jsonl"
    empty.write_bytes(b"")
    startup = min(run_qengine(empty)["wall"] for _ in range(3))  # imports, compiling the form
    size = path.stat().st_size
    out = [
        {"name": "e2e validate annex6 --jobs 2 (records/s)", "value": round(q_rate),
         "target": "", "passed": True,
         "detail": f"{records:,} records, {size / 2**20:,.0f} MiB, best of {repeat}: "
                   f"{q_best:.2f} s, parse + validate + write, start-up included"},
        {"name": "e2e baseline json.loads + baseline.validate (records/s)", "value": round(b_rate),
         "target": "", "passed": True, "detail": f"one process, best of {repeat}: {b_best:.2f} s"},
        {"name": "e2e qengine / baseline", "value": round(ratio, 2), "target": f">= {TARGET}x",
         "passed": ratio >= TARGET,
         "detail": f"{q_rate:,.0f} vs {b_rate:,.0f} records/s on {os.cpu_count()} cores; the "
                   f"command's start-up ({startup:.2f} s) left out: "
                   f"{records / max(q_best - startup, 1e-9) / b_rate:.2f}x"},
        {"name": "e2e peak memory, qengine --jobs 2 (MiB)", "value": round(peak / 2**20),
         "target": "", "passed": True,
         "detail": f"all processes together, sampled; largest process {largest / 2**20:.0f} MiB"},
    ]
    if big:
        copies = max(1, round(2_000_000_000 / size))
        big_path = big_file(n, copies)
        q = run_qengine(big_path)
        big_records = records * copies
        limit = 1.5 * peak + 64 * 2**20
        out.append({"name": "e2e peak memory on a big file (MiB)",
                    "value": round(q["peak_tree"] / 2**20),
                    "target": f"<= {limit / 2**20:.0f} MiB (flat)",
                    "passed": q["peak_tree"] <= limit,
                    "detail": f"{big_records:,} records, {big_path.stat().st_size / 2**30:.2f} GiB, "
                              f"{q['wall']:.0f} s ({big_records / q['wall']:,.0f} records/s); "
                              f"largest process {q['peak_largest'] / 2**20:.0f} MiB"})
    return out


def dask_scaling(n: int, repeat: int = 3) -> list[dict[str, Any]]:
    """records/s of qengine.batch.dask.validate_bag on a LocalCluster of 1 and of 2 worker
    processes (one thread each), on the same file in 16 MiB blocks; the cluster's start-up is not
    timed, the machine's scatter and every block are."""
    import logging

    from distributed import Client, LocalCluster

    import qengine
    from qengine.batch.dask import validate_bag

    path = records_file(n)
    form = qengine.load("annex6")
    rates: dict[int, float] = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster) as client:
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                result = validate_bag(form, str(path), client=client, blocksize="16MiB")
                best = min(best, time.perf_counter() - start)
            rates[workers] = result.summary["records"] / best
    return [{"name": f"dask LocalCluster, {w} worker(s) (records/s)", "value": round(r),
             "target": "", "passed": True,
             "detail": f"{n:,} records in {result.partitions} blocks of 16 MiB, best of {repeat}"}
            for w, r in rates.items()] + [
        {"name": "dask 2 workers / 1 worker", "value": round(rates[2] / rates[1], 2),
         "target": "", "passed": True, "detail": f"on {os.cpu_count()} cores"}]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="100,000 records instead of 1,000,000")
    p.add_argument("--big", action="store_true", help="also the peak memory on a ~2 GB file")
    p.add_argument("--repeat", type=int, default=None, help="runs of each (best is kept)")
    p.add_argument("--dask", action="store_true",
                   help="only the dask scaling: a LocalCluster of 1, then 2 worker processes")
    args = p.parse_args()
    rows = (dask_scaling(100_000 if args.quick else 1_000_000) if args.dask else
            measure(args.quick, args.big, args.repeat))
    for row in rows:
        mark = "" if not row["target"] else ("  PASS" if row["passed"] else "  FAIL")
        value = row["value"]
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(f"{row['name']:<58} {shown:>12} {row['target']:<24}{mark}  {row['detail']}")


if __name__ == "__main__":
    main()
