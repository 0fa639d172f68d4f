"""The machine: the compiled form as JSON, read back by any runtime and checked like any input."""

from __future__ import annotations

import copy
import json
import pickle
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.testing import interviews, invalid_records, records

FORMS = ["annex6", "annex7", "annex5"]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_cache: dict[str, tuple[qengine.Form, qengine.Form, qengine.Form]] = {}


def trio(name: str) -> tuple[qengine.Form, qengine.Form, qengine.Form]:
    """The YAML-compiled form, the one read back from its machine JSON, and a pickled copy."""
    if name not in _cache:
        form = qengine.load(name)
        text = json.dumps(form.to_json(), ensure_ascii=False, allow_nan=False)
        _cache[name] = (form, qengine.Form.from_json(json.loads(text)),
                        pickle.loads(pickle.dumps(form)))
    return _cache[name]


def schema() -> dict[str, Any]:
    text = resources.files("qengine.runtime").joinpath("machine.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def outcome(form: qengine.Form, record: Any, coerce: bool = False) -> tuple[Any, ...]:
    report = form.validate(record, coerce=coerce)
    return ([v.to_dict() for v in report.violations], report.path, report.record,
            form.path(record) if isinstance(record, dict) else None)


@pytest.mark.parametrize("name", FORMS)
def test_machine_follows_its_schema(name: str) -> None:
    """Every bundled form's machine validates against the shipped machine.schema.json."""
    jsonschema.Draft202012Validator(schema()).validate(qengine.load(name).to_json())


def test_the_schema_is_a_valid_schema() -> None:
    """machine.schema.json is itself a valid draft 2020-12 schema."""
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("name", FORMS)
@SETTINGS
@given(data=st.data())
def test_machine_and_pickle_validate_valid_records_identically(name: str, data: Any) -> None:
    """From the machine and from a pickle: the same violations, path and record on valid records."""
    form, back, pickled = trio(name)
    record = data.draw(records(form))
    assert outcome(back, record) == outcome(form, record) == outcome(pickled, record)


@pytest.mark.parametrize("name", FORMS)
@SETTINGS
@given(data=st.data())
def test_machine_and_pickle_validate_invalid_records_identically(name: str, data: Any) -> None:
    """The same on records with a defect, strict and with entered text converted."""
    form, back, pickled = trio(name)
    case = data.draw(invalid_records(form))
    for coerce in (False, True):
        expected = outcome(form, case.record, coerce)
        assert outcome(back, case.record, coerce) == expected
        assert outcome(pickled, case.record, coerce) == expected


def untimed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with its events' times left out (each interview stamps its own)."""
    return {**snapshot, "events": [{k: v for k, v in e.items() if k != "at"}
                                   for e in snapshot["events"]]}


@pytest.mark.parametrize("name", FORMS)
@SETTINGS
@given(data=st.data())
def test_machine_runs_interviews_identically(name: str, data: Any) -> None:
    """An interview script gives the same states, violations and snapshots on all three."""
    form, back, pickled = trio(name)
    script = data.draw(interviews(form))
    ivs = [script.run(f) for f in (form, back, pickled)]
    states = [(iv.state, iv.answers, [v.to_dict() for v in iv.violations], untimed(iv.snapshot()))
              for iv in ivs]
    assert states[0] == states[1] == states[2]
    # snapshots are interchangeable between them
    assert back.resume(ivs[0].snapshot()).state == ivs[0].state


@pytest.mark.parametrize("name", FORMS)
def test_to_json_is_a_copy_and_round_trips(name: str) -> None:
    """to_json hands out a copy; from_json(to_json()) gives the same machine back."""
    form = qengine.load(name)
    machine = form.to_json()
    machine["questions"].clear()
    assert form.to_json()["questions"]
    assert qengine.Form.from_json(form.to_json()).to_json() == form.to_json()
    assert form.to_json()["format"] == "qengine-machine/1"


def test_load_reads_a_machine_file(tmp_path: Path) -> None:
    """qengine.load accepts a .json machine file; a broken one is a FormError."""
    path = tmp_path / "annex7.json"
    path.write_text(json.dumps(qengine.load("annex7").to_json()), encoding="utf-8")
    form = qengine.load(path)
    assert form.id == "annex7" and form.start().current.id == "county"
    bad = tmp_path / "bad.json"
    bad.write_text("[" * 100000, encoding="utf-8")
    with pytest.raises(qengine.FormError) as info:
        qengine.load(bad)
    assert info.value.problems[0].code == "machine"
    bad.write_text('{"format": "qengine-machine/9"}', encoding="utf-8")
    with pytest.raises(qengine.FormError):
        qengine.load(bad)


def _mutated(name: str, change: Any) -> dict[str, Any]:
    machine = qengine.load(name).to_json()
    change(machine)
    return machine


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"op": "answer", "id": "q2", "type": "code", "at": [1, 1]}
    node = {"op": "eq", "type": "bool", "at": [1, 1],
            "args": [node, {"op": "code", "value": 1, "type": "code", "at": [1, 1]}]}
    for _ in range(depth):
        node = {"op": "not", "type": "bool", "at": [1, 1], "args": [node]}
    return node


