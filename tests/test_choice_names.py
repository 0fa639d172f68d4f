"""Choice names: what an XLSForm calls a choice, kept beside its code so records written with
names convert (entered text and ``validate(coerce=True)``); records and rules keep codes."""

from __future__ import annotations

import pytest

import qengine
from tests.conftest import form_yaml

QUESTIONS = """\
- id: crop
  label: C
  type: multiple
  choices:
    - {code: 1, name: rice, label: {zh: 稻, en: Rice}}
    - {code: 2, name: wheat, label: {zh: 麦, en: Wheat}}
    - {code: 3, label: {zh: 其他, en: Other}}
- id: works
  label: W
  type: single
  choices: [{code: 1, name: "yes", label: 是}, {code: 2, name: "no", label: 否}]
"""


@pytest.fixture(scope="module")
def named() -> qengine.Form:
    return qengine.load_text(form_yaml(QUESTIONS))


def test_names_convert_and_codes_stay(named: qengine.Form) -> None:
    report = named.validate({"crop": "rice wheat", "works": "no"}, coerce=True)
    assert report.ok and report.record == {"crop": [1, 2], "works": 2}
    strict = named.validate({"crop": ["rice"], "works": "no"})
    assert [v.rule for v in strict.errors] == ["type", "type"]
    iv = named.start()
    iv.answer(["wheat", 3])
    iv.answer("yes")
    assert iv.submit() == {"crop": [2, 3], "works": 1}


def test_names_travel_in_the_machine(named: qengine.Form) -> None:
    machine = named.to_json()
    assert machine["questions"][0]["choices"][0]["name"] == "rice"
    assert "name" not in machine["questions"][0]["choices"][2]
    assert named.question("works").to_dict()["choices"][0]["name"] == "yes"
    assert qengine.Form.from_json(machine).validate({"works": "yes", "crop": "rice"},
                                                    coerce=True).ok


def test_bad_names_are_refused(named: qengine.Form) -> None:
    twice = QUESTIONS.replace("name: wheat", "name: rice")
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(form_yaml(twice))
    assert [p.code for p in info.value.problems] == ["duplicate_code"]
    with pytest.raises(qengine.FormError) as info:
        qengine.load_text(form_yaml(QUESTIONS.replace("name: wheat", 'name: "two words"')))
    assert [p.code for p in info.value.problems] == ["schema"]
    machine = named.to_json()
    machine["questions"][0]["choices"][1]["name"] = "rice"
    with pytest.raises(qengine.FormError, match="choice name 'rice' is used twice"):
        qengine.Form.from_json(machine)


def test_a_name_that_is_another_number_is_refused() -> None:
    """Entered "2" is code 2: a choice named "2" must be code 2 (XLSForm's numeric names are
    imported as codes), never another code."""
    clash = QUESTIONS.replace('{code: 1, name: "yes"', '{code: 1, name: "2"')
    with pytest.raises(qengine.FormError, match="a number other than its code"):
        qengine.load_text(form_yaml(clash))
    same = QUESTIONS.replace('{code: 1, name: "yes"', '{code: 1, name: "1"')
    assert qengine.load_text(form_yaml(same)).validate({"works": "1", "crop": "rice"},
                                                       coerce=True).ok
