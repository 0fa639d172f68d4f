// Edge cases of interviews, as Python's qengine/runtime/interview.py behaves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AnswerError, loadMachine, ParamError } from "../src/index.js";

const root = dirname(fileURLToPath(import.meta.url));
const form = loadMachine(JSON.parse(readFileSync(join(root, "fixtures", "annex6.json"), "utf8")).machine);

/** @param {() => unknown} f @param {string} code @param {unknown} question */
function refused(f, code, question) {
  assert.throws(f, (/** @type {any} */ e) => e instanceof AnswerError && e.code === code && e.question === question);
}

test("moves refused at the edges change nothing", () => {
  const iv = form.start();
  assert.equal(iv.back(), null);
  assert.equal(iv.canBack, false);
  refused(() => iv.forward(), "no_answer", "county");
  refused(() => iv.goto("county"), "not_in_history", "county");
  refused(() => iv.goto(/** @type {any} */ (5)), "not_in_history", "5");
  refused(() => iv.answer(null), "required", "county");
  assert.deepEqual(iv.history, []);
  assert.equal(iv.current?.id, "county");
  iv.answer("  A  ");
  assert.equal(iv.back()?.id, "county");
  assert.equal(iv.suggested(), iv.kept.county);
  iv.forward();
  assert.deepEqual(iv.history, ["county"]);
});

test("params overrides: checked at start, only overrides in the snapshot", () => {
  assert.throws(() => form.start({ params: { zzz: 1 } }), (/** @type {any} */ e) => e instanceof ParamError && e.code === "unknown_param");
  assert.deepEqual(form.start({ params: { income_line: 4000 } }).snapshot().params, {});
  assert.deepEqual(form.start({ params: { income_line: 5000 } }).snapshot().params, { income_line: 5000 });
});

test("copies handed out do not change the interview", () => {
  const iv = form.start();
  iv.answer("A");
  const kept = iv.kept;
  kept.county = "B";
  iv.history.push("x");
  iv.snapshot().answers.county = "C";
  assert.equal(iv.kept.county, "A");
  assert.deepEqual(iv.history, ["county"]);
});
