"""The managers' campaign pages: who may see them, creating and editing drafts, state changes, progress."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import WalletEvent
from surveys.models import Campaign, FollowUp, PlanningStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_cache(settings):
    """The audience form caches customer attributes; a shared Redis cache would leak them between tests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ui-views"}}
    cache.clear()


@pytest.fixture
def survey():
    return factories.SurveyFactory(title_en="Payment problems", title_zh="支付问题回访")


@pytest.fixture
def draft(survey):
    return factories.CampaignFactory(
        name="Failed payments, spring", survey=survey, status=Campaign.Status.DRAFT, channels=["sms", "phone"]
    )


def valid_data(survey, **changes) -> dict:
    data = {
        "name": "Autumn check-in",
        "slug": "autumn-check-in",
        "description": "",
        "survey": str(survey.pk),
        "trigger": "batch",
        "cool_off": "2",
        "deadline": "48",
        "starts_at": "",
        "ends_at": "",
        "channels": ["sms", "phone"],
        "contact_policy": "mainland_china",
        "max_attempts": "3",
        "link_valid_for": "14",
        "calls_per_hour": "40",
        "messages_per_minute": "2000",
        "audience-device_os": ["ios"],
        "audience-event_within_days": "30",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def page_urls(campaign) -> list[str]:
    return [
        reverse("campaigns:list"),
        reverse("campaigns:create"),
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:edit", args=[campaign.pk]),
        reverse("campaigns:progress", args=[campaign.pk]),
    ]


# --- Access -------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, draft):
    for url in page_urls(draft):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_an_agent_gets_403_on_every_campaign_page(client, agent, draft):
    client.force_login(agent)
    for url in page_urls(draft):
        assert client.get(url).status_code == 403, url


def test_an_agent_cannot_launch_a_campaign(client, agent, draft):
    client.force_login(agent)
    assert client.post(reverse("campaigns:launch", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


@pytest.mark.parametrize("persona", ["manager", "administrator"])
def test_managers_and_administrators_see_every_campaign_page(client, draft, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for url in page_urls(draft):
        assert client.get(url).status_code == 200, url


def test_an_unknown_campaign_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("campaigns:detail", args=[987654])).status_code == 404


def test_a_reader_without_the_launch_permission_sees_no_state_buttons(client, draft):
    reader = factories.UserFactory(username="reader")
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "view_concern_dashboard"]),
    )
    client.force_login(reader)
    page = client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert reverse("campaigns:launch", args=[draft.pk]) not in page
    assert reverse("campaigns:edit", args=[draft.pk]) not in page


# --- List ---------------------------------------------------------------------------------------


