"""Diagrams of a form: every asked question and every jump (labelled as the paper says it) in dot
and Mermaid, SVG through Graphviz, and labels escaped whatever they hold."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import qengine
from qengine.apps.cli import main
from qengine.formats import graph, svg
from qengine.formats.graph import dot_string, mermaid_string

BUNDLED = ("annex5", "annex6", "annex7")
FORMS = {name: qengine.load(name) for name in BUNDLED}
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed "
                               "(apt-get install graphviz)")
_CODE_JUMP = re.compile(r"^(\w+) == ([①-⑳]|\d+)$")

#: jumps as the paper prints them (FORMS.md): (form, question, label, where the edge goes)
PAPER = [
    ("annex6", "q4", "② → 5", "q5"), ("annex6", "q4_1", "① → 5", "q5"),
    ("annex6", "q8", "③ → 9", "q9"), ("annex6", "q8", "① → 8—2", "q8_2"),
    ("annex6", "q12", "② → 12—2", "q12_2"), ("annex7", "q8", "② → end", "respondent_sign"),
    ("annex7", "q3_1", "② → 3—3", "q3_3"), ("annex5", "i23", "0 → 25", "i25"),
    ("annex5", "i31", "② → end", "reviewer_unit"),
]


def _expected_jumps(form: qengine.Form) -> list[tuple[str, str, str]]:
    """(source, label, target) of every jump, worked out from the transitions' rule texts."""
    out = []
    for t in form.transitions:
        if t.guard is None:
            continue
        m = _CODE_JUMP.match(t.guard)
        assert m and m.group(1) == t.source, t.guard  # the bundled forms jump on codes only
        target = form.question(t.target)  # a jump to end lands on the sign-off's first question
        where = "end" if target.index == form.closing_index else target.number or t.target
        out.append((t.source, f"{m.group(2)} → {where}", t.target))
    return out


def _asked(form: qengine.Form) -> list[str]:
    return [q.id for q in form.questions if not q.computed]


@pytest.mark.parametrize("name", BUNDLED)
def test_dot_has_every_question_and_jump(name: str) -> None:
    """Each asked question is a node in its section's cluster; each jump is an edge with its
    paper label; each next question an edge."""
    form = FORMS[name]
    source = graph(form, "dot")
    for qid in _asked(form):
        assert re.search(rf'^    "{qid}" \[label="[^"\n]*{qid}', source, re.M), qid
    for q in form.questions:
        if q.computed:
            assert f'"{q.id}" [' not in source
    for src, label, target in _expected_jumps(form):
        assert f'"{src}" -> "{target}" [label="{label}"' in source, (src, label)
    for t in form.transitions:
        if t.guard is None:
            assert f'"{t.source}" -> "{t.target}";' in source
    assert source.count("subgraph") == len(form.sections)
    for check in form.checks:
        assert f'"check:{check.id}" [shape=note' in source


@pytest.mark.parametrize("name", BUNDLED)
def test_mermaid_has_every_question_and_jump(name: str) -> None:
    """The same in Mermaid: nodes in subgraphs, jumps as labelled thick arrows, checks as notes
    linked to the questions they name."""
    form = FORMS[name]
    source = graph(form, "mermaid")
    assert source.splitlines()[3] == "flowchart TB"
    for qid in _asked(form):
        assert re.search(rf'^    n_{qid}\["{qid}<br>', source, re.M) or re.search(
            rf'^    n_{qid}\["[^"]* · {qid}<br>', source, re.M), qid
    for src, label, target in _expected_jumps(form):
        assert f'n_{src} ==>|"{label}"| n_{target}' in source, (src, label)
    assert source.count("\n  subgraph ") == len(form.sections)
    assert source.count("\n  end\n") == len(form.sections)
    notes = re.findall(r"^    (c\d+)>", source, re.M)
    assert len(notes) == len(form.checks)
    for note in notes:
        assert re.search(rf"^  {note} -\.- n_\w+$", source, re.M)


