"""The standard properties every form must have, runnable on any form in a few lines.

    from qengine.testing import check_form
    def test_my_form():
        check_form("forms/my_form.yaml")
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qengine.compiler.pipeline import load
from qengine.errors import AnswerError, SubmitError
from qengine.runtime.form import Form
from qengine.testing.scenarios import InterviewScript, interviews, invalid_records
from qengine.testing.strategies import records

PROPERTIES = ("records_validate", "path_is_interview", "never_asks_skipped", "scripts_submit",
              "errors_block_submit", "invalid_records_detected", "validate_never_raises")


def interview_path(form: Form, record: dict[str, Any]) -> list[str]:
    """The ids an interview asks, in order, when fed the answers of ``record``."""
    iv = form.start()
    asked = []
    while not iv.finished:
        q = iv.current
        assert q is not None
        asked.append(q.id)
        iv.answer(record.get(q.id))
    return asked


def _records_validate(form: Form, s: Any) -> Callable[[], None]:
    @s
    @given(records(form))
    def prop(record: dict[str, Any]) -> None:
        report = form.validate(record)
        assert report.ok, f"a generated record fails validation: {report.errors}"

    return prop


def _path_is_interview(form: Form, s: Any) -> Callable[[], None]:
    @s
    @given(records(form, valid=False))
    def prop(record: dict[str, Any]) -> None:
        assert form.path(record) == interview_path(form, record)

    return prop


def _never_asks_skipped(form: Form, s: Any) -> Callable[[], None]:
    @s
    @given(records(form, valid=False))
    def prop(record: dict[str, Any]) -> None:
        asked = set(form.path(record))
        iv = form.start()
        while not iv.finished:
            q = iv.current
            assert q is not None and q.id in asked, f"the interview asks skipped {q}"
            iv.answer(record.get(q.id))

    return prop


def _scripts_submit(form: Form, s: Any) -> Callable[[], None]:
    @s
    @given(interviews(form))
    def prop(script: InterviewScript) -> None:
        iv = script.run(form)
        submitted = iv.submit()
        assert {k: v for k, v in submitted.items() if not form.question(k).computed} == \
            script.record
        again = form.resume(iv.snapshot())
        assert again.state == iv.state

    return prop


def _errors_block_submit(form: Form, s: Any) -> Callable[[], None]:
    @s
    @given(records(form, valid=False))
    def prop(record: dict[str, Any]) -> None:
        iv = form.start()
        while not iv.finished:
            iv.answer(record.get(iv.current.id))  # type: ignore[union-attr]
        errors = form.validate(iv.answers).errors
        try:
            iv.submit()
        except SubmitError as exc:
            assert errors and list(exc.violations) == [v for v in iv.violations
                                                       if v.severity == "error"]
        else:
            assert not errors, "submit() let an error through"

    return prop


def _invalid_records_detected(form: Form, s: Any) -> Callable[[], None]:
    @s
    @given(invalid_records(form))
    def prop(case: Any) -> None:
        report = form.validate(case.record)
        assert case.matches(report), (case.kind, case.rule, case.questions, report.errors)

    return prop


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)


def _validate_never_raises(form: Form, s: Any) -> Callable[[], None]:
    ids = [q.id for q in form.questions]

    @s
    @given(st.one_of(_JSON, st.dictionaries(st.sampled_from(ids), _JSON, max_size=10)))
    def prop(record: Any) -> None:
        form.validate(record)
        iv = form.start()
        with contextlib.suppress(AnswerError):
            iv.answer(record)

    return prop


_BUILDERS = {"records_validate": _records_validate, "path_is_interview": _path_is_interview,
             "never_asks_skipped": _never_asks_skipped, "scripts_submit": _scripts_submit,
             "errors_block_submit": _errors_block_submit,
             "invalid_records_detected": _invalid_records_detected,
             "validate_never_raises": _validate_never_raises}


def check_form(form: Form | str | os.PathLike[str], *, max_examples: int = 50,
               properties: tuple[str, ...] = PROPERTIES) -> None:
    """Run the standard properties on a form (a Form, a bundled name or a YAML path).

    Raises the first counter-example hypothesis finds, shrunk. ``properties`` selects some of
    :data:`PROPERTIES`.
    """
    if not isinstance(form, Form):
        form = load(form)
    if not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError("max_examples must be a positive whole number")
    unknown = set(properties) - set(PROPERTIES)
    if unknown:
        raise ValueError(f"unknown properties {sorted(unknown)}; choose from {PROPERTIES}")
    s = settings(max_examples=max_examples, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    for name in properties:
        _BUILDERS[name](form, s)()
