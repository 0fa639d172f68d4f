"""Findings and household categories: the form language, the machine, the Python runtime, lint.

What each bundled indicator finds is in the conformance cases (run on both runtimes); here are the
compiler's and the machine check's errors, the rendering of descriptions, and the invariants that
hold for every record of the bundled forms.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import qengine
from qengine.runtime.findings import render_number, template_parts
from qengine.testing import records

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FORM = """\
form: t
version: "1"
title: {zh: 测试, en: Test}
params:
  line: 4000
sections:
  - id: s
    questions:
      - {id: size, label: {zh: 人口, en: Size}, type: integer, min: 1}
      - {id: income, label: {zh: 收入, en: Income}, type: money}
      - id: kind
        label: {zh: 户属性, en: Kind}
        type: multiple
        choices:
          - {code: 1, label: {zh: 边缘户, en: marginal}}
          - {code: 2, label: {zh: 低保户, en: dibao}}
      - id: school
        label: {zh: 在校, en: In school}
        type: single
        choices: [{code: 1, label: {zh: 是, en: "yes"}}, {code: 2, label: {zh: 否, en: "no"}}]
        jump: {1: end}
      - {id: why, label: {zh: 原因, en: Why}, type: text}
findings:
  - id: low
    type: ①
    label: {zh: 收入低于4000元, en: Low income}
    unit: 户
    when: income / size < line
    description:
      zh: "人均{income}元，{size}人，低于{line}元（{kind}）{{注}}"
      en: "{income} yuan for {size}: below {line} ({kind})"
  - id: dropout
    type: 2
    label: {zh: 失学, en: Dropout}
    unit: 人
    when: school == ②
    description: {zh: "失学：{why}", en: "Out of school: {why}"}
categories:
  - {id: marginal, label: {zh: 边缘户, en: Marginal}, when: "selected(kind, ①)"}
  - id: special_dibao
    label: {zh: 低保户, en: Dibao}
    when: selected(kind, ②) and not selected(kind, ①)
