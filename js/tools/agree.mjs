// A line protocol server for agreement tests (tests/test_js_agreement.py): one JSON request per
// line on stdin, one JSON reply per line on stdout, in order. A long-lived process, so a test
// session pays node's start-up once. A request that fails replies {"error": {...}}; nothing a
// request holds ends the process (only the end of stdin does).
//
//   {"op": "load", "name": N, "machine": M}            -> {"ok": true, id, version, languages,
//                                                          params, questions: [toDict(), ...]}
//   {"op": "validate", "form": N, "record": R, "params": P, "coerce": B}
//                                                      -> {"report": {ok, violations, path, record}}
//   {"op": "findings", "form": N, "record": R, "params": P, "coerce": B}
//                                                      -> {"findings": [toDict(), ...], categories: [id, ...]}
//   {"op": "script", "form": N, "params": P, "steps": [S, ...], "clock": C}
//                                                      -> {"start": E | null, "steps": [T, ...]}
//   {"op": "unicode"}                                  -> {"version": V, "runs": [[lo, hi, c], ...]}
//
// A step S is {"op": "answer", "value": V}, {"op": "back"}, {"op": "forward"}, {"op": "goto",
// "value": ID}, {"op": "acknowledge", "rule": R, "reason": X}, {"op": "submit"}, {"op":
// "snapshot"} (snapshot, through JSON text, resumed: the
// interview goes on from the resumed one) or {"op": "resume", "snapshot": X} (resume X; when X is
// refused the interview goes on unchanged). Its reply T holds the state after the step (see
// stateOf), "returned" (the id of the question answer/back/forward/goto return, or null), "error"
// for an AnswerError, SubmitError, SnapshotError or ParamError (see errorOf) and "record" for a
// submit. E is the ParamError of a refused `params`; then there are no steps. C, when given, is
// the time every event of the script is stamped with (start and resumes alike). A validate or
// findings request refused (ParamError; RecordError for a findings record that is no mapping)
// replies {"refused": E}.
//
// "unicode" gives the code points the runtime's own Unicode tables (node's ICU) class as not
// printable (c = 1, the class describe() escapes) or as decimal digits (c = 2, the digits numbers
// are read in), as runs of code points lo..hi; a test leaves out the characters Python's
// unicodedata classes otherwise (a known gap: newly assigned characters, js/README.md).
import { createInterface } from "node:readline";
import { AnswerError, loadMachine, ParamError, RecordError, SnapshotError, SubmitError } from "../src/index.js";

/** @type {Map<string, import("../src/form.js").Form>} */
const forms = new Map();

/** The form a request names. @param {any} req */
function formOf(req) {
  const form = forms.get(req.form);
  if (!form) throw new Error(`no form ${JSON.stringify(req.form)} loaded`);
  return form;
}

/** What Python's runtime would raise, as data; anything else is rethrown. @param {unknown} exc @param {readonly string[]} langs */
function errorOf(exc, langs) {
  if (exc instanceof AnswerError) {
    return { type: "AnswerError", code: exc.code, question: exc.question, messages: exc.messages(langs) };
  }
  if (exc instanceof SubmitError) return { type: "SubmitError", code: exc.code, violations: exc.violations };
  if (exc instanceof SnapshotError) return { type: "SnapshotError", code: exc.code, message: exc.message };
  if (exc instanceof ParamError) return { type: "ParamError", code: exc.code, param: exc.param, message: exc.message };
  if (exc instanceof RecordError) return { type: "RecordError", code: exc.code, message: exc.message };
  throw exc;
}

/** Everything a front end can read of an interview. @param {any} iv */
function stateOf(iv) {
  return { current: iv.current ? iv.current.toDict() : null, history: iv.history, answers: iv.answers,
    kept: iv.kept, violations: iv.violations, finished: iv.finished, suggested: iv.suggested(),
    params: iv.params, acknowledged: iv.acknowledged, snapshot: iv.snapshot() };
}

/** @param {any} req */
function validate(req) {
  const form = formOf(req);
  try {
    return { report: form.validate(req.record, { params: req.params ?? null, coerce: Boolean(req.coerce) }) };
  } catch (exc) {
    return { refused: errorOf(exc, form.languages) };
  }
}

/** @param {any} req */
function findings(req) {
  const form = formOf(req);
  const options = { coerce: Boolean(req.coerce) };
  try {
    return { findings: form.findings(req.record, req.params ?? null, options).map((f) => f.toDict()),
      categories: form.categories(req.record, req.params ?? null, options) };
  } catch (exc) {
    return { refused: errorOf(exc, form.languages) };
  }
}

/** One step on `iv`; returns the interview to go on with. @param {any} form @param {any} iv @param {any} step @param {any} out @param {any} clock */
function step(form, iv, step, out, clock) {
  /** @type {any} */
  let q;
  switch (step.op) {
    case "answer": q = iv.answer(step.value); break;
    case "back": q = iv.back(); break;
    case "forward": q = iv.forward(); break;
    case "goto": q = iv.goto(step.value); break;
    case "submit": out.record = iv.submit(); return iv;
    case "acknowledge": iv.acknowledge(step.rule, step.reason); return iv;
    case "snapshot": return form.resume(JSON.parse(JSON.stringify(iv.snapshot())), { clock });
    case "resume": return form.resume(step.snapshot, { clock });
    default: throw new Error(`unknown step ${JSON.stringify(step.op)}`);
  }
  out.returned = q ? q.id : null;
  return iv;
}

/** @param {any} req */
function script(req) {
  const form = formOf(req);
  const clock = typeof req.clock === "string" ? () => req.clock : null;
  let iv;
  try {
    iv = form.start({ params: req.params ?? null, clock });
  } catch (exc) {
    return { start: errorOf(exc, form.languages), steps: [] };
  }
  const steps = [];
  for (const s of req.steps) {
    /** @type {any} */
    const out = {};
    try {
      iv = step(form, iv, s, out, clock);
    } catch (exc) {
      out.error = errorOf(exc, form.languages);
    }
    steps.push({ ...out, state: stateOf(iv) });
  }
  return { start: null, steps };
}

/** The same classes as catalogue.js (NOT_PRINTABLE) and values.js (ND) use. */
function unicodeRuns() {
  const notPrintable = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
  const digit = /^\p{Nd}$/u;
  const runs = [];
  let start = 0;
  let prev = 0;
  for (let cp = 0; cp <= 0x110000; cp++) {
    let c = -1;
    if (cp <= 0x10ffff) {
      const ch = String.fromCodePoint(cp);
      c = notPrintable.test(ch) ? 1 : digit.test(ch) ? 2 : 0;
    }
    if (c !== prev) {
      if (prev > 0) runs.push([start, cp - 1, prev]);
      start = cp;
      prev = c;
    }
  }
  return { version: process.versions.unicode, runs };
}

/** @param {string} line */
function handle(line) {
  const req = JSON.parse(line);
  switch (req.op) {
    case "load": {
      const form = loadMachine(req.machine);
      forms.set(req.name, form);
      return { ok: true, id: form.id, version: form.version, languages: form.languages, params: form.params,
        questions: form.questions.map((q) => q.toDict()) };
    }
    case "validate": return validate(req);
    case "findings": return findings(req);
    case "script": return script(req);
    case "unicode": return unicodeRuns();
    default: throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  let reply;
  try {
    reply = JSON.stringify(handle(line));
  } catch (exc) {
    const e = /** @type {any} */ (exc);
    reply = JSON.stringify({ error: { type: e?.name ?? typeof e, message: String(e?.message ?? e), stack: String(e?.stack ?? "") } });
  }
  process.stdout.write(`${reply}\n`);
});
