/**
 * Reading a machine (a port of qengine/runtime/machine.py `check_machine`): the shape of every
 * field, ids unique, sections in order, one step per asked question, jump targets that exist and
 * lie ahead, expressions well typed and reading only what they may. Every problem is reported at
 * once, at its JSON pointer, as a FormError whose problems have code "machine".
 * @module
 */
import { hasLoneSurrogate, pyLen, strRepr } from "./catalogue.js";
import { FormError } from "./errors.js";
import { templateNames, TemplateError, TYPES, UNITS } from "./findings.js";
import { Form } from "./form.js";
import { isIsoDate, MAX_MAGNITUDE } from "./values.js";

export const FORMAT = "qengine-machine/1";
export const MAX_IR_DEPTH = 200;
const QUESTION_TYPES = ["text", "integer", "number", "money", "year", "date", "single", "multiple", "id_number", "computed"];
const NUMERIC_TYPES = new Set(["integer", "number", "money", "year"]);
const IR_TYPES = new Set(["num", "text", "date", "code", "codes", "bool", "list"]);
/** @type {Record<string, string>} */
const ANSWER_TYPES = { integer: "num", number: "num", money: "num", year: "num", date: "date", single: "code", multiple: "codes", text: "text", id_number: "text" };
const NUM = new Set(["num"]);
const BOOL = new Set(["bool"]);
const ORDERED = new Set(["num", "code", "date", "text"]); // codes are ordered as numbers (q9 < ③)
/** @type {Record<string, [number, number | null, Set<string> | null, Set<string>]>} */
const OPS = {
  num: [0, 0, null, NUM], text: [0, 0, null, new Set(["text", "date"])], code: [0, 0, null, new Set(["code"])],
  answer: [0, 0, null, IR_TYPES], computed: [0, 0, null, new Set(["num", "code", "text", "date"])],
  param: [0, 0, null, new Set(["num", "text", "date"])],
  neg: [1, 1, NUM, NUM], not: [1, 1, BOOL, BOOL],
  add: [2, 2, NUM, NUM], sub: [2, 2, NUM, NUM], mul: [2, 2, NUM, NUM], div: [2, 2, NUM, NUM],
  eq: [2, 2, null, BOOL], ne: [2, 2, null, BOOL],
  lt: [2, 2, ORDERED, BOOL], le: [2, 2, ORDERED, BOOL], gt: [2, 2, ORDERED, BOOL], ge: [2, 2, ORDERED, BOOL],
  and: [2, null, BOOL, BOOL], or: [2, null, BOOL, BOOL], in: [1, null, null, BOOL], not_in: [1, null, null, BOOL],
  answered: [1, 1, null, BOOL], selected: [2, null, null, BOOL], count: [1, 1, new Set(["codes"]), NUM],
  sum: [1, null, NUM, NUM], min: [1, null, NUM, NUM], max: [1, null, NUM, NUM], abs: [1, 1, NUM, NUM],
  len: [1, 1, new Set(["text"]), NUM],
  // if(cond, a, b): checked below (a bool, then two branches of the node's type)
  if: [3, 3, null, new Set(["num", "text", "date", "code"])],
  round: [1, 2, NUM, NUM], int: [1, 1, NUM, NUM], mod: [2, 2, NUM, NUM],
  number: [1, 1, new Set(["text", "num", "code"]), NUM],
  substr: [2, 3, null, new Set(["text"])], // a text, then numbers: checked below
};
/** a choice's name: what entered text may give instead of its code (an XLSForm choice name) */
const CHOICE_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const LEAVES = new Set(["num", "text", "code", "answer", "computed", "param"]);
const TOP = ["format", "id", "version", "titles", "languages", "source", "params", "sections", "questions", "steps", "computed", "checks"];
/** top-level keys a machine may leave out (an absent one is an empty list) */
const OPTIONAL_TOP = ["findings", "categories"];
const QUESTION = ["id", "number", "labels", "hints", "type", "section", "required", "unit", "min", "max", "decimals", "max_length", "none_ok", "choices", "at"];

