"""Stage 2: the JSON Schema check, with located messages for form authors."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
from conftest import codes_of, form_yaml, problems_of


def test_schema_ships_inside_the_package_and_is_valid() -> None:
    """form.schema.json is package data and a valid draft 2020-12 schema."""
    text = resources.files("qengine.compiler").joinpath("form.schema.json").read_text("utf-8")
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


def test_fast_and_full_schema_checks_agree() -> None:
    """fastjsonschema's yes/no equals jsonschema's on good forms and on each kind of bad one."""
    from pathlib import Path

    import yaml

    from qengine.compiler.loader import parse_yaml
    from qengine.compiler.schema import _validator, is_valid
    from qengine.errors import Diagnostics

    root = Path(__file__).resolve().parent.parent
    docs = [yaml.safe_load(p.read_text("utf-8")) for p in (root / "forms").glob("*.yaml")]
    for path in (root / "tests" / "golden").glob("*/form.yaml"):
        diag = Diagnostics(str(path))
        data = parse_yaml(path.read_text("utf-8"), str(path), diag)
        if not diag.problems:  # YAML-level cases (syntax, numbers) never reach the schema
            docs.append(data)
    good = docs[0]
    q = good["sections"][1]["questions"][0]
    mutants = [
        {**good, "extra": 1}, {**good, "version": 3}, {**good, "sections": []},
        {**good, "languages": ["zh", "zh"]}, {**good, "params": {"Bad": 1}},
        {**good, "sections": [{**good["sections"][1], "questions": [{**q, "type": "x"}]}]},
        {**good, "sections": [{**good["sections"][1], "questions": [{**q, "label": ""}]}]},
        {**good, "sections": [{**good["sections"][1], "questions": [{**q, "jump": {}}]}]},
        {**good, "checks": [{"id": "c", "severity": "error", "message": "m"}]},
        {**good, "checks": [{"id": "c", "severity": "error", "when": "a", "assert": "b",
                             "message": "m"}]},
        {**good, "title": {"zh": 3}}, {**good, "choice_lists": {"x": []}},
    ]
    # The two oneOf that the fast check restates (schema._fast_verdict): a question's choices, and
    # a question's own checks.
    check = {"id": "c", "severity": "error", "message": "m"}
    for choices in ("yesno", "Bad", 3, [], [{"code": 1, "label": "x"}], [{"code": "x"}], None,
                    [{"code": 1, "label": "x"}, "yesno"], {"code": 1}):
        mutants.append({**good, "sections": [{**good["sections"][1], "questions": [
            {**q, "type": "single", "choices": choices}]}]})
    for extra in ({}, {"when": "a"}, {"assert": "a"}, {"when": "a", "assert": "b"}, {"when": 3}):
        for where in ("question", "form"):
            c = {**check, **extra}
            mutants.append({**good, "checks": [c]} if where == "form" else {
                **good, "sections": [{**good["sections"][1], "questions": [
                    {**q, "checks": [c]}]}]})
    for doc in docs + mutants:
        assert is_valid(doc) == (not list(_validator().iter_errors(doc))), doc.get("form")


def test_rule_length_cap_is_the_parsers() -> None:
    """The schema's maxLength of a rule is the parser's MAX_RULE_LENGTH: editors and qengine agree."""
    from qengine.compiler.schema import form_schema
    from qengine.lang.parser import MAX_RULE_LENGTH

    assert form_schema()["$defs"]["rule"]["maxLength"] == MAX_RULE_LENGTH
    text = form_yaml("- id: a\n  label: A\n  type: text\n",
                     checks=f"- {{id: c, severity: error, when: '{'a == ' * 1000}a', message: m}}\n")
    assert codes_of(text) == ["rule_too_long"]


def test_jump_targets_may_be_numbers_for_the_model_to_explain() -> None:
    """A numeric jump target passes the schema (the model reports it, naming the id meant)."""
    from qengine.compiler.schema import _validator

    good = {"form": "f", "version": "1", "title": "T", "sections": [{"id": "s", "questions": [
        {"id": "a", "label": "A", "type": "single", "choices": [{"code": 1, "label": "x"}],
         "jump": {"①": 5}, "jumps": [{"when": "a == ①", "to": 5}]}]}]}
    assert not list(_validator().iter_errors(good))
