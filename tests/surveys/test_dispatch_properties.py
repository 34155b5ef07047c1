"""A property of the dispatcher: whenever it runs, nothing it sends or reschedules breaks the contact rules.

Customers in four zones (two with DST changes in 2026, one at +05:30) under their region's preset, ticks at
any minute of 2026 before December (Chinese holidays and make-up working days included), follow-ups that
fell due up to three days earlier, and customers who already had contact attempts this month.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import dispatch
from surveys.models import ContactAttempt, FollowUp
from surveys.scheduling import is_allowed
from tests import factories

pytestmark = pytest.mark.django_db

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Asia/Kolkata"]
REGION_POLICIES = {"US": "united_states", "FR": "france", "HK": "hong_kong"}
START_OF_2026 = datetime(2026, 1, 1, tzinfo=UTC)

person = st.fixed_dictionaries(
    {
        "time_zone": st.sampled_from(ZONES),
        "preferred_time_of_day": st.sampled_from(["any", "morning", "afternoon", "evening"]),
        "region": st.sampled_from(["CN", "US", "FR", "HK"]),
        "channel": st.sampled_from(["sms", "email"]),
        "late_by_minutes": st.integers(min_value=0, max_value=3 * 24 * 60),
        "earlier_attempts": st.integers(min_value=0, max_value=5),
    }
)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms-outbox.jsonl")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(person, min_size=1, max_size=12),
    minutes_into_2026=st.integers(min_value=0, max_value=333 * 24 * 60),  # up to 29 November
)
def test_nothing_is_sent_or_rescheduled_outside_the_rules(outbox, people, minutes_into_2026):
    now = START_OF_2026 + timedelta(minutes=minutes_into_2026)
    with time_machine.travel(now, tick=False), transaction.atomic():
        campaign = factories.CampaignFactory(
            channels=["sms", "email"], region_policies=REGION_POLICIES, messages_per_minute=1000
        )
        earlier_campaign = factories.CampaignFactory(channels=["sms"])
        for spec in people:
            customer = factories.CustomerFactory(
                time_zone=spec["time_zone"],
                preferred_time_of_day=spec["preferred_time_of_day"],
                region=spec["region"],
                consent_given_at=now - timedelta(days=400),
                consent_source="enrolment",
            )
            if spec["earlier_attempts"]:
                # Contacts of another, closed follow-up in the last 30 days count against the caps.
                old = factories.FollowUpFactory(
                    campaign=earlier_campaign,
                    customer=customer,
                    channel="sms",
                    status=FollowUp.Status.COMPLETED,
                    closed_at=now - timedelta(days=1),
                    scheduled_for=now - timedelta(days=29),
                )
                for number in range(1, spec["earlier_attempts"] + 1):
                    ContactAttempt.objects.create(
                        follow_up=old,
                        number=number,
                        channel="sms",
                        started_at=now - timedelta(days=29 - 5 * number),
                        outcome=ContactAttempt.Outcome.SENT,
                    )
            factories.FollowUpFactory(
                campaign=campaign,
                customer=customer,
                channel=spec["channel"],
                scheduled_for=now - timedelta(minutes=spec["late_by_minutes"]),
            )

        dispatch.dispatch_due_follow_ups(now=now)

        for follow_up in FollowUp.objects.filter(campaign=campaign).select_related("customer", "campaign"):
            policy, calendar, zone = dispatch.rules_for(campaign, follow_up.customer)
            rules = {"zone": zone, "policy": policy, "calendar": calendar}
            sent = follow_up.attempts_made.filter(outcome=ContactAttempt.Outcome.SENT)
            for attempt in sent:
                assert is_allowed(attempt.started_at, channel=attempt.channel, **rules), (
                    f"sent at {attempt.started_at.astimezone(zone)} local under {policy.key}"
                )
            if follow_up.status == FollowUp.Status.PLANNED:
                # Put back for later: at an allowed moment in the future (or re-checked later, unsent).
                assert follow_up.scheduled_for > now
                assert not sent.exists()
            # The attempt cap holds across both campaigns: nothing is added to a customer already at the cap.
            earlier = ContactAttempt.objects.filter(
                follow_up__customer=follow_up.customer, follow_up__campaign=earlier_campaign
            ).count()
            assert earlier + sent.count() <= max(earlier, policy.attempts_per_period)
        transaction.set_rollback(True)
