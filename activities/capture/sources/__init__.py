"""Where captured mail and meetings come from: IMAP mailboxes, CalDAV calendars, ICS feeds.

``runner.run_account_batch`` reads one source for a bounded time; ``diagnostics`` says in
plain words what failed; the Celery tasks in ``activities.tasks`` schedule the runs.
"""