/** @param {unknown} v */
function kind(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number") return "a number";
  if (typeof v === "string") return "text";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return typeof v;
}
/** @param {unknown} v @returns {v is Record<string, any>} */
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
/** @param {unknown} v */
const isNumber = (v) => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= MAX_MAGNITUDE;
/** @param {unknown} v */
const isInt = (v) => typeof v === "number" && Number.isInteger(v);
/** @param {unknown} v @param {Record<string, any> | Set<string> | Map<string, any>} names */
const member = (v, names) => typeof v === "string" && (names instanceof Set || names instanceof Map ? names.has(v) : Object.hasOwn(names, v));

class Reader {
  constructor() { /** @type {{code: string, message: string}[]} */ this.problems = []; }
  /** @param {string} where @param {string} message */
  fail(where, message) {
    if (this.problems.length < 100) this.problems.push({ code: "machine", message: `${where || "/"}: ${message}` });
  }
  /** @param {any} value @param {string} where @param {string[]} required @param {string[]} [optional] */
  obj(value, where, required, optional = []) {
    if (!isObj(value)) { this.fail(where, `expected an object, got ${kind(value)}`); return false; }
    let ok = true;
    for (const key of required) if (!Object.hasOwn(value, key)) { this.fail(where, `'${key}' is missing`); ok = false; }
    for (const key of Object.keys(value)) {
      if (!required.includes(key) && !optional.includes(key)) { this.fail(`${where}/${key}`, "is not a field of the machine format"); ok = false; }
    }
    return ok;
  }
  /** @param {any} value @param {string} where @param {boolean} [nullable] */
  text(value, where, nullable = false) {
    if (typeof value === "string" || (nullable && value === null)) {
      if (typeof value === "string" && hasLoneSurrogate(value)) { this.fail(where, "text holds a lone surrogate"); return false; }
      return true;
    }
    this.fail(where, `expected ${nullable ? "text or null" : "text"}, got ${kind(value)}`);
    return false;
  }
  /** @param {any} value @param {string} where */
  texts(value, where) {
    if (!isObj(value)) { this.fail(where, `expected an object of texts by language, got ${kind(value)}`); return false; }
    return Object.entries(value).map(([k, v]) => this.text(k, where) && this.text(v, `${where}/${k}`)).every(Boolean);
  }
  /** @param {any} value @param {string} where @returns {any[]} */
  array(value, where) {
    if (!Array.isArray(value)) { this.fail(where, `expected an array, got ${kind(value)}`); return []; }
    return value;
  }
  /** @param {any} value @param {string} where */
  boolean(value, where) {
    if (typeof value !== "boolean") { this.fail(where, `expected true or false, got ${kind(value)}`); return false; }
    return true;
  }
  /** @param {any} value @param {string} where @param {{nullable?: boolean, integer?: boolean}} [o] */
  number(value, where, { nullable = true, integer = false } = {}) {
    if (value === null && nullable) return true;
    if (!isNumber(value) || (integer && !isInt(value))) {
      this.fail(where, `expected ${integer ? "a whole number" : "a number"} within ±1e+15, got ${kind(value)}`);
      return false;
    }
    return true;
  }
  /** @param {any} value @param {string} where */
  position(value, where) {
    if (!(Array.isArray(value) && value.length === 2 && value.every((x) => isInt(x) && x >= 0 && x < 2 ** 31))) this.fail(where, "expected [line, column]");
  }
}

/**
 * Throw FormError (code "machine") listing every problem of `data`.
 * @param {unknown} data
 */
export function checkMachine(data) {
  const r = new Reader();
  checkDocument(r, data);
  if (r.problems.length) throw new FormError(r.problems);
}

/**
 * A Form from a machine document (parsed JSON, or its JSON text); FormError for a bad one.
 * @param {unknown} json @returns {Form}
 */
export function loadMachine(json) {
  let data = json;
  if (typeof json === "string") {
    try { data = JSON.parse(json); } catch (exc) {
      throw new FormError([{ code: "machine", message: `/: the machine is not JSON: ${/** @type {Error} */ (exc).message}` }]);
    }
  }
  checkMachine(data);
  return new Form(structuredClone(data));
}

