"""What changed between two versions of a form, and what each change does to work already done.

:func:`diff` compares two compiled forms (from YAML, bundled names or machine files alike) and lists
every change as a :class:`Change` of a fixed kind, each classified twice: for **interviews in
progress** (a snapshot of the old version resumed on the new one) and for **stored records** (old
records validated by the new version), as ``safe`` or ``breaking``, with the reason. A question that
declares ``renamed_from`` is the same question under a new id; its rules are compared with the old
ids read as the new ones, so a rename alone changes no rule.

docs/versions.md lists the kinds and why each is classified as it is.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from qengine.notation import circled
from qengine.runtime.form import Form

SAFE, BREAKING = "safe", "breaking"
#: every kind of change, in the order a diff lists them
KINDS = (
    "form_id_changed", "param_added", "param_removed", "param_changed",
    "question_added", "question_removed", "question_renamed", "question_moved", "type_changed",
    "choice_added", "choice_removed", "choice_recoded", "range_narrowed", "range_widened",
    "required_changed", "none_ok_changed", "jump_changed", "ask_if_changed", "computed_changed",
    "check_added", "check_removed", "check_severity_changed", "check_changed",
    "finding_added", "finding_removed", "finding_changed",
    "category_added", "category_removed", "category_changed", "label_changed",
)
#: answer types whose every value the second type also takes (a widening, never a loss)
_WIDER = {("integer", "number"), ("integer", "money"), ("year", "integer"), ("year", "number"),
          ("money", "number"), ("id_number", "text")}


@attrs.frozen
class Change:
    """One change: its ``kind`` (see :data:`KINDS`), what it is about (``subject``: a question,
    check, param, finding or section id; the new id of a renamed question), what changed
    (``detail``), and its effect on ``interviews`` in progress and stored ``records``."""

    kind: str
    subject: str
    detail: str
    interviews: str
    records: str
    reason: str

    @property
    def breaking(self) -> bool:
        return BREAKING in (self.interviews, self.records)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "detail": self.detail,
                "interviews": self.interviews, "records": self.records, "reason": self.reason}

    def __str__(self) -> str:
        return (f"{self.kind} {self.subject}: {self.detail} [interviews {self.interviews}, "
                f"records {self.records}] {self.reason}")


@attrs.frozen
class FormDiff:
    """Every change from ``old`` (form id and version) to ``new``, in a stable order."""

    old: tuple[str, str]
    new: tuple[str, str]
    changes: tuple[Change, ...]

    @property
    def equal(self) -> bool:
        return not self.changes

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    @property
    def exit_code(self) -> int:
        """0 when equal, 1 when every change is safe, 2 when any is breaking (``qengine diff``)."""
        return 0 if self.equal else 2 if self.breaking else 1

    def to_dict(self) -> dict[str, Any]:
        return {"old": {"form": self.old[0], "version": self.old[1]},
                "new": {"form": self.new[0], "version": self.new[1]},
                "equal": self.equal, "breaking": self.breaking,
                "changes": [c.to_dict() for c in self.changes]}

    def __str__(self) -> str:
        head = f"{self.old[0]} {self.old[1]} -> {self.new[0]} {self.new[1]}: "
        if self.equal:
            return head + "no changes"
        worst = "breaking" if self.breaking else "safe"
        lines = [head + f"{len(self.changes)} change(s), {worst}"]
        lines += [f"  {c}" for c in self.changes]
        return "\n".join(lines)


def diff(old: Form, new: Form) -> FormDiff:
    """The changes from form ``old`` to form ``new`` (both compiled)."""
    for which, form in (("old", old), ("new", new)):
        if not isinstance(form, Form):
            raise TypeError(f"diff() takes compiled qengine Forms; {which} is "
                            f"{type(form).__name__}")
    return FormDiff((old.id, old.version), (new.id, new.version), tuple(_Differ(old, new).run()))


class _Differ:
    def __init__(self, old: Form, new: Form) -> None:
        self.old, self.new = old, new
        self.om, self.nm = old.to_json(), new.to_json()
        old_ids = {q["id"] for q in self.om["questions"]}
        #: old id -> new id, for every question both versions have: a declared rename first
        #: (``b renamed_from: a`` takes ``a`` even where the old version had a ``b`` too)
        self.same: dict[str, str] = {}
        for q in self.nm["questions"]:
            found = next((o for o in q.get("renamed_from", ()) if o in old_ids), None)
            if found is not None and found not in self.same:
                self.same[found] = q["id"]
        renamed_to = set(self.same.values())
        for q in self.nm["questions"]:
            if q["id"] in old_ids and q["id"] not in self.same and q["id"] not in renamed_to:
                self.same[q["id"]] = q["id"]
        self.changes: list[Change] = []
        self.read_by = _readers(self.nm)

    def add(self, kind: str, subject: str, detail: str, interviews: str, records: str,
            reason: str) -> None:
        self.changes.append(Change(kind, subject, detail, interviews, records, reason))

    def run(self) -> list[Change]:
        if self.om["id"] != self.nm["id"]:
            self.add("form_id_changed", self.nm["id"], f"{self.om['id']} -> {self.nm['id']}",
                     BREAKING, BREAKING, "snapshots and records name the form by its id")
        if self.om["titles"] != self.nm["titles"]:
            self.add("label_changed", self.nm["id"], "title", SAFE, SAFE, _LABEL)
        self.params()
        self.questions()
        self.sections()
        self.checks()
        for key, noun in (("findings", "finding"), ("categories", "category")):
            self.named(key, noun)
        order = {k: i for i, k in enumerate(KINDS)}
        return sorted(self.changes, key=lambda c: order[c.kind])

    # -- params ------------------------------------------------------------------------------
    def params(self) -> None:
        old = {p["name"]: p for p in self.om["params"]}
        new = {p["name"]: p for p in self.nm["params"]}
        for name in new.keys() - old.keys():
            self.add("param_added", name, f"value {new[name]['value']!r}", SAFE, SAFE,
                     "a new param changes nothing until a rule reads it")
        for name in old.keys() - new.keys():
            self.add("param_removed", name, f"value was {old[name]['value']!r}", BREAKING, SAFE,
                     "a snapshot that overrides it no longer resumes; records hold no params")
        for name in sorted(old.keys() & new.keys()):
            before, after = old[name], new[name]
            if before["value"] != after["value"] or before["type"] != after["type"]:
                readers = self.read_by.get(name, set())
                paths = bool(readers & {"jump", "ask_if"})
                records = bool(readers & {"jump", "ask_if", "error", "computed"})
                self.add("param_changed", name, f"{before['value']!r} -> {after['value']!r}",
                         BREAKING if paths else SAFE, BREAKING if records else SAFE,
                         _param_reason(readers))
            elif before["labels"] != after["labels"] or before["unit"] != after["unit"]:
                self.add("label_changed", name, "param label or unit", SAFE, SAFE, _LABEL)

    # -- questions ---------------------------------------------------------------------------
    def questions(self) -> None:
        old = {q["id"]: q for q in self.om["questions"]}
        back = {v: k for k, v in self.same.items()}
        for q in self.nm["questions"]:
            if q["id"] in back:
                self.question(old[back[q["id"]]], q)
                continue
            computed = q["type"] == "computed"
            if computed or not q["required"]:
                self.add("question_added", q["id"], _what(q), SAFE, SAFE,
                         "computed from the answers" if computed else
                         "optional: old records and interviews simply have no answer")
            else:
                self.add("question_added", q["id"], _what(q), SAFE, BREAKING,
                         "an interview asks it when it gets there (a resumed one goes back to it "
                         "if it lies behind); stored records have no answer to this required "
                         "question")
        for q in self.om["questions"]:
            if q["id"] not in self.same:
                computed = q["type"] == "computed"
                self.add("question_removed", q["id"], _what(q), SAFE if computed else BREAKING,
                         SAFE if computed else BREAKING,
                         "a computed value is not an answer" if computed else
                         "its answers no longer fit anywhere: migration drops them (and lists "
                         "them in its report)")
        common = [self.same[q["id"]] for q in self.om["questions"] if q["id"] in self.same]
        now = [q["id"] for q in self.nm["questions"] if q["id"] in back]
        if common != now:
            position = {qid: i for i, qid in enumerate(now)}
            for qid in _moved(common, position):
                self.add("question_moved", qid, f"now after {_before(now, qid) or 'the start'}",
                         SAFE, SAFE, "records hold answers by id, and a migrated interview "
                         "walks its path again in the new order")

    def question(self, o: Mapping[str, Any], q: Mapping[str, Any]) -> None:
        qid = q["id"]
        if o["id"] != qid:
            self.add("question_renamed", qid, f"{o['id']} -> {qid}", SAFE, SAFE,
                     "declared with renamed_from: answers move to the new id")
        if o["type"] != q["type"]:
            wider = (o["type"], q["type"]) in _WIDER
            self.add("type_changed", qid, f"{o['type']} -> {q['type']}",
                     SAFE if wider else BREAKING, SAFE if wider else BREAKING,
                     f"every {o['type']} answer is also a {q['type']} one" if wider else
                     "answers cannot be converted: migration refuses the snapshot or record")
            return
        self.choices(o, q)
        self.ranges(o, q)
        if o["required"] != q["required"]:
            self.add("required_changed", qid, "now required" if q["required"] else "now optional",
                     SAFE, BREAKING if q["required"] else SAFE,
                     "an interview asks again where it was left blank; stored records that "
                     "left it blank fail" if q["required"] else "a blank answer is now allowed")
        if o["none_ok"] != q["none_ok"]:
            self.add("none_ok_changed", qid, "[] is now an answer" if q["none_ok"] else
                     "[] is no longer an answer", SAFE, SAFE if q["none_ok"] else BREAKING,
                     "stored [] answers now count as none" if not q["none_ok"] else
                     "a [] answer becomes a complete one")
        ojumps = _step(self.om, o["id"])
        njumps = _step(self.nm, qid)
        if [(*self.rule(j["when"]), self.same.get(j["written"], j["written"])) for j in ojumps] != [
                (*self.rule(j["when"], old=False), j["written"]) for j in njumps]:
            self.add("jump_changed", qid, _jumps_detail(ojumps, njumps), BREAKING, BREAKING,
                     _PATH)
        own = self.rule(o.get("ask_if", {}).get("when")) != self.rule(
            q.get("ask_if", {}).get("when"), old=False)
        moved = o["section"] != q["section"] and self.rule(
            _section_ask(self.om, o["section"])) != self.rule(
            _section_ask(self.nm, q["section"]), old=False)
        if own or moved:  # a section's own ask_if changing is the section's change (sections())
            detail = _ask_detail(o, q) if own else (
                f"moved from section {o['section']} to {q['section']}, asked under another ask_if")
            self.add("ask_if_changed", qid, detail, BREAKING, BREAKING, _PATH)
        if q["type"] == "computed":
            before = _computed(self.om, o["id"])
            if self.rule(before) != self.rule(_computed(self.nm, qid), old=False):
                self.add("computed_changed", qid, "value rule", SAFE, BREAKING,
                         "interviews compute it afresh; stored records carry the old value, "
                         "which no longer matches")
        labels = [key for key in ("labels", "hints", "number", "unit") if o[key] != q[key]]
        if labels:
            self.add("label_changed", qid, ", ".join(labels), SAFE, SAFE, _LABEL)

    def choices(self, o: Mapping[str, Any], q: Mapping[str, Any]) -> None:
        qid = q["id"]
        before = {c["code"]: c for c in o["choices"]}
        after = {c["code"]: c for c in q["choices"]}
        by_label = {_primary(c["labels"]): c["code"] for c in q["choices"]}
        recoded: dict[int, int] = {}
        for code, c in before.items():
            moved = by_label.get(_primary(c["labels"]))
            if moved is not None and moved != code and (
                    code not in after or _primary(after[code]["labels"]) != _primary(c["labels"])):
                recoded[code] = moved
        for code, to in recoded.items():
            self.add("choice_recoded", qid, f"{circled(code)} -> {circled(to)} "
                     f"({_primary(before[code]['labels'])})", BREAKING, BREAKING,
                     f"a stored {circled(code)} would mean something else now")
        taken = set(recoded.values())
        for code in sorted(after.keys() - before.keys() - taken):
            self.add("choice_added", qid, f"{circled(code)} {_primary(after[code]['labels'])}",
                     SAFE, SAFE, "every old answer still fits")
        for code in sorted(before.keys() - after.keys() - recoded.keys()):
            self.add("choice_removed", qid, f"{circled(code)} {_primary(before[code]['labels'])}",
                     BREAKING, BREAKING, f"answers {circled(code)} no longer fit: migration "
                     "drops them (and lists them in its report)")
        for code in sorted(before.keys() & after.keys() - recoded.keys() - taken):
            if before[code]["labels"] != after[code]["labels"] or (
                    before[code].get("name") != after[code].get("name")):
                self.add("label_changed", qid, f"choice {circled(code)}", SAFE, SAFE, _LABEL)

    def ranges(self, o: Mapping[str, Any], q: Mapping[str, Any]) -> None:
        narrowed, widened = [], []
        for key, tighter in (("min", lambda a, b: b > a), ("max", lambda a, b: b < a),
                             ("decimals", lambda a, b: b < a), ("max_length", lambda a, b: b < a)):
            a, b = o[key], q[key]
            if a == b or (a is None and b is None):
                continue
            if a is None or (b is not None and tighter(a, b)):
                narrowed.append(f"{key} {a} -> {b}")
            else:
                widened.append(f"{key} {a} -> {b}")
        if narrowed:
            self.add("range_narrowed", q["id"], ", ".join(narrowed), BREAKING, BREAKING,
                     "answers outside the new range no longer fit: migration drops them (and "
                     "lists them in its report)")
        if widened:
            self.add("range_widened", q["id"], ", ".join(widened), SAFE, SAFE,
                     "every old answer still fits")

    def sections(self) -> None:
        old = {s["id"]: s for s in self.om["sections"]}
        for s in self.nm["sections"]:
            before = old.get(s["id"])
            if before is None:
                continue
            if self.rule(before.get("ask_if", {}).get("when")) != self.rule(
                    s.get("ask_if", {}).get("when"), old=False):
                self.add("ask_if_changed", s["id"], "section " + _ask_detail(before, s),
                         BREAKING, BREAKING, _PATH)
            if before["titles"] != s["titles"]:
                self.add("label_changed", s["id"], "section title", SAFE, SAFE, _LABEL)

    # -- checks, findings, categories ----------------------------------------------------------
    def checks(self) -> None:
        old = {c["id"]: c for c in self.om["checks"]}
        new = {c["id"]: c for c in self.nm["checks"]}
        for cid in [c["id"] for c in self.nm["checks"] if c["id"] not in old]:
            error = new[cid]["severity"] == "error"
            self.add("check_added", cid, f"{new[cid]['severity']}: {new[cid]['text']}", SAFE,
                     BREAKING if error else SAFE,
                     "stored records may fail it; an interview meets it before it submits"
                     if error else "a warning never blocks")
        for cid in [c["id"] for c in self.om["checks"] if c["id"] not in new]:
            self.add("check_removed", cid, old[cid]["text"], SAFE, SAFE,
                     "nothing that passed fails now")
        for cid in [c["id"] for c in self.nm["checks"] if c["id"] in old]:
            before, after = old[cid], new[cid]
            if before["severity"] != after["severity"]:
                error = after["severity"] == "error"
                self.add("check_severity_changed", cid,
                         f"{before['severity']} -> {after['severity']}", SAFE,
                         BREAKING if error else SAFE,
                         "records it warned about now fail" if error else "it no longer blocks")
            if (self.rule(before["rule"]), before["kind"]) != (
                    self.rule(after["rule"], old=False), after["kind"]):
                error = after["severity"] == "error"
                self.add("check_changed", cid, f"{before['text']} -> {after['text']}", SAFE,
                         BREAKING if error else SAFE,
                         "stored records may fail the new rule" if error else
                         "a warning never blocks")
            if before.get("acknowledge") != after.get("acknowledge"):
                now = after.get("acknowledge") == "required"
                self.add("check_changed", cid, "a reason is now required to submit while it holds"
                         if now else "a reason is no longer required", BREAKING if now else SAFE,
                         SAFE, "an interview where it holds cannot be submitted until it is "
                         "acknowledged; stored records get a warning, never an error" if now else
                         "nothing that passed is blocked")
            if before["messages"] != after["messages"]:
                self.add("label_changed", cid, "check message", SAFE, SAFE, _LABEL)

    def named(self, key: str, noun: str) -> None:
        old = {f["id"]: f for f in self.om.get(key, ())}
        new = {f["id"]: f for f in self.nm.get(key, ())}
        why = "the office's reports count differently; answers and records are untouched"
        for fid in [f["id"] for f in self.nm.get(key, ()) if f["id"] not in old]:
            self.add(f"{noun}_added", fid, new[fid]["text"], SAFE, SAFE, why)
        for fid in [f["id"] for f in self.om.get(key, ()) if f["id"] not in new]:
            self.add(f"{noun}_removed", fid, old[fid]["text"], SAFE, SAFE, why)
        for fid in [f["id"] for f in self.nm.get(key, ()) if f["id"] in old]:
            before, after = old[fid], new[fid]
            plain = {k: v for k, v in before.items() if k not in ("rule", "text", "at", "deps",
                                                                   "questions")}
            now = {k: v for k, v in after.items() if k not in ("rule", "text", "at", "deps",
                                                                "questions")}
            if self.rule(before["rule"]) != self.rule(after["rule"], old=False) or plain != now:
                self.add(f"{noun}_changed", fid, after["text"], SAFE, SAFE, why)

    # -- rules -------------------------------------------------------------------------------
    def rule(self, node: Any, *, old: bool = True) -> tuple[str, ...]:
        """A rule as comparable text: no positions, and (for the old form) old ids read as new."""
        if node is None:
            return ()
        rename = self.same if old else {}
        return (json.dumps(_plain(node, rename), sort_keys=True, ensure_ascii=False),)


_LABEL = "only texts people read changed"
_PATH = ("the path changes: answers on the old path may now be skipped (migration drops them, "
         "in its report) and other questions asked; stored records may no longer validate")


def _plain(node: Any, rename: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _plain(v, rename) for k, v in node.items() if k != "at"}
        if node.get("op") in ("answer", "computed") and node.get("id") in rename:
            out["id"] = rename[node["id"]]
        return out
    if isinstance(node, list):
        return [_plain(v, rename) for v in node]
    return node


def _readers(machine: Mapping[str, Any]) -> dict[str, set[str]]:
    """For each param name: what kinds of rules read it (jump, ask_if, error, warning,
    computed, finding)."""
    out: dict[str, set[str]] = {}
    through: dict[str, set[str]] = {}  # computed id -> the params its value reads, transitively

    def params_of(node: Any) -> set[str]:
        found: set[str] = set()
        stack = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                if cur.get("op") == "param":
                    found.add(cur["name"])
                elif cur.get("op") == "computed":
                    found |= through.get(cur.get("id"), set())
                stack.extend(cur.get("args", ()))
        return found

    for c in machine["computed"]:  # in reading order: a value after those it reads
        through[c["question"]] = params_of(c["value"])

    def note(node: Any, kind: str) -> None:
        for name in params_of(node):
            out.setdefault(name, set()).add(kind)

    for s in machine["steps"]:
        for j in s["jumps"]:
            note(j["when"], "jump")
    for item in (*machine["questions"], *machine["sections"]):
        if "ask_if" in item:
            note(item["ask_if"]["when"], "ask_if")
    for c in machine["checks"]:
        note(c["rule"], c["severity"])
    for c in machine["computed"]:
        note(c["value"], "computed")
    for f in (*machine.get("findings", ()), *machine.get("categories", ())):
        note(f["rule"], "finding")
    return out


def _param_reason(readers: set[str]) -> str:
    if not readers:
        return "no rule reads it"
    parts = []
    if readers & {"jump", "ask_if"}:
        parts.append("a jump or ask_if reads it, so paths may change")
    if "error" in readers:
        parts.append("an error check reads it, so stored records may now fail")
    if "computed" in readers:
        parts.append("a computed value reads it, so stored values no longer match")
    if not parts:
        parts.append("only warnings and findings read it: nothing is blocked")
    return "; ".join(parts)


def _what(q: Mapping[str, Any]) -> str:
    return f"{q['type']}{', optional' if not q['required'] and q['type'] != 'computed' else ''}"


def _primary(texts: Mapping[str, str]) -> str:
    return next(iter(texts.values()), "")


def _section_ask(machine: Mapping[str, Any], sid: str) -> Any:
    """The ``when`` of section ``sid``'s ask_if, or None."""
    section = next((s for s in machine["sections"] if s["id"] == sid), {})
    return section.get("ask_if", {}).get("when")


