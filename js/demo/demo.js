/**
 * The browser demo of qengine-runtime: an annex 6 interview run in the page from the exported
 * machine (annex6.machine.json), kept in localStorage after every step as `iv.snapshot()` (the
 * same JSON as Python's Interview.snapshot()), so a reload resumes exactly where it was.
 * No build step: this file imports the runtime's sources as they are.
 */
import { AnswerError, SnapshotError, SubmitError, loadMachine } from "../src/index.js";

const MACHINE_URL = "annex6.machine.json";
/** Where the interview is kept; a stored snapshot that cannot be resumed is moved to DAMAGED. */
export const STORE = "qengine-demo:annex6";
export const DAMAGED = `${STORE}:damaged`;
const NUMBER_TYPES = new Set(["integer", "number", "money", "year"]);

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * An element with attributes and children (texts or elements).
 * @param {string} tag @param {Record<string, any>} [attrs] @param {(Node | string | null)[]} [children]
 */
function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

/** A text in English, marked as such for screen readers. @param {string | undefined} text */
const en = (text) => (text ? h("span", { lang: "en", class: "en", text }) : null);

/** ① for 1 … ⑳ for 20, ⓪ for 0; other codes in brackets. @param {number} code */
function circled(code) {
  if (code === 0) return "⓪";
  if (Number.isInteger(code) && code >= 1 && code <= 20) return String.fromCodePoint(0x2460 + code - 1);
  return `(${code})`;
}

/** @type {import("../src/form.js").Form} */ let form;
/** @type {import("../src/interview.js").Interview} */ let iv;
/** @type {string | null} the object URL of the last record offered for download */ let recordUrl = null;

// -- storage -------------------------------------------------------------------------------------
/** Keep the interview; a storage that refuses (private mode, quota) is reported, not fatal. */
function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify(iv.snapshot()));
  } catch (exc) {
    notice("storage", `无法保存到 localStorage：${exc}`, "The interview could not be saved in localStorage; a reload will lose it.");
  }
}

/**
 * The stored interview, or a fresh one. A stored snapshot that is not JSON or that the runtime
 * refuses (SnapshotError) is reported on the page, kept aside under DAMAGED, and replaced by a
 * fresh interview: never a blank page.
 */
function restore() {
  let text = null;
  try {
    text = localStorage.getItem(STORE);
  } catch (exc) {
    notice("storage", `无法读取 localStorage：${exc}`, "localStorage cannot be read: the interview will not be kept.");
    return form.start();
  }
  if (text === null) return form.start();
  let code;
  let message;
  try {
    return form.resume(JSON.parse(text));
  } catch (exc) {
    if (exc instanceof SyntaxError) {
      code = "not_json";
      message = `the stored snapshot is not JSON: ${exc.message}`;
    } else if (exc instanceof SnapshotError) {
      code = exc.code;
      message = exc.message;
    } else {
      throw exc;
    }
  }
  try {
    localStorage.setItem(DAMAGED, text);
  } catch {
    // the notice below still says what happened
  }
  notice(code, "保存的问卷无法恢复，已开始新的问卷。", `The stored interview could not be resumed (${message}); a new interview was started. The damaged snapshot is kept in localStorage under "${DAMAGED}".`);
  return form.start();
}

// -- messages ------------------------------------------------------------------------------------
/** @param {string} code @param {string} zh @param {string} english */
function notice(code, zh, english) {
  const box = $("notice");
  box.replaceChildren(h("p", {}, [h("strong", { text: zh }), " ", en(english)]));
  box.dataset.code = code;
  box.hidden = false;
}

/** @param {unknown} exc */
function fatal(exc) {
  const box = $("fatal");
  box.replaceChildren(h("p", {}, [h("strong", { text: "演示无法运行。" }), " ", en(`The demo cannot run: ${exc}`)]));
  box.hidden = false;
  $("app").dataset.state = "failed";
  $("app").removeAttribute("aria-busy");
  for (const b of document.querySelectorAll("button")) /** @type {HTMLButtonElement} */ (b).disabled = true;
}

function clearAnswerError() {
  const box = $("answer-error");
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
  delete box.dataset.question;
}

