"""The HTTP API of `qengine serve`: JSON in and out, Starlette routes over a :class:`Store`.

Each request that changes an interview rebuilds it from its stored snapshot (``Form.resume``),
applies the change, and stores the new snapshot in the same write transaction (see
:meth:`Store.update`) before answering, so an acknowledged answer is on disk and two answers to one
interview cannot interleave. Everything a client can get wrong is a 4xx JSON error
``{"error": {"code", "message", "question"?}}``; nothing else (no HTML page, no traceback) is ever
sent for an error. The spec of it all is :func:`openapi`, served at ``/api/openapi.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qengine.apps.server.openapi import MAX_PAGE, openapi
from qengine.apps.server.store import (
    STATUSES,
    FindingStatusRow,
    InterviewRow,
    Store,
    new_id,
    now,
)
from qengine.apps.server.users import User, Users
from qengine.errors import AnswerError, ParamError, SnapshotError, SubmitError
from qengine.reports.annex import IN_PROGRESS, SOLVED
from qengine.reports.status import Status, check_date, normalize_status, parse_key
from qengine.runtime import Form, Interview

__all__ = ["MAX_BODY", "Api", "ApiError", "error_response", "openapi"]

MAX_BODY = 1024 * 1024  # bytes of a request body
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "bad_request",
               422: "bad_request"}


class ApiError(Exception):
    """An error answered as ``{"error": {...}}`` with a 4xx status (``extra`` beside ``error``)."""

    def __init__(self, status: int, code: str, message: str, *, question: str | None = None,
                 details: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.question = status, code, message, question
        self.details, self.extra, self.headers = dict(details or {}), dict(extra or {}), headers

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, question=self.question,
                              details=self.details, extra=self.extra, headers=self.headers)


def error_response(status: int, code: str, message: str, *, question: str | None = None,
                   details: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON error body: ``{"error": {"code", "message", "question"?, ...details}, ...extra}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if question is not None:
        error["question"] = question
    error.update(details or {})
    return JSONResponse({"error": error, **(extra or {})}, status_code=status,
                        headers=dict(headers) if headers else None)


#: the most interviews one page of GET /api/interviews holds (?limit=; default: all of them)


def _count(request: Request, name: str, default: int | None, lo: int, hi: int | None
           ) -> int | None:
    """A whole-number query parameter within [lo, hi], or ``default`` when absent."""
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or int(text) < lo or (
            hi is not None and int(text) > hi):
        raise bad_field(name, f"a whole number from {lo}" + (f" to {hi}" if hi else ""))
    return int(text)


def bad_field(field: str, message: str) -> ApiError:
    """A request field of the wrong type or value: 422 ``bad_request`` naming the field."""
    return ApiError(422, "bad_request", f"{field}: {message}", details={"field": field})


# -- exception handlers: every error as JSON ---------------------------------------------------
async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code if 400 <= exc.status_code < 500 else 400
    code = _HTTP_CODES.get(status, "bad_request")
    message = {404: f"no such path: {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(
        status, str(exc.detail))
    return error_response(status, code, message, headers=exc.headers)


async def on_server_error(request: Request, exc: Exception) -> Response:
    # uvicorn logs the traceback (to stderr); the client never sees it
    return JSONResponse({"error": {"code": "internal", "message": "internal server error"}},
                        status_code=500)


EXCEPTION_HANDLERS: dict[Any, Callable[..., Any]] = {
    ApiError: on_api_error, HTTPException: on_http_error, Exception: on_server_error}


# -- requests ----------------------------------------------------------------------------------
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def read_json(request: Request) -> Any:
    """The request body as JSON (None when empty); 413 past :data:`MAX_BODY` bytes, whether the
    Content-Length says so or the stream shows it; 400 ``bad_json`` when it is not JSON."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, "bad_request", "Content-Length is not a number")
        if int(length) > MAX_BODY:
            raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        return None
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate (\ud800) is no text
    except RecursionError:
        raise ApiError(400, "bad_json", "the body is not JSON: nested too deeply") from None
    except ValueError as exc:
        raise ApiError(400, "bad_json", f"the body is not JSON: {exc}") from None
    return value


def _too_large() -> ApiError:
    return ApiError(413, "too_large", f"the request body is larger than {MAX_BODY} bytes")


async def read_object(request: Request, fields: Mapping[str, bool]) -> dict[str, Any]:
    """The body as a JSON object with only ``fields`` (name → required); an empty body is ``{}``."""
    body = await read_json(request)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(422, "bad_request", "the body must be a JSON object")
    for key in body:
        if key not in fields:
            known = ", ".join(fields) or "none"
            raise bad_field(str(key)[:100], f"unknown field (this request takes: {known})")
    for key, required in fields.items():
        if required and key not in body:
            raise bad_field(key, "required")
    return body


