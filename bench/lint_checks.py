"""Timings of the whole-form analysis (``qengine lint``) on forms of many checks.

Three integer questions ``a``, ``b``, ``c`` and N checks ``x > K``: all on ``a`` (``same``) or
spread over the three (``spread``). The analysis should grow about linearly with N.
``python bench/lint_checks.py [N ...]`` (default 1000 2000 3000). Prints; never asserts.
"""

from __future__ import annotations

import sys
import time

import qengine
from qengine.analysis.lint import analyse

HEAD = """form: t
version: "1"
title: {zh: 测试, en: Test}
languages: [zh]
sections:
  - id: main
    questions:
      - {id: a, label: A, type: integer}
      - {id: b, label: B, type: integer}
      - {id: c, label: C, type: integer}
checks:
"""


def make_form(checks: int, spread: bool) -> str:
    return HEAD + "".join(
        f"  - {{id: c{k}, severity: warning, when: \"{'abc'[k % 3] if spread else 'a'} > {k}\", "
        "message: M}\n" for k in range(checks))


def main(sizes: list[int]) -> None:
    for spread in (False, True):
        for size in sizes:
            text = make_form(size, spread)
            form = qengine.load_text(text, "bench.yaml")
            start = time.perf_counter()
            found = analyse(form, text)
            took = time.perf_counter() - start
            print(f"{'spread' if spread else 'same':6} {size:6} checks  {took:7.2f} s  "
                  f"{len(found)} findings")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 2000, 3000])
