"""The concern dashboard at /manager/dashboard/: numbers read from the rollups, checked against hand-computed
values and read back from the page's tables as a manager reads them.

The fixture (``two_campaigns``) is 50 respondents in two rollup rows:
- 2 March 2026, campaign "Spring", premium, iOS, app 8.1.2, UnionPay, web, after a failed payment:
  30 respondents, 12 promoters and 6 detractors, 12 citing security, 6 trust, 3 compatibility, 3 service;
  CSAT 21 of 30 in the top two boxes, effort 90 over 30 answers;
- 10 March 2026, campaign "Autumn", mass, Android, app 8.0.0, Debit, phone, no event (batch):
  20 respondents, 8 promoters and 4 detractors, 8 security, 4 trust, 2 compatibility, 2 service;
  CSAT 14 of 20, effort 60 over 20.
Together: NPS = 100 × (20 − 10) / 50 = 20.0; SE = √((0.4 + 0.2 − 0.2²) / 50) = 0.10583, margin
1.96 × SE = ±20.7. Security 20 of 50 = 40.0%, Wilson 95%: centre (0.4 + 1.96²/100) / (1 + 1.96²/50) = 0.40713,
half-width 1.96 √(0.4 × 0.6 / 50 + 1.96² / 10,000) / 1.07683 = 0.13105 → 27.6–53.8%.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from analytics.models import FunnelRollup, ResponseRollup, RollupState, ThemeExample, ThemeRollup
from surveys.models import Answer, Case, Question
from tests import factories
from tests.html_tables import Tables

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = reverse("analytics:dashboard")
BLOCKS_URL = reverse("analytics:dashboard-blocks")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    """Now is Wednesday 11 March 2026, 10:00 in Shanghai: the default selection is 12 Dec 2025 – 11 Mar 2026."""
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture(autouse=True)
def private_cache(settings):
    """The page caches its numbers; a shared cache (Redis in CI) would hand one test another's."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    cache.clear()
    yield
    cache.clear()


