"""The Django admin, the sign-in page and the customers' pages work under the Content-Security-Policy: every
browser test fails on a violation (tests/browser.py), and these open the pages no other browser test does."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def test_adam_works_in_the_admin_with_nothing_blocked(page: Page, live_server, administrator, customer):
    sign_in(page, live_server, "adam")  # administrators land in the admin
    page.goto(f"{live_server.url}{reverse('admin:index')}")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{live_server.url}{reverse('admin:accounts_customer_changelist')}")
    expect(page.locator("#result_list")).to_be_visible()
    page.goto(f"{live_server.url}{reverse('admin:accounts_customer_change', args=[customer.pk])}")
    expect(page.locator("#customer_form")).to_be_visible()
    # Customers have no bulk actions (deleting one is switched off: privacy/ erases instead); staff users do.
    page.goto(f"{live_server.url}{reverse('admin:accounts_user_changelist')}")
    expect(page.locator("#result_list")).to_be_visible()
    page.get_by_role("checkbox").first.check()  # the actions bar's script runs
    expect(page.locator(".action-counter")).to_contain_text("1")


def test_a_customers_pages_draw_with_nothing_blocked(page: Page, live_server):
    token, _follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    page.goto(f"{live_server.url}{reverse('public:survey', args=[token])}")
    expect(page.locator("h1, legend").first).to_be_visible()
    page.goto(f"{live_server.url}{reverse('trust:verify')}")
    expect(page.get_by_role("button").first).to_be_visible()
    page.goto(f"{live_server.url}/s/not-a-real-link-xxxxxxxxxxxxxxxxxxxxxxxx/")
    expect(page.locator("h1")).to_be_visible()
