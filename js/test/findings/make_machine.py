"""Rewrite js/test/findings/fx.machine.json, the machine of fx.yaml (source left out)."""

import json
from pathlib import Path

import qengine

HERE = Path(__file__).resolve().parent
machine = qengine.load(str(HERE / "fx.yaml")).to_json()
machine["source"] = None
(HERE / "fx.machine.json").write_text(json.dumps(machine, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")
