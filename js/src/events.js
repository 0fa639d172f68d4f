/**
 * An interview's audit trail: what happened, when, in order, bounded in size (a port of
 * qengine/runtime/events.py).
 *
 * Each event is a plain JSON object: `{event: kind, at: time, ...}` with `question` and `value`
 * for `answered` and `changed` (an answer that replaces a different one kept for the question),
 * `question` for `went_back` (the question returned to), `rule` and `reason` for `acknowledged`,
 * `version` for `resumed`. The time comes from a clock the caller may inject (tests pass a fixed
 * one); the default is UTC to the millisecond (`2026-12-02T06:50:01.250Z`).
 * @module
 */
import { hasLoneSurrogate } from "./catalogue.js";
import { MAX_MAGNITUDE } from "./values.js";

/** the kinds of event, in the order an interview meets them */
export const KINDS = Object.freeze(["answered", "changed", "went_back", "acknowledged", "resumed", "submitted"]);
/** the most events an interview keeps (the oldest go first; `dropped` counts them) */
export const MAX_EVENTS = 1000;

/** @typedef {() => string | Date} Clock */

/** The default clock: now in UTC, ISO 8601 to the millisecond (`2026-12-02T06:50:01.250Z`). */
export const utcNow = () => new Date().toISOString();

/** @param {unknown} v @returns {v is Record<string, any>} */
const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** A value an event may hold: what an answer or a reason is (JSON, within the machine's number
 * range, text without a lone surrogate), a list of those one level deep. @param {unknown} value @param {number} [depth] @returns {boolean} */
function plain(value, depth = 0) {
  if (value === null || typeof value === "boolean") return true;
  if (typeof value === "string") return !hasLoneSurrogate(value);
  if (Array.isArray(value)) return depth === 0 && value.every((v) => plain(v, 1));
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= MAX_MAGNITUDE;
}

/** The events of one interview, newest last; at most MAX_EVENTS are kept. */
export class EventLog {
  /** @param {Clock | null} [clock] */
  constructor(clock = null) {
    if (clock !== null && clock !== undefined && typeof clock !== "function") {
      throw new TypeError(`clock must be a function giving the time, not ${clock === null ? "null" : typeof clock}`);
    }
    /** @type {Clock} */ this.clock = clock || utcNow;
    /** @type {Record<string, any>[]} */ this.events = [];
    this.dropped = 0;
    /** while a snapshot is replayed: its events are already in the log */
    this.paused = false;
  }

  /** The time for an event about to happen, or null while paused (so that a clock that fails
   * does so before the interview changes). @returns {string | null} */
  stamp() {
    if (this.paused) return null;
    let at = this.clock();
    if (at instanceof Date) at = at.toISOString();
    if (typeof at !== "string") throw new TypeError(`the clock gave ${at === null ? "null" : typeof at}, not a text or a Date`);
    return at;
  }

  /** @param {string} kind @param {Record<string, any>} [fields] */
  add(kind, fields = {}) {
    this.put(kind, this.stamp(), fields);
  }

  /** Keep an event stamped before (nothing while paused: `at` is null).
   * @param {string} kind @param {string | null} at @param {Record<string, any>} [fields] */
  put(kind, at, fields = {}) {
    if (at === null) return;
    this.events.push({ event: kind, at, ...fields });
    if (this.events.length > MAX_EVENTS) {
      const excess = this.events.length - MAX_EVENTS;
      this.events.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** The events (copies). */
  copy() {
    return this.events.map((e) => structuredClone(e));
  }

  /** Take the events of a snapshot; the problem with them (null when there is none). @param {unknown} events @param {unknown} dropped */
  restore(events, dropped) {
    if (!Array.isArray(events)) return "'events' is a list";
    if (!Number.isInteger(dropped) || /** @type {number} */ (dropped) < 0) return "'events_dropped' is a whole number, 0 or more";
    /** @type {Record<string, any>[]} */
    const kept = [];
    for (const [k, event] of events.entries()) {
      if (!isRecord(event) || !KINDS.includes(event.event) || typeof event.at !== "string") {
        return `event ${k} is not an object with a known 'event' and an 'at' time`;
      }
      if (!Object.values(event).every((v) => plain(v))) return `event ${k} holds a value that is not a JSON text, number, list or null`;
      kept.push(structuredClone(event));
    }
    const excess = Math.max(0, kept.length - MAX_EVENTS);
    this.events = kept.slice(excess);
    this.dropped = /** @type {number} */ (dropped) + excess;
    return null;
  }
}
