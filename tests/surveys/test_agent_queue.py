from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import FollowUp
from tests import factories

pytestmark = pytest.mark.django_db


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