/** @param {Reader} r @param {any} data */
function checkDocument(r, data) {
  if (!r.obj(data, "", TOP, OPTIONAL_TOP)) {
    if (isObj(data) && data.format !== undefined && data.format !== null && data.format !== FORMAT) {
      r.fail("/format", `this runtime reads '${FORMAT}', not ${JSON.stringify(data.format)}`);
    }
    return;
  }
  if (data.format !== FORMAT) { r.fail("/format", `this runtime reads '${FORMAT}', not ${JSON.stringify(data.format)}`); return; }
  r.text(data.id, "/id");
  r.text(data.version, "/version");
  r.texts(data.titles, "/titles");
  r.text(data.source, "/source", true);
  const languages = r.array(data.languages, "/languages");
  if (!languages.length) r.fail("/languages", "at least one language is needed");
  languages.forEach((lang, i) => r.text(lang, `/languages/${i}`));
  const params = checkParams(r, data.params);
  const questions = checkQuestions(r, data.questions);
  checkSections(r, data.sections, questions);
  if (r.problems.length) return;
  const index = new Map(questions.map((q, i) => [q.id, i]));
  const scope = {
    answers: new Map(questions.filter((q) => q.type !== "computed").map((q) => [q.id, ANSWER_TYPES[q.type]])),
    index, computedIds: new Set(questions.filter((q) => q.type === "computed").map((q) => q.id)),
    /** @type {Map<string, string>} */ computed: new Map(), params,
    /** @type {Map<string, number>} computed id -> the highest question index it reads */ reach: new Map(),
  };
  checkComputed(r, data.computed, scope);
  checkSteps(r, data.steps, questions, index, scope);
  checkRelevance(r, data.sections, questions, index, scope);
  checkChecks(r, data.checks, scope);
  checkFindings(r, Object.hasOwn(data, "findings") ? data.findings : [], scope);
  checkCategories(r, Object.hasOwn(data, "categories") ? data.categories : [], scope);
}

/** @param {Reader} r @param {any} value @returns {Map<string, string>} */
function checkParams(r, value) {
  const out = new Map();
  r.array(value, "/params").forEach((p, i) => {
    const where = `/params/${i}`;
    if (!r.obj(p, where, ["name", "type", "value", "labels", "unit"]) || !r.text(p.name, `${where}/name`)) return;
    if (out.has(p.name)) r.fail(`${where}/name`, `param '${p.name}' is declared twice`);
    if (p.type === "num") r.number(p.value, `${where}/value`, { nullable: false });
    else if (p.type === "text" || p.type === "date") r.text(p.value, `${where}/value`);
    else r.fail(`${where}/type`, `expected num, text or date, got ${kind(p.type)}`);
    r.texts(p.labels, `${where}/labels`);
    r.text(p.unit, `${where}/unit`, true);
    out.set(p.name, p.type);
  });
  return out;
}

