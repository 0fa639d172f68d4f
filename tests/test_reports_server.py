"""The report endpoints of `qengine serve` over real HTTP against a real server subprocess
(docs/server.md): GET /api/report over the submitted records in json, html and xlsx, POST
/api/findings/{key}/status marking findings solved and kept in the SQLite file across a restart,
and every error a JSON body."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from server_helpers import Server, running_server, some_records

import qengine
from qengine.reports import build

FORMS = ("annex5", "annex6", "annex7")


def submit(client: httpx.Client, form: qengine.Form, record: dict[str, Any]) -> dict[str, Any]:
    """Answer ``record`` in Python, resume the interview on the server and submit it there."""
    iv = form.start()
    while iv.current is not None:
        iv.answer(record.get(iv.current.id))
    r = client.post("/api/interviews", json={"snapshot": iv.snapshot()})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/interviews/{r.json()['id']}/submit", json={})
    assert r.status_code == 200, r.text
    return dict(r.json()["record"])


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("serve")
    with running_server(root, forms=FORMS) as server:
        submitted: dict[str, list[dict[str, Any]]] = {}
        with server.client("zhang") as zhang:
            for name, n in (("annex6", 12), ("annex7", 8)):
                form = qengine.load(name)
                submitted[name] = [submit(zhang, form, r) for r in some_records(form, n)]
        yield {"server": server, "root": root, "submitted": submitted}


@pytest.fixture(scope="module")
def office(setup: dict[str, Any]) -> Iterator[httpx.Client]:
    with setup["server"].client("office") as c:
        yield c


def error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["code"] == code, body
    return dict(body["error"])


def test_the_report_is_that_of_the_submitted_records(setup: dict[str, Any],
                                                     office: httpx.Client) -> None:
    for name in ("annex6", "annex7"):
        r = office.get("/api/report", params={"form": name})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        expected = build(name, setup["submitted"][name], warn=lambda text: None).to_dict()
        assert r.json() == json.loads(json.dumps(expected, ensure_ascii=False))
        assert sum(p["households"] for p in r.json()["progress"]) >= 1


def test_html_and_xlsx(office: httpx.Client) -> None:
    r = office.get("/api/report", params={"form": "annex6", "format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.lstrip().lower().startswith("<!doctype html")
    r = office.get("/api/report", params={"form": "annex7", "format": "xlsx"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="annex7-report.xlsx"' in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert len(book.sheetnames) >= 3


def test_a_status_marks_a_finding_solved_and_is_kept(setup: dict[str, Any],
                                                     office: httpx.Client) -> None:
    before = office.get("/api/report", params={"form": "annex6"}).json()
    row = before["ledger"][0]
    key = row["keys"][0]
    r = office.post(f"/api/findings/{key}/status",
                    json={"status": "已解决", "date": "2020-05-01", "note": "已整改"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {k: body[k] for k in ("key", "form", "status", "date", "note", "user")} == {
        "key": key, "form": "annex6", "status": "已解决", "date": "2020-05-01", "note": "已整改",
        "user": "office"}
    after = office.get("/api/report", params={"form": "annex6"}).json()
    solved = {(t["indicator"], t["category"]): t["solved"] for t in after["tallies"]}
    indicator = key.rsplit(":", 1)[1]
    assert solved[indicator, "all"] == 1
    first = after["ledger"][0]
    assert first["note"] == "已整改" and first["status_date"] == "2020-05-01"
    assert first["status"] == ("已解决" if len(row["keys"]) == 1 else "正在解决")
    # back to in progress, today's date by default; English statuses are read too
    r = office.post(f"/api/findings/{key}/status", json={"status": "in_progress"})
    assert r.status_code == 200 and r.json()["status"] == "正在解决"
    assert len(r.json()["date"]) == 10
    r = office.post(f"/api/findings/{key}/status", json={"status": "solved"})
    assert r.status_code == 200
    # a status for a household no record has is kept, and counted once it comes
    r = office.post("/api/findings/annex7:110105199003071234:dropout/status",
                    json={"status": "已解决"})
    assert r.status_code == 200


def test_statuses_outlive_a_restart(setup: dict[str, Any], office: httpx.Client) -> None:
    key = office.get("/api/report", params={"form": "annex7"}).json()["ledger"][0]["keys"][0]
    assert office.post(f"/api/findings/{key}/status", json={"status": "已解决"}).status_code == 200
    server: Server = setup["server"]
    root: Path = setup["root"]
    tmp = root / "again"
    tmp.mkdir()
    # a second server on a copy of the database file, with the same users
    for name in ("users.yaml", "users.tokens.json"):
        (tmp / name).write_bytes((root / name).read_bytes())
    import sqlite3

    copy = tmp / "copy.sqlite3"
    with sqlite3.connect(server.db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with running_server(tmp, forms=FORMS, db=copy) as again, again.client("office") as c:
        report = c.get("/api/report", params={"form": "annex7"}).json()
        cells = {(t["indicator"], t["category"]): t["solved"] for t in report["tallies"]}
        assert cells[key.rsplit(":", 1)[1], "all"] >= 1


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/api/findings/nonsense/status", {"status": "已解决"}, 400, "bad_key"),
    ("/api/findings/annex6::dropout/status", {"status": "已解决"}, 400, "bad_key"),  # no id
    ("/api/findings/annex9:1:dropout/status", {"status": "已解决"}, 404, "unknown_form"),
    ("/api/findings/annex6:1:no_such/status", {"status": "已解决"}, 404, "unknown_indicator"),
    ("/api/findings/annex6:1:dropout/status", {"status": "done"}, 422, "bad_request"),
    ("/api/findings/annex6:1:dropout/status", {}, 422, "bad_request"),
    ("/api/findings/annex6:1:dropout/status", {"status": "已解决", "date": "2020-02-30"}, 422,
     "bad_request"),
    ("/api/findings/annex6:1:dropout/status", {"status": "已解决", "note": 5}, 422,
     "bad_request"),
    ("/api/findings/annex6:1:dropout/status", {"status": "已解决", "who": "me"}, 422,
     "bad_request"),
])
def test_bad_statuses_are_json_errors(office: httpx.Client, path: str, body: Any, status: int,
                                      code: str) -> None:
    error(office.post(path, json=body), status, code)


def test_bad_report_requests_are_json_errors(setup: dict[str, Any],
                                             office: httpx.Client) -> None:
    assert error(office.get("/api/report"), 422, "bad_request")["field"] == "form"
    error(office.get("/api/report", params={"form": "annex9"}), 404, "unknown_form")
    assert error(office.get("/api/report", params={"form": "annex6", "format": "pdf"}), 422,
                 "bad_request")["field"] == "format"
    error(office.get("/api/report", params={"form": "annex5"}), 409, "no_findings")
    error(office.post("/api/report"), 405, "method_not_allowed")
    with setup["server"].client("zhang") as zhang:
        error(zhang.get("/api/report", params={"form": "annex6"}), 403, "forbidden")
        error(zhang.post("/api/findings/annex6:1:dropout/status", json={"status": "已解决"}),
              403, "forbidden")
    with setup["server"].client() as anonymous:
        error(anonymous.get("/api/report", params={"form": "annex6"}), 401, "unauthorized")


def test_the_openapi_document_names_the_endpoints(office: httpx.Client) -> None:
    spec = office.get("/api/openapi.json").json()
    assert set(spec["paths"]["/api/findings/{key}/status"]) == {"post"}
    assert set(spec["paths"]["/api/report"]) == {"get"}
    assert "FindingStatus" in spec["components"]["schemas"]
