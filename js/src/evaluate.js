/**
 * Evaluating the expression IR (a port of qengine/runtime/evaluate.py): each rule becomes a
 * closure, once. An unanswered value is `null`; a comparison with it is false (`ne` too);
 * arithmetic with it gives `null`, as does a division by zero or a result beyond the float range;
 * `eq`, `ne` and `in` on numbers forgive float rounding.
 * @module
 */
import { cmpText, pyLen } from "./catalogue.js";

/** @typedef {Record<string, any>} Env */
/** @typedef {(env: Env) => any} Fn */
/** @typedef {{op: string, type: string, args?: IRNode[], value?: any, id?: string, name?: string}} IRNode */

/** @param {unknown} v */
const none = (v) => v === null || v === undefined;

/** Python's `==` on JSON values. @param {any} a @param {any} b @returns {boolean} */
export function pyEq(a, b) {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (typeof a === "string" && typeof b === "string") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (typeof a === "boolean" || typeof b === "boolean") return a === b;
  return false;
}

/** Equality of numbers that forgives float rounding. @param {any} a @param {any} b */
export function numEq(a, b) {
  if (pyEq(a, b)) return true;
  if (typeof a !== "number" || typeof b !== "number") return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Python's ordering comparison; false for unlike values. @param {string} op @param {any} a @param {any} b */
function order(op, a, b) {
  let c;
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return false;
    c = a < b ? -1 : a > b ? 1 : 0;
  } else if (typeof a === "string" && typeof b === "string") c = cmpText(a, b);
  else return false;
  switch (op) {
    case "lt": return c < 0;
    case "le": return c <= 0;
    case "gt": return c > 0;
    default: return c >= 0;
  }
}

/** `(true, value)` when node is a literal (`-3` included). @param {IRNode} node @returns {[boolean, any]} */
export function literalOf(node) {
  if (node.op === "num" || node.op === "text" || node.op === "code") return [true, node.value];
  if (node.op === "neg" && /** @type {IRNode[]} */ (node.args)[0].op === "num") return [true, -/** @type {IRNode[]} */ (node.args)[0].value];
  return [false, null];
}

/** A number as every runtime holds it: beyond the float range, no value. @param {number} x */
const held = (x) => (Number.isFinite(x) ? (x === 0 ? 0 : x) : null);

/** A decimal number text as `number()` reads it: optional sign, digits, optionally a point and
 * digits; spaces trimmed (space, tab, CR, LF only: the same set in every runtime). */
const DECIMAL = /^[ \t\r\n]*([+-]?[0-9]+(?:\.[0-9]+)?)[ \t\r\n]*$/;

/** A position of `substr`: truncated to a whole number, clamped to 0..n. @param {number} x @param {number} n */
const clamp = (x, n) => Math.min(n, Math.max(0, Math.trunc(x)));

/** The functions of the rule language that give no value when an argument has none. @type {Record<string, (values: any[]) => any>} */
const FUNCTIONS = {
  round([x, d = 0]) {
    if (!Number.isInteger(d) || d < 0 || d > 15) return null;
    const p = 10 ** d; // exact for 0..15, as Python's float(10**d)
    return held(Math.floor(x * p + 0.5) / p); // XPath 1.0: half up; each step one IEEE operation
  },
  int([x]) {
    return held(Math.trunc(x));
  },
  mod([a, b]) {
    return b === 0 ? null : held(a % b); // the sign of a, as math.fmod
  },
  number([x]) {
    if (typeof x === "number") return x; // a number or a code is itself
    const m = DECIMAL.exec(x);
    return m ? held(Number(m[1])) : null; // the nearest double, as Python's float()
  },
  substr([s, start, end]) {
    const points = Array.from(/** @type {string} */ (s));
    const n = points.length;
    const i = clamp(start, n);
    const j = end === undefined ? n : clamp(end, n);
    return i < j ? points.slice(i, j).join("") : "";
  },
};

