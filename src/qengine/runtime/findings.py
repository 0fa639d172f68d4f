"""Findings and household categories: what a record *finds*, for the office's ledger and tallies.

A form declares its findings (the suspected problems of annex 3, each counted toward a row of
annex 4) and its household categories (the columns of annex 4), each with a rule. Like a check, a
rule applies once every question it reads (outside ``answered()``) has a value, and it reads the
values of the record's path, so a question that was not asked never makes a finding.

A finding's description may quote values: ``{q1_per_capita}`` is the value of that question,
computed value or param, rendered the same way in every runtime (:func:`render_value`); ``{{`` and
``}}`` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from qengine.location import SourceLocation

#: the problem types of annex 3 (问题类型) a finding may have
TYPES = range(1, 9)
UNITS = ("户", "人")
NO_VALUE = "—"

_PART = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]*)\}|[{}]")


def template_parts(text: str) -> list[tuple[bool, str]]:
    """A description split into ``(False, literal text)`` and ``(True, name)`` parts; ValueError
    naming the first bad brace (a lone ``{`` or ``}``, or ``{`` around something not a name)."""
    out: list[tuple[bool, str]] = []
    literal: list[str] = []
    at = 0
    for m in _PART.finditer(text):
        literal.append(text[at:m.start()])
        at = m.end()
        token = m.group(0)
        if m.group(1) is not None:
            out.append((False, "".join(literal)))
            literal = []
            out.append((True, m.group(1)))
        elif token in ("{{", "}}"):
            literal.append(token[0])
        else:
            raise ValueError(f"a lone {token!r} at character {m.start() + 1} (write {token * 2} "
                             "for the brace itself, {name} to quote a value)")
    literal.append(text[at:])
    out.append((False, "".join(literal)))
    return [p for p in out if p[0] or p[1]]


def template_names(text: str) -> list[str]:
    """The names a description quotes, in order (ValueError as :func:`template_parts`)."""
    return [value for is_name, value in template_parts(text) if is_name]


def render_number(x: int | float) -> str:
    """A number as a description shows it: whole numbers as digits, others to two decimals
    (rounded half away from zero on the exact value, trailing zeros dropped); from 1e15 on, in
    exponent form with six decimals."""
    if abs(x) >= 1e15:
        return f"{float(x):.6e}"
    if isinstance(x, int) or float(x).is_integer():
        return str(int(x))
    text = str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def render_value(value: Any, language: str, labels: Mapping[int, Mapping[str, str]] | None,
                 fallback: str) -> str:
    """One quoted value in ``language``: a code as its choice label (``labels`` maps code →
    texts by language; ``fallback`` is the form's first language), a list of codes as their labels
    joined, no value as "—"."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):  # never a value of a question; shown plainly all the same
        return "true" if value else "false"
    if isinstance(value, list):
        if not value:
            return "无" if language.startswith("zh") else "none"
        joiner = "、" if language.startswith("zh") else ", "
        return joiner.join(render_value(v, language, labels, fallback) for v in value)
    if isinstance(value, (int, float)):
        if labels is not None and isinstance(value, int):
            texts = labels.get(value)
            if texts is not None:
                return texts.get(language) or texts.get(fallback) or str(value)
        return render_number(value)
    return str(value)


@attrs.frozen(slots=True)
class Indicator:
    """A finding a form declares: ``id`` (an indicator id), its problem ``type`` (1-8), the annex 4
    row it counts toward (``label``, in each language in ``labels``), its ``unit`` (户 or 人), the
    rule's ``source`` text, the questions it names and those it waits for (``deps``)."""

    id: str
    type: int
    unit: str
    label: str
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    source: str = attrs.field(repr=False)
    questions: tuple[str, ...] = attrs.field(repr=False)
    deps: tuple[str, ...] = attrs.field(repr=False)
    location: SourceLocation | None = attrs.field(eq=False, repr=False)
    fires: Callable[[Mapping[str, Any]], Any] = attrs.field(eq=False, repr=False)
    #: per language: the description's parts, (False, text) or (True, name)
    templates: Mapping[str, Sequence[tuple[bool, str]]] = attrs.field(eq=False, repr=False)

    @property
    def kind(self) -> str:
        """Findings fire when their rule holds (as a check of kind ``when``)."""
        return "when"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "unit": self.unit, "label": self.label,
                "labels": dict(self.labels), "rule": self.source,
                "questions": list(self.questions)}


@attrs.frozen(slots=True)
class Category:
    """A household category a form declares: ``id``, ``label`` (``labels`` by language) and its
    rule (``source``)."""

    id: str
    label: str
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    source: str = attrs.field(repr=False)
    deps: tuple[str, ...] = attrs.field(repr=False)
    location: SourceLocation | None = attrs.field(eq=False, repr=False)
    fires: Callable[[Mapping[str, Any]], Any] = attrs.field(eq=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "labels": dict(self.labels),
                "rule": self.source}


@attrs.frozen(slots=True)
class Finding:
    """What one record found: the indicator's ``id``, ``type``, ``unit`` and row ``label``, and its
    ``description`` with the record's values quoted (``descriptions`` in each language)."""

    id: str
    type: int
    unit: str
    label: str
    description: str
    descriptions: Mapping[str, str] = attrs.field(eq=False, repr=False)
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    questions: tuple[str, ...] = attrs.field(eq=False, repr=False)

    def __str__(self) -> str:
        return f"{self.id} ({self.type}): {self.description}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "unit": self.unit, "label": self.label,
                "labels": dict(self.labels), "description": self.description,
                "descriptions": dict(self.descriptions), "questions": list(self.questions)}


def describe_finding(indicator: Indicator, values: Mapping[str, Any],
                     labels: Mapping[str, Mapping[int, Mapping[str, str]]],
                     languages: Sequence[str]) -> Finding:
    """The finding ``indicator`` makes on ``values`` (it fires there), described in each
    language; ``labels`` maps each choice question to its code → texts."""
    fallback = languages[0]
    descriptions: dict[str, str] = {}
    for lang, parts in indicator.templates.items():
        descriptions[lang] = "".join(
            render_value(values.get(value), lang, labels.get(value), fallback) if is_name
            else value for is_name, value in parts)
    primary = descriptions.get(fallback) or next(iter(descriptions.values()), indicator.label)
    return Finding(indicator.id, indicator.type, indicator.unit, indicator.label, primary,
                   descriptions, indicator.labels, indicator.questions)
