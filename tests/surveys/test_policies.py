"""Contact policies: the presets say what their sources say, and a bad policy is refused with a clear reason."""

import os
import pickle
import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest

from surveys.policies import (
    PARTS_OF_DAY,
    PRESETS,
    Channel,
    ContactPolicy,
    PartOfDay,
    Window,
    get_policy,
    with_overrides,
)


def weekday_windows(*windows):
    return dict.fromkeys(range(5), windows)


def test_every_preset_is_valid():
    assert set(PRESETS) == {"mainland_china", "hong_kong", "united_states", "france"}
    for key, policy in PRESETS.items():
        assert policy.key == key
        policy.validate(channels=list(Channel))


def test_channel_and_part_of_day_values_match_the_customer_model():
    from accounts.models import Channel as CustomerChannel
    from accounts.models import TimeOfDay

    assert {c.value for c in Channel} == set(CustomerChannel.values)
    assert {p.value for p in PartOfDay} == set(TimeOfDay.values)
    assert get_policy("mainland_china").windows_for(CustomerChannel.PHONE) == get_policy("mainland_china").call_windows


def test_the_parts_of_day_are_morning_afternoon_and_evening():
    assert dict(PARTS_OF_DAY) == {
        PartOfDay.MORNING: Window(time(8), time(12)),
        PartOfDay.AFTERNOON: Window(time(12), time(18)),
        PartOfDay.EVENING: Window(time(18), time(21)),
    }


def test_mainland_china_follows_the_design_defaults():
    policy = get_policy("mainland_china")
    for weekday in range(5):
        assert policy.call_windows[weekday] == (Window(time(9), time(12)), Window(time(14), time(20)))
    assert policy.call_windows[5] == (Window(time(10), time(17)),)
    assert policy.call_windows[6] == ()
    assert all(policy.message_windows[d] == (Window(time(9), time(20)),) for d in range(7))
    assert (policy.quiet_start, policy.quiet_end) == (time(21), time(8))
    assert policy.holiday_country == "CN" and not policy.contact_on_holidays
    assert (policy.follow_ups_per_period, policy.follow_up_period) == (1, timedelta(days=30))
    assert (policy.attempts_per_period, policy.attempt_period) == (4, timedelta(days=30))


def test_hong_kong_calls_monday_to_saturday_from_nine_to_ten_at_most_three_a_week():
    policy = get_policy("hong_kong")
    assert all(policy.call_windows[d] == (Window(time(9), time(22)),) for d in range(6))
    assert policy.call_windows[6] == ()
    assert all(policy.message_windows[d] == (Window(time(9), time(22)),) for d in range(7))
    assert (policy.quiet_start, policy.quiet_end) == (time(22), time(9))
    assert policy.calls_per_week == 3
    assert policy.holiday_country == "HK"


def test_the_united_states_follows_the_tcpa_hours():
    policy = get_policy("united_states")
    assert all(policy.windows_for(c)[d] == (Window(time(8), time(21)),) for c in Channel for d in range(7))
    assert policy.holiday_country == "US"


def test_france_follows_the_2022_decree():
    policy = get_policy("france")
    expected = (Window(time(10), time(13)), Window(time(14), time(20)))
    for channel in Channel:
        assert [policy.windows_for(channel)[d] for d in range(7)] == [expected] * 5 + [(), ()]
    assert policy.holiday_country == "FR" and not policy.contact_on_holidays
    assert (policy.attempts_per_period, policy.attempt_period) == (4, timedelta(days=30))
    assert policy.pause_after_refusal == timedelta(days=60)


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown contact policy 'mars'"):
        get_policy("mars")


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="window ends before it starts"):
        Window(time(20), time(9))
    with pytest.raises(ValueError, match="window ends before it starts"):
        Window(time(9), time(9))
    with pytest.raises(ValueError, match="window ends before it starts"):
        with_overrides(get_policy("mainland_china"), call_windows={0: [(time(14), time(12))]})