export class Evaluator {
  /** @param {Record<string, any>} params */
  constructor(params) {
    this.params = params;
    /** @type {Record<string, Fn>} */
    this.computed = Object.create(null);
    /** @type {Record<string, IRNode>} */
    this.computedNodes = Object.create(null);
  }

  /** @param {IRNode} node @returns {Fn} */
  expr(node) {
    const args = node.args || [];
    const fs = () => args.map((a) => this.expr(a));
    switch (node.op) {
      case "num": case "text": case "code": {
        const value = node.value;
        return () => value;
      }
      case "answer": {
        const name = /** @type {string} */ (node.id);
        return (env) => (Object.hasOwn(env, name) ? env[name] : null);
      }
      case "param": {
        const name = /** @type {string} */ (node.name);
        return (env) => env[name];
      }
      case "computed": {
        const name = /** @type {string} */ (node.id);
        const table = this.computed;
        return (env) => table[name](env);
      }
      case "neg": {
        const [f] = fs();
        return (env) => { const a = f(env); return none(a) ? null : -a; };
      }
      case "not": {
        const [f] = fs();
        return (env) => !f(env);
      }
      case "add": case "sub": case "mul": case "div": {
        const [lf, rf] = fs();
        const op = node.op;
        return (env) => {
          const a = lf(env);
          if (none(a)) return null;
          const b = rf(env);
          if (none(b)) return null;
          let r;
          if (op === "add") r = a + b;
          else if (op === "sub") r = a - b;
          else if (op === "mul") r = a * b;
          else if (b === 0) return null;
          else r = a / b;
          return Number.isFinite(r) ? r : null; // beyond the float range: no value
        };
      }
      case "and": {
        const list = fs();
        return (env) => list.every((f) => Boolean(f(env)));
      }
      case "or": {
        const list = fs();
        return (env) => list.some((f) => Boolean(f(env)));
      }
      case "eq": case "ne": case "lt": case "le": case "gt": case "ge": {
        const [left, right] = args;
        const [lf, rf] = fs();
        const numeric = left.type === "num" || right.type === "num";
        const op = node.op;
        /** @type {(a: any, b: any) => boolean} */
        let cmp;
        if (op === "eq") cmp = numeric ? numEq : pyEq;
        else if (op === "ne") {
          // Python: num_ne on unlike values raises, and a raising comparison is false
          cmp = numeric
            ? (a, b) => (typeof a === "number" && typeof b === "number" ? !numEq(a, b) : false)
            : (a, b) => !pyEq(a, b);
        } else cmp = (a, b) => order(op, a, b);
        return (env) => {
          const a = lf(env);
          if (none(a)) return false;
          const b = rf(env);
          return !none(b) && cmp(a, b);
        };
      }
      case "in": case "not_in": {
        const [left, ...items] = args;
        const lf = this.expr(left);
        const negated = node.op === "not_in";
        const consts = items.map(literalOf);
        if (consts.every(([ok]) => ok)) {
          const values = consts.map(([, v]) => v);
          const eq = left.type === "num" ? numEq : pyEq;
          return (env) => {
            const a = lf(env);
            return !none(a) && (values.some((v) => eq(a, v)) !== negated);
          };
        }
        const ifs = items.map((i) => this.expr(i));
        // numbers compare as == does, forgiving float rounding
        const eq = left.type === "num" ? (/** @type {any} */ a, /** @type {any} */ v) => !none(v) && numEq(a, v) : pyEq;
        return (env) => {
          const a = lf(env);
          if (none(a)) return false;
          return ifs.some((f) => eq(a, f(env))) !== negated;
        };
      }
      case "answered": {
        const [f] = fs();
        return (env) => !none(f(env));
      }
      case "selected": {
        const [first, ...rest] = args;
        const f = this.expr(first);
        const codes = new Set(rest.map((a) => a.value));
        if (first.type === "codes") {
          return (env) => { const v = f(env); return Array.isArray(v) && v.some((c) => codes.has(c)); };
        }
        return (env) => codes.has(f(env));
      }
      case "count": {
        const [f] = fs();
        return (env) => { const v = f(env); return Array.isArray(v) ? v.length : 0; };
      }
      case "sum": case "min": case "max": case "abs": case "len": {
        const list = fs();
        const op = node.op;
        return (env) => {
          const values = list.map((f) => f(env));
          if (values.some(none)) return null;
          if (op === "sum") {
            let total = 0;
            for (const v of values) {
              total += v;
              if (!Number.isFinite(total)) return null;
            }
            return total;
          }
          if (op === "min") return values.reduce((m, v) => (v < m ? v : m));
          if (op === "max") return values.reduce((m, v) => (v > m ? v : m));
          if (op === "abs") return Math.abs(values[0]);
          return pyLen(values[0]);
        };
      }
      case "if": {
        const [cf, af, bf] = fs();
        return (env) => (cf(env) ? af(env) : bf(env)); // only the chosen branch is evaluated
      }
      case "round": case "int": case "mod": case "number": case "substr": {
        const list = fs();
        const fn = FUNCTIONS[node.op];
        return (env) => {
          const values = [];
          for (const f of list) {
            const v = f(env);
            if (none(v)) return null;
            values.push(v);
          }
          return fn(values);
        };
      }
      default:
        throw new Error(`unknown op ${node.op}`);
    }
  }

