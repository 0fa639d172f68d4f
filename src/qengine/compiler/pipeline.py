"""The whole pipeline in one place: file → located data → schema → model → types → machine → form.

``load`` is what users call; :func:`qengine.analysis.lint.lint` runs the same stages and returns
the problems instead of raising them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from qengine.compiler import cache as machine_cache
from qengine.compiler.files import decode_text, read_bytes
from qengine.errors import Diagnostics, FormError, Problem, sorted_problems
from qengine.location import SourceLocation, caret_excerpt
from qengine.runtime.form import Form

if TYPE_CHECKING:
    from qengine.compiler.model import FormDef

# Package data: in a source checkout this folder is a link to the top-level forms/ folder.
BUNDLED_DIR = Path(__file__).parent.parent / "bundled"


def bundled_forms() -> list[str]:
    """The names of the forms that ship with qengine (``annex5``, ``annex6``, ``annex7``)."""
    if not BUNDLED_DIR.is_dir():  # pragma: no cover - a broken install
        return []
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))


def _bundled_path(name: str) -> str | None:
    if name not in bundled_forms():
        return None
    return str(BUNDLED_DIR / f"{name}.yaml")


@attrs.frozen(slots=True)
class Compiled:
    """What the stages made of one form file: its definition (for the linter's analysis), its
    machine and form (None on errors), and every problem found."""

    definition: FormDef | None
    machine: dict[str, Any] | None
    form: Form | None
    problems: list[Problem]


def compile_source(text: str, file: str = "<string>") -> Compiled:
    """Run every stage on YAML ``text``."""
    # The stages are imported here, not above: a load answered by the machine cache needs none of
    # them, nor yaml, lark or jsonschema.
    from qengine.compiler.loader import LMap, parse_yaml
    from qengine.compiler.lower import lower_definition
    from qengine.compiler.model import build_definition
    from qengine.compiler.schema import check_schema
    from qengine.compiler.typecheck import check_types

    # The source lines (for the caret under each problem) are split only when there are problems.
    diag = Diagnostics(file)
    data = parse_yaml(text, file, diag)
    if data is None and not diag.has_errors:
        diag.fail(SourceLocation(file, 1, 1), "schema", "the form file is empty")
    if data is None or diag.has_errors:
        return Compiled(None, None, None, _located(diag.problems, text))
    check_schema(data, diag, file)
    if not isinstance(data, LMap):  # the schema check reported what it is instead
        return Compiled(None, None, None, _located(diag.problems, text))
    definition = build_definition(data, diag, file)
    types = check_types(definition, diag)
    # Lowering also checks jump targets; it returns None when any problem so far is an error.
    machine = lower_definition(definition, types, diag, file)
    form = Form(machine) if machine is not None else None
    return Compiled(definition, machine, form, _located(diag.problems, text))


def _located(problems: list[Problem], text: str) -> list[Problem]:
    """The problems in order, each with its source line and caret (as ``Diagnostics(file, text)``
    would have given them)."""
    if not problems:
        return []
    lines = text.splitlines()
    return sorted_problems(Problem(p.location, p.code, p.message, p.severity,
                                   caret_excerpt(lines, p.location)) for p in problems)


def compile_text(text: str, file: str = "<string>") -> tuple[Form | None, list[Problem]]:
    """Run every stage on YAML ``text``; the form (None on errors) and all problems found."""
    compiled = compile_source(text, file)
    return compiled.form, compiled.problems


def load_machine_text(text: str, file: str) -> Form:
    """A form from the text of a machine file (JSON); :class:`FormError` for a bad one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise FormError([Problem(SourceLocation(file, 1, 1), "machine",
                                 f"not a JSON machine file: {why}")]) from None
    return Form.from_json(data, file, parsed=True)


def resolve_source(source: str | os.PathLike[str]) -> str:
    """A bundled form's name, or a path, as the path of a YAML file."""
    if not isinstance(source, (str, os.PathLike)):
        problem = Problem(SourceLocation(repr(source), 0, 0), "file",
                          f"expected a bundled form name or a path, got {type(source).__name__}")
        raise FormError([problem])
    text = os.fspath(source)
    if not os.path.exists(text):
        bundled = _bundled_path(text)
        if bundled is not None:
            return bundled
    return text


def unknown_form(path: str, diag: Diagnostics) -> bool:
    """Report a name that is neither a file nor a bundled form (True when reported)."""
    if os.path.exists(path) or os.sep in path or path.endswith((".yaml", ".yml", ".json")):
        return False
    names = ", ".join(bundled_forms()) or "none"
    diag.fail(SourceLocation(path, 0, 0), "unknown_form",
              f"no form file and no bundled form named {path!r} (bundled: {names})")
    return True


def load(source: str | os.PathLike[str], cache: bool = True) -> Form:
    """Load and compile a form: a bundled form by name (``"annex6"``), a path to a YAML file, or
    a path to a machine file (``.json``, as ``qengine export --format machine`` writes).

    The machine compiled from a YAML file is cached beside it, keyed by the file's content hash
    (:mod:`qengine.compiler.cache`); ``cache=False``, or ``QENGINE_NO_CACHE=1`` in the
    environment, compiles afresh and leaves the cache alone.

    Raises :class:`FormError` listing every problem found, each located to file:line:column.
    """
    path = resolve_source(source)
    diag = Diagnostics(path)
    if unknown_form(path, diag):
        raise FormError(diag.problems)
    data = read_bytes(path, diag)
    text = decode_text(data, path, diag) if data is not None else None
    if data is None or text is None:
        raise FormError(diag.problems)
    if path.endswith(".json"):
        return load_machine_text(text, path)
    use_cache = machine_cache.enabled(cache)
    digest = ""
    if use_cache:
        digest = machine_cache.content_hash(data)
        cached = machine_cache.load_cached(path, digest)
        if cached is not None:
            return cached
    compiled = compile_source(text, path)
    if compiled.form is None:
        raise FormError(compiled.problems)
    if use_cache and compiled.machine is not None:
        machine_cache.store(path, digest, compiled.machine)
    return compiled.form


def load_text(text: str, file: str = "<string>") -> Form:
    """Compile a form from YAML text (handy in tests); :class:`FormError` on problems."""
    form, problems = compile_text(text, file)
    if form is None:
        raise FormError(problems)
    return form


def list_forms() -> list[dict[str, Any]]:
    """The bundled forms: name, id, version and titles of each."""
    out = []
    for name in bundled_forms():
        form = load(name)
        out.append({"name": name, "id": form.id, "version": form.version,
                    "title": form.title, "titles": dict(form.titles)})
    return out


