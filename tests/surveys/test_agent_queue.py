from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import queries
from surveys.models import FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def office_hours():
    """A Wednesday, 10:00 in Shanghai: calls are allowed, so what is due is what is shown."""
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def test_the_queue_shows_due_calls_with_the_phone_masked(client, agent, customer):
    factories.FollowUpFactory(customer=customer, assigned_agent=agent)
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue")).content.decode()
    assert "王芳" in page
    assert "+86 138****8000" in page
    assert "13800138000" not in page


def test_alice_does_not_see_calls_assigned_to_another_agent(client, agent):
    bob = factories.UserFactory(username="bob", roles=["agent"])
    factories.FollowUpFactory(customer__name="Bob's customer", assigned_agent=bob)
    client.force_login(agent)
    assert "Bob&#x27;s customer" not in client.get(reverse("surveys:agent-queue")).content.decode()


def test_future_and_closed_follow_ups_are_not_in_the_queue(client, agent):
    factories.FollowUpFactory(
        customer__name="Later", assigned_agent=agent, scheduled_for=timezone.now() + timedelta(hours=2)
    )
    factories.FollowUpFactory(customer__name="Finished", assigned_agent=agent, status=FollowUp.Status.COMPLETED)
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Later" not in page and "Finished" not in page
    assert "1 more call is scheduled for you later" in page


def test_customer_names_are_escaped(client, agent):
    factories.FollowUpFactory(customer__name="<script>alert(1)</script>", assigned_agent=agent)
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_due_call_at_23_00_local_is_not_in_the_queue(client, agent):
    factories.FollowUpFactory(customer__name="Shanghai customer", assigned_agent=agent)
    factories.FollowUpFactory(
        customer__name="New York customer", customer__time_zone="America/New_York", assigned_agent=agent
    )  # 22:00 on Tuesday in New York (EDT): quiet hours
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue")).content.decode()
    assert "Shanghai customer" in page
    assert "New York customer" not in page


def test_the_queue_is_empty_at_night_in_the_customers_time_zone(agent):
    factories.FollowUpFactory(assigned_agent=agent)
    night = datetime(2026, 3, 11, 23, 0, tzinfo=SHANGHAI)
    with time_machine.travel(night, tick=False):
        assert not queries.agent_queue(agent=agent, now=timezone.now()).exists()
    assert queries.agent_queue(agent=agent, now=night + timedelta(hours=10)).exists()  # 09:00 the next day


def test_calls_of_a_paused_campaign_and_of_opted_out_customers_are_not_in_the_queue(agent):
    factories.FollowUpFactory(assigned_agent=agent, campaign__status="paused")
    factories.FollowUpFactory(assigned_agent=agent, customer__phone_opt_out_at=timezone.now())
    shown = factories.FollowUpFactory(assigned_agent=agent)
    assert list(queries.agent_queue(agent=agent, now=timezone.now())) == [shown]


# --- Two sections, claiming and giving back -------------------------------------------------------


