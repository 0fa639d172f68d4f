/**
 * Answer values (a port of qengine/runtime/values.py): each question gets two coercers.
 * `entered` converts what a person typed ("②", "２", "1,234.5", a choice's label); `strict`
 * accepts only the JSON types of a record and then checks the value the same way. Both return the
 * canonical value, `null` for a blank answer, and throw `AnswerError` for anything else.
 *
 * Python's int and float are told apart by `Number.isInteger` (a parsed JSON number cannot say
 * whether it was written 5 or 5.0).
 * @module
 */
import { AnswerError } from "./errors.js";
import { codePoints, hasLoneSurrogate, isPySpace, pyLen, pyStrip } from "./catalogue.js";

/** the numeric domain: answers beyond ±10^15 are range errors */
export const MAX_MAGNITUDE = 1e15;

/** ① … ⑳ and their codes @type {Map<string, number>} */
export const CIRCLED = new Map(Array.from({ length: 20 }, (_v, i) => [String.fromCharCode(0x2460 + i), i + 1]));

const EXPECTED = {
  text: ["text", "文字"], number: ["a number", "数字"],
  code: ["a choice code (an integer)", "选项编号（整数）"],
  codes: ["a list of choice codes", "选项编号列表"], date: ["an ISO date", "日期"],
};

/** @typedef {(value: unknown) => unknown} Coercer */

/** @param {unknown} v */
const isInt = (v) => typeof v === "number" && Number.isInteger(v);
/** @param {unknown} v */
const isNum = (v) => typeof v === "number";

/** Full-width ASCII and the ideographic space folded to ASCII. @param {string} text */
export function foldFullwidth(text) {
  let out = "";
  for (const ch of text) {
    const c = /** @type {number} */ (ch.codePointAt(0));
    if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
    else if (c === 0x3000) out += " ";
    else out += ch;
  }
  return out;
}

/** the reserved key of a record that carries what is not an answer (acknowledged warnings) */
export const META = "_meta";
/** the longest reason an acknowledgement may give (in code points) */
export const MAX_REASON = 1000;

/** A reason an acknowledgement may give: a text of 1 to MAX_REASON characters, not all blank. @param {unknown} v @returns {v is string} */
export const isReason = (v) => typeof v === "string" && pyStrip(v) !== "" && pyLen(v) <= MAX_REASON;

/** Entered text as compared: full-width folded, surrounding spaces stripped. @param {string} text */
export function normaliseText(text) {
  return pyStrip(foldFullwidth(text));
}

/** Python's str.strip() is empty. @param {string} s */
export function isBlankText(s) {
  for (const ch of s) if (!isPySpace(ch)) return false;
  return true;
}

/** None, empty or white-space text, an empty list. @param {unknown} value */
export function isBlank(value) {
  if (value === null || value === undefined) return true;
  if (typeof value === "string") return isBlankText(value);
  return Array.isArray(value) && value.length === 0;
}

const ND = /^\p{Nd}$/u;
/** The value of a decimal digit of any script (they come in runs of ten from zero). @param {string} ch */
function digitValue(ch) {
  let cp = /** @type {number} */ (ch.codePointAt(0));
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let n = 0;
  while (n < 100 && ND.test(String.fromCodePoint(cp - 1))) { cp--; n++; }
  return n % 10;
}
/** Decimal digits of any script as ASCII. @param {string} text */
function asciiDigits(text) {
  let out = "";
  for (const ch of text) out += ND.test(ch) ? String(digitValue(ch)) : ch;
  return out;
}

const ISO_SHAPE = /^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}$/u;
const ISO_ASCII = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** Text shaped YYYY-MM-DD (real or not). @param {unknown} v */
export function looksLikeIsoDate(v) {
  return typeof v === "string" && ISO_SHAPE.test(v);
}

