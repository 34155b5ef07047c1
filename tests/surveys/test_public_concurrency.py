"""Fifty customers' tabs (or one replaying client) submit the same link at once: exactly one response."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import answering
from surveys.models import FollowUp, Response
from surveys.skip_logic import AnswerValue
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; CI runs PostgreSQL"),
]

THREADS = 50


def test_fifty_concurrent_submits_store_exactly_one_response(transactional_db):
    survey = factories.skip_logic_survey()
    token, follow_up = factories.survey_link(survey=survey)
    questions = answering.survey_questions(survey)
    for code, value in [
        ("nps", {"number": 9}),
        ("failed", {"yes_no": False}),
        ("rating", {"number": 4}),
        ("effort", {"number": 5}),
    ]:
        answering.save_answer(
            follow_up=follow_up,
            questions=questions,
            question=questions.by_code[code],
            value=AnswerValue(**value),
            language="zh-hans",
            now=timezone.now(),
        )
    url = reverse("public:survey", args=[token])
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            page = client.post(url, {"action": "submit"})
            with lock:
                statuses.append(page.status_code)
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert len(statuses) == THREADS
    assert set(statuses) <= {200, 302}
    assert statuses.count(302) == 1  # the one that submitted goes to the thank-you page
    assert Response.objects.filter(follow_up=follow_up).count() == 1
    assert Response.objects.get(follow_up=follow_up).status == Response.Status.SUBMITTED
    assert FollowUp.objects.get(pk=follow_up.pk).status == FollowUp.Status.COMPLETED


def test_fifty_concurrent_first_answers_create_one_response(transactional_db):
    survey = factories.skip_logic_survey()
    token, follow_up = factories.survey_link(survey=survey)
    url = reverse("public:survey", args=[token])
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def answer(score: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            page = client.post(url, {"action": "next", "question": "nps", "answer": str(score % 11)})
            with lock:
                statuses.append(page.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * THREADS
    assert Response.objects.filter(follow_up=follow_up).count() == 1
    assert Response.objects.get(follow_up=follow_up).answers.count() == 1
