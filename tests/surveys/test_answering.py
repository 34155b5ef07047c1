"""The services that store a customer's answers: every kind, skip-logic pruning, redaction, submit once."""

import pytest
from django.utils import timezone

from surveys import answering
from surveys.answering import SubmitStatus
from surveys.freetext import REDACTION
from surveys.models import Answer, FollowUp, Response
from surveys.skip_logic import AnswerValue
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    survey = factories.skip_logic_survey()
    _token, follow_up = factories.survey_link(survey=survey)
    return follow_up, answering.survey_questions(survey)


def save(setup, code, **value):
    follow_up, questions = setup
    return answering.save_answer(
        follow_up=follow_up,
        questions=questions,
        question=questions.by_code[code],
        value=AnswerValue(**value),
        language="zh-hans",
        now=timezone.now(),
    )


def submit(setup):
    follow_up, questions = setup
    return answering.submit_response(follow_up=follow_up, questions=questions, language="zh-hans", now=timezone.now())


def stored(code) -> Answer:
    return Answer.objects.get(question__code=code)


def test_the_first_answer_creates_the_response_in_progress(setup):
    saved = save(setup, "nps", number=9)
    response = Response.objects.get()
    assert response.status == Response.Status.IN_PROGRESS and response.mode == Response.Mode.WEB
    assert response.survey == setup[1].survey and response.started_at is not None
    assert response.current_question.code == "failed" and saved.next_step == "failed"
    assert stored("nps").number == 9 and stored("nps").concerns == []


def test_every_kind_stores_its_value(setup):
    save(setup, "nps", number=3)
    save(setup, "wrong", text="The app crashed when I paid")
    save(setup, "failed", yes_no=True)
    save(setup, "which", choices=frozenset({"online"}))
    save(setup, "worries", choices=frozenset({"leak", "fraud", "other"}))
    save(setup, "rating", number=1)
    saved = save(setup, "effort", number=7)
    assert saved.next_step == "comments"
    assert stored("failed").yes_no is True
    assert stored("which").concerns == ["compatibility"]
    # The leak choice's own concern, the question's for a choice without one, never "other".
    assert stored("worries").concerns == ["security", "trust"]
    assert {c.code for c in stored("worries").choices.all()} == {"leak", "fraud", "other"}
    assert stored("wrong").concerns == ["compatibility"]
    assert (stored("rating").number, stored("effort").number) == (1, 7)


def test_changing_a_choice_answer_replaces_the_choices(setup):
    save(setup, "nps", number=9)
    save(setup, "failed", yes_no=False)
    save(setup, "worries", choices=frozenset({"leak", "fraud"}))
    save(setup, "worries", choices=frozenset({"fraud"}))
    assert [c.code for c in stored("worries").choices.all()] == ["fraud"]
    assert Answer.objects.count() == 3


def test_free_text_is_redacted_and_tagged(setup):
    save(setup, "nps", number=2)
    save(setup, "wrong", text="卡号 6222 0212 3456 7890 123 被盗刷了")
    answer = stored("wrong")
    assert "6222" not in answer.text and REDACTION in answer.text
    assert answer.text_redacted is True
    assert "security" in answer.concerns


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("nps", {"number": 11}),
        ("nps", {"number": -1}),
        ("nps", {"yes_no": True}),
        ("nps", {}),
        ("failed", {"number": 1}),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_stored(setup, code, value):
    with pytest.raises(answering.InvalidAnswer):
        save(setup, code, **value)
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_unknown_choices_and_long_text_are_refused(setup):
    save(setup, "nps", number=3)
    with pytest.raises(answering.InvalidAnswer):
        save(setup, "wrong", text="x" * 2001)
    save(setup, "wrong", text="x")
    save(setup, "failed", yes_no=True)
    with pytest.raises(answering.InvalidAnswer):
        save(setup, "which", choices=frozenset({"bitcoin"}))
    with pytest.raises(answering.InvalidAnswer):
        save(setup, "which", choices=frozenset({"qr", "online"}))
    assert not Answer.objects.filter(question__code="which").exists()


def test_an_answer_to_a_hidden_question_is_refused(setup):
    save(setup, "nps", number=9)
    with pytest.raises(answering.QuestionNotAvailable):
        save(setup, "wrong", text="nothing")
    with pytest.raises(answering.QuestionNotAvailable):
        save(setup, "rating", number=3)  # past "failed", still unanswered
    assert set(Answer.objects.values_list("question__code", flat=True)) == {"nps"}


def test_answers_hidden_by_a_changed_answer_are_deleted(setup):
    save(setup, "nps", number=3)
    save(setup, "wrong", text="slow")
    save(setup, "failed", yes_no=True)
    save(setup, "which", choices=frozenset({"qr"}))
    save(setup, "nps", number=10)
    save(setup, "failed", yes_no=False)
    assert set(Answer.objects.values_list("question__code", flat=True)) == {"nps", "failed"}


def test_an_empty_optional_answer_removes_the_stored_one(setup):
    save(setup, "nps", number=9)
    save(setup, "failed", yes_no=False)
    save(setup, "worries", choices=frozenset({"leak"}))
    saved = save(setup, "worries")
    assert saved.next_step == "rating"
    assert not Answer.objects.filter(question__code="worries").exists()


def test_submit_refuses_a_missing_required_answer(setup):
    save(setup, "nps", number=9)
    outcome = submit(setup)
    assert outcome.status is SubmitStatus.MISSING and outcome.missing == "failed"
    assert Response.objects.get().status == Response.Status.IN_PROGRESS


def answer_everything(setup):
    for code, value in [
        ("nps", {"number": 9}),
        ("failed", {"yes_no": False}),
        ("rating", {"number": 4}),
        ("effort", {"number": 5}),
    ]:
        save(setup, code, **value)


def test_submit_happens_once_and_completes_the_follow_up(setup):
    follow_up, _questions = setup
    FollowUp.objects.filter(pk=follow_up.pk).update(claimed_at=timezone.now(), claimed_by="worker-1")
    answer_everything(setup)
    assert submit(setup).status is SubmitStatus.SUBMITTED
    assert submit(setup).status is SubmitStatus.ALREADY_SUBMITTED
    response = Response.objects.get()
    assert response.status == Response.Status.SUBMITTED and response.submitted_at is not None
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED and follow_up.closed_at is not None
    assert follow_up.claimed_at is None and follow_up.claimed_by == ""


def test_no_answer_is_stored_after_submit(setup):
    answer_everything(setup)
    submit(setup)
    with pytest.raises(answering.AlreadySubmitted):
        save(setup, "nps", number=0)
    assert stored("nps").number == 9


def test_choosing_the_language_creates_the_response_at_the_first_question(setup):
    follow_up, questions = setup
    response = answering.choose_language(follow_up=follow_up, questions=questions, language="en", now=timezone.now())
    assert response.language == "en" and response.current_question.code == "nps"
    answering.choose_language(follow_up=follow_up, questions=questions, language="zh-hans", now=timezone.now())
    assert Response.objects.get().language == "zh-hans"
