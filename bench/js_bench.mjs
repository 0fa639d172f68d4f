#!/usr/bin/env node
/**
 * The speed of the JavaScript runtime (js/) on annex 6, beside Python's, measured in one run.
 *
 *   node bench/js_bench.mjs [--records FILE.jsonl | --n 20000 --seed 1 --invalid-rate 0.1]
 *                           [--repeats 5] [--interviews 2000] [--python PATH] [--json]
 *
 * Without --records the records come from ../shared/bench/records.py (run by the Python given).
 * bench/js_bench_python.py, run by that Python (--python, else $VIRTUAL_ENV's, else python3; it must
 * import qengine), gives the machine of qengine.load("annex6"), Python's verdict on every record and
 * the Python figures; then node, alone on the machine, times:
 *
 * - validate: form.validate(record).ok over all records, after two warm-up passes. Python:
 *   form.validate(record).ok (the generated validator, warmed up) and ../shared/bench/baseline.py's
 *   validate, alternating chunk by chunk.
 * - interview: the first --interviews error-free records replayed, form.start() then
 *   iv.answer(record[qid]) for each qid of form.path(record); microseconds per answer (start()
 *   included). Python: Interview.answer the same way; the baseline's replay (its rules included)
 *   divided by the same answers.
 *
 * Each runtime times chunks (500 records, 50 interviews) over --repeats rounds: "best" sums per
 * chunk the fastest round (short timed runs dodge most of the interference of a shared machine, as
 * bench/annex6.py does), "median" is the median whole round.
 *
 * The figures are worth nothing if the answers differ, so every record's verdict is compared first:
 * ok, the violations in order (rule, severity, questions, message) and the path must be Python's, and
 * every replayed interview must ask exactly its path and submit. Any difference is printed and the
 * exit status is 1. A script, not a test: it prints times, never asserts on them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadMachine } from "../js/src/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const RECORDS_PY = join(HERE, "..", "..", "shared", "bench", "records.py");
const HELPER_PY = join(HERE, "js_bench_python.py");
const EXAMPLES = 5; // disagreements printed
const VALIDATE_CHUNK = 500; // records timed at once (as js_bench_python.py does)
const INTERVIEW_CHUNK = 50; // interviews timed at once

function options() {
  const { values } = parseArgs({
    options: {
      records: { type: "string" },
      n: { type: "string", default: "20000" },
      seed: { type: "string", default: "1" },
      "invalid-rate": { type: "string", default: "0.1" },
      repeats: { type: "string", default: "5" },
      interviews: { type: "string", default: "2000" },
      python: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    const doc = readFileSync(fileURLToPath(import.meta.url), "utf8").split("/**")[1].split("*/")[0];
    process.stdout.write(doc.split("\n").slice(1, -1).map((line) => line.replace(/^ \* ?/, "")).join("\n") + "\n");
    process.exit(0);
  }
  const venv = process.env.VIRTUAL_ENV;
  return {
    ...values,
    python: values.python ?? (venv ? join(venv, "bin", "python") : "python3"),
    repeats: Math.max(1, Number(values.repeats)),
    interviews: Math.max(0, Number(values.interviews)),
  };
}

