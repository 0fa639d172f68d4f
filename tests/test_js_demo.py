"""The browser demo (js/demo/): an annex 6 interview run in Chromium by the JavaScript runtime from
the exported machine, driven with Playwright and compared, step by step, with a Python interview
given the same answers (current question, answers, answers set aside, violations, the snapshot in
localStorage, the submitted record).

The browser tests need /usr/bin/chromium (Debian's chromium) and playwright (Python); .ci/run
installs chromium when it is missing. Without either they skip and say so. The check that the
committed machine file is a fresh export needs neither.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qengine

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - CI installs playwright with the test extra
    sync_playwright = None

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "js" / "demo"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STORE = "qengine-demo:annex6"  # the localStorage key of js/demo/demo.js
DAMAGED = STORE + ":damaged"

needs_browser = pytest.mark.skipif(
    sync_playwright is None or not CHROMIUM.is_file(),
    reason=("playwright is not installed (pip install playwright)" if sync_playwright is None
            else f"{CHROMIUM} is missing (apt-get install chromium)"))

# One household of annex 6; the scenario changes some answers on the way. Paths, violations,
# snapshots and records expected of the page all come from the Python runtime.
HOUSEHOLD: dict[str, Any] = {
    "county": "望城区", "township": "靖港镇", "village": "芦江社区", "group": "7组",
    "head_name": "孙立新", "id_number": "430122197709151371", "household_size": 4, "exit_year": 2018,
    "q1_total": 32900, "q1_1a": 27000, "q1_1b": 4000, "q1_2": 300, "q1_3": 1600, "q1_4": 2000,
    "q2": 1, "q3": 1, "q4": 1, "q4_1": 2, "q4_2": 2, "q5": 1, "q6": 1, "q6_1": [1, 3], "q7": 2,
    "q8": 3, "q9": 2, "q9_1a": 1, "q9_1b": 1, "q9_1c": 1, "q10": 2, "q10_1": [1, 2], "q11": 2,
    "q12": 2, "q12_2": 2, "q13": 1, "q13_1a": 1, "q13_1b": [], "q14": 2, "q14_2": 2, "q14_3": 2,
    "q15": 1, "q15_1a": 5000, "q15_1b": 250.5, "q16": 2, "q17": 2, "q18": 2, "q19": 2, "q20": 2,
    "respondent_sign": "孙立新", "proxy_note": None, "reviewer_unit": "靖港镇第8排查小组",
    "reviewer_sign": "程国辉", "survey_date": "2020-04-08",
}

INPUTS = ("choices", "none", "input")
UNCHECK = "() => document.querySelectorAll('input[name=choice]').forEach((el) => { el.checked = false; })"
TICKED = """() => Object.fromEntries([...document.querySelectorAll("#question input[type=checkbox]")]
  .map((el) => [el.dataset.testid, el.checked]))"""
# What the page shows, read from the DOM in one call.
READ_PAGE = """(key) => {
  const q = document.getElementById("question");
  const rows = (sel) => Object.fromEntries([...document.querySelectorAll(sel)]
    .map((el) => [el.dataset.qid, JSON.parse(el.dataset.value)]));
  const text = (id) => { const el = document.getElementById(id); return el ? el.textContent : null; };
  const choices = [...document.querySelectorAll("input[name=choice]")]
    .map((el) => ({code: Number(el.value), type: el.type, checked: el.checked}));
  const none = document.getElementById("none-of-these");
  const input = document.getElementById("answer-input");
  return {
    current: q.dataset.questionId,
    number: text("q-number"), label: text("q-label"), hint: text("q-hint"),
    choices, none: none ? none.checked : null, input: input ? input.value : null,
    answers: rows("#answers tbody tr"),
    order: [...document.querySelectorAll("#answers tbody tr")].map((el) => el.dataset.qid),
    aside: rows("#kept li"),
    violations: [...document.querySelectorAll("#violations li[data-rule]")].map((el) => ({
      rule: el.dataset.rule, severity: el.dataset.severity, cls: el.className,
      questions: el.dataset.questions ? el.dataset.questions.split(" ") : [],
      message: el.querySelector(".message").textContent})),
    stored: localStorage.getItem(key),
  };
}"""


def violations_of(violations: Any) -> list[dict[str, Any]]:
    """Python violations as the page lists them."""
    return [{"rule": v.rule, "severity": v.severity, "cls": v.severity, "questions": list(v.questions),
             "message": v.message} for v in violations]


def shown_answer(q: qengine.Question, value: Any) -> dict[str, Any]:
    """What the page's inputs hold for the kept answer `value` of question `q`."""
    if q.type == "single":
        return {"choices": [{"code": c.code, "type": "radio", "checked": c.code == value} for c in q.choices],
                "none": None, "input": None}
    if q.type == "multiple":
        ticks = [{"code": c.code, "type": "checkbox", "checked": c.code in (value or [])} for c in q.choices]
        return {"choices": ticks, "none": (value == []) if q.none_ok else None, "input": None}
    return {"choices": [], "none": None, "input": "" if value is None else str(value)}