def dashboard_page(client, url=URL, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    return html, Tables(html).tables


def row(table: list[list[str]], first: str) -> list[str]:
    return next(r for r in table if r[0] == first)


MEASURES = {
    "respondents": 0,
    "nps_answered": 0,
    "nps_promoters": 0,
    "nps_detractors": 0,
    "csat_answered": 0,
    "csat_top2": 0,
    "ces_answered": 0,
    "ces_sum": 0,
    "cites_security": 0,
    "cites_trust": 0,
    "cites_compatibility": 0,
    "cites_usability": 0,
    "cites_service": 0,
}


def rollup(*, day: date, campaign, **values) -> ResponseRollup:
    dimensions = {"segment", "device_os", "app_version", "wallet_product", "channel", "event_kind"}
    return ResponseRollup.objects.create(
        day=day,
        campaign=campaign,
        **{k: v for k, v in values.items() if k in dimensions},
        **{**MEASURES, **{k: v for k, v in values.items() if k not in dimensions}},
    )


def respondents(n: int, *, promoters: int = 0, detractors: int = 0, **cites) -> dict:
    """n respondents who all answered the NPS question, and how many cite each concern."""
    return {
        "respondents": n,
        "nps_answered": n,
        "nps_promoters": promoters,
        "nps_detractors": detractors,
        **{f"cites_{concern}": count for concern, count in cites.items()},
    }


def mark_refreshed(moment: datetime) -> None:
    for name in ("responses", "funnel"):
        RollupState.objects.update_or_create(name=name, defaults={"refreshed_at": moment})


@pytest.fixture
def spring():
    return factories.CampaignFactory(name="Spring")


@pytest.fixture
def autumn():
    return factories.CampaignFactory(name="Autumn")


@pytest.fixture
def two_campaigns(spring, autumn):
    rollup(
        day=date(2026, 3, 2),
        campaign=spring,
        segment="premium",
        device_os="ios",
        app_version="8.1.2",
        wallet_product="UnionPay",
        channel="web",
        event_kind="payment_failed",
        **respondents(30, promoters=12, detractors=6, security=12, trust=6, compatibility=3, service=3),
        csat_answered=30,
        csat_top2=21,
        ces_answered=30,
        ces_sum=90,
    )
    rollup(
        day=date(2026, 3, 10),
        campaign=autumn,
        segment="mass",
        device_os="android",
        app_version="8.0.0",
        wallet_product="Debit",
        channel="phone",
        event_kind="",
        **respondents(20, promoters=8, detractors=4, security=8, trust=4, compatibility=2, service=2),
        csat_answered=20,
        csat_top2=14,
        ces_answered=20,
        ces_sum=60,
    )
    mark_refreshed(datetime(2026, 3, 11, 9, 59, tzinfo=SHANGHAI))


# --- Who may see it ---------------------------------------------------------------------------------------


def test_agents_are_refused_the_dashboard_and_its_exports(client, agent):
    client.force_login(agent)
    for name in ("dashboard", "dashboard-blocks", "dashboard-export-csv", "dashboard-export-xlsx"):
        assert client.get(reverse(f"analytics:{name}")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_managers_and_administrators_reach_it_from_the_navigation_and_the_manager_page(client, manager, administrator):
    for user in (manager, administrator):
        client.force_login(user)
        home = client.get(reverse("analytics:manager-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f'href="{URL}"' in home
        assert "Concern dashboard: what customers worry about" in home
        assert ">Dashboard</a>" in home  # the navigation link
        assert "Not built yet" not in home


# --- The numbers ------------------------------------------------------------------------------------------


def test_the_headline_shows_the_hand_computed_nps_with_its_margin_csat_and_ces(client, manager, two_campaigns):
    client.force_login(manager)
    html, tables = dashboard_page(client)
    headline = tables["headline-table"]
    assert row(headline, "Respondents") == ["Respondents", "50", "50"]
    assert row(headline, "NPS (−100 to 100)") == ["NPS (−100 to 100)", "20.0", "50"]
    assert row(headline, "NPS margin of error (95%)")[1] == "±20.7"
    assert row(headline, "Promoters (9–10)")[1:] == ["40.0%", "20"]
    assert row(headline, "Passives (7–8)")[1:] == ["40.0%", "20"]
    assert row(headline, "Detractors (0–6)")[1:] == ["20.0%", "10"]
    assert row(headline, "CSAT top-2-box (4–5 of 5)")[1:] == ["70.0%", "50"]  # 35 of 50
    assert row(headline, "CES mean (1–7)")[1:] == ["3.0", "50"]  # 150 / 50
    assert 'id="tile-nps">20.0 <span class="fs-6 fw-normal">±20.7</span>' in html
    assert "Answers submitted and follow-ups created from 2025-12-12 to 2026-03-11, both days included." in html


def test_a_concern_share_shows_its_hand_computed_wilson_interval(client, manager, two_campaigns):
    client.force_login(manager)
    _, tables = dashboard_page(client)
    assert tables["concerns-table"] == [
        ["Concern", "Respondents citing it", "Share", "Interval (95%)"],
        ["Security", "20", "40.0%", "27.6–53.8%"],
        ["Trust in payments", "10", "20.0%", "11.2–33.0%"],
        ["Compatibility", "5", "10.0%", "4.3–21.4%"],
        ["Usability", "0", "0.0%", "0.0–7.1%"],
        ["Service", "5", "10.0%", "4.3–21.4%"],
    ]


def test_trends_group_the_days_into_weeks_or_months(client, manager, two_campaigns):
    client.force_login(manager)
    _, tables = dashboard_page(client)
    # 2 March is a Monday; 10 March is in the week of Monday 9 March, whose 20 respondents are too few.
    assert tables["trend-table"][0][:3] == ["Week of", "Respondents", "NPS"]
    assert [r[:3] for r in tables["trend-table"][1:]] == [
        ["2026-03-02", "30", "20.0"],
        ["2026-03-09", "20", "too few answers"],
    ]
    _, tables = dashboard_page(client, grain="month")
    assert [r[:4] for r in tables["trend-table"]] == [
        ["Month", "Respondents", "NPS", "Security"],
        ["2026-03", "50", "20.0", "40.0%"],
    ]


def test_groups_under_thirty_respondents_say_too_few_answers_instead_of_a_value(client, manager, spring):
    rollup(day=date(2026, 3, 2), campaign=spring, segment="gold", **respondents(29, promoters=29, security=29))
    rollup(day=date(2026, 3, 2), campaign=spring, segment="silver", **respondents(30, promoters=15, security=6))
    client.force_login(manager)
    html, tables = dashboard_page(client, by="segment")
    breakdown = tables["breakdown-table"]
    assert breakdown[0][:5] == ["Segment", "Respondents", "NPS", "NPS margin", "Security"]
    assert row(breakdown, "silver")[:5] == ["silver", "30", "50.0", "±17.9", "20.0%"]
    gold = row(breakdown, "gold")
    assert gold[:5] == ["gold", "29", "too few answers", "—", "too few answers"]
    assert "100.0%" not in gold
    assert '<tr class="dashboard-too-few">\n        <th scope="row" class="fw-normal">gold</th>' in html
    # The chart draws no bar for gold (no value, no interval) and writes "too few answers" there instead.
    figure = dashboard_report_figure(client, "breakdown_concerns", by="segment")
    security = figure["data"][0]
    assert security["x"] == ["silver", "gold"]
    assert security["y"] == [20.0, None] and security["error_y"]["array"][1] is None
    assert [(a["x"], a["text"]) for a in figure["layout"]["annotations"]] == [("gold", "too few answers")]


def dashboard_report_figure(client, name: str, **params) -> dict:
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    return response.context["report"].charts[name]


def test_the_breakdown_by_each_dimension_names_its_groups(client, manager, two_campaigns):
    client.force_login(manager)
    expected = {
        "device_os": ("Device OS", ["iOS", "Android"]),
        "app_version": ("App version", ["8.1.2", "8.0.0"]),
        "wallet_product": ("Wallet product", ["UnionPay", "Debit"]),
        "segment": ("Segment", ["premium", "mass"]),
        "channel": ("Channel", ["Web", "Phone"]),
        "campaign": ("Campaign", ["Spring", "Autumn"]),
        "event": ("Wallet event", ["Payment failed", "No event (batch campaign)"]),
    }
    for by, (heading, groups) in expected.items():
        html, tables = dashboard_page(client, by=by)
        assert f"Breakdown by {heading}" in html
        breakdown = tables["breakdown-table"]
        assert breakdown[0][0] == heading
        assert [(r[0], r[1], r[2]) for r in breakdown[1:]] == [
            (groups[0], "30", "20.0"),
            (groups[1], "20", "too few answers"),
        ]


def test_every_filter_narrows_the_numbers(client, manager, two_campaigns, spring, autumn):
    client.force_login(manager)
    narrowed_to = {
        "campaign": {str(spring.pk): "30", str(autumn.pk): "20"},
        "segment": {"premium": "30", "mass": "20"},
        "device_os": {"ios": "30", "android": "20"},
        "app_version": {"8.1.2": "30", "8.0.0": "20"},
        "channel": {"web": "30", "phone": "20"},
        "event": {"payment_failed": "30", "_none": "20"},
    }
    for name, values in narrowed_to.items():
        for value, count in values.items():
            html, tables = dashboard_page(client, **{name: value})
            assert row(tables["headline-table"], "Respondents")[1] == count, (name, value)
            assert "data-dashboard-notice" not in html
    _, tables = dashboard_page(client, since="2026-03-05")
    assert row(tables["headline-table"], "Respondents")[1] == "20"
    _, tables = dashboard_page(client, since="2026-03-01", until="2026-03-02")
    assert row(tables["headline-table"], "Respondents")[1] == "30"
    _, tables = dashboard_page(client, segment="premium", channel="phone")
    assert "headline-table" not in tables


def test_the_filters_offer_the_values_present_in_the_rollups(client, manager, two_campaigns, spring):
    client.force_login(manager)
    html, _ = dashboard_page(client)
    assert f'<option value="{spring.pk}">Spring</option>' in html
    assert '<option value="ios">iOS</option>' in html
    assert '<option value="_none">No event (batch campaign)</option>' in html
    assert '<option value="harmonyos">' not in html  # no HarmonyOS customer answered


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"since": "yesterday"}, "Those dates could not be read, so the last 90 days are shown."),
        ({"until": "1899-01-01"}, "Those dates could not be read, so the last 90 days are shown."),
        ({"since": "99999-01-01"}, "Those dates could not be read, so the last 90 days are shown."),
        (
            {"since": "2026-03-10", "until": "2026-03-01"},
            "The start of that period is after its end, so the last 90 days are shown.",
        ),
        ({"campaign": "999999"}, "Campaign: “999999” is not in the data, so that filter is ignored."),
        ({"campaign": "spring'--"}, "Campaign: “spring&#x27;--” is not in the data, so that filter is ignored."),
        ({"device_os": "windows"}, "Device OS: “windows” is not in the data, so that filter is ignored."),
        (
            {"channel": "<b>fax</b>"},
            "Answered by: “&lt;b&gt;fax&lt;/b&gt;” is not in the data, so that filter is ignored.",
        ),
        ({"by": "customer_name"}, "That breakdown is not offered, so the page breaks the numbers down by device OS."),
        ({"grain": "year"}, "Trends are by week or by month; they are shown by week."),
    ],
)
def test_unusable_filters_are_ignored_with_a_notice(client, manager, two_campaigns, params, notice):
    client.force_login(manager)
    html, tables = dashboard_page(client, **params)
    assert notice in html
    # Everything else still shows the default selection's numbers.
    assert row(tables["headline-table"], "Respondents")[1] == "50"


