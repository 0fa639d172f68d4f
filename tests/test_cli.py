"""The qengine command: lint, validate, interview, graph, export, forms, schema, and its failures."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, form_yaml

import qengine
from qengine.apps.cli import build_parser, main

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]

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


def test_interview_in_the_terminal(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The terminal front end asks, refuses a bad answer, goes back, and prints the record alone
    on standard output (docs/terminal.md; tests/test_terminal.py drives it on a terminal)."""
    monkeypatch.chdir(tmp_path)  # where the interview is saved
    monkeypatch.setattr("sys.stdin", io.StringIO("张三\n0\n3\n<\n3\n12600\n②\n①\n2020-04-15\n"))
    assert main(["interview", "--lang", "en", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert "below the minimum" in err
    assert json.loads(out)["household_size"] == 3


# --- the installed command, in real processes ----------------------------------------------------

BIN = Path(sys.executable).parent
QENGINE = [str(BIN / "qengine")] if (BIN / "qengine").exists() else [sys.executable, "-m", "qengine"]


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
        cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    """The installed qengine with ``args``, its output as bytes."""
    return subprocess.run([*QENGINE, *args], input=stdin, capture_output=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=300)


def records(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [json.loads(x) for x in result.stdout.splitlines()]


def clean(result: subprocess.CompletedProcess[bytes]) -> bool:
    """No traceback and no 'Exception ignored' on standard error."""
    return b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr


def test_validate_survives_deep_nesting() -> None:
    """'[' * 100000 on stdin, and a line nested 2,000 deep in a file, are bad_json; the run goes on."""
    result = run("validate", "annex6", "-", stdin=b"[" * 100_000 + b"\n")
    assert result.returncode == 0 and clean(result)
    assert records(result)[0]["errors"][0]["rule"] == "bad_json"


def test_validate_deep_line_in_a_file(tmp_path: Path) -> None:
    """A 2,000-deep line in a file is bad_json and the next record is validated."""
    f = tmp_path / "r.jsonl"
    f.write_bytes(b"[" * 2000 + b"]" * 2000 + b"\n{}\n")
    result = run("validate", "annex6", str(f))
    assert result.returncode == 0 and clean(result)
    lines = records(result)
    assert lines[0]["errors"][0]["rule"] == "bad_json"
    assert lines[1]["line"] == 2 and lines[-1]["summary"]["records"] == 2


def test_validate_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    """A UTF-8 BOM on line 1 reads as the same record without it."""
    sample = (ROOT / "examples" / "annex6-sample.jsonl").read_bytes().splitlines()[0]
    f = tmp_path / "bom.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + sample + b"\n")
    result = run("validate", "annex6", str(f))
    assert result.returncode == 0 and records(result)[0]["ok"] is True


def test_validate_non_utf8_is_the_same_from_stdin_and_a_file(tmp_path: Path) -> None:
    """A non-UTF-8 line is a bad_encoding record, from standard input and from a file alike."""
    data = b"\xff\xfe\n{}\n"
    f = tmp_path / "latin.jsonl"
    f.write_bytes(data)
    from_file, from_stdin = run("validate", "annex6", str(f)), run("validate", "annex6", "-",
                                                                   stdin=data)
    assert from_file.returncode == from_stdin.returncode == 0
    assert from_file.stdout == from_stdin.stdout
    assert records(from_file)[0]["errors"][0]["rule"] == "bad_encoding"
    assert records(from_file)[-1]["summary"]["records"] == 2


@pytest.mark.parametrize(("name", "data"), [
    ("records.xlsx", b"PK\x03\x04\x14\x00"),
    ("records.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ("records.jsonl", b"PK\x03\x04\x14\x00"),  # a workbook by its bytes, whatever its name
])
def test_validate_refuses_spreadsheets(tmp_path: Path, name: str, data: bytes) -> None:
    """A broken workbook, an Excel 97-2003 file, or workbook bytes named .jsonl are refused with
    one line and exit 2, before any record is written (CSV and .xlsx are read: docs/batch.md)."""
    f = tmp_path / name
    f.write_bytes(data)
    result = run("validate", "annex6", str(f))
    assert result.returncode == 2 and clean(result)
    assert result.stdout == b"" and len(result.stderr.splitlines()) == 1


def test_validate_refuses_a_workbook_on_stdin() -> None:
    """Workbook bytes on standard input are refused too (exit 2)."""
    result = run("validate", "annex6", "-", stdin=b"PK\x03\x04\x14\x00" + b"\0" * 100)
    assert result.returncode == 2 and clean(result) and result.stdout == b""


def test_validate_is_strict_and_coerce_converts_entered_text(tmp_path: Path) -> None:
    """Entered text ('②', '是', full-width digits) is a type error unless --coerce converts it;
    the sample's line 18 holds such text on purpose."""
    sample = (ROOT / "examples" / "annex6-sample.jsonl").read_bytes().splitlines()
    f = tmp_path / "entered.jsonl"
    f.write_bytes(sample[17] + b"\n" + sample[0] + b"\n")
    strict = run("validate", "annex6", str(f))
    assert strict.returncode == 0 and clean(strict)
    line18, line1, _summary = records(strict)
    assert not line18["ok"] and line1["ok"]
    types = [e for e in line18["errors"] if e["rule"] == "type"]
    assert {"household_size", "q2", "q3", "q4", "q20"} <= {q for e in types for q in e["questions"]}
    assert all(set(e["messages"]) == {"zh", "en"} and e["message"] == e["messages"]["zh"]
               for e in types)
    assert run("validate", "--strict", "annex6", str(f)).returncode == 1
    coerced = run("validate", "--coerce", "--strict", "annex6", str(f))
    assert coerced.returncode == 0 and clean(coerced)
    assert [r.get("ok") for r in records(coerced)[:-1]] == [True, True]
    assert records(coerced)[-1]["summary"]["with_errors"] == 0
    assert b"2 ok, 0 with errors" in coerced.stderr


def test_validate_help_mentions_coerce() -> None:
    """validate --help describes --coerce."""
    result = run("validate", "--help")
    assert result.returncode == 0 and b"--coerce" in result.stdout


def _first_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    box: list[bytes] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box else b""


@pytest.mark.skipif(not Path("/dev/zero").exists() or resource is None, reason="needs /dev/zero")
def test_validate_dev_zero_runs_in_bounded_memory() -> None:
    """/dev/zero (one endless line) gives a bad_json record at once and keeps running in 1 GiB."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    proc = subprocess.Popen([*QENGINE, "validate", "annex6", "/dev/zero"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    try:
        first = _first_line(proc, 60)
        assert json.loads(first)["errors"][0]["rule"] == "bad_json"
        time.sleep(2)  # long enough to read far beyond 1 GiB of zeros
        assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
    finally:
        proc.kill()
        proc.wait()


def test_output_survives_a_non_utf8_file_name(tmp_path: Path) -> None:
    """lint of a non-UTF-8 file name, printed to a UTF-8 stream, exits 1 without a traceback."""
    name = os.fsdecode(b"\xff.yaml")
    for fmt in ("text", "json"):
        result = run("lint", "--format", fmt, name, cwd=tmp_path, env={"PYTHONIOENCODING": "utf-8"})
        assert result.returncode == 1 and clean(result)


def test_output_survives_an_ascii_terminal() -> None:
    """Chinese titles printed to an ASCII-only stream come out escaped, exit 0."""
    result = run("forms", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0 and clean(result) and b"annex6" in result.stdout


def test_interview_refuses_undecodable_input(tmp_path: Path) -> None:
    """A non-UTF-8 answer line is refused and asked again; the run ends (input over) with 1."""
    result = run("interview", "annex6", stdin=b"\xff\n", env={"PYTHONIOENCODING": "utf-8"},
                 cwd=tmp_path)
    assert result.returncode == 1 and clean(result) and result.stdout == b""
    assert "输入的不是 UTF-8 文本".encode() in result.stderr
    assert result.stderr.count("县（市、区）".encode()) == 1


def test_version() -> None:
    """--version prints qengine.__version__ and exits 0."""
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.decode().split() == ["qengine", qengine.__version__]


def _actions(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.Action]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                out.append((f"{path} {name}", argparse.Action([], name, help=helps.get(name))))
                out += _actions(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            out.append((path, action))
    return out


def test_every_argument_has_help() -> None:
    """Every option, argument and subcommand of every subcommand has a help text."""
    actions = _actions(build_parser(), "qengine")
    assert len(actions) > 15
    missing = [f"{path}: {a.dest}" for path, a in actions if not (a.help or "").strip()]
    assert not missing


def test_every_subcommand_has_help_output() -> None:
    """qengine COMMAND --help exits 0 for every subcommand."""
    for sub in ("lint", "validate", "interview", "graph", "export", "forms", "schema"):
        assert run(sub, "--help").returncode == 0, sub


def test_export_machine_json(tmp_path: Path) -> None:
    """export --format machine writes the form's machine JSON, to stdout and to -o FILE alike."""
    result = run("export", "annex6", "--format", "machine")
    assert result.returncode == 0 and clean(result)
    machine = json.loads(result.stdout)
    assert machine["format"] == "qengine-machine/1"
    out = tmp_path / "annex6.json"
    assert run("export", str(EXAMPLE), "-o", str(out)).returncode == 0
    assert json.loads(out.read_text("utf-8"))["format"] == "qengine-machine/1"


def test_export_never_overwrites_its_form(tmp_path: Path) -> None:
    """-o naming the form file itself is a usage error (exit 2) and leaves the file alone."""
    form = tmp_path / "f.yaml"
    form.write_bytes(EXAMPLE.read_bytes())
    result = run("export", str(form), "-o", str(form))
    assert result.returncode == 2 and clean(result)
    assert form.read_bytes() == EXAMPLE.read_bytes()


SAMPLE = "examples/annex6-sample.jsonl"
BAD_ARGUMENTS = [
    ["validate", "annex6", "no-such-records.jsonl"],
    ["validate", "annex6", "examples"],  # a directory
    ["validate", "--param", "income_line", "annex6", SAMPLE],
    ["validate", "--param", "=4500", "annex6", SAMPLE],
    ["validate", "--param", "income_line=abc", "annex6", SAMPLE],
    ["validate", "--param", "income_line=NaN", "annex6", SAMPLE],
    ["validate", "--param", "income_line=1e999", "annex6", SAMPLE],
    ["validate", "--param", "income_line=" + "[" * 5000, "annex6", SAMPLE],
    ["validate", "--param", "period_start=[1]", "annex6", SAMPLE],
    ["validate", "--param", "nope=1", "annex6", SAMPLE],
    ["interview", "--lang", "xx", "annex6"],
    ["export", "--format", "xlsform", "annex6"],
    ["graph", "--format", "png", "annex6"],
    ["lint", "--format", "yaml", "forms/annex6.yaml"],
    ["lint"],
    ["validate", "annex6"],
    ["nosuchcommand"],
    [],
]


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=[" ".join(a)[:40] for a in BAD_ARGUMENTS])
def test_bad_arguments_exit_2_without_a_traceback(args: list[str]) -> None:
    """A bad argument to any subcommand is an error message and exit 2, never a traceback."""
    result = run(*args)
    assert result.returncode == 2 and clean(result) and result.stderr.strip()
    if not result.stderr.startswith(b"usage:"):  # argparse's own errors add the usage line
        assert len(result.stderr.splitlines()) == 1


def test_export_to_an_unwritable_file_exits_2(tmp_path: Path) -> None:
    """-o into a folder that does not exist is one line and exit 2."""
    result = run("export", "annex6", "-o", str(tmp_path / "no" / "such.json"))
    assert result.returncode == 2 and clean(result) and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", [["graph", "annex6"], ["validate", "annex6", SAMPLE]])
def test_a_full_disk_exits_2_without_a_traceback(args: list[str]) -> None:
    """Output to /dev/full is one line on standard error and exit 2."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    with open("/dev/full", "wb") as full:
        result = subprocess.run([*QENGINE, *args], stdout=full, stderr=subprocess.PIPE, cwd=ROOT,
                                timeout=300)
    assert result.returncode == 2 and clean(result) and len(result.stderr.splitlines()) == 1


def test_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """Output into a pipe closed early (| head -1) ends with 0 and nothing on standard error."""
    big = tmp_path / "big.jsonl"
    big.write_bytes((ROOT / SAMPLE).read_bytes() * 300)
    proc = subprocess.Popen([*QENGINE, "validate", "annex6", str(big)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 0
    assert b"Traceback" not in err and b"Exception ignored" not in err
