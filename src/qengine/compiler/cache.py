"""The machine cache: a compiled form kept beside its file, as ``__pycache__`` keeps bytecode.

``qengine.load(path)`` of a YAML form looks for ``<dir>/__qengine__/<stem>.<hash16>.machine.json``,
where ``hash16`` starts the SHA-256 of the file's bytes. The cache file is JSON (never pickle)::

    {"qengine": "0.1.0", "format": "qengine-machine/1", "sha256": "<64 hex digits>",
     "machine": {... the machine, with "source": null ...}}

It is used only when all three keys match this qengine and these bytes, and then only through the
runtime's own check of a machine (:meth:`qengine.Form.from_json`), with ``source`` set to the path
the form was loaded from; anything else (a corrupt, truncated, foreign or stale file) is ignored and
written anew after compiling. Files are written atomically (a temporary file, then ``os.replace``),
so a reader never sees half a file, and stale machines of the same form are removed.

When the form's folder cannot be written (a read-only install), the cache lives in the user's
cache folder instead: ``$XDG_CACHE_HOME/qengine`` (``~/.cache/qengine`` when unset), keyed by the
same hash. If neither can be written, nothing is cached and nothing is reported.
``qengine.load(path, cache=False)`` or the environment variable ``QENGINE_NO_CACHE=1`` bypasses the
cache, reading and writing alike. Forms with problems are never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from qengine import __version__
from qengine.errors import QengineError
from qengine.runtime.form import Form
from qengine.runtime.machine import FORMAT, check_machine

CACHE_DIR = "__qengine__"
ENV_DISABLE = "QENGINE_NO_CACHE"
SUFFIX = ".machine.json"


def enabled(cache: bool = True) -> bool:
    """Whether a load may use the cache: ``cache`` and not ``QENGINE_NO_CACHE`` (1, true, yes)."""
    return cache and os.environ.get(ENV_DISABLE, "").strip().lower() not in ("1", "true", "yes", "on")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/qengine``, or ``~/.cache/qengine``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qengine"


def cache_paths(path: str, digest: str) -> list[Path]:
    """Where the machine of the form file ``path`` with content hash ``digest`` may be kept: beside
    the form first, then in the user's cache folder."""
    form = Path(path)
    name = f"{form.stem}.{digest[:16]}{SUFFIX}"
    return [form.parent / CACHE_DIR / name, user_cache_dir() / name]


def load_cached(path: str, digest: str) -> Form | None:
    """The cached form of ``path`` (content hash ``digest``), or None when there is no usable one."""
    for where in cache_paths(path, digest):
        form = _read(where, path, digest)
        if form is not None:
            return form
    return None


def _read(where: Path, path: str, digest: str) -> Form | None:
    try:
        with open(where, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if (not isinstance(entry, dict) or entry.get("qengine") != __version__
            or entry.get("format") != FORMAT or entry.get("sha256") != digest):
        return None
    machine = entry.get("machine")
    if not isinstance(machine, dict):
        return None
    machine["source"] = path  # the file it was loaded from now, wherever it was compiled
    try:
        # The runtime's full check of a machine, as Form.from_json does; the document was parsed
        # here and belongs to nobody else, so it needs no defensive copy.
        check_machine(machine, str(where), parsed=True)
        return Form(machine)
    except (QengineError, ValueError, TypeError, KeyError, RecursionError):
        return None


def store(path: str, digest: str, machine: dict[str, Any]) -> Path | None:
    """Keep ``machine`` for ``path``; where it was written, or None when nowhere could be."""
    entry = {"qengine": __version__, "format": FORMAT, "sha256": digest,
             "machine": {**machine, "source": None}}
    try:
        text = json.dumps(entry, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):  # pragma: no cover - a machine is JSON
        return None
    data = text.encode("utf-8")
    beside, user = cache_paths(path, digest)
    for where in (beside, user):
        if _write(where, data, Path(path).stem):
            return where
    return None


def _write(where: Path, data: bytes, stem: str) -> bool:
    folder = where.parent
    try:
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            if folder.name == CACHE_DIR:  # keep it out of version control, as pytest's cache does
                (folder / ".gitignore").write_text("# made by qengine\n*\n", encoding="utf-8")
        # A fresh name, created exclusively, with the permissions the umask gives (not 0600).
        tmp = str(folder / f".{where.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, where)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    if folder.name != CACHE_DIR:  # the user's folder holds the forms of many folders
        return True
    # The machines of earlier versions of the same form are stale now.
    for old in folder.glob(f"{_glob_escape(stem)}.*{SUFFIX}"):
        if old != where and len(old.name) == len(where.name):
            with contextlib.suppress(OSError):
                old.unlink()
    return True


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
