"""bench/js_bench.mjs runs end to end on a few records: node and this Python agree on every verdict
and every interview, and the figures it prints are positive. Times are never asserted on.

Needs node (>= 18); without it the test skips and says so, as tests/test_js_runtime.py does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "js_bench.mjs"
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)"),
    pytest.mark.skipif(not (ROOT.parent / "shared" / "bench" / "records.py").exists(),
                       reason="../shared/bench/records.py is not beside this checkout"),
]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(BENCH), "--python", sys.executable, *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_the_js_bench_agrees_with_python_and_reports_figures() -> None:
    """200 generated records, one pass each: agreement true, every figure a positive number."""
    done = run_bench("--n", "200", "--repeats", "1", "--interviews", "20", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert figures["records"] == 200
    assert figures["agree"] is True and figures["verdicts_differ"] == 0, figures["examples"]
    assert figures["interviews_agree"] is True
    assert figures["interview"]["interviews"] == 20 and figures["interview"]["answers"] > 20
    for side in ("js", "python", "baseline"):  # each figure given (its value is not judged)
        assert isinstance(figures["validate"][side]["best"], int | float)
        assert isinstance(figures["interview"][f"{side}_us"]["best"], int | float)
    assert isinstance(figures["validate"]["js_over_python"], int | float)


def test_the_js_bench_prints_a_table_of_a_records_file(tmp_path: Path) -> None:
    """--records reads a given file; without --json the figures come as a table."""
    records = tmp_path / "annex6.jsonl"
    made = subprocess.run([sys.executable, str(ROOT.parent / "shared" / "bench" / "records.py"),
                           "--n", "50", "--seed", "3", "--invalid-rate", "0.2", "--out", str(records)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    done = run_bench("--records", str(records), "--repeats", "1", "--interviews", "5")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "validate, records/s" in done.stdout and "interview, us per answer" in done.stdout
    assert "agree on all 50 records" in done.stdout
