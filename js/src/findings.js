/**
 * Findings and household categories (a port of qengine/runtime/findings.py): what a record
 * *finds*, for the office's ledger (annex 3) and tallies (annex 4). A finding's description may
 * quote values, `{q1_per_capita}`, rendered exactly as Python renders them; `{{` and `}}` are
 * literal braces.
 * @module
 */

/** The problem types of annex 3 (问题类型) a finding may have: 1-8. */
export const TYPES = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8]);
/** The units a finding is counted in. */
export const UNITS = Object.freeze(["户", "人"]);
/** What a quoted value without a value shows (U+2014). */
export const NO_VALUE = "\u2014";

const PART = /\{\{|\}\}|\{([a-z][a-z0-9_]*)\}|[{}]/g;

/** A description that cannot be parsed (a lone brace). */
export class TemplateError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "TemplateError";
  }
}

/** @param {string} s @param {number} end the UTF-16 index @returns {number} code points before it */
const codePointsBefore = (s, end) => [...s.slice(0, end)].length;

/**
 * A description split into `[false, literal text]` and `[true, name]` parts; TemplateError naming
 * the first bad brace (a lone `{` or `}`, or `{` around something not a name).
 * @param {string} text @returns {[boolean, string][]}
 */
export function templateParts(text) {
  /** @type {[boolean, string][]} */
  const out = [];
  let literal = "";
  let at = 0;
  for (const m of text.matchAll(PART)) {
    const start = /** @type {number} */ (m.index);
    literal += text.slice(at, start);
    at = start + m[0].length;
    const token = m[0];
    if (m[1] !== undefined) {
      out.push([false, literal]);
      literal = "";
      out.push([true, m[1]]);
    } else if (token === "{{" || token === "}}") {
      literal += token[0];
    } else {
      throw new TemplateError(`a lone '${token}' at character ${codePointsBefore(text, start) + 1} `
        + `(write ${token}${token} for the brace itself, {name} to quote a value)`);
    }
  }
  literal += text.slice(at);
  out.push([false, literal]);
  return out.filter(([isName, value]) => isName || value);
}

/** The names a description quotes, in order (TemplateError as templateParts). @param {string} text */
export function templateNames(text) {
  return templateParts(text).filter(([isName]) => isName).map(([, name]) => name);
}

/**
 * Python's `f"{x:.6e}"`: the exact value rounded to seven significant digits, ties to even
 * (`toExponential` would round a tie away from zero). For |x| >= 1e15 only.
 * @param {number} x
 */
