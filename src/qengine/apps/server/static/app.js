/**
 * The web page of `qengine serve`: it drives the server's JSON API (docs/server.md) and keeps
 * nothing of an interview but its id; the server is the system of record. What the page keeps in
 * localStorage: the login token (read once from `?token=`, then removed from the address) and the
 * id of the open interview, so a reload resumes where the server says the interview is.
 * The questions' labels, hints and messages come from the server in every language of the form;
 * the page's own words are in TEXT below.
 */

const TOKEN_KEY = "qengine:token";
const OPEN_KEY = "qengine:interview";
const NUMBER_TYPES = new Set(["integer", "number", "money", "year"]);
const WHOLE_TYPES = new Set(["integer", "year"]);

/** The page's own words, in each language it offers. */
const TEXT = {
  zh: {
    loading: "正在加载…",
    login_title: "请登录",
    login_text: "请用您收到的登录链接打开本页（链接里带有 ?token=…）。",
    login_refused: "登录令牌无效或已过期：请用您收到的登录链接重新打开本页。",
    my_interviews: "我的问卷",
    choose_form: "问卷",
    new_interview: "新建问卷",
    no_interviews: "还没有问卷。",
    resume: "继续",
    status_open: "进行中",
    status_finished: "已答完，待提交",
    status_submitted: "已提交",
    back: "上一题",
    next: "下一题",
    skip: "不填",
    none_of_these: "以上都没有",
    finished: "全部问题已回答，可以提交。",
    submit: "提交",
    submitted: "已提交",
    submitted_text: "问卷已提交并保存在服务器上。",
    record: "记录",
    checks: "核查提示",
    error: "错误（不允许提交）",
    warning: "警告（允许提交）",
    go_to: "转到",
    item: (n) => `第${n}题`,
    progress: (a, t) => `已答 ${a} / ${t}`,
    blocked_errors: "以下错误不允许提交，请修改：",
    blocked_unfinished: "问卷尚未答完，不能提交。",
    not_current: "问卷已在别处更改，已显示最新的问题。",
    failed: (what) => `服务器出错：${what}`,
    unreachable: (what) => `无法连接服务器：${what}`,
    gone: "这份问卷已不存在或不属于您。",
    optional: "选填",
    multiple: "可多选",
  },
  en: {
    loading: "Loading…",
    login_title: "Please log in",
    login_text: "Open this page with the login link you were given (it carries ?token=…).",
    login_refused: "The login token was refused: open this page again with the login link you were given.",
    my_interviews: "My interviews",
    choose_form: "Form",
    new_interview: "New interview",
    no_interviews: "No interviews yet.",
    resume: "Resume",
    status_open: "open",
    status_finished: "answered, to submit",
    status_submitted: "submitted",
    back: "Back",
    next: "Next",
    skip: "Leave blank",
    none_of_these: "None of these",
    finished: "Every question is answered: you can submit.",
    submit: "Submit",
    submitted: "Submitted",
    submitted_text: "The interview is submitted and kept on the server.",
    record: "Record",
    checks: "Checks",
    error: "Error (blocks submission)",
    warning: "Warning (submission allowed)",
    go_to: "Go to",
    item: (n) => `item ${n}`,
    progress: (a, t) => `${a} / ${t} answered`,
    blocked_errors: "These errors block submission; change the answers they name:",
    blocked_unfinished: "The interview is not finished yet.",
    not_current: "The interview was changed elsewhere; this is its current question.",
    failed: (what) => `The server failed: ${what}`,
    unreachable: (what) => `The server cannot be reached: ${what}`,
    gone: "This interview does not exist or is not yours.",
    optional: "optional",
    multiple: "any of these",
  },
};

let lang = "zh";
/** @type {string | null} */ let token = null;
/** @type {any} the state of the open interview, as the server gave it */ let state = null;
/** @type {any[]} */ let forms = [];
/** @type {Map<string, any>} machines by form name, for the numbers and labels of named questions */
const machines = new Map();
let busy = false;
let seq = 0;

/** @param {string} id @returns {any} */
const $ = (id) => document.getElementById(id);

/** A page word in the chosen language. @param {string} key @param {...any} args */
function t(key, ...args) {
  const entry = TEXT[lang][key] ?? TEXT.zh[key];
  return typeof entry === "function" ? entry(...args) : entry;
}

