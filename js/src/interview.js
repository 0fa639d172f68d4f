/**
 * An interview: one respondent going through a form, question by question (a port of
 * qengine/runtime/interview.py). A refused answer changes nothing; back, snapshot and resume are
 * exact; answers made unasked by a changed earlier answer are kept (out of the record) and come
 * back if the earlier answer is changed back. Everything handed out is a copy.
 * @module
 */
import { describe } from "./catalogue.js";
import { AnswerError, ParamError, SnapshotError, SubmitError, UnknownQuestionError } from "./errors.js";
import { EventLog } from "./events.js";
import { isReason, MAX_REASON } from "./values.js";

export const SNAPSHOT_FORMAT = 1;

/** @param {any} v */
const copy = (v) => (Array.isArray(v) ? [...v] : v);
/** @param {unknown} v @returns {v is Record<string, any>} */
const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** The same JSON answer, type and all (what makes an answer "changed" rather than "answered"). @param {any} a @param {any} b @returns {boolean} */
function sameAnswer(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameAnswer(x, b[i]));
  }
  return a === b;
}

/** A JSON value equal as Python's == says (lists item by item, no bool/number mix-up needed here). @param {any} a @param {any} b */
function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a === "boolean" || typeof b === "boolean") {
    // Python: True == 1
    const na = typeof a === "boolean" ? Number(a) : a;
    const nb = typeof b === "boolean" ? Number(b) : b;
    return na === nb;
  }
  return a === b;
}

export class Interview {
  /**
   * Use `form.start()` or `form.resume()`.
   * @param {import("./form.js").Form} form @param {Record<string, any>} params
   * @param {import("./events.js").Clock | null} [clock] stamps the events (default: UTC now)
   */
  constructor(form, params, clock = null) {
    this.form = form;
    this._log = new EventLog(clock);
    /** @type {Record<string, string>} warning id -> the reason given */
    this._acknowledged = {};
    /** @type {Record<string, any>} */ this._params = params;
    /** @type {Map<string, any>} every answer given (blank ones as null), asked or not */
    this._answers = new Map();
    /** @type {string[]} */ this._history = [];
    /** @type {number[]} the index the jumps had skipped to after each history entry */
    this._frontiers = [];
    /** @type {Record<string, any>} params plus the confirmed answers: what jumps look at */
    this._env = Object.assign(Object.create(null), params);
    const steps = form.steps;
    /** @type {number[]} the first asked (not computed) index at or after each index */
    const askedFrom = new Array(steps.length + 1).fill(steps.length);
    for (let i = steps.length - 1; i >= 0; i--) askedFrom[i] = steps[i].compute ? askedFrom[i + 1] : i;
    this._askedFrom = askedFrom;
    this._cursor = this._next(0);
  }

  /** The index of the first question at or after `start` that is asked (not computed, its ask_ifs
   * holding on the answers so far); the number of questions when there is none. @param {number} start */
  _next(start) {
    const steps = this.form.steps;
    let i = this._askedFrom[start];
    while (i < steps.length && steps[i].asked !== null && !steps[i].asked(this._env)) i = this._askedFrom[i + 1];
    return i;
  }

  // -- reading ---------------------------------------------------------------------------------
  /** The params in force (a copy). */
  get params() {
    return { ...this._params };
  }

  /** The question to ask now (as `form.questions` gives it); null when every question has been asked. */
  get current() {
    const qs = this.form.questions;
    return this._cursor < qs.length ? qs[this._cursor] : null;
  }

  get finished() {
    return this._cursor >= this.form.questions.length;
  }

  /** The ids asked and answered so far, in order. */
  get history() {
    return [...this._history];
  }

  get canBack() {
    return this._history.length > 0;
  }

  /** Every answer given, including those the current answers make unasked (copies). */
  get kept() {
    /** @type {Record<string, any>} */
    const out = {};
    for (const [k, v] of this._answers) out[k] = copy(v);
    return out;
  }

  /** The answer kept for the current question (from before a `back`), or null. */
  suggested() {
    const q = this.current;
    return q === null || !this._answers.has(q.id) ? null : copy(this._answers.get(q.id));
  }

  _walked() {
    return this.form.walk(this.kept, Object.assign(Object.create(null), this._params), false, null);
  }

  /** The answers on the current path (what would be submitted), computed values included. */
  get answers() {
    return this._walked().record;
  }

  /** The checks that hold on the current answers (errors and warnings). */
  get violations() {
    return this.form.runChecks(this._walked().env);
  }

  get errors() {
    return this.violations.filter((v) => v.severity === "error");
  }

  get warnings() {
    return this.violations.filter((v) => v.severity !== "error");
  }

