"""Whole-form analysis in lint: unreachable questions, dead jumps and checks, unused values, texts."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import form_yaml

import qengine
from qengine.analysis import lint as lint_module
from qengine.analysis.lint import analyse
from qengine.analysis.rules import rules_view
from qengine.apps.cli import main

GOLDEN = Path(__file__).parent / "golden_analysis"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
BUNDLED = ["annex5", "annex6", "annex7"]
ZH = "languages: [zh]\n"  # the inline forms' plain labels are then complete


def _lines(problems: list[qengine.Problem]) -> list[str]:
    return [f"{p.location.line}:{p.location.column} {p.severity} {p.code}" for p in problems]


def _codes(text: str) -> list[str]:
    return [p.code for p in analyse(qengine.load_text(text, "t.yaml"), text)]


@pytest.mark.parametrize("case", CASES)
def test_golden_analysis(case: str) -> None:
    """Each seeded defect is found and located exactly (line:column severity code)."""
    folder = GOLDEN / case
    problems = qengine.lint(folder / "form.yaml")
    expected = (folder / "expected.txt").read_text("utf-8").split("\n")
    assert _lines(problems) == [line for line in expected if line]
    lines = (folder / "form.yaml").read_text("utf-8").splitlines()
    for p in problems:
        assert p.message and 1 <= p.location.line <= len(lines)
        assert str(p).startswith(f"{folder / 'form.yaml'}:{p.location.line}:")
        assert "^" in p.excerpt
    qengine.load(folder / "form.yaml")  # warnings never stop a form from loading


def test_there_are_golden_analysis_cases() -> None:
    """Every finding has a golden folder (a glob that finds nothing would test nothing)."""
    codes = {line.split()[-1] for case in CASES
             for line in (GOLDEN / case / "expected.txt").read_text("utf-8").splitlines() if line}
    assert codes >= {"unreachable_question", "jump_never", "jump_always", "check_never",
                     "check_always", "check_not_together", "unused_computed", "missing_language",
                     "cannot_decide"}


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_forms_have_no_findings(name: str) -> None:
    """The bundled forms lint clean: no error, no warning, nothing undecided."""
    assert qengine.lint(name) == []


def test_bundled_forms_are_analysed_from_their_machines_alone() -> None:
    """The analysis of each bundled form needs only the form (no source text) and finds nothing
    (its speed is measured by bench/lint_checks.py, never asserted here)."""
    for name in BUNDLED:
        assert analyse(qengine.load(name)) == [], name


def test_load_never_runs_the_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """qengine.load stays fast: it compiles, and never calls the analysis."""
    def boom(*args: Any) -> Any:
        raise AssertionError("analysis ran")

    monkeypatch.setattr(lint_module, "analyse", boom)
    qengine.load("annex6")
    qengine.load(GOLDEN / "unreachable_question" / "form.yaml")
    with pytest.raises(AssertionError):
        qengine.lint(GOLDEN / "unreachable_question" / "form.yaml")


def test_a_form_with_errors_is_not_analysed(tmp_path: Path) -> None:
    """When a stage reports an error, lint gives the errors alone (no analysis of a broken form)."""
    text = (GOLDEN / "unreachable_question" / "form.yaml").read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("to: kind", "to: kinds"), encoding="utf-8")
    assert [p.code for p in qengine.lint(bad)] == ["unknown_target"]


def test_lint_sorts_findings_by_location() -> None:
    """Findings of every kind come out in file order."""
    problems = qengine.lint(GOLDEN / "jump_always" / "form.yaml")
    keys = [(p.location.line, p.location.column) for p in problems]
    assert keys == sorted(keys) and len(keys) == 2


def test_cli_exit_status_and_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    """Warnings only: exit 0, each finding printed located, the summary counts the warnings."""
    path = GOLDEN / "check_never" / "form.yaml"
    assert main(["lint", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"{path}:18:13: warning[check_never]: check contradiction never fires" in out
    assert "0 error(s), 2 warning(s)" in err


def test_cli_json_output_includes_findings(capsys: pytest.CaptureFixture[str]) -> None:
    """--format json lists the findings with file, line, column, code, severity and message."""
    path = GOLDEN / "check_not_together" / "form.yaml"
    assert main(["lint", "--format", "json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(d["line"], d["column"], d["code"], d["severity"]) for d in data] == [
        (30, 5, "check_not_together", "warning")]
    assert data[0]["file"] == str(path) and "pupil" in data[0]["message"]


def test_cli_still_fails_on_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A form with an error exits 1 whatever the analysis would have said."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(form_yaml("- {id: a, label: A, type: single, choices: yesno, jump: {③: a}}\n"),
                   encoding="utf-8")
    assert main(["lint", str(bad)]) == 1


def test_jump_messages_name_the_question_and_target() -> None:
    """A dead jump's message names its question, its target and its rule."""
    problems = qengine.lint(GOLDEN / "jump_never" / "form.yaml")
    assert "jump of size to note" in problems[0].message and "size > 20" in problems[0].message
    assert "earlier jump" in problems[1].message


