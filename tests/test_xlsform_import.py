"""XLSForm import: hand-written XLSForms of the common ODK patterns (skip by relevance, a
constraint with its message, calculate, multilingual labels, a group with relevance, choice
names) become forms that compile, pass lint and behave as the XLSForm says; what is left out is a
located warning and a comment; the bundled forms survive export and import (same path, same
verdict); pyxform converts a re-exported import; the ``qengine import`` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

import qengine
from qengine.analysis.lint import lint
from qengine.apps.cli import main
from qengine.formats.xlsform import write_xlsform
from qengine.formats.xlsform_import import Imported, XLSFormError, read_xlsform
from qengine.formats.xlsform_xpath import Names, Untranslatable, translate
from qengine.testing import paths, records
from tests.xlsforms import (
    ASK_IF,
    CALCULATE,
    CODES,
    CONSTRAINT,
    GROUPS,
    LANGUAGES,
    SKIP,
    WARNED,
    WARNINGS,
    build,
)

BUNDLED = ("annex5", "annex6", "annex7")
JAVA = shutil.which("java")


def _import(tmp_path: Path, table: dict[str, Any], name: str = "form") -> tuple[
        qengine.Form, Imported, Path]:
    """The table built, imported, written, checked by lint (no errors), and loaded."""
    book = build(tmp_path / f"{name}.xlsx", **table)
    imported = read_xlsform(book, f"{name}.xlsx")
    path = tmp_path / f"{name}.yaml"
    path.write_text(imported.yaml, "utf-8")
    errors = [str(p) for p in lint(path) if p.severity == "error"]
    assert errors == [], imported.yaml
    return qengine.load(path), imported, path


def _question(imported: Imported, qid: str) -> dict[str, Any]:
    data = yaml.safe_load(imported.yaml)
    return next(q for s in data["sections"] for q in s["questions"] if q["id"] == qid)


def test_skip_by_relevance(tmp_path: Path) -> None:
    """relevant becomes ask_if: '${q1} = 'yes'' is q1 == ① (yes is the first choice), != is a
    not (true on a blank, as in XPath), and the path follows the answers."""
    form, imported, _ = _import(tmp_path, SKIP)
    assert _question(imported, "q2")["ask_if"] == "q1 == ①"
    assert _question(imported, "q3")["ask_if"] == "q2 > 2 and selected(q1, ①)"
    assert _question(imported, "q4")["ask_if"] == "not (q1 == ①)"
    assert form.id == "skip_demo" and form.version == "2024.1" and form.title == "Skip demo"
    assert form.path({"q1": 1, "q2": 3, "q3": "x"}) == ["q1", "q2", "q3"]
    assert form.path({"q1": 1, "q2": 1}) == ["q1", "q2"]
    assert form.path({"q1": 2}) == ["q1", "q4"]
    assert form.question("q3").required is False and form.question("q2").required is True
    assert imported.warnings == []


def test_constraint_with_message(tmp_path: Path) -> None:
    """A constraint becomes an error check on its question with the message; bounds become min
    and max; a required of yes, true, true() or TRUE() is required."""
    form, imported, _ = _import(tmp_path, CONSTRAINT)
    size = form.question("size")
    assert (size.min, size.max, size.required) == (1, 20, True)
    assert form.question("children").required and not form.question("income").required
    for word in ("yes", "Yes", "true", "TRUE()", "true()"):
        table = {"survey": [["type", "name", "label", "required"], ["text", "t", "T", word]]}
        assert _import(tmp_path, table, "required")[0].question("t").required, word
    children = _question(imported, "children")
    assert children["checks"] == [{"id": "children_constraint", "severity": "error",
                                   "assert": "children <= size",
                                   "message": {"en": "Cannot exceed the household size"}}]
    report = form.validate({"size": 2, "children": 3})
    assert [v.rule for v in report.errors] == ["children_constraint"]
    assert report.errors[0].message == "Cannot exceed the household size"
    assert form.validate({"size": 2, "children": 2}).ok
    income = _question(imported, "income")
    assert income["min"] == 0 and income["checks"][0]["assert"] == "income < 1000000"
    assert not form.validate({"size": 2, "children": 0, "income": 2000000}).ok


def test_calculate(tmp_path: Path) -> None:
    """A calculate is a computed value (with the new functions), a literal one a param."""
    form, imported, _ = _import(tmp_path, CALCULATE)
    assert form.params == {"line": 4000}
    data = yaml.safe_load(imported.yaml)
    assert data["params"]["line"] == {"value": 4000}
    assert _question(imported, "per_head")["value"] == "round(income / size, 2)"
    assert _question(imported, "low")["value"] == "if(per_head < line, 1, 0)"
    assert _question(imported, "rest")["value"] == "mod(income, 7) + int(-2.5)"
    assert _question(imported, "prefix")["value"] == "substr(code, 0, 2)"
    assert _question(imported, "length")["value"] == "if(answered(code), len(code), 0) * number(\"2\")"
    record = form.validate({"income": 10000, "size": 3, "code": "JG01"}).record
    assert record["per_head"] == 3333.33 and record["low"] == 1
    assert record["rest"] == 10000 % 7 - 2 and record["prefix"] == "JG"
    assert record["length"] == 8


def test_multilingual_labels(tmp_path: Path) -> None:
    """label::English (en) and label::中文 (zh) are the en and zh texts; the plain label is the
    default language's (settings default_language), which comes first."""
    form, _imported, _ = _import(tmp_path, LANGUAGES)
    assert form.languages == ("en", "zh")
    assert form.question("name").labels == {"en": "Name", "zh": "姓名"}
    assert form.question("name").hints == {"zh": "户主"}
    assert form.question("born").labels == {"en": "Born (default)"}
    assert form.question("head").choice(1).labels == {"en": "Yes", "zh": "是"}
    assert form.id == "languages"


