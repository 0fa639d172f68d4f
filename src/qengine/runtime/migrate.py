"""Moving work done on an older version of a form onto the version in use.

A snapshot or a record of version 1 meets the form of version 2: answers to questions the new form
declares ``renamed_from`` move to the new id; an answer the new version no longer takes (a removed
question or code, a value now out of range, a choice no longer offered) is dropped **and listed in
the report**, never lost silently; the path is walked again and the checks recomputed. An answer of
the wrong kind altogether (a text where the new version asks a number: the question changed type)
cannot be moved, and the whole snapshot or record is refused.

The form decides on its own: it needs no copy of the old version, only its ``renamed_from`` ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from qengine.errors import AnswerError, ParamError, RecordError, SnapshotError, describe
from qengine.runtime.form import MAX_REASON, META
from qengine.runtime.values import is_blank

if TYPE_CHECKING:
    from qengine.runtime.form import Form
    from qengine.runtime.interview import Interview
    from qengine.runtime.results import Violation

#: answer errors that mean the question changed type: the answer cannot be carried over (a
#: stored answer was canonical for its old question, so a text that is no date, or a fraction
#: where a whole number is asked, says the type changed, not the answer)
TYPE_CHANGED = frozenset({"type.strict", "type.text", "type.number", "type.code", "type.codes",
                          "type.date", "type.id_number", "type.bool", "type.whole",
                          "format.date", "format.not_a_date"})


@attrs.frozen
class Dropped:
    """An answer migration could not keep: the ``question`` (its id in the old version), the
    ``value``, and why (``reason``: ``unknown_question``, ``not_asked``, ``unknown_param`` or the
    code of the answer's error, such as ``choice`` or ``range.above``), with a ``message``."""

    question: str
    value: Any
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "value": self.value, "reason": self.reason,
                "message": self.message}


@attrs.frozen
class Migration:
    """What migrating one snapshot or record did: ``from_version`` to ``to_version``, the answers
    ``renamed`` (old id to new id) and those ``dropped``. ``record`` is the migrated record (for a
    snapshot, the answers on the migrated interview's path so far) and ``violations`` the checks
    recomputed on it (for a record, its whole validation)."""

    form: str
    from_version: str | None
    to_version: str
    renamed: Mapping[str, str]
    dropped: tuple[Dropped, ...]
    record: dict[str, Any]
    violations: tuple[Violation, ...]

    @property
    def changed(self) -> bool:
        return bool(self.renamed or self.dropped) or self.from_version != self.to_version

    def to_dict(self) -> dict[str, Any]:
        return {"form": self.form, "from_version": self.from_version,
                "to_version": self.to_version, "renamed": dict(self.renamed),
                "dropped": [d.to_dict() for d in self.dropped], "record": self.record,
                "violations": [v.to_dict() for v in self.violations]}


def _renames(form: Form) -> dict[str, str]:
    return {old: q.id for q in form.questions for old in q.renamed_from}


def carry(form: Form, answers: Mapping[str, Any], what: str
          ) -> tuple[dict[str, Any], dict[str, str], list[Dropped]]:
    """The answers of an older version as this form's: renamed, each checked against its
    question; (kept answers, renames applied, dropped). ``what`` names the source in errors.
    Raises :class:`ValueError` (the caller's own error type) for an answer whose question
    changed type. ``_meta`` is left to the caller.

    A declared rename wins: when question ``b`` says ``renamed_from: a`` and both ``a`` and ``b``
    are answered, ``a``'s answer moves to ``b`` and the old ``b``'s is dropped (its id now names
    another question); of several old ids answered, the first declared moves."""
    order = {key: k for k, key in enumerate(answers)}
    renamed: dict[str, str] = {}
    dropped: list[tuple[int, Dropped]] = []
    pairs: list[tuple[str, str]] = []  # (old key, new question id)
    consumed: set[Any] = {META}
    for q in form.questions:
        present = [old for old in q.renamed_from if old in answers]
        if present:
            pairs.append((present[0], q.id))
            renamed[present[0]] = q.id
            for other in [*present[1:], *([q.id] if q.id in answers else [])]:
                dropped.append((order[other], Dropped(other, answers[other], "renamed_twice",
                                                      f"{q.id} takes the answer of "
                                                      f"{present[0]} (renamed_from)")))
            consumed.update(present, {q.id})
        elif q.id in answers:
            pairs.append((q.id, q.id))
            consumed.add(q.id)
    for key, value in answers.items():
        if key not in consumed:
            name = key if isinstance(key, str) else describe(key)
            dropped.append((order[key], Dropped(name, value, "unknown_question",
                                                f"{name} is not a question of {form.id} "
                                                f"{form.version}")))
    kept: dict[str, Any] = {}
    for key, qid in pairs:
        value = answers[key]
        q = form.question(qid)
        if q.computed:  # computed afresh from the answers
            continue
        if value is None:
            kept[qid] = None
            continue
        try:
            kept[qid] = form.steps[q.index].strict(value)
        except AnswerError as exc:
            if exc.key in TYPE_CHANGED:
                raise ValueError(f"{what}: the answer to {key} ({describe(value)}) does not fit "
                                 f"{qid}, now a {q.type} question: {exc}") from None
            dropped.append((order[key], Dropped(key, value, exc.key, str(exc))))
    return kept, renamed, [d for _k, d in sorted(dropped, key=lambda item: item[0])]


