"""The nightly retention run: expired links stop answering at all, and old responses lose what names a person
while every figure of the concern dashboards stays exactly the same, also after a full rebuild of the rollups.

Wang Fang answered more than a year ago and wrote her name and phone number into the comment box; Li Lei
answered last month. Alice (an agent) wrote call notes about Wang Fang.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import rollups
from analytics.models import ThemeExample
from privacy import rules, services, tasks
from privacy.models import AnonymisedResponse
from surveys.models import Answer, Case, ContactAttempt, FollowUp, Response
from surveys.skip_logic import AnswerValue
from tests import factories
from tests.privacy.helpers import HAPPY, LATELY, LONG_AGO, NOW, campaign_figures, comment, dashboard_figures, respond

pytestmark = pytest.mark.django_db


def run(**bounds):
    return services.apply_retention(now=NOW, **bounds)


# --- Expired link tokens ----------------------------------------------------------------------------------


def page_text(page) -> str:
    return re.sub(r'value="[^"]+"', "", page.content.decode())


def expired_answered_link(days_ago):
    """A link whose follow-up was answered and whose link expired ``days_ago`` days ago: (token, follow-up)."""
    token, follow_up = factories.survey_link(expires_in=timedelta(days=-days_ago))
    factories.ResponseFactory(follow_up=follow_up)
    return token, follow_up


def test_a_purged_link_shows_exactly_the_page_of_an_unknown_link(client):
    token, follow_up = expired_answered_link(days_ago=31)
    survey_url, opt_out_url = reverse("public:survey", args=[token]), reverse("trust:opt-out", args=[token])
    unknown = "x" * 43
    assert client.get(survey_url).status_code == 200  # "already answered": the link is known
    assert client.get(opt_out_url).status_code == 200  # the opt-out page works for every link ever sent

    purged, more_left = services.purge_expired_link_tokens(now=timezone.now(), batch_size=100, max_batches=10)

    assert (purged, more_left) == (1, False)
    for address in ("public:survey", "trust:opt-out"):
        after = client.get(reverse(address, args=[token]), HTTP_ACCEPT_LANGUAGE="en")
        stranger = client.get(reverse(address, args=[unknown]), HTTP_ACCEPT_LANGUAGE="en")
        assert after.status_code == stranger.status_code
        assert page_text(after) == page_text(stranger)
        assert follow_up.campaign.name not in page_text(after)


def test_it_keeps_links_that_expired_lately_or_still_work_and_clears_verification_codes_of_old_ones():
    lately_token, lately = factories.survey_link(expires_in=timedelta(days=-29))
    working_token, working = factories.survey_link()
    old_token, old = factories.survey_link(expires_in=timedelta(days=-31))
    ContactAttempt.objects.update(verification_code="ABC234")

    services.purge_expired_link_tokens(now=timezone.now(), batch_size=100, max_batches=10)

    kept = ContactAttempt.objects.filter(follow_up__in=[lately, working])
    assert all(a.link_token_hash and a.verification_code for a in kept)
    purged = ContactAttempt.objects.get(follow_up=old)
    assert purged.link_token_hash is None and purged.verification_code == ""
    assert purged.outcome == "sent" and purged.started_at  # the attempt itself stays: the funnel counts it


def test_the_purge_works_in_batches_and_a_rerun_does_nothing():
    for _ in range(5):
        factories.survey_link(expires_in=timedelta(days=-60))
    now = timezone.now()

    assert services.purge_expired_link_tokens(now=now, batch_size=2, max_batches=2) == (4, True)
    assert services.purge_expired_link_tokens(now=now, batch_size=2, max_batches=2) == (1, False)
    assert services.purge_expired_link_tokens(now=now, batch_size=2, max_batches=2) == (0, False)
    assert not ContactAttempt.objects.filter(link_token_hash__isnull=False).exists()


# --- Old responses --------------------------------------------------------------------------------------------


@pytest.fixture
def history(campaign, agent):
    """Old and recent responses, with what staff wrote about them, counted into the rollups."""
    wang = factories.CustomerFactory(name="王芳", phone="+8613800138000", email="wang.fang@example.com")
    old = respond(campaign, comment("我是王芳，电话13800138000，我的卡被盗刷了"), at=LONG_AGO, customer=wang)
    crashed = respond(campaign, comment("John Smith here: the app crashed, call +44 7700 900123"), at=LONG_AGO)
    unfinished = respond(campaign, comment("赵先生 担心个人信息泄露"), at=LONG_AGO, submit=False)
    unhappy = {**HAPPY, "nps": AnswerValue(number=3), "wrong": AnswerValue(text="Mr Zhao: the app is slow 卡顿")}
    waiting = respond(campaign, unhappy, at=LONG_AGO)
    recent = respond(campaign, comment("李雷：到账慢，担心个人信息泄露"), at=LATELY)
    respond(campaign, HAPPY, at=LONG_AGO)

    fraud = Case.objects.get(response=old)  # free text about security opens a case
    Case.objects.filter(pk=fraud.pk).update(
        status=Case.Status.RESOLVED, resolved_at=LONG_AGO + timedelta(days=2), root_cause="card skimmed",
        resolution_code="refunded", resolution_notes="Called 王芳 on +8613800138000, refunded",
    )  # fmt: skip
    assert Case.objects.filter(response=waiting).exclude(status=Case.Status.RESOLVED).exists()
    notes = "王芳 asked us to call her husband"  # the agent's own words
    factories.ContactAttemptFactory(
        follow_up=old.follow_up, number=2, agent=agent, notes=notes, provider_message_id="1"
    )
    FollowUp.objects.filter(pk=old.follow_up_id).update(note="王芳 complained at the branch")
    rollups.rebuild_rollups(now=NOW)
    return {"old": old, "crashed": crashed, "unfinished": unfinished, "waiting": waiting, "recent": recent}


def free_text(response) -> str:
    return Answer.objects.get(response=response, question__kind="free_text").text


def test_old_responses_lose_their_words_but_every_dashboard_figure_stays_the_same(history):
    before, overview = dashboard_figures(), campaign_figures()
    assert ThemeExample.objects.filter(answer__response=history["old"]).exists()

    result = run()

    assert result.responses_anonymised == 4  # old, crashed, unfinished, the happy one; not "waiting", not recent
    assert dashboard_figures() == before
    assert campaign_figures() == overview
    rollups.rebuild_rollups(now=NOW)
    assert dashboard_figures() == before, "a full rebuild counts the same figures from the anonymised answers"


def test_the_words_that_name_a_person_are_gone_and_the_themes_are_kept(history):
    run()

    old_text = free_text(history["old"])
    assert old_text.startswith(rules.MARKER)
    assert "盗刷" in old_text
    for personal in ("王芳", "13800138000"):
        assert personal not in old_text
    assert "John Smith" not in free_text(history["crashed"]) and "7700" not in free_text(history["crashed"])
    assert "赵先生" not in free_text(history["unfinished"])
    assert not ThemeExample.objects.filter(answer__response__in=[history["old"], history["crashed"]]).exists()
    attempt = ContactAttempt.objects.get(follow_up=history["old"].follow_up, number=2)
    assert (attempt.notes, attempt.provider_message_id) == ("", "")
    assert FollowUp.objects.get(pk=history["old"].follow_up_id).note == ""
    case = Case.objects.get(response=history["old"])
    assert "王芳" not in case.summary + case.resolution_notes
    assert (case.status, case.category, case.resolution_code) == (Case.Status.RESOLVED, "suspected_fraud", "refunded")


def test_recent_responses_and_old_ones_with_an_open_case_are_left_alone(history):
    waiting_text = free_text(history["waiting"])
    run()

    assert free_text(history["recent"]) == "李雷：到账慢，担心个人信息泄露"
    assert free_text(history["waiting"]) == waiting_text
    assert ThemeExample.objects.filter(answer__response=history["recent"]).exists()
    assert not AnonymisedResponse.objects.filter(response__in=[history["recent"], history["waiting"]]).exists()


def test_the_anonymisation_works_in_batches_is_idempotent_and_drops_examples_a_rebuild_brings_back(history):
    first = run(batch_size=2, max_batches=1)
    assert (first.responses_anonymised, first.more_left) == (2, True)
    second = run(batch_size=2, max_batches=5)
    assert (second.responses_anonymised, second.more_left) == (2, False)
    texts = list(Answer.objects.order_by("pk").values_list("text", flat=True))
    before = dashboard_figures()

    rollups.rebuild_rollups(now=NOW)  # the only examples of "crash" are anonymised: the rebuild picks them again
    assert ThemeExample.objects.filter(answer__response=history["crashed"]).exists()
    third = run(batch_size=2, max_batches=5)

    assert (third.responses_anonymised, third.answers_anonymised, third.more_left) == (0, 0, False)
    assert third.theme_examples_removed > 0
    assert not ThemeExample.objects.filter(answer__response=history["crashed"]).exists()
    assert list(Answer.objects.order_by("pk").values_list("text", flat=True)) == texts
    assert dashboard_figures() == before


def test_a_resolved_case_lets_its_response_be_anonymised_the_next_night(history):
    run()
    Case.objects.filter(response=history["waiting"]).update(
        status=Case.Status.RESOLVED, resolved_at=NOW, root_cause="slow phone", resolution_code="advice"
    )
    assert run().responses_anonymised == 1
    assert "Zhao" not in free_text(history["waiting"])


def test_the_task_runs_the_service_and_says_what_it_did(history, settings):
    settings.RESPONSE_ANONYMISE_AFTER_DAYS = 365
    done = tasks.apply_retention.apply().get()  # the real clock: everything here is older than NOW
    assert done["responses_anonymised"] == 4
    assert tasks.apply_retention.apply().get()["responses_anonymised"] == 0
    assert Response.objects.count() == 6  # nothing deleted
