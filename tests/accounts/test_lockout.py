"""Five failed sign-ins (wrong passwords or wrong codes) lock a staff account for fifteen minutes."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests import factories
from tests.accounts.sign_in import give_code, give_password

pytestmark = pytest.mark.django_db

AGENT_QUEUE = reverse("surveys:agent-queue")
LOCKED = "This account is locked after too many failed sign-in attempts. Try again in 15 minutes"


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def fail_passwords(client: Client, username: str, times: int):
    response = None
    for _ in range(times):
        response = give_password(client, username, "not-the-password")
    return response


def test_four_wrong_passwords_do_not_lock_alice(agent):
    client = english()
    fail_passwords(client, "alice", 4)

    response = give_password(client, "alice")

    assert response.status_code == 302


def test_five_wrong_passwords_lock_alice_and_the_sign_in_page_says_so(agent):
    client = english()

    response = fail_passwords(client, "alice", 5)

    assert response.status_code == 403
    assert LOCKED in response.content.decode()
    assert '<form method="post"' in response.content.decode(), "the sign-in page itself, not a bare error"


def test_the_right_password_is_refused_while_alice_is_locked(agent):
    client = english()
    fail_passwords(client, "alice", 5)

    response = give_password(client, "alice")

    assert response.status_code == 403
    assert LOCKED in response.content.decode()
    assert client.get(AGENT_QUEUE)["Location"].startswith(reverse("login"))


def test_the_lock_lifts_by_itself_after_fifteen_minutes(agent):
    client = english()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_passwords(client, "alice", 5)
        clock.shift(timedelta(minutes=14))
        assert give_password(client, "alice").status_code == 403
        clock.shift(timedelta(minutes=2))
        assert give_password(client, "alice").status_code == 302


def test_locking_alice_leaves_bob_free_to_sign_in(agent, bob):
    client = english()
    fail_passwords(client, "alice", 5)

    assert give_password(client, "bob").status_code == 302


def test_an_administrator_unlocks_alice_at_once(agent, administrator):
    fail_passwords(english(), "alice", 5)
    admin = Client()
    admin.force_login(administrator)

    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [agent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.ROLE_CHANGED, target_id=str(agent.pk))
    assert entry.actor == administrator and entry.details["change"] == "sign-in unlocked"
    assert give_password(english(), "alice").status_code == 302


def test_the_administrator_sees_the_lock_in_the_admin_and_can_delete_it(agent, administrator):
    from axes.models import AccessAttempt

    fail_passwords(english(), "alice", 5)
    admin = Client()
    admin.force_login(administrator)
    attempt = AccessAttempt.objects.get(username="alice")

    assert admin.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert give_password(english(), "alice").status_code == 302


def test_five_wrong_codes_sign_alice_out_and_lock_her_account(agent):
    device = factories.authenticator_of(agent)
    client = english()
    give_password(client, "alice")
    right = factories.current_code(device)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"

    for _ in range(4):
        assert give_code(client, wrong).status_code == 200
    response = give_code(client, wrong)

    assert response.status_code == 403
    assert LOCKED in response.content.decode()
    assert client.get(AGENT_QUEUE)["Location"].startswith(reverse("login")), "signed out"
    assert give_password(client, "alice").status_code == 403


def test_a_full_sign_in_forgets_earlier_failures(agent):
    device = factories.authenticator_of(agent)
    client = english()
    fail_passwords(client, "alice", 4)
    give_password(client, "alice")
    give_code(client, factories.current_code(device))
    client.post(reverse("logout"))

    response = fail_passwords(client, "alice", 1)

    assert response.status_code == 200, "one more failure is the first of a new count"


def test_the_lock_record_shows_the_address_the_trusted_proxy_saw_not_the_proxys(agent, settings):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")

    fail_passwords(client, "alice", 1)

    assert AccessAttempt.objects.get(username="alice").ip_address == "203.0.113.7"
