"""The OpenAPI schema at /api/v1/schema/, and the API fuzzed from it (schemathesis) answering no 5xx."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error

from integrations import services, views
from integrations.models import Scope
from tests import factories
from wallet_followup.wsgi import application

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("/api/v1/wallet-events/", "post"),
    ("/api/v1/wallet-events/batch/", "post"),
    ("/api/v1/customers/{bank_reference}/", "put"),
    ("/api/v1/customers/{bank_reference}/opt-outs/", "post"),
    ("/api/v1/customers/{bank_reference}/contact-history/", "get"),
    ("/api/v1/follow-ups/{follow_up_id}/", "get"),
}


def test_the_schema_is_served_without_a_token_and_describes_every_endpoint_and_the_bearer_token(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    documented = {(path, method) for path, operations in schema["paths"].items() for method in operations}
    assert documented == ENDPOINTS
    assert any(scheme.get("scheme") == "bearer" for scheme in schema["components"]["securitySchemes"].values())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Called through WSGI, Django closes the database connection after each request, and with it the
    test's transaction; Django's own test client disconnects the same handler for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzzing_token(db):
    """A token with every scope, and the customer and follow-up the schema's examples name, so the first
    generated requests succeed and the rest vary from there."""
    customer = factories.CustomerFactory(bank_reference=views.EXAMPLE_CUSTOMER)
    factories.FollowUpFactory(id=1, customer=customer)
    _integration, token = services.create_integration(name="fuzzer", scopes=list(Scope.values))
    return token


# Read once, when the tests are collected (the schema view touches no database). schemathesis's lazy
# from_fixture loader would read it per test, but does not run under this pytest version.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_generated_requests_never_get_a_server_error(case, fuzzing_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzzing_token}"}, checks=[not_a_server_error])
