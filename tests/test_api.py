"""The public surface."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import qengine

SRC = Path(qengine.__file__).resolve().parent


def test_all_is_explicit_and_complete() -> None:
    """Every name in __all__ exists, and every public top-level name is listed."""
    for name in qengine.__all__:
        assert hasattr(qengine, name), name
    public = {n for n in vars(qengine) if not n.startswith("_") and not isinstance(
        getattr(qengine, n), type(sys))}
    assert public <= set(qengine.__all__) | {"annotations"}


def test_every_error_is_a_qengine_error() -> None:
    """All exception types share the QengineError base."""
    for name in ("FormError", "AnswerError", "SubmitError", "SnapshotError", "ParamError",
                 "UnknownQuestionError"):
        assert issubclass(getattr(qengine, name), qengine.QengineError)


#: the one module allowed to compile and run source: the audited code generator
AUDITED = SRC / "runtime" / "codegen.py"


def test_no_eval_or_exec_in_the_library() -> None:
    """No call to eval, exec or compile anywhere in src/qengine but the audited code generator,
    which calls compile and exec once each (and never eval)."""
    for module in SRC.rglob("*.py"):
        calls = [node.func.id for node in ast.walk(ast.parse(module.read_text("utf-8")))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id in ("eval", "exec", "compile", "__import__")]
        if module == AUDITED:
            assert sorted(calls) == ["compile", "exec"], calls
        else:
            assert not calls, module


def test_modules_stay_small() -> None:
    """Modules stay under about 800 lines (STYLE.md)."""
    for module in SRC.rglob("*.py"):
        assert len(module.read_text("utf-8").splitlines()) < 800, module


def test_bundled_forms_are_listed() -> None:
    """qengine.forms() lists the bundled forms with titles and versions."""
    listed = {f["name"]: f for f in qengine.forms()}
    assert set(listed) >= {"annex5", "annex6", "annex7"}
    assert listed["annex6"]["version"] and listed["annex6"]["title"]


def test_load_unknown_name_is_a_form_error() -> None:
    """A name that is neither a file nor a bundled form is a clear FormError."""
    try:
        qengine.load("annex66")
    except qengine.FormError as exc:
        assert exc.problems[0].code in ("unknown_form", "file")
        assert "annex6" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no error")


def test_pytest_plugin_does_not_need_hypothesis() -> None:
    """The plugin pytest loads in every run imports nothing from hypothesis at import time."""
    code = ("import sys, builtins\n"
            "real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name.split('.')[0] == 'hypothesis':\n"
            "        raise ImportError('no hypothesis here')\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            "import qengine.pytest_plugin\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_arguments_are_library_errors() -> None:
    """A non-path to load/lint and an unknown id to question() raise qengine's own errors."""
    import pytest

    with pytest.raises(qengine.FormError):
        qengine.load(123)  # type: ignore[arg-type]
    assert [p.code for p in qengine.lint(None)] == ["file"]  # type: ignore[arg-type]
    form = qengine.load("annex7")
    for bad in ("zz", None, ["q1"]):
        with pytest.raises(qengine.UnknownQuestionError) as info:
            form.question(bad)  # type: ignore[arg-type]
        assert isinstance(info.value, KeyError)
