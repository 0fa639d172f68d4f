"""The generated validators (qengine.runtime.codegen): equal to the interpreter, and safe.

Differential: on the bundled forms, on a form using every op of the IR, and on synthetic forms,
the generated function and the interpreter (``Form.interpret``) give the same violations in the same
order, the same path and the same canonical record, for valid, invalid and arbitrary records, strict
and coerced, with and without params. Security: forms whose every string carries a Python payload
compile to validators that never run it (a canary file stays absent), and the audit refuses any
source the generator would never write.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.runtime import codegen
from qengine.testing import answers, records
from tests.conftest import ROOT, form_yaml

sys.path.insert(0, str(ROOT / "bench"))
from synthetic import make_form, make_record

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

EVERY_OP = form_yaml("""\
    - id: a
      label: A
      type: single
      choices: yesno
      jump: {②: c}
    - id: b
      label: B
      type: integer
      min: 0
      max: 500
      jumps:
        - {when: b > line and a == ①, to: e}
    - id: c
      label: C
      type: multiple
      required: false
      choices:
        - {code: 1, label: x}
        - {code: 2, label: y}
        - {code: 3, label: z}
        - {code: 5, label: w}
    - id: d
      label: D
      type: money
    - id: pre
      label: P
      type: computed
      value: twice - 1
    - id: ratio
      label: R
      type: computed
      value: (d - b) / max(1, b)
    - id: twice
      label: T
      type: computed
      value: ratio * 2 + abs(-d)
    - id: e
      label: E
      type: single
      choices: yesno
      jumps:
        - {when: ratio > 3, to: g}
        - {when: "selected(c, ③) or count(c) >= 3", to: n}
    - id: t
      label: T
      type: text
      required: false
      max_length: 12
    - id: sub
      label: S
      type: integer
      required: false
      ask_if: "t == 'yes' or substr(t, 0, 2) == 'ab'"
    - id: fn
      label: F
      type: computed
      value: "if(answered(t), round(number(t), 1) + int(d) + mod(b, 7), 0)"
    - id: dt
      label: Date
      type: date
      required: false
    - id: n
      label: N
      type: number
      required: false
    - id: g
      label: G
      type: text
    - id: idno
      label: Id
      type: id_number
      required: false
    - id: yr
      label: Year
      type: year
      min: 2014
      max: 2020
      required: false
    """, params="""\
    line: {value: 100, label: L}
    start: {value: "2020-01-01", label: S}
    """, checks="""\
    - id: c1
      severity: error
      when: selected(c, ①, ③) and count(c) >= 2
      message: {zh: c1, en: c1}
    - id: c2
      severity: warning
      when: not answered(t) and d > 10
      message: {zh: c2, en: c2}
    - id: c3
      severity: error
      when: t == "x" or dt < start or t != "y" and dt >= "2020-06-01"
      message: {zh: c3, en: c3}
    - id: c4
      severity: error
      when: sum(b, d, n) != 7 and min(b, d) <= 3 and max(b, d) > 2
      message: {zh: c4, en: c4}
    - id: c5
      severity: warning
      when: b in [1, 2, 3] and a not in [②] or n in [0.5, 1.5]
      message: {zh: c5, en: c5}
    - id: c6
      severity: error
      assert: len(g) <= 8 or d * 2 - b >= 0
      message: {zh: c6, en: c6}
    - id: c7
      severity: warning
      when: twice == 10.5 or ratio != 2 or -n < -5
      message: {zh: c7, en: c7}
    - id: c8
      severity: error
      when: d / n > 2 and yr - 2000 == 16
      message: {zh: c8, en: c8}
    - id: c9
      severity: warning
      when: n - 0.4 in [-0.3] or n not in [-1, 2.5] and pre > 100
      message: {zh: c9, en: c9}
    """)

#: values a record may hold beyond valid answers: every JSON type, and entered text
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**16), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(["②", "２", "1,234.5", " ", "", "是", "x", "2020-02-30",
                                           "43012219770514668x", "１２"]),
    st.lists(st.one_of(st.integers(-1, 6), st.booleans(), st.floats(0, 6), st.text(max_size=2)),
             max_size=5),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


def assert_same(form: qengine.Form, record: Any, params: dict[str, Any] | None = None,
                coerce: bool = False) -> None:
    """Generated and interpreted: the same violations (all fields, messages in every language),
    in the same order, the same path and the same canonical record (types included)."""
    kept = copy.deepcopy(record)
    generated = form.validate(record, params, coerce=coerce)
    oracle = form.interpret(record, params, coerce=coerce)
    assert [v.to_dict() for v in generated.violations] == [v.to_dict() for v in oracle.violations]
    assert generated.path == oracle.path
    assert repr(generated.record) == repr(oracle.record)
    assert repr(record) == repr(kept)  # neither touched the record


def prepared(form: qengine.Form) -> qengine.Form:
    assert form.prepare(), form.declined
    assert form.engine == "generated"
    return form


@pytest.fixture(scope="module")
def every_op() -> qengine.Form:
    return prepared(qengine.load_text(EVERY_OP, "every_op.yaml"))


@pytest.fixture(scope="module", params=["annex5", "annex6", "annex7"])
def bundled(request: pytest.FixtureRequest) -> qengine.Form:
    return prepared(qengine.load(request.param))


def arbitrary(form: qengine.Form) -> st.SearchStrategy[dict[str, Any]]:
    """Records mixing valid answers and junk, over the form's ids and a few unknown keys."""
    ids = [q.id for q in form.questions]
    value = {q.id: st.one_of(answers(q), JUNK) for q in form.questions if not q.computed}
    keys = st.sampled_from([*ids, "zz", "q0"])
    return st.dictionaries(keys, JUNK, max_size=6).flatmap(
        lambda extra: st.fixed_dictionaries({}, optional=value).map(lambda r: {**r, **extra}))


