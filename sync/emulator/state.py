"""The emulated org: records, sessions, jobs and counters, in memory behind one lock."""

from __future__ import annotations

import copy
import json
import os
import secrets
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .faults import Faults
from .ids import KEY_PREFIXES, IdFactory, normalize_id, to_18
from .objects import default_schema
from .schema import EXTERNAL_ID_FIELD, ObjectDef
from .values import coerce, format_datetime, now

DEMO_CLIENT_ID = "3MVG9RelintelEmulatorDemoClientId"
DEMO_CLIENT_SECRET = "relintel-emulator-demo-secret"
DEMO_USERNAME = "admin@relintel-emulator.example"
ORG_ID = to_18("00D5g000004Rlnt")


@dataclass
class ClientApp:
    client_id: str
    client_secret: str
    redirect_uris: list[str] | None = None  # None accepts any callback (demo convenience)
    certificate_pem: str | None = None  # for the JWT bearer flow: a certificate or public key


@dataclass
class Session:
    access_token: str
    client_id: str
    username: str
    expires_at: float


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    username: str
    expires_at: float


@dataclass
class Counters:
    requests: Counter[str] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)
    created_external_ids: Counter[tuple[str, str]] = field(default_factory=Counter)

    def external_id_creations(self, object_name: str) -> dict[str, int]:
        return {value: n for (obj, value), n in self.created_external_ids.items() if obj == object_name}


