"""Administrators search and read the audit log in the admin; nobody adds, changes or deletes an entry there,
and managers and agents do not see it at all."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import record
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditentry_changelist")


@pytest.fixture
def alices_reveal(agent, customer):
    record(action=AuditEntry.Action.LOGIN, actor=agent)
    return record(action=AuditEntry.Action.PHONE_REVEALED, actor=agent, target=customer)


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


def test_adam_finds_alices_entries_by_her_username(client, administrator, alices_reveal, manager):
    record(action=AuditEntry.Action.LOGIN, actor=manager)
    client.force_login(administrator)
    response = client.get(CHANGELIST, {"q": "alice"})
    assert response.status_code == 200
    found = list(response.context["cl"].result_list)
    assert {entry.actor_username for entry in found} == {"alice"} and alices_reveal in found
    assert "maggie" not in {entry.actor_username for entry in response.context["cl"].result_list}


def test_adam_filters_by_action_and_searches_by_the_masked_customer_label(client, administrator, alices_reveal):
    client.force_login(administrator)
    response = client.get(CHANGELIST, {"action__exact": "phone_revealed", "q": alices_reveal.target_label[-6:]})
    assert list(response.context["cl"].result_list) == [alices_reveal]


def test_adam_reads_an_entry_but_the_page_offers_no_save_or_delete(client, administrator, alices_reveal):
    client.force_login(administrator)
    response = client.get(reverse("admin:audit_auditentry_change", args=[alices_reveal.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "alice" in html
    assert 'name="_save"' not in html and reverse("admin:audit_auditentry_delete", args=[alices_reveal.pk]) not in html


@pytest.mark.parametrize("persona", ["administrator", "superuser"])
def test_nobody_adds_changes_or_deletes_entries_in_the_admin(client, request, persona, alices_reveal):
    client.force_login(request.getfixturevalue(persona))
    change = reverse("admin:audit_auditentry_change", args=[alices_reveal.pk])
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.post(change, {"actor_username": "mallory", "action": "logout"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[alices_reveal.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [alices_reveal.pk]})
    assert bulk.status_code in (200, 302)  # the action does not exist: the admin says "no action selected"
    stored = AuditEntry.objects.get(pk=alices_reveal.pk)
    assert (stored.actor_username, stored.action) == ("alice", AuditEntry.Action.PHONE_REVEALED)


def test_a_manager_gets_403_on_the_audit_log_even_with_admin_access(client, manager, alices_reveal):
    manager.is_staff = True  # someone let Maggie into the admin: still no audit log for her
    manager.save()
    client.force_login(manager)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_change", args=[alices_reveal.pk])).status_code == 403
    assert "audit" not in client.get(reverse("admin:index")).content.decode().lower()


def test_a_manager_granted_the_view_permission_directly_is_still_refused(client, manager, alices_reveal):
    from django.contrib.auth.models import Permission

    manager.is_staff = True
    manager.save()
    manager.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(manager)
    assert client.get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("persona", ["agent", "manager"])
def test_staff_without_admin_access_are_sent_to_the_admin_sign_in(client, request, persona, alices_reveal):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
