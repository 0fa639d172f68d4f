"""The rule language's XPath functions: if, round, int, number, substr and mod.

Typing (each problem located where it is), evaluation (blanks and edge cases, to the bit), the
machine checker's view of the new ops, and the generated validators agreeing with the closures.
"""

from __future__ import annotations

import copy
import math
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qengine
from qengine.runtime.evaluate import (
    Evaluator,
    fn_int,
    fn_mod,
    fn_number,
    fn_round,
    fn_substr,
)
from tests.conftest import form_yaml, problems_of

QUESTIONS = """\
- {id: x, label: X, type: number, required: false}
- {id: y, label: Y, type: number, required: false}
- {id: t, label: T, type: text, required: false}
- {id: k, label: K, type: single, required: false, choices: yesno}
- {id: m, label: M, type: multiple, required: false, choices: yesno}
- {id: dt, label: D, type: date, required: false}
"""


def with_questions(more: str, **kwargs: str) -> str:
    """The form of :data:`QUESTIONS` and ``more`` (an indented block of questions)."""
    return form_yaml(QUESTIONS + textwrap.dedent(more), **kwargs)


def located(rule: str) -> list[tuple[str, int]]:
    """(code, column in the rule, 1-based) of every error of a check ``when: '<rule>'``."""
    text = form_yaml(QUESTIONS, checks=f"- {{id: c, severity: error, when: '{rule}', message: m}}\n")
    line = text.splitlines()[-1]
    start = line.index("'") + 2  # the column of the rule's first character
    return [(p.code, p.location.column - start + 1) for p in problems_of(text) if p.severity == "error"]


# -- typing -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("rule", "want"), [
    ("if(x, 1, 2) > 0", [("type_mismatch", 4)]),            # the condition is a number
    ("if(x > 1, 1, t) > 0", [("type_mismatch", 1)]),       # branches of two types: at the call
    ("if(x > 1, x > 2, x > 3)", [("type_mismatch", 13)]),  # a condition is no branch
    ("if(x > 1, m, m) == 1", [("type_mismatch", 11)]),     # nor a multiple choice
    ("if(x > 1, 1) > 0", [("bad_arguments", 1)]),
    ("if(x > 1, k, 3) == ①", [("unknown_code", 14)]),     # 3 is no code of k
    ("if(x > 1, k, ③) == ①", [("unknown_code", 14)]),
    ('if(x > 1, dt, "2020-13-01") == dt', [("type_mismatch", 1)]),
    ("round(t) > 1", [("type_mismatch", 7)]),
    ("round(x, 16) > 1", [("bad_arguments", 10)]),
    ("round(x, 1.5) > 1", [("bad_arguments", 10)]),
    ("round(x, -1) > 1", [("bad_arguments", 10)]),
    ("round(x, 1, 2) > 1", [("bad_arguments", 1)]),
    ("int(k) > 1", [("type_mismatch", 5)]),
    ("int() > 1", [("bad_arguments", 1)]),
    ("number(dt) > 1", [("type_mismatch", 8)]),
    ("number(m) > 1", [("type_mismatch", 8)]),
    ("substr(x, 1) == t", [("type_mismatch", 8)]),
    ('substr(t, "1") == t', [("type_mismatch", 11)]),
    ("substr(t) == t", [("bad_arguments", 1)]),
    ("substr(t, 1) > 1", [("type_mismatch", 14)]),          # a text compared with a number
    ("mod(x) > 1", [("bad_arguments", 1)]),
    ("mod(x, k) > 1", [("type_mismatch", 8)]),
    ("iff(x > 1, 1, 2) > 1", [("unknown_function", 1)]),
])
def test_typing_errors_are_located(rule: str, want: list[tuple[str, int]]) -> None:
    """Each misuse is reported with its code at the argument (or the call) at fault."""
    assert located(rule) == want


