"""Launch, pause, resume and finish: the states a manager moves a campaign through, and the ones refused."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from surveys import services, tasks
from surveys.models import Campaign, FollowUp, PlanningStatus, Survey
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The planning tasks queued after commit, instead of sending them to a broker."""
    sent = []
    monkeypatch.setattr(tasks.plan_campaign, "delay", lambda campaign_id: sent.append(campaign_id))
    return sent


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def draft(**kwargs):
    kwargs.setdefault("channels", ["sms", "phone"])
    return factories.CampaignFactory(status=Campaign.Status.DRAFT, **kwargs)


def test_launching_a_draft_runs_it_and_queues_its_planning_after_commit(
    manager, queued, django_capture_on_commit_callbacks
):
    campaign = draft()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.launch_campaign(campaign=campaign, by=manager)
        assert queued == []  # nothing is sent before the launch is committed
    assert len(callbacks) == 1
    assert queued == [campaign.pk]
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.planning_status == PlanningStatus.QUEUED


def test_a_campaign_starting_later_is_scheduled(manager, queued, django_capture_on_commit_callbacks):
    campaign = draft(starts_at=timezone.now() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_campaign(campaign=campaign, by=manager)
    assert campaign.status == Campaign.Status.SCHEDULED
    assert queued == [campaign.pk]  # planned now, contacted from the start date


def test_an_event_campaign_has_nothing_to_plan_up_front(manager, queued, django_capture_on_commit_callbacks):
    campaign = draft(trigger=Campaign.Trigger.EVENT, trigger_event_kinds=["payment_failed"])
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_campaign(campaign=campaign, by=manager)
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.planning_status == PlanningStatus.DONE
    assert campaign.planned_count == 0
    assert queued == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channels": []}, "Choose at least one channel"),
        ({"channels": ["fax"]}, "Unknown channels: fax"),
        ({"contact_policy": "atlantis"}, "unknown contact policy 'atlantis'"),
        ({"region_policies": {"HK": "nowhere"}}, "unknown contact policy 'nowhere'"),
        ({"audience": {"segments": "retail"}}, "The audience is not valid"),
        ({"audience": {"colour": ["blue"]}}, "Unknown audience filter"),
        ({"trigger": Campaign.Trigger.EVENT, "trigger_event_kinds": []}, "Choose the wallet events"),
    ],
)
def test_a_campaign_that_cannot_work_is_not_launched(manager, queued, changes, message):
    campaign = draft(**changes)
    with pytest.raises(ValueError, match=message):
        services.launch_campaign(campaign=campaign, by=manager)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.planning_status == PlanningStatus.NOT_STARTED


def test_a_campaign_on_an_unpublished_survey_is_not_launched(manager, queued):
    survey = factories.SurveyFactory(status=Survey.Status.DRAFT, published_at=None)
    campaign = draft(survey=survey)
    with pytest.raises(ValueError, match="is not published yet"):
        services.launch_campaign(campaign=campaign, by=manager)


def test_a_policy_that_allows_no_calls_refuses_a_phone_campaign(manager, queued, monkeypatch):
    from surveys import policies

    no_calls = policies.with_overrides(policies.MAINLAND_CHINA, key="no_calls", call_windows={})
    monkeypatch.setitem(policies.PRESETS, "no_calls", no_calls)
    campaign = draft(contact_policy="no_calls", channels=["phone"])
    with pytest.raises(ValueError, match="allows no contact at any time by phone"):
        services.launch_campaign(campaign=campaign, by=manager)
    # The same policy is fine for a campaign that only sends messages.
    sms_only = draft(contact_policy="no_calls", channels=["sms"])
    assert services.launch_campaign(campaign=sms_only, by=manager).status == Campaign.Status.RUNNING


def test_a_campaign_whose_end_has_passed_is_not_launched(manager, queued):
    campaign = draft(starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValueError, match="end date has already passed"):
        services.launch_campaign(campaign=campaign, by=manager)