  /**
   * Whether Python holds the value of `node` as a float (5.0, not 5): for messages that quote a
   * computed value. @param {IRNode} node @param {Env} env @returns {boolean}
   */
  isFloat(node, env) {
    const args = node.args || [];
    switch (node.op) {
      case "num": case "code": return typeof node.value === "number" && !Number.isInteger(node.value);
      case "answer": { const v = env[/** @type {string} */ (node.id)]; return typeof v === "number" && !Number.isInteger(v); }
      case "param": { const v = env[/** @type {string} */ (node.name)]; return typeof v === "number" && !Number.isInteger(v); }
      case "computed": return this.isFloat(this.computedNodes[/** @type {string} */ (node.id)], env);
      case "div": return true;
      case "neg": case "abs": return this.isFloat(args[0], env);
      // Python holds a whole result beyond ±2^53 as a float (evaluate.held), and so every step after
      case "add": case "sub": case "mul": {
        if (args.some((a) => this.isFloat(a, env))) return true;
        const v = this.expr(node)(env);
        return typeof v === "number" && Math.abs(v) >= 2 ** 53;
      }
      case "sum": {
        if (args.some((a) => this.isFloat(a, env))) return true;
        let total = 0;
        for (const a of args) {
          total += /** @type {number} */ (this.expr(a)(env));
          if (Math.abs(total) >= 2 ** 53) return true;
        }
        return false;
      }
      case "if": return this.isFloat(this.expr(args[0])(env) ? args[1] : args[2], env);
      case "mod": return args.some((a) => this.isFloat(a, env)); // Python: an int for ints
      // a whole result: Python's int, held as a float from ±2^53 on
      case "int": return this.isWholeFloat(node, env);
      case "round": return (args.length === 2 && this.expr(args[1])(env) !== 0) || this.isWholeFloat(node, env);
      case "number": {
        if (args[0].type === "num") return this.isFloat(args[0], env);
        if (args[0].type === "code") return false;
        const m = DECIMAL.exec(this.expr(args[0])(env));
        // Python reads a short text without a point as an int, any other as a float
        return m !== null && (m[1].includes(".") || m[1].length > 17 || this.isWholeFloat(node, env));
      }
      case "min": case "max": {
        const values = args.map((a) => this.expr(a)(env));
        let best = 0;
        for (let i = 1; i < values.length; i++) {
          if (node.op === "min" ? values[i] < values[best] : values[i] > values[best]) best = i;
        }
        return this.isFloat(args[best], env);
      }
      default: return false;
    }
  }

  /** Whether Python holds the whole number `node` gives as a float: from ±2^53 on. @param {IRNode} node @param {Env} env */
  isWholeFloat(node, env) {
    const v = this.expr(node)(env);
    return typeof v === "number" && Math.abs(v) >= 2 ** 53;
  }
}
