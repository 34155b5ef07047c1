"""Staff sessions end when idle, after a working day, at browser close, and on "sign out everywhere"."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import Expiry, session_expiry
from audit.models import AuditEntry

AGENT_QUEUE = reverse("surveys:agent-queue")
QUEUE_ROWS = reverse("surveys:agent-queue-rows")
IDLE = 30 * 60
DAY = 8 * 60 * 60


def expiry(*, signed_in_ago: float, last_seen_ago: float):
    now = 1_800_000_000.0
    return session_expiry(
        now=now, signed_in_at=now - signed_in_ago, last_seen_at=now - last_seen_ago, idle_seconds=IDLE, max_seconds=DAY
    )


def test_a_session_in_use_stays():
    assert expiry(signed_in_ago=DAY - 1, last_seen_ago=IDLE - 1) is None


def test_a_session_idle_for_thirty_minutes_ends():
    assert expiry(signed_in_ago=IDLE, last_seen_ago=IDLE) is Expiry.IDLE


def test_a_session_in_use_ends_after_a_working_day_all_the_same():
    assert expiry(signed_in_ago=DAY, last_seen_ago=0) is Expiry.TOO_LONG


def test_the_defaults_are_thirty_minutes_idle_and_eight_hours_in_all():
    assert (settings.SESSION_IDLE_SECONDS, settings.SESSION_COOKIE_AGE) == (IDLE, DAY)
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.django_db
def test_alice_idle_for_thirty_minutes_is_signed_out_and_told_why(agent):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(agent)
        assert client.get(AGENT_QUEUE).status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get(AGENT_QUEUE).status_code == 200, "29 minutes is not idle yet"
        clock.shift(timedelta(minutes=30))

        response = client.get(AGENT_QUEUE, follow=True)

    assert response.redirect_chain[0][0] == f"{reverse('login')}?next=%2Fagent%2Fqueue%2F"
    assert "You were signed out after 30 minutes without activity." in response.content.decode()


@pytest.mark.django_db
def test_the_queue_refreshing_itself_does_not_keep_an_empty_desk_signed_in(agent):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(agent)
        client.get(AGENT_QUEUE)
        for _ in range(59):  # the block refreshes itself every 30 s
            clock.shift(timedelta(seconds=30))
            assert client.get(QUEUE_ROWS, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="queue-rows").status_code == 200
        clock.shift(timedelta(seconds=30))

        response = client.get(QUEUE_ROWS, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="queue-rows")

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login"), "htmx reloads the whole page onto the sign-in page"


@pytest.mark.django_db
def test_alice_at_work_is_signed_out_eight_hours_after_signing_in(agent):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(agent)
        for _ in range(8 * 4 - 1):
            client.get(AGENT_QUEUE)
            clock.shift(timedelta(minutes=15))
        assert client.get(AGENT_QUEUE).status_code == 200
        clock.shift(timedelta(minutes=15))

        assert client.get(AGENT_QUEUE)["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_session_cookie_ends_with_the_browser(agent):
    client = Client()
    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery-staple"})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]
    assert cookie["httponly"]


@pytest.mark.django_db
def test_sign_out_everywhere_ends_alices_session_on_her_other_computer_too(agent):
    at_home, at_work = Client(), Client()
    at_home.force_login(agent)
    at_work.force_login(agent)
    assert at_home.get(AGENT_QUEUE).status_code == 200

    response = at_work.post(reverse("sign-out-everywhere"))

    assert response["Location"] == reverse("login")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGOUT, details__everywhere=True)
    assert (entry.actor, entry.target_id) == (agent, str(agent.pk))
    assert at_home.get(AGENT_QUEUE)["Location"].startswith(reverse("login"))
    assert at_work.get(AGENT_QUEUE)["Location"].startswith(reverse("login"))
    agent.refresh_from_db()
    at_home.force_login(agent)
    assert at_home.get(AGENT_QUEUE).status_code == 200, "signing in again works"


@pytest.mark.django_db
def test_sign_out_everywhere_needs_a_post(agent, client):
    client.force_login(agent)
    assert client.get(reverse("sign-out-everywhere")).status_code == 405
    assert client.get(AGENT_QUEUE).status_code == 200


@pytest.mark.django_db
def test_bobs_sessions_survive_alice_signing_out_everywhere(agent, bob):
    alice, bobs = Client(), Client()
    alice.force_login(agent)
    bobs.force_login(bob)

    alice.post(reverse("sign-out-everywhere"))

    assert bobs.get(AGENT_QUEUE).status_code == 200