  // -- moving ----------------------------------------------------------------------------------
  /**
   * Answer the current question and move on; returns the next question (null at the end).
   * A bad value throws AnswerError and changes nothing; null leaves an optional question blank
   * and is refused (code "required") for a required one.
   * @param {any} value
   */
  answer(value) {
    const cursor = this._cursor;
    const steps = this.form.steps;
    if (cursor >= steps.length) throw new AnswerError(null, "finished");
    const step = steps[cursor];
    const normalised = step.entered(value === undefined ? null : value); // may throw: nothing has changed yet
    const at = this._log.stamp(); // a clock that fails does so before anything changes
    const env = this._env;
    if (normalised === null || normalised === undefined) {
      if (step.required) throw new AnswerError(step.id, "required.blank");
      delete env[step.id];
    } else {
      env[step.id] = normalised;
    }
    const fr = this._frontiers;
    let frontier = fr.length ? fr[fr.length - 1] : 0;
    for (const jump of step.jumps) {
      if (jump.guard(env)) { frontier = jump.target; break; }
    }
    const given = normalised === undefined ? null : normalised;
    const changed = this._answers.has(step.id) && !sameAnswer(this._answers.get(step.id), given);
    this._log.put(changed ? "changed" : "answered", at, { question: step.id, value: copy(given) });
    this._answers.set(step.id, given);
    this._history.push(step.id);
    fr.push(frontier);
    this._cursor = this._next(frontier > cursor ? frontier : cursor + 1);
    return this.current;
  }

  /** Go back to the previous asked question (its answer is kept); returns it. At the first question nothing changes and null is returned. */
  back() {
    if (!this._history.length) return null;
    const at = this._log.stamp(); // before anything changes
    const qid = /** @type {string} */ (this._history.pop());
    this._frontiers.pop();
    delete this._env[qid];
    this._cursor = this.form.question(qid).index;
    this._log.put("went_back", at, { question: qid });
    return this.current;
  }

  /** Confirm the answer kept for the current question and move on (after a `back`). */
  forward() {
    const q = this.current;
    if (q === null) throw new AnswerError(null, "finished");
    if (!this._answers.has(q.id)) throw new AnswerError(q.id, "no_answer");
    return this.answer(this._answers.get(q.id));
  }

  /** Go back to an earlier asked question `qid` (a series of `back`). @param {string} qid */
  goto(qid) {
    if (typeof qid !== "string" || !this._history.includes(qid)) {
      throw new AnswerError(typeof qid === "string" ? qid : describe(qid), "not_in_history");
    }
    while (this.current === null || this.current.id !== qid) this.back();
    return this.current;
  }

  /** The audit trail, oldest first (copies): see events.js. */
  get events() {
    return this._log.copy();
  }

  /** How many of the oldest events were dropped to keep the trail within MAX_EVENTS. */
  get eventsDropped() {
    return this._log.dropped;
  }

  /** The warnings acknowledged so far: check id to the reason given (a copy). */
  get acknowledged() {
    return { ...this._acknowledged };
  }

  /**
   * Let warning `rule` through for `reason` (a text of 1 to 1000 characters, not all blank); it
   * must hold on the current answers. The submitted record carries it under `_meta`. A warning
   * whose check says `acknowledge: required` cannot be submitted without one. AnswerError
   * (acknowledge.unknown, acknowledge.reason, acknowledge.not_holding) otherwise.
   * @param {string} rule @param {string} reason
   */
  acknowledge(rule, reason) {
    if (typeof rule !== "string" || !this.form._warnings.has(rule)) {
      throw new AnswerError(typeof rule === "string" ? rule : describe(rule ?? null), "acknowledge.unknown");
    }
    if (!isReason(reason)) throw new AnswerError(rule, "acknowledge.reason");
    if (!this.violations.some((v) => v.severity === "warning" && v.rule === rule)) {
      throw new AnswerError(rule, "acknowledge.not_holding");
    }
    const at = this._log.stamp();
    this._acknowledged[rule] = reason;
    this._log.put("acknowledged", at, { rule, reason });
  }

  /**
   * The completed record. SubmitError "unfinished" while a question is still to be asked, "errors"
   * while an error holds, "unacknowledged" while a warning that asks for a reason
   * (`acknowledge: required`) holds without one (all with `.violations`); other warnings never
   * block. Acknowledged warnings that hold go into the record under `_meta`.
   */
  submit() {
    const q = this.current;
    if (q !== null) throw new SubmitError("unfinished", `the interview is not finished: ${q.id} is still to be asked`);
    const walked = this._walked();
    const found = this.form.runChecks(walked.env);
    const errors = found.filter((v) => v.severity === "error");
    if (errors.length) throw new SubmitError("errors", `${errors.length} error(s) block submission`, errors);
    const holding = new Set(found.filter((v) => v.severity === "warning").map((v) => v.rule));
    const required = new Set(this.form.acknowledgeRequired);
    const missing = found.filter((v) => holding.has(v.rule) && !Object.hasOwn(this._acknowledged, v.rule) && required.has(v.rule));
    if (missing.length) {
      throw new SubmitError("unacknowledged", `${missing.length} warning(s) need a reason (Interview.acknowledge) before submission`, missing);
    }
    const at = this._log.stamp();
    const record = walked.record;
    const given = Object.fromEntries(Object.entries(this._acknowledged).filter(([rule]) => holding.has(rule)));
    if (Object.keys(given).length) record._meta = { acknowledged: given };
    this._log.put("submitted", at);
    return record;
  }