/** A text of the form in the chosen language, else in the first language it has. @param {any} texts */
function pick(texts) {
  if (texts === null || texts === undefined) return "";
  if (typeof texts === "string") return texts;
  return texts[lang] ?? Object.values(texts)[0] ?? "";
}

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
    else if (k === "onclick") el.addEventListener("click", v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

/** ① for 1 … ⑳ for 20; other codes as they are. @param {number} code */
function circled(code) {
  if (Number.isInteger(code) && code >= 1 && code <= 20) return String.fromCodePoint(0x2460 + code - 1);
  return String(code);
}

// -- storage: the token and the open interview's id, nothing else ---------------------------------
function readToken() {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given !== null) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    store(TOKEN_KEY, given);
    return given;
  }
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string | null} value */
function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // a browser that keeps nothing still works: a reload then starts from "my interviews"
  }
}

function openId() {
  try {
    return localStorage.getItem(OPEN_KEY);
  } catch {
    return null;
  }
}

// -- the API -----------------------------------------------------------------------------------
class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    const err = body && typeof body === "object" && body.error ? body.error : {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || `http_${status}`;
    this.error = err;
    this.body = body;
  }

  /** The server's message in the chosen language where it gives several, else the one it gives. */
  text() {
    const messages = this.error.messages;
    if (messages && typeof messages === "object" && typeof messages[lang] === "string") return messages[lang];
    return this.message;
  }
}

/** @param {string} method @param {string} path @param {any} [body] */
async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (exc) {
    throw new ApiError(0, { error: { code: "unreachable", message: t("unreachable", String(exc)) } });
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: { code: "not_json", message: `HTTP ${response.status}: ${text.slice(0, 200)}` } };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Runs one step against the server, one at a time; the API's errors are shown, never a blank page. */
async function step(action) {
  if (busy) return;
  busy = true;
  $("app").setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (exc) {
    failed(exc);
  } finally {
    busy = false;
    $("app").removeAttribute("aria-busy");
    $("app").dataset.seq = String(++seq);
  }
}

/** @param {any} exc */
function failed(exc) {
  if (exc instanceof ApiError && exc.status === 401) {
    store(TOKEN_KEY, null);
    token = null;
    show("login");
    showError(t("login_refused"), "unauthorized");
    return;
  }
  const message = exc instanceof ApiError ? exc.text() : String(exc && exc.stack ? exc.message : exc);
  showError(exc instanceof ApiError && exc.status === 0 ? message : t("failed", message),
    exc instanceof ApiError ? exc.code : "page");
}

/** @param {string} message @param {string} code */
function showError(message, code) {
  const box = $("api-error");
  box.replaceChildren(h("p", { text: message }));
  box.dataset.code = code;
  box.hidden = false;
}

function clearError() {
  $("api-error").hidden = true;
  $("api-error").replaceChildren();
}

// -- views --------------------------------------------------------------------------------------
/** @param {"loading" | "login" | "list" | "question" | "done"} name */
function show(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  $("app").dataset.view = name;
  $("nav-list").hidden = name === "login" || name === "loading";
}

function words() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
}

/** @param {string} name */
function formTitle(name) {
  const f = forms.find((x) => x.name === name);
  const m = machines.get(name);
  if (m && m.titles) return pick(m.titles);
  if (f) return pick(f.titles ?? f.title);
  return name;
}

/** How a named question is shown in a link: its printed number, else its label, else its id. */
function questionName(form, qid) {
  const m = machines.get(form);
  const q = m && Array.isArray(m.questions) ? m.questions.find((x) => x.id === qid) : null;
  if (q && q.number) return t("item", q.number);
  if (q && q.labels) return pick(q.labels);
  return qid;
}

async function machineOf(name) {
  if (!machines.has(name)) {
    try {
      machines.set(name, await api("GET", `/api/forms/${encodeURIComponent(name)}`));
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 401) throw exc;
      // the page works without it: links then name questions by id
    }
  }
}

// -- my interviews --------------------------------------------------------------------------------
async function openList() {
  const [formList, mine] = await Promise.all([api("GET", "/api/forms"), api("GET", "/api/interviews")]);
  forms = Array.isArray(formList) ? formList : [];
  renderList(Array.isArray(mine) ? mine : []);
  show("list");
  $("form-select").focus();
}

/** @param {any} s */
function statusOf(s) {
  if (s.submitted) return "submitted";
  return s.finished ? "finished" : "open";
}