"""


@pytest.fixture(scope="module")
def form() -> qengine.Form:
    return qengine.load_text(FORM, "t.yaml")


def test_findings_fire_in_order_with_values_quoted(form: qengine.Form) -> None:
    record = {"size": 3, "income": 10000.5, "kind": [1, 2], "school": 2, "why": "不想上学"}
    found = form.findings(record)
    assert [f.id for f in found] == ["low", "dropout"]
    low = found[0]
    assert (low.type, low.unit, low.label) == (1, "户", "收入低于4000元")
    assert low.description == "人均10000.5元，3人，低于4000元（边缘户、低保户）{注}"
    assert low.descriptions["en"] == "10000.5 yuan for 3: below 4000 (marginal, dibao)"
    assert low.to_dict()["questions"] == ["size", "income"]
    assert form.categories(record) == ["marginal"]
    assert form.categories({**record, "kind": [2]}) == ["special_dibao"]


def test_a_question_not_asked_makes_no_finding(form: qengine.Form) -> None:
    # school ① jumps to the end: why is not asked, and an answer to it is not on the path
    record = {"size": 3, "income": 100000, "kind": [2], "school": 1, "why": "x"}
    assert form.findings(record) == []
    # a finding waits for every question it reads
    assert form.findings({"size": 3, "kind": [2], "school": 1}) == []


def test_params_change_what_is_found(form: qengine.Form) -> None:
    record = {"size": 2, "income": 9000, "kind": [2], "school": 1}
    assert form.findings(record) == []
    assert [f.id for f in form.findings(record, {"line": 5000})] == ["low"]
    with pytest.raises(qengine.ParamError):
        form.findings(record, {"nope": 1})


def test_findings_from_values_agree_with_findings(form: qengine.Form) -> None:
    record = {"size": 3, "income": 300, "kind": [1], "school": 2, "why": "病"}
    values = form.values(record)
    assert form.findings_from(values) == form.findings(record)
    assert form.categories_from(values) == form.categories(record)


@pytest.mark.parametrize("bad", [[1], "record", None, 3])
def test_a_record_that_is_no_mapping_is_refused(form: qengine.Form, bad: Any) -> None:
    with pytest.raises(qengine.RecordError) as info:
        form.findings(bad)
    assert info.value.code == "not_a_record"


def test_entered_text_with_coerce(form: qengine.Form) -> None:
    record = {"size": "3", "income": "1,200", "kind": ["①"], "school": "②", "why": "远"}
    assert [f.id for f in form.findings(record, coerce=True)] == ["low", "dropout"]


@pytest.mark.parametrize(("value", "text"), [
    (4000, "4000"), (4000.0, "4000"), (2.5, "2.5"), (0.125, "0.13"), (-0.125, "-0.13"),
    (3333.3333, "3333.33"), (99.999, "100"), (0.001, "0"), (-0.001, "0"), (1e15, "1.000000e+15"),
    (10**16, "1.000000e+16"), (0.1 + 0.2, "0.3"), (1234567.891, "1234567.89")])
def test_numbers_render_alike_in_every_runtime(value: Any, text: str) -> None:
    assert render_number(value) == text


def test_templates_split_and_escape() -> None:
    assert template_parts("a{x}b{{c}}") == [(False, "a"), (True, "x"), (False, "b{c}")]
    for bad in ("a{", "}b", "{X}", "{1}", "{ x }"):
        with pytest.raises(ValueError):
            template_parts(bad)


# -- the compiler's errors, located -------------------------------------------------------------
@pytest.mark.parametrize(("change", "code"), [
    (("type: ①", 'type: "x"'), "bad_finding_type"),
    (("type: ①", "type: 9"), "schema"),
    (("unit: 户", "unit: 个"), "schema"),
    (("低于{line}元（", "低于{lines}元（"), "unknown_name"),
    (("{{注}}", "{注}"), "bad_description"),
    (("{{注}}", "}"), "bad_description"),
    (("when: school == ②", "when: school + 1"), "type_mismatch"),
    (("when: income / size < line", "when: income"), "type_mismatch"),
    (('when: "selected(kind, ①)"', 'when: "kind"'), "type_mismatch"),
    (("  - id: dropout", "  - id: low"), "duplicate_id"),
    (("id: special_dibao", "id: marginal"), "duplicate_id"),
])
def test_compiler_errors_are_located(change: tuple[str, str], code: str) -> None:
    """Each problem is reported on the line that holds it."""
    old, new = change
    assert old in FORM
    line = FORM[:FORM.index(old)].count("\n") + 1
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(FORM.replace(old, new, 1), "t.yaml")
    problems = [p for p in info.value.problems if p.code == code]
    assert problems, [str(p) for p in info.value.problems]
    assert problems[0].location.line == line, str(problems[0])


def test_every_problem_at_once() -> None:
    text = (FORM.replace("type: ①", 'type: "x"').replace("{why}", "{whyy}")
            .replace("when: school == ②", "when: school + 1"))
    codes = {p.code for p in qengine.compile_text(text, "t.yaml")[1]}
    assert {"bad_finding_type", "unknown_name", "type_mismatch"} <= codes


# -- the machine --------------------------------------------------------------------------------
def test_the_machine_carries_findings_and_categories(form: qengine.Form) -> None:
    machine = form.to_json()
    low = machine["findings"][0]
    assert {k: low[k] for k in ("id", "type", "unit", "deps", "questions")} == {
        "id": "low", "type": 1, "unit": "户", "deps": ["income", "size"],
        "questions": ["size", "income"]}
    assert low["text"] == "income / size < line"
    assert machine["categories"][1]["deps"] == ["kind"]
    again = qengine.Form.from_json(machine)
    record = {"size": 3, "income": 300, "kind": [1], "school": 2, "why": "病"}
    assert again.findings(record) == form.findings(record)


def test_a_machine_without_findings_is_still_read(form: qengine.Form) -> None:
    machine = form.to_json()
    del machine["findings"], machine["categories"]
    bare = qengine.Form.from_json(machine)
    assert bare.indicators == () and bare.household_categories == ()
    assert bare.findings({"size": 1}) == [] and bare.categories({"size": 1}) == []


@pytest.mark.parametrize(("where", "value", "says"), [
    (("findings", 0, "type"), 9, "/findings/0/type"),
    (("findings", 0, "type"), True, "/findings/0/type"),
    (("findings", 0, "unit"), "个", "/findings/0/unit"),
    (("findings", 0, "descriptions", "zh"), "{nobody}", "/findings/0/descriptions/zh"),
    (("findings", 0, "descriptions", "zh"), "{", "/findings/0/descriptions/zh"),
    (("findings", 0, "deps", 0), "nobody", "/findings/0/deps/0"),
    (("findings", 1, "id"), "low", "/findings/1/id"),
    (("findings", 0, "rule", "type"), "num", "/findings/0/rule"),
    (("categories", 0, "rule", "args", 0, "id"), "nobody", "/categories/0/rule"),
    (("categories", 0, "extra"), 1, "/categories/0/extra"),
    (("findings",), {}, "/findings"),
])
def test_the_machine_check_refuses_bad_findings(form: qengine.Form, where: tuple[Any, ...],
                                                value: Any, says: str) -> None:
    machine = copy.deepcopy(form.to_json())
    target: Any = machine
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(qengine.FormError) as info:
        qengine.Form.from_json(machine)
    assert any(says in p.message for p in info.value.problems), \
        [p.message for p in info.value.problems]


# -- lint -----------------------------------------------------------------------------------------
def test_lint_finds_findings_that_cannot_fire_or_always_fire(tmp_path: Any) -> None:
    text = FORM.replace("when: income / size < line", "when: size < 0 and income > 1").replace(
        "when: school == ②", "when: size >= 1")
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    codes = {(p.code, p.location.line) for p in qengine.lint(str(path))}
    lines = text.splitlines()
    start = lines.index("findings:")
    at = [i + 1 for i, t in enumerate(lines) if t.startswith("  - id: ") and i > start]
    assert ("finding_never", at[0]) in codes
    assert ("finding_always", at[1]) in codes


def test_lint_is_quiet_on_findings_that_can_go_both_ways(tmp_path: Any) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(FORM, encoding="utf-8")
    assert not [p for p in qengine.lint(str(path)) if p.code.startswith("finding")]


@pytest.mark.parametrize("name", ["annex6", "annex7"])
def test_bundled_forms_lint_clean(name: str) -> None:
    assert [str(p) for p in qengine.lint(name)] == []


# -- invariants on the bundled forms -----------------------------------------------------------
FORMS = {}


def bundled(name: str) -> qengine.Form:
    if name not in FORMS:
        FORMS[name] = qengine.load(name)
    return FORMS[name]


@pytest.mark.parametrize("name", ["annex6", "annex7"])
def test_findings_read_only_the_path(name: str) -> None:
    """A finding is made only when every question it reads is on the record's path, and the
    findings are those of the record's canonical values, whatever else the record holds."""
    form = bundled(name)
    by_id = {i.id: i for i in form.indicators}

    @SETTINGS
    @given(records(form, valid=False))
    def check(record: dict[str, Any]) -> None:
        path = set(form.path(record)) | {q.id for q in form.questions if q.computed}
        found = form.findings(record)
        for f in found:
            assert set(by_id[f.id].deps) <= path
        canonical = form.validate(record).record
        assert form.findings(canonical) == found
        assert [f.id for f in found] == [i.id for i in form.indicators
                                         if i.id in {f.id for f in found}]

    check()


