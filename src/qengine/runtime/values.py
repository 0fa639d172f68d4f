"""Answer values: turning what a front end or a record holds into the canonical answer of a question.

Each question gets one coercer, made once when the form is compiled. A coercer returns the canonical
value, ``None`` for a blank answer (``None``, empty or white-space text, an empty list), and raises
:class:`AnswerError` with a stable code for anything else. Entered text is accepted where a code or
number is expected: ``"②"``, ``"2"``, full-width ``"２"``, ``"1,234.5"``, or a choice's label.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qengine.errors import AnswerError

if TYPE_CHECKING:
    from qengine.runtime.form import Question

Coercer = Callable[[Any], Any]

_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MULTI_SPLIT = re.compile(r"[\s,，、;；]+")


def is_blank(value: Any) -> bool:
    """True for what counts as no answer: None, empty or white-space text, an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple)) and not value


def normalise_text(text: str) -> str:
    """Fold full-width ASCII to ASCII and strip spaces (entered text from a keyboard or form)."""
    return text.translate(_FULLWIDTH).strip()


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def make_coercer(q: Question) -> Coercer:
    """The coercer for question ``q`` (see the module docstring)."""
    factory = _FACTORIES[q.type]
    return factory(q)


def _text(q: Question) -> Coercer:
    limit = q.max_length or 10000
    qid = q.id

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise AnswerError(qid, "type", f"expected text, got {_describe(value)}")
        if not value.strip():
            return None
        if len(value) > limit:
            raise AnswerError(qid, "length", f"text is longer than {limit} characters")
        return value

    return coerce


def _number_from(qid: str, value: Any, integer: bool) -> int | float | None:
    if isinstance(value, bool):
        raise AnswerError(qid, "type", f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise AnswerError(qid, "type", f"expected a finite number, got {value!r}")
        value = int(value) if value == value.to_integral_value() else float(value)
        return _number_from(qid, value, integer)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AnswerError(qid, "type", f"expected a finite number, got {value!r}")
        if value.is_integer() and (integer or abs(value) < 2**53):
            return int(value)
        if integer:
            raise AnswerError(qid, "type", f"expected a whole number, got {value!r}")
        return value
    if isinstance(value, str):
        text = normalise_text(value).replace(",", "").replace("，", "")
        if not text:
            return None
        try:
            number: int | float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise AnswerError(qid, "type", f"expected a number, got {_describe(value)}"
                                  ) from None
            if not math.isfinite(number):
                raise AnswerError(qid, "type", f"expected a finite number, got {value!r}"
                                  ) from None
            return _number_from(qid, number, integer)
        return number
    raise AnswerError(qid, "type", f"expected a number, got {_describe(value)}")


def _numeric(q: Question) -> Coercer:
    qid = q.id
    integer = q.type in ("integer", "year")
    lo, hi = q.min, q.max
    if q.type == "money" and lo is None:
        lo = 0
    if q.type == "year":
        lo = 1900 if lo is None else lo
        hi = 2100 if hi is None else hi
    decimals = q.decimals if q.decimals is not None else (2 if q.type == "money" else 6)

    def coerce(value: Any) -> Any:
        if type(value) is int:  # the common case, straight through
            number: int | float | None = value
        else:
            if value is None:
                return None
            number = _number_from(qid, value, integer)
            if number is None:
                return None
            if type(number) is float and abs(round(number, decimals) - number) > 1e-9:
                raise AnswerError(qid, "decimals", f"at most {decimals} digits after the point "
                                  f"({number!r})")
        if lo is not None and number < lo:
            raise AnswerError(qid, "range", f"{number!r} is below the minimum {lo}")
        if hi is not None and number > hi:
            raise AnswerError(qid, "range", f"{number!r} is above the maximum {hi}")
        return number

    return coerce


def _date(q: Question) -> Coercer:
    qid, lo, hi = q.id, q.min, q.max

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, _dt.datetime):
            value = value.date()
        if isinstance(value, _dt.date):
            value = value.isoformat()
        if not isinstance(value, str):
            raise AnswerError(qid, "type", f"expected an ISO date (YYYY-MM-DD), got "
                              f"{_describe(value)}")
        text = normalise_text(value)
        if not text:
            return None
        if not _ISO_DATE.match(text):
            raise AnswerError(qid, "format", f"expected an ISO date (YYYY-MM-DD), got "
                              f"{_describe(value)}")
        try:
            _dt.date.fromisoformat(text)
        except ValueError:
            raise AnswerError(qid, "format", f"{text} is not a real date") from None
        if lo is not None and text < lo:
            raise AnswerError(qid, "range", f"{text} is before {lo}")
        if hi is not None and text > hi:
            raise AnswerError(qid, "range", f"{text} is after {hi}")
        return text

    return coerce