/** @param {any[]} mine */
function renderList(mine) {
  const select = $("form-select");
  const chosen = select.value;
  select.replaceChildren(...forms.map((f) => h("option", { value: f.name, text: `${formTitle(f.name)} (${f.name})` })));
  if (chosen) select.value = chosen;
  const sorted = [...mine].sort((a, b) => String(b.updated ?? "").localeCompare(String(a.updated ?? "")));
  $("interviews").replaceChildren(...sorted.map((s) => {
    const status = statusOf(s);
    const total = s.progress.answered + s.progress.remaining;
    const current = s.current ? `${s.current.number ?? ""} ${pick(s.current.label)}` : "";
    return h("li", { "data-id": s.id, "data-status": status, class: `interview ${status}` }, [
      h("div", { class: "interview-text" }, [
        h("strong", { text: formTitle(s.form) }),
        h("span", { class: "meta", text: ` · ${t(`status_${status}`)} · ${t("progress", s.progress.answered, total)}` }),
        current ? h("div", { class: "meta", text: current }) : null,
        s.updated ? h("div", { class: "meta", text: String(s.updated).replace("T", " ").slice(0, 19) }) : null,
      ]),
      status === "submitted" ? null : h("button", { type: "button", class: "resume", "data-resume": s.id,
        "aria-label": `${t("resume")}: ${formTitle(s.form)} ${current}`, text: t("resume") }),
    ]);
  }));
  $("list-empty").hidden = mine.length > 0;
}

// -- the interview ----------------------------------------------------------------------------------
/** @param {any} next the state the server gave */
async function opened(next) {
  await machineOf(next.form);
  state = next;
  store(OPEN_KEY, state.id);
  if (state.submitted) {
    store(OPEN_KEY, null);
    await openList();
    return;
  }
  renderInterview();
  show("question");
  focusQuestion();
}

function renderInterview() {
  const s = state;
  const q = s.current;
  $("form-name").textContent = formTitle(s.form);
  document.title = `${formTitle(s.form)} · qengine`;
  const total = s.progress.answered + s.progress.remaining;
  $("progress").max = Math.max(total, 1);
  $("progress").value = s.progress.answered;
  $("progress-text").textContent = t("progress", s.progress.answered, total);
  $("q-section").textContent = pick(s.section);
  $("q-section").hidden = !s.section;
  $("refusal").hidden = true;
  $("answer-form").hidden = q === null;
  $("finished").hidden = q !== null;
  $("back-btn").disabled = !s.can_back;
  $("back-btn-2").disabled = !s.can_back;
  $("question").dataset.questionId = q ? q.id : "";
  if (q !== null) renderQuestion(q, s.suggested ?? null);
  renderViolations($("violations"), s.violations);
  $("checks").hidden = s.violations.length === 0;
}

/** @param {any} q @param {any} suggested */
function renderQuestion(q, suggested) {
  const hint = pick(q.hints);
  const notes = [];
  if (!q.required) notes.push(t("optional"));
  if (q.type === "multiple") notes.push(t("multiple"));
  if (q.unit) notes.push(q.unit);
  const head = [
    h("p", { class: "question-text" }, [
      q.number ? h("span", { id: "q-number", "data-testid": "q-number", class: "number", text: q.number }) : null,
      h("span", { id: "q-label", "data-testid": "q-label", class: "label", text: pick(q.label) }),
    ]),
    hint ? h("p", { id: "q-hint", "data-testid": "q-hint", class: "hint", text: hint }) : null,
    notes.length ? h("p", { id: "q-notes", class: "meta", text: notes.join(" · ") }) : null,
  ];
  let input;
  if (q.type === "single") input = singleInput(q, suggested);
  else if (q.type === "multiple") input = multipleInput(q, suggested);
  else input = textInput(q, suggested);
  $("question").dataset.type = q.type;
  $("question").replaceChildren(...head.filter((x) => x !== null), input);
  $("next-btn").hidden = q.type === "single";
  $("skip-btn").hidden = q.required;
}

/** Single choice: one large button per choice; one tap answers. @param {any} q @param {any} suggested */
function singleInput(q, suggested) {
  return h("div", { class: "choices single", role: "group", "aria-labelledby": "q-label" }, q.choices.map((c) =>
    h("button", { type: "button", class: "choice", "data-code": c.code, "data-testid": `choice-${c.code}`,
      "aria-pressed": String(suggested === c.code), onclick: () => answer(c.code) }, [
      h("span", { class: "code", text: circled(c.code) }), h("span", { class: "choice-label", text: pick(c.label) }),
    ])));
}