/** A refused answer: its message in every language of the form; the interview is unchanged. @param {AnswerError} exc */
function showAnswerError(exc) {
  const box = $("answer-error");
  const messages = exc.messages(form.languages);
  box.replaceChildren(
    h("p", { class: "message", "data-testid": "answer-error-message", text: messages[form.languages[0]] }),
    ...form.languages.slice(1).map((lang) => h("p", { lang, class: "en", text: messages[lang] })),
  );
  box.dataset.code = exc.code;
  box.dataset.question = exc.question || "";
  box.hidden = false;
}

function clearSubmitted() {
  $("submit-error").hidden = true;
  $("submit-error").replaceChildren();
  $("submitted").hidden = true;
  $("record").textContent = "";
  if (recordUrl !== null) URL.revokeObjectURL(recordUrl);
  recordUrl = null;
}

// -- the question ----------------------------------------------------------------------------------
/** @param {any} q a form question @param {any} suggested the kept answer, or null */
function choicesInput(q, suggested) {
  const multiple = q.type === "multiple";
  const picked = new Set(multiple ? suggested || [] : suggested === null ? [] : [suggested]);
  const items = q.choices.map((/** @type {any} */ c) => {
    const id = `choice-${c.code}`;
    return h("div", { class: "choice" }, [
      h("input", { type: multiple ? "checkbox" : "radio", name: "choice", id, value: c.code,
        "data-testid": id, "data-code": c.code, checked: picked.has(c.code) }),
      h("label", { for: id }, [`${circled(c.code)} ${c.label}`, " ", en(c.labels.en)]),
    ]);
  });
  if (multiple && q.none_ok) {
    items.push(h("div", { class: "choice none" }, [
      h("input", { type: "checkbox", name: "none", id: "none-of-these", "data-testid": "none-of-these",
        checked: Array.isArray(suggested) && suggested.length === 0 }),
      h("label", { for: "none-of-these" }, ["无（以上都没有）", " ", en("None of these")]),
    ]));
  }
  return h("div", { class: "choices", role: multiple ? "group" : "radiogroup", "aria-labelledby": "q-label" }, items);
}

/** @param {any} q @param {any} suggested */
function textInput(q, suggested) {
  const attrs = { type: "text", id: "answer-input", name: "answer", "data-testid": "answer-input",
    autocomplete: "off", "aria-describedby": "q-meta", value: suggested === null ? "" : String(suggested) };
  if (NUMBER_TYPES.has(q.type)) attrs.inputmode = "decimal";
  if (q.type === "date") attrs.placeholder = "YYYY-MM-DD";
  return h("div", { class: "text-answer" }, [
    h("label", { for: "answer-input", class: "visually-hidden", text: q.label }),
    h("input", attrs),
    q.unit ? h("span", { class: "unit", text: q.unit }) : null,
  ]);
}

/** What the question expects, for people: type, required, bounds, unit. @param {any} q */
function meta(q) {
  const parts = [q.type, q.required ? "必填 required" : "选填 optional"];
  if (q.min !== null || q.max !== null) parts.push(`${q.min ?? "…"} – ${q.max ?? "…"}`);
  if (q.unit) parts.push(q.unit);
  if (q.type === "multiple") parts.push("可多选 any of");
  return parts.join(" · ");
}

function renderQuestion() {
  const box = $("question");
  const q = iv.current;
  box.dataset.questionId = q ? q.id : "";
  box.dataset.type = q ? q.type : "";
  /** @type {HTMLButtonElement} */ ($("answer-btn")).disabled = q === null;
  /** @type {HTMLButtonElement} */ ($("back-btn")).disabled = !iv.canBack;
  if (q === null) {
    box.replaceChildren(h("p", { id: "finished", "data-testid": "finished" }, [
      "全部问题已回答，可以提交。", " ", en("Every question on the path is answered: submit.")]));
    $("progress").textContent = `已回答 ${iv.history.length} 题 · ${iv.history.length} answered`;
    return;
  }
  const suggested = iv.suggested();
  const hint = q.hints[form.languages[0]];
  const parts = [
    h("p", { class: "question-text" }, [
      h("span", { id: "q-number", "data-testid": "question-number", class: "number", text: q.number || "" }),
      " ",
      h("span", { id: "q-label", "data-testid": "question-label", text: q.label }),
      " ",
      en(q.labels.en),
    ]),
    hint ? h("p", { id: "q-hint", "data-testid": "question-hint", class: "hint" }, [hint, " ", en(q.hints.en)]) : null,
    h("p", { id: "q-meta", class: "meta", text: meta(q) }),
    q.type === "single" || q.type === "multiple" ? choicesInput(q, suggested) : textInput(q, suggested),
  ];
  box.replaceChildren(...parts.filter((el) => el !== null));
  $("progress").textContent = `已回答 ${iv.history.length} 题 · ${iv.history.length} answered · ${q.id}`;
}

