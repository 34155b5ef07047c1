"""Only a working integration token opens the API: no token, a wrong, revoked or expired one gets 401."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from integrations import services
from integrations.models import IntegrationToken
from integrations.tokens import hash_token
from tests import factories
from tests.integrations.conftest import client_for

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def follow_up_url(customer):
    return f"/api/v1/customers/{customer.bank_reference}/contact-history/"


def test_a_request_without_a_token_is_refused_with_401_and_told_how_to_authenticate(customer):
    response = client_for(None).get(follow_up_url(customer))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_refused_with_401(core_banking, customer):
    response = client_for("wfu_not-a-token-anyone-was-given").get(follow_up_url(customer))
    assert response.status_code == 401


def test_a_malformed_authorization_header_is_refused_with_401(core_banking, customer):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert client.get(follow_up_url(customer)).status_code == 401


def test_a_working_token_opens_the_api(api, customer):
    assert api.get(follow_up_url(customer)).status_code == 200


def test_only_the_hash_of_a_token_is_stored(core_banking):
    integration, token = core_banking
    stored = IntegrationToken.objects.get(integration=integration)
    assert stored.token_hash == hash_token(token)
    assert token not in {stored.token_hash, stored.hint}
    assert token.startswith(stored.hint)


def test_a_revoked_token_stops_working_at_once(core_banking, customer):
    integration, token = core_banking
    services.revoke_tokens(integration=integration)
    assert client_for(token).get(follow_up_url(customer)).status_code == 401


def test_a_token_used_a_moment_ago_stops_working_at_once_when_revoked(core_banking, customer):
    integration, token = core_banking
    assert client_for(token).get(follow_up_url(customer)).status_code == 200  # now in the token cache
    services.revoke_tokens(integration=integration)
    assert client_for(token).get(follow_up_url(customer)).status_code == 401


def test_a_token_used_a_moment_ago_stops_working_at_once_when_rotated_out_without_grace(core_banking, customer):
    integration, old = core_banking
    assert client_for(old).get(follow_up_url(customer)).status_code == 200  # now in the token cache
    new = services.rotate_token(integration=integration, grace=timedelta(0))
    assert client_for(old).get(follow_up_url(customer)).status_code == 401
    assert client_for(new).get(follow_up_url(customer)).status_code == 200


def test_a_working_token_is_read_from_the_database_once_and_then_from_the_cache(core_banking, customer):
    _integration, token = core_banking
    with CaptureQueriesContext(connection) as first:
        client_for(token).get(follow_up_url(customer))
    with CaptureQueriesContext(connection) as second:
        client_for(token).get(follow_up_url(customer))
    token_reads = [[q for q in run.captured_queries if "integrationtoken" in q["sql"]] for run in (first, second)]
    assert [len(reads) for reads in token_reads] == [1, 0]


def test_a_deactivated_integration_is_refused(core_banking, customer):
    integration, token = core_banking
    integration.is_active = False
    integration.save()
    assert client_for(token).get(follow_up_url(customer)).status_code == 401


def test_after_rotation_the_old_token_works_for_the_grace_period_and_then_stops(db, customer, settings):
    settings.API_TOKEN_GRACE_HOURS = 24
    with time_machine.travel(NOON, tick=False) as clock:
        integration, old = services.create_integration(name="wallet-backend", scopes=["customers:read"])
        new = services.rotate_token(integration=integration)

        clock.move_to(NOON + timedelta(hours=23, minutes=59))
        assert client_for(old).get(follow_up_url(customer)).status_code == 200
        assert client_for(new).get(follow_up_url(customer)).status_code == 200

        clock.move_to(NOON + timedelta(hours=24, seconds=1))
        assert client_for(old).get(follow_up_url(customer)).status_code == 401
        assert client_for(new).get(follow_up_url(customer)).status_code == 200


def test_rotating_twice_does_not_prolong_the_first_tokens_grace(db, customer, settings):
    settings.API_TOKEN_GRACE_HOURS = 24
    with time_machine.travel(NOON, tick=False) as clock:
        integration, first = services.create_integration(name="wallet-backend", scopes=["customers:read"])
        services.rotate_token(integration=integration)
        clock.move_to(NOON + timedelta(hours=12))
        services.rotate_token(integration=integration)
        clock.move_to(NOON + timedelta(hours=24, seconds=1))
        assert client_for(first).get(follow_up_url(customer)).status_code == 401


def test_a_staff_session_does_not_authenticate_the_api(customer):
    administrator = factories.UserFactory(username="adam", is_staff=True, is_superuser=True)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(administrator)
    assert browser.get(follow_up_url(customer)).status_code == 401


def test_token_authenticated_writes_need_no_csrf_token(api, customer):
    # The client enforces CSRF checks (conftest); a bearer token is not a cookie a browser sends by itself.
    response = api.post(f"/api/v1/customers/{customer.bank_reference}/opt-outs/", {"channels": ["sms"]}, format="json")
    assert response.status_code == 201
