"""The terminal interviewer (qengine interview) through a real pseudo-terminal: a whole annex 6
interview, the commands, the end-of-interview error sent back to its question, save after every
answer, SIGKILL and Ctrl-C then --resume, damaged save files; and on pipes, the record alone on
standard output.

Each session is mirrored by a Python Interview fed the same answers: it says which question comes
next, what the progress must read, and what the record and the save file must hold."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
from hypothesis import HealthCheck, given, settings

import qengine
from qengine.apps.terminal import write_atomic
from qengine.testing import records

FORM = qengine.load("annex6")
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHONIOENCODING")},
       "PYTHONUTF8": "1", "COLUMNS": "120", "NO_COLOR": "1", "TERM": "xterm"}
COMMAND = [sys.executable, "-m", "qengine", "interview", "annex6"]


def untimed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with its events' times left out: the terminal and the mirror interview stamp
    the same events at slightly different times."""
    return {**snapshot, "events": [{k: v for k, v in e.items() if k != "at"}
                                   for e in snapshot["events"]]}


def a_record(**fixed: Any) -> dict[str, Any]:
    """One complete, valid annex 6 record from qengine.testing.records (the same every run)."""
    found: list[dict[str, Any]] = []

    @settings(max_examples=1, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(records(FORM, fixed=fixed))
    def draw(record: dict[str, Any]) -> None:
        found.append(record)

    draw()
    return found[0]


# a household with a pupil (item 4—1 ①), so that ② at item 10 is the school_consistency error
RECORD = a_record(household_size=4, q4=1, q4_1=1, q10=1, q10_1=[], exit_year=None)


def typed(q: qengine.Question, value: Any) -> str:
    """What an enumerator types for ``value``."""
    if isinstance(value, list):
        return ",".join(map(str, value)) if value else ("0" if q.none_ok else "")
    return "" if value is None else str(value)


def spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    """qengine interview annex6 ARGS on a pseudo-terminal, standard output into record.json."""
    line = shlex.join([*COMMAND, *args]) + " > record.json"
    return pexpect.spawn("bash", ["-c", "exec " + line], cwd=str(tmp_path), env=ENV,
                         encoding="utf-8", timeout=30, dimensions=(40, 120))


class Session:
    """A terminal session and its Python mirror."""

    def __init__(self, child: pexpect.spawn, iv: qengine.Interview | None = None,
                 save: Path | None = None) -> None:
        self.child = child
        self.iv = iv or FORM.start()
        self.save = save

    def expect_question(self) -> None:
        """The current question is shown: progress, number, label, id, then its prompt (with
        the kept answer in brackets); by then the save file holds the interview as it is."""
        iv, child = self.iv, self.child
        q = iv.current
        assert q is not None
        child.expect(re.compile(rf"\[(\d+)/(\d+)\] ([^\r\n]*) · {re.escape(q.id)}\r\n"))
        answered, total, title = child.match.groups()
        assert (int(answered), int(total)) == (len(iv.history),
                                               len(FORM.path(iv.kept, iv.params)))
        assert q.label in title and (q.number is None or title.startswith(f"{q.number}. "))
        kept = iv.suggested()
        child.expect_exact(f"[{typed(q, kept) or '0'}]> " if kept is not None else "> ")
        shown = child.before
        for c in q.choices:
            assert f"{c.code}) {c.label}" in shown
        assert ("多选，如 1,3" in shown) == (q.type == "multiple")
        assert ("选填" in shown) == (not q.required)
        assert ("0) 以上都没有" in shown) == q.none_ok
        if self.save is not None:
            assert untimed(json.loads(self.save.read_text("utf-8"))) == untimed(iv.snapshot())

    def answer(self, value: Any) -> None:
        """Answer the question shown with ``value`` (typed as a person would)."""
        q = self.iv.current
        assert q is not None
        self.child.sendline(typed(q, value))
        self.iv.answer(value)

    def run_to(self, stop: str | None, record: dict[str, Any]) -> None:
        """Answer from ``record`` in path order until question ``stop`` is shown (or the end)."""
        while not self.iv.finished:
            self.expect_question()
            if self.iv.current is not None and self.iv.current.id == stop:
                return
            self.answer(record[self.iv.current.id])  # type: ignore[union-attr]

    def saved(self, tmp_path: Path, name: str = "s.json") -> dict[str, Any]:
        return json.loads((tmp_path / name).read_text("utf-8"))


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else -child.signalstatus


def test_a_whole_annex6_interview_through_a_terminal(tmp_path: Path) -> None:
    """Answered in path order from a record: a refused answer, :back, :goto, the item-10 error at
    the end sent back to its question, fixed, submitted; stdout holds Python's submitted record."""
    s = Session(spawn(tmp_path, "--save", "s.json"), save=tmp_path / "s.json")
    s.child.expect_exact("建档立卡贫困户脱贫情况调查问卷 (annex6 2020.1)")
    s.child.expect_exact("每答一题自动保存到 s.json")
    s.run_to("household_size", RECORD)
    s.child.sendline("0")  # refused: the household has at least one member
    with pytest.raises(qengine.AnswerError) as refused:
        s.iv.answer("0")
    s.child.expect_exact(f"  ! {refused.value.messages(['zh'])['zh']}\r\n> ")
    s.answer(RECORD["household_size"])

    s.run_to("q3", RECORD)
    s.child.sendline(":back")  # item 2 again, its answer kept: Enter keeps it
    s.iv.back()
    s.expect_question()
    s.child.sendline("")
    s.iv.forward()

    s.run_to("q6", RECORD)
    s.child.sendline(":goto q4")  # back three questions; Enter keeps each answer
    s.iv.goto("q4")
    for _ in range(3):
        s.expect_question()
        s.child.sendline("")
        s.iv.forward()

    s.run_to("q10", RECORD)
    s.answer(2)  # no pupil since registration: contradicts item 4—1
    error = next(v for v in s.iv.errors if v.rule == "school_consistency")
    s.child.expect_exact(f"  !! 错误：{error.messages['zh']} (q4_1, q10)")
    s.run_to(None, RECORD)

    s.child.expect_exact("有 1 个错误，不能提交。回到 4—1 (q4_1)")
    s.child.expect_exact("该错误还涉及 10 (q10)：输入 :goto q10 直接前往")
    with pytest.raises(qengine.SubmitError):
        s.iv.submit()
    s.iv.goto("q4_1")
    s.expect_question()
    assert not (tmp_path / "record.json").read_text("utf-8")  # nothing submitted yet

    s.child.sendline(":goto q10")  # on to item 10, the answers between confirmed
    while s.iv.current is not None and s.iv.current.id != "q10":
        s.iv.forward()
    s.expect_question()
    s.answer(1)  # fixed: 10—1 is asked now, then every later answer is kept
    while not s.iv.finished:
        s.expect_question()
        if s.iv.suggested() is None and s.iv.current.id not in s.iv.kept:  # type: ignore[union-attr]
            s.answer(RECORD[s.iv.current.id])  # type: ignore[union-attr]
        else:
            s.child.sendline("")
            s.iv.forward()
    s.child.expect_exact("已提交")
    assert finish(s.child) == 0
    record = s.iv.submit()
    assert json.loads((tmp_path / "record.json").read_text("utf-8")) == record
    assert (tmp_path / "record.json").read_text("utf-8").count("\n") == 1
    assert untimed(s.saved(tmp_path)) == untimed(s.iv.snapshot())
    assert record["q10"] == 1 and record["q10_1"] == []


def test_killed_with_sigkill_resumes_at_the_same_question(tmp_path: Path) -> None:
    """SIGKILL at a prompt; --resume shows that same question, every answer kept, and goes on."""
    s = Session(spawn(tmp_path, "--save", "s.json"))
    s.run_to("q5", RECORD)
    s.child.kill(signal.SIGKILL)
    s.child.expect(pexpect.EOF)
    s.child.close()
    assert s.child.signalstatus == signal.SIGKILL
    assert untimed(s.saved(tmp_path)) == untimed(s.iv.snapshot())

    (tmp_path / ".s.json.k1ll3d.tmp").write_text("{", encoding="utf-8")  # a killed write's
    again = Session(spawn(tmp_path, "--resume", "s.json"), FORM.resume(s.saved(tmp_path)))
    again.child.expect_exact(f"从 s.json 继续：已答 {len(s.iv.history)} 题")
    again.expect_question()
    assert again.iv.current.id == "q5"  # type: ignore[union-attr]
    assert again.iv.answers == s.iv.answers
    again.child.sendline(":back")  # the answer before is there
    again.iv.back()
    again.expect_question()
    again.child.sendline("")
    again.iv.forward()
    again.run_to("q6", RECORD)
    again.child.sendline(":quit")
    again.child.expect_exact("未提交；已保存到 s.json。继续：qengine interview annex6 --resume s.json")
    assert finish(again.child) == 1
    assert untimed(again.saved(tmp_path)) == untimed(again.iv.snapshot())
    assert again.iv.history[:len(s.iv.history)] == s.iv.history
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json", "s.json"]


def test_ctrl_c_saves_and_says_where(tmp_path: Path) -> None:
    """Ctrl-C at a prompt saves the interview, says where and how to resume, exit 130."""
    s = Session(spawn(tmp_path))
    s.run_to("q1_total", RECORD)
    s.child.sendcontrol("c")
    s.child.expect(r"已中断，未提交；已保存到 (annex6-\d{8}-\d{4}\.qengine\.json)。继续："
                   r"qengine interview annex6 --resume (\S+)\r\n")
    name, resume = s.child.match.groups()
    assert name == resume
    assert finish(s.child) == 130
    assert untimed(s.saved(tmp_path, name)) == untimed(s.iv.snapshot())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True,
                          encoding="utf-8", cwd=tmp_path, env=ENV, timeout=60)


