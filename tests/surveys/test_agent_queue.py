from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
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
