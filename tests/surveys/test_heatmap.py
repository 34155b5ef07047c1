"""The campaign picture: forbidden hours of a policy and planned contacts by the customer's local weekday × hour."""

from datetime import UTC, datetime, time

import pytest

from surveys import heatmap
from surveys.heatmap import forbidden_for_all, forbidden_hours, heatmap_figure, local_hour_counts, table_rows
from surveys.models import FollowUp
from surveys.policies import HONG_KONG, MAINLAND_CHINA, ContactPolicy, Window, every_day
from tests import factories

MONDAY, FRIDAY, SATURDAY, SUNDAY = 0, 4, 5, 6


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- forbidden_hours ----------------------------------------------------------------------------


def test_mainland_china_forbids_calls_at_22_00_on_a_weekday():
    assert forbidden_hours(MAINLAND_CHINA, "phone").loc[MONDAY, 22]


def test_mainland_china_forbids_calls_in_the_lunch_break():
    # 12:30 lies in hour 12, which the 09:00–12:00 and 14:00–20:00 windows leave out entirely.
    grid = forbidden_hours(MAINLAND_CHINA, "phone")
    assert grid.loc[MONDAY, 12] and grid.loc[MONDAY, 13]


def test_mainland_china_forbids_calls_all_sunday():
    assert forbidden_hours(MAINLAND_CHINA, "phone").loc[SUNDAY].all()


def test_mainland_china_allows_calls_at_10_00_on_monday():
    assert not forbidden_hours(MAINLAND_CHINA, "phone").loc[MONDAY, 10]


def test_mainland_china_call_hours_are_exactly_the_windows():
    grid = forbidden_hours(MAINLAND_CHINA, "phone")
    allowed_weekday = [hour for hour in range(24) if not grid.loc[FRIDAY, hour]]
    allowed_saturday = [hour for hour in range(24) if not grid.loc[SATURDAY, hour]]
    assert allowed_weekday == [9, 10, 11, 14, 15, 16, 17, 18, 19]
    assert allowed_saturday == [10, 11, 12, 13, 14, 15, 16]


def test_mainland_china_allows_messages_from_9_to_20_every_day_sunday_included():
    grid = forbidden_hours(MAINLAND_CHINA, "sms")
    assert [hour for hour in range(24) if not grid.loc[SUNDAY, hour]] == list(range(9, 20))
    assert grid.equals(forbidden_hours(MAINLAND_CHINA, "email"))


def test_the_quiet_hours_win_over_a_window():
    # Hong Kong calls until 22:00 with quiet hours from 22:00: hour 21 is allowed, hour 22 is not.
    grid = forbidden_hours(HONG_KONG, "phone")
    assert not grid.loc[MONDAY, 21] and grid.loc[MONDAY, 22]
    late = ContactPolicy(
        key="late", label="Late", call_windows=every_day(Window(time(19), time(23))), message_windows={}
    )
    grid = forbidden_hours(late, "phone")
    assert not grid.loc[MONDAY, 20] and grid.loc[MONDAY, 21]


def test_an_hour_is_allowed_when_part_of_it_is_in_a_window():
    policy = ContactPolicy(
        key="half", label="Half", call_windows=every_day(Window(time(9, 30), time(10, 15))), message_windows={}
    )
    grid = forbidden_hours(policy, "phone")
    assert [hour for hour in range(24) if not grid.loc[MONDAY, hour]] == [9, 10]


def test_with_region_rules_only_hours_no_policy_allows_are_shaded():
    grid = forbidden_for_all([MAINLAND_CHINA, HONG_KONG], "phone")
    assert not grid.loc[MONDAY, 21]  # Hong Kong calls until 22:00
    assert grid.loc[SUNDAY].all()  # neither calls on Sunday
    assert grid.loc[MONDAY, 23]


# --- local_hour_counts --------------------------------------------------------------------------


def test_counts_are_by_the_customers_local_weekday_and_hour():
    counts = local_hour_counts(
        [
            ("Asia/Shanghai", at(2024, 1, 1, 2, 0), 3),  # Monday 10:00 in Shanghai
            ("Europe/London", at(2024, 1, 1, 10, 0), 2),  # Monday 10:00 in London
        ]
    )
    assert counts.loc[MONDAY, 10] == 5
    assert counts.to_numpy().sum() == 5
    assert counts.shape == (7, 24)


