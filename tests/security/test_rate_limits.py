"""Survey links and the verification check are rate limited per address (and per link), in the shared cache.

Mallory guesses links and codes from one address; Wang Fang answers her own survey from her phone.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import ContactAttempt, FollowUp
from tests import factories
from wallet_followup.ratelimit import client_ip

pytestmark = pytest.mark.django_db

# Two minutes into a clock hour: the minute and hour windows do not turn over during a test.
START = datetime(2026, 6, 1, 2, 2, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def limits(settings):
    settings.SURVEY_BAD_LINKS_PER_IP_PER_HOUR = 3
    settings.SURVEY_RATE_PER_IP_PER_MINUTE = 50
    settings.SURVEY_RATE_PER_LINK_PER_MINUTE = 50
    settings.VERIFY_RATE_PER_IP_PER_MINUTE = 10
    settings.VERIFY_MISSES_PER_IP_PER_HOUR = 3
    return settings


def guessed(number: int) -> str:
    return reverse("public:survey", args=[f"guessed-token-number-{number:04d}-xxxxxxxxxxxxxxxxxxxxx"])


def test_many_wrong_links_from_one_address_are_refused_with_429_and_retry_after(client, limits):
    for number in range(3):
        assert client.get(guessed(number)).status_code == 404

    refused = client.get(guessed(99))

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(3600 - 125)  # the rest of the clock hour
    assert "Too many attempts" in refused.content.decode() or "尝试次数过多" in refused.content.decode()
    assert "no-cache" in refused.headers["Cache-Control"]


def test_once_the_address_is_refused_even_a_real_link_waits_and_then_works(client, limits, frozen_clock):
    token, _follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    for number in range(3):
        client.get(guessed(number))

    assert client.get(reverse("public:survey", args=[token])).status_code == 429

    frozen_clock.shift(timedelta(hours=1))
    assert client.get(reverse("public:survey", args=[token])).status_code == 200


def test_the_429_page_is_in_the_browsers_language_and_names_the_wait(limits):
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    for number in range(4):
        page = english.get(guessed(number))

    text = page.content.decode()
    assert page.status_code == 429
    assert "Too many attempts from this network" in text
    assert "Please wait 58 minutes and try again" in text


def test_another_address_is_not_refused_for_mallorys_guesses(limits):
    mallory, neighbour = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.20")
    for number in range(4):
        mallory.get(guessed(number))

    assert mallory.get(guessed(5)).status_code == 429
    assert neighbour.get(guessed(5)).status_code == 404


def test_wrong_links_on_the_opt_out_page_count_too(client, limits):
    for number in range(3):
        opt_out = reverse("trust:opt-out", args=[f"guess-{number}-xxxxxxxxxxxxxxxxxxxxxxxxx"])
        assert client.get(opt_out).status_code == 404

    assert client.get(guessed(7)).status_code == 429


def test_wang_fang_answers_her_whole_survey_without_being_limited(client, settings):
    # The defaults: a customer going through every question never meets them.
    token, follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    page = reverse("public:survey", args=[token])
    for question, value in [("nps", "9"), ("failed", "no"), ("worries", ["leak"]), ("rating", "4"), ("effort", "6")]:
        assert client.get(page).status_code == 200
        assert client.post(page, {"question": question, "action": "next", "answer": value}).status_code == 302
    assert client.post(page, {"action": "submit"}).status_code == 302
    assert client.get(reverse("public:thanks", args=[token])).status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED


def test_wang_fang_answers_while_the_cache_is_unreachable_and_nothing_is_counted(client, limits, settings):
    # A Redis outage must not stop customers answering: the limits fail open until it is back.
    token, follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    page = reverse("public:survey", args=[token])
    settings.CACHES = {
        "default": {
            "BACKEND": "wallet_followup.cache.RedisCacheKeepingClients",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    assert client.get(page).status_code == 200
    assert client.post(page, {"question": "nps", "action": "next", "answer": "9"}).status_code == 302
    assert follow_up.response.answers.count() == 1


def test_one_link_hammered_from_many_addresses_is_refused(limits):
    limits.SURVEY_RATE_PER_LINK_PER_MINUTE = 5
    token, _follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    page = reverse("public:survey", args=[token])
    answers = [Client(REMOTE_ADDR=f"203.0.113.{n}").get(page).status_code for n in range(1, 8)]

    assert answers == [200] * 5 + [429] * 2


def test_a_flood_from_one_address_is_refused_within_the_minute_and_served_the_next(client, limits, frozen_clock):
    limits.SURVEY_RATE_PER_IP_PER_MINUTE = 5
    token, _follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    page = reverse("public:survey", args=[token])

    answers = [client.get(page).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert client.get(page).headers["Retry-After"] == "55"

    frozen_clock.shift(timedelta(seconds=55))
    assert client.get(page).status_code == 200


def test_one_click_unsubscribes_from_one_mail_provider_are_not_a_flood(limits):
    limits.SURVEY_RATE_PER_IP_PER_MINUTE = 2
    mail_provider = Client(REMOTE_ADDR="192.0.2.25")
    links = [factories.survey_link(survey=factories.skip_logic_survey())[0] for _ in range(3)]
    answers = [
        mail_provider.post(reverse("trust:opt-out-one-click", args=[token]), {"List-Unsubscribe": "One-Click"})
        for token in links
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]


# --- The verification check ------------------------------------------------------------------------------


def test_guessing_verification_codes_runs_out_of_tries(client, limits):
    for code in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert client.post(reverse("trust:verify"), {"code": code}).status_code == 200

    refused = client.post(reverse("trust:verify"), {"code": "DDDDDD"})

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 3000
    assert client.get(reverse("trust:verify")).status_code == 200  # reading the form is never refused


def test_a_genuine_code_is_not_a_miss(client, limits):
    follow_up = factories.FollowUpFactory()
    factories.ContactAttemptFactory(
        follow_up=follow_up,
        outcome=ContactAttempt.Outcome.SENT,
        channel="sms",
        verification_code="K7M2QX",
        started_at=timezone.now() - timedelta(hours=1),
    )
    for _ in range(5):
        page = client.post(reverse("trust:verify"), {"code": "K7M2QX"})
        assert page.status_code == 200 and page.context["matches"]


def test_code_checks_from_one_address_are_limited_per_minute(client, limits):
    limits.VERIFY_RATE_PER_IP_PER_MINUTE = 2
    answers = [client.post(reverse("trust:verify"), {"code": "k7"}).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


# --- Whose address -----------------------------------------------------------------------------------------


class FakeRequest:
    def __init__(self, remote: str, forwarded: str = ""):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def test_without_trusted_proxies_a_forged_forwarded_for_header_changes_nothing(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(FakeRequest("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(FakeRequest("10.0.0.2", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(FakeRequest("10.0.0.2")) == "10.0.0.2"


def test_an_ipv6_client_is_counted_by_its_64_network(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(FakeRequest("2001:db8:1:2:aaaa::1")) == client_ip(FakeRequest("2001:db8:1:2:bbbb::9"))
    assert client_ip(FakeRequest("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