/** @param {Reader} r @param {any} value @returns {any[]} */
function checkQuestions(r, value) {
  /** @type {any[]} */
  const out = [];
  const seen = new Set();
  r.array(value, "/questions").forEach((q, i) => {
    const where = `/questions/${i}`;
    if (!r.obj(q, where, QUESTION, ["ask_if", "renamed_from"]) || !r.text(q.id, `${where}/id`)) return;
    if (seen.has(q.id) || q.id === "end") r.fail(`${where}/id`, `question id '${q.id}' is used twice or reserved`);
    seen.add(q.id);
    r.text(q.number, `${where}/number`, true);
    r.texts(q.labels, `${where}/labels`);
    r.texts(q.hints, `${where}/hints`);
    r.text(q.section, `${where}/section`);
    r.text(q.unit, `${where}/unit`, true);
    r.boolean(q.required, `${where}/required`);
    r.boolean(q.none_ok, `${where}/none_ok`);
    r.position(q.at, `${where}/at`);
    if (!QUESTION_TYPES.includes(q.type)) {
      r.fail(`${where}/type`, `expected one of ${QUESTION_TYPES.join(", ")}, got ${kind(q.type)}`);
      return;
    }
    if (q.none_ok === true && q.type !== "multiple") r.fail(`${where}/none_ok`, "only a multiple choice takes [] as an answer");
    checkSettings(r, q, where);
    const codes = new Set();
    const names = new Set();
    r.array(q.choices, `${where}/choices`).forEach((c, k) => {
      const cw = `${where}/choices/${k}`;
      if (r.obj(c, cw, ["code", "labels"], ["name"]) && r.number(c.code, `${cw}/code`, { nullable: false, integer: true })) {
        if (codes.has(c.code) || c.code < 0) r.fail(`${cw}/code`, `code ${c.code} is negative or used twice`);
        codes.add(c.code);
        r.texts(c.labels, `${cw}/labels`);
        if (Object.hasOwn(c, "name") && r.text(c.name, `${cw}/name`)) {
          if (names.has(c.name) || !CHOICE_NAME.test(c.name)) {
            r.fail(`${cw}/name`, `choice name ${strRepr(c.name)} is used twice or is not 1-100 of A-Z a-z 0-9 _ . : -`);
          }
          names.add(c.name);
        }
      }
    });
    if ((q.type === "single" || q.type === "multiple") !== (codes.size > 0)) r.fail(`${where}/choices`, "choice questions, and only they, have choices");
    out.push({ ...q, codes });
  });
  // the ids a question had in earlier versions: ids, none of this version's, none claimed twice
  // (pointers count the questions read, as Python's do)
  const ids = new Set(out.map((q) => q.id));
  const renamed = new Set();
  out.forEach((q, i) => {
    r.array(Object.hasOwn(q, "renamed_from") ? q.renamed_from : [], `/questions/${i}/renamed_from`).forEach((old, k) => {
      const at = `/questions/${i}/renamed_from/${k}`;
      if (!r.text(old, at)) return;
      if (ids.has(old) || renamed.has(old) || !isId(old)) {
        r.fail(at, `${strRepr(old)} is not an id, is a question of the form, or is claimed twice`);
      }
      renamed.add(old);
    });
  });
  return out;
}

/** A name as the form language writes ids: 1-100 of a-z, 0-9 and _, starting with a-z. @param {string} text */
const isId = (text) => pyLen(text) <= 100 && ID.test(text);

/** @param {Reader} r @param {any} q @param {string} where */
function checkSettings(r, q, where) {
  if (q.type === "date") {
    for (const key of ["min", "max"]) if (q[key] !== null && !isIsoDate(q[key])) r.fail(`${where}/${key}`, "expected an ISO date or null");
  } else {
    for (const key of ["min", "max"]) r.number(q[key], `${where}/${key}`);
  }
  if (NUMERIC_TYPES.has(q.type)) {
    if (!(isInt(q.decimals) && q.decimals >= 0 && q.decimals <= 15)) r.fail(`${where}/decimals`, "a number question needs its decimals (0-15)");
  } else if (q.decimals !== null) r.fail(`${where}/decimals`, "only number questions have decimals");
  if (q.type === "text") {
    if (!(isInt(q.max_length) && q.max_length > 0 && q.max_length <= 1e7)) r.fail(`${where}/max_length`, "a text question needs its max_length (1-10000000)");
  } else if (q.max_length !== null) r.fail(`${where}/max_length`, "only text questions have max_length");
  const { min: lo, max: hi } = q;
  if (lo !== null && hi !== null && typeof lo === typeof hi && (typeof lo === "number" || typeof lo === "string") && hi < lo) {
    r.fail(`${where}/max`, "max is below min");
  } else if (lo !== null && hi !== null && typeof lo !== typeof hi) {
    r.fail(`${where}/max`, "min and max are of different kinds");
  }
}

/** @param {Reader} r @param {any} value @param {any[]} questions */
function checkSections(r, value, questions) {
  const ids = questions.map((q) => q.id);
  /** @type {string[]} */
  const listed = [];
  const seen = new Set();
  const sections = r.array(value, "/sections");
  sections.forEach((s, i) => {
    const where = `/sections/${i}`;
    if (!r.obj(s, where, ["id", "titles", "closing", "questions"], ["ask_if"]) || !r.text(s.id, `${where}/id`)) return;
    if (seen.has(s.id)) r.fail(`${where}/id`, `section '${s.id}' is declared twice`);
    seen.add(s.id);
    r.texts(s.titles, `${where}/titles`);
    if (r.boolean(s.closing, `${where}/closing`) && s.closing && i !== sections.length - 1) r.fail(`${where}/closing`, "only the last section may be the closing one");
    r.array(s.questions, `${where}/questions`).forEach((qid, k) => { if (r.text(qid, `${where}/questions/${k}`)) listed.push(qid); });
  });
  if (!r.problems.length && (listed.length !== ids.length || listed.some((id, i) => id !== ids[i]))) {
    r.fail("/sections", "the sections must list every question once, in question order");
  }
  if (!r.problems.length) {
    const byId = new Map(questions.map((q) => [q.id, q]));
    for (const s of sections) for (const qid of s.questions) {
      if (byId.get(qid).section !== s.id) r.fail("/sections", `question '${qid}' names section '${byId.get(qid).section}' but is listed in '${s.id}'`);
    }
  }
}