BAD_MACHINES = {
    "wrong format": lambda m: m.update(format="qengine-machine/2"),
    "missing field": lambda m: m.pop("steps"),
    "extra field": lambda m: m.update(extra=1),
    "duplicate question id": lambda m: m["questions"][1].update(id=m["questions"][0]["id"]),
    "unknown jump target": lambda m: next(s for s in m["steps"] if s["jumps"])["jumps"][0].update(
        target="nowhere"),
    "backward jump": lambda m: next(s for s in m["steps"] if s["jumps"])["jumps"][0].update(
        target="county"),
    "ill-typed IR": lambda m: next(s for s in m["steps"] if s["jumps"])["jumps"][0].update(
        when={"op": "add", "type": "num", "at": [1, 1], "args": [
            {"op": "text", "value": "x", "type": "text", "at": [1, 1]},
            {"op": "num", "value": 1, "type": "num", "at": [1, 1]}]}),
    "jump reads a later question": lambda m: m["steps"][0]["jumps"].append(
        {"when": {"op": "eq", "type": "bool", "at": [1, 1], "args": [
            {"op": "answer", "id": "q20", "type": "code", "at": [1, 1]},
            {"op": "code", "value": 1, "type": "code", "at": [1, 1]}]},
         "text": "q20 == ①", "target": "q2", "written": "q2", "at": [1, 1]}),
    "unknown op": lambda m: m["checks"][0].update(rule={"op": "exec", "type": "bool",
                                                         "at": [1, 1], "args": []}),
    "number beyond the domain": lambda m: m["params"][0].update(value=10**400),
    "NaN bound": lambda m: next(q for q in m["questions"] if q["type"] == "money").update(
        max=float("nan")),
    "deep IR": lambda m: m["checks"][0].update(rule=_deep(5000)),
    "not an object": lambda m: m["questions"].append([]),
    "lone surrogate": lambda m: m["titles"].update(zh="\ud800"),
}


@pytest.mark.parametrize("case", sorted(BAD_MACHINES))
def test_bad_machines_are_form_errors(case: str) -> None:
    """Each kind of broken machine is refused with a FormError (code machine), never anything else."""
    machine = _mutated("annex6", BAD_MACHINES[case])
    with pytest.raises(qengine.FormError) as info:
        qengine.Form.from_json(machine, "annex6.json")
    assert {p.code for p in info.value.problems} == {"machine"}
    assert all(p.location.file == "annex6.json" for p in info.value.problems)


@st.composite
def _mutation(draw: st.DrawFn, machine: dict[str, Any]) -> dict[str, Any]:
    """A machine with one node somewhere replaced by a hostile value."""
    machine = copy.deepcopy(machine)
    node: Any = machine
    for _ in range(draw(st.integers(1, 8))):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            key = draw(st.integers(0, len(node) - 1))
        else:
            break
        parent, node = node, node[key]
    else:
        parent = None
    if parent is not None:
        parent[key] = draw(st.one_of(
            st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(),
            st.text(max_size=5), st.just([]), st.just({}), st.just(10**400),
            st.sampled_from(["end", "county", "q20", "num", "answer", "eq"])))
    return machine


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_mutated_machine_is_read_or_refused_cleanly(data: Any) -> None:
    """A machine with any field replaced is a Form or a FormError; a Form it gives validates."""
    base = qengine.load("annex7").to_json()
    machine = data.draw(_mutation(base))
    try:
        form = qengine.Form.from_json(machine)
    except qengine.FormError:
        return
    form.validate({"county": "x"})
    form.start()
