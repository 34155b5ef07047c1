"""The managers' team view: calls per agent per local day, reach, AAPOR rates, handling time, cases.

The numbers are worked out by hand from a small fixture (two agents, known outcomes on known Shanghai
days) and read back from the page's tables, as a manager reads them.
"""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Case, ContactAttempt
from tests import factories
from tests.html_tables import Tables

SHANGHAI = ZoneInfo("Asia/Shanghai")
Outcome = ContactAttempt.Outcome
URL = reverse("analytics:team")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    """Now is Wednesday 11 March 2026, 10:00 in Shanghai: the default period is 5–11 March."""
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def bob(db):
    return factories.UserFactory(username="bob", first_name="Bob", roles=["agent"])


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def call(follow_up, number, agent, started_at, outcome, *, minutes=1):
    extra = {"callback_at": started_at + timedelta(days=1)} if outcome == Outcome.CALLBACK_REQUESTED else {}
    return factories.ContactAttemptFactory(
        follow_up=follow_up,
        number=number,
        agent=agent,
        channel="phone",
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=minutes),
        outcome=outcome,
        **extra,
    )


def team_page(client, **params):
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    return html, Tables(html).tables


@pytest.fixture
def a_week_of_calls(agent, bob):
    """Alice and Bob's calls in the week up to Wednesday 11 March (Shanghai time).

    FU1: Alice no answer (Mon 9th), Bob busy (9th), Alice completes it (Tue 10th, 6 min).
    FU2: Alice, refusal at 23:30 on the 10th (2 min).   FU3: Alice, partial on the 11th (3 min).
    FU4: Bob, call-back requested on the 10th (5 min).  FU5: Bob, wrong number on the 10th.
    FU6: Bob, no answer on the 11th.
    """
    fu = [factories.FollowUpFactory() for _ in range(6)]
    call(fu[0], 1, agent, local(9, 10), Outcome.NO_ANSWER)
    call(fu[0], 2, bob, local(9, 11), Outcome.BUSY)
    call(fu[0], 3, agent, local(10, 15), Outcome.COMPLETE, minutes=6)
    call(fu[1], 1, agent, local(10, 23, 30), Outcome.REFUSAL, minutes=2)
    call(fu[2], 1, agent, local(11, 9), Outcome.PARTIAL, minutes=3)
    call(fu[3], 1, bob, local(10, 14), Outcome.CALLBACK_REQUESTED, minutes=5)
    call(fu[4], 1, bob, local(10, 16), Outcome.WRONG_NUMBER)
    call(fu[5], 1, bob, local(11, 9, 30), Outcome.NO_ANSWER)
    # Not calls of the week: a message, a call nobody made, a call the week before.
    factories.ContactAttemptFactory(follow_up=fu[5], number=2, channel="sms", outcome="sent", started_at=local(10, 9))
    call(fu[5], 3, None, local(10, 10), Outcome.COMPLETE)
    call(factories.FollowUpFactory(), 1, agent, local(4, 23, 30), Outcome.COMPLETE)


def test_calls_are_counted_per_agent_per_local_day(client, manager, a_week_of_calls):
    client.force_login(manager)
    html, tables = team_page(client)
    assert "Calls from 2026-03-05 to 2026-03-11, both days included." in html
    assert tables["calls-table"] == [
        ["Day", "Alice", "Bob", "All agents"],
        ["2026-03-05", "0", "0", "0"],
        ["2026-03-06", "0", "0", "0"],
        ["2026-03-07", "0", "0", "0"],
        ["2026-03-08", "0", "0", "0"],
        ["2026-03-09", "1", "1", "2"],
        ["2026-03-10", "2", "2", "4"],
        ["2026-03-11", "1", "1", "2"],
        ["Total", "4", "4", "8"],
    ]


def test_reach_rate_is_the_share_of_calls_that_reached_the_customer(client, manager, a_week_of_calls):
    client.force_login(manager)
    _, tables = team_page(client)
    # Alice reached 3 of 4 (complete, refusal, partial); Bob 1 of 4 (the call-back request).
    assert tables["reach-table"] == [
        ["Agent", "Calls", "Reached", "Reach rate"],
        ["Alice", "4", "3", "75.0%"],
        ["Bob", "4", "1", "25.0%"],
        ["Whole team", "8", "4", "50.0%"],
    ]


def test_contact_and_cooperation_rates_count_each_follow_up_once_by_its_last_call(client, manager, a_week_of_calls):
    client.force_login(manager)
    _, tables = team_page(client)
    # Alice: FU1 complete, FU2 refusal, FU3 partial → all contacted; 1 of 3 completed.
    # Bob: FU1 busy (his last call on it), FU4 call-back (a refusal group), FU5 not eligible, FU6 no answer
    #   → contacted 1 of 3; nobody completed.
    # Team: FU1 complete (its last call), FU2 R, FU3 P, FU4 R, FU5 left out, FU6 NC → 4 of 5; 1 of 4.
    assert tables["aapor-table"] == [
        ["Agent", "Contact rate", "Cooperation rate"],
        ["Alice", "100.0%", "33.3%"],
        ["Bob", "33.3%", "0.0%"],
        ["Whole team", "80.0%", "25.0%"],
    ]


