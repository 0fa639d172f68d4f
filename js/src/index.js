/**
 * qengine-runtime: the JavaScript runtime of a qengine machine (`qengine-machine/1`).
 * @module
 */
export { loadMachine, checkMachine, FORMAT } from "./machine.js";
export { Form, Question, isNumber } from "./form.js";
export { FormError, AnswerError, ParamError, RecordError, UnknownQuestionError, QengineError, SubmitError, SnapshotError } from "./errors.js";
export { Finding, Indicator, Category, applies, renderNumber, renderValue, templateParts, templateNames, TemplateError, NO_VALUE, TYPES, UNITS } from "./findings.js";
export { Interview, SNAPSHOT_FORMAT } from "./interview.js";
export { makeCoercers, normaliseText, isBlank, isIsoDate, checkIdNumber, MAX_MAGNITUDE, META, MAX_REASON } from "./values.js";
export { EventLog, KINDS, MAX_EVENTS, utcNow } from "./events.js";
export { Evaluator, numEq } from "./evaluate.js";
export { MESSAGES, FORM_CODES, describe, render } from "./catalogue.js";
