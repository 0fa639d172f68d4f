"""The documentation stays true: every Python block in the guides runs, every example script runs,
and every console session of the command's guide gives the output and exit status it shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ["api.md", "forms.md", "testing.md", "machine.md", "speed.md", "batch.md", "reports.md",
          "export.md", "xlsform.md", "versions.md"]
BLOCKS = [(doc, i, code) for doc in GUIDES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```",
                                              (ROOT / "docs" / doc).read_text("utf-8"), re.S))]

#: The docs whose ```console blocks are sessions to replay (the convention is in docs/cli.md);
#: the console blocks of the other guides show the output of a form after an edit, not runnable.
SESSION_DOCS = ["cli.md"]
_PROMPT = re.compile(r"^(\[[^\]\n]*\])?>(?: (.*))?$")  # an interview prompt and the typed answer


@pytest.mark.parametrize(("doc", "index", "code"), BLOCKS,
                         ids=[f"{d}#{i}" for d, i, _c in BLOCKS])
def test_python_blocks_in_the_guides_run(doc: str, index: int, code: str) -> None:
    """Each ```python block of the guide runs on its own from the repository root."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{doc} block {index}:\n{result.stderr[-2000:]}"


@pytest.mark.parametrize("script", ["embed_interview.py", "validate_records.py",
                                    "batch/validate_files.py"])
def test_example_scripts_run_from_anywhere(script: str, tmp_path: Path) -> None:
    """The example scripts run from another directory and print something."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


def test_there_are_blocks() -> None:
    """The guides hold code (a regex that finds nothing would test nothing)."""
    assert len(BLOCKS) >= 15


# --- console sessions ----------------------------------------------------------------------------
#
# In the session docs, a ```console block is a shell session run from the repository root: a line
# `$ COMMAND` runs COMMAND (through bash, with the installed qengine first on PATH), and the lines up
# to the next `$ ` line are what it prints, standard output and standard error as one terminal shows
# them. A line `...` (indented or not) stands for any number of lines. `$ echo $?` followed by a
# number is the exit status of the command before it; a command without one must exit 0. For
# `qengine interview`, a line `> TEXT` or `[KEPT]> TEXT` is a prompt and the answer typed at it:
# TEXT is fed to the command's standard input.


@attrs.frozen
class Command:
    line: int  # in the doc, for messages
    command: str
    expected: list[str]
    status: int = 0
    stdin: str = ""


def _command(line: int, command: str, output: list[str]) -> Command:
    if not command.startswith("qengine interview"):
        return Command(line, command, output)
    text, typed = "", []
    for out in output:
        m = _PROMPT.match(out)
        if m:  # the terminal echoes the answer and its Enter; a pipe does not
            text += (m.group(1) or "") + "> "
            typed.append(m.group(2) or "")
        else:
            text += out + "\n"
    return Command(line, command, text.splitlines(), stdin="".join(t + "\n" for t in typed))


