"""An agent schedules a call for a customer who rang in, on a phone-sized screen, in a real headless Chromium.

The live server runs on the real clock, so the forbidden time typed is 23:00 tomorrow in the customer's zone:
always inside the quiet hours, whatever the day.
"""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from surveys.models import FollowUp
from tests import factories
from tests.browser import PHONE, no_sideways_scroll, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_agent_schedules_a_call_and_is_offered_the_nearest_allowed_time_for_a_forbidden_one(page: Page, live_server):
    alice = factories.UserFactory(username="alice", first_name="Alice", roles=["agent"])
    customer = factories.CustomerFactory(
        name="Wang Fang",
        bank_reference="C-000123",
        phone="+8613800138000",
        time_zone="Asia/Shanghai",
        consent_given_at=timezone.now() - timedelta(days=100),
        consent_source="enrolment",
    )
    sign_in(page, live_server, english=True, username="alice")
    page.set_viewport_size(PHONE)  # after signing in: on a phone the language menu is folded away

    page.goto(f"{live_server.url}/agent/queue/")
    page.get_by_role("link", name="Schedule a call").click()
    page.get_by_label("Bank reference or phone number").fill("C-000123")
    page.get_by_role("button", name="Find").click()
    result = page.get_by_role("listitem").filter(has_text="Wang Fang")
    expect(result).to_contain_text("+86 138****8000")
    result.get_by_role("link", name="Schedule a call").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule a call to Wang Fang")
    offered = page.locator("input[name=slot]")
    expect(offered).to_have_count(7)  # six allowed times and "another time"
    assert no_sideways_scroll(page)
    screenshot(page, "agent-schedule-call-phone")

    tomorrow = (timezone.now().astimezone(SHANGHAI) + timedelta(days=1)).date()
    page.get_by_label("Another time (below)").check()
    page.locator("#id_at").fill(f"{tomorrow:%Y-%m-%d}T23:00")
    page.get_by_label("Why this call").fill("Rang in about a failed payment; call back about the refund")
    page.get_by_role("button", name="Schedule the call").click()

    expect(page.get_by_text(re.compile("The customer may not be called at that time"))).to_be_visible()
    suggested = page.locator("#id_at").input_value()
    assert suggested and suggested != f"{tomorrow:%Y-%m-%d}T23:00"
    expect(page.get_by_label("Another time (below)")).to_be_checked()
    assert not FollowUp.objects.filter(customer=customer).exists()

    page.get_by_role("button", name="Schedule the call").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My call queue")
    expect(page.get_by_text(re.compile("The call to Wang Fang is scheduled for"))).to_be_visible()
    follow_up = FollowUp.objects.get(customer=customer)
    assert follow_up.assigned_agent == alice
    assert f"{follow_up.scheduled_for.astimezone(SHANGHAI):%Y-%m-%dT%H:%M}" == suggested
    assert no_sideways_scroll(page)