# -- differential ------------------------------------------------------------------------------
@SETTINGS
@given(data=st.data())
def test_bundled_forms_generated_equals_interpreter(bundled: qengine.Form, data: Any) -> None:
    """Valid records, records with junk, strict and coerced: identical reports."""
    record = data.draw(st.one_of(records(bundled), arbitrary(bundled)))
    assert_same(bundled, record)
    assert_same(bundled, record, coerce=True)


@SETTINGS
@given(data=st.data())
def test_every_op_generated_equals_interpreter(every_op: qengine.Form, data: Any) -> None:
    record = data.draw(st.one_of(records(every_op), arbitrary(every_op)))
    params = data.draw(st.sampled_from([None, {"line": 0}, {"line": 10**15, "start": "2030-01-01"},
                                        {"line": -3.5}]))
    assert_same(every_op, record, params)
    assert_same(every_op, record, params, coerce=True)


def test_every_op_form_is_generated_without_falling_back(every_op: qengine.Form) -> None:
    """The form of every op is written out, not left to the interpreter: its source names the
    helpers of each op family."""
    source = codegen.source_of(every_op, every_op.to_json())
    for helper in ("h_div", "h_sum", "h_min", "h_max", "h_abs", "h_len", "h_in_num", "isdisjoint"):
        assert helper in source, helper


def test_the_annex6_records_of_the_benchmark(annex6: qengine.Form) -> None:
    """The shared benchmark's generator, with its injected errors, if it is beside the project."""
    script = ROOT.parent / "shared" / "bench" / "records.py"
    if not script.exists():
        pytest.skip(f"{script} is not beside this checkout")
    import subprocess

    out = subprocess.run([sys.executable, str(script), "--n", "1500", "--seed", "7",
                          "--invalid-rate", "0.3"], capture_output=True, text=True, check=True)
    form = prepared(qengine.load("annex6"))
    for line in out.stdout.splitlines():
        assert_same(form, json.loads(line))


