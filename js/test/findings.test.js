// Findings and household categories: the description templates, the rendering of quoted values
// (the rules of docs/format.md, identical in Python), form.findings / form.categories on the small
// form of findings/fx.yaml (its machine: findings/fx.machine.json), and loadMachine refusing
// machines whose findings or categories break the format.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  applies, Category, Finding, FormError, Indicator, loadMachine, NO_VALUE, ParamError, QengineError, RecordError,
  renderNumber, renderValue, TemplateError, templateNames, templateParts,
} from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const machine = JSON.parse(readFileSync(join(here, "findings", "fx.machine.json"), "utf8"));
const form = loadMachine(machine);
const POOR = { size: 3, income: 10000, kids: 1, school: 2, aid: [], note: "x" };

/** @param {any} record @param {any} [params] @param {any} [options] */
const ids = (record, params = null, options = {}) => form.findings(record, params, options).map((f) => f.id);

test("templates: names, literal braces, and a lone brace refused with where", () => {
  assert.deepEqual(templateParts("a{q1}b{{c}}{x_2}"), [[false, "a"], [true, "q1"], [false, "b{c}"], [true, "x_2"]]);
  assert.deepEqual(templateParts("{{q1}}"), [[false, "{q1}"]]);
  assert.deepEqual(templateParts(""), []);
  assert.deepEqual(templateNames("人均{q1_per_capita}元，线{income_line}元"), ["q1_per_capita", "income_line"]);
  for (const [bad, at] of [["{", 1], ["a}", 2], ["{Q1}", 1], ["{ q1}", 1], ["{}", 1], ["x{q1", 2], ["{{{", 3], ["{{{q}}}}", 8], ["元{1a}", 2]]) {
    assert.throws(() => templateParts(bad), (exc) => exc instanceof TemplateError && exc.message.includes(`at character ${at} `), bad);
  }
});

test("numbers: digits when whole, two decimals rounded half away from zero on the exact value, exponent from 1e15", () => {
  const table = [
    [4000, "4000"], [4000.0, "4000"], [0, "0"], [-0, "0"], [-12, "-12"], [2.5, "2.5"], [0.125, "0.13"],
    [-0.125, "-0.13"], [3333.3333333, "3333.33"], [10000 / 3, "3333.33"], [2.675, "2.67"], [1.005, "1"],
    [0.005, "0.01"], [0.015, "0.01"], [-0.001, "0"], [1e-7, "0"], [999999999999999.9, "999999999999999.88"],
    [123456789012345.67, "123456789012345.67"], [1e15, "1.000000e+15"], [-1e15, "-1.000000e+15"],
    [1000000500000000, "1.000000e+15"], [1000001500000000, "1.000002e+15"], [1000000500000001, "1.000001e+15"],
    [9999999500000000, "1.000000e+16"], [2.5e20, "2.500000e+20"], [1.7976931348623157e308, "1.797693e+308"],
  ];
  for (const [x, want] of table) assert.equal(renderNumber(/** @type {number} */ (x)), want, String(x));
});

test("values: no value, texts, codes as labels (first language as fallback), lists joined", () => {
  const labels = new Map([[1, { zh: "是", en: "Yes" }], [2, { zh: "否" }]]);
  assert.equal(NO_VALUE, "—");
  assert.equal(renderValue(null, "zh", null, "zh"), "—");
  assert.equal(renderValue(undefined, "en", labels, "zh"), "—");
  assert.equal(renderValue("3组", "en", null, "zh"), "3组");
  assert.equal(renderValue("2020-05-01", "zh", null, "zh"), "2020-05-01");
  assert.equal(renderValue(1, "en", labels, "zh"), "Yes");
  assert.equal(renderValue(2, "en", labels, "zh"), "否");
  assert.equal(renderValue(7, "zh", labels, "zh"), "7");
  assert.equal(renderValue(1, "zh", null, "zh"), "1");
  assert.equal(renderValue([1, 2, 7], "zh", labels, "zh"), "是、否、7");
  assert.equal(renderValue([1, 2], "en", labels, "zh"), "Yes, 否");
  assert.equal(renderValue([1], "zh-Hant", labels, "zh"), "是");
  assert.equal(renderValue([], "zh", labels, "zh"), "无");
  assert.equal(renderValue([], "zh-TW", labels, "zh"), "无");
  assert.equal(renderValue([], "en", labels, "zh"), "none");
  assert.equal(renderValue(2.5, "zh", labels, "zh"), "2.5");
});

