"""Sequences for human-readable references (OC-2026-000123, PC-2026-0042)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS incidents_incident_reference_seq;"
            "CREATE SEQUENCE IF NOT EXISTS incidents_concern_reference_seq;",
            "DROP SEQUENCE IF EXISTS incidents_incident_reference_seq;"
            "DROP SEQUENCE IF EXISTS incidents_concern_reference_seq;",
        ),
    ]
