"""Each integration has its own rate (429 with Retry-After past it); every call is logged in one INSERT."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import services
from integrations.models import ApiCall
from tests.integrations.conftest import client_for

pytestmark = pytest.mark.django_db


def history_url(customer):
    return f"/api/v1/customers/{customer.bank_reference}/contact-history/"


def test_past_its_rate_an_integration_gets_429_with_retry_after_and_others_are_not_slowed(settings, customer):
    settings.API_RATE_PER_MINUTE = 3
    _busy, busy_token = services.create_integration(name="busy", scopes=["customers:read"])
    _calm, calm_token = services.create_integration(name="calm", scopes=["customers:read"])
    busy = client_for(busy_token)

    statuses = [busy.get(history_url(customer)).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = busy.get(history_url(customer))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert client_for(calm_token).get(history_url(customer)).status_code == 200


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
