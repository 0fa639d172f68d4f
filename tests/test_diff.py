"""``qengine diff``: every kind of change between two versions of a form, classified for
interviews in progress and for stored records (golden pairs in tests/golden_diff/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qengine
from qengine.analysis.diff import BREAKING, KINDS, SAFE, diff

GOLDEN = Path(__file__).parent / "golden_diff"
EXPECTED = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
BASE = qengine.load(GOLDEN / "base.yaml", cache=False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_pairs(name: str) -> None:
    """Each pair is the base form with one change: the diff lists it, classified as expected."""
    found = diff(BASE, qengine.load(GOLDEN / f"{name}.yaml", cache=False))
    assert [[c.kind, c.subject, c.interviews, c.records] for c in found.changes] == (
        EXPECTED[name]["changes"])
    assert found.exit_code == EXPECTED[name]["exit"]
    assert all(c.reason and c.detail for c in found.changes)


def test_every_kind_of_change_has_a_golden_pair() -> None:
    seen = {kind for case in EXPECTED.values() for kind, *_ in case["changes"]}
    unpaired = set(KINDS) - seen - {"form_id_changed", "finding_added", "finding_removed",
                                    "finding_changed", "category_added", "category_removed",
                                    "category_changed"}
    assert not unpaired
    assert {tuple(c[2:]) for case in EXPECTED.values() for c in case["changes"]} >= {
        (SAFE, SAFE), (SAFE, BREAKING), (BREAKING, BREAKING), (BREAKING, SAFE)}


@pytest.mark.parametrize("name", ["annex5", "annex6", "annex7"])
def test_a_form_equals_itself(name: str) -> None:
    form = qengine.load(name)
    same = diff(form, qengine.Form.from_json(form.to_json()))
    assert same.equal and same.exit_code == 0 and str(same).endswith("no changes")


def test_findings_and_form_ids() -> None:
    text = (Path(qengine.__file__).parent / "bundled" / "annex7.yaml").read_text(encoding="utf-8")
    old = qengine.load("annex7")
    moved = qengine.load_text(text.replace("form: annex7", "form: annex7b", 1))
    found = diff(old, moved)
    assert [(c.kind, c.records) for c in found.changes] == [("form_id_changed", BREAKING)]
    fewer = qengine.load_text(text.replace("value: 4000", "value: 4300", 1))
    assert {c.kind for c in diff(old, fewer).changes} == {"param_changed"}


@given(st.sampled_from(sorted(EXPECTED)))
@settings(max_examples=20, deadline=None)
def test_diff_of_a_form_with_itself_is_empty(name: str) -> None:
    """Property: diff(a, a) is empty, for every golden form and through the machine."""
    form = qengine.load(GOLDEN / f"{name}.yaml")
    assert diff(form, form).equal
    assert diff(form, qengine.Form.from_json(form.to_json())).equal


def test_the_json_form_is_stable() -> None:
    found = diff(BASE, qengine.load(GOLDEN / "param_changed.yaml", cache=False)).to_dict()
    assert found["old"] == {"form": "diffbase", "version": "1"}
    assert found["breaking"] is True and found["equal"] is False
    assert set(found["changes"][0]) == {"kind", "subject", "detail", "interviews", "records",
                                        "reason"}


def test_changes_that_move_paths_without_touching_a_rule_are_seen() -> None:
    """A question moved into a section with an ask_if; a param read through a computed value
    that a jump reads; acknowledge: required added; a rename onto an id the old form used."""
    from tests.conftest import form_yaml

    plain = form_yaml("- {id: a, label: A, type: integer}\n- {id: b, label: B, type: integer}\n")
    gated = plain.replace("      - {id: b, label: B, type: integer}\n", "") + (
        "  - id: more\n    ask_if: 'a > 1'\n    questions:\n"
        "      - {id: b, label: B, type: integer}\n")
    found = diff(qengine.load_text(plain), qengine.load_text(gated))
    assert [(c.kind, c.subject, c.interviews) for c in found.changes] == [
        ("ask_if_changed", "b", BREAKING)]
    via = form_yaml("- {id: a, label: A, type: integer}\n"
                    "- {id: big, label: G, type: computed, value: 'a - line'}\n"
                    "- {id: b, label: B, type: integer, ask_if: 'big < 0'}\n",
                    params="line: {value: 10}\n")
    found = diff(qengine.load_text(via), qengine.load_text(via.replace("value: 10", "value: 20")))
    assert [(c.kind, c.interviews) for c in found.changes] == [("param_changed", BREAKING)]
    warned = form_yaml("- {id: a, label: A, type: integer}\n",
                       checks="- {id: w, severity: warning, when: 'a > 5', message: big}\n")
    asked = warned.replace("severity: warning,", "severity: warning, acknowledge: required,")
    found = diff(qengine.load_text(warned), qengine.load_text(asked))
    assert [(c.kind, c.interviews, c.records) for c in found.changes] == [
        ("check_changed", BREAKING, SAFE)]
    two = form_yaml("- {id: a, label: Age, type: integer}\n"
                    "- {id: b, label: Height, type: integer}\n")
    one = form_yaml("- {id: b, label: Age, type: integer, renamed_from: a}\n")
    found = diff(qengine.load_text(two), qengine.load_text(one))
    assert [(c.kind, c.subject) for c in found.changes] == [
        ("question_removed", "b"), ("question_renamed", "b")]
