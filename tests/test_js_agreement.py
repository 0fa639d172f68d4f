"""The JavaScript runtime agrees with Python beyond the committed cases: hypothesis draws records
(valid, invalid, perturbed with junk, entered text, labels, blanks, unknown keys, param overrides)
and interview scripts for each bundled form, and one long-lived node process (js/tools/agree.mjs,
fed JSON lines, one per test session) must give exactly what the Python runtime gives: the
violations, path and canonical record of a validation, the findings (every field, descriptions in
each language) and household categories of a record, and the interview state after every step,
also when a snapshot of one runtime is resumed in the other.

Values are compared type-strictly, key order included, as JSON text. Left out, as known gaps
(js/README.md): whole floats (``plain`` writes 5.0 as 5 before either runtime sees it, and in both
runtimes' output), ints beyond 2^53 (not drawn), and characters the two runtimes' Unicode tables
class differently (``GAP``). Two disagreements found here, fixed since, keep a test each at the
end: param names over 100 characters and ``params=[]``.

Needs node (>= 18); without it these tests skip, as tests/test_js_runtime.py does.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import qengine
from qengine.errors import AnswerError, ParamError, RecordError, SnapshotError, SubmitError
from qengine.testing import answers, invalid_records, records

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "js" / "tools" / "agree.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)")

NAMES = ("annex5", "annex6", "annex7")
FORMS = {name: qengine.load(name) for name in NAMES}
TIMEOUT = 60  # seconds for one reply: far more than any request needs

HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
RECORDS = settings(max_examples=120, deadline=None, suppress_health_check=HEALTH)
PARAMS = settings(max_examples=80, deadline=None, suppress_health_check=HEALTH)
# no shrinking of a failing script: it takes minutes (every try replays an interview in both
# runtimes), and the failure names the first step that differs, with the whole script
SCRIPTS = settings(max_examples=60, deadline=None, suppress_health_check=HEALTH,
                   phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target))


# -- the node process ------------------------------------------------------------------------------
class Node:
    """One ``node js/tools/agree.mjs``: a request is a JSON line, its reply the next line out."""

    def __init__(self, log: Path) -> None:
        assert NODE is not None
        self._log = log
        self._err = log.open("w")
        self.proc = subprocess.Popen([NODE, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True, encoding="utf-8", cwd=ROOT)
        self._lines: queue.Queue[str] = queue.Queue()
        # a reader thread, so that a hung process fails a test after TIMEOUT instead of hanging it
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")

    def call(self, request: Any) -> Any:
        """The reply to ``request`` (an error reply included)."""
        # ensure_ascii: a lone surrogate travels as a \\ud800 escape, as JSON allows
        return self.exchange(json.dumps(request, allow_nan=False))

    def exchange(self, line: str) -> Any:
        """The reply to one line of text."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        try:
            line = self._lines.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"node gave no reply in {TIMEOUT} s")
        if not line:
            pytest.fail(f"node ended (code {self.proc.poll()}): {self._log.read_text()[-2000:]}")
        return json.loads(line)

    def ask(self, request: Any) -> Any:
        """The reply to ``request``; a test failure when node replies with an error."""
        reply = self.call(request)
        assert "error" not in reply, reply["error"].get("stack") or reply["error"]
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """The one node process of the test session, every bundled form loaded."""
    server = Node(tmp_path_factory.mktemp("agree") / "node-stderr.txt")
    try:
        for name, form in FORMS.items():
            machine = form.to_json()
            machine["source"] = None
            server.ask({"op": "load", "name": name, "machine": machine})
        GAP.update(unicode_gap(server.ask({"op": "unicode"})["runs"]))
        yield server
    finally:
        server.close()


# -- Unicode tables --------------------------------------------------------------------------------
# Code points that node's ICU and Python's unicodedata class differently (as not printable, which
# describe() escapes, or as decimal digits, which numbers are read in): characters assigned in one
# Unicode version and not the other, a known gap (js/README.md). The fixture fills it; no value
# holding one is drawn (the strategies filter them out, the tests `assume` them away).
GAP: set[int] = set()
_NOT_PRINTABLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))


