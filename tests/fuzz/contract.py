"""The shared contract of the fuzz suite: hostile values, the assertions, the budgets, the registry.

Each property is declared once with :func:`fuzz` (its surface, its strategies, its example count in
the normal ``pytest`` run); ``python -m tests.fuzz`` rebuilds the same properties with larger counts.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json
import math
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, wraps
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ("annex5", "annex6", "annex7")

#: Examples each property runs in the normal pytest run are multiplied by this (``--budget`` raises it).
SCALE = float(os.environ.get("QENGINE_FUZZ_SCALE", "1"))


# -- the registry ----------------------------------------------------------------------------------
@dataclass
class Property:
    surface: str
    name: str
    inner: Callable[..., None]
    strategies: dict[str, st.SearchStrategy[Any]]
    examples: int


PROPERTIES: list[Property] = []
CASES: Counter[str] = Counter()


def build(prop: Property, examples: int, *, derandomize: bool = True) -> Callable[[], None]:
    """The hypothesis test of ``prop`` with ``examples`` examples."""
    surface = prop.surface

    @wraps(prop.inner)
    def counted(**kwargs: Any) -> None:
        CASES[surface] += 1
        prop.inner(**kwargs)

    return settings(max_examples=max(1, examples), deadline=None, derandomize=derandomize,
                    database=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))(given(**prop.strategies)(counted))


def fuzz(surface: str, examples: int, **strategies: st.SearchStrategy[Any]
         ) -> Callable[[Callable[..., None]], Callable[[], None]]:
    """Declare a property of ``surface``; the pytest test runs ``examples`` (times SCALE) examples."""
    def decorate(inner: Callable[..., None]) -> Callable[[], None]:
        prop = Property(surface, inner.__name__, inner, strategies, examples)
        PROPERTIES.append(prop)
        return build(prop, int(examples * SCALE))
    return decorate


# -- hostile values --------------------------------------------------------------------------------
class HostileError(Exception):
    """What the hostile objects raise: never a qengine error, so escaping it breaks the contract."""


class Hostile:
    """An object every dunder of which raises."""

    def _boom(self, *args: Any, **kwargs: Any) -> Any:
        raise HostileError("hostile dunder")

    __repr__ = __str__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _boom
    __bool__ = __len__ = __iter__ = __index__ = __int__ = __float__ = __format__ = _boom
    __hash__ = _boom  # type: ignore[assignment]


class HostileStr(str):
    """A str whose methods and comparisons raise (a subclass: passes isinstance(x, str))."""

    def _boom(self, *args: Any, **kwargs: Any) -> Any:
        raise HostileError("hostile str")

    __eq__ = __ne__ = __hash__ = __repr__ = __iter__ = __len__ = strip = _boom  # type: ignore
    isdigit = isascii = replace = translate = split = lower = upper = encode = _boom


class HostileInt(int):
    """An int subclass whose repr, str and comparisons raise."""

    def _boom(self, *args: Any, **kwargs: Any) -> Any:
        raise HostileError("hostile int")

    __repr__ = __str__ = __eq__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _boom  # type: ignore
    __format__ = __index__ = __float__ = _boom


def nested_list(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_dict(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


HUGE_TEXT = "字" * 1_000_000
#: The values every surface is fed, besides what hypothesis makes up.
HOSTILE_VALUES: list[Any] = [
    10**400, 10**5000, -10**400, 10**15 + 1, -(10**15) - 1, 2**63, 2**64 + 1,
    math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 1e16, 0.1 + 0.2,
    decimal.Decimal("NaN"), decimal.Decimal("sNaN"), decimal.Decimal("1E+1000000"),
    decimal.Decimal("-1E+1000000"), decimal.Decimal("Infinity"), decimal.Decimal("1E-1000000"),
    decimal.Decimal("2.50"), Fraction(1, 3), 1j, True, False, None, ...,
    "\ud800", "a\udfffb", "\x00", "\ufeff1", "１２３", "١٢٣", "²", "Ⅻ", "⑳", "①" * 1000, "1e999",
    "1e999999", "9" * 5000, "-" + "9" * 5000, "NaN", "nan", "Infinity", "-0", "0x10", "1_000",
    "1" + "0" * 39, "1,,,2", "", " ", "\t\n", HUGE_TEXT, "x" * 10_001,
    nested_list(5000), nested_list(5000, "a"), [math.nan], [10**400], [1, 1], [True], [None],
    [[1]], [1.5], ["①"], list(range(10_000)), (1, 2), {1, 2}, frozenset({1}), {"a": 1}, {1: 2},
    {(1, 2): 3}, {None: 1}, b"\xff\xfe", bytearray(b"1"), memoryview(b"1"),
    dt.date.max, dt.date.min, dt.datetime(1, 1, 1), dt.time(1), dt.timedelta(days=1),
    Hostile(), HostileStr("1"), HostileInt(1), [Hostile()], {"k": Hostile()}, object(), int, len,
]


_BIG = (10**15, 10**15 + 1, -(10**15), 10**400, 10**5000, -(10**400))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(10**20), 10**20),
    st.integers(0, len(_BIG) - 1).map(_BIG.__getitem__),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True), st.fractions(),
    st.text(max_size=30), st.text(alphabet=st.characters(codec=None), max_size=10),
    st.sampled_from(["\ud800", "①②", "１２", "是", "否", "Yes", "2020-02-30", "2020-01-01",
                     "430122196203142019", "43012219620314201x", "1,234.5", "1e3", "-1", " 1 "]),
    st.binary(max_size=10), st.dates(), st.datetimes(),
)
class Box:
    """A hostile value, wrapped so that hypothesis can print it (repr of 10**5000 raises)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        try:
            text = repr(self.value)
        except Exception:
            return f"<a {type(self.value).__name__} whose repr raises>"
        return text if len(text) <= 300 else f"{text[:300]}... ({len(text)} chars)"


