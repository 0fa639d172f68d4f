"""A generic plain-Python validator for the synthetic forms: the baseline of benchmark B2.

What a developer would write for "validate records against a YAML questionnaire" without qengine: read
the YAML with PyYAML, turn each question into (checker, allowed codes / bounds, required, jumps), and
walk a record in form order. Rules are not a language here: only the few shapes that
``bench/synthetic.py`` writes are understood (a ``ValueError`` names any other), each turned into a
small closure. It applies the same rules as qengine (types, codes, ranges, required answers, answers
to skipped questions, jumps, checks, computed values), so the two must agree on ok / not ok.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from plain_checks import Bad, blank, c_int, c_money, c_multi, c_single, c_text, num_eq
from plain_checks import c_date as _c_date

Env = dict[str, Any]
CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}


def c_date(v: Any, bounds: tuple[str | None, str | None]) -> str:
    v = _c_date(v, None)
    lo, hi = bounds
    if lo is not None and v < lo:
        raise Bad("range", f"{v} is before {lo}")
    if hi is not None and v > hi:
        raise Bad("range", f"{v} is after {hi}")
    return v


def _const(text: str) -> int:
    return CIRCLED[text] if text in CIRCLED else int(text)


_EQ = re.compile(r"^(\w+) == ([\u2460-\u2473]|\d+)$")
_EQ_AND = re.compile(r"^(\w+) == ([\u2460-\u2473]) and (\w+) == ([\u2460-\u2473])$")
_IN = re.compile(r"^(\w+) in \[([\u2460-\u2473, ]+)\]$")
_SUM = re.compile(r"^(\w+) == (\w+(?: \+ \w+)+)$")
_LE = re.compile(r"^(\w+) <= (\w+)$")
_LT = re.compile(r"^(\w+) < (\w+)$")
_MINUS = re.compile(r"^(\w+) - (\w+)$")


def _minus(a: str, b: str) -> Callable[[Env], Any]:
    def minus(env: Env) -> Any:
        x, y = env.get(a), env.get(b)
        return None if x is None or y is None else x - y

    return minus


def _guard(rule: str) -> Callable[[Env], bool]:
    m = _EQ_AND.match(rule)
    if m:
        a, ca, b, cb = m.group(1), _const(m.group(2)), m.group(3), _const(m.group(4))
        return lambda env: env.get(a) == ca and env.get(b) == cb
    m = _EQ.match(rule)
    if m:
        a, c = m.group(1), _const(m.group(2))
        return lambda env: env.get(a) == c
    m = _IN.match(rule)
    if m:
        a, cs = m.group(1), frozenset(_const(x.strip()) for x in m.group(2).split(","))
        return lambda env: env.get(a) in cs
    raise ValueError(f"rule shape not handled by the generic baseline: {rule!r}")


class GenericValidator:
    """Validates records of one synthetic form, from its YAML text."""

    def __init__(self, text: str) -> None:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
        self.params = {k: (v["value"] if isinstance(v, dict) else v)
                       for k, v in (data.get("params") or {}).items()}
        lists = {name: frozenset(c["code"] for c in items)
                 for name, items in (data.get("choice_lists") or {}).items()}
        questions = [q for sec in data["sections"] for q in sec["questions"]]
        index = {q["id"]: i for i, q in enumerate(questions)}
        closing = next((index[sec["questions"][0]["id"]] for sec in data["sections"]
                        if sec.get("closing")), len(questions))
        self.known = frozenset(index)
        self.plan: list[tuple[Any, ...]] = []
        checks: list[tuple[str, str, tuple[str, ...], Callable[[Env], bool]]] = []
        for i, q in enumerate(questions):
            qid, t = q["id"], q["type"]
            required = q.get("required", True) is not False
            codes = q.get("choices")
            codes = lists[codes] if isinstance(codes, str) else (
                frozenset(c["code"] for c in codes) if codes else None)
            jumps: list[tuple[Callable[[Env], bool], int]] = []
            for key, to in (q.get("jump") or {}).items():
                value = _const(key) if isinstance(key, str) else key
                if t == "multiple":
                    jumps.append(((lambda env, a=qid, c=value: c in (env.get(a) or ())),
                                  index.get(to, closing)))
                else:
                    jumps.append(((lambda env, a=qid, c=value: env.get(a) == c),
                                  index.get(to, closing)))
            for j in q.get("jumps") or ():
                jumps.append((_guard(j["when"]), index.get(j["to"], closing)))
            compute = None
            if t == "computed":
                m = _MINUS.match(q["value"])
                if not m:
                    raise ValueError(f"computed value not handled: {q['value']!r}")
                compute = _minus(m.group(1), m.group(2))
                check, arg = None, None
            elif t == "text":
                check, arg = c_text, None
            elif t in ("integer", "year"):
                check, arg = c_int, (q.get("min"), q.get("max"))
            elif t == "money":
                check, arg = c_money, None
            elif t == "date":
                check, arg = c_date, (q.get("min"), q.get("max"))
            elif t == "single":
                check, arg = c_single, codes
            elif t == "multiple":
                check, arg = c_multi, codes
            else:
                raise ValueError(f"type not handled: {t}")
            self.plan.append((qid, i, check, arg, required and t != "computed", tuple(jumps),
                              compute))
            for c in q.get("checks") or ():
                checks.append(self._check(c))
        for c in data.get("checks") or ():
            checks.append(self._check(c))
        self.checks = checks

    def _check(self, c: dict[str, Any]) -> tuple[str, str, tuple[str, ...], Callable[[Env], bool]]:
        sev = c.get("severity", "error")
        if "assert" in c:
            rule = c["assert"]
            m = _SUM.match(rule)
            if m:
                total, parts = m.group(1), tuple(m.group(2).split(" + "))

                def fires_sum(env: Env) -> bool:
                    t = env.get(total)
                    vs = [env.get(p) for p in parts]
                    return t is not None and None not in vs and not num_eq(t, sum(vs))

                return c["id"], sev, (total, *parts), fires_sum
            m = _LE.match(rule)
            if m:
                a, b = m.group(1), m.group(2)
                return c["id"], sev, (a, b), (lambda env: env.get(a) is not None
                                              and env.get(b) is not None and not env[a] <= env[b])
            raise ValueError(f"check not handled: {rule!r}")
        rule = c["when"]
        m = _LT.match(rule)
        if m and m.group(2) in self.params:
            a, limit = m.group(1), self.params[m.group(2)]
            return c["id"], sev, (a,), (lambda env: env.get(a) is not None and env[a] < limit)
        g = _guard(rule)
        return c["id"], sev, tuple(re.findall(r"\b(q\w+)", rule)), g

    def validate(self, rec: Any) -> list[tuple[str, str, tuple[str, ...], str]]:
        out: list[tuple[str, str, tuple[str, ...], str]] = []
        if not isinstance(rec, dict):
            return [("not_a_record", "error", (), "a record must be a mapping")]
        for key in sorted(rec.keys() - self.known):
            out.append(("unknown_question", "error", (key,), f"{key!r} is not a question"))
        env: Env = {}
        get = rec.get
        skip_to = 0
        computed = []
        for qid, i, check, arg, required, jumps, compute in self.plan:
            if i < skip_to:
                if not blank(get(qid)):
                    out.append(("not_asked", "error", (qid,), f"{qid} is answered, but the jumps "
                                "skip it"))
                continue
            if compute is not None:
                computed.append((qid, compute))
                continue
            raw = get(qid)
            if blank(raw):
                if required:
                    out.append(("required", "error", (qid,), f"{qid} is required"))
            else:
                try:
                    env[qid] = check(raw, arg)
                except Bad as exc:
                    out.append((exc.code, "error", (qid,), exc.message))
            for guard, target in jumps:
                if guard(env):
                    skip_to = target
                    break
        for qid, compute in computed:
            v = compute(env)
            if v is not None:
                env[qid] = v
        for cid, sev, qids, fires in self.checks:
            if fires(env):
                out.append((cid, sev, qids, cid))
        return out
