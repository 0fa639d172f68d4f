"""Stage 1: reading YAML with locations, and refusing what could hurt the loader."""

from __future__ import annotations

import pytest

import qengine
from qengine.compiler.loader import MAX_DEPTH, LList, LMap, parse_yaml, read_text
from qengine.errors import Diagnostics


def parse(text: str) -> tuple[object, Diagnostics]:
    diag = Diagnostics("f.yaml", text)
    return parse_yaml(text, "f.yaml", diag), diag


def test_locations_of_keys_and_values_are_one_based() -> None:
    """Every key and value remembers its 1-based line and column."""
    data, diag = parse("a: 1\nb:\n  - x\n  - 'y'\n")
    assert not diag.problems
    assert isinstance(data, LMap)
    assert (data.where_key("b").line, data.where_key("b").column) == (2, 1)
    items = data["b"]
    assert isinstance(items, LList)
    assert (items.where(0).line, items.where(0).column) == (3, 5)
    # a quoted scalar's location is its first character, inside the quote
    assert (items.where(1).line, items.where(1).column) == (4, 6)


def test_scalars_are_typed_safely_and_dates_stay_text() -> None:
    """Numbers, booleans and nulls are typed; dates stay ISO text; no Python tags run."""
    data, diag = parse("i: 3\nf: 1.5\nb: true\nn: null\nd: 2020-04-15\ns: '4'\nh: 0x10\n")
    assert not diag.problems
    assert data == {"i": 3, "f": 1.5, "b": True, "n": None, "d": "2020-04-15", "s": "4", "h": 16}


def test_python_tags_are_refused() -> None:
    """A !!python tag is reported, never constructed."""
    _data, diag = parse("a: !!python/object/apply:os.system ['echo hi']\n")
    assert [p.code for p in diag.problems] == ["yaml_tag"]


def test_duplicate_keys_are_reported_with_the_first_line() -> None:
    """PyYAML would silently keep the last value; we report the duplicate."""
    data, diag = parse("a: 1\nb: 2\na: 3\n")
    assert [p.code for p in diag.problems] == ["duplicate_key"]
    assert diag.problems[0].location.line == 3
    assert data["a"] == 1


def test_anchors_and_aliases_are_refused() -> None:
    """Anchors/aliases are refused, so an alias bomb cannot expand."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    data, diag = parse(bomb)
    assert data is None
    assert {p.code for p in diag.problems} == {"yaml_alias"}


def test_absurd_nesting_is_refused_not_crashed() -> None:
    """Nesting far beyond any form is refused at a fixed depth (no C or Python stack overflow)."""
    for text in ("[" * 100000 + "]" * 100000, "a:\n" + "".join(
            " " * (2 * i) + "- \n" for i in range(1, 500))):
        data, diag = parse(text)
        assert data is None
        assert [p.code for p in diag.problems] in (["yaml_depth"], ["yaml_syntax"])
    assert MAX_DEPTH >= 16


def test_syntax_errors_are_located() -> None:
    """A YAML syntax error points at its line."""
    _data, diag = parse("a: [1, 2\nb: 3\n")
    assert diag.problems[0].code == "yaml_syntax"
    assert diag.problems[0].location.line >= 2


def test_second_document_is_refused() -> None:
    """A form file holds one document."""
    _data, diag = parse("a: 1\n---\nb: 2\n")
    assert [p.code for p in diag.problems] == ["yaml_documents"]


def test_unreadable_and_undecodable_files_are_problems(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A missing file and invalid UTF-8 are problems, not exceptions."""
    diag = Diagnostics("x")
    assert read_text(str(tmp_path / "missing.yaml"), diag) is None
    assert diag.problems[0].code == "file"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: \xff\xfe\n")
    diag = Diagnostics(str(bad))
    assert read_text(str(bad), diag) is None
    assert diag.problems[0].code == "encoding"
    assert diag.problems[0].location.line == 2


@pytest.mark.parametrize("text", [
    "x: " + "1" * 4301, "x: " + "1" * 31, "x: -" + "9" * 40, "x: 0x" + "f" * 40,
    "x: 1000000000000001", "x: -1000000000000001", "x: 1.0e+16", "x: 0x38D7EA4C68001",
    "x: .nan", "x: .inf", "x: -.inf", "x: !!float 1e400", "x: !!int " + "1" * 5000,
    "? " + "1" * 5000 + "\n: a",
])
def test_numbers_outside_the_domain_are_located_problems(text: str) -> None:
    """Over 30 characters, beyond 1e15, NaN or infinite: number_range at the number, no exception."""
    _data, diag = parse(text)
    assert [p.code for p in diag.problems] == ["number_range"]
    assert diag.problems[0].location.line == 1
    assert diag.problems[0].location.column in (2, 3, 4)


