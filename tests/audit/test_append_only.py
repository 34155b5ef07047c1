"""Nobody edits or deletes an audit entry: not through the model, the queryset, nor (PostgreSQL) raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, AuditEntry
from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(agent):
    return record(action=AuditEntry.Action.LOGIN, actor=agent, target=agent)


def unchanged(entry: AuditEntry) -> bool:
    stored = AuditEntry.objects.get(pk=entry.pk)
    return (stored.action, stored.actor_id, stored.actor_username) == (entry.action, entry.actor_id, "alice")


def test_an_entry_cannot_be_saved_again(entry):
    entry.action = AuditEntry.Action.LOGOUT
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == AuditEntry.Action.LOGIN


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_updates(entry):
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_username="mallory")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(actor_username="mallory")
    entry.actor_username = "mallory"
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["actor_username"])
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"actor_username": "mallory"})
    entry.actor_username = "alice"
    assert unchanged(entry)


def raw(sql: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_a_raw_update(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE audit_auditentry SET actor_username = 'mallory' WHERE id = %s", entry.pk)
    # Clearing the actor while changing anything else is refused too: only an account's deletion may clear it.
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE audit_auditentry SET actor_id = NULL, action = 'logout' WHERE id = %s", entry.pk)
    assert unchanged(entry)


def test_a_raw_delete_is_refused_on_postgresql_and_left_to_the_orm_on_sqlite(entry):
    """SQLite's flush (between transactional tests) is a DELETE of every row, so only PostgreSQL blocks it."""
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
            raw("DELETE FROM audit_auditentry WHERE id = %s", entry.pk)
        assert unchanged(entry)
    else:
        raw("DELETE FROM audit_auditentry WHERE id = %s", entry.pk)
        assert not AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_a_staff_account_keeps_its_entries_with_the_username(entry, agent):
    agent.delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor is None and stored.actor_username == "alice" and stored.action == AuditEntry.Action.LOGIN