def unicode_gap(runs: list[list[int]]) -> set[int]:
    """The code points classed otherwise in Python than in the runs node gave ("unicode" op)."""
    js = bytearray(0x110000)
    for lo, hi, c in runs:
        js[lo:hi + 1] = bytes([c]) * (hi - lo + 1)
    category = unicodedata.category
    py = bytes(1 if (k := category(chr(i))) in _NOT_PRINTABLE else 2 if k == "Nd" else 0
               for i in range(0x110000))
    gap = set()
    for at in range(0, 0x110000, 4096):  # block by block: most blocks agree whole
        if js[at:at + 4096] != py[at:at + 4096]:
            gap.update(i for i in range(at, at + 4096) if js[i] != py[i])
    return gap


def in_gap(value: Any) -> bool:
    """``value`` (JSON) holds a character of GAP, in a text or a key."""
    if not GAP:
        return False
    if isinstance(value, str):
        return any(ord(c) in GAP for c in value)
    if isinstance(value, list):
        return any(in_gap(v) for v in value)
    if isinstance(value, dict):
        return any(in_gap(k) or in_gap(v) for k, v in value.items())
    return False


# -- comparing -------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """``value`` as JSON gives it back, a whole float written as an int.

    JavaScript cannot tell 5.0 (or 1e300) from 5 once parsed (a known gap, js/README.md), so a
    whole float reaches neither runtime, and output is compared with whole floats as ints.
    """
    def whole(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, list):
            return [whole(x) for x in v]
        if isinstance(v, dict):
            return {k: whole(x) for k, x in v.items()}
        return v
    return whole(json.loads(json.dumps(value, allow_nan=False)))


def text(value: Any) -> str:
    """Type-strict, order-strict JSON text (True is not 1, 1 is not 1.5, key order counts)."""
    return json.dumps(plain(value), ensure_ascii=False, indent=1)


def same(js: Any, py: Any, where: str) -> None:
    """``js`` and ``py`` are the same JSON, type- and order-strict, whole floats aside."""
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    if json.dumps(js, **compact) != json.dumps(py, **compact):  # the quick test first
        assert text(js) == text(py), where


# -- the Python side of the protocol ---------------------------------------------------------------
def error_of(exc: Exception, form: qengine.Form) -> dict[str, Any]:
    """An error of the Python runtime as agree.mjs writes a JavaScript one."""
    if isinstance(exc, AnswerError):
        return {"type": "AnswerError", "code": exc.code, "question": exc.question,
                "messages": exc.messages(form.languages)}
    if isinstance(exc, SubmitError):
        return {"type": "SubmitError", "code": exc.code,
                "violations": [v.to_dict() for v in exc.violations]}
    if isinstance(exc, SnapshotError):
        return {"type": "SnapshotError", "code": exc.code, "message": str(exc)}
    if isinstance(exc, RecordError):
        return {"type": "RecordError", "code": exc.code, "message": str(exc)}
    assert isinstance(exc, ParamError)
    return {"type": "ParamError", "code": exc.code, "param": exc.name, "message": str(exc)}


RUNTIME_ERRORS = (AnswerError, SubmitError, SnapshotError, ParamError)


def py_validate(form: qengine.Form, record: Any, params: Any, coerce: bool) -> dict[str, Any]:
    """The reply agree.mjs gives to a validate request, from Python's ``form.interpret`` (the
    oracle the JavaScript runtime follows; Python's generated validators are held to it elsewhere)."""
    try:
        report = form.interpret(record, params, coerce=coerce)
    except ParamError as exc:
        return {"refused": error_of(exc, form)}
    return {"report": {"ok": report.ok, "violations": [v.to_dict() for v in report.violations],
                       "path": list(report.path), "record": report.record}}


