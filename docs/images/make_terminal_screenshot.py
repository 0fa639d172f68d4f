"""Make docs/images/terminal-session.png: a real `qengine interview` session, rendered.

The session runs on a pseudo-terminal (pexpect), colours and all: an annex 6 interview saved just
before its last question is resumed, the last answer given, the item-10 error found at the end sends
the interview back to 4—1, `:goto q10` goes on to item 10, the answer is fixed, `:goto survey_date`
keeps the answers between, and the record is submitted into record.json. The transcript (what the
terminal showed, typed answers included) is turned into HTML by rich's Console(record=True), and
Chromium (Playwright) takes the picture. (rich's own SVG export squeezes Chinese text into one
cell a character, hence HTML and a browser.)

Run from anywhere, with qengine, pexpect, rich and playwright installed and Chromium at
/usr/bin/chromium (or CHROMIUM=path):

    python docs/images/make_terminal_screenshot.py
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pexpect
from rich.console import Console
from rich.text import Text

import qengine

OUT = Path(__file__).resolve().parent / "terminal-session.png"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #ffffff; }}
.window {{ display: inline-block; margin: 16px; border-radius: 8px; background: {background};
          box-shadow: 0 2px 10px rgba(0, 0, 0, .35); }}
.bar {{ height: 28px; border-radius: 8px 8px 0 0; background: #3a3a3a; color: #cfcfcf;
       font: 13px sans-serif; line-height: 28px; text-align: center; }}
pre {{ margin: 0; padding: 12px 18px 16px; color: {foreground}; font-size: 15px; line-height: 1.35;
      font-family: "DejaVu Sans Mono", "WenQuanYi Micro Hei Mono", monospace; }}
</style></head><body><div class="window"><div class="bar">qengine interview</div>
<pre>{code}</pre></div></body></html>
"""
SAVE = "household-0417.qengine.json"
COMMAND = f"qengine interview annex6 --resume {SAVE} > record.json"

# the household of docs/api.md ("Violations and submitting"): a pupil at 4—1, but ② at item 10
ANSWERS = {
    "county": "望城区", "township": "靖港镇", "village": "芦江社区", "group": "7组",
    "head_name": "孙立新", "id_number": "430122197709151371", "household_size": 4, "exit_year": 2018,
    "q1_total": 32900, "q1_1a": 27000, "q1_1b": 4000, "q1_2": 300, "q1_3": 1600, "q1_4": 2000,
    "q2": 1, "q3": 1, "q4": 1, "q4_1": 1, "q5": 1, "q6": 1, "q6_1": None, "q7": 2, "q8": 3,
    "q9": 1, "q10": 2, "q11": 2, "q12": 2, "q12_2": 2, "q13": 2, "q14": 2, "q14_2": 2,
    "q14_3": 2, "q15": 2, "q16": 2, "q17": 2, "q18": 2, "q19": 2, "q20": 2,
    "respondent_sign": "孙立新", "proxy_note": None, "reviewer_unit": "靖港镇第8排查小组",
    "reviewer_sign": "程国辉",
}
# (what the terminal shows before the prompt, what is typed there)
SCRIPT = [
    ("survey_date", "2020-04-08"),
    ("q4_1", ":goto q10"),
    ("q10", "1"),
    ("q10_1", "1,2"),
    ("q11", ":goto survey_date"),
    ("survey_date", ""),
]


def transcript(folder: Path) -> str:
    """The session, as the terminal received it (ANSI colours included)."""
    form = qengine.load("annex6")
    iv = form.start()
    while iv.current is not None and iv.current.id in ANSWERS:
        iv.answer(ANSWERS[iv.current.id])
    (folder / SAVE).write_text(json.dumps(iv.snapshot(), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONUTF8": "1", "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    qengine_bin = Path(sys.executable).parent / "qengine"
    line = COMMAND.replace("qengine", str(qengine_bin), 1) if qengine_bin.exists() else (
        COMMAND.replace("qengine", f"{sys.executable} -m qengine", 1))
    log = io.StringIO()
    child = pexpect.spawn("bash", ["-c", "exec " + line], cwd=str(folder), env=env,
                          encoding="utf-8", timeout=30, dimensions=(60, 100))
    child.logfile_read = log
    for qid, typed in SCRIPT:
        child.expect_exact(f" · {qid}")
        child.expect_exact("> ")
        child.sendline(typed)
    child.expect(pexpect.EOF)
    child.close()
    if child.exitstatus != 0:
        raise SystemExit(f"the session ended with exit status {child.exitstatus}:\n{log.getvalue()}")
    record = json.loads((folder / "record.json").read_text("utf-8"))
    assert record["q10"] == 1 and record["q10_1"] == [1, 2], record
    return log.getvalue().replace("\r\n", "\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shown = transcript(Path(tmp))
    console = Console(record=True, width=100, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor")
    console.print(Text("$ ", style="bold green") + Text(COMMAND, style="bold"))
    console.print(Text.from_ansi(shown.rstrip("\n")), soft_wrap=True)
    console.print(Text("$ ", style="bold green"))
    html = console.export_html(inline_styles=True, code_format=PAGE)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        page_file = Path(tmp) / "session.html"
        page_file.write_text(html, encoding="utf-8")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1000, "height": 400})
        page.goto(page_file.as_uri())
        page.locator(".window").screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
