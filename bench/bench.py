"""qengine benchmark: what the library costs next to plain Python doing the same work.

Run ``python bench/bench.py`` (about 2 minutes) or ``python bench/bench.py --quick`` (about 20 s).
This is a script, not a test: pytest never collects it.

Every figure is the best of several repetitions (``time.perf_counter``; the garbage collector stays on,
as in real use, and runs before each repetition), and every qengine figure is shown next to a
plain-Python baseline run in the same process, with the ratio qengine / baseline. qengine and its
baseline are timed in alternating repetitions, so that other work on the machine hits both alike:
trust the ratios more than the absolute times on a shared machine.

What is measured
----------------
A. Load + compile. ``qengine.load(path)`` on synthetic forms (``bench/synthetic.py``) of 50, 200,
   1000, 2000, 5000 and 10000 questions written to temporary files, and on the bundled ``annex6``.
   Baseline: ``yaml.compose(text, Loader=yaml.CSafeLoader)`` on the same text, i.e. libyaml reading
   the file into nodes with marks (locations), which is the least any located loader must do.
   The time per question is printed for each size; growth is called "at most linear" when the time
   per question at the largest size is at most 1.25x that at a mid size (1000 questions).
B. validate. ``form.validate(record)`` (and ``report.ok``) on annex6 over a few hundred records made
   by a hand-rolled random walk that honours annex6's jumps (shared/FORMS.md), about 30% with one
   mistake. Baseline: a validator hand-written for annex6 alone, the way a competent developer would
   write it (a table of allowed codes and ranges, explicit if-statements for the jumps, the form's
   checks written out), returning the same violations. The script asserts that both agree on ok /
   not ok for every record, and prints how many records differ in the detail of their violations.
   Then validate on synthetic forms of 50, 1000 and 10000 questions (time per question, to show the
   growth), next to a generic plain-Python loop driven by the same YAML (bench/generic_baseline.py,
   which understands only the rule shapes the generator writes); both must agree on ok / not ok.
C. Interview steps on annex6: ``iv.answer(v)`` averaged over full interviews (start, answer every
   question on one path), then ``iv.back()`` all the way back; baseline: a plain-Python interview
   for annex6 (validate the answer, dict update, next question from a jump table, a history list).
   Without --quick, also ``answer()`` over a whole interview of the 1000- and 10000-question forms.

Targets
-------
* validate on annex6: at most 1.5x the hand-written baseline;
* load + compile: at most 1.5x the CSafeLoader compose time of the same text;
* growth of load and validate with the number of questions: at most linear, i.e. the time per
  question at the largest size at most 1.25x that at 1000 questions. For validate the growth is
  judged relative to the generic loop on the same records, because with 10000 questions a record
  and the form's steps outgrow the CPU caches and every loop over them slows per question (even a
  bare ``dict.get`` loop does); the absolute figures are printed too. For load, the growth with the
  garbage collector off decides the verdict (with it on, the collector's share swings from run to
  run on both sides); the growth with it on is printed for information.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generic_baseline import GenericValidator  # noqa: E402
from plain_checks import (  # noqa: E402
    ID_CHECK,
    ID_WEIGHTS,
    YN,
    Bad,
    blank,
    c_date,
    c_id,
    c_int,
    c_money,
    c_multi,
    c_single,
    c_text,
    num_eq,
)
from synthetic import make_form, make_record  # noqa: E402

import qengine  # noqa: E402

LOAD_TARGET = 1.5
VALIDATE_TARGET = 1.5
GROWTH_SLACK = 1.25


# -- timing --------------------------------------------------------------------------------------
def best_of(fn: Callable[[], Any], repeat: int, collector: bool = True) -> float:
    """The smallest wall time of ``repeat`` calls of ``fn``, in seconds (``collector``: whether the
    garbage collector runs during the calls)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        if not collector:
            gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return min(times)


def best_pair(fn_a: Callable[[], Any], fn_b: Callable[[], Any], repeat: int,
              collector: bool = True) -> tuple[float, float]:
    """``best_of`` for two functions, alternating them so that drift in the machine hits both."""
    a = b = math.inf
    for _ in range(repeat):
        a = min(a, best_of(fn_a, 1, collector))
        b = min(b, best_of(fn_b, 1, collector))
    return a, b