def sessions(doc: str) -> list[tuple[int, list[Command]]]:
    """(line of the block, its commands) for each ```console block of ``doc``."""
    text = (ROOT / "docs" / doc).read_text("utf-8")
    out = []
    for m in re.finditer(r"^```console\n(.*?)^```", text, re.S | re.M):
        first = text.count("\n", 0, m.start()) + 2
        commands: list[Command] = []
        current: tuple[int, str, list[str]] | None = None
        for n, line in enumerate(m.group(1).splitlines(), start=first):
            if line.startswith("$ "):
                if current is not None:
                    commands.append(_command(*current))
                current = (n, line[2:], [])
            else:
                assert current is not None, f"{doc}:{n}: output before any $ command"
                current[2].append(line)
        if current is not None:
            commands.append(_command(*current))
        merged: list[Command] = []
        for c in commands:
            if c.command.strip() == "echo $?":
                assert merged and len(c.expected) == 1, f"{doc}:{c.line}: echo $? needs a status"
                merged[-1] = attrs.evolve(merged[-1], status=int(c.expected[0]))
            else:
                merged.append(c)
        out.append((first - 1, merged))
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """``actual`` is ``expected`` with each `...` line standing for any lines (trailing spaces
    ignored): the segments between ellipses appear in order, the first at the start, the last at
    the end."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip() for a in actual]
    segments: list[list[str]] = [[]]
    for e in exp:
        if e.strip() == "...":
            segments.append([])
        else:
            segments[-1].append(e)
    if len(segments) == 1:
        return exp == act
    first, *middle, last = segments
    if act[: len(first)] != first or len(act) < len(first) + len(last):
        return False
    pos, end = len(first), len(act) - len(last)
    if last and act[end:] != last:
        return False
    for seg in middle:
        while pos + len(seg) <= end and act[pos:pos + len(seg)] != seg:
            pos += 1
        if pos + len(seg) > end:
            return False
        pos += len(seg)
    return True


def _workdir(tmp_path: Path) -> Path:
    """A directory that looks like the repository root (its entries linked), so a session may
    write files without touching the repository."""
    for entry in ROOT.iterdir():
        if entry.name != ".git":
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def _env() -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    assert shutil.which("qengine", path=str(bin_dir)), "qengine is not installed beside python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONIOENCODING")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONUTF8="1")
    return env


SESSIONS = [(doc, line, commands) for doc in SESSION_DOCS for line, commands in sessions(doc)]


@pytest.mark.parametrize(("doc", "line", "commands"), SESSIONS,
                         ids=[f"{d}:{n}" for d, n, _c in SESSIONS])
def test_console_sessions_in_the_docs_replay(doc: str, line: int, commands: list[Command],
                                             tmp_path: Path) -> None:
    """Each console session of the docs gives the output and the exit status it shows."""
    cwd, env = _workdir(tmp_path), _env()
    for c in commands:
        result = subprocess.run(["bash", "-c", c.command], cwd=cwd, env=env, input=c.stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8",
                                errors="replace", timeout=300)
        where = f"{doc}:{c.line}: $ {c.command}"
        assert result.returncode == c.status, f"{where}\nexit {result.returncode}\n{result.stdout}"
        assert matches(c.expected, result.stdout.splitlines()), (
            f"{where}\n--- documented\n" + "\n".join(c.expected)
            + "\n--- actual\n" + result.stdout)


def test_there_are_sessions() -> None:
    """The command's guide holds sessions, every subcommand among them."""
    commands = " ".join(c.command for _d, _n, cs in SESSIONS for c in cs)
    for sub in ("forms", "lint", "validate", "interview", "graph", "export", "schema", "--version"):
        assert f"qengine {sub}" in commands, sub


@pytest.mark.parametrize(("expected", "actual", "ok"), [
    (["a", "b"], ["a", "b"], True),
    (["a", "b"], ["a", "c"], False),
    (["a", "...", "d"], ["a", "b", "c", "d"], True),
    (["a", "...", "d"], ["a", "d"], True),
    (["a", "...", "c", "...", "e"], ["a", "b", "c", "d", "e"], True),
    (["a", "...", "c", "...", "e"], ["a", "b", "d", "e"], False),
    (["a", "..."], ["a", "x", "y"], True),
    (["...", "z"], ["x", "z"], True),
    (["a", "...", "a"], ["a"], False),
    (["x  "], ["x"], True),
])
def test_elision_matching(expected: list[str], actual: list[str], ok: bool) -> None:
    """`...` lines stand for any lines, and nothing else is forgiven but trailing spaces."""
    assert matches(expected, actual) is ok


# --- the JavaScript guide ------------------------------------------------------------------------
#
# docs/javascript.md's blocks form one story: its first console command exports the machine, then
# its ```js blocks (run by node, `qengine-runtime` resolving to js/) and its ```python blocks run
# in the order written, in one directory, so that a snapshot written by one runtime is resumed by
# the other.
JS_GUIDE = ROOT / "docs" / "javascript.md"
JS_BLOCKS = re.findall(r"```(js|python)\n(.*?)```", JS_GUIDE.read_text("utf-8"), re.S)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_javascript_guide_runs_in_order(tmp_path: Path) -> None:
    export = re.search(r"```console\n\$ (qengine export [^\n]*)", JS_GUIDE.read_text("utf-8"))
    assert export is not None
    env = _env()
    subprocess.run(["bash", "-c", export.group(1)], cwd=tmp_path, env=env, check=True,
                   timeout=300)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "qengine-runtime").symlink_to(ROOT / "js")
    for n, (lang, code) in enumerate(JS_BLOCKS):
        script = tmp_path / f"block{n}.{'mjs' if lang == 'js' else 'py'}"
        script.write_text(code, encoding="utf-8")
        command = [shutil.which("node") or "node" if lang == "js" else sys.executable, str(script)]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"javascript.md {lang} block {n}:\n{result.stderr[-2000:]}"
    assert [lang for lang, _c in JS_BLOCKS].count("js") >= 4
