"""The users of `qengine serve`: who may call the API, and with which role.

A user is a name, a role (``enumerator``: his own interviews; ``office``: every interview and the
records export) and the SHA-256 of a login token. Tokens are random 256-bit strings that the server
(or :func:`new_token`) makes, not passwords people choose, so a plain SHA-256 is enough: nobody can
guess a preimage of a 256-bit random value, and a slow password hash (bcrypt, scrypt) would only
slow every request. Only the hash is kept in a users file; the token itself is compared by its hash
with :func:`hmac.compare_digest`.

Users come from ``--users FILE`` (YAML, read by the compiler layer's located YAML reader, so every
problem is reported at ``file:line:column``) or, without it, from the database, where the first
start makes one office user (:func:`bootstrap`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from qengine.apps.server.store import Store, UserRow
from qengine.compiler.loader import LList, LMap, parse_yaml, read_text
from qengine.errors import Diagnostics, QengineError
from qengine.location import SourceLocation

__all__ = ["ROLES", "TOKEN_SETTING", "User", "Users", "UsersError", "bootstrap", "hash_token",
           "load_users_file", "new_token"]

ROLES = ("enumerator", "office")
FIELDS = ("name", "role", "token_sha256")
TOKEN_SETTING = "office_token"  # the first start's office token, kept to print the login again
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]{0,98}[^\s\x00-\x1f\x7f])?")


class UsersError(QengineError):
    """A users file is unreadable or wrong (the message starts with ``file:line:column``)."""


User = UserRow  # a user is exactly what the store keeps


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token, as a users file holds it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A new login token: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class Users:
    """The users the server knows, looked up by token."""

    def __init__(self, users: Iterable[User]) -> None:
        self._users = tuple(users)

    def __iter__(self) -> Iterator[User]:
        return iter(self._users)

    def __len__(self) -> int:
        return len(self._users)

    def authenticate(self, token: str) -> User | None:
        """The user whose token this is, or None. Every user's hash is compared, in constant time
        each, so the time taken says nothing about which hash came close."""
        digest = hash_token(token)
        found = None
        for user in self._users:
            if hmac.compare_digest(digest, user.token_sha256):
                found = user
        return found


def load_users_file(path: str) -> Users:
    """Read and check a users file: a YAML list of ``{name, role, token_sha256}``.

    :class:`UsersError` names the first problem at ``file:line:column`` (and how many more).
    """
    diag = Diagnostics(path)
    text = read_text(path, diag)
    data = parse_yaml(text, path, diag) if text is not None else None
    problems: list[str] = [f"{p.location}: {p.message}" for p in diag.problems]
    users: list[User] = []
    if not problems:
        users = _check(data, path, problems)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsersError(f"users file {problems[0]}{more}")
    return Users(users)


def _check(data: Any, path: str, problems: list[str]) -> list[User]:
    def fail(loc: SourceLocation, message: str) -> None:
        problems.append(f"{loc}: {message}")

    start = SourceLocation(path, 1, 1)
    if not isinstance(data, LList) or not data:
        fail(getattr(data, "loc", start), "expected a list of users, each {name, role, "
             "token_sha256}")
        return []
    users: list[User] = []
    names: set[str] = set()
    hashes: set[str] = set()
    for i, item in enumerate(data):
        if not isinstance(item, LMap):
            fail(data.where(i), "a user is a mapping {name, role, token_sha256}")
            continue
        for key in item:
            if key not in FIELDS:
                fail(item.where_key(key), f"unknown field {key!r} (a user has {', '.join(FIELDS)})")
        missing = [k for k in FIELDS if k not in item]
        if missing:
            fail(item.loc, f"the user lacks {', '.join(missing)}")
            continue
        name, role, digest = item["name"], item["role"], item["token_sha256"]
        if type(name) is not str or not _NAME.fullmatch(name):
            fail(item.where("name"), "name: 1 to 100 printable characters, no spaces at the ends")
        elif name in names:
            fail(item.where("name"), f"name {name!r} is given twice")
        if role not in ROLES:
            fail(item.where("role"), f"role: enumerator or office, not {role!r}")
        if type(digest) is not str or not _HEX64.fullmatch(digest.lower()):
            fail(item.where("token_sha256"), "token_sha256: the SHA-256 of the token, 64 hex "
                 "digits (python3 -c \"import hashlib; print(hashlib.sha256(b'TOKEN')"
                 ".hexdigest())\")")
        elif digest.lower() in hashes:
            fail(item.where("token_sha256"), "token_sha256 is given twice: each user needs "
                 "a token of his own")
        if type(name) is str and type(digest) is str and role in ROLES:
            names.add(name)
            hashes.add(digest.lower())
            users.append(User(name, role, digest.lower()))
    return users


def bootstrap(store: Store) -> tuple[Users, str | None]:
    """The users stored in the database; at the first start (none yet), one office user named
    ``office`` with a new token. Returns the users and the office token made at the first start
    (kept in the database, so the login URL can be printed at each start), or None."""
    users = store.users()
    token = store.setting(TOKEN_SETTING)
    if not users:
        token = new_token()
        store.set_setting(TOKEN_SETTING, token)  # first: a crash before the user is added retries
        store.add_user(User("office", "office", hash_token(token)))
        users = store.users()
    if token is not None and not any(hmac.compare_digest(hash_token(token), u.token_sha256)
                                     for u in users):
        token = None  # the office user was replaced: its old token no longer logs in
    return Users(users), token