def py_findings(form: qengine.Form, record: Any, params: Any, coerce: bool) -> dict[str, Any]:
    """The reply agree.mjs gives to a findings request, from Python's ``form.findings`` and
    ``form.categories``."""
    try:
        return {"findings": [f.to_dict() for f in form.findings(record, params, coerce=coerce)],
                "categories": form.categories(record, params, coerce=coerce)}
    except (ParamError, RecordError) as exc:
        return {"refused": error_of(exc, form)}


def state(iv: Any) -> dict[str, Any]:
    """Everything a front end can read of an interview (agree.mjs's stateOf)."""
    q = iv.current
    return {"current": None if q is None else q.to_dict(), "history": list(iv.history),
            "answers": iv.answers, "kept": iv.kept, "violations": [v.to_dict() for v in iv.violations],
            "finished": iv.finished, "suggested": iv.suggested(), "params": dict(iv.params),
            "acknowledged": iv.acknowledged, "snapshot": iv.snapshot()}


#: the time every event of a script is stamped with, in both runtimes (snapshots hold the events)
CLOCK = "2026-12-02T08:00:00.000Z"


def clock() -> str:
    return CLOCK


def js_script(node: Node, name: str, params: Any, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """What agree.mjs replies to a script request (with the fixed clock)."""
    reply: dict[str, Any] = node.ask({"op": "script", "form": name, "params": params,
                                      "steps": steps, "clock": CLOCK})
    return reply


def py_step(form: qengine.Form, iv: Any, step: dict[str, Any], out: dict[str, Any]) -> Any:
    """One step (agree.mjs's step); returns the interview to go on with."""
    op = step["op"]
    if op == "submit":
        out["record"] = iv.submit()
        return iv
    if op == "acknowledge":
        iv.acknowledge(step["rule"], step["reason"])
        return iv
    if op == "snapshot":
        return form.resume(json.loads(json.dumps(iv.snapshot())), clock=clock)
    if op == "resume":
        return form.resume(step["snapshot"], clock=clock)
    q = {"answer": lambda: iv.answer(step["value"]), "back": iv.back, "forward": iv.forward,
         "goto": lambda: iv.goto(step["value"])}[op]()
    out["returned"] = None if q is None else q.id
    return iv


def py_script(form: qengine.Form, params: Any, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The reply agree.mjs gives to a script request, from the Python runtime."""
    try:
        iv = form.start(params, clock=clock)
    except ParamError as exc:
        return {"start": error_of(exc, form), "steps": []}
    done = []
    for step in steps:
        out: dict[str, Any] = {}
        try:
            iv = py_step(form, iv, step, out)
        except RUNTIME_ERRORS as exc:
            out["error"] = error_of(exc, form)
        done.append({**out, "state": state(iv)})
    return {"start": None, "steps": done}


# -- strategies: values ----------------------------------------------------------------------------
BLANKS = (None, "", " ", "\u3000", "\t\n", [])
JUNK = (True, False, "abc", [1, 2], [1, 1], ["x"], [True], {"a": 1}, 2.5, -3, 0, 1, 2, 7, 99, 10**16,
        10**20, 1e-7, 0.1, -0.5, 12.345, 1.23456789, 1e300, -10**15, 10**15, 10**15 + 1, 1900, 2101,
        1899, 2020, 65, 150, -1, 1.5, "1,234.5", "1，234", "②", "２", "１２", "①③", "1、2", "1 3",
        "2;3", "x" * 50, "é" * 45, "2020-02-30", "2020-13-01", "2020/01/01", "２０２０-０１-０１",
        "2020-02-29", "2019-02-29", "1899-12-31", "11010519491231002X", "11010519491231002x",
        "110105194912310021", "1101051949123100", "\x1c", "'quote", "it's \"q\"", "a\nb\tc\\",
        "\x7f\x01", "\u200b", "1e5", "1e999", "-1e999", "+5", ".5", "5.", "1.5e3", "12345678901234567",
        "0x10", "３.５", "٣", "  7  ", "ß", "𝟘", "\ud800x", "😀" * 30, [[1]], [None], ["1", "②"], [2.5],
        [1.5e300], [1, 2, 3, 4, 5, 6, 7, 8], {"k" * 50: [1, {"z": None}], "b": "c"})
# JSON numbers both runtimes read alike (see plain): ints within 2^53 (beyond it, JavaScript
# describes the double nearest, 28334749799052530 for 28334749799052528: a known gap; JUNK has a
# few that agree) and floats that are not whole
NUMBERS = st.one_of(st.integers(-2**53, 2**53),
                    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()))
JUNK_VALUES = st.one_of(
    st.sampled_from(JUNK + BLANKS), NUMBERS, st.booleans(), st.text(max_size=6),
    st.lists(st.one_of(st.integers(-2, 12), st.text(max_size=2)), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(-3, 3), max_size=2)).filter(lambda v: not in_gap(v))
UNKNOWN_KEYS = st.one_of(st.sampled_from(["zzz", "", "x" * 250, "é", "Q1", "end", "a'b", "😀",
                                          "\ud800", "é" * 120]),
                         st.text(max_size=5)).filter(lambda v: not in_gap(v))
FULLWIDTH = str.maketrans("0123456789.-,", "０１２３４５６７８９．－，")


def circled(code: int) -> str | int:
    return chr(0x2460 + code - 1) if type(code) is int and 1 <= code <= 20 else code  # a list of junk too


def entered_forms(q: Any, value: Any) -> list[Any]:
    """Ways a person may type the canonical answer ``value`` to ``q`` (an interview takes most,
    a strict validation refuses most)."""
    out: list[Any] = [value]
    if type(value) is int:
        out += [str(value), f" {value} ", str(value).translate(FULLWIDTH), f"{value:,}", float(value) + 0.5]
        if q.choices:
            out.append(circled(value))
            for c in q.choices:
                if c.code == value:
                    out += [*c.labels.values(), f" {next(iter(c.labels.values()))} "]
    elif type(value) is float:
        out += [repr(value), f"{value:,}", repr(value).translate(FULLWIDTH), f" {value} "]
    elif type(value) is list:  # a multiple choice
        out += ["".join(str(circled(c)) for c in value), "、".join(map(str, value)),
                " ".join(map(str, value)), [str(c) for c in value], [circled(c) for c in value],
                [*value, *value], list(reversed(value))]
        labels = {c.code: next(iter(c.labels.values())) for c in q.choices}
        out.append([labels.get(c, c) if type(c) is int else c for c in value])
    elif type(value) is str:
        out += [f" {value} ", f"\u3000{value}", value.translate(FULLWIDTH), value.upper(), value.lower()]
    return out


_ANSWERS: dict[tuple[str, str], st.SearchStrategy[Any]] = {}


def some_answer(form: qengine.Form, qid: str) -> st.SearchStrategy[Any]:
    """Valid answers to ``qid`` (made once: a new strategy costs hypothesis a validation)."""
    key = (form.id, qid)
    if key not in _ANSWERS:
        _ANSWERS[key] = answers(form.question(qid)).map(plain)
    return _ANSWERS[key]


@st.composite
def typed(draw: st.DrawFn, form: qengine.Form, qid: str, value: Any) -> Any:
    """``value`` as entered text, a label, a junk value or a blank, for question ``qid``."""
    kind = draw(st.sampled_from(("entered", "entered", "junk", "blank")))
    if kind == "entered":
        return plain(draw(st.sampled_from(entered_forms(form.question(qid), value))))
    return plain(draw(JUNK_VALUES if kind == "junk" else st.sampled_from(BLANKS)))


# -- strategies: params ----------------------------------------------------------------------------
def param_value(kind: str) -> st.SearchStrategy[Any]:
    if kind == "num":
        return st.one_of(st.integers(0, 20000), NUMBERS.filter(lambda x: abs(x) <= 10**15),
                         st.sampled_from([-10**15, 10**15, 0.5, 4000, 6500.5]))
    if kind == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat)
    return st.text(max_size=8)


def good_params(form: qengine.Form) -> st.SearchStrategy[Any]:
    """None, {} or overrides of some of ``form``'s params with values of their types."""
    optional = {name: param_value(form.param_info[name]["type"]) for name in form.params}
    overrides = st.fixed_dictionaries({}, optional=optional)
    return st.one_of(st.none(), overrides) if optional else st.sampled_from([None, {}])


BAD_PARAMS = st.one_of(
    st.sampled_from([{"zzz": 1}, {"": None}, [1], "x", 5, {"income_line": "4000"},
                     {"income_line": True}, {"income_line": 10**16}, {"income_line": None},
                     {"income_line": [4000]}, {"income_line": 1e300}, {"period_start": "2020-02-30"},
                     {"period_start": "２０２０-０１-０１"}, {"period_end": 20200101},
                     {"period_end": "2020-1-1"}, {"period_end": "\ud800"},
                     {"income_line": 4000, "nope": 1}, [], "", 0, {"x" * 101: 1}]),
    st.dictionaries(UNKNOWN_KEYS, JUNK_VALUES, min_size=1, max_size=2))


@st.composite
def any_params(draw: st.DrawFn, form: qengine.Form) -> Any:
    """Mostly good overrides, one time in eight bad ones (a ParamError in both runtimes)."""
    return draw(BAD_PARAMS if draw(st.integers(0, 7)) == 0 else good_params(form))


def try_params(form: qengine.Form, params: Any) -> Any:
    """``params`` when ``form`` takes them, else None (no record can be drawn for them)."""
    try:
        form.resolve_params(params)
    except ParamError:
        return None
    return params


# -- strategies: records ---------------------------------------------------------------------------
@st.composite
def base_records(draw: st.DrawFn, form: qengine.Form, params: Any) -> dict[str, Any]:
    """A valid record, one drawn without the checks (the cheapest to draw), or one with a known
    defect."""
    kind = draw(st.sampled_from(("valid", "unchecked", "unchecked", "defect")))
    if kind == "defect":
        return draw(invalid_records(form)).record
    return draw(records(form, params=params, valid=kind == "valid"))


@st.composite
def perturbed(draw: st.DrawFn, form: qengine.Form, params: Any = None) -> Any:
    """A record of ``form`` with a few values changed: entered text, junk, blanks, answers to
    skipped questions, dropped answers, unknown keys, given computed values; now and then not a
    record at all."""
    if draw(st.integers(0, 30)) == 0:
        return plain(draw(st.sampled_from([[], "text", 5, None, True, 2.5, [{"a": 1}], [["q1", 1]]])))
    record = plain(draw(base_records(form, params)))
    asked = [q.id for q in form.questions if not q.computed]
    computed = [q.id for q in form.questions if q.computed]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("typed", "typed", "other", "drop", "unknown", "computed")))
        qid = draw(st.sampled_from(asked))
        if kind == "typed":
            value = record[qid] if qid in record else draw(some_answer(form, qid))
            record[qid] = draw(typed(form, qid, value))
        elif kind == "other":  # a valid answer, perhaps to a question the record skips
            record[qid] = draw(some_answer(form, qid))
        elif kind == "drop":
            record.pop(qid, None)
        elif kind == "unknown":
            record[draw(UNKNOWN_KEYS)] = draw(JUNK_VALUES)
        elif computed:
            cid = draw(st.sampled_from(computed))
            right = form.interpret(record, try_params(form, params)).record.get(cid)
            near = right * (1 + 1e-8) if isinstance(right, (int, float)) else right
            record[cid] = plain(draw(st.sampled_from([right, near, 0, 1.5, "x", "", None, True, []])))
    return record


