"""Write js/test/interviews/<form>.json: scripted interviews of each bundled form with the Python
runtime's state after every step (qengine.runtime.interview), for js/test/interview.test.js.

Each script answers the questions from a record of qengine.testing.records(form), with back() and
forward() every few steps, goto + a changed answer, entered text ("12", " 7 "), snapshot -> resume
(the snapshot JSON is expected as it is), refused values (AnswerError code, state unchanged), a bad
goto, an early submit and a final submit. Also damaged snapshots with Python's SnapshotError code.
Every Python snapshot is checked to resume in Python to the same snapshot.

Run from the repository root: /tmp/venv/bin/python js/test/make_interviews.py
"""

from __future__ import annotations

import copy
import json
import random
import re
import sys
import warnings
from pathlib import Path

import qengine
from qengine.errors import AnswerError, SnapshotError, SubmitError
from qengine.testing import records

sys.path.insert(0, str(Path(__file__).parent))
from make_fixtures import JUNK, clean

HERE = Path(__file__).parent / "interviews"
FORMS = ("annex5", "annex6", "annex7")
SCRIPTS = 8
POOL = 40
MAX_STEPS = 400
#: every event's time (js/test/interview.test.js passes the same clock)
CLOCK = "2026-12-02T08:00:00.000Z"


def clock():
    return CLOCK


def state(iv):
    q = iv.current
    return {"current": None if q is None else q.id, "history": list(iv.history),
            "answers": iv.answers, "kept": iv.kept,
            "violations": [v.to_dict() for v in iv.violations], "finished": iv.finished}


def jsonable(x):
    return clean(json.loads(json.dumps(x, allow_nan=False)))


class Script:
    def __init__(self, form, iv):
        self.form, self.iv, self.steps = form, iv, []
        self.resumed = 0
        self.last = {}

    def do(self, op, arg=None):
        iv = self.iv
        step = {"op": op}
        if op in ("answer", "goto"):
            step["value"] = arg
        before = state(iv)
        try:
            if op == "answer":
                iv.answer(arg)
            elif op == "back":
                iv.back()
            elif op == "forward":
                iv.forward()
            elif op == "goto":
                iv.goto(arg)
            elif op == "submit":
                step["record"] = iv.submit()
            elif op == "snapshot":
                snap = jsonable(iv.snapshot())
                again = self.form.resume(snap, clock=clock)
                resumed = {"event": "resumed", "at": CLOCK, "version": self.form.version}
                assert again.snapshot() == {**snap, "events": [*snap["events"], resumed]}, (
                    "a Python snapshot does not resume to itself (and a resumed event)")
                assert state(again) == state(iv), "a resumed interview differs"
                step["snapshot"] = snap
                self.iv = again
                self.resumed += 1
        except AnswerError as exc:
            step["error"] = {"type": "AnswerError", "code": exc.code, "question": exc.question}
            assert state(iv) == before, "a refused answer changed the interview"
        except SubmitError as exc:
            step["error"] = {"type": "SubmitError", "code": exc.code,
                             "violations": [v.to_dict() for v in exc.violations]}
        now = jsonable(state(self.iv))
        # only what changed since the previous step (the test carries the rest forward)
        step["state"] = {k: v for k, v in now.items() if self.last.get(k, step) != v}
        self.last = now
        self.steps.append(step)
        return "error" not in step


def valid_values(form, pool, qid, rnd):
    vals = [r[qid] for r in pool if qid in r]
    rnd.shuffle(vals)
    return vals


def script(form, record, pool, rnd, params):
    s = Script(form, form.start(params, clock=clock))
    k = rnd.randint(3, 7)
    n = 0
    changed = 0
    while not s.iv.finished and n < MAX_STEPS:
        n += 1
        q = s.iv.current
        roll = rnd.random()
        if roll < 0.06:
            s.do("answer", jsonable(rnd.choice(JUNK)))  # mostly refused
            continue
        if roll < 0.08 and s.iv.history:
            s.do("goto", rnd.choice(["zzz", q.id, 5]))
            continue
        if roll < 0.12:
            s.do("snapshot")
            continue
        if roll < 0.14 and s.iv.suggested() is not None:
            s.do("forward")
            continue
        if roll < 0.18 and changed < 2 and len(s.iv.history) > 2:
            qid = rnd.choice(s.iv.history)
            s.do("goto", qid)
            cur = s.iv.kept.get(qid)
            others = [v for v in valid_values(form, pool, qid, rnd) if v != cur]
            if not others or not s.do("answer", jsonable(others[0])):
                s.do("forward")
            changed += 1
            continue
        if roll < 0.19:
            s.do("submit")
            continue
        value = record.get(q.id)
        if rnd.random() < 0.15 and type(value) is int:
            value = rnd.choice([str(value), f" {value} "])
        if not s.do("answer", jsonable(value)):
            for alt in valid_values(form, pool, q.id, rnd)[:5]:
                if s.do("answer", jsonable(alt)):
                    break
            else:
                if q.id not in s.iv.history and s.iv.current is q:
                    break  # no valid value found: stop here (submit reports unfinished)
        if len(s.iv.history) % k == 0 and s.iv.history:
            s.do("back")
            s.do("forward")
    s.do("snapshot")
    s.do("submit")
    if s.iv.history:
        s.do("back")
        s.do("submit")
    return s


