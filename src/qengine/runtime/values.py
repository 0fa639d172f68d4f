"""Answer values: turning what a front end or a record holds into the canonical answer of a question.

Each question gets two coercers, made once when the form is built. ``entered`` converts what a
person typed, as :meth:`Interview.answer` does: ``"②"``, ``"2"``, full-width ``"２"``,
``"1,234.5"``, a choice's label. ``strict`` accepts only the JSON types of a record (a code is an
integer, a number a number, a multiple choice a list of integers) and then checks the value the
same way. Both return the canonical value, ``None`` for a blank answer (``None``, empty or
white-space text, an empty list, except that a ``none_ok`` multiple choice keeps ``[]`` as "none of
these"), and raise :class:`AnswerError` with a stable code for anything else.

The numeric domain is decided here, once: an answer beyond ±10^15 (:data:`MAX_MAGNITUDE`) is a
``range`` error, whatever the form's bounds, so every rule computes in exact integers or finite
floats and no message ever prints a thousand-digit number.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from qengine.errors import AnswerError
from qengine.notation import (
    CIRCLED,
    check_id_number,
    is_iso_date,
    looks_like_iso_date,
    normalise_text,
)
from qengine.runtime.machine import MAX_MAGNITUDE

if TYPE_CHECKING:
    from qengine.runtime.form import Question

Coercer = Callable[[Any], Any]

_LIST_SPLIT = re.compile(r"[,，、;；]+")  # between the codes or labels of a multiple choice
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
#: thousands separators only between groups of three digits: "1,234.5", never "2,5" or "1,,3"
_GROUPED_TEXT = re.compile(r"[+-]?(?!0)\d{1,3}([,，]\d{3})+(\.\d*)?")  # "0,123" is a decimal comma
#: the longest text a number is read from (digits beyond 10^15 are out of range anyway)
_MAX_NUMBER_TEXT = 40
_EXPECTED = {"text": ("text", "文字"), "number": ("a number", "数字"),
             "code": ("a choice code (an integer)", "选项编号（整数）"),
             "codes": ("a list of choice codes", "选项编号列表"), "date": ("an ISO date", "日期")}


def is_blank(value: Any) -> bool:
    """True for what counts as no answer: None, empty or white-space text, an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple)) and not value


#: kinds of :func:`accepts`
ACCEPT_NONE, ACCEPT_CODE, ACCEPT_INT, ACCEPT_TEXT = range(4)


def accepts(q: Question) -> tuple[int, Any, Any]:
    """What the ``entered`` coercer of ``q`` returns unchanged, for a caller that tests it inline
    and skips the call: ``(ACCEPT_CODE, codes, None)`` an int among ``codes``; ``(ACCEPT_INT, lo,
    hi)`` an int within ``lo..hi``; ``(ACCEPT_TEXT, limit, None)`` a str with a non-blank
    character, at most ``limit`` long, printable; ``(ACCEPT_NONE, None, None)`` nothing."""
    if q.type == "single":
        return ACCEPT_CODE, frozenset(c.code for c in q.choices), None
    if q.type in ("integer", "year", "money", "number"):
        lo = -MAX_MAGNITUDE if q.min is None else max(-MAX_MAGNITUDE, q.min)
        hi = MAX_MAGNITUDE if q.max is None else min(MAX_MAGNITUDE, q.max)
        return ACCEPT_INT, lo, hi
    if q.type == "text":
        return ACCEPT_TEXT, q.max_length or 10000, None
    return ACCEPT_NONE, None, None


