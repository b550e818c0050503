"""Bulk API 2.0 ingest jobs: create, upload CSV, close, process in the background, results as CSV."""

from __future__ import annotations

import csv
import io
import threading
import time
from typing import Any

from .ids import normalize_id
from .operations import RecordError, Transaction
from .records_api import Ctx
from .state import DEMO_USERNAME, EmulatorState
from .values import format_datetime, now
from .web import ApiError, Response, json_response, no_content, text_response

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
TERMINAL = ("JobComplete", "Failed", "Aborted")


def _invalid(message: str) -> ApiError:
    return ApiError(400, "INVALIDJOB", message)


def _job_or_404(ctx: Ctx, job: str) -> dict[str, Any]:
    found = ctx.state.jobs.get(job)
    if found is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return found


def create_job(ctx: Ctx) -> Response:
    body = ctx.request.json()
    if not isinstance(body, dict):
        raise _invalid("Request body must be a JSON object")
    operation = body.get("operation")
    if operation not in OPERATIONS:
        raise _invalid(f"InvalidJob : Invalid operation: {operation}")
    definition = ctx.state.object_def(str(body.get("object") or ""))
    if definition is None:
        raise _invalid(f"InvalidJob : Unable to find object: {body.get('object')}")
    external = body.get("externalIdFieldName")
    if operation == "upsert":
        field_def = definition.field(str(external or ""))
        if not external:
            raise _invalid(
                f"InvalidJob : External ID was blank for {definition.name}. An External ID must be specified for upsert."
            )
        if field_def is None or not (field_def.external_id or field_def.name == "Id"):
            raise _invalid(
                f"InvalidJob : Field name provided, {external} does not match an External ID, Salesforce Id, or indexed field for {definition.name}"
            )
        external = field_def.name
    if body.get("contentType", "CSV") != "CSV":
        raise _invalid("InvalidJob : contentType must be CSV")
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS or line_ending not in ("LF", "CRLF"):
        raise _invalid("InvalidJob : invalid columnDelimiter or lineEnding")
    stamp = format_datetime(now())
    job_id = ctx.state.ids.new("IngestJob")
    job: dict[str, Any] = {
        "id": job_id,
        "operation": operation,
        "object": definition.name,
        "createdById": ctx.state.users[DEMO_USERNAME],
        "createdDate": stamp,
        "systemModstamp": stamp,
        "state": "Open",
        "externalIdFieldName": external if operation == "upsert" else None,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": float(ctx.version),
        "jobType": "V2Ingest",
        "contentUrl": f"services/data/v{ctx.version}/jobs/ingest/{job_id}/batches",
        "lineEnding": line_ending,
        "columnDelimiter": delimiter,
        "numberRecordsProcessed": 0,
        "numberRecordsFailed": 0,
        "retries": 0,
        "totalProcessingTime": 0,
        "apiActiveProcessingTime": 0,
        "apexProcessingTime": 0,
    }
    with ctx.state.lock:
        ctx.state.jobs[job_id] = job
        ctx.state.job_data[job_id] = {"csv": [], "successful": [], "failed": [], "unprocessed": []}
    summary_keys = (
        "id",
        "operation",
        "object",
        "createdById",
        "createdDate",
        "systemModstamp",
        "state",
        "externalIdFieldName",
        "concurrencyMode",
        "contentType",
        "apiVersion",
        "contentUrl",
        "lineEnding",
        "columnDelimiter",
    )
    return json_response(200, {key: job[key] for key in summary_keys})


def list_jobs(ctx: Ctx) -> Response:
    with ctx.state.lock:
        records = [dict(job) for job in ctx.state.jobs.values()]
    return json_response(200, {"done": True, "records": records, "nextRecordsUrl": None})


def job(ctx: Ctx, job: str) -> Response:
    with ctx.state.lock:
        found = _job_or_404(ctx, job)
        method = ctx.request.method
        if method == "GET":
            return json_response(200, dict(found))
        if method == "DELETE":
            if found["state"] not in (*TERMINAL, "UploadComplete"):
                raise _invalid("InvalidJob : Job must be closed or aborted before it can be deleted")
            del ctx.state.jobs[job]
            ctx.state.job_data.pop(job, None)
            return no_content()
        wanted = (ctx.request.json() or {}).get("state")
        if wanted == "UploadComplete":
            if found["state"] != "Open":
                raise _invalid(f"InvalidJob : Job state {found['state']} cannot change to UploadComplete")
            found["state"] = "UploadComplete"
            _touch(found)
            threading.Thread(target=process_job, args=(ctx.state, job, ctx.version), daemon=True).start()
        elif wanted == "Aborted":
            if found["state"] in TERMINAL:
                raise _invalid(f"InvalidJob : Job state {found['state']} cannot change to Aborted")
            found["state"] = "Aborted"
            _touch(found)
        else:
            raise _invalid(f"InvalidJob : Invalid state {wanted}")
        return json_response(
            200, {k: found[k] for k in ("id", "operation", "object", "state", "apiVersion", "createdDate")}
        )


def upload(ctx: Ctx, job: str) -> Response:
    with ctx.state.lock:
        found = _job_or_404(ctx, job)
        if found["state"] != "Open":
            raise ApiError(409, "INVALIDJOBSTATE", f"Job state {found['state']} does not allow uploads")
        ctx.state.job_data[job]["csv"].append(ctx.request.body.decode("utf-8-sig"))
    return Response(201)


