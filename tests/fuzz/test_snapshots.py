"""Surface: snapshots, through form.resume of mutated snapshots."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import strategies as st

import qengine
from qengine.testing import answers as valid_answers

from .contract import (
    BUNDLED,
    Hostile,
    bundled,
    escapes_only_qengine_errors,
    fuzz,
    hostile,
    run_bounded,
    snapshot_round_trips,
)


def slots(doc: object, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON-like document (dict keys and list indexes), at most 40 deep."""
    out = [prefix]
    if len(prefix) > 40:
        return out
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += slots(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += slots(v, (*prefix, i))
    return out


def apply(doc: object, path: tuple, op: str, value: object) -> object:
    """``doc`` with the value at ``path`` deleted, replaced, wrapped, or its container shuffled."""
    if not path:
        return value if op != "wrap" else [doc]
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif op == "wrap":
        parent[last] = {"": parent[last]} if isinstance(parent, dict) else [parent[last]]
    elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
        parent[0], parent[last] = parent[last], parent[0]
    elif op == "swap" and isinstance(parent, dict):
        parent[value if type(value) is str else "swapped"] = parent.pop(last)
    return doc


MUTATIONS = st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["delete", "replace", "wrap", "swap"]),
                               hostile), min_size=1, max_size=3)


@st.composite
def snapshots(draw: st.DrawFn) -> tuple[object, dict]:
    form = bundled(draw(st.sampled_from(BUNDLED)))
    iv = form.start()
    for _ in range(draw(st.integers(0, 40))):
        if iv.finished:
            break
        iv.answer(draw(valid_answers(iv.current)))
        if draw(st.integers(0, 6)) == 0:
            iv.back()
    return form, iv.snapshot()


@fuzz("snapshots", 150, pair=snapshots(), mutations=MUTATIONS)
def test_a_mutated_snapshot_resumes_or_is_a_snapshot_error(pair: tuple, mutations: list) -> None:
    """resume() of a mutated snapshot gives an interview that round-trips, or a SnapshotError."""
    form, snap = pair
    for index, op, box in mutations:
        where = slots(snap)
        snap = apply(snap, where[index % len(where)], op, box.value)
    iv, exc = escapes_only_qengine_errors(lambda: form.resume(snap))
    if iv is None:
        assert isinstance(exc, qengine.SnapshotError), type(exc)
        return
    snapshot_round_trips(form, iv)
    out = iv.snapshot()
    kept = copy.deepcopy(out)
    out["answers"].clear()
    out["history"].append("x")
    assert iv.snapshot() == kept, "snapshot() aliases the interview"


@pytest.mark.parametrize("name", BUNDLED)
def test_resume_of_another_forms_snapshot(name: str) -> None:
    """A snapshot of one bundled form resumed by another is other_form, never a crash."""
    snap = bundled(name).start().snapshot()
    for other in BUNDLED:
        if other != name:
            with pytest.raises(qengine.SnapshotError):
                bundled(other).resume(snap)


BOUND = """
form = qengine.load("annex6")
snap = form.start().snapshot()
snap.update(CHANGE)
contract(lambda: json.dumps(form.resume(snap).snapshot(), allow_nan=False))
"""
BOUNDED = {
    "history_1e6": "{'history': ['county'] * 1000000, 'answers': {'county': 'a'}}",
    "answers_100000_keys": "{'answers': {f'k{i}': i for i in range(100000)}}",
    "nested_answers_100000": "{'answers': {'county': nested(100000)}, 'history': ['county']}",
    "nested_history_100000": "{'history': nested(100000)}",
    "int_10_5000": "{'answers': {'county': 'a', 'township': 'b', 'village': 'c', 'group': 'd', "
                   "'head_name': 'e', 'id_number': '430122196203142019', 'household_size': 10**5000}, "
                   "'history': ['county', 'township', 'village', 'group', 'head_name', 'id_number', "
                   "'household_size']}",
    "params_huge": "{'params': {'income_line': 10**5000}}",
    "params_decimal": "{'params': {'income_line': decimal.Decimal('1E+1000000')}}",
    "version_huge": "{'version': 'v' * 10**6, 'qengine_snapshot': 10**5000}",
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bounded_hostile_snapshots(case: str) -> None:
    """Snapshots with huge histories, nestings and numbers are refused or resumed in bounded time."""
    run_bounded(f"CHANGE = {BOUNDED[case]}\n" + BOUND)


def test_snapshot_of_json_and_pickle_agree() -> None:
    """A snapshot survives JSON, and a pickled form resumes it."""
    import pickle

    form = bundled("annex6")
    snap = json.loads(json.dumps(form.start().snapshot(), allow_nan=False))
    assert pickle.loads(pickle.dumps(form)).resume(snap).state == form.resume(snap).state


@pytest.mark.parametrize("key", ["form", "version", "history"])
def test_finding_snapshot_field_with_raising_eq(key: str) -> None:
    """A snapshot whose form, version or history entry has a raising __eq__ is a SnapshotError."""
    form = bundled("annex5")
    snap = dict(form.start().snapshot())
    snap[key] = [Hostile()] if key == "history" else Hostile()
    _, exc = escapes_only_qengine_errors(lambda: form.resume(snap))
    assert isinstance(exc, qengine.SnapshotError)