def trail_free(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with its events' times and its resumed events left out: the page stamps its own
    times and resumes at every reload, the Python interview beside it never does."""
    return {**snapshot, "events": [{k: v for k, v in e.items() if k != "at"}
                                   for e in snapshot["events"] if e["event"] != "resumed"]}


class Pair:
    """The demo page and a Python interview, driven alike; `check()` compares them."""

    def __init__(self, page: Page, form: qengine.Form) -> None:
        self.page = page
        self.form = form
        self.iv = form.start()

    def read(self) -> dict[str, Any]:
        return self.page.evaluate(READ_PAGE, STORE)

    def check(self) -> dict[str, Any]:
        """The page shows what the Python interview says, and keeps the same snapshot."""
        iv = self.iv
        q = iv.current
        seen = self.read()
        if seen["current"] != (q.id if q else ""):  # not there yet: wait for it, then look again
            expect(self.page.locator("#question")).to_have_attribute("data-question-id", q.id if q else "")
            seen = self.read()
        if q is not None:
            assert (seen["number"], seen["label"]) == (q.number or "", q.label)
            assert seen["hint"] == (q.hints["zh"] + " " + q.hints["en"] if q.hints else None)
            want = shown_answer(q, iv.suggested())
            assert {k: seen[k] for k in want} == want, q.id
        answers = iv.answers
        assert seen["answers"] == answers
        assert seen["order"] == list(answers)
        assert seen["aside"] == {k: v for k, v in iv.kept.items() if k not in answers}
        assert seen["violations"] == violations_of(iv.violations)
        assert trail_free(json.loads(seen["stored"])) == trail_free(iv.snapshot())
        return seen

    def enter(self, value: Any) -> None:
        """Put `value` into the current question's inputs, as a person would (no click)."""
        q = self.iv.current
        assert q is not None
        page = self.page
        if q.type == "single":
            if value is None:
                page.evaluate(UNCHECK)
            else:
                page.get_by_test_id(f"choice-{value}").check()
        elif q.type == "multiple" and value == [] and q.none_ok:
            page.get_by_test_id("none-of-these").check()
        elif q.type == "multiple":
            # Click the boxes whose state differs from the one wanted ("none of these" unticks).
            ticked = page.evaluate(TICKED)
            want = {f"choice-{c.code}": c.code in (value or []) for c in q.choices}
            if q.none_ok:
                want["none-of-these"] = False
            for testid, on in want.items():
                if ticked[testid] != on:
                    page.get_by_test_id(testid).set_checked(on)
        else:
            page.get_by_test_id("answer-input").fill("" if value is None else str(value))

    def answer(self, value: Any) -> None:
        self.enter(value)
        self.page.get_by_test_id("answer").click()
        self.iv.answer(value)
        self.check()

    def confirm(self) -> None:
        """Answer with what the page put in the inputs: the kept answer (Python's forward())."""
        self.page.get_by_test_id("answer").click()
        self.iv.forward()
        self.check()

    def back(self) -> None:
        self.page.get_by_test_id("back").click()
        self.iv.back()
        self.check()

    def goto(self, qid: str) -> None:
        self.page.get_by_test_id(f"goto-{qid}").click()
        self.iv.goto(qid)
        self.check()

    def answer_until(self, qid: str | None, answers: dict[str, Any] = HOUSEHOLD) -> None:
        """Answer from `answers` until `qid` is the current question (None: to the end)."""
        while self.iv.current is not None and self.iv.current.id != qid:
            self.answer(answers[self.iv.current.id])


def load_make_machine() -> Any:
    spec = importlib.util.spec_from_file_location("make_machine", DEMO / "make_machine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_machine_is_a_fresh_export() -> None:
    """js/demo/annex6.machine.json is what `qengine export annex6 --format machine` writes now
    (source null), so the demo cannot drift from the form: run js/demo/make_machine.py to renew it."""
    fresh = load_make_machine().machine_text()
    assert (DEMO / "annex6.machine.json").read_text(encoding="utf-8") == fresh
    machine = json.loads(fresh)
    assert machine["source"] is None
    assert qengine.Form.from_json(machine).to_json() == {**qengine.load("annex6").to_json(), "source": None}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The repository served over HTTP on 127.0.0.1 (ES modules do not load from file://)."""
    handler = functools.partial(QuietHandler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/js/demo/index.html"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_page(browser: Browser, base_url: str) -> Iterator[tuple[Page, list[str]]]:
    """One browser context and page for the module (a fresh one per test costs a second)."""
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url)
    yield page, errors
    context.close()


@pytest.fixture
def page(demo_page: tuple[Page, list[str]]) -> Iterator[Page]:
    """The demo with an empty localStorage, freshly loaded; no script errors on the way."""
    page, errors = demo_page
    errors.clear()
    page.evaluate("() => localStorage.clear()")
    reload(page)
    yield page
    assert errors == []


def reload(page: Page) -> None:
    page.reload()
    expect(page.get_by_test_id("app")).to_have_attribute("data-state", "ready")


@needs_browser
def test_a_whole_interview_reroutes_is_blocked_by_item_10_and_submits_the_python_record(
        page: Page, annex6: qengine.Form) -> None:
    """To the end and submitted: a changed answer reroutes (4—2 set aside), the item-10 error
    blocks submission, the item-11 warning does not, and the downloaded JSON is Python's record."""
    pair = Pair(page, annex6)
    pair.check()
    expect(page.get_by_test_id("form-title")).to_contain_text(annex6.title)
    pair.answer_until("q5")
    assert "q4_2" in pair.iv.answers

    # Back twice and change 4—1 to "in school": its jump skips 4—2, whose answer is set aside.
    pair.back()
    pair.back()
    assert pair.iv.current.id == "q4_1"
    pair.answer(1)
    assert pair.iv.current.id == "q5" and "q4_2" not in pair.iv.answers
    expect(page.locator("#answers tr[data-qid=q4_2]")).to_have_count(0)
    expect(page.locator("#kept li[data-qid=q4_2]")).to_have_count(1)

    # Submitting early is refused as unfinished.
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("submit-error")).to_have_attribute("data-code", "unfinished")

    # Item 10 answered "no" while 4—1 says a pupil is in school: the error shows at once.
    pair.answer_until("q10")
    pair.answer(HOUSEHOLD["q10"])
    assert [v.rule for v in pair.iv.errors] == ["school_consistency"]
    assert pair.iv.current.id == "q11"  # the ② jump skips 10—1
    pair.answer_until(None)
    assert [v.rule for v in pair.iv.warnings] == ["no_health_policy"]
    expect(page.locator("#violations li.error[data-rule=school_consistency]")).to_have_count(1)
    expect(page.locator("#violations li.warning[data-rule=no_health_policy]")).to_have_count(1)
    expect(page.get_by_test_id("finished")).to_be_visible()

    with pytest.raises(qengine.SubmitError) as refused:
        pair.iv.submit()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("submit-error")).to_have_attribute("data-code", refused.value.code)
    blocking = page.locator("#blocking li")
    assert blocking.evaluate_all("els => els.map((el) => el.dataset.rule)") == [
        v.rule for v in refused.value.violations]
    expect(page.get_by_test_id("submitted")).to_be_hidden()

    # Back to item 10 (goto), "yes": 10—1 is asked now; the later answers are confirmed as kept.
    pair.goto("q10")
    pair.answer(1)
    assert pair.iv.current.id == "q10_1"
    pair.answer(HOUSEHOLD["q10_1"])
    while pair.iv.current is not None:
        pair.confirm()
    assert not pair.iv.errors and [v.rule for v in pair.iv.warnings] == ["no_health_policy"]

    record = pair.iv.submit()  # the warning does not block
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("submitted")).to_be_visible()
    expect(page.get_by_test_id("submit-error")).to_be_hidden()
    expect(page.locator("#violations li.warning[data-rule=no_health_policy]")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    assert download.value.suggested_filename == f"annex6-{HOUSEHOLD['id_number']}.json"
    downloaded = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert downloaded == record
    assert list(downloaded) == list(record)
    assert json.loads(page.get_by_test_id("record").text_content() or "") == record
    assert annex6.validate(downloaded).ok


@needs_browser
def test_a_refused_answer_is_shown_and_changes_nothing(page: Page, annex6: qengine.Form) -> None:
    """Each refused answer shows the AnswerError (code, question, zh and en messages, as Python
    gives them); the question, answers and stored snapshot stay as they were, and so does the input."""
    pair = Pair(page, annex6)
    refused = 0
    for qid, bad in [("id_number", "430122197709151372"), ("household_size", "四口人"),
                     ("exit_year", "2021"), ("q1_1b", "12.345"), ("q2", None)]:
        pair.answer_until(qid)
        before = pair.check()
        with pytest.raises(qengine.AnswerError) as exc:
            pair.iv.answer(bad)
        pair.enter(bad)
        page.get_by_test_id("answer").click()
        box = page.get_by_test_id("answer-error")
        expect(box).to_be_visible()
        expect(box).to_have_attribute("data-code", exc.value.code)
        expect(box).to_have_attribute("data-question", qid)
        messages = exc.value.messages(annex6.languages)
        expect(page.get_by_test_id("answer-error-message")).to_have_text(messages["zh"])
        expect(box).to_contain_text(messages["en"])
        after = pair.read()  # the same question, answers, violations and snapshot
        assert {k: v for k, v in after.items() if k not in INPUTS} == {
            k: v for k, v in before.items() if k not in INPUTS}
        if after["input"] is not None:
            assert after["input"] == bad  # what was typed stays, to be corrected
        refused += 1
        pair.answer(HOUSEHOLD[qid])
        expect(box).to_be_hidden()
    assert refused == 5


@needs_browser
def test_a_reload_mid_way_loses_nothing(page: Page, annex6: qengine.Form) -> None:
    """After a reload the interview is where it was: the same question and input, the same
    answers (those after the current one, given before going back, included), the same snapshot,
    which Python resumes to the same interview."""
    pair = Pair(page, annex6)
    pair.answer_until("q7")
    pair.back()
    pair.back()
    seen = pair.check()
    reload(page)
    after = pair.check()
    assert {**after, "stored": None} == {**seen, "stored": None}
    stored = json.loads(after["stored"])  # the same, and the reload's resumed event
    assert stored["events"][-1]["event"] == "resumed"
    assert {**stored, "events": stored["events"][:-1]} == json.loads(seen["stored"])
    again = annex6.resume(stored).snapshot()
    assert again["events"][-1]["event"] == "resumed"
    assert {**again, "events": again["events"][:-1]} == stored
    assert trail_free(stored) == trail_free(pair.iv.snapshot())
    # It goes on from there, and survives another reload after going forward.
    assert pair.iv.current.id == "q6"
    pair.answer(2)  # changed: the dwelling is not safe
    reload(page)
    pair.check()
    pair.answer_until("q9")
    reload(page)
    pair.check()


@needs_browser
def test_a_damaged_stored_snapshot_is_reported_and_a_new_interview_starts(
        page: Page, annex6: qengine.Form) -> None:
    """A stored snapshot that is not JSON, or that resume() refuses, is reported on the page (with
    the SnapshotError code Python gives) and kept aside; a fresh interview starts and is stored."""
    iv = annex6.start()
    for qid in ("county", "township", "village"):
        iv.answer(HOUSEHOLD[qid])
    snap = iv.snapshot()
    damaged = {
        "not_json": json.dumps(snap)[:-5],
        "other_version": json.dumps({**snap, "version": "2019.1"}),
        "inconsistent": json.dumps({**snap, "history": ["township"]}),
        "bad_answer": json.dumps({**snap, "answers": {**snap["answers"], "village": 7}}),
        "not_a_snapshot": json.dumps([snap]),
    }
    for code, broken in damaged.items():
        if code != "not_json":
            with pytest.raises(qengine.SnapshotError) as exc:
                annex6.resume(json.loads(broken))
            assert exc.value.code == code
        page.evaluate("([key, text]) => localStorage.setItem(key, text)", [STORE, broken])
        reload(page)
        notice = page.get_by_test_id("notice")
        expect(notice).to_be_visible()
        expect(notice).to_have_attribute("data-code", code)
        pair = Pair(page, annex6)
        pair.check()  # a fresh interview, at the first question, and stored
        assert page.evaluate("(key) => localStorage.getItem(key)", DAMAGED) == broken
        pair.answer_until("group")
        reload(page)  # the fresh interview is the stored one now
        expect(notice).to_be_hidden()
        pair.check()


@needs_browser
def test_new_interview_starts_afresh(page: Page, annex6: qengine.Form) -> None:
    """The New interview button throws the stored interview away: the first question, no
    answers, and a reload stays there."""
    pair = Pair(page, annex6)
    pair.answer_until("household_size")
    page.get_by_test_id("new-interview").click()
    pair.iv = annex6.start()
    pair.check()
    reload(page)
    pair.check()
    expect(page.locator("#answers tbody tr")).to_have_count(0)