  // -- snapshot and resume ---------------------------------------------------------------------
  /** The interview as JSON-ready data (the same as Python's); `form.resume` restores it exactly. */
  snapshot() {
    const form = this.form;
    /** @type {Record<string, any>} */
    const overrides = {};
    for (const [k, v] of Object.entries(this._params)) {
      if (!(Object.hasOwn(form.params, k) && sameValue(form.params[k], v))) overrides[k] = v;
    }
    return { qengine_snapshot: SNAPSHOT_FORMAT, form: form.id, version: form.version,
      params: overrides, answers: this.kept, history: [...this._history],
      acknowledged: { ...this._acknowledged }, events: this._log.copy(), events_dropped: this._log.dropped };
  }

  /**
   * Rebuild an interview from `snapshot()` data; SnapshotError if it cannot be. The snapshot's
   * events are taken as they are (the replay records none), then one `resumed` event is added.
   * @param {import("./form.js").Form} form @param {any} snap @param {import("./events.js").Clock | null} [clock]
   */
  static fromSnapshot(form, snap, clock = null) {
    if (!isRecord(snap) || !Number.isInteger(snap.qengine_snapshot) || snap.qengine_snapshot !== SNAPSHOT_FORMAT) {
      throw new SnapshotError("not_a_snapshot", `not a qengine snapshot (format ${SNAPSHOT_FORMAT})`);
    }
    if (typeof snap.form !== "string" || snap.form !== form.id) {
      throw new SnapshotError("other_form", `the snapshot is of form ${describe(snap.form ?? null)}, not ${describe(form.id)}`);
    }
    if (typeof snap.version !== "string" || snap.version !== form.version) {
      throw new SnapshotError("other_version", `the snapshot is of version ${describe(snap.version ?? null)} of ${form.id}, this form is version ${describe(form.version)}`);
    }
    const answers = snap.answers;
    const history = snap.history;
    const params = Object.hasOwn(snap, "params") ? snap.params : {};
    if (!isRecord(answers) || !Array.isArray(history) || !isRecord(params)) {
      throw new SnapshotError("malformed", "a snapshot needs 'answers' (a mapping) and 'history' (a list); 'params', if given, is a mapping");
    }
    let iv;
    try {
      iv = new Interview(form, form.resolveParams(params), clock);
    } catch (exc) {
      if (exc instanceof ParamError) throw new SnapshotError("bad_params", exc.message);
      throw exc;
    }
    iv._log.paused = true; // the replay below is not news: the snapshot has its events
    for (const qid of history) {
      const current = iv.current;
      if (current === null || typeof qid !== "string" || qid !== current.id) {
        throw new SnapshotError("inconsistent", `history names ${describe(qid ?? null)} where the form asks ${current ? current.id : "the end"}`);
      }
      if (!Object.hasOwn(answers, qid)) throw new SnapshotError("inconsistent", `history names ${describe(qid)} but it has no answer`);
      try {
        iv.answer(answers[qid]);
      } catch (exc) {
        if (exc instanceof AnswerError) throw new SnapshotError("bad_answer", `answer to ${describe(qid)} is refused: ${exc.message}`);
        throw exc;
      }
    }
    for (const [qid, value] of Object.entries(answers)) {
      if (iv._answers.has(qid)) continue;
      let q;
      try {
        q = form.question(qid);
      } catch (exc) {
        if (exc instanceof UnknownQuestionError) throw new SnapshotError("unknown_question", `${describe(qid)} is not a question of ${form.id}`);
        throw exc;
      }
      try {
        const v = form.steps[q.index].entered(value);
        iv._answers.set(qid, v === undefined ? null : v);
      } catch (exc) {
        if (exc instanceof AnswerError) throw new SnapshotError("bad_answer", `kept answer to ${describe(qid)} is refused: ${exc.message}`);
        throw exc;
      }
    }
    iv._restoreTrail(snap);
    iv._log.add("resumed", { version: form.version });
    return iv;
  }

  /** Take a snapshot's acknowledgements and events (both optional: older snapshots lack them);
   * SnapshotError when they are malformed. @param {Record<string, any>} snap */
  _restoreTrail(snap) {
    const acknowledged = Object.hasOwn(snap, "acknowledged") ? snap.acknowledged : {};
    const warnings = this.form._warnings;
    if (!isRecord(acknowledged) || !Object.entries(acknowledged).every(([k, v]) => warnings.has(k) && isReason(v))) {
      throw new SnapshotError("malformed", `'acknowledged' maps warnings of the form to reasons of 1 to ${MAX_REASON} characters`);
    }
    const why = this._log.restore(Object.hasOwn(snap, "events") ? snap.events : [],
      Object.hasOwn(snap, "events_dropped") ? snap.events_dropped : 0);
    if (why !== null) throw new SnapshotError("malformed", why);
    this._acknowledged = { ...acknowledged };
    this._log.paused = false;
  }
}
