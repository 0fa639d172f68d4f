/**
 * A form, ready to validate records: the machine evaluated (a port of qengine/runtime/form.py
 * and walk.py). `validate` gives the same violations, messages, order, path and canonical record
 * as Python's `Form.interpret`.
 * @module
 */
import { cmpText, describe, hasLoneSurrogate, pyLen, render } from "./catalogue.js";
import { AnswerError, ParamError, RecordError, UnknownQuestionError } from "./errors.js";
import { Evaluator, pyEq } from "./evaluate.js";
import { applies, Category, describeFinding, Indicator } from "./findings.js";
import { Interview } from "./interview.js";
import { isBlank, isBlankText, isIsoDate, isReason, makeCoercers, MAX_MAGNITUDE, MAX_REASON, META } from "./values.js";

/**
 * @typedef {object} Violation
 * @property {string} rule  a check's id or a built-in code
 * @property {string} severity  "error" or "warning"
 * @property {string[]} questions
 * @property {string} message  in the form's first language
 * @property {Record<string, string>} messages  in each of the form's languages
 */
/**
 * @typedef {object} Report
 * @property {boolean} ok  no error holds
 * @property {Violation[]} violations
 * @property {string[]} path  the ids asked, in order
 * @property {Record<string, any>} record  the canonical record
 */
/** @typedef {{params?: Record<string, any> | null, coerce?: boolean}} Options */

/** A JSON number of the machine's domain. @param {unknown} v */
export function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= MAX_MAGNITUDE;
}

/** Python's type name of a JSON value. @param {unknown} v */
function pyTypeName(v) {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return "list";
  return "dict";
}

/** @param {unknown} v @returns {v is number} */
const finiteNumber = (v) => typeof v === "number" && Number.isFinite(v);

/** @param {unknown} v @returns {v is Record<string, any>} */
const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** @param {Record<string, string>} texts @param {readonly string[]} languages @param {string} fallback */
function primary(texts, languages, fallback) {
  for (const lang of languages) if (texts[lang]) return String(texts[lang]);
  const values = Object.values(texts);
  return values.length ? values[0] : fallback;
}

/** A question of a form, as a front end shows it (Python's `Question`): `label` is the text in the
 * form's first language, `labels` the texts by language. `toDict()` (and `JSON.stringify`) gives
 * Python's `Question.to_dict()`. */
export class Question {
  /** @param {any} q a question of a checked machine @param {number} index @param {readonly string[]} langs */
  constructor(q, index, langs) {
    /** @type {string} */ this.id = q.id;
    /** @type {string | null} */ this.number = q.number;
    /** @type {string} */ this.label = primary(q.labels, langs, q.id);
    /** @type {Record<string, string>} */ this.labels = Object.freeze({ ...q.labels });
    /** @type {Record<string, string>} */ this.hints = Object.freeze({ ...q.hints });
    /** @type {string} */ this.type = q.type;
    /** @type {readonly {code: number, name: string | null, label: string, labels: Record<string, string>}[]} */
    this.choices = Object.freeze(q.choices.map((/** @type {any} */ c) => Object.freeze(
      { code: c.code, name: typeof c.name === "string" ? c.name : null, label: primary(c.labels, langs, String(c.code)),
        labels: Object.freeze({ ...c.labels }) })));
    /** @type {boolean} */ this.required = q.required;
    /** @type {string | null} */ this.unit = q.unit;
    /** @type {any} */ this.min = q.min;
    /** @type {any} */ this.max = q.max;
    /** @type {number | null} */ this.decimals = q.decimals;
    /** @type {number | null} */ this.max_length = q.max_length;
    /** @type {boolean} */ this.none_ok = q.none_ok;
    /** @type {string} */ this.section = q.section;
    /** @type {number} */ this.index = index;
    /** @type {boolean} */ this.computed = q.type === "computed";
    Object.freeze(this);
  }

  /** The question as JSON-ready data for a front end: exactly Python's `Question.to_dict()`. */
  toDict() {
    /** @type {Record<string, any>} */
    const out = { id: this.id, number: this.number, label: { ...this.labels }, type: this.type, required: this.required };
    if (this.choices.length) out.choices = this.choices.map((c) => ({ code: c.code, label: { ...c.labels }, ...(c.name !== null ? { name: c.name } : {}) }));
    for (const key of /** @type {const} */ (["unit", "min", "max", "decimals", "max_length"])) {
      if (this[key] !== null && this[key] !== undefined) out[key] = this[key];
    }
    if (this.none_ok) out.none_ok = true;
    if (Object.keys(this.hints).length) out.hints = { ...this.hints };
    return out;
  }

