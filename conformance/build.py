"""Compile the conformance cases (``conformance/cases/*.yaml``) into what every runtime reads:
``conformance/compiled/<file>.json``, each case file checked against ``case.schema.json`` with
its forms compiled into machines by this checkout's compiler.

    python conformance/build.py           # write conformance/compiled/
    python conformance/build.py --check   # exit 1 when compiled/ is not what the cases give
    python conformance/build.py cases/interview.yaml   # only the files named

A runtime other than Python needs only the compiled files (JSON: machines and cases), never YAML.
See docs/conformance.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

import qengine

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
COMPILED = HERE / "compiled"
SCHEMA = json.loads((HERE / "case.schema.json").read_text(encoding="utf-8"))
FORMAT = "qengine-conformance/1"
BUNDLED = re.compile(r"[a-z][a-z0-9_]*")


class CaseError(Exception):
    """A case file that cannot be read, breaks the schema, or names a form that does not compile."""


class _Loader(yaml.SafeLoader):
    """YAML as the cases mean it: dates stay text (a record holds "2020-05-01" as entered, never a
    date object) and a key written twice is an error, not a silent overwrite."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


_MERGE = "tag:yaml.org,2002:merge"


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping; ``<<: *anchor`` (or a list of anchors, the first winning) merges another
    mapping in, and the keys written beside it override the merged ones."""
    out: dict[Any, Any] = {}
    merged: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        mark = key_node.start_mark
        where = f"{mark.name}:{mark.line + 1}:{mark.column + 1}"
        if key_node.tag == _MERGE:
            value = loader.construct_object(value_node, deep=True)
            for part in reversed(value if isinstance(value, list) else [value]):
                if not isinstance(part, dict):
                    raise CaseError(f"{where}: '<<' merges a mapping (an alias such as "
                                    f"*household), not a {type(part).__name__}")
                merged.update(part)
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise CaseError(f"{where}: key {key!r} is written twice")
        out[key] = loader.construct_object(value_node, deep=True)
    return {**merged, **out} if merged else out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_cases(path: Path) -> dict[str, Any]:
    """One case file, read and checked against the schema (CaseError says where and what)."""
    text = path.read_text(encoding="utf-8")
    try:
        loader = _Loader(text)
        loader.name = path.name
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise CaseError(f"{path.name}: {exc}") from None
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data),
                    key=lambda e: list(e.absolute_path))
    if errors:
        raise CaseError("\n".join(f"{path.name}: /{'/'.join(map(str, e.absolute_path))}: "
                                  f"{e.message}" for e in errors))
    names = [case["id"] for case in data["cases"]]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CaseError(f"{path.name}: case ids written twice: {', '.join(twice)}")
    return data


def machine_of(form: str, where: str) -> dict[str, Any]:
    """The machine of a bundled form's name or of inline YAML text; ``source`` left out so that
    the compiled files do not depend on where the checkout lies."""
    try:
        compiled = qengine.load(form) if BUNDLED.fullmatch(form) else qengine.load_text(form, where)
    except qengine.FormError as exc:
        raise CaseError(f"{where}: the form does not compile:\n{exc}") from None
    machine = compiled.to_json()
    machine["source"] = None
    return machine


def compile_file(path: Path) -> dict[str, Any]:
    """The compiled form of one case file: its machines (by key) and its cases, each naming one."""
    data = read_cases(path)
    machines: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    cases = []
    for case in data["cases"]:
        form = case.get("form", data.get("form"))
        if form is None:
            raise CaseError(f"{path.name}: case {case['id']!r} has no form (and the file none)")
        if form not in keys:
            key = form if BUNDLED.fullmatch(form) else f"inline{len(keys) + 1}"
            keys[form] = key
            machines[key] = machine_of(form, f"conformance/cases/{path.name}#{case['id']}")
        out = {"id": f"{path.stem}/{case['id']}", "machine": keys[form]}
        if "clock" in data:  # the file's fixed clock, unless the case has its own
            out["clock"] = data["clock"]
        out.update({k: v for k, v in case.items() if k not in ("id", "form")})
        cases.append(out)
    return {"format": FORMAT, "file": f"cases/{path.name}", "title": data["title"],
            "machines": machines, "cases": cases}


def dumps(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False, sort_keys=False)
    # a lone surrogate cannot be UTF-8: keep it as a JSON escape
    return re.sub(r"[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def build(paths: list[Path] | None = None) -> dict[str, str]:
    """The compiled file's name and text of each case file (of all, by default)."""
    chosen = sorted(CASES.glob("*.yaml")) if paths is None else paths
    return {f"{p.stem}.json": dumps(compile_file(p)) for p in chosen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when conformance/compiled/ is out of date")
    parser.add_argument("files", nargs="*", type=Path,
                        help="case files to compile (default: every conformance/cases/*.yaml)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"conformance: no such case file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        made = build([p.resolve() for p in args.files] or None)
    except CaseError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 1
    present = {p.name: p.read_text(encoding="utf-8") for p in COMPILED.glob("*.json")
               if not args.files or p.name in made}
    stale = sorted(n for n in made.keys() | present.keys() if made.get(n) != present.get(n))
    if args.check:
        for name in stale:
            print(f"conformance: compiled/{name} is out of date (python conformance/build.py)",
                  file=sys.stderr)
        return 1 if stale else 0
    COMPILED.mkdir(exist_ok=True)
    for name in present.keys() - made.keys():
        (COMPILED / name).unlink()
    for name, text in made.items():
        (COMPILED / name).write_text(text, encoding="utf-8")
    count = sum(len(json.loads(t)["cases"]) for t in made.values())
    print(f"conformance: {count} cases in {len(made)} files; {len(stale)} file(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
