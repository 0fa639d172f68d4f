"""``qengine diff`` and ``qengine migrate``, run as the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import qengine

GOLDEN = Path(__file__).parent / "golden_diff"


def qengine_cmd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QENGINE_NO_CACHE": "1"}
    return subprocess.run([sys.executable, "-m", "qengine", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def test_diff_exit_status_says_equal_safe_or_breaking() -> None:
    base = str(GOLDEN / "base.yaml")
    same = qengine_cmd("diff", base, base)
    assert (same.returncode, same.stdout.strip()) == (0, "diffbase 1 -> diffbase 1: no changes")
    safe = qengine_cmd("diff", base, str(GOLDEN / "choice_added.yaml"))
    assert safe.returncode == 1 and "choice_added d: ④ 薯 [interviews safe, records safe]" in (
        safe.stdout)
    breaking = qengine_cmd("diff", base, str(GOLDEN / "range_narrowed.yaml"), "--format", "json")
    assert breaking.returncode == 2
    found = json.loads(breaking.stdout)
    assert found["breaking"] and found["changes"][0]["kind"] == "range_narrowed"
    missing = qengine_cmd("diff", base, "no-such-form.yaml")
    assert missing.returncode == 3 and "cannot read form file" in missing.stderr


def test_migrate_files_of_snapshots_and_records(tmp_path: Path) -> None:
    base = qengine.load(GOLDEN / "base.yaml", cache=False)
    record = {"a": 1, "b": 80, "c": 12.5, "d": [1, 3], "e": "text"}
    iv = base.start()
    iv.answer(1)
    iv.answer(80)
    lines = [json.dumps(iv.snapshot()), json.dumps(record), "not json",
             json.dumps({"a": 1, "b": 5, "e": "text"})]
    source = tmp_path / "work.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, report = tmp_path / "migrated.jsonl", tmp_path / "report.jsonl"
    done = qengine_cmd("migrate", str(GOLDEN / "range_narrowed.yaml"), str(source),
                       "-o", str(out), "--report", str(report))
    assert done.returncode == 1, done.stderr
    assert f"{source}:3: not JSON" in done.stderr
    assert "3 migrated to diffbase 1, 1 refused" in done.stderr
    migrated = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert migrated[0]["qengine_snapshot"] == 1 and "b" not in migrated[0]["history"]
    assert "b" not in migrated[1] or migrated[1]["b"] is None
    entries = [json.loads(line) for line in report.read_text("utf-8").splitlines()]
    assert [(e["line"], e["kind"], [d["question"] for d in e["dropped"]]) for e in entries] == [
        (1, "snapshot", ["b"]), (2, "record", ["b"]), (4, "record", [])]
    again = qengine_cmd("migrate", str(GOLDEN / "range_narrowed.yaml"), str(source),
                        "-o", str(source))
    assert again.returncode == 2 and "would overwrite an input file" in again.stderr
