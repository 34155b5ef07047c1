"""A customer stops messages and checks a message's code on a phone, in a real headless Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from surveys import tokens
from surveys.models import FollowUp
from tests import factories
from tests.browser import PHONE, no_sideways_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def test_a_customer_stops_all_follow_up_contact_from_the_link_on_a_phone(page: Page, live_server):
    customer = factories.CustomerFactory(name="王芳", language="zh-hans")
    follow_up = factories.FollowUpFactory(
        customer=customer,
        channel="sms",
        status=FollowUp.Status.INVITED,
        expires_at=timezone.now() + timedelta(days=14),
    )
    token, token_hash = tokens.new_link_token()
    factories.ContactAttemptFactory(follow_up=follow_up, channel="sms", outcome="sent", link_token_hash=token_hash)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/s/{token}/opt-out/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # the customer's language
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert no_sideways_scroll(page)
    screenshot(page, "trust-opt-out-375")
    page.get_by_label("Stop all follow-up contact, including calls").check()
    page.get_by_role("button", name="Stop messages").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Done")
    expect(page.get_by_role("status")).to_contain_text("no messages and no calls")
    assert no_sideways_scroll(page)
    screenshot(page, "trust-opt-out-done-375")
    follow_up.refresh_from_db()
    customer.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CANCELLED and customer.do_not_contact_source == "link"


def test_a_customer_checks_a_code_then_a_fake_one_on_a_phone(page: Page, live_server):
    campaign = factories.CampaignFactory(name="Wallet check-in, autumn")
    follow_up = factories.FollowUpFactory(campaign=campaign, channel="sms", status=FollowUp.Status.INVITED)
    factories.ContactAttemptFactory(follow_up=follow_up, channel="sms", outcome="sent", verification_code="K7M2QX")
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/verify/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # the browser asks for Chinese
    page.get_by_role("link", name="English").click()
    page.get_by_label("Verification code").fill("k7m 2qx")
    page.get_by_role("button", name="Check the code").click()

    expect(page.get_by_role("status")).to_contain_text("Yes, this message was sent by")
    expect(page.get_by_role("status")).to_contain_text("Wallet check-in, autumn")
    assert no_sideways_scroll(page)
    screenshot(page, "trust-verify-found-375")

    page.get_by_label("Verification code").fill("ABCDEF")
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("status")).to_contain_text("We have no message with this code")

    page.get_by_label("Verification code").fill("0000")
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("alert")).to_contain_text("Verification code")
    expect(page.get_by_label("Verification code")).to_have_attribute("aria-invalid", "true")
    assert no_sideways_scroll(page)
    screenshot(page, "trust-verify-error-375")
