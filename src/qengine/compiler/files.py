"""Reading a form file: its bytes (for the machine cache's content hash) and its text.

Kept apart from :mod:`qengine.compiler.loader` so that a load answered from the machine cache
imports no YAML parser.
"""

from __future__ import annotations

from qengine.errors import Diagnostics
from qengine.location import SourceLocation

MAX_FILE_BYTES = 64 * 1024 * 1024


def read_text(path: str, diag: Diagnostics) -> str | None:
    """Read a form file as UTF-8; report (not raise) unreadable, oversized or undecodable files."""
    data = read_bytes(path, diag)
    return None if data is None else decode_text(data, path, diag)


def read_bytes(path: str, diag: Diagnostics) -> bytes | None:
    """The bytes of a form file; report (not raise) an unreadable or oversized file."""
    start = SourceLocation(path, 1, 1)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        diag.fail(start, "file", f"cannot read form file: {exc.strerror or exc}")
        return None
    if len(data) > MAX_FILE_BYTES:
        diag.fail(start, "file", f"form file is larger than {MAX_FILE_BYTES // 2**20} MiB")
        return None
    return data


def decode_text(data: bytes, path: str, diag: Diagnostics) -> str | None:
    """The bytes of a form file as text (UTF-8, a BOM dropped); report them when undecodable."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        diag.fail(SourceLocation(path, line, col), "encoding", "form file is not valid UTF-8")
        return None