#: Any hostile value, boxed (``.value``): one of the fixed list, or one made up (nested lists, dicts).
hostile = st.one_of(
    st.integers(0, len(HOSTILE_VALUES) - 1).map(lambda i: HOSTILE_VALUES[i]),
    st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.none()), inner,
                        max_size=3)), max_leaves=8),
).map(Box)


# -- the contract ----------------------------------------------------------------------------------
def escapes_only_qengine_errors(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """Run ``call``; return (result, None) or (None, the QengineError it raised); anything else fails."""
    try:
        return call(), None
    except qengine.QengineError as exc:
        assert str(exc) is not None  # an error must at least print
        return None, exc
    except HostileError:
        raise
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__} escaped (not a QengineError): {exc!s:.300}"
                             ) from exc


def snapshot_round_trips(form: Any, iv: Any) -> None:
    """The snapshot is strict JSON and resumes to the same state."""
    snap = iv.snapshot()
    text = json.dumps(snap, allow_nan=False)
    again = form.resume(json.loads(text))
    assert again.state == iv.state


def mutate(value: Any) -> None:
    """Scribble over a returned value in place (dicts, lists, nested), to catch aliasing."""
    if isinstance(value, dict):
        for k in list(value):
            mutate(value[k])
            value[k] = "MUTATED"
        value["__mutated__"] = [1]
    elif isinstance(value, list):
        for item in value:
            mutate(item)
        value.append("MUTATED")
        value[:1] = ["MUTATED"]


def handouts_do_not_alias(iv: Any) -> None:
    """Mutating what an interview hands out leaves the interview as it was."""
    before, snap_before = iv.state, iv.snapshot()
    answers_before, kept_before = copy.deepcopy(iv.answers), copy.deepcopy(iv.kept)
    for handed in (iv.snapshot(), iv.kept, iv.answers, dict(iv.state.answers),
                   iv.suggested() if isinstance(iv.suggested(), list) else None):
        mutate(handed)
    assert iv.state == before
    assert iv.snapshot() == snap_before
    assert iv.answers == answers_before and iv.kept == kept_before


# -- bounded subprocesses --------------------------------------------------------------------------
BOUND_SECONDS = 10.0
BOUND_MEMORY = 1536 * 2**20

_PRELUDE = """
import decimal, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({mem}, {mem}))
import qengine
def nested(depth, leaf=1):
    for _ in range(depth):
        leaf = [leaf]
    return leaf
def contract(call):
    try:
        call()
    except qengine.QengineError as exc:
        str(exc)
"""


def run_bounded(code: str, *, seconds: float = BOUND_SECONDS, memory: int = BOUND_MEMORY,
                stdin: bytes | None = None) -> str:
    """Run ``code`` (after a prelude defining ``contract(call)``) in a fresh interpreter with at most
    ``memory`` bytes of address space; fail on a timeout, a crash or an escaped exception."""
    source = _PRELUDE.format(mem=memory) + textwrap.dedent(code)
    try:
        done = subprocess.run([sys.executable, "-c", source], input=stdin, capture_output=True,
                              timeout=seconds, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"exceeded the bound of {seconds:.0f} s") from None
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, f"exit {done.returncode}:\n{err[-1500:]}"
    return done.stdout.decode("utf-8", "replace")


# -- shared forms ----------------------------------------------------------------------------------
@cache
def bundled(name: str) -> Any:
    return qengine.load(name)


def small_form(*, jump: str = "q1 == 1", check: str = "q2 > 0", extra_checks: str = "") -> str:
    """A small form with one jump rule and one check rule (each a YAML double-quoted scalar)."""
    return textwrap.dedent("""\
        form: t
        version: "1"
        title: {zh: 测试, en: Test}
        params:
          a: 1
        choice_lists:
          yesno:
            - {code: 1, label: {zh: 是, en: "Yes"}}
            - {code: 2, label: {zh: 否, en: "No"}}
        sections:
          - id: main
            questions:
              - id: q1
                label: {zh: 一, en: One}
                type: single
                choices: yesno
                jumps:
                  - {when: %s, to: q3}
              - {id: q2, label: {zh: 二, en: Two}, type: integer}
              - {id: q3, label: {zh: 三, en: Three}, type: multiple, choices: yesno}
        checks:
          - {id: c1, severity: error, assert: %s, message: {zh: 错, en: Bad}}
        """) % (json.dumps(jump), json.dumps(check)) + extra_checks


# -- findings not yet fixed in src/ ----------------------------------------------------------------
#: Each finding of this suite that src/ does not fix yet: its name and what it is. The properties
#: step around these inputs (so CI stays green on everything else) and one test per finding
#: reproduces the minimal input under ``xfail(strict=True)``: the day it is fixed, that test fails
#: and says so, and the line here and the ``known_bug`` call go.
KNOWN_BUGS: dict[str, str] = {}  # none open: the five findings of issue 14 are fixed
INCLUDE_KNOWN = os.environ.get("QENGINE_FUZZ_INCLUDE_KNOWN") == "1"


def known_bug(name: str, applies: bool) -> None:
    """Step around an input that hits the known, unfixed finding ``name``."""
    from hypothesis import assume

    assert name in KNOWN_BUGS
    if not INCLUDE_KNOWN:
        assume(not applies)
