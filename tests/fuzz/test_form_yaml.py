"""Surface: form YAML text, through load_text, compile_text and lint."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import strategies as st

import qengine

from .contract import (
    ROOT,
    escapes_only_qengine_errors,
    fuzz,
    run_bounded,
    small_form,
)

ANNEX6 = (ROOT / "forms" / "annex6.yaml").read_text("utf-8")
TMP = Path(tempfile.mkdtemp(prefix="qengine-fuzz-yaml-"))
PIECES = st.sampled_from([
    "\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: *a", "!!str ", "!!binary ",
    "!!python/object/apply:os.system ['true'] ", "!!float ", "? ", "'", '"', "#", "|", ">", "---",
    "...", "%YAML 1.1\n", "id: q1", "type: single", "jump: {②: q5}", "when: a ==", "\x00", "\ufeff",
    "\ud800", "\x85", "\u2028", "字", "1" * 40, "1e400", ".nan", ".inf", "-.inf", "0x_1", "0o17",
    "2020-02-30", "~", "null", "yes", "on", "=", "\t", "\r", "9" * 5000])
HOSTILE_SCALARS = st.sampled_from([
    "1" * 31, "1" * 5000, "1e400", ".nan", ".inf", "-.inf", "10000000000000001", "-1e16", "0x7f",
    "1_0", "!!binary aGk=", "&x 1", "*x", "[[[[[[[[[[1]]]]]]]]]]", "{a: {b: {c: 1}}}", "''",
    '"\\ud800"', '"\\x00"', "true", "~", "2020-13-45", "!!timestamp 2020-01-01", "!!set {a}",
    "[1, 2]", "{1: 2}", "'" + "字" * 200 + "'", "-0", "0.1e-400"])
#: Fields of the small form into which a hostile scalar is put.
SLOTS = ["form: t", 'version: "1"', "a: 1", "code: 1", "id: q2", "type: integer", "severity: error",
         "zh: 二", "to: q3"]


def _lint(text: str) -> None:
    path = TMP / "f.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    problems, _ = escapes_only_qengine_errors(lambda: qengine.lint(path))
    assert isinstance(problems, list)  # lint never raises for a bad form


def _compile(text: str) -> None:
    form, exc = escapes_only_qengine_errors(lambda: qengine.load_text(text, "fuzz.yaml"))
    assert form is not None or isinstance(exc, qengine.FormError)
    if form is not None:  # what compiles crosses processes as JSON
        again = qengine.Form.from_json(json.loads(json.dumps(form.to_json(), allow_nan=False)))
        assert again.to_json() == form.to_json()


@fuzz("form_yaml", 60, pieces=st.lists(PIECES, max_size=30))
def test_yaml_junk_gives_problems_not_crashes(pieces: list[str]) -> None:
    """YAML-looking junk (tags, anchors, NULs, surrogates, long digits) loads to a FormError."""
    text = "".join(pieces)
    _compile(text)
    _lint(text)


@fuzz("form_yaml", 60, at=st.integers(0, len(ANNEX6) - 1), cut=st.integers(0, 60),
      insert=st.one_of(PIECES, st.text(max_size=8), HOSTILE_SCALARS))
def test_mutated_annex6_is_a_form_or_a_form_error(at: int, cut: int, insert: str) -> None:
    """Cutting and inserting anywhere in annex6.yaml gives a form or a FormError, and lint agrees."""
    text = ANNEX6[:at] + insert + ANNEX6[at + cut:]
    _compile(text)


@fuzz("form_yaml", 80, slot=st.sampled_from(SLOTS), value=HOSTILE_SCALARS)
def test_hostile_scalar_in_every_field(slot: str, value: str) -> None:
    """A hostile scalar (huge, NaN, tagged, nested) in any field is a problem, never a crash."""
    key = slot.split(":")[0]
    text = small_form().replace(slot, f"{key}: {value}", 1)
    _compile(text)
    _lint(text)


# -- bounded cases ---------------------------------------------------------------------------------
LINT_FILE = """
import pathlib, tempfile
path = pathlib.Path(tempfile.mkdtemp()) / "f.yaml"
path.write_bytes(DATA)
contract(lambda: qengine.lint(path))
contract(lambda: qengine.load(path))
"""
BOUNDED = {
    "brackets_100000": 'DATA = b"[" * 100000',
    "braces_100000": 'DATA = b"{a: " * 100000',
    "dashes_5000_deep": 'DATA = "".join("  " * i + "-\\n" for i in range(5000)).encode()',
    "int_5000_digits": 'DATA = b"form: t\\nversion: " + b"9" * 5000',
    "int_10_5000_in_bound": 'DATA = open("forms/annex6.yaml", "rb").read().replace(b"4000", b"1" * 5001, 1)',
    "anchors_billion_laughs": ('DATA = b"a: &a [x,x,x,x,x,x,x,x,x]\\n" + b"".join('
                               'b"%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\\n" % ((98 + i,) * 2 '
                               '+ (97 + i,) * 8) for i in range(9))'),
    "file_65_mib": 'DATA = b"# " + b"x" * (65 * 2**20)',
    "not_utf8": 'DATA = b"form: \\xff\\xfe\\x00t\\n"',
    "long_label_1e6": ('DATA = open("forms/annex6.yaml", "rb").read().replace('
                       '"测试".encode(), "字".encode() * 1000000, 1)'),
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_bounded_hostile_files(case: str) -> None:
    """Huge, deep and aliased YAML files lint and load in bounded time and memory."""
    run_bounded(BOUNDED[case] + LINT_FILE)


CHECKS_3000 = """
import textwrap
from tests.fuzz.contract import small_form
LINE = "  - {{id: k{0}, severity: warning, assert: \\"q2 > {0} or q1 == 1\\", message: {{zh: m, en: m}}}}\\n"
checks = "".join(LINE.format(i) for i in range(3000))
DATA = small_form(extra_checks=checks).encode()
"""


def test_lint_of_a_form_with_3000_checks_is_bounded() -> None:
    """A form with 3,000 checks lints within the bound (the whole-form analysis scales)."""
    run_bounded(CHECKS_3000 + LINT_FILE)


def test_finding_lone_surrogate_in_form_text() -> None:
    """load_text('\\ud800') is a FormError (a located problem), not a UnicodeEncodeError."""
    escapes_only_qengine_errors(lambda: qengine.load_text("\ud800", "fuzz.yaml"))
