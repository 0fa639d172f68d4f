// Scripted interviews replayed by the JavaScript runtime and compared deep-equal, step by step,
// with the Python runtime's state (current, history, answers, kept, violations, finished), errors,
// snapshots and submitted records; and damaged snapshots with Python's SnapshotError code.
// Fixtures: js/test/make_interviews.py (machines from js/test/fixtures/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AnswerError, loadMachine, SnapshotError, SubmitError } from "../src/index.js";

const root = dirname(fileURLToPath(import.meta.url));
/** every event's time, as js/test/make_interviews.py stamps them */
const CLOCK = "2026-12-02T08:00:00.000Z";
const clock = () => CLOCK;
const here = join(root, "interviews");

/** @param {any} iv */
function stateOf(iv) {
  return { current: iv.current ? iv.current.id : null, history: iv.history, answers: iv.answers,
    kept: iv.kept, violations: iv.violations, finished: iv.finished };
}

for (const file of readdirSync(here).filter((f) => f.endsWith(".json")).sort()) {
  const fixture = JSON.parse(readFileSync(join(here, file), "utf8"));
  const machine = JSON.parse(readFileSync(join(root, "fixtures", file), "utf8")).machine;
  const form = loadMachine(machine);

  test(`${fixture.form}: ${fixture.scripts.length} scripted interviews agree with Python`, () => {
    let steps = 0;
    let snapshots = 0;
    fixture.scripts.forEach((/** @type {any} */ sc, /** @type {number} */ si) => {
      let iv = form.start({ params: sc.params, clock });
      /** @type {any} */
      let want = {};
      sc.steps.forEach((/** @type {any} */ step, /** @type {number} */ i) => {
        const where = `script ${si} step ${i} (${step.op} ${JSON.stringify(step.value)})`;
        want = { ...want, ...step.state };
        const before = stateOf(iv);
        /** @type {any} */
        let error = null;
        /** @type {any} */
        let record;
        try {
          if (step.op === "answer") iv.answer(step.value);
          else if (step.op === "back") iv.back();
          else if (step.op === "forward") iv.forward();
          else if (step.op === "goto") iv.goto(step.value);
          else if (step.op === "submit") record = iv.submit();
          else if (step.op === "snapshot") {
            const snap = iv.snapshot();
            assert.deepStrictEqual(JSON.parse(JSON.stringify(snap)), step.snapshot, `${where}: snapshot`);
            iv = form.resume(step.snapshot, { clock });
            const resumed = { event: "resumed", at: CLOCK, version: form.version };
            assert.deepStrictEqual(iv.snapshot(), { ...step.snapshot, events: [...step.snapshot.events, resumed] }, `${where}: resumed snapshot`);
            snapshots++;
          }
        } catch (exc) {
          if (exc instanceof AnswerError) {
            error = { type: "AnswerError", code: exc.code, question: exc.question };
            assert.deepStrictEqual(stateOf(iv), before, `${where}: a refused answer changed the interview`);
          } else if (exc instanceof SubmitError) {
            error = { type: "SubmitError", code: exc.code, violations: exc.violations };
          } else throw exc;
        }
        assert.deepStrictEqual(error, step.error ?? null, `${where}: error`);
        if (step.op === "submit" && !step.error) assert.deepStrictEqual(record, step.record, `${where}: record`);
        assert.deepStrictEqual(stateOf(iv), want, `${where}: state`);
        steps++;
      });
    });
    console.log(`${fixture.form}: ${fixture.scripts.length} interviews, ${steps} steps, ${snapshots} snapshots agree`);
  });

  test(`${fixture.form}: ${fixture.snapshots.length} damaged snapshots resume as in Python`, () => {
    fixture.snapshots.forEach((/** @type {any} */ c, /** @type {number} */ i) => {
      let code = null;
      let iv = null;
      try {
        iv = form.resume(c.snapshot, { clock });
      } catch (exc) {
        if (!(exc instanceof SnapshotError)) throw exc;
        code = exc.code;
      }
      assert.equal(code, c.code, `snapshot ${i}: ${JSON.stringify(c.snapshot).slice(0, 300)}`);
      if (iv) assert.deepStrictEqual(stateOf(iv), c.state, `snapshot ${i}: state`);
      if (iv) assert.deepStrictEqual(JSON.parse(JSON.stringify(iv.snapshot())), c.resumed, `snapshot ${i}: its snapshot`);
    });
    console.log(`${fixture.form}: ${fixture.snapshots.length} damaged snapshots agree`);
  });
}