/**
 * @typedef {{answers: Map<string, string>, index: Map<string, number>, computedIds: Set<string>,
 *   computed: Map<string, string>, params: Map<string, string>, reach: Map<string, number>}} Scope
 */

/** @param {Reader} r @param {any} node @param {string} where @param {Scope} scope @param {number | null} [limit] @param {string | null} [expect] */
function checkExpr(r, node, where, scope, limit = null, expect = null) {
  let ok = true;
  /** @type {[any, string, number][]} */
  const stack = [[node, where, 0]];
  while (stack.length) {
    const [current, at, depth] = /** @type {[any, string, number]} */ (stack.pop());
    if (depth > MAX_IR_DEPTH) { r.fail(at, `expression nested deeper than ${MAX_IR_DEPTH}`); return null; }
    if (!checkNode(r, current, at, scope, limit)) { ok = false; continue; }
    const args = Array.isArray(current.args) ? current.args : [];
    for (let i = args.length - 1; i >= 0; i--) stack.push([args[i], `${at}/args/${i}`, depth + 1]);
  }
  if (!ok) return null;
  if (expect !== null && node.type !== expect) { r.fail(where, `expected an expression of type ${expect}, got ${node.type}`); return null; }
  return node.type;
}

/** @param {Reader} r @param {any} node @param {string} at @param {Scope} scope @param {number | null} limit */
function checkNode(r, node, at, scope, limit) {
  if (!isObj(node) || !member(node.op, OPS)) {
    r.fail(at, `expected an expression node with a known op, got ${kind(isObj(node) ? node.op : node)}`);
    return false;
  }
  const op = node.op;
  const [lo, hi, argTypes, results] = OPS[op];
  /** @type {Record<string, string[]>} */
  const extras = { num: ["value"], text: ["value"], code: ["value"], answer: ["id"], computed: ["id"], param: ["name"] };
  if (!r.obj(node, at, ["op", "type", "at", ...(extras[op] || ["args"])])) return false;
  r.position(node.at, `${at}/at`);
  if (!member(node.type, results)) { r.fail(`${at}/type`, `${op} gives ${[...results].sort().join(" or ")}, not ${kind(node.type)}`); return false; }
  if (LEAVES.has(op)) return checkLeaf(r, node, at, scope, limit);
  const args = node.args;
  if (!Array.isArray(args) || args.length < lo || (hi !== null && args.length > hi)) {
    r.fail(`${at}/args`, `${op} takes ${lo}${hi === lo ? "" : " or more"} arguments`);
    return false;
  }
  if (!args.every((a) => isObj(a) && member(a.type, IR_TYPES))) return true;
  const types = args.map((a) => a.type);
  if (argTypes !== null && !types.every((t) => argTypes.has(t))) { r.fail(`${at}/args`, `${op} takes ${[...argTypes].sort().join(" or ")}, got ${types.join(", ")}`); return false; }
  if ((op === "in" || op === "not_in") && (types[0] === "codes" || types[0] === "bool")) {
    r.fail(`${at}/args`, `${op} takes a value to look for, not ${types[0]}`);
    return false;
  }
  if (["lt", "le", "gt", "ge"].includes(op) && new Set(types.map((t) => (t === "num" || t === "code" ? "num" : "text"))).size > 1) {
    r.fail(`${at}/args`, `${op} compares a number with a text or date`);
    return false;
  }
  if (op === "selected" && !(args[0].op === "answer" && (types[0] === "code" || types[0] === "codes") && args.slice(1).every((a) => a.op === "code"))) {
    r.fail(`${at}/args`, "selected takes a choice question and codes");
    return false;
  }
  if (op === "answered" && !["answer", "computed", "param"].includes(args[0].op)) { r.fail(`${at}/args`, "answered takes a question"); return false; }
  if (op === "if" && (types[0] !== "bool" || types[1] !== node.type || types[2] !== node.type)) {
    r.fail(`${at}/args`, `if takes a bool and two branches of its type ${node.type}, got ${types.join(", ")}`);
    return false;
  }
  if (op === "substr" && (types[0] !== "text" || types.slice(1).some((t) => t !== "num"))) {
    r.fail(`${at}/args`, `substr takes a text and numbers, got ${types.join(", ")}`);
    return false;
  }
  return true;
}

