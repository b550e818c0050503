"""The one service that writes captured activity, and what it needs.

* ``capture_ingest`` (``writer``): a batch of ``CapturedItem``s → interactions, participants,
  sightings, skips, contacts; cursor and counters in the same transaction.
* ``capture_context_for`` (``context``): the rep's ``CaptureContext`` for the classifier.
* ``fallback_external_id`` (``content``): a stable id for a message without Message-ID.
* ``exclusion_add`` / ``exclusion_remove`` (``activities.capture.exclusions``): retroactive exclusions.
"""

from activities.capture.exclusions import exclusion_add, exclusion_remove
from activities.capture.ingest.content import external_id_for, fallback_external_id
from activities.capture.ingest.context import capture_context_for, capture_policy_for
from activities.capture.ingest.writer import IngestResult, capture_ingest

__all__ = [
    "IngestResult",
    "capture_context_for",
    "capture_ingest",
    "capture_policy_for",
    "exclusion_add",
    "exclusion_remove",
    "external_id_for",
    "fallback_external_id",
]