  toJSON() {
    return this.toDict();
  }
}

export class Form {
  /** Build from a machine already checked (use `loadMachine` for one from outside). @param {any} machine */
  constructor(machine) {
    const m = (this._machine = machine);
    /** @type {string} */ this.id = m.id;
    /** @type {string} */ this.version = m.version;
    /** @type {Record<string, string>} */ this.titles = { ...m.titles };
    /** @type {string[]} */ this.languages = [...m.languages];
    /** @type {Record<string, any>} */
    this.params = Object.freeze(Object.fromEntries(m.params.map((/** @type {any} */ p) => [p.name, p.value])));
    /** @type {Record<string, string>} */
    this._paramTypes = Object.fromEntries(m.params.map((/** @type {any} */ p) => [p.name, p.type]));
    const langs = this.languages;
    /** @type {Question[]} */
    this.questions = Object.freeze(m.questions.map((/** @type {any} */ q, /** @type {number} */ i) => new Question(q, i, langs)));
    /** @type {Map<string, Question>} */
    this._byId = new Map(this.questions.map((q) => [q.id, q]));
    const index = new Map(this.questions.map((q) => [q.id, q.index]));
    const ev = (this._ev = new Evaluator(this.params));
    for (const c of m.computed) {
      ev.computedNodes[c.question] = c.value;
      ev.computed[c.question] = ev.expr(c.value);
    }
    /** @type {Map<string, any[]>} */
    const jumpsOf = new Map(m.steps.map((/** @type {any} */ s) => [s.question, s.jumps]));
    const n = this.questions.length;
    /** @type {Map<string, (env: any) => any>} each section's ask_if, compiled once */
    const sectionIf = new Map(m.sections.filter((/** @type {any} */ s) => s.ask_if).map((/** @type {any} */ s) => [s.id, ev.expr(s.ask_if.when)]));
    /** What the runtime needs of each question, in form order (Python's `Form.steps`). */
    this.steps = this.questions.map((q) => {
      const { entered, strict } = makeCoercers(q);
      const jumps = (jumpsOf.get(q.id) || []).map((j) => ({
        guard: ev.expr(j.when), target: index.has(j.target) ? /** @type {number} */ (index.get(j.target)) : n,
      }));
      const own = m.questions[q.index].ask_if;
      const conditions = [sectionIf.get(q.section), own ? ev.expr(own.when) : undefined].filter((f) => f !== undefined);
      /** whether the ask_ifs of the question and its section hold (null: it has none) */
      const asked = conditions.length ? (/** @type {any} */ env) => conditions.every((f) => Boolean(f(env))) : null;
      return { id: q.id, index: q.index, entered, strict, required: q.required,
        multiple: q.type === "multiple", noneOk: q.none_ok, jumps, compute: ev.computed[q.id] || null, asked };
    });
    this._checks = m.checks.map((/** @type {any} */ c) => {
      const f = ev.expr(c.rule);
      return { id: c.id, severity: c.severity, questions: [...c.questions], deps: [...c.deps],
        messages: { ...c.messages }, fires: c.kind === "when" ? f : (/** @type {any} */ env) => !f(env),
        acknowledge: c.acknowledge === "required" };
    });
    /** the warnings whose submission needs a reason (`acknowledge: required`), in order @type {readonly string[]} */
    this.acknowledgeRequired = Object.freeze(this._checks.filter((c) => c.acknowledge).map((c) => c.id));
    /** every warning's id */
    this._warnings = new Set(this._checks.filter((c) => c.severity === "warning").map((c) => c.id));
    const file = m.source ?? null;
    /** The findings the form declares (the rows of the office's tallies), in order. @type {readonly Indicator[]} */
    this.indicators = Object.freeze((m.findings ?? []).map((/** @type {any} */ f) => new Indicator(f, langs, file, ev.expr(f.rule))));
    /** The household categories the form declares, in order. @type {readonly Category[]} */
    this.householdCategories = Object.freeze((m.categories ?? []).map((/** @type {any} */ c) => new Category(c, langs, file, ev.expr(c.rule))));
    /** @type {Map<string, Map<number, Record<string, string>>>} */
    this._choiceLabels = new Map(this.questions.filter((q) => q.choices.length)
      .map((q) => [q.id, new Map(q.choices.map((c) => [c.code, c.labels]))]));
    /** multiple choices whose [] is a blank, not the answer "none of these" */
    this._blankLists = this.questions.filter((q) => q.type === "multiple" && !q.none_ok).map((q) => q.id);
  }

