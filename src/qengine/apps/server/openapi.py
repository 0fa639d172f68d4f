"""The OpenAPI document of `qengine serve`'s HTTP API (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from qengine.apps.server.store import STATUSES

MAX_PAGE = 1000  # the most interviews one page lists (the API's limit parameter)
MEDIA_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = ["MAX_PAGE", "MEDIA_XLSX", "openapi"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    why = {400: "bad JSON (bad_json), a bad header, or a bad finding key (bad_key)",
           401: "no token or a wrong one (unauthorized)",
           403: "not allowed for this role (forbidden)",
           404: "no such interview (not_found; also another enumerator's), form (unknown_form) "
                "or finding (unknown_indicator)",
           409: "a conflict with the interview's state (not_current, not_in_history, submitted, "
                "unknown_form), or a form without findings (no_findings)",
           413: "the body is larger than 1 MiB (too_large)",
           422: "a field of the wrong type (bad_request, naming it) or a refused value (the "
                "AnswerError, ParamError or SnapshotError code)"}
    return {str(s): _json(_ref("Error"), why[s]) for s in statuses}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "the interview id (unguessable, from POST /api/interviews)"}


def _operation(summary: str, responses: dict[str, Any], *, body: dict[str, Any] | None = None,
               parameters: list[dict[str, Any]] | None = None, secure: bool = True) -> dict[str, Any]:
    responses = {**responses, "500": _json(_ref("Error"), "an unexpected failure (internal); the "
                                           "server's log has the details")}
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = body
    if parameters:
        op["parameters"] = parameters
    if not secure:
        op["security"] = []
    return op


def _schemas(forms: list[str]) -> dict[str, Any]:
    texts = {"type": "object", "additionalProperties": {"type": "string"},
             "description": "a text in each language, by language code"}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "question": {"type": "string"}, "field": {"type": "string"},
                "messages": texts, "current": {"type": ["string", "null"]},
                "param": {"type": "string"}}},
            "violations": {"type": "array", "items": _ref("Violation")}}},
        "FormSummary": {"type": "object", "required": ["name", "id", "version", "title"],
                        "properties": {"name": {"type": "string", "enum": forms},
                                       "id": {"type": "string"}, "version": {"type": "string"},
                                       "title": {"type": "string"}, "titles": texts}},
        "Machine": {"type": "object", "description": "the compiled form (qengine-machine/1, "
                    "docs/machine.md)", "required": ["format"],
                    "properties": {"format": {"const": "qengine-machine/1"}}},
        "Question": {"type": "object", "required": ["id", "number", "label", "type", "required"],
                     "properties": {
                         "id": {"type": "string"}, "number": {"type": ["string", "null"]},
                         "label": texts, "type": {"type": "string"}, "required": {"type": "boolean"},
                         "choices": {"type": "array", "items": {
                             "type": "object", "required": ["code", "label"],
                             "properties": {"code": {"type": "integer"}, "label": texts}}},
                         "unit": {"type": "string"}, "min": {}, "max": {},
                         "decimals": {"type": "integer"}, "max_length": {"type": "integer"},
                         "none_ok": {"type": "boolean"}, "hints": texts}},
        "Violation": {"type": "object", "required": ["rule", "severity", "questions", "message",
                                                     "messages"],
                      "properties": {"rule": {"type": "string"},
                                     "severity": {"enum": ["error", "warning"]},
                                     "questions": {"type": "array", "items": {"type": "string"}},
                                     "message": {"type": "string"}, "messages": texts}},
        "State": {"type": "object", "required": [
            "id", "form", "version", "current", "answers", "violations", "finished", "progress",
            "submitted", "history", "suggested", "can_back", "section", "created", "updated", "user"],
            "properties": {
                "id": {"type": "string"}, "form": {"type": "string"}, "version": {"type": "string"},
                "current": {"oneOf": [_ref("Question"), {"type": "null"}]},
                "answers": _ref("Record"),
                "violations": {"type": "array", "items": _ref("Violation")},
                "finished": {"type": "boolean"},
                "progress": {"type": "object", "required": ["answered", "remaining"], "properties": {
                    "answered": {"type": "integer", "minimum": 0},
                    "remaining": {"type": "integer", "minimum": 0}}},
                "submitted": {"type": "boolean"},
                "history": {"type": "array", "items": {"type": "string"}},
                "suggested": {"description": "the kept answer of the current question, or null"},
                "can_back": {"type": "boolean"},
                "section": {"oneOf": [texts, {"type": "null"}]},
                "created": {"type": "string", "format": "date-time"},
                "updated": {"type": "string", "format": "date-time"},
                "user": {"type": "string"},
                "acknowledged": {"type": "object", "description": "present once a warning is "
                                 "acknowledged: warning id → the reason given",
                                 "additionalProperties": {"type": "string"}},
                "migration": {
                    "description": "present when the interview was begun on another version of "
                                   "the form and migrated onto the one served: what moved and "
                                   "what was dropped (until the next change is stored)",
                    "type": "object", "required": ["from_version", "to_version", "renamed",
                                                   "dropped"],
                    "properties": {"from_version": {"type": "string"},
                                   "to_version": {"type": "string"},
                                   "renamed": {"type": "object"},
                                   "dropped": {"type": "array", "items": {
                                       "type": "object", "required": ["question", "value",
                                                                      "reason", "message"]}}}}}},
        "Record": {"type": "object", "description": "question id → answer"},
        "Snapshot": {"type": "object", "required": ["qengine_snapshot", "form", "version",
                                                    "answers", "history"],
                     "properties": {"qengine_snapshot": {"const": 1}, "form": {"type": "string"},
                                    "version": {"type": "string"}, "params": {"type": "object"},
                                    "answers": _ref("Record"),
                                    "history": {"type": "array", "items": {"type": "string"}}}},
        "NewInterview": {"oneOf": [
            {"type": "object", "required": ["form"], "additionalProperties": False, "properties": {
                "form": {"type": "string", "enum": forms},
                "params": {"type": ["object", "null"]}}},
            {"type": "object", "required": ["snapshot"], "additionalProperties": False,
             "properties": {"snapshot": _ref("Snapshot")}}]},
        "Answer": {"type": "object", "required": ["question", "value"],
                   "additionalProperties": False,
                   "properties": {"question": {"type": "string"},
                                  "value": {"description": "the answer (null: blank)"}}},
        "Goto": {"type": "object", "required": ["question"], "additionalProperties": False,
                 "properties": {"question": {"type": "string"}}},
        "Acknowledge": {"type": "object", "required": ["rule", "reason"],
                        "additionalProperties": False,
                        "properties": {"rule": {"type": "string", "description": "a warning "
                                                "that holds now"},
                                       "reason": {"type": "string", "minLength": 1,
                                                  "maxLength": 1000}}},
        "Submitted": {"type": "object", "required": ["record"],
                      "properties": {"record": _ref("Record")}},
        "NewFindingStatus": {
            "type": "object", "required": ["status"], "additionalProperties": False,
            "properties": {"status": {"enum": ["已解决", "正在解决", "solved", "in_progress"]},
                           "date": {"type": ["string", "null"], "format": "date",
                                    "description": "YYYY-MM-DD (default: today, UTC)"},
                           "note": {"type": ["string", "null"]}}},
        "FindingStatus": {
            "type": "object", "required": ["key", "form", "status", "date", "note", "user",
                                           "updated"],
            "properties": {"key": {"type": "string"}, "form": {"type": "string"},
                           "status": {"enum": ["已解决", "正在解决"]},
                           "date": {"type": "string", "format": "date"},
                           "note": {"type": "string"}, "user": {"type": "string"},
                           "updated": {"type": "string", "format": "date-time"}}},
        "Report": {
            "type": "object", "required": ["ledger", "tallies", "progress"],
            "properties": {"ledger": {"type": "array", "items": {"type": "object"}},
                           "tallies": {"type": "array", "items": {"type": "object"}},
                           "progress": {"type": "array", "items": {"type": "object"}}}},
        "RecordLine": {"type": "object", "required": ["interview", "user", "submitted", "record"],
                       "properties": {"interview": {"type": "string"}, "user": {"type": "string"},
                                      "submitted": {"type": "string", "format": "date-time"},
                                      "record": _ref("Record")}},
    }


def openapi(forms: list[str]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, for the served ``forms``."""
    state = _json(_ref("State"), "the interview state")
    empty = _body({"type": "object", "additionalProperties": False}, required=False)
    status = {"name": "status", "in": "query", "required": False,
              "schema": {"enum": list(STATUSES)}}
    form_q = {"name": "form", "in": "query", "required": False,
              "schema": {"type": "string", "enum": forms}}
    paths: dict[str, Any] = {
        "/api/forms": {"get": _operation("the served forms", {
            "200": _json({"type": "array", "items": _ref("FormSummary")}, "the forms"),
            **_errors(401)})},
        "/api/forms/{name}": {"get": _operation("a form's machine", {
            "200": _json(_ref("Machine"), "the machine (Form.to_json())"), **_errors(401, 404)},
            parameters=[{"name": "name", "in": "path", "required": True,
                         "schema": {"type": "string", "enum": forms}}])},
        "/api/interviews": {
            "get": _operation("my interviews (the office: all), most recently updated first", {
                "200": _json({"type": "array", "items": _ref("State")}, "their states"),
                **_errors(401, 404, 422)}, parameters=[form_q, status, {
                    "name": "limit", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}}, {
                    "name": "offset", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 0}}]),
            "post": _operation("start an interview, or resume a snapshot made elsewhere", {
                "201": _json(_ref("State"), "the new interview"),
                **_errors(400, 401, 404, 413, 422)}, body=_body(_ref("NewInterview")))},
        "/api/interviews/{id}": {"get": _operation("an interview's state", {
            "200": state, **_errors(401, 404, 409)}, parameters=[_ID])},
        "/api/interviews/{id}/answer": {"post": _operation("answer the current question", {
            "200": state, **_errors(400, 401, 404, 409, 413, 422)}, body=_body(_ref("Answer")),
            parameters=[_ID])},
        "/api/interviews/{id}/back": {"post": _operation("back to the previous question", {
            "200": state, **_errors(400, 401, 404, 409, 413, 422)}, body=empty, parameters=[_ID])},
        "/api/interviews/{id}/goto": {"post": _operation("back to a question answered earlier", {
            "200": state, **_errors(400, 401, 404, 409, 413, 422)}, body=_body(_ref("Goto")),
            parameters=[_ID])},
        "/api/interviews/{id}/acknowledge": {"post": _operation(
            "let a warning that holds through, for a reason (Interview.acknowledge)", {
                "200": state, **_errors(400, 401, 404, 409, 413, 422)},
            body=_body(_ref("Acknowledge")), parameters=[_ID])},
        "/api/interviews/{id}/submit": {"post": _operation("submit the interview", {
            "200": _json(_ref("Submitted"), "the record, stored; the interview is submitted"),
            **_errors(400, 401, 404, 409, 413, 422)}, body=empty, parameters=[_ID])},
        "/api/interviews/{id}/snapshot": {"get": _operation("the interview's snapshot", {
            "200": _json(_ref("Snapshot"), "Interview.snapshot()"), **_errors(401, 404)},
            parameters=[_ID])},
        "/api/events": {"get": _operation("the audit trail of every interview as JSON Lines "
                                          "(office only)", {
            "200": {"description": "one event per line: interview, form, user, then the event "
                                   "(event, at, ...) as Interview.events gives it",
                    "content": {"application/x-ndjson": {"schema": {"type": "object"}}}},
            **_errors(401, 403, 404)}, parameters=[form_q])},
        "/api/records": {"get": _operation("the submitted records as JSON Lines (office only)", {
            "200": {"description": "one record per line (with ?meta=true: one RecordLine)",
                    "content": {"application/x-ndjson": {"schema": {
                        "oneOf": [{"type": "object"}, _ref("RecordLine")]}}}},
            **_errors(401, 403, 404, 422)}, parameters=[form_q, {
                "name": "meta", "in": "query", "required": False,
                "schema": {"enum": ["true", "false"]}}])},
        "/api/findings/{key}/status": {"post": _operation(
            "mark a finding solved or in progress (office only)", {
                "200": _json(_ref("FindingStatus"), "the status, stored"),
                **_errors(400, 401, 403, 404, 413, 422)},
            body=_body(_ref("NewFindingStatus")),
            parameters=[{"name": "key", "in": "path", "required": True,
                         "schema": {"type": "string"},
                         "description": "the finding key FORM:ID_NUMBER:INDICATOR"}])},
        "/api/report": {"get": _operation(
            "the report on a form's submitted records (office only; docs/reports.md)", {
                "200": {"description": "the ledger, tallies and progress",
                        "content": {"application/json": {"schema": _ref("Report")},
                                    "text/html": {},
                                    MEDIA_XLSX: {}}},
                **_errors(401, 403, 404, 409, 422)},
            parameters=[{**form_q, "required": True}, {
                "name": "format", "in": "query", "required": False,
                "schema": {"enum": ["json", "html", "xlsx"]}}])},
        "/api/openapi.json": {"get": _operation("this document", {
            "200": _json({"type": "object"}, "the OpenAPI 3.1 document")}, secure=False)},
        "/": {"get": _operation("the web page", {
            "200": {"description": "static/index.html", "content": {"text/html": {}}}},
            secure=False)},
        "/static/{path}": {"get": _operation("the web page's files", {
            "200": {"description": "a file"}, **_errors(404)}, secure=False,
            parameters=[{"name": "path", "in": "path", "required": True,
                         "schema": {"type": "string"}}])},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "qengine serve", "version": "1",
                 "description": "Interviews of qengine forms over HTTP (docs/server.md). Every "
                 "error is {\"error\": {\"code\", \"message\", \"question\"?}} with a 4xx status."},
        "paths": paths,
        "components": {"schemas": _schemas(forms),
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
    }
