"""The two runtimes' machine checks agree: a machine damaged at random (a key dropped, a value
replaced by another kind, list items swapped or duplicated, an id reused) is refused by the
JavaScript runtime's ``loadMachine`` exactly when Python's ``Form.from_json`` refuses it, and a
machine both take runs the same (the path and the violations of a record).

Needs node; skips without it, as tests/test_js_runtime.py does.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

import qengine
from qengine import Form, FormError
from qengine.testing import records

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)")

JUNK: list[Any] = [None, 0, -1, 1, 2.5, "", "x", "end", [], {}, True, False, 10**16, "q1",
                   [1, 2], {"op": "answer"}, "\ud800", "a" * 300]

#: for each machine: "ok" and the report of one record, or "refused"
SCRIPT = """
import { readFileSync } from "node:fs";
import { loadMachine, FormError } from "%s";
const items = JSON.parse(readFileSync(0, "utf8"));
const out = items.map(({ machine, record }) => {
  let form;
  try { form = loadMachine(machine); } catch (exc) {
    if (exc instanceof FormError) return { verdict: "refused" };
    return { verdict: "crashed", error: String(exc && exc.stack || exc) };
  }
  try {
    const r = form.validate(record, { coerce: true });
    const found = form.findings(record, null, { coerce: true }).map((f) => [f.id, f.descriptions]);
    return { verdict: "ok", path: r.path, rules: r.violations.map((v) => [v.rule, v.questions]),
             found, categories: form.categories(record, null, { coerce: true }) };
  } catch (exc) {
    return { verdict: "crashed", error: String(exc && exc.stack || exc) };
  }
});
process.stdout.write(JSON.stringify(out));
"""


def paths_of(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths_of(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths_of(v, (*at, i))
    return out


def ids_of(machine: dict[str, Any]) -> list[Any]:
    """The ids of the questions a (damaged) machine still has: an earlier damage may have replaced
    the list, a question or its id with junk."""
    questions = machine.get("questions")
    if not isinstance(questions, list):
        return []
    return [q["id"] for q in questions if isinstance(q, dict) and "id" in q]


def damaged(machine: dict[str, Any], rnd: random.Random,
            under: tuple[str, ...] = ()) -> dict[str, Any]:
    """The machine with one to three random damages (only inside the top-level keys ``under``,
    when given)."""
    m = copy.deepcopy(machine)
    for _ in range(rnd.randint(1, 3)):
        paths = [p for p in paths_of(m)[1:] if not under or (p[0] in under and len(p) > 1)]
        path = rnd.choice(paths)
        parent = m
        for key in path[:-1]:
            parent = parent[key]
        key, kind = path[-1], rnd.random()
        if kind < 0.25 and isinstance(parent, dict):
            del parent[key]
        elif kind < 0.35 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif kind < 0.45 and isinstance(parent, list) and len(parent) > 1:
            j = rnd.randrange(len(parent))
            parent[key], parent[j] = parent[j], parent[key]
        elif kind < 0.55 and key == "id" and ids_of(m):
            parent[key] = rnd.choice(ids_of(m))
        else:
            parent[key] = copy.deepcopy(rnd.choice(JUNK))
    return m


def python_verdict(machine: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    try:
        form = Form.from_json(machine)
    except FormError:
        return {"verdict": "refused"}
    report = form.validate(record, coerce=True)
    found = [[f.id, dict(f.descriptions)] for f in form.findings(record, coerce=True)]
    return {"verdict": "ok", "path": list(report.path),
            "rules": [[v.rule, list(v.questions)] for v in report.violations],
            "found": found, "categories": form.categories(record, coerce=True)}


#: a small form with what the bundled ones lack: choice names, renamed_from, acknowledge
NAMED = """\
form: named
version: "2"
title: Named
sections:
  - id: main
    questions:
      - {id: q1, label: Fuel, type: single, renamed_from: [fuel, q0],
         choices: [{code: 1, name: wood, label: Wood}, {code: 2, name: "gas.lpg", label: Gas},
                   {code: 3, label: Other}]}
      - {id: q2, label: Crops, type: multiple, required: false,
         choices: [{code: 1, name: rice, label: Rice}, {code: 2, name: "wheat:w-1", label: Wheat}]}
      - {id: q3, label: Size, type: integer, renamed_from: [size]}
checks:
  - {id: big, severity: warning, acknowledge: required, when: "q3 > 10", message: big}
  - {id: odd, severity: warning, when: "q3 > 20", message: odd}
