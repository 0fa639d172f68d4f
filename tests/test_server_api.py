"""The HTTP API of `qengine serve`, over real HTTP against a real server subprocess with a real
SQLite file (docs/server.md): the forms, whole interviews on annex 6 and annex 7 checked step by
step against the Python runtime, a reroute, the item-10 error blocking submission and its fix, the
item-11 warning allowing it, back and goto, snapshots both ways, lists and their filters, the
records export, the OpenAPI document, answers sent at once to one interview, and a clean stop on
SIGTERM and SIGINT."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import Phase, find, settings
from server_helpers import Server, running_server

import qengine
from qengine.testing import records

FORMS = ("annex6", "annex7")
STATE_FIELDS = {"id", "form", "version", "current", "answers", "violations", "finished",
                "progress", "submitted", "history", "suggested", "can_back", "section", "created",
                "updated", "user"}

# A household of annex 6 (docs/api.md): item 4—1 says a pupil is in school and item 10 says no
# pupil (the error school_consistency), item 11 says no health policy (the warning).
HOUSEHOLD: dict[str, Any] = {
    "county": "望城区", "township": "靖港镇", "village": "芦江社区", "group": "7组",
    "head_name": "孙立新", "id_number": "430122197709151371", "household_size": 4, "exit_year": 2018,
    "q1_total": 32900, "q1_1a": 27000, "q1_1b": 4000, "q1_2": 300, "q1_3": 1600, "q1_4": 2000,
    "q2": 1, "q3": 1, "q4": 1, "q4_1": 1, "q5": 1, "q6": 1, "q6_1": None, "q7": 2, "q8": 3,
    "q9": 1, "q10": 2, "q11": 2, "q12": 2, "q12_2": 2, "q13": 2, "q14": 2, "q14_2": 2,
    "q14_3": 2, "q15": 2, "q16": 2, "q17": 2, "q18": 2, "q19": 2, "q20": 2,
    "respondent_sign": "孙立新", "proxy_note": None, "reviewer_unit": "靖港镇第8排查小组",
    "reviewer_sign": "程国辉", "survey_date": "2020-04-08",
}
HEADER7 = {"county": "望城区", "township": "靖港镇", "village": "柏叶村", "group": "5组",
           "head_name": "冯建军", "id_number": "430122196701112912", "household_size": 3,
           "hh_type": [1]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("serve")) as s:
        yield s


@pytest.fixture(scope="module")
def office(server: Server) -> Iterator[httpx.Client]:
    with server.client("office") as c:
        yield c


@pytest.fixture(scope="module")
def zhang(server: Server) -> Iterator[httpx.Client]:
    with server.client("zhang") as c:
        yield c


@pytest.fixture(scope="module")
def li(server: Server) -> Iterator[httpx.Client]:
    with server.client("li") as c:
        yield c


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def expected(iv: qengine.Interview) -> dict[str, Any]:
    """The fields of the state that the Python runtime decides, for the same interview."""
    q = iv.current
    section = None
    if q is not None:
        section = next(dict(t) for sid, t, _ids in iv.form.sections if sid == q.section)
    return plain({"form": iv.form.id, "version": iv.form.version,
                  "current": None if q is None else q.to_dict(), "answers": iv.answers,
                  "violations": [v.to_dict() for v in iv.violations], "finished": iv.finished,
                  "history": list(iv.history), "suggested": iv.suggested(),
                  "can_back": iv.can_back, "section": section})


def same(state: Mapping[str, Any], iv: qengine.Interview) -> None:
    """The server's state agrees with the Python interview given the same steps."""
    assert set(state) == STATE_FIELDS
    want = expected(iv)
    assert {k: state[k] for k in want} == want
    assert state["progress"]["answered"] == len(iv.history)
    assert state["submitted"] is False


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code, body
    return body


def start(client: httpx.Client, form: str, **extra: Any) -> dict[str, Any]:
    return ok(client.post("/api/interviews", json={"form": form, **extra}), 201)


