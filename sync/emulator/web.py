"""Requests, responses and routing, independent of the socket server (so handlers test without TLS)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Request:
        path, _, query = target.partition("?")
        return cls(
            method.upper(),
            path,
            parse_qs(query, keep_blank_values=True),
            {k.lower(): v for k, v in headers.items()},
            body,
        )

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        if not self.body.strip():
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body is empty.")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(
                400, "JSON_PARSER_ERROR", f"Unexpected character in JSON at [line:1, column:{getattr(exc, 'colno', 1)}]"
            ) from None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, json.dumps(payload).encode(), {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
    )


def text_response(status: int, text: str, content_type: str = "text/csv") -> Response:
    return Response(status, text.encode(), {"Content-Type": f"{content_type};charset=UTF-8"})


def no_content() -> Response:
    return Response(204)


class ApiError(Exception):
    """A whole-request error in REST API shape: ``[{"message", "errorCode"(, "fields")}]``."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def response(self) -> Response:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            error["fields"] = self.fields
        return json_response(self.status, [error])


def not_found(message: str = "The requested resource does not exist") -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


Handler = Callable[..., Response]


@dataclass
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler
    name: str


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, methods: str, pattern: str, handler: Handler, name: str | None = None) -> None:
        self.routes.append(Route(frozenset(methods.split("|")), re.compile(f"^{pattern}$"), handler, name or pattern))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed: set[str] = set()
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if method in route.methods:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
            allowed |= route.methods
        if allowed:
            raise ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{method}' not allowed. Allowed are {','.join(sorted(allowed))}",
            )
        raise not_found()
