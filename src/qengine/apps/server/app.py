"""`qengine serve`: the ASGI app (:func:`make_app`) and the command that runs it on uvicorn
(:func:`serve`).

Starlette rather than FastAPI: the API is a dozen routes whose request bodies the runtime checks
anyway (a FastAPI model would check them a second time, with other messages), the errors must be
the API's own JSON and never FastAPI's, and Starlette is a small dependency with no code
generation at import. The OpenAPI document is written out by hand (:func:`api.openapi`).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qengine.apps.server.api import EXCEPTION_HANDLERS, Api
from qengine.apps.server.store import SQLiteStore, Store
from qengine.apps.server.users import Users, bootstrap, load_users_file
from qengine.compiler.pipeline import bundled_forms, load
from qengine.errors import QengineError
from qengine.runtime import Form

__all__ = ["STATIC", "ServeError", "make_app", "serve"]

STATIC = Path(__file__).parent / "static"
PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qengine serve</title></head>
<body><h1>qengine serve</h1><p>The web page is not installed here. The API is described at
<a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>
"""


class ServeError(QengineError):
    """`qengine serve` cannot start: a bad argument, a port in use, two forms of one name."""


class _Headers:
    """Headers on every response: no MIME sniffing, no referrer (a login URL carries a token), and
    no caching of API answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer")]
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _page(request: Request) -> Response:
    index = STATIC / "index.html"
    if index.is_file():
        return FileResponse(index, headers={"cache-control": "no-cache"})
    return HTMLResponse(PLACEHOLDER)


_static_files = StaticFiles(directory=STATIC, check_dir=False)


async def _static(scope: Scope, receive: Receive, send: Send) -> None:
    if not STATIC.is_dir():
        raise HTTPException(404)
    await _static_files(scope, receive, send)


def make_app(forms: Mapping[str, Form] | Iterable[Form], store: Store, users: Users) -> Starlette:
    """The ASGI app serving ``forms`` (by name, or a list named by their ids) from ``store``."""
    served = dict(forms) if isinstance(forms, Mapping) else {f.id: f for f in forms}
    api = Api(served, store, users)
    routes: list[Any] = [*api.routes(), Route("/", _page, methods=["GET"]),
                         Mount("/static", app=_static, name="static")]
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS,
                    middleware=[Middleware(_Headers)])
    app.state.api = api
    return app


def load_forms(names: Iterable[str]) -> dict[str, Form]:
    """The forms to serve, by form id (a bundled name or a path each; ``FormError`` if bad)."""
    forms: dict[str, Form] = {}
    for name in names:
        form = load(name)
        if form.id in forms:
            raise ServeError(f"two forms named {form.id!r} (the form id): serve one of them")
        forms[form.id] = form
    return forms


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0: a free one)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise ServeError(f"--host {host}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it is ready (the line tests and scripts wait for)."""

    def __init__(self, config: uvicorn.Config, lines: list[str]) -> None:
        super().__init__(config)
        self.lines = lines

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            for line in self.lines:
                print(line, file=sys.stderr)
            sys.stderr.flush()


def serve(args: argparse.Namespace) -> int:
    """Run `qengine serve` (``args``: forms, db, host, port, users) until SIGTERM or Ctrl-C."""
    host, port = str(args.host), int(args.port)
    if not 0 <= port <= 65535:
        raise ServeError(f"--port {port}: a port is a number from 0 to 65535")
    if not host:
        raise ServeError("--host: an address is needed (127.0.0.1, 0.0.0.0 for every interface)")
    # the quick checks first: a mistake is reported before the forms are compiled
    users = load_users_file(args.users) if args.users else None
    if os.path.isdir(args.db):
        raise ServeError(f"--db {args.db}: a directory, not a database file")
    # the forms and the port before the database: a start that fails leaves no file behind
    forms = load_forms(list(args.forms) or bundled_forms())
    sock = listen(host, port)
    try:
        store = SQLiteStore(args.db)
    except BaseException:
        sock.close()
        raise
    try:
        token = None
        if users is None:
            users, token = bootstrap(store)
        url = url_of(host, sock)
        lines = [f"qengine serve: office login: {url}?token={token}"] if token else []
        lines.append(f"qengine serve: listening on {url}")
        config = uvicorn.Config(make_app(forms, store, users), log_level="warning",
                                access_log=False, lifespan="off", server_header=False,
                                timeout_graceful_shutdown=10)
        with _calm_signals():
            _Server(config, lines).run(sockets=[sock])
    finally:
        store.close()
        sock.close()
    return 0


@contextmanager
def _calm_signals() -> Iterator[None]:
    """While uvicorn runs, SIGINT and SIGTERM stop it gracefully (uvicorn's handlers), and the
    signal it raises again afterwards lands here, so the command exits 0 instead of dying of it."""
    saved: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            saved[sig] = signal.signal(sig, lambda signum, frame: None)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