/** @param {number} y */
const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** A real calendar date written YYYY-MM-DD. @param {unknown} v */
export function isIsoDate(v) {
  if (typeof v !== "string" || !ISO_ASCII.test(v)) return false;
  const y = Number(v.slice(0, 4));
  const m = Number(v.slice(5, 7));
  const d = Number(v.slice(8, 10));
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** Why text is not a valid GB 11643 id number, or null. @param {string} text */
export function checkIdNumber(text) {
  const cps = codePoints(text);
  if (cps.length !== 18) return "id_length";
  if (!/^[0-9]{17}[0-9X]$/.test(text)) return "id_chars";
  const year = Number(text.slice(6, 10));
  const month = Number(text.slice(10, 12));
  const day = Number(text.slice(12, 14));
  const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1] || year === 0 ||
      (month === 2 && day === 29 && !isLeap(year))) return "id_birth_date";
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(text[i]) * ID_WEIGHTS[i];
  if (ID_CHECK[sum % 11] !== text[17]) return "id_check_digit";
  return null;
}

/**
 * @typedef {object} QuestionLike
 * @property {string} id
 * @property {string} type
 * @property {{code: number, name?: string | null, labels: Record<string, string>}[]} choices
 * @property {any} min
 * @property {any} max
 * @property {number | null} decimals
 * @property {number | null} max_length
 * @property {boolean} none_ok
 */

/** @param {QuestionLike} q @returns {Coercer} */
function textCoercer(q) {
  const limit = q.max_length || 10000;
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== "string") throw new AnswerError(q.id, "type.text", { value });
    if (isBlankText(value)) return null;
    if (pyLen(value) > limit) throw new AnswerError(q.id, "length", { limit });
    if (hasLoneSurrogate(value)) throw new AnswerError(q.id, "format.text");
    return value;
  };
}

const NUMBER_TEXT = /^[+-]?(\p{Nd}+(\.\p{Nd}*)?|\.\p{Nd}+)([eE][+-]?\p{Nd}{1,3})?$/u;
/** Thousands separators only between groups of three digits: "1,234.5", never "2,5" or "1,,3". */
const GROUPED_TEXT = /^[+-]?(?!0)\p{Nd}{1,3}([,，]\p{Nd}{3})+(\.\p{Nd}*)?$/u; // "0,123" is a decimal comma

/** The decimal places of a number as written shortest (Python's repr, JavaScript's String):
 * 12.34 has 2, 1e-10 has 10. @param {number} number */
export function places(number) {
  const m = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(number));
  if (!m) return 0;
  return Math.max(0, (m[1] ? m[1].length : 0) - (m[2] ? Number(m[2]) : 0));
}

/** The number in value, of the numeric domain. @param {string} qid @param {unknown} value @param {boolean} integer */
function numberFrom(qid, value, integer) {
  /** @type {number} */
  let number;
  if (typeof value === "boolean") throw new AnswerError(qid, "type.number", { value });
  if (isNum(value)) {
    number = /** @type {number} */ (value);
    if (!Number.isFinite(number)) throw new AnswerError(qid, "type.finite", { value });
  } else if (typeof value === "string") {
    let text = normaliseText(value);
    if (!text) return null;
    if (text.includes(",") || text.includes("，")) {
      if (pyLen(text) > 40 || !GROUPED_TEXT.test(text)) throw new AnswerError(qid, "type.number", { value });
      text = text.replaceAll(",", "").replaceAll("，", "");
    }
    if (pyLen(text) > 40 || !NUMBER_TEXT.test(text)) throw new AnswerError(qid, "type.number", { value });
    number = Number(asciiDigits(text));
    if (!Number.isFinite(number)) throw new AnswerError(qid, "type.finite", { value });
  } else {
    throw new AnswerError(qid, "type.number", { value });
  }
  if (!(number >= -MAX_MAGNITUDE && number <= MAX_MAGNITUDE)) {
    const key = number > 0 ? "range.above" : "range.below";
    throw new AnswerError(qid, key, { value, limit: `${number < 0 ? "-" : ""}1e+15` });
  }
  if (integer && !Number.isInteger(number)) throw new AnswerError(qid, "type.whole", { value });
  return number;
}