def answer(client: httpx.Client, state: Mapping[str, Any], value: Any) -> dict[str, Any]:
    return ok(client.post(f"/api/interviews/{state['id']}/answer",
                          json={"question": state["current"]["id"], "value": value}))


def answer_along(client: httpx.Client, state: dict[str, Any], iv: qengine.Interview,
                 values: Mapping[str, Any], *, until: str | None = None) -> dict[str, Any]:
    """Answer from ``values`` (the suggested answer where it has none) until ``until`` is current
    or the end, checking every state against ``iv`` given the same answers."""
    while state["current"] is not None and state["current"]["id"] != until:
        qid = state["current"]["id"]
        value = values[qid] if qid in values else state["suggested"]
        state = answer(client, state, value)
        iv.answer(value)
        same(state, iv)
    return state


def generated(form: qengine.Form) -> dict[str, Any]:
    """A complete valid record of ``form`` from ``qengine.testing.records``, always the same one:
    the first drawn (derandomised, not shrunk) that asks at least 30 questions."""
    return find(records(form), lambda r: len(form.path(r)) >= 30,
                settings=settings(database=None, derandomize=True, phases=[Phase.generate],
                                  max_examples=500))


# -- forms -------------------------------------------------------------------------------------
def test_the_forms_and_their_machines(office: httpx.Client) -> None:
    """GET /api/forms lists the served forms; GET /api/forms/NAME is the form's machine."""
    listed = ok(office.get("/api/forms"))
    assert [f["name"] for f in listed] == list(FORMS)
    for entry in listed:
        form = qengine.load(entry["name"])
        assert entry == {"name": form.id, "id": form.id, "version": form.version,
                         "title": form.title, "titles": dict(form.titles)}
        assert ok(office.get(f"/api/forms/{entry['name']}")) == plain(form.to_json())
    refused(office.get("/api/forms/annex5"), 404, "unknown_form")  # bundled, but not served


# -- whole interviews --------------------------------------------------------------------------
@pytest.mark.parametrize("name", FORMS)
def test_a_whole_interview_of_a_generated_record(name: str, zhang: httpx.Client,
                                                 office: httpx.Client) -> None:
    """A record of qengine.testing.records, answered in path order: every state agrees with the
    Python runtime, and the submitted record is the runtime's, stored and exported."""
    form = qengine.load(name)
    record = generated(form)
    iv = form.start()
    state = start(zhang, name)
    same(state, iv)
    assert state["progress"] == {"answered": 0, "remaining": len(form.path({}))}
    assert state["user"] == "zhang" and len(state["id"]) >= 22
    state = answer_along(zhang, state, iv, record)
    assert state["finished"] and state["current"] is None
    assert state["progress"] == {"answered": len(form.path(record)), "remaining": 0}
    assert state["history"] == form.path(record)
    submitted = ok(zhang.post(f"/api/interviews/{state['id']}/submit"))
    assert submitted == {"record": plain(iv.submit())}
    after = ok(zhang.get(f"/api/interviews/{state['id']}"))
    assert after["submitted"] is True and after["finished"] is True and after["can_back"] is False
    assert after["answers"] == submitted["record"]
    refused(zhang.post(f"/api/interviews/{state['id']}/submit"), 409, "submitted")
    refused(zhang.post(f"/api/interviews/{state['id']}/back"), 409, "submitted")
    lines = [json.loads(line) for line in office.get("/api/records", params={
        "form": name, "meta": "true"}).text.splitlines()]
    mine = [line for line in lines if line["interview"] == state["id"]]
    assert len(mine) == 1 and mine[0]["user"] == "zhang" and mine[0]["record"] == submitted["record"]
    assert mine[0]["submitted"] == after["updated"]