@pytest.mark.parametrize(("size", "seed"), [(60, 1), (300, 2), (1000, 3)])
def test_synthetic_forms_generated_equals_interpreter(size: int, seed: int) -> None:
    import random

    form = prepared(qengine.load_text(make_form(size, seed), f"synthetic{size}.yaml"))
    rng = random.Random(seed)
    for k in range(150):
        record = make_record(form, rng, errors=k % 3 == 0)
        assert_same(form, record)
        assert_same(form, record, coerce=True)


def test_validate_switches_to_the_generated_function_lazily() -> None:
    """load() never generates; a few validations (or prepare()) do; the reports never change."""
    form = qengine.load("annex6")
    assert form.engine == "interpreter"
    record = {"county": "望城区"}
    first = [form.validate(record).to_dict() for _ in range(codegen_warm_up())]
    assert form.engine == "generated"
    assert form.validate(record).to_dict() == first[0] == first[-1]


def codegen_warm_up() -> int:
    from qengine.runtime.form import WARM_UP

    return WARM_UP + 1


def test_a_report_works_out_path_and_record_when_first_asked(annex6: qengine.Form) -> None:
    """path and record come from the record passed, when first read; once read they stay."""
    form = prepared(annex6)
    record = {"county": "望城区", "q4": 2, "q5": 1}
    report = form.validate(record)
    assert report.record == form.interpret(record).record
    record["county"] = "x"
    assert report.record["county"] == "望城区"  # already worked out: a copy is handed out
    copied = form.validate(dict(record))
    record["q4"] = 1
    assert copied.path == form.interpret({**record, "q4": 2}).path


def test_a_form_the_generator_declines_stays_on_the_interpreter() -> None:
    """An expression nested deeper than the generator writes: declined, validated all the same."""
    deep = " + ".join(["a"] * 3)
    for _ in range(codegen.MAX_DEPTH):
        deep = f"({deep}) * 1"
    form = qengine.load_text(form_yaml(f"""\
        - id: a
          label: A
          type: integer
        - id: b
          label: B
          type: computed
          value: {deep}
        """, checks="""\
        - id: big
          severity: warning
          when: b > 10
          message: {zh: 大, en: big}
        """), "deep.yaml")
    assert not form.prepare()
    assert form.engine == "interpreter" and "deeper" in (form.declined or "")
    assert [v.rule for v in form.validate({"a": 5}).violations] == ["big"]


# -- security ------------------------------------------------------------------------------------
def payloads(canary: Path) -> list[str]:
    """Python that creates the canary file, dressed to escape a string literal, a comment, a
    line or an f-string if any of them reached the source unquoted."""
    touch = f"open({str(canary)!r}, 'w').write('ran')"
    return [
        f"'); {touch}; ('", f'"); {touch}; ("', f"\n{touch}\n", f"x' + {touch} + 'y",
        f'"""\n{touch}\n"""', f"{{{touch}}}", f"\\'; {touch} #", f"# \n{touch}",
        f"__import__('os').system('touch {canary}')", f"v0 = {touch}", f"k0.{touch}",
        "x" * 500 + f"'); {touch}; ('",
    ]


