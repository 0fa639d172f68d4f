"""The layers of src/qengine import one way, and the runtime loads without the compiler's libraries."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import qengine

SRC = Path(qengine.__file__).resolve().parent

#: Each part of the package and its layer; a module may import only from its own layer or below.
LAYERS: dict[str, int] = {
    "errors": 0, "catalogue": 0, "location": 0, "notation": 0,
    "runtime": 1,
    "lang": 2,
    "compiler": 3,
    "analysis": 4,
    "batch": 5, "formats": 5, "testing": 5,
    "reports": 6,
    "apps": 7, "pytest_plugin": 7, "__main__": 7,
    "__init__": 8,  # the facade re-exports from every layer
}

#: Third-party libraries and the one part of the package that may import each (its home).
HOMES: dict[str, set[str]] = {
    "yaml": {"compiler"}, "lark": {"lang"}, "jsonschema": {"compiler"},
    "fastjsonschema": {"compiler"}, "hypothesis": {"testing"}, "pytest": {"pytest_plugin"},
    "orjson": {"batch"}, "openpyxl": {"batch", "formats", "reports"}, "rich": {"apps"},
    "dask": {"batch"},
    "distributed": {"batch"}, "fsspec": {"batch"}, "starlette": {"apps"}, "uvicorn": {"apps"},
    "pyreadstat": {"formats"}, "pandas": {"formats"},
}


def _part(module: Path) -> str:
    rel = module.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(module: Path) -> list[tuple[str, int]]:
    """Every module an import statement of ``module`` names (absolute), with its line."""
    tree = ast.parse(module.read_text("utf-8"))
    package = ".".join(("qengine", *module.relative_to(SRC).with_suffix("").parts[:-1]))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out.append((name, node.lineno))
            if node.module is None or name in ("qengine",):
                out += [(f"{name}.{a.name}", node.lineno) for a in node.names]
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_part_has_a_layer() -> None:
    """Every module and folder of the package is in the layer table."""
    assert {_part(m) for m in _modules()} <= set(LAYERS)


def test_imports_go_down_the_layers() -> None:
    """A module imports only from its own layer or a lower one."""
    bad = []
    for module in _modules():
        here = LAYERS[_part(module)]
        for name, line in _imports(module):
            parts = name.split(".")
            if parts[0] != "qengine" or len(parts) < 2 or parts[1] == "__version__":
                continue
            if LAYERS[parts[1]] > here:
                bad.append(f"{module.relative_to(SRC)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_each_heavy_dependency_has_one_home() -> None:
    """yaml, lark, jsonschema, fastjsonschema and hypothesis are each imported by one part only."""
    bad = []
    for module in _modules():
        part = _part(module)
        for name, line in _imports(module):
            home = HOMES.get(name.split(".")[0])
            if home is not None and part not in home:
                bad.append(f"{module.relative_to(SRC)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def _own_private_names(tree: ast.Module) -> set[str]:
    """The private names a module defines: its functions, classes, methods and attributes."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.ClassDef):
            out.add(node.name)
    for node in ast.walk(tree):  # __slots__ and attrs fields name attributes too
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.add(node.value)
    return {name for name in out if name.startswith("_")}


def test_no_module_reads_another_modules_private_names() -> None:
    """``from x import _name`` and ``obj._name`` of a name another module defines do not occur."""
    bad = []
    for module in _modules():
        tree = ast.parse(module.read_text("utf-8"))
        own = _own_private_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                bad += [f"{module.relative_to(SRC)}:{node.lineno} imports {a.name}"
                        for a in node.names if a.name.startswith("_") and a.name != "__version__"]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                  and not node.attr.startswith("__") and node.attr not in own):
                bad.append(f"{module.relative_to(SRC)}:{node.lineno} reads .{node.attr}")
    assert not bad, "\n".join(bad)


def test_the_runtime_loads_without_the_compilers_libraries() -> None:
    """``import qengine.runtime`` in a clean process, through the installed package, loads none of
    yaml, lark, jsonschema, fastjsonschema or hypothesis, nor the compiler."""
    code = ("import sys\n"
            "import qengine.runtime\n"
            "heavy = ('yaml', 'lark', 'jsonschema', 'fastjsonschema', 'hypothesis',\n"
            "         'qengine.compiler', 'qengine.lang', 'qengine.analysis')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy or\n"
            "             any(m == h or m.startswith(h + '.') for h in heavy))\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-I", "-c", code], check=True, capture_output=True,
                         text=True, cwd="/")
    assert out.stdout.strip() == ""


def test_a_machine_runs_without_the_compilers_libraries(tmp_path: Path) -> None:
    """A machine file drives an interview in a process that never loads yaml, lark or jsonschema."""
    machine = tmp_path / "annex6.json"
    machine.write_text(json.dumps(qengine.load("annex6").to_json(), ensure_ascii=False),
                       encoding="utf-8")
    code = ("import sys, json\n"
            "from qengine.runtime import Form\n"
            f"form = Form.from_json(json.load(open({str(machine)!r}, encoding='utf-8')))\n"
            "iv = form.start(); iv.answer('长沙县')\n"
            "assert iv.current.id == 'township'\n"
            "heavy = ('yaml', 'lark', 'jsonschema', 'fastjsonschema')\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n")
    out = subprocess.run([sys.executable, "-I", "-c", code], check=True, capture_output=True,
                         text=True, cwd="/")
    assert out.stdout.strip() == ""