  /** The machine of this form (a copy). */
  toJSON() {
    return structuredClone(this._machine);
  }

  /** The question with id `qid`; UnknownQuestionError if none. @param {string} qid */
  question(qid) {
    const q = this._byId.get(qid);
    if (!q) throw new UnknownQuestionError(this.id, qid);
    return q;
  }

  /**
   * A new interview, optionally with some params overridden (ParamError for a bad one); `clock`
   * (a function giving the time as ISO text or a Date) stamps its events (default: UTC now).
   * @param {{params?: Record<string, any> | null, clock?: import("./events.js").Clock | null}} [options]
   */
  start({ params = null, clock = null } = {}) {
    return new Interview(this, this.resolveParams(params), clock);
  }

  /**
   * The interview a `snapshot()` describes; SnapshotError if not. `clock` as for `start`.
   * @param {unknown} snapshot @param {{clock?: import("./events.js").Clock | null}} [options]
   */
  resume(snapshot, { clock = null } = {}) {
    return Interview.fromSnapshot(this, snapshot, clock);
  }

  /** The form's params with `overrides` applied; ParamError for a bad one. @param {Record<string, any> | null | undefined} overrides */
  resolveParams(overrides) {
    const values = { ...this.params };
    if (overrides === null || overrides === undefined) return values;
    if (!isRecord(overrides)) throw new ParamError("*", "params must be a mapping of name to value");
    // An unknown name first, the least by code point (as Python): an object puts "4" before "".
    const unknown = Object.keys(overrides).filter((name) => !Object.hasOwn(values, name));
    if (unknown.length) {
      const name = unknown.reduce((a, b) => (codePointLess(b, a) ? b : a));
      const known = Object.keys(this.params).join(", ") || "none";
      const shown = pyLen(name) <= 100 ? name : describe(name); // as Python: a long name shortened
      throw new ParamError(shown, `form ${this.id} has no such param (params: ${known})`, "unknown_param");
    }
    for (const [name, value] of Object.entries(overrides)) {
      const kind = this._paramTypes[name];
      if (kind === "num" && !isNumber(value)) throw new ParamError(name, `expected a number within ±1e15, got ${describe(value)}`);
      if (kind !== "num" && typeof value !== "string") throw new ParamError(name, `expected a text, got ${describe(value)}`);
      if (kind === "date" && !isIsoDate(value)) throw new ParamError(name, `expected an ISO date (YYYY-MM-DD), got ${describe(value)}`);
      if (typeof value === "string" && hasLoneSurrogate(value)) throw new ParamError(name, "text holds a lone surrogate");
      values[name] = value;
    }
    return values;
  }

