"""The conformance suite (conformance/, docs/conformance.md) on the Python runtime: one test per
case, read from the compiled files that every runtime reads (machines and cases as JSON), after
checking that those files are what the YAML cases and this checkout's compiler give.

Cases listed in conformance/expected-failures/python.txt are expected to fail (strict: one that
passes must leave the list).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

import qengine
from qengine import AnswerError, Form, Interview, ParamError, SnapshotError, SubmitError

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "conformance"


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("conformance_build", SUITE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_failures(runtime: str) -> dict[str, str]:
    """``case-id  reason`` lines of conformance/expected-failures/<runtime>.txt."""
    out = {}
    for line in (SUITE / "expected-failures" / f"{runtime}.txt").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            case_id, _, reason = line.strip().partition(" ")
            out[case_id] = reason.strip() or "no reason given"
    return out


def _compiled() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted((SUITE / "compiled").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out += [(case, data["machines"][case["machine"]]) for case in data["cases"]]
    return out


CASES = _compiled()
XFAIL = expected_failures("python")


# -- comparing ---------------------------------------------------------------------------------
def same(a: Any, b: Any) -> bool:
    """JSON equality, type-strict: true is not 1, "1" is not 1; 5 and 5.0 are the same number
    (JSON does not tell them apart, so neither may a case)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a)
                          and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def violations_match(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> bool:
    """Every violation that holds is expected and every expected one holds (in any order); an
    expected entry is matched on the fields it gives."""
    left = list(actual)
    for want in expected:
        hit = next((v for v in left if all(same(want[k], v[k]) for k in want)), None)
        if hit is None:
            return False
        left.remove(hit)
    return not left


class Mismatch(AssertionError):
    pass


def check(where: str, field: str, want: Any, got: Any) -> None:
    ok = violations_match(want, got) if field.endswith("violations") else same(want, got)
    if not ok:
        raise Mismatch(f"{where}: {field}: expected {json.dumps(want, ensure_ascii=False)}, "
                       f"got {json.dumps(got, ensure_ascii=False)}")


# -- running -----------------------------------------------------------------------------------
def state(iv: Interview) -> dict[str, Any]:
    q = iv.current
    return {"current": q.id if q else None, "history": list(iv.history),
            "answers": iv.answers, "kept": iv.kept, "suggested": iv.suggested(),
            "violations": [v.to_dict() for v in iv.violations], "finished": iv.finished,
            "acknowledged": iv.acknowledged, "events": iv.events, "snapshot": iv.snapshot()}


def without_resumed(where: str, now: dict[str, Any], version: str) -> dict[str, Any]:
    """The state of an interview just resumed, its ``resumed`` event (the last, in ``events`` and
    in the snapshot) taken off: what must equal the state before the snapshot."""
    last = now["events"][-1] if now["events"] else None
    if last is None or last.get("event") != "resumed" or last.get("version") != version:
        raise Mismatch(f"{where}: the resumed interview's last event is {last}, not resumed")
    snapshot = dict(now["snapshot"], events=now["snapshot"]["events"][:-1])
    return dict(now, events=now["events"][:-1], snapshot=snapshot)


def clock_of(case: dict[str, Any]) -> Any:
    """The case's fixed clock (every event at its ``clock`` time), or None: the real one."""
    fixed = case.get("clock")
    return None if fixed is None else (lambda: fixed)


def run_records(form: Form, case: dict[str, Any], *, interpret: bool = False) -> None:
    """Validate each record (with the interpreter alone when ``interpret``)."""
    validate = form.interpret if interpret else form.validate
    for n, item in enumerate(case["records"]):
        where = f"records[{n}]" + (" (interpreter)" if interpret else f" ({form.engine})")
        params = item.get("params", case.get("params"))
        try:
            report = validate(item["record"], params, coerce=item.get("coerce", False))
        except ParamError as exc:
            check(where, "error", item.get("error"), exc.code)
            continue
        if "error" in item:
            raise Mismatch(f"{where}: expected ParamError {item['error']!r}, got a report")
        got = {"ok": report.ok, "path": list(report.path), "record": report.record,
               "violations": [v.to_dict() for v in report.violations]}
        expect = item["expect"]
        if any(key in expect for key in FOUND):
            got.update(found(form, item["record"], params, item.get("coerce", False)))
        for field, want in expect.items():
            if field == "descriptions":  # only the ids given, each of a finding that holds
                got[field] = {k: got[field].get(k) for k in want}
            check(where, field, want, got[field])


#: the expect keys read from form.findings / form.categories rather than the report
FOUND = ("findings", "descriptions", "categories")


def found(form: Form, record: Any, params: Any, coerce: bool) -> dict[str, Any]:
    """What a record finds: the ids of its findings, their descriptions (the form's first
    language) and its household categories."""
    findings = form.findings(record, params, coerce=coerce)
    return {"findings": [f.id for f in findings],
            "descriptions": {f.id: f.description for f in findings},
            "categories": form.categories(record, params, coerce=coerce)}


def _error_of(exc: Exception) -> dict[str, Any]:
    out: dict[str, Any] = {"code": exc.code}  # type: ignore[attr-defined]
    if isinstance(exc, AnswerError):
        out["question"] = exc.question
        out["key"] = exc.key
    if isinstance(exc, SubmitError):
        out["violations"] = [v.to_dict() for v in exc.violations]
    return out


def take(form: Form, iv: Interview, action: str, step: dict[str, Any],
         result: dict[str, Any], clock: Any = None) -> Any:
    """Take one step; what a snapshot or resume step made is returned, a submitted record put
    into ``result``."""
    if action == "answer":
        return iv.answer(step["answer"])
    if action == "acknowledge":
        return iv.acknowledge(step["acknowledge"]["rule"], step["acknowledge"]["reason"])
    if action == "goto":
        return iv.goto(step["goto"])
    if action == "submit":
        result["record"] = iv.submit()
        return None
    if action == "snapshot":
        return form.resume(json.loads(json.dumps(iv.snapshot())), clock=clock)
    if action == "resume":
        return form.resume(step["resume"], clock=clock)
    return iv.back() if action == "back" else iv.forward()


def run_steps(form: Form, case: dict[str, Any]) -> None:
    try:
        iv = form.start(case.get("params"), clock=clock_of(case))
    except ParamError as exc:
        check("start", "error", case.get("start_error"), exc.code)
        return
    if "start_error" in case:
        raise Mismatch(f"start: expected ParamError {case['start_error']!r}, got an interview")
    for n, step in enumerate(case["steps"]):
        step = {step: None} if isinstance(step, str) else step
        action = next(k for k in step if k not in ("error", "expect"))
        where = f"steps[{n}] {action}"
        before = state(iv)
        result: dict[str, Any] = {}
        try:
            made = take(form, iv, action, step, result, clock_of(case))
        except (AnswerError, SubmitError, SnapshotError) as exc:
            if "error" not in step:
                raise Mismatch(f"{where}: refused ({type(exc).__name__} {exc.code}: {exc})"
                               ) from None
            want = step["error"] if isinstance(step["error"], dict) else {"code": step["error"]}
            got = _error_of(exc)
            for field in want:
                check(where, f"error.{field}", want[field], got.get(field))
            check(where, "state after a refused step", before, state(iv))
        else:
            if "error" in step:
                raise Mismatch(f"{where}: expected error {step['error']!r}, the step was taken")
            if action in ("snapshot", "resume"):
                iv = made
            if action == "snapshot":
                check(where, "state after snapshot and resume", before,
                      without_resumed(where, state(iv), form.version))
        now = state(iv) | result
        for field, want in step.get("expect", {}).items():
            if field not in now:
                raise Mismatch(f"{where}: no {field} to compare (only a submit gives a record)")
            check(where, field, want, now[field])


@pytest.mark.parametrize(
    ("case", "machine"),
    [pytest.param(c, m, id=c["id"], marks=[pytest.mark.xfail(strict=True, reason=XFAIL[c["id"]])]
                  if c["id"] in XFAIL else []) for c, m in CASES])
def test_case(case: dict[str, Any], machine: dict[str, Any]) -> None:
    """The case holds; a records case on both of Python's engines: the interpreter and the
    validator generated for the form (docs/speed.md)."""
    form = Form.from_json(machine, case["id"])
    if "steps" in case:
        run_steps(form, case)
        return
    run_records(form, case, interpret=True)
    if form.prepare():
        assert form.engine == "generated"
        run_records(form, case)


def test_the_compiled_cases_are_what_the_yaml_and_this_compiler_give() -> None:
    build = _build_module()
    made = build.build()
    present = {p.name: p.read_text("utf-8") for p in (SUITE / "compiled").glob("*.json")}
    stale = sorted(n for n in made.keys() | present.keys() if made.get(n) != present.get(n))
    assert not stale, f"out of date (run python conformance/build.py): {stale}"


def test_the_suite_is_large_and_every_expected_failure_names_a_case() -> None:
    ids = {c["id"] for c, _ in CASES}
    assert len(ids) == len(CASES) >= 150
    for runtime in ("python", "javascript"):
        unknown = expected_failures(runtime).keys() - ids
        assert not unknown, f"{runtime}.txt names no case: {sorted(unknown)}"


def test_a_broken_case_file_is_refused_with_where_and_what(tmp_path: Path) -> None:
    build = _build_module()
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\ncases:\n  - {id: a, about: x, form: annex6, records: []}\n",
                   encoding="utf-8")
    with pytest.raises(build.CaseError, match=r"bad\.yaml: /cases/0/records: \[\] should be non"):
        build.read_cases(bad)
    bad.write_text("title: t\ntitle: u\ncases: []\n", encoding="utf-8")
    with pytest.raises(build.CaseError, match=r"bad\.yaml:2:1: key 'title' is written twice"):
        build.read_cases(bad)
    bad.write_text("title: t\ncases:\n  - id: a\n    about: x\n    form: |\n      form: [\n"
                   "    records: [{record: {}, expect: {ok: true}}]\n", encoding="utf-8")
    with pytest.raises(build.CaseError, match="the form does not compile"):
        build.compile_file(bad)