# -- strategies: interview scripts -----------------------------------------------------------------
def damaged(snap: dict[str, Any], form: qengine.Form, draw: st.DrawFn) -> Any:
    """``snap`` with one thing changed (most changes make it refused)."""
    snap = json.loads(json.dumps(snap))
    kind = draw(st.sampled_from(("answer", "answer", "kept", "history", "field", "params", "whole",
                                 "trail")))
    asked = [q.id for q in form.questions if not q.computed]
    if kind == "answer" and snap["history"]:
        qid = draw(st.sampled_from(snap["history"]))
        snap["answers"][qid] = draw(typed(form, qid, snap["answers"][qid]))
    elif kind == "kept":
        qid = draw(st.sampled_from([*asked, "zzz", "end"]))
        snap["answers"][qid] = draw(JUNK_VALUES if qid not in asked else some_answer(form, qid))
    elif kind == "history" and snap["history"]:
        how = draw(st.sampled_from(("drop", "dup", "rotate", "number", "unanswered")))
        h = snap["history"]
        if how == "drop":
            del h[0]
        elif how == "dup":
            h.append(h[0])
        elif how == "rotate":
            h.append(h.pop(0))
        elif how == "number":
            h[0] = 7
        else:
            snap["answers"].pop(h[-1])
    elif kind == "field":
        key = draw(st.sampled_from(("form", "version", "answers", "history", "qengine_snapshot")))
        snap[key] = draw(st.sampled_from(["other", "0", None, 1, 2, True, [], {}]))
    elif kind == "params":
        if draw(st.booleans()):
            snap.pop("params")
        else:
            snap["params"] = draw(st.one_of(BAD_PARAMS, good_params(form)))
    elif kind == "whole":
        return draw(st.sampled_from([[], None, "x", {"qengine_snapshot": 1}, {}]))
    elif kind == "trail":  # acknowledgements and events: optional (older snapshots), checked
        key = draw(st.sampled_from(("acknowledged", "events", "events_dropped")))
        if draw(st.booleans()):
            snap.pop(key, None)
        else:
            warning = draw(st.sampled_from([*WARNINGS[form.id], "zzz"]))
            snap[key] = draw(st.sampled_from([
                None, [], {}, -1, 0, 3, "x", {warning: "ok"}, {warning: " "}, {warning: "x" * 1001},
                [{"event": "answered", "at": CLOCK, "question": "x"}], [{"event": "zzz", "at": CLOCK}],
                [{"event": "submitted"}], [{"event": "resumed", "at": 5}], [1]]))
    return plain(snap)


