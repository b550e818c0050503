"""Settings for the Celery workers of ``tests/sync/test_sync_kill.py``: collections only (no Bulk
API 2.0), a short claim lease so a killed worker's rows come back within seconds, and the test
run's own broker key prefix, so two runs sharing a Redis never consume each other's tasks."""

import os

from relintel.settings import *  # noqa: F403

RELINTEL_SALESFORCE_BULK_THRESHOLD = 1_000_000_000
RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "global_keyprefix": os.environ["RELINTEL_KILL_TEST_KEYPREFIX"],
}