def test_a_check_on_a_computed_value_is_decided() -> None:
    """A warning on a computed value over money answers can fire and pass: no finding."""
    text = form_yaml("""\
        - {id: size, label: S, type: integer, min: 1}
        - {id: income, label: I, type: money}
        - id: per_head
          label: P
          type: computed
          value: income / size
          checks:
            - {id: poor, severity: warning, when: per_head < line, message: M}
        """, params="line: 4000\n", extra=ZH)
    assert _codes(text) == []


def test_a_check_skipped_with_its_computed_value_never_applies() -> None:
    """A computed value that every path skips leaves its check without a value: never applies."""
    text = form_yaml("""\
        - {id: a, label: A, type: integer, min: 0, jumps: [{when: a >= 0, to: c}]}
        - {id: b, label: B, type: computed, value: a + 1}
        - id: c
          label: C
          type: integer
          checks:
            - {id: late, severity: warning, when: b > c, message: M}
        """, extra=ZH)
    assert _codes(text) == ["jump_always", "check_never"]


def test_many_undecided_checks_give_one_note() -> None:
    """Undecided checks are summed up in one cannot_decide note naming them all, at the first."""
    checks = "".join(f"- {{id: k{i}, severity: warning, when: a * b == {1000 + i}, message: M}}\n"
                     for i in range(8))
    text = form_yaml("- {id: a, label: A, type: integer, min: 3}\n"
                     "- {id: b, label: B, type: integer, min: 3}\n", checks=checks, extra=ZH)
    problems = analyse(qengine.load_text(text, "t.yaml"), text)
    assert [p.code for p in problems] == ["cannot_decide"]
    assert "k0, k1" in problems[0].message and "2 more" in problems[0].message
    assert "tried for a and b, which are used in arithmetic" in problems[0].message