def test_average_handling_time_is_in_minutes_over_the_calls_that_reached_the_customer(client, manager, a_week_of_calls):
    client.force_login(manager)
    _, tables = team_page(client)
    # Alice (6 + 2 + 3) / 3 = 3.67; Bob 5 (his only reached call); team (6 + 2 + 3 + 5) / 4 = 4.
    assert tables["handling-table"] == [
        ["Agent", "Minutes"],
        ["Alice", "3.7"],
        ["Bob", "5.0"],
        ["Whole team", "4.0"],
    ]


def test_open_and_overdue_cases_are_counted_per_owner_with_the_unassigned_apart(client, manager, agent, bob):
    now = local(11, 10)

    def case(owner, *, sla_hours=24, regulatory_days=15, **kwargs):
        return factories.CaseFactory(
            owner=owner,
            sla_due_at=now + timedelta(hours=sla_hours),
            regulatory_due_at=now + timedelta(days=regulatory_days),
            **kwargs,
        )

    case(agent, sla_hours=-1)  # overdue by its SLA
    case(agent, status=Case.Status.IN_PROGRESS)
    case(
        agent,
        sla_hours=-48,
        status=Case.Status.RESOLVED,
        resolved_at=now,
        root_cause="card bound twice",
        resolution_code="fixed",
    )  # resolved: neither open nor overdue, however late
    case(bob, regulatory_days=-1)  # overdue by the regulatory clock only
    case(None)
    client.force_login(manager)
    html, tables = team_page(client)
    assert tables["cases-table"] == [
        ["Owner", "Unresolved", "Overdue"],
        ["Alice", "2", "1"],
        ["Bob", "1", "1"],
        ["Unassigned", "1", "0"],
        ["All owners", "4", "2"],
    ]
    # The cases count even in a period without calls.
    assert "There were no calls in this period." in html


def test_a_call_at_2330_shanghai_counts_on_that_shanghai_day(client, manager, agent):
    follow_up = factories.FollowUpFactory()
    call(follow_up, 1, agent, local(4, 23, 30), Outcome.NO_ANSWER)  # Wed 4th, before the week
    call(follow_up, 2, agent, local(5, 0, 30), Outcome.NO_ANSWER)  # 16:30 UTC on the 4th
    call(follow_up, 3, agent, local(10, 23, 30), Outcome.NO_ANSWER)
    call(follow_up, 4, agent, local(11, 0, 15), Outcome.NO_ANSWER)  # 16:15 UTC on the 10th
    client.force_login(manager)
    _, tables = team_page(client)
    per_day = {row[0]: row[1] for row in tables["calls-table"][1:]}
    assert per_day["2026-03-05"] == "1"
    assert per_day["2026-03-10"] == "1"
    assert per_day["2026-03-11"] == "1"
    assert per_day["Total"] == "3"

    _, tables = team_page(client, since="2026-03-04", until="2026-03-04")
    assert tables["calls-table"][1:] == [["2026-03-04", "1", "1"], ["Total", "1", "1"]]


def test_a_chosen_period_shows_only_its_days(client, manager, a_week_of_calls):
    client.force_login(manager)
    html, tables = team_page(client, since="2026-03-10", until="2026-03-10")
    assert "Calls from 2026-03-10 to 2026-03-10, both days included." in html
    assert tables["calls-table"][1:] == [["2026-03-10", "2", "2", "4"], ["Total", "2", "2", "4"]]
    assert 'value="2026-03-10"' in html  # the form shows the period it is showing


@pytest.mark.parametrize(
    "params",
    [
        {"since": "last tuesday"},
        {"since": "2026-02-30"},
        {"until": "2026-03-11'; DROP TABLE"},
        {"since": "2026-03-11", "until": "2026-03-01"},
        {"since": "0001-01-01", "until": "0001-01-02"},
        {"until": "9999-12-31"},
    ],
)
def test_a_period_that_cannot_be_used_gives_a_notice_and_the_last_seven_days(client, manager, a_week_of_calls, params):
    client.force_login(manager)
    html, tables = team_page(client, **params)
    assert "data-team-notice" in html
    assert "so the last 7 days are shown." in html
    assert "Calls from 2026-03-05 to 2026-03-11, both days included." in html
    assert tables["calls-table"][-1] == ["Total", "4", "4", "8"]


def test_a_period_longer_than_92_days_is_cut_to_its_last_92_days(client, manager, a_week_of_calls):
    client.force_login(manager)
    html, tables = team_page(client, since="2025-01-01", until="2026-03-11")
    assert "A period can be at most 92 days, so the 92 days up to 2026-03-11 are shown." in html
    # 11 March back 91 days (28 in February, 31 in January, 31 in December) is 10 December.
    assert "Calls from 2025-12-10 to 2026-03-11, both days included." in html
    assert len(tables["calls-table"]) == 1 + 92 + 1
    # Alice's call of 4 March, before the default week, is in this period.
    assert tables["calls-table"][-1] == ["Total", "5", "4", "9"]


