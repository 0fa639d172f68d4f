"""Plain-Python answer checkers shared by the hand-written baselines of bench/bench.py.

Each ``c_*`` function takes a raw answer (as JSON holds it) and its question's argument (allowed codes,
bounds), returns the canonical value, and raises :class:`Bad` with the same stable codes as qengine
(``type``, ``choice``, ``range``, ``format``, ``decimals``, ``length``, ``duplicate``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


class Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YN = frozenset((1, 2))


def blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    return isinstance(v, (list, tuple)) and not v


def c_text(v: Any, _arg: Any) -> str:
    if not isinstance(v, str):
        raise Bad("type", f"expected text, got {v!r}")
    if len(v) > 10000:
        raise Bad("length", "text is longer than 10000 characters")
    return v


def c_int(v: Any, bounds: tuple[int | None, int | None]) -> int:
    if type(v) is not int:
        if isinstance(v, float) and math.isfinite(v) and v.is_integer():
            v = int(v)
        else:
            raise Bad("type", f"expected a whole number, got {v!r}")
    lo, hi = bounds
    if lo is not None and v < lo:
        raise Bad("range", f"{v} is below the minimum {lo}")
    if hi is not None and v > hi:
        raise Bad("range", f"{v} is above the maximum {hi}")
    return v


def c_money(v: Any, _arg: Any) -> int | float:
    if type(v) is not int:
        if type(v) is not float or not math.isfinite(v):
            raise Bad("type", f"expected an amount, got {v!r}")
        if v.is_integer() and abs(v) < 2**53:
            v = int(v)
        elif abs(round(v, 2) - v) > 1e-9:
            raise Bad("decimals", f"at most 2 digits after the point ({v!r})")
    if v < 0:
        raise Bad("range", f"{v!r} is below the minimum 0")
    return v


def c_single(v: Any, codes: frozenset[int]) -> int:
    if type(v) is not int:
        if type(v) is float and v.is_integer():
            v = int(v)
        else:
            raise Bad("type", f"expected a choice code, got {v!r}")
    if v not in codes:
        raise Bad("choice", f"{v} is not one of the codes {sorted(codes)}")
    return v


def c_multi(v: Any, codes: frozenset[int]) -> list[int]:
    if not isinstance(v, (list, tuple)):
        raise Bad("type", f"expected a list of choice codes, got {v!r}")
    out = [c_single(x, codes) for x in v]
    if len(set(out)) != len(out):
        raise Bad("duplicate", "a code is listed more than once")
    return sorted(out)


def c_date(v: Any, _arg: Any) -> str:
    if not isinstance(v, str):
        raise Bad("type", f"expected an ISO date, got {v!r}")
    v = v.strip()
    if not ISO.match(v):
        raise Bad("format", f"expected an ISO date (YYYY-MM-DD), got {v!r}")
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        raise Bad("format", f"{v} is not a real date") from None
    return v


def c_id(v: Any, _arg: Any) -> str:
    if not isinstance(v, str):
        raise Bad("type", f"expected an id number as text, got {v!r}")
    v = v.strip().upper()
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        raise Bad("format", "an id number is 17 digits and a final digit or X")
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise Bad("format", f"the birth date {v[6:14]} in the id number is not a real date") from None
    if ID_CHECK[sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS, strict=True)) % 11] != v[17]:
        raise Bad("format", "the check digit of the id number is wrong (GB 11643)")
    return v


def num_eq(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