/** @param {QuestionLike} q @returns {Coercer} */
function numericCoercer(q) {
  const integer = q.type === "integer" || q.type === "year";
  const { min: lo, max: hi } = q;
  const decimals = q.decimals !== null && q.decimals !== undefined ? q.decimals : 6;
  return (value) => {
    /** @type {number | null} */
    let number;
    if (isInt(value) && Math.abs(/** @type {number} */ (value)) <= MAX_MAGNITUDE) {
      number = /** @type {number} */ (value);
    } else {
      if (value === null || value === undefined) return null;
      number = numberFrom(q.id, value, integer);
      if (number === null) return null;
      if (!Number.isInteger(number) && places(number) > decimals) {
        throw new AnswerError(q.id, "decimals", { value: number, limit: decimals });
      }
    }
    if (lo !== null && lo !== undefined && number < lo) throw new AnswerError(q.id, "range.below", { value: number, limit: lo });
    if (hi !== null && hi !== undefined && number > hi) throw new AnswerError(q.id, "range.above", { value: number, limit: hi });
    return number;
  };
}

/** @param {string} a @param {string} b */
const textLess = (a, b) => a < b; // ISO dates: ASCII, so code units order as code points

/** @param {QuestionLike} q @returns {Coercer} */
function dateCoercer(q) {
  const { min: lo, max: hi } = q;
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== "string") throw new AnswerError(q.id, "type.date", { value });
    const text = normaliseText(value);
    if (!text) return null;
    if (!looksLikeIsoDate(text)) throw new AnswerError(q.id, "format.date", { value });
    if (!isIsoDate(text)) throw new AnswerError(q.id, "format.not_a_date", { value: text });
    if (lo !== null && lo !== undefined && textLess(text, lo)) throw new AnswerError(q.id, "range.before", { value: text, limit: lo });
    if (hi !== null && hi !== undefined && textLess(hi, text)) throw new AnswerError(q.id, "range.after", { value: text, limit: hi });
    return text;
  };
}

/** The code of each choice's name and label (in every language), normalised as entered text is: a
 * name first, so that records written with XLSForm names convert. @param {QuestionLike} q */
function labelsOf(q) {
  /** @type {Map<string, number>} */
  const byLabel = new Map();
  for (const c of q.choices) {
    if (typeof c.name === "string") {
      const key = normaliseText(c.name);
      if (!byLabel.has(key)) byLabel.set(key, c.code);
    }
  }
  for (const c of q.choices) {
    for (const text of Object.values(c.labels)) {
      const key = normaliseText(text); // as entered text is compared
      if (!byLabel.has(key)) byLabel.set(key, c.code);
    }
  }
  return byLabel;
}

/** @param {QuestionLike} q @param {Map<string, number>} byLabel its labelsOf @returns {(value: unknown) => number} */
function codeParser(q, byLabel) {
  const codes = new Set(q.choices.map((c) => c.code));
  const shown = [...codes].sort((a, b) => a - b).join(", ");
  /** @param {unknown} value @returns {number} */
  const code = (value) => {
    if (isInt(value)) {
      if (codes.has(/** @type {number} */ (value))) return /** @type {number} */ (value);
      throw new AnswerError(q.id, "choice", { value, codes: shown });
    }
    if (typeof value === "boolean") throw new AnswerError(q.id, "type.bool", { value });
    if (typeof value === "string") {
      const text = normaliseText(value);
      const circled = CIRCLED.get(text);
      if (circled !== undefined) return code(circled);
      if (/^[0-9]{1,9}$/.test(text)) return code(Number(text));
      const labelled = byLabel.get(text);
      if (labelled !== undefined) return labelled;
      throw new AnswerError(q.id, "choice", { value, codes: shown });
    }
    throw new AnswerError(q.id, "type.code", { value });
  };
  return code;
}

/** @param {QuestionLike} q @returns {Coercer} */
function singleCoercer(q) {
  const code = codeParser(q, labelsOf(q));
  const codes = new Set(q.choices.map((c) => c.code));
  return (value) => {
    if (isInt(value) && codes.has(/** @type {number} */ (value))) return value;
    if (value === null || value === undefined) return null;
    if (typeof value === "string" && isBlankText(value)) return null;
    return code(value);
  };
}

/** Python's white space (str.split(), str.strip()). */
const WHITE = "\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/** Between the codes or labels of a multiple choice. */
const LIST_SPLIT = /[,，、;；]+/u;
const WHITE_SPLIT = new RegExp(`[${WHITE}]+`, "u");

/** The codes or labels of entered text for a multiple choice: split at commas, 、 and semicolons,
 * and at white space except within a label ("1 3", "Poor quality, Shortage").
 * @param {string} text @param {Map<string, number>} labels @returns {string[]} */
