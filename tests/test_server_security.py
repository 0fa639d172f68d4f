"""What `qengine serve` refuses, over real HTTP against a real server subprocess: no token, a wrong
token, another enumerator's interview, bad JSON, huge bodies, wrong types, path-like form names,
unknown routes and wrong methods each get their 4xx JSON error, and (checked by reading back
afterwards) nothing changes. Also the database's own safety: an old database is upgraded, a newer
one, a foreign one and a bad users file are refused with one line and exit status 2."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import Server, running_server, serve_command, write_users

from qengine.apps.server.store import MIGRATIONS, SCHEMA_VERSION

BIG = 2 * 1024 * 1024
H0, H1 = hashlib.sha256(b"0").hexdigest(), hashlib.sha256(b"1").hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("serve")) as s:
        yield s


@pytest.fixture(scope="module")
def zhang(server: Server) -> Iterator[httpx.Client]:
    with server.client("zhang") as c:
        yield c


@pytest.fixture(scope="module")
def office(server: Server) -> Iterator[httpx.Client]:
    with server.client("office") as c:
        yield c


@pytest.fixture()
def interview(zhang: httpx.Client) -> dict[str, Any]:
    """An interview of zhang's, two questions in."""
    r = zhang.post("/api/interviews", json={"form": "annex6"})
    state = r.json()
    for value in ("望城区", "靖港镇"):
        state = zhang.post(f"/api/interviews/{state['id']}/answer",
                           json={"question": state["current"]["id"], "value": value}).json()
    assert state["history"] == ["county", "township"]
    return state


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A 4xx JSON error with this code, and nothing of a traceback or an HTML page."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert "Traceback" not in response.text and "<html" not in response.text.lower()
    body = response.json()
    assert set(body) <= {"error", "violations"} and body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


def unchanged(zhang: httpx.Client, state: dict[str, Any]) -> None:
    """The interview is as it was (same state, same update time)."""
    assert zhang.get(f"/api/interviews/{state['id']}").json() == state


def count(office: httpx.Client) -> int:
    return len(office.get("/api/interviews").json())


ROUTES = [("GET", "/api/forms"), ("GET", "/api/forms/annex6"), ("GET", "/api/interviews"),
          ("POST", "/api/interviews"), ("GET", "/api/interviews/{id}"),
          ("POST", "/api/interviews/{id}/answer"), ("POST", "/api/interviews/{id}/back"),
          ("POST", "/api/interviews/{id}/goto"), ("POST", "/api/interviews/{id}/submit"),
          ("GET", "/api/interviews/{id}/snapshot"), ("GET", "/api/records")]
BODIES = {"/api/interviews": {"form": "annex6"}, "answer": {"question": "village", "value": "x"},
          "goto": {"question": "county"}}


def body_for(path: str) -> Any:
    return BODIES.get(path, BODIES.get(path.rsplit("/", 1)[-1]))


# -- who may ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic b2ZmaWNlOng=",
                                           "Bearer", "bearer x y"],
                         ids=["none", "wrong", "basic", "empty", "spaces"])
def test_no_token_or_a_wrong_one_is_401(server: Server, office: httpx.Client, zhang: httpx.Client,
                                        interview: dict[str, Any], method: str, path: str,
                                        authorization: str | None) -> None:
    """Every API route needs a valid Bearer token: 401 unauthorized, and nothing changes."""
    before = count(office)
    headers = {"Authorization": authorization} if authorization is not None else {}
    with httpx.Client(base_url=server.url, headers=headers) as anonymous:
        body = body_for(path)
        r = anonymous.request(method, path.format(id=interview["id"]),
                              json=body if method == "POST" else None)
    refused(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert count(office) == before
    unchanged(zhang, interview)


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{id}" in r[1]],
                         ids=[f"{m} {p}" for m, p in ROUTES if "{id}" in p])
def test_another_enumerators_interview_is_404(server: Server, zhang: httpx.Client,
                                              interview: dict[str, Any], method: str,
                                              path: str) -> None:
    """li asking for zhang's interview gets the same 404 as for an id that does not exist; the
    office sees it."""
    with server.client("li") as li:
        r = li.request(method, path.format(id=interview["id"]),
                       json=body_for(path) if method == "POST" else None)
        refused(r, 404, "not_found")
        missing = li.request(method, path.format(id="no-such-interview-id-at-all"),
                             json=body_for(path) if method == "POST" else None)
        assert missing.json() == r.json()
        assert interview["id"] not in [s["id"] for s in li.get("/api/interviews").json()]
    unchanged(zhang, interview)
    with server.client("office") as office:
        assert office.get(f"/api/interviews/{interview['id']}").json() == interview


