"""The rollup tables: responses counted incrementally (once each, on their local day), the contact funnel
recomputed, free-text themes with their newest examples, and the command and task that keep them."""

import threading
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from analytics import rollups
from analytics.models import FunnelRollup, ResponseRollup, RollupState, ThemeExample, ThemeRollup
from surveys.call_outcomes import CALL_OUTCOMES
from surveys.models import ContactAttempt, FollowUp, Response
from surveys.skip_logic import AnswerValue
from tests import factories
from tests.answers import respond

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
Outcome = ContactAttempt.Outcome


# --- Building responses through the real answering path ----------------------------------------------


def yes(flag=True):
    return AnswerValue(yes_no=flag)


def score(number):
    return AnswerValue(number=number)


def text(words):
    return AnswerValue(text=words)


def chosen(*codes):
    return AnswerValue(choices=frozenset(codes))


HAPPY = {"nps": score(10), "failed": yes(False), "rating": score(5), "effort": score(7)}


@pytest.fixture
def campaign(db):
    return factories.CampaignFactory(survey=factories.skip_logic_survey())


def rows(model, *fields):
    """Every row of a rollup table as (dimensions…, measures…) with its id left out, in a stable order."""
    names = fields or [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    return sorted(model.objects.values_list(*names), key=repr)


def snapshot():
    return {model.__name__: rows(model) for model in (ResponseRollup, ThemeRollup, ThemeExample, FunnelRollup)}


def total(measure):
    return sum(ResponseRollup.objects.values_list(measure, flat=True))


# --- Responses --------------------------------------------------------------------------------------


def test_a_submitted_response_counts_once_with_its_dimensions(campaign):
    customer = factories.CustomerFactory(segment="premium", device_os="ios", app_version="9.0", wallet_product="gold")
    event = factories.WalletEventFactory(customer=customer, kind="payment_failed")
    respond(campaign, HAPPY, at=MONDAY_10, customer=customer, wallet_event=event)

    assert rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=5)) == 1

    row = ResponseRollup.objects.get()
    assert (row.day, row.campaign_id, row.segment, row.device_os, row.app_version, row.wallet_product) == (
        MONDAY_10.date(),
        campaign.pk,
        "premium",
        "ios",
        "9.0",
        "gold",
    )
    assert (row.channel, row.event_kind) == ("web", "payment_failed")
    assert (row.respondents, row.nps_answered, row.nps_promoters, row.nps_detractors) == (1, 1, 1, 0)
    assert (row.csat_answered, row.csat_top2, row.ces_answered, row.ces_sum) == (1, 1, 1, 7)


def test_missing_dimensions_are_empty_text_and_a_phone_interview_is_the_phone_channel(campaign):
    customer = factories.CustomerFactory(device_os="", app_version="")
    respond(campaign, HAPPY, at=MONDAY_10, customer=customer, mode=Response.Mode.PHONE)

    rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=5))

    row = ResponseRollup.objects.get()
    assert (row.segment, row.device_os, row.app_version, row.wallet_product, row.event_kind) == ("",) * 5
    assert row.channel == "phone"


def test_responses_of_one_group_add_up_in_one_row(campaign):
    customer = factories.CustomerFactory(segment="mass")
    respond(campaign, HAPPY, at=MONDAY_10, customer=customer)
    respond(campaign, {**HAPPY, "nps": score(3), "wrong": text("the app crashed")}, at=MONDAY_10)
    respond(campaign, {**HAPPY, "nps": score(8), "failed": yes(), "which": chosen("qr")}, at=MONDAY_10)

    assert rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=5)) == 3

    assert ResponseRollup.objects.count() == 2  # "mass" and no segment
    assert total("respondents") == 3
    assert (total("nps_promoters"), total("nps_detractors")) == (1, 1)
    assert total("cites_compatibility") == 1  # "crashed": free text tagged compatibility
    assert total("cites_trust") == 1  # "yes" to "did a payment fail?", a trust question


def test_running_the_refresh_twice_counts_nothing_twice(campaign):
    respond(campaign, HAPPY, at=MONDAY_10)
    later = MONDAY_10 + timedelta(minutes=5)

    assert rollups.refresh_response_rollups(now=later) == 1
    assert rollups.refresh_response_rollups(now=later) == 0
    assert rollups.refresh_response_rollups(now=later + timedelta(hours=1)) == 0

    assert total("respondents") == 1