/** @param {Reader} r @param {any} node @param {string} at @param {Scope} scope @param {number | null} limit */
function checkLeaf(r, node, at, scope, limit) {
  const op = node.op;
  if (op === "num") return r.number(node.value, `${at}/value`, { nullable: false });
  if (op === "text") return r.text(node.value, `${at}/value`);
  if (op === "code") return r.number(node.value, `${at}/value`, { nullable: false, integer: true });
  if (op === "param") {
    if (!member(node.name, scope.params)) { r.fail(`${at}/name`, `names no param: ${kind(node.name)}`); return false; }
    if (scope.params.get(node.name) !== node.type) { r.fail(`${at}/type`, `param ${node.name} is ${scope.params.get(node.name)}, not ${node.type}`); return false; }
    return true;
  }
  const qid = node.id;
  const table = op === "answer" ? scope.answers : scope.computedIds;
  if (!member(qid, table)) {
    r.fail(`${at}/id`, typeof qid === "string" ? `names no ${op === "answer" ? "question" : "computed value"}: '${qid}'` : "expected text");
    return false;
  }
  if (op === "answer" && scope.answers.get(qid) !== node.type) { r.fail(`${at}/type`, `an answer to ${qid} is ${scope.answers.get(qid)}, not ${node.type}`); return false; }
  if (op === "computed" && !scope.computed.has(qid)) { r.fail(`${at}/id`, `computed value ${qid} is read before its value is defined`); return false; }
  if (op === "computed" && scope.computed.get(qid) !== node.type) { r.fail(`${at}/type`, `computed value ${qid} is ${scope.computed.get(qid)}, not ${node.type}`); return false; }
  if (limit !== null && op === "answer" && /** @type {number} */ (scope.index.get(qid)) > limit) { r.fail(`${at}/id`, `a jump reads ${qid}, which comes later`); return false; }
  return true;
}

/** @param {Reader} r @param {any} value @param {Scope} scope */
function checkComputed(r, value, scope) {
  const done = new Set();
  r.array(value, "/computed").forEach((c, i) => {
    const where = `/computed/${i}`;
    if (!r.obj(c, where, ["question", "value", "text"])) return;
    if (!member(c.question, scope.computedIds) || done.has(c.question)) { r.fail(`${where}/question`, "expected a computed question, each once"); return; }
    r.text(c.text, `${where}/text`);
    const t = checkExpr(r, c.value, `${where}/value`, scope);
    if (t !== null && !["num", "code", "text", "date"].includes(t)) r.fail(`${where}/value`, `a computed value is a number, code, text or date, not ${t}`);
    else if (t !== null) {
      scope.computed.set(c.question, t); // later values may read it: defined in order, so no cycles
      scope.reach.set(c.question, Math.max(-1, ...irRefs(c.value).map((ref) => reachOf(scope, ref))));
    }
    done.add(c.question);
  });
  if (done.size !== scope.computedIds.size) r.fail("/computed", "every computed question needs its value, once");
}

