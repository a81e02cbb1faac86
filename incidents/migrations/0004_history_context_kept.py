"""The change history's contexts (who, which request, task or sync run) are referenced by every
event row: they may gain metadata while their transaction runs (pghistory upserts them), but no
one may delete them, so no event loses its origin."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION koban_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'koban: rows of % are kept (append-only history)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS koban_context_kept ON pghistory_context;
CREATE TRIGGER koban_context_kept BEFORE DELETE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION koban_refuse_delete();
"""

REVERSE = """
DROP TRIGGER IF EXISTS koban_context_kept ON pghistory_context;
DROP FUNCTION IF EXISTS koban_refuse_delete();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_accesspurpose_concernevent_followupevent_and_more"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