/** The value the page holds for the current question, as `iv.answer()` takes it. */
function enteredValue() {
  const q = iv.current;
  if (q === null) return null;
  if (q.type === "single") {
    const el = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=choice]:checked"));
    return el === null ? null : Number(el.value);
  }
  if (q.type === "multiple") {
    const none = /** @type {HTMLInputElement | null} */ (document.getElementById("none-of-these"));
    if (none !== null && none.checked) return [];
    const codes = [...document.querySelectorAll("input[name=choice]:checked")].map((el) => Number(/** @type {HTMLInputElement} */ (el).value));
    return codes.length ? codes : null;
  }
  return /** @type {HTMLInputElement} */ ($("answer-input")).value;
}

// -- answers, violations ----------------------------------------------------------------------------
/** An answer as people read it. @param {any} q @param {any} value */
function shown(q, value) {
  if (value === null || value === undefined) return "（空）";
  const choice = (/** @type {number} */ code) => {
    const c = q.choices.find((/** @type {any} */ x) => x.code === code);
    return `${circled(code)}${c ? c.label : ""}`;
  };
  if (q.type === "single") return choice(value);
  if (q.type === "multiple") return value.length ? value.map(choice).join("、") : "无";
  return q.unit ? `${value} ${q.unit}` : String(value);
}

function renderAnswers() {
  const answers = iv.answers;
  const history = new Set(iv.history);
  const current = iv.current;
  const rows = Object.entries(answers).map(([qid, value]) => {
    const q = form.question(qid);
    const confirmed = history.has(qid);
    return h("tr", { "data-qid": qid, "data-value": JSON.stringify(value),
      "data-confirmed": q.computed ? "computed" : String(confirmed),
      class: current !== null && current.id === qid ? "current" : null }, [
      h("td", { text: q.number || "" }),
      h("th", { scope: "row" }, [q.label, " ", h("code", { text: qid })]),
      h("td", { class: "value", text: shown(q, value) }),
      h("td", {}, [confirmed ? h("button", { type: "button", class: "goto", "data-goto": qid,
        "data-testid": `goto-${qid}`, "aria-label": `修改 ${q.label} (change ${qid})`, text: "修改" }) : null]),
    ]);
  });
  $("answers").querySelector("tbody")?.replaceChildren(...rows);
  const aside = Object.entries(iv.kept).filter(([qid]) => !Object.hasOwn(answers, qid));
  $("kept").replaceChildren(...aside.map(([qid, value]) => {
    const q = form.question(qid);
    return h("li", { "data-qid": qid, "data-value": JSON.stringify(value) },
      [`${q.number || ""} ${q.label}: ${shown(q, value)} `, h("code", { text: qid })]);
  }));
  $("kept-panel").hidden = aside.length === 0;
}

/** A violation as a list item (errors and warnings told apart by class, text and data-severity). @param {any} v */
function violationItem(v) {
  const error = v.severity === "error";
  return h("li", { class: error ? "error" : "warning", "data-rule": v.rule, "data-severity": v.severity,
    "data-questions": v.questions.join(" ") }, [
    h("strong", { class: "severity", text: error ? "错误（不允许提交）" : "警告（允许提交）" }), " ",
    h("code", { text: `${v.rule} [${v.questions.join(", ")}]` }), " ",
    h("span", { class: "message", text: v.message }), " ",
    en(v.messages.en),
  ]);
}

function renderViolations() {
  const violations = iv.violations;
  const errors = violations.filter((v) => v.severity === "error").length;
  $("violations").replaceChildren(...violations.map(violationItem));
  if (!violations.length) $("violations").append(h("li", { class: "none", text: "无 · none" }));
  $("violation-count").textContent = `（错误 ${errors} · 警告 ${violations.length - errors}）`;
  $("violations").dataset.errors = String(errors);
  $("violations").dataset.warnings = String(violations.length - errors);
}