def best_pair_chunked(fn_a: Callable[[list[Any]], Any], fn_b: Callable[[list[Any]], Any],
                      items: list[Any], chunk: int, rounds: int) -> tuple[float, float]:
    """Time ``fn_a(part)`` and ``fn_b(part)`` over ``items`` in parts of ``chunk``: for each part the
    best of ``rounds`` alternating runs, summed. Short timed runs dodge most of the interference on
    a shared machine, which a whole-batch best-of cannot."""
    parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    best_a = [math.inf] * len(parts)
    best_b = [math.inf] * len(parts)
    clock = time.perf_counter
    for _ in range(rounds):
        gc.collect()
        for k, part in enumerate(parts):
            t0 = clock()
            fn_a(part)
            t1 = clock()
            fn_b(part)
            t2 = clock()
            best_a[k] = min(best_a[k], t1 - t0)
            best_b[k] = min(best_b[k], t2 - t1)
    return sum(best_a), sum(best_b)


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:7.2f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds * 1e6:7.2f} µs"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  " + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


# == annex6: records from a hand-rolled walk ======================================================
TEXTS = ["望城区", "靖港镇", "格塘村", "3组", "张三", "李四", "王五", "赵六", "靖港镇人民政府",
         "经村委会核实，情况与台账一致"]


def id_number(rng: random.Random) -> str:
    first = (f"430122{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
             f"{rng.randint(0, 999):03d}")
    return first + ID_CHECK[sum(int(d) * w for d, w in zip(first, ID_WEIGHTS, strict=True)) % 11]


def annex6_record(rng: random.Random) -> dict[str, Any]:
    """A valid annex6 record: a random walk that follows the jumps of shared/FORMS.md."""
    r: dict[str, Any] = {}
    yn = lambda p_yes=0.5: 1 if rng.random() < p_yes else 2  # noqa: E731
    multi = lambda k: sorted(rng.sample(range(1, k + 1), rng.randint(1, min(3, k))))  # noqa: E731

    def money() -> int | float:
        if rng.random() < 0.2:
            return round(rng.uniform(0, 20000), 2)
        return rng.choice((0, rng.randint(0, 30000), rng.randint(500, 8000)))

    for qid in ("county", "township", "village", "group", "head_name"):
        r[qid] = rng.choice(TEXTS)
    r["id_number"] = id_number(rng)
    r["household_size"] = rng.randint(1, 8)
    r["exit_year"] = rng.randint(2014, 2020) if rng.random() < 0.8 else None
    parts = [money() for _ in range(4)]
    total = parts[0] + parts[1] + parts[2] + parts[3]
    r["q1_total"] = int(total) if float(total).is_integer() else round(total, 2)
    r["q1_1a"], r["q1_1b"], r["q1_2"], r["q1_3"] = parts
    r["q1_4"] = money()
    r["q2"], r["q3"] = yn(0.95), yn(0.95)
    r["q4"] = yn(0.4)
    if r["q4"] == 1:
        r["q4_1"] = yn(0.85)
        if r["q4_1"] == 2:
            r["q4_2"] = rng.randint(1, 4)
    r["q5"] = yn(0.9)
    if r["q5"] == 2:
        r["q5_1"] = rng.randint(1, 4)
    r["q6"] = rng.randint(1, 3)
    r["q6_1"] = multi(4) if rng.random() < 0.4 else rng.choice(([], None))
    r["q7"] = yn(0.3)
    if r["q7"] == 1:
        for qid in ("q7_1a", "q7_1b", "q7_1c", "q7_1d"):
            r[qid] = yn(0.8)
    r["q8"] = rng.randint(1, 3)
    if r["q8"] != 3:
        if r["q8"] == 2:
            r["q8_1"] = yn(0.8)
        r["q8_2"] = yn(0.8)
        r["q8_3"] = yn(0.8)
        if r["q8_3"] == 2:
            r["q8_4"] = multi(5)
        r["q8_5"] = yn(0.8)
    r["q9"] = rng.randint(1, 4)
    if r["q9"] != 1:
        r["q9_1a"] = rng.randint(1, 2)
        r["q9_1b"] = yn(0.8)
        r["q9_1c"] = rng.randint(1, 2)
    r["q10"] = 1 if r.get("q4_1") == 1 else yn(0.5)  # school_consistency holds
    if r["q10"] == 1:
        r["q10_1"] = multi(8)
    r["q11"] = yn(0.85)
    if r["q11"] == 1:
        r["q11_1"] = multi(7)
    r["q12"] = yn(0.6)
    if r["q12"] == 1:
        r["q12_1"] = multi(6)
    r["q12_2"] = yn(0.6)
    if r["q12_2"] == 1:
        r["q12_3"] = rng.randint(1, 3)
    r["q13"] = yn(0.2)
    if r["q13"] == 1:
        r["q13_1a"] = yn(0.8)
        r["q13_1b"] = multi(7)
    r["q14"] = yn(0.4)
    if r["q14"] == 1:
        r["q14_1"] = yn(0.6)
    r["q14_2"] = yn(0.2)
    r["q14_3"] = yn(0.8)
    if r["q14_3"] == 1:
        r["q14_4"] = yn(0.5)
    r["q15"] = yn(0.3)
    if r["q15"] == 1:
        loan = rng.choice((10000, 20000, 30000, 50000))
        r["q15_1a"] = loan
        r["q15_1b"] = rng.choice((0, round(loan * 0.0435, 2), round(loan * 0.03, 2)))
    for qid in ("q16", "q17", "q18"):
        r[qid] = yn(0.5)
    r["q19"] = yn(0.7)
    if r["q19"] == 1:
        r["q19_1"] = multi(7)
    r["q20"] = rng.randint(1, 4)
    r["respondent_sign"] = rng.choice(TEXTS[4:8])
    r["proxy_note"] = rng.choice(TEXTS) if rng.random() < 0.15 else None
    r["reviewer_unit"] = "靖港镇人民政府"
    r["reviewer_sign"] = rng.choice(TEXTS[4:8])
    r["survey_date"] = f"2020-{rng.randint(4, 6):02d}-{rng.randint(1, 30):02d}"
    return r


