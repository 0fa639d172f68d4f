"""The qengine pytest plugin, registered by the ``pytest11`` entry point.

It adds the ``--qengine-examples`` option and the ``qengine_check`` fixture::

    def test_my_form(qengine_check):
        qengine_check("forms/my_form.yaml")

It lives outside ``qengine.testing`` on purpose: pytest imports it in every run where qengine is
installed, and nothing here imports hypothesis until the fixture is used, so installing qengine
without its test extra never breaks a test run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qengine")
    group.addoption("--qengine-examples", type=int, default=50, metavar="N",
                    help="hypothesis examples per standard form property (default 50)")


@pytest.fixture
def qengine_check(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Run qengine's standard form properties on a form (a path, a bundled name or a Form)."""
    from .testing.properties import check_form

    examples = request.config.getoption("--qengine-examples")

    def run(form: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_examples", examples)
        check_form(form, **kwargs)

    return run