def results(ctx: Ctx, job: str, kind: str) -> Response:
    with ctx.state.lock:
        found = _job_or_404(ctx, job)
        if kind != "unprocessedrecords" and found["state"] not in TERMINAL:
            raise ApiError(400, "INVALIDJOBSTATE", "Results are available once the job is complete")
        data = ctx.state.job_data.get(job, {})
        key = {"successfulResults": "successful", "failedResults": "failed", "unprocessedrecords": "unprocessed"}[kind]
        header = {"successful": ["sf__Id", "sf__Created"], "failed": ["sf__Id", "sf__Error"], "unprocessed": []}[key]
        columns = data.get("columns", [])
        rows = list(data.get(key, []))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header + columns)
    writer.writerows(rows)
    return text_response(200, out.getvalue())


def _touch(job: dict[str, Any]) -> None:
    job["systemModstamp"] = format_datetime(now())


def _parse(job: dict[str, Any], chunks: list[str]) -> tuple[list[str], list[list[str]]]:
    delimiter = DELIMITERS[job["columnDelimiter"]]
    columns: list[str] = []
    rows: list[list[str]] = []
    for chunk in chunks:
        reader = csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter)
        header = next(reader, [])
        if columns and header != columns:
            raise ValueError("InvalidBatch : all uploads in a job must have the same header")
        columns = header
        rows.extend(row for row in reader if row)
    return columns, rows


def _values(columns: list[str], row: list[str]) -> dict[str, Any]:
    """Empty cells leave a field alone; #N/A sets it to null; Rel.Field columns reference by external id."""
    values: dict[str, Any] = {}
    for name, cell in zip(columns, row, strict=False):
        if cell == "":
            continue
        value = None if cell == "#N/A" else cell
        relationship, dot, key = name.partition(".")
        if dot:
            values[relationship] = {key: value}
        else:
            values[name] = value
    return values


def process_job(state: EmulatorState, job_id: str, version: str) -> None:
    if state.bulk_processing_delay:
        time.sleep(state.bulk_processing_delay)
    started = time.monotonic()
    with state.lock:
        job = state.jobs.get(job_id)
        if job is None or job["state"] != "UploadComplete":
            return
        job["state"] = "InProgress"
        _touch(job)
        data = state.job_data[job_id]
        try:
            columns, rows = _parse(job, data["csv"])
            _check_columns(state, job, columns)
        except ValueError as error:
            job.update(state="Failed", errorMessage=str(error))
            _touch(job)
            return
        data["columns"] = columns
    for start in range(0, len(rows), 200):
        # Chunks release the lock between them, so other clients are served while a big job runs.
        with state.lock:
            if job["state"] == "Aborted":
                data["unprocessed"].extend(rows[start:])
                return
            for row in rows[start : start + 200]:
                _process_row(state, job, data, columns, row)
            job["numberRecordsProcessed"] = len(data["successful"]) + len(data["failed"])
            job["numberRecordsFailed"] = len(data["failed"])
    with state.lock:
        elapsed = int((time.monotonic() - started) * 1000)
        job.update(state="JobComplete", totalProcessingTime=elapsed, apiActiveProcessingTime=elapsed)
        _touch(job)


def _check_columns(state: EmulatorState, job: dict[str, Any], columns: list[str]) -> None:
    definition = state.schema[job["object"]]
    if job["operation"] in ("delete", "hardDelete") and [c.lower() for c in columns] != ["id"]:
        raise ValueError("InvalidBatch : The 'delete' batch must contain only the 'Id' field")
    for name in columns:
        base = name.partition(".")[0]
        if definition.field(base) is None and definition.relationship(base) is None:
            raise ValueError(f"InvalidBatch : Field name not found : {name}")


def _process_row(
    state: EmulatorState, job: dict[str, Any], data: dict[str, Any], columns: list[str], row: list[str]
) -> None:
    object_name, operation = job["object"], job["operation"]
    values = _values(columns, row)
    transaction = Transaction(state)
    try:
        record_id_value = next((v for k, v in values.items() if k.lower() == "id"), None)
        created = False
        if operation == "insert":
            record_id, created = transaction.insert(object_name, values), True
        elif operation == "upsert" and job["externalIdFieldName"] != "Id":
            field_name = job["externalIdFieldName"]
            key = next((v for k, v in values.items() if k.lower() == field_name.lower()), None)
            record_id, created = transaction.upsert(object_name, field_name, key, values)
        elif record_id_value and normalize_id(record_id_value):
            body = {k: v for k, v in values.items() if k.lower() != "id"}
            if operation in ("delete", "hardDelete"):
                record_id = transaction.delete(object_name, str(record_id_value))
            else:
                record_id = transaction.update(object_name, str(record_id_value), body)
        elif operation == "upsert" and not record_id_value:
            record_id, created = transaction.insert(object_name, values), True
        else:
            raise RecordError("MALFORMED_ID", f"Id: invalid id: {record_id_value}", ["Id"])
    except RecordError as error:
        transaction.rollback()
        message = f"{error.status_code}:{error.message}:{','.join(error.fields)} --"
        data["failed"].append(["", message, *row])
        return
    transaction.commit()
    data["successful"].append([record_id, "true" if created else "false", *row])