def test_interview_ids_are_unguessable(zhang: httpx.Client) -> None:
    """Ids are 128 random bits, URL-safe: different each time, and no counter."""
    ids = [zhang.post("/api/interviews", json={"form": "annex7"}).json()["id"] for _ in range(5)]
    assert len(set(ids)) == 5 and all(len(i) >= 22 for i in ids)
    assert not any(i.isdigit() for i in ids)


# -- bad bodies ------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"{bad", b"{\"question\": \"village\", \"value\": NaN}",
                                     b"\xff\xfe\x00", b"[" * 200_000,
                                     b"{\"question\": \"village\", \"value\": \"\\ud800\"}",
                                     b"{\"question\": \"village\", \"value\": 1" + b"0" * 5000 + b"}"],
                         ids=["truncated", "nan", "not-utf8", "deep", "surrogate", "huge-int"])
def test_bad_json_is_400(zhang: httpx.Client, office: httpx.Client, interview: dict[str, Any],
                         content: bytes) -> None:
    """A body that is not JSON (or not plain JSON text) is 400 bad_json, and nothing changes."""
    before = count(office)
    for path in (f"/api/interviews/{interview['id']}/answer", "/api/interviews"):
        refused(zhang.post(path, content=content, headers={"content-type": "application/json"}),
                400, "bad_json")
    unchanged(zhang, interview)
    assert count(office) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_2mb_body_is_413(zhang: httpx.Client, office: httpx.Client, interview: dict[str, Any],
                           chunked: bool) -> None:
    """A body over 1 MiB is 413 too_large, whether its Content-Length says so or not."""
    before = count(office)
    value = "x" * BIG
    data = json.dumps({"question": "village", "value": value}).encode()

    def stream() -> Iterator[bytes]:
        for i in range(0, len(data), 65536):
            yield data[i:i + 65536]

    for path in (f"/api/interviews/{interview['id']}/answer", "/api/interviews",
                 f"/api/interviews/{interview['id']}/back"):
        r = zhang.post(path, content=stream() if chunked else data)
        refused(r, 413, "too_large")
    unchanged(zhang, interview)
    assert count(office) == before


@pytest.mark.parametrize(("path", "body", "field"), [
    ("answer", {"question": 5, "value": "x"}, "question"),
    ("answer", {"question": ["village"], "value": "x"}, "question"),
    ("answer", {"question": "village"}, "value"),
    ("answer", {"value": "x"}, "question"),
    ("answer", {"question": "village", "value": "x", "extra": 1}, "extra"),
    ("answer", ["village", "x"], None),
    ("answer", "village", None),
    ("goto", {"question": None}, "question"),
    ("goto", {}, "question"),
    ("back", {"steps": 2}, "steps"),
    ("submit", [1], None),
    ("", {"form": 6}, "form"),
    ("", {"form": ["annex6"]}, "form"),
    ("", {"form": "annex6", "params": []}, "params"),
    ("", {"form": "annex6", "params": "income_line=1"}, "params"),
    ("", {}, "form"),
    ("", {"snapshot": "x"}, "snapshot"),
    ("", {"snapshot": {}, "form": "annex6"}, None),
    ("", {"forms": "annex6"}, "forms"),
], ids=lambda v: json.dumps(v) if not isinstance(v, str) else v)
def test_wrong_types_are_422(zhang: httpx.Client, office: httpx.Client, interview: dict[str, Any],
                             path: str, body: Any, field: str | None) -> None:
    """A field of the wrong type, missing, or unknown is 422 bad_request naming the field."""
    before = count(office)
    url = f"/api/interviews/{interview['id']}/{path}" if path else "/api/interviews"
    error = refused(zhang.post(url, json=body), 422, "bad_request")["error"]
    if field is not None:
        assert error["field"] == field and error["message"].startswith(field)
    unchanged(zhang, interview)
    assert count(office) == before