def test_annex6_households_fall_in_exactly_one_category() -> None:
    form = bundled("annex6")

    @SETTINGS
    @given(records(form))
    def check(record: dict[str, Any]) -> None:
        cats = form.categories(record)
        exited = record.get("exit_year") is not None
        assert cats == (["registered_exited"] if exited else ["registered_not_exited"])

    check()


def test_annex7_marginal_counts_once() -> None:
    form = bundled("annex7")

    @SETTINGS
    @given(records(form))
    def check(record: dict[str, Any]) -> None:
        cats = form.categories(record)
        types = set(record["hh_type"])
        if 1 in types:
            assert cats == ["marginal"]
        else:
            expect = [c for c, codes in (("special_dibao", {2}), ("special_wubao", {3}),
                                         ("special_disabled_ill", {4, 5})) if types & codes]
            assert cats == expect

    check()


def test_a_whole_float_type_is_that_type_and_never_drops_the_finding() -> None:
    form = qengine.load_text(FORM.replace("type: ①", "type: 1.0"), "t.yaml")
    assert [(i.id, i.type) for i in form.indicators] == [("low", 1), ("dropout", 2)]


def test_a_bad_type_still_has_its_rule_checked() -> None:
    text = FORM.replace("type: ①", 'type: "x"').replace("when: income / size < line",
                                                         "when: income + kind")
    codes = [p.code for p in qengine.compile_text(text, "t.yaml")[1]]
    assert "bad_finding_type" in codes and "type_mismatch" in codes


def test_a_computed_value_quoted_only_in_a_description_is_used(tmp_path: Any) -> None:
    text = FORM.replace(
        "      - {id: why, label: {zh: 原因, en: Why}, type: text}\n",
        "      - {id: why, label: {zh: 原因, en: Why}, type: text}\n"
        "      - {id: pc, label: {zh: 人均, en: Per head}, type: computed, value: income / size}\n"
    ).replace("失学：{why}", "失学：{why}，人均{pc}")
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    assert not [p for p in qengine.lint(str(path)) if p.code == "unused_computed"]


@pytest.mark.parametrize("bad", ["", "a:b", "Low", "low income"])
def test_finding_and_category_ids_are_names(form: qengine.Form, bad: str) -> None:
    for key in ("findings", "categories"):
        machine = form.to_json()
        machine[key][0]["id"] = bad
        with pytest.raises(qengine.FormError, match=f"/{key}/0/id"):
            qengine.Form.from_json(machine)