@pytest.mark.parametrize("rule", [
    "if(x > 1, x, y) > 0", 'if(answered(t), t, "none") == "a"', "if(k == ①, k, ②) == ①",
    "if(answered(k), k, 2) == ②", 'if(answered(dt), dt, "2020-01-01") < "2021-01-01"',
    "round(x) + round(x, 2) + round(x, y) > 0", "int(x / 3) == 1", "number(t) + number(k) > 0",
    "number(x) > 1", 'substr(t, 0, 2) == "ab"', "len(substr(t, x)) > 1", "mod(x, 2) == 1",
    "if(x > 1, mod(int(x), 3), round(y, 1)) > 0",
])
def test_well_typed_rules_compile(rule: str) -> None:
    """The functions in their intended uses type-check without a problem."""
    assert located(rule) == []


def test_an_unknown_function_lists_the_new_ones() -> None:
    """The message for an unknown function names every function, the six new ones too."""
    text = form_yaml(QUESTIONS, checks="- {id: c, severity: error, when: 'rnd(x) > 1', message: m}\n")
    [p] = problems_of(text)
    assert "did you mean 'round'" in p.message and "substr, mod" in p.message


def test_if_branches_lower_to_one_type() -> None:
    """A code written as a number beside a choice code becomes a code literal; an ISO date text
    beside a date is typed date: the machine's if node has two branches of its own type."""
    form = qengine.load_text(with_questions("""\
        - {id: kk, label: KK, type: computed, value: "if(answered(k), k, 2)"}
        - {id: dd, label: DD, type: computed, value: 'if(answered(dt), dt, "2020-01-01")'}
        """), "t.yaml")
    values = {c["question"]: c["value"] for c in form.to_json()["computed"]}
    assert values["kk"]["type"] == "code" and values["kk"]["args"][2]["op"] == "code"
    assert values["dd"]["type"] == "date" and values["dd"]["args"][2]["type"] == "date"
    assert form.validate({}).record["kk"] == 2
    assert form.validate({"k": 1}).record["kk"] == 1


# -- evaluation -------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "want"), [
    ((2.5,), 3), ((-2.5,), -2), ((2.4999,), 2), ((-0.4,), 0), ((7,), 7), ((0.49999999999999994,), 1),
    ((1.005, 2), 1.0), ((2.675, 2), 2.68), ((-1.25, 1), -1.2), ((3, 2), 3.0), ((1234.5678, 0), 1235),
    ((2.5, 2.0), 2.5), ((1, 15), 1.0), ((1e300, 15), None), ((1, 16), None), ((1, -1), None),
    ((1, 0.5), None), ((None,), None), ((1.5, None), None),
])
def test_round(args: tuple[Any, ...], want: Any) -> None:
    """Half up, in doubles step by step; bad decimals and blanks give no value."""
    assert fn_round(*args) == want


@pytest.mark.parametrize(("x", "want"), [
    (3.7, 3), (-3.7, -3), (0.2, 0), (-0.2, 0), (12, 12), (1e20, 1e20), (None, None)])
def test_int(x: Any, want: Any) -> None:
    """Truncation toward zero."""
    assert fn_int(x) == want


@pytest.mark.parametrize(("x", "want"), [
    ("12", 12), (" -12.5\t", -12.5), ("+0.25", 0.25), ("007", 7), ("\n3\r", 3), ("-0", 0),
    ("9007199254740993", 9007199254740992.0), ("1" * 400, None), ("1" * 5000, None),
    ("0." + "0" * 400 + "1", 0.0), ("1e3", None), (".5", None), ("5.", None), ("1,000", None),
    ("", None), (" ", None), ("--1", None), ("１２", None), ("١٢", None), ("12\u3000", None),
    ("0x10", None), ("inf", None), ("nan", None), (5, 5), (2.5, 2.5), (None, None),
])
def test_number(x: Any, want: Any) -> None:
    """Only a plain decimal text is a number; a number is itself."""
    got = fn_number(x)
    assert got == want and (got is None) == (want is None)


@pytest.mark.parametrize(("args", "want"), [
    (("abcdef", 1, 3), "bc"), (("abcdef", 2), "cdef"), (("abc", -5, 2), "ab"), (("abc", 1, 99), "bc"),
    (("abc", 2, 1), ""), (("abc", 3), ""), (("abc", 1.9, 2.9), "b"), (("abc", -0.5, 1), "a"),
    (("a𠀀b", 1, 2), "𠀀"), (("三组户", 1), "组户"), ((None, 1), None), (("abc", None), None),
    (("abc", 0, None), None),
])
def test_substr(args: tuple[Any, ...], want: Any) -> None:
    """0-based, end exclusive, code points, indices truncated and clamped."""
    assert fn_substr(*args) == want