def hostile_machine(base: qengine.Form, payload: str, n: int) -> dict[str, Any]:
    """``base``'s machine with ``payload`` in every string a machine holds: ids (questions,
    choices' labels, sections, checks, params), labels, hints, titles, messages, rule texts
    (ask_if rules included), text literals and param values."""
    m = base.to_json()
    tag = f"{payload}{n}"
    rename = {q["id"]: f"{tag}_{i}" for i, q in enumerate(m["questions"])}
    m["id"] = tag
    m["titles"] = {lang: tag for lang in m["languages"]}
    m["source"] = tag
    for s in m["sections"]:
        s["id"] = f"{tag}/{s['id']}"
        s["titles"] = {lang: tag for lang in s["titles"]}
        s["questions"] = [rename[q] for q in s["questions"]]
    for q in m["questions"]:
        q["id"] = rename[q["id"]]
        q["section"] = f"{tag}/{q['section']}"
        q["labels"] = {lang: tag for lang in q["labels"]}
        q["hints"] = {lang: tag for lang in q["labels"]}
        for c in q["choices"]:
            c["labels"] = {lang: tag for lang in c["labels"]}
    for step in m["steps"]:
        step["question"] = rename[step["question"]]
        for j in step["jumps"]:
            j["target"] = rename.get(j["target"], j["target"])
            j["text"] = tag
    for c in m["computed"]:
        c["question"] = rename[c["question"]]
        c["text"] = tag
    param_names = {p["name"]: f"{tag}_p{i}" for i, p in enumerate(m["params"])}
    for p in m["params"]:
        p["name"] = param_names[p["name"]]
        p["labels"] = {lang: tag for lang in p["labels"]}
        if p["type"] == "text":
            p["value"] = tag
    for c in m["checks"]:
        c["id"] = f"{tag}_{c['id']}"
        c["text"] = tag
        c["messages"] = {lang: tag for lang in c["messages"]}
        c["questions"] = [rename[q] for q in c["questions"]]
        c["deps"] = [rename.get(d, param_names.get(d, d)) for d in c["deps"]]
    quoted = tag.replace("{", "{{").replace("}", "}}")  # a description's braces are its own
    for f in m.get("findings", ()):  # their ids are names (a report's keys hold them)
        f["text"] = tag
        f["labels"] = {lang: tag for lang in f["labels"]}
        f["descriptions"] = {lang: quoted for lang in f["descriptions"]}
        f["questions"] = [rename[q] for q in f["questions"]]
        f["deps"] = [rename[d] for d in f["deps"]]
    for c in m.get("categories", ()):
        c["text"] = tag
        c["labels"] = {lang: tag for lang in c["labels"]}
        c["deps"] = [rename[d] for d in c["deps"]]
    for item in (*m["questions"], *m["sections"]):  # ask_if rules: texts and literals too
        if "ask_if" in item:
            item["ask_if"]["text"] = tag
    nodes = [c["rule"] for c in m["checks"]] + [c["value"] for c in m["computed"]]
    nodes += [item["ask_if"]["when"] for item in (*m["questions"], *m["sections"])
              if "ask_if" in item]
    nodes += [c["rule"] for key in ("findings", "categories") for c in m.get(key, ())]
    nodes += [j["when"] for s in m["steps"] for j in s["jumps"]]
    while nodes:
        node = nodes.pop()
        if node["op"] in ("answer", "computed"):
            node["id"] = rename[node["id"]]
        elif node["op"] == "param":
            node["name"] = param_names[node["name"]]
        elif node["op"] == "text" and node["type"] == "text":
            node["value"] = tag
        nodes.extend(node.get("args", ()))
    return m


def test_payloads_in_every_string_of_a_form_never_run(tmp_path: Path, every_op: qengine.Form
                                                      ) -> None:
    """Every payload in every string: the machine is accepted, the validator is generated (not
    declined), validation agrees with the interpreter, and the canary never appears."""
    canary = tmp_path / "CANARY"
    for base in (every_op, qengine.load("annex6")):
        for n, payload in enumerate(payloads(canary)):
            machine = hostile_machine(base, payload, n)
            assert base is not every_op or any("ask_if" in q for q in machine["questions"])
            form = qengine.Form.from_json(json.loads(json.dumps(machine)))
            assert form.prepare(), (payload, form.declined)
            source = codegen.source_of(form, form.to_json()) + codegen.source_of(
                form, form.to_json(), coerce=True, track=True)
            codegen.audit(source.split("\ndef ")[0], {})  # the first function, audited again
            ids = [q.id for q in form.questions]
            rng_record = {ids[0]: 1, ids[1]: "x", ids[-1]: payload, payload: payload}
            assert_same(form, rng_record)
            assert_same(form, {i: payload for i in ids})
            for record in (rng_record, {i: payload for i in ids}):
                for f in form.findings(record):  # a payload is text, never run
                    assert f.description == f"{payload}{n}"
            assert not canary.exists(), payload
    assert not canary.exists()


