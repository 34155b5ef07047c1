"""Survey link tokens and verification codes."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from surveys import tokens

STARTED = datetime(2026, 3, 11, 2, 0, 0, 123456, tzinfo=UTC)


def test_an_attempts_token_is_the_same_every_time_it_is_asked_for():
    first = tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=STARTED)
    assert first == tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=STARTED)


def test_the_token_is_the_same_whatever_zone_the_start_is_written_in():
    from zoneinfo import ZoneInfo

    local = STARTED.astimezone(ZoneInfo("Asia/Shanghai"))
    assert tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=local) == (
        tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=STARTED)
    )


@pytest.mark.parametrize(
    "changed",
    [
        {"attempt_id": 9},
        {"follow_up_id": 9},
        {"started_at": STARTED + timedelta(microseconds=1)},
    ],
)
def test_any_other_attempt_gets_another_token(changed):
    base = {"attempt_id": 1, "follow_up_id": 2, "started_at": STARTED}
    assert tokens.link_token_for_attempt(**base) != tokens.link_token_for_attempt(**{**base, **changed})


def test_the_token_is_long_url_safe_and_only_its_hash_is_meant_to_be_stored():
    token, token_hash = tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=STARTED)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 bits
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash)
    assert token_hash == tokens.hash_token(token) and token not in token_hash


def test_tokens_depend_on_the_secret_key(settings):
    before = tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=STARTED)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=STARTED) != before


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        tokens.link_token_for_attempt(attempt_id=1, follow_up_id=2, started_at=datetime(2026, 3, 11))  # noqa: DTZ001


def test_random_tokens_differ():
    assert tokens.new_link_token()[0] != tokens.new_link_token()[0]


def test_the_verification_code_is_six_unambiguous_characters_and_stable_per_attempt():
    codes = {tokens.verification_code(attempt_id) for attempt_id in range(200)}
    assert len(codes) > 190
    for code in codes:
        assert len(code) == tokens.VERIFICATION_LENGTH
        assert not set(code) - set(tokens.VERIFICATION_ALPHABET)
        assert not set(code) & set("01OIL")
    assert tokens.verification_code(42) == tokens.verification_code(42)


def test_links_point_at_the_site():
    token = "abc"
    assert tokens.survey_link(token).endswith("/s/abc/")
    assert tokens.opt_out_link(token).endswith("/s/abc/opt-out/")
