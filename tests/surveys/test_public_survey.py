"""The public survey through the Django test client: links, resume, language, widgets, bad input."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from surveys.freetext import MAX_TEXT_LENGTH, tag_concerns
from surveys.models import Answer, FollowUp, Response
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    return factories.skip_logic_survey()


@pytest.fixture
def link(survey):
    customer = factories.CustomerFactory(name="王芳", phone="+8613800138000", language="en")
    return factories.survey_link(survey=survey, customer=customer)


def url(token, name="survey"):
    return reverse(f"public:{name}", args=[token])


def answer(client, token, question, value, **extra):
    data = {"question": question, "action": "next", **extra}
    if value is not None:
        data["answer"] = value
    return client.post(url(token), data)


def text(page) -> str:
    return page.content.decode()


def answer_all(client, token):
    for question, value in [
        ("nps", "9"),
        ("failed", "no"),
        ("worries", ["leak"]),
        ("rating", "4"),
        ("effort", "6"),
        ("comments", ""),
    ]:
        assert answer(client, token, question, value).status_code == 302


# --- Links ---------------------------------------------------------------------------------------------


def test_it_shows_the_same_404_page_for_unknown_expired_and_cancelled_links(client, survey):
    token, follow_up = factories.survey_link(survey=survey, customer=factories.CustomerFactory(name="王芳"))
    expired_token, expired = factories.survey_link(survey=survey, expires_in=timedelta(days=-1))
    cancelled_token, cancelled = factories.survey_link(survey=survey)
    FollowUp.objects.filter(pk=cancelled.pk).update(status=FollowUp.Status.CANCELLED, closed_at=timezone.now())

    pages = [
        client.get(url(some_token), HTTP_ACCEPT_LANGUAGE="en")
        for some_token in ("x" * 43, "not-a-token", expired_token, cancelled_token)
    ]
    assert {page.status_code for page in pages} == {404}
    bodies = {re.sub(r'value="[^"]+"', "", text(page)) for page in pages}
    assert len(bodies) == 1, "every invalid link gets exactly the same page"
    body = bodies.pop()
    assert "This link does not work (expired or not valid)" in body
    for secret in ("王芳", expired.customer.name, follow_up.campaign.name, "Wallet experience follow-up"):
        assert secret not in body


def test_it_says_already_answered_for_a_submitted_response(client, link):
    token, follow_up = link
    answer_all(client, token)
    assert client.post(url(token), {"action": "submit"}).status_code == 302
    page = client.get(url(token))
    assert page.status_code == 200
    assert "You have already answered, thank you" in text(page)
    # A POST on an answered link gets the same page.
    again = answer(client, token, "nps", "3")
    assert again.status_code == 200 and "You have already answered" in text(again)


def test_it_creates_nothing_on_get(client, link):
    token, follow_up = link
    assert client.get(url(token)).status_code == 200
    assert client.get(url(token) + "?q=review").status_code == 200
    assert not Response.objects.exists()


def test_the_page_is_not_cached_and_carries_a_csrf_token(client, link):
    token, _follow_up = link
    page = client.get(url(token))
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert 'name="csrfmiddlewaretoken"' in text(page)


def test_csrf_stays_on(link):
    from django.test import Client

    token, _follow_up = link
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(token), {"question": "nps", "answer": "9", "action": "next"}).status_code == 403
    assert not Response.objects.exists()


# --- Widgets and page ----------------------------------------------------------------------------------


def test_the_nps_question_is_eleven_radio_buttons_not_a_select(client, link):
    token, _follow_up = link
    body = text(client.get(url(token)))
    assert "<select" not in body
    assert len(re.findall(r'<input type="radio" class="btn-check" name="answer"', body)) == 11
    assert "<fieldset" in body and "<legend" in body
    assert "Not at all likely" in body and "Extremely likely" in body
    assert "Question 1 of 6" in body
    assert 'role="progressbar"' in body and 'aria-valuenow="0"' in body
    assert "Three minutes, no personal details." in body  # the intro, on the first screen only


def test_each_kind_gets_its_widget(client, link):
    token, _follow_up = link
    answer(client, token, "nps", "3")
    wrong = text(client.get(url(token)))
    assert "<textarea" in wrong and f'maxlength="{MAX_TEXT_LENGTH}"' in wrong
    assert f"Up to {MAX_TEXT_LENGTH} characters" in wrong
    assert "Three minutes" not in wrong
    answer(client, token, "wrong", "Slow")
    failed = text(client.get(url(token)))
    assert len(re.findall(r'type="radio"', failed)) == 2 and ">Yes<" in failed
    answer(client, token, "failed", "yes")
    which = text(client.get(url(token)))
    assert "QR code in a shop" in which and "Question 4 of 8" in which
    answer(client, token, "which", "qr")
    worries = text(client.get(url(token)))
    assert len(re.findall(r'type="checkbox"', worries)) == 3


# --- Saving as they go, resuming -----------------------------------------------------------------------


def test_it_resumes_where_the_customer_stopped(client, link):
    token, follow_up = link
    assert answer(client, token, "nps", "9").status_code == 302
    assert answer(client, token, "failed", "yes").status_code == 302
    response = Response.objects.get(follow_up=follow_up)
    assert response.status == Response.Status.IN_PROGRESS and response.mode == Response.Mode.WEB
    assert response.survey == follow_up.campaign.survey and response.current_question.code == "which"

    # The customer leaves; a new browser (no cookies) opens the link again.
    from django.test import Client

    page = Client().get(url(token))
    assert 'name="question" value="which"' in text(page)
    assert "Question 3 of 7" in text(page)


def test_back_keeps_the_answers_and_a_change_hides_and_deletes_answers(client, link):
    token, follow_up = link
    answer(client, token, "nps", "3")
    answer(client, token, "wrong", "The app crashed")
    back = text(client.get(url(token) + "?q=nps"))
    assert 'value="3" checked' in back
    # Now a promoter: "what went wrong?" is hidden and its answer deleted.
    answer(client, token, "nps", "9")
    assert not Answer.objects.filter(question__code="wrong").exists()
    assert 'name="question" value="failed"' in text(client.get(url(token)))


def test_it_does_not_jump_past_an_unanswered_required_question(client, link):
    token, _follow_up = link
    page = client.get(url(token) + "?q=rating")
    assert 'name="question" value="nps"' in text(page)
    review = client.get(url(token) + "?q=review")
    assert 'name="question" value="nps"' in text(review)


def test_the_review_lists_the_answers_with_change_links_and_submit_leads_to_thanks(client, link):
    token, follow_up = link
    answer_all(client, token)
    review = client.get(url(token))
    body = text(review)
    assert "Check your answers" in body and "My details leaking" in body
    assert body.count(">Change<") == 6
    done = client.post(url(token), {"action": "submit"})
    assert done.status_code == 302 and done["Location"] == url(token, "thanks")
    thanks = client.get(done["Location"])
    assert thanks.status_code == 200 and "Thank you" in text(thanks)
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED and follow_up.closed_at is not None
    assert Response.objects.get(follow_up=follow_up).status == Response.Status.SUBMITTED


def test_the_thanks_page_of_an_unsubmitted_link_is_the_invalid_page(client, link):
    token, _follow_up = link
    assert client.get(url(token, "thanks")).status_code == 404


def test_submit_with_a_missing_required_answer_goes_back_to_it(client, link):
    token, _follow_up = link
    answer(client, token, "nps", "9")
    refused = client.post(url(token), {"action": "submit"})
    assert refused.status_code == 302 and "q=failed" in refused["Location"]
    page = client.get(refused["Location"])
    assert "Please answer this question before you submit." in text(page)
    assert Response.objects.get().status == Response.Status.IN_PROGRESS


def test_a_second_submit_shows_already_answered(client, link):
    token, _follow_up = link
    answer_all(client, token)
    assert client.post(url(token), {"action": "submit"}).status_code == 302
    again = client.post(url(token), {"action": "submit"})
    assert again.status_code == 200 and "You have already answered" in text(again)
    assert Response.objects.count() == 1


def test_an_expired_link_with_answers_in_progress_stops_working(client, link):
    token, _follow_up = link
    answer(client, token, "nps", "9")
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert client.get(url(token)).status_code == 404


# --- Language ------------------------------------------------------------------------------------------


def test_the_page_is_in_the_customers_language_and_switches(client, survey):
    customer = factories.CustomerFactory(language="zh-hans")
    token, follow_up = factories.survey_link(survey=survey, customer=customer)
    page = text(client.get(url(token)))
    assert '<html lang="zh-Hans">' in page and "您有多大可能向朋友推荐我们的钱包？" in page
    switched = client.post(url(token, "language"), {"language": "en", "q": "nps"})
    assert switched.status_code == 302
    page = text(client.get(switched["Location"]))
    assert '<html lang="en">' in page and "How likely are you to recommend" in page
    response = Response.objects.get(follow_up=follow_up)
    assert response.language == "en" and response.status == Response.Status.IN_PROGRESS


def test_an_unknown_language_is_a_400(client, link):
    token, _follow_up = link
    assert client.post(url(token, "language"), {"language": "fr"}).status_code == 400


# --- Bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ("nps", "11", "Choose one of the options shown."),
        ("nps", "-1", "Choose one of the options shown."),
        ("nps", "seven", "Choose one of the options shown."),
        ("nps", None, "Please answer this question."),
        ("nps", "", "Please answer this question."),
    ],
)
def test_a_bad_answer_gives_the_form_again_with_a_message_on_the_field(client, link, question, value, message):
    token, _follow_up = link
    page = answer(client, token, question, value)
    assert page.status_code == 200
    body = text(page)
    assert message in body and 'role="alert"' in body and 'aria-invalid="true"' in body
    assert 'id="id_answer_errors"' in body
    assert not Answer.objects.exists()


def test_unknown_choices_and_oversized_text_are_refused_on_the_field(client, link):
    token, _follow_up = link
    answer(client, token, "nps", "3")
    long = answer(client, token, "wrong", "x" * (MAX_TEXT_LENGTH + 1))
    assert long.status_code == 200 and "Please keep your answer under" in text(long)
    answer(client, token, "wrong", "ok")
    answer(client, token, "failed", "yes")
    unknown = answer(client, token, "which", "bitcoin")
    assert unknown.status_code == 200 and "Choose one of the options shown." in text(unknown)
    assert not Answer.objects.filter(question__code__in=["which"]).exists()


@pytest.mark.parametrize("question", ["wrong", "which", "rating", "no-such-question", ""])
def test_an_answer_to_a_hidden_later_or_unknown_question_is_a_400(client, link, question):
    token, _follow_up = link
    answer(client, token, "nps", "9")  # "wrong" is hidden for a promoter; "which" until "failed" is yes
    page = answer(client, token, question, "1" if question == "rating" else "x")
    assert page.status_code in (200, 400)
    assert not Answer.objects.filter(question__code=question).exists()


def test_a_post_on_an_invalid_link_gets_the_invalid_page(client):
    assert client.post(url("y" * 43), {"action": "submit"}).status_code == 404
    assert client.post(url("y" * 43, "language"), {"language": "en"}).status_code == 404


# --- Queries -------------------------------------------------------------------------------------------


def test_get_and_post_use_a_small_constant_number_of_queries(client, link, django_assert_num_queries):
    token, _follow_up = link
    client.get(url(token))  # this process loads the campaign and the published survey's questions once
    tag_concerns("")  # and the bank's concern words, once a minute

    # The link, its follow-up, customer, response and answers: one query.
    with django_assert_num_queries(1):
        client.get(url(token))
    # Each write also counts SAVEPOINT and RELEASE here: the test runs inside a transaction of its own.
    # The first answer: the link, then insert the response and the answer.
    with django_assert_num_queries(3 + 2):
        answer(client, token, "nps", "3")
    # Later answers: the link, the response locked, its answers, the response and the answer written.
    with django_assert_num_queries(5 + 2):
        answer(client, token, "wrong", "The app crashed")
    with django_assert_num_queries(1):
        client.get(url(token))


# --- Preview -------------------------------------------------------------------------------------------


def test_a_manager_previews_a_draft_survey_with_skip_logic_and_nothing_is_saved(client, manager):
    survey = factories.skip_logic_survey(status="draft", published_at=None)
    client.force_login(manager)
    preview = reverse("public:preview", args=[survey.pk, "en"])
    page = client.get(preview)
    assert page.status_code == 200
    assert "Preview — answers are not saved" in text(page)
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    assert client.post(preview, {"question": "nps", "answer": "2", "action": "next"}).status_code == 302
    assert 'name="question" value="wrong"' in text(client.get(preview))
    assert client.post(preview, {"action": "restart"}).status_code == 302
    assert 'name="question" value="nps"' in text(client.get(preview))
    assert not Response.objects.exists() and not Answer.objects.exists()
    chinese = client.get(reverse("public:preview", args=[survey.pk, "zh-hans"]))
    assert '<html lang="zh-Hans">' in text(chinese)


def test_the_preview_needs_the_permission(client):
    survey = factories.skip_logic_survey()
    preview = reverse("public:preview", args=[survey.pk, "en"])
    assert client.get(preview).status_code == 302  # to the login page
    client.force_login(factories.UserFactory(username="nobody", roles=[]))
    assert client.get(preview).status_code == 403


def test_free_text_is_escaped_on_the_review(client, link):
    token, _follow_up = link
    answer(client, token, "nps", "2")
    answer(client, token, "wrong", "<script>alert('x')</script>")
    body = text(client.get(url(token) + "?q=wrong"))
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_a_preview_can_be_submitted_and_started_again(client, manager):
    survey = factories.skip_logic_survey(status="draft", published_at=None)
    client.force_login(manager)
    preview = reverse("public:preview", args=[survey.pk, "en"])
    for question, value in [("nps", "9"), ("failed", "no"), ("worries", None), ("rating", "3"), ("effort", "2")]:
        data = {"question": question, "action": "next"} | ({"answer": value} if value else {})
        assert client.post(preview, data).status_code == 302
    assert client.post(preview, {"question": "comments", "answer": "", "action": "next"}).status_code == 302
    assert "Check your answers" in text(client.get(preview))
    assert client.post(preview, {"action": "submit"}).status_code == 302
    thanks = text(client.get(preview))
    assert "Thank you for your answers" in thanks and "Preview — answers are not saved" in thanks
    client.post(preview, {"action": "restart"})
    assert 'name="question" value="nps"' in text(client.get(preview))
    assert not Response.objects.exists()


def test_a_change_from_the_review_returns_to_it_unless_a_new_question_appears(client, link):
    token, _follow_up = link
    answer_all(client, token)
    change = text(client.get(url(token) + "?q=worries&from=review"))
    assert 'name="from" value="review"' in change
    saved = answer(client, token, "worries", ["fraud"], **{"from": "review"})
    assert "Check your answers" in text(client.get(saved["Location"]))
    saved = answer(client, token, "nps", "3", **{"from": "review"})
    assert 'name="question" value="wrong"' in text(client.get(saved["Location"]))


# --- Screens rendered once per process ------------------------------------------------------------------


def test_a_screen_served_from_the_cache_carries_each_customers_own_link_and_a_working_csrf_token(survey):
    from django.test import Client

    first_token, _first = factories.survey_link(survey=survey, customer=factories.CustomerFactory(language="en"))
    second_token, second = factories.survey_link(survey=survey, customer=factories.CustomerFactory(language="en"))
    first_page = text(Client().get(url(first_token)))
    browser = Client(enforce_csrf_checks=True)
    second_page = text(browser.get(url(second_token)))  # the same screen: from the cache

    assert first_token in first_page and second_token not in first_page
    assert second_token in second_page and first_token not in second_page
    assert first_page.replace(first_token, "T") != second_page.replace(second_token, "T")  # own CSRF tokens
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second_page).group(1)
    posted = browser.post(url(second_token), {"csrfmiddlewaretoken": csrf, "question": "nps", "answer": "9"})
    assert posted.status_code == 302
    assert Response.objects.get(follow_up=second).answers.get().number == 9


def test_a_cached_screen_shows_the_answer_the_customer_gave(client, link):
    token, _follow_up = link
    answer(client, token, "nps", "9")
    answer(client, token, "failed", "no")

    back = text(client.get(url(token) + "?q=nps"))

    assert re.search(r'<input type="radio" class="btn-check" name="answer" id="[^"]+" value="9" checked', back)
    assert len(re.findall(r" checked", back)) == 1
