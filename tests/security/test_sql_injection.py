"""SQL injection through the dashboard's filters and the searches: a normal page or a notice, never a 500,
never more rows than asked for. (Everything goes through forms and the ORM or bound parameters; these
tests keep it that way.)"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import RollupState
from tests import factories
from tests.analytics.test_dashboard import private_cache, respondents, rollup  # noqa: F401  (its own cache, autouse)

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "1; DROP TABLE accounts_customer; --",
    "premium' UNION SELECT username, password FROM accounts_user --",
    "%' OR 1=1 --",
    "\\'; SELECT pg_sleep(5); --",
]
DASHBOARD_PARAMETERS = ["since", "until", "campaign", "segment", "device_os", "app_version", "channel", "event", "by"]


@pytest.fixture
def answers():
    """30 premium respondents on iOS and 20 mass ones on Android, this week."""
    today = timezone.localdate()
    spring = factories.CampaignFactory(name="Spring")
    rollup(day=today - timedelta(days=2), campaign=spring, segment="premium", device_os="ios", **respondents(30))
    rollup(day=today - timedelta(days=1), campaign=spring, segment="mass", device_os="android", **respondents(20))
    for name in ("responses", "funnel"):
        RollupState.objects.create(name=name, refreshed_at=timezone.now())


def respondents_shown(response) -> int:
    return response.context["report"].totals.respondents


@pytest.mark.parametrize("injection", INJECTIONS)
def test_an_injected_dashboard_filter_gives_a_normal_page_and_no_extra_rows(client, manager, answers, injection):
    client.force_login(manager)
    everyone = respondents_shown(client.get(reverse("analytics:dashboard")))
    premium = respondents_shown(client.get(reverse("analytics:dashboard"), {"segment": "premium"}))
    assert (everyone, premium) == (50, 30)

    for parameter in DASHBOARD_PARAMETERS:
        page = client.get(reverse("analytics:dashboard"), {"segment": "premium", parameter: injection})
        assert page.status_code == 200, parameter
        assert respondents_shown(page) <= everyone, parameter
        if parameter != "segment":
            assert respondents_shown(page) in (30, 50), parameter  # premium, or the default when ignored
        assert page.context["notices"] or parameter == "by", parameter  # what could not be used is said


@pytest.mark.parametrize("injection", INJECTIONS)
def test_injected_filters_on_the_exports_and_blocks_never_fail(client, manager, answers, injection):
    client.force_login(manager)
    query = {"segment": injection, "campaign": injection, "since": injection}
    for name in ("analytics:dashboard-blocks", "analytics:dashboard-export-csv", "analytics:dashboard-export-xlsx"):
        assert client.get(reverse(name), query).status_code == 200, name
    assert client.get(reverse("analytics:team"), {"since": injection, "until": injection}).status_code == 200


@pytest.mark.parametrize("injection", INJECTIONS)
def test_an_agents_customer_search_finds_no_one_with_an_injection(client, agent, customer, injection):
    client.force_login(agent)
    page = client.get(reverse("scheduling:find"), {"q": injection})
    assert page.status_code == 200
    assert not page.context["results"]
    assert customer.name not in page.content.decode()


@pytest.mark.parametrize("injection", INJECTIONS)
def test_the_case_list_and_concern_words_take_injections_as_plain_text(client, manager, injection):
    factories.CaseFactory(summary="Payment I did not make")
    client.force_login(manager)
    cases = client.get(reverse("cases:list"), {"status": injection, "page": injection})
    assert cases.status_code == 200 and len(cases.context["page"].object_list) == 1
    assert client.get(reverse("trust:concern-words"), {"sentence": injection}).status_code == 200


@pytest.mark.parametrize("injection", INJECTIONS)
def test_the_admins_customer_search_finds_no_one_with_an_injection(client, administrator, customer, injection):
    client.force_login(administrator)
    page = client.get(reverse("admin:accounts_customer_changelist"), {"q": injection})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 0