def test_a_response_submitted_within_the_lag_waits_for_the_next_refresh(campaign):
    respond(campaign, HAPPY, at=MONDAY_10)

    assert rollups.refresh_response_rollups(now=MONDAY_10 + rollups.LAG - timedelta(seconds=1)) == 0
    assert not ResponseRollup.objects.exists()
    assert rollups.refresh_response_rollups(now=MONDAY_10 + rollups.LAG + timedelta(seconds=1)) == 1
    assert total("respondents") == 1


def test_responses_in_progress_are_not_counted(campaign):
    respond(campaign, {"nps": score(9)}, at=MONDAY_10, submit=False)

    assert rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(hours=1)) == 0
    assert not ResponseRollup.objects.exists()


def test_a_response_counts_on_its_local_day_in_shanghai(campaign):
    late_evening = datetime(2026, 3, 9, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC the same day
    after_midnight = datetime(2026, 3, 10, 0, 30, tzinfo=SHANGHAI)  # 16:30 UTC on 9 March
    respond(campaign, HAPPY, at=late_evening)
    respond(campaign, HAPPY, at=after_midnight)

    rollups.refresh_response_rollups(now=after_midnight + timedelta(minutes=5))

    days = dict(ResponseRollup.objects.values_list("day", "respondents"))
    assert days == {late_evening.date(): 1, after_midnight.date(): 1}
    assert after_midnight.astimezone(ZoneInfo("UTC")).date() == late_evening.date()  # UTC would merge them


def test_small_batches_count_the_same_as_one_big_one(campaign):
    for minute in range(7):
        respond(campaign, HAPPY, at=MONDAY_10 + timedelta(minutes=minute))
    # Two responses submitted at the very same moment: the watermark's id breaks the tie.
    respond(campaign, HAPPY, at=MONDAY_10 + timedelta(minutes=3))

    assert rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(hours=1), batch_size=2) == 8

    assert total("respondents") == 8
    state = RollupState.objects.get(name=rollups.RESPONSES)
    newest = Response.objects.order_by("-submitted_at", "-pk").first()
    assert (state.last_submitted_at, state.last_response_id) == (newest.submitted_at, newest.pk)


def test_the_incremental_refresh_equals_a_rebuild_after_several_refreshes(campaign):
    other = factories.CampaignFactory(survey=campaign.survey)
    worried = {**HAPPY, "nps": score(2), "wrong": text("我的个人信息好像泄露了, I think my details leaked")}
    moments = [MONDAY_10 + timedelta(hours=hour) for hour in range(4)]
    for index, moment in enumerate(moments):
        respond(campaign, worried if index % 2 else HAPPY, at=moment)
        respond(other, {**worried, "comments": text("app crashes after the update")}, at=moment, mode="phone")
        respond(campaign, {**HAPPY, "failed": yes(), "which": chosen("online")}, at=moment + timedelta(minutes=30))
        rollups.refresh_response_rollups(now=moment + timedelta(minutes=45))
    with time_machine.travel(moments[-1] + timedelta(hours=1), tick=False):
        rollups.refresh_funnel_rollups()
    incremental = snapshot()

    rollups.rebuild_rollups(now=moments[-1] + timedelta(hours=1))

    assert snapshot() == incremental
    assert incremental["ResponseRollup"] and incremental["ThemeRollup"] and incremental["ThemeExample"]
    assert total("respondents") == 12


# --- Themes and examples ----------------------------------------------------------------------------


def test_free_text_counts_once_per_concern_and_theme(campaign):
    respond(
        campaign,
        {**HAPPY, "comments": text("Fraud! Pure fraud. The app crashes, crashes and crashes, no leak though")},
        at=MONDAY_10,
    )

    rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=5))

    themes = dict(((c, t), n) for c, t, n in ThemeRollup.objects.values_list("concern", "theme", "answers"))
    assert themes[("security", "fraud")] == 1
    assert themes[("compatibility", "crash")] == 1
    assert ("security", "leak") not in themes  # "no leak": negated
    assert set(ThemeExample.objects.values_list("concern", "theme")) == set(themes)


