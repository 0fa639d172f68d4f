// Choice names, _meta, Interview.acknowledge and the audit trail, beyond the conformance cases
// (conformance/cases/acknowledge.yaml, whose machine this reads): the parts a case cannot say.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AnswerError, loadMachine, MAX_EVENTS, SnapshotError, SubmitError } from "../src/index.js";

const suite = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "conformance");
const machine = JSON.parse(readFileSync(join(suite, "compiled", "acknowledge.json"), "utf8")).machines.inline1;
const form = loadMachine(machine);
const AT = "2026-12-02T08:00:00.000Z";
const fixed = () => AT;

/** An interview at the end with size 20 (the warning `big`, which asks for a reason, holds). */
function big(clock = fixed) {
  const iv = form.start({ clock });
  for (const v of [1, null, 20, null]) iv.answer(v);
  return iv;
}

test("toDict gives a choice's name only when it has one (as Python's Question.to_dict)", () => {
  const fuel = form.question("fuel");
  assert.deepEqual(fuel.toDict().choices, [
    { code: 1, label: { en: "Firewood" }, name: "wood" },
    { code: 2, label: { en: "Gas" }, name: "gas.lpg" },
    { code: 3, label: { en: "wood" } },
  ]);
  assert.equal(fuel.choices[2].name, null);
  assert.deepEqual(JSON.parse(JSON.stringify(form.question("crops"))).choices.map((c) => c.name), ["rice", "wheat:w-1", undefined]);
});

test("a name converts before a label, a strict record still wants the code", () => {
  const iv = form.start();
  iv.answer("wood"); // the name of ①, the label of ③
  assert.equal(iv.kept.fuel, 1);
  iv.back();
  iv.answer("Ｇａｓ"); // full-width: normalised as entered text is
  assert.equal(iv.kept.fuel, 2);
  assert.deepEqual(form.validate({ fuel: "gas.lpg", size: 1 }, { coerce: true }).record.fuel, 2);
  assert.deepEqual(form.validate({ fuel: "gas.lpg", size: 1 }).violations.map((v) => v.rule), ["type"]);
});

test("acknowledge: the errors, their order, and nothing changed by a refusal", () => {
  const iv = big();
  const before = iv.snapshot();
  /** @param {any} rule @param {any} reason @param {string} key */
  const refused = (rule, reason, key) => assert.throws(() => iv.acknowledge(rule, reason), (exc) => {
    assert.ok(exc instanceof AnswerError);
    assert.equal(exc.key, key);
    assert.equal(exc.code, "acknowledge");
    return true;
  });
  refused("nobody", "x", "acknowledge.unknown"); // an error is no warning
  refused(5, "x", "acknowledge.unknown");
  refused(null, null, "acknowledge.unknown");
  refused("big", "x".repeat(1001), "acknowledge.reason");
  refused("big", "\u3000\t", "acknowledge.reason"); // blank as Python strips
  refused("poor", "x", "acknowledge.not_holding");
  assert.deepEqual(iv.snapshot(), before);
  iv.acknowledge("big", "😀".repeat(1000)); // 1000 code points (2000 UTF-16 units) is a reason
  assert.equal(iv.acknowledged.big.length, 2000);
});

test("submit: unacknowledged until a reason is given, then _meta in the record", () => {
  const iv = big();
  assert.throws(() => iv.submit(), (exc) => {
    assert.ok(exc instanceof SubmitError);
    assert.equal(exc.code, "unacknowledged");
    assert.deepEqual(exc.violations.map((v) => v.rule), ["big"]);
    return true;
  });
  assert.equal(iv.events.length, 4); // a refused submit records nothing
  iv.acknowledge("big", "checked");
  const record = iv.submit();
  assert.deepEqual(record, { fuel: 1, crops: [], size: 20, income: null, _meta: { acknowledged: { big: "checked" } } });
  assert.ok(form.validate(record).ok);
  assert.deepEqual(form.validate(record).violations.map((v) => v.rule), ["big"]);
  const acknowledged = iv.acknowledged;
  acknowledged.big = "changed by the caller";
  assert.equal(iv.acknowledged.big, "checked");
});

test("the clock: injected, a Date taken as ISO text, the default UTC to the millisecond", () => {
  const iv = form.start({ clock: () => new Date(Date.UTC(2026, 11, 2, 6, 50, 1, 250)) });
  iv.answer(1);
  assert.equal(iv.events[0].at, "2026-12-02T06:50:01.250Z");
  const plain = form.start();
  plain.answer(1);
  assert.match(plain.events[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.throws(() => form.start({ clock: /** @type {any} */ ("now") }), TypeError);
  const resumed = form.resume(iv.snapshot(), { clock: () => "later" });
  assert.deepEqual(resumed.events.map((e) => [e.event, e.at]), [["answered", "2026-12-02T06:50:01.250Z"], ["resumed", "later"]]);
});

test("events are copies, in Python's key order", () => {
  const iv = big();
  iv.acknowledge("big", "checked");
  iv.back();
  const events = iv.events;
  assert.deepEqual(events.map((e) => Object.keys(e)), [
    ["event", "at", "question", "value"], ["event", "at", "question", "value"], ["event", "at", "question", "value"],
    ["event", "at", "question", "value"], ["event", "at", "rule", "reason"], ["event", "at", "question"]]);
  events[0].value = 99;
  events.pop();
  assert.equal(iv.events.length, 6);
  assert.equal(iv.events[0].value, 1);
  const snap = iv.snapshot();
  assert.deepEqual(Object.keys(snap), ["qengine_snapshot", "form", "version", "params", "answers", "history", "acknowledged", "events", "events_dropped"]);
});

test(`at most ${MAX_EVENTS} events: the oldest are dropped and counted, in snapshots too`, () => {
  const iv = form.start({ clock: fixed });
  iv.answer(1);
  for (let i = 0; i < 600; i++) { iv.back(); iv.forward(); }
  assert.equal(iv.events.length, MAX_EVENTS);
  assert.equal(iv.eventsDropped, 201);
  assert.deepEqual(iv.events[0], { event: "went_back", at: AT, question: "fuel" }); // event 201 of 1201
  const snap = iv.snapshot();
  assert.equal(snap.events_dropped, 201);
  const again = form.resume(JSON.parse(JSON.stringify(snap)), { clock: fixed });
  assert.equal(again.events.length, MAX_EVENTS);
  assert.equal(again.eventsDropped, 202); // the resumed event pushed one more out
  assert.deepEqual(again.events[MAX_EVENTS - 1], { event: "resumed", at: AT, version: "1" });
  const long = form.resume({ ...snap, events: [...snap.events, ...snap.events] }, { clock: fixed });
  assert.equal(long.eventsDropped, 201 + MAX_EVENTS + 1);
});

test("resume records no event for the replay, and refuses a malformed trail", () => {
  const iv = big();
  iv.acknowledge("big", "checked");
  const again = form.resume(iv.snapshot(), { clock: fixed });
  assert.deepEqual(again.events, [...iv.events, { event: "resumed", at: AT, version: "1" }]);
  assert.deepEqual(again.acknowledged, { big: "checked" });
  for (const [key, bad] of [["acknowledged", null], ["acknowledged", { big: "x".repeat(1001) }], ["events", null],
    ["events", [{ event: "answered", at: AT, question: "fuel" }, null]], ["events_dropped", 0.5], ["events_dropped", null]]) {
    assert.throws(() => form.resume({ ...iv.snapshot(), [key]: bad }), (exc) => exc instanceof SnapshotError && exc.code === "malformed", `${key}`);
  }
});
