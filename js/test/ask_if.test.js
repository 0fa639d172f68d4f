// ask_if in the machine (questions[i].ask_if, sections[i].ask_if) and the rule functions if,
// round, int, number, substr and mod: what loadMachine refuses, and how the walk and an interview
// use them. The machines are those of conformance/compiled/ask_if.json (conformance/build.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FormError, loadMachine } from "../src/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const compiled = JSON.parse(readFileSync(join(root, "conformance", "compiled", "ask_if.json"), "utf8"));
/** @param {string} id */
const machineOf = (id) => structuredClone(Object.values(compiled.machines).find((m) => m.id === id));
const at = [1, 1];
const num = (value) => ({ op: "num", value, type: "num", at });
const text = (value) => ({ op: "text", value, type: "text", at });
const answer = (id, type) => ({ op: "answer", id, type, at });
const call = (op, type, ...args) => ({ op, type, args, at });

/** The problems of a machine loadMachine refuses (it must refuse it). */
function problems(machine) {
  try {
    loadMachine(machine);
  } catch (exc) {
    assert.ok(exc instanceof FormError && exc.code === "machine", String(exc));
    return exc.problems.map((p) => p.message);
  }
  assert.fail("the machine was taken");
}

/** @param {(m: any) => void} damage @param {string} pointer */
function refused(id, damage, pointer) {
  const m = machineOf(id);
  damage(m);
  const found = problems(m);
  assert.ok(found.some((p) => p.startsWith(pointer)), found.join("\n"));
}

const ask = (m, qid) => m.questions.find((q) => q.id === qid);
const section = (m, sid) => m.sections.find((s) => s.id === sid);

test("the ask_if machines load; ask_if is optional on a question and on a section", () => {
  for (const m of Object.values(compiled.machines)) loadMachine(m);
  const m = machineOf("askif");
  delete ask(m, "n_kids").ask_if;
  delete section(m, "school").ask_if;
  assert.deepEqual(loadMachine(m).path({ kids: 2 }), ["kids", "n_kids", "water", "in_school", "why_none", "note"]);
});

test("an ask_if of the wrong shape is refused", () => {
  refused("askif", (m) => { ask(m, "n_kids").ask_if = null; }, "/questions/1/ask_if");
  refused("askif", (m) => { ask(m, "n_kids").ask_if = ask(m, "n_kids").ask_if.when; }, "/questions/1/ask_if");
  refused("askif", (m) => { delete ask(m, "n_kids").ask_if.text; }, "/questions/1/ask_if");
  refused("askif", (m) => { ask(m, "n_kids").ask_if.extra = 1; }, "/questions/1/ask_if/extra");
  refused("askif", (m) => { ask(m, "n_kids").ask_if.text = 5; }, "/questions/1/ask_if/text");
  refused("askif", (m) => { ask(m, "n_kids").ask_if.at = "x"; }, "/questions/1/ask_if/at");
  refused("askif", (m) => { section(m, "school").ask_if = []; }, "/sections/1/ask_if");
  refused("askif", (m) => { section(m, "school").ask_if.when.op = "frobnicate"; }, "/sections/1/ask_if/when");
});

test("an ask_if is a well-typed bool rule", () => {
  refused("askif", (m) => { ask(m, "n_kids").ask_if.when = num(1); }, "/questions/1/ask_if/when");
  refused("askif", (m) => { ask(m, "n_kids").ask_if.when.args[0].type = "num"; }, "/questions/1/ask_if/when/args/0/type");
  refused("askif", (m) => { ask(m, "eldest").ask_if.when.args[0].id = "nobody"; }, "/questions/2/ask_if/when/args/0/id");
});

