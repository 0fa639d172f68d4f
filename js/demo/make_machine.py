"""Write js/demo/annex6.machine.json, the machine the browser demo runs: the output of
`qengine export annex6 --format machine`, with `source` set to null (the export names the YAML
file by its absolute path on this machine, which would make the committed file differ from one
checkout to the next; a runtime reads `source` only for locations in messages).

Run from anywhere: /tmp/venv/bin/python js/demo/make_machine.py
(`--check` writes nothing and exits 1 when the committed file differs from a fresh export.)
tests/test_js_demo.py checks that the committed file equals a fresh export.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MACHINE = HERE / "annex6.machine.json"


def machine_text() -> str:
    """The machine file as `qengine export annex6 --format machine` writes it, `source` null."""
    made = subprocess.run([sys.executable, "-m", "qengine", "export", "annex6", "--format", "machine"],
                          capture_output=True, text=True, encoding="utf-8", check=True)
    machine = json.loads(made.stdout)
    machine["source"] = None
    # The same layout as the export's (indent 2, UTF-8 text, a final newline).
    return json.dumps(machine, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def main(argv: list[str]) -> int:
    text = machine_text()
    if "--check" in argv:
        same = MACHINE.is_file() and MACHINE.read_text(encoding="utf-8") == text
        if not same:
            print(f"{MACHINE} differs from a fresh export: run {Path(__file__).name}", file=sys.stderr)
        return 0 if same else 1
    MACHINE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
