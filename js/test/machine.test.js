// loadMachine refuses a machine that breaks the format, with FormError code "machine".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMachine, FormError, AnswerError, makeCoercers } from "../src/index.js";

const here = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const machine = JSON.parse(readFileSync(join(here, "annex6.json"), "utf8")).machine;

/** @param {(m: any) => void} damage */
function refused(damage, pointer) {
  const m = structuredClone(machine);
  damage(m);
  assert.throws(() => loadMachine(m), (exc) => {
    assert.ok(exc instanceof FormError);
    assert.equal(exc.code, "machine");
    assert.ok(exc.problems.every((p) => p.code === "machine"));
    if (pointer) assert.ok(exc.problems.some((p) => p.message.startsWith(pointer)), exc.message);
    return true;
  });
}

test("the bundled machines load, from an object or JSON text", () => {
  const form = loadMachine(JSON.stringify(machine));
  assert.equal(form.id, machine.id);
  assert.equal(form.version, machine.version);
  assert.equal(form.questions.length, machine.questions.length);
  assert.equal(form.question(machine.questions[0].id).id, machine.questions[0].id);
  assert.deepEqual(Object.keys(form.params), machine.params.map((p) => p.name));
  assert.throws(() => form.question("nope"), { code: "unknown_question" });
});

test("bad machines are refused with code machine", () => {
  refused((m) => { m.format = "qengine-machine/2"; }, "/format");
  refused((m) => { delete m.questions; }, "/");
  refused((m) => { m.extra = 1; }, "/extra");
  refused((m) => { m.languages = []; }, "/languages");
  refused((m) => { m.questions[1].id = m.questions[0].id; }, "/questions/1/id");
  refused((m) => { m.questions[0].type = "colour"; }, "/questions/0/type");
  refused((m) => { m.sections.reverse(); });
  refused((m) => { m.steps.pop(); }, "/steps");
  refused((m) => { const s = m.steps.find((x) => x.jumps.length); s.jumps[0].target = m.questions[0].id; }, "/steps/");
  refused((m) => { m.checks[0].rule.op = "frobnicate"; }, "/checks/0/rule");
  refused((m) => { m.checks[0].rule.type = "num"; }, "/checks/0/rule");
  refused((m) => { m.params[0].value = Infinity; }, "/params/0/value");
});

test("coercers: entered text and strict records", () => {
  const q = { id: "q", type: "single", choices: [{ code: 1, labels: { zh: "是", en: "yes" } }, { code: 2, labels: { zh: "否", en: "no" } }],
    min: null, max: null, decimals: null, max_length: null, none_ok: false };
  const { entered, strict } = makeCoercers(q);
  assert.equal(entered("②"), 2);
  assert.equal(entered("２"), 2);
  assert.equal(entered(" 否 "), 2);
  assert.equal(strict(1), 1);
  assert.throws(() => strict("②"), (e) => e instanceof AnswerError && e.code === "type" && e.question === "q");
  assert.throws(() => entered(3), { code: "choice", message: "q: 3 is not one of the codes 1, 2 [choice]" });
  const n = makeCoercers({ ...q, type: "money", choices: [], min: 0, max: null, decimals: 2 });
  assert.equal(n.entered("1,234.5"), 1234.5);
  assert.throws(() => n.entered("1.234"), { code: "decimals" });
});

test("a question's toDict() (and its JSON) is Python's Question.to_dict()", () => {
  for (const name of ["annex5", "annex6", "annex7"]) {
    const fixture = JSON.parse(readFileSync(join(here, `${name}.json`), "utf8"));
    const form = loadMachine(fixture.machine);
    assert.deepEqual(form.questions.map((q) => q.toDict()), fixture.questions);
    assert.deepEqual(JSON.parse(JSON.stringify(form.questions)), fixture.questions);
    const iv = form.start();
    assert.deepEqual(iv.current.toDict(), fixture.questions[0]);
    assert.ok(Object.isFrozen(iv.current) && Object.isFrozen(iv.current.choices));
  }
});

test("choice names, renamed_from and acknowledge are checked as Python checks them", () => {
  const suite = join(here, "..", "..", "..", "conformance", "compiled", "acknowledge.json");
  const named = JSON.parse(readFileSync(suite, "utf8")).machines.inline1;
  /** @param {(m: any) => void} damage @returns {string[]} the messages, none when taken */
  const problems = (damage) => {
    const m = structuredClone(named);
    damage(m);
    try { loadMachine(m); return []; } catch (exc) {
      assert.ok(exc instanceof FormError);
      return exc.problems.map((p) => p.message);
    }
  };
  assert.deepEqual(problems(() => {}), []);
  const NAME = "is used twice or is not 1-100 of A-Z a-z 0-9 _ . : -";
  assert.deepEqual(problems((m) => { m.questions[0].choices[1].name = "wood"; }), [`/questions/0/choices/1/name: choice name 'wood' ${NAME}`]);
  assert.deepEqual(problems((m) => { m.questions[0].choices[0].name = "a b"; }), [`/questions/0/choices/0/name: choice name 'a b' ${NAME}`]);
  assert.deepEqual(problems((m) => { m.questions[0].choices[0].name = "x".repeat(101); }).length, 1);
  assert.deepEqual(problems((m) => { m.questions[0].choices[0].name = 5; }), ["/questions/0/choices/0/name: expected text, got a number"]);
  assert.deepEqual(problems((m) => { m.questions[1].choices[0].name = "wood"; }), []); // unique within a question
  const RENAMED = "is not an id, is a question of the form, or is claimed twice";
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = ["size"]; }), [`/questions/0/renamed_from/0: 'size' ${RENAMED}`]);
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = ["old", "old"]; }), [`/questions/0/renamed_from/1: 'old' ${RENAMED}`]);
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = ["old"]; m.questions[2].renamed_from = ["old"]; }), [`/questions/2/renamed_from/0: 'old' ${RENAMED}`]);
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = ["Old", "it's"]; }), [`/questions/0/renamed_from/0: 'Old' ${RENAMED}`, `/questions/0/renamed_from/1: "it's" ${RENAMED}`]);
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = "old"; }), ["/questions/0/renamed_from: expected an array, got text"]);
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = [[1]]; }), ["/questions/0/renamed_from/0: expected text, got an array"]);
  assert.deepEqual(problems((m) => { m.questions[0].renamed_from = ["fuel_old"]; }), []);
  const ACK = '/checks/0/acknowledge: expected "required", on a warning';
  assert.deepEqual(problems((m) => { m.checks[0].acknowledge = "optional"; }), [ACK]);
  assert.deepEqual(problems((m) => { m.checks[0].severity = "error"; }), [ACK]);
  assert.deepEqual(problems((m) => { m.checks[1].acknowledge = "required"; }), []);
  assert.deepEqual(problems((m) => { m.checks[2].acknowledge = "required"; }), ['/checks/2/acknowledge: expected "required", on a warning']);
  assert.deepEqual(loadMachine(named).acknowledgeRequired, ["big"]);
});
