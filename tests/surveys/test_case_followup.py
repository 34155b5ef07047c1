"""Working a case: starting it, marking it complex, and the "is it fixed?" re-survey after it is resolved.

The clock stands at Wednesday 2026-03-11 10:00 in Shanghai (mainland China rules for the re-survey: messages
09:00–20:00 any day, calls Mon–Fri 09–12 and 14–20, Saturday 10–17).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from surveys import cases, scheduling, tokens
from surveys.calendars import calendar_for
from surveys.cases import CaseRefused
from surveys.models import Campaign, Case, FollowUp, Survey
from surveys.policies import get_policy
from surveys.standing import CASE_RECHECK
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller, translation.override("en"):
        yield traveller


def consenting_customer(**fields):
    fields.setdefault("consent_given_at", NOW - timedelta(days=100))
    fields.setdefault("consent_source", "enrolment")
    return factories.CustomerFactory(**fields)


def resolved_case(owner, **fields) -> Case:
    fields.setdefault("follow_up__customer", consenting_customer(preferred_channel="sms"))
    return factories.CaseFactory(
        owner=owner,
        category=Case.Category.PAYMENT_PROBLEM,
        status=Case.Status.RESOLVED,
        resolved_at=NOW,
        resolved_by=owner,
        root_cause="Bank-side timeout",
        resolution_code="REFUNDED",
        **fields,
    )


# --- Starting and marking complex -------------------------------------------------------------------------


def test_starting_an_unowned_case_puts_it_in_progress_and_gives_it_to_whoever_started_it(manager):
    case = factories.CaseFactory(owner=None)

    cases.start_case(case=case, by=manager, now=NOW)

    assert (case.status, case.owner) == (Case.Status.IN_PROGRESS, manager)


def test_starting_a_case_keeps_its_owner(agent, manager):
    case = factories.CaseFactory(owner=agent)

    cases.start_case(case=case, by=manager, now=NOW)

    assert (case.status, case.owner) == (Case.Status.IN_PROGRESS, agent)


def test_a_case_already_started_is_not_started_again(agent):
    case = factories.CaseFactory(owner=agent, status=Case.Status.IN_PROGRESS)

    with pytest.raises(CaseRefused, match="no longer open"):
        cases.start_case(case=case, by=agent, now=NOW)


def test_a_complex_case_has_30_days_for_the_regulatory_answer(manager):
    case = factories.CaseFactory(opened_at=NOW)

    cases.mark_complex(case=case, by=manager, now=NOW)

    assert case.complex
    assert case.regulatory_due_at == NOW + timedelta(days=30)


def test_marking_an_extended_case_complex_keeps_the_extension(manager):
    case = factories.CaseFactory(opened_at=NOW)
    cases.extend_regulatory_deadline(case=case, approver=manager, reason="Waiting for the card scheme", now=NOW)

    cases.mark_complex(case=case, by=manager, now=NOW)

    assert case.regulatory_due_at == NOW + timedelta(days=60)


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"complex": True}, "complex already"), ({"status": "resolved", "resolved_at": NOW}, "resolved already")],
)
def test_a_case_is_marked_complex_once_and_never_after_it_is_resolved(manager, fields, message):
    if fields.get("status") == "resolved":
        fields |= {"root_cause": "x", "resolution_code": "Y"}
    case = factories.CaseFactory(opened_at=NOW, **fields)
    due = case.regulatory_due_at

    with pytest.raises(CaseRefused, match=message):
        cases.mark_complex(case=case, by=manager, now=NOW)

    case.refresh_from_db()
    assert case.regulatory_due_at == due


def test_alice_starts_her_case_on_its_page(client, agent):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)

    response = client.post(reverse("cases:start", args=[case.pk]))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS


def test_agents_may_not_mark_a_case_complex_and_are_not_offered_it(client, agent):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)

    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post(reverse("cases:complex", args=[case.pk]))

    assert "Mark as complex" not in page
    assert response.status_code == 403
    case.refresh_from_db()
    assert not case.complex


def test_the_manager_marks_a_case_complex_on_its_page(client, manager):
    case = factories.CaseFactory(opened_at=NOW)
    client.force_login(manager)

    response = client.post(reverse("cases:complex", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Complex case: 30 days to answer." in page
    assert "Mark as complex" not in page


# --- The re-survey ----------------------------------------------------------------------------------------


def test_a_resolved_case_is_re_surveyed_by_the_customers_preferred_channel_a_day_later_within_the_rules(agent):
    case = resolved_case(agent)

    recheck = cases.plan_recheck(case=case, by=agent, now=NOW)

    follow_up = recheck.follow_up
    assert recheck.problem == ""
    assert (follow_up.status, follow_up.channel, follow_up.rechecks_case) == (FollowUp.Status.PLANNED, "sms", case)
    assert follow_up.scheduled_for >= NOW + cases.RECHECK_DELAY
    assert scheduling.is_allowed(
        follow_up.scheduled_for,
        zone=SHANGHAI,
        channel="sms",
        policy=get_policy("mainland_china"),
        calendar=calendar_for("CN"),
    )
    campaign = follow_up.campaign
    assert (campaign.slug, campaign.trigger, campaign.survey.key) == (CASE_RECHECK.slug, "manual", "case-recheck")


def test_a_re_survey_waits_for_the_next_allowed_time(agent, clock):
    evening = datetime(2026, 3, 11, 20, 30, tzinfo=SHANGHAI)
    clock.move_to(evening)
    case = resolved_case(agent)

    follow_up = cases.plan_recheck(case=case, by=agent, now=evening).follow_up

    # A day later is 20:30, after the message window: the next morning at 09:00.
    assert follow_up.scheduled_for == datetime(2026, 3, 13, 9, 0, tzinfo=SHANGHAI)


def test_a_customer_who_opted_out_of_sms_is_re_surveyed_by_e_mail(agent):
    customer = consenting_customer(preferred_channel="sms", sms_opt_out_at=NOW - timedelta(days=2))
    case = resolved_case(agent, follow_up__customer=customer)

    assert cases.plan_recheck(case=case, by=agent, now=NOW).follow_up.channel == "email"


@pytest.mark.parametrize(
    ("customer_fields", "problem"),
    [
        ({"do_not_contact_at": NOW - timedelta(days=1), "do_not_contact_source": "phone"}, "may not be contacted"),
        ({"consent_given_at": None, "consent_source": ""}, "may not be contacted"),
    ],
)
def test_no_re_survey_for_a_customer_who_may_not_be_contacted(agent, customer_fields, problem):
    case = resolved_case(agent, follow_up__customer=consenting_customer(**customer_fields))

    recheck = cases.plan_recheck(case=case, by=agent, now=NOW)

    assert recheck.follow_up is None and problem in recheck.problem
    assert not FollowUp.objects.filter(rechecks_case=case).exists()


def test_no_re_survey_while_the_customer_has_another_open_follow_up(agent):
    case = resolved_case(agent)
    factories.FollowUpFactory(customer=case.customer, status=FollowUp.Status.INVITED)

    recheck = cases.plan_recheck(case=case, by=agent, now=NOW)

    assert recheck.follow_up is None and "another open follow-up" in recheck.problem


def test_a_case_is_re_surveyed_once(agent):
    case = resolved_case(agent)
    cases.plan_recheck(case=case, by=agent, now=NOW)

    again = cases.plan_recheck(case=case, by=agent, now=NOW)

    assert again.follow_up is None and "already" in again.problem
    assert FollowUp.objects.filter(rechecks_case=case).count() == 1


def test_an_unresolved_case_is_not_re_surveyed(agent):
    case = factories.CaseFactory(owner=agent)

    with pytest.raises(CaseRefused, match="Only a resolved case"):
        cases.plan_recheck(case=case, by=agent, now=NOW)


def test_no_re_survey_while_a_manager_has_paused_them(agent):
    cases.plan_recheck(case=resolved_case(agent), by=agent, now=NOW)
    Campaign.objects.filter(slug=CASE_RECHECK.slug).update(status=Campaign.Status.PAUSED)

    recheck = cases.plan_recheck(case=resolved_case(agent), by=agent, now=NOW)

    assert recheck.follow_up is None and "paused" in recheck.problem


def test_resolving_on_the_page_with_the_re_survey_ticked_plans_it_and_says_when(client, agent):
    case = factories.CaseFactory(owner=agent, follow_up__customer=consenting_customer(preferred_channel="sms"))
    client.force_login(agent)

    response = client.post(
        reverse("cases:resolve", args=[case.pk]),
        {"root_cause": "Bank-side timeout", "resolution_code": "REFUNDED", "notes": "", "recheck": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    page = response.content.decode()
    follow_up = FollowUp.objects.get(rechecks_case=case)
    when = timezone.localtime(follow_up.scheduled_for).strftime("%Y-%m-%d %H:%M")
    assert f"The re-survey is planned for {when} (by SMS)." in page
    assert "Is it fixed? The re-survey" in page


def test_resolving_with_the_re_survey_unticked_plans_none(client, agent):
    case = factories.CaseFactory(owner=agent, follow_up__customer=consenting_customer())
    client.force_login(agent)

    client.post(
        reverse("cases:resolve", args=[case.pk]), {"root_cause": "Timeout", "resolution_code": "REFUNDED", "notes": ""}
    )

    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert not FollowUp.objects.filter(rechecks_case=case).exists()


# --- The customer answers the re-survey -------------------------------------------------------------------


def invited_recheck(case: Case, agent) -> str:
    """The re-survey planned and sent by SMS: the token of its link."""
    follow_up = cases.plan_recheck(case=case, by=agent, now=NOW).follow_up
    FollowUp.objects.filter(pk=follow_up.pk).update(
        status=FollowUp.Status.INVITED, attempts=1, expires_at=NOW + timedelta(days=14)
    )
    token, token_hash = tokens.new_link_token()
    factories.ContactAttemptFactory(follow_up=follow_up, link_token_hash=token_hash, outcome="sent", channel="sms")
    return token


def answer(client, token, answers):
    url = reverse("public:survey", args=[token])
    for question, value in answers:
        response = client.post(url, {"question": question, "action": "next", "answer": value})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(url, {"action": "submit"}).status_code == 302


def test_a_customer_who_says_it_is_not_fixed_gets_a_new_case_of_the_same_category_for_the_same_owner(
    client, agent, manager
):
    case = resolved_case(agent)
    token = invited_recheck(case, agent)

    answer(client, token, [("fixed", "no"), ("still_wrong", "The refund never arrived"), ("handling", "2")])

    new_case = Case.objects.exclude(pk=case.pk).get()
    assert (new_case.category, new_case.priority, new_case.owner) == (
        Case.Category.PAYMENT_PROBLEM,
        Case.Priority.HIGH,
        agent,
    )
    assert f"#{case.pk}" in new_case.summary
    client.force_login(manager)
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The customer says it is not fixed." in page
    assert reverse("cases:detail", args=[new_case.pk]) in page


def test_a_customer_who_says_it_is_fixed_opens_no_case(client, agent, manager):
    case = resolved_case(agent)
    token = invited_recheck(case, agent)

    answer(client, token, [("fixed", "yes"), ("handling", "5")])

    assert Case.objects.count() == 1
    client.force_login(manager)
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The customer says it is fixed." in page


def test_no_re_survey_when_a_manager_archived_every_version_of_its_survey(agent):
    cases.plan_recheck(case=resolved_case(agent), by=agent, now=NOW)  # installs the shipped re-survey if missing
    Campaign.objects.filter(slug=CASE_RECHECK.slug).delete()
    Survey.objects.filter(key=CASE_RECHECK.survey_key).update(status=Survey.Status.ARCHIVED)

    recheck = cases.plan_recheck(case=resolved_case(agent), by=agent, now=NOW)

    assert recheck.follow_up is None and "published version" in recheck.problem