def test_half_hour_zones_are_counted_in_their_own_hour():
    counts = local_hour_counts(
        [
            ("Asia/Kolkata", at(2024, 1, 1, 4, 45), 1),  # 10:15 Monday in Kolkata (+05:30)
            ("Asia/Kolkata", at(2024, 1, 7, 18, 40), 1),  # Sunday 18:40 UTC is Monday 00:10 in Kolkata
        ]
    )
    assert counts.loc[MONDAY, 10] == 1
    assert counts.loc[MONDAY, 0] == 1
    assert counts.loc[SUNDAY].sum() == 0


def test_new_york_hours_follow_daylight_saving_time():
    counts = local_hour_counts(
        [
            ("America/New_York", at(2024, 3, 8, 14, 0), 1),  # Friday 09:00 EST (UTC−5)
            ("America/New_York", at(2024, 3, 11, 13, 0), 1),  # Monday 09:00 EDT (UTC−4), after the change
            ("America/New_York", at(2024, 11, 3, 5, 30), 1),  # Sunday 01:30 EDT, before falling back
            ("America/New_York", at(2024, 11, 3, 6, 30), 1),  # Sunday 01:30 EST, the same wall-clock hour again
        ]
    )
    assert counts.loc[FRIDAY, 9] == 1
    assert counts.loc[MONDAY, 9] == 1
    assert counts.loc[SUNDAY, 1] == 2
    assert counts.to_numpy().sum() == 4


def test_an_unreadable_zone_is_counted_in_the_default_zone_not_dropped():
    counts = local_hour_counts([("Mars/Olympus_Mons", at(2024, 1, 1, 2, 0), 1)])
    assert counts.loc[MONDAY, 10] == 1


def test_no_rows_give_an_empty_grid():
    counts = local_hour_counts([])
    assert counts.shape == (7, 24) and counts.to_numpy().sum() == 0


# --- figure and table ---------------------------------------------------------------------------


def test_the_figure_draws_forbidden_hours_under_the_counts():
    counts = local_hour_counts([("Asia/Shanghai", at(2024, 1, 1, 2, 0), 4)])
    figure = heatmap_figure(counts, forbidden_hours(MAINLAND_CHINA, "phone"))
    shade, planned = figure.data
    assert shade.z[MONDAY][22] == 1 and shade.z[MONDAY][10] is None
    assert planned.z[MONDAY][10] == 4 and planned.z[MONDAY][11] is None
    assert figure.layout.yaxis.autorange == "reversed"  # Monday on top


def test_the_table_gives_the_same_numbers_with_the_forbidden_marks():
    counts = local_hour_counts([("Asia/Shanghai", at(2024, 1, 1, 2, 0), 4)])
    rows = table_rows(counts, forbidden_hours(MAINLAND_CHINA, "phone"))
    assert len(rows) == 7 and len(rows[MONDAY].cells) == 24
    assert rows[MONDAY].cells[10] == (4, False)
    assert rows[MONDAY].cells[22] == (0, True)
    assert rows[MONDAY].total == 4 and rows[SUNDAY].total == 0


# --- campaign_heatmaps (reads the database) -----------------------------------------------------


@pytest.mark.django_db
def test_a_campaign_gets_one_section_per_channel_family_with_nothing_in_forbidden_hours():
    campaign = factories.CampaignFactory(channels=["email", "phone"])
    shanghai = factories.CustomerFactory(time_zone="Asia/Shanghai")
    kolkata = factories.CustomerFactory(time_zone="Asia/Kolkata")
    factories.FollowUpFactory(campaign=campaign, customer=shanghai, channel="phone", scheduled_for=at(2030, 1, 7, 2))
    factories.FollowUpFactory(
        campaign=campaign, customer=kolkata, channel="email", scheduled_for=at(2030, 1, 7, 5, 0)
    )  # 10:30 Monday in Kolkata
    factories.FollowUpFactory(
        campaign=campaign,
        customer=factories.CustomerFactory(),
        channel="phone",
        status=FollowUp.Status.COMPLETED,
        scheduled_for=at(2030, 1, 7, 15),  # 23:00 in Shanghai, but closed: not a planned contact
    )
    sections = {section.key: section for section in heatmap.campaign_heatmaps(campaign)}
    assert set(sections) == {"phone", "message"}
    assert (sections["phone"].total, sections["phone"].forbidden_total) == (1, 0)
    assert (sections["message"].total, sections["message"].forbidden_total) == (1, 0)
    assert sections["message"].rows[MONDAY].cells[10] == (1, False)
    assert sections["phone"].figure["data"][1]["type"] == "heatmap"


@pytest.mark.django_db
def test_a_campaign_without_calls_has_no_call_heat_map():
    campaign = factories.CampaignFactory(channels=["sms"])
    assert [section.key for section in heatmap.campaign_heatmaps(campaign)] == ["message"]
