"""sObject rows, upsert by external id and sObject Collections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ids import normalize_id, object_for_id
from .operations import ROLLED_BACK, RecordError, RequestLevelError, Transaction
from .schema import ObjectDef
from .state import EmulatorState
from .web import ApiError, Request, Response, json_response, no_content, not_found

COLLECTION_LIMIT = 200


@dataclass
class Ctx:
    state: EmulatorState
    request: Request
    version: str
    base_url: str


def object_or_404(ctx: Ctx, name: str) -> ObjectDef:
    definition = ctx.state.object_def(name)
    if definition is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return definition


def record_body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of SObject from START_ARRAY value")
    return body


def render_record(
    ctx: Ctx, object_name: str, record: dict[str, Any], fields: list[str] | None = None
) -> dict[str, Any]:
    definition = ctx.state.schema[object_name]
    names = [definition.field(f).name for f in fields if definition.field(f)] if fields else list(definition.fields)  # type: ignore[union-attr]
    return {
        "attributes": {
            "type": object_name,
            "url": f"/services/data/v{ctx.version}/sobjects/{object_name}/{record['Id']}",
        },
        **{name: record.get(name) for name in names},
    }


def _error_400(error: RecordError) -> ApiError:
    return ApiError(400, error.status_code, error.message, error.fields)


def _write(ctx: Ctx, action: Any) -> Any:
    """Run one single-record write in its own transaction; a failure is the REST 400 list."""
    with ctx.state.lock:
        transaction = Transaction(ctx.state)
        try:
            result = action(transaction)
        except RecordError as error:
            transaction.rollback()
            raise _error_400(error) from None
        transaction.commit()
        return result


# --- single records ----------------------------------------------------------------------------
def create(ctx: Ctx, obj: str) -> Response:
    definition = object_or_404(ctx, obj)
    body = record_body(ctx)
    if any(k.lower() == "id" for k in body):
        raise ApiError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            ["Id"],
        )
    record_id = _write(ctx, lambda t: t.insert(definition.name, body))
    return json_response(201, {"id": record_id, "success": True, "errors": []})


def _find(ctx: Ctx, definition: ObjectDef, record_id: str) -> dict[str, Any]:
    normalized = normalize_id(record_id)
    if normalized is None or object_for_id(normalized) != definition.name:
        raise not_found(f"Provided external ID field does not exist or is not accessible: {record_id}")
    record = ctx.state.get(definition.name, normalized)
    if record is None:
        raise not_found()
    if record["IsDeleted"]:
        raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return record


def by_id(ctx: Ctx, obj: str, record_id: str) -> Response:
    definition = object_or_404(ctx, obj)
    method = ctx.request.method
    with ctx.state.lock:
        record = _find(ctx, definition, record_id)
        if method == "GET":
            fields = ctx.request.param("fields")
            return json_response(
                200, render_record(ctx, definition.name, record, fields.split(",") if fields else None)
            )
    if method == "PATCH":
        body = record_body(ctx)
        _write(ctx, lambda t: t.update(definition.name, record["Id"], body))
    else:
        _write(ctx, lambda t: t.delete(definition.name, record["Id"]))
    return no_content()


def _external_field(definition: ObjectDef, field_name: str) -> str:
    field_def = definition.field(field_name)
    if field_def is None or not (field_def.external_id or field_def.id_lookup):
        raise not_found(f"Provided external ID field does not exist or is not accessible: {field_name}")
    return field_def.name


def by_external_id(ctx: Ctx, obj: str, field: str, value: str) -> Response:
    definition = object_or_404(ctx, obj)
    field_name = _external_field(definition, field)
    method = ctx.request.method
    if field_name == "Id":
        return by_id(ctx, obj, value)
    with ctx.state.lock:
        matches = ctx.state.find_by_external_id(definition.name, field_name, value)
        if len(matches) > 1:
            urls = [f"/services/data/v{ctx.version}/sobjects/{definition.name}/{i}" for i in matches]
            return json_response(300, urls)
        if method == "PATCH":
            if not ctx.state.schema[definition.name].fields[field_name].external_id:
                raise not_found(f"Provided external ID field does not exist or is not accessible: {field}")
            body = record_body(ctx)
            record_id, created = _write(ctx, lambda t: t.upsert(definition.name, field_name, value, body))
            result = {"id": record_id, "success": True, "errors": [], "created": created}
            # Since API 46.0 an update answers 200 with the same body; 45.0 and earlier said 204.
            if not created and float(ctx.version) < 46.0:
                return no_content()
            return json_response(201 if created else 200, result)
        if not matches:
            raise not_found()
        if method == "GET":
            return json_response(
                200, render_record(ctx, definition.name, ctx.state.records[definition.name][matches[0]])
            )
        _write(ctx, lambda t: t.delete(definition.name, matches[0]))
        return no_content()


# --- sObject Collections ----------------------------------------------------------------------
def _collection_body(ctx: Ctx) -> tuple[list[dict[str, Any]], bool]:
    body = ctx.request.json()
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise ApiError(400, "JSON_PARSER_ERROR", "records is required and must be a list of sObjects")
    if len(records) > COLLECTION_LIMIT:
        raise ApiError(
            400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"
        )
    return records, bool(body.get("allOrNone", False))


def _ids_param(ctx: Ctx) -> tuple[list[str], bool]:
    ids = [i for i in (ctx.request.param("ids") or "").split(",") if i]
    if not ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(ids) > COLLECTION_LIMIT:
        raise ApiError(
            400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"
        )
    return ids, (ctx.request.param("allOrNone") or "false").lower() == "true"


def _record_type(ctx: Ctx, record: Any, expected: str | None = None) -> str:
    if not isinstance(record, dict):
        raise RecordError("INVALID_TYPE", "Must send a concrete entity type.")
    declared = (record.get("attributes") or {}).get("type") if isinstance(record.get("attributes"), dict) else None
    if not declared:
        raise RecordError("INVALID_TYPE", "Must send a concrete entity type.")
    definition = ctx.state.object_def(declared)
    if definition is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{declared}' is not supported.")
    if expected and definition.name != expected:
        raise RecordError("INVALID_TYPE", f"The sObject type {declared} doesn't match the URI's type {expected}.")
    return definition.name


def _run_collection(ctx: Ctx, items: list[Any], all_or_none: bool, apply: Any, *, upsert: bool = False) -> Response:
    """Apply ``apply(transaction, item) -> (id, created)`` to every item, with allOrNone semantics."""
    results: list[dict[str, Any]] = []
    with ctx.state.lock:
        shared = Transaction(ctx.state)
        failed = False
        for item in items:
            transaction = shared if all_or_none else Transaction(ctx.state)
            try:
                record_id, created = apply(transaction, item)
            except RequestLevelError as error:
                shared.rollback()
                transaction.rollback()
                raise _error_400(error) from None
            except RecordError as error:
                failed = True
                if not all_or_none:
                    transaction.rollback()
                results.append({"success": False, "errors": [error.as_result_error()]})
                continue
            if not all_or_none:
                transaction.commit()
            result: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
            if upsert:
                result["created"] = created
            results.append(result)
        if all_or_none and failed:
            shared.rollback()
            results = [
                r if not r["success"] else {"success": False, "errors": [ROLLED_BACK.as_result_error()]}
                for r in results
            ]
        elif all_or_none:
            shared.commit()
    return json_response(200, results)


def collections(ctx: Ctx) -> Response:
    method = ctx.request.method
    if method == "DELETE":
        ids, all_or_none = _ids_param(ctx)

        def remove(transaction: Transaction, raw_id: str) -> tuple[str, bool]:
            normalized = normalize_id(raw_id)
            object_name = object_for_id(normalized) if normalized else None
            if normalized is None or object_name not in ctx.state.schema:
                raise RecordError("MALFORMED_ID", f"malformed id {raw_id}", [])
            return transaction.delete(object_name, normalized), False

        return _run_collection(ctx, ids, all_or_none, remove)
    records, all_or_none = _collection_body(ctx)
    _precheck(ctx, records)

    def save(transaction: Transaction, record: dict[str, Any]) -> tuple[str, bool]:
        object_name = _record_type(ctx, record)
        values = {k: v for k, v in record.items() if k != "attributes"}
        record_id = next((v for k, v in values.items() if k.lower() == "id"), None)
        if method == "POST":
            if record_id:
                raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            return transaction.insert(object_name, values), True
        if not record_id:
            raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", [])
        return transaction.update(object_name, str(record_id), values), False

    return _run_collection(ctx, records, all_or_none, save)


def collection_upsert(ctx: Ctx, obj: str, field: str) -> Response:
    definition = object_or_404(ctx, obj)
    field_def = definition.field(field)
    if field_def is None or not field_def.external_id:
        raise not_found(f"Provided external ID field does not exist or is not accessible: {field}")
    records, all_or_none = _collection_body(ctx)
    _precheck(ctx, records)
    values_of = [
        r.get(field_def.name, next((v for k, v in r.items() if k.lower() == field.lower()), None))
        if isinstance(r, dict)
        else None
        for r in records
    ]
    repeated = {
        str(v).lower()
        for v in values_of
        if v not in (None, "") and sum(str(o).lower() == str(v).lower() for o in values_of) > 1
    }

    def save(transaction: Transaction, record: dict[str, Any]) -> tuple[str, bool]:
        _record_type(ctx, record, definition.name)
        values = {k: v for k, v in record.items() if k != "attributes"}
        if any(k.lower() == "id" for k in values):
            raise RecordError("INVALID_FIELD", "Id can't be used with upsert by an external id field", ["Id"])
        value = next((v for k, v in values.items() if k.lower() == field_def.name.lower()), None)
        if value not in (None, "") and str(value).lower() in repeated:
            raise RecordError("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {value}", [field_def.name])
        return transaction.upsert(definition.name, field_def.name, value, values)

    return _run_collection(ctx, records, all_or_none, save, upsert=True)


def _precheck(ctx: Ctx, records: list[Any]) -> None:
    """Fields that do not exist fail the whole request before anything is written, as deserializing does."""
    for record in records:
        if not isinstance(record, dict):
            continue
        definition = ctx.state.object_def(str((record.get("attributes") or {}).get("type") or ""))
        if definition is None:
            continue
        try:
            Transaction(ctx.state)._prepare(
                definition, {k: v for k, v in record.items() if k.lower() != "id"}, creating=True
            )
        except RequestLevelError as error:
            raise _error_400(error) from None
        except RecordError:
            pass


def collection_retrieve(ctx: Ctx, obj: str) -> Response:
    definition = object_or_404(ctx, obj)
    ids, _ = _ids_param(ctx)
    fields = [f for f in (ctx.request.param("fields") or "").split(",") if f]
    if not fields:
        raise ApiError(400, "MISSING_ARGUMENT", "fields parameter is required")
    rows: list[Any] = []
    with ctx.state.lock:
        for raw_id in ids:
            normalized = normalize_id(raw_id)
            record = ctx.state.live(definition.name, normalized) if normalized else None
            rows.append(render_record(ctx, definition.name, record, fields) if record else None)
    return json_response(200, rows)