SKIPPABLE = ["q4_1", "q4_2", "q5_1", "q7_1a", "q8_1", "q8_4", "q9_1a", "q10_1", "q11_1", "q12_1",
             "q12_3", "q13_1a", "q14_1", "q14_4", "q15_1a", "q19_1"]


def annex6_break(r: dict[str, Any], rng: random.Random) -> None:
    """Put one realistic mistake into an annex6 record (in place)."""
    kind = rng.randrange(16)
    if kind == 0:
        r["q6"] = 4  # not a code of q6
    elif kind == 1:  # an answer to a question the jumps skip
        skipped = [q for q in SKIPPABLE if q not in r]
        if skipped:
            r[rng.choice(skipped)] = 1
        else:
            r["q4"], r["q4_1"], r["q4_2"] = 1, 1, 3
    elif kind == 2:
        del r[rng.choice(["county", "q2", "q9", "q20", "survey_date", "q1_3"])]  # missing
    elif kind == 3:
        r["q1_total"] = r["q1_total"] + 100  # breaks income_total
    elif kind == 4:
        r["q15"], r["q15_1a"], r["q15_1b"] = 1, 10000, 12000  # breaks subsidy_le_loan
    elif kind == 5:
        r["q4"], r["q4_1"], r["q10"] = 1, 1, 2  # breaks school_consistency
        r.pop("q4_2", None)
        r.pop("q10_1", None)
    elif kind == 6:
        r["id_number"] = r["id_number"][:17] + ("0" if r["id_number"][17] != "0" else "1")
    elif kind == 7:
        r["household_size"] = 0
    elif kind == 8:
        r["exit_year"] = 2021
    elif kind == 9:
        r["survey_date"] = "2020-02-30"
    elif kind == 10:
        r["q20"] = True  # a bool for a choice
    elif kind == 11:
        r["q19"], r["q19_1"] = 1, [2, 2]  # a code twice in a multiple choice
    elif kind == 12:
        r["remarks"] = "多余的字段"  # not a question
    elif kind == 13:
        r["county"] = 430122  # a number where text is expected
    elif kind == 14:
        r["q1_4"] = -300.0  # negative money
    else:
        r["q1_1a"] = 1234.567  # three decimals
        r["q1_total"] = r["q1_1a"] + r["q1_1b"] + r["q1_2"] + r["q1_3"]


def annex6_records(count: int, seed: int = 6) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        r = annex6_record(rng)
        if i % 10 in (3, 6, 9):  # 30% with one mistake
            annex6_break(r, rng)
        out.append(r)
    return out


# == annex6: the hand-written baseline validator ==================================================
def codes(k: int) -> frozenset[int]:
    return frozenset(range(1, k + 1))


