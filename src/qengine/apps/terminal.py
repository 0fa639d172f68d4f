"""The terminal front end of ``qengine interview``: ask, answer, go back, submit.

It drives an :class:`qengine.Interview` through its public interface only, like any other front end.
"""

from __future__ import annotations

import io
import json
import sys

from qengine.errors import AnswerError, SubmitError
from qengine.runtime import Form, Question


def _label(q: Question, lang: str | None) -> str:
    return q.labels.get(lang, q.label) if lang else q.label


def _undecodable(text: str) -> bool:
    """True when ``text`` holds bytes that were not UTF-8 (kept as lone surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _tolerant_stdin() -> None:
    """Read undecodable bytes as lone surrogates instead of raising, so such a line can be refused
    like any bad answer."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")


def _ask(q: Question, lang: str | None, kept: object) -> str | None:
    """Show one question and read a line; ``None`` when the input has ended."""
    number = f"{q.number}. " if q.number else ""
    print(f"\n{number}{_label(q, lang)}" + (f" ({q.unit})" if q.unit else ""))
    for c in q.choices:
        print(f"   {c.code}) {c.labels.get(lang, c.label) if lang else c.label}")
    try:
        return input(f"[{kept}]> " if kept is not None else "> ")
    except EOFError:
        return None


def run_interview(form: Form, lang: str | None = None) -> int:
    """Run one interview on standard input and output; the exit status (0 once submitted)."""
    _tolerant_stdin()
    iv = form.start()
    title = form.titles.get(lang, form.title) if lang else form.title
    print(f"{title} ({form.id} {form.version}). Type an answer; '<' goes back; "
          "empty leaves an optional question blank.")
    while not iv.finished:
        q = iv.current
        assert q is not None
        kept = iv.suggested()
        raw = _ask(q, lang, kept)
        if raw is None:
            print("\n(input ended; interview not submitted)")
            return 1
        if _undecodable(raw):
            print("  ! the answer is not UTF-8 text; type it again")
            continue
        if raw.strip() == "<":
            iv.back()
            continue
        try:
            if not raw.strip() and kept is not None:
                iv.forward()
            else:
                iv.answer(raw if raw.strip() else None)
        except AnswerError as exc:
            print(f"  ! {exc.message}")
        for v in iv.violations:
            print(f"  {'!!' if v.severity == 'error' else '!'} {v.message}")
    try:
        record = iv.submit()
    except SubmitError as exc:
        print(exc)
        return 1
    print(json.dumps(record, ensure_ascii=False))
    return 0