/** @param {Reader} r @param {any} value @param {any[]} questions @param {Map<string, number>} index @param {Scope} scope */
function checkSteps(r, value, questions, index, scope) {
  const asked = questions.filter((q) => q.type !== "computed").map((q) => q.id);
  const steps = r.array(value, "/steps");
  const named = steps.map((s) => (isObj(s) ? s.question : null));
  if (named.length !== asked.length || named.some((id, i) => id !== asked[i])) { r.fail("/steps", "expected one step per asked question, in question order"); return; }
  steps.forEach((s, i) => {
    const where = `/steps/${i}`;
    if (!r.obj(s, where, ["question", "jumps"])) return;
    const here = /** @type {number} */ (index.get(s.question));
    r.array(s.jumps, `${where}/jumps`).forEach((j, k) => {
      const jw = `${where}/jumps/${k}`;
      if (!r.obj(j, jw, ["when", "text", "target", "written", "at"])) return;
      r.text(j.text, `${jw}/text`);
      r.text(j.written, `${jw}/written`);
      r.position(j.at, `${jw}/at`);
      const target = j.target;
      if (typeof target !== "string" || (target !== "end" && !index.has(target))) r.fail(`${jw}/target`, `names no question: ${kind(target)}`);
      else if (target !== "end" && /** @type {number} */ (index.get(target)) <= here) r.fail(`${jw}/target`, `${target} is not after ${s.question}: jumps go forward`);
      checkExpr(r, j.when, `${jw}/when`, scope, here, "bool");
    });
  });
}

/** The question ids (answers and computed values) an expression reads, in reading order. @param {any} node @returns {string[]} */
export function irRefs(node) {
  /** @type {string[]} */
  const out = [];
  const stack = [node];
  while (stack.length) {
    const current = stack.pop();
    if (current.op === "answer" || current.op === "computed") out.push(current.id);
    else for (let i = (current.args || []).length - 1; i >= 0; i--) stack.push(current.args[i]);
  }
  return out;
}

/** The highest question index reading `ref` reads: its own for an answer, through its reads for a computed value. @param {Scope} scope @param {string} ref */
function reachOf(scope, ref) {
  if (scope.computedIds.has(ref)) return scope.reach.has(ref) ? /** @type {number} */ (scope.reach.get(ref)) : -1;
  return /** @type {number} */ (scope.index.get(ref));
}

/**
 * Each `ask_if` is a bool rule reading only questions before it (a section's, those before its
 * first question), computed values included through what they read.
 * @param {Reader} r @param {any[]} sections @param {any[]} questions @param {Map<string, number>} index @param {Scope} scope
 */
function checkRelevance(r, sections, questions, index, scope) {
  /** @type {[string, any, number][]} */
  const owners = [];
  sections.forEach((s, i) => {
    if (Object.hasOwn(s, "ask_if") && s.questions.length) owners.push([`/sections/${i}`, s, /** @type {number} */ (index.get(s.questions[0]))]);
  });
  questions.forEach((q, i) => { if (Object.hasOwn(q, "ask_if")) owners.push([`/questions/${i}`, q, i]); });
  for (const [where, owner, first] of owners) {
    const rel = owner.ask_if;
    const rw = `${where}/ask_if`;
    if (!r.obj(rel, rw, ["when", "text", "at"])) continue;
    r.text(rel.text, `${rw}/text`);
    r.position(rel.at, `${rw}/at`);
    if (checkExpr(r, rel.when, `${rw}/when`, scope, null, "bool") === null) continue;
    for (const ref of irRefs(rel.when)) {
      const reach = reachOf(scope, ref);
      if (reach >= first) {
        const late = questions[reach].id;
        const through = late !== ref ? ` (through computed ${ref})` : "";
        r.fail(`${rw}/when`, `an ask_if reads ${late}${through}, which is not before ${questions[first].id}`);
        break;
      }
    }
  }
}

/** @param {Reader} r @param {any} value @param {Scope} scope */
function checkChecks(r, value, scope) {
  const seen = new Set();
  r.array(value, "/checks").forEach((c, i) => {
    const where = `/checks/${i}`;
    if (!r.obj(c, where, ["id", "severity", "kind", "rule", "text", "questions", "deps", "messages", "at"], ["acknowledge"])) return;
    if (Object.hasOwn(c, "acknowledge") && (c.acknowledge !== "required" || c.severity !== "warning")) {
      r.fail(`${where}/acknowledge`, "expected \"required\", on a warning");
    }
    if (!r.text(c.id, `${where}/id`)) return;
    if (seen.has(c.id)) r.fail(`${where}/id`, `check '${c.id}' is declared twice`);
    seen.add(c.id);
    if (c.severity !== "error" && c.severity !== "warning") r.fail(`${where}/severity`, "expected error or warning");
    if (c.kind !== "when" && c.kind !== "assert") r.fail(`${where}/kind`, "expected when or assert");
    r.text(c.text, `${where}/text`);
    r.texts(c.messages, `${where}/messages`);
    r.position(c.at, `${where}/at`);
    for (const key of ["questions", "deps"]) {
      r.array(c[key], `${where}/${key}`).forEach((qid, k) => { if (!member(qid, scope.index)) r.fail(`${where}/${key}/${k}`, "names no question"); });
    }
    checkExpr(r, c.rule, `${where}/rule`, scope, null, "bool");
  });
}