SPEC: dict[str, tuple[Callable[[Any, Any], Any], Any, bool]] = {
    "county": (c_text, None, True), "township": (c_text, None, True),
    "village": (c_text, None, True), "group": (c_text, None, True),
    "head_name": (c_text, None, True), "id_number": (c_id, None, True),
    "household_size": (c_int, (1, None), True), "exit_year": (c_int, (2014, 2020), False),
    "q1_total": (c_money, None, True), "q1_1a": (c_money, None, True),
    "q1_1b": (c_money, None, True), "q1_2": (c_money, None, True), "q1_3": (c_money, None, True),
    "q1_4": (c_money, None, True),
    "q2": (c_single, YN, True), "q3": (c_single, YN, True), "q4": (c_single, YN, True),
    "q4_1": (c_single, YN, True), "q4_2": (c_single, codes(4), True),
    "q5": (c_single, YN, True), "q5_1": (c_single, codes(4), True),
    "q6": (c_single, codes(3), True), "q6_1": (c_multi, codes(4), False),
    "q7": (c_single, YN, True), "q7_1a": (c_single, YN, True), "q7_1b": (c_single, YN, True),
    "q7_1c": (c_single, YN, True), "q7_1d": (c_single, YN, True),
    "q8": (c_single, codes(3), True), "q8_1": (c_single, YN, True), "q8_2": (c_single, YN, True),
    "q8_3": (c_single, YN, True), "q8_4": (c_multi, codes(5), True), "q8_5": (c_single, YN, True),
    "q9": (c_single, codes(4), True), "q9_1a": (c_single, codes(2), True),
    "q9_1b": (c_single, YN, True), "q9_1c": (c_single, codes(2), True),
    "q10": (c_single, YN, True), "q10_1": (c_multi, codes(8), True),
    "q11": (c_single, YN, True), "q11_1": (c_multi, codes(7), True),
    "q12": (c_single, YN, True), "q12_1": (c_multi, codes(6), True),
    "q12_2": (c_single, YN, True), "q12_3": (c_single, codes(3), True),
    "q13": (c_single, YN, True), "q13_1a": (c_single, YN, True), "q13_1b": (c_multi, codes(7), True),
    "q14": (c_single, YN, True), "q14_1": (c_single, YN, True), "q14_2": (c_single, YN, True),
    "q14_3": (c_single, YN, True), "q14_4": (c_single, YN, True),
    "q15": (c_single, YN, True), "q15_1a": (c_money, None, True), "q15_1b": (c_money, None, True),
    "q16": (c_single, YN, True), "q17": (c_single, YN, True), "q18": (c_single, YN, True),
    "q19": (c_single, YN, True), "q19_1": (c_multi, codes(7), True),
    "q20": (c_single, codes(4), True),
    "respondent_sign": (c_text, None, True), "proxy_note": (c_text, None, False),
    "reviewer_unit": (c_text, None, True), "reviewer_sign": (c_text, None, True),
    "survey_date": (c_date, None, True),
}
KNOWN = frozenset(SPEC) | {"q1_per_capita"}
INCOME_LINE = 4000
Violation = tuple[str, str, tuple[str, ...], str]  # rule, severity, questions, message


