"""Versions, resources, describe, limits, SOQL and the replication (updated/deleted) resources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .query import Executor
from .records_api import Ctx, object_or_404
from .soql import SoqlError
from .values import format_datetime, parse_datetime
from .web import ApiError, Response, json_response

SUPPORTED_VERSIONS = [f"{major}.0" for major in range(50, 67)]
MIN_VERSION = 50.0
REPLICATION_WINDOW = timedelta(days=30)


def versions_payload() -> list[dict[str, str]]:
    return [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in SUPPORTED_VERSIONS]


def resources(ctx: Ctx) -> Response:
    base = f"/services/data/v{ctx.version}"
    names = ["sobjects", "query", "queryAll", "limits", "composite", "jobs"]
    return json_response(200, {name: f"{base}/{name}" for name in names})


def limits(ctx: Ctx) -> Response:
    state = ctx.state
    remaining = max(state.daily_api_limit - state.api_usage, 0)
    return json_response(
        200,
        {
            "DailyApiRequests": {"Max": state.daily_api_limit, "Remaining": remaining},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DataStorageMB": {"Max": 1024, "Remaining": 1024},
            "HourlyODataCallout": {"Max": 20000, "Remaining": 20000},
        },
    )


def global_describe(ctx: Ctx) -> Response:
    with ctx.state.lock:
        sobjects = [definition.summary(ctx.version) for definition in ctx.state.schema.values()]
    return json_response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})


def sobject_info(ctx: Ctx, obj: str) -> Response:
    definition = object_or_404(ctx, obj)
    return json_response(200, {"objectDescribe": definition.summary(ctx.version), "recentItems": []})


def describe(ctx: Ctx, obj: str) -> Response:
    definition = object_or_404(ctx, obj)
    with ctx.state.lock:
        return json_response(200, definition.describe(ctx.version))


def _batch_size(ctx: Ctx) -> int:
    size = ctx.state.query_batch_size
    for option in ctx.request.header("Sforce-Query-Options").split(","):
        name, _, value = option.strip().partition("=")
        if name.strip() == "batchSize" and value.strip().isdigit():
            size = min(max(int(value), 200), 2000)
    return size


def _soql_error(error: SoqlError) -> ApiError:
    return ApiError(400, error.error_code, error.message)


def query(ctx: Ctx, include_deleted: bool = False) -> Response:
    text = ctx.request.param("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string must be provided in the q parameter")
    try:
        return json_response(
            200,
            Executor(ctx.state, ctx.version).run(text, include_deleted=include_deleted, batch_size=_batch_size(ctx)),
        )
    except SoqlError as error:
        raise _soql_error(error) from None


def query_all(ctx: Ctx) -> Response:
    return query(ctx, include_deleted=True)


def query_more(ctx: Ctx, locator: str) -> Response:
    try:
        return json_response(200, Executor(ctx.state, ctx.version).more(locator, _batch_size(ctx)))
    except SoqlError as error:
        raise _soql_error(error) from None


def _window(ctx: Ctx) -> tuple[datetime, datetime]:

    start_text, end_text = ctx.request.param("start"), ctx.request.param("end")
    if not start_text or not end_text:
        raise ApiError(400, "MISSING_ARGUMENT", "start and end are required")
    try:
        start, end = parse_datetime(start_text), parse_datetime(end_text)
    except ValueError:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "start and end must be ISO 8601 dateTimes") from None
    now = datetime.now(UTC)
    if end < start:
        raise ApiError(
            400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate by more than one minute"
        )
    if start < now - REPLICATION_WINDOW:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
    # Replication works in whole minutes and never covers the future.
    return start.replace(second=0, microsecond=0), min(end, now).replace(second=0, microsecond=0)


def _stamp(moment: datetime) -> str:

    return format_datetime(moment)


def updated(ctx: Ctx, obj: str) -> Response:

    definition = object_or_404(ctx, obj)
    start, end = _window(ctx)
    with ctx.state.lock:
        ids = sorted(
            record["Id"]
            for record in ctx.state.records[definition.name].values()
            if not record["IsDeleted"] and start <= parse_datetime(record["SystemModstamp"]) < end
        )
    return json_response(200, {"ids": ids, "latestDateCovered": _stamp(end)})


def deleted(ctx: Ctx, obj: str) -> Response:

    definition = object_or_404(ctx, obj)
    start, end = _window(ctx)
    with ctx.state.lock:
        rows: list[dict[str, Any]] = [
            {"id": record_id, "deletedDate": stamp}
            for record_id, stamp in sorted(ctx.state.deleted_dates[definition.name].items(), key=lambda item: item[1])
            if start <= parse_datetime(stamp) < end
        ]
        earliest = min((parse_datetime(s) for s in ctx.state.deleted_dates[definition.name].values()), default=start)
    return json_response(
        200, {"deletedRecords": rows, "earliestDateAvailable": _stamp(earliest), "latestDateCovered": _stamp(end)}
    )
