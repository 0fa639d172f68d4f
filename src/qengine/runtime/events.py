"""An interview's audit trail: what happened, when, in order, bounded in size.

Each event is a plain JSON object: ``{"event": kind, "at": time, ...}`` with ``question`` and
``value`` for ``answered`` and ``changed`` (an answer that replaces a different one kept for the
question), ``question`` for ``went_back`` (the question returned to), ``rule`` and ``reason`` for
``acknowledged``, ``version`` (and ``migrated_from`` when migrated) for ``resumed``. The time comes
from a clock the caller may inject (tests pass a fixed one); the default is UTC to the millisecond.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Mapping
from typing import Any

from qengine.runtime.machine import is_number

#: the kinds of event, in the order an interview meets them
KINDS = ("answered", "changed", "went_back", "acknowledged", "resumed", "submitted")
#: the most events an interview keeps (the oldest go first; ``dropped`` counts them)
MAX_EVENTS = 1000
Clock = Callable[[], Any]


def utc_now() -> str:
    """The default clock: now in UTC, ISO 8601 to the millisecond (``2026-12-02T06:50:01.250Z``)."""
    return _iso(time.time())


def _iso(seconds: float) -> str:
    now = _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


#: the fields of each kind of event kept as a plain tuple (kind, at, *values), in order
FIELDS = {"answered": ("question", "value"), "changed": ("question", "value"),
          "went_back": ("question",), "acknowledged": ("rule", "reason"), "submitted": ()}


class EventLog:
    """The events of one interview, newest last; at most :data:`MAX_EVENTS` are kept.

    An event is stored as the tuple ``(kind, at, *values)`` (see :data:`FIELDS`), or as the dict a
    snapshot gave, and made a dict when read: an answer costs an append, and with the default
    clock the time is the float of ``time.time()`` until then."""

    __slots__ = ("clock", "dropped", "events", "paused")

    def __init__(self, clock: Clock | None = None) -> None:
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be a function giving the time, not "
                            f"{type(clock).__name__}")
        self.clock = clock
        self.events: list[Any] = []
        self.dropped = 0
        self.paused = False  # while a snapshot is replayed: its events are already in the log

    def stamp(self) -> Any:
        """The time for an event about to happen, or None while paused (so that a clock that
        fails does so before the interview changes)."""
        if self.paused:
            return None
        clock = self.clock
        if clock is None:
            return time.time()
        at = clock()
        if type(at) is str:
            return at
        if isinstance(at, _dt.datetime):  # in UTC to the millisecond, as the default (and JS)
            if at.tzinfo is None:
                at = at.replace(tzinfo=_dt.timezone.utc)
            return _iso(at.timestamp())
        raise TypeError(f"the clock gave {type(at).__name__}, not a text or a datetime")

    def put(self, event: Any) -> None:
        """Keep ``event`` (a tuple of :data:`FIELDS`, or a dict), dropping the oldest over the
        bound."""
        events = self.events
        events.append(event)
        if len(events) > MAX_EVENTS:
            excess = len(events) - MAX_EVENTS
            del events[:excess]
            self.dropped += excess

    def add(self, kind: str, **fields: Any) -> None:
        at = self.stamp()
        if at is not None:
            self.put({"event": kind, "at": at, **fields})

    def copy(self) -> list[dict[str, Any]]:
        """The events as JSON-ready dicts (copies)."""
        out = []
        for e in self.events:
            if type(e) is dict:
                event = {k: list(v) if type(v) is list else v for k, v in e.items()}
            else:
                kind, at, *values = e
                event = {"event": kind, "at": at}
                event.update(zip(FIELDS[kind], (list(v) if type(v) is list else v
                                                for v in values)))
            if type(event["at"]) is float:
                event["at"] = _iso(event["at"])
            out.append(event)
        return out

    def restore(self, events: Any, dropped: Any) -> str | None:
        """Take the events of a snapshot; the problem with them (None when there is none)."""
        if not isinstance(events, list):
            return "'events' is a list"
        if type(dropped) is not int or dropped < 0:
            return "'events_dropped' is a whole number, 0 or more"
        kept: list[dict[str, Any]] = []
        for k, event in enumerate(events):
            if not isinstance(event, Mapping) or event.get("event") not in KINDS or not (
                    isinstance(event.get("at"), str)) or not all(isinstance(key, str)
                                                                 for key in event):
                return f"event {k} is not an object with a known 'event' and an 'at' time"
            if not all(_plain(value) for value in event.values()):
                return f"event {k} holds a value that is not a JSON text, number, list or null"
            kept.append({key: list(v) if type(v) is list else v for key, v in event.items()})
        excess = max(0, len(kept) - MAX_EVENTS)
        self.events = kept[excess:]
        self.dropped = dropped + excess
        return None


def _plain(value: Any, depth: int = 0) -> bool:
    """A value an event may hold: what an answer or a reason is (JSON, within the machine's
    number range, text that encodes as UTF-8), a list of those one level deep."""
    if value is None or type(value) is bool:
        return True
    if type(value) is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if type(value) is list:
        return depth == 0 and all(_plain(v, 1) for v in value)
    return is_number(value)
