"""The campaign and audience forms: every bad input becomes a message on the field it concerns."""

from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.utils import translation

from accounts.models import WalletEvent
from surveys.forms import AudienceForm, CampaignForm, audience_summary, campaign_summary
from surveys.models import Campaign, Survey
from surveys.policies import PRESETS, ContactPolicy, Window, every_day
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_and_private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ui-forms"}}
    cache.clear()
    with translation.override("en"):
        yield


@pytest.fixture
def survey():
    return factories.SurveyFactory()


def campaign_data(published, /, **changes) -> QueryDict:
    data = {
        "name": "Card binding follow-up",
        "slug": "card-binding",
        "survey": str(published.pk),
        "trigger": "batch",
        "cool_off": "2",
        "deadline": "48",
        "channels": ["sms", "phone"],
        "contact_policy": "mainland_china",
        "max_attempts": "3",
        "remind_after": "3",
        "link_valid_for": "14",
        "calls_per_hour": "40",
        "messages_per_minute": "2000",
    }
    data.update(changes)
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def campaign_errors(published, /, **changes) -> dict:
    form = CampaignForm(campaign_data(published, **changes), instance=Campaign())
    assert not form.is_valid()
    return {field: " ".join(messages) for field, messages in form.errors.items()}


def audience_errors(**data) -> dict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(f"audience-{key}", value if isinstance(value, list) else [value])
    form = AudienceForm(query, prefix="audience")
    assert not form.is_valid()
    return {field: " ".join(messages) for field, messages in form.errors.items()}


# A preset whose calls are never allowed, and one whose only window lies in the quiet hours.
MESSAGES_ONLY = ContactPolicy(
    key="messages_only", label="Messages only", call_windows={}, message_windows=every_day(Window(time(9), time(20)))
)
NIGHT_ONLY = ContactPolicy(
    key="night_only",
    label="Night only",
    call_windows=every_day(Window(time(22), time(23))),
    message_windows=every_day(Window(time(22), time(23))),
)


@pytest.fixture
def odd_presets(monkeypatch):
    monkeypatch.setitem(PRESETS, MESSAGES_ONLY.key, MESSAGES_ONLY)
    monkeypatch.setitem(PRESETS, NIGHT_ONLY.key, NIGHT_ONLY)


def test_a_complete_form_is_valid_and_keeps_the_channel_order_as_submitted(survey):
    form = CampaignForm(campaign_data(survey, channels=["phone", "email", "phone"]), instance=Campaign())
    assert form.is_valid(), form.errors
    campaign = form.save(commit=False)
    assert campaign.channels == ["phone", "email"]
    assert campaign.cool_off == timedelta(hours=2)
    assert campaign.deadline == timedelta(hours=48)
    assert campaign.link_valid_for == timedelta(days=14)
    assert campaign.region_policies == {}
    assert [value for value, _ in form.fields["channels"].choices] == ["phone", "email", "sms"]


def test_reminders_are_set_in_days_and_can_be_turned_off(survey):
    form = CampaignForm(campaign_data(survey, remind_after="5"), instance=Campaign())
    assert form.is_valid(), form.errors
    assert form.save(commit=False).remind_after == timedelta(days=5)

    form = CampaignForm(campaign_data(survey, remind_after=""), instance=Campaign())
    assert form.is_valid(), form.errors
    assert form.save(commit=False).remind_after is None

    assert "remind_after" in campaign_errors(survey, remind_after="0")


def test_a_new_campaign_reminds_after_three_days():
    assert CampaignForm(instance=Campaign())["remind_after"].value() == 3


def test_a_new_campaign_offers_messages_before_calls():
    form = CampaignForm(instance=Campaign())
    assert [value for value, _ in form.fields["channels"].choices] == ["sms", "email", "phone"]


def test_stored_durations_are_shown_in_the_fields_units(survey):
    campaign = factories.CampaignFactory(survey=survey, cool_off=timedelta(hours=3), link_valid_for=timedelta(days=7))
    form = CampaignForm(instance=campaign)
    assert form["cool_off"].value() == 3
    assert form["link_valid_for"].value() == 7


