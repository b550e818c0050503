"""Fixtures for tests that talk to the Salesforce emulator over HTTPS.

Load them in a test module with ``pytest_plugins = ["tests.sync.emulator_fixtures"]``.
One server runs for the whole session; every test gets it back empty, with faults off and the
default schema, and with ``REQUESTS_CA_BUNDLE`` pointing at the emulator's CA bundle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from sync.emulator import DEMO_CLIENT_ID, DEMO_USERNAME, EmulatorServer

API_VERSION = "59.0"


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer().start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    # requests lets REQUESTS_CA_BUNDLE override a session's own ``verify``, so the variable is what counts.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator_server.ca_bundle)
    state = emulator_server.state
    state.reset()
    state.restore_schema()
    state.daily_api_limit, state.token_ttl, state.query_batch_size = 100_000, 7200.0, 2000
    state.bulk_processing_delay = 0.0
    yield emulator_server
    state.reset()
    state.restore_schema()


def access_token(emulator: EmulatorServer) -> str:
    return emulator.state.new_session(DEMO_CLIENT_ID, DEMO_USERNAME).access_token


def emulator_connection(organization: Any, emulator: EmulatorServer) -> Any:
    """The organization's connection to the emulator, connected with a fresh session token."""
    from relintel import crypto
    from sync.models import ConnectionStatus, SalesforceConnection

    return SalesforceConnection.objects.create(
        organization=organization,
        status=ConnectionStatus.CONNECTED,
        login_url=emulator.url,
        instance_url=emulator.url,
        access_token=crypto.encrypt(access_token(emulator)),
        api_version=API_VERSION,
    )


@pytest.fixture
def sf(emulator: EmulatorServer) -> Salesforce:
    return Salesforce(instance_url=emulator.url, session_id=access_token(emulator), version=API_VERSION)


class Api:
    """Raw HTTP against the data API, for asserting status codes and bodies exactly."""

    def __init__(self, emulator: EmulatorServer, token: str | None = None) -> None:
        self.base = f"{emulator.url}/services/data/v{API_VERSION}/"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token or access_token(emulator)}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.base + path, **kwargs)


@pytest.fixture
def api(emulator: EmulatorServer) -> Api:
    return Api(emulator)


def bulk_poll_until_done(run_id: int, *, attempts: int = 100) -> None:
    """Poll a backfill's Bulk API jobs as the worker would, until they are done."""
    import time

    from sync.salesforce import bulk

    for _ in range(attempts):
        if bulk.bulk_poll(run_id=run_id) == bulk.DONE:
            return
        time.sleep(0.05)
    raise AssertionError(f"the backfill run {run_id} was not done after {attempts} polls")