def test_a_group_with_relevance(tmp_path: Path) -> None:
    """A group is a section with its relevant as ask_if; a nested group is a section of its own
    with both relevants and-ed; questions after it go on in a section of the outer group."""
    form, imported, _ = _import(tmp_path, GROUPS)
    data = yaml.safe_load(imported.yaml)
    sections = [(s["id"], s.get("ask_if"), [q["id"] for q in s["questions"]])
                for s in data["sections"]]
    assert sections == [("main", None, ["farm"]),
                        ("farming", "farm == ①", ["fields"]),
                        ("rice", "(farm == ①) and (fields > 0)", ["rice_mu"]),
                        ("farming_2", "farm == ①", ["animals"]),
                        ("main_2", None, ["remarks"])]
    assert data["sections"][1]["title"] == {"en": "Farming"}
    assert form.path({"farm": 1, "fields": 2, "rice_mu": 1, "animals": 1}) == [
        "farm", "fields", "rice_mu", "animals", "remarks"]
    assert form.path({"farm": 1, "fields": 0, "animals": 1}) == [
        "farm", "fields", "animals", "remarks"]
    assert form.path({"farm": 2}) == ["farm", "remarks"]


def test_choice_names_integer_and_text(tmp_path: Path) -> None:
    """Integer names are the codes ('2' is ②); text names get codes 1.. in sheet order and keep
    their names, so records that use the names convert."""
    form, imported, _ = _import(tmp_path, CODES)
    assert _question(imported, "q11_why")["ask_if"] == "q11 == ②"
    assert _question(imported, "rice_mu")["ask_if"] == "selected(crops, ①)"
    assert _question(imported, "n")["ask_if"] == "count(crops) >= 2"
    data = yaml.safe_load(imported.yaml)
    assert data["choice_lists"]["health"] == [{"code": 1, "label": {"en": "Yes"}},
                                              {"code": 2, "label": {"en": "No"}}]
    assert [(c["code"], c["name"]) for c in data["choice_lists"]["crops"]] == [
        (1, "rice"), (2, "wheat"), (3, "maize")]
    report = form.validate({"q11": 2, "q11_why": "cost", "crops": "rice maize",
                            "rice_mu": 3, "n": 2}, coerce=True)
    assert report.ok, report.errors
    assert report.record["crops"] == [1, 3]


