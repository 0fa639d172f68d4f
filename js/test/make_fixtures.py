"""Write js/test/fixtures/<form>.json: the machine of each bundled form and records with what the
Python runtime says of them (form.interpret, strict and coerce=True).

Run from the repository root: /tmp/venv/bin/python js/test/make_fixtures.py
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import warnings
from pathlib import Path

import qengine
from qengine.testing import records

HERE = Path(__file__).parent / "fixtures"
FORMS = ("annex5", "annex6", "annex7")
PER_KIND = {"valid": 40, "invalid": 25, "junk": 90, "not_asked": 20, "unknown": 12,
            "computed": 12, "blank": 12}

JUNK = [True, False, "abc", "", "   ", None, [], [1, 2], [1, 1], ["x"], [True], {"a": 1}, 2.5,
        -3, 0, 1, 2, 3, 7, 99, 10**16, 10**20, 1e-7, 123.456, 0.1, -0.5, 12.345, 1.23456789,
        "1,234.5", "1，234", "②", "２", "１２", "①③", "1、2", "1 3", "2;3", "x" * 50, "é" * 45,
        "2020-02-30", "2020-13-01", "2020/01/01", "２０２０-０１-０１", "2020-02-29", "2019-02-29",
        "1899-12-31", "2100-01-01", "11010519491231002X", "110105194912310021",
        "11010519491331002X", "1101051949123100", "11010519491231002x", "\u00a0", "\x1c", "\u3000",
        "'quote", "it's \"q\"", "a\nb\tc\\", "\x7f\x01", "\u200b", "1e5", "1e999", "-1e999",
        "+5", ".5", "5.", "1.5e3", "12345678901234567", "0x10", "３.５", "٣", "  7  ",
        [1, 2, 3, 4, 5, 6, 7, 8], [[1]], [None], ["1", "②"], [2.5], [1.5e300], 1e300,
        -10**15, 10**15, 10**15 + 1, 1900, 2101, 1899, 2020, 65, 150, -1, 1.5,
        "ß", "𝟘", "\ud800x", "😀" * 30, {"k" * 50: [1, {"z": None}], "b": "c"}]


def clean(value):
    """JSON-safe and without integral floats (JavaScript cannot tell 5.0 from 5)."""
    if isinstance(value, float):
        assert math.isfinite(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def expect(form, record, coerce):
    report = form.interpret(record, coerce=coerce)
    return {"violations": [v.to_dict() for v in report.violations], "path": report.path,
            "record": report.record, "ok": report.ok}


def labels_of(form):
    out = []
    for q in form.questions:
        for c in q.choices:
            out.extend(c.labels.values())
    return out


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(9)
    warnings.simplefilter("ignore")
    total = 0
    for name in FORMS:
        form = qengine.load(name)
        machine = form.to_json()
        machine["source"] = None
        asked = [q for q in form.questions if not q.computed]
        computed = [q for q in form.questions if q.computed]
        labels = labels_of(form)
        valid_strategy = records(form)
        invalid_strategy = records(form, valid=False)
        base = [valid_strategy.example() for _ in range(PER_KIND["valid"])]
        cases = [("valid", r) for r in base]
        cases += [("invalid", invalid_strategy.example()) for _ in range(PER_KIND["invalid"])]
        for _ in range(PER_KIND["junk"]):
            r = dict(rnd.choice(base))
            for _k in range(rnd.randint(1, 3)):
                q = rnd.choice(asked)
                pool = JUNK + labels + [" " + rnd.choice(labels) + " "]
                r[q.id] = rnd.choice(pool)
            cases.append(("junk", r))
        for _ in range(PER_KIND["not_asked"]):
            r = dict(rnd.choice(base))
            path = set(form.path(r))
            skipped = [q for q in asked if q.id not in path]
            for q in rnd.sample(skipped, min(len(skipped), rnd.randint(1, 3))):
                r[q.id] = rnd.choice([1, "x", "", [], None, 0, False, [1]])
            cases.append(("not_asked", r))
        for _ in range(PER_KIND["unknown"]):
            r = dict(rnd.choice(base))
            for key in rnd.sample(["zzz", "", "x" * 250, "é", "Q1", "end", "a'b", "😀",
                                   "\u00e9x" * 30], rnd.randint(1, 3)):
                r[key] = rnd.choice([1, "v", None])
            cases.append(("unknown", r))
        for _ in range(PER_KIND["computed"] if computed else 0):
            r = dict(rnd.choice(base))
            for q in computed:
                right = form.validate(r).record.get(q.id)
                r[q.id] = rnd.choice([right, 0, 1.5, "x", "", None, [], True, 10**16,
                                      right if right is None else right * (1 + 1e-8)])
            cases.append(("computed", r))
        for _ in range(PER_KIND["blank"]):
            r = dict(rnd.choice(base))
            for q in rnd.sample(asked, rnd.randint(1, 5)):
                if rnd.random() < 0.5:
                    r.pop(q.id, None)
                else:
                    r[q.id] = rnd.choice([None, "", " ", []])
            cases.append(("blank", r))
        for junk in ([], "text", 5, None, True, 2.5, [{"a": 1}]):
            cases.append(("not_a_record", junk))
        out = []
        for kind, record in cases:
            record = clean(json.loads(json.dumps(record, allow_nan=False)))
            out.append({"kind": kind, "input": record, "strict": expect(form, record, False),
                        "coerce": expect(form, record, True)})
        text = json.dumps({"form": name, "machine": machine,
                           "questions": [q.to_dict() for q in form.questions], "cases": out},
                          ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        # a lone surrogate cannot be UTF-8: write it as a JSON escape
        text = re.sub(r"[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")
        total += len(text)
        print(f"{name}: {len(out)} records, {len(text) / 1e6:.2f} MB", file=sys.stderr)
    print(f"total {total / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