def _acknowledgements(form: Form, meta: Any, holding: set[str], dropped: list[Dropped]
                      ) -> dict[str, str]:
    """The acknowledged warnings of an old record or snapshot that still hold as warnings of
    ``form``; the others are listed as dropped."""
    given = meta.get("acknowledged") if isinstance(meta, Mapping) else None
    if not isinstance(given, Mapping):
        if meta is not None:
            dropped.append(Dropped(META, meta, "bad_meta", "not {'acknowledged': {...}}"))
        return {}
    out: dict[str, str] = {}
    for rule, reason in given.items():
        if rule in holding and isinstance(reason, str) and reason.strip() and len(
                reason) <= MAX_REASON:
            out[rule] = reason
        else:
            dropped.append(Dropped(f"{META}.acknowledged.{describe(rule)}", reason,
                                   "acknowledged", f"warning {describe(rule)} does not hold on "
                                   f"{form.id} {form.version} (or the reason is no text)"))
    return out


def migrate_record(form: Form, record: Any, params: Mapping[str, Any] | None = None
                   ) -> Migration:
    """A stored record of an older version as a record of ``form`` (see the module docstring).

    Answers the new path does not ask are dropped (``not_asked``) and computed values computed
    afresh, so ``migration.record`` is canonical; :class:`RecordError` (code ``cannot_migrate``)
    when an answer's question changed type, or ``not_a_record``."""
    if not isinstance(record, Mapping):
        raise RecordError(f"a record is a mapping of question ids to answers, not "
                          f"{type(record).__name__}")
    try:
        kept, renamed, dropped = carry(form, record, "the record")
    except ValueError as exc:
        raise RecordError(str(exc), "cannot_migrate") from None
    walked = form.walk(kept, params)
    on_path = set(walked.path)
    for qid, value in kept.items():
        if qid not in on_path and value is not None and value != []:
            old = next((o for o, n in renamed.items() if n == qid), qid)
            dropped.append(Dropped(old, value, "not_asked",
                                   f"{qid} is not asked on this record's path in "
                                   f"{form.version}"))
    out = walked.record(whole=True)
    if META in record:
        holding = {v.rule for v in form.validate(out, params).warnings}
        acknowledged = _acknowledgements(form, record[META], holding, dropped)
        if acknowledged:
            out[META] = {"acknowledged": acknowledged}
    return Migration(form.id, None, form.version, renamed, tuple(dropped), out,
                     form.validate(out, params).violations)


def migrate_snapshot(form: Form, snap: Any, clock: Any = None) -> tuple[Interview, Migration]:
    """An interview of an older version resumed on ``form``: answers carried over, the path
    walked again from the start through the questions the old interview had confirmed; those it
    had only kept (after a back) stay kept. :class:`SnapshotError` when it cannot be."""
    from qengine.runtime.interview import Interview, snapshot_parts

    version, answers, history, params = snapshot_parts(form, snap)
    if version == form.version:  # nothing to migrate, unless the form changed under one version
        try:
            iv = Interview.from_snapshot(form, snap, clock)
        except SnapshotError as exc:
            if exc.code not in ("bad_answer", "inconsistent", "unknown_question"):
                raise
        else:
            return iv, Migration(form.id, version, form.version, {}, (), iv.answers,
                                 iv.violations)
    try:
        kept, renamed, dropped = carry(form, answers, "the snapshot")
    except ValueError as exc:
        raise SnapshotError("cannot_migrate", str(exc)) from None
    overrides: dict[str, Any] = {}
    for name, value in params.items():
        try:
            form.resolve_params({name: value})
        except ParamError as exc:
            dropped.append(Dropped(name if isinstance(name, str) else describe(name), value,
                                   exc.code, str(exc)))
        else:
            overrides[name] = value
    renames = _renames(form)
    confirmed = {renames.get(h, h) for h in history if isinstance(h, str)}
    iv = Interview(form, form.resolve_params(overrides), clock)
    trail = {"events": snap.get("events", []), "events_dropped": snap.get("events_dropped", 0),
             "acknowledged": {}}  # a warning is acknowledged again once it holds on the new version
    iv.restore_trail(trail)
    iv.pause_trail(True)
    while iv.current is not None and iv.current.id in confirmed and iv.current.id in kept:
        try:
            iv.answer(kept[iv.current.id])
        except AnswerError:  # a blank answer to a question now required: asked again
            break
    iv.keep({qid: value for qid, value in kept.items() if qid not in iv.history})
    position = iv.current.index if iv.current is not None else len(form.questions)
    on_path = set(iv.history)
    for qid in sorted(confirmed & kept.keys(), key=lambda q: form.question(q).index):
        if qid not in on_path and form.question(qid).index < position and not is_blank(kept[qid]):
            old = next((o for o, n in renamed.items() if n == qid), qid)
            dropped.append(Dropped(old, kept[qid], "not_asked", f"{qid} is kept but not asked "
                                   f"on this interview's path in {form.version}: it will not "
                                   "be submitted"))
    old_acks = snap.get("acknowledged", {})
    for rule, reason in old_acks.items() if isinstance(old_acks, Mapping) else ():
        try:
            iv.acknowledge(rule, reason)
        except AnswerError as exc:  # the warning is gone, or no longer holds here
            dropped.append(Dropped(f"{META}.acknowledged.{describe(rule)}", reason,
                                   "acknowledged", str(exc)))
    iv.pause_trail(False)
    iv.note_resumed(migrated_from=version)
    return iv, Migration(form.id, version, form.version, renamed, tuple(dropped), iv.answers,
                         iv.violations)