  /**
   * Walk `record`: the path asked, the environment the rules see, the canonical record.
   * @param {Record<string, any>} record @param {Record<string, any>} env @param {boolean} coerce
   * @param {((rule: string, qid: string, exc: AnswerError | null) => void) | null} onProblem
   * @param {boolean} [whole] every question on the path in the record, those `record` lacks as
   *   blanks (a report's record, what a submit gives); otherwise only those it names
   */
  walk(record, env, coerce, onProblem, whole = false) {
    /** @type {string[]} */
    const path = [];
    /** @type {{id: string, compute: (env: any) => any}[]} */
    const reached = [];
    let skipTo = 0;
    for (const step of this.steps) {
      const has = Object.hasOwn(record, step.id);
      const raw = has ? record[step.id] : undefined;
      // skipped by a jump, or an ask_if (its section's or its own) fails: not asked
      if (step.index < skipTo || (step.asked !== null && !step.asked(env))) {
        // [] of a none_ok question answers "none of these": an answer, not a blank
        if (onProblem && raw !== null && raw !== undefined && (!blankRaw(raw) || (step.noneOk && Array.isArray(raw)))) {
          onProblem("not_asked", step.id, null);
        }
        continue;
      }
      if (step.compute) {
        reached.push({ id: step.id, compute: step.compute });
        continue;
      }
      path.push(step.id);
      if (raw === null || raw === undefined) {
        if (step.required && onProblem) onProblem("required", step.id, null);
      } else {
        let value;
        let failed = false;
        try {
          value = (coerce ? step.entered : step.strict)(raw);
        } catch (exc) {
          if (!(exc instanceof AnswerError)) throw exc;
          failed = true;
          if (onProblem) onProblem(exc.code, step.id, exc);
        }
        if (!failed) {
          if (value !== null && value !== undefined) env[step.id] = value;
          else if (step.required && onProblem) onProblem("required", step.id, null);
        }
      }
      for (const jump of step.jumps) {
        if (jump.guard(env)) { skipTo = jump.target; break; }
      }
    }
    for (const { id, compute } of reached) {
      const value = compute(env);
      if (value !== null && value !== undefined) env[id] = value;
    }
    /** @type {Record<string, any> | null} */
    let made = null;
    const build = () => {
      /** @type {Record<string, any>} */
      const out = {};
      for (const qid of path) {
        if (Object.hasOwn(env, qid)) out[qid] = Array.isArray(env[qid]) ? [...env[qid]] : env[qid];
        else if (whole || Object.hasOwn(record, qid)) { // a blank; [] of a none_ok question would be an answer
          const q = this._byId.get(qid);
          out[qid] = q?.type === "multiple" && !q.none_ok ? [] : null;
        }
      }
      for (const step of this.steps) {
        if (step.compute && Object.hasOwn(env, step.id)) out[step.id] = env[step.id];
      }
      return out;
    };
    // the canonical record is made when first read (validation itself never needs it), once
    return { path, env, get record() { return (made ??= build()); } };
  }

  /** @param {Record<string, any> | null | undefined} params */
  _env(params) {
    return Object.assign(Object.create(null), params !== null && params !== undefined ? this.resolveParams(params) : this.params);
  }

  /**
   * The ids an interview asks, in order, when the answers are those of `record`.
   * @param {unknown} record @param {Options} [options] @returns {string[]}
   */
  path(record, { params = null, coerce = false } = {}) {
    return this.walk(isRecord(record) ? record : {}, this._env(params), coerce, null).path;
  }

  /**
   * Check a completed record; never throws on record content (bad params throw ParamError).
   * `coerce` converts entered text ("②", "1,234.5") as an interview does.
   * @param {unknown} record @param {Options} [options] @returns {Report}
   */
  validate(record, { params = null, coerce = false } = {}) {
    const env = this._env(params);
    /** @type {Violation[]} */
    const problems = [];
    /** @type {Record<string, any>} */
    let rec;
    if (!isRecord(record)) {
      problems.push(this.violation("not_a_record", [], { kind: pyTypeName(record) }));
      rec = {};
    } else {
      rec = record;
      problems.push(...this.unknownQuestions(rec));
    }
    const walked = this.walk(rec, env, coerce, (rule, qid, exc) => {
      if (exc) {
        const messages = exc.messages(this.languages);
        problems.push({ rule, severity: "error", questions: [qid], message: messages[this.languages[0]], messages });
      } else {
        problems.push(this.violation(rule, [qid], { question: qid }));
      }
    }, true);
    for (const q of this.questions) {
      if (q.computed && Object.hasOwn(rec, q.id)) {
        const computed = Object.hasOwn(env, q.id) ? env[q.id] : null;
        if (computed !== null) {
          const mismatch = this.computedMismatch(q.id, rec[q.id], computed, env);
          if (mismatch) problems.push(mismatch);
        }
      }
    }
    problems.push(...this.runChecks(env));
    if (this.acknowledgeRequired.length || Object.hasOwn(rec, META)) problems.push(...this.metaViolations(rec, problems));
    return { ok: !problems.some((v) => v.severity === "error"), violations: problems, path: walked.path,
      get record() { return walked.record; } };  // made when first read
  }