test("an ask_if reads only questions before it (for a section: before its first question)", () => {
  // its own question, a later one
  refused("askif", (m) => { ask(m, "eldest").ask_if.when.args[0].id = "eldest"; ask(m, "eldest").ask_if.when.args[0].type = "num"; }, "/questions/2/ask_if/when");
  refused("askif", (m) => { ask(m, "n_kids").ask_if.when = call("answered", "bool", answer("water", "text")); }, "/questions/1/ask_if/when");
  // a section's: its own first question is not before it, the question before is
  refused("askif", (m) => { section(m, "school").ask_if.when = call("answered", "bool", answer("in_school", "num")); }, "/sections/1/ask_if/when");
  const m = machineOf("askif");
  section(m, "school").ask_if.when = call("answered", "bool", answer("water", "text"));
  loadMachine(m);
  // a computed value is read through what it reads: share reads in_school, which is not before itself
  refused("askif", (mm) => {
    ask(mm, "in_school").ask_if = { when: call("gt", "bool", { op: "computed", id: "share", type: "num", at }, num(0)), text: "share > 0", at };
  }, "/questions/4/ask_if/when");
  const ok = machineOf("askif");
  ask(ok, "note").ask_if = { when: call("gt", "bool", { op: "computed", id: "share", type: "num", at }, num(0)), text: "share > 0", at };
  assert.deepEqual(loadMachine(ok).path({ kids: 1, n_kids: 2, in_school: 1 }), ["kids", "n_kids", "eldest", "water", "in_school", "note"]);
  assert.deepEqual(loadMachine(ok).path({ kids: 1, n_kids: 2, in_school: 0 }), ["kids", "n_kids", "eldest", "water", "in_school"]);
  // total is written after the section low, but reads only wages and pension, which come before
  loadMachine(machineOf("total"));
  refused("total", (mm) => {
    const reads = call("if", "num", call("answered", "bool", answer("help", "code")), num(1), num(0));
    mm.computed.find((c) => c.question === "total").value.args[1] = reads; // total now reads help, in the section
  }, "/sections/1/ask_if/when");
});

test("validate, path and an interview follow ask_if", () => {
  const form = loadMachine(machineOf("askif"));
  assert.deepEqual(form.path({ kids: 1, n_kids: 3, water: "tap", in_school: 2 }), ["kids", "n_kids", "eldest", "water", "in_school", "note"]);
  assert.deepEqual(form.path({ kids: "②" }, { coerce: true }), ["kids", "water", "why_none", "note"]);
  const report = form.validate({ kids: 2, n_kids: 3, water: "tap", share: 1 });
  assert.deepEqual(report.violations.map((v) => [v.rule, v.questions]), [["not_asked", ["n_kids"]], ["not_asked", ["share"]]]);
  const iv = form.start();
  iv.answer(1);
  iv.answer(1);
  assert.equal(iv.current.id, "water"); // eldest: n_kids > 1 fails
  iv.goto("kids");
  iv.answer(2);
  assert.equal(iv.current.id, "water");
  assert.deepEqual(iv.answers, { kids: 2 });
  const resumed = form.resume(JSON.parse(JSON.stringify(iv.snapshot())));
  const { events, ...rest } = resumed.snapshot();
  const { events: before, ...was } = iv.snapshot();
  assert.deepEqual(rest, was);
  assert.deepEqual(events.slice(0, -1), before); // and a resumed event
  assert.equal(events[events.length - 1].event, "resumed");
  assert.equal(resumed.current.id, "water");
});

test("a first question whose ask_if fails: the interview starts after it", () => {
  const m = machineOf("gate");
  ask(m, "a").ask_if = { when: call("not", "bool", call("answered", "bool", { op: "param", name: "p", type: "num", at })), text: "not answered(p)", at };
  m.params = [{ name: "p", type: "num", value: 1, labels: {}, unit: null }];
  const form = loadMachine(m);
  assert.equal(form.start().current.id, "middle");
  assert.deepEqual(form.path({}), ["middle", "last"]);
});

// ---- the rule functions ----------------------------------------------------------------------

/** A form of one text question t and one number question x, and a computed value `v` of `node`. */
function formWith(node) {
  const m = machineOf("gate");
  const q = ask(m, "middle");
  m.questions.push({ ...structuredClone(q), id: "x", type: "number", decimals: 6, max_length: null, min: null, max: null, at });
  m.questions.push({ ...structuredClone(q), id: "v", type: "computed", max_length: null, required: false, at });
  m.sections[0].questions.push("x", "v");
  m.steps.push({ question: "x", jumps: [] });
  m.computed.push({ question: "v", value: node, text: "v" });
  return m;
}

