"""Activity capture: sources (IMAP, CalDAV, ICS, SMTP, uploads) → a pure pipeline → one writer.

* ``items``: the plain data every stage passes along (no ORM).
* ``parse_email`` / ``parse_calendar``: bytes → ``CapturedItem`` (pure, never raise).
* ``classify``: a ``CapturedItem`` + the rep's ``CaptureContext`` → ``Decision`` (pure).
* ``ingest``: the one service that writes (dedupe, matching, contacts, skips, cursor).
* ``sources/``: the protocol clients; ``activities.tasks`` schedules them.
"""