def test_two_managers_launching_at_once_launch_it_once(manager, queued, django_capture_on_commit_callbacks):
    campaign = draft()
    # Both pages were loaded while the campaign was a draft.
    maggies_copy = Campaign.objects.get(pk=campaign.pk)
    bens_copy = Campaign.objects.get(pk=campaign.pk)
    ben = factories.UserFactory(username="ben", roles=["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_campaign(campaign=maggies_copy, by=manager)
        with pytest.raises(ValueError, match="Only a draft campaign can be launched; this one is running"):
            services.launch_campaign(campaign=bens_copy, by=ben)
    assert queued == [campaign.pk]


def test_a_running_campaign_pauses_and_resumes(manager):
    campaign = factories.CampaignFactory(status=Campaign.Status.RUNNING)
    assert services.pause_campaign(campaign=campaign, by=manager).status == Campaign.Status.PAUSED
    assert services.resume_campaign(campaign=campaign, by=manager).status == Campaign.Status.RUNNING


def test_a_paused_campaign_whose_start_is_ahead_resumes_as_scheduled(manager):
    campaign = factories.CampaignFactory(status=Campaign.Status.PAUSED, starts_at=timezone.now() + timedelta(hours=5))
    assert services.resume_campaign(campaign=campaign, by=manager).status == Campaign.Status.SCHEDULED


@pytest.mark.parametrize(
    ("service", "status", "message"),
    [
        (services.pause_campaign, Campaign.Status.DRAFT, "Only a scheduled or running campaign can be paused"),
        (services.pause_campaign, Campaign.Status.PAUSED, "Only a scheduled or running campaign can be paused"),
        (services.pause_campaign, Campaign.Status.FINISHED, "this one is finished"),
        (services.resume_campaign, Campaign.Status.RUNNING, "Only a paused campaign can be resumed"),
        (services.resume_campaign, Campaign.Status.FINISHED, "Only a paused campaign can be resumed"),
        (services.finish_campaign, Campaign.Status.DRAFT, "This campaign is already draft"),
        (services.finish_campaign, Campaign.Status.FINISHED, "This campaign is already finished"),
        (services.launch_campaign, Campaign.Status.RUNNING, "Only a draft campaign can be launched"),
    ],
)
def test_a_wrong_state_is_refused_with_a_sentence(manager, service, status, message):
    campaign = factories.CampaignFactory(status=status)
    with pytest.raises(ValueError, match=message):
        service(campaign=campaign, by=manager)
    campaign.refresh_from_db()
    assert campaign.status == status


def test_finishing_cancels_follow_ups_nobody_contacted_but_keeps_invitations_open(manager):
    campaign = factories.CampaignFactory(status=Campaign.Status.RUNNING)
    planned = factories.FollowUpFactory(campaign=campaign, status=FollowUp.Status.PLANNED)
    callback = factories.FollowUpFactory(campaign=campaign, status=FollowUp.Status.AWAITING_CALLBACK)
    invited = factories.FollowUpFactory(campaign=campaign, status=FollowUp.Status.INVITED, channel="sms")
    completed = factories.FollowUpFactory(campaign=campaign, status=FollowUp.Status.COMPLETED)
    elsewhere = factories.FollowUpFactory(status=FollowUp.Status.PLANNED)

    services.finish_campaign(campaign=campaign, by=manager)

    assert campaign.status == Campaign.Status.FINISHED
    for follow_up in (planned, callback):
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUp.Status.CANCELLED
        assert follow_up.closed_at is not None
        assert follow_up.close_reason
    for follow_up, status in ((invited, "invited"), (completed, "completed"), (elsewhere, "planned")):
        follow_up.refresh_from_db()
        assert follow_up.status == status


def test_finishing_while_planning_is_queued_stops_the_planning(manager):
    campaign = factories.CampaignFactory(status=Campaign.Status.RUNNING, planning_status=PlanningStatus.QUEUED)
    services.finish_campaign(campaign=campaign, by=manager)
    assert campaign.planning_status == PlanningStatus.FAILED
    assert "finished before its follow-ups were planned" in campaign.planning_error


def test_finishing_a_planned_campaign_keeps_its_planning_record(manager):
    campaign = factories.CampaignFactory(
        status=Campaign.Status.PAUSED, planning_status=PlanningStatus.DONE, planned_count=12
    )
    services.finish_campaign(campaign=campaign, by=manager)
    assert campaign.planning_status == PlanningStatus.DONE
    assert campaign.planning_error == ""


def test_beat_starts_scheduled_campaigns_when_their_time_comes_and_finishes_ended_ones():
    start = timezone.now() + timedelta(hours=1)
    starting = factories.CampaignFactory(status=Campaign.Status.SCHEDULED, starts_at=start)
    later = factories.CampaignFactory(status=Campaign.Status.SCHEDULED, starts_at=start + timedelta(days=1))
    ending = factories.CampaignFactory(
        status=Campaign.Status.PAUSED, starts_at=start - timedelta(days=5), ends_at=start + timedelta(minutes=30)
    )
    left_open = factories.FollowUpFactory(campaign=ending, status=FollowUp.Status.PLANNED)
    draft_ended = factories.CampaignFactory(status=Campaign.Status.DRAFT, ends_at=start - timedelta(minutes=1))

    before = services.advance_campaign_schedules(now=start - timedelta(minutes=1))
    assert (before.started, before.finished) == (0, 0)

    after = services.advance_campaign_schedules(now=start + timedelta(hours=1))
    assert (after.started, after.finished) == (1, 1)
    statuses = {c.pk: c.status for c in Campaign.objects.all()}
    assert statuses[starting.pk] == Campaign.Status.RUNNING
    assert statuses[later.pk] == Campaign.Status.SCHEDULED
    assert statuses[ending.pk] == Campaign.Status.FINISHED
    assert statuses[draft_ended.pk] == Campaign.Status.DRAFT  # a draft is never started or finished by the clock
    left_open.refresh_from_db()
    assert left_open.status == FollowUp.Status.CANCELLED

    again = services.advance_campaign_schedules(now=start + timedelta(hours=1))
    assert (again.started, again.finished) == (0, 0)


def test_a_scheduled_campaign_whose_whole_run_passed_is_finished_not_started():
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        now = timezone.now()
        campaign = factories.CampaignFactory(
            status=Campaign.Status.SCHEDULED, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
        )
        result = services.advance_campaign_schedules(now=now)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED
    assert (result.started, result.finished) == (0, 1)


def test_the_beat_task_advances_the_schedules(monkeypatch):
    seen = []
    monkeypatch.setattr(services, "advance_campaign_schedules", lambda *, now: seen.append(now))
    tasks.advance_campaign_schedules()
    assert len(seen) == 1 and seen[0].tzinfo is not None
