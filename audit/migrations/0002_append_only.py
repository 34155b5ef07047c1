"""The database itself refuses to change or delete audit entries.

PostgreSQL: a trigger raises on UPDATE and DELETE. The one UPDATE let through is Django's SET NULL of
``actor_id`` when a staff account is deleted, and only when no other column changes (compared as jsonb, so
a column added later is covered too). TRUNCATE is not blocked: Django's ``flush`` (between transactional
tests, ``manage.py flush``) truncates every table, and TRUNCATE needs the table owner's rights anyway.

SQLite (the laptop default): the same rule for UPDATE. DELETE is not blocked there, because SQLite's
``flush`` is a DELETE of every row; the model, its queryset and the admin still refuse it.
"""

from django.db import migrations

COLUMNS = (
    "id", "at", "actor_username", "action", "target_type", "target_id", "target_label", "ip_address",
    "user_agent", "request_id", "details",
)  # fmt: skip

POSTGRESQL_FUNCTION = """
CREATE FUNCTION audit_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the staff account was deleted; its username stays on the entry
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused', TG_OP;
END;
$$
"""
POSTGRESQL_TRIGGER = """
CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only();
"""
POSTGRESQL_REVERSE = (
    "DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_auditentry_append_only()",
)

_UNCHANGED = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in COLUMNS)
SQLITE = f"""
CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE ON audit_auditentry
WHEN NOT (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL AND {_UNCHANGED})
BEGIN
    SELECT RAISE(ABORT, 'audit_auditentry is append-only: UPDATE refused');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS audit_auditentry_append_only"


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    # params=None: the SQL is sent as written (no %-interpolation of the plpgsql's RAISE format).
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTION, params=None)
        schema_editor.execute(POSTGRESQL_TRIGGER, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRESQL_REVERSE:
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