@pytest.mark.parametrize(("name", "qid", "label", "target"), PAPER)
def test_jumps_read_as_on_paper(name: str, qid: str, label: str, target: str) -> None:
    """The jump labels are the paper's: the answer, an arrow, the printed number or end."""
    assert f'"{qid}" -> "{target}" [label="{label}"' in graph(FORMS[name], "dot")
    assert f'n_{qid} ==>|"{label}"| n_{target}' in graph(FORMS[name], "mermaid")


def test_checks_are_notes_on_their_questions() -> None:
    """A check joins the questions it names; one on a computed value joins the last question it
    reads; errors and warnings are told apart."""
    source = graph(FORMS["annex6"], "dot")
    assert '"check:school_consistency" -> "q4_1"' in source
    assert '"check:school_consistency" -> "q10"' in source
    assert '"check:below_income_line" -> "q1_4"' in source  # q1_per_capita reads q1_4 last
    assert re.search(r'"check:no_health_policy" \[[^\n]*fillcolor="#fff1c2"[^\n]*⚠ warning', source)
    assert re.search(r'"check:subsidy_le_loan" \[[^\n]*fillcolor="#fde2e1"[^\n]*✖ error', source)
    mermaid = graph(FORMS["annex6"], "mermaid")
    assert re.search(r"^  class c\d+(,c\d+)* warning$", mermaid, re.M)


def test_labels_follow_the_language() -> None:
    """--lang en labels the nodes in English."""
    english = FORMS["annex6"].question("head_name").labels["en"]
    assert f"head_name\\n{english[:12]}" in graph(FORMS["annex6"], "dot", lang="en")
    assert f"head_name<br>{english[:12]}" in graph(FORMS["annex6"], "mermaid", lang="en")
    with pytest.raises(ValueError):
        graph(FORMS["annex6"], "png")


def test_escaping_round_trips() -> None:
    """dot and Mermaid strings hold no raw quote, line break or markup, and decode back."""
    text = 'q "x" \\ <b> & | # ; % [ ] { } ( ) ` \x07 end'
    quoted = dot_string(text)
    inner = quoted[1:-1]
    assert not re.search(r'(?<!\\)"', inner) and "\n" not in inner and "\x07" not in inner
    assert re.sub(r'\\(.)', r'\1', inner).replace("&amp;", "&") == text.replace("\x07", " ")
    m = mermaid_string(text + "\nnext")
    body = m[1:-1]
    assert not set('"<>|`[]{}();%#&\\') & set(re.sub(r"#\d+;", "", body.replace("<br>", "")))
    decoded = re.sub(r"#(\d+);", lambda g: chr(int(g.group(1))), body.replace("<br>", "\n"))
    assert decoded == text.replace("\x07", " ") + "\nnext"


def _hostile_form() -> qengine.Form:
    label = 'a "quoted" \\N back\\slash <b>&amp; {x|y} [z] (w) #35; `t` %% ; end'
    return qengine.load_text(HOSTILE_TEMPLATE.replace("LABEL", _yaml(label)), "hostile.yaml")


def _yaml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


HOSTILE_TEMPLATE = """
form: hostile
version: "1"
title: {zh: LABEL}
languages: [zh]
sections:
  - id: s1
    title: {zh: LABEL}
    questions:
      - id: q1
        number: "1\\"]; x"
        label: {zh: LABEL}
        type: single
        choices:
          - {code: 1, label: {zh: 是}}
          - {code: 2, label: {zh: 否}}
        jumps:
          - {when: "q1 == ② or q1 == ①", to: q3}
        checks:
          - id: c1
            severity: error
            when: q1 == ②
            message: {zh: LABEL}
      - id: q2
        label: {zh: "end"}
        type: text
      - id: q3
        label: {zh: "subgraph"}
        type: text
"""
HOSTILE_LABEL = 'a "quoted" \\N back\\slash <b>&amp; {x|y} [z] (w) #35; `t` %% ; end'


