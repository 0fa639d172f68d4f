"""The qengine command: lint, validate, graph, forms, schema."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLE, form_yaml

from qengine.apps.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_lint_clean_and_broken(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Exit 0 on a clean form; 1 with every located problem on a broken one."""
    assert main(["lint", str(EXAMPLE)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(form_yaml("- {id: a, label: A, type: single, choices: yesno, "
                             "jump: {②: q55}}\n- {id: q5, label: B, type: text}\n"
                             "- {id: q5, label: C, type: text}\n"), encoding="utf-8")
    capsys.readouterr()
    assert main(["lint", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:11:" in out and "did you mean 'q5'" in out and "duplicate_id" in out


def test_lint_json_format(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """--format json gives file, line, column, code, severity, message for tools."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("form: x\n", encoding="utf-8")
    assert main(["lint", "--format", "json", str(bad)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data and {"file", "line", "column", "code", "severity", "message"} <= set(data[0])


def test_validate_writes_one_line_per_record_and_a_summary(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """One JSON line per record (bad JSON included), then the summary; --strict exits 1."""
    records = tmp_path / "r.jsonl"
    good = {"head_name": "张三", "household_size": 3, "q1": 12600, "q2": 2, "q3": 1,
            "survey_date": "2020-04-15"}
    records.write_text("\n".join([json.dumps(good), json.dumps({**good, "q2": 9}), "{oops",
                                  "[1]", ""]) + "\n", encoding="utf-8")
    assert main(["validate", str(EXAMPLE), str(records)]) == 0
    capsys.readouterr()
    assert main(["validate", "--strict", str(EXAMPLE), str(records)]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines()]
    assert [x["ok"] for x in lines[:-1]] == [True, False, False, False]
    assert lines[1]["errors"][0]["rule"] == "choice"
    assert lines[2]["errors"][0]["rule"] == "bad_json"
    assert lines[3]["errors"][0]["rule"] == "not_a_record"
    summary = lines[-1]["summary"]
    assert (summary["records"], summary["ok"], summary["with_errors"]) == (4, 1, 3)
    assert "4 record(s)" in captured.err


def test_validate_params_and_bad_input(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """--param overrides; unknown params and missing files exit 2 with a message."""
    records = tmp_path / "r.jsonl"
    records.write_text(json.dumps({"head_name": "张三", "household_size": 3, "q1": 12600,
                                   "q2": 2, "q3": 1, "survey_date": "2020-04-15"}) + "\n",
                       encoding="utf-8")
    assert main(["validate", str(EXAMPLE), str(records), "--param", "income_line=4500"]) == 0
    assert "low_income" in capsys.readouterr().out
    assert main(["validate", str(EXAMPLE), str(records), "--param", "nope=1"]) == 2
    assert main(["validate", str(EXAMPLE), str(tmp_path / "missing.jsonl")]) == 2
    assert main(["validate", "no-such-form", str(records)]) == 1


def test_graph_forms_schema(capsys) -> None:  # type: ignore[no-untyped-def]
    """graph (json and dot), forms and schema print what they promise."""
    assert main(["graph", str(EXAMPLE)]) == 0
    assert json.loads(capsys.readouterr().out)["form"] == "household_mini"
    assert main(["graph", str(EXAMPLE), "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph")
    assert main(["forms"]) == 0
    assert "annex6" in capsys.readouterr().out
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "qengine form"


def test_interview_in_the_terminal(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The terminal front end asks, refuses a bad answer, goes back, and prints the record."""
    answers = iter(["张三", "0", "3", "<", "3", "12600", "②", "①", "2020-04-15"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["interview", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "below the minimum" in out
    assert json.loads(out.strip().splitlines()[-1])["household_size"] == 3
