"""Running a parsed SOQL query against the emulated org, with Salesforce's result and paging shapes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .ids import normalize_id, object_for_id
from .schema import FieldDef, ObjectDef
from .soql import BoolOp, Comparison, DateRange, Not, SoqlError, parse
from .state import EmulatorState
from .values import parse_datetime, sortable

Resolved = tuple[list[FieldDef], ObjectDef]  # the reference hops, then the final field's object


def _invalid_field(query_text: str, path: str, object_name: str) -> SoqlError:
    return SoqlError(
        "INVALID_FIELD",
        f"\n{query_text}\nERROR at Row:1:Column:1\nNo such column '{path}' on entity '{object_name}'. If you are "
        "attempting to use a custom field, be sure to append the '__c' after the custom field name.",
    )


class Executor:
    def __init__(self, state: EmulatorState, version: str) -> None:
        self.state = state
        self.version = version

    def resolve(self, definition: ObjectDef, path: str, text: str) -> list[FieldDef]:
        """The chain of fields a dotted path walks: Account.Name -> [AccountId, Account.Name]."""
        parts = path.split(".")
        if len(parts) > 1 and parts[0].lower() == definition.name.lower():
            parts = parts[1:]  # SELECT Contact.Email FROM Contact is legal
        chain: list[FieldDef] = []
        current = definition
        for hop in parts[:-1]:
            reference = current.relationship(hop)
            target = self.state.object_def(reference.reference_to[0]) if reference else None
            if reference is None or target is None:
                raise _invalid_field(text, path, definition.name)
            chain.append(reference)
            current = target
        final = current.field(parts[-1])
        if final is None:
            raise _invalid_field(text, path, definition.name)
        chain.append(final)
        return chain

    def value(self, record: dict[str, Any] | None, chain: list[FieldDef]) -> Any:
        for hop in chain[:-1]:
            if record is None or not record.get(hop.name):
                return None
            record = self._target(hop, record[hop.name])
        return None if record is None else record.get(chain[-1].name)

    def _target(self, reference: FieldDef, record_id: str) -> dict[str, Any] | None:
        for object_name in reference.reference_to:
            if object_name in self.state.records and record_id in self.state.records[object_name]:
                return self.state.records[object_name][record_id]
        return None

    # --- conditions ------------------------------------------------------------------------
    def check_literals(self, node: Any, definition: ObjectDef, text: str) -> None:
        if isinstance(node, BoolOp):
            for child in node.children:
                self.check_literals(child, definition, text)
        elif isinstance(node, Not):
            self.check_literals(node.child, definition, text)
        elif isinstance(node, Comparison):
            final = self.resolve(definition, node.path, text)[-1]
            values = node.value if isinstance(node.value, list) else [node.value]
            for value in values:
                if value is None or isinstance(value, DateRange):
                    continue
                wanted = {"datetime": datetime, "date": date}.get(final.type)
                if (wanted is not None and not isinstance(value, wanted)) or (
                    wanted is date and isinstance(value, datetime)
                ):
                    quoted = " and should not be enclosed in quotes" if isinstance(value, str) else ""
                    kind = "dateTime" if final.type == "datetime" else "date"
                    raise SoqlError(
                        "INVALID_FIELD",
                        f"\n{text}\nERROR at Row:1:Column:1\nvalue of filter criterion for field '{final.name}' "
                        f"must be of type {kind}{quoted}",
                    )

    def matches(self, node: Any, record: dict[str, Any], definition: ObjectDef, text: str) -> bool:
        if node is None:
            return True
        if isinstance(node, BoolOp):
            results = (self.matches(child, record, definition, text) for child in node.children)
            return all(results) if node.op == "AND" else any(results)
        if isinstance(node, Not):
            return not self.matches(node.child, record, definition, text)
        chain = self.resolve(definition, node.path, text)
        return _compare(chain[-1], self.value(record, chain), node.op, node.value)

    # --- execution -------------------------------------------------------------------------
    def run(self, text: str, *, include_deleted: bool, batch_size: int) -> dict[str, Any]:
        query = parse(text)
        definition = self.state.object_def(query.object_name)
        if definition is None:
            raise SoqlError(
                "INVALID_TYPE",
                f"\n{text}\nERROR at Row:1:Column:1\nsObject type '{query.object_name}' is not supported. If you are "
                "attempting to use a custom object, be sure to append the '__c' after the entity name.",
            )
        chains = [(path, self.resolve(definition, path, text)) for path in query.fields]
        self.check_literals(query.where, definition, text)
        order = [(self.resolve(definition, path, text), desc, nulls_last) for path, desc, nulls_last in query.order_by]
        with self.state.lock:
            found = [
                record
                for record in self.state.records[definition.name].values()
                if (include_deleted or not record["IsDeleted"]) and self.matches(query.where, record, definition, text)
            ]
            for chain, descending, nulls_last in reversed(order):
                present = [r for r in found if self.value(r, chain) is not None]
                absent = [r for r in found if self.value(r, chain) is None]
                present.sort(key=self._sort_key(chain), reverse=descending)
                found = present + absent if nulls_last else absent + present
            found = found[query.offset :]
            if query.limit is not None:
                found = found[: query.limit]
            if query.count:
                return {"totalSize": len(found), "done": True, "records": []}
            rows = [self.render(definition, record, chains) for record in found]
        return self.page(rows, batch_size)

    def _sort_key(self, chain: list[FieldDef]) -> Callable[[dict[str, Any]], Any]:
        return lambda record: sortable(chain[-1], self.value(record, chain))

    def render(
        self, definition: ObjectDef, record: dict[str, Any], chains: list[tuple[str, list[FieldDef]]]
    ) -> dict[str, Any]:
        row: dict[str, Any] = {"attributes": self.attributes(definition.name, record["Id"])}
        for _path, chain in chains:
            if len(chain) == 1:
                row[chain[0].name] = record.get(chain[0].name)
                continue
            holder, source = row, record
            for hop in chain[:-1]:
                target = self._target(hop, source[hop.name]) if source and source.get(hop.name) else None
                key = hop.relationship_name or hop.name
                if target is None:
                    holder[key] = None
                    break
                nested = holder.get(key) or {"attributes": self.attributes(_object_of(target), target["Id"])}
                holder[key] = nested
                holder, source = nested, target
            else:
                holder[chain[-1].name] = source.get(chain[-1].name) if source else None
        return row

    def attributes(self, object_name: str, record_id: str) -> dict[str, str]:
        return {"type": object_name, "url": f"/services/data/v{self.version}/sobjects/{object_name}/{record_id}"}

    def page(
        self, rows: list[dict[str, Any]], batch_size: int, *, cursor: str | None = None, offset: int = 0
    ) -> dict[str, Any]:
        total = len(rows)
        batch = rows[offset : offset + batch_size]
        result: dict[str, Any] = {"totalSize": total, "done": offset + batch_size >= total, "records": batch}
        if not result["done"]:
            if cursor is None:
                cursor = "01g" + secrets.token_hex(8)[:15]
                with self.state.lock:
                    self.state.cursors[cursor] = rows
            result["nextRecordsUrl"] = f"/services/data/v{self.version}/query/{cursor}-{offset + batch_size}"
        elif cursor is not None:
            with self.state.lock:
                self.state.cursors.pop(cursor, None)
        return result

    def more(self, locator: str, batch_size: int) -> dict[str, Any]:
        cursor, _, offset_text = locator.partition("-")
        with self.state.lock:
            rows = self.state.cursors.get(cursor)
        if rows is None or not offset_text.isdigit():
            raise SoqlError("INVALID_QUERY_LOCATOR", "invalid query locator")
        return self.page(rows, batch_size, cursor=cursor, offset=int(offset_text))


def _object_of(record: dict[str, Any]) -> str:
    return object_for_id(record["Id"]) or "Unknown"


def _compare(definition: FieldDef, actual: Any, op: str, expected: Any) -> bool:
    if op in ("IN", "NOT IN"):
        inside = any(_compare(definition, actual, "=", item) for item in expected)
        return inside if op == "IN" else not inside
    if op == "LIKE":
        if actual is None:
            return False
        return _like_pattern(expected).fullmatch(str(actual)) is not None
    if isinstance(expected, DateRange):
        return _compare_range(definition, actual, op, expected)
    if expected is None:
        return (actual is None) if op == "=" else (actual is not None) if op == "!=" else False
    if actual is None:
        return op == "!="
    left, right = _comparable(definition, actual, expected)
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    try:
        return bool({"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op])
    except TypeError:
        return False


def _comparable(definition: FieldDef, actual: Any, expected: Any) -> tuple[Any, Any]:
    if definition.type == "datetime":
        return parse_datetime(actual), expected
    if definition.type == "date":
        return date.fromisoformat(actual), expected
    if definition.type in ("id", "reference") and isinstance(expected, str):
        return actual, normalize_id(expected) or expected
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower(), expected.lower()
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual, expected
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return actual, expected
    return str(actual).lower(), str(expected).lower()


def _compare_range(definition: FieldDef, actual: Any, op: str, expected: DateRange) -> bool:
    if actual is None:
        return op == "!="
    moment = parse_datetime(actual) if definition.type == "datetime" else parse_datetime(f"{actual}T00:00:00Z")
    inside = expected.start <= moment < expected.end
    return {
        "=": inside,
        "!=": not inside,
        "<": moment < expected.start,
        "<=": moment < expected.end,
        ">": moment >= expected.end,
        ">=": moment >= expected.start,
    }[op]


def _like_pattern(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
