"""Hand-written XLSForms for the import tests: each a small table of survey rows (and choices and
settings), written to an .xlsx file with openpyxl by :func:`build`. Each shows one common ODK
pattern, or one feature the import leaves out with a located warning."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

Rows = Sequence[Sequence[Any]]


def build(path: Path, survey: Rows, choices: Rows = (), settings: Rows = ()) -> Path:
    """An XLSForm workbook at ``path``: the first row of each table is its header. Texts are
    text cells, never formulas (as typed into a cell formatted as text)."""
    book = openpyxl.Workbook()
    book.active.title = "survey"
    for title, table in (("survey", survey), ("choices", choices), ("settings", settings)):
        if not table:
            continue
        sheet = book[title] if title in book.sheetnames else book.create_sheet(title)
        for line in table:
            sheet.append(list(line))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    book.save(path)
    return path


YESNO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]

#: skip by relevance: q2 only when q1 is yes, q3 only when q2 is more than 2 (text names)
SKIP = dict(
    survey=[["type", "name", "label", "relevant", "required"],
            ["select_one yn", "q1", "Any children?", "", "yes"],
            ["integer", "q2", "How many?", "${q1} = 'yes'", "yes"],
            ["text", "q3", "Their school", "${q2} > 2 and selected(${q1}, 'yes')", ""],
            ["text", "q4", "Remarks", "${q1} != 'yes'", ""]],
    choices=YESNO,
    settings=[["form_id", "version", "form_title"], ["skip_demo", "2024.1", "Skip demo"]])

#: a constraint with its message, a constraint that is only bounds, and a required
CONSTRAINT = dict(
    survey=[["type", "name", "label", "constraint", "constraint_message", "required"],
            ["integer", "size", "Household size", ". >= 1 and . <= 20", "", "true()"],
            ["integer", "children", "Children", ". <= ${size}",
             "Cannot exceed the household size", "true"],
            ["decimal", "income", "Income", ". >= 0 and . < 1000000", "Too much", "no"]])

#: calculate: a computed value, a param (a literal), a calculation with the new functions
CALCULATE = dict(
    survey=[["type", "name", "label", "calculation", "required"],
            ["integer", "income", "Income", "", "yes"],
            ["integer", "size", "Size", "", "yes"],
            ["text", "code", "Village code", "", "yes"],
            ["calculate", "line", "", "4000", ""],
            ["calculate", "per_head", "", "round(${income} div ${size}, 2)", ""],
            ["calculate", "low", "", "if(${per_head} < ${line}, 1, 0)", ""],
            ["calculate", "rest", "", "${income} mod 7 + int(-2.5)", ""],
            ["calculate", "prefix", "", "substr(${code}, 0, 2)", ""],
            ["calculate", "length", "", "string-length(${code}) * number('2')", ""]])

#: labels in two languages, and a plain label column for the default language
LANGUAGES = dict(
    survey=[["type", "name", "label", "label::English (en)", "label::中文 (zh)", "hint::中文 (zh)"],
            ["text", "name", "", "Name", "姓名", "户主"],
            ["select_one yn", "head", "", "Head of household?", "是否户主", ""],
            ["date", "born", "Born (default)", "Born", "", ""]],
    choices=[["list_name", "name", "label::English (en)", "label::中文 (zh)"],
             ["yn", "1", "Yes", "是"], ["yn", "2", "No", "否"]],
    settings=[["form_id", "default_language"], ["languages", "English (en)"]])

#: a group with a relevant, a nested group with its own: sections with their ask_if and-ed
GROUPS = dict(
    survey=[["type", "name", "label", "relevant"],
            ["select_one yn", "farm", "Do you farm?", ""],
            ["begin group", "farming", "Farming", "${farm} = 'yes'"],
            ["integer", "fields", "Fields", ""],
            ["begin_group", "rice", "Rice", "${fields} > 0"],
            ["integer", "rice_mu", "Rice (mu)", ""],
            ["end_group", "", "", ""],
            ["integer", "animals", "Animals", ""],
            ["end group", "", "", ""],
            ["text", "remarks", "Remarks", ""]],
    choices=YESNO)

#: select_one with integer names: '2' is code ②; a select_multiple with text names
CODES = dict(
    survey=[["type", "name", "label", "relevant", "required"],
            ["select_one health", "q11", "Health insurance?", "", "yes"],
            ["text", "q11_why", "Why not?", "${q11} = '2'", "yes"],
            ["select_multiple crops", "crops", "Crops", "", "yes"],
            ["integer", "rice_mu", "Rice (mu)", "selected(${crops}, 'rice')", "yes"],
            ["integer", "n", "How many crops", "count-selected(${crops}) >= 2", "yes"]],
    choices=[["list_name", "name", "label"], ["health", "1", "Yes"], ["health", "2", "No"],
             ["crops", "rice", "Rice"], ["crops", "wheat", "Wheat"],
             ["crops", "maize", "Maize"]])

#: what the import leaves out, each at its cell: (survey row, column) of each warning
WARNED = dict(
    survey=[["type", "name", "label", "relevant", "constraint", "appearance",
             "choice_filter", "calculation", "required"],
            ["text", "a", "A", "", "regex(., '^[0-9]+$')", "multiline", "", "", ""],
            ["select_one yn", "b", "B", "", "", "", "name != 'x'", "", ""],
            ["geopoint", "where", "Where", "", "", "", "", "", ""],
            ["begin repeat", "people", "People", "", "", "", "", "", ""],
            ["text", "person", "Person", "", "", "", "", "", ""],
            ["end repeat", "", "", "", "", "", "", "", ""],
            ["date", "d", "D", "", ". <= today()", "", "", "", ""],
            ["integer", "e", "E", "frobnicate(${a})", "", "", "", "", ""],
            ["integer", "f", "F", "${a} = = 1", "", "", "", "", ""],
            ["integer", "Bad-Name", "G", "", "", "", "", "${a} != ''", ""],
            ["integer", "h", "H", "${later} > 1", "", "", "", "", ""],
            ["integer", "later", "Later", "", "", "", "", "", "${a} = 'x'"],
            ["text", "i", "Hello ${a}", "", "", "", "", "", ""]],
    choices=YESNO)
WARNINGS = [  # (row, column, a word of the message)
    (2, "constraint", "regex()"), (2, "appearance", "appearance"),
    (3, "choice_filter", "choice_filter"), (4, "type", "geopoint"), (5, "type", "repeat"),
    (8, "constraint", "today()"), (9, "relevant", "frobnicate()"), (10, "relevant", "'='"),
    (11, "name", "Bad-Name"), (11, "calculation", "calculation"), (12, "relevant", "ask_if"),
    (13, "required", "required"),
    (14, "label", "${name}")]


#: a qengine form (YAML) with ask_if on questions and a section, a jump on a question with an
#: ask_if, and the newer functions: for the export of ask_if and its round trip
ASK_IF = """
form: asks
version: "1"
title: {zh: 条件, en: Conditions}
languages: [zh, en]
choice_lists:
  yesno:
    - {code: 1, label: {zh: 是, en: "Yes"}}
    - {code: 2, label: {zh: 否, en: "No"}}
sections:
  - id: s1
    questions:
      - {id: a, label: A, type: single, choices: yesno}
      - id: b
        label: B
        type: integer
        ask_if: a == ①
        jumps: [{when: "not (b > 5)", to: d}]
      - {id: c, label: C, type: integer, required: false}
      - {id: d, label: D, type: text, required: false}
  - id: s2
    ask_if: not (a == ②)
    questions:
      - {id: e, label: E, type: single, choices: yesno, jump: {②: g}}
      - {id: f, label: F, type: integer, ask_if: b > 2 or e == ①}
      - {id: g, label: G, type: text, required: false}
      - {id: h, label: H, type: computed, value: "if(b > 2, round(b / 3, 1), mod(b, 2))"}
  - id: s3
    questions:
      - {id: t, label: T, type: text, required: false}
      - {id: u, label: U, type: computed, value: "substr(t, 1, 3)"}
      - {id: v, label: V, type: computed, value: "int(number(t) * 2)"}
"""