def test_no_channel_names_the_channels_field(survey):
    assert "Choose at least one channel." in campaign_errors(survey, channels=None)["channels"]


def test_an_event_campaign_without_events_names_the_events_field(survey):
    errors = campaign_errors(survey, trigger="event")
    assert "Choose the wallet events" in errors["trigger_event_kinds"]


def test_a_batch_campaign_forgets_event_kinds_it_does_not_use(survey):
    form = CampaignForm(campaign_data(survey, trigger_event_kinds=["payment_failed"]), instance=Campaign())
    assert form.is_valid(), form.errors
    assert form.save(commit=False).trigger_event_kinds == []


def test_a_deadline_not_after_the_cool_off_names_the_deadline(survey):
    errors = campaign_errors(
        survey, trigger="event", trigger_event_kinds=["payment_failed"], cool_off="6", deadline="6"
    )
    assert errors == {"deadline": "The deadline must come after the cool-off."}


def test_a_negative_cool_off_names_the_cool_off(survey):
    assert "cool_off" in campaign_errors(survey, cool_off="-1")


def test_an_end_before_the_start_names_the_end(survey):
    errors = campaign_errors(survey, starts_at="2031-03-02T09:00", ends_at="2031-03-01T09:00")
    assert errors == {"ends_at": "The campaign must end after it starts."}


def test_an_end_already_past_names_the_end(survey):
    errors = campaign_errors(survey, ends_at="2020-01-01T09:00")
    assert errors == {"ends_at": "The end of the campaign is already past."}


def test_an_unknown_policy_names_the_policy_field(survey):
    assert "Select a valid choice." in campaign_errors(survey, contact_policy="atlantis")["contact_policy"]


@pytest.mark.usefixtures("odd_presets")
def test_rules_that_allow_no_call_are_refused_for_a_campaign_that_calls(survey):
    errors = campaign_errors(survey, contact_policy="messages_only", channels=["phone"])
    assert "cannot be used for this campaign" in errors["contact_policy"]
    assert "no contact at any time by phone" in errors["contact_policy"]
    # The same rules are fine for a campaign that only sends messages.
    form = CampaignForm(campaign_data(survey, contact_policy="messages_only", channels=["sms"]), instance=Campaign())
    assert form.is_valid(), form.errors


@pytest.mark.usefixtures("odd_presets")
def test_rules_whose_windows_lie_in_the_quiet_hours_are_refused(survey):
    errors = campaign_errors(survey, contact_policy="night_only")
    assert "quiet hours" in errors["contact_policy"]


@pytest.mark.usefixtures("odd_presets")
def test_a_bad_region_policy_names_that_regions_field(survey):
    factories.CustomerFactory(region="HK")
    errors = campaign_errors(survey, channels=["phone"], region_policy_HK="messages_only")
    assert set(errors) == {"region_policy_HK"}
    assert "no contact at any time by phone" in errors["region_policy_HK"]


def test_region_policies_are_kept_only_for_regions_given_a_preset(survey):
    factories.CustomerFactory(region="HK")
    factories.CustomerFactory(region="US")
    form = CampaignForm(campaign_data(survey, region_policy_HK="hong_kong", region_policy_US=""), instance=Campaign())
    assert form.is_valid(), form.errors
    assert form.save(commit=False).region_policies == {"HK": "hong_kong"}
    assert form.fields["region_policy_HK"].label == "Customers in Hong Kong (HK)"


def test_a_taken_short_name_names_the_slug(survey):
    factories.CampaignFactory(slug="card-binding")
    assert "slug" in campaign_errors(survey)


def test_only_published_surveys_can_be_chosen(survey):
    draft_survey = factories.SurveyFactory(status=Survey.Status.DRAFT, published_at=None)
    assert "Select a valid choice." in campaign_errors(survey, survey=str(draft_survey.pk))["survey"]