@pytest.mark.parametrize(("a", "b", "want"), [
    (7, 3, 1), (-7, 3, -1), (7, -3, 1), (-7, -3, -1), (7.5, 2, 1.5), (-7.5, 2, -1.5), (6, 3, 0),
    (0.3, 0.1, math.fmod(0.3, 0.1)), (5, 0, None), (5, 0.0, None), (None, 2, None), (2, None, None),
])
def test_mod(a: Any, b: Any, want: Any) -> None:
    """The sign of a, as C's fmod; by zero no value."""
    assert fn_mod(a, b) == want


def test_if_evaluates_only_the_branch_chosen() -> None:
    """The branch not taken is never run (here it would look up an undefined computed value)."""
    def lit(v: int) -> dict[str, Any]:
        return {"op": "num", "value": v, "type": "num", "at": [1, 1]}

    def cond(hold: bool) -> dict[str, Any]:
        return {"op": "lt" if hold else "gt", "type": "bool", "at": [1, 1], "args": [lit(1), lit(2)]}

    missing = {"op": "computed", "id": "nowhere", "type": "num", "at": [1, 1]}
    ev = Evaluator({})
    yes = ev.expr({"op": "if", "type": "num", "at": [1, 1], "args": [cond(True), lit(5), missing]})
    no = ev.expr({"op": "if", "type": "num", "at": [1, 1], "args": [cond(False), missing, lit(6)]})
    assert yes({}) == 5 and no({}) == 6


# -- the machine ------------------------------------------------------------------------------
def test_the_machine_checker_refuses_ill_typed_new_ops() -> None:
    """An if whose branch is not of its type, and a substr of a number, are machine errors."""
    form = qengine.load_text(with_questions("""\
        - {id: f, label: F, type: computed, value: "if(x > 1, x, y)"}
        - {id: s, label: S, type: computed, value: "substr(t, 1)"}
        """), "t.yaml")
    good = form.to_json()
    qengine.Form.from_json(good)  # the compiler's machine is accepted
    bad = copy.deepcopy(good)
    values = {c["question"]: c["value"] for c in bad["computed"]}
    values["f"]["args"][2] = {"op": "text", "value": "a", "type": "text", "at": [1, 1]}
    values["s"]["args"][0] = {"op": "num", "value": 1, "type": "num", "at": [1, 1]}
    with pytest.raises(qengine.FormError) as info:
        qengine.Form.from_json(bad)
    text = str(info.value)
    assert "if takes a bool and two branches" in text and "substr takes a text" in text


# -- generated validators agree with the closures ------------------------------------------------
FUNCTIONS_FORM = with_questions("""\
    - {id: r0, label: R, type: computed, value: round(x)}
    - {id: r2, label: R, type: computed, value: "round(x, 2)"}
    - {id: ry, label: R, type: computed, value: "round(x, y)"}
    - {id: i, label: I, type: computed, value: int(x)}
    - {id: nt, label: N, type: computed, value: number(t)}
    - {id: nk, label: N, type: computed, value: number(k)}
    - {id: s2, label: S, type: computed, value: "substr(t, 1, 3)"}
    - {id: sy, label: S, type: computed, value: "substr(t, y)"}
    - {id: md, label: M, type: computed, value: "mod(x, y)"}
    - {id: fx, label: F, type: computed, value: "if(x > y, x - y, round(y - x, 1))"}
    - {id: fk, label: F, type: computed, value: "if(answered(k), k, 2)"}
    - {id: fd, label: F, type: computed, value: 'if(answered(dt), dt, "2020-01-01")'}
    - {id: ft, label: F, type: computed, value: 'if(len(t) > 3, substr(t, 0, 3), "short")'}
    """, checks="""\
    - {id: odd, severity: warning, when: "mod(int(x), 2) == 1 and fk == ①", message: odd}
    - {id: big, severity: error, when: "round(x, 1) + mod(y, 3) > 100", message: big}
    - {id: num, severity: warning, when: 'number(t) > 10 or substr(t, 0, 1) == "a"', message: n}
    - {id: early, severity: warning, when: 'fd < "2020-06-01" and ft != "short"', message: e}
    """)

NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False),
                    st.sampled_from([0, 0.5, -0.5, 2.5, 1.005, 2.675, 1e15, -1e15, 0.1, 3]))
TEXTS = st.one_of(st.text(max_size=8), st.sampled_from([
    "12", " -3.5 ", "+0.25", "1e3", ".5", "abc", "a𠀀b", "三组户人家", "", "１２"]))


@pytest.fixture(scope="module")
def functions_form() -> qengine.Form:
    form = qengine.load_text(FUNCTIONS_FORM, "functions.yaml")
    assert form.prepare(), form.declined
    assert form.engine == "generated"
    return form


def test_the_generated_source_calls_the_shared_functions(functions_form: qengine.Form) -> None:
    """The new ops are written out (not left to the interpreter), through the shared helpers."""
    from qengine.runtime import codegen

    source = codegen.source_of(functions_form, functions_form.to_json())
    for helper in ("h_round(", "h_int(", "h_number(", "h_substr(", "h_mod(", " if "):
        assert helper in source, helper


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.one_of(st.none(), NUMBERS), y=st.one_of(st.none(), NUMBERS, st.integers(-2, 17)),
       t=st.one_of(st.none(), TEXTS), k=st.sampled_from([None, 1, 2]),
       dt=st.sampled_from([None, "2019-12-31", "2020-07-01"]))
def test_generated_equals_interpreter(functions_form: qengine.Form, x: Any, y: Any, t: Any,
                                      k: Any, dt: Any) -> None:
    """Same violations, path and canonical record (types included) both ways."""
    record = {key: v for key, v in {"x": x, "y": y, "t": t, "k": k, "dt": dt}.items()
              if v is not None}
    generated = functions_form.validate(record)
    oracle = functions_form.interpret(record)
    assert [v.to_dict() for v in generated.violations] == [v.to_dict() for v in oracle.violations]
    assert generated.path == oracle.path
    assert repr(generated.record) == repr(oracle.record)


# -- properties -------------------------------------------------------------------------------
@given(s=st.text(max_size=12), a=st.integers(-3, 15), b=st.integers(-3, 15))
def test_substr_pieces_make_the_text(s: str, a: int, b: int) -> None:
    """substr(s, 0, k) + substr(s, k) is s, and a piece is never longer than the text."""
    assert fn_substr(s, 0, a) + fn_substr(s, a) == s
    assert len(fn_substr(s, a, b)) <= len(s)


@given(x=st.floats(-1e12, 1e12, allow_nan=False), d=st.integers(0, 6))
def test_round_is_within_half_a_step(x: float, d: int) -> None:
    """round(x, d) is within half a unit of the d-th decimal (and a little rounding) of x."""
    r = fn_round(x, d)
    assert abs(r - x) <= 0.5 / 10**d + 1e-9 * max(1.0, abs(x))


@given(a=st.one_of(st.integers(-10**9, 10**9), st.floats(-1e9, 1e9, allow_nan=False)),
       b=st.one_of(st.integers(-1000, 1000), st.floats(-1e3, 1e3, allow_nan=False)))
def test_mod_is_fmod(a: Any, b: Any) -> None:
    """mod is C's fmod exactly (what JavaScript's % computes), ints kept ints."""
    got = fn_mod(a, b)
    if b == 0:
        assert got is None
    else:
        assert got == math.fmod(a, b)
        assert type(got) is (int if type(a) is int and type(b) is int else float)


@given(x=st.floats(-1e15, 1e15, allow_nan=False), places=st.integers(0, 6))
def test_number_reads_what_a_number_writes(x: float, places: int) -> None:
    """A number written with a fixed count of decimals reads back as the nearest double."""
    text = f"{x:.{places}f}"
    assert fn_number(text) == float(text)
