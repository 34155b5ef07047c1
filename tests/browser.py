"""What the browser tests (headless Chromium through Playwright, with live_server) share."""

from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

from tests import factories

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# Kept as test artifacts: CI uploads var/artifacts/.
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "artifacts" / "screenshots"


def sign_in(page: Page, live_server, username: str, *, english: bool = False) -> None:
    """Sign in through the login page (the browser asks for Chinese first); optionally switch to English."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    if english:
        page.get_by_label("语言").select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")


def no_sideways_scroll(page: Page) -> bool:
    """Nothing wider than the window: a phone user never scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
