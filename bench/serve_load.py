"""Load on `qengine serve`: N interviews at once (httpx.AsyncClient, asyncio), each driven to the end
and submitted by its own record of `qengine.testing.records` (annex 6 and annex 7 mixed), spread over
several enumerators. Each interview has its own client (its own connection, as each phone would);
one httpx.AsyncClient shared by all 50 spends most of the run in its own connection pool. Prints the
answers per second over the whole run (the answers over the time from the first create to the last
submit), the p50/p99 latency of the answer requests, of the submits and of the creates, and the CPU
time the client and the server used; and checks that every submitted record equals the one Python's
Interview gives for the same answers (exit 1 if one differs). The client runs on the same machine as
a server started here: on 2 cores they share them.

    python bench/serve_load.py                       # 50 interviews, annex6 and annex7, a server started here
    python bench/serve_load.py --interviews 200 --forms annex6
    python bench/serve_load.py --url http://127.0.0.1:8000 --token TOKEN   # a running server
    python bench/serve_load.py --json                # the figures as one JSON object

Without `--url` it starts `qengine serve --port 0` (this Python) on a database in a temporary
directory, with a users file of `--enumerators` enumerators, and stops it at the end. With `--url`
every interview is made with `--token` (any user that may create interviews); they stay on that
server, submitted. Needs hypothesis (the test extra) for the records.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings

import qengine
from qengine.testing import records

READY = "qengine serve: listening on "


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def some_records(form: qengine.Form, n: int) -> list[dict[str, Any]]:
    """`n` complete records of `form` drawn by qengine.testing.records, the same on every run."""
    out: list[dict[str, Any]] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(records(form))
    def collect(record: dict[str, Any]) -> None:
        out.append(record)

    while len(out) < n:  # hypothesis may stop early on a small space; draw again
        collect()
    return out[-n:]


def python_record(form: qengine.Form, answers: list[tuple[str, Any]]) -> dict[str, Any]:
    """The record Python's Interview submits for these answers, through JSON as the server sends it."""
    iv = form.start()
    for _qid, value in answers:
        iv.answer(value)
    return json.loads(json.dumps(iv.submit()))


@contextmanager
def started_server(enumerators: int) -> Iterator[tuple[str, list[str], int]]:
    """`qengine serve --port 0` on a temporary database: its URL, one token per enumerator, its pid."""
    with tempfile.TemporaryDirectory(prefix="qengine-serve-load-") as tmp:
        tokens = [secrets.token_urlsafe(24) for _ in range(enumerators)]
        users = Path(tmp) / "users.yaml"
        users.write_text("".join(
            f"- {{name: enum{i + 1}, role: enumerator, token_sha256: \"{sha256(t)}\"}}\n"
            for i, t in enumerate(tokens)), encoding="utf-8")
        log = Path(tmp) / "serve.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "qengine", "serve", "--port", "0",
                 "--db", str(Path(tmp) / "load.sqlite3"), "--users", str(users)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            try:
                deadline = time.monotonic() + 60
                while True:
                    text = log.read_text("utf-8", "replace")
                    if READY in text and "\n" in text.split(READY, 1)[1]:
                        url = text.split(READY, 1)[1].split("\n", 1)[0].strip().rstrip("/")
                        break
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"serve_load: qengine serve did not start:\n{text}")
                    time.sleep(0.02)
                yield url, tokens, proc.pid
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@dataclass
class Figures:
    answer: list[float] = field(default_factory=list)  # seconds per answer request
    submit: list[float] = field(default_factory=list)
    create: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # interviews whose record differs from Python's


async def drive(client: httpx.AsyncClient, token: str, form: qengine.Form, record: dict[str, Any],
                figures: Figures) -> None:
    """One interview: create, answer every question asked with the record's answer, submit."""
    auth = {"Authorization": f"Bearer {token}"}
    t = time.perf_counter()
    resp = await client.post("/api/interviews", json={"form": form.id}, headers=auth)
    figures.create.append(time.perf_counter() - t)
    if resp.status_code != 201:
        raise SystemExit(f"serve_load: POST /api/interviews gave {resp.status_code}: {resp.text}")
    state = resp.json()
    iid, given_answers = state["id"], []
    while not state["finished"]:
        qid = state["current"]["id"]
        t = time.perf_counter()
        resp = await client.post(f"/api/interviews/{iid}/answer",
                                 json={"question": qid, "value": record[qid]}, headers=auth)
        figures.answer.append(time.perf_counter() - t)
        if resp.status_code != 200:
            raise SystemExit(f"serve_load: answer {qid} of {iid} gave {resp.status_code}: {resp.text}")
        given_answers.append((qid, record[qid]))
        state = resp.json()
    t = time.perf_counter()
    resp = await client.post(f"/api/interviews/{iid}/submit", headers=auth)
    figures.submit.append(time.perf_counter() - t)
    if resp.status_code != 200:
        raise SystemExit(f"serve_load: submit of {iid} gave {resp.status_code}: {resp.text}")
    if resp.json()["record"] != python_record(form, given_answers):
        figures.wrong.append(iid)