def test_no_notice_for_the_default_period(client, manager):
    client.force_login(manager)
    html, _ = team_page(client)
    assert "data-team-notice" not in html


def test_a_period_without_calls_says_so_instead_of_drawing_empty_charts(client, manager, a_week_of_calls):
    client.force_login(manager)
    html, tables = team_page(client, since="2026-02-01", until="2026-02-07")
    assert "There were no calls in this period." in html
    assert "There are no open cases." in html
    assert not {"calls-table", "reach-table", "aapor-table", "handling-table"} & tables.keys()
    assert "data-team-figure" not in html and "plotly.min.js" not in html


def test_rates_with_nothing_to_divide_by_show_a_dash(client, manager, agent):
    # A wrong number: a call, but not a reached customer, and not an eligible case for AAPOR.
    call(factories.FollowUpFactory(), 1, agent, local(10, 10), Outcome.WRONG_NUMBER)
    client.force_login(manager)
    _, tables = team_page(client)
    assert tables["reach-table"][1] == ["Alice", "1", "0", "0.0%"]
    assert tables["aapor-table"][1] == ["Alice", "—", "—"]
    assert tables["handling-table"][1] == ["Alice", "—"]


def test_each_block_has_a_plotly_figure_drawn_by_a_local_script(client, manager, agent, a_week_of_calls):
    factories.CaseFactory(owner=agent)
    client.force_login(manager)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    for key in ("calls", "reach", "aapor", "handling", "cases"):
        assert f'<script id="team-{key}-data" type="application/json">' in html
        assert f'data-team-figure="team-{key}-data"' in html
    assert "/static/vendor/plotly/plotly.min.js" in html and "/static/js/team-charts.js" in html
    assert "plot.ly" not in html and "plotly.com" not in html
    calls = response.context["report"].charts["calls"]
    assert [trace["name"] for trace in calls["data"]] == ["Alice", "Bob"]
    assert json.dumps(calls["data"][0]["y"]) == "[0, 0, 0, 0, 1, 2, 1]"


def test_the_page_takes_the_same_number_of_queries_for_more_agents(client, manager, a_week_of_calls):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as two_agents:
        team_page(client)
    for name in ("carol", "dave", "erin"):
        someone = factories.UserFactory(username=name, first_name=name.title(), roles=["agent"])
        call(factories.FollowUpFactory(), 1, someone, local(10, 10), Outcome.COMPLETE, minutes=4)
        factories.CaseFactory(owner=someone)
    with CaptureQueriesContext(connection) as five_agents:
        _, tables = team_page(client)
    assert len(tables["reach-table"]) == 1 + 5 + 1
    assert len(five_agents) == len(two_agents)


def test_agents_are_refused(client, agent):
    client.force_login(agent)
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_administrators_see_the_team_view(client, administrator):
    client.force_login(administrator)
    assert client.get(URL).status_code == 200


def test_managers_find_the_team_view_in_the_navigation_and_on_their_home_page(client, manager, agent):
    client.force_login(manager)
    home = client.get(reverse("analytics:manager-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert home.count(f'href="{URL}"') == 2
    client.force_login(agent)
    queue = client.get(reverse("surveys:agent-queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{URL}"' not in queue


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups")
def test_a_manager_sees_the_team_charts_drawn_on_a_phone(page, live_server):
    from playwright.sync_api import expect

    from tests.browser import PHONE, no_sideways_scroll, screenshot, sign_in

    factories.UserFactory(username="maggie", first_name="Maggie", roles=["manager"])
    alice = factories.UserFactory(username="alice", first_name="Alice", roles=["agent"])
    call(factories.FollowUpFactory(), 1, alice, local(10, 10), Outcome.COMPLETE, minutes=4)
    factories.CaseFactory(owner=alice)

    sign_in(page, live_server, english=True, username="maggie")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{reverse('analytics:manager-home')}")
    page.get_by_role("link", name="Team: calls and cases per agent").click()
    expect(page.get_by_role("heading", name="Calls per agent per day")).to_be_visible()
    charts = page.locator("[data-team-figure]")
    expect(charts).to_have_count(5)
    for index in range(5):
        expect(charts.nth(index)).to_have_class(re.compile(r"\bis-drawn\b"))
    assert page.locator(".modebar, a[href*='plot.ly'], a[href*='plotly.com']").count() == 0
    assert no_sideways_scroll(page)
    screenshot(page, "team-view-phone")

    page.get_by_label("From").fill("2026-02-01")
    page.get_by_label("To").fill("2026-02-07")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("There were no calls in this period.")).to_be_visible()
    expect(page.locator("[data-team-figure]")).to_have_count(1)  # the cases, which do not depend on the period
