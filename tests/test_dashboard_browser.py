"""A manager reads the concern dashboard and narrows it, in a real headless Chromium: the charts are drawn,
a filter changes the chart and the table in place (no page load) and the address bar keeps the selection."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from analytics.models import RollupState
from tests import factories
from tests.analytics.test_dashboard import respondents, rollup
from tests.browser import DESKTOP, PHONE, no_sideways_scroll, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

TABLET = {"width": 768, "height": 1024}


@pytest.fixture(autouse=True)
def private_cache(settings):
    """The dashboard caches its numbers; a shared Redis cache would leak them between runs."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dashboard-browser"}
    }
    cache.clear()


@pytest.fixture
def answers():
    """50 respondents this week: 30 on iOS (premium), 20 on Android (mass)."""
    today = timezone.localdate()
    spring = factories.CampaignFactory(name="Spring")
    rollup(
        day=today - timedelta(days=2),
        campaign=spring,
        segment="premium",
        device_os="ios",
        channel="web",
        **respondents(30, promoters=12, detractors=6, security=12, trust=6, compatibility=3),
    )
    rollup(
        day=today - timedelta(days=1),
        campaign=spring,
        segment="mass",
        device_os="android",
        channel="phone",
        **respondents(20, promoters=8, detractors=4, security=8, trust=4, service=2),
    )
    for name in ("responses", "funnel"):
        RollupState.objects.create(name=name, refreshed_at=timezone.now())


def respondents_cell(page: Page):
    return page.locator("#headline-table tbody tr").filter(has_text="Respondents").locator("td").first


def test_a_manager_narrows_the_dashboard_and_the_chart_and_table_change_in_place(page: Page, live_server, answers):
    factories.UserFactory(username="maggie", first_name="Maggie", roles=["manager"])
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "maggie", english=True)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concern dashboard")
    expect(respondents_cell(page)).to_have_text("50")
    concerns_chart = page.locator("[data-team-figure='dashboard-concerns-data']")
    expect(concerns_chart).to_have_class(re.compile(r"\bis-drawn\b"))
    expect(concerns_chart.locator("svg.main-svg").first).to_be_attached()
    assert page.locator("a[href*='plot.ly'], a[href*='plotly.com'], .modebar").count() == 0
    breakdown_bars = page.locator("[data-team-figure='dashboard-breakdown-concerns-data'] g.point")
    bars_before = breakdown_bars.count()
    screenshot(page, "dashboard-desktop")

    # A filter: the blocks are replaced by htmx, the page itself is not loaded again.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Device OS", exact=True).select_option(label="iOS")
    expect(respondents_cell(page)).to_have_text("30")
    expect(page).to_have_url(re.compile(r"/manager/dashboard/\?.*device_os=ios"))
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator("#breakdown-table tbody tr")).to_have_count(1)
    expect(page.locator("[data-team-figure='dashboard-breakdown-concerns-data']")).to_have_class(
        re.compile(r"\bis-drawn\b")
    )
    assert breakdown_bars.count() < bars_before  # one device left in the chart

    # The breakdown chosen in its block: by segment now.
    page.get_by_label("Break down by", exact=True).select_option(label="Segment")
    expect(page.get_by_role("heading", name="Breakdown by Segment")).to_be_visible()
    expect(page.locator("#breakdown-table tbody tr th")).to_have_text(["premium"])
    assert page.evaluate("window.stillTheSamePage") is True

    # The address is shareable: opened afresh, it shows the same selection.
    page.goto(page.url)
    expect(respondents_cell(page)).to_have_text("30")
    expect(page.get_by_label("Device OS", exact=True)).to_have_value("ios")

    page.set_viewport_size(TABLET)
    page.reload()
    expect(concerns_chart).to_have_class(re.compile(r"\bis-drawn\b"))
    assert no_sideways_scroll(page)
    screenshot(page, "dashboard-tablet")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(concerns_chart).to_have_class(re.compile(r"\bis-drawn\b"))
    assert no_sideways_scroll(page)
    screenshot(page, "dashboard-phone")
