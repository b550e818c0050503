"""Warm introductions: paths to a person or company (``paths``, ranked by ``ranking``),
requests between teammates (``requests``) and the introducer's email (``notify``)."""
