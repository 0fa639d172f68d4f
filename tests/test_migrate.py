"""Migration: snapshots and records of an older version carried onto the new one, with nothing
lost silently (the golden diff pairs are the versions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.testing import records

GOLDEN = Path(__file__).parent / "golden_diff"
BASE = qengine.load(GOLDEN / "base.yaml", cache=False)
PAIRS = {p.stem: qengine.load(p, cache=False) for p in sorted(GOLDEN.glob("*.yaml"))
         if p.stem != "base"}
#: pairs where some answer changed type: migration refuses rather than guess
REFUSING = {"type_changed_breaking"}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _accounted(old: dict[str, Any], migration: Any, new: qengine.Form) -> None:
    """Every answer of ``old`` is in the migrated record (under its new id) or in the report."""
    dropped = {d.question for d in migration.dropped}
    renamed = dict(migration.renamed)
    computed = {q.id for q in BASE.questions if q.computed}
    for qid, value in old.items():
        if qid in computed or value is None or (value == [] and qid != "d"):
            continue
        target = renamed.get(qid, qid)
        assert qid in dropped or migration.record.get(target) == value, (qid, value)


@pytest.mark.parametrize("name", sorted(set(PAIRS) - REFUSING))
@given(data=st.data())
@SETTINGS
def test_records_migrate_with_nothing_lost(name: str, data: st.DataObject) -> None:
    new = PAIRS[name]
    record = data.draw(records(BASE))
    migration = new.migrate_record(record)
    _accounted(record, migration, new)
    assert tuple(new.validate(migration.record).violations) == migration.violations
    again = new.migrate_record(migration.record)  # migrating to its own version: no change
    assert again.record == migration.record and not again.dropped and not again.renamed


@pytest.mark.parametrize("name", sorted(set(PAIRS) - REFUSING))
@given(data=st.data())
@SETTINGS
def test_snapshots_migrate_and_resume(name: str, data: st.DataObject) -> None:
    new = PAIRS[name]
    record = data.draw(records(BASE))
    iv = BASE.start()
    path = BASE.path(record)
    for qid in path[: data.draw(st.integers(0, len(path)), label="answered")]:
        iv.answer(record.get(qid))
    snapshot = iv.snapshot()
    moved = new.resume({**snapshot, "version": "0"}, migrate=True)  # an older version
    migration = moved.migration
    assert migration is not None and migration.from_version == "0"
    kept = {**moved.kept, **moved.answers}
    for qid, value in snapshot["answers"].items():
        target = migration.renamed.get(qid, qid)
        assert qid in {d.question for d in migration.dropped} or kept.get(target) == value
    # the same version: exactly the resumed interview
    same = BASE.resume(snapshot, migrate=True)
    plain = BASE.resume(snapshot)
    assert same.state == plain.state and not same.migration.dropped


def test_a_changed_type_is_refused() -> None:
    new = PAIRS["type_changed_breaking"]
    with pytest.raises(qengine.RecordError, match="now a date question") as info:
        new.migrate_record({"a": 1, "b": 5, "d": [], "e": "free text"})
    assert info.value.code == "cannot_migrate"
    iv = BASE.start()
    for value in (1, 5, None, [1], "free text"):
        iv.answer(value)
    with pytest.raises(qengine.SnapshotError, match="cannot_migrate"):
        new.resume({**iv.snapshot(), "version": "0"}, migrate=True)


def test_renames_move_answers_and_removed_codes_are_reported() -> None:
    record = {"a": 1, "b": 5, "c": 10, "d": [1, 3], "e": "x"}
    renamed = PAIRS["question_renamed"].migrate_record(record)
    assert renamed.renamed == {"b": "b_count"} and renamed.record["b_count"] == 5
    fewer = PAIRS["choice_removed"].migrate_record(record)
    assert [(d.question, d.value, d.reason) for d in fewer.dropped] == [("d", [1, 3], "choice")]
    assert "d" not in fewer.record or fewer.record["d"] in (None, [])
    narrow = PAIRS["range_narrowed"].migrate_record({**record, "b": 80})
    assert [(d.question, d.reason) for d in narrow.dropped] == [("b", "range.above")]
    assert [v.rule for v in narrow.violations] == ["required"]
    gone = PAIRS["question_removed"].migrate_record(record)
    assert [(d.question, d.reason) for d in gone.dropped] == [("c", "unknown_question")]


def test_a_snapshot_of_another_form_is_refused() -> None:
    snapshot = BASE.start().snapshot()
    with pytest.raises(qengine.SnapshotError, match="other_form"):
        qengine.load("annex5").resume(snapshot, migrate=True)
    with pytest.raises(qengine.SnapshotError, match="not_a_snapshot"):
        BASE.resume({"answers": {}}, migrate=True)


def _pair(old_questions: str, new_questions: str) -> tuple[qengine.Form, qengine.Form]:
    from tests.conftest import form_yaml

    old = qengine.load_text(form_yaml(old_questions))
    new = qengine.load_text(form_yaml(new_questions).replace('version: "1"', 'version: "2"'))
    return old, new


def test_a_declared_rename_wins_and_nothing_is_overwritten() -> None:
    _old, new = _pair("- {id: x, label: X, type: integer}\n- {id: y, label: Y, type: integer}\n",
                      "- {id: z, label: Z, type: integer, renamed_from: [x, y]}\n")
    moved = new.migrate_record({"x": 1, "y": 2})
    assert moved.record == {"z": 1}
    assert [(d.question, d.value, d.reason) for d in moved.dropped] == [("y", 2, "renamed_twice")]
    _old, reused = _pair("- {id: a, label: Age, type: integer}\n"
                         "- {id: b, label: Height, type: integer}\n",
                         "- {id: b, label: Age, type: integer, renamed_from: a}\n")
    moved = reused.migrate_record({"a": 40, "b": 170})
    assert moved.record == {"b": 40} and [d.question for d in moved.dropped] == ["b"]


def test_answers_a_new_ask_if_skips_are_reported_for_snapshots_too() -> None:
    old, new = _pair("""\
        - {id: a, label: A, type: single, choices: yesno}
        - {id: b, label: B, type: integer}
        - {id: c, label: C, type: integer}
        """, """\
        - {id: a, label: A, type: single, choices: yesno}
        - {id: b, label: B, type: integer, ask_if: "a == ①"}
        - {id: c, label: C, type: integer}
        """)
    iv = old.start()
    for value in (2, 5, 7):
        iv.answer(value)
    moved = new.resume(iv.snapshot(), migrate=True)
    assert moved.history == ("a", "c")
    assert [(d.question, d.value, d.reason) for d in moved.migration.dropped] == [
        ("b", 5, "not_asked")]


def test_acknowledgements_travel_with_a_migrated_record() -> None:
    from tests.conftest import form_yaml

    text = form_yaml("- {id: a, label: A, type: integer}\n", checks=(
        "- {id: w, severity: warning, acknowledge: required, when: 'a > 5', message: big}\n"))
    form = qengine.load_text(text)
    record = {"a": 6, "_meta": {"acknowledged": {"w": "verified", "gone": "x"}}}
    moved = form.migrate_record(record)
    assert moved.record["_meta"] == {"acknowledged": {"w": "verified"}}
    assert [v.rule for v in moved.violations] == ["w"]
    assert [d.reason for d in moved.dropped] == ["acknowledged"]


BUNDLED = {name: qengine.load(name) for name in ("annex5", "annex6", "annex7")}


@pytest.mark.parametrize("name", sorted(BUNDLED))
@given(data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_bundled_work_migrates_to_its_own_version_unchanged(name: str, data: st.DataObject) -> None:
    """Property on the bundled forms: a record or a snapshot migrated to its own version is
    exactly what it was (nothing renamed, nothing dropped, the same state)."""
    form = BUNDLED[name]
    record = data.draw(records(form))
    migration = form.migrate_record(record)
    assert not migration.dropped and not migration.renamed
    assert migration.record == form.validate(record).record
    iv = form.start(clock=lambda: "t")
    path = form.path(record)
    for qid in path[: data.draw(st.integers(0, len(path)), label="answered")]:
        iv.answer(record.get(qid))
    snapshot = iv.snapshot()
    assert form.resume(snapshot, migrate=True).state == form.resume(snapshot).state