function listParts(text, labels) {
  if (labels.has(text)) return [text];
  /** @type {string[]} */
  const parts = [];
  for (const raw of text.split(LIST_SPLIT)) {
    const chunk = pyStrip(raw);
    if (labels.has(chunk)) parts.push(chunk);
    else parts.push(...chunk.split(WHITE_SPLIT).filter((p) => p));
  }
  return parts;
}

/** @param {QuestionLike} q @returns {Coercer} */
function multipleCoercer(q) {
  const labels = labelsOf(q);
  const code = codeParser(q, labels);
  const codes = new Set(q.choices.map((c) => c.code));
  const limit = Math.max(q.choices.length, 1);
  return (value) => {
    if (Array.isArray(value) && value.length && value.every(isInt) &&
        value.every((v) => codes.has(v)) && new Set(value).size === value.length) {
      return [...value].sort((a, b) => a - b);
    }
    if (value === null || value === undefined) return null;
    /** @type {unknown} */
    let list = value;
    if (typeof value === "string") {
      const text = normaliseText(value);
      if (!text) return null;
      let parts = listParts(text, labels);
      if (parts.length === 1 && codePoints(parts[0]).every((ch) => CIRCLED.has(ch))) parts = codePoints(parts[0]);
      list = parts;
    } else if (isNum(value)) {
      list = [value];
    }
    if (!Array.isArray(list)) throw new AnswerError(q.id, "type.codes", { value });
    if (!list.length) return q.none_ok ? [] : null;
    if (list.length > limit) throw new AnswerError(q.id, "duplicate");
    const out = list.map(code);
    if (new Set(out).size !== out.length) throw new AnswerError(q.id, "duplicate");
    return out.sort((a, b) => a - b);
  };
}

/** @param {QuestionLike} q @returns {Coercer} */
function idNumberCoercer(q) {
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== "string") throw new AnswerError(q.id, "type.id_number", { value });
    const text = normaliseText(value).toUpperCase();
    if (!text) return null;
    const why = checkIdNumber(text);
    if (why) {
      throw new AnswerError(q.id, `format.${why}`, { length: pyLen(text), birth: codePoints(text).slice(6, 14).join("") });
    }
    return text;
  };
}

/** @param {QuestionLike} q @returns {Coercer} */
function computedCoercer(q) {
  return () => { throw new AnswerError(q.id, "computed"); };
}

/** @type {Record<string, (q: QuestionLike) => Coercer>} */
const FACTORIES = {
  text: textCoercer, integer: numericCoercer, number: numericCoercer, money: numericCoercer,
  year: numericCoercer, date: dateCoercer, single: singleCoercer, multiple: multipleCoercer,
  id_number: idNumberCoercer, computed: computedCoercer,
};

/** @type {Record<string, (v: unknown) => string | null>} what a record must hold, by question type */
const GATES = {
  text: (v) => (typeof v === "string" ? null : "text"),
  id_number: (v) => (typeof v === "string" ? null : "text"),
  date: (v) => (typeof v === "string" ? null : "date"),
  single: (v) => (isInt(v) ? null : "code"),
  multiple: (v) => (Array.isArray(v) && v.every(isInt) ? null : "codes"),
  integer: (v) => (isNum(v) ? null : "number"),
  number: (v) => (isNum(v) ? null : "number"),
  money: (v) => (isNum(v) ? null : "number"),
  year: (v) => (isNum(v) ? null : "number"),
  computed: () => null,
};

/**
 * The `entered` and `strict` coercers of a question.
 * @param {QuestionLike} q @returns {{entered: Coercer, strict: Coercer}}
 */
export function makeCoercers(q) {
  const entered = FACTORIES[q.type](q);
  const gate = GATES[q.type];
  /** @type {Coercer} */
  const strict = (value) => {
    if (value === null || value === undefined || (typeof value === "string" && isBlankText(value))) return null;
    const expected = gate(value);
    if (expected !== null) {
      const [en, zh] = EXPECTED[/** @type {keyof EXPECTED} */ (expected)];
      throw new AnswerError(q.id, "type.strict", { value, expected: en, expected_zh: zh });
    }
    return entered(value);
  };
  return { entered, strict };
}