def test_a_policy_with_no_slot_is_refused():
    with pytest.raises(ValueError, match="the policy allows no contact at any time"):
        with_overrides(get_policy("mainland_china"), call_windows={}, message_windows={})
    messages_only = with_overrides(get_policy("mainland_china"), call_windows={})
    messages_only.validate(channels=[Channel.SMS])
    with pytest.raises(ValueError, match="the policy allows no contact at any time by phone"):
        messages_only.validate(channels=[Channel.SMS, Channel.PHONE])


def test_a_window_inside_the_quiet_hours_is_refused():
    with pytest.raises(ValueError, match="call window 22:00–23:00 on Monday lies entirely within the quiet hours"):
        with_overrides(get_policy("mainland_china"), call_windows={0: [Window(time(22), time(23))]})
    with pytest.raises(ValueError, match="message window 06:00–07:30 on Sunday"):
        with_overrides(get_policy("mainland_china"), message_windows={6: [Window(time(6), time(7, 30))]})


def test_a_window_that_only_touches_the_quiet_hours_is_accepted():
    # 07:00–10:00 is clipped to 08:00–10:00 by the scheduler; the policy still allows contact.
    with_overrides(get_policy("mainland_china"), call_windows={0: [Window(time(7), time(10))]})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"follow_ups_per_period": 0}, "follow_ups_per_period must be at least 1"),
        ({"attempts_per_period": -1}, "attempts_per_period must be at least 1"),
        ({"calls_per_week": 0}, "calls_per_week must be at least 1"),
        ({"follow_up_period": timedelta(0)}, "follow_up_period must be positive"),
        ({"attempt_period": timedelta(days=-1)}, "attempt_period must be positive"),
        ({"min_retry_gap": timedelta(0)}, "min_retry_gap must be positive"),
        ({"pause_after_refusal": timedelta(0)}, "pause_after_refusal must be positive"),
        ({"quiet_start": time(8)}, "the quiet hours start and end at the same time"),
        ({"callback_earliest": time(21), "callback_latest": time(8)}, "the call-back hours end before they start"),
        ({"callback_latest": time(22)}, "call-back hours 08:00–22:00 overlap the quiet hours 21:00–08:00"),
        ({"holiday_country": "XX"}, "unknown holiday calendar 'XX'"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_a_bad_override_is_refused_with_its_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        with_overrides(get_policy("mainland_china"), **changes)


def test_an_override_keeps_the_rest_of_the_preset():
    policy = with_overrides(get_policy("mainland_china"), contact_on_holidays=True, calls_per_week=2)
    assert policy.contact_on_holidays and policy.calls_per_week == 2
    assert policy.call_windows == get_policy("mainland_china").call_windows
    assert get_policy("mainland_china").contact_on_holidays is False


def test_policies_are_hashable_and_equal_by_their_rules():
    built = ContactPolicy(
        key="mainland_china",
        label="another label",
        call_windows={
            **weekday_windows(Window(time(14), time(20)), Window(time(9), time(12))),
            5: [Window(time(10), time(17))],
        },
        message_windows=dict.fromkeys(range(7), [Window(time(9), time(20))]),
    )
    assert built == get_policy("mainland_china")
    assert hash(built) == hash(get_policy("mainland_china"))
    assert built.call_windows[0] == (Window(time(9), time(12)), Window(time(14), time(20)))  # kept sorted


def test_a_weekday_outside_monday_to_sunday_is_refused():
    with pytest.raises(ValueError, match="weekday must be 0"):
        with_overrides(get_policy("mainland_china"), call_windows={7: [Window(time(9), time(10))]})


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        get_policy("mainland_china").windows_for("fax")


def test_a_policy_survives_pickling_into_another_process():
    policy = with_overrides(get_policy("hong_kong"), calls_per_week=2)
    copied = pickle.loads(pickle.dumps(policy))  # noqa: S301 - bytes this test just made
    assert copied == policy and hash(copied) == hash(policy)
    # Another process salts its hashes differently; the policy must still find itself there.
    check = (
        "import pickle, sys; from surveys.policies import get_policy, with_overrides; "
        "p = pickle.loads(sys.stdin.buffer.read()); q = with_overrides(get_policy('hong_kong'), calls_per_week=2); "
        "assert p == q and hash(p) == hash(q) and {q: 1}[p] == 1"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([sys.executable, "-c", check], input=pickle.dumps(policy), env=env, check=True)