def baseline_validate(rec: Any) -> list[Violation]:
    """Annex 6, validated by hand: the same rules as forms/annex6.yaml."""
    out: list[Violation] = []
    if not isinstance(rec, dict):
        return [("not_a_record", "error", (), "a record must be a mapping")]
    for key in sorted(rec.keys() - KNOWN):
        out.append(("unknown_question", "error", (key,), f"{key!r} is not a question of annex6"))
    env: dict[str, Any] = {}
    get = rec.get

    def ask(qid: str) -> Any:
        raw = get(qid)
        check, arg, required = SPEC[qid]
        if blank(raw):
            if required:
                out.append(("required", "error", (qid,), f"{qid} is required but has no answer"))
            return None
        try:
            value = check(raw, arg)
        except Bad as exc:
            out.append((exc.code, "error", (qid,), exc.message))
            return None
        env[qid] = value
        return value

    def skip(*qids: str) -> None:
        for qid in qids:
            if not blank(get(qid)):
                out.append(("not_asked", "error", (qid,), f"{qid} is answered, but the jumps "
                            "skip it: it must be left empty"))

    for qid in ("county", "township", "village", "group", "head_name", "id_number",
                "household_size", "exit_year", "q1_total", "q1_1a", "q1_1b", "q1_2", "q1_3",
                "q1_4", "q2", "q3"):
        ask(qid)
    if ask("q4") == 2:
        skip("q4_1", "q4_2")
    elif ask("q4_1") == 1:
        skip("q4_2")
    else:
        ask("q4_2")
    if ask("q5") == 1:
        skip("q5_1")
    else:
        ask("q5_1")
    ask("q6")
    ask("q6_1")
    if ask("q7") == 2:
        skip("q7_1a", "q7_1b", "q7_1c", "q7_1d")
    else:
        for qid in ("q7_1a", "q7_1b", "q7_1c", "q7_1d"):
            ask(qid)
    q8 = ask("q8")
    if q8 == 3:
        skip("q8_1", "q8_2", "q8_3", "q8_4", "q8_5")
    else:
        if q8 == 1:
            skip("q8_1")
        else:
            ask("q8_1")
        ask("q8_2")
        if ask("q8_3") == 1:
            skip("q8_4")
        else:
            ask("q8_4")
        ask("q8_5")
    if ask("q9") == 1:
        skip("q9_1a", "q9_1b", "q9_1c")
    else:
        ask("q9_1a")
        ask("q9_1b")
        ask("q9_1c")
    if ask("q10") == 2:
        skip("q10_1")
    else:
        ask("q10_1")
    if ask("q11") == 2:
        skip("q11_1")
    else:
        ask("q11_1")
    if ask("q12") == 2:
        skip("q12_1")
    else:
        ask("q12_1")
    if ask("q12_2") == 2:
        skip("q12_3")
    else:
        ask("q12_3")
    if ask("q13") == 2:
        skip("q13_1a", "q13_1b")
    else:
        ask("q13_1a")
        ask("q13_1b")
    if ask("q14") == 2:
        skip("q14_1")
    else:
        ask("q14_1")
    ask("q14_2")
    if ask("q14_3") == 2:
        skip("q14_4")
    else:
        ask("q14_4")
    if ask("q15") == 2:
        skip("q15_1a", "q15_1b")
    else:
        ask("q15_1a")
        ask("q15_1b")
    ask("q16")
    ask("q17")
    ask("q18")
    if ask("q19") == 2:
        skip("q19_1")
    else:
        ask("q19_1")
    for qid in ("q20", "respondent_sign", "proxy_note", "reviewer_unit", "reviewer_sign",
                "survey_date"):
        ask(qid)

    # the checks, each applying once every question it names has an answer
    e = env.get
    total, a, b, c, d = e("q1_total"), e("q1_1a"), e("q1_1b"), e("q1_2"), e("q1_3")
    if None not in (total, a, b, c, d) and not num_eq(total, a + b + c + d):
        out.append(("income_total", "error", ("q1_total", "q1_1a", "q1_1b", "q1_2", "q1_3"),
                    "总收入应等于工资性收入、生产经营性收入、财产性收入与转移性收入之和（1—1至1—3）"))
    size, costs = e("household_size"), e("q1_4")
    if total is not None and costs is not None and size:
        per_capita = (total - costs) / size
        env["q1_per_capita"] = per_capita
        if per_capita < INCOME_LINE:
            out.append(("below_income_line", "warning", ("q1_per_capita",),
                        "人均纯收入低于收入标准线，请核实并列入疑似问题台账"))
    if e("q4_1") == 1 and e("q10") == 2:
        out.append(("school_consistency", "error", ("q4_1", "q10"),
                    "第4题填写有在校生，此处不能为“否”，不允许通过审核提交"))
    if e("q11") == 2:
        out.append(("no_health_policy", "warning", ("q11",),
                    "建档立卡以来未享受过健康扶贫政策，请核实（允许提交）"))
    loan, subsidy = e("q15_1a"), e("q15_1b")
    if loan is not None and subsidy is not None and not subsidy <= loan:
        out.append(("subsidy_le_loan", "error", ("q15_1a", "q15_1b"), "享受的贴息金额不能超过贷款金额"))
    return out


# == annex6: the plain-Python interview baseline ==================================================
ORDER = [qid for qid in SPEC]  # the asked questions, in form order (q1_per_capita is computed)
INDEX = {qid: i for i, qid in enumerate(ORDER)}
JUMPS: dict[str, tuple[tuple[int, str], ...]] = {
    "q4": ((2, "q5"),), "q4_1": ((1, "q5"),), "q5": ((1, "q6"),), "q7": ((2, "q8"),),
    "q8": ((3, "q9"), (1, "q8_2")), "q8_3": ((1, "q8_5"),), "q9": ((1, "q10"),),
    "q10": ((2, "q11"),), "q11": ((2, "q12"),), "q12": ((2, "q12_2"),), "q12_2": ((2, "q13"),),
    "q13": ((2, "q14"),), "q14": ((2, "q14_2"),), "q14_3": ((2, "q15"),), "q15": ((2, "q16"),),
    "q19": ((2, "q20"),),
}