MOVES = ("answer",) * 8 + ("typed", "typed", "junk", "other", "back", "back", "forward", "goto", "change",
                           "bad_goto", "snapshot", "submit", "resume", "acknowledge")
#: each form's warnings (what acknowledge takes)
WARNINGS = {form.id: [c.id for c in form.checks if c.severity == "warning"]
            for form in FORMS.values()}
REASONS = ("村干部核实", "ok", "", "  ", "x" * 1000, "x" * 1001, 5, None)


@st.composite
def scripts(draw: st.DrawFn, form: qengine.Form) -> tuple[Any, list[dict[str, Any]], int]:
    """(params, steps, cut): an interview script for ``form``, driven by the Python runtime so that
    it reaches the end (answers from a record in path order, with back/forward/goto, changed and
    refused answers, snapshot/resume, damaged snapshots, early submits, then submit), and the step
    after which a snapshot is taken to another runtime."""
    params = plain(draw(any_params(form)))
    good = try_params(form, params)
    # a valid record (one that can be submitted) a third of the time: drawing one costs more
    record = plain(draw(records(form, params=good, valid=draw(st.integers(0, 2)) == 0)))
    steps: list[dict[str, Any]] = []
    try:
        iv = form.start(params)
    except ParamError:
        return params, [{"op": "answer", "value": 1}], 0
    box = [iv]

    def do(step: dict[str, Any]) -> bool:
        steps.append(step)
        try:
            box[0] = py_step(form, box[0], step, {})
        except RUNTIME_ERRORS:
            return False
        return True

    extras = draw(st.integers(0, len(form.questions)), label="extras")
    while not box[0].finished and len(steps) < 6 * len(form.questions):
        iv = box[0]
        qid = iv.current.id
        move = draw(st.sampled_from(MOVES), label="move") if extras > 0 else "answer"
        if move != "answer":
            extras -= 1
        if move == "answer":
            value = record[qid] if qid in record else draw(some_answer(form, qid))
            if not do({"op": "answer", "value": value}) and not do(
                    {"op": "answer", "value": draw(some_answer(form, qid))}):
                break  # a drawn answer refused: cannot happen, the comparison goes on all the same
        elif move in ("typed", "junk", "other"):
            value = record[qid] if qid in record else draw(some_answer(form, qid))
            value = (draw(typed(form, qid, value)) if move == "typed" else plain(draw(JUNK_VALUES))
                     if move == "junk" else draw(some_answer(form, qid)))
            do({"op": "answer", "value": value})
        elif move in ("back", "forward", "snapshot", "submit"):
            do({"op": move})
        elif move in ("goto", "change") and iv.history:
            target = draw(st.sampled_from(list(iv.history)), label="goto")
            do({"op": "goto", "value": target})
            if move == "change":
                do({"op": "answer", "value": draw(some_answer(form, target))})
        elif move == "bad_goto":
            later = [q.id for q in form.questions[iv.current.index:]]
            do({"op": "goto", "value": draw(st.sampled_from(["zzz", "end", "", 5, None, *later[:3]]))})
        elif move == "resume":
            do({"op": "resume", "snapshot": damaged(plain(iv.snapshot()), form, draw)})
        elif move == "acknowledge":  # mostly a warning that holds, with a reason
            holding = [v.rule for v in iv.violations if v.severity == "warning"]
            rule = draw(st.sampled_from([*holding, *holding, *WARNINGS[form.id], "zzz", 5]))
            do({"op": "acknowledge", "rule": rule,
                "reason": draw(st.sampled_from(REASONS[:2] * 3 + REASONS))})
    for op in ("snapshot", "submit", "back", "submit", "forward", "forward", "submit"):
        do({"op": op})
    cut = draw(st.integers(0, len(steps) - 1), label="cut")
    return params, steps, cut