def test_the_state_fields(zhang: httpx.Client) -> None:
    """A state has exactly the fields of the contract, of the types it says."""
    state = start(zhang, "annex6")
    assert set(state) == STATE_FIELDS
    assert state["form"] == "annex6" and state["version"] == "2020.1"
    assert state["current"]["id"] == "county" and state["answers"] == {}
    assert state["violations"] == [] and state["finished"] is False and state["submitted"] is False
    assert state["history"] == [] and state["suggested"] is None and state["can_back"] is False
    assert state["section"] == {"zh": "基本信息", "en": "Household"}
    assert state["created"] == state["updated"] and state["created"].endswith("Z")
    state = answer(zhang, state, "望城区")
    assert state["history"] == ["county"] and state["can_back"] is True
    assert state["progress"]["answered"] == 1 and state["updated"] >= state["created"]


# -- reroutes, errors, warnings ----------------------------------------------------------------
def test_a_reroute_on_annex6(zhang: httpx.Client) -> None:
    """Back to item 4—1 and another answer that jumps: the path changes, the answer to 4—2 is
    kept aside, and comes back when the answer is changed back."""
    form = qengine.load("annex6")
    values = {**HOUSEHOLD, "q4_1": 2, "q4_2": 2}
    iv = form.start()
    state = answer_along(zhang, start(zhang, "annex6"), iv, values, until="q5")
    assert state["history"][-3:] == ["q4", "q4_1", "q4_2"] and state["answers"]["q4_2"] == 2
    remaining = state["progress"]["remaining"]
    state = ok(zhang.post(f"/api/interviews/{state['id']}/back"))
    state = ok(zhang.post(f"/api/interviews/{state['id']}/back"))
    iv.back()
    iv.back()
    same(state, iv)
    assert state["current"]["id"] == "q4_1" and state["suggested"] == 2
    state = answer(zhang, state, 1)  # in school: 4—2 is no longer asked
    iv.answer(1)
    same(state, iv)
    assert state["current"]["id"] == "q5" and "q4_2" not in state["answers"]
    assert state["history"][-2:] == ["q4", "q4_1"]
    assert state["progress"]["remaining"] == remaining
    assert ok(zhang.get(f"/api/interviews/{state['id']}/snapshot"))["answers"]["q4_2"] == 2


def test_a_reroute_on_annex7(zhang: httpx.Client) -> None:
    """annex 7: goto item 2 and ② jumps past 2—1 and 2—2."""
    form = qengine.load("annex7")
    values = {**HEADER7, "q1_total": 9000, "q1_a": 3000, "q1_b": 6000, "q2": 1, "q2_1": 2,
              "q2_2": 1}
    iv = form.start()
    state = answer_along(zhang, start(zhang, "annex7"), iv, values, until="q3")
    assert state["history"][-3:] == ["q2", "q2_1", "q2_2"]
    state = ok(zhang.post(f"/api/interviews/{state['id']}/goto", json={"question": "q2"}))
    iv.goto("q2")
    same(state, iv)
    state = answer(zhang, state, 2)
    iv.answer(2)
    same(state, iv)
    assert state["current"]["id"] == "q3" and state["history"][-1] == "q2"
    assert "q2_1" not in state["answers"]


def test_the_item_10_error_blocks_submission_until_fixed(zhang: httpx.Client) -> None:
    """The error school_consistency (item 10) refuses submission (409, with the violations);
    goto item 10 and a changed answer fix it; the item 11 warning stays and does not block."""
    form = qengine.load("annex6")
    iv = form.start()
    state = answer_along(zhang, start(zhang, "annex6"), iv, HOUSEHOLD)
    rules = {v["rule"]: v["severity"] for v in state["violations"]}
    assert rules == {"school_consistency": "error", "no_health_policy": "warning"}
    body = refused(zhang.post(f"/api/interviews/{state['id']}/submit"), 409, "errors")
    assert [v["rule"] for v in body["violations"]] == ["school_consistency"]
    assert body["violations"][0]["questions"] == ["q4_1", "q10"]
    assert ok(zhang.get(f"/api/interviews/{state['id']}"))["submitted"] is False
    state = ok(zhang.post(f"/api/interviews/{state['id']}/goto", json={"question": "q10"}))
    iv.goto("q10")
    same(state, iv)
    state = answer_along(zhang, state, iv, {"q10": 1, "q10_1": [1, 2]})
    assert [v["rule"] for v in state["violations"]] == ["no_health_policy"]
    record = ok(zhang.post(f"/api/interviews/{state['id']}/submit"))["record"]
    assert record == plain(iv.submit()) and record["q10"] == 1 and record["q10_1"] == [1, 2]


