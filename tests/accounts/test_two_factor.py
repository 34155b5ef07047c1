"""Every member of staff passes a second factor after the password: an authenticator app, or a recovery code."""

import re
from base64 import b32decode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import regenerate_recovery_codes
from audit.models import AuditEntry
from tests import factories
from tests.accounts.sign_in import give_code, give_password

pytestmark = pytest.mark.django_db

AGENT_QUEUE = reverse("surveys:agent-queue")
SET_UP = reverse("two-factor-setup")
VERIFY = reverse("two-factor-verify")


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def text(response) -> str:
    return response.content.decode()


def key_on_page(response) -> bytes:
    """The key the set-up page shows for typing into an app, as bytes."""
    typed = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', text(response)).group(1)
    return b32decode(typed.replace(" ", ""))


def code_for(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


def test_alice_without_an_app_is_sent_to_set_one_up_before_any_staff_page_or_the_admin(agent, administrator):
    for user, page in ((agent, AGENT_QUEUE), (administrator, reverse("admin:index"))):
        client = Client()
        give_password(client, user.username)

        response = client.get(page)

        assert response.status_code == 302
        assert response["Location"] == f"{SET_UP}?next={page.replace('/', '%2F')}"


def test_alice_with_an_app_is_asked_for_a_code_and_then_taken_where_she_was_going(agent):
    device = factories.authenticator_of(agent)
    client = Client()
    give_password(client, "alice")

    response = client.get(AGENT_QUEUE)
    assert response["Location"] == f"{VERIFY}?next=%2Fagent%2Fqueue%2F"

    response = client.post(response["Location"], {"code": factories.current_code(device)})
    assert response["Location"] == AGENT_QUEUE
    assert client.get(AGENT_QUEUE).status_code == 200


def test_the_code_page_never_sends_alice_to_another_site(agent):
    device = factories.authenticator_of(agent)
    client = Client()
    give_password(client, "alice")

    response = client.post(f"{VERIFY}?next=https://evil.example/", {"code": factories.current_code(device)})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def wrong_code(device) -> str:
    return f"{(int(factories.current_code(device)) + 500_000) % 1_000_000:06d}"


def test_a_wrong_code_is_refused_with_a_message_at_the_code_field(agent):
    device = factories.authenticator_of(agent)
    client = english()
    give_password(client, "alice")

    response = give_code(client, wrong_code(device))

    assert response.status_code == 200
    assert "That code is not right" in text(response)
    assert 'id="id_code"' in text(response) and "is-invalid" in text(response)
    assert client.get(AGENT_QUEUE).status_code == 302


def test_customer_pages_health_and_the_api_need_no_second_factor(agent, client):
    give_password(client, "alice")

    assert client.get("/health/").status_code in {200, 503}
    assert client.get(reverse("trust:verify")).status_code == 200
    assert client.get("/s/not-a-real-token/").status_code != 302
    assert client.get("/api/v1/follow-ups/1/").status_code == 401
    # The survey preview sits under /s/ but is a staff page.
    assert client.get("/s/preview/1/en/")["Location"].startswith(SET_UP)


def test_the_set_up_page_shows_a_qr_code_drawn_here_and_the_key_to_type(agent):
    client = english()
    give_password(client, "alice")

    response = client.get(SET_UP)

    page = text(response)
    assert "<svg" in page and 'class="segno"' in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Wallet follow-up: alice" in page
    assert len(key_on_page(response)) == 20
    assert key_on_page(client.get(SET_UP)) == key_on_page(response), "a reload keeps the key a phone may have scanned"


def test_enrolment_with_a_wrong_code_is_refused_and_writes_no_device(agent):
    client = english()
    give_password(client, "alice")
    key = key_on_page(client.get(SET_UP))
    wrong = f"{(int(code_for(key)) + 500_000) % 1_000_000:06d}"

    response = client.post(SET_UP, {"code": wrong})

    assert response.status_code == 200
    assert "That code does not match" in text(response)
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert client.get(AGENT_QUEUE)["Location"].startswith(SET_UP)


def test_enrolment_with_a_current_code_sets_up_the_app_and_shows_ten_recovery_codes_once(agent):
    client = english()
    give_password(client, "alice")
    key = key_on_page(client.get(SET_UP))

    response = client.post(SET_UP, {"code": code_for(key)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("recovery-codes")
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", text(response))
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=agent, confirmed=True).bin_key == key
    assert client.get(AGENT_QUEUE).status_code == 200
    again = text(client.get(reverse("recovery-codes")))
    assert not any(code in again for code in codes)
    assert "10 unused recovery codes" in again


def test_the_code_that_confirmed_the_app_cannot_sign_in_again(agent):
    client = english()
    give_password(client, "alice")
    key = key_on_page(client.get(SET_UP))
    code = code_for(key)
    client.post(SET_UP, {"code": code})
    client.post(reverse("logout"))

    give_password(client, "alice")
    response = give_code(client, code)

    assert "That code is not right" in text(response)


def test_a_recovery_code_works_once(agent):
    factories.authenticator_of(agent)
    client = english()
    give_password(client, "alice")
    first, *_ = regenerate_recovery_codes(user=agent)

    response = give_code(client, first.upper(), follow=True)
    assert response.redirect_chain[-1][0] == AGENT_QUEUE
    assert "You used a recovery code; 9 are left." in text(response)

    client.post(reverse("logout"))
    give_password(client, "alice")
    response = give_code(client, first)
    assert "That code is not right" in text(response)
    assert client.get(AGENT_QUEUE).status_code == 302


def test_making_new_recovery_codes_stops_the_old_ones(agent, client):
    old = regenerate_recovery_codes(user=agent)
    client.force_login(agent)

    response = client.post(reverse("recovery-codes"), follow=True)

    new = re.findall(r"<li>([a-z2-7]{8})</li>", text(response))
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=agent).values_list("token", flat=True)) == set(new)


def test_an_administrators_reset_makes_alice_set_up_a_new_app_at_her_next_sign_in(agent, administrator):
    factories.authenticator_of(agent)
    alices_browser = Client()
    alices_browser.force_login(agent)
    admin = Client()
    admin.force_login(administrator)

    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [agent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=agent).exists()
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.ROLE_CHANGED, target_id=str(agent.pk))
    assert entry.actor == administrator and entry.details["change"] == "second factor reset"
    assert AuditEntry.objects.get(action=AuditEntry.Action.LOGOUT, target_id=str(agent.pk)).actor == administrator
    assert alices_browser.get(AGENT_QUEUE)["Location"].startswith(reverse("login")), "her sessions ended"
    give_password(alices_browser, "alice")
    assert alices_browser.get(AGENT_QUEUE)["Location"].startswith(SET_UP)


def test_the_security_page_shows_the_app_and_the_recovery_codes_left(agent):
    client = english()
    client.force_login(agent)

    page = text(client.get(reverse("security")))

    assert "Authenticator app set up on" in page
    assert "0 unused recovery codes" in page
    assert "Sign out everywhere" in page
