"""Settings for the Celery workers of ``tests/sync/test_sync_kill.py``: collections only (no Bulk
API 2.0), and a short claim lease so a killed worker's rows come back within seconds."""

from relintel.settings import *  # noqa: F403

RELINTEL_SALESFORCE_BULK_THRESHOLD = 1_000_000_000
RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS = 3
