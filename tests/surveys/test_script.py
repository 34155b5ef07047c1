"""The survey as a call script: Alice reads the questions aloud to a customer and records a phone Response.

The survey is factories.skip_logic_survey: NPS; "what went wrong?" only for NPS ≤ 6; a payment failure
yes/no; "which payment?" only after yes; worries (optional); rating; effort; comments (optional).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from surveys.models import Case, FollowUp, Response
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db

DETRACTOR = [("nps", "3"), ("wrong", "Too many steps"), ("failed", "no"), ("rating", "3"), ("effort", "2")]
PROMOTER = [("nps", "9"), ("failed", "no"), ("rating", "5"), ("effort", "7")]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False), translation.override("en"):
        yield


@pytest.fixture
def client():
    """Alice's browser asks for English; the customers below speak Chinese."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def bob(db):
    return factories.UserFactory(username="bob", first_name="Bob", roles=["agent"])


def phone_call(**fields) -> FollowUp:
    fields.setdefault("customer__language", "zh-hans")
    campaign = factories.CampaignFactory(survey=factories.skip_logic_survey(), channels=["phone"])
    return factories.FollowUpFactory(campaign=campaign, channel="phone", status=FollowUp.Status.PLANNED, **fields)


def script_url(follow_up: FollowUp) -> str:
    return reverse("script:question", args=[follow_up.pk])


def answer(client, follow_up: FollowUp, code: str, value: str):
    return client.post(script_url(follow_up), {"question": code, "answer": value})


def read_script(client, follow_up: FollowUp, answers) -> None:
    for code, value in answers:
        response = answer(client, follow_up, code, value)
        assert response.status_code == 302, (code, response.content.decode()[:2000])


def shown_question(client, follow_up: FollowUp) -> str:
    html = client.get(script_url(follow_up)).content.decode()
    marker = 'name="question" value="'
    assert marker in html
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture
def alices_call(agent):
    return phone_call(assigned_agent=agent)


def test_it_shows_the_prompt_in_the_customers_language_and_the_page_in_the_agents(client, agent, alices_call):
    client.force_login(agent)

    response = client.get(script_url(alices_call))

    assert response.status_code == 200
    html = response.content.decode()
    assert "您有多大可能向朋友推荐我们的钱包？" in html and 'lang="zh-Hans"' in html
    assert "How likely are you to recommend" not in html
    assert "Save and next" in html and "Question 1 of" in html
    assert reverse("console:call", args=[alices_call.pk]) in html


def test_it_records_a_phone_response_taken_by_the_agent(client, agent, alices_call):
    client.force_login(agent)

    read_script(client, alices_call, PROMOTER)
    review = client.get(script_url(alices_call) + "?q=review")
    assert "Submit answers" in review.content.decode() and "否" in review.content.decode()
    done = client.post(reverse("script:submit", args=[alices_call.pk]))

    assert done.status_code == 302 and done["Location"] == reverse("console:call", args=[alices_call.pk])
    assert "Answers recorded; now record the call's outcome." in [str(m) for m in get_messages(done.wsgi_request)]
    response = Response.objects.get(follow_up=alices_call)
    assert (response.status, response.mode, response.taken_by) == ("submitted", Response.Mode.PHONE, agent)
    assert response.language == "zh-hans" and response.answers.count() == len(PROMOTER)
    alices_call.refresh_from_db()
    assert alices_call.status == FollowUp.Status.COMPLETED


def test_it_records_an_agent_who_finishes_a_response_begun_on_the_web(client, agent, alices_call):
    factories.ResponseFactory(
        follow_up=alices_call, status=Response.Status.IN_PROGRESS, submitted_at=None, mode=Response.Mode.WEB
    )
    client.force_login(agent)

    read_script(client, alices_call, PROMOTER)
    client.post(reverse("script:submit", args=[alices_call.pk]))

    response = Response.objects.get(follow_up=alices_call)
    assert (response.status, response.mode, response.taken_by) == ("submitted", Response.Mode.PHONE, agent)