class EmulatorState:
    """Everything the emulated org knows. Mutate it only while holding ``lock``."""

    def __init__(
        self,
        *,
        daily_api_limit: int = 100_000,
        token_ttl: float = 7200.0,
        persist_path: str | Path | None = None,
        query_batch_size: int = 2000,
    ) -> None:
        self.lock = threading.RLock()
        self.daily_api_limit = daily_api_limit
        self.token_ttl = token_ttl
        self.query_batch_size = query_batch_size
        self.bulk_processing_delay = 0.0
        self.persist_path = Path(persist_path) if persist_path else None
        self.faults = Faults()
        self.ids = IdFactory()
        self.org_id = ORG_ID
        self.users: dict[str, str] = {}  # username → User Id
        # username → Email, Name, IsActive of its User record (kept when the data is reset).
        self.user_profiles: dict[str, dict[str, Any]] = {}
        self.clients: dict[str, ClientApp] = {}
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> (client_id, username)
        self.auth_codes: dict[str, AuthCode] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.job_data: dict[str, dict[str, Any]] = {}
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.api_usage = 0
        self.counters = Counters()
        self.dirty = False
        self._reset_data()
        self.add_user(DEMO_USERNAME)
        self.register_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)

    # --- metadata -----------------------------------------------------------------------
    def _reset_data(self) -> None:
        self.schema: dict[str, ObjectDef] = default_schema()
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.schema}
        self.deleted_dates: dict[str, dict[str, str]] = {name: {} for name in self.schema}
        self.external_index: dict[str, dict[str, set[str]]] = {name: {} for name in self.schema}
        for username in self.users:
            self._put_user_record(username)

    def object_def(self, name: str) -> ObjectDef | None:
        found = self.schema.get(name)
        if found is None:
            found = next((o for o in self.schema.values() if o.name.lower() == name.lower()), None)
        return found

    def drop_external_id_field(self, *object_names: str, field_name: str = EXTERNAL_ID_FIELD) -> None:
        """The org lacks the custom field (values already stored stay hidden, as if never readable)."""
        with self.lock:
            for name in object_names or tuple(self.schema):
                self.schema[name].fields.pop(field_name, None)

    def make_field_unwritable(self, object_name: str, field_name: str) -> None:
        """Field-level security takes edit access away: the field stays readable, writes fail."""
        with self.lock:
            definition = self.schema[object_name].fields[field_name]
            definition.createable = False
            definition.updateable = False

    def restore_schema(self) -> None:
        with self.lock:
            self.schema = default_schema()

    # --- users, clients, sessions ---------------------------------------------------------
    def add_user(self, username: str, *, email: str = "", name: str = "", active: bool = True) -> str:
        """A user of the org (its User record is queryable); the same username gives the same Id."""
        with self.lock:
            if username not in self.users:
                self.users[username] = self.ids.new("User")
            profile = self.user_profiles.setdefault(username, {})
            if email or "Email" not in profile:
                profile["Email"] = (email or username).lower()
            if name or "Name" not in profile:
                profile["Name"] = name or username.split("@")[0]
            profile["IsActive"] = active
            self._put_user_record(username)
            return self.users[username]

    def _put_user_record(self, username: str) -> None:
        user_id = self.users[username]
        record = self.blank_record("User", user_id, created_by=user_id)
        record.update(Username=username, **self.user_profiles.get(username, {"Email": username, "IsActive": True}))
        self.records["User"][user_id] = record

    def register_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        redirect_uris: list[str] | None = None,
        certificate_pem: str | None = None,
    ) -> ClientApp:
        app = ClientApp(
            client_id=client_id or "3MVG9" + secrets.token_hex(20),
            client_secret=client_secret or secrets.token_hex(32),
            redirect_uris=redirect_uris,
            certificate_pem=certificate_pem,
        )
        with self.lock:
            self.clients[app.client_id] = app
        return app

    def new_session(self, client_id: str, username: str) -> Session:
        token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(48)}"
        session = Session(token, client_id, username, time.time() + self.token_ttl)
        with self.lock:
            self.sessions[token] = session
        return session

    def new_refresh_token(self, client_id: str, username: str) -> str:
        token = "5Aep" + secrets.token_urlsafe(40)
        with self.lock:
            self.refresh_tokens[token] = (client_id, username)
        return token

    def session_for(self, token: str) -> Session | None:
        with self.lock:
            session = self.sessions.get(token)
            if session is None or session.expires_at <= time.time():
                return None
            return session

    def expire_sessions(self) -> None:
        with self.lock:
            for session in self.sessions.values():
                session.expires_at = 0.0

    # --- records --------------------------------------------------------------------------
    def get(self, object_name: str, record_id: str) -> dict[str, Any] | None:
        return self.records[object_name].get(record_id)

    def live(self, object_name: str, record_id: str) -> dict[str, Any] | None:
        record = self.records[object_name].get(record_id)
        return record if record is not None and not record["IsDeleted"] else None

    def find_by_external_id(self, object_name: str, field_name: str, value: object) -> list[str]:
        """Live records whose (case-insensitive) external id equals value."""
        key = str(value).lower()
        if field_name == EXTERNAL_ID_FIELD:
            return sorted(self.external_index[object_name].get(key, set()))
        return sorted(
            record_id
            for record_id, record in self.records[object_name].items()
            if not record["IsDeleted"] and str(record.get(field_name) or "").lower() == key and record.get(field_name)
        )

    def _index(self, object_name: str, record: dict[str, Any], *, add: bool) -> None:
        value = record.get(EXTERNAL_ID_FIELD)
        if not value:
            return
        bucket = self.external_index[object_name].setdefault(str(value).lower(), set())
        if add:
            bucket.add(record["Id"])
        else:
            bucket.discard(record["Id"])

    def put(self, object_name: str, record: dict[str, Any]) -> None:
        """Store a complete record (insert or replace), keeping the external-id index right."""
        old = self.records[object_name].get(record["Id"])
        if old is not None and not old["IsDeleted"]:
            self._index(object_name, old, add=False)
        self.records[object_name][record["Id"]] = record
        if not record["IsDeleted"]:
            self._index(object_name, record, add=True)
        else:
            self.deleted_dates[object_name].setdefault(record["Id"], record["SystemModstamp"])
        if not record["IsDeleted"]:
            self.deleted_dates[object_name].pop(record["Id"], None)
        self.dirty = True

    def discard(self, object_name: str, record_id: str) -> None:
        """Forget a record entirely (rolling back an insert)."""
        old = self.records[object_name].pop(record_id, None)
        if old is not None and not old["IsDeleted"]:
            self._index(object_name, old, add=False)
        self.deleted_dates[object_name].pop(record_id, None)

    def blank_record(
        self, object_name: str, record_id: str | None = None, *, stamp: str | None = None, created_by: str = ""
    ) -> dict[str, Any]:
        definition = self.schema[object_name]
        stamp = stamp or format_datetime(now())
        user_id = self.users.get(DEMO_USERNAME, created_by or "")
        record: dict[str, Any] = {name: f.default for name, f in definition.fields.items()}
        record.update(
            Id=record_id or self.ids.new(object_name),
            IsDeleted=False,
            CreatedDate=stamp,
            LastModifiedDate=stamp,
            SystemModstamp=stamp,
            CreatedById=user_id,
            LastModifiedById=user_id,
        )
        if "OwnerId" in definition.fields:
            record["OwnerId"] = user_id
        return record

    def seed(self, object_name: str, records: list[dict[str, Any]]) -> list[str]:
        """Pre-populate the org as it was before we came: no validation, no counters.

        Records may carry their own Id, CreatedDate, LastModifiedDate and SystemModstamp (for pull tests).
        """
        definition = self.schema[object_name]
        ids = []
        with self.lock:
            for values in records:
                given_id = normalize_id(values.get("Id")) if values.get("Id") else None
                record = self.blank_record(object_name, given_id, stamp=values.get("SystemModstamp"))
                for name, value in values.items():
                    field_def = definition.field(name)
                    if field_def is None:
                        raise ValueError(f"{object_name} has no field {name}")
                    if field_def.name != "Id":
                        record[field_def.name] = coerce(field_def, value)
                fill_derived(object_name, record)
                self.put(object_name, record)
                ids.append(record["Id"])
        return ids

    def reset(self) -> None:
        """Empty the org and clear faults and counters; clients, users and sessions stay."""
        with self.lock:
            self._reset_data()
            self.jobs.clear()
            self.job_data.clear()
            self.cursors.clear()
            self.api_usage = 0
            self.counters = Counters()
            self.faults.reset()

    # --- persistence ----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "records": copy.deepcopy(self.records),
                "deleted_dates": copy.deepcopy(self.deleted_dates),
                "users": dict(self.users),
                "user_profiles": copy.deepcopy(self.user_profiles),
                "clients": {k: asdict(v) for k, v in self.clients.items()},
                "sessions": {k: asdict(v) for k, v in self.sessions.items()},
                "refresh_tokens": {k: list(v) for k, v in self.refresh_tokens.items()},
                "jobs": copy.deepcopy(self.jobs),
                "api_usage": self.api_usage,
                "next_id": self.ids.peek(),
            }

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self._reset_data()
            for object_name, records in data.get("records", {}).items():
                for record in records.values():
                    self.put(object_name, record)
            for object_name, dates in data.get("deleted_dates", {}).items():
                self.deleted_dates[object_name].update(dates)
            self.users.update(data.get("users", {}))
            self.user_profiles.update(data.get("user_profiles", {}))
            for username in self.users:
                self._put_user_record(username)
            self.clients.update({k: ClientApp(**v) for k, v in data.get("clients", {}).items()})
            self.sessions.update({k: Session(**v) for k, v in data.get("sessions", {}).items()})
            self.refresh_tokens.update({k: (v[0], v[1]) for k, v in data.get("refresh_tokens", {}).items()})
            self.jobs.update(data.get("jobs", {}))
            self.api_usage = int(data.get("api_usage", 0))
            self.ids.skip_to(int(data.get("next_id", 1)))
            self.dirty = False

    def save(self, path: str | Path | None = None) -> None:
        target = Path(path or self.persist_path or "")
        if not str(target):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = self.to_json()
        self.dirty = False
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".emulator-state-")
        with os.fdopen(handle, "w") as out:
            json.dump(payload, out)
        os.replace(temporary, target)

    def load(self, path: str | Path | None = None) -> bool:
        source = Path(path or self.persist_path or "")
        if not str(source) or not source.is_file():
            return False
        self.load_json(json.loads(source.read_text()))
        return True


def fill_derived(object_name: str, record: dict[str, Any]) -> None:
    """Fields Salesforce computes: Name from first and last name."""
    if object_name in ("Contact", "Lead"):
        record["Name"] = " ".join(part for part in (record.get("FirstName"), record.get("LastName")) if part)


__all__ = ["KEY_PREFIXES", "EmulatorState"]