def test_only_the_newest_examples_of_a_theme_are_kept(campaign):
    for minute in range(rollups.EXAMPLES_PER_THEME + 3):
        respond(
            campaign, {**HAPPY, "comments": text(f"fraud number {minute}")}, at=MONDAY_10 + timedelta(minutes=minute)
        )
        if minute % 3 == 0:  # examples arrive over several refreshes, older ones pruned as newer come
            rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=minute, seconds=61))
    rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(hours=1))

    kept = ThemeExample.objects.filter(concern="security", theme="fraud").order_by("-submitted_at")
    assert [example.answer.text for example in kept] == [f"fraud number {n}" for n in range(7, 2, -1)]
    assert ThemeRollup.objects.get(concern="security", theme="fraud").answers == rollups.EXAMPLES_PER_THEME + 3


# --- The contact funnel -----------------------------------------------------------------------------


def follow_up_with(campaign, *outcomes, status=FollowUp.Status.PLANNED, channel="phone", response=None):
    follow_up = factories.FollowUpFactory(campaign=campaign, channel=channel, status=status)
    for number, outcome in enumerate(outcomes, start=1):
        factories.ContactAttemptFactory(
            follow_up=follow_up,
            number=number,
            channel="phone" if outcome in CALL_OUTCOMES else channel,
            outcome=outcome,
            callback_at=timezone.now() + timedelta(days=1) if outcome == Outcome.CALLBACK_REQUESTED else None,
        )
    if response is not None:
        factories.ResponseFactory(
            follow_up=follow_up,
            status=response,
            submitted_at=timezone.now() if response == Response.Status.SUBMITTED else None,
        )
    return follow_up


FUNNEL_FIELDS = ("planned", "contacted", "reached", "complete", "partial", "refusal", "non_contact", "unknown")


def funnel(channel):
    return {
        name: sum(FunnelRollup.objects.filter(channel=channel).values_list(name, flat=True)) for name in FUNNEL_FIELDS
    }


def test_each_follow_up_gets_one_disposition_and_a_wrong_number_none(campaign):
    with time_machine.travel(MONDAY_10, tick=False):
        follow_up_with(campaign, Outcome.COMPLETE, status=FollowUp.Status.COMPLETED, response="submitted")
        follow_up_with(campaign, Outcome.PARTIAL)
        follow_up_with(campaign, Outcome.NO_ANSWER, Outcome.REFUSAL, status=FollowUp.Status.REFUSED)
        follow_up_with(campaign, Outcome.BREAK_OFF)
        follow_up_with(campaign, Outcome.DO_NOT_CONTACT, status=FollowUp.Status.CANCELLED)
        follow_up_with(campaign, Outcome.NO_ANSWER, Outcome.BUSY, Outcome.ANSWERING_MACHINE)
        follow_up_with(campaign, Outcome.NO_ANSWER, Outcome.WRONG_NUMBER, status=FollowUp.Status.UNREACHABLE)
        follow_up_with(campaign)  # never called
        # Messages: answered on the web, begun and left, sent and never answered, failed to send.
        follow_up_with(campaign, Outcome.SENT, channel="sms", status="completed", response="submitted")
        follow_up_with(campaign, Outcome.DELIVERED, channel="sms", status="invited", response="in_progress")
        follow_up_with(campaign, Outcome.SENT, channel="email", status="expired")
        follow_up_with(campaign, Outcome.FAILED, channel="email", status="unreachable")

    assert rollups.refresh_funnel_rollups(now=MONDAY_10 + timedelta(hours=1)) == 12

    assert funnel("phone") == {
        "planned": 8,
        "contacted": 7,  # all but the one never called
        "reached": 5,  # complete, partial, refusal, break-off, do not contact
        "complete": 1,
        "partial": 1,
        "refusal": 3,  # refused, hung up part-way, asked not to be contacted
        "non_contact": 1,  # no answer, busy, voicemail
        "unknown": 1,  # never called; the wrong number is in none of the five
    }
    assert funnel("sms") == {
        "planned": 2,
        "contacted": 2,
        "reached": 2,  # both have a response
        "complete": 1,
        "partial": 1,
        "refusal": 0,
        "non_contact": 0,
        "unknown": 0,
    }
    assert funnel("email") == {
        "planned": 2,
        "contacted": 1,  # a failed message reaches nobody
        "reached": 0,
        "complete": 0,
        "partial": 0,
        "refusal": 0,
        "non_contact": 0,
        "unknown": 2,
    }


