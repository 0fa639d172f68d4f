// The conformance suite (conformance/, docs/conformance.md) on the JavaScript runtime: one test
// per case, read from conformance/compiled/*.json (machines and cases as JSON; the Python side
// checks that they are what the YAML cases give). Cases in
// conformance/expected-failures/javascript.txt are expected to fail; one that passes fails the run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMachine, AnswerError, ParamError, SnapshotError, SubmitError } from "../src/index.js";

const suite = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "conformance");

/** `case-id  reason` lines of expected-failures/<runtime>.txt. @param {string} runtime */
export function expectedFailures(runtime) {
  /** @type {Map<string, string>} */
  const out = new Map();
  for (const line of readFileSync(join(suite, "expected-failures", `${runtime}.txt`), "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [id, ...reason] = line.trim().split(/\s+/);
    out.set(id, reason.join(" ") || "no reason given");
  }
  return out;
}

// -- comparing -------------------------------------------------------------------------------
/** JSON equality, type-strict (true is not 1, "1" is not 1). @param {any} a @param {any} b @returns {boolean} */
export function same(a, b) {
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    return typeof a === typeof b && (a === b || (Number.isNaN(a) && Number.isNaN(b)));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = new Set(Object.keys(b));
  return ka.length === kb.size && ka.every((k) => kb.has(k) && same(a[k], b[k]));
}

/** Every violation that holds is expected and every expected one holds, in any order; an
 * expected entry is matched on the fields it gives. @param {any[]} expected @param {any[]} actual */
export function violationsMatch(expected, actual) {
  const left = [...actual];
  for (const want of expected) {
    const i = left.findIndex((v) => Object.keys(want).every((k) => same(want[k], v[k])));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return left.length === 0;
}

class Mismatch extends Error {}

/** @param {string} where @param {string} field @param {any} want @param {any} got */
function check(where, field, want, got) {
  const ok = field.endsWith("violations") ? violationsMatch(want, got) : same(want, got);
  if (!ok) throw new Mismatch(`${where}: ${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

// -- running ---------------------------------------------------------------------------------
/** @param {any} v */
const plainViolation = (v) => ({ rule: v.rule, severity: v.severity, questions: [...v.questions], message: v.message, messages: { ...v.messages } });

/** @param {import("../src/interview.js").Interview} iv */
function state(iv) {
  const q = iv.current;
  return { current: q ? q.id : null, history: iv.history, answers: iv.answers, kept: iv.kept,
    suggested: iv.suggested(), violations: iv.violations.map(plainViolation), finished: iv.finished,
    acknowledged: iv.acknowledged, events: iv.events, snapshot: iv.snapshot() };
}

/** The state of an interview just resumed, its `resumed` event (the last, in `events` and in the
 * snapshot) taken off: what must equal the state before the snapshot.
 * @param {string} where @param {Record<string, any>} now @param {string} version */
function withoutResumed(where, now, version) {
  const last = now.events.length ? now.events[now.events.length - 1] : null;
  if (last === null || last.event !== "resumed" || last.version !== version) {
    throw new Mismatch(`${where}: the resumed interview's last event is ${JSON.stringify(last)}, not resumed`);
  }
  return { ...now, events: now.events.slice(0, -1), snapshot: { ...now.snapshot, events: now.snapshot.events.slice(0, -1) } };
}

/** @param {any} form @param {any} c */
function runRecords(form, c) {
  c.records.forEach((/** @type {any} */ item, /** @type {number} */ n) => {
    const where = `records[${n}]`;
    const params = "params" in item ? item.params : (c.params ?? null);
    let report;
    try {
      report = form.validate(item.record, { params, coerce: item.coerce ?? false });
    } catch (exc) {
      if (!(exc instanceof ParamError)) throw exc;
      check(where, "error", item.error, exc.code);
      return;
    }
    if ("error" in item) throw new Mismatch(`${where}: expected ParamError ${item.error}, got a report`);
    /** @type {Record<string, any>} */
    const got = { ok: report.ok, path: report.path, record: report.record, violations: report.violations.map(plainViolation) };
    if (FOUND.some((key) => key in item.expect)) Object.assign(got, found(form, item.record, params, item.coerce ?? false));
    for (const [field, want] of Object.entries(item.expect)) {
      // descriptions: only the ids given, each of a finding that holds
      if (field === "descriptions") got[field] = Object.fromEntries(Object.keys(want).map((k) => [k, got[field][k] ?? null]));
      check(where, field, want, got[field]);
    }
  });
}

/** The expect keys read from form.findings / form.categories rather than the report. */
const FOUND = ["findings", "descriptions", "categories"];

/** What a record finds: its findings' ids and descriptions (the form's first language), its categories.
 * @param {any} form @param {any} record @param {any} params @param {boolean} coerce */
function found(form, record, params, coerce) {
  const findings = form.findings(record, params, { coerce });
  return { findings: findings.map((/** @type {any} */ f) => f.id),
    descriptions: Object.fromEntries(findings.map((/** @type {any} */ f) => [f.id, f.description])),
    categories: form.categories(record, params, { coerce }) };
}

/** @param {any} exc */
function errorOf(exc) {
  /** @type {Record<string, any>} */
  const out = { code: exc.code };
  if (exc instanceof AnswerError) Object.assign(out, { question: exc.question, key: exc.key });
  if (exc instanceof SubmitError) out.violations = exc.violations.map(plainViolation);
  return out;
}

/** @param {any} form @param {any} c */
function runSteps(form, c) {
  // the case's fixed clock (every event at its `clock` time), or the real one
  const clock = typeof c.clock === "string" ? () => c.clock : null;
  let iv;
  try {
    iv = form.start({ params: c.params ?? null, clock });
  } catch (exc) {
    if (!(exc instanceof ParamError)) throw exc;
    check("start", "error", c.start_error, exc.code);
    return;
  }
  if ("start_error" in c) throw new Mismatch(`start: expected ParamError ${c.start_error}, got an interview`);
  c.steps.forEach((/** @type {any} */ raw, /** @type {number} */ n) => {
    const step = typeof raw === "string" ? { [raw]: null } : raw;
    const action = Object.keys(step).find((k) => k !== "error" && k !== "expect");
    const where = `steps[${n}] ${action}`;
    const before = state(iv);
    /** @type {Record<string, any>} */
    const result = {};
    /** @type {Record<string, () => any>} */
    const actions = {
      answer: () => iv.answer(step.answer), back: () => iv.back(), forward: () => iv.forward(),
      acknowledge: () => iv.acknowledge(step.acknowledge.rule, step.acknowledge.reason),
      goto: () => iv.goto(step.goto), submit: () => { result.record = iv.submit(); },
      snapshot: () => form.resume(JSON.parse(JSON.stringify(iv.snapshot())), { clock }),
      resume: () => form.resume(step.resume, { clock }),
    };
    let made;
    let refused = false;
    try {
      made = actions[/** @type {string} */ (action)]();
    } catch (exc) {
      refused = true;
      if (!(exc instanceof AnswerError || exc instanceof SubmitError || exc instanceof SnapshotError)) throw exc;
      if (!("error" in step)) throw new Mismatch(`${where}: refused (${exc.name} ${exc.code}: ${exc.message})`);
      const want = typeof step.error === "object" ? step.error : { code: step.error };
      const got = errorOf(exc);
      for (const field of Object.keys(want)) check(where, `error.${field}`, want[field], got[field]);
      check(where, "state after a refused step", before, state(iv));
    }
    if (!refused) {
      if ("error" in step) throw new Mismatch(`${where}: expected error ${JSON.stringify(step.error)}, the step was taken`);
      if (action === "snapshot" || action === "resume") iv = made;
      if (action === "snapshot") check(where, "state after snapshot and resume", before, withoutResumed(where, state(iv), form.version));
    }
    /** @type {Record<string, any>} */
    const now = { ...state(iv), ...result };
    for (const [field, want] of Object.entries(step.expect ?? {})) {
      if (!(field in now)) throw new Mismatch(`${where}: no ${field} to compare (only a submit gives a record)`);
      check(where, field, want, now[field]);
    }
  });
}

/** Run one compiled case; throws Mismatch (or the runtime's own error) when it does not hold. @param {any} c @param {any} machine */
export function runCase(c, machine) {
  const form = loadMachine(machine);
  (c.records ? runRecords : runSteps)(form, c);
}

const xfail = expectedFailures("javascript");
const files = readdirSync(join(suite, "compiled")).filter((f) => f.endsWith(".json")).sort();
for (const file of files) {
  const data = JSON.parse(readFileSync(join(suite, "compiled", file), "utf8"));
  for (const c of data.cases) {
    const machine = data.machines[c.machine];
    const reason = xfail.get(c.id);
    test(`conformance ${c.id}`, () => {
      if (reason === undefined) return runCase(c, machine);
      assert.throws(() => runCase(c, machine), `${c.id} passes: remove it from expected-failures/javascript.txt (${reason})`);
    });
  }
}

test("the runner catches a wrong expectation (it is no rubber stamp)", () => {
  const machine = JSON.parse(readFileSync(join(suite, "compiled", "jumps.json"), "utf8")).machines.inline1;
  assert.equal(machine.questions[0].type, "single");
  assert.throws(() => runCase({ records: [{ record: {}, expect: { ok: true } }] }, machine), Mismatch);
  assert.throws(() => runCase({ steps: [{ back: null, expect: { current: "nope" } }] }, machine), Mismatch);
  assert.throws(() => runCase({ steps: [{ answer: "zzz-not-an-answer-zzz", expect: { finished: false } }] }, machine));
  // a step expected to be refused that is taken fails, a submit (which returns nothing) included
  assert.throws(() => runCase({ steps: [{ answer: 2, error: "choice" }] }, machine), Mismatch);
  const whole = [{ answer: 2 }, { answer: 2 }, { answer: "x" }, { answer: "2020-05-01" }];
  assert.throws(() => runCase({ steps: [...whole, { submit: null, error: "errors" }] }, machine), Mismatch);
  runCase({ steps: [...whole, { submit: null, expect: { finished: true } }] }, machine);
  assert.ok(!violationsMatch([{ rule: "r" }], []) && !violationsMatch([], [{ rule: "r" }]));
  const annex6 = JSON.parse(readFileSync(join(suite, "compiled", "annex6.json"), "utf8")).machines.annex6;
  const silent = { records: [{ record: {}, expect: { findings: [], categories: ["registered_not_exited"] } }] };
  runCase(silent, annex6);
  assert.throws(() => runCase({ records: [{ record: {}, expect: { findings: ["dropout"] } }] }, annex6), Mismatch);
  assert.throws(() => runCase({ records: [{ record: {}, expect: { categories: [] } }] }, annex6), Mismatch);
  assert.throws(() => runCase({ records: [{ record: {}, expect: { descriptions: { dropout: "x" } } }] }, annex6), Mismatch);
  assert.ok(!same(1, true) && !same("1", 1) && same(5, 5.0) && !same({ a: 1 }, { a: 1, b: 2 }));
});