def section(page: str, key: str) -> str:
    """The HTML of one section of the queue ("mine" or "pool")."""
    start = page.index(f'id="queue-{key}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_the_page_shows_my_calls_and_the_shared_pool_apart(client, agent):
    factories.FollowUpFactory(customer__name="Mine", assigned_agent=agent)
    factories.FollowUpFactory(customer__name="Anyone's")
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My calls" in page and "Shared pool" in page
    assert "Mine" in section(page, "mine") and "Anyone&#x27;s" not in section(page, "mine")
    assert "Anyone&#x27;s" in section(page, "pool")
    assert "claiming calls from the shared pool — is being built" not in page


def test_each_row_shows_what_the_call_needs(client, agent, customer):
    event = factories.WalletEventFactory(customer=customer, kind="payment_failed")
    factories.FollowUpFactory(customer=customer, wallet_event=event, attempts=2)
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    pool = section(page, "pool")
    assert "王芳" in pool and "+86 138****8000" in pool and "13800138000" not in page
    assert "10:00" in pool and "Asia/Shanghai" in pool  # the customer's local time now
    assert "Payment failed" in pool
    assert customer.app_version in pool
    assert "<td>2</td>" in pool


def test_claiming_a_pool_call_moves_it_to_my_calls(client, agent):
    follow_up = factories.FollowUpFactory(customer__name="Zhang Wei")
    client.force_login(agent)
    answer = client.post(reverse("surveys:claim", args=[follow_up.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    page = answer.content.decode()
    assert answer.redirect_chain == [(reverse("surveys:agent-queue"), 302)]
    assert "The call with Zhang Wei is yours now" in page
    assert "Zhang Wei" in section(page, "mine") and "Zhang Wei" not in section(page, "pool")
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent == agent


def test_a_call_bob_took_first_is_refused_with_a_message(client, agent, bob):
    follow_up = factories.FollowUpFactory(customer__name="Zhang Wei")
    bobs_browser = Client()
    bobs_browser.force_login(bob)
    bobs_browser.post(reverse("surveys:claim", args=[follow_up.pk]))
    client.force_login(agent)
    answer = client.post(reverse("surveys:claim", args=[follow_up.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 404  # the same answer as for any call Alice may not see
    assert "no longer in the shared pool" in answer.content.decode()
    assert "Zhang Wei" not in answer.content.decode()
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent == bob


def test_a_pool_call_that_is_no_longer_due_is_refused_with_a_message(client, agent):
    follow_up = factories.FollowUpFactory(campaign__status="paused")
    client.force_login(agent)
    answer = client.post(reverse("surveys:claim", args=[follow_up.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This call cannot be taken now" in answer.content.decode()
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent is None


def test_alice_cannot_claim_or_give_back_bobs_call(client, agent, bob):
    follow_up = factories.FollowUpFactory(assigned_agent=bob)
    client.force_login(agent)
    assert client.post(reverse("surveys:claim", args=[follow_up.pk])).status_code == 404
    assert client.post(reverse("surveys:release", args=[follow_up.pk])).status_code == 404
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent == bob


def test_alice_gives_her_call_back_to_the_pool(client, agent):
    follow_up = factories.FollowUpFactory(customer__name="Zhang Wei", assigned_agent=agent)
    client.force_login(agent)
    page = client.post(
        reverse("surveys:release", args=[follow_up.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    ).content.decode()
    assert "back in the shared pool" in page
    assert "Zhang Wei" in section(page, "pool")
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent is None


def test_a_manager_may_not_claim_or_see_the_queue(client, manager):
    follow_up = factories.FollowUpFactory()
    client.force_login(manager)
    assert client.get(reverse("surveys:agent-queue")).status_code == 403
    assert client.get(reverse("surveys:agent-queue-rows")).status_code == 403
    assert client.post(reverse("surveys:claim", args=[follow_up.pk])).status_code == 403
    assert client.post(reverse("surveys:release", args=[follow_up.pk])).status_code == 403
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent is None


def test_signed_out_visitors_go_to_the_login_page(client):
    follow_up = factories.FollowUpFactory()
    answer = client.post(reverse("surveys:claim", args=[follow_up.pk]))
    assert answer.status_code == 302 and "login" in answer["Location"]
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent is None


def test_claiming_needs_a_post_with_a_csrf_token(agent):
    follow_up = factories.FollowUpFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(reverse("surveys:claim", args=[follow_up.pk])).status_code == 405
    assert client.post(reverse("surveys:claim", args=[follow_up.pk])).status_code == 403
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent is None


@pytest.mark.parametrize(
    "path",
    [
        "/agent/queue/0/claim/",
        "/agent/queue/abc/claim/",
        "/agent/queue/99999999999999999999/claim/",
        "/agent/queue/99999999999999999999/release/",
        "/agent/queue/-1/release/",
    ],
)
def test_a_bad_id_is_a_404_not_a_500(client, agent, path):
    client.force_login(agent)
    assert client.post(path).status_code == 404


def test_the_rows_partial_renders_both_sections_and_reloads_itself(client, agent):
    factories.FollowUpFactory(customer__name="Mine", assigned_agent=agent)
    factories.FollowUpFactory(customer__name="Pooled")
    client.force_login(agent)
    answer = client.get(reverse("surveys:agent-queue-rows"), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "<html" not in page
    assert "Mine" in section(page, "mine") and "Pooled" in section(page, "pool")
    assert f'hx-get="{reverse("surveys:agent-queue-rows")}"' in page
    assert 'hx-trigger="every 30s"' in page
    assert "csrfmiddlewaretoken" in page  # the claim forms still work after a swap


def test_the_page_has_no_inline_script_or_style(client, agent):
    factories.FollowUpFactory()
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue")).content.decode()
    assert "<script>" not in page and "style=" not in page and "onclick" not in page
    assert "js/agent-queue.js" in page and "vendor/htmx/htmx.min.js" in page