@pytest.mark.parametrize("source", [
    "import os\n",
    "def validate(rec, env):\n    import os\n",
    "def validate(rec, env):\n    return __import__('os')\n",
    "def validate(rec, env):\n    return rec.__class__\n",
    "def validate(rec, env):\n    return (lambda: 1)()\n",
    "def validate(rec, env):\n    return [c for c in rec]\n",
    "def validate(rec, env):\n    return open\n",
    "def validate(rec, env):\n    return k0()()\n",
    "def validate(rec, env):\n    return b'x'\n",
    "@k0\ndef validate(rec, env):\n    pass\n",
    "def validate(rec, env):\n    pass\ndef other():\n    pass\n",
    "def helper(rec, env):\n    pass\n",
])
def test_the_audit_refuses_what_the_generator_never_writes(source: str) -> None:
    with pytest.raises(codegen.Declined, match="audit"):
        codegen.audit(source, {})


def test_the_audit_refuses_a_namespace_outside_the_table() -> None:
    with pytest.raises(codegen.Declined, match="namespace"):
        codegen.audit("def validate(rec, env):\n    pass\n", {"os": object()})


def test_the_generated_function_has_no_builtins(annex6: qengine.Form) -> None:
    fn = codegen.build(annex6, annex6.to_json(), coerce=False, track=False)
    assert fn.__globals__["__builtins__"] == {}
    assert "open" not in fn.__globals__ and "__import__" not in fn.__globals__


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(alphabet="0123456789Xx٣ ", min_size=16, max_size=19),
    st.builds(lambda head, y, m, d, tail: f"{head}{y:04d}{m:02d}{d:02d}{tail}",
              st.text("0123456789", min_size=6, max_size=6), st.integers(0, 2400),
              st.integers(0, 13), st.integers(0, 32), st.text("0123456789X", min_size=4,
                                                              max_size=4))))
def test_the_fast_id_number_test_is_the_full_one(text: str) -> None:
    """The generated validator's id-number test agrees with the coercer's check."""
    from qengine.notation import check_id_number, id_check_digit, id_number_ok

    assert id_number_ok(text) == (check_id_number(text) is None)
    if len(text) == 18 and text[:17].isascii() and text[:17].isdigit():
        fixed = text[:17] + id_check_digit(text[:17])
        assert id_number_ok(fixed) == (check_id_number(fixed) is None)


def test_computed_values_read_in_any_order_and_negative_literals_in_lists() -> None:
    """A computed value may read one written after it (the machine orders them by what they
    read); `x in [-0.3]` forgives float rounding as == does. Generated equals interpreted."""
    form = qengine.load_text(form_yaml("""\
        - {id: n, label: N, type: number, required: false}
        - {id: c1, label: C1, type: computed, value: c2 * 2}
        - {id: c2, label: C2, type: computed, value: n + 1}
        """, checks="""\
        - {id: k, severity: error, when: "n - 0.4 in [-0.3]", message: {zh: k, en: k}}
        """), "order.yaml")
    assert [c["question"] for c in form.to_json()["computed"]] == ["c2", "c1"]
    again = qengine.Form.from_json(form.to_json())  # the compiler's machine passes its own check
    for f in (form, again):
        prepared(f)
        assert f.validate({"n": 5}).record == {"n": 5, "c1": 12, "c2": 6}
        assert [v.rule for v in f.validate({"n": 0.1}).violations] == ["k"]
        for n in (0.1, 5, -1.3, None):
            assert_same(f, {"n": n})


def test_shared_violations_cannot_be_changed_by_a_caller(annex6: qengine.Form) -> None:
    form = prepared(annex6)
    [first] = [v for v in form.validate({"county": "x"}).violations if v.questions == ("township",)]
    with pytest.raises(TypeError):
        first.messages["en"] = "changed"  # type: ignore[index]