# -- the tests -------------------------------------------------------------------------------------
def test_the_server_replies_to_a_bad_request_and_goes_on(node: Node) -> None:
    """A bad line, op, form or step gets an error reply; the process answers the next request."""
    assert set(node.exchange("not json")) == {"error"}
    for bad in ({"op": "nope"}, {"op": "validate", "form": "zzz", "record": {}}, [1], None,
                {"op": "script", "form": "annex7", "steps": [{"op": "jump"}]},
                {"op": "load", "name": "x", "machine": {"format": "nope"}}):
        assert set(node.call(bad)) == {"error"}, bad
    form = FORMS["annex7"]
    same(node.ask({"op": "validate", "form": "annex7", "record": {}}), py_validate(form, {}, None, False),
         "after the errors")


@pytest.mark.parametrize("name", NAMES)
def test_the_questions_agree(node: Node, name: str) -> None:
    """Each question's toDict() and the params, read from a fresh load, are Python's."""
    form = FORMS[name]
    machine = form.to_json()
    machine["source"] = None
    reply = node.ask({"op": "load", "name": f"{name}-again", "machine": machine})
    same(reply["questions"], [q.to_dict() for q in form.questions], "questions")
    same(reply["params"], dict(form.params), "params")
    same([reply["id"], reply["version"], reply["languages"]],
         [form.id, form.version, list(form.languages)], "id, version, languages")


