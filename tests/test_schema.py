"""Stage 2: the JSON Schema check, with located messages for form authors."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
from conftest import codes_of, form_yaml, problems_of


def test_schema_ships_inside_the_package_and_is_valid() -> None:
    """form.schema.json is package data and a valid draft 2020-12 schema."""
    text = resources.files("qengine").joinpath("form.schema.json").read_text("utf-8")
    jsonschema.Draft202012Validator.check_schema(json.loads(text))


def test_unknown_key_names_the_near_miss_at_the_key() -> None:
    """A misspelt key is located at the key, with what was probably meant."""
    text = form_yaml("- id: a\n  label: A\n  type: text\n  requird: false\n")
    [problem] = problems_of(text)
    assert problem.code == "schema"
    assert "did you mean 'required'" in problem.message
    assert text.splitlines()[problem.location.line - 1].strip().startswith("requird")


def test_missing_keys_and_bad_enum_are_all_reported() -> None:
    """Several schema problems in one file come back together."""
    text = form_yaml("- id: a\n  type: txt\n- id: b\n  label: B\n")
    problems = problems_of(text)
    messages = " | ".join(p.message for p in problems)
    assert "missing 'label'" in messages
    assert "missing 'type'" in messages
    assert "did you mean 'text'" in messages
    assert len(problems) >= 3


def test_check_needs_exactly_one_of_when_and_assert() -> None:
    """A check with neither 'when' nor 'assert' is a schema problem."""
    text = form_yaml("- id: a\n  label: A\n  type: text\n",
                     checks="- {id: c, severity: error, message: m}\n")
    assert codes_of(text) == ["schema"]


def test_long_label_is_refused_with_its_length() -> None:
    """A 10 MB label is refused quickly and clearly."""
    text = form_yaml("- id: a\n  label: " + "x" * 10_000_000 + "\n  type: text\n")
    [problem] = problems_of(text)
    assert "too long" in problem.message
