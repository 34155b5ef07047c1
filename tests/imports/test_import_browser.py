"""A manager imports a bank file in a real browser: upload, map with a preview, progress, result; on a phone too."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Customer
from imports import services, tasks
from imports.models import ImportJob
from tests import factories
from tests.browser import PHONE, no_sideways_scroll, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def test_a_manager_imports_a_file_and_reads_the_result(page: Page, live_server, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.run_import, "delay", queued.append)
    factories.UserFactory(
        username="maggie", first_name="Maggie", roles=["manager"], language="en"
    )  # reports in her language
    sign_in(page, live_server, english=True, username="maggie")

    page.get_by_role("link", name="Imports", exact=True).click()
    page.get_by_label("Customers").check()
    page.get_by_label("File").set_input_files(str(DATA / "customers-broken.csv"))
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("customers-broken.csv")
    expect(page.locator(".import-preview")).to_contain_text("Bad Phone")
    expect(page.get_by_label("phone", exact=True)).to_have_value("phone")
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    screenshot(page, "import-mapping-phone")

    page.get_by_role("button", name="Run the import").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    job = ImportJob.objects.get()
    assert queued == [job.pk]

    # The worker's part, done here; the page polls every 2 s and reloads itself when the import ends.
    services.run_import(job_id=job.pk)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=15_000)
    expect(page.locator("[data-count=created]")).to_have_text("2")
    expect(page.locator("[data-count=errors]")).to_have_text("4")
    expect(page.locator(".import-errors")).to_contain_text("Not a valid phone number.")
    assert Customer.objects.count() == 2
    assert no_sideways_scroll(page)
    screenshot(page, "import-result-phone")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    assert download.value.suggested_filename == f"import-{job.pk}-errors.csv"
