"""The emulator as one request -> response function: faults, OAuth, session checks, API usage, routing."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from . import bulk_api, oauth, org_api, records_api
from .faults import Faults
from .records_api import Ctx
from .state import EmulatorState
from .web import ApiError, Request, Response, Router, json_response, no_content

logger = logging.getLogger(__name__)

_DATA_PREFIX = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")
ADMIN_PREFIX = "/__emulator__"


def data_router() -> Router:
    router = Router()
    sobject = r"/sobjects/(?P<obj>\w+)"
    router.add("GET", r"", org_api.resources, "resources")
    router.add("GET", r"/limits", org_api.limits, "limits")
    router.add("GET", r"/sobjects", org_api.global_describe, "sobjects")
    router.add("GET", sobject, org_api.sobject_info, "sobjects/{Object}")
    router.add("POST", sobject, records_api.create, "sobjects/{Object}")
    router.add("GET", sobject + r"/describe", org_api.describe, "sobjects/{Object}/describe")
    router.add("GET", sobject + r"/updated", org_api.updated, "sobjects/{Object}/updated")
    router.add("GET", sobject + r"/deleted", org_api.deleted, "sobjects/{Object}/deleted")
    router.add("GET|PATCH|DELETE", sobject + r"/(?P<record_id>[^/]+)", records_api.by_id, "sobjects/{Object}/{Id}")
    router.add(
        "GET|PATCH|DELETE",
        sobject + r"/(?P<field>\w+)/(?P<value>.+)",
        records_api.by_external_id,
        "sobjects/{Object}/{Field}/{Value}",
    )
    router.add("POST|PATCH|DELETE", r"/composite/sobjects", records_api.collections, "composite/sobjects")
    router.add(
        "GET", r"/composite/sobjects/(?P<obj>\w+)", records_api.collection_retrieve, "composite/sobjects/{Object}"
    )
    router.add(
        "PATCH",
        r"/composite/sobjects/(?P<obj>\w+)/(?P<field>\w+)",
        records_api.collection_upsert,
        "composite/sobjects/{Object}/{Field}",
    )
    router.add("GET", r"/query", org_api.query, "query")
    router.add("GET", r"/queryAll", org_api.query_all, "queryAll")
    router.add("GET", r"/(?:query|queryAll)/(?P<locator>[^/]+)", org_api.query_more, "query/{locator}")
    router.add("POST", r"/jobs/ingest", bulk_api.create_job, "jobs/ingest")
    router.add("GET", r"/jobs/ingest", bulk_api.list_jobs, "jobs/ingest")
    router.add("GET|PATCH|DELETE", r"/jobs/ingest/(?P<job>\w+)", bulk_api.job, "jobs/ingest/{id}")
    router.add("PUT", r"/jobs/ingest/(?P<job>\w+)/batches", bulk_api.upload, "jobs/ingest/{id}/batches")
    router.add(
        "GET",
        r"/jobs/ingest/(?P<job>\w+)/(?P<kind>successfulResults|failedResults|unprocessedrecords)",
        bulk_api.results,
        "jobs/ingest/{id}/results",
    )
    return router


class EmulatorApp:
    def __init__(self, state: EmulatorState, base_url: str = "") -> None:
        self.state = state
        self.base_url = base_url
        self.router = data_router()

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path.startswith(ADMIN_PREFIX):
            try:
                return self._admin(request, path[len(ADMIN_PREFIX) :])
            except ApiError as error:
                return error.response()
            except (ValueError, KeyError, TypeError) as error:
                return json_response(400, [{"message": str(error), "errorCode": "INVALID_EMULATOR_REQUEST"}])
        with self.state.lock:
            latency = self.state.faults.latency_seconds
            unavailable = self.state.faults.take_unavailable()
        if latency:
            time.sleep(latency)
        if unavailable:
            self._count(request, "503")
            return json_response(
                503, [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
            )
        try:
            return self._route(request, path)
        except ApiError as error:
            return error.response()
        except Exception:
            logger.exception("emulator failed on %s %s", request.method, request.path)
            return json_response(
                500,
                [
                    {
                        "message": "An unexpected error occurred. Please include this ErrorId if you contact support: 0-emulator",
                        "errorCode": "UNKNOWN_EXCEPTION",
                    }
                ],
            )

    def _count(self, request: Request, endpoint: str) -> None:
        with self.state.lock:
            self.state.counters.requests[f"{request.method} {endpoint}"] += 1

    def _route(self, request: Request, path: str) -> Response:
        if path == "/services/oauth2/token" and request.method == "POST":
            self._count(request, "oauth2/token")
            return oauth.token(self.state, request, self.base_url)
        if path == "/services/oauth2/authorize" and request.method == "GET":
            self._count(request, "oauth2/authorize")
            return oauth.authorize(self.state, request)
        if path == "/services/oauth2/revoke" and request.method in ("GET", "POST"):
            self._count(request, "oauth2/revoke")
            return oauth.revoke(self.state, request)
        if path in ("/services/data", "/services/data/"):
            self._count(request, "versions")
            return json_response(200, org_api.versions_payload())
        if path.startswith("/id/"):
            self._count(request, "id")
            session = self._session(request)
            return oauth.identity(self.state, session.username, self.base_url)
        match = _DATA_PREFIX.match(path)
        if match is None:
            self._count(request, "unknown")
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        version = match.group("version")
        route, params = self.router.match(request.method, match.group("rest") or "")
        self._count(request, route.name)
        if float(version) < org_api.MIN_VERSION:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        self._session(request)
        usage = self._spend_api_call()
        try:
            response = route.handler(Ctx(self.state, request, version, self.base_url), **params)
        except ApiError as error:
            response = error.response()
        response.headers["Sforce-Limit-Info"] = usage
        return response

    def _session(self, request: Request) -> Any:
        header = request.header("Authorization")
        scheme, _, token = header.partition(" ")
        session = self.state.session_for(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
        if session is None:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return session

    def _spend_api_call(self) -> str:
        with self.state.lock:
            state = self.state
            if state.faults.request_limit_exceeded or state.api_usage >= state.daily_api_limit:
                error = ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                response = error.response()
                response.headers["Sforce-Limit-Info"] = f"api-usage={state.api_usage}/{state.daily_api_limit}"
                raise _Early(response)
            state.api_usage += 1
            return f"api-usage={state.api_usage}/{state.daily_api_limit}"

    # --- the admin endpoint for tests that run the emulator in another process ---------------
    def _admin(self, request: Request, path: str) -> Response:
        state = self.state
        if path == "/faults" and request.method == "POST":
            apply_faults(state, request.json())
            return json_response(200, state.faults.describe())
        if path == "/faults" and request.method == "GET":
            return json_response(200, state.faults.describe())
        if path == "/seed" and request.method == "POST":
            body = request.json()
            ids = state.seed(body["object"], body["records"])
            return json_response(201, {"ids": ids})
        if path == "/reset" and request.method == "POST":
            state.reset()
            state.restore_schema()
            return no_content()
        if path == "/state" and request.method == "GET":
            with state.lock:
                return json_response(200, snapshot(state))
        match = re.match(r"^/records/(\w+)$", path)
        if match and request.method == "GET" and match.group(1) in state.schema:
            with state.lock:
                return json_response(200, list(state.records[match.group(1)].values()))
        return json_response(404, [{"message": "unknown emulator admin resource", "errorCode": "NOT_FOUND"}])


class _Early(ApiError):
    """Carries a finished response out of the usage check (403 with its own usage header)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status, "", "")
        self._response = response

    def response(self) -> Response:
        return self._response