/** A name as the form language writes ids (a finding's id goes into the keys of reports). */
const ID = /^[a-z][a-z0-9_]{0,99}$/;

/** A description's `{name}` placeholders each name a question, computed value or param. @param {Reader} r @param {any} texts @param {string} where @param {Scope} scope */
function checkQuoted(r, texts, where, scope) {
  if (!r.texts(texts, where)) return;
  for (const [lang, text] of Object.entries(texts)) {
    let names;
    try {
      names = templateNames(text);
    } catch (exc) {
      if (!(exc instanceof TemplateError)) throw exc;
      r.fail(`${where}/${lang}`, `a bad description: ${exc.message}`);
      continue;
    }
    for (const name of names) {
      if (!scope.index.has(name) && !scope.params.has(name)) r.fail(`${where}/${lang}`, `quotes {${name}}, which is no question or param`);
    }
  }
}

/** @param {Reader} r @param {any} c @param {string} where @param {string} key @param {Scope} scope */
function checkNames(r, c, where, key, scope) {
  r.array(c[key], `${where}/${key}`).forEach((qid, k) => { if (!member(qid, scope.index)) r.fail(`${where}/${key}/${k}`, "names no question"); });
}

/** @param {Reader} r @param {any} value @param {Scope} scope */
function checkFindings(r, value, scope) {
  const seen = new Set();
  r.array(value, "/findings").forEach((f, i) => {
    const where = `/findings/${i}`;
    if (!r.obj(f, where, ["id", "type", "unit", "labels", "rule", "text", "questions", "deps", "descriptions", "at"]) || !r.text(f.id, `${where}/id`)) return;
    if (!ID.test(f.id)) r.fail(`${where}/id`, "a finding id is a name: a-z, then a-z, 0-9 or _");
    if (seen.has(f.id)) r.fail(`${where}/id`, `finding '${f.id}' is declared twice`);
    seen.add(f.id);
    if (!(isInt(f.type) && TYPES.includes(f.type))) r.fail(`${where}/type`, `expected a problem type 1-8, got ${kind(f.type)}`);
    if (!UNITS.includes(f.unit)) r.fail(`${where}/unit`, `expected one of ${UNITS.join(", ")}, got ${kind(f.unit)}`);
    r.texts(f.labels, `${where}/labels`);
    r.text(f.text, `${where}/text`);
    r.position(f.at, `${where}/at`);
    checkNames(r, f, where, "questions", scope);
    checkNames(r, f, where, "deps", scope);
    checkQuoted(r, f.descriptions, `${where}/descriptions`, scope);
    checkExpr(r, f.rule, `${where}/rule`, scope, null, "bool");
  });
}

/** @param {Reader} r @param {any} value @param {Scope} scope */
function checkCategories(r, value, scope) {
  const seen = new Set();
  r.array(value, "/categories").forEach((c, i) => {
    const where = `/categories/${i}`;
    if (!r.obj(c, where, ["id", "labels", "rule", "text", "deps", "at"]) || !r.text(c.id, `${where}/id`)) return;
    if (!ID.test(c.id)) r.fail(`${where}/id`, "a category id is a name: a-z, then a-z, 0-9 or _");
    if (seen.has(c.id)) r.fail(`${where}/id`, `category '${c.id}' is declared twice`);
    seen.add(c.id);
    r.texts(c.labels, `${where}/labels`);
    r.text(c.text, `${where}/text`);
    r.position(c.at, `${where}/at`);
    checkNames(r, c, where, "deps", scope);
    checkExpr(r, c.rule, `${where}/rule`, scope, null, "bool");
  });
}