function exponent6(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  const a = Math.abs(x);
  // from 2^49 on a double is a multiple of 1/8: x = n / 8 = 125n / 1000, exactly
  const exact = a >= 2 ** 53 ? BigInt(a).toString() : (BigInt(a * 8) * 125n).toString();
  const point = a >= 2 ** 53 ? exact.length : exact.length - 3;
  let head = BigInt(exact.slice(0, 7));
  const rest = exact.slice(7).replace(/0+$/, "");
  if (rest > "5" || (rest === "5" && head % 2n === 1n)) head += 1n;
  let exp = point - 1;
  if (head === 10000000n) {
    head = 1000000n;
    exp += 1;
  }
  const digits = head.toString();
  return `${x < 0 ? "-" : ""}${digits[0]}.${digits.slice(1)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/**
 * A number as a description shows it: whole numbers as digits, others to two decimals (rounded
 * half away from zero on the exact value, trailing zeros dropped); from 1e15 on, in exponent form
 * with six decimals.
 * @param {number} x
 */
export function renderNumber(x) {
  if (!(Math.abs(x) < 1e15)) return exponent6(x);
  if (Number.isInteger(x)) return String(x === 0 ? 0 : x);
  // toFixed rounds the exact binary value, a tie away from zero: Decimal's ROUND_HALF_UP
  const text = x.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
  return text === "" || text === "-0" ? "0" : text;
}

/**
 * One quoted value in `language`: a code as its choice label (`labels` maps code → texts by
 * language; `fallback` is the form's first language), a list of codes as their labels joined
 * ("、" in Chinese, ", " otherwise; none as 无 / none), no value as "—".
 * @param {unknown} value @param {string} language
 * @param {Map<number, Record<string, string>> | null | undefined} labels @param {string} fallback
 * @returns {string}
 */
export function renderValue(value, language, labels, fallback) {
  if (value === null || value === undefined) return NO_VALUE;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) {
    if (!value.length) return language.startsWith("zh") ? "无" : "none";
    const joiner = language.startsWith("zh") ? "、" : ", ";
    return value.map((v) => renderValue(v, language, labels, fallback)).join(joiner);
  }
  if (typeof value === "number") {
    if (labels && Number.isInteger(value)) {
      const texts = labels.get(value);
      if (texts !== undefined) return texts[language] || texts[fallback] || String(value);
    }
    return renderNumber(value);
  }
  return String(value);
}

/** @param {Record<string, string>} texts @param {readonly string[]} languages @param {string} fallback */
export function primaryText(texts, languages, fallback) {
  for (const lang of languages) if (texts[lang]) return String(texts[lang]);
  const values = Object.values(texts);
  return values.length ? values[0] : fallback;
}

/** @param {unknown} v */
const none = (v) => v === null || v === undefined;

/** Whether every question a rule waits for has a value. @param {readonly string[]} deps @param {Record<string, any>} values */
export function applies(deps, values) {
  return deps.every((d) => Object.hasOwn(values, d) && !none(values[d]));
}

/**
 * A finding a form declares (Python's `Indicator`): `id` (an indicator id), its problem `type`
 * (1-8), the annex 4 row it counts toward (`label`, `labels`), its `unit` (户 or 人), the rule's
 * `source` text, the questions it names and those it waits for (`deps`), and where it was
 * written (`location`: `{file, line, column}` or null).
 */
export class Indicator {
  /** @param {any} f a finding of a checked machine @param {readonly string[]} langs @param {string | null} file @param {(env: any) => any} fires */
  constructor(f, langs, file, fires) {
    /** @type {string} */ this.id = f.id;
    /** @type {number} */ this.type = f.type;
    /** @type {string} */ this.unit = f.unit;
    /** @type {string} */ this.label = primaryText(f.labels, langs, f.id);
    /** @type {Readonly<Record<string, string>>} */ this.labels = Object.freeze({ ...f.labels });
    /** @type {string} */ this.source = f.text;
    /** @type {readonly string[]} */ this.questions = Object.freeze([...f.questions]);
    /** @type {readonly string[]} */ this.deps = Object.freeze([...f.deps]);
    /** @type {{file: string, line: number, column: number} | null} */
    this.location = locationOf(file, f.at);
    /** @type {(env: any) => any} */ this.fires = fires;
    /** per language: the description's parts, [false, text] or [true, name] */
    this.templates = Object.freeze(Object.fromEntries(
      Object.entries(/** @type {Record<string, string>} */ (f.descriptions)).map(([lang, text]) => [lang, Object.freeze(templateParts(text))])));
    Object.freeze(this);
  }

  /** Findings fire when their rule holds (as a check of kind `when`). */
  get kind() {
    return "when";
  }

  /** Python's `Indicator.to_dict()`. */
  toDict() {
    return { id: this.id, type: this.type, unit: this.unit, label: this.label, labels: { ...this.labels },
      rule: this.source, questions: [...this.questions] };
  }

  toJSON() {
    return this.toDict();
  }
}

/** A household category a form declares (Python's `Category`): `id`, `label`, `labels`, the rule's `source`, `deps`, `location`. */
export class Category {
  /** @param {any} c a category of a checked machine @param {readonly string[]} langs @param {string | null} file @param {(env: any) => any} fires */
  constructor(c, langs, file, fires) {
    /** @type {string} */ this.id = c.id;
    /** @type {string} */ this.label = primaryText(c.labels, langs, c.id);
    /** @type {Readonly<Record<string, string>>} */ this.labels = Object.freeze({ ...c.labels });
    /** @type {string} */ this.source = c.text;
    /** @type {readonly string[]} */ this.deps = Object.freeze([...c.deps]);
    /** @type {{file: string, line: number, column: number} | null} */
    this.location = locationOf(file, c.at);
    /** @type {(env: any) => any} */ this.fires = fires;
    Object.freeze(this);
  }

  /** Python's `Category.to_dict()`. */
  toDict() {
    return { id: this.id, label: this.label, labels: { ...this.labels }, rule: this.source };
  }

  toJSON() {
    return this.toDict();
  }
}

/** What one record found (Python's `Finding`): the indicator's `id`, `type`, `unit` and row
 * `label` (`labels`), the questions it names, and its `description` with the record's values
 * quoted, in the form's first language (`descriptions` in each language). */
export class Finding {
  /**
   * @param {Indicator} ind @param {string} description @param {Record<string, string>} descriptions
   */
  constructor(ind, description, descriptions) {
    /** @type {string} */ this.id = ind.id;
    /** @type {number} */ this.type = ind.type;
    /** @type {string} */ this.unit = ind.unit;
    /** @type {string} */ this.label = ind.label;
    /** @type {Readonly<Record<string, string>>} */ this.labels = ind.labels;
    /** @type {string} */ this.description = description;
    /** @type {Readonly<Record<string, string>>} */ this.descriptions = Object.freeze({ ...descriptions });
    /** @type {readonly string[]} */ this.questions = ind.questions;
    Object.freeze(this);
  }

  toString() {
    return `${this.id} (${this.type}): ${this.description}`;
  }

  /** Python's `Finding.to_dict()`. */
  toDict() {
    return { id: this.id, type: this.type, unit: this.unit, label: this.label, labels: { ...this.labels },
      description: this.description, descriptions: { ...this.descriptions }, questions: [...this.questions] };
  }

  toJSON() {
    return this.toDict();
  }
}

/**
 * The finding `ind` makes on `values` (it fires there), described in each language; `labels` maps
 * each choice question to its code → texts.
 * @param {Indicator} ind @param {Record<string, any>} values
 * @param {Map<string, Map<number, Record<string, string>>>} labels @param {readonly string[]} languages
 */
export function describeFinding(ind, values, labels, languages) {
  const fallback = languages[0];
  /** @type {Record<string, string>} */
  const descriptions = {};
  for (const [lang, parts] of Object.entries(ind.templates)) {
    descriptions[lang] = parts.map(([isName, value]) => (isName
      ? renderValue(Object.hasOwn(values, value) ? values[value] : null, lang, labels.get(value), fallback)
      : value)).join("");
  }
  const rendered = Object.values(descriptions);
  const primary = descriptions[fallback] || (rendered.length ? rendered[0] : ind.label);
  return new Finding(ind, primary, descriptions);
}

/** @param {string | null} file @param {any} at */
function locationOf(file, at) {
  return Array.isArray(at) && at.length ? Object.freeze({ file: file || "<machine>", line: at[0], column: at[1] }) : null;
}
