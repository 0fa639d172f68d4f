"""Crash safety of `qengine serve`: a real server subprocess on a real SQLite file is killed with
SIGKILL in the middle of a stream of answers (four annex 6 interviews and one annex 7, answered at
once as fast as the server takes them, each from its own thread and driven by its own record of
qengine.testing.records), restarted on the same database, and must still hold every answer it
acknowledged with a 200: the acknowledged answers are a prefix of the stored history, none missing,
and the one answer in flight when the server died (sent, no response) may or may not be there. The
database passes `PRAGMA integrity_check` after each kill. Three kills in a row, each at its own
point of the stream; after the last restart every interview goes on to the end and submits exactly
the record Python's Interview gives for the same answers, and a fourth kill just after the submits
leaves them submitted, in the office's records. The whole runs for two seeds. A graceful stop
(SIGTERM) in the middle of the stream exits 0 and loses nothing either.

The kill points are drawn from a seeded random generator: after some number of acknowledged answers
(counted over all interviews), plus a random pause of up to 5 ms so that the kill lands anywhere in
a request. Both outcomes of the answer in flight occur (run with -s: the test prints how many).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import Server, python_record, running_server, some_records

import qengine

if not hasattr(signal, "SIGKILL"):  # pragma: no cover - the project runs on Linux
    pytest.skip("SIGKILL is POSIX only", allow_module_level=True)

KILLS = 3
ANNEX6, ANNEX7 = 4, 1  # interviews answered at once, each from its own thread
USERS = {"wang": "enumerator", "office": "office"}


@dataclass
class Household:
    """One interview on the server, driven by a record, and what the server acknowledged of it."""

    form: qengine.Form
    record: dict[str, Any]
    id: str = ""
    acked: list[tuple[str, Any]] = field(default_factory=list)  # (question, value) answered with 200
    in_flight: tuple[str, Any] | None = None  # sent, no response: the server died during it
    current: str | None = None
    finished: bool = False


def answer_stream(server: Server, house: Household, counter: list[int], lock: threading.Lock) -> None:
    """Answer `house` as fast as the server takes it, until it is finished or the server dies."""
    with server.client("wang") as client:
        while not house.finished:
            assert house.current is not None
            qid = house.current
            value = house.record[qid]
            house.in_flight = (qid, value)
            try:
                resp = client.post(f"/api/interviews/{house.id}/answer",
                                   json={"question": qid, "value": value})
            except httpx.TransportError:
                return  # killed: this answer may or may not be stored
            assert resp.status_code == 200, resp.text
            state = resp.json()
            house.in_flight = None
            house.acked.append((qid, value))
            house.current = state["current"]["id"] if state["current"] else None
            house.finished = state["finished"]
            with lock:
                counter[0] += 1


def stream_and_kill(server: Server, households: list[Household], after: int, pause: float,
                    how: signal.Signals = signal.SIGKILL) -> None:
    """Answer every household at once and kill the server (`how`: SIGKILL, or SIGTERM for a graceful
    stop) after `after` acknowledged answers and a `pause` (seconds) more."""
    counter, lock, errors = [0], threading.Lock(), []

    def run(house: Household) -> None:
        try:
            answer_stream(server, house, counter, lock)
        except BaseException as exc:  # an unexpected reply: the test fails below with it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(h,)) for h in households if not h.finished]
    for t in threads:
        t.start()
    while counter[0] < after and any(t.is_alive() for t in threads):
        time.sleep(0.0005)
    time.sleep(pause)
    if how == signal.SIGKILL:
        assert server.kill() == -signal.SIGKILL
    else:
        server.proc.send_signal(how)
        assert server.wait() == 0, "\n".join(server.stderr)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    assert_no_traceback(server)
    assert counter[0] >= after, "the stream ended before the kill point"


def assert_no_traceback(server: Server) -> None:
    """The server said nothing of an exception on its standard error (a restart recovers quietly)."""
    assert not any("Traceback" in line or "ERROR" in line for line in server.stderr), \
        "\n".join(server.stderr)


def check_database(db: Path) -> None:
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    con.close()


def check_after_restart(client: httpx.Client, house: Household) -> None:
    """The stored interview holds every acknowledged answer, and at most the one in flight besides."""
    resp = client.get(f"/api/interviews/{house.id}")
    assert resp.status_code == 200, resp.text
    state = resp.json()
    history = state["history"]
    acked_ids = [qid for qid, _ in house.acked]
    assert history[:len(acked_ids)] == acked_ids, (history, acked_ids)
    extra = history[len(acked_ids):]
    if house.in_flight is None:
        assert extra == []
    else:
        assert extra in ([], [house.in_flight[0]])
        if extra:  # the answer in flight was stored before the kill: it counts as given
            house.acked.append(house.in_flight)
    house.in_flight = None
    for qid, value in house.acked:
        assert state["answers"][qid] == value
    assert state["submitted"] is False
    house.current = state["current"]["id"] if state["current"] else None
    house.finished = state["finished"]
    assert (house.current is None) == house.finished


def make_households() -> list[Household]:
    annex6, annex7 = qengine.load("annex6"), qengine.load("annex7")
    return ([Household(annex6, r) for r in some_records(annex6, ANNEX6)]
            + [Household(annex7, r) for r in some_records(annex7, ANNEX7)])


@pytest.mark.parametrize("seed", [10, 11])
def test_sigkill_during_answers_loses_no_acknowledged_answer(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "qengine.sqlite3"
    rng = random.Random(seed)
    households = make_households()
    total = sum(len(h.form.path(h.record)) for h in households)
    in_flight_stored = in_flight_lost = 0
    with running_server(tmp_path, users=USERS, db=db) as server, server.client("wang") as client:
        for house in households:
            resp = client.post("/api/interviews", json={"form": house.form.id})
            assert resp.status_code == 201, resp.text
            state = resp.json()
            house.id, house.current = state["id"], state["current"]["id"]
        left = total
        stream_and_kill(server, households, rng.randint(1, left // (KILLS + 1)), rng.uniform(0, 0.005))
    for kill in range(1, KILLS + 1):
        check_database(db)
        with running_server(tmp_path, users=USERS, db=db) as server:
            with server.client("wang") as client:
                for house in households:
                    was_in_flight = house.in_flight is not None
                    before = len(house.acked)
                    check_after_restart(client, house)
                    if was_in_flight:
                        if len(house.acked) > before:
                            in_flight_stored += 1
                        else:
                            in_flight_lost += 1
            assert not all(h.finished for h in households)
            if kill < KILLS:
                # the next kill lands after `after` more acknowledged answers, anywhere in a request
                left = total - sum(len(h.acked) for h in households)
                after = rng.randint(1, max(1, left // (KILLS - kill + 1)))
                stream_and_kill(server, households, after, rng.uniform(0, 0.005))
                continue
            # after the last restart every interview goes on to the end and submits Python's record
            with server.client("wang") as client:
                for house in households:
                    while not house.finished:
                        assert house.current is not None
                        value = house.record[house.current]
                        resp = client.post(f"/api/interviews/{house.id}/answer",
                                           json={"question": house.current, "value": value})
                        assert resp.status_code == 200, resp.text
                        house.acked.append((house.current, value))
                        state = resp.json()
                        house.current = state["current"]["id"] if state["current"] else None
                        house.finished = state["finished"]
                    resp = client.post(f"/api/interviews/{house.id}/submit")
                    assert resp.status_code == 200, resp.text
                    assert resp.json()["record"] == python_record(house.form, house.acked)
            server.kill()  # an acknowledged submit survives a kill too
            assert_no_traceback(server)
    check_database(db)
    with running_server(tmp_path, users=USERS, db=db) as server, server.client("office") as office:
        resp = office.get("/api/records", params={"meta": "true"})
        assert resp.status_code == 200, resp.text
        lines = [json.loads(line) for line in resp.text.splitlines() if line.strip()]
        stored = {line["interview"]: line["record"] for line in lines}
        assert len(lines) == len(households)
        for house in households:
            assert stored[house.id] == python_record(house.form, house.acked)
            state = office.get(f"/api/interviews/{house.id}").json()
            assert state["submitted"] is True
            assert state["history"] == [qid for qid, _ in house.acked]
            # the driver covered every question of every household
            assert state["history"] == list(house.form.path(house.record))
    print(f"in flight at a kill: {in_flight_stored} stored, {in_flight_lost} not")


def test_sigterm_during_answers_stops_cleanly_and_loses_nothing(tmp_path: Path) -> None:
    """A graceful stop (SIGTERM) in the middle of the stream: exit status 0, no traceback, and
    every acknowledged answer is there after a restart, as after a kill."""
    db = tmp_path / "qengine.sqlite3"
    households = make_households()
    with running_server(tmp_path, users=USERS, db=db) as server:
        with server.client("wang") as client:
            for house in households:
                state = client.post("/api/interviews", json={"form": house.form.id}).json()
                house.id, house.current = state["id"], state["current"]["id"]
        stream_and_kill(server, households, 30, 0.002, signal.SIGTERM)
    check_database(db)
    with running_server(tmp_path, users=USERS, db=db) as server, server.client("wang") as client:
        for house in households:
            check_after_restart(client, house)
        assert sum(len(h.acked) for h in households) >= 30