def test_the_funnel_counts_follow_ups_on_their_local_day_and_is_recomputed_as_a_whole(campaign):
    with time_machine.travel(datetime(2026, 3, 9, 23, 30, tzinfo=SHANGHAI), tick=False):
        open_call = follow_up_with(campaign, Outcome.NO_ANSWER)
    rollups.refresh_funnel_rollups(now=MONDAY_10 + timedelta(days=1))
    assert list(FunnelRollup.objects.values_list("day", "non_contact", "refusal")) == [(MONDAY_10.date(), 1, 0)]

    # The customer is called again and refuses: the funnel moves the follow-up rather than adding it twice.
    factories.ContactAttemptFactory(follow_up=open_call, number=2, outcome=Outcome.REFUSAL)
    FollowUp.objects.filter(pk=open_call.pk).update(status=FollowUp.Status.REFUSED, closed_at=timezone.now())
    rollups.refresh_funnel_rollups(now=MONDAY_10 + timedelta(days=1, minutes=10))

    assert list(FunnelRollup.objects.values_list("day", "planned", "non_contact", "refusal")) == [
        (MONDAY_10.date(), 1, 0, 1)
    ]


# --- When the data was last updated, the task and the command ---------------------------------------


def test_last_refreshed_is_the_older_refresh_and_none_until_both_ran(campaign):
    assert rollups.last_refreshed() is None
    rollups.refresh_response_rollups(now=MONDAY_10)
    assert rollups.last_refreshed() is None
    rollups.refresh_funnel_rollups(now=MONDAY_10 + timedelta(minutes=3))
    assert rollups.last_refreshed() == MONDAY_10
    rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=5))
    assert rollups.last_refreshed() == MONDAY_10 + timedelta(minutes=3)


def test_the_task_counts_new_responses_each_minute_and_the_funnel_every_ten(campaign):
    from analytics.tasks import refresh_rollups

    respond(campaign, HAPPY, at=MONDAY_10)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=2), tick=False):
        refresh_rollups.apply().get()
    assert total("respondents") == 1
    assert sum(FunnelRollup.objects.values_list("complete", flat=True)) == 1

    respond(campaign, HAPPY, at=MONDAY_10 + timedelta(minutes=3))
    with time_machine.travel(MONDAY_10 + timedelta(minutes=5), tick=False):
        refresh_rollups.apply().get()
    assert total("respondents") == 2
    assert sum(FunnelRollup.objects.values_list("complete", flat=True)) == 1  # the funnel waits its ten minutes

    with time_machine.travel(MONDAY_10 + timedelta(minutes=12), tick=False):
        refresh_rollups.apply().get()
    assert sum(FunnelRollup.objects.values_list("complete", flat=True)) == 2
    assert total("respondents") == 2


def test_the_rebuild_command_counts_everything_again_and_says_so(campaign):
    respond(campaign, HAPPY, at=MONDAY_10)
    respond(campaign, HAPPY, at=MONDAY_10 + timedelta(minutes=1))
    rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(minutes=5))
    ResponseRollup.objects.update(respondents=99)  # a damaged table

    out = StringIO()
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        call_command("rebuild_rollups", stdout=out)

    assert total("respondents") == 2
    assert "2 responses" in out.getvalue()
    assert "2 follow-ups" in out.getvalue()
    assert " s" in out.getvalue()


# --- Two refreshes at once --------------------------------------------------------------------------


WORKERS = 4


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_count_each_response_once(transactional_db):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs one writer at a time, so refreshes cannot overlap there; CI runs PostgreSQL")
    campaign = factories.CampaignFactory(survey=factories.skip_logic_survey())
    for minute in range(30):
        respond(campaign, HAPPY, at=MONDAY_10 + timedelta(seconds=minute))
    barrier = threading.Barrier(WORKERS)
    counted: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def refresh() -> None:
        try:
            barrier.wait(timeout=30)
            n = rollups.refresh_response_rollups(now=MONDAY_10 + timedelta(hours=1), batch_size=7)
            with lock:
                counted.append(n)
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert sum(counted) == 30
    assert total("respondents") == 30
    assert total("nps_promoters") == 30