DAMAGED = {
    "not_json": ("{\"qengine_snapshot\": 1, \"form\": ", "damaged save file (not JSON"),
    "not_utf8": ("\udcff", "damaged save file (not UTF-8"),
    "other_form": (json.dumps(qengine.load("annex7").start().snapshot()), "[other_form]"),
    "inconsistent": (json.dumps(dict(FORM.start().snapshot(), history=["township"])),
                     "[inconsistent]"),
    "not_a_snapshot": ("[1, 2]", "[not_a_snapshot]"),
}


@pytest.mark.parametrize("kind", [*DAMAGED, "missing"])
def test_resume_refuses_a_damaged_file(tmp_path: Path, kind: str) -> None:
    """--resume of a missing, damaged or foreign file: exit 2, one line naming the file (and the
    SnapshotError's code), the file untouched."""
    save = tmp_path / "s.json"
    if kind != "missing":
        text, _ = DAMAGED[kind]
        save.write_bytes(text.encode("utf-8", "surrogateescape"))
    before = save.read_bytes() if save.exists() else None
    result = run(tmp_path, "--resume", "s.json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("qengine: ") and "s.json" in result.stderr
    assert (DAMAGED[kind][1] if kind != "missing" else "No such file") in result.stderr
    assert (save.read_bytes() if save.exists() else None) == before


def pipe_script(record: dict[str, Any], extra: dict[str, list[str]] | None = None) -> str:
    """The lines answering ``record`` in path order, ``extra`` lines typed before a question."""
    lines: list[str] = []
    for qid in FORM.path(record):
        lines += (extra or {}).get(qid, [])
        lines.append(typed(FORM.question(qid), record[qid]))
    return "".join(line + "\n" for line in lines)


def test_on_pipes_the_record_alone_is_on_stdout(tmp_path: Path) -> None:
    """Answers fed on a pipe: standard output is the submitted record, one JSON line; prompts and
    messages are on standard error; the default save file is named after the form and time."""
    result = run(tmp_path, stdin=pipe_script(RECORD, {"q2": [":help", ":save", ":nope"]}))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == FORM.validate(RECORD).record
    assert "> " in result.stderr and "已提交" in result.stderr
    saves = [p.name for p in tmp_path.iterdir()]
    assert len(saves) == 1 and re.fullmatch(r"annex6-\d{8}-\d{4}\.qengine\.json", saves[0])
    assert f"  已保存到 {saves[0]}" in result.stderr  # :save says where
    assert ":goto 题号" in result.stderr and "未知命令 :nope" in result.stderr
    assert FORM.resume(json.loads((tmp_path / saves[0]).read_text("utf-8"))).finished


def test_a_warning_at_the_end_does_not_block(tmp_path: Path) -> None:
    """Item 11 answered ② (the no_health_policy warning): shown when it starts to hold and at
    the end, and the record is submitted."""
    record = {k: v for k, v in RECORD.items() if k != "q11_1"} | {"q11": 2}
    result = run(tmp_path, "--save", "w.json", stdin=pipe_script(record))
    assert result.returncode == 0, result.stderr
    warning = next(v for v in FORM.validate(record).warnings if v.rule == "no_health_policy")
    assert result.stderr.count(f"  ! 警告：{warning.messages['zh']} (q11)") == 2
    assert json.loads(result.stdout) == FORM.validate(record).record


def test_quit_and_end_of_input_save_and_exit_1(tmp_path: Path) -> None:
    """:quit saves and exits 1 (not submitted); so does the end of the input; neither prints a
    record."""
    result = run(tmp_path, "--save", "a.json", stdin="望城区\n靖港镇\n:quit\n")
    assert result.returncode == 1 and result.stdout == ""
    assert "未提交；已保存到 a.json" in result.stderr
    assert json.loads((tmp_path / "a.json").read_text("utf-8"))["history"] == ["county",
                                                                                "township"]
    result = run(tmp_path, "--resume", "a.json", stdin="芦江社区\n")
    assert result.returncode == 1 and result.stdout == ""
    assert "输入结束，未提交；已保存到 a.json" in result.stderr
    assert len(json.loads((tmp_path / "a.json").read_text("utf-8"))["history"]) == 3


def test_two_interviews_never_share_a_default_file(tmp_path: Path) -> None:
    """Two interviews started one after the other in one folder get two save files."""
    for _ in range(2):
        assert run(tmp_path, stdin="望城区\n:quit\n").returncode == 1
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2
    assert all(re.fullmatch(r"annex6-\d{8}-\d{4}(-2)?\.qengine\.json", n) for n in names)


def test_an_existing_file_is_never_started_over(tmp_path: Path) -> None:
    """--save naming an existing file (not resumed) is refused with exit 2: it holds an
    interview."""
    (tmp_path / "a.json").write_text("keep me", encoding="utf-8")
    result = run(tmp_path, "--save", "a.json")
    assert result.returncode == 2 and "--resume a.json" in result.stderr
    assert (tmp_path / "a.json").read_text("utf-8") == "keep me"


def test_english_labels_refusals_and_marks(tmp_path: Path) -> None:
    """--lang en: labels, refusals, the multiple-choice and none-of-these marks in English."""
    extra = {"household_size": ["四口人"], "q10_1": ["9"]}
    result = run(tmp_path, "--lang", "en", "--save", "e.json", stdin=pipe_script(RECORD, extra))
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "Name of the household head" in err and "expected a number, got '四口人'" in err
    assert "multiple choice: e.g. 1,3" in err and "0) none of these" in err
    assert "9 is not one of the codes" in err and "submitted" in err


def test_write_atomic_replaces_whole_files(tmp_path: Path) -> None:
    """write_atomic leaves the new text and no temporary file; a failed write leaves the old."""
    path = tmp_path / "s.json"
    write_atomic(path, "one")
    write_atomic(path, "two")
    assert path.read_text("utf-8") == "two" and [p.name for p in tmp_path.iterdir()] == ["s.json"]
    with pytest.raises(TypeError):
        write_atomic(path, 3)  # type: ignore[arg-type]
    assert path.read_text("utf-8") == "two" and [p.name for p in tmp_path.iterdir()] == ["s.json"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_record_that_cannot_be_written_is_not_lost(tmp_path: Path) -> None:
    """Standard output on a full disk: exit 2 and a message; the save file holds the finished
    interview, and --resume submits it again."""
    with open("/dev/full", "w") as full:
        result = subprocess.run([*COMMAND, "--save", "f.json"], input=pipe_script(RECORD),
                                stdout=full, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                cwd=tmp_path, env=ENV, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "无法输出记录" in result.stderr and "f.json" in result.stderr
    again = run(tmp_path, "--resume", "f.json")
    assert again.returncode == 0 and json.loads(again.stdout) == FORM.validate(RECORD).record


def test_blank_clears_a_kept_optional_answer(tmp_path: Path) -> None:
    """:blank leaves an optional question blank even when an answer is kept (Enter would keep it);
    on a required question it is refused and nothing changes."""
    record = RECORD | {"exit_year": 2018}
    result = run(tmp_path, "--save", "b.json", stdin=pipe_script(
        record, {"q1_total": [":back", ":blank"], "township": [":blank"]}))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == FORM.validate(record | {"exit_year": None}).record
    assert "exit_year" in FORM.path(record)
