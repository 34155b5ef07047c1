"""The bank's systems as API clients: one integration per test, with a token in clear and a client using it."""

from __future__ import annotations

import copy
import uuid

import pytest
from rest_framework.test import APIClient

from integrations import services
from integrations.models import Scope


@pytest.fixture(autouse=True)
def _generous_rate(settings):
    # Throttling has its own tests; elsewhere a test must never be refused for going fast.
    settings.API_RATE_PER_MINUTE = 100_000


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Cache keys of this test alone. The Redis cache outlives the test database: the rate counters of an
    integration created at a frozen instant with a reused id would otherwise carry over between tests and
    between test runs sharing the Redis (CI, other checkouts)."""
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches.values():
        alias["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches  # Django's test signals rebuild the cache handlers


def client_for(token: str | None) -> APIClient:
    """An API client sending this bearer token, asking for English messages, with CSRF checks on."""
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def core_banking(db):
    """The core banking system: every scope. Returns (integration, token)."""
    return services.create_integration(name="core-banking", scopes=list(Scope.values))


@pytest.fixture
def api(core_banking):
    return client_for(core_banking[1])
