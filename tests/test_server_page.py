"""The web page of `qengine serve` (src/qengine/apps/server/static/) in a real browser: Debian's
Chromium driven by Playwright against a real `qengine serve` subprocess on a real SQLite file. A
whole annex 6 interview is clicked and typed through, step by step beside a Python Interview given
the same answers (the question, its printed number and label, the kept answer prefilled, progress,
violations); on the way: a refused answer, a reroute, a reload that resumes at the server's question,
the item-10 error blocking submit with its link back to the question, the item-11 warning that does
not block, and the record. Then the zh/en switch, "my interviews", keyboard-only answering, the login
messages, and a 360 px phone screen (no horizontal scroll, touch targets of 44 px and more).

Screenshots go to each test's tmp dir; with QENGINE_SCREENSHOTS=1 the phone and desktop ones are
also written to docs/images/server-phone.png and docs/images/server-desktop.png.

The tests need /usr/bin/chromium (Debian's chromium) and playwright (Python); .ci/run installs
chromium when it is missing. Without either they skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from server_helpers import Server, running_server

import qengine
from qengine.testing import records

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - CI installs playwright with the test extra
    sync_playwright = None

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
USERS = {"li": "enumerator", "zhao": "enumerator"}
DESKTOP = {"width": 1024, "height": 900}
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not CHROMIUM.is_file(),
    reason=("playwright is not installed (pip install playwright)" if sync_playwright is None
            else f"{CHROMIUM} is missing (apt-get install chromium)"))

F = qengine.load("annex6")

# What the page shows, read from the DOM in one call.
READ_PAGE = """() => {
  const text = (id) => {
    const el = document.getElementById(id);
    return el && !el.hidden ? el.textContent : null;
  };
  const q = document.getElementById("question");
  const input = document.getElementById("answer-input");
  const pressed = [...document.querySelectorAll("#question button.choice[aria-pressed=true]")];
  const ticked = [...document.querySelectorAll("#question input[name=choice]:checked")]
    .map((el) => Number(el.value));
  const none = document.getElementById("none-of-these");
  const bar = document.getElementById("progress");
  return {
    view: document.getElementById("app").dataset.view,
    current: document.getElementById("answer-form").hidden ? null : q.dataset.questionId,
    number: text("q-number"), label: text("q-label"), hint: text("q-hint"), section: text("q-section"),
    input: input ? input.value : null, inputType: input ? input.type : null,
    inputmode: input ? input.getAttribute("inputmode") : null,
    pressed: pressed.map((el) => Number(el.dataset.code)), ticked, none: none ? none.checked : null,
    progress: [Number(bar.value), Number(bar.max)], progressText: text("progress-text"),
    violations: [...document.querySelectorAll("#violations li[data-rule]")].map((el) => ({
      rule: el.dataset.rule, severity: el.dataset.severity, questions: el.dataset.questions.split(" "),
      message: el.querySelector(".message").textContent,
      links: [...el.querySelectorAll("button.goto")].map((b) => b.dataset.goto)})),
    focused: document.activeElement
      ? (document.activeElement.id || document.activeElement.dataset.code || "") : "",
  };
}"""


# -- the server --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `qengine serve` (tests/server_helpers.py) for the module: two enumerators, annex 6 and 7."""
    with running_server(tmp_path_factory.mktemp("serve"), users=USERS) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Browser, server: Server) -> Iterator[Any]:
    """`open_page(viewport, user)`: a fresh browser context (empty localStorage) at the page's login link
    for `user` (None: no token; `token=` a token of one's own)."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP, user: str | None = "li", token: str | None = None) -> Page:
        if user is not None and token is None:
            token = server.tokens[user]
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        # nothing is fetched from anywhere but the server (no CDN, no fonts, no analytics)
        page.on("request", lambda req: None if req.url.startswith(server.url.rstrip("/") + "/")
                or req.url.startswith("data:") else problems.append(f"request to {req.url}"))
        page.problems = problems  # type: ignore[attr-defined]
        page.goto(server.url.rstrip("/") + "/" + ("" if token is None else f"?token={token}"))
        page.wait_for_function("() => document.getElementById('app').dataset.seq")
        return page

    yield make
    for context in contexts:
        context.close()


def one_record(fixed: dict[str, Any]) -> dict[str, Any]:
    """A complete annex 6 record drawn by qengine.testing.records, the same one on every run."""
    out: list[dict[str, Any]] = []

    @settings(max_examples=1, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(records(F, fixed=fixed))
    def draw(record: dict[str, Any]) -> None:
        out.append(record)

    draw()
    return out[-1]


def shot(page: Page, path: Path, docs_name: str | None = None) -> None:
    """A screenshot under the test's tmp dir; with QENGINE_SCREENSHOTS=1 also into docs/images/."""
    page.screenshot(path=str(path), full_page=True)
    if docs_name is not None and os.environ.get("QENGINE_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, IMAGES / docs_name)


# -- driving the page ------------------------------------------------------------------------------
def stepped(page: Page, action: Any) -> None:
    """Run `action` (a click, a key) and wait until the page has finished the step it started."""
    before = page.evaluate("() => document.getElementById('app').dataset.seq")
    action()
    page.wait_for_function("(s) => { const a = document.getElementById('app');"
                           " return a.dataset.seq !== s && !a.hasAttribute('aria-busy'); }", arg=before)


def enter(page: Page, q: qengine.Question, value: Any) -> None:
    """Answer question `q` with `value` on the page, as a person would: a tap, ticks, or typing and Enter."""
    if q.type == "single":
        if value is None:
            stepped(page, lambda: page.click("#skip-btn"))
        else:
            stepped(page, lambda: page.click(f"#question button.choice[data-code='{value}']"))
        return
    if q.type == "multiple":
        for c in q.choices:
            page.set_checked(f"#choice-{c.code}", c.code in (value or []))
        if q.none_ok:
            page.set_checked("#none-of-these", value == [])
        stepped(page, lambda: page.click("#next-btn"))
        return
    page.fill("#answer-input", "" if value is None else str(value))
    stepped(page, lambda: page.press("#answer-input", "Enter"))


def prefilled(q: qengine.Question, seen: dict[str, Any]) -> Any:
    """The kept answer the page shows prefilled, as a value of the question's type."""
    if q.type == "single":
        return seen["pressed"][0] if seen["pressed"] else None
    if q.type == "multiple":
        return [] if seen["none"] else (seen["ticked"] or None)
    text = seen["input"]
    if text == "":
        return None
    if q.type in ("integer", "year"):
        return int(text)
    if q.type in ("number", "money"):
        return float(text)
    return text


def check(page: Page, iv: qengine.Interview, lang: str = "zh", *, typed: bool = False) -> dict[str, Any]:
    """The page shows what the Python interview says: question, number, label, hint, kept answer
    (unless something else is `typed` in), input kind, progress and violations."""
    seen = page.evaluate(READ_PAGE)
    assert seen["view"] == "question"
    q = iv.current
    if q is None:
        assert seen["current"] is None
    else:
        assert seen["current"] == q.id
        assert seen["number"] == q.number
        assert seen["label"] == q.labels[lang]
        assert seen["hint"] == (q.hints.get(lang) or None)
        section = dict(F.sections[[s for s, _t, _i in F.sections].index(q.section)][1])
        assert seen["section"] == section[lang]
        kept = iv.suggested()
        assert typed or prefilled(q, seen) == kept, (q.id, seen, kept)
        if q.type == "date":
            assert seen["inputType"] == "date"
        elif q.type in ("integer", "year"):
            assert seen["inputmode"] == "numeric"
        elif q.type in ("number", "money"):
            assert seen["inputmode"] == "decimal"
    assert seen["progress"][0] == len(iv.history)
    assert [(v["rule"], v["severity"], v["questions"], v["message"]) for v in seen["violations"]] == [
        (v.rule, v.severity, list(v.questions), v.messages[lang]) for v in iv.violations]
    for v in seen["violations"]:
        assert v["links"] == v["questions"]
    assert page.problems == []  # type: ignore[attr-defined]
    return seen


def answer_until(page: Page, iv: qengine.Interview, record: dict[str, Any], stop: str | None,
                 lang: str = "zh") -> None:
    """Answer from the record in path order, checking every step, until `stop` is current (or the end)."""
    while iv.current is not None and iv.current.id != stop:
        q = iv.current
        enter(page, q, record[q.id])
        iv.answer(record[q.id])
        check(page, iv, lang)


def new_interview(page: Page, form: str = "annex6") -> None:
    page.wait_for_selector("#app[data-view=list]")
    page.select_option("#form-select", form)
    stepped(page, lambda: page.click("#new-btn"))
    assert page.evaluate(READ_PAGE)["view"] == "question"


# -- the tests ------------------------------------------------------------------------------------
def test_whole_interview_reroute_reload_error_warning_submit(open_page: Any, tmp_path: Path) -> None:
    """A whole annex 6 interview clicked and typed through beside a Python Interview: a refused answer
    changes nothing, back and a different answer reroute, a reload resumes at the server's question,
    the item-10 error blocks submit and its link goes to the question, the item-11 warning does not."""
    record = one_record({"q4": 1, "q4_1": 1, "q10": 1, "q11": 2, "q13": 1, "q13_1b": []})
    page = open_page(DESKTOP)
    new_interview(page)
    iv = F.start()
    check(page, iv)

    answer_until(page, iv, record, "household_size")
    page.fill("#answer-input", "四口人")  # refused: the message shows, the question and state stay
    stepped(page, lambda: page.press("#answer-input", "Enter"))
    refusal = page.locator("#refusal")
    assert refusal.is_visible() and refusal.get_attribute("data-code") == "type"
    assert refusal.inner_text().strip()
    seen = check(page, iv, typed=True)
    assert seen["input"] == "四口人"
    shot(page, tmp_path / "refused.png")

    # the reroute: item 4 ① asks 4—1; back, ② goes straight to item 5; back again, ① and 4—1 return
    answer_until(page, iv, record, "q4_1")
    stepped(page, lambda: page.click("#back-btn"))
    iv.back()
    check(page, iv)
    enter(page, iv.current, 2)
    iv.answer(2)
    assert iv.current.id == "q5"
    check(page, iv)
    stepped(page, lambda: page.click("#back-btn"))
    iv.back()
    enter(page, iv.current, 1)
    iv.answer(1)
    assert iv.current.id == "q4_1"
    check(page, iv)

    # item 10 answered ② although 4—1 says a child is in school: the error shows at once
    answer_until(page, iv, record, "q10")
    enter(page, iv.current, 2)
    iv.answer(2)
    assert [v.rule for v in iv.errors] == ["school_consistency"]
    check(page, iv)

    # a reload mid-way resumes at the same question: the server's state, not the page's
    at = iv.current.id
    page.reload()
    page.wait_for_function("() => document.getElementById('app').dataset.view === 'question'")
    assert check(page, iv)["current"] == at

    answer_until(page, iv, record, None)
    assert "no_health_policy" in [v.rule for v in iv.warnings]
    check(page, iv)
    assert page.locator("#submit-btn").is_visible()
    shot(page, tmp_path / "finished.png")

    # submit: 409, the blocking error with a link to each question it names
    stepped(page, lambda: page.click("#submit-btn"))
    blocking = page.locator("#blocking li[data-rule]")
    assert blocking.count() == 1 and blocking.get_attribute("data-rule") == "school_consistency"
    assert blocking.locator(".message").inner_text() == iv.errors[0].messages["zh"]
    assert page.locator("#view-done").is_hidden()
    shot(page, tmp_path / "blocked.png", "server-desktop.png")
    stepped(page, lambda: page.click("#blocking button[data-goto=q10]"))
    iv.goto("q10")
    check(page, iv)

    # fixed: item 10 ① now asks 10—1; the kept answers after it come back prefilled
    enter(page, iv.current, 1)
    iv.answer(1)
    assert iv.current.id == "q10_1"
    check(page, iv)
    shot(page, tmp_path / "desktop.png")
    answer_until(page, iv, record, "q12")
    assert "no_health_policy" in [v.rule for v in iv.warnings] and not iv.errors
    shot(page, tmp_path / "desktop-warning.png")

    # "none of these" and the choices exclude each other; ticked, it answers []
    answer_until(page, iv, record, "q13_1b")
    assert record["q13_1b"] == [] and iv.current.none_ok
    page.check("#choice-1")
    page.check("#none-of-these")
    assert not page.is_checked("#choice-1")
    page.check("#choice-2")
    assert not page.is_checked("#none-of-these")
    answer_until(page, iv, record, None)
    assert not iv.errors

    # the warning does not block: submitted, and the record is Python's
    stepped(page, lambda: page.click("#submit-btn"))
    page.wait_for_selector("#view-done:not([hidden])")
    shown = json.loads(page.inner_text("#record"))
    assert shown == json.loads(json.dumps(iv.submit()))
    assert page.evaluate("() => localStorage.getItem('qengine:interview')") is None
    shot(page, tmp_path / "submitted.png")
    assert page.problems == []  # type: ignore[attr-defined]


def test_language_switch(open_page: Any) -> None:
    """The zh/en switch: the question, its choices, the section, the violations and the page's own
    words change language; the interview does not move. A refused answer's message is the server's
    in the chosen language."""
    record = one_record({"q4": 1, "q4_1": 1, "q10": 1, "q11": 2})
    page = open_page(DESKTOP)
    new_interview(page)
    assert page.inner_text("#back-btn") == "上一题"
    iv = F.start()
    page.click("#lang-en")
    check(page, iv, "en")
    assert page.inner_text("#next-btn") == "Next"
    answer_until(page, iv, record, "household_size", "en")
    with pytest.raises(qengine.AnswerError) as refused:
        iv.answer("四口人")
    page.fill("#answer-input", "四口人")
    stepped(page, lambda: page.press("#answer-input", "Enter"))
    assert page.inner_text("#refusal").strip() == refused.value.messages(
        F.languages)["en"]
    page.click("#lang-zh")
    answer_until(page, iv, record, "q12")
    assert "no_health_policy" in [v.rule for v in iv.warnings] and not iv.errors
    page.click("#lang-en")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    check(page, iv, "en")
    assert page.inner_text("#back-btn") == "Back"
    labels = page.locator("#question button.choice .choice-label").all_inner_texts()
    assert labels == [c.labels["en"] for c in iv.current.choices]
    enter(page, iv.current, record["q12"])
    iv.answer(record["q12"])
    check(page, iv, "en")
    page.click("#lang-zh")
    check(page, iv, "zh")
    assert page.inner_text("#back-btn") == "上一题"


def test_my_interviews_resume_and_new(open_page: Any) -> None:
    """"My interviews" lists the enumerator's interviews: resume one where the server has it, or start
    another for a chosen form; another enumerator sees none of them."""
    page = open_page(DESKTOP)
    new_interview(page, "annex7")
    first = page.evaluate("() => localStorage.getItem('qengine:interview')")
    form7 = qengine.load("annex7")
    iv = form7.start()
    for value in ["望城区", "靖港镇"]:
        enter(page, iv.current, value)
        iv.answer(value)
    at = iv.current.id
    stepped(page, lambda: page.click("#nav-list"))
    item = page.locator(f"#interviews li[data-id='{first}']")
    assert item.count() == 1 and item.get_attribute("data-status") == "open"
    stepped(page, lambda: item.locator("button.resume").click())
    seen = page.evaluate(READ_PAGE)
    assert seen["current"] == at and seen["label"] == form7.question(at).labels["zh"]
    assert seen["progress"][0] == 2

    other = open_page(DESKTOP, "zhao")
    other.wait_for_selector("#app[data-view=list]")
    assert other.locator(f"#interviews li[data-id='{first}']").count() == 0


def test_keyboard_only(open_page: Any) -> None:
    """By keyboard alone: after each step the focus is on the new question's input (Enter answers) or
    its first choice button (Tab to the answer, Enter taps it); in a multiple choice Space ticks and
    Tab goes on to Back and Next; the focus ring is visible."""
    record = one_record({"q4": 1, "q4_1": 1, "q10": 1, "q11": 2})
    page = open_page(DESKTOP)
    new_interview(page)
    iv = F.start()
    kinds = set()
    while iv.current is not None and iv.current.id != "q7":
        q = iv.current
        kinds.add(q.type)
        seen = check(page, iv)
        value = record[q.id]
        if q.type == "single":
            codes = [str(c.code) for c in q.choices]
            assert seen["focused"] in codes
            moves = codes.index(str(value)) - codes.index(seen["focused"])
            for _step in range(abs(moves)):  # Tab through the choice buttons to the answer
                page.keyboard.press("Tab" if moves > 0 else "Shift+Tab")
            assert page.evaluate("() => document.activeElement.dataset.code") == str(value)
            stepped(page, lambda: page.keyboard.press("Enter"))
        elif q.type == "multiple":  # Space ticks the focused box, Tab moves on, to Back and Next
            assert seen["focused"] == f"choice-{q.choices[0].code}"
            visited = []
            for _step in range(len(q.choices) + 4):
                focused = page.evaluate("() => document.activeElement.id")
                visited.append(focused)
                if focused == "next-btn":
                    break
                if focused.startswith("choice-") and int(focused[7:]) in (value or []):
                    page.keyboard.press("Space")
                if focused == "none-of-these" and value == []:
                    page.keyboard.press("Space")
                page.keyboard.press("Tab")
            assert "back-btn" in visited and visited[-1] == "next-btn", visited
            stepped(page, lambda: page.keyboard.press("Enter"))
        else:
            assert seen["focused"] == "answer-input"
            page.keyboard.type("" if value is None else str(value))
            stepped(page, lambda: page.keyboard.press("Enter"))
        iv.answer(value)
    check(page, iv)
    assert {"text", "integer", "money", "single", "multiple"} <= kinds
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_login_messages(open_page: Any, server: Server) -> None:
    """No token: a "log in with your link" message; a wrong token: the 401 is shown the same way,
    never a blank page; the token is taken out of the address."""
    page = open_page(DESKTOP, None)
    assert page.evaluate(READ_PAGE)["view"] == "login"
    assert page.locator("#view-login").inner_text().strip()
    bad = open_page(DESKTOP, None, "not-a-token")
    assert bad.evaluate(READ_PAGE)["view"] == "login"
    assert bad.locator("#api-error").get_attribute("data-code") is not None
    assert "token" not in bad.url
    good = open_page(DESKTOP)
    assert "token" not in good.url
    assert good.evaluate("() => localStorage.getItem('qengine:token')") == server.tokens["li"]
    # an open interview the server does not know (404): said so, and "my interviews" instead
    good.evaluate("() => localStorage.setItem('qengine:interview', 'no-such-interview')")
    good.reload()
    good.wait_for_selector("#app[data-view=list]")
    assert good.locator("#api-error").get_attribute("data-code") == "not_found"
    assert good.locator("#api-error").inner_text().strip()
    assert good.problems == []  # type: ignore[attr-defined]


def test_phone_screen(open_page: Any, tmp_path: Path) -> None:
    """On a 360x740 phone screen: no horizontal scroll at any step, answer buttons at least 44 px tall,
    the number inputs bring up a numeric keyboard."""
    record = one_record({"q4": 1, "q4_1": 1, "q10": 1, "q11": 2})
    page = open_page(PHONE)
    wide = "() => document.documentElement.scrollWidth"
    assert page.evaluate(wide) <= 360
    shot(page, tmp_path / "phone-list.png")
    new_interview(page)
    iv = F.start()
    kinds: set[str] = set()
    while iv.current is not None and iv.current.id != "q11":
        q = iv.current
        check(page, iv)
        assert page.evaluate(wide) <= 360, q.id
        heights = page.evaluate("() => [...document.querySelectorAll('#view-question button:not([hidden]),"
                                " #question label.check')].filter((b) => b.offsetParent !== null)"
                                ".map((b) => b.getBoundingClientRect().height)")
        assert heights and min(heights) >= 44, (q.id, heights)
        if q.type not in kinds or q.id == "q4_1":
            kinds.add(q.type)
            shot(page, tmp_path / f"phone-{q.id}.png", "server-phone.png" if q.id == "q4_1" else None)
        if q.id == "q4_1":  # the English labels are longer: still no horizontal scroll
            page.click("#lang-en")
            check(page, iv, "en")
            assert page.evaluate(wide) <= 360
            shot(page, tmp_path / "phone-q4_1-en.png")
            page.click("#lang-zh")
        enter(page, q, record[q.id])
        iv.answer(record[q.id])
    assert {"text", "single", "multiple", "money"} <= kinds
