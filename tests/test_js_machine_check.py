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
        elif kind < 0.55 and key == "id" and m["questions"]:
            parent[key] = rnd.choice(m["questions"])["id"]
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


@pytest.mark.parametrize(("name", "under"), [("annex5", ()), ("annex6", ()), ("annex7", ()),
                                             ("annex6", ("findings", "categories")),
                                             ("annex7", ("findings", "categories"))])
def test_a_damaged_machine_is_refused_by_both_runtimes_or_by_neither(
        name: str, under: tuple[str, ...], tmp_path: Path) -> None:
    """... and a machine both take gives the same path, violations, findings (with their
    descriptions) and categories. Twice more with the damage only in findings and categories."""
    form = qengine.load(name)
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