def test_a_record_may_merge_another_and_override_its_answers(tmp_path: Path) -> None:
    """``<<: *anchor`` merges a mapping written earlier (a list of them: the first wins); the keys
    beside it override the merged ones, and a key written twice beside it is still an error."""
    build = _build_module()
    path = tmp_path / "m.yaml"
    path.write_text("title: t\ncases:\n  - id: a\n    about: x\n    form: annex6\n    records:\n"
                    "      - {record: &base {county: a, q2: 1}, expect: {ok: false}}\n"
                    "      - {record: {<<: *base, q2: 2, q3: 1}, expect: {ok: false}}\n"
                    "      - {record: {<<: [*base, {q2: 9, q4: 2}]}, expect: {ok: false}}\n",
                    encoding="utf-8")
    records = [r["record"] for r in build.read_cases(path)["cases"][0]["records"]]
    assert records == [{"county": "a", "q2": 1}, {"county": "a", "q2": 2, "q3": 1},
                       {"county": "a", "q2": 1, "q4": 2}]
    path.write_text("title: t\ncases:\n  - {id: a, about: x, form: annex6, records: "
                    "[{record: {<<: 5}, expect: {ok: false}}]}\n", encoding="utf-8")
    with pytest.raises(build.CaseError, match=r"m\.yaml:3:\d+: '<<' merges a mapping"):
        build.read_cases(path)
    path.write_text("title: t\ncases:\n  - {id: a, about: x, form: annex6, records: "
                    "[{record: {<<: {q2: 1}, q3: 1, q3: 2}, expect: {ok: false}}]}\n",
                    encoding="utf-8")
    with pytest.raises(build.CaseError, match="key 'q3' is written twice"):
        build.read_cases(path)


