"""The Django admin cannot edit a published survey in place either: only drafts change."""

import pytest
from django.urls import reverse

from surveys.models import Question, Survey
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    return client


def test_a_published_question_is_shown_read_only_and_a_change_is_refused(admin_client):
    question = factories.QuestionFactory(prompt_en="How likely?")
    url = reverse("admin:surveys_question_change", args=[question.pk])

    page = admin_client.get(url)
    refused = admin_client.post(url, {"code": question.code, "prompt_en": "Changed", "prompt_zh": "改了"})

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert refused.status_code == 403
    question.refresh_from_db()
    assert question.prompt_en == "How likely?"


def test_a_published_survey_cannot_be_changed_or_deleted_in_the_admin(admin_client):
    survey = factories.SurveyFactory(title_en="Wallet")

    assert admin_client.post(reverse("admin:surveys_survey_change", args=[survey.pk]), {}).status_code == 403
    assert (
        admin_client.post(reverse("admin:surveys_survey_delete", args=[survey.pk]), {"post": "yes"}).status_code == 403
    )
    assert Survey.objects.filter(pk=survey.pk, title_en="Wallet").exists()


def test_a_draft_question_can_be_edited_in_the_admin_and_new_questions_go_into_drafts_only(admin_client):
    draft = factories.SurveyFactory(status=Survey.Status.DRAFT, published_at=None)
    published = factories.SurveyFactory()
    question = factories.QuestionFactory(survey=draft)

    page = admin_client.get(reverse("admin:surveys_question_change", args=[question.pk]))
    add_page = admin_client.get(reverse("admin:surveys_question_add"))

    assert b'name="_save"' in page.content
    offered = add_page.context["adminform"].form.fields["survey"].queryset
    assert draft in offered and published not in offered
    assert Question.objects.filter(pk=question.pk).exists()