function render() {
  renderQuestion();
  renderAnswers();
  renderViolations();
}

/** After a step that changed the interview: keep it, forget the last submission, show it. */
function stepped() {
  save();
  clearAnswerError();
  clearSubmitted();
  render();
  const first = /** @type {HTMLElement | null} */ ($("question").querySelector("input"));
  first?.focus();
}

// -- actions ---------------------------------------------------------------------------------------
/** @param {Event} event */
function onAnswer(event) {
  event.preventDefault();
  if (iv.current === null) return;
  try {
    iv.answer(enteredValue());
  } catch (exc) {
    if (exc instanceof AnswerError) {
      showAnswerError(exc); // nothing changed: the input stays as typed
      return;
    }
    throw exc;
  }
  stepped();
}

function onBack() {
  if (iv.back() === null) return;
  stepped();
}

/** @param {Event} event */
function onGoto(event) {
  const button = /** @type {HTMLElement} */ (event.target).closest("button[data-goto]");
  if (button === null) return;
  iv.goto(/** @type {string} */ (button.getAttribute("data-goto")));
  stepped();
}

/** @param {Event} event the multiple-choice inputs: "none of these" and a code exclude each other */
function onChoice(event) {
  const el = /** @type {HTMLInputElement} */ (event.target);
  if (el.type !== "checkbox" || !el.checked) return;
  if (el.id === "none-of-these") {
    for (const other of document.querySelectorAll("input[name=choice]")) /** @type {HTMLInputElement} */ (other).checked = false;
  } else {
    const none = /** @type {HTMLInputElement | null} */ (document.getElementById("none-of-these"));
    if (none !== null) none.checked = false;
  }
}

function onSubmit() {
  clearSubmitted();
  let record;
  try {
    record = iv.submit();
  } catch (exc) {
    if (!(exc instanceof SubmitError)) throw exc;
    const box = $("submit-error");
    const head = exc.code === "unfinished"
      ? ["问卷尚未完成，不能提交。", " ", en(`Not finished: ${iv.current ? iv.current.id : ""} is still to be asked.`)]
      : ["以下错误不允许提交：", " ", en("These errors block submission:")];
    box.replaceChildren(h("p", {}, head),
      h("ul", { id: "blocking", "data-testid": "blocking" }, exc.violations.map(violationItem)));
    box.dataset.code = exc.code;
    box.hidden = false;
    return;
  }
  const text = `${JSON.stringify(record, null, 2)}\n`;
  recordUrl = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = /** @type {HTMLAnchorElement} */ ($("download"));
  link.href = recordUrl;
  link.download = `${form.id}-${typeof record.id_number === "string" ? record.id_number : "record"}.json`;
  $("record").textContent = text;
  $("submitted").hidden = false;
}

function onNew() {
  try {
    localStorage.removeItem(STORE);
  } catch {
    // save() below reports a storage that does not work
  }
  iv = form.start();
  $("notice").hidden = true;
  stepped();
}

async function main() {
  try {
    const response = await fetch(MACHINE_URL);
    if (!response.ok) throw new Error(`${MACHINE_URL}: HTTP ${response.status}`);
    form = loadMachine(await response.text());
    iv = restore();
  } catch (exc) {
    fatal(exc);
    return;
  }
  save(); // a fresh interview is stored at once, over a damaged snapshot (kept aside under DAMAGED)
  $("form-title").replaceChildren(h("span", {}, [form.titles[form.languages[0]] || form.id, " ", en(form.titles.en)]));
  document.title = `${form.titles[form.languages[0]]} · qengine-runtime demo`;
  $("answer-form").addEventListener("submit", onAnswer);
  $("answer-form").addEventListener("change", onChoice);
  $("back-btn").addEventListener("click", onBack);
  $("answers").addEventListener("click", onGoto);
  $("submit-btn").addEventListener("click", onSubmit);
  $("new-btn").addEventListener("click", onNew);
  render();
  $("app").dataset.state = "ready";
  $("app").removeAttribute("aria-busy");
}

window.addEventListener("error", (event) => fatal(event.error || event.message));
window.addEventListener("unhandledrejection", (event) => fatal(event.reason));
main();