def snapshot(state: EmulatorState) -> dict[str, Any]:
    counters = state.counters
    return {
        "api_usage": state.api_usage,
        "daily_api_limit": state.daily_api_limit,
        "requests": dict(counters.requests),
        "created": dict(counters.created),
        "created_external_ids": {obj: counters.external_id_creations(obj) for obj in state.schema},
        "records": {
            name: sum(1 for r in records.values() if not r["IsDeleted"]) for name, records in state.records.items()
        },
        "faults": state.faults.describe(),
    }


def apply_faults(state: EmulatorState, settings: dict[str, Any]) -> None:
    """The HTTP form of the fault switches (see Faults for the names; actions listed here)."""
    settings = dict(settings)
    with state.lock:
        if settings.pop("reset", False):
            state.faults.reset()
            state.restore_schema()
        if settings.pop("expire_sessions", False):
            state.expire_sessions()
        unavailable = settings.pop("unavailable", None)
        if unavailable is not None:
            state.faults.unavailable_remaining = int(unavailable)
        dropped = settings.pop("drop_external_id_field", None)
        if dropped:
            state.drop_external_id_field(*([dropped] if isinstance(dropped, str) else dropped))
        for object_name, field_name in settings.pop("unwritable_fields", []):
            state.make_field_unwritable(object_name, field_name)
        if "daily_api_limit" in settings:
            state.daily_api_limit = int(settings.pop("daily_api_limit"))
        if "api_usage" in settings:
            state.api_usage = int(settings.pop("api_usage"))
        if "token_ttl" in settings:
            state.token_ttl = float(settings.pop("token_ttl"))
        Faults.configure(state.faults, **settings)


__all__ = ["EmulatorApp", "Faults"]