test("findings fire in declared order, with descriptions in every language", () => {
  const found = form.findings(POOR);
  assert.deepEqual(found.map((f) => f.id), ["income_below_line", "dropout", "no_aid"]);
  const [income, dropout] = found;
  assert.ok(income instanceof Finding && Object.isFrozen(income));
  assert.deepEqual(income.toDict(), {
    id: "income_below_line", type: 1, unit: "户", label: "收入低于4000元",
    labels: { zh: "收入低于4000元", en: "Income below the line" },
    description: "人均纯收入3333.33元，低于收入标准线4000元",
    descriptions: { zh: "人均纯收入3333.33元，低于收入标准线4000元", en: "Net income per person 3333.33 yuan is below the line of 4000 yuan" },
    questions: ["per_capita"],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(income)), income.toDict());
  assert.equal(String(income), "income_below_line (1): 人均纯收入3333.33元，低于收入标准线4000元");
  assert.equal(dropout.description, "在校：否；政策：无；{备注}：x");
  assert.equal(dropout.descriptions.en, "In school: 否; aid: none; {note}: x");  // no English label: the first language's
  assert.equal(dropout.type, 2);
  assert.equal(dropout.unit, "人");
});

test("a finding stays silent when its rule does not hold, or a question it reads has no value", () => {
  assert.deepEqual(ids({ ...POOR, income: 12000 }), ["dropout", "no_aid"]);   // 4000 is not below the line
  assert.deepEqual(ids({ ...POOR, school: 1, aid: [1] }), ["income_below_line"]);
  assert.deepEqual(ids({ ...POOR, income: null }), ["dropout", "no_aid"]);     // no income: no per capita
  assert.deepEqual(ids({ ...POOR, size: 0 }), ["dropout", "no_aid"]);          // refused: no per capita
  assert.deepEqual(ids({ size: 3, income: 100 }), ["income_below_line"]);      // the rest unanswered
  assert.deepEqual(ids({}), []);
});

test("a question that was not asked never makes a finding; answered() does not wait", () => {
  // kids ② jumps to exit_year: school and aid are not asked, whatever the record holds
  assert.deepEqual(ids({ ...POOR, income: 12000, kids: 2 }), []);
  assert.deepEqual(form.categories({ ...POOR, kids: 2 }), ["not_exited"]);
  assert.deepEqual(form.categories({ ...POOR, exit_year: 2019 }), ["exited", "pupils"]);
  assert.deepEqual(form.categories({}), ["not_exited"]);
});

test("entered text counts only with coerce; params are overridden as validate takes them", () => {
  const typed = { ...POOR, school: "②", aid: "无", income: "10,000" };
  assert.deepEqual(ids(typed), []);
  assert.deepEqual(ids(typed, null, { coerce: true }), ["income_below_line", "dropout"]);  // "无" is no code: aid has no value
  assert.deepEqual(ids(POOR, { income_line: 3000 }), ["dropout", "no_aid"]);
  assert.equal(form.findings(POOR, { income_line: 3500.5 })[0].description, "人均纯收入3333.33元，低于收入标准线3500.5元");
  assert.throws(() => form.findings(POOR, { income_line: "4000" }), ParamError);
  assert.throws(() => form.categories(POOR, { nope: 1 }), { code: "unknown_param" });
});

test("a record that is no mapping is a RecordError", () => {
  for (const bad of [[], "x", 5, null, true, [{ size: 1 }]]) {
    assert.throws(() => form.findings(bad), (exc) => exc instanceof RecordError && exc instanceof QengineError
      && exc.code === "not_a_record" && exc.message.startsWith("a record is a mapping of question ids to answers, not "), JSON.stringify(bad));
    assert.throws(() => form.categories(bad), RecordError);
  }
});

test("findingsFrom and categoriesFrom read values as values() gives them, params filled in", () => {
  const values = form.values(POOR);
  assert.equal(values.income_line, 4000);
  assert.equal(values.per_capita, 10000 / 3);
  assert.deepEqual(form.findingsFrom(values).map((f) => f.toDict()), form.findings(POOR).map((f) => f.toDict()));
  const { income_line: _line, ...bare } = values;
  assert.deepEqual(form.findingsFrom(bare).map((f) => f.id), ["income_below_line", "dropout", "no_aid"]);
  assert.deepEqual(form.categoriesFrom({ kids: 1 }), ["not_exited", "pupils"]);
  assert.deepEqual(form.findingsFrom({ school: 2 }).map((f) => f.description), ["在校：否；政策：—；{备注}：—"]);
  // only a value of its own counts (an id such as constructor is no inherited property)
  assert.ok(!applies(["constructor", "toString"], {}) && applies(["a"], { a: 0 }) && !applies(["a"], { a: null }));
});