def test_a_refused_answer_changes_nothing(zhang: httpx.Client, interview: dict[str, Any]) -> None:
    """Values the runtime refuses: 422 with the AnswerError code, naming the question."""
    iid = interview["id"]
    for value, code in [(True, "type"), ({"a": 1}, "type"), ("x" * 20000, "length"),
                        ("   ", "required")]:
        body = refused(zhang.post(f"/api/interviews/{iid}/answer",
                                  json={"question": "village", "value": value}), 422, code)
        assert body["error"]["question"] == "village"
    unchanged(zhang, interview)


# -- names, routes, methods ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../etc/passwd", "annex6/../x", "/etc/passwd", "annex6.yaml",
                                  "forms/annex6.yaml", "annex5", "ANNEX6", "annex6\x00", "",
                                  "x" * 5000])
def test_path_like_form_names_are_unknown_forms(zhang: httpx.Client, office: httpx.Client,
                                                name: str) -> None:
    """A form name is looked up among the served forms, never opened as a path: 404 unknown_form
    in a body or a query, and no interview is made."""
    before = count(office)
    refused(zhang.post("/api/interviews", json={"form": name}), 404, "unknown_form")
    refused(zhang.post("/api/interviews", json={"snapshot": {
        "qengine_snapshot": 1, "form": name, "version": "2020.1", "answers": {}, "history": []}}),
        404, "unknown_form")
    refused(zhang.get("/api/interviews", params={"form": name}), 404, "unknown_form")
    refused(office.get("/api/records", params={"form": name}), 404, "unknown_form")
    assert count(office) == before


@pytest.mark.parametrize("raw", ["/api/forms/..%2F..%2Fetc%2Fpasswd", "/api/forms/annex6%2F..%2Fx",
                                 "/api/forms/%2Fetc%2Fpasswd", "/api/forms/annex6.yaml",
                                 "/api/forms/..", "/static/..%2F..%2Fstore.py",
                                 "/static/%2e%2e/%2e%2e/api.py"])
def test_path_like_urls_are_404(server: Server, raw: str) -> None:
    """Encoded paths in the URL reach no file outside static/: a 404 JSON error each."""
    headers = server.headers("office")
    with httpx.Client(base_url=server.url, headers=headers) as c:
        r = c.send(c.build_request("GET", httpx.URL(server.url.rstrip("/") + raw)))
    assert r.status_code == 404 and r.json()["error"]["code"] in {"not_found", "unknown_form"}
    assert "import" not in r.text


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/interviews/x/nope",
                                  "/api/forms/annex6/extra", "/etc/passwd", "/index.php",
                                  "/static/no-such-file.js"])
def test_unknown_routes_are_404(zhang: httpx.Client, path: str) -> None:
    """An unknown path is a 404 JSON error (never an HTML page)."""
    refused(zhang.get(path), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/api/interviews/{id}"), ("PUT", "/api/interviews/{id}"),
    ("PATCH", "/api/interviews/{id}/answer"), ("GET", "/api/interviews/{id}/answer"),
    ("GET", "/api/interviews/{id}/submit"), ("POST", "/api/forms"), ("DELETE", "/api/forms/annex6"),
    ("POST", "/api/records"), ("POST", "/api/interviews/{id}/snapshot"), ("DELETE", "/")])
def test_wrong_methods_are_405(zhang: httpx.Client, interview: dict[str, Any], method: str,
                               path: str) -> None:
    """A method a route does not take is a 405 JSON error, with Allow; nothing changes."""
    r = zhang.request(method, path.format(id=interview["id"]))
    refused(r, 405, "method_not_allowed")
    assert r.headers.get("allow")
    unchanged(zhang, interview)


def test_the_security_headers(zhang: httpx.Client) -> None:
    """No MIME sniffing, no referrer (a login URL carries a token), no caching of the API."""
    r = zhang.get("/api/forms")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"


# -- the database and the start --------------------------------------------------------------
def start_fails(tmp_path: Path, *args: str) -> str:
    """Run `qengine serve` expecting it to refuse to start: exit 2, one line on stderr."""
    result = subprocess.run([sys.executable, "-m", "qengine", "serve", "--port", "0", *args],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qengine: "), result.stderr
    assert "listening" not in result.stderr
    return lines[0]


def old_database(path: Path, version: int) -> dict[str, Any]:
    """A database as qengine made it at schema ``version`` (0: an empty file), with an interview
    of zhang's in it from version 1 on; its snapshot."""
    snapshot = {"qengine_snapshot": 1, "form": "annex6", "version": "2020.1", "params": {},
                "answers": {"county": "望城区"}, "history": ["county"]}
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:version]:
        for statement in step:
            db.execute(statement)
    if version >= 1:
        db.execute("INSERT INTO interviews VALUES ('old-interview-id-0123456', 'annex6', 'zhang', "
                   "'open', ?, '2020-04-08T09:00:00.000Z', '2020-04-08T09:00:00.000Z', NULL, NULL)",
                   (json.dumps(snapshot),))
    db.execute(f"PRAGMA user_version={version}")
    db.commit()
    db.close()
    return snapshot


