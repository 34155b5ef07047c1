"""What the browser tests (headless Chromium through Playwright, with live_server) share."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import User
from tests import factories

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# Kept as test artifacts: CI uploads var/artifacts/.
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "artifacts" / "screenshots"


def sign_in(page: Page, live_server, username: str, *, english: bool = False) -> None:
    """Sign in through the login page and the code page (the browser asks for Chinese first), typing the
    code the user's authenticator app would show; optionally switch to English."""
    device = factories.authenticator_of(User.objects.get(username=username))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    code = page.locator("#id_code")
    code.fill(factories.current_code(device))
    code.press("Enter")
    # The code page has a language switcher too: wait until the browser has left it.
    expect(page).not_to_have_url(re.compile(r"/accounts/two-factor/"))
    page.wait_for_load_state()  # and the landing page's scripts run (the language switcher submits on change)
    if english:
        page.get_by_label("语言").select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")


def no_sideways_scroll(page: Page) -> bool:
    """Nothing wider than the window: a phone user never scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- Content-Security-Policy: every browser test fails on a violation -----------------------------------


def csp_violations(page: Page) -> list[str]:
    """Collects what Chromium reports on the console when the page's Content-Security-Policy blocked
    something (an inline script or style, an eval, a resource from elsewhere), in any of its frames."""
    found: list[str] = []

    def note(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", note)
    return found


@pytest.fixture
def page(page: Page):
    """pytest-playwright's page, failing the test if the policy blocked anything while it ran (applied to
    every browser test through tests/conftest.py)."""
    violations = csp_violations(page)
    yield page
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