def test_hostile_labels_are_escaped_in_mermaid() -> None:
    """Quotes, brackets, pipes, entities and keywords in labels stay inside their strings."""
    form = _hostile_form()
    source = graph(form, "mermaid")
    body = source.split("---\n", 2)[2]
    for line in body.splitlines():
        assert line.count('"') % 2 == 0, line
        outside = re.sub(r'"[^"]*"', '""', line)
        assert "end" not in outside or outside.strip() == "end", line
    labels = [re.sub(r"#(\d+);", lambda g: chr(int(g.group(1))), s.replace("<br>", "\n"))
              for s in re.findall(r'"([^"]*)"', body)]
    assert any(HOSTILE_LABEL[:17] in label for label in labels)
    assert any(label.startswith('1"]; x · q1\n') for label in labels)
    assert any(label == "q1 == ② or q1 == ① → q3" for label in labels)


@needs_dot
def test_hostile_labels_draw_as_written() -> None:
    """Graphviz reads the hostile form's dot, and the SVG shows each label as the form wrote it."""
    form = _hostile_form()
    drawn = svg(form, dot=DOT or "dot")
    texts = [t.text or "" for t in ET.fromstring(drawn).iter("{http://www.w3.org/2000/svg}text")]
    assert '1"]; x · q1' in texts
    assert HOSTILE_LABEL[:17] + "…" in texts  # the node's label, shortened
    assert HOSTILE_LABEL in texts  # the section's title, whole
    assert "q1 == ② or q1 == ① → q3" in texts
    assert "end" in texts and "subgraph" in texts


@needs_dot
@pytest.mark.parametrize("name", BUNDLED)
def test_svg_renders_through_dot(name: str, tmp_path: Path) -> None:
    """`qengine graph FORM --format svg -o FILE` writes an SVG with every asked question."""
    out = tmp_path / f"{name}.svg"
    assert main(["graph", name, "--format", "svg", "-o", str(out)]) == 0
    root = ET.fromstring(out.read_text("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    for qid in _asked(FORMS[name]):
        assert any(t and t.endswith(qid) for t in texts), qid


def test_svg_without_graphviz_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Without dot on the PATH, --format svg exits 2 and names the package to install."""
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert main(["graph", "annex6", "--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "--format dot" in err


def test_the_command_writes_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    """dot and mermaid go to standard output or -o FILE; json stays the state machine; an
    unknown --lang is a usage error."""
    for fmt in ("dot", "mermaid"):
        assert main(["graph", "annex7", "--format", fmt]) == 0
        assert capsys.readouterr().out == graph(FORMS["annex7"], fmt)
        out = tmp_path / f"annex7.{fmt}"
        assert main(["graph", "annex7", "--format", fmt, "--lang", "en", "-o", str(out)]) == 0
        assert out.read_text("utf-8") == graph(FORMS["annex7"], fmt, lang="en")
    assert main(["graph", "annex7"]) == 0
    assert '"transitions"' in capsys.readouterr().out
    assert main(["graph", "annex7", "--lang", "fr", "--format", "dot"]) == 2


KINDS = """
form: kinds
version: "1"
title: {zh: 跳转}
languages: [zh]
sections:
  - id: main
    questions:
      - id: a
        number: "1"
        label: {zh: 甲}
        type: single
        choices:
          - {code: 1, label: {zh: 一}}
          - {code: 2, label: {zh: 二}}
          - {code: 3, label: {zh: 三}}
        jumps:
          - {when: "a in [②, ③]", to: c}
      - id: b
        number: "2"
        label: {zh: 乙}
        type: multiple
        choices:
          - {code: 1, label: {zh: 一}}
          - {code: 2, label: {zh: 二}}
        jump: {②: d}
      - id: c
        number: "3"
        label: {zh: 丙}
        type: integer
        min: -5
        jump: {-1: d}
        jumps:
          - {when: "c > 10", to: e}
      - id: d
        label: {zh: 丁}
        type: text
      - id: e
        number: "5"
        label: {zh: 戊}
        type: text
"""


def test_each_kind_of_jump_is_labelled() -> None:
    """Codes listed, a selected code, a negative number key, and a rule that is more than a key."""
    source = graph(qengine.load_text(KINDS, "kinds.yaml"), "dot")
    assert '"a" -> "c" [label="②、③ → 3"' in source
    assert '"b" -> "d" [label="② → d"' in source
    assert '"c" -> "d" [label="-1 → d"' in source
    assert '"c" -> "e" [label="c > 10 → 5"' in source
