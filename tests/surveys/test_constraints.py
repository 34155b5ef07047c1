"""The data rules hold in the database itself, whatever code path writes the rows."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Case, FollowUp, Response
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_follow_up_cannot_get_a_second_response(customer):
    first = factories.ResponseFactory(follow_up__customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            follow_up=first.follow_up, survey=first.survey, language="en", started_at=timezone.now()
        )
    assert Response.objects.filter(follow_up=first.follow_up).count() == 1


def test_a_customer_cannot_have_two_open_follow_ups(customer):
    factories.FollowUpFactory(customer=customer, status=FollowUp.Status.INVITED)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FollowUpFactory(customer=customer, status=FollowUp.Status.PLANNED)


def test_a_customer_may_have_closed_follow_ups_beside_an_open_one(customer):
    for status in (FollowUp.Status.COMPLETED, FollowUp.Status.UNREACHABLE, FollowUp.Status.CANCELLED):
        factories.FollowUpFactory(customer=customer, status=status)
    factories.FollowUpFactory(customer=customer, status=FollowUp.Status.PLANNED)
    assert customer.follow_ups.count() == 4


def test_a_planned_follow_up_needs_a_time(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FollowUpFactory(customer=customer, status=FollowUp.Status.PLANNED, scheduled_for=None)


def test_a_closed_follow_up_records_when_it_closed(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FollowUpFactory(customer=customer, status=FollowUp.Status.UNREACHABLE, closed_at=None)


def test_customer_bank_references_are_unique(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CustomerFactory(bank_reference=customer.bank_reference)


def test_wallet_event_references_are_unique(customer):
    event = factories.WalletEventFactory(customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.WalletEventFactory(customer=customer, bank_reference=event.bank_reference)


def test_a_retried_send_cannot_record_the_same_attempt_twice():
    attempt = factories.ContactAttemptFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ContactAttemptFactory(follow_up=attempt.follow_up, number=attempt.number)


def test_a_call_back_attempt_needs_the_time_asked_for():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ContactAttemptFactory(outcome="callback_requested", callback_at=None)


def test_a_case_cannot_be_resolved_without_root_cause_and_resolution_code():
    case = factories.CaseFactory()
    case.status = Case.Status.RESOLVED
    case.resolved_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()
    case.root_cause = "Card skimmed at a merchant"
    case.resolution_code = "refunded"
    case.save()
    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED


def test_scores_outside_every_scale_are_refused():
    response = factories.ResponseFactory()
    question = factories.QuestionFactory(survey=response.survey)
    with pytest.raises(IntegrityError), transaction.atomic():
        response.answers.create(question=question, number=11)


def test_survey_versions_are_unique_per_key():
    survey = factories.SurveyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SurveyFactory(key=survey.key, version=survey.version)
    factories.SurveyFactory(key=survey.key, version=survey.version + 1)


def test_a_campaign_deadline_must_come_after_its_cool_off():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CampaignFactory(cool_off=timedelta(hours=5), deadline=timedelta(hours=1))


def test_one_wallet_event_triggers_at_most_one_follow_up_per_campaign(customer):
    event = factories.WalletEventFactory(customer=customer)
    first = factories.FollowUpFactory(customer=customer, wallet_event=event, status=FollowUp.Status.COMPLETED)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FollowUpFactory(
            customer=customer, wallet_event=event, campaign=first.campaign, status=FollowUp.Status.CANCELLED
        )
