"""The load run's exactly-once checks (bench/exactly_once.py) catch a loss, a duplicate and a send at night.

A tiny fabricated run: one campaign of three customers in Shanghai, invited on a Wednesday at 11:00 local
time (two by SMS, one by e-mail), with the outbox lines and sink records the senders would have written.
"""

from datetime import UTC, datetime, timedelta

import pytest

from bench.exactly_once import AcceptedSubmission, check_invitations, check_submissions
from surveys.messaging import invitation_idempotency_key, invitation_message_id
from surveys.models import Answer, ContactAttempt, FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

SENT_AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, a working Wednesday
DUE_BY = SENT_AT + timedelta(hours=1)


def _invited(campaign, channel: str, *, started_at=SENT_AT) -> tuple[FollowUp, ContactAttempt]:
    follow_up = factories.FollowUpFactory(
        campaign=campaign,
        customer=factories.CustomerFactory(time_zone="Asia/Shanghai"),
        channel=channel,
        status=FollowUp.Status.INVITED,
        attempts=1,
        scheduled_for=started_at - timedelta(minutes=1),
    )
    attempt = factories.ContactAttemptFactory(
        follow_up=follow_up, channel=channel, outcome=ContactAttempt.Outcome.SENT, started_at=started_at
    )
    return follow_up, attempt


def _sms(attempt) -> dict:
    key = invitation_idempotency_key(attempt_id=attempt.pk, started_at=attempt.started_at)
    return {"idempotency_key": key, "sent_at": attempt.started_at.isoformat()}


def _email(attempt) -> dict:
    return {"message_id": invitation_message_id(attempt_id=attempt.pk, started_at=attempt.started_at)}


@pytest.fixture
def run():
    campaign = factories.CampaignFactory(channels=["sms", "email"])
    sms = [_invited(campaign, "sms") for _ in range(2)]
    email = [_invited(campaign, "email")]
    return campaign, sms, email


def _check(campaign, sms_records, email_records):
    return check_invitations(
        campaign_id=campaign.pk, sms_records=sms_records, email_records=email_records, due_by=DUE_BY
    )


def test_a_clean_run_passes(run):
    campaign, sms, email = run

    check = _check(campaign, [_sms(a) for _f, a in sms], [_email(a) for _f, a in email])

    assert check.ok, check.problems
    assert check.figures["SENT attempts"] == 3
    assert check.figures["sms handed over"] == 2
    assert check.figures["email handed over"] == 1


def test_it_catches_an_sms_handed_over_twice(run):
    campaign, sms, email = run
    lines = [_sms(a) for _f, a in sms]

    check = _check(campaign, [*lines, lines[0]], [_email(a) for _f, a in email])

    assert not check.ok
    assert check.figures["sms: key or Message-ID handed over more than once"] == 1
    assert check.figures["sms: follow-up messaged more than once"] == 1


def test_it_catches_a_follow_up_sent_twice_under_two_attempts(run):
    campaign, sms, email = run
    follow_up, _first = sms[0]
    second = factories.ContactAttemptFactory(
        follow_up=follow_up, number=2, channel="sms", outcome=ContactAttempt.Outcome.SENT, started_at=SENT_AT
    )

    check = _check(campaign, [*(_sms(a) for _f, a in sms), _sms(second)], [_email(a) for _f, a in email])

    assert check.figures["more than one SENT attempt"] == 1
    assert check.figures["sms: follow-up messaged more than once"] == 1


def test_it_catches_a_due_follow_up_never_sent_and_an_email_lost(run):
    campaign, sms, _email_run = run
    factories.FollowUpFactory(campaign=campaign, channel="sms", status=FollowUp.Status.PLANNED, scheduled_for=SENT_AT)

    check = _check(campaign, [_sms(a) for _f, a in sms], [])

    assert check.figures["due and not sent"] == 1
    assert check.figures["email: SENT attempt missing from the outbox"] == 1


def test_a_follow_up_planned_after_the_run_is_not_counted_as_lost(run):
    campaign, sms, email = run
    factories.FollowUpFactory(
        campaign=campaign, channel="sms", status=FollowUp.Status.PLANNED, scheduled_for=DUE_BY + timedelta(hours=2)
    )

    check = _check(campaign, [_sms(a) for _f, a in sms], [_email(a) for _f, a in email])

    assert check.ok, check.problems


def test_it_catches_an_invitation_sent_at_night(run):
    campaign, sms, email = run
    _follow_up, night = _invited(campaign, "sms", started_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # 23:00

    check = _check(campaign, [*(_sms(a) for _f, a in sms), _sms(night)], [_email(a) for _f, a in email])

    assert check.figures["sent outside the customer's window (attempt ids)"] == 1
    assert str(night.pk) in " ".join(check.problems)


def test_other_campaigns_messages_are_left_out(run):
    campaign, sms, email = run
    _other, elsewhere = _invited(factories.CampaignFactory(), "sms")

    check = _check(campaign, [*(_sms(a) for _f, a in sms), _sms(elsewhere)], [_email(a) for _f, a in email])

    assert check.ok, check.problems


# --- Submissions --------------------------------------------------------------------------------------------


def _answered_link(survey, question, score: int):
    token, follow_up = factories.survey_link(survey=survey)
    response = factories.ResponseFactory(follow_up=follow_up, survey=survey)
    Answer.objects.create(response=response, question=question, number=score)
    return token


def test_submissions_stored_once_with_their_answers_pass():
    survey = factories.SurveyFactory()
    nps = factories.QuestionFactory(survey=survey, code="nps")
    token = _answered_link(survey, nps, 8)

    check = check_submissions([AcceptedSubmission(token=token, answers={"nps": ("8",)})])

    assert check.ok, check.problems
    assert check.figures["stored"] == 1


def test_it_catches_an_accepted_submission_that_was_lost():
    survey = factories.SurveyFactory()
    factories.QuestionFactory(survey=survey, code="nps")
    token, _follow_up = factories.survey_link(survey=survey)  # the client saw "thanks", nothing was stored

    check = check_submissions([AcceptedSubmission(token=token, answers={"nps": ("8",)})])

    assert check.figures["lost (no submitted response)"] == 1
    assert not check.ok


def test_it_catches_answers_that_differ_from_those_posted():
    survey = factories.SurveyFactory()
    nps = factories.QuestionFactory(survey=survey, code="nps")
    token = _answered_link(survey, nps, 3)

    check = check_submissions([AcceptedSubmission(token=token, answers={"nps": ("8",)})])

    assert check.figures["answers differ from those posted"] == 1
