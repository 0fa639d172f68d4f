"""Shared helpers of the `qengine serve` tests: a real server subprocess on a free port.

    from server_helpers import running_server

    def test_something(tmp_path):
        with running_server(tmp_path) as server:
            office = server.client("office")          # an httpx.Client with the office's token
            r = office.post("/api/interviews", json={"form": "annex6"})

:func:`running_server` writes a users file (by default :data:`USERS`: one office user and two
enumerators, each with a fresh random token), starts ``python -m qengine serve FORMS --db DB
--port 0 --users FILE`` with the SQLite file in ``tmp_path``, waits for the line ``qengine serve:
listening on URL`` on its standard error (the port is the one the server picked), yields a
:class:`Server`, and stops the process on leaving (SIGTERM, then SIGKILL if it lingers). With
``users=None`` no users file is given, and the office token comes from the server's ``office
login`` line instead (``server.tokens == {"office": ...}``). Pass the same ``db`` again to restart
on the same database (the crash tests), and keep ``server.proc`` to kill it yourself
(:meth:`Server.kill`). The server's standard error is collected in ``server.stderr`` (lines),
also after it exits; :meth:`Server.wait` gives the exit status.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings

import qengine
from qengine.testing import records

#: the default users: name → role
USERS: dict[str, str] = {"office": "office", "zhang": "enumerator", "li": "enumerator"}
READY = re.compile(r"^qengine serve: listening on (http://\S+)$")
LOGIN = re.compile(r"^qengine serve: office login: (\S+)\?token=(\S+)$")
START_TIMEOUT = 60.0  # seconds: a safety net only, never a measurement


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def write_users(path: Path, users: Mapping[str, str]) -> dict[str, str]:
    """Write a users file for ``users`` (name → role) with new tokens; returns name → token."""
    tokens = {name: secrets.token_urlsafe(32) for name in users}
    lines = [f"- {{name: {json.dumps(name, ensure_ascii=False)}, role: {role}, "
             f"token_sha256: \"{token_sha256(tokens[name])}\"}}" for name, role in users.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tokens


class Server:
    """A running `qengine serve`: its ``url`` (ending in ``/``), ``tokens`` (user name → token),
    ``db`` path, ``proc`` and the lines of its standard error."""

    def __init__(self, proc: subprocess.Popen[str], db: Path, tokens: dict[str, str]) -> None:
        self.proc = proc
        self.db = db
        self.tokens = tokens
        self.url = ""
        self.stderr: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            self.stderr.append(line)
            login = LOGIN.match(line)
            if login and "office" not in self.tokens:
                self.tokens["office"] = login.group(2)
            ready = READY.match(line)
            if ready:
                self.url = ready.group(1)
                self._ready.set()
        self._ready.set()  # the process ended (it may have failed to start)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def client(self, user: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on the server, with ``user``'s token (none for None)."""
        headers = self.headers(user) if user is not None else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0, **kwargs)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the process to end; its exit status."""
        status = self.proc.wait(timeout)
        self._reader.join(timeout)
        return status

    def stop(self) -> int:
        """SIGTERM (a graceful stop), then SIGKILL if it does not end; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.wait()
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.wait()

    def kill(self) -> int:
        """SIGKILL, at once (a crash); the exit status (-9)."""
        if self.proc.poll() is None:
            self.proc.kill()
        return self.wait()


def serve_command(db: Path, *, forms: Sequence[str] = ("annex6", "annex7"),
                  users_file: Path | None = None, extra: Sequence[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "qengine", "serve", *forms, "--db", str(db), "--port", "0"]
    if users_file is not None:
        command += ["--users", str(users_file)]
    return command + list(extra)


@contextmanager
def running_server(tmp_path: Path, *, users: Mapping[str, str] | None = USERS,
                   forms: Sequence[str] = ("annex6", "annex7"), db: Path | None = None,
                   extra: Sequence[str] = (), env: Mapping[str, str] | None = None
                   ) -> Iterator[Server]:
    """A `qengine serve` subprocess for the block (see the module's docstring).

    ``users``: name → role for a users file written in ``tmp_path`` (None: no users file, the
    database's office user); ``forms``: what to serve; ``db``: the SQLite file (default
    ``tmp_path / "qengine.sqlite3"``); ``extra``: more command-line arguments.
    """
    db = db if db is not None else tmp_path / "qengine.sqlite3"
    tokens: dict[str, str] = {}
    users_file = None
    if users is not None:
        users_file = tmp_path / "users.yaml"
        saved = tmp_path / "users.tokens.json"
        if saved.exists():  # a restart: the same users and tokens
            tokens = dict(json.loads(saved.read_text("utf-8")))
        else:
            tokens = write_users(users_file, users)
            saved.write_text(json.dumps(tokens), encoding="utf-8")
    proc = subprocess.Popen(serve_command(db, forms=forms, users_file=users_file, extra=extra),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                            cwd=tmp_path)
    server = Server(proc, db, tokens)
    try:
        if not server._ready.wait(START_TIMEOUT) or not server.url:
            server.kill()
            raise RuntimeError("qengine serve did not start:\n" + "\n".join(server.stderr))
        yield server
    finally:
        server.stop()


# -- records and what Python makes of them (the crash and load tests) ------------------------------
def some_records(form: qengine.Form, n: int) -> list[dict[str, Any]]:
    """`n` complete records of `form` drawn by qengine.testing.records, the same ones on every run."""
    out: list[dict[str, Any]] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(records(form))
    def collect(record: dict[str, Any]) -> None:
        out.append(record)

    collect()
    return out[-n:]


def python_record(form: qengine.Form, answers: list[tuple[str, Any]]) -> dict[str, Any]:
    """The record Python's Interview submits for these answers, through JSON as the server gives it."""
    iv = form.start()
    for qid, value in answers:
        assert iv.current is not None and iv.current.id == qid
        iv.answer(value)
    return json.loads(json.dumps(iv.submit()))
