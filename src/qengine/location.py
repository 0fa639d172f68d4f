"""Source locations: where in a form file a thing was written.

One convention for the whole library: ``line`` and ``column`` are 1-based. PyYAML marks are 0-based
and lark columns are 1-based; both are converted here and nowhere else.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class SourceLocation(NamedTuple):
    """A position in a form file: ``file:line:column`` (1-based).

    A named tuple rather than an attrs class: a form file makes one per key and value, and tuples
    are built several times faster.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def from_yaml_mark(cls, file: str, mark: object) -> SourceLocation:
        """Convert a PyYAML mark (0-based line and column) to a location."""
        return cls(file, mark.line + 1, mark.column + 1)  # type: ignore[attr-defined]

    def shifted(self, line_offset: int, column: int) -> SourceLocation:
        """The location ``line_offset`` lines further down, at 1-based ``column`` of that line."""
        return SourceLocation(self.file, self.line + line_offset, column)


UNKNOWN = SourceLocation("<unknown>", 0, 0)


_SURROGATE = re.compile("[\ud800-\udfff]")


def caret_excerpt(source_lines: list[str] | None, loc: SourceLocation, width: int = 200) -> str:
    """The source line of ``loc`` with a caret under its column, or '' when unknown."""
    if not source_lines or not 1 <= loc.line <= len(source_lines):
        return ""
    # a lone surrogate cannot be printed or sent: shown as U+FFFD (one character for one)
    text = _SURROGATE.sub("\ufffd", source_lines[loc.line - 1].rstrip("\r\n"))
    col = max(loc.column - 1, 0)
    if len(text) > width:  # keep long lines readable: a window around the column
        start = max(0, min(col - width // 2, len(text) - width))
        text = text[start : start + width]
        col -= start
    pad = "".join("\t" if ch == "\t" else " " for ch in text[:col])
    # Wide (CJK) characters take two cells in a terminal.
    pad += " " * sum(1 for ch in text[:col] if _is_wide(ch))
    return f"    {text}\n    {pad}^"


def _is_wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")
