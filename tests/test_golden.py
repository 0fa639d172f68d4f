"""Golden folders: small broken forms and the exact diagnostics (location, severity, code) they give.

Each folder under tests/golden holds ``form.yaml`` and ``expected.txt`` with one line per problem:
``line:column severity code``. Messages are not compared (tests assert on codes, not wording), but
every message must name something and every location must point inside the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import qengine

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_golden_diagnostics(case: str) -> None:
    """The form in the folder yields exactly the expected located problems."""
    folder = GOLDEN / case
    problems = qengine.lint(folder / "form.yaml")
    got = [f"{p.location.line}:{p.location.column} {p.severity} {p.code}" for p in problems]
    expected = (folder / "expected.txt").read_text("utf-8").split("\n")
    assert got == [line for line in expected if line]
    lines = (folder / "form.yaml").read_text("utf-8").splitlines()
    for p in problems:
        assert p.message and 1 <= p.location.line <= len(lines)
        assert str(p).startswith(f"{folder / 'form.yaml'}:{p.location.line}:")
    with pytest.raises(qengine.FormError) as info:
        qengine.load(folder / "form.yaml")
    assert [p.code for p in info.value.problems] == [p.code for p in problems]


def test_there_are_golden_cases() -> None:
    """The golden folder is not empty (a glob that finds nothing would test nothing)."""
    assert len(CASES) >= 8