def test_every_left_out_feature_is_a_located_warning_and_a_comment(tmp_path: Path) -> None:
    """Repeats, choice_filter, regex(), today(), appearance, other types, unknown functions,
    unparseable XPath, a bad name, a required expression, a rule the compiler refuses, a
    ${name} in a label: each a warning at its sheet, row and column; the YAML says so too."""
    form, imported, _ = _import(tmp_path, WARNED, "warned")
    found = [(w.sheet, w.row, w.column) for w in imported.warnings]
    for row, column, word in WARNINGS:
        hits = [w for w in imported.warnings if (w.sheet, w.row, w.column) ==
                ("survey", row, column)]
        assert hits, (row, column, found)
        assert any(word in w.message for w in hits), (row, column, [w.message for w in hits])
    assert len(imported.warnings) == len(WARNINGS)
    text = imported.warnings[0].located("warned.xlsx")
    assert text.startswith("warned.xlsx:survey:2:constraint: warning: ")
    assert imported.yaml.count("# left out: survey row") >= 8
    ids = [q.id for q in form.questions]
    assert "where" not in ids and "person" not in ids and "bad_name" in ids
    assert form.question("h").id == "h"  # kept, without its ask_if


def test_xpath_translation() -> None:
    """Operators, functions, literals, blanks; what cannot be said is Untranslatable."""
    names = Names({"a": "a", "t": "t", "c": "c", "d": "d"},
                  {"a": "num", "t": "text", "c": "single", "d": "date"}, {"c": {"x": 1, "y": 2}})
    cases = {
        "${a} + 2 * 3 - -1": "a + 2 * 3 - -1", "(${a} + 2) * 3": "(a + 2) * 3",
        "${a} div 2 mod 3": "mod(a / 2, 3)", "${a} - (1 - 2)": "a - (1 - 2)",
        "${t} != ''": "answered(t)", "${t} = ''": "not answered(t)",
        "not(${c} = 'y') or ${a} >= 1": "not c == ② or a >= 1",
        "${c} = 'x' and (${a} < 3 or ${a} > 5)": "c == ① and (a < 3 or a > 5)",
        "${d} > '2020-01-01'": "d > \"2020-01-01\"",
        "date(${d}) <= date('2020-12-31')": "d <= \"2020-12-31\"",
        ". = 'b'": "t == \"b\"", "string-length(.) > 3": "if(answered(t), len(t), 0) > 3",
        "${a} = '5'": "a == 5", "true() and ${a} = 1": "a == 1",
        "if(${a} > 1, 'big', \"it's\")": "if(a > 1, \"big\", \"it's\")",
    }
    for xpath, rule in cases.items():
        self_id = "t" if xpath.startswith((".", "string-length(.)")) else None
        want = "value" if xpath.startswith(("${a} +", "(${a}", "${a} div", "${a} -", "if(")) \
            else "bool"
        assert translate(xpath, names, self_id, want).text == rule, xpath
    for bad in ("regex(${t}, 'x')", "today()", "${t} < 'b'", "${c} = 'z'", "/data/a = 1",
                "${nope} = 1", "${a} = ", "concat(${t}, 'x')", "${a} + 1", ". = 1",
                "count-selected(${c})"):
        with pytest.raises(Untranslatable):
            translate(bad, names)


def test_what_is_no_xlsform_is_refused(tmp_path: Path) -> None:
    """A file that is no workbook, and a workbook without a survey sheet."""
    bad = tmp_path / "bad.xlsx"
    bad.write_text("no zip", "utf-8")
    with pytest.raises(XLSFormError, match="not an Excel workbook"):
        read_xlsform(bad)
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "other"
    book.save(tmp_path / "empty.xlsx")
    with pytest.raises(XLSFormError, match="no survey sheet"):
        read_xlsform(tmp_path / "empty.xlsx")


# -- the bundled forms, exported and imported ------------------------------------------------------
_ROUND: dict[str, qengine.Form] = {}


def _round_trip(name: str, tmp_path_factory: pytest.TempPathFactory) -> qengine.Form:
    if name not in _ROUND:
        where = tmp_path_factory.mktemp(name)
        write_xlsform(qengine.load(name), where / f"{name}.xlsx")
        imported = read_xlsform(where / f"{name}.xlsx")
        assert imported.warnings == [], [w.message for w in imported.warnings]
        (where / f"{name}.yaml").write_text(imported.yaml, "utf-8")
        assert [p for p in lint(where / f"{name}.yaml") if p.severity == "error"] == []
        _ROUND[name] = qengine.load(where / f"{name}.yaml")
    return _ROUND[name]