def test_an_unusable_filter_leaves_the_other_filters_applied(client, manager, two_campaigns):
    client.force_login(manager)
    html, tables = dashboard_page(client, device_os="windows", segment="mass")
    assert "Device OS: “windows” is not in the data" in html
    assert row(tables["headline-table"], "Respondents")[1] == "20"


def test_an_empty_selection_says_so_instead_of_drawing_empty_charts(client, manager, two_campaigns):
    client.force_login(manager)
    html, tables = dashboard_page(client, since="2026-01-01", until="2026-01-31")
    assert "No customer answered a follow-up in this selection." in html
    assert "No follow-up was created in this selection." in html
    assert "dashboard-concerns-data" not in html and "dashboard-headline-data" not in html
    assert tables == {}  # no table of zeros either (and no case is open)


def test_a_dashboard_with_no_data_at_all_says_it_has_not_been_computed(client, manager):
    client.force_login(manager)
    html, _ = dashboard_page(client)
    assert "No customer answered a follow-up in this selection." in html
    assert "has not been computed yet" in html


def test_the_page_says_when_its_data_was_last_updated(client, manager, two_campaigns):
    client.force_login(manager)
    html, _ = dashboard_page(client)
    assert "Data last updated at 2026-03-11 09:59." in html


# --- The funnel and response rates ---------------------------------------------------------------------------


