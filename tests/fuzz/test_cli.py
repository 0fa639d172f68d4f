"""Surface: the CLI, `qengine validate annex6 -` with hostile stdin lines and `qengine lint` on files."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import strategies as st

from .contract import BOUND_SECONDS, ROOT, fuzz

QENGINE = [sys.executable, "-m", "qengine"]
TMP = Path(tempfile.mkdtemp(prefix="qengine-fuzz-cli-"))
LINES = st.one_of(
    st.sampled_from([b"{}", b"[]", b"null", b"1", b'"x"', b"{", b"[" * 10_000, b"[" * 100_000,
                     b'{"household_size": ' + b"9" * 5000 + b"}", b'{"q1_total": 1e999}',
                     b'{"q1_total": NaN}', b'{"county": "\\ud800"}', b"\xff\xfe", b"\xef\xbb\xbf{}",
                     b'{"a": 1, "a": 2}', b"\x00", b"\r", b'{"county": "' + b"x" * (1 << 20) + b'"}',
                     b'{"household_size": true}', b'{"q6_1": ' + b"[" * 5000 + b"]" * 5000 + b"}"]),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
).map(lambda line: line.replace(b"\n", b" "))


def run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    try:
        return subprocess.run([*QENGINE, *args], input=stdin, capture_output=True, cwd=ROOT,
                              timeout=BOUND_SECONDS * 3)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"qengine {' '.join(args)} exceeded {BOUND_SECONDS * 3:.0f} s") from None


@fuzz("cli", 10, lines=st.lists(LINES, min_size=1, max_size=8))
def test_validate_reports_every_hostile_line(lines: list[bytes]) -> None:
    """Every non-blank stdin line gets one JSON result line, then the summary; no traceback."""
    done = run(["validate", "annex6", "-"], b"\n".join(lines) + b"\n")
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode in (0, 1) and "Traceback" not in err, err[-1500:]
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert "summary" in out[-1]
    nonblank = [i + 1 for i, line in enumerate(lines) if line.strip(b" \t\r")]
    assert [o["line"] for o in out[:-1]] == nonblank or len(out) - 1 <= len(nonblank)


FILES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"[" * 100_000, b"- " * 50_000, b"\xff" * 100, b"\x00" * 1000, b"\xef\xbb\xbf",
                     b"a: &a [" + b"*a," * 1000 + b"]", b"form: " + b"9" * 5000, b"!!python/name:os.system"]),
)


@fuzz("cli", 6, data=FILES)
def test_lint_reports_hostile_files(data: bytes) -> None:
    """`qengine lint` on a hostile file exits 0 or 1 with located problems, never a traceback."""
    path = TMP / "hostile.yaml"
    path.write_bytes(data)
    done = run(["lint", str(path)])
    err = done.stderr.decode("utf-8", "replace") + done.stdout.decode("utf-8", "replace")
    assert done.returncode in (0, 1) and "Traceback" not in err, err[-1500:]


@pytest.mark.parametrize("command", [["schema"], ["forms"], ["graph", "annex6"], ["export", "annex6"]])
def test_plain_commands_run(command: list[str]) -> None:
    """The commands without hostile input exit 0 (the baseline of the properties above)."""
    assert run(command).returncode == 0