def test_the_list_shows_each_campaigns_status_trigger_survey_follow_ups_and_planning(client, manager, survey):
    running = factories.CampaignFactory(
        name="Locked accounts",
        survey=survey,
        trigger="event",
        trigger_event_kinds=[WalletEvent.Kind.ACCOUNT_LOCKED],
        planning_status=PlanningStatus.DONE,
    )
    factories.FollowUpFactory.create_batch(3, campaign=running)
    client.force_login(manager)
    response = client.get(reverse("campaigns:list"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    row = re.search(r"<tr>\s*<td><a[^>]*>Locked accounts</a>.*?</tr>", page, re.S).group(0)
    for text in ("Running", "Wallet event", "Payment problems", ">3<", "Planned"):
        assert text in row, text
    assert reverse("campaigns:detail", args=[running.pk]) in row


def test_the_list_offers_a_new_campaign_button_to_managers(client, manager):
    client.force_login(manager)
    assert reverse("campaigns:create") in client.get(reverse("campaigns:list")).content.decode()


# --- Create and edit ----------------------------------------------------------------------------


def test_a_manager_creates_a_draft_with_its_audience(client, manager, survey):
    factories.CustomerFactory(region="HK")
    client.force_login(manager)
    data = valid_data(survey, region_policy_HK="hong_kong", **{"audience-regions": ["HK"]})
    response = client.post(reverse("campaigns:create"), data)
    campaign = Campaign.objects.get(slug="autumn-check-in")
    assert response.status_code == 302
    assert response.url == reverse("campaigns:detail", args=[campaign.pk])
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.created_by == manager
    assert campaign.channels == ["sms", "phone"]
    assert campaign.cool_off == timedelta(hours=2)
    assert campaign.link_valid_for == timedelta(days=14)
    assert campaign.audience == {"device_os": ["ios"], "regions": ["HK"]}
    assert campaign.region_policies == {"HK": "hong_kong"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"channels": None}, "channels", "Choose at least one channel."),
        ({"trigger": "event"}, "trigger_event_kinds", "Choose the wallet events"),
        ({"deadline": "1", "cool_off": "2"}, "deadline", "The deadline must come after the cool-off."),
        (
            {"starts_at": "2031-05-02T10:00", "ends_at": "2031-05-01T10:00"},
            "ends_at",
            "The campaign must end after it starts.",
        ),
        (
            {"audience-enrolled_from": "2024-05-01", "audience-enrolled_to": "2024-04-01"},
            "enrolled_to",
            "The enrolment range ends before it starts.",
        ),
        ({"contact_policy": "atlantis"}, "contact_policy", "Select a valid choice."),
    ],
)
def test_bad_input_shows_the_error_on_its_field(client, manager, survey, changes, field, message):
    client.force_login(manager)
    response = client.post(reverse("campaigns:create"), valid_data(survey, **changes), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert not Campaign.objects.filter(slug="autumn-check-in").exists()
    form = response.context["audience_form" if field == "enrolled_to" else "form"]
    assert message in " ".join(form.errors[field])
    page = response.content.decode()
    # The message sits under its own input (crispy's invalid-feedback), and the page says something is wrong.
    prefix = "audience-" if field == "enrolled_to" else ""
    feedback = re.search(rf'id="error_1_id_{prefix}{field}"[^>]*>(.*?)</', page, re.S)
    assert feedback is not None and message.split("“")[0][:20] in feedback.group(1)
    assert 'id="form-errors"' in page


def test_the_form_shows_the_audience_and_region_fields(client, manager):
    factories.CustomerFactory(region="HK", segment="premium")
    client.force_login(manager)
    page = client.get(reverse("campaigns:create"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="region_policy_HK"' in page
    assert 'name="audience-segments"' in page and 'value="premium"' in page
    assert "<legend" in page


def test_a_manager_edits_a_draft(client, manager, draft, survey):
    client.force_login(manager)
    form_page = client.get(reverse("campaigns:edit", args=[draft.pk]))
    assert form_page.context["form"].instance == draft
    data = valid_data(survey, name="Renamed", slug=draft.slug, channels=["email"])
    response = client.post(reverse("campaigns:edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.channels, draft.status) == ("Renamed", ["email"], Campaign.Status.DRAFT)


def test_editing_a_launched_campaign_is_refused(client, manager, survey):
    running = factories.CampaignFactory(name="Live one", survey=survey, status=Campaign.Status.RUNNING)
    client.force_login(manager)
    url = reverse("campaigns:edit", args=[running.pk])
    assert client.get(url).url == reverse("campaigns:detail", args=[running.pk])
    response = client.post(url, valid_data(survey, name="Changed", slug=running.slug), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.name == "Live one"
    assert "Only a draft campaign can be edited" in client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_draft_launched_while_its_form_was_open_keeps_its_launch(client, manager, draft, survey):
    """The form was shown for a draft; meanwhile someone launched it; saving must not undo the launch."""
    client.force_login(manager)
    from surveys import campaign_views

    draft_copy = Campaign.objects.get(pk=draft.pk)
    Campaign.objects.filter(pk=draft.pk).update(status=Campaign.Status.RUNNING)
    draft_copy.name = "Stale edit"
    assert campaign_views._save_draft(draft_copy) is False
    draft.refresh_from_db()
    assert (draft.status, draft.name) == (Campaign.Status.RUNNING, "Failed payments, spring")


# --- Detail -------------------------------------------------------------------------------------


def test_the_draft_page_shows_settings_audience_and_its_size(client, manager, survey):
    factories.CustomerFactory.create_batch(3, device_os="ios")
    factories.CustomerFactory(device_os="android")
    campaign = factories.CampaignFactory(
        status=Campaign.Status.DRAFT, survey=survey, audience={"device_os": ["ios"]}, channels=["sms"]
    )
    client.force_login(manager)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.context["audience_size"] == 3
    assert "<strong>3</strong> customers match this audience now." in page
    assert "Device OS" in page and "iOS" in page
    assert "Mainland China" in page and "Payment problems" in page
    assert reverse("campaigns:launch", args=[campaign.pk]) in page
    assert reverse("campaigns:pause", args=[campaign.pk]) not in page


def test_the_running_page_offers_pause_and_finish_only(client, manager, survey):
    campaign = factories.CampaignFactory(survey=survey, status=Campaign.Status.RUNNING)
    client.force_login(manager)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    actions = ("launch", "pause", "resume", "finish")
    offered = {action for action in actions if reverse(f"campaigns:{action}", args=[campaign.pk]) in page}
    assert offered == {"pause", "finish"}
    assert reverse("campaigns:edit", args=[campaign.pk]) not in page


def test_the_page_has_no_inline_script_or_event_handler(client, manager, survey):
    campaign = factories.CampaignFactory(survey=survey, status=Campaign.Status.RUNNING, channels=["sms", "phone"])
    factories.FollowUpFactory(campaign=campaign)
    client.force_login(manager)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts, "the page loads its scripts"
    for tag in scripts:
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", page)
    assert 'id="heatmap-data-phone"' in page and 'id="heatmap-data-message"' in page
    assert "plotly.min.js" in page and "campaign-heatmap.js" in page


def test_the_page_counts_follow_ups_by_status_and_exclusions_by_reason(client, manager, survey):
    campaign = factories.CampaignFactory(
        survey=survey,
        status=Campaign.Status.RUNNING,
        planning_status=PlanningStatus.DONE,
        exclusions={"opted_out": 2, "no_slot": 5, "brand_new_reason": 1, "contacted_recently": 0},
    )
    factories.FollowUpFactory.create_batch(2, campaign=campaign)
    factories.FollowUpFactory(campaign=campaign, status=FollowUp.Status.COMPLETED)
    client.force_login(manager)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en")
    counts = {row.status: row.count for row in response.context["status_counts"]}
    assert counts == {"planned": 2, "completed": 1}
    exclusions = [(row.code, row.count) for row in response.context["exclusions"]]
    assert exclusions == [("no_slot", 5), ("opted_out", 2), ("brand_new_reason", 1)]
    page = response.content.decode()
    assert "No allowed contact time" in page and "Brand new reason" in page


def test_a_contact_planned_at_night_is_counted_as_forbidden(client, manager, survey):
    campaign = factories.CampaignFactory(survey=survey, channels=["phone"], contact_policy="mainland_china")
    night = timezone.make_aware(timezone.datetime(2030, 1, 7, 23, 30), timezone.get_fixed_timezone(8 * 60))
    day = timezone.make_aware(timezone.datetime(2030, 1, 7, 10, 0), timezone.get_fixed_timezone(8 * 60))
    factories.FollowUpFactory(campaign=campaign, scheduled_for=night, customer__time_zone="Asia/Shanghai")
    factories.FollowUpFactory(campaign=campaign, scheduled_for=day, customer__time_zone="Asia/Shanghai")
    client.force_login(manager)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    (section,) = response.context["heatmaps"]
    assert (section.total, section.forbidden_total) == (2, 1)
    assert 'data-forbidden-total="1"' in response.content.decode()


# --- State changes ------------------------------------------------------------------------------


def test_launching_a_draft_starts_it_and_queues_its_planning(
    client, manager, draft, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("campaigns:launch", args=[draft.pk]))
    assert response.url == reverse("campaigns:detail", args=[draft.pk])
    draft.refresh_from_db()
    assert (draft.status, draft.planning_status) == (Campaign.Status.RUNNING, PlanningStatus.QUEUED)
    assert len(callbacks) == 1  # the planning task, sent once the launch is committed


def test_pause_resume_and_finish_change_the_state(client, manager, survey):
    campaign = factories.CampaignFactory(survey=survey, status=Campaign.Status.RUNNING)
    client.force_login(manager)
    for action, expected in (("pause", "paused"), ("resume", "running"), ("finish", "finished")):
        response = client.post(reverse(f"campaigns:{action}", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302
        campaign.refresh_from_db()
        assert campaign.status == expected, action


def test_a_state_change_the_state_does_not_allow_is_refused_with_a_message(client, manager, draft):
    client.force_login(manager)
    response = client.post(reverse("campaigns:pause", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT
    assert "can be paused" in response.content.decode()


@pytest.mark.parametrize("action", ["launch", "pause", "resume", "finish"])
def test_a_get_on_a_state_url_is_refused_with_405(client, manager, draft, action):
    client.force_login(manager)
    assert client.get(reverse(f"campaigns:{action}", args=[draft.pk])).status_code == 405
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


def test_the_state_forms_carry_a_csrf_token(manager, draft):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert "csrfmiddlewaretoken" in page
    assert client.post(reverse("campaigns:launch", args=[draft.pk])).status_code == 403  # no token
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


# --- Progress -----------------------------------------------------------------------------------


def test_the_progress_fragment_polls_while_planning_runs(client, manager, survey):
    campaign = factories.CampaignFactory(
        survey=survey, planning_status=PlanningStatus.RUNNING, planning_total=200, planning_done=50
    )
    client.force_login(manager)
    response = client.get(reverse("campaigns:progress", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert 'role="progressbar"' in page and 'aria-valuenow="25"' in page
    assert "HX-Refresh" not in response.headers
    assert "no-cache" in response.headers["Cache-Control"]


def test_the_progress_fragment_asks_for_a_reload_when_planning_ends(client, manager, survey):
    campaign = factories.CampaignFactory(
        survey=survey, planning_status=PlanningStatus.DONE, planning_total=200, planning_done=200, planned_count=180
    )
    client.force_login(manager)
    url = reverse("campaigns:progress", args=[campaign.pk])
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true"
    page = response.content.decode()
    assert 'aria-valuenow="100"' in page and "hx-trigger" not in page
    assert "HX-Refresh" not in client.get(url).headers  # a plain visit is not asked to reload


def test_the_campaign_page_polls_only_while_planning_is_queued_or_running(client, manager, survey):
    campaign = factories.CampaignFactory(survey=survey, planning_status=PlanningStatus.QUEUED)
    client.force_login(manager)
    url = reverse("campaigns:detail", args=[campaign.pk])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(planning_status=PlanningStatus.DONE)
    assert "hx-trigger" not in client.get(url).content.decode()


def test_a_failed_planning_shows_its_error(client, manager, survey):
    campaign = factories.CampaignFactory(
        survey=survey,
        status=Campaign.Status.DRAFT,
        planning_status=PlanningStatus.FAILED,
        planning_error="The database went away.",
    )
    client.force_login(manager)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The database went away." in page and "Planning failed" in page


# --- Navigation ---------------------------------------------------------------------------------


def test_managers_reach_the_campaigns_from_the_navigation_and_their_home_page(client, manager, draft):
    client.force_login(manager)
    page = client.get(reverse("analytics:manager-home")).content.decode()
    assert f'href="{reverse("campaigns:list")}"' in page
    assert f'href="{reverse("campaigns:create")}"' in page
    assert f'href="{reverse("campaigns:detail", args=[draft.pk])}"' in page


def test_agents_are_not_shown_the_campaigns_link(client, agent):
    client.force_login(agent)
    page = client.get(reverse("surveys:agent-queue")).content.decode()
    assert reverse("campaigns:list") not in page


# --- End to end ---------------------------------------------------------------------------------


def test_after_planning_the_page_shows_the_counts_and_a_heat_map_with_nothing_in_forbidden_hours(
    client, manager, survey, django_capture_on_commit_callbacks
):
    from surveys import planning

    consented = {"consent_given_at": timezone.now() - timedelta(days=100), "consent_source": "enrolment"}
    for zone in ("Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Europe/London"):
        factories.CustomerFactory(time_zone=zone, **consented)
    factories.CustomerFactory(do_not_contact_at=timezone.now(), do_not_contact_source="agent", **consented)
    # Under the US preset, whose holidays the package computes for any year: planning on the real clock
    # does not depend on whether China's official schedule for the current year is published yet.
    campaign = factories.CampaignFactory(
        survey=survey, status=Campaign.Status.DRAFT, channels=["phone", "sms"], contact_policy="united_states"
    )
    client.force_login(manager)
    with django_capture_on_commit_callbacks():
        client.post(reverse("campaigns:launch", args=[campaign.pk]))
    planning.plan_campaign(campaign_id=campaign.pk)

    response = client.get(reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["progress"].percent == 100
    assert sum(row.count for row in response.context["status_counts"]) == 4
    assert [(row.code, row.count) for row in response.context["exclusions"]] == [("do_not_contact", 1)]
    sections = response.context["heatmaps"]
    assert sum(section.total for section in sections) == 4
    assert all(section.forbidden_total == 0 for section in sections)
    page = response.content.decode()
    assert "On the do-not-contact list" in page
    assert 'aria-valuenow="100"' in page and "hx-trigger" not in page
