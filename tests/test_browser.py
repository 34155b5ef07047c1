"""What a person sees, in a real headless Chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


@pytest.mark.parametrize(
    ("role", "landing", "heading"),
    [
        ("agent", "/agent/queue/", "我的呼叫队列"),
        ("manager", "/manager/", "活动与看板"),
        ("admin", "/admin/", "站点管理"),
    ],
)
def test_each_role_signs_in_and_lands_on_its_page(page: Page, live_server, role, landing, heading):
    factories.UserFactory(username=f"demo-{role}", roles=[role], is_staff=role == "admin")
    sign_in(page, live_server, f"demo-{role}")
    expect(page).to_have_url(f"{live_server.url}{landing}")
    expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)


def test_a_staff_member_switches_the_interface_to_english(page: Page, live_server):
    factories.UserFactory(username="alice", roles=["agent"])
    sign_in(page, live_server, "alice")
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My call queue")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_queue_is_usable_on_a_phone(page: Page, live_server):
    factories.UserFactory(username="alice", roles=["agent"])
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, live_server, "alice")
    # The navigation folds into a menu button; the page does not scroll sideways.
    expect(page.get_by_role("button", name="显示导航")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
