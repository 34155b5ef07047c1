"""Each endpoint needs its own scope: a token without it gets 403, whatever else it may do."""

import pytest

from integrations import services
from integrations.models import Scope
from tests import factories
from tests.integrations.conftest import client_for

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    (Scope.EVENTS_WRITE, "post", "/api/v1/wallet-events/"),
    (Scope.EVENTS_WRITE, "post", "/api/v1/wallet-events/batch/"),
    (Scope.CUSTOMERS_WRITE, "put", "/api/v1/customers/{ref}/"),
    (Scope.OPTOUTS_WRITE, "post", "/api/v1/customers/{ref}/opt-outs/"),
    (Scope.FOLLOWUPS_READ, "get", "/api/v1/follow-ups/{follow_up}/"),
    (Scope.CUSTOMERS_READ, "get", "/api/v1/customers/{ref}/contact-history/"),
]


@pytest.mark.parametrize(("scope", "method", "url"), ENDPOINTS, ids=[scope for scope, _m, _u in ENDPOINTS])
def test_a_token_without_the_endpoints_scope_gets_403_and_changes_nothing(scope, method, url, customer):
    follow_up = factories.FollowUpFactory(customer=customer)
    others = [other for other in Scope.values if other != scope]
    _integration, token = services.create_integration(name="everything-else", scopes=others)
    before = (customer.consent_records.count(), customer.wallet_events.count())

    response = getattr(client_for(token), method)(
        url.format(ref=customer.bank_reference, follow_up=follow_up.pk), {}, format="json"
    )

    assert response.status_code == 403
    assert (customer.consent_records.count(), customer.wallet_events.count()) == before


@pytest.mark.parametrize(("scope", "method", "url"), ENDPOINTS, ids=[scope for scope, _m, _u in ENDPOINTS])
def test_the_endpoints_scope_alone_is_enough_to_get_past_the_scope_check(scope, method, url, customer):
    follow_up = factories.FollowUpFactory(customer=customer)
    _integration, token = services.create_integration(name="one-scope", scopes=[scope])

    response = getattr(client_for(token), method)(
        url.format(ref=customer.bank_reference, follow_up=follow_up.pk), {}, format="json"
    )

    # An empty body is bad input for the writes (400) and fine for the reads (200); never 401/403.
    assert response.status_code in {200, 201, 400}
