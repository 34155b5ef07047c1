"""Designing surveys (surveys/authoring.py): drafts change in place, published versions never do."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from surveys import authoring
from surveys.authoring import ChoiceData, QuestionData
from surveys.models import Answer, Question, Survey
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def nps(code="nps", **changes) -> QuestionData:
    fields = {
        "code": code,
        "kind": "nps",
        "prompt_zh": "您有多大可能推荐我们？",
        "prompt_en": "How likely are you to recommend us?",
        "concern": "trust",
    }
    return QuestionData(**{**fields, **changes})


def yes_no(code, **changes) -> QuestionData:
    fields = {"code": code, "kind": "yes_no", "prompt_zh": "付款失败了吗？", "prompt_en": "Did a payment fail?"}
    return QuestionData(**{**fields, **changes})


def choice_question(code, choices=("app", "pos"), **changes) -> QuestionData:
    fields = {
        "code": code,
        "kind": "multiple_choice",
        "prompt_zh": "哪里出了问题？",
        "prompt_en": "What went wrong?",
        "choices": tuple(ChoiceData(code=c, label_zh=f"选项{c}", label_en=f"Choice {c}") for c in choices),
    }
    return QuestionData(**{**fields, **changes})


@pytest.fixture(autouse=True)
def in_english():
    """Messages are checked in English; the services translate them into the active language."""
    with translation.override("en"):
        yield


@pytest.fixture
def draft(manager):
    return authoring.create_survey(key="card-check", title_zh="银行卡回访", title_en="Card check", by=manager)


@pytest.fixture
def published(draft):
    source = authoring.add_question(survey=draft, data=nps())
    authoring.add_question(
        survey=draft,
        data=choice_question("what_went_wrong", show_if_question=source, show_if_operator="at_most", show_if_value=6),
    )
    return authoring.publish_survey(survey=draft, now=NOW)


def test_it_creates_a_survey_as_version_one_of_a_new_key(draft, manager):
    assert (draft.key, draft.version, draft.status) == ("card-check", 1, Survey.Status.DRAFT)
    assert draft.created_by == manager


def test_it_refuses_a_key_already_in_use(draft):
    with pytest.raises(ValidationError) as refused:
        authoring.create_survey(key="card-check", title_zh="重复", title_en="Again")
    assert "key" in refused.value.message_dict


def test_it_adds_questions_at_the_end_and_edits_a_draft_in_place(draft):
    first = authoring.add_question(survey=draft, data=nps())
    second = authoring.add_question(survey=draft, data=choice_question("where"))

    updated = authoring.update_question(question=second, data=choice_question("where", choices=("app", "web", "pos")))

    assert (first.position, second.position) == (1, 2)
    assert updated.pk == second.pk
    assert list(updated.choices.values_list("code", flat=True)) == ["app", "web", "pos"]
    assert draft.questions.count() == 2


def test_it_refuses_a_choice_question_with_fewer_than_two_choices(draft):
    with pytest.raises(ValidationError) as refused:
        authoring.add_question(survey=draft, data=choice_question("where", choices=("app",)))
    assert "choices" in refused.value.message_dict
    assert not draft.questions.exists()


def test_it_refuses_a_condition_that_does_not_fit_the_earlier_question(draft):
    source = authoring.add_question(survey=draft, data=nps())

    with pytest.raises(ValidationError) as refused:
        authoring.add_question(
            survey=draft, data=yes_no("failed", show_if_question=source, show_if_operator="at_most", show_if_value=11)
        )

    assert refused.value.message_dict["show_if_question"] == ["Enter a score between 0 and 10."]


def test_it_refuses_a_condition_on_free_text(draft):
    source = authoring.add_question(
        survey=draft, data=QuestionData(code="comment", kind="free_text", prompt_zh="意见", prompt_en="Comment")
    )
    with pytest.raises(ValidationError):
        authoring.add_question(survey=draft, data=nps(show_if_question=source, show_if_operator="equals"))


def test_it_refuses_a_condition_on_a_question_of_another_survey(draft):
    elsewhere = factories.QuestionFactory(kind="yes_no")
    with pytest.raises(ValidationError) as refused:
        authoring.add_question(survey=draft, data=nps(show_if_question=elsewhere, show_if_operator="yes"))
    assert "show_if_question" in refused.value.message_dict


def test_it_refuses_to_drop_a_choice_a_later_condition_uses(draft):
    where = authoring.add_question(survey=draft, data=choice_question("where"))
    authoring.add_question(
        survey=draft, data=yes_no("pos_help", show_if_question=where, show_if_operator="any_of", show_if_value=["pos"])
    )

    with pytest.raises(ValidationError) as refused:
        authoring.update_question(question=where, data=choice_question("where", choices=("app", "web")))

    assert "kind" in refused.value.message_dict
    assert set(where.choices.values_list("code", flat=True)) == {"app", "pos"}


def test_it_refuses_every_change_to_a_published_survey(published):
    question = published.questions.get(code="nps")
    attempts = [
        lambda: authoring.add_question(survey=published, data=yes_no("late")),
        lambda: authoring.update_question(question=question, data=nps(prompt_en="Changed")),
        lambda: authoring.delete_question(question=published.questions.get(code="what_went_wrong")),
        lambda: authoring.move_question(question=question, direction="down"),
        lambda: authoring.update_survey_details(
            survey=published, title_zh="改", title_en="Changed", intro_zh="", intro_en=""
        ),
        lambda: authoring.publish_survey(survey=published),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="no longer a draft"):
            attempt()
    question.refresh_from_db()
    assert question.prompt_en == "How likely are you to recommend us?"
    assert published.questions.count() == 2


def test_a_new_version_copies_questions_and_choices_and_points_conditions_at_the_copies(published, manager):
    copy = authoring.create_next_version(survey=published, by=manager)

    assert (copy.key, copy.version, copy.status) == (published.key, 2, Survey.Status.DRAFT)
    old = {q.code: q for q in published.questions.all()}
    new = {q.code: q for q in copy.questions.all()}
    assert list(new) == list(old)
    assert new["what_went_wrong"].show_if_question == new["nps"]
    assert (new["what_went_wrong"].show_if_operator, new["what_went_wrong"].show_if_value) == ("at_most", 6)
    assert list(new["what_went_wrong"].choices.values_list("code", "label_en")) == list(
        old["what_went_wrong"].choices.values_list("code", "label_en")
    )
    assert not set(new["what_went_wrong"].choices.all()) & set(old["what_went_wrong"].choices.all())


def test_a_new_version_is_numbered_after_the_highest_version_of_the_key(published):
    factories.SurveyFactory(key=published.key, version=7, status=Survey.Status.ARCHIVED)

    assert authoring.create_next_version(survey=published).version == 8


def test_it_makes_no_second_draft_of_a_key(published):
    authoring.create_next_version(survey=published)
    with pytest.raises(ValidationError, match="already a draft"):
        authoring.create_next_version(survey=published)


def test_it_does_not_copy_a_draft(draft):
    with pytest.raises(ValidationError, match="edit it directly"):
        authoring.create_next_version(survey=draft)


def test_it_retries_when_another_manager_takes_the_version_number(published, monkeypatch):
    # Another manager's version 2 is committed after our read of the highest version: the first
    # insert hits the unique constraint, the retry reads again and takes version 3.
    factories.SurveyFactory(key=published.key, version=2, status=Survey.Status.ARCHIVED)
    real_max, reads = authoring.Max, []

    def stale_then_fresh(field):
        reads.append(field)
        return real_max(field) - 1 if len(reads) == 1 else real_max(field)

    monkeypatch.setattr(authoring, "Max", stale_then_fresh)

    copy = authoring.create_next_version(survey=published)

    assert len(reads) == 2
    assert copy.version == 3
    assert Survey.objects.filter(key=published.key).count() == 3


def test_responses_keep_pointing_at_the_version_they_answered(published):
    campaign = factories.CampaignFactory(survey=published)
    response = factories.ResponseFactory(follow_up__campaign=campaign, survey=published)
    old_nps = published.questions.get(code="nps")
    Answer.objects.create(response=response, question=old_nps, number=3)

    copy = authoring.create_next_version(survey=published)
    new_nps = copy.questions.get(code="nps")
    authoring.update_question(question=new_nps, data=nps(prompt_en="Would you recommend us?"))
    authoring.publish_survey(survey=copy)

    answer = Answer.objects.get(response=response)
    assert answer.question == old_nps
    old_nps.refresh_from_db()
    assert old_nps.prompt_en == "How likely are you to recommend us?"
    assert response.survey == published
    campaign.refresh_from_db()
    assert campaign.survey == published


def test_publishing_archives_the_earlier_published_version(published):
    copy = authoring.create_next_version(survey=published)

    with time_machine.travel(NOW, tick=False):
        authoring.publish_survey(survey=copy)

    published.refresh_from_db()
    copy.refresh_from_db()
    assert published.status == Survey.Status.ARCHIVED
    assert (copy.status, copy.published_at) == (Survey.Status.PUBLISHED, NOW)


def test_it_refuses_to_publish_an_empty_survey(draft):
    with pytest.raises(ValidationError, match="at least one question"):
        authoring.publish_survey(survey=draft)
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_it_refuses_to_publish_a_survey_whose_condition_broke(draft):
    source = authoring.add_question(survey=draft, data=nps())
    authoring.add_question(
        survey=draft, data=yes_no("why", show_if_question=source, show_if_operator="at_most", show_if_value=6)
    )
    # Written past the services, as an old import might have: the check at publishing catches it.
    Question.objects.filter(pk=source.pk).update(kind="free_text")

    with pytest.raises(ValidationError, match="Question 2"):
        authoring.publish_survey(survey=draft)


def test_it_refuses_to_delete_a_question_others_depend_on(draft):
    source = authoring.add_question(survey=draft, data=yes_no("failed"))
    authoring.add_question(survey=draft, data=choice_question("which", show_if_question=source, show_if_operator="yes"))

    with pytest.raises(ValidationError, match="which"):
        authoring.delete_question(question=source)

    assert draft.questions.count() == 2


def test_deleting_a_question_closes_the_gap_in_positions(draft):
    first = authoring.add_question(survey=draft, data=nps())
    authoring.add_question(survey=draft, data=yes_no("failed"))
    authoring.add_question(survey=draft, data=yes_no("locked"))

    authoring.delete_question(question=first)

    assert list(draft.questions.order_by("position").values_list("code", "position")) == [
        ("failed", 1),
        ("locked", 2),
    ]


def test_it_reorders_questions(draft):
    authoring.add_question(survey=draft, data=nps())
    failed = authoring.add_question(survey=draft, data=yes_no("failed"))
    authoring.add_question(survey=draft, data=yes_no("locked"))

    authoring.move_question(question=failed, direction="up")
    assert list(draft.questions.order_by("position").values_list("code", flat=True)) == ["failed", "nps", "locked"]

    authoring.move_question(question=failed, direction="down")
    authoring.move_question(question=failed, direction="down")
    assert list(draft.questions.order_by("position").values_list("code", flat=True)) == ["nps", "locked", "failed"]


def test_it_refuses_to_move_a_question_above_the_one_it_depends_on(draft):
    source = authoring.add_question(survey=draft, data=yes_no("failed"))
    dependent = authoring.add_question(
        survey=draft, data=choice_question("which", show_if_question=source, show_if_operator="yes")
    )

    with pytest.raises(ValidationError, match="must stay below"):
        authoring.move_question(question=dependent, direction="up")
    with pytest.raises(ValidationError, match="must stay below"):
        authoring.move_question(question=source, direction="down")

    assert list(draft.questions.order_by("position").values_list("code", flat=True)) == ["failed", "which"]
