"""The JavaScript runtime (js/) agrees with Python: its own tests on the committed fixtures, and
again on fixtures made now by the Python runtime of this checkout, so they cannot drift from it.

Needs node (>= 18); .ci/run installs it when missing. Without it these tests skip and say so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)")


def node_tests(js: Path) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, "--test", str(js / "test")], capture_output=True, text=True,
                          timeout=300, cwd=js)


def test_the_javascript_runtime_passes_its_tests() -> None:
    result = node_tests(ROOT / "js")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_the_javascript_runtime_agrees_with_this_python_runtime(tmp_path: Path) -> None:
    """Fresh records and interview scripts from the Python runtime as it is now (the generators
    draw new ones each run), replayed by node: every violation, path, record and state equal."""
    js = tmp_path / "js"
    shutil.copytree(ROOT / "js", js)
    shutil.copytree(ROOT / "conformance", tmp_path / "conformance")  # its runner reads ../conformance
    for script in ("make_fixtures.py", "make_interviews.py"):
        made = subprocess.run([sys.executable, str(js / "test" / script)], capture_output=True,
                              text=True, timeout=300, cwd=ROOT)
        assert made.returncode == 0, made.stderr[-2000:]
    result = node_tests(js)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_the_findings_test_machine_is_what_its_yaml_compiles_to() -> None:
    """js/test/findings/fx.machine.json (read by js/test/findings.test.js) is the machine of
    fx.yaml beside it, as this checkout's compiler makes it."""
    import json

    import qengine

    here = ROOT / "js" / "test" / "findings"
    machine = qengine.load(str(here / "fx.yaml")).to_json()
    machine["source"] = None
    assert json.loads((here / "fx.machine.json").read_text("utf-8")) == machine, (
        "stale: python js/test/findings/make_machine.py")


def test_the_javascript_catalogue_is_pythons() -> None:
    """js/src/catalogue.js holds MESSAGES and FORM_CODES exactly as qengine.catalogue has them
    (the same keys, order and texts), so a code added in Python cannot be missing in JavaScript."""
    import json

    from qengine.catalogue import FORM_CODES, MESSAGES

    assert NODE is not None
    script = ('import("./src/catalogue.js").then((m) => process.stdout.write('
              'JSON.stringify([m.MESSAGES, m.FORM_CODES])));')
    result = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True,
                            text=True, timeout=60, cwd=ROOT / "js")
    assert result.returncode == 0, result.stderr[-2000:]
    messages, codes = json.loads(result.stdout)
    assert list(messages.items()) == list(MESSAGES.items())
    assert list(codes.items()) == list(FORM_CODES.items()), (
        "js/src/catalogue.js: copy FORM_CODES from qengine/catalogue.py")
