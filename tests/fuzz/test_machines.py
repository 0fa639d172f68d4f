"""Surface: machine files, through Form.from_json of mutated machines (and pickle)."""

from __future__ import annotations

import copy
import json
import math
import pickle

import pytest
from hypothesis import strategies as st

import qengine

from .contract import (
    Hostile,
    bundled,
    escapes_only_qengine_errors,
    fuzz,
    hostile,
    mutate,
    run_bounded,
    small_form,
)
from .test_snapshots import apply, slots

MACHINES = {"small": qengine.load_text(small_form()).to_json(), "annex6": bundled("annex6").to_json()}
SPECIAL = st.sampled_from([None, True, 0, -1, 10**15 + 1, 10**400, math.nan, math.inf, "", "q1",
                           "end", [], {}, [[]], {"op": "or", "args": []}, "\ud800", 1.5, "x" * 10_000])


@fuzz("machines", 200, which=st.sampled_from(sorted(MACHINES)),
      mutations=st.lists(st.tuples(st.integers(0, 10**6),
                                   st.sampled_from(["delete", "replace", "wrap", "swap"]),
                                   st.one_of(SPECIAL.map(lambda v: v), hostile.map(lambda b: b.value))),
                         min_size=1, max_size=4))
def test_a_mutated_machine_is_a_form_or_a_form_error(which: str, mutations: list) -> None:
    """from_json of a machine with keys deleted, types changed, ids swapped is a Form or a FormError."""
    doc = copy.deepcopy(MACHINES[which])
    for index, op, value in mutations:
        where = slots(doc)
        doc = apply(doc, where[index % len(where)], op, value)
    form, exc = escapes_only_qengine_errors(lambda: qengine.Form.from_json(doc))
    if form is None:
        assert isinstance(exc, qengine.FormError), type(exc)
        return
    out = form.to_json()
    json.dumps(out, allow_nan=False)
    assert pickle.loads(pickle.dumps(form)).to_json() == out
    mutate(out)
    assert form.to_json() != out, "to_json() aliases the form"
    iv = form.start()
    json.dumps(iv.snapshot(), allow_nan=False)


def test_to_json_hands_out_a_copy() -> None:
    """Mutating what to_json() returns changes neither the form nor its next to_json()."""
    form = bundled("annex6")
    first = form.to_json()
    mutate(first)
    assert form.to_json() == MACHINES["annex6"]


BOUND = """
from tests.fuzz.contract import small_form
doc = qengine.load_text(small_form()).to_json()
CHANGE(doc)
contract(lambda: qengine.Form.from_json(doc))
"""
BOUNDED = {
    "ir_nested_100000": "lambda d: d['checks'][0].__setitem__('rule', nested(100000))",
    "ir_dict_nested_100000": ("lambda d: d['checks'][0].__setitem__('rule', __import__('functools')"
                              ".reduce(lambda a, _: {'op': 'not', 'args': [a]}, range(100000), "
                              "{'op': 'bool', 'value': True}))"),
    "int_10_5000": "lambda d: d['params'][0].update(value=10**5000)",
    "top_nested_100000": "lambda d: d.__setitem__('questions', nested(100000))",
    "questions_100000": "lambda d: d['questions'].extend(d['questions'] * 33333)",
    "text_1e6_ids": "lambda d: d['questions'][0].__setitem__('id', 'q' * 1000000)",
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bounded_hostile_machines(case: str) -> None:
    """Deep, huge and long machines are refused in bounded time and memory."""
    run_bounded(f"CHANGE = {BOUNDED[case]}\n" + BOUND)


def test_finding_machine_format_huge_int() -> None:
    """A machine whose format is 10**5000 is a FormError, not a ValueError."""
    doc = copy.deepcopy(MACHINES["small"])
    doc["format"] = 10**5000
    _, exc = escapes_only_qengine_errors(lambda: qengine.Form.from_json(doc))
    assert isinstance(exc, qengine.FormError)


@pytest.mark.parametrize("where", [("format",), ("params", 0, "type"), ("steps", 0, "question")],
                         ids=["format", "param_type", "step_question"])
def test_finding_machine_field_with_raising_eq(where: tuple) -> None:
    """A machine holding an object whose __eq__ raises is a FormError."""
    doc = apply(copy.deepcopy(MACHINES["small"]), where, "replace", Hostile())
    _, exc = escapes_only_qengine_errors(lambda: qengine.Form.from_json(doc))
    assert isinstance(exc, qengine.FormError)