def funnel(*, day, campaign, channel, **counts) -> FunnelRollup:
    return FunnelRollup.objects.create(day=day, campaign=campaign, channel=channel, **counts)


@pytest.fixture
def follow_ups(spring):
    # SMS: 100 planned, 95 with a disposition (5 wrong numbers); phone: 50 planned.
    funnel(
        day=date(2026, 3, 2),
        campaign=spring,
        channel="sms",
        planned=100,
        contacted=90,
        reached=60,
        complete=40,
        partial=5,
        refusal=10,
        non_contact=20,
        unknown=20,
    )
    funnel(
        day=date(2026, 3, 3),
        campaign=spring,
        channel="phone",
        planned=50,
        contacted=50,
        reached=30,
        complete=20,
        partial=5,
        refusal=5,
        non_contact=15,
        unknown=5,
    )


def test_the_funnel_and_rr1_rr2_per_channel_follow_the_aapor_formulas(client, manager, follow_ups):
    client.force_login(manager)
    html, tables = dashboard_page(client)
    assert tables["funnel-table"] == [
        ["Stage", "Follow-ups", "Of planned"],
        ["Planned", "150", "100.0%"],
        ["Contacted", "140", "93.3%"],
        ["Reached", "90", "60.0%"],
        ["Responded", "60", "40.0%"],
    ]
    # RR1 = I / (I+P+R+NC+UH/UO): SMS 40/95, phone 20/50, all 60/145; RR2 adds P: 45/95, 25/50, 70/145.
    assert [r[0:2] + r[7:] for r in tables["rates-table"]] == [
        ["Channel", "Planned", "Not eligible", "RR1", "RR2"],
        ["Phone call", "50", "0", "40.0%", "50.0%"],
        ["SMS", "100", "5", "42.1%", "47.4%"],
        ["All channels", "150", "5", "41.4%", "48.3%"],
    ]
    assert "RR1 = I / (I + P + R + NC + O + UH + UO)" in html


def test_the_channel_filter_narrows_the_funnel_to_the_follow_ups_that_channel_answers(client, manager, follow_ups):
    client.force_login(manager)
    mark_refreshed(datetime(2026, 3, 11, 9, 0, tzinfo=SHANGHAI))
    ResponseRollup.objects.create(day=date(2026, 3, 2), campaign=FunnelRollup.objects.first().campaign, channel="phone")
    ResponseRollup.objects.create(day=date(2026, 3, 2), campaign=FunnelRollup.objects.first().campaign, channel="web")
    _, tables = dashboard_page(client, channel="phone")
    assert [r[0] for r in tables["rates-table"][1:]] == ["Phone call", "All channels"]
    _, tables = dashboard_page(client, channel="web")  # web answers come from SMS and e-mail links
    assert [r[0] for r in tables["rates-table"][1:]] == ["SMS", "All channels"]