def _code_parser(q: Question) -> Callable[[Any], int]:
    qid = q.id
    codes = frozenset(c.code for c in q.choices)
    by_label: dict[str, int] = {}
    for c in q.choices:
        for text in c.labels.values():
            by_label.setdefault(text.strip(), c.code)
    shown = ", ".join(str(c) for c in sorted(codes))

    def code(value: Any) -> int:
        if type(value) is int:
            if value in codes:
                return value
            raise AnswerError(qid, "choice", f"{value} is not one of the codes {shown}")
        if isinstance(value, bool):
            raise AnswerError(qid, "type", f"expected a choice code, got {value!r} "
                              "(yes is code 1, no is code 2)")
        if isinstance(value, float) and value.is_integer():
            return code(int(value))
        if isinstance(value, str):
            text = normalise_text(value)
            if text in _CIRCLED:
                return code(_CIRCLED[text])
            if text.isascii() and text.isdigit() and len(text) <= 9:
                return code(int(text))
            if text in by_label:
                return by_label[text]
            raise AnswerError(qid, "choice", f"{_describe(value)} is not one of the codes {shown}")
        raise AnswerError(qid, "type", f"expected a choice code, got {_describe(value)}")

    return code


def _single(q: Question) -> Coercer:
    code = _code_parser(q)
    codes = frozenset(c.code for c in q.choices)

    def coerce(value: Any) -> Any:
        if type(value) is int and value in codes:  # the common case, straight through
            return value
        if value is None:
            return None
        if isinstance(value, str) and not value.strip():
            return None
        return code(value)

    return coerce


def _multiple(q: Question) -> Coercer:
    qid = q.id
    code = _code_parser(q)

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            text = normalise_text(value)
            if not text:
                return None
            parts = [p for p in _MULTI_SPLIT.split(text) if p]
            if len(parts) == 1 and all(ch in _CIRCLED for ch in parts[0]):
                parts = list(parts[0])  # "①③" means codes 1 and 3
            value = parts
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise AnswerError(qid, "type", f"expected a list of choice codes, got "
                              f"{_describe(value)}")
        if not value:
            return None
        out = [code(v) for v in value]
        if len(set(out)) != len(out):
            raise AnswerError(qid, "duplicate", "a code is listed more than once")
        return sorted(out)

    return coerce


def check_id_number(text: str) -> str | None:
    """Why ``text`` is not a valid 18-character resident id number (GB 11643), or None."""
    if len(text) != 18:
        return f"an id number has 18 characters, not {len(text)}"
    if not text.isascii() or not text[:17].isdigit() or not (
            text[17].isdigit() or text[17] == "X"):
        return "an id number is 17 digits and a final digit or X"
    try:
        _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return f"the birth date {text[6:14]} in the id number is not a real date"
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != text[17]:
        return "the check digit of the id number is wrong (GB 11643)"
    return None


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an id number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def _id_number(q: Question) -> Coercer:
    qid = q.id

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise AnswerError(qid, "type", f"expected an id number as text, got "
                              f"{_describe(value)}")
        text = normalise_text(value).upper()
        if not text:
            return None
        why = check_id_number(text)
        if why:
            raise AnswerError(qid, "format", why)
        return text

    return coerce


def _computed(q: Question) -> Coercer:
    def coerce(value: Any) -> Any:
        raise AnswerError(q.id, "computed", "a computed value is not answered")

    return coerce


_FACTORIES: dict[str, Callable[[Question], Coercer]] = {
    "text": _text, "integer": _numeric, "number": _numeric, "money": _numeric,
    "year": _numeric, "date": _date, "single": _single, "multiple": _multiple,
    "id_number": _id_number, "computed": _computed,
}