def test_the_item_11_warning_allows_submission(zhang: httpx.Client) -> None:
    """With only the warning no_health_policy (item 11 ②), submission goes through."""
    form = qengine.load("annex6")
    iv = form.start()
    state = answer_along(zhang, start(zhang, "annex6"), iv, {**HOUSEHOLD, "q4_1": 2, "q4_2": 1})
    assert [(v["rule"], v["severity"]) for v in state["violations"]] == [
        ("no_health_policy", "warning")]
    assert ok(zhang.post(f"/api/interviews/{state['id']}/submit"))["record"]["q11"] == 2


def test_submitting_an_unfinished_interview(zhang: httpx.Client) -> None:
    """Submit before the end: 409 unfinished, no violations, nothing stored."""
    state = start(zhang, "annex7")
    body = refused(zhang.post(f"/api/interviews/{state['id']}/submit"), 409, "unfinished")
    assert body["violations"] == []
    assert ok(zhang.get(f"/api/interviews/{state['id']}")) == state


# -- back, goto, refusals ----------------------------------------------------------------------
def test_back_and_goto(zhang: httpx.Client) -> None:
    """Back at the first question changes nothing; goto a question not answered is 409
    not_in_history; goto an answered one goes there with its answer suggested."""
    form = qengine.load("annex6")
    state = start(zhang, "annex6")
    assert ok(zhang.post(f"/api/interviews/{state['id']}/back")) == state
    iv = form.start()
    state = answer_along(zhang, state, iv, HOUSEHOLD, until="q2")
    body = refused(zhang.post(f"/api/interviews/{state['id']}/goto", json={"question": "q5"}),
                   409, "not_in_history")
    assert body["error"]["question"] == "q5"
    assert ok(zhang.get(f"/api/interviews/{state['id']}")) == state
    state = ok(zhang.post(f"/api/interviews/{state['id']}/goto", json={"question": "village"}))
    iv.goto("village")
    same(state, iv)
    assert state["suggested"] == "芦江社区" and state["history"] == ["county", "township"]
    assert state["answers"]["household_size"] == 4  # answers after it are kept
    state = ok(zhang.post(f"/api/interviews/{state['id']}/back"))
    iv.back()
    same(state, iv)


def test_a_refused_answer_and_a_stale_question(zhang: httpx.Client) -> None:
    """A value the runtime refuses is 422 with its AnswerError code and question; an answer to a
    question that is not current is 409 not_current; neither changes anything."""
    state = answer_along(zhang, start(zhang, "annex6"), qengine.load("annex6").start(), HOUSEHOLD,
                         until="household_size")
    iid = state["id"]
    for value, code in [("四口人", "type"), (0, "range"), (None, "required"), (2.5, "type")]:
        body = refused(zhang.post(f"/api/interviews/{iid}/answer",
                                  json={"question": "household_size", "value": value}), 422, code)
        assert body["error"]["question"] == "household_size"
        assert set(body["error"]["messages"]) == {"zh", "en"}
    body = refused(zhang.post(f"/api/interviews/{iid}/answer",
                              json={"question": "county", "value": "望城区"}), 409, "not_current")
    assert body["error"]["question"] == "county"
    assert ok(zhang.get(f"/api/interviews/{iid}")) == state


def test_answers_to_one_interview_never_interleave(server: Server, zhang: httpx.Client) -> None:
    """Twelve answers to the same question of one interview, sent at once: exactly one is taken,
    the others are 409 not_current, and the interview holds the one that was acknowledged."""
    state = start(zhang, "annex6")
    n = 12
    barrier = threading.Barrier(n)

    def send(i: int) -> httpx.Response:
        with server.client("zhang") as client:
            barrier.wait()
            return client.post(f"/api/interviews/{state['id']}/answer",
                               json={"question": "county", "value": f"县{i}"})

    with ThreadPoolExecutor(n) as pool:
        responses = list(pool.map(send, range(n)))
    taken = [r for r in responses if r.status_code == 200]
    assert len(taken) == 1
    assert sorted(r.status_code for r in responses) == [200] + [409] * (n - 1)
    assert all(r.json()["error"]["code"] == "not_current" for r in responses if r is not taken[0])
    after = ok(zhang.get(f"/api/interviews/{state['id']}"))
    assert after["history"] == ["county"] and after["answers"] == taken[0].json()["answers"]
    assert after == taken[0].json()


