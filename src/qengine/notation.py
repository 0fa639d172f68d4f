"""How people write codes, numbers and dates on paper and keyboards, in one place.

Circled numbers (① is code 1), full-width ASCII folded to ASCII (２ is 2), ISO 8601 dates, and the
GB 11643 resident id number. Every layer that reads entered text uses these and nothing else.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re

#: ① … ⑳ and their codes
CIRCLED: dict[str, int] = {chr(0x2460 + i): i + 1 for i in range(20)}

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # the ideographic space
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
#: every MMDD of a calendar year, 0229 included (a leap year is checked apart)
_MONTH_DAYS = frozenset(f"{m:02d}{d:02d}" for m in range(1, 13)
                        for d in range(1, calendar.monthrange(2000, m)[1] + 1))


def circled(code: int) -> str:
    """The circled number of ``code`` (② for 2), or the plain digits beyond ⑳."""
    return chr(0x245F + code) if 1 <= code <= 20 else str(code)


def fold_fullwidth(text: str) -> str:
    """Full-width ASCII (Ｆ, ０-９, （）, ＋ …) and the ideographic space as plain ASCII; same length."""
    return text.translate(_FULLWIDTH)


def normalise_text(text: str) -> str:
    """Entered text as compared: full-width folded, surrounding spaces stripped."""
    return text.translate(_FULLWIDTH).strip()


def is_iso_date(value: object) -> bool:
    """True for a real calendar date written ``YYYY-MM-DD``."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def looks_like_iso_date(value: object) -> bool:
    """True for text shaped ``YYYY-MM-DD`` (real or not)."""
    return isinstance(value, str) and _ISO_DATE.fullmatch(value) is not None


def check_id_number(text: str) -> str | None:
    """Why ``text`` is not a valid 18-character resident id number (GB 11643), or None.

    The reason is a key: ``id_length``, ``id_chars``, ``id_birth_date`` or ``id_check_digit``.
    """
    if len(text) != 18:
        return "id_length"
    if not text.isascii() or not text[:17].isdigit() or not (
            text[17].isdigit() or text[17] == "X"):
        return "id_chars"
    # 17 ASCII digits: the birth date is YYYYMMDD at 6..13 (year 0001 to 9999)
    month_day = text[10:14]
    if month_day not in _MONTH_DAYS or text[6:10] == "0000" or (
            month_day == "0229" and not calendar.isleap(int(text[6:10]))):
        return "id_birth_date"
    if _check_char(text[:17]) != text[17]:
        return "id_check_digit"
    return None


def id_number_ok(text: str) -> bool:
    """``check_id_number(text) is None``, in one function for hot loops: 18 ASCII characters,
    17 digits and a digit or ``X``, a real birth date, the right check character."""
    head = text[:17]
    return (len(text) == 18 and text.isascii() and head.isdigit()
            and (text[17] == "X" or text[17].isdigit())
            and text[10:14] in _MONTH_DAYS and text[6:10] != "0000"
            and (text[10:14] != "0229" or calendar.isleap(int(text[6:10])))
            and _ID_CHECK[2 * int(head, 13) % 11] == text[17])


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an id number."""
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        return _check_char(first17)
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def _check_char(digits: str) -> str:
    """The check character of 17 ASCII digits. The weights are 2**17 … 2**1 modulo 11, and
    13 is 2 modulo 11, so the weighted sum is twice the digits read in base 13: one C call."""
    return _ID_CHECK[2 * int(digits, 13) % 11]
