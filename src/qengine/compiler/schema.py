"""Stage 2: check the located data against the form JSON Schema shipped with the package.

Each schema error becomes a located problem. Messages are rewritten for form authors: an unknown
key names the keys allowed there and the one probably meant.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema

from qengine.compiler.loader import LList, LMap
from qengine.errors import Diagnostics
from qengine.location import SourceLocation


@lru_cache(maxsize=1)
def form_schema() -> dict[str, Any]:
    """The JSON Schema of form files (draft 2020-12), as shipped in ``qengine/compiler/form.schema.json``."""
    text = resources.files("qengine.compiler").joinpath("form.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(form_schema())


@lru_cache(maxsize=1)
def _fast_verdict() -> Callable[[Any], Any]:
    """The same schema compiled by fastjsonschema: about 15x faster, but it stops at the first
    error. It generates code from *our* shipped schema only; form data is never part of that
    code. The schema keeps to keywords whose meaning is the same in draft-07 and 2020-12.

    Two ``oneOf`` are restated for speed, with the same meaning: fastjsonschema tries every branch
    of a ``oneOf`` and pays an exception for each that fails. A question's ``choices`` (a choice
    list's name, a string, or a list of choices, an array: never both) becomes an ``anyOf`` that
    tries the list first; a check's "exactly one of when and assert" is left to
    :func:`_one_condition_each`."""
    schema = json.loads(json.dumps(form_schema()))
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    defs = schema["$defs"]
    properties = defs["question"]["properties"]
    if properties["choices"] == {"oneOf": [{"$ref": "#/$defs/id"}, {"$ref": "#/$defs/choices"}]}:
        properties["choices"] = {"anyOf": properties["choices"]["oneOf"][::-1]}
    if defs["check"].get("oneOf") == [{"required": ["when"]}, {"required": ["assert"]}]:
        del defs["check"]["oneOf"]  # checked by _one_condition_each
    return fastjsonschema.compile(schema)  # type: ignore[no-any-return]


def _one_condition_each(data: Any) -> bool:
    """Every check (of the form, of each question) has exactly one of ``when`` and ``assert``;
    ``data`` has passed the rest of the schema."""
    checks = list(data.get("checks", ()))
    for section in data["sections"]:
        for question in section["questions"]:
            checks.extend(question.get("checks", ()))
    return all(("when" in c) != ("assert" in c) for c in checks)


def is_valid(data: Any) -> bool:
    """The fast yes/no of the schema check (used before the full, located report)."""
    try:
        _fast_verdict()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return _one_condition_each(data)


def check_schema(data: Any, diag: Diagnostics, file: str) -> None:
    """Report every place where ``data`` breaks the form schema."""
    if not isinstance(data, LMap):
        loc = getattr(data, "loc", SourceLocation(file, 1, 1))
        diag.fail(loc, "schema", "a form file must be a mapping with form, version, title, sections")
        return
    if is_valid(data):  # the common case: no need for jsonschema's slower full report
        return
    for error in _validator().iter_errors(data):
        _report(error, data, diag)


def suggest(name: object, candidates: Any) -> str:
    """'; did you mean X?' for a near miss among ``candidates``, else ''."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# A printed number as form authors write it: 5, "5", "4—1", "4-1", "４—１", "13—1b".
_PRINTED = re.compile(r"(\d+)((?:_\d+)*)([a-z]?)")
_DASHES = re.compile(r"\s*[—–\-－.·、]\s*")
_WIDE_DIGITS = {0xFF10 + d: 0x30 + d for d in range(10)}


def suggest_target(target: object, ids: Any) -> str:
    """'; did you mean X?' for a jump target that is not a question: a printed number of the
    paper ("go to 5", ``4—1``) suggests the question whose id is that number after a letter prefix
    (``q5``, ``q4_1``, ``i25``); otherwise the near miss among ``ids`` and ``end``."""
    if isinstance(target, bool) or not isinstance(target, (str, int)):
        return ""
    candidates = [str(c) for c in ids]
    key = _DASHES.sub("_", str(target).strip().translate(_WIDE_DIGITS).lower())
    if key == "end" and target != "end":
        return "; did you mean 'end'?"
    if _PRINTED.fullmatch(key):
        tail = re.compile(r"[a-z]+" + re.escape(key))
        for c in candidates:  # form order: the first question numbered so
            if tail.fullmatch(c):
                return f"; did you mean {c!r}?"
    return suggest(key if key != str(target) else target, [*candidates, "end"])


def _locate(root: Any, path: Any) -> tuple[Any, SourceLocation, Any, Any]:
    """Walk ``path`` from ``root``: the value there, its location, its parent, and its key."""
    node, loc, parent, key = root, root.loc, None, None
    for step in path:
        if isinstance(node, (LMap, LList)):
            parent, key = node, step
            loc = node.where(step)
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            break
    return node, loc, parent, key


def _report(error: jsonschema.ValidationError, root: LMap, diag: Diagnostics) -> None:
    node, loc, _parent, _key = _locate(root, error.absolute_path)
    where = _describe(error.absolute_path)
    validator = error.validator
    if validator == "additionalProperties" and isinstance(node, LMap):
        allowed = list(error.schema.get("properties", {}))
        for extra in node:
            if extra not in allowed:
                diag.fail(node.where_key(extra), "schema",
                          f"unknown key {extra!r} in {where}{suggest(extra, allowed)}"
                          + (f" (allowed: {', '.join(allowed)})" if allowed else ""))
        return
    if validator == "required":
        missing = [r for r in error.validator_value if r not in node]
        diag.fail(loc, "schema", f"{where} is missing {', '.join(repr(m) for m in missing)}")
        return
    if validator == "oneOf" and error.schema.get("oneOf") == [{"required": ["when"]},
                                                                {"required": ["assert"]}]:
        diag.fail(loc, "schema", f"{where} needs exactly one of 'when' and 'assert'")
        return
    if validator == "oneOf":
        diag.fail(loc, "schema", f"{where}: must be the name of a choice list or a list of choices")
        return
    if validator == "enum":
        options = [str(o) for o in error.validator_value]
        diag.fail(loc, "schema", f"{where}: {node!r} is not one of {', '.join(options)}"
                  f"{suggest(node, options)}")
        return
    if validator == "pattern":
        diag.fail(loc, "schema", f"{where}: {_short(node)} is not a valid id "
                  "(lower case letter, then lower case letters, digits or '_')")
        return
    if validator == "maxLength" and error.schema == form_schema()["$defs"]["rule"]:
        return  # the rule parser refuses it, before parsing, as rule_too_long: one report
    if validator == "maxLength":
        diag.fail(loc, "schema", f"{where} is too long ({len(node)} characters; "
                  f"at most {error.validator_value})")
        return
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        diag.fail(loc, "schema", f"{where}: expected {expected}, found {_kind(node)}")
        return
    diag.fail(loc, "schema", f"{where}: {_short_message(error.message)}")


def _describe(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "form" + "".join(parts) if parts else "the form"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a text" if isinstance(value, str) else type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _short_message(message: str) -> str:
    return message if len(message) <= 300 else message[:297] + "..."
