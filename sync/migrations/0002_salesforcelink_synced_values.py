from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="salesforcelink",
            name="synced_values",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