def _step(machine: Mapping[str, Any], qid: str) -> list[dict[str, Any]]:
    return next((s["jumps"] for s in machine["steps"] if s["question"] == qid), [])


def _computed(machine: Mapping[str, Any], qid: str) -> Any:
    return next((c["value"] for c in machine["computed"] if c["question"] == qid), None)


def _jumps_detail(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    def show(jumps: Iterable[dict[str, Any]]) -> str:
        return "; ".join(f"{j['text']} -> {j['written']}" for j in jumps) or "none"
    return f"{show(before)} => {show(after)}"


def _ask_detail(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    def show(item: Mapping[str, Any]) -> str:
        return item["ask_if"]["text"] if "ask_if" in item else "always"
    return f"ask_if {show(before)} -> {show(after)}"


def _moved(order: list[str], position: Mapping[str, int]) -> list[str]:
    """The questions of ``order`` (old order) that changed place in the new one: those outside
    a longest run that kept its relative order (a move, not the shift it causes)."""
    ranks = [position[qid] for qid in order]
    tails: list[int] = []  # tails[k]: index in ranks of the least tail of a run of length k + 1
    parent = [-1] * len(ranks)
    for i, rank in enumerate(ranks):
        k = bisect.bisect_left([ranks[t] for t in tails], rank)
        parent[i] = tails[k - 1] if k else -1
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    kept: set[int] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        kept.add(i)
        i = parent[i]
    return [qid for i, qid in enumerate(order) if i not in kept]


def _before(order: list[str], qid: str) -> str | None:
    k = order.index(qid)
    return order[k - 1] if k else None