# -- snapshots ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FORMS)
def test_a_snapshot_made_elsewhere_resumes(name: str, zhang: httpx.Client) -> None:
    """POST a snapshot made by the Python runtime (with a param override): the server resumes
    it where it was; its snapshot is the same; the interview goes on."""
    form = qengine.load(name)
    iv = form.start(params={"income_line": 4500} if "income_line" in form.params else None)
    values = HOUSEHOLD if name == "annex6" else HEADER7
    for qid in list(values)[:6]:
        iv.answer(values[qid])
    iv.back()
    snap = iv.snapshot()
    state = ok(zhang.post("/api/interviews", json={"snapshot": snap}), 201)
    same(state, iv)
    stored = ok(zhang.get(f"/api/interviews/{state['id']}/snapshot"))
    resumed = stored["events"].pop()  # resuming is an event of the trail
    assert resumed["event"] == "resumed" and resumed["version"] == form.version
    assert stored == plain(snap)
    state = answer(zhang, state, state["suggested"])
    iv.forward()
    same(state, iv)
    for broken, code in [(dict(snap, version="1999.1"), "other_version"),
                         (dict(snap, history=["township"]), "inconsistent"),
                         ({"qengine_snapshot": 1, "form": "annex5"}, "unknown_form"),
                         ({"form": name}, "not_a_snapshot")]:
        status = 404 if code == "unknown_form" else 422
        refused(zhang.post("/api/interviews", json={"snapshot": broken}), status, code)


def test_params_when_starting(zhang: httpx.Client) -> None:
    """params override the form's for the interview; a bad one is 422 with its ParamError code."""
    state = start(zhang, "annex6", params={"income_line": 4500})
    snap = ok(zhang.get(f"/api/interviews/{state['id']}/snapshot"))
    assert snap["params"] == {"income_line": 4500}
    refused(zhang.post("/api/interviews", json={"form": "annex6", "params": {"x": 1}}), 422,
            "unknown_param")
    refused(zhang.post("/api/interviews", json={"form": "annex6",
                                                "params": {"income_line": "4500"}}), 422,
            "param_type")