# --- Free-text themes ------------------------------------------------------------------------------------------


def free_text_answer(text: str, *, customer=None) -> Answer:
    response = factories.ResponseFactory(follow_up__customer=customer or factories.CustomerFactory())
    question = factories.QuestionFactory(survey=response.survey, kind=Question.Kind.FREE_TEXT, concern="")
    return Answer.objects.create(response=response, question=question, text=text, concerns=["security"])


def test_themes_show_the_top_words_per_concern_with_up_to_three_escaped_examples(
    client, manager, two_campaigns, spring
):
    dims = {"day": date(2026, 3, 2), "campaign": spring}
    ThemeRollup.objects.create(concern="security", theme="leak", answers=7, **dims)
    ThemeRollup.objects.create(concern="security", theme="fraud", answers=3, **dims)
    ThemeRollup.objects.create(concern="other", theme="weather", answers=50, **dims)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
    texts = ["<script>alert('leak')</script>", "my data leaked", "leak again", "oldest leak: not shown"]
    for minutes, text in enumerate(texts):
        ThemeExample.objects.create(
            concern="security",
            theme="leak",
            answer=free_text_answer(text),
            submitted_at=start - timedelta(minutes=minutes),
            **dims,
        )
    client.force_login(manager)
    html, tables = dashboard_page(client)
    assert tables["themes-table"] == [
        ["Concern", "Theme", "Answers"],
        ["Security", "leak", "7"],
        ["Security", "fraud", "3"],
    ]
    assert "weather" not in html  # "other" is not a concern the dashboard shows
    assert "“leak”: 7 answers" in html
    assert "&lt;script&gt;alert(&#x27;leak&#x27;)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "my data leaked" in html and "leak again" in html
    assert "oldest leak: not shown" not in html


# --- The Cases SLA panel ----------------------------------------------------------------------------------------


def test_the_sla_panel_counts_unresolved_and_overdue_cases_by_category(client, manager):
    now = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
    factories.CaseFactory(category=Case.Category.DATA_LEAK, sla_due_at=now - timedelta(hours=1))
    factories.CaseFactory(category=Case.Category.DATA_LEAK, sla_due_at=now + timedelta(hours=1))
    factories.CaseFactory(category=Case.Category.DETRACTOR, regulatory_due_at=now - timedelta(minutes=1))
    factories.CaseFactory(
        category=Case.Category.DETRACTOR,
        status=Case.Status.RESOLVED,
        resolved_at=now - timedelta(days=1),
        root_cause="app bug",
        resolution_code="fixed",
        sla_due_at=now - timedelta(days=9),
    )
    client.force_login(manager)
    _, tables = dashboard_page(client)
    assert tables["cases-table"] == [
        ["Category", "Unresolved", "Overdue"],
        ["Personal data leak", "2", "1"],
        ["Unhappy customer", "1", "1"],
        ["All categories", "3", "2"],
    ]


# --- In place, and fast ------------------------------------------------------------------------------------------


def test_the_blocks_fragment_holds_the_blocks_and_pushes_the_full_pages_address(client, manager, two_campaigns):
    client.force_login(manager)
    response = client.get(BLOCKS_URL, {"device_os": "ios"}, HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"') and "<html" not in html
    assert row(Tables(html).tables["headline-table"], "Respondents")[1] == "30"
    pushed = response["HX-Push-Url"]
    assert pushed.startswith(f"{URL}?") and "device_os=ios" in pushed and "since=2025-12-12" in pushed
    page = client.get(pushed, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert row(Tables(page).tables["headline-table"], "Respondents")[1] == "30"


def test_a_warm_request_comes_from_the_cache_until_the_rollups_are_refreshed(client, manager, two_campaigns, spring):
    client.force_login(manager)
    dashboard_page(client)
    # A row the refresher has not announced yet: the cached numbers stand…
    rollup(day=date(2026, 3, 3), campaign=spring, device_os="ios", **respondents(10))
    _, tables = dashboard_page(client)
    assert row(tables["headline-table"], "Respondents")[1] == "50"
    # …until a refresh changes the key.
    mark_refreshed(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI))
    _, tables = dashboard_page(client)
    assert row(tables["headline-table"], "Respondents")[1] == "60"


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_rows(
    client, manager, two_campaigns, spring, django_assert_max_num_queries
):
    client.force_login(manager)
    for day in range(1, 28):
        rollup(day=date(2026, 2, day), campaign=spring, segment=f"s{day}", **respondents(3, promoters=1, security=1))
    mark_refreshed(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI))
    with django_assert_max_num_queries(30):
        dashboard_page(client, by="segment")