  /**
   * What `_meta` says wrong (`bad_meta`), and each warning that asks for a reason, holds in `found`
   * and has none in `_meta.acknowledged` (`unacknowledged`).
   * @param {Record<string, any>} record @param {Violation[]} found @returns {Violation[]}
   */
  metaViolations(record, found) {
    /** @type {Violation[]} */
    const out = [];
    const acknowledged = this.acknowledgementsOf(record, out);
    const holding = new Set(found.filter((v) => v.severity === "warning").map((v) => v.rule));
    for (const check of this._checks) {
      if (check.acknowledge && holding.has(check.id) && !Object.hasOwn(acknowledged, check.id)) {
        out.push(this.violation("unacknowledged", [...check.questions], { question: check.id }));
      }
    }
    return out;
  }

  /**
   * The acknowledged warnings a record's `_meta` gives (check id to reason); each problem with it
   * is added to `problems` as a `bad_meta` violation.
   * @param {Record<string, any>} record @param {Violation[]} problems @returns {Record<string, string>}
   */
  acknowledgementsOf(record, problems) {
    if (!Object.hasOwn(record, META)) return {};
    const meta = record[META];
    let why = null;
    /** @type {Record<string, string>} */
    const acknowledged = {};
    if (!isRecord(meta) || Object.keys(meta).some((k) => k !== "acknowledged")) {
      why = "it is a mapping whose only key is 'acknowledged'";
    } else if (!isRecord(Object.hasOwn(meta, "acknowledged") ? meta.acknowledged : {})) {
      why = "'acknowledged' maps a warning's id to the reason given";
    } else {
      for (const [rule, reason] of Object.entries(Object.hasOwn(meta, "acknowledged") ? meta.acknowledged : {})) {
        if (!this._warnings.has(rule)) {
          why = `${describe(rule)} is not a warning of form ${this.id}`;
          break;
        }
        if (!isReason(reason)) {
          why = `the reason for ${rule} is not a text of 1 to ${MAX_REASON} characters`;
          break;
        }
        acknowledged[rule] = reason;
      }
    }
    if (why !== null) {
      problems.push(this.violation("bad_meta", [META], { why }));
      return {};
    }
    return acknowledged;
  }

  /**
   * A built-in violation with message `key` in each of the form's languages.
   * @param {string} key @param {string[]} questions @param {Record<string, any>} args @returns {Violation}
   */
  violation(key, questions, args) {
    const a = { ...args };
    if ("value" in a) a.value = describe(a.value);
    /** @type {Record<string, string>} */
    const messages = {};
    for (const lang of this.languages) messages[lang] = render(key, lang, a);
    const code = key.split(".")[0];
    return { rule: code, severity: code === "computed_mismatch" || code === "unacknowledged" ? "warning" : "error", questions,
      message: messages[this.languages[0]], messages };
  }

  /** An unknown_question violation per key naming no question, in a stable order. @param {Record<string, any>} record */
  unknownQuestions(record) {
    const extra = Object.keys(record).filter((k) => !this._byId.has(k) && k !== META); // _meta: what metaViolations reads
    const keyed = extra.map((k) => ({ k, d: describe(k) }));
    keyed.sort((x, y) => cmpText(x.d, y.d));
    return keyed.map(({ k, d }) => this.violation("unknown_question", [pyLen(k) <= 200 ? k : d], { value: k, form: this.id }));
  }

  /**
   * The warning for a given computed value that disagrees with what the form computes, or null.
   * @param {string} qid @param {any} given @param {any} computed @param {Record<string, any>} env
   */
  computedMismatch(qid, given, computed, env) {
    if (isBlank(given)) return null;
    const computedFloat = typeof computed === "number" && this._ev.isFloat(this._ev.computedNodes[qid], env);
    let same;
    if (finiteNumber(given) && finiteNumber(computed)) { // 1e16 and 10**16 agree
      same = Math.abs(given - computed) <= 1e-6 * Math.max(1, Math.abs(computed));
    } else {
      const computedType = typeof computed === "number" ? (computedFloat ? "float" : "int") : pyTypeName(computed);
      same = pyTypeName(given) === computedType && pyEq(given, computed);
    }
    if (same) return null;
    const shown = computedFloat && Number.isInteger(computed) ? floatShown(computed) : describe(computed);
    return this.violation("computed_mismatch", [qid], { question: qid, value: given, computed: shown });
  }