@pytest.mark.parametrize(("nps", "next_code"), [("3", "wrong"), ("9", "failed")])
def test_it_asks_what_went_wrong_only_after_a_low_score(client, agent, alices_call, nps, next_code):
    client.force_login(agent)

    read_script(client, alices_call, [("nps", nps)])

    assert shown_question(client, alices_call) == next_code
    html = client.get(script_url(alices_call)).content.decode()
    assert "Question 2 of" in html
    assert ("哪里让您不满意？" in html) == (next_code == "wrong")


def test_it_refuses_a_question_that_skip_logic_hides(client, agent, alices_call):
    client.force_login(agent)
    read_script(client, alices_call, [("nps", "9")])

    response = answer(client, alices_call, "wrong", "Hidden")

    assert response.status_code == 400
    assert not Response.objects.get(follow_up=alices_call).answers.filter(question__code="wrong").exists()


def test_it_names_the_problem_with_an_answer_out_of_range(client, agent, alices_call):
    client.force_login(agent)

    response = answer(client, alices_call, "nps", "42")

    assert response.status_code == 400
    assert "Choose one of the options shown." in response.content.decode()
    assert not Response.objects.filter(follow_up=alices_call).exists()


def test_submitting_a_detractor_opens_a_detractor_case(client, agent, alices_call):
    client.force_login(agent)

    read_script(client, alices_call, DETRACTOR)
    client.post(reverse("script:submit", args=[alices_call.pk]))

    case = Case.objects.get(follow_up=alices_call)
    assert case.category == Case.Category.DETRACTOR


def test_submitting_with_a_required_answer_missing_goes_back_to_it(client, agent, alices_call):
    client.force_login(agent)
    read_script(client, alices_call, [("nps", "9")])

    response = client.post(reverse("script:submit", args=[alices_call.pk]))

    assert response.status_code == 302 and "q=failed" in response["Location"]
    assert Response.objects.get(follow_up=alices_call).status == Response.Status.IN_PROGRESS


def test_a_submitted_script_goes_back_to_the_call_page(client, agent, alices_call):
    client.force_login(agent)
    read_script(client, alices_call, PROMOTER)
    client.post(reverse("script:submit", args=[alices_call.pk]))

    again = client.get(script_url(alices_call))

    assert again.status_code == 302 and again["Location"] == reverse("console:call", args=[alices_call.pk])


@pytest.mark.parametrize("name", ["script:question", "script:submit"])
def test_alice_gets_404_for_bobs_call(client, agent, bob, name):
    follow_up = phone_call(assigned_agent=bob)
    client.force_login(agent)

    assert client.get(reverse("script:question", args=[follow_up.pk])).status_code == 404
    assert client.post(reverse(name, args=[follow_up.pk]), {"question": "nps", "answer": "3"}).status_code == 404
    assert not Response.objects.filter(follow_up=follow_up).exists()


def test_a_pool_call_must_be_claimed_first(client, agent):
    follow_up = phone_call(assigned_agent=None)
    client.force_login(agent)

    assert "Claim this call first" in client.get(script_url(follow_up)).content.decode()
    assert answer(client, follow_up, "nps", "3").status_code == 409
    assert not Response.objects.filter(follow_up=follow_up).exists()


def test_a_manager_without_the_queue_permission_is_refused(client, manager, alices_call):
    client.force_login(manager)
    assert client.get(script_url(alices_call)).status_code == 403


def test_an_english_speaking_customer_hears_english_whatever_the_agents_language(agent):
    follow_up = phone_call(assigned_agent=agent, customer__language="en")
    chinese_browser = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese_browser.force_login(agent)
    read_script(chinese_browser, follow_up, [("nps", "9")])

    html = chinese_browser.get(script_url(follow_up)).content.decode()

    assert "Did a payment fail?" in html and "是否有支付失败？" not in html
    assert 'lang="en">Yes</label>' in html and 'lang="en">No</label>' in html