"""


def machine_of(name: str) -> dict[str, Any]:
    form = qengine.load_text(NAMED) if name == "named" else qengine.load(name)
    machine: dict[str, Any] = json.loads(json.dumps(form.to_json()))
    return machine


def run_node(script_text: str, items: Any, tmp_path: Path) -> Any:
    script = tmp_path / "check.mjs"
    script.write_text(script_text % (ROOT / "js" / "src" / "index.js").as_uri(), encoding="utf-8")
    assert NODE is not None
    result = subprocess.run([NODE, str(script)], input=json.dumps(items, ensure_ascii=True),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


#: the messages of each machine's problems, or null for a machine taken
MESSAGES = """
import { readFileSync } from "node:fs";
import { loadMachine, FormError } from "%s";
const out = JSON.parse(readFileSync(0, "utf8")).map((machine) => {
  try { loadMachine(machine); return null; } catch (exc) {
    if (exc instanceof FormError) return exc.problems.map((p) => p.message);
    return ["crashed: " + String(exc && exc.stack || exc)];
  }
});
process.stdout.write(JSON.stringify(out));
"""


def test_the_new_machine_fields_are_checked_with_pythons_messages(tmp_path: Path) -> None:
    """Choice names (the pattern, unique in the question), renamed_from (ids, none of this
    version's, none claimed twice) and a check's acknowledge (only "required", only on a
    warning): refused by both runtimes with the same messages at the same JSON pointers."""
    base = machine_of("named")

    def with_(change: Any) -> dict[str, Any]:
        m = copy.deepcopy(base)
        change(m)
        return m

    def choice(q: int, k: int, value: Any) -> Any:
        return lambda m: m["questions"][q]["choices"][k].__setitem__("name", value)

    def renamed(q: int, value: Any) -> Any:
        return lambda m: m["questions"][q].__setitem__("renamed_from", value)

    def check(c: int, key: str, value: Any) -> Any:
        return lambda m: m["checks"][c].__setitem__(key, value)

    machines = [with_(change) for change in (
        choice(0, 1, "wood"), choice(0, 0, ""), choice(0, 0, "a b"), choice(0, 0, "x" * 101),
        choice(0, 0, "é"), choice(0, 0, 5), choice(0, 0, None), choice(0, 0, "\ud800"),
        choice(0, 2, "x" * 100), choice(1, 0, "wood"),
        renamed(0, ["q3"]), renamed(0, ["size"]), renamed(0, ["fuel", "fuel"]),
        renamed(0, ["Fuel"]), renamed(0, ["1a"]), renamed(0, [""]), renamed(0, ["a" * 101]),
        renamed(0, [5, None]), renamed(0, "fuel"), renamed(0, {}), renamed(0, []),
        renamed(2, ["it's"]), renamed(2, ["q2"]),
        check(0, "acknowledge", "optional"), check(0, "acknowledge", True),
        check(0, "acknowledge", None), check(1, "acknowledge", "required"),
        check(0, "severity", "error"), check(0, "severity", 5),
        lambda m: m["questions"][0]["choices"][0].__setitem__("label", "x"),
        lambda m: m["questions"].insert(0, 5),  # the pointers of renamed_from after junk
    )]
    machines.append(base)
    js = run_node(MESSAGES, machines, tmp_path)
    for n, (machine, got) in enumerate(zip(machines, js, strict=True)):
        try:
            Form.from_json(machine)
            want = None
        except FormError as exc:
            want = [p.message for p in exc.problems]
        assert got == want, f"machine {n}: JavaScript {got}, Python {want}"
    assert js[-1] is None and js[-2] is not None and js[-3] is not None
    assert sum(r is None for r in js) >= 3  # some are taken: a unique name, an empty list, ...


@pytest.mark.parametrize(("name", "under"), [("annex5", ()), ("annex6", ()), ("annex7", ()),
                                             ("annex6", ("findings", "categories")),
                                             ("annex7", ("findings", "categories")),
                                             ("named", ()), ("named", ("questions", "checks"))])
def test_a_damaged_machine_is_refused_by_both_runtimes_or_by_neither(
        name: str, under: tuple[str, ...], tmp_path: Path) -> None:
    """... and a machine both take gives the same path, violations, findings (with their
    descriptions) and categories. Twice more with the damage only in findings and categories,
    and on a small form with choice names, renamed_from and acknowledge."""
    form = qengine.load_text(NAMED) if name == "named" else qengine.load(name)

    machine = json.loads(json.dumps(form.to_json()))
    seed = random.SystemRandom().randrange(2**32)
    rnd = random.Random(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .example() outside @given: one record is all we need
        record = records(form).example()
    items = [{"machine": damaged(machine, rnd, under), "record": record} for _ in range(250)]
    text = json.dumps(items, ensure_ascii=True, allow_nan=False)
    script = tmp_path / "check.mjs"
    script.write_text(SCRIPT % (ROOT / "js" / "src" / "index.js").as_uri(), encoding="utf-8")
    assert NODE is not None
    result = subprocess.run([NODE, str(script)], input=text, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    js = json.loads(result.stdout)
    verdicts = [r["verdict"] for r in js]
    assert "crashed" not in verdicts, next(r["error"] for r in js if r["verdict"] == "crashed")
    for n, (item, got) in enumerate(zip(items, js, strict=True)):
        want = python_verdict(item["machine"], record)
        assert got == want, (f"seed {seed}, machine {n}: Python {want['verdict']}, JavaScript "
                             f"{got['verdict']}\n{json.dumps(got)[:800]}\n{json.dumps(want)[:800]}")
    # the damage is real: most machines are refused, and some are still taken
    assert verdicts.count("refused") > len(items) // 2