@pytest.mark.parametrize("version", range(SCHEMA_VERSION), ids=lambda v: f"v{v}")
def test_an_older_database_is_upgraded(tmp_path: Path, version: int) -> None:
    """A database of an older schema opens, is upgraded step by step, and keeps its interviews."""
    db = tmp_path / "old.sqlite3"
    old_database(db, version)
    with running_server(tmp_path, db=db) as server, server.client("zhang") as zhang:
        listed = zhang.get("/api/interviews").json()
        if version >= 1:
            (state,) = listed
            assert state["id"] == "old-interview-id-0123456" and state["history"] == ["county"]
            state = zhang.post(f"/api/interviews/{state['id']}/answer",
                               json={"question": "township", "value": "靖港镇"}).json()
            assert state["history"] == ["county", "township"]
        else:
            assert listed == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"users", "interviews", "settings", "interviews_by_owner"} <= names


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    """A database of a newer schema than this qengine's is refused, and left as it was."""
    db = tmp_path / "new.sqlite3"
    old_database(db, SCHEMA_VERSION)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    before = db.read_bytes()
    line = start_fails(tmp_path, "--db", str(db))
    assert "newer" in line and f"version {SCHEMA_VERSION + 1}" in line
    assert db.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """A --db that is not SQLite, or is a database of something else, or a folder: one line."""
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 100, encoding="utf-8")
    assert "not a usable SQLite database" in start_fails(tmp_path, "--db", str(junk))
    assert junk.read_text(encoding="utf-8") == "not a database\n" * 100
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (x)")
    assert "not one of qengine serve" in start_fails(tmp_path, "--db", str(other))
    assert "directory" in start_fails(tmp_path, "--db", str(tmp_path))


@pytest.mark.parametrize(("text", "where", "what"), [
    ("- {name: a, role: admin, token_sha256: " + H0 + "}\n", ":1:", "role"),
    ("- {name: a, role: office, token_sha256: abc}\n", ":1:", "token_sha256"),
    ("- {name: a, role: office, token_sha256: " + H0 + "}\n"
     "- {name: a, role: office, token_sha256: " + H1 + "}\n", ":2:", "twice"),
    ("- {name: a, role: office}\n", ":1:", "lacks token_sha256"),
    ("- {name: a, role: office, token_sha256: " + H0 + ", password: x}\n", ":1:", "password"),
    ("{name: a}\n", ":1:", "list of users"),
    ("[]\n", ":1:", "list of users"),
    ("- name: a\n  role: [office\n", ":2:", "YAML"),
])
def test_a_bad_users_file_is_refused(tmp_path: Path, text: str, where: str, what: str) -> None:
    """A users file with a problem: one line naming file:line and the problem, exit 2."""
    users = tmp_path / "users.yaml"
    users.write_text(text, encoding="utf-8")
    line = start_fails(tmp_path, "--users", str(users), "--db", str(tmp_path / "db.sqlite3"))
    assert f"{users}{where}" in line and what in line


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    """A port out of range, a port in use, a form that does not exist: one line, exit 2 (a bad
    form file: its problems, exit 1)."""
    users = tmp_path / "other-users.yaml"
    write_users(users, {"office": "office"})
    common = ["--users", str(users), "--db", str(tmp_path / "db.sqlite3")]
    assert "65535" in start_fails(tmp_path, *common, "--port", "70000")
    with running_server(tmp_path) as server:
        port = server.url.rsplit(":", 1)[1].strip("/")
        assert "cannot listen" in start_fails(tmp_path, *common, "--port", port)
    result = subprocess.run(serve_command(tmp_path / "db.sqlite3", forms=["annex99"],
                                          users_file=users), capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 1 and "unknown_form" in result.stderr