def test_budget_running_out_is_said_not_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no budget, nothing is claimed: one cannot_decide per kind says the budget ran out."""
    monkeypatch.setattr(lint_module, "FORM_BUDGET", 1)
    monkeypatch.setattr(lint_module, "TOTAL_CHECK_BUDGET", 0)
    form = qengine.load(GOLDEN / "check_never" / "form.yaml")
    problems = analyse(form)
    assert [p.code for p in problems] == ["cannot_decide"]
    assert "budget ran out" in problems[0].message
    form = qengine.load(GOLDEN / "unreachable_question" / "form.yaml")
    problems = analyse(form)
    assert [p.code for p in problems] == ["cannot_decide", "cannot_decide"]
    assert "the jumps place → done and place → kind" in problems[0].message
    assert "whether detail, kind and done can be asked" in problems[1].message


def test_a_small_range_of_whole_numbers_is_tried_in_full() -> None:
    """a + b > 8 with both at most 4 is decided exactly: the check never fires."""
    text = form_yaml("- {id: a, label: A, type: integer, min: 0, max: 4}\n"
                     "- {id: b, label: B, type: integer, min: 0, max: 4}\n",
                     checks="- {id: big, severity: warning, when: a + b > 8, message: M}\n",
                     extra=ZH)
    assert _codes(text) == ["check_never"]


def test_functions_of_answers_are_never_taken_for_exact() -> None:
    """abs(x) > 5 and len(t) > 3 can fire and pass: neither is claimed from a default answer."""
    text = form_yaml("- {id: x, label: X, type: integer, min: -10}\n"
                     "- {id: t, label: T, type: text}\n",
                     checks="- {id: big, severity: warning, when: abs(x) > 5, message: M}\n"
                            "- {id: long, severity: warning, when: len(t) > 3, message: M}\n",
                     extra=ZH)
    assert _codes(text) == []


def test_constants_finer_than_the_answers_are_snapped() -> None:
    """x > 2.5 on a whole number, m > 0.005 on money: both fire for some answer (3, 0.01)."""
    text = form_yaml("- {id: x, label: X, type: integer}\n- {id: m, label: M, type: money}\n",
                     checks="- {id: big, severity: warning, when: x > 2.5, message: M}\n"
                            "- {id: tiny, severity: warning, when: m > 0.005, message: M}\n",
                     extra=ZH)
    assert _codes(text) == []


def test_one_code_test_on_many_codes_is_exact() -> None:
    """contains(h, ...) on a 5-code multiple choice is decided: any selection holds one of all."""
    codes = "".join(f"- {{code: {c}, label: x{c}}}\n" for c in range(1, 6))
    text = form_yaml("- id: h\n  label: H\n  type: multiple\n  choices:\n"
                     + "".join(f"    {line}\n" for line in codes.splitlines()),
                     checks="- {id: any, severity: warning, when: "
                            "\"contains(h, ①, ②, ③, ④, ⑤)\", message: M}\n", extra=ZH)
    assert _codes(text) == ["check_always"]


def test_dates_are_tried_on_both_sides_of_a_constant() -> None:
    """A date compared with a date literal fires after it and passes before it."""
    text = form_yaml("- {id: d, label: D, type: date}\n",
                     checks='- {id: late, severity: warning, when: d > "2020-06-30", message: M}\n',
                     extra=ZH)
    assert _codes(text) == []


def test_a_large_form_is_analysed() -> None:
    """A 1,000-question form of gates, sub-questions and checks is analysed to no findings (it
    used to take minutes; the suite's total time is the guard, not an assertion on time)."""
    blocks = []
    for k in range(250):
        blocks.append(f"- {{id: g{k}, label: G, type: single, choices: yesno, "
                      f"jump: {{②: g{k + 1}}}}}\n" if k < 249 else
                      f"- {{id: g{k}, label: G, type: single, choices: yesno}}\n")
        blocks.append(f"- {{id: n{k}, label: N, type: integer, min: 0}}\n")
        blocks.append(f"- {{id: m{k}, label: M, type: money}}\n")
        blocks.append(f"- {{id: s{k}, label: S, type: money, checks: [{{id: c{k}, "
                      f"severity: error, assert: s{k} <= m{k}, message: M}}]}}\n")
    text = form_yaml("".join(blocks), extra=ZH)
    form = qengine.load_text(text, "big.yaml")
    assert analyse(form, text) == []


# -- agreement with brute force on small random forms ------------------------------------------
def _random_form(rng: random.Random) -> tuple[str, dict[str, list[Any]]]:
    """A small form of choice and bounded integer questions with random jumps and checks, and
    every possible answer to each question."""
    kinds = [rng.choice(["yesno", "int", "multi"]) for _ in range(rng.randint(3, 5))]
    ids = [f"q{i}" for i in range(len(kinds))]
    domain: dict[str, list[Any]] = {}
    lines = []

    def atom(i: int) -> str:
        qid = ids[i]
        if kinds[i] == "int":
            return rng.choice([f"{qid} > {rng.randint(0, 4)}", f"{qid} + {ids[0]} == 3"
                               if kinds[0] == "int" else f"{qid} == 0"])
        if kinds[i] == "multi":
            return f"selected({qid}, {rng.randint(1, 3)})"
        return rng.choice([f"{qid} == {rng.randint(1, 2)}", f"not ({qid} == 1)"])

    for i, (qid, kind) in enumerate(zip(ids, kinds)):
        spec = {"yesno": "type: single, choices: yesno", "int": "type: integer, min: 0, max: 3",
                "multi": "type: multiple, choices: [{code: 1, label: x}, {code: 2, label: y}, "
                         "{code: 3, label: z}]"}[kind]
        domain[qid] = {"yesno": [1, 2], "int": [0, 1, 2, 3],
                       "multi": [list(c) for r in (1, 2, 3) for c in
                                 itertools.combinations([1, 2, 3], r)]}[kind]
        jump = ""
        if i < len(ids) - 1 and rng.random() < 0.6:
            rule = atom(i) + (f" or {atom(rng.randint(0, i))}" if rng.random() < 0.3 else "")
            jump = f", jumps: [{{when: \"{rule}\", to: {rng.choice([*ids[i + 2:], 'end'])}}}]"
        lines.append(f"- {{id: {qid}, label: L, {spec}{jump}}}\n")
    checks = [f"- {{id: c{c}, severity: warning, {rng.choice(['when', 'assert'])}: \""
              f"{' and '.join(atom(rng.randrange(len(ids))) for _ in range(rng.randint(1, 2)))}"
              "\", message: M}\n" for c in range(2)]
    return form_yaml("".join(lines), checks="".join(checks), extra=ZH), domain


def _truth(form: qengine.Form, domain: dict[str, list[Any]]) -> dict[str, set[Any]]:
    """What every possible record shows: questions asked, jump and check outcomes."""
    seen: dict[str, set[Any]] = {"asked": set()}
    for combo in itertools.product(*domain.values()):
        walked = form.walk(dict(zip(domain, combo)))
        env, path = walked.env, walked.path
        seen["asked"] |= set(path)
        for qid in path:
            jumps = form.steps[form.question(qid).index].jumps
            first = next((k for k, (g, _t) in enumerate(jumps) if g(env)), None)
            for k, (guard, _t) in enumerate(jumps):
                seen.setdefault(f"{qid}/{k}", set()).update(
                    {"holds" if guard(env) else "fails"} | ({"taken"} if k == first else set()))
        for check in form.checks:
            if all(env.get(d) is not None for d in check.deps):
                seen.setdefault(check.id, set()).add("fires" if check.fires(env) else "passes")
    return seen


@pytest.mark.parametrize("seed", [*range(60), 183])  # 183: a check never applies
def test_findings_agree_with_every_record(seed: int) -> None:
    """On small forms whose answers can all be listed, each finding is true and none is missed."""
    text, domain = _random_form(random.Random(seed))
    form = qengine.load_text(text, "t.yaml")
    truth = _truth(form, domain)
    found = {(p.location.line, p.code) for p in analyse(form, text)}
    view = rules_view(form)
    expected = {(q.loc.line, "unreachable_question") for q in view.questions
                if q.type != "computed" and q.id not in truth["asked"]}
    for q in view.questions:
        for k, jump in enumerate(q.jumps if q.id in truth["asked"] else ()):
            outcome = truth[f"{q.id}/{k}"]
            if "taken" not in outcome:
                expected.add((jump.loc.line, "jump_never"))
            elif "fails" not in outcome:
                expected.add((jump.loc.line, "jump_always"))
    for check, cdef in zip(form.checks, view.checks):
        outcome = truth.get(check.id, set())
        if set(check.deps) - truth["asked"] or outcome == {"fires", "passes"}:
            continue
        code = {frozenset(): "check_not_together", frozenset({"fires"}): "check_always"}.get(
            frozenset(outcome), "check_never")
        expected.add((cdef.loc.line, code))
    assert found == expected


def _search_work(checks: int, spread: bool) -> int:
    """The states and leaves the analysis walks, and the answers it gives the checks' searches,
    for a form of three integer questions and ``checks`` checks ``a > K`` (or over a, b, c)."""
    questions = "".join(f"- {{id: {q}, label: {q}, type: integer}}\n" for q in "abc")
    text = form_yaml(questions, extra=ZH, checks="".join(
        f"- {{id: c{k}, severity: warning, when: \"{'abc'[k % 3] if spread else 'a'} > {k}\", "
        "message: M}\n" for k in range(checks)))
    stats: dict[str, int] = {}
    assert analyse(qengine.load_text(text, "t.yaml"), text, stats=stats) == []
    return stats["states"] + stats["leaves"] + stats["answers"]


@pytest.mark.parametrize("spread", [False, True])
def test_the_check_search_grows_linearly_with_the_checks(spread: bool) -> None:
    """Each check tries one answer of each kind its own rule tells apart, not one around every
    constant the form compares the question with: twice the checks, about twice the work."""
    assert _search_work(400, spread) / _search_work(200, spread) < 2.5
