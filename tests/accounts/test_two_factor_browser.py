"""Setting up the second factor and signing in with it, in a real headless Chromium at phone width."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import PHONE, no_sideways_scroll, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def give_password(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_alice_sets_up_her_app_from_the_page_and_later_signs_in_with_a_code(page: Page, live_server):
    factories.UserFactory(username="alice", roles=["agent"])
    page.set_viewport_size(PHONE)

    give_password(page, live_server, "alice")

    expect(page).to_have_url(re.compile(r"/accounts/two-factor/set-up/"))
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "two-factor-set-up-phone")
    # What a person does with an app that cannot scan: type the key shown, read the app's code.
    key = b32decode(page.locator("#two-factor-key").inner_text().replace(" ", ""))
    code = page.locator("#id_code")
    code.fill(f"{TOTP(key).token():06d}")
    code.press("Enter")

    expect(page).to_have_url(re.compile(r"/accounts/security/recovery-codes/"))
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert no_sideways_scroll(page)
    page.locator("main a.btn-primary").click()
    expect(page).to_have_url(f"{live_server.url}/agent/queue/")

    # She closes the browser (the session cookie goes with it) and comes back later.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/agent/queue/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, live_server, "alice")  # password, then the code her app shows now
    expect(page).to_have_url(f"{live_server.url}/agent/queue/")


def test_a_wrong_code_keeps_alice_on_the_code_page_with_the_reason(page: Page, live_server):
    user = factories.UserFactory(username="alice", roles=["agent"])
    device = factories.authenticator_of(user)
    give_password(page, live_server, "alice")
    page.get_by_label("语言").select_option("en")

    code = page.locator("#id_code")
    code.fill(f"{(int(factories.current_code(device)) + 500_000) % 1_000_000:06d}")
    code.press("Enter")

    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("That code is not right")).to_be_visible()