def test_dates_in_cases_stay_text(tmp_path: Path) -> None:
    build = _build_module()
    path = tmp_path / "d.yaml"
    path.write_text("title: t\ncases:\n  - {id: a, about: x, form: annex6, records: "
                    "[{record: {d: 2020-05-01}, expect: {ok: false}}]}\n", encoding="utf-8")
    assert build.read_cases(path)["cases"][0]["records"][0]["record"] == {"d": "2020-05-01"}


def test_the_runner_catches_a_wrong_expectation() -> None:
    """A case that does not hold fails (the runner is no rubber stamp)."""
    form = qengine.load("annex6")
    case = {"id": "x", "records": [{"record": {}, "expect": {"ok": True}}]}
    with pytest.raises(Mismatch, match="ok: expected true, got false"):
        run_records(form, case)
    first = form.start().current
    assert first is not None
    with pytest.raises(Mismatch, match="current"):
        run_steps(form, {"id": "x", "steps": [{"back": None, "expect": {"current": "nope"}}]})
    run_records(form, {"id": "x", "records": [
        {"record": {}, "expect": {"findings": [], "categories": ["registered_not_exited"]}}]})
    for wrong in ({"findings": ["dropout"]}, {"categories": []}, {"descriptions": {"dropout": "x"}}):
        with pytest.raises(Mismatch, match=next(iter(wrong))):
            run_records(form, {"id": "x", "records": [{"record": {}, "expect": wrong}]})
    assert not violations_match([{"rule": "r"}], [])
    assert not violations_match([], [{"rule": "r"}])
    assert not same(1, True) and not same("1", 1) and same(5, 5.0)


def test_the_example_case_file_of_the_docs_holds(tmp_path: Path) -> None:
    """docs/conformance.md's case file is a valid case file, and it passes."""
    text = (ROOT / "docs" / "conformance.md").read_text("utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(block, encoding="utf-8")
    compiled = _build_module().compile_file(path)
    assert len(compiled["cases"]) == 3
    for case in compiled["cases"]:
        form = Form.from_json(compiled["machines"][case["machine"]], case["id"])
        (run_records if "records" in case else run_steps)(form, case)
