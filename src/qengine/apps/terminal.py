"""The terminal front end of ``qengine interview``: an interviewer that loses nothing.

It drives an :class:`qengine.Interview` through its public interface only, like any other front end.
After every answer the interview is saved (the :meth:`Interview.snapshot` JSON, written atomically:
a temporary file, fsync, then a rename), so a crash, a closed laptop lid or Ctrl-C costs at most the
answer being typed; ``--resume FILE`` continues where it stopped. An error that still holds at the
end never discards the interview: it is shown and the interview goes back to the question it names.

Everything meant for people (questions, prompts, messages) goes to standard error; standard output
gets the submitted record alone, as one JSON line, so ``> record.json`` keeps it. Prompts are read
line by line from standard input, a terminal or a pipe alike.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

from qengine.errors import AnswerError, QengineError, SnapshotError, SubmitError
from qengine.runtime import Form, Interview, Question, Violation

#: The largest save file --resume reads (a snapshot of the bundled forms is a few kilobytes).
MAX_SAVE_BYTES = 64 * 1024 * 1024
SAVE_SUFFIX = ".qengine.json"

# The words of the interviewer itself, in each language it speaks (others fall back to English).
TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "saving": "每答一题自动保存到 {path}；输入 :help 查看命令",
        "resumed": "从 {path} 继续：已答 {answered} 题",
        "multiple": "多选，如 1,3",
        "optional": "选填，直接回车留空",
        "none": "以上都没有",
        "error": "错误：", "warning": "警告：", "sep": "；",
        "at_first": "已是第一题",
        "unknown": "未知命令 {command}；输入 :help 查看命令",
        "goto_usage": "用法：:goto 题号，如 :goto q5",
        "saved": "已保存到 {path}",
        "save_failed": "无法保存到 {path}：{reason}（:save 重试）",
        "not_utf8": "输入的不是 UTF-8 文本，请重新输入",
        "quit": "未提交；已保存到 {path}。继续：{resume}",
        "interrupted": "已中断，未提交；已保存到 {path}。继续：{resume}",
        "ended": "输入结束，未提交；已保存到 {path}。继续：{resume}",
        "unsaved": "未提交，也未能保存（见上）",
        "finished": "全部答完（{answered} 题）",
        "blocked": "有 {count} 个错误，不能提交。回到 {question}",
        "also": "该错误还涉及 {questions}：输入 :goto {first} 直接前往（其间的答案保留）",
        "submitted": "已提交：记录已写到标准输出（本次访问仍保存在 {path}）",
        "unwritten": "无法输出记录：{reason}。本次访问仍保存在 {path}，用 --resume 再次提交",
        "on_screen": "提交的记录将显示在屏幕上；要存成文件，请在命令后加 > record.json",
        "help": ("命令（在任何提示符下输入）：\n"
                 "  :back        回到上一题（也可输入 <）\n"
                 "  :goto 题号    前往已答的某题，如 :goto q5 或 :goto 4—1\n"
                 "  :save        立即保存，并显示保存位置\n"
                 "  :blank       本题留空（非必答题；已有答案也清除）\n"
                 "  :quit        保存并退出（未提交；用 --resume 继续）\n"
                 "  :help        显示本说明\n"
                 "[方括号] 里是已有的答案：直接回车保留，输入新答案替换。以 : 开头的答案写作 ::文字。\n"
                 "答完后检查全部规则：有错误时回到相关题目，没有错误才提交。"),
    },
    "en": {
        "saving": "saving to {path} after every answer; type :help for the commands",
        "resumed": "resumed from {path}: {answered} answered",
        "multiple": "multiple choice: e.g. 1,3",
        "optional": "optional: Enter leaves it blank",
        "none": "none of these",
        "error": "error: ", "warning": "warning: ", "sep": "; ",
        "at_first": "this is the first question",
        "unknown": "unknown command {command}; type :help for the commands",
        "goto_usage": "usage: :goto QUESTION, e.g. :goto q5",
        "saved": "saved to {path}",
        "save_failed": "cannot save to {path}: {reason} (:save to try again)",
        "not_utf8": "the answer is not UTF-8 text; type it again",
        "quit": "not submitted; saved to {path}. To continue: {resume}",
        "interrupted": "interrupted, not submitted; saved to {path}. To continue: {resume}",
        "ended": "input ended, not submitted; saved to {path}. To continue: {resume}",
        "unsaved": "not submitted, and not saved (see above)",
        "finished": "all {answered} questions answered",
        "blocked": "{count} error(s): cannot submit. Back to {question}",
        "also": "the error also names {questions}: :goto {first} goes there (keeping the answers "
                "between)",
        "submitted": "submitted: the record is on standard output (the interview stays saved in "
                     "{path})",
        "unwritten": "cannot write the record: {reason}. The interview stays saved in {path}: "
                     "--resume submits it again",
        "on_screen": "the submitted record will be printed here: add > record.json to the command "
                     "to keep it in a file",
        "help": ("commands (at any prompt):\n"
                 "  :back        go back one question (or <)\n"
                 "  :goto ID     go to a question answered before: :goto q5, :goto 4—1\n"
                 "  :save        save now and say where\n"
                 "  :blank       leave this optional question blank (a kept answer too)\n"
                 "  :quit        save and stop (not submitted; --resume continues)\n"
                 "  :help        this help\n"
                 "[brackets] show the answer kept: Enter keeps it, a new answer replaces it. An "
                 "answer that starts with : is typed ::text.\n"
                 "At the end every check runs: an error goes back to its question; the interview "
                 "is submitted only when no error holds."),
    },
}
#: The ANSI styles of :class:`Paint`.
STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36",
          "title": "1;36"}


class SaveFileError(QengineError):
    """A save file that cannot be written, read or resumed: one line, exit status 2."""


def _undecodable(text: str) -> bool:
    """True when ``text`` holds bytes that were not UTF-8 (kept as lone surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _tolerant_stdin() -> None:
    """Read undecodable bytes as lone surrogates instead of raising, so such a line can be refused
    like any bad answer."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# -- the save file ----------------------------------------------------------------------------------

def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that the file holds either the old text or the new, whole,
    whatever happens: a temporary file beside it (mode 0600), fsync, rename, fsync the folder."""
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    with suppress(OSError, AttributeError):  # the rename itself, durable (not on every system)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def default_save_path(form: Form, folder: Path | None = None, now: float | None = None) -> Path:
    """``FORM-YYYYmmdd-HHMM.qengine.json`` in ``folder`` (by default the current one, as a
    relative path), never an existing file: ``-2``, ``-3`` … are added when one of that minute
    exists. The name is claimed (created empty, exclusively), so two interviewers started in the
    same minute in one folder never share a file."""
    folder = Path() if folder is None else folder
    stem = f"{form.id}-{time.strftime('%Y%m%d-%H%M', time.localtime(now))}"
    for n in range(1, 10_000):
        path = folder / (f"{stem}{SAVE_SUFFIX}" if n == 1 else f"{stem}-{n}{SAVE_SUFFIX}")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        except OSError as exc:
            raise SaveFileError(f"cannot write {path}: {_reason(exc)}") from None
        return path
    raise SaveFileError(f"cannot write {folder / stem}{SAVE_SUFFIX}: too many interviews of that "
                        "minute")


def _leftovers(path: Path) -> None:
    """Remove the temporary files of ``path`` that a killed writer left behind."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with suppress(OSError):
            tmp.unlink()


def read_save(form: Form, path: Path) -> Interview:
    """The interview a save file holds; :class:`SaveFileError` (one line) for a missing, unreadable
    or damaged file, or a snapshot the form cannot resume (naming the SnapshotError's code)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SAVE_BYTES + 1)
    except OSError as exc:
        raise SaveFileError(f"cannot read {path}: {_reason(exc)}") from None
    if len(data) > MAX_SAVE_BYTES:
        raise SaveFileError(f"{path}: not a qengine save file (larger than {MAX_SAVE_BYTES} "
                            "bytes)")
    try:
        snap = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SaveFileError(f"{path}: damaged save file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise SaveFileError(f"{path}: damaged save file (not JSON: {exc.msg} at line {exc.lineno} "
                            f"column {exc.colno})") from None
    except RecursionError:
        raise SaveFileError(f"{path}: damaged save file (JSON nested too deep)") from None
    try:
        return form.resume(snap)
    except SnapshotError as exc:
        raise SaveFileError(f"{path}: cannot resume: {exc}".replace("\n", " ")) from None


# -- how things look --------------------------------------------------------------------------------

def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Paint:
    """ANSI colours for a terminal (never for a pipe, nor with NO_COLOR or TERM=dumb)."""

    def __init__(self, stream: TextIO) -> None:
        self.on = _is_tty(stream) and not os.environ.get("NO_COLOR") and (
            os.environ.get("TERM") != "dumb")

    def __call__(self, text: str, style: str) -> str:
        return f"\033[{STYLES[style]}m{text}\033[0m" if self.on and text else text


def _shown(value: Any, none_key: str) -> str:
    """A kept answer as one would type it (``1,3`` for a multiple choice, ``none_key`` for "none
    of these")."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value) if value else none_key
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


class Terminal:
    """One interview on a terminal (or pipes): the loop, the commands, the end."""

    def __init__(self, form: Form, iv: Interview, lang: str, path: Path, resume_command: str,
                 stdin: TextIO, stdout: TextIO, stderr: TextIO) -> None:
        self.form, self.iv, self.lang, self.path = form, iv, lang, path
        self.resume_command = resume_command
        self.stdin, self.stdout, self.err = stdin, stdout, stderr
        self.texts = TEXTS.get(lang, TEXTS["en"])
        self.paint = Paint(stderr)
        self.section: str | None = None  # the section whose title was shown last
        self.seen: set[tuple[str, tuple[str, ...]]] = set()  # the violations shown already

    # -- output -----------------------------------------------------------------------------
    def say(self, text: str = "", style: str | None = None) -> None:
        self.err.write((self.paint(text, style) if style else text) + "\n")
        self.err.flush()

    def t(self, key: str, **args: Any) -> str:
        return self.texts[key].format(**args)

    def name(self, qid: str) -> str:
        """A question as people and :goto know it: ``4—1 (q4_1)``."""
        number = self.form.question(qid).number
        return f"{number} ({qid})" if number else qid

    def show_violation(self, v: Violation) -> None:
        error = v.severity == "error"
        head = f"  {'!!' if error else '!'} {self.t('error' if error else 'warning')}"
        text = v.messages.get(self.lang, v.message)
        self.say(self.paint(head, "red" if error else "yellow") + text
                 + self.paint(f" ({', '.join(v.questions)})", "dim"))

    def show_new_violations(self) -> None:
        now = {(v.rule, tuple(v.questions)): v for v in self.iv.violations}
        for key, v in now.items():
            if key not in self.seen:
                self.show_violation(v)
        self.seen = set(now)

    def progress(self) -> str:
        """``answered/total``: the questions answered, of those on the path the answers so far
        (kept ones included) take."""
        answered = len(self.iv.history)
        total = len(self.form.path(self.iv.kept, self.iv.params))
        return f"{answered}/{max(total, answered)}"

    def show_question(self, q: Question) -> None:
        lang = self.lang
        if q.section != self.section:
            self.section = q.section
            titles = next((t for sid, t, _ids in self.form.sections if sid == q.section), {})
            title = titles.get(lang) or next(iter(titles.values()), "")
            if title:
                self.say()
                self.say(f"== {title} ==", "title")
        label = q.labels.get(lang, q.label)
        number = f"{q.number}. " if q.number else ""
        unit = f" ({q.unit})" if q.unit else ""
        self.say()
        self.say(self.paint(f"[{self.progress()}]", "dim") + " "
                 + self.paint(f"{number}{label}{unit}", "bold") + self.paint(f" · {q.id}", "dim"))
        hint = q.hints.get(lang) or next(iter(q.hints.values()), "") if q.hints else ""
        if hint:
            self.say(f"   {hint}", "dim")
        for c in q.choices:
            self.say(f"   {c.code}) {c.labels.get(lang, c.label)}")
        if q.none_ok:
            self.say(f"   {self.none_key(q)}) {self.t('none')}")
        marks = ([self.t("multiple")] if q.type == "multiple" else []) + (
            [self.t("optional")] if not q.required else [])
        if marks:
            self.say(f"   ({self.t('sep').join(marks)})", "cyan")

    @staticmethod
    def none_key(q: Question) -> str:
        """What to type for "none of these": 0, unless 0 is a code of the question."""
        return "-" if any(c.code == 0 for c in q.choices) else "0"

    # -- saving -----------------------------------------------------------------------------
    def save(self) -> bool:
        try:
            write_atomic(self.path, json.dumps(self.iv.snapshot(), ensure_ascii=False,
                                               allow_nan=False) + "\n")
        except OSError as exc:
            self.say(f"  !! {self.t('save_failed', path=self.path, reason=_reason(exc))}", "red")
            return False
        return True

    def stop(self, key: str) -> None:
        """Save, and say where and how to continue (or that it could not be saved)."""
        saved = self.save()
        self.say()
        if saved:
            self.say(self.t(key, path=self.path, resume=self.resume_command))
        else:
            self.say(self.t("unsaved"), "red")

    # -- the loop ---------------------------------------------------------------------------
    def read(self, prompt: str) -> str | None:
        """One line typed at ``prompt``; ``None`` when the input has ended."""
        self.err.write(prompt)
        self.err.flush()
        line = self.stdin.readline()
        if not line:
            return None
        return line.rstrip("\r\n")

    def run(self) -> int:
        """The interview, to its submission (0), :quit or the end of input (1), Ctrl-C (130)."""
        try:
            return self.loop()
        except KeyboardInterrupt:
            self.stop("interrupted")
            return 130

    def loop(self) -> int:
        iv = self.iv
        ask = True  # show the current question before its prompt
        while True:
            if iv.finished:
                status = self.finish()
                if status is not None:
                    return status
                ask = True
                continue
            q = iv.current
            assert q is not None
            if ask:
                self.show_question(q)
            kept = iv.suggested()
            raw = self.read(f"[{_shown(kept, self.none_key(q))}]> " if kept is not None else "> ")
            if raw is None:
                self.stop("ended")
                return 1
            ask = False
            if _undecodable(raw):
                self.say(f"  ! {self.t('not_utf8')}", "red")
                continue
            text = raw.strip()
            if text == "<":
                text = ":back"
            if text[:1] in (":", "：") and text[1:2] not in (":", "："):
                status = self.command(text[1:].strip())
                if status is not None:
                    return status
                ask = iv.current is not q
                continue
            if text[:1] in (":", "："):  # ::text is the answer :text
                raw, text = raw.lstrip()[1:], text[1:]
            ask = self.give(q, raw, text, kept)

    def give(self, q: Question, raw: str, text: str, kept: Any) -> bool:
        """Answer ``q`` with what was typed; True when it moved on (the answer was taken)."""
        iv = self.iv
        try:
            if not text and kept is not None:
                iv.forward()
            elif q.none_ok and text == self.none_key(q):
                iv.answer([])
            else:
                iv.answer(raw if text else None)
        except AnswerError as exc:
            self.say(f"  ! {exc.messages([self.lang])[self.lang]}", "red")
            return False
        self.save()
        self.show_new_violations()
        return True

    def command(self, line: str) -> int | None:
        """Run ``:line``; an exit status when the interview stops here."""
        word, _sep, arg = line.partition(" ")
        word, arg = word.lower(), arg.strip()
        iv = self.iv
        if word == "back":
            if iv.back() is None:
                self.say(f"  ! {self.t('at_first')}")
            else:
                self.save()
        elif word == "goto":
            if not arg:
                self.say(f"  ! {self.t('goto_usage')}")
            else:
                try:
                    self.goto(self.resolve(arg))
                except AnswerError as exc:
                    self.say(f"  ! {exc.messages([self.lang])[self.lang]}", "red")
                else:
                    self.save()
        elif word == "save":
            if self.save():
                self.say(f"  {self.t('saved', path=self.path)}", "green")
        elif word == "blank":  # an optional question left blank, whatever answer was kept
            q = iv.current
            assert q is not None
            self.give(q, "", "", None)
        elif word == "help":
            self.say(self.t("help"))
        elif word == "quit":
            self.stop("quit")
            return 1
        else:
            self.say(f"  ! {self.t('unknown', command=':' + word)}")
        return None

    def goto(self, qid: str) -> None:
        """Go to ``qid``: back to it when it was answered (``Interview.goto``), or on to it when it
        lies ahead on the path of the kept answers (each one between confirmed, as Enter would).
        :class:`AnswerError` (``not_in_history``) and nothing changed when it is neither."""
        iv = self.iv
        if qid in iv.history:
            iv.goto(qid)
            return
        before = iv.state
        while iv.current is not None and iv.current.id != qid:
            try:
                iv.forward()
            except AnswerError:
                break
        if iv.current is None or iv.current.id != qid:
            iv.restore(before)
            raise AnswerError(qid, "not_in_history")

    def resolve(self, arg: str) -> str:
        """A :goto argument as a question id: an id, or the printed number (``4—1``, ``4-1``) of
        a question on the path, the first one with that number."""
        path = self.form.path(self.iv.kept, self.iv.params)
        if arg in path:
            return arg
        wanted = arg.replace("-", "—")
        for qid in path:
            if self.form.question(qid).number in (arg, wanted):
                return qid
        return arg

    def finish(self) -> int | None:
        """At the end: every check shown; submitted (status 0, or 2 when standard output cannot
        be written) when no error holds, else back to the first question an error names (None)."""
        iv = self.iv
        self.say()
        self.say(self.t("finished", answered=len(iv.history)), "bold")
        for v in iv.violations:
            self.show_violation(v)
        self.seen = {(v.rule, tuple(v.questions)) for v in iv.violations}
        errors = iv.errors
        if not errors:
            try:
                record = iv.submit()
            except SubmitError:  # pragma: no cover - errors were just looked at
                return None
            self.save()
            try:
                self.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.stdout.flush()
            except OSError as exc:  # a closed pipe, a full disk: the save file still has it all
                self.say(f"  !! {self.t('unwritten', reason=_reason(exc), path=self.path)}", "red")
                with suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
                    # what is left in the buffer goes nowhere, rather than failing once more
                    os.dup2(os.open(os.devnull, os.O_WRONLY), self.stdout.fileno())
                return 2
            self.say(self.t("submitted", path=self.path), "green")
            return 0
        named = [qid for qid in errors[0].questions if qid in iv.history]
        if named:
            iv.goto(named[0])
        else:  # pragma: no cover - a check names the questions it reads, all answered by now
            iv.back()
        self.save()
        current = iv.current
        assert current is not None
        self.say(self.t("blocked", count=len(errors), question=self.name(current.id)), "red")
        others = [qid for qid in errors[0].questions if qid != current.id]
        if others:
            self.say(self.t("also", questions=", ".join(self.name(q) for q in others),
                            first=others[0]))
        self.section = None  # show where we are again
        return None


def open_interview(form: Form, save: str | None, resume: str | None) -> tuple[Interview, Path]:
    """The interview to run and the file it is saved to: resumed from ``resume`` (and saved back
    there unless ``save`` says otherwise), or new. Refuses to start a new interview over an
    existing file (that would lose the interview it holds)."""
    iv = read_save(form, Path(resume)) if resume is not None else form.start()
    if save is not None:
        path = Path(save)
        same = resume is not None and path.exists() and os.path.samefile(path, resume)
        if path.exists() and not same:
            raise SaveFileError(f"{path} exists: --resume {path} continues the interview it "
                                "holds; --save another file to start a new one")
    elif resume is not None:
        path = Path(resume)
    else:
        path = default_save_path(form)
    if path.is_dir():
        raise SaveFileError(f"cannot write {path}: Is a directory")
    try:
        write_atomic(path, json.dumps(iv.snapshot(), ensure_ascii=False, allow_nan=False) + "\n")
    except OSError as exc:
        raise SaveFileError(f"cannot write {path}: {_reason(exc)}") from None
    _leftovers(path)
    return iv, path


def run_interview(form: Form, lang: str | None = None, *, save: str | None = None,
                  resume: str | None = None, name: str | None = None,
                  streams: Mapping[str, TextIO] | None = None) -> int:
    """Run one interview on the terminal; the exit status: 0 once submitted, 1 when it stops
    unsubmitted (:quit, the input ended), 130 after Ctrl-C. ``name`` is the FORM argument, for the
    resume command shown; ``streams`` may replace ``stdin``, ``stdout`` and ``stderr``."""
    _tolerant_stdin()
    io_ = {"stdin": sys.stdin, "stdout": sys.stdout, "stderr": sys.stderr, **(streams or {})}
    lang = lang or form.languages[0]
    iv, path = open_interview(form, save, resume)
    command = f"qengine interview {shlex.quote(name or form.id)} --resume {shlex.quote(str(path))}"
    term = Terminal(form, iv, lang, path, command, io_["stdin"], io_["stdout"], io_["stderr"])
    title = form.titles.get(lang, form.title)
    term.say(f"{title} ({form.id} {form.version})", "title")
    if resume is not None:
        term.say(term.t("resumed", path=resume, answered=len(iv.history)))
    term.say(term.t("saving", path=path), "dim")
    if _is_tty(io_["stdout"]):
        term.say(term.t("on_screen"), "dim")
    if resume is not None:
        for v in iv.violations:
            term.show_violation(v)
        term.seen = {(v.rule, tuple(v.questions)) for v in iv.violations}
    return term.run()
