"""The starter survey ships with the product: installed by migrations, bilingual, tagged, with working skip logic."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from surveys import authoring
from surveys.models import Choice, Concern, Question, Survey
from surveys.skip_logic import AnswerValue, condition_errors, visible_codes
from surveys.starter import STARTER_KEY, STARTER_VERSION, install_starter_survey, starter_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def starter() -> Survey:
    return Survey.objects.get(key=STARTER_KEY, version=STARTER_VERSION)


def test_migrations_install_the_starter_survey_published(starter):
    assert starter.status == Survey.Status.PUBLISHED
    assert starter.published_at is not None
    assert 8 <= starter.questions.count() <= 12
    assert authoring.publication_errors(starter) == []


def test_every_question_and_choice_is_bilingual_and_tagged(starter):
    concerns = set(Concern.values)
    for question in starter.questions.all():
        assert question.prompt_zh and question.prompt_en
        assert question.concern in concerns
        for choice in question.choices.all():
            assert choice.label_zh and choice.label_en
            assert choice.concern in concerns


def test_it_covers_security_trust_compatibility_and_the_usual_scores(starter):
    kinds = set(starter.questions.values_list("kind", flat=True))
    concerns = set(starter.questions.values_list("concern", flat=True))
    assert {"nps", "ces", "rating", "yes_no", "single_choice", "multiple_choice", "free_text"} <= kinds
    assert {"security", "trust", "compatibility"} <= concerns
    assert starter.questions.order_by("-position").first().kind == "free_text"


def test_its_conditions_are_valid_and_point_at_earlier_questions(starter):
    questions = list(starter.questions.select_related("show_if_question").prefetch_related("choices"))
    for index, question in enumerate(questions):
        assert condition_errors(question.as_rule(), [q.as_rule() for q in questions[:index]]) == []
    conditional = {
        q.code: (q.show_if_question.code, q.show_if_operator, q.show_if_value) for q in questions if q.condition
    }
    assert conditional == {
        "failed_payment": ("payment_failed", "yes", None),
        "what_went_wrong": ("nps", "at_most", 6),
    }


def test_which_payment_failed_shows_only_after_yes_and_what_went_wrong_only_for_detractors(starter):
    rules = [q.as_rule() for q in starter.questions.select_related("show_if_question").prefetch_related("choices")]

    happy = visible_codes(rules, {"payment_failed": AnswerValue(yes_no=False), "nps": AnswerValue(number=9)})
    unhappy = visible_codes(rules, {"payment_failed": AnswerValue(yes_no=True), "nps": AnswerValue(number=4)})

    assert "failed_payment" not in happy and "what_went_wrong" not in happy
    assert "failed_payment" in unhappy and "what_went_wrong" in unhappy


def test_the_loader_creates_nothing_when_the_survey_exists(starter):
    before = (Survey.objects.count(), Question.objects.count(), Choice.objects.count())

    result = install_starter_survey(
        survey_model=Survey, question_model=Question, choice_model=Choice, now=datetime(2026, 1, 1, tzinfo=UTC)
    )

    assert result is None
    assert (Survey.objects.count(), Question.objects.count(), Choice.objects.count()) == before


def test_the_loader_builds_the_survey_from_its_data_file():
    data = {**starter_data(), "key": "starter-copy"}

    survey = install_starter_survey(
        survey_model=Survey,
        question_model=Question,
        choice_model=Choice,
        now=datetime(2026, 1, 1, tzinfo=UTC),
        data=data,
    )

    assert survey.key == "starter-copy"
    assert list(survey.questions.order_by("position").values_list("code", flat=True)) == [
        q["code"] for q in data["questions"]
    ]
    assert survey.questions.get(code="what_went_wrong").show_if_question == survey.questions.get(code="nps")


def test_the_migration_is_idempotent_when_run_again():
    migration = importlib.import_module("surveys.migrations.0003_starter_survey")
    before = Survey.objects.filter(key=STARTER_KEY).count()

    migration.install(apps, schema_editor=None)

    assert Survey.objects.filter(key=STARTER_KEY).count() == before == 1


def test_a_new_version_of_the_starter_survey_is_a_draft_copy(starter):
    copy = authoring.create_next_version(survey=starter)

    assert (copy.version, copy.status) == (2, Survey.Status.DRAFT)
    assert copy.questions.count() == starter.questions.count()
    assert copy.questions.get(code="failed_payment").show_if_question == copy.questions.get(code="payment_failed")