test("indicators and householdCategories describe what the form declares", () => {
  assert.deepEqual(form.indicators.map((i) => i.id), ["income_below_line", "dropout", "no_aid"]);
  const ind = form.indicators[1];
  assert.ok(ind instanceof Indicator && Object.isFrozen(ind) && Object.isFrozen(form.indicators));
  assert.deepEqual({ ...ind.toDict() }, { id: "dropout", type: 2, unit: "人", label: "有失学辍学学生",
    labels: { zh: "有失学辍学学生", en: "Dropout" }, rule: "school == ②", questions: ["school"] });
  assert.equal(ind.source, "school == ②");
  assert.deepEqual(ind.deps, ["school"]);
  assert.equal(ind.kind, "when");
  assert.deepEqual(ind.location, { file: "<machine>", line: machine.findings[1].at[0], column: machine.findings[1].at[1] });
  assert.deepEqual(form.indicators[2].questions, ["kids", "aid"]);
  assert.deepEqual(form.householdCategories.map((c) => c.toDict()), [
    { id: "not_exited", label: "未脱贫", labels: { zh: "未脱贫", en: "Not yet out" }, rule: "not answered(exit_year)" },
    { id: "exited", label: "已脱贫", labels: { zh: "已脱贫", en: "Out" }, rule: "answered(exit_year)" },
    { id: "pupils", label: "有学生", labels: { zh: "有学生" }, rule: "kids == ①" },
  ]);
  assert.ok(form.householdCategories[0] instanceof Category);
  assert.deepEqual(form.householdCategories[0].deps, []);
  // a machine without findings or categories has none, and finds nothing
  const bare = structuredClone(machine);
  delete bare.findings;
  delete bare.categories;
  const plain = loadMachine(bare);
  assert.deepEqual([plain.indicators, plain.householdCategories, plain.findings(POOR), plain.categories(POOR)], [[], [], [], []]);
  assert.deepEqual(loadMachine({ ...bare, findings: [], categories: [] }).findings(POOR), []);
  assert.deepEqual(form.toJSON().findings, machine.findings);
});

/** @param {(m: any) => void} damage @param {string} pointer */
function refused(damage, pointer) {
  const m = structuredClone(machine);
  damage(m);
  assert.throws(() => loadMachine(m), (exc) => {
    assert.ok(exc instanceof FormError && exc.code === "machine");
    assert.ok(exc.problems.some((p) => p.message.startsWith(pointer)), `${pointer}: ${exc.message}`);
    return true;
  }, pointer);
}

test("machines with broken findings or categories are refused at the fault", () => {
  refused((m) => { m.findings = {}; }, "/findings: expected an array");
  refused((m) => { m.findings = null; }, "/findings: expected an array");
  refused((m) => { m.categories = "x"; }, "/categories: expected an array");
  refused((m) => { m.findings[1].id = m.findings[0].id; }, "/findings/1/id: finding 'income_below_line' is declared twice");
  refused((m) => { m.findings[0].id = 7; }, "/findings/0/id");
  for (const bad of ["", "Income", "1st", "a-b", "a b", "é", "x".repeat(101)]) {
    refused((m) => { m.findings[0].id = bad; }, "/findings/0/id: a finding id is a name");
    refused((m) => { m.categories[0].id = bad; }, "/categories/0/id: a category id is a name");
  }
  assert.equal(loadMachine({ ...structuredClone(machine), findings: [{ ...machine.findings[0], id: "x".repeat(100) }] }).indicators[0].id.length, 100);
  for (const bad of [0, 9, "1", 1.5, null, true]) refused((m) => { m.findings[0].type = bad; }, "/findings/0/type");
  for (const bad of ["个", null, 1]) refused((m) => { m.findings[0].unit = bad; }, "/findings/0/unit");
  refused((m) => { m.findings[0].labels = "x"; }, "/findings/0/labels");
  refused((m) => { m.findings[0].text = null; }, "/findings/0/text");
  refused((m) => { m.findings[0].at = [1]; }, "/findings/0/at");
  refused((m) => { m.findings[0].questions = ["nope"]; }, "/findings/0/questions/0: names no question");
  refused((m) => { m.findings[0].deps = "size"; }, "/findings/0/deps");
  refused((m) => { delete m.findings[0].descriptions; }, "/findings/0: 'descriptions' is missing");
  refused((m) => { m.findings[0].extra = 1; }, "/findings/0/extra");
  refused((m) => { m.findings[0].descriptions.zh = "{"; }, "/findings/0/descriptions/zh: a bad description");
  refused((m) => { m.findings[0].descriptions.en = "{nope}"; }, "/findings/0/descriptions/en: quotes {nope}");
  refused((m) => { m.findings[0].descriptions.en = 5; }, "/findings/0/descriptions/en");
  refused((m) => { m.findings[0].rule = m.findings[0].rule.args[0]; }, "/findings/0/rule: expected an expression of type bool");
  refused((m) => { m.findings[0].rule.args[1].name = "nope"; }, "/findings/0/rule/args/1/name");
  refused((m) => { m.categories[1].id = m.categories[0].id; }, "/categories/1/id: category 'not_exited' is declared twice");
  refused((m) => { m.categories[0].deps = ["nope"]; }, "/categories/0/deps/0");
  refused((m) => { m.categories[0].questions = []; }, "/categories/0/questions");
  refused((m) => { m.categories[0].rule = { op: "num", value: 1, type: "num", at: [1, 1] }; }, "/categories/0/rule");
  refused((m) => { delete m.categories[0].labels; }, "/categories/0: 'labels' is missing");
  // quoting a param, a computed value or any question is fine; so are literal braces
  const m = structuredClone(machine);
  m.findings[0].descriptions = { zh: "{{x}} {income_line} {per_capita} {note} {exit_year}" };
  assert.equal(loadMachine(m).findings(POOR)[0].description, "{x} 4000 3333.33 x —");
});