def _same(original: qengine.Form, imported: qengine.Form, record: dict[str, Any]) -> None:
    """The same path, the same error verdict, the same warnings (by check id)."""
    assert imported.path(record) == original.path(record)
    a, b = original.validate(record), imported.validate(record)
    assert a.ok == b.ok, ([str(v) for v in a.errors], [str(v) for v in b.errors])
    assert sorted(v.rule for v in a.warnings) == sorted(v.rule for v in b.warnings)


@pytest.mark.parametrize("name", BUNDLED)
def test_round_trip_on_every_witness(name: str,
                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """Exported and imported again, a bundled form takes the same path and gives the same
    verdict on a witness of every path (at most 2000)."""
    original, imported = qengine.load(name), _round_trip(name, tmp_path_factory)
    seen = 0
    for found in paths(original, limit=2000):
        _same(original, imported, found.witness)
        seen += 1
    assert seen > 1


@pytest.mark.parametrize("name", BUNDLED)
def test_round_trip_on_generated_records(name: str,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """... and on records hypothesis generates (valid and invalid ones)."""
    original, imported = qengine.load(name), _round_trip(name, tmp_path_factory)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(records(original))
    def check(record: dict[str, Any]) -> None:
        _same(original, imported, record)

    check()


@pytest.mark.parametrize("name", BUNDLED)
def test_pyxform_converts_the_re_exported_import(
        name: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The imported form exported again is an XLSForm pyxform converts (and ODK Validate
    accepts, where Java is installed)."""
    xls2xform = pytest.importorskip("pyxform.xls2xform")
    xls2xform_convert = xls2xform.xls2xform_convert
    path = tmp_path / f"{name}.xlsx"
    write_xlsform(_round_trip(name, tmp_path_factory), path)
    assert xls2xform_convert(xlsform_path=path, xform_path=tmp_path / f"{name}.xml",
                             validate=JAVA is not None) == []


# -- the command ----------------------------------------------------------------------------------
def test_import_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`qengine import FILE.xlsx` prints the YAML, -o writes it; warnings go to standard error,
    located; a missing or broken file is one line and status 2."""
    book = build(tmp_path / "w.xlsx", **WARNED)
    assert main(["import", str(book)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Imported from ") and "form: w" in out
    assert f"{book}:survey:2:constraint: warning: " in err
    assert len(err.splitlines()) == len(WARNINGS)
    target = tmp_path / "w.yaml"
    assert main(["import", str(book), "-o", str(target)]) == 0
    assert target.read_text("utf-8") == out
    assert main(["lint", str(target)]) == 0
    capsys.readouterr()
    assert main(["import", str(tmp_path / "none.xlsx")]) == 2
    assert capsys.readouterr().err == f"qengine: {tmp_path / 'none.xlsx'}: no such file\n"
    (tmp_path / "bad.xlsx").write_text("x", "utf-8")
    assert main(["import", str(tmp_path / "bad.xlsx")]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
    assert main(["import", str(book), "-o", str(book)]) == 2


def test_import_command_in_a_process(tmp_path: Path) -> None:
    """The console script: status 0, the YAML on standard output, warnings on standard error."""
    book = build(tmp_path / "s.xlsx", **SKIP)
    done = subprocess.run([sys.executable, "-m", "qengine", "import", str(book)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert "ask_if: \"q1 == ①\"" in done.stdout


def test_other_sheets_and_settings_are_warned(tmp_path: Path) -> None:
    """A sheet other than survey, choices and settings, and a setting other than form_id,
    version, form_title and default_language, are located warnings."""
    book = build(tmp_path / "x.xlsx", **SKIP)
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb["settings"]["D1"], wb["settings"]["D2"] = "instance_name", "concat(${q1})"
    wb.create_sheet("entities").append(["list_name", "label"])
    wb.save(book)
    warnings = read_xlsform(book).warnings
    assert [(w.sheet, w.row, w.column) for w in warnings] == [
        ("settings", 2, "instance_name"), ("entities", 1, "list_name")]


def test_a_form_with_ask_if_and_jumps_round_trips(tmp_path: Path) -> None:
    """A form with question and section ask_if, jumps on a question with an ask_if, and the new
    functions: exported and imported, the same path and verdict on every witness."""
    original = qengine.load_text(ASK_IF, "asks.yaml")
    write_xlsform(original, tmp_path / "asks.xlsx")
    imported = read_xlsform(tmp_path / "asks.xlsx")
    assert imported.warnings == []
    again = qengine.load_text(imported.yaml, "asks.yaml")
    assert [s[0] for s in again.sections] == ["s1", "s2", "s3"]
    for found in paths(original):
        _same(original, again, found.witness)
        assert again.validate(found.witness).record == original.validate(found.witness).record


@pytest.mark.parametrize("table", ["SKIP", "CONSTRAINT", "CALCULATE", "LANGUAGES", "GROUPS",
                                   "CODES"])
def test_the_hand_written_xlsforms_are_xlsforms(table: str, tmp_path: Path) -> None:
    """Each hand-written XLSForm of the common patterns is one pyxform converts (and ODK
    Validate accepts, where Java is installed): the tests import real XLSForms."""
    import tests.xlsforms

    xls2xform = pytest.importorskip("pyxform.xls2xform")
    book = build(tmp_path / f"{table}.xlsx", **getattr(tests.xlsforms, table))
    warnings = xls2xform.xls2xform_convert(xlsform_path=book, xform_path=tmp_path / "f.xml",
                                           validate=JAVA is not None)
    assert all("missing the survey hint column" in w for w in warnings), warnings


HOSTILE = ["it's \"quoted\"", "a: b # not a comment", "{x: 1}", "*alias", "!!python/object",
           "line one\nline two", "=SUM(A1)", "tab\there", "next\x85line", "😀 中文", "- item",
           "'", "  padded  ", "no"]


def test_hostile_texts_import_as_they_are(tmp_path: Path) -> None:
    """Labels, hints, messages and choice labels that YAML or a spreadsheet would read as
    something else come through as text, exactly; a choice name the format cannot hold stays
    in a comment; a hostile name is an id."""
    rows = [["type", "name", "label", "hint", "constraint", "constraint_message", "relevant"]]
    for k, text in enumerate(HOSTILE):
        rows.append(["select_one l", f"q{k}", text, text, ". != 'x'", text, ""])
    rows.append(["text", "t", "T", "", "", "", "${q0} = 'a b'"])
    rows.append(["text", "x'); drop --", "X", "", "", "", ""])
    choices = [["list_name", "name", "label"], ["l", "x", HOSTILE[0]], ["l", "a b", "{y}"]]
    form, imported, _ = _import(tmp_path, {"survey": rows, "choices": choices}, "hostile")
    assert form.languages == ("zh",)  # the plain labels hold Chinese characters
    for k, text in enumerate(HOSTILE):
        q = form.question(f"q{k}")
        assert q.labels == {"zh": text.strip()} and q.hints == {"zh": text.strip()}
        (error,) = form.validate({f"q{k}": 1}).errors
        assert error.message == text.strip()
    assert form.question("q0").choice(1).labels == {"zh": HOSTILE[0]}
    assert _question(imported, "t")["ask_if"] == "q0 == ②"
    assert "# name: a b" in imported.yaml
    assert "x_drop" in [q.id for q in form.questions]


def test_common_odk_codings_import(tmp_path: Path) -> None:
    """Yes/no coded 1/0, ids YAML 1.1 reads as booleans, a tiny decimal param, a duplicate
    choice name: each imports into a form that compiles, with a warning where something moved."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "relevant", "calculation"])
    survey.append(["select_one yn", "yes", "Agrees?", "", ""])
    survey.append(["integer", "off", "How many?", "${yes} = 0", ""])
    survey.append(["calculate", "rate", "", "", "0.00001"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for name, label in (("1", "Yes"), ("0", "No"), ("0", "Again")):
        choices.append(["yn", name, label])
    path = tmp_path / "odk.xlsx"
    book.save(path)
    done = subprocess.run([sys.executable, "-m", "qengine", "import", str(path), "-o",
                           str(tmp_path / "odk.yaml")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "choices:4:name" in done.stderr and "used twice" in done.stderr
    form = qengine.load(tmp_path / "odk.yaml", cache=False)
    assert [c.code for c in form.question("yes_").choices] == [1, 0]
    assert form.path({"yes_": 0, "off_": 3}) == ["yes_", "off_"]
    assert form.path({"yes_": 1}) == ["yes_"]
    assert form.params["rate"] == 0.00001