def check_validate(node: Node, name: str, record: Any, params: Any) -> None:
    """The same report, findings and categories, strict and with coerce=True."""
    form = FORMS[name]
    for coerce in (False, True):
        request = {"form": name, "record": record, "params": params, "coerce": coerce}
        where = f"{name} coerce={coerce} params={params!r} record={record!r}"
        same(node.ask({"op": "validate", **request}), py_validate(form, record, params, coerce),
             where)
        same(node.ask({"op": "findings", **request}), py_findings(form, record, params, coerce),
             f"findings: {where}")


@RECORDS
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_validate_agrees(node: Node, name: str, data: st.DataObject) -> None:
    """Strict and coerce validation of drawn and perturbed records: the same violations (rule,
    severity, questions, message, messages, in order), path and canonical record; the same
    findings (to_dict, in order) and categories."""
    record = data.draw(perturbed(FORMS[name]))
    assume(not in_gap(record))
    check_validate(node, name, record, None)


@PARAMS
@given(data=st.data())
def test_validate_agrees_under_params(node: Node, data: st.DataObject) -> None:
    """Annex 6 with its params overridden (values of each param's type, or bad overrides, which
    both runtimes refuse with the same ParamError): the same reports."""
    form = FORMS["annex6"]
    params = plain(data.draw(any_params(form), label="params"))
    record = data.draw(perturbed(form, try_params(form, params)))
    assume(not in_gap([record, params]))
    check_validate(node, "annex6", record, params)