/** Multiple choice: checkboxes, and "none of these" where the form allows it. @param {any} q @param {any} suggested */
function multipleInput(q, suggested) {
  const picked = new Set(Array.isArray(suggested) ? suggested : []);
  const items = q.choices.map((c) => h("label", { class: "check", for: `choice-${c.code}` }, [
    h("input", { type: "checkbox", name: "choice", id: `choice-${c.code}`, value: c.code,
      "data-testid": `choice-${c.code}`, checked: picked.has(c.code) }),
    h("span", { class: "code", text: circled(c.code) }), h("span", { text: pick(c.label) }),
  ]));
  if (q.none_ok) {
    items.push(h("label", { class: "check none", for: "none-of-these" }, [
      h("input", { type: "checkbox", name: "none", id: "none-of-these", "data-testid": "none-of-these",
        checked: Array.isArray(suggested) && suggested.length === 0 }),
      h("span", { text: t("none_of_these") }),
    ]));
  }
  const box = h("fieldset", { class: "choices multiple" }, [h("legend", { class: "visually-hidden", text: pick(q.label) }), ...items]);
  box.addEventListener("change", (event) => {
    const el = event.target;
    if (!el.checked) return;
    if (el.id === "none-of-these") for (const o of box.querySelectorAll("input[name=choice]")) o.checked = false;
    else if ($("none-of-these")) $("none-of-these").checked = false;
  });
  return box;
}

/** Text, number and date inputs, with the phone keyboard that fits. @param {any} q @param {any} suggested */
function textInput(q, suggested) {
  const attrs = { id: "answer-input", name: "answer", "data-testid": "answer-input", autocomplete: "off",
    type: q.type === "date" ? "date" : "text", value: suggested === null ? "" : String(suggested),
    "aria-labelledby": "q-number q-label", "aria-describedby": q.hints && pick(q.hints) ? "q-hint" : null };
  if (NUMBER_TYPES.has(q.type)) {
    // phones' numeric keyboards have no minus sign: where a negative number may be the answer,
    // the full keyboard
    const negative = q.min === undefined || q.min === null || q.min < 0;
    attrs.inputmode = negative ? "text" : WHOLE_TYPES.has(q.type) ? "numeric" : "decimal";
  }
  if (q.type === "date") {
    if (q.min) attrs.min = q.min;
    if (q.max) attrs.max = q.max;
  }
  if (q.type === "text" && q.max_length) attrs.maxlength = q.max_length;
  return h("div", { class: "text-answer" }, [h("input", attrs), q.unit ? h("span", { class: "unit", text: q.unit }) : null]);
}

/** The value entered for the current question, as the API's answer takes it. */
function entered() {
  const q = state.current;
  if (q.type === "multiple") {
    if ($("none-of-these") && $("none-of-these").checked) return [];
    const codes = [...document.querySelectorAll("#question input[name=choice]:checked")].map((el) => Number(el.value));
    return codes.length ? codes : null;
  }
  const text = $("answer-input").value.trim();
  return text === "" ? null : text;
}

function focusQuestion() {
  const q = state && state.current;
  let target = null;
  if (q === null || q === undefined) target = $("submit-btn");
  else if (q.type === "single") target = document.querySelector("#question .choice[aria-pressed=true]") || document.querySelector("#question .choice");
  else target = document.querySelector("#question input");
  if (target) target.focus();
  window.scrollTo(0, 0);
}

/** @param {any} value */
function answer(value) {
  const q = state.current;
  step(async () => {
    let next;
    try {
      next = await api("POST", `/api/interviews/${state.id}/answer`, { question: q.id, value });
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 422) return refused(exc);
      if (exc instanceof ApiError && exc.code === "not_current") {
        await opened(await api("GET", `/api/interviews/${state.id}`));
        return showError(t("not_current"), exc.code);
      }
      throw exc;
    }
    clearError();
    await opened(next);
  });
}

/** A refused answer: the server's message; nothing changed, the input stays as typed. @param {ApiError} exc */
function refused(exc) {
  const box = $("refusal");
  box.replaceChildren(h("p", { class: "message", "data-testid": "refusal-message", text: exc.text() }));
  box.dataset.code = exc.code;
  box.dataset.question = exc.error.question ?? "";
  box.hidden = false;
  const input = document.querySelector("#question input");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-errormessage", "refusal");
    input.focus();
  }
}

