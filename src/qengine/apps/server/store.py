"""Where `qengine serve` keeps its interviews and users: a small store interface and its SQLite
implementation.

The HTTP layer (:mod:`qengine.apps.server.api`) talks to :class:`Store` only, so another backend
(PostgreSQL, say) is one class. :class:`SQLiteStore` uses the standard library's ``sqlite3`` in WAL
mode with ``synchronous=FULL``: a write the server acknowledged was committed, and so was on disk,
before the response left. Every change of an interview is one write transaction (``BEGIN
IMMEDIATE``: the row is read, changed and written while the database's write lock is held), so two
answers to one interview never interleave. The schema of the database itself is versioned with
``PRAGMA user_version`` and upgraded step by step (:data:`MIGRATIONS`); a database written by a
newer qengine is refused rather than misread.
"""

from __future__ import annotations

import datetime
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import attrs

from qengine.errors import QengineError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "STATUSES", "FindingStatusRow", "InterviewRow",
           "SQLiteStore", "Store", "StoreError", "UserRow", "new_id", "now"]

#: the statuses of an interview: answering, every question answered, submitted (final)
STATUSES = ("open", "finished", "submitted")

#: The migration steps, in order: step ``n`` (1-based) takes a database from ``user_version``
#: ``n - 1`` to ``n``. Append new steps; never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: users and interviews
    ("""CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('enumerator', 'office')),
            token_sha256 TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL)""",
     """CREATE TABLE interviews (
            id TEXT PRIMARY KEY,
            form TEXT NOT NULL,
            owner TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'finished', 'submitted')),
            snapshot TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            submitted TEXT,
            record TEXT)"""),
    # 2: the indexes of "my interviews" and of the records export; the login token of the office
    #    user made at the first start (so that later starts print the same login URL)
    ("CREATE INDEX interviews_by_owner ON interviews (owner, updated)",
     "CREATE INDEX interviews_by_form ON interviews (form, status, submitted)",
     "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
    # 3: the office's statuses of findings (docs/reports.md), by finding key
    ("""CREATE TABLE finding_status (
            key TEXT PRIMARY KEY,
            form TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('已解决', '正在解决')),
            date TEXT NOT NULL,
            note TEXT NOT NULL,
            user TEXT NOT NULL,
            updated TEXT NOT NULL)""",
     "CREATE INDEX finding_status_by_form ON finding_status (form)"),
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(QengineError):
    """The database cannot be opened or used (not SQLite, newer than this qengine, unwritable)."""


def now() -> str:
    """The time now, UTC, as ISO 8601 with milliseconds (``2020-04-08T09:30:00.000Z``)."""
    text = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def new_id() -> str:
    """An unguessable interview id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


@attrs.frozen(slots=True)
class UserRow:
    """A user as stored: name, role (``enumerator`` or ``office``), the SHA-256 of the token."""

    name: str
    role: str
    token_sha256: str


@attrs.frozen(slots=True)
class InterviewRow:
    """An interview as stored: the snapshot (``Interview.snapshot()``) is the whole of its state."""

    id: str
    form: str
    owner: str
    status: str
    snapshot: dict[str, Any]
    created: str
    updated: str
    submitted: str | None = None
    record: dict[str, Any] | None = None


@attrs.frozen(slots=True)
class FindingStatusRow:
    """A finding's status as the office marked it: its key (``form:id_number:indicator``), form,
    status (已解决 or 正在解决), date (``YYYY-MM-DD``), note, who marked it and when."""

    key: str
    form: str
    status: str
    date: str
    note: str
    user: str
    updated: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class Store(Protocol):
    """What the server needs of a store. Every method that writes has committed when it returns."""

    def users(self) -> list[UserRow]:
        """Every user, by name."""
        ...

    def add_user(self, user: UserRow) -> None:
        """Add a user (:class:`StoreError` when the name or token hash is taken)."""
        ...

    def setting(self, key: str) -> str | None:
        """A stored setting (None when unset)."""
        ...

    def set_setting(self, key: str, value: str) -> None:
        ...

    def create(self, row: InterviewRow) -> InterviewRow:
        """Store a new interview row."""
        ...

    def get(self, interview_id: str) -> InterviewRow | None:
        """The interview with this id, or None."""
        ...

    def list(self, *, owner: str | None = None, form: str | None = None,
             status: str | None = None) -> list[InterviewRow]:
        """The interviews matching every filter given, most recently updated first."""
        ...

    def update(self, interview_id: str,
               change: Callable[[InterviewRow], InterviewRow]) -> InterviewRow | None:
        """Read the row, ``change`` it and write the result, all in one transaction that no other
        change can interleave with. When ``change`` raises, nothing is written and the exception
        propagates; None when there is no such row (``change`` is not called)."""
        ...

    def submitted(self, form: str | None = None) -> Iterator[InterviewRow]:
        """The submitted interviews (of ``form``, or of every form), in the order submitted."""
        ...

    def set_finding_status(self, row: FindingStatusRow) -> FindingStatusRow:
        """Store a finding's status (replacing the one its key had)."""
        ...

    def finding_statuses(self, form: str | None = None) -> list[FindingStatusRow]:
        """The statuses marked (of ``form``, or of every form), by key."""
        ...

    def close(self) -> None:
        ...


_COLUMNS = "id, form, owner, status, snapshot, created, updated, submitted, record"


def _row(values: tuple[Any, ...]) -> InterviewRow:
    iid, form, owner, status, snapshot, created, updated, submitted, record = values
    return InterviewRow(iid, form, owner, status, json.loads(snapshot), created, updated, submitted,
                        None if record is None else json.loads(record))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class SQLiteStore:
    """The :class:`Store` in one SQLite file: one connection per thread, WAL, ``synchronous=FULL``.

    Writes also take a lock of this process, so that the threads of one server queue for the
    database's write lock in order instead of polling for it; ``BEGIN IMMEDIATE`` still guards
    against another process writing the same file.
    """

    def __init__(self, path: str, *, timeout: float = 30.0) -> None:
        self.path = path
        self._timeout = timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._write = threading.Lock()
        self._guard = threading.Lock()
        try:
            conn = self._conn()
            self._check_version(conn)
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: SQLite cannot use write-ahead logging here (journal "
                                 f"mode {mode!r}); put the database on a local disk")
            self._migrate(conn)
        except BaseException:
            self.close()
            raise

    # -- connections ---------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            conn.execute("PRAGMA user_version").fetchone()  # reads the file's header
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable SQLite database: {exc}") from None
        self._local.conn = conn
        with self._guard:
            self._all.append(conn)
        return conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        conn = self._conn()
        with self._write:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _check_version(self, conn: sqlite3.Connection) -> None:
        """Refuse a database that is newer than this code, or not one of qengine serve, before
        anything is written to it (even the switch to WAL)."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: the database is of schema version {version}, newer "
                             f"than this qengine's ({SCHEMA_VERSION}); upgrade qengine to open it")
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{self.path}: an SQLite database, but not one of qengine serve "
                             "(it holds tables and no schema version)")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Upgrade the schema step by step, each step one transaction."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, SCHEMA_VERSION):
            with self._writing() as tx:
                if tx.execute("PRAGMA user_version").fetchone()[0] != step:
                    continue  # another process upgraded it meanwhile
                for statement in MIGRATIONS[step]:
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version={step + 1}")

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._guard:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # -- users and settings --------------------------------------------------------------------
    def users(self) -> list[UserRow]:
        rows = self._conn().execute("SELECT name, role, token_sha256 FROM users ORDER BY name")
        return [UserRow(*r) for r in rows]

    def add_user(self, user: UserRow) -> None:
        try:
            with self._writing() as tx:
                tx.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                           (user.name, user.role, user.token_sha256, now()))
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"cannot add user {user.name!r}: {exc}") from None

    def setting(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self._writing() as tx:
            tx.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    # -- interviews ----------------------------------------------------------------------------
    def create(self, row: InterviewRow) -> InterviewRow:
        with self._writing() as tx:
            tx.execute(f"INSERT INTO interviews ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       _values(row))
        return row

    def get(self, interview_id: str) -> InterviewRow | None:
        return self._get(self._conn(), interview_id)

    @staticmethod
    def _get(conn: sqlite3.Connection, interview_id: str) -> InterviewRow | None:
        found = conn.execute(f"SELECT {_COLUMNS} FROM interviews WHERE id = ?",
                             (interview_id,)).fetchone()
        return None if found is None else _row(found)

    def list(self, *, owner: str | None = None, form: str | None = None,
             status: str | None = None) -> list[InterviewRow]:
        where, args = [], []
        for column, value in (("owner", owner), ("form", form), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = f"SELECT {_COLUMNS} FROM interviews"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated DESC, id"
        return [_row(r) for r in self._conn().execute(sql, args)]

    def update(self, interview_id: str,
               change: Callable[[InterviewRow], InterviewRow]) -> InterviewRow | None:
        with self._writing() as tx:
            row = self._get(tx, interview_id)
            if row is None:
                return None
            new = change(row)
            if new is row:
                return row  # nothing changed: nothing to write
            if new.id != row.id:
                raise ValueError("an update cannot change an interview's id")
            tx.execute("UPDATE interviews SET form = ?, owner = ?, status = ?, snapshot = ?, "
                       "created = ?, updated = ?, submitted = ?, record = ? WHERE id = ?",
                       (*_values(new)[1:], new.id))
        return new

    def submitted(self, form: str | None = None) -> Iterator[InterviewRow]:
        sql = f"SELECT {_COLUMNS} FROM interviews WHERE status = 'submitted'"
        args: tuple[str, ...] = ()
        if form is not None:
            sql += " AND form = ?"
            args = (form,)
        for found in self._conn().execute(sql + " ORDER BY submitted, id", args):
            yield _row(found)


    # -- statuses of findings ------------------------------------------------------------------
    def set_finding_status(self, row: FindingStatusRow) -> FindingStatusRow:
        with self._writing() as tx:
            tx.execute("INSERT OR REPLACE INTO finding_status (key, form, status, date, note, user, "
                       "updated) VALUES (?, ?, ?, ?, ?, ?, ?)", attrs.astuple(row))
        return row

    def finding_statuses(self, form: str | None = None) -> list[FindingStatusRow]:
        sql = "SELECT key, form, status, date, note, user, updated FROM finding_status"
        args: tuple[str, ...] = ()
        if form is not None:
            sql += " WHERE form = ?"
            args = (form,)
        return [FindingStatusRow(*r) for r in self._conn().execute(sql + " ORDER BY key", args)]


def _values(row: InterviewRow) -> tuple[Any, ...]:
    return (row.id, row.form, row.owner, row.status, _dumps(row.snapshot), row.created,
            row.updated, row.submitted, None if row.record is None else _dumps(row.record))
