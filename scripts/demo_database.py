"""Print the DATABASE_URL ``make run`` should use (empty: the embedded SQLite database).

The live Salesforce sync in the demo needs PostgreSQL (its outbox is claimed with
``FOR UPDATE SKIP LOCKED``). So, unless DATABASE_URL is set already or
RELINTEL_DEMO_SALESFORCE is off, a PostgreSQL answering at RELINTEL_DEMO_POSTGRES_URL
(default ``postgres://postgres@127.0.0.1:5432``) gets a ``relintel_demo`` database, created
if missing, and the demo runs there. Without one, the demo runs on SQLite, without the sync.
"""

from __future__ import annotations

import os
import sys

DEMO_DATABASE = "relintel_demo"


def main() -> int:
    if os.environ.get("DATABASE_URL"):
        print(os.environ["DATABASE_URL"])
        return 0
    if os.environ.get("RELINTEL_DEMO_SALESFORCE", "0").strip().lower() in {"", "0", "false", "no", "off"}:
        return 0
    server = os.environ.get("RELINTEL_DEMO_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    try:
        import psycopg2
        from psycopg2 import sql

        admin = psycopg2.connect(f"{server}/postgres", connect_timeout=3)
    except Exception as exc:  # any failure means: no PostgreSQL for the demo
        print(
            f"make run: no PostgreSQL at {server} ({str(exc).strip()}); the demo runs on SQLite, without the "
            "live Salesforce sync",
            file=sys.stderr,
        )
        return 0
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DEMO_DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DEMO_DATABASE)))
    admin.close()
    print(f"{server}/{DEMO_DATABASE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