test("the functions compute as Python's runtime does", () => {
  const x = answer("x", "num");
  const t = answer("middle", "text");
  /** @param {any} node @param {Record<string, any>} record */
  const value = (node, record) => loadMachine(formWith(node)).validate({ a: 1, ...record }).record.v;
  assert.equal(value(call("round", "num", x), { x: 2.5 }), 3);
  assert.equal(value(call("round", "num", x), { x: -2.5 }), -2);
  assert.equal(value(call("round", "num", x, num(2)), { x: 1.005 }), 1);  // 1.005 * 100 is 100.49999999999999
  assert.equal(value(call("round", "num", x, num(1)), { x: 2.25 }), 2.3);
  assert.equal(value(call("round", "num", x, num(1.5)), { x: 2.25 }), undefined);
  assert.equal(value(call("round", "num", x, num(16)), { x: 2.25 }), undefined);
  assert.equal(value(call("int", "num", x), { x: -2.7 }), -2);
  assert.ok(Object.is(value(call("int", "num", x), { x: -0.5 }), 0));
  assert.equal(value(call("mod", "num", x, num(3)), { x: -7 }), -1);
  assert.equal(value(call("mod", "num", x, num(0)), { x: 7 }), undefined);
  assert.equal(value(call("number", "num", t), { middle: " -12.50\t" }), -12.5);
  for (const bad of ["1e5", ".5", "5.", "0x10", "１２", "12\u00a0", "1 2"]) assert.equal(value(call("number", "num", t), { middle: bad }), undefined, bad);
  assert.equal(value(call("len", "num", call("substr", "text", t, num(1), num(3))), { middle: "a😀b😀c" }), 2);
  assert.equal(value(call("substr", "text", t, num(1), num(3)), { middle: "a😀b😀c" }), "😀b");
  assert.equal(value(call("substr", "text", t, num(-1.5)), { middle: "abc" }), "abc");
  assert.equal(value(call("substr", "text", t, num(2.9), num(1)), { middle: "abc" }), "");
  assert.equal(value(call("substr", "text", t, num(1), x), { middle: "abc" }), undefined);
  const choose = call("if", "text", call("gt", "bool", x, num(0)), text("plus"), t);
  assert.equal(value(choose, { x: 1 }), "plus");
  assert.equal(value(choose, { x: -1, middle: "other" }), "other");
  assert.equal(value(choose, { middle: "blank x" }), "blank x");
});

test("a computed value of round(x, d) is a float, as Python says it in a message", () => {
  const m = formWith(call("round", "num", answer("x", "num"), num(1)));
  const report = loadMachine(m).validate({ a: 1, x: 2, v: 3 });
  assert.deepEqual(report.violations.map((v) => v.rule), ["computed_mismatch"]);
  assert.match(report.violations[0].message, /2\.0/);
});

test("the functions' arguments are checked", () => {
  const x = answer("x", "num");
  const t = answer("middle", "text");
  const bad = [
    call("if", "num", call("gt", "bool", x, num(0)), x, t),
    call("if", "num", x, x, x),
    call("if", "text", call("gt", "bool", x, num(0)), x, x),
    call("if", "num", call("gt", "bool", x, num(0)), x),
    call("round", "num", x, num(1), num(2)),
    call("round", "num", t),
    call("int", "text", x),
    call("mod", "num", x),
    call("number", "num", call("gt", "bool", x, num(0))),
    call("substr", "text", x, num(1)),
    call("substr", "text", t, t),
    call("substr", "text", t),
    call("substr", "num", t, num(1)),
  ];
  for (const node of bad) assert.ok(problems(formWith(node)).some((p) => p.startsWith("/computed/")), JSON.stringify(node));
  loadMachine(formWith(call("if", "code", call("gt", "bool", x, num(0)), { op: "code", value: 1, type: "code", at }, { op: "code", value: 2, type: "code", at })));
  loadMachine(formWith(call("number", "num", { op: "code", value: 2, type: "code", at })));
});