def damaged(form, snap, rnd):
    asked = [q.id for q in form.questions if not q.computed]
    cases = [[], None, "x", {"qengine_snapshot": 2}, {"qengine_snapshot": True}]
    for key, bad in (("form", "other"), ("form", None), ("version", "0"), ("version", 1),
                     ("answers", []), ("history", {}), ("params", None), ("params", {"zzz": 1}),
                     ("params", {"income_line": "x"}), ("params", {"period_start": "2020-13-01"})):
        d = copy.deepcopy(snap)
        d[key] = bad
        cases.append(d)
    d = copy.deepcopy(snap)
    d.pop("params")
    cases.append(d)
    if len(snap["history"]) > 1:
        d = copy.deepcopy(snap)
        d["history"] = d["history"][1:]
        cases.append(d)
        d = copy.deepcopy(snap)
        d["answers"].pop(d["history"][0])
        cases.append(d)
        d = copy.deepcopy(snap)
        d["history"].append(d["history"][0])
        cases.append(d)
        d = copy.deepcopy(snap)
        d["history"][0] = 7
        cases.append(d)
        for _ in range(4):
            d = copy.deepcopy(snap)
            d["answers"][rnd.choice(d["history"])] = jsonable(rnd.choice(JUNK))
            cases.append(d)
    for _ in range(4):
        d = copy.deepcopy(snap)
        d["answers"][rnd.choice(asked)] = jsonable(rnd.choice(JUNK))
        cases.append(d)
    for key in ("zzz", "end", "Q1"):
        d = copy.deepcopy(snap)
        d["answers"][key] = 1
        cases.append(d)
    # the trail: optional (an older snapshot), malformed ones refused
    warning = next((c.id for c in form.checks if c.severity == "warning"), "zzz")
    for key, bad in (("acknowledged", None), ("acknowledged", []), ("acknowledged", {"zzz": "x"}),
                     ("acknowledged", {warning: "  "}), ("acknowledged", {warning: "x" * 1001}),
                     ("acknowledged", {warning: "x" * 1000}), ("events", None), ("events", {}),
                     ("events", [1]), ("events", [{"event": "zzz", "at": CLOCK}]),
                     ("events", [{"event": "answered"}]), ("events", [{"event": "answered", "at": 1}]),
                     ("events", [{"event": "submitted", "at": CLOCK, "extra": [1, {"a": None}]}]),
                     ("events", [{"event": "submitted", "at": CLOCK, "extra": [1, "x", None]}]),
                     ("events", [{"event": "answered", "at": CLOCK, "value": 10**16}]),
                     ("events", [{"event": "answered", "at": CLOCK, "value": [[1]]}]),
                     ("events", [{"event": "answered", "at": CLOCK, "value": "\ud800"}]),
                     ("events_dropped", -1), ("events_dropped", 1.5), ("events_dropped", "1"),
                     ("events_dropped", 7)):
        d = copy.deepcopy(snap)
        d[key] = bad
        cases.append(d)
    for key in ("acknowledged", "events", "events_dropped"):
        d = copy.deepcopy(snap)
        d.pop(key)
        cases.append(d)
    out = []
    for d in cases:
        try:
            iv = form.resume(d, clock=clock)
            out.append({"snapshot": d, "code": None, "state": jsonable(state(iv)),
                        "resumed": jsonable(iv.snapshot())})
        except SnapshotError as exc:
            out.append({"snapshot": d, "code": exc.code})
    return out


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(11)
    warnings.simplefilter("ignore")
    total = 0
    for name in FORMS:
        form = qengine.load(name)
        strategy = records(form)
        pool = [jsonable(strategy.example()) for _ in range(POOL)]
        scripts = []
        snaps = []
        for i in range(SCRIPTS):
            params = None
            if form.params and i % 3 == 1:
                params = {"income_line": rnd.choice([3000, 4000, 6500.5])} if (
                    "income_line" in form.params) else None
            s = script(form, pool[i], pool, rnd, params)
            scripts.append({"params": params, "steps": s.steps})
            snaps += [st["snapshot"] for st in s.steps if "snapshot" in st]
        bad = []
        for snap in rnd.sample(snaps, min(2, len(snaps))):
            bad += damaged(form, snap, rnd)
        text = json.dumps({"form": name, "scripts": scripts, "snapshots": bad},
                          ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        text = re.sub(r"[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")
        total += len(text)
        nsteps = sum(len(s["steps"]) for s in scripts)
        print(f"{name}: {len(scripts)} scripts, {nsteps} steps, {len(snaps)} snapshots "
              f"resumed in Python, {len(bad)} damaged snapshots, {len(text) / 1e6:.2f} MB",
              file=sys.stderr)
    print(f"total {total / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