# --- End to end: answers given through the real answering path, counted by the real refresh ---------------------


def test_answers_submitted_through_the_survey_are_counted_by_the_refresh_and_shown_on_the_dashboard(client, manager):
    """50 customers answer a two-question survey (NPS; "did you see a payment you did not make?", a security
    problem question): 20 promoters, 20 passives, 10 detractors; 20 say yes. The dashboard shows NPS 20.0 ±20.7
    and security 40.0% (27.6–53.8%), as worked out in the module docstring."""
    from analytics.rollups import refresh_funnel_rollups, refresh_response_rollups
    from surveys import answering
    from surveys.models import FollowUp
    from surveys.skip_logic import AnswerValue

    survey = factories.SurveyFactory()
    factories.QuestionFactory(survey=survey, code="nps", position=1, kind=Question.Kind.NPS)
    factories.QuestionFactory(
        survey=survey,
        code="unknown_payment",
        position=2,
        kind=Question.Kind.YES_NO,
        concern="security",
        prompt_en="Did you see a payment you did not make?",
        prompt_zh="您是否看到不是您本人发起的支付？",
    )
    campaign = factories.CampaignFactory(survey=survey, name="Spring")
    questions = answering.survey_questions(survey)
    submitted = datetime(2026, 3, 11, 9, 0, tzinfo=SHANGHAI)
    scores = [9, 10] * 10 + [7, 8] * 10 + [0, 3, 6, 5, 6] * 2
    for index, score in enumerate(scores):
        follow_up = factories.FollowUpFactory(
            campaign=campaign, channel="sms", status=FollowUp.Status.INVITED, customer__device_os="ios"
        )
        for code, value in (("nps", AnswerValue(number=score)), ("unknown_payment", AnswerValue(yes_no=index < 20))):
            answering.save_answer(
                follow_up=follow_up,
                questions=questions,
                question=questions.by_code[code],
                value=value,
                language="en",
                now=submitted,
            )
        outcome = answering.submit_response(follow_up=follow_up, questions=questions, language="en", now=submitted)
        assert outcome.status == answering.SubmitStatus.SUBMITTED

    refreshed = datetime(2026, 3, 11, 9, 30, tzinfo=SHANGHAI)
    assert refresh_response_rollups(now=refreshed) == 50
    refresh_funnel_rollups(now=refreshed)

    client.force_login(manager)
    html, tables = dashboard_page(client, campaign=str(campaign.pk))
    headline = tables["headline-table"]
    assert row(headline, "Respondents")[1] == "50"
    assert row(headline, "NPS (−100 to 100)")[1:] == ["20.0", "50"]
    assert row(headline, "NPS margin of error (95%)")[1] == "±20.7"
    assert row(tables["concerns-table"], "Security") == ["Security", "20", "40.0%", "27.6–53.8%"]
    assert row(tables["breakdown-table"], "iOS")[:3] == ["iOS", "50", "20.0"]
    assert row(tables["funnel-table"], "Responded") == ["Responded", "50", "100.0%"]
    assert "Data last updated at 2026-03-11 09:30." in html


def test_the_page_reads_in_chinese_with_the_same_numbers(client, manager, two_campaigns):
    client.force_login(manager)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="zh-Hans">' in html
    assert row(Tables(html).tables["concerns-table"], "安全")[1:] == ["20", "40.0%", "27.6–53.8%"]
    assert 'id="tile-nps">20.0 <span class="fs-6 fw-normal">±20.7</span>' in html


def test_a_campaign_newer_than_the_cached_filter_choices_can_still_be_chosen(client, manager, two_campaigns):
    client.force_login(manager)
    dashboard_page(client)  # the filters' choices are read and cached
    winter = factories.CampaignFactory(name="Winter")
    rollup(day=date(2026, 3, 9), campaign=winter, **respondents(7))
    mark_refreshed(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI))
    html, tables = dashboard_page(client, campaign=str(winter.pk))
    assert "data-dashboard-notice" not in html
    assert row(tables["headline-table"], "Respondents")[1] == "7"
    assert f'<option value="{winter.pk}" selected>Winter</option>' in html