async def run(url: str, tokens: list[str],
              work: list[tuple[qengine.Form, dict[str, Any]]]) -> tuple[Figures, float]:
    figures = Figures()
    clients = [httpx.AsyncClient(base_url=url, timeout=120) for _ in work]
    t = time.perf_counter()
    await asyncio.gather(*(drive(clients[i], tokens[i % len(tokens)], form, record, figures)
                           for i, (form, record) in enumerate(work)))
    wall = time.perf_counter() - t
    for c in clients:
        await c.aclose()
    return figures, wall


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) process ``pid`` has used so far (None off Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=50, help="interviews at once (default 50)")
    parser.add_argument("--forms", default="annex6,annex7",
                        help="comma-separated forms (default annex6,annex7)")
    parser.add_argument("--enumerators", type=int, default=5,
                        help="enumerators of a started server (default 5)")
    parser.add_argument("--url", help="a running server instead of one started here")
    parser.add_argument("--token", help="the Bearer token for --url")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.interviews < 1 or args.enumerators < 1:
        parser.error("--interviews and --enumerators must be at least 1")
    if bool(args.url) != bool(args.token):
        parser.error("--url and --token go together")
    names = [n.strip() for n in args.forms.split(",") if n.strip()]
    if not names:
        parser.error("--forms names no form")
    try:
        forms = [qengine.load(n) for n in names]
    except qengine.FormError as exc:
        parser.error(f"--forms: {str(exc).splitlines()[-1]}")
    per_form = {f.id: some_records(f, -(-args.interviews // len(forms))) for f in forms}
    work = [(forms[i % len(forms)], per_form[forms[i % len(forms)].id][i // len(forms)])
            for i in range(args.interviews)]

    client_cpu, server_cpu = time.process_time(), None
    if args.url:
        try:
            figures, wall = asyncio.run(run(args.url.rstrip("/"), [args.token], work))
        except httpx.TransportError as exc:
            print(f"serve_load: cannot reach {args.url}: {exc}", file=sys.stderr)
            return 2
        where = args.url
    else:
        with started_server(args.enumerators) as (url, tokens, pid):
            server_cpu = cpu_seconds(pid)
            figures, wall = asyncio.run(run(url, tokens, work))
            server_cpu = cpu_seconds(pid) - server_cpu if server_cpu is not None else None
        where = f"started here on a temporary database, {args.enumerators} enumerators"
    client_cpu = time.process_time() - client_cpu
    result = {
        "interviews": args.interviews, "forms": names, "answers": len(figures.answer), "seconds": wall,
        "answers_per_s": len(figures.answer) / wall,
        **{f"{kind}_p{p}_ms": percentile(getattr(figures, kind), p) * 1000
           for kind in ("answer", "submit", "create") for p in (50, 99)},
        "records_differing": len(figures.wrong), "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
    }
    if args.json:
        print(json.dumps(result))
    else:
        counts = ", ".join(f"{n} {sum(1 for f, _ in work if f.id == n)}" for n in per_form)
        print(f"qengine serve load: {args.interviews} interviews at once ({counts}); server {where}")
        print(f"  {result['answers']:,} answers in {wall:.2f} s: {result['answers_per_s']:,.0f} answers/s")
        for kind in ("answer", "submit", "create"):
            print(f"  {kind + ' latency':<15} p50 {result[kind + '_p50_ms']:7.1f} ms   "
                  f"p99 {result[kind + '_p99_ms']:7.1f} ms")
        used = f"CPU used in the run: the client (this process) {client_cpu:.1f} s"
        if server_cpu is not None:
            used += f", the server {server_cpu:.1f} s"
        print("  " + used)
        print("  every submitted record equals Python's" if not figures.wrong
              else f"  {len(figures.wrong)} submitted records differ from Python's: {figures.wrong}")
    return 1 if figures.wrong else 0


if __name__ == "__main__":
    sys.exit(main())
