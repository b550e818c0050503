from django.db import migrations

from relintel.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    """Trigram index so name/email/company search stays fast at 100,000+ contacts."""

    dependencies = [("contacts", "0001_initial")]

    operations = [
        PostgresOnlySQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop),
        PostgresOnlySQL(
            "CREATE INDEX contact_search_trgm ON contacts_contact USING gin (search_text gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS contact_search_trgm",
        ),
        PostgresOnlySQL(
            "CREATE INDEX company_name_trgm ON contacts_company USING gin (lower(name) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS company_name_trgm",
        ),
    ]
