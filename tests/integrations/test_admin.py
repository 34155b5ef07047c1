"""Administrators create integrations (token shown once), rotate and revoke tokens; the call log is read-only."""

import re

import pytest

from integrations.models import ApiCall, Integration, IntegrationToken
from integrations.tokens import hash_token
from tests import factories
from tests.integrations.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def shown_tokens(response) -> list[str]:
    return re.findall(r'<code class="api-token">(wfu_[A-Za-z0-9_-]+)</code>', response.content.decode())


def history_url(customer):
    return f"/api/v1/customers/{customer.bank_reference}/contact-history/"


def test_creating_an_integration_shows_its_token_once_and_the_token_works(admin_client, customer):
    response = admin_client.post(
        "/admin/integrations/integration/add/",
        {
            "name": "wallet-backend",
            "scopes": ["customers:read", "events:write"],
            "is_active": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "shown this once" in response.content.decode()
    (token,) = shown_tokens(response)
    integration = Integration.objects.get(name="wallet-backend")
    assert integration.scopes == ["customers:read", "events:write"]
    assert IntegrationToken.objects.get(integration=integration).token_hash == hash_token(token)
    assert client_for(token).get(history_url(customer)).status_code == 200

    page = admin_client.get(f"/admin/integrations/integration/{integration.pk}/change/")
    assert token not in page.content.decode()


def test_the_rotate_action_shows_a_new_token_while_the_old_one_still_works(admin_client, core_banking, customer):
    integration, old = core_banking
    response = admin_client.post(
        "/admin/integrations/integration/",
        {"action": "rotate_token", "_selected_action": [integration.pk]},
    )
    (new,) = shown_tokens(response)
    assert new != old
    assert client_for(new).get(history_url(customer)).status_code == 200
    assert client_for(old).get(history_url(customer)).status_code == 200
    assert IntegrationToken.objects.get(token_hash=hash_token(old)).expires_at is not None


def test_the_revoke_action_stops_every_token(admin_client, core_banking, customer):
    integration, token = core_banking
    admin_client.post(
        "/admin/integrations/integration/", {"action": "revoke_tokens", "_selected_action": [integration.pk]}
    )
    assert client_for(token).get(history_url(customer)).status_code == 401


def test_the_call_log_can_be_read_but_not_changed(admin_client, api, customer):
    api.get(history_url(customer))
    call = ApiCall.objects.get()
    assert admin_client.get("/admin/integrations/apicall/").status_code == 200
    page = admin_client.get(f"/admin/integrations/apicall/{call.pk}/change/")
    assert page.status_code == 200 and 'type="submit"' not in page.content.decode().split("<form")[-1]
    assert admin_client.get("/admin/integrations/apicall/add/").status_code == 403
    assert admin_client.post(f"/admin/integrations/apicall/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiCall.objects.filter(pk=call.pk).exists()


def test_agents_cannot_reach_the_integrations_admin(client):
    agent = factories.UserFactory(username="alice", roles=["agent"])
    client.force_login(agent)
    assert client.get("/admin/integrations/integration/").status_code == 302