def visible(user: User, row: InterviewRow) -> bool:
    """An enumerator sees only the interviews he created; the office sees all."""
    return user.role == "office" or row.owner == user.name


def status_of(iv: Interview) -> str:
    return "finished" if iv.finished else "open"


@attrs.define
class _Outcome:
    """What a change of an interview made: the interview after it, and any reply of its own."""

    iv: Interview | None = None
    reply: dict[str, Any] | None = None


class Api:
    """The API over ``forms`` (name → form), ``store`` and ``users``; :meth:`routes` for Starlette."""

    def __init__(self, forms: Mapping[str, Form], store: Store, users: Users) -> None:
        self.forms = dict(forms)
        self.store = store
        self.users = users
        self._machines: dict[str, dict[str, Any]] = {}
        self._sections = {name: {sid: dict(titles) for sid, titles, _ids in form.sections}
                          for name, form in self.forms.items()}
        self._spec = openapi(sorted(self.forms))

    def routes(self) -> list[Route]:
        iv = "/api/interviews/{id}"
        return [
            Route("/api/openapi.json", self.spec, methods=["GET"]),
            Route("/api/forms", self.list_forms, methods=["GET"]),
            Route("/api/forms/{name}", self.machine, methods=["GET"]),
            Route("/api/interviews", self.interviews, methods=["GET", "POST"]),  # one Allow
            Route(iv, self.get, methods=["GET"]),
            Route(iv + "/answer", self.answer, methods=["POST"]),
            Route(iv + "/back", self.back, methods=["POST"]),
            Route(iv + "/goto", self.goto, methods=["POST"]),
            Route(iv + "/acknowledge", self.acknowledge, methods=["POST"]),
            Route(iv + "/submit", self.submit, methods=["POST"]),
            Route(iv + "/snapshot", self.snapshot, methods=["GET"]),
            Route("/api/records", self.records, methods=["GET"]),
            Route("/api/events", self.events, methods=["GET"]),
            Route("/api/findings/{key}/status", self.finding_status, methods=["POST"]),
            Route("/api/report", self.report, methods=["GET"]),
        ]

    # -- helpers -------------------------------------------------------------------------------
    def user(self, request: Request) -> User:
        """The user the request's ``Authorization: Bearer TOKEN`` names; 401 otherwise."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "a login token is needed: Authorization: Bearer "
                           "TOKEN", headers={"WWW-Authenticate": "Bearer"})
        user = self.users.authenticate(token)
        if user is None:
            raise ApiError(401, "unauthorized", "the token is not valid",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return user

    def form(self, name: Any, field: str = "form") -> Form:
        """A served form by name (``unknown_form`` otherwise: names, never paths)."""
        if type(name) is not str:
            raise bad_field(field, "expected the name of a form (a string)")
        form = self.forms.get(name)
        if form is None:
            shown = name if len(name) <= 100 else name[:100] + "…"
            raise ApiError(404, "unknown_form", f"no form named {shown!r} is served here "
                           f"(served: {', '.join(sorted(self.forms))})")
        return form

    def resume(self, row: InterviewRow) -> tuple[Form, Interview]:
        """The interview a stored row describes."""
        form = self.forms.get(row.form)
        if form is None:
            raise ApiError(409, "unknown_form", f"the interview's form {row.form!r} is not served "
                           "now")
        try:
            # an interview begun on another version of the form is migrated onto the one served
            # (its state shows the report until the next change stores the migrated snapshot)
            # (a submitted one stays as it was submitted)
            # (each request rebuilds the interview: that is no resume for its audit trail)
            return form, form.resume(row.snapshot, migrate=row.status != "submitted" and (
                row.snapshot.get("version") != form.version), resumed_event=False)
        except SnapshotError as exc:  # a version it cannot be migrated from
            raise ApiError(409, exc.code, f"the stored interview cannot be resumed: {exc}") from None

    def state(self, row: InterviewRow, iv: Interview) -> dict[str, Any]:
        """The interview state of the API contract."""
        q = iv.current
        answered = len(iv.history)
        remaining = 0 if q is None else max(
            1, len(iv.form.path(iv.kept, dict(iv.params))) - answered)
        return {
            "id": row.id, "form": row.form, "version": iv.form.version,
            "current": None if q is None else q.to_dict(),
            "answers": iv.answers,
            "violations": [v.to_dict() for v in iv.violations],
            "finished": iv.finished,
            "progress": {"answered": answered, "remaining": remaining},
            "submitted": row.status == "submitted",
            "history": list(iv.history),
            "suggested": iv.suggested(),
            "can_back": iv.can_back and row.status != "submitted",
            "section": None if q is None else self._sections[row.form].get(q.section),
            "created": row.created, "updated": row.updated, "user": row.owner,
            **({"acknowledged": iv.acknowledged} if iv.acknowledged else {}),
            **({"migration": _migration(iv)} if iv.migration is not None else {}),
        }

    def row(self, user: User, interview_id: str) -> InterviewRow:
        row = self.store.get(interview_id)
        if row is None or not visible(user, row):
            raise _not_found()
        return row

    async def change(self, request: Request, action: Callable[[Interview], dict[str, Any] | None]
                     ) -> Response:
        """Apply ``action`` to the interview in one transaction; reply with its state (or with what
        ``action`` returns: submit's record)."""
        user = self.user(request)
        interview_id = request.path_params["id"]

        def work() -> dict[str, Any]:
            outcome = _Outcome()

            def apply(row: InterviewRow) -> InterviewRow:
                if not visible(user, row):
                    raise _not_found()
                if row.status == "submitted":
                    raise ApiError(409, "submitted", "the interview is submitted: it cannot change")
                _form, iv = self.resume(row)
                before = (iv.state, iv.acknowledged)
                outcome.reply = action(iv)
                outcome.iv = iv
                if outcome.reply is not None:  # submitted
                    stamp = now()
                    return attrs.evolve(row, snapshot=iv.snapshot(), status="submitted",
                                        updated=stamp, submitted=stamp, record=outcome.reply["record"])
                if (iv.state, iv.acknowledged) == before:
                    return row
                return attrs.evolve(row, snapshot=iv.snapshot(), status=status_of(iv), updated=now())

            new = self.store.update(interview_id, apply)
            if new is None:
                raise _not_found()
            assert outcome.iv is not None
            return outcome.reply if outcome.reply is not None else self.state(new, outcome.iv)

        return JSONResponse(await run_in_threadpool(work))

    # -- endpoints -----------------------------------------------------------------------------
    async def spec(self, request: Request) -> Response:
        return JSONResponse(self._spec)

    async def list_forms(self, request: Request) -> Response:
        self.user(request)
        return JSONResponse([{"name": name, "id": f.id, "version": f.version, "title": f.title,
                              "titles": dict(f.titles)} for name, f in sorted(self.forms.items())])

    async def machine(self, request: Request) -> Response:
        self.user(request)
        name = request.path_params["name"]
        form = self.form(name, "name")
        if name not in self._machines:
            self._machines[name] = form.to_json()
        return JSONResponse(self._machines[name])

    async def create(self, request: Request) -> Response:
        user = self.user(request)
        body = await read_object(request, {"form": False, "params": False, "snapshot": False})

        def work() -> dict[str, Any]:
            if "snapshot" in body:
                if "form" in body or "params" in body:
                    raise ApiError(422, "bad_request", "give either form (and params) or snapshot")
                name, iv = self._resumed(body["snapshot"])
            elif "form" not in body:
                raise bad_field("form", "required (or snapshot, to resume one)")
            else:
                name = body["form"]
                form = self.form(name)
                params = body.get("params")
                if params is not None and not isinstance(params, dict):
                    raise bad_field("params", "expected an object of param name to value")
                try:
                    iv = form.start(params=params)
                except ParamError as exc:
                    raise ApiError(422, exc.code, str(exc), details={"param": exc.name}) from None
            stamp = now()
            row = self.store.create(InterviewRow(new_id(), name, user.name, status_of(iv),
                                                 iv.snapshot(), stamp, stamp))
            return self.state(row, iv)

        return JSONResponse(await run_in_threadpool(work), status_code=201)

    def _resumed(self, snap: Any) -> tuple[str, Interview]:
        if not isinstance(snap, dict):
            raise bad_field("snapshot", "expected an object (as GET .../snapshot gives)")
        name = snap.get("form")
        form = self.forms.get(name) if type(name) is str else None
        if form is None:
            if type(snap.get("qengine_snapshot")) is not int or type(name) is not str:
                raise ApiError(422, "not_a_snapshot", "not a qengine snapshot")
            self.form(name, "snapshot.form")  # raises unknown_form
        assert form is not None and type(name) is str
        try:
            return name, form.resume(snap)
        except SnapshotError as exc:
            raise ApiError(422, exc.code, str(exc)) from None

    async def interviews(self, request: Request) -> Response:
        """GET lists, POST starts (one route, so a 405 names both methods)."""
        if request.method == "POST":
            return await self.create(request)
        return await self.list_interviews(request)

    async def list_interviews(self, request: Request) -> Response:
        user = self.user(request)
        form = request.query_params.get("form")
        status = request.query_params.get("status")
        if form is not None:
            self.form(form)
        if status is not None and status not in STATUSES:
            raise bad_field("status", f"one of {', '.join(STATUSES)}")
        limit = _count(request, "limit", None, 1, MAX_PAGE)
        offset = _count(request, "offset", 0, 0, None)

        def work() -> Response:
            owner = None if user.role == "office" else user.name
            rows = [row for row in self.store.list(owner=owner, form=form, status=status)
                    if row.form in self.forms]  # a form not served now: its interviews wait
            out = []
            for row in rows[offset:None if limit is None else offset + limit]:
                try:
                    _f, iv = self.resume(row)
                except ApiError:
                    continue
                out.append(self.state(row, iv))
            return JSONResponse(out)  # rendered here, in the worker thread, not on the event loop

        return await run_in_threadpool(work)

    async def get(self, request: Request) -> Response:
        user = self.user(request)

        def work() -> dict[str, Any]:
            row = self.row(user, request.path_params["id"])
            return self.state(row, self.resume(row)[1])

        return JSONResponse(await run_in_threadpool(work))

    async def snapshot(self, request: Request) -> Response:
        user = self.user(request)
        row = await run_in_threadpool(self.row, user, request.path_params["id"])
        return JSONResponse(row.snapshot)

    async def answer(self, request: Request) -> Response:
        self.user(request)
        body = await read_object(request, {"question": True, "value": True})
        qid, value = body["question"], body["value"]
        if type(qid) is not str:
            raise bad_field("question", "expected a question id (a string)")

        def action(iv: Interview) -> None:
            q = iv.current
            if q is None or q.id != qid:
                at = "the interview is finished" if q is None else f"the current question is {q.id}"
                raise ApiError(409, "not_current", f"{qid} is not the current question: {at}",
                               question=qid, details={"current": None if q is None else q.id})
            try:
                iv.answer(value)
            except AnswerError as exc:
                raise _refused(exc, iv) from None

        return await self.change(request, action)

    async def acknowledge(self, request: Request) -> Response:
        self.user(request)
        body = await read_object(request, {"rule": True, "reason": True})
        rule, reason = body["rule"], body["reason"]
        if type(rule) is not str:
            raise bad_field("rule", "expected the id of a warning (a string)")
        if type(reason) is not str:
            raise bad_field("reason", "expected a text of 1 to 1000 characters")

        def action(iv: Interview) -> None:
            try:
                iv.acknowledge(rule, reason)
            except AnswerError as exc:
                raise _refused(exc, iv) from None

        return await self.change(request, action)

    async def back(self, request: Request) -> Response:
        self.user(request)
        await read_object(request, {})
        return await self.change(request, lambda iv: (iv.back(), None)[1])

    async def goto(self, request: Request) -> Response:
        self.user(request)
        body = await read_object(request, {"question": True})
        qid = body["question"]
        if type(qid) is not str:
            raise bad_field("question", "expected a question id (a string)")

        def action(iv: Interview) -> None:
            try:
                iv.goto(qid)
            except AnswerError as exc:
                raise ApiError(409, exc.code, exc.message, question=qid,
                               details={"messages": exc.messages(iv.form.languages)}) from None

        return await self.change(request, action)

    async def submit(self, request: Request) -> Response:
        self.user(request)
        await read_object(request, {})

        def action(iv: Interview) -> dict[str, Any]:
            try:
                return {"record": iv.submit()}
            except SubmitError as exc:
                message = str(exc).splitlines()[0]
                raise ApiError(409, exc.code, message,
                               extra={"violations": [v.to_dict() for v in exc.violations]}) from None

        return await self.change(request, action)

    async def records(self, request: Request) -> Response:
        user = self.user(request)
        if user.role != "office":
            raise ApiError(403, "forbidden", "only the office exports records")
        form = request.query_params.get("form")
        if form is not None:
            self.form(form)
        meta = request.query_params.get("meta", "false")
        if meta not in ("true", "false"):
            raise bad_field("meta", "true or false")

        def work() -> bytes:
            # a line is the record itself (qengine validate reads the export as it is), or with
            # ?meta=true the record with who submitted it, when, and its interview
            lines = [json.dumps({"interview": r.id, "user": r.owner, "submitted": r.submitted,
                                 "record": r.record} if meta == "true" else r.record,
                                ensure_ascii=False) + "\n"
                     for r in self.store.submitted(form)]
            return "".join(lines).encode("utf-8")

        return Response(await run_in_threadpool(work), media_type="application/x-ndjson")

    async def events(self, request: Request) -> Response:
        """The audit trail of every interview (office only): one event per line, oldest first
        within an interview, with the interview, its form and who started it."""
        self.office(request, "exports the audit trail")
        form = request.query_params.get("form")
        if form is not None:
            self.form(form)

        def work() -> bytes:
            lines = []
            for row in self.store.list(form=form):
                events = row.snapshot.get("events", [])
                for event in events if isinstance(events, list) else ():
                    lines.append(json.dumps({"interview": row.id, "form": row.form,
                                             "user": row.owner, **event},
                                            ensure_ascii=False) + "\n")
            return "".join(lines).encode("utf-8")

        return Response(await run_in_threadpool(work), media_type="application/x-ndjson")

    # -- the office's reports (docs/reports.md) ------------------------------------------------
    def office(self, request: Request, what: str) -> User:
        user = self.user(request)
        if user.role != "office":
            raise ApiError(403, "forbidden", f"only the office {what}")
        return user

    async def finding_status(self, request: Request) -> Response:
        """Mark a finding solved (已解决) or in progress (正在解决), by its key."""
        user = self.office(request, "marks findings")
        key = request.path_params["key"]
        parts = parse_key(key)
        if parts is None:
            shown = key if len(key) <= 100 else key[:100] + "…"
            raise ApiError(400, "bad_key", f"{shown!r} is not a finding key FORM:ID_NUMBER:"
                           "INDICATOR (e.g. annex6:430122197709151371:housing_unsafe)")
        name, _id_number, indicator = parts
        key = ":".join(parts)  # as the report writes it (an id number's x is X)
        form = self.form(name)
        if indicator not in {i.id for i in form.indicators}:
            raise ApiError(404, "unknown_indicator", f"form {name} has no finding {indicator!r}")
        body = await read_object(request, {"status": True, "date": False, "note": False})
        status = normalize_status(body["status"])
        if status is None:
            raise bad_field("status", f"{SOLVED} (solved) or {IN_PROGRESS} (in progress)")
        date = body.get("date")
        try:
            date = check_date(date)
        except ValueError as exc:
            raise bad_field("date", str(exc)) from None
        note = body.get("note")
        if note is not None and not isinstance(note, str):
            raise bad_field("note", "expected text")
        stamp = now()
        row = FindingStatusRow(key, name, status, date or stamp[:10], (note or "").strip(),
                               user.name, stamp)
        await run_in_threadpool(self.store.set_finding_status, row)
        return JSONResponse(row.to_dict())

    async def report(self, request: Request) -> Response:
        """The report on the submitted records of a form: json, html or xlsx."""
        from qengine.reports.collect import build  # loaded for the first report
        from qengine.reports.write import MEDIA_TYPES, to_bytes

        self.office(request, "reads reports")
        name = request.query_params.get("form")
        if name is None:
            raise bad_field("form", "required: the form to report on")
        form = self.form(name)
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "html", "xlsx"):
            raise bad_field("format", "json, html or xlsx")
        if not form.indicators:
            raise ApiError(409, "no_findings", f"form {name} declares no findings: there is "
                           "nothing to report")

        def work() -> bytes:
            statuses = {r.key: Status(r.status, r.date, r.note)
                        for r in self.store.finding_statuses(name)}
            records = (r.record for r in self.store.submitted(name) if r.record is not None)
            data = build(form, records, statuses, jobs=1, warn=lambda text: None)
            return to_bytes(data, fmt)

        headers = {}
        if fmt == "xlsx":
            headers["content-disposition"] = f'attachment; filename="{name}-report.xlsx"'
        return Response(await run_in_threadpool(work), media_type=MEDIA_TYPES[fmt],
                        headers=headers)


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no such interview")


def _refused(exc: AnswerError, iv: Interview) -> ApiError:
    return ApiError(422, exc.code, exc.message, question=exc.question,
                    details={"messages": exc.messages(iv.form.languages)})


def _migration(iv: Interview) -> dict[str, Any]:
    """What migrating the interview onto the served version did (the state's ``migration``)."""
    report = iv.migration.to_dict() if iv.migration is not None else {}
    return {key: report[key] for key in ("from_version", "to_version", "renamed", "dropped")}
