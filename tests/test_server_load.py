"""Load on one real `qengine serve` subprocess: 50 interviews at once (httpx.AsyncClient, asyncio),
annex 6 and annex 7 mixed, spread over five enumerators, each driven to the end and submitted by its
own record of `qengine.testing.records`. Nothing is lost or crossed: every response is of the
interview it was sent to, every submitted record equals Python's Interview for that record's answers,
each enumerator's list shows exactly his interviews (and another's id is 404 to him), and the
office's GET /api/records has exactly the 50 records, each with its enumerator. No timing asserts.

Also runs bench/serve_load.py with a few interviews and checks it prints positive figures.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import Server, python_record, running_server, some_records

import qengine

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = 50
ENUMERATORS = ("li", "wang", "zhao", "chen", "liu")
USERS = {**{name: "enumerator" for name in ENUMERATORS}, "racer": "enumerator", "office": "office"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `qengine serve` on a fresh SQLite file, with five enumerators and an office user."""
    with running_server(tmp_path_factory.mktemp("load"), users=USERS) as running:
        yield running


@dataclass
class Done:
    """One interview driven to the end: who made it, its id, the answers given and the record."""

    user: str
    form: qengine.Form
    id: str
    answers: list[tuple[str, Any]]
    record: dict[str, Any]


async def drive(server: Server, user: str, form: qengine.Form, record: dict[str, Any]) -> Done:
    """One interview of `user`, from its own client (as from its own phone), to the end."""
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(user), timeout=120) as client:
        return await drive_with(client, user, form, record)


async def drive_with(client: httpx.AsyncClient, user: str, form: qengine.Form,
                     record: dict[str, Any]) -> Done:
    resp = await client.post("/api/interviews", json={"form": form.id})
    assert resp.status_code == 201, resp.text
    state = resp.json()
    iid, given_answers = state["id"], []
    assert (state["form"], state["user"], state["history"]) == (form.id, user, [])
    while not state["finished"]:
        qid = state["current"]["id"]
        resp = await client.post(f"/api/interviews/{iid}/answer",
                                 json={"question": qid, "value": record[qid]})
        assert resp.status_code == 200, resp.text
        given_answers.append((qid, record[qid]))
        state = resp.json()
        # the response is of this interview, holding exactly what was given to it
        assert (state["id"], state["form"], state["user"]) == (iid, form.id, user)
        assert state["history"] == [q for q, _ in given_answers]
    resp = await client.post(f"/api/interviews/{iid}/submit")
    assert resp.status_code == 200, resp.text
    return Done(user, form, iid, given_answers, resp.json()["record"])


async def load(server: Server, work: list[tuple[str, qengine.Form, dict[str, Any]]]) -> list[Done]:
    return list(await asyncio.gather(*(drive(server, user, form, record) for user, form, record in work)))


def test_fifty_concurrent_interviews_nothing_lost_or_crossed(server: Server) -> None:
    annex6, annex7 = qengine.load("annex6"), qengine.load("annex7")
    recs6, recs7 = some_records(annex6, INTERVIEWS // 2), some_records(annex7, INTERVIEWS - INTERVIEWS // 2)
    mixed = [pair for r6, r7 in zip(recs6, recs7) for pair in ((annex6, r6), (annex7, r7))]
    work = [(ENUMERATORS[(i * 3) % len(ENUMERATORS)], form, record)
            for i, (form, record) in enumerate(mixed)]
    done = asyncio.run(load(server, work))
    assert len({d.id for d in done}) == INTERVIEWS

    for d, (_user, form, record) in zip(done, work):
        assert [q for q, _ in d.answers] == list(form.path(record))
        assert d.record == python_record(d.form, d.answers)

    for user in ENUMERATORS:
        with server.client(user) as client:
            mine = {d.id for d in done if d.user == user}
            listed = client.get("/api/interviews")
            assert listed.status_code == 200, listed.text
            assert {s["id"] for s in listed.json()} == mine
            assert all(s["user"] == user and s["submitted"] for s in listed.json())
            submitted = client.get("/api/interviews", params={"status": "submitted"})
            assert {s["id"] for s in submitted.json()} == mine
            assert client.get("/api/interviews", params={"status": "open"}).json() == []
            for form_id in ("annex6", "annex7"):
                of_form = client.get("/api/interviews", params={"form": form_id})
                assert {s["id"] for s in of_form.json()} == {d.id for d in done
                                                               if d.user == user and d.form.id == form_id}
            other = next(d for d in done if d.user != user)
            assert client.get(f"/api/interviews/{other.id}").status_code == 404
            assert client.get("/api/records").status_code == 403

    with server.client("office") as office:
        resp = office.get("/api/records", params={"meta": "true"})
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in resp.text.splitlines() if line.strip()]
        assert len(lines) == INTERVIEWS
        by_id = {d.id: d for d in done}
        assert {line["interview"] for line in lines} == set(by_id)
        for line in lines:
            d = by_id[line["interview"]]
            assert line["user"] == d.user
            assert line["record"] == python_record(d.form, d.answers)
        for form_id in ("annex6", "annex7"):
            resp = office.get("/api/records", params={"form": form_id, "meta": "true"})
            ids = {json.loads(line)["interview"] for line in resp.text.splitlines() if line.strip()}
            assert ids == {d.id for d in done if d.form.id == form_id}
        everyone = office.get("/api/interviews")  # (the racing test's interview is racer's)
        assert {s["id"] for s in everyone.json() if s["user"] in ENUMERATORS} == set(by_id)


def test_racing_answers_to_one_interview_one_wins(server: Server) -> None:
    """20 clients answer the same question of one interview at once, each with its own value: one
    200, the others 409 not_current, and the stored answer is the one acknowledged."""

    async def race() -> tuple[list[httpx.Response], str]:
        clients = [httpx.AsyncClient(base_url=server.url, headers=server.headers("racer"), timeout=120)
                   for _ in range(20)]
        try:
            resp = await clients[0].post("/api/interviews", json={"form": "annex6"})
            iid = resp.json()["id"]
            replies = await asyncio.gather(*(
                c.post(f"/api/interviews/{iid}/answer", json={"question": "county", "value": f"村{i}"})
                for i, c in enumerate(clients)))
            return list(replies), iid
        finally:
            for c in clients:
                await c.aclose()

    replies, iid = asyncio.run(race())
    won = [r for r in replies if r.status_code == 200]
    assert len(won) == 1
    assert all(r.status_code == 409 and r.json()["error"]["code"] == "not_current"
               for r in replies if r.status_code != 200)
    with server.client("racer") as client:
        state = client.get(f"/api/interviews/{iid}").json()
    assert state["history"] == ["county"]
    assert state["answers"]["county"] == won[0].json()["answers"]["county"]


def test_bench_script_prints_positive_figures() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "serve_load.py"), "--interviews", "4",
                           "--enumerators", "2"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "4 interviews at once (annex6 2, annex7 2)" in out
    assert "every submitted record equals Python's" in out
    rate = re.search(r"([\d,]+) answers in [\d.]+ s: ([\d,]+) answers/s", out)
    assert rate is not None, out
    assert int(rate.group(1).replace(",", "")) > 4  # answers counted, not timed
    for kind in ("answer", "submit", "create"):  # each figure printed (its value is not judged)
        found = re.search(kind + r" latency\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms", out)
        assert found is not None, out
