"""Importing contacts from CSV (LinkedIn, Google, Outlook or mapped) and vCard files.

``parse``, ``csvfiles``, ``vcards`` and ``rows`` are pure (no ORM); ``services`` and
``selectors`` hold the import jobs' writes and reads.
"""
