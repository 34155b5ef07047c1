"""Each integration has its own rate (429 with Retry-After past it); every call is logged in one INSERT."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import services
from integrations.models import ApiCall
from tests.integrations.conftest import client_for

pytestmark = pytest.mark.django_db

# Half past a minute: the rate counts per clock minute, and no test here should straddle two. Each test
# has its own day: on SQLite ids are reused from test to test, and with the clock frozen so would be the
# creation instant that keys an integration's counter in the (persistent) cache.
MID_MINUTE = datetime(2026, 3, 2, 4, 0, 30, tzinfo=UTC)


def history_url(customer):
    return f"/api/v1/customers/{customer.bank_reference}/contact-history/"


def test_past_its_rate_an_integration_gets_429_with_retry_after_and_others_are_not_slowed(settings, customer):
    settings.API_RATE_PER_MINUTE = 3
    with time_machine.travel(MID_MINUTE, tick=False):
        _busy, busy_token = services.create_integration(name="busy", scopes=["customers:read"])
        _calm, calm_token = services.create_integration(name="calm", scopes=["customers:read"])
        busy = client_for(busy_token)

        statuses = [busy.get(history_url(customer)).status_code for _ in range(4)]

        assert statuses == [200, 200, 200, 429]
        refused = busy.get(history_url(customer))
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 60
        assert client_for(calm_token).get(history_url(customer)).status_code == 200


def test_a_refused_integration_is_told_to_wait_until_the_next_minute_and_is_served_then(settings, customer):
    settings.API_RATE_PER_MINUTE = 2
    start = MID_MINUTE + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        _busy, token = services.create_integration(name="busy", scopes=["customers:read"])
        busy = client_for(token)
        assert [busy.get(history_url(customer)).status_code for _ in range(2)] == [200, 200]

        clock.move_to(start + timedelta(seconds=20))
        refused = busy.get(history_url(customer))
        assert (refused.status_code, refused["Retry-After"]) == (429, "10")

        clock.move_to(start + timedelta(seconds=30))
        assert busy.get(history_url(customer)).status_code == 200


def test_a_high_rate_costs_each_request_the_same_as_a_low_one(settings, customer):
    # The counter is one number per minute, not the list of every request's time: the cache value stays tiny.
    from django.core.cache import cache

    settings.API_RATE_PER_MINUTE = 1_000_000
    start = MID_MINUTE + timedelta(days=2)
    with time_machine.travel(start, tick=False):
        integration, token = services.create_integration(name="busy", scopes=["customers:read"])
        busy = client_for(token)
        for _ in range(30):
            assert busy.get(history_url(customer)).status_code == 200
        window = int(start.timestamp() // 60)
        key = f"api-rate:{integration.pk}:{integration.created_at.timestamp():.6f}:{window}"
        assert cache.get(key) == 30


def test_a_call_is_logged_with_its_integration_method_path_status_duration_and_request_id(core_banking, api, customer):
    integration, _token = core_banking
    response = api.get(history_url(customer), HTTP_X_REQUEST_ID="bank-req-42")

    assert response["X-Request-ID"] == "bank-req-42"
    call = ApiCall.objects.get()
    assert (call.integration, call.method, call.path, call.status) == (integration, "GET", history_url(customer), 200)
    assert call.request_id == "bank-req-42"
    assert call.duration_ms >= 0


def test_a_call_without_a_request_id_gets_one_and_an_unusable_one_is_replaced(api, customer):
    given = api.get(history_url(customer)).headers["X-Request-ID"]
    replaced = api.get(history_url(customer), HTTP_X_REQUEST_ID="<script>" * 10).headers["X-Request-ID"]
    assert len(given) == 32 and len(replaced) == 32 and given != replaced
    assert set(ApiCall.objects.values_list("request_id", flat=True)) == {given, replaced}


def test_refused_calls_are_logged_too_without_an_integration(db, customer):
    client_for("wfu_wrong").get(history_url(customer))
    call = ApiCall.objects.get()
    assert (call.integration, call.status) == (None, 401)


def test_the_log_keeps_no_request_body(api, customer):
    api.put(f"/api/v1/customers/{customer.bank_reference}/", {"phone": "+8613912345678"}, format="json")
    logged = ApiCall.objects.values().get()
    assert "13912345678" not in repr(logged)


def test_logging_a_call_is_a_single_insert(api, customer):
    with CaptureQueriesContext(connection) as queries:
        api.get(history_url(customer))
    inserts = [q["sql"] for q in queries.captured_queries if "integrations_apicall" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].lstrip().upper().startswith("INSERT")