/** Run `python args`; its stdout, or exit 2 with its stderr. */
function python(opts, args) {
  const done = spawnSync(opts.python, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  if (done.error || done.status !== 0) {
    process.stderr.write(`js_bench: ${opts.python} ${args.join(" ")} failed\n${done.error ?? done.stderr}\n`);
    if (String(done.stderr).includes("No module named 'qengine'")) {
      process.stderr.write("js_bench: that Python cannot import qengine; pass --python .venv/bin/python\n");
    }
    process.exit(2);
  }
  return done.stdout;
}

/** @param {string} text */
function jsonLines(text) {
  return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
}

/** What Python's js_bench_python.verdict gives. */
function verdict(report) {
  const violations = report.violations.map((v) => [v.rule, v.severity, [...v.questions], v.message]);
  return [report.ok, violations, report.path.join(" ")];
}

/** Records whose verdicts differ: [count, the first few]. */
function compare(records, ours, theirs) {
  let count = 0;
  const examples = [];
  for (let i = 0; i < records.length; i++) {
    const a = JSON.stringify(ours[i]);
    const b = JSON.stringify(theirs[i]);
    if (a !== b) {
      count++;
      if (examples.length < EXAMPLES) examples.push({ line: i + 1, js: ours[i], python: theirs[i] });
    }
  }
  return [count, examples];
}

/** The answers of each chosen record in the order asked; null if an interview strays from its path. */
function scripts(form, chosen) {
  const out = [];
  for (const r of chosen) {
    const path = form.path(r);
    const iv = form.start();
    for (const qid of path) {
      if (iv.current === null || iv.current.id !== qid) return null;
      iv.answer(Object.hasOwn(r, qid) ? r[qid] : null);
    }
    if (!iv.finished) return null;
    iv.submit();
    out.push(path.map((qid) => (Object.hasOwn(r, qid) ? r[qid] : null)));
  }
  return out;
}

/**
 * `fn` over `items` in chunks, `repeats` rounds, as js_bench_python.rounds times Python: `best_s`
 * (per chunk the fastest round, summed: short timed runs dodge most of the interference of a
 * shared machine) and `rounds_s` (the seconds of each whole round).
 */
function rounds(fn, items, chunk, repeats) {
  const parts = [];
  for (let i = 0; i < items.length; i += chunk) parts.push(items.slice(i, i + chunk));
  const best = parts.map(() => Infinity);
  const whole = [];
  for (let r = 0; r < repeats; r++) {
    let sum = 0;
    parts.forEach((part, j) => {
      const t0 = process.hrtime.bigint();
      fn(part);
      const t = Number(process.hrtime.bigint() - t0) / 1e9;
      best[j] = Math.min(best[j], t);
      sum += t;
    });
    whole.push(sum);
  }
  return { best_s: best.reduce((a, b) => a + b, 0), rounds_s: whole };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** `work` per second of the best and of the median round. */
const rate = (t, work) => ({ best: work / t.best_s, median: work / median(t.rounds_s) });
/** Microseconds per unit of `work`, best and median round. */
const cost = (t, work) => ({ best: (t.best_s / work) * 1e6, median: (median(t.rounds_s) / work) * 1e6 });

function measure(opts) {
  let file = opts.records;
  let scratch = null;
  let source = file;
  if (!file) {
    scratch = mkdtempSync(join(tmpdir(), "js-bench-"));
    file = join(scratch, "annex6.jsonl");
    python(opts, [RECORDS_PY, "--n", opts.n, "--seed", opts.seed, "--invalid-rate", opts["invalid-rate"], "--out", file,
      "--truth", join(scratch, "annex6.truth.jsonl")]);
    source = `records.py --n ${opts.n} --seed ${opts.seed} --invalid-rate ${opts["invalid-rate"]}`;
  }
  try {
    const records = jsonLines(readFileSync(file, "utf8"));
    const py = JSON.parse(python(opts, [HELPER_PY, file, "--repeats", String(opts.repeats), "--interviews", String(opts.interviews)]));
    return { source, ...run(records, py, opts) };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

function run(records, py, opts) {
  const form = loadMachine(py.machine);
  const n = records.length;
  const ours = records.map((r) => verdict(form.validate(r)));
  const [differ, examples] = compare(records, ours, py.verdicts);
  py.verdicts = null; // the heap timed is the runtime's, not the comparison's
  const validateAll = (part) => {
    let bad = 0;
    for (let i = 0; i < part.length; i++) if (!form.validate(part[i]).ok) bad++;
    return bad;
  };
  validateAll(records);
  validateAll(records);
  // validate is timed before any interview runs: their calls would be in the inline caches too
  const tValidate = rounds(validateAll, records, VALIDATE_CHUNK, opts.repeats);

  const chosen = records.filter((_, i) => ours[i][0]).slice(0, opts.interviews);
  const answers = scripts(form, chosen);
  const steps = answers ? answers.reduce((s, a) => s + a.length, 0) : 0;
  const interviewsAgree = answers !== null && answers.length === py.interview.interviews && steps === py.interview.answers;
  const interviewAll = (part) => {
    for (const values of part) {
      const iv = form.start();
      for (let k = 0; k < values.length; k++) iv.answer(values[k]);
    }
  };
  let tInterview = null;
  if (steps > 0) {
    interviewAll(answers);
    tInterview = rounds(interviewAll, answers, INTERVIEW_CHUNK, opts.repeats);
  }

  const js = rate(tValidate, n);
  const pyRate = rate(py.validate.qengine, n);
  const baseRate = rate(py.validate.baseline, n);
  const jsStep = tInterview ? cost(tInterview, steps) : null;
  const pyStep = py.interview.answers ? cost(py.interview.qengine, py.interview.answers) : null;
  const baseStep = py.interview.answers ? cost(py.interview.baseline, py.interview.answers) : null;
  return {
    records: n,
    repeats: opts.repeats,
    node: process.versions.node,
    python: py.python,
    qengine: py.qengine,
    python_engine: py.engine,
    agree: differ === 0 && interviewsAgree,
    verdicts_differ: differ,
    interviews_agree: interviewsAgree,
    examples,
    validate: {
      js: js, python: pyRate, baseline: baseRate,
      js_over_python: js.best / pyRate.best, js_over_baseline: js.best / baseRate.best,
    },
    interview: {
      interviews: answers ? answers.length : 0, answers: steps,
      js_us: jsStep, python_us: pyStep, baseline_us: baseStep,
      python_over_js: jsStep && pyStep ? pyStep.best / jsStep.best : null,
    },
  };
}

const fmt = (x, digits = 0) => (x === null || x === undefined ? "-" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));

function table(f) {
  const v = f.validate;
  const iv = f.interview;
  const pair = (x, d) => (x ? `${fmt(x.best, d)} (${fmt(x.median, d)})` : "-");
  const rows = [
    ["", `JS (node ${f.node})`, `Python ${f.python} (${f.python_engine})`, "baseline (Python)", "JS vs Python", "JS vs baseline"],
    ["validate, records/s", pair(v.js), pair(v.python), pair(v.baseline), `${fmt(v.js_over_python, 2)}x`, `${fmt(v.js_over_baseline, 2)}x`],
    ["interview, us per answer", pair(iv.js_us, 2), pair(iv.python_us, 2), pair(iv.baseline_us, 2),
      iv.python_over_js ? `${fmt(iv.python_over_js, 2)}x` : "-", iv.js_us && iv.baseline_us ? `${fmt(iv.baseline_us.best / iv.js_us.best, 2)}x` : "-"],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  const out = [
    `annex 6: ${fmt(f.records)} records (${f.source}); best of ${f.repeats} rounds per chunk (median round in brackets)`,
    `interviews: ${fmt(iv.interviews)} error-free records replayed, ${fmt(iv.answers)} answers; "JS vs" = how many times faster JS is`,
    "",
    ...rows.map(line),
    "",
  ];
  if (f.agree) {
    out.push(`agreement: JS and Python agree on all ${fmt(f.records)} records (ok, violations: rule, severity, questions, message; path) and every interview asks its path and submits`);
  } else {
    out.push(`DISAGREEMENT: verdicts differ on ${fmt(f.verdicts_differ)} of ${fmt(f.records)} records; interviews agree: ${f.interviews_agree}`);
    for (const e of f.examples) out.push(`  line ${e.line}:\n    js:     ${JSON.stringify(e.js)}\n    python: ${JSON.stringify(e.python)}`);
  }
  return out.join("\n");
}

const opts = options();
const figures = measure(opts);
process.stdout.write((opts.json ? JSON.stringify(figures, null, 2) : table(figures)) + "\n");
process.exitCode = figures.agree ? 0 : 1;