def test_a_reversed_enrolment_range_names_its_end():
    errors = audience_errors(enrolled_from="2024-06-01", enrolled_to="2024-05-01")
    assert errors == {"enrolled_to": "The enrolment range ends before it starts."}


def test_recent_events_without_a_number_of_days_name_the_days_field():
    errors = audience_errors(event_kinds=["payment_failed"], event_within_days="")
    assert errors == {"event_within_days": "Say within how many days the event must have happened."}


def test_too_many_days_name_the_days_field():
    assert "event_within_days" in audience_errors(event_kinds=["payment_failed"], event_within_days="400")


def test_an_unknown_device_names_the_device_field():
    assert "device_os" in audience_errors(device_os=["blackberry"])


def test_a_value_no_customer_has_is_refused_on_its_field():
    factories.CustomerFactory(segment="premium")
    assert "Select a valid choice." in audience_errors(segments=["nobody-has-this"])["segments"]


def test_an_audience_form_gives_the_validated_audience():
    factories.CustomerFactory(segment="premium", region="HK")
    query = QueryDict(mutable=True)
    query.setlist("audience-segments", ["premium"])
    query.setlist("audience-device_os", ["ios", "harmonyos"])
    query.setlist("audience-enrolled_from", ["2024-01-01"])
    query.setlist("audience-event_within_days", ["30"])  # means nothing without events: dropped
    form = AudienceForm(query, prefix="audience")
    assert form.is_valid(), form.errors
    assert form.audience == {"segments": ["premium"], "device_os": ["ios", "harmonyos"], "enrolled_from": "2024-01-01"}


def test_an_empty_audience_means_everyone():
    form = AudienceForm(QueryDict(), prefix="audience")
    assert form.is_valid(), form.errors
    assert form.audience == {}


def test_a_stored_audience_value_stays_selectable_when_no_customer_has_it_any_more():
    form = AudienceForm(audience={"wallet_products": ["retired-card"]})
    assert ("retired-card", "retired-card") in form.fields["wallet_products"].choices
    assert form.initial["wallet_products"] == ["retired-card"]


def test_the_audience_summary_reads_like_the_form():
    lines = dict(
        audience_summary(
            {
                "device_os": ["ios"],
                "regions": ["HK"],
                "event_kinds": [WalletEvent.Kind.PAYMENT_FAILED],
                "event_within_days": 7,
            }
        )
    )
    assert lines["Device OS"] == "iOS"
    assert lines["Region"] == "Hong Kong (HK)"
    assert lines["Had one of these wallet events"] == "Payment failed, within the last 7 days"
    assert audience_summary({}) == []


def test_the_campaign_summary_lists_the_settings_people_need(survey):
    campaign = factories.CampaignFactory(
        survey=survey,
        trigger="event",
        trigger_event_kinds=["account_locked"],
        cool_off=timedelta(hours=1),
        deadline=timedelta(hours=24),
        channels=["sms", "phone"],
        region_policies={"HK": "hong_kong"},
    )
    lines = dict(campaign_summary(campaign))
    assert lines["Wait after the event"] == "1 hour"
    assert lines["Give up after the event"] == "24 hours"
    assert lines["Channels"] == "SMS → Phone call"
    assert lines["Contact rules"] == "Mainland China · no contact on public holidays"
    assert lines["Customers in Hong Kong (HK)"] == "Hong Kong"
    assert lines["Starts"] == "When launched"
    assert lines["Survey link valid for"] == "14 days"


def test_every_field_label_is_translated_into_chinese(db):
    with translation.override("zh-hans"):
        fields = {**CampaignForm().fields, **AudienceForm(audience={}).fields}
        untranslated = [name for name, field in fields.items() if str(field.label).isascii()]
    assert untranslated == []


def test_managers_cannot_create_manual_campaigns_which_the_product_keeps_itself():
    survey = factories.SurveyFactory()

    errors = campaign_errors(survey, trigger="manual")

    assert "trigger" in errors
