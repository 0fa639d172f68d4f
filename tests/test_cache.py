"""The machine cache: compiled forms kept beside their files, keyed by content hash, JSON only."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import qengine
from qengine.compiler import cache
from qengine.compiler.pipeline import resolve_source

FORM = """\
form: tiny
version: "1"
title: {zh: "小表", en: "Tiny"}
sections:
  - id: main
    title: {zh: "主", en: "Main"}
    questions:
      - id: age
        label: {zh: "年龄", en: "Age"}
        type: integer
        min: 0
        checks:
          - id: old
            severity: warning
            when: age > 100
            message: {zh: "年龄过大", en: "Very old"}
      - id: works
        label: {zh: "是否务工", en: "Works"}
        type: single
        choices: [{code: 1, label: {zh: "是", en: "Yes"}}, {code: 2, label: {zh: "否", en: "No"}}]
        jump: {②: note}
      - id: income
        label: {zh: "收入", en: "Income"}
        type: money
      - id: note
        label: {zh: "备注", en: "Note"}
        type: text
        required: false
"""

RECORDS = [{"age": 30, "works": 1, "income": 100}, {"age": 130, "works": 2},
           {"age": 30, "works": 2, "income": 5}, {"age": "x"}, {}]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's cache folder is a temporary one, and the cache is on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(cache.ENV_DISABLE, raising=False)


def _form_file(folder: Path, text: str = FORM, name: str = "tiny.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _cached(folder: Path) -> list[Path]:
    return sorted((folder / cache.CACHE_DIR).glob(f"*{cache.SUFFIX}"))


def _without_source(machine: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in machine.items() if k != "source"}


def test_a_load_writes_the_machine_beside_the_form_and_the_next_load_reads_it(tmp_path: Path) -> None:
    path = _form_file(tmp_path / "forms")
    fresh = qengine.load(path)
    [written] = _cached(path.parent)
    digest = cache.content_hash(path.read_bytes())
    assert written.name == f"tiny.{digest[:16]}.machine.json"
    entry = json.loads(written.read_text("utf-8"))
    assert entry["qengine"] == qengine.__version__
    assert entry["format"] == "qengine-machine/1"
    assert entry["sha256"] == digest
    assert entry["machine"]["id"] == "tiny"
    # the folder keeps itself out of version control
    assert (path.parent / cache.CACHE_DIR / ".gitignore").read_text("utf-8").splitlines()[-1] == "*"
    assert cache.load_cached(str(path), digest) is not None
    again = qengine.load(path)
    assert again.to_json() == fresh.to_json()
    assert again.source == str(path)


def test_a_cached_form_behaves_as_a_fresh_one(tmp_path: Path) -> None:
    path = _form_file(tmp_path)
    qengine.load(path)  # writes the cache
    cached = qengine.load(path)
    fresh = qengine.load(path, cache=False)
    assert cached.to_json() == fresh.to_json()
    for record in RECORDS:
        assert cached.validate(record).to_dict() == fresh.validate(record).to_dict()
        assert cached.validate(record, coerce=True).to_dict() == fresh.validate(
            record, coerce=True).to_dict()
    iv_a, iv_b = cached.start(), fresh.start()
    for answer in (40, "②"):
        iv_a.answer(answer)
        iv_b.answer(answer)
    assert iv_a.snapshot() == iv_b.snapshot()
    assert [q.location for q in cached.questions] == [q.location for q in fresh.questions]


def test_a_moved_form_reports_its_current_path_as_source(tmp_path: Path) -> None:
    first = _form_file(tmp_path / "a")
    qengine.load(first)
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # the cache folder goes along
    moved = tmp_path / "b" / "tiny.yaml"
    form = qengine.load(moved)
    assert form.source == str(moved)
    assert form.to_json()["source"] == str(moved)
    assert _without_source(form.to_json()) == _without_source(qengine.load(first).to_json())
    assert form.questions[0].location is not None
    assert form.questions[0].location.file == str(moved)


def test_an_edited_form_is_compiled_again_and_the_stale_machine_removed(tmp_path: Path) -> None:
    path = _form_file(tmp_path)
    qengine.load(path)
    [old] = _cached(tmp_path)
    path.write_text(FORM.replace('version: "1"', 'version: "2"'), encoding="utf-8")
    assert qengine.load(path).version == "2"
    [new] = _cached(tmp_path)
    assert new != old
    assert qengine.load(path).version == "2"


@pytest.mark.parametrize("damage", [
    lambda entry: "{ not json",
    lambda entry: json.dumps({**entry, "sha256": "0" * 64}),           # another file's machine
    lambda entry: json.dumps({**entry, "qengine": "0.0.0-other"}),     # another qengine's
    lambda entry: json.dumps({**entry, "format": "qengine-machine/0"}),
    lambda entry: json.dumps({**entry, "machine": {**entry["machine"], "steps": []}}),  # broken
    lambda entry: json.dumps({**entry, "machine": [1, 2]}),
    lambda entry: json.dumps([entry]),
    lambda entry: "",
])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rewritten(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    path = _form_file(tmp_path)
    fresh = qengine.load(path)
    [written] = _cached(tmp_path)
    good = json.loads(written.read_text("utf-8"))
    written.write_text(damage(good), encoding="utf-8")
    digest = cache.content_hash(path.read_bytes())
    assert cache.load_cached(str(path), digest) is None
    form = qengine.load(path)
    assert form.to_json() == fresh.to_json()
    assert json.loads(written.read_text("utf-8")) == good  # written anew


def test_a_cache_file_that_lies_about_its_form_is_not_trusted(tmp_path: Path) -> None:
    """A machine of another form under this form's name and hash still passes the runtime's check
    only if it is a valid machine; a tampered one (a jump backwards) is refused."""
    path = _form_file(tmp_path)
    qengine.load(path)
    [written] = _cached(tmp_path)
    entry = json.loads(written.read_text("utf-8"))
    steps = entry["machine"]["steps"]
    steps[1]["jumps"][0]["target"] = "age"
    written.write_text(json.dumps(entry), encoding="utf-8")
    form = qengine.load(path)
    assert form.to_json() == qengine.load(path, cache=False).to_json()


def test_cache_false_and_the_environment_variable_bypass_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _form_file(tmp_path)
    qengine.load(path, cache=False)
    assert not (tmp_path / cache.CACHE_DIR).exists()
    monkeypatch.setenv(cache.ENV_DISABLE, "1")
    qengine.load(path)
    assert not (tmp_path / cache.CACHE_DIR).exists()
    monkeypatch.setenv(cache.ENV_DISABLE, "0")
    qengine.load(path)
    assert len(_cached(tmp_path)) == 1
    # neither reads it either: a planted bad cache file changes nothing
    [written] = _cached(tmp_path)
    written.write_text("{ not json", encoding="utf-8")
    monkeypatch.setenv(cache.ENV_DISABLE, "1")
    assert qengine.load(path).id == "tiny"
    assert written.read_text("utf-8") == "{ not json"
    monkeypatch.delenv(cache.ENV_DISABLE)
    assert qengine.load(path, cache=False).id == "tiny"
    assert written.read_text("utf-8") == "{ not json"


def test_an_unwritable_folder_uses_the_user_cache(tmp_path: Path) -> None:
    """Where no __qengine__ folder can be made beside the form, the machine goes to
    $XDG_CACHE_HOME/qengine; where that cannot be made either, nothing is cached, silently."""
    path = _form_file(tmp_path / "site")
    (tmp_path / "site" / cache.CACHE_DIR).write_text("a file, not a folder", encoding="utf-8")
    fresh = qengine.load(path)
    [written] = sorted((tmp_path / "xdg" / "qengine").glob(f"*{cache.SUFFIX}"))
    assert written.name.startswith("tiny.")
    cached = qengine.load(path)
    assert cached.to_json() == fresh.to_json()
    assert cached.source == str(path)
    shutil.rmtree(tmp_path / "xdg")
    (tmp_path / "xdg").write_text("not a folder either", encoding="utf-8")
    assert qengine.load(path).to_json() == fresh.to_json()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not bind root")
def test_a_read_only_folder_is_skipped_silently(tmp_path: Path) -> None:
    path = _form_file(tmp_path / "ro")
    os.chmod(tmp_path / "ro", 0o555)
    os.chmod(tmp_path, 0o555)  # and no user cache either (it lives under tmp_path)
    try:
        assert qengine.load(path).id == "tiny"
        assert not (tmp_path / "ro" / cache.CACHE_DIR).exists()
    finally:
        os.chmod(tmp_path, 0o755)
        os.chmod(tmp_path / "ro", 0o755)


def test_forms_with_problems_are_never_cached(tmp_path: Path) -> None:
    path = _form_file(tmp_path, FORM.replace("type: integer", "type: integr"))
    with pytest.raises(qengine.FormError):
        qengine.load(path)
    assert not (tmp_path / cache.CACHE_DIR).exists()
    with pytest.raises(qengine.FormError) as again:
        qengine.load(path)
    assert "integr" in str(again.value)


def test_the_cache_file_is_json_of_the_machine_and_never_pickle(tmp_path: Path) -> None:
    path = _form_file(tmp_path)
    form = qengine.load(path)
    [written] = _cached(tmp_path)
    raw = written.read_bytes()
    entry = json.loads(raw.decode("utf-8"))
    assert entry["machine"] == {**form.to_json(), "source": None}
    assert qengine.Form.from_json(entry["machine"]).to_json() == {**form.to_json(), "source": None}
    assert not any(f.name.endswith(".tmp") for f in (tmp_path / cache.CACHE_DIR).iterdir())


def test_bundled_forms_load_alike_with_and_without_the_cache(tmp_path: Path) -> None:
    """A copy of a bundled form, loaded cold, warm and without the cache."""
    path = tmp_path / "annex6.yaml"
    shutil.copyfile(resolve_source("annex6"), path)
    cold = qengine.load(path, cache=False)
    first = qengine.load(path)
    warm = qengine.load(path)
    assert cold.to_json() == first.to_json() == warm.to_json()
    assert warm.validate({"county": "x"}).to_dict() == cold.validate({"county": "x"}).to_dict()
