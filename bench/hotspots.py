"""Where qengine spends its time: stage timings and cProfile of load and validate on a big form.

Run ``python bench/hotspots.py [N]`` (N questions, default 10000). Prints

1. the time of each pipeline stage of ``qengine.load`` (the stages ``compile_text`` runs), with the
   garbage collector on and off, and ``yaml.compose`` with CSafeLoader for scale;
2. the top functions by own time (tottime) under cProfile for ``qengine.load(path)``;
3. the same for ``form.validate`` over a batch of synthetic records (and for annex6).

Not a test; pytest never collects it. It reads qengine's internal stage functions and changes nothing.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import make_form, make_record

import qengine
from qengine.compiler.loader import parse_yaml
from qengine.compiler.lower import lower_definition
from qengine.compiler.model import build_definition
from qengine.compiler.schema import check_schema
from qengine.compiler.typecheck import check_types
from qengine.errors import Diagnostics


def stages(text: str, file: str) -> list[tuple[str, float]]:
    """The stages of ``qengine.compiler.pipeline.compile_text``, timed one by one."""
    out = []
    clock = time.perf_counter
    t0 = clock()
    diag = Diagnostics(file, text)
    out.append(("Diagnostics(text) (splitlines)", clock() - t0))
    t0 = clock()
    data = parse_yaml(text, file, diag)
    out.append(("parse_yaml (libyaml events -> LMap/LList)", clock() - t0))
    t0 = clock()
    check_schema(data, diag, file)
    out.append(("check_schema (jsonschema)", clock() - t0))
    t0 = clock()
    definition = build_definition(data, diag, file)
    out.append(("build_definition (model + lark rules)", clock() - t0))
    t0 = clock()
    types = check_types(definition, diag)
    out.append(("check_types", clock() - t0))
    t0 = clock()
    machine = lower_definition(definition, types, diag, file)
    out.append(("lower_definition (the machine)", clock() - t0))
    assert machine is not None and not diag.has_errors
    t0 = clock()
    qengine.Form(machine)
    out.append(("Form(machine) (the runtime)", clock() - t0))
    return out


def profile(fn, top: int, title: str) -> None:  # type: ignore[no-untyped-def]
    prof = cProfile.Profile()
    gc.collect()
    prof.enable()
    fn()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)
    text = buf.getvalue()
    # keep the table only
    start = text.find("   ncalls")
    print(f"\n== cProfile: {title} (top {top} by tottime) ==")
    head = text[:start].strip().splitlines()
    print("  " + " ".join(line.strip() for line in head if "function calls" in line))
    print(text[start:].rstrip())


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    text = make_form(n, seed=n)
    qengine.load("annex6")  # warm the grammar and schema caches
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"synthetic_{n}.yaml"
        path.write_text(text, encoding="utf-8")

        print(f"== load stages, {n} questions, {len(text) / 1e6:.1f} MB ==")
        for gc_on in (True, False):
            if not gc_on:
                gc.disable()
            gc.collect()
            t0 = time.perf_counter()
            yaml.compose(text, Loader=yaml.CSafeLoader)
            t_compose = time.perf_counter() - t0
            gc.collect()
            parts = stages(text, str(path))
            gc.enable()
            total = sum(t for _, t in parts)
            print(f"  gc {'on ' if gc_on else 'off'}: total {total:.2f} s "
                  f"(yaml.compose CSafeLoader {t_compose:.2f} s)")
            for name, t in parts:
                print(f"    {name:44s} {t:7.3f} s  {100 * t / total:5.1f}%")

        profile(lambda: qengine.load(path, cache=False), 30, f"qengine.load, {n} questions")

    form = qengine.load_text(text)
    rng = random.Random(1)
    records = [make_record(form, rng, errors=(i % 5 == 1)) for i in range(20)]
    profile(lambda: [form.validate(r).ok for r in records], 20,
            f"form.validate x{len(records)}, {n} questions")

    annex6 = qengine.load("annex6")
    from bench import annex6_records  # the hand-rolled annex6 records

    recs = annex6_records(500)
    profile(lambda: [annex6.validate(r).ok for r in recs * 4], 20, "annex6.validate x2000")


if __name__ == "__main__":
    main()