class PlainInterview:
    """Annex 6 by hand: check the answer, keep it, find the next question."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.history: list[tuple[str, int]] = []
        self.cursor = 0

    def answer(self, value: Any) -> str | None:
        qid = ORDER[self.cursor]
        check, arg, required = SPEC[qid]
        if blank(value):
            if required:
                raise ValueError(f"{qid} is required")
            value = None
        else:
            try:
                value = check(value, arg)
            except Bad as exc:
                raise ValueError(exc.message) from None
        self.answers[qid] = value
        self.history.append((qid, self.cursor))
        nxt = self.cursor + 1
        for code, target in JUMPS.get(qid, ()):
            if value == code:
                nxt = INDEX[target]
                break
        self.cursor = nxt
        return ORDER[nxt] if nxt < len(ORDER) else None

    def back(self) -> str | None:
        if not self.history:
            return None
        qid, self.cursor = self.history.pop()
        return qid


# == the measurements =============================================================================
def bench_load(sizes: list[int], quick: bool, tmp: Path) -> None:
    print("\nA. Load + compile: qengine.load(path) vs yaml.compose(text, Loader=CSafeLoader)")
    rows = []
    per_q: dict[int, tuple[float, float]] = {}
    ratios = []
    paths: dict[int, Path] = {}
    qengine.load("annex6")  # warm up: the rule grammar and the JSON Schema are built once
    for n in sizes:
        text = make_form(n, seed=n)
        path = paths[n] = tmp / f"synthetic_{n}.yaml"
        path.write_text(text, encoding="utf-8")
        repeat = 3 if n >= 5000 else 5 if n >= 2000 else 7 if n >= 1000 else 9
        repeat = min(repeat, 5) if quick else repeat
        t_q, t_b = best_pair(lambda p=path: qengine.load(p),
                             lambda t=text: yaml.compose(t, Loader=yaml.CSafeLoader), repeat)
        per_q[n] = (t_q / n, t_b / n)
        ratios.append(t_q / t_b)
        rows.append([f"{n}", f"{len(text) / 1e3:.0f} kB", fmt_time(t_q), fmt_time(t_b),
                     f"{t_q / t_b:.1f}x", fmt_time(t_q / n), fmt_time(t_b / n), f"{repeat}"])
    annex_path = qengine.compiler.pipeline.resolve_source("annex6")
    annex_text = Path(annex_path).read_text("utf-8")
    t_q, t_b = best_pair(lambda: qengine.load(annex_path),
                         lambda: yaml.compose(annex_text, Loader=yaml.CSafeLoader), 7)
    ratios.append(t_q / t_b)
    rows.append(["annex6 (69)", f"{len(annex_text.encode()) / 1e3:.0f} kB", fmt_time(t_q),
                 fmt_time(t_b), f"{t_q / t_b:.1f}x", fmt_time(t_q / 69), fmt_time(t_b / 69), "7"])
    table(["questions", "size", "qengine", "compose", "ratio", "qengine/q", "compose/q", "best of"],
          rows)
    largest = max(sizes)
    mid = 1000 if 1000 in sizes and largest > 1000 else sorted(sizes)[len(sizes) // 2]
    g_q = per_q[largest][0] / per_q[mid][0]
    g_b = per_q[largest][1] / per_q[mid][1]
    print(f"  growth with the collector on (information): time per question at {largest} / at "
          f"{mid}: qengine {g_q:.2f}, compose {g_b:.2f}")
    worst = max(ratios)
    print(f"  target load+compile <= {LOAD_TARGET}x compose: worst ratio {worst:.1f}x, "
          f"annex6 {ratios[-1]:.1f}x [{verdict(worst <= LOAD_TARGET)}]")
    # The garbage collector is a large, size-dependent share of both sides (compose builds a node
    # and two marks per scalar) and makes the growth above swing from run to run. The verdict on
    # growth is taken with it off: that is the growth of the code itself.
    off = {}
    for n in (mid, largest):
        text = paths[n].read_text("utf-8")
        off[n] = best_pair(lambda p=paths[n]: qengine.load(p),
                           lambda t=text: yaml.compose(t, Loader=yaml.CSafeLoader), 2,
                           collector=False)
    g_off = off[largest][0] / largest / (off[mid][0] / mid)
    print("  without the garbage collector (best of 2): "
          + "; ".join(f"{n}: qengine {fmt_time(q).strip()}, compose {fmt_time(b).strip()}, "
                      f"ratio {q / b:.1f}x" for n, (q, b) in off.items())
          + f"; growth per question qengine {g_off:.2f},"
          f" compose {off[largest][1] / largest / (off[mid][1] / mid):.2f}")
    print(f"  growth (collector off): {g_off:.2f} -> "
          f"{'at most linear' if g_off <= GROWTH_SLACK else 'WORSE than linear'} "
          f"[{verdict(g_off <= GROWTH_SLACK)}]")


def bench_validate_annex6(count: int, repeat: int) -> None:
    print(f"\nB1. validate on annex6: {count} records (30% with one mistake) vs a hand-written "
          "validator")
    form = qengine.load("annex6")
    records = annex6_records(count)
    mismatches = detail = 0
    n_ok = 0
    rules: dict[str, int] = {}
    for i, rec in enumerate(records):
        rep = form.validate(rec)
        for v in rep.violations:
            rules[v.rule] = rules.get(v.rule, 0) + 1
        base = baseline_validate(rec)
        base_ok = not any(v[1] == "error" for v in base)
        n_ok += rep.ok
        if rep.ok != base_ok:
            mismatches += 1
            print(f"  MISMATCH record {i}: qengine ok={rep.ok} {rep.violations}; baseline {base}")
        mine = sorted((v.rule, v.severity, v.questions) for v in rep.violations)
        theirs = sorted((v[0], v[1], tuple(sorted(v[2], key=lambda q: INDEX.get(q, 99))))
                        for v in base)
        if mine != theirs:
            detail += 1
            if detail <= 3:
                print(f"  detail differs, record {i}: qengine {mine} baseline {theirs}")
        if rep.ok and form.path(rec) != [k for k in rec if k in INDEX]:
            raise AssertionError(f"record {i}: the hand-rolled walk and form.path disagree")
    print(f"  records: {n_ok} ok, {count - n_ok} with errors; ok/not-ok mismatches: {mismatches}; "
          f"records whose violations differ in detail: {detail}")
    print("  violations seen: " + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))
    assert mismatches == 0, "qengine and the baseline disagree on ok/not ok"

    def run_q(recs: list[Any]) -> None:
        validate = form.validate
        for rec in recs:
            validate(rec).ok  # noqa: B018

    def run_b(recs: list[Any]) -> None:
        for rec in recs:
            not any(v[1] == "error" for v in baseline_validate(rec))

    t_q, t_b = best_pair_chunked(run_q, run_b, records, 25, repeat)
    valid = [r for i, r in enumerate(records) if i % 10 not in (3, 6, 9)]
    t_qv, t_bv = best_pair_chunked(run_q, run_b, valid, 25, repeat)
    rows = [["all records", f"{count / t_q:,.0f}", f"{count / t_b:,.0f}", fmt_time(t_q / count),
             fmt_time(t_b / count), f"{t_q / t_b:.2f}x"],
            ["valid only", f"{len(valid) / t_qv:,.0f}", f"{len(valid) / t_bv:,.0f}",
             fmt_time(t_qv / len(valid)), fmt_time(t_bv / len(valid)), f"{t_qv / t_bv:.2f}x"]]
    table(["", "qengine rec/s", "baseline rec/s", "qengine/rec", "baseline/rec", "ratio"], rows)
    print(f"  target validate <= {VALIDATE_TARGET}x hand-written: {t_q / t_b:.2f}x "
          f"[{verdict(t_q / t_b <= VALIDATE_TARGET)}]")


def bench_validate_synthetic(sizes: list[int], forms: dict[int, Any], quick: bool) -> None:
    """Fills ``forms`` with the compiled synthetic forms, for bench_interview."""
    print("\nB2. validate on synthetic forms (20% of records with one mistake) vs a generic "
          "plain-Python loop (bench/generic_baseline.py)")
    rows = []
    per_q = {}
    for n in sizes:
        text = make_form(n, seed=n)
        form = forms[n] = qengine.load_text(text, f"<synthetic {n}>")
        generic = GenericValidator(text)
        count = max(10, min(300, 60000 // n)) if not quick else max(8, min(150, 16000 // n))
        rng = random.Random(n)
        records = [make_record(form, rng, errors=(i % 5 == 1)) for i in range(count)]
        answers = sum(len(r) for r in records)
        bad = mismatches = 0
        for r in records:
            ok = form.validate(r).ok
            bad += not ok
            mismatches += ok != (not any(v[1] == "error" for v in generic.validate(r)))
        assert mismatches == 0, f"qengine and the generic loop disagree on {mismatches} records"
        t, tb = best_pair_chunked(
            lambda rs, f=form: [f.validate(r).ok for r in rs],
            lambda rs, g=generic: [not any(v[1] == "error" for v in g.validate(r)) for r in rs],
            records, max(1, 1000 // n), 5 if quick else 7)
        per_q[n] = (t / count / n, tb / count / n)
        rows.append([f"{n}", f"{count}", f"{answers / count:.0f}", f"{bad}", f"{count / t:,.1f}",
                     fmt_time(t / count), fmt_time(t / count / n), fmt_time(tb / count / n),
                     f"{t / tb:.2f}x"])
    table(["questions", "records", "answers/rec", "not ok", "rec/s", "per record", "per question",
           "generic/q", "ratio"], rows)
    print("  ok/not-ok mismatches with the generic loop: 0 (asserted)")
    largest = max(sizes)
    mid = 1000 if 1000 in sizes and largest > 1000 else sorted(sizes)[len(sizes) // 2]
    g = per_q[largest][0] / per_q[mid][0]
    gb = per_q[largest][1] / per_q[mid][1]
    # A big form's records and steps no longer fit the CPU caches: every loop over them, even a bare
    # dict.get loop, slows per question. So qengine's growth is judged against the generic loop's.
    rel = g / gb
    print(f"  growth: time per question at {largest} / at {mid}: qengine {g:.2f}, generic loop "
          f"{gb:.2f}; qengine relative to the loop {rel:.2f} -> "
          f"{'linear (up to memory effects)' if rel <= GROWTH_SLACK else 'WORSE than linear'} "
          f"[{verdict(rel <= GROWTH_SLACK)}]")


def bench_interview(count: int, repeat: int, forms: dict[int, Any], quick: bool) -> None:
    print(f"\nC. Interview steps on annex6: {count} full interviews, answer() each question on "
          "the path, then back() to the start")
    form = qengine.load("annex6")
    rng = random.Random(66)
    paths = [list(annex6_record(rng).items()) for _ in range(count)]
    steps = sum(len(p) for p in paths)
    for p in paths[:20]:  # both walk the same path
        iv, pi = form.start(), PlainInterview()
        for qid, v in p:
            assert iv.current.id == qid == ORDER[pi.cursor], (qid, iv.current.id)
            iv.answer(v)
            pi.answer(v)
        assert iv.finished and pi.cursor == len(ORDER)

    def one(make: Callable[[], Any], p: list[tuple[str, Any]]) -> tuple[float, float, float]:
        clock = time.perf_counter
        t0 = clock()
        iv = make()
        t1 = clock()
        answer = iv.answer
        for _qid, v in p:
            answer(v)
        t2 = clock()
        back = iv.back
        for _ in range(len(p)):
            back()
        t3 = clock()
        return t1 - t0, t2 - t1, t3 - t2

    # per interview, the best of ``repeat`` alternating runs of each phase, summed
    best_q = [[math.inf] * 3 for _ in paths]
    best_b = [[math.inf] * 3 for _ in paths]
    for _ in range(repeat):
        gc.collect()
        for k, p in enumerate(paths):
            best_q[k] = [min(x, y) for x, y in zip(best_q[k], one(form.start, p), strict=True)]
            best_b[k] = [min(x, y) for x, y in zip(best_b[k], one(PlainInterview, p), strict=True)]
    per = (count, steps, steps)
    q = [sum(b[i] for b in best_q) / per[i] for i in range(3)]
    b = [sum(x[i] for x in best_b) / per[i] for i in range(3)]
    rows = [[name, fmt_time(x), fmt_time(y), f"{x / y:.1f}x"]
            for name, x, y in zip(("start()", "answer()", "back()"), q, b, strict=True)]
    table(["step", "qengine", "baseline", "ratio"], rows)
    print(f"  ({steps / count:.0f} answers per interview on average)")
    if quick:
        return
    print("\n   answer() over one whole interview of a synthetic form (growth with form size)")
    rows = []
    for n in (1000, 10000):
        f = forms.get(n) or qengine.load_text(make_form(n, seed=n))
        rec = make_record(f, random.Random(n))
        items = list(rec.items())
        iv = f.start()
        gc.collect()
        t0 = time.perf_counter()
        for _qid, v in items:
            iv.answer(v)
        t = time.perf_counter() - t0
        assert iv.finished
        rows.append([f"{n}", f"{len(items)}", fmt_time(t), fmt_time(t / len(items))])
    table(["questions", "answers", "whole interview", "per answer()"], rows)


def source_state() -> str:
    """The commit of the checkout and whether src/ differs from it (read-only git calls)."""
    import subprocess

    root = HERE.parent
    try:
        head = subprocess.run(["git", "--no-optional-locks", "rev-parse", "--short", "HEAD"],
                              cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--",
                                "src/qengine"], cwd=root, capture_output=True, text=True,
                               timeout=10).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "source: unknown (no git)"
    if not head:
        return "source: unknown (not a git checkout)"
    return f"source: {head}" + (f" + {len(dirty)} uncommitted change(s) in src/qengine"
                                if dirty else " (src/qengine clean)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (~30 s)")
    args = ap.parse_args()
    quick = args.quick
    started = time.perf_counter()
    print(f"qengine {qengine.__version__} benchmark{' (--quick)' if quick else ''}: "
          f"Python {sys.version.split()[0]}, PyYAML {yaml.__version__} "
          f"({'libyaml' if hasattr(yaml, 'CSafeLoader') else 'pure Python'}), {os.cpu_count()} CPUs")
    print(source_state())
    load_sizes = [50, 200, 1000, 2000] if quick else [50, 200, 1000, 2000, 5000, 10000]
    with tempfile.TemporaryDirectory(prefix="qengine-bench-") as tmp:
        bench_load(load_sizes, quick, Path(tmp))
    gc.collect()
    forms: dict[int, Any] = {}
    bench_validate_annex6(200 if quick else 500, 7 if quick else 15)
    bench_validate_synthetic([50, 1000, 2000] if quick else [50, 1000, 10000], forms, quick)
    bench_interview(50 if quick else 200, 5 if quick else 9, forms, quick)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
