"""A manager designs, launches and watches a campaign, in a real headless Chromium."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from surveys import planning, tasks
from surveys.models import Campaign, FollowUp
from tests import factories
from tests.browser import no_sideways_scroll, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


@pytest.fixture(autouse=True)
def private_cache(settings):
    """The audience form caches customer attributes; a shared Redis cache would leak them between runs."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ui-browser"}
    }
    cache.clear()


@pytest.fixture
def queued_plans(monkeypatch) -> list[int]:
    """Planning tasks the launch sends; the test runs planning itself instead of a worker."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.plan_campaign, "delay", lambda campaign_id, *args, **kwargs: sent.append(campaign_id))
    return sent


def test_a_manager_creates_launches_and_watches_a_campaign(page: Page, live_server, queued_plans):
    factories.UserFactory(username="maggie", first_name="Maggie", roles=["manager"])
    factories.SurveyFactory(title_en="Wallet experience follow-up", version=1)
    consented = {"consent_given_at": timezone.now() - timedelta(days=200), "consent_source": "enrolment"}
    for zone in ("Asia/Shanghai", "Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Europe/London"):
        factories.CustomerFactory(device_os="ios", time_zone=zone, **consented)
    factories.CustomerFactory(device_os="ios")  # never consented: left out, and counted
    factories.CustomerFactory.create_batch(2, device_os="android", **consented)

    sign_in(page, live_server, english=True, username="maggie")
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="New campaign").click()

    # Required fields are marked with an asterisk, so their inputs are found by id.
    # A first try without a channel is refused, with the message on the channels field.
    page.locator("#id_name").fill("Spring check-in")
    page.locator("#id_slug").fill("spring-check-in")
    page.locator("#id_survey").select_option(label="Wallet experience follow-up (v1)")
    page.get_by_label("iOS").check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#error_1_id_channels")).to_have_text("Choose at least one channel.")

    page.get_by_label("SMS").check()
    # The US preset: its holidays are computed for any year, so planning on the real clock does not depend
    # on whether China's official schedule for the current year is published yet.
    page.locator("#id_contact_policy").select_option("united_states")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring check-in")
    expect(page.locator("#audience-size")).to_contain_text("6 customers match this audience now.")
    campaign = Campaign.objects.get(slug="spring-check-in")
    assert campaign.audience == {"device_os": ["ios"]}

    page.get_by_role("button", name="Launch").click()
    expect(page.locator(".campaign-status")).to_have_text("Running")
    assert queued_plans == [campaign.pk]
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("aria-valuenow", "0")

    # The worker's part, done here; the page polls every 2 s and reloads itself when planning ends.
    planning.plan_campaign(campaign_id=campaign.pk)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=15_000)
    expect(page.locator(".planning-percent")).to_have_text("100%")
    assert FollowUp.objects.filter(campaign=campaign).count() == 5
    expect(page.get_by_text("5 follow-ups planned.")).to_be_visible()
    expect(page.get_by_role("row", name="No consent to be contacted 1")).to_be_visible()

    heat_map = page.locator(".campaign-heatmap")
    expect(heat_map).to_have_count(1)  # SMS only: one map, for messages
    expect(heat_map.locator("svg.main-svg").first).to_be_attached()
    expect(heat_map).to_have_class(re.compile(r"\bis-drawn\b"))
    expect(page.locator(".forbidden-total")).to_have_attribute("data-forbidden-total", "0")
    expect(page.get_by_text("Show the numbers as a table (5 planned contacts)")).to_be_visible()
    assert page.locator("a[href*='plot.ly'], a[href*='plotly.com']").count() == 0

    # The table view says the same, without the picture.
    page.get_by_text("Show the numbers as a table (5 planned contacts)").click()
    expect(page.locator(".heatmap-table")).to_be_visible()

    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    expect(page.locator(".campaign-heatmap")).to_have_class(re.compile(r"\bis-drawn\b"))
    assert no_sideways_scroll(page)


def test_the_campaign_form_fits_a_phone(page: Page, live_server):
    factories.UserFactory(username="maggie", roles=["manager"])
    factories.CustomerFactory(region="HK", segment="premium")
    sign_in(page, live_server, english=True, username="maggie")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/manager/campaigns/new/")
    expect(page.get_by_label("Customers in Hong Kong (HK)")).to_be_visible()
    assert no_sideways_scroll(page)