_PLAIN = frozenset({str, int, float, bool, list, tuple, dict, type(None)})


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` made of Python's own types: a subclass of str, int or float (an ``IntEnum``, a
    hostile object) becomes its plain value, read with the base type's own methods, so no method
    of the subclass ever runs; lists and tuples are made plain item by item (20 levels deep)."""
    kind = type(value)
    if kind in _PLAIN and kind is not list and kind is not tuple:
        return value
    if issubclass(kind, str):  # (bool cannot be subclassed: an int subclass is never a bool)
        return str.__str__(value)
    if issubclass(kind, int):
        return int.__int__(value)
    if issubclass(kind, float):
        return float.__float__(value)
    if issubclass(kind, (list, tuple)) and depth < 20:
        items = list.__iter__(value) if issubclass(kind, list) else tuple.__iter__(value)
        return [plain(v, depth + 1) for v in items]
    return value


def make_coercers(q: Question) -> tuple[Coercer, Coercer]:
    """The ``entered`` and ``strict`` coercers of question ``q`` (see the module docstring)."""
    made = _FACTORIES[q.type](q)
    gate = _GATES[q.type]
    qid = q.id

    def entered(value: Any) -> Any:
        kind = type(value)
        if kind is int or kind is str or kind is float or value is None:
            return made(value)
        return made(plain(value))

    def checked(value: Any) -> Any:
        value = plain(value)
        if value is None or (type(value) is str and not value.strip()):
            return None  # empty text counts as no answer, whatever the type
        expected = gate(value)
        if expected is not None:
            en, zh = _EXPECTED[expected]
            raise AnswerError(qid, "type.strict", value=value, expected=en, expected_zh=zh)
        return entered(value)

    # Fast paths for what a record mostly holds: canonical values, accepted at once.
    strict: Coercer = checked
    if q.type == "single":
        codes = frozenset(c.code for c in q.choices)

        def strict(value: Any) -> Any:
            return value if type(value) is int and value in codes else checked(value)
    elif q.type in ("integer", "year", "money", "number"):
        lo = -MAX_MAGNITUDE if q.min is None else q.min
        hi = MAX_MAGNITUDE if q.max is None else q.max

        def strict(value: Any) -> Any:
            if type(value) is int and lo <= value <= hi:
                return value
            return made(value) if type(value) is float else checked(value)
    elif q.type in ("text", "date", "id_number"):  # text is all the record may hold
        def strict(value: Any) -> Any:
            return made(value) if type(value) is str else checked(value)
    elif q.type == "multiple":
        def strict(value: Any) -> Any:
            if type(value) is list and all(type(v) is int for v in value):
                return made(value)  # plain already: a list of ints
            return checked(value)

    return entered, strict


# -- the JSON types a record holds (strict): the name of what was expected, or None -------------
def _gate_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "text"


def _gate_number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else "number"


def _gate_code(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) else "code"


def _gate_codes(value: Any) -> str | None:
    ok = isinstance(value, (list, tuple)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value)
    return None if ok else "codes"


def _gate_date(value: Any) -> str | None:
    return None if isinstance(value, str) else "date"


def _gate_none(value: Any) -> str | None:
    return None


_GATES: dict[str, Callable[[Any], str | None]] = {
    "text": _gate_text, "id_number": _gate_text, "date": _gate_date, "single": _gate_code,
    "multiple": _gate_codes, "integer": _gate_number, "number": _gate_number,
    "money": _gate_number, "year": _gate_number, "computed": _gate_none,
}


# -- entered values --------------------------------------------------------------------------
def _storable(qid: str, text: str) -> str:
    """Text that can be stored and sent as UTF-8 (a lone surrogate cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AnswerError(qid, "format.text") from None
    return text


def _text(q: Question) -> Coercer:
    limit = q.max_length or 10000
    qid = q.id

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise AnswerError(qid, "type.text", value=value)
        if not value.strip():
            return None
        if len(value) > limit:
            raise AnswerError(qid, "length", limit=limit)
        return value if value.isprintable() else _storable(qid, value)  # printable is UTF-8

    return coerce


def _number_from(qid: str, value: Any, integer: bool) -> int | float | None:
    """The number in ``value``, of the numeric domain; AnswerError for anything else."""
    if isinstance(value, bool):
        raise AnswerError(qid, "type.number", value=value)
    if isinstance(value, int):
        number: int | float = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise AnswerError(qid, "type.finite", value=value)
        number = value
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise AnswerError(qid, "type.finite", value=value)
        if value.adjusted() > 15:  # beyond the domain: say so before converting (1E+1000000)
            raise AnswerError(qid, "range.above", value=value, limit=f"{MAX_MAGNITUDE:.0e}")
        number = int(value) if value == value.to_integral_value() else float(value)
    elif isinstance(value, str):
        text = normalise_text(value)
        if not text:
            return None
        if "," in text or "，" in text:
            if len(text) > _MAX_NUMBER_TEXT or not _GROUPED_TEXT.fullmatch(text):
                raise AnswerError(qid, "type.number", value=value)
            text = text.replace(",", "").replace("，", "")
        if len(text) > _MAX_NUMBER_TEXT or not _NUMBER_TEXT.fullmatch(text):
            raise AnswerError(qid, "type.number", value=value)
        number = int(text) if text.lstrip("+-").isdigit() else float(text)
        if isinstance(number, float) and not math.isfinite(number):
            raise AnswerError(qid, "type.finite", value=value)
    else:
        raise AnswerError(qid, "type.number", value=value)
    if not -MAX_MAGNITUDE <= number <= MAX_MAGNITUDE:
        key = "range.above" if number > 0 else "range.below"
        raise AnswerError(qid, key, value=value, limit=f"{'-' if number < 0 else ''}1e+15")
    if isinstance(number, float):
        if number.is_integer() and (integer or abs(number) < 2**53):
            return int(number)
        if integer:
            raise AnswerError(qid, "type.whole", value=value)
    return number


def places(number: float) -> int:
    """The decimal places of a float as written shortest (its repr): 12.34 has 2, 1e-10 has 10,
    so a value typed with too many places is refused however small the excess."""
    if number.is_integer():
        return 0
    exponent = decimal.Decimal(repr(number)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _numeric(q: Question) -> Coercer:
    qid = q.id
    integer = q.type in ("integer", "year")
    lo, hi = q.min, q.max
    decimals = q.decimals if q.decimals is not None else 6

    def coerce(value: Any) -> Any:
        if type(value) is int and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:  # the common case
            number: int | float | None = value
        else:
            if value is None:
                return None
            number = _number_from(qid, value, integer)
            if number is None:
                return None
            if type(number) is float and places(number) > decimals:
                raise AnswerError(qid, "decimals", value=number, limit=decimals)
        if lo is not None and number < lo:
            raise AnswerError(qid, "range.below", value=number, limit=lo)
        if hi is not None and number > hi:
            raise AnswerError(qid, "range.above", value=number, limit=hi)
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
            raise AnswerError(qid, "type.date", value=value)
        text = normalise_text(value)
        if not text:
            return None
        if not looks_like_iso_date(text):
            raise AnswerError(qid, "format.date", value=value)
        if not is_iso_date(text):
            raise AnswerError(qid, "format.not_a_date", value=text)
        if lo is not None and text < lo:
            raise AnswerError(qid, "range.before", value=text, limit=lo)
        if hi is not None and text > hi:
            raise AnswerError(qid, "range.after", value=text, limit=hi)
        return text

    return coerce


def _labels(q: Question) -> dict[str, int]:
    """The code of each choice's name and label (in every language), normalised as entered text
    is: a name first, so that records written with XLSForm names convert."""
    by_label: dict[str, int] = {}
    for c in q.choices:
        if c.name is not None:
            by_label.setdefault(normalise_text(c.name), c.code)
    for c in q.choices:
        for text in c.labels.values():
            by_label.setdefault(normalise_text(text), c.code)  # as entered text is compared
    return by_label


def _code_parser(q: Question, by_label: Mapping[str, int]) -> Callable[[Any], int]:
    qid = q.id
    codes = frozenset(c.code for c in q.choices)
    shown = ", ".join(str(c) for c in sorted(codes))

    def code(value: Any) -> int:
        if type(value) is int:
            if value in codes:
                return value
            raise AnswerError(qid, "choice", value=value, codes=shown)
        if isinstance(value, bool):
            raise AnswerError(qid, "type.bool", value=value)
        if isinstance(value, float) and value.is_integer():
            return code(int(value))
        if isinstance(value, str):
            text = normalise_text(value)
            if text in CIRCLED:
                return code(CIRCLED[text])
            if text.isascii() and text.isdigit() and len(text) <= 9:
                return code(int(text))
            if text in by_label:
                return by_label[text]
            raise AnswerError(qid, "choice", value=value, codes=shown)
        raise AnswerError(qid, "type.code", value=value)

    return code


def _single(q: Question) -> Coercer:
    code = _code_parser(q, _labels(q))
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


def _list_parts(text: str, labels: Mapping[str, int]) -> list[str]:
    """The codes or labels of entered text for a multiple choice: split at commas, 、 and
    semicolons, and at white space except within a label ("1 3", "Poor quality, Shortage")."""
    if text in labels:
        return [text]
    parts: list[str] = []
    for chunk in _LIST_SPLIT.split(text):
        chunk = chunk.strip()
        if chunk in labels:
            parts.append(chunk)
        else:
            parts += chunk.split()
    return parts


def _multiple(q: Question) -> Coercer:
    qid = q.id
    labels = _labels(q)
    code = _code_parser(q, labels)
    codes = frozenset(c.code for c in q.choices)
    empty: Any = [] if q.none_ok else None  # "none of these" is an answer where the form says so
    limit = max(len(q.choices), 1)

    def coerce(value: Any) -> Any:
        if type(value) is list and value and all(type(v) is int for v in value) and (
                codes.issuperset(value) and len(set(value)) == len(value)):  # codes, each once
            return sorted(value)
        if value is None:
            return None
        if isinstance(value, str):
            text = normalise_text(value)
            if not text:
                return None
            parts = _list_parts(text, labels)
            if len(parts) == 1 and all(ch in CIRCLED for ch in parts[0]):
                parts = list(parts[0])  # "①③" means codes 1 and 3
            value = parts
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise AnswerError(qid, "type.codes", value=value)
        if not value:
            return [] if empty is not None else None
        if len(value) > limit:  # some code is listed twice: no need to read a long list
            raise AnswerError(qid, "duplicate")
        out = [code(v) for v in value]
        if len(set(out)) != len(out):
            raise AnswerError(qid, "duplicate")
        return sorted(out)

    return coerce


def _id_number(q: Question) -> Coercer:
    qid = q.id

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise AnswerError(qid, "type.id_number", value=value)
        text = normalise_text(value).upper()
        if not text:
            return None
        why = check_id_number(text)
        if why:
            raise AnswerError(qid, f"format.{why}", length=len(text), birth=text[6:14])
        return text

    return coerce


def _computed(q: Question) -> Coercer:
    def coerce(value: Any) -> Any:
        raise AnswerError(q.id, "computed")

    return coerce


_FACTORIES: dict[str, Callable[[Question], Coercer]] = {
    "text": _text, "integer": _numeric, "number": _numeric, "money": _numeric,
    "year": _numeric, "date": _date, "single": _single, "multiple": _multiple,
    "id_number": _id_number, "computed": _computed,
}
