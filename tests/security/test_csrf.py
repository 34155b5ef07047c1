"""CSRF: a POST without a token is refused on every URL of the site, signed in or not.

The HTTP API under /api/ is left out: it authenticates only integration bearer tokens, never a session
cookie (a browser cannot be made to send the token, so there is nothing to forge); the last test proves a
staff session does not authenticate it. The RFC 8058 one-click opt-out is the one other exempt URL: mail
clients POST it without a token, and all it can do is stop messages to the link's customer.
"""

import logging

import pytest
from django.test import Client

from tests.security.urls import site_urls

pytestmark = pytest.mark.django_db

EXEMPT = {"trust:opt-out-one-click"}


def forms_of_the_site():
    return [url for url in site_urls() if not url.route.startswith("api/")]


def test_no_view_outside_the_api_is_exempt_from_csrf_but_the_one_click_opt_out():
    exempt = {url.name for url in forms_of_the_site() if url.csrf_exempt}
    assert exempt == EXEMPT


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "administrator"])
def test_a_post_without_a_token_is_refused_on_every_url(signed_in, administrator, caplog):
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(administrator)
    accepted = []
    for url in forms_of_the_site():
        if url.name in EXEMPT:
            continue
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
            response = client.post(url.fill(), {"anything": "1"})
        refused_for_csrf = response.status_code == 403 and any(
            record.name == "django.security.csrf" for record in caplog.records
        )
        if not refused_for_csrf:
            accepted.append((url.route, response.status_code))
    assert accepted == []
    assert len(forms_of_the_site()) > 60  # the walk found the site, admin included


def test_a_staff_session_does_not_authenticate_the_api(administrator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    response = client.post("/api/v1/wallet-events/", {}, content_type="application/json")
    assert response.status_code == 401