def test_numbers_inside_the_domain_load() -> None:
    """10**15 and its negative, decimals and YAML's other spellings of numbers are kept."""
    data, diag = parse("a: 1000000000000000\nb: -1000000000000000\nc: 0.000001\nd: 1_000\n"
                       "f: 1.5e+3\n")
    assert not diag.problems
    assert data == {"a": 10**15, "b": -(10**15), "c": 0.000001, "d": 1000, "f": 1500.0}


@pytest.mark.parametrize("text", [
    "x: 0b_", "x: 0x_", "x: !!int abc", "x: !!float abc", 'x: !!int ""', 'x: !!float ""',
    "x: !!bool maybe", "x: !!int ²", "x: !!int 1.5",
])
def test_malformed_typed_scalars_are_located_problems(text: str) -> None:
    """Text that YAML (or an explicit tag) calls a number or boolean but is none is yaml_value."""
    _data, diag = parse(text)
    assert [p.code for p in diag.problems] == ["yaml_value"]
    assert diag.problems[0].location.line == 1


def test_every_bad_number_in_a_file_is_reported_and_the_form_does_not_load() -> None:
    """Number problems are collected across the file, and qengine.load_text raises FormError."""
    text = "a: .nan\nb: [1, 0b_, " + "7" * 4400 + "]\nc: {.inf: x}\n"
    _data, diag = parse(text)
    assert [(p.code, p.location.line) for p in diag.problems] == [
        ("number_range", 1), ("yaml_value", 2), ("number_range", 2), ("number_range", 3)]
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text("x: " + "1" * 4301)
    assert [p.code for p in info.value.problems] == ["number_range"]


@pytest.mark.parametrize(("text", "noticed", "began"), [
    ("a: [1, 2\nb: 3\n", (2, 2), (1, 4)),                        # an unclosed bracket
    ("a: {b: 1,\n  c: 2\nd: 3\n", (3, 2), (1, 4)),               # an unclosed brace
    ("a: {b: 1,\n  c: 2\n", (1, 4), (1, 4)),         # noticed at the end: placed at the opener
    ('a: "abc\nb: 2\n', (1, 4), (1, 4)),                         # an unclosed double quote
    ("a: x\nb: '标签\nc: 2\n", (2, 4), (2, 4)),                  # columns count characters
    ("a: x\nb: '标签\nc: 2\n---\n", (4, 1), (2, 4)),
    ("- {id: a, label: A\n- {id: b, label: B}\n", (2, 3), (1, 3)),
])
def test_unclosed_brackets_and_quotes_say_where_they_began(
        text: str, noticed: tuple[int, int], began: tuple[int, int]) -> None:
    """The problem stands where the parser noticed it (at the opener when that is the end of the
    file); its message names where the opener began."""
    _data, diag = parse(text)
    [p] = diag.problems
    assert p.code == "yaml_syntax"
    assert (p.location.line, p.location.column) == noticed
    assert f"line {began[0]}, column {began[1]}" in p.message


@pytest.mark.parametrize(("text", "line"), [
    ("a:\n\tb: 1\n", 2), ("a:\n  b: 1\n\t c: 2\n", 3), ("a: |\n\tb\n", 2),   # tabs
    ("a:\n  b: 1\n c: 2\n", 3), ("a:\n  - x\n - y\n", 3), ("- a\nb: 1\n", 2),  # indentation
    ("a: 1\n- b\n", 2), ("- a: 1\n  b: 2\n c: 3\n", 3), ("a: b: c\n", 1), ("a: ]\n", 1),
    ('a: "\\q"\n', 1), ("%FOO\n---\na: 1\n", 1), ("a: @x\n", 1), ("a: 1\nb\nc: 2\n", 3),
    ("a: 1\nb: \x00\n", 2),
])
def test_yaml_syntax_errors_are_located_and_reworded(text: str, line: int) -> None:
    """Tabs, bad indentation, stray brackets and bad characters: one located yaml_syntax problem
    whose message is not libyaml's "while parsing ..." wording."""
    _data, diag = parse(text)
    [p] = diag.problems
    assert p.code == "yaml_syntax"
    assert p.location.line == line
    assert "while parsing" not in p.message and "while scanning" not in p.message