/** @param {HTMLElement} list @param {any[]} violations */
function renderViolations(list, violations) {
  list.replaceChildren(...violations.map((v) => {
    const error = v.severity === "error";
    const message = v.messages && typeof v.messages[lang] === "string" ? v.messages[lang] : v.message;
    return h("li", { class: `violation ${error ? "error" : "warning"}`, "data-rule": v.rule,
      "data-severity": v.severity, "data-questions": v.questions.join(" ") }, [
      h("strong", { class: "severity", text: t(error ? "error" : "warning") }),
      h("span", { class: "message", text: message }),
      h("span", { class: "links" }, v.questions.map((qid) => h("button", { type: "button", class: "goto",
        "data-goto": qid, "data-testid": `goto-${qid}`, "aria-label": `${t("go_to")} ${questionName(state.form, qid)}`,
        text: questionName(state.form, qid) }))),
    ]);
  }));
}

/** @param {string} qid */
function goto(qid) {
  if (state.current && state.current.id === qid) {
    focusQuestion();
    return;
  }
  step(async () => {
    const next = await api("POST", `/api/interviews/${state.id}/goto`, { question: qid });
    clearError();
    $("submit-error").hidden = true;
    await opened(next);
  });
}

function back() {
  step(async () => {
    const next = await api("POST", `/api/interviews/${state.id}/back`);
    clearError();
    $("submit-error").hidden = true;
    await opened(next);
  });
}

function submit() {
  step(async () => {
    let done;
    try {
      done = await api("POST", `/api/interviews/${state.id}/submit`);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 409 && exc.code !== "submitted") return blocked(exc);
      throw exc;
    }
    clearError();
    $("submit-error").hidden = true;
    store(OPEN_KEY, null);
    $("record").textContent = JSON.stringify(done.record, null, 2);
    show("done");
    $("done-heading").focus();
  });
}

/** 409 at submit: the violations that block it, each with its links. @param {ApiError} exc */
function blocked(exc) {
  const box = $("submit-error");
  const list = h("ul", { id: "blocking", "data-testid": "blocking", class: "violations" });
  renderViolations(list, Array.isArray(exc.body && exc.body.violations) ? exc.body.violations : []);
  box.replaceChildren(h("p", { text: t(exc.code === "unfinished" ? "blocked_unfinished" : "blocked_errors") }), list);
  box.dataset.code = exc.code;
  box.hidden = false;
  const first = list.querySelector("button");
  (first || $("submit-btn")).focus();
}

// -- start ----------------------------------------------------------------------------------------
function setLang(next) {
  lang = next;
  words();
  const view = $("app").dataset.view;
  if (view === "question" && state) renderInterview();
  if (view === "list") step(openList);
}

async function start() {
  token = readToken();
  if (token === null) {
    show("login");
    return;
  }
  const id = openId();
  if (id !== null) {
    try {
      const [s] = await Promise.all([api("GET", `/api/interviews/${encodeURIComponent(id)}`),
        api("GET", "/api/forms").then((f) => { forms = Array.isArray(f) ? f : []; })]);
      await opened(s);
      return;
    } catch (exc) {
      // gone (404), or one the server can no longer resume (409: its form is not served now, or
      // is of another version): forget it and show the list, never a page stuck on loading
      if (!(exc instanceof ApiError) || (exc.status !== 404 && exc.status !== 409)) throw exc;
      store(OPEN_KEY, null);
      await openList();
      showError(exc.status === 404 ? t("gone") : exc.message, exc.code);
      return;
    }
  }
  await openList();
}

function wire() {
  $("answer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state && state.current) answer(entered());
  });
  $("skip-btn").addEventListener("click", () => answer(null));
  $("back-btn").addEventListener("click", back);
  $("back-btn-2").addEventListener("click", back);
  $("submit-btn").addEventListener("click", submit);
  $("nav-list").addEventListener("click", () => step(async () => { clearError(); await openList(); }));
  $("done-list").addEventListener("click", () => step(async () => { clearError(); await openList(); }));
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setLang(b.dataset.lang));
  document.addEventListener("click", (event) => {
    const link = event.target.closest("button[data-goto]");
    if (link) goto(link.dataset.goto);
    const resume = event.target.closest("button[data-resume]");
    if (resume) step(async () => { clearError(); await opened(await api("GET", `/api/interviews/${resume.dataset.resume}`)); });
  });
  $("new-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = $("form-select").value;
    if (!form) return;
    step(async () => { clearError(); await opened(await api("POST", "/api/interviews", { form })); });
  });
}

window.addEventListener("error", (event) => showError(t("failed", String(event.message)), "page"));
window.addEventListener("unhandledrejection", (event) => failed(event.reason));
wire();
words();
step(start);
