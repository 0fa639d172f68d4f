"""The documentation stays true: every Python block in the guides runs, every example script runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ["api.md", "forms.md", "testing.md"]
BLOCKS = [(doc, i, code) for doc in GUIDES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```",
                                              (ROOT / "docs" / doc).read_text("utf-8"), re.S))]


@pytest.mark.parametrize(("doc", "index", "code"), BLOCKS,
                         ids=[f"{d}#{i}" for d, i, _c in BLOCKS])
def test_python_blocks_in_the_guides_run(doc: str, index: int, code: str) -> None:
    """Each ```python block of the guide runs on its own from the repository root."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{doc} block {index}:\n{result.stderr[-2000:]}"


@pytest.mark.parametrize("script", ["embed_interview.py", "validate_records.py"])
def test_example_scripts_run_from_anywhere(script: str, tmp_path: Path) -> None:
    """The example scripts run from another directory and print something."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


def test_there_are_blocks() -> None:
    """The guides hold code (a regex that finds nothing would test nothing)."""
    assert len(BLOCKS) >= 15