  /**
   * What the rules of findings and categories read for `record`: the params, then the record's
   * canonical values (the answers on its path and the computed values). RecordError for a record
   * that is no mapping; ParamError for bad params.
   * @param {unknown} record @param {Record<string, any> | null} [params] @param {{coerce?: boolean}} [options]
   * @returns {Record<string, any>}
   */
  values(record, params = null, { coerce = false } = {}) {
    if (!isRecord(record)) throw new RecordError(`a record is a mapping of question ids to answers, not ${describe(record)}`);
    const env = Object.assign(Object.create(null), this.resolveParams(params));
    return Object.assign(env, this.validate(record, { params, coerce }).record);
  }

  /**
   * The findings of `record` (the suspected problems it shows), in the form's order; a question
   * that was not asked never makes one. RecordError for a record that is no mapping.
   * @param {unknown} record @param {Record<string, any> | null} [params] @param {{coerce?: boolean}} [options]
   */
  findings(record, params = null, { coerce = false } = {}) {
    return this.findingsFrom(this.values(record, params, { coerce }));
  }

  /**
   * The ids of the household categories `record` falls under, in the form's order.
   * @param {unknown} record @param {Record<string, any> | null} [params] @param {{coerce?: boolean}} [options]
   * @returns {string[]}
   */
  categories(record, params = null, { coerce = false } = {}) {
    return this.categoriesFrom(this.values(record, params, { coerce }));
  }

  /**
   * The findings on `values` (params, answers and computed values by id, as `values()` gives
   * them; a missing param takes the form's value). @param {Record<string, any>} values
   */
  findingsFrom(values) {
    if (!this.indicators.length) return [];
    const env = this._ruleValues(values);
    return this.indicators.filter((ind) => applies(ind.deps, env) && ind.fires(env))
      .map((ind) => describeFinding(ind, env, this._choiceLabels, this.languages));
  }

  /** The categories on `values` (as for `findingsFrom`). @param {Record<string, any>} values @returns {string[]} */
  categoriesFrom(values) {
    if (!this.householdCategories.length) return [];
    const env = this._ruleValues(values);
    return this.householdCategories.filter((c) => applies(c.deps, env) && c.fires(env)).map((c) => c.id);
  }

  /**
   * `values` as the rules see them: a missing param takes the form's value, and a multiple choice
   * left blank (`[]` in a canonical record, unless [] is its answer "none of these") has no value,
   * as for checks. @param {Record<string, any>} values
   */
  _ruleValues(values) {
    const blank = this._blankLists.filter((q) => Object.hasOwn(values, q) && Array.isArray(values[q]) && !values[q].length);
    if (!blank.length && Object.keys(this.params).every((name) => Object.hasOwn(values, name))) return values;
    const env = Object.assign(Object.create(null), this.params, values);
    for (const q of blank) env[q] = null;
    return env;
  }

  /** The checks that fire on `values`. @param {Record<string, any>} values @returns {Violation[]} */
  runChecks(values) {
    const lang = this.languages[0];
    /** @type {Violation[]} */
    const out = [];
    for (const check of this._checks) {
      if (check.deps.some((d) => values[d] === null || values[d] === undefined)) continue;
      if (check.fires(values)) {
        const message = check.messages[lang] || Object.values(check.messages)[0] || check.id;
        out.push({ rule: check.id, severity: check.severity, questions: [...check.questions], message, messages: { ...check.messages } });
      }
    }
    return out;
  }
}

/** A whole number held by Python as a float, as repr shows it. @param {number} x */
function floatShown(x) {
  if (Math.abs(x) >= 1e16) {
    const [m, e] = x.toExponential().split("e");
    const exp = Number(e);
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return `${x}.0`;
}

/** What the walk counts as blank when a skipped question holds it. @param {unknown} v */
function blankRaw(v) {
  if (typeof v === "string") return isBlankText(v);
  return Array.isArray(v) && v.length === 0;
}

/** Whether text `a` sorts before `b` by code point (Python's order of str; JavaScript's own
 * comparison is by UTF-16 unit, which differs past U+FFFF). @param {string} a @param {string} b */
function codePointLess(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i];
  return x.length < y.length;
}