# -- lists and records -------------------------------------------------------------------------
def test_lists_and_their_filters(li: httpx.Client, zhang: httpx.Client,
                                 office: httpx.Client) -> None:
    """GET /api/interviews: an enumerator's own only, the office's all; form and status filter."""
    open6 = start(li, "annex6")
    open7 = start(li, "annex7")
    iv = qengine.load("annex6").start()
    done = answer_along(li, start(li, "annex6"), iv, {**HOUSEHOLD, "q4_1": 2, "q4_2": 1})
    sent = answer_along(li, start(li, "annex6"), qengine.load("annex6").start(),
                        {**HOUSEHOLD, "q4_1": 2, "q4_2": 1})
    ok(li.post(f"/api/interviews/{sent['id']}/submit"))
    theirs = start(zhang, "annex6")

    def ids(client: httpx.Client, **params: str) -> list[str]:
        states = ok(client.get("/api/interviews", params=params))
        for s in states:
            assert set(s) == STATE_FIELDS
            assert s["form"] == params.get("form", s["form"])
        return [s["id"] for s in states]

    mine = ids(li)
    assert {open6["id"], open7["id"], done["id"], sent["id"]} <= set(mine)
    assert theirs["id"] not in mine and theirs["id"] in ids(office)
    assert open7["id"] not in ids(li, form="annex6") and open7["id"] in ids(li, form="annex7")
    assert {open6["id"], open7["id"]} <= set(ids(li, status="open"))
    assert done["id"] in ids(li, status="finished") and done["id"] not in ids(li, status="open")
    assert sent["id"] in ids(li, status="submitted", form="annex6")
    assert sent["id"] not in ids(li, status="finished")
    assert ids(li)[0] == sent["id"]  # the most recently updated first
    listed = {s["id"]: s for s in ok(li.get("/api/interviews"))}
    assert listed[done["id"]] == ok(li.get(f"/api/interviews/{done['id']}"))
    refused(li.get("/api/interviews", params={"status": "lost"}), 422, "bad_request")
    refused(li.get("/api/interviews", params={"form": "annex5"}), 404, "unknown_form")
    # pages: ?limit= and ?offset= cut the same list, in the same order
    pages = [ids(li, limit="2", offset=str(at)) for at in range(0, len(mine) + 2, 2)]
    assert [i for page in pages for i in page] == mine and all(len(p) <= 2 for p in pages)
    for bad in ({"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"offset": "-1"},
                {"offset": "1.5"}):
        refused(li.get("/api/interviews", params=bad), 422, "bad_request")


def test_the_records_export(zhang: httpx.Client, li: httpx.Client, office: httpx.Client) -> None:
    """GET /api/records: JSON Lines of the submitted records (office only; 403 otherwise)."""
    iv = qengine.load("annex6").start()
    state = answer_along(zhang, start(zhang, "annex6"), iv, {**HOUSEHOLD, "q4_1": 2, "q4_2": 1})
    record = ok(zhang.post(f"/api/interviews/{state['id']}/submit"))["record"]
    response = office.get("/api/records", params={"form": "annex6"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    bare = [json.loads(line) for line in response.text.splitlines()]
    assert record in bare  # a line is the record itself: qengine validate reads the export
    response = office.get("/api/records", params={"form": "annex6", "meta": "true"})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["record"] for line in lines] == bare
    assert all(set(line) == {"interview", "user", "submitted", "record"} for line in lines)
    assert {"interview": state["id"], "user": "zhang", "record": record} in [
        {k: v for k, v in line.items() if k != "submitted"} for line in lines]
    everything = [json.loads(line) for line in office.get("/api/records").text.splitlines()]
    assert len(everything) >= len(lines)
    assert not [line for line in lines if line["record"].get("hh_type")]  # annex 6 only
    refused(zhang.get("/api/records"), 403, "forbidden")
    refused(li.get("/api/records", params={"form": "annex6"}), 403, "forbidden")
    refused(office.get("/api/records", params={"form": "../annex6"}), 404, "unknown_form")
    refused(office.get("/api/records", params={"meta": "yes"}), 422, "bad_request")


# -- the spec and the page ---------------------------------------------------------------------
def test_the_openapi_document(server: Server, zhang: httpx.Client) -> None:
    """/api/openapi.json (no token needed) is OpenAPI 3.1, names every route, and a real state
    and error validate against its schemas."""
    with server.client() as anonymous:
        spec = ok(anonymous.get("/api/openapi.json"))
    assert spec["openapi"] == "3.1.0"
    routes = {"/api/forms": {"get"}, "/api/forms/{name}": {"get"},
              "/api/interviews": {"get", "post"}, "/api/interviews/{id}": {"get"},
              "/api/records": {"get"}, "/api/events": {"get"}, "/api/openapi.json": {"get"},
              "/": {"get"},
              "/static/{path}": {"get"},
              **{f"/api/interviews/{{id}}/{verb}": {"post"} for verb in
                 ("answer", "back", "goto", "acknowledge", "submit")},
              "/api/interviews/{id}/snapshot": {"get"},
              "/api/findings/{key}/status": {"post"}, "/api/report": {"get"}}
    assert {path: set(ops) for path, ops in spec["paths"].items()} == routes
    for ops in spec["paths"].values():
        for op in ops.values():
            assert op["responses"] and all("description" in r for r in op["responses"].values())

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    schemas = spec["components"]["schemas"]
    used = set(refs(spec))
    assert used == {f"#/components/schemas/{name}" for name in schemas}  # all resolve, none idle

    def check(instance: Any, schema: str) -> None:
        jsonschema.Draft202012Validator({**spec, "$ref": f"#/components/schemas/{schema}"}
                                        ).validate(instance)

    state = start(zhang, "annex6")
    check(state, "State")
    check(answer(zhang, state, "望城区"), "State")
    check(ok(zhang.get(f"/api/interviews/{state['id']}/snapshot")), "Snapshot")
    check(zhang.post(f"/api/interviews/{state['id']}/submit").json(), "Error")
    for entry in ok(zhang.get("/api/forms")):
        check(entry, "FormSummary")
    with pytest.raises(jsonschema.ValidationError):
        check({"id": "x"}, "State")


def test_the_page(server: Server) -> None:
    """GET / is the web page (HTML), without a token."""
    with server.client() as anonymous:
        response = anonymous.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


# -- the process -------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_cleanly(sig: signal.Signals, tmp_path: Path) -> None:
    """SIGTERM or SIGINT: the server stops, exit status 0, and what it acknowledged is stored."""
    with running_server(tmp_path) as server:
        with server.client("zhang") as zhang:
            state = answer(zhang, start(zhang, "annex7"), "望城区")
        server.proc.send_signal(sig)
        assert server.wait() == 0
    assert not [line for line in server.stderr if "Traceback" in line]
    with sqlite3.connect(server.db) as db:
        (snapshot,) = db.execute("SELECT snapshot FROM interviews WHERE id = ?",
                                 (state["id"],)).fetchone()
    assert json.loads(snapshot)["answers"] == {"county": "望城区"}


def test_the_first_start_makes_an_office_login(tmp_path: Path) -> None:
    """Without --users, the first start makes an office user and prints its login URL; a later
    start on the same database prints the same one, and the token works."""
    with running_server(tmp_path, users=None) as first:
        login = [line for line in first.stderr if "office login" in line]
        assert len(login) == 1 and login[0].startswith(f"qengine serve: office login: {first.url}?token=")
        token = first.tokens["office"]
        with first.client("office") as office:
            state = start(office, "annex6")
    with running_server(tmp_path, users=None, db=first.db) as second:
        assert second.tokens["office"] == token
        with second.client("office") as office:
            assert ok(office.get(f"/api/interviews/{state['id']}"))["user"] == "office"


def test_a_backup_taken_while_it_runs_serves_the_same(server: Server, zhang: httpx.Client,
                                                       tmp_path: Path) -> None:
    """The backup of docs/server.md (sqlite3.Connection.backup while the server runs) holds every
    acknowledged answer, and a server started on it carries on."""
    state = answer(zhang, answer(zhang, start(zhang, "annex7"), "望城区"), "靖港镇")
    backup = tmp_path / "backup.sqlite3"
    source, target = sqlite3.connect(server.db), sqlite3.connect(backup)
    source.backup(target)
    target.close()
    source.close()
    with running_server(tmp_path, db=backup) as again, again.client("zhang") as client:
        restored = ok(client.get(f"/api/interviews/{state['id']}"))
        assert restored == state
        assert answer(client, restored, "柏叶村")["history"] == ["county", "township", "village"]


def test_an_interview_begun_on_an_older_version_is_migrated(tmp_path: Path) -> None:
    """Serve version 1, start an interview, serve version 2 (the household size capped at 3) on
    the same database: the interview resumes migrated, its state shows what
    was dropped, and the next answer stores the migrated snapshot."""
    source = (Path(qengine.__file__).parent / "bundled" / "annex6.yaml").read_text("utf-8")
    old_file, new_file = tmp_path / "v1" / "annex6.yaml", tmp_path / "v2" / "annex6.yaml"
    old_file.parent.mkdir()
    new_file.parent.mkdir()
    old_file.write_text(source, "utf-8")
    new_file.write_text(source.replace('version: "2020.1"', 'version: "2021.1"', 1).replace(
        "        unit: 人\n        min: 1\n", "        unit: 人\n        min: 1\n        max: 3\n", 1),
        "utf-8")
    assert qengine.load(new_file).question("household_size").max == 3
    db = tmp_path / "qengine.sqlite3"
    with running_server(tmp_path, forms=[str(old_file)], db=db) as server:
        zhang = server.client("zhang")
        state = zhang.post("/api/interviews", json={"form": "annex6"}).json()
        for qid in ("county", "township", "village", "group", "head_name", "id_number",
                    "household_size"):
            state = answer(zhang, state, HOUSEHOLD[qid])
        iid = state["id"]
        assert "migration" not in state
    with running_server(tmp_path, forms=[str(new_file)], db=db) as server:
        zhang = server.client("zhang")
        state = zhang.get(f"/api/interviews/{iid}").json()
        assert state["version"] == "2021.1"
        assert state["migration"]["from_version"] == "2020.1"
        assert [(d["question"], d["reason"]) for d in state["migration"]["dropped"]] == [
            ("household_size", "range.above")]
        assert state["current"]["id"] == "household_size"  # asked again
        state = answer(zhang, state, 3)  # stores the migrated snapshot
        assert state["current"]["id"] == "exit_year"
        assert "migration" not in zhang.get(f"/api/interviews/{iid}").json()
        assert zhang.get(f"/api/interviews/{iid}/snapshot").json()["version"] == "2021.1"


def test_a_warning_that_asks_for_a_reason_is_acknowledged_over_http(tmp_path: Path) -> None:
    form_file = tmp_path / "ack.yaml"
    form_file.write_text("""\
form: ack
version: "1"
title: {zh: 说明, en: Reasons}
sections:
  - id: main
    questions:
      - {id: income, label: {zh: 人均收入, en: Income}, type: money}
checks:
  - id: low_income
    severity: warning
    acknowledge: required
    when: income < 4000
    message: {zh: 收入低于标准线, en: Income below the line}
""", "utf-8")
    with running_server(tmp_path, forms=[str(form_file)]) as server:
        zhang = server.client("zhang")
        state = zhang.post("/api/interviews", json={"form": "ack"}).json()
        state = answer(zhang, state, 3500)
        iid = state["id"]
        refused = zhang.post(f"/api/interviews/{iid}/submit", json={})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "unacknowledged"
        bad = zhang.post(f"/api/interviews/{iid}/acknowledge",
                         json={"rule": "low_income", "reason": " "})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "acknowledge"
        wrong = zhang.post(f"/api/interviews/{iid}/acknowledge", json={"rule": 3, "reason": "x"})
        assert wrong.status_code == 422
        state = ok(zhang.post(f"/api/interviews/{iid}/acknowledge",
                              json={"rule": "low_income", "reason": "村委核实"}))
        assert state["acknowledged"] == {"low_income": "村委核实"}
        assert zhang.get(f"/api/interviews/{iid}").json()["acknowledged"] == {
            "low_income": "村委核实"}  # stored
        record = ok(zhang.post(f"/api/interviews/{iid}/submit", json={}))["record"]
        assert record["_meta"] == {"acknowledged": {"low_income": "村委核实"}}


def test_the_office_exports_the_audit_trail(office: httpx.Client, zhang: httpx.Client) -> None:
    state = zhang.post("/api/interviews", json={"form": "annex7"}).json()
    state = answer(zhang, state, HOUSEHOLD["county"])
    ok(zhang.post(f"/api/interviews/{state['id']}/back", json={}))
    lines = office.get("/api/events", params={"form": "annex7"})
    assert lines.status_code == 200
    events = [json.loads(line) for line in lines.text.splitlines()]
    mine = [e for e in events if e["interview"] == state["id"]]
    assert [(e["event"], e.get("question")) for e in mine] == [
        ("answered", "county"), ("went_back", "county")]
    assert all(e["user"] == "zhang" and e["form"] == "annex7" and e["at"] for e in mine)
    assert office.get("/api/events", params={"form": "nope"}).status_code == 404
    assert zhang.get("/api/events").status_code == 403
