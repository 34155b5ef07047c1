"""Sign-ins, failed sign-ins and sign-outs are recorded with who, when and from where; never a password."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from tests import factories
from tests.audit.conftest import OFFICE_IP, entries

pytestmark = pytest.mark.django_db


def test_alice_signing_in_is_recorded_with_her_address_and_browser(client, agent):
    response = client.post(reverse("login"), {"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 302
    [entry] = entries(AuditEntry.Action.LOGIN)
    assert (entry.actor, entry.actor_username, entry.ip_address) == (agent, "alice", OFFICE_IP)
    assert entry.user_agent == "Firefox/140 (office)"
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(agent.pk))


def test_a_wrong_password_records_the_username_tried_and_never_the_password(client, agent):
    response = client.post(reverse("login"), {"username": "alice", "password": "Guessing-Tuesday-99"})
    assert response.status_code == 200
    [entry] = entries(AuditEntry.Action.LOGIN_FAILED)
    assert entry.actor is None and entry.actor_username == "alice" and entry.ip_address == OFFICE_IP
    stored = AuditEntry.objects.filter(pk=entry.pk).values().get()
    assert not any("Guessing-Tuesday-99" in str(value) for value in stored.values())
    assert not entries(AuditEntry.Action.LOGIN)


def test_an_unknown_username_is_recorded_as_tried(client):
    client.post(reverse("login"), {"username": "mallory", "password": "whatever-it-is"})
    [entry] = entries(AuditEntry.Action.LOGIN_FAILED)
    assert entry.actor is None and entry.actor_username == "mallory"


def test_signing_out_is_recorded(client, agent):
    client.force_login(agent)
    assert client.post(reverse("logout")).status_code == 302
    [entry] = entries(AuditEntry.Action.LOGOUT)
    assert entry.actor == agent and entry.ip_address == OFFICE_IP


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(client, agent, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("login"),
        {"username": "alice", "password": factories.PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.66, 198.51.100.20",
    )
    [entry] = entries(AuditEntry.Action.LOGIN)
    assert entry.ip_address == "198.51.100.20"
