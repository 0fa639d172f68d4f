"""Shared fixtures: the bundled forms, the example form, and small inline forms."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import qengine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "household_mini.yaml"


def form_yaml(questions: str, *, checks: str = "", params: str = "", extra: str = "",
              closing: str = "") -> str:
    """A complete small form around an indented block of questions (for inline tests)."""
    text = textwrap.dedent("""\
        form: t
        version: "1"
        title: {zh: 测试, en: Test}
        choice_lists:
          yesno:
            - {code: 1, label: {zh: 是, en: "Yes"}}
            - {code: 2, label: {zh: 否, en: "No"}}
        """)
    if params:
        text += "params:\n" + textwrap.indent(textwrap.dedent(params), "  ")
    text += extra
    text += "sections:\n  - id: main\n    questions:\n"
    text += textwrap.indent(textwrap.dedent(questions), "      ")
    if closing:
        text += "  - id: signoff\n    closing: true\n    questions:\n"
        text += textwrap.indent(textwrap.dedent(closing), "      ")
    if checks:
        text += "checks:\n" + textwrap.indent(textwrap.dedent(checks), "  ")
    return text


def problems_of(text: str) -> list[qengine.Problem]:
    """Every problem found in a form text (empty when it compiles)."""
    return qengine.compile_text(text, "t.yaml")[1]


def codes_of(text: str) -> list[str]:
    return [p.code for p in problems_of(text) if p.severity == "error"]


@pytest.fixture(scope="session")
def annex6() -> qengine.Form:
    return qengine.load("annex6")


@pytest.fixture(scope="session")
def annex7() -> qengine.Form:
    return qengine.load("annex7")


@pytest.fixture(scope="session")
def annex5() -> qengine.Form:
    return qengine.load("annex5")


@pytest.fixture(scope="session")
def mini() -> qengine.Form:
    return qengine.load(EXAMPLE)


@pytest.fixture(scope="session")
def jumpy() -> qengine.Form:
    """A small form with every kind of jump: shorthand, general, numeric, multiple, to end."""
    return qengine.load_text(form_yaml("""\
        - id: a
          label: A
          type: single
          choices: yesno
          jump: {②: c}
        - id: b
          label: B
          type: integer
          min: 0
          jump: {0: d}
        - id: c
          label: C
          type: multiple
          choices:
            - {code: 1, label: x}
            - {code: 2, label: y}
            - {code: 3, label: z}
          jump: {③: end}
        - id: d
          label: D
          type: money
          jumps:
            - {when: d > 100 and a == ①, to: f}
        - id: e
          label: E
          type: text
          required: false
        - id: f
          label: F
          type: single
          choices: yesno
        """, closing="- {id: sign, label: Signature, type: text}\n"), "jumpy.yaml")