def check_resumed(node: Node, name: str, snap: Any, steps: list[dict[str, Any]], where: str) -> None:
    """``snap`` resumed, then ``steps``: the same in both runtimes. (Compared with a resume in the
    same runtime, not with the interview snapped: resuming answers the history first, so the
    order of ``kept`` may change, in both runtimes alike.)"""
    script = [{"op": "resume", "snapshot": snap}, *steps]
    js = js_script(node, name, None, script)["steps"]
    py = py_script(FORMS[name], None, script)["steps"]
    assert "error" not in py[0], py[0]["error"]
    for i, (j, p) in enumerate(zip(js, py)):
        same(j, p, f"{name}: {where}, step {i - 1} after the resume: {script[i]}")


@SCRIPTS
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_interviews_agree(node: Node, name: str, data: st.DataObject) -> None:
    """A drawn interview script gives the same state after every step (current question's
    to_dict, history, answers, kept, violations, finished, suggested, params, snapshot), the same
    errors (AnswerError code, question and messages; SubmitError code and violations; SnapshotError
    and ParamError code and message) and records; a snapshot of the two runtimes, resumed in each,
    goes on the same."""
    form = FORMS[name]
    params, steps, cut = data.draw(scripts(form), label="script")
    assume(not in_gap([params, steps]))
    js = js_script(node, name, params, steps)
    py = py_script(form, params, steps)
    same(js["start"], py["start"], f"{name}: start with params {params!r}")
    for i, (j, p) in enumerate(zip(js["steps"], py["steps"])):
        same(j, p, f"{name} params={params!r}: step {i} {steps[i]}")
    assert len(js["steps"]) == len(py["steps"])
    if py["start"] is None:
        # the two runtimes' snapshots are equal (compared above), so this one is both Python's
        # resumed in JavaScript and JavaScript's resumed in Python
        check_resumed(node, name, js["steps"][cut]["state"]["snapshot"], steps[cut + 1:],
                      f"the snapshot after step {cut}")


# -- disagreements found here, fixed: each keeps its test ---------------------------------------
def test_a_long_unknown_param_name_is_refused_alike(node: Node) -> None:
    """A param name of 101 characters: the same ParamError, and the same SnapshotError message."""
    form = FORMS["annex6"]
    params = {"x" * 101: 1}
    snap = {**form.start().snapshot(), "params": params}
    for name in ("annex6", "annex7"):
        same(node.ask({"op": "validate", "form": name, "record": {}, "params": params}),
             py_validate(FORMS[name], {}, params, False), f"{name}: validate")
    steps = [{"op": "resume", "snapshot": snap}]
    same(js_script(node, "annex6", None, steps),
         py_script(form, None, steps), "resume")


def test_an_empty_list_of_params_is_refused_alike(node: Node) -> None:
    """``params=[]`` (a JSON empty list, no mapping): the same ParamError in both runtimes."""
    form = FORMS["annex7"]
    same(js_script(node, "annex7", [], []), py_script(form, [], []),
         "start")
    same(node.ask({"op": "validate", "form": "annex7", "record": {}, "params": []}),
         py_validate(form, {}, [], False), "validate")
