/**
 * The error types (a port of qengine/errors.py): `FormError` for a bad machine, `AnswerError` for
 * a refused answer (with `.code`, `.key`, `.question` and `messages(languages)`).
 * @module
 */
import { describe, render, strRepr } from "./catalogue.js";

/** Base class of every error this runtime throws. */
export class QengineError extends Error {}

/**
 * A machine (or form definition) has problems; `problems` lists every one found.
 * `code` is `"machine"` for a machine that does not follow the machine format.
 */
export class FormError extends QengineError {
  /** @param {{code: string, message: string, severity?: string, file?: string}[]} problems */
  constructor(problems) {
    const n = problems.length;
    super(`${n} problem${n !== 1 ? "s" : ""} in form definition\n` +
      problems.map((p) => `${p.file || "<machine>"}:0:0: error[${p.code}]: ${p.message}`).join("\n"));
    this.name = "FormError";
    this.problems = problems.map((p) => ({ severity: "error", file: "<machine>", ...p }));
    this.code = problems.length ? problems[0].code : "machine";
  }
}

/** An answer was refused. `code` says why (the part of `key` before the dot). */
export class AnswerError extends QengineError {
  /**
   * @param {string | null} question
   * @param {string} key  the message in MESSAGES (`range.below`)
   * @param {Record<string, unknown>} [args]
   */
  constructor(question, key, args = {}) {
    const a = { ...args };
    if ("value" in a) a.value = describe(a.value);
    const filled = { question: question || "", ...a };
    const message = render(key, "en", filled);
    const code = key.split(".")[0];
    super(`${question ? `${question}: ` : ""}${message} [${code}]`);
    this.name = "AnswerError";
    this.question = question;
    this.key = key;
    this.code = code;
    this.args = filled;
    this.text = message;
  }

  /** The message in each of `languages`. @param {readonly string[]} languages */
  messages(languages) {
    /** @type {Record<string, string>} */
    const out = {};
    for (const lang of languages) out[lang] = render(this.key, lang, this.args);
    return out;
  }
}

/** A param override names no param (`unknown_param`) or has the wrong kind of value (`param_type`). */
export class ParamError extends QengineError {
  /** @param {string} name @param {string} message @param {string} [code] */
  constructor(name, message, code = "param_type") {
    super(`param ${strRepr(name)}: ${message}`); // Python: f"param {name!r}"
    this.name = "ParamError";
    this.param = name;
    this.code = code;
  }
}

/** What was passed as a record is not one (a record is a mapping of question ids to answers). */
export class RecordError extends QengineError {
  /** @param {string} message */
  constructor(message) {
    super(`${message} [not_a_record]`);
    this.name = "RecordError";
    this.code = "not_a_record";
  }
}

/** A question id that the form does not have. */
export class UnknownQuestionError extends QengineError {
  /** @param {string} form @param {unknown} question */
  constructor(form, question) {
    super(`form ${form} has no question ${describe(question)}`);
    this.name = "UnknownQuestionError";
    this.code = "unknown_question";
    this.form = form;
    this.question = question;
  }
}

/**
 * Submission refused: `code` is "unfinished" (a question is still to be asked) or "errors" (an
 * error-severity check holds; see `violations`). Warnings never block.
 */
export class SubmitError extends QengineError {
  /** @param {string} code @param {string} message @param {any[]} [violations] */
  constructor(code, message, violations = []) {
    super([message, ...violations.map((v) => `  - ${v.severity} ${v.rule} [${v.questions.join(", ")}]: ${v.message}`)].join("\n"));
    this.name = "SubmitError";
    this.code = code;
    this.violations = [...violations];
  }
}

/** A snapshot cannot be resumed; `code` as in Python (not_a_snapshot, other_form, ...). */
export class SnapshotError extends QengineError {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(`${message} [${code}]`);
    this.name = "SnapshotError";
    this.code = code;
  }
}
