"""The survey builder's pages: who may use them, forms that name the field at fault, never a 500."""

import pytest
from django.urls import reverse

from surveys import authoring
from surveys.authoring import ChoiceData, QuestionData
from surveys.models import Question, Survey
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(manager):
    return authoring.create_survey(key="card-check", title_zh="银行卡回访", title_en="Card check", by=manager)


@pytest.fixture
def nps_question(draft):
    return authoring.add_question(
        survey=draft,
        data=QuestionData(code="nps", kind="nps", prompt_zh="推荐吗？", prompt_en="Recommend us?", concern="trust"),
    )


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are checked in English
    return client


def question_data(**changes) -> dict:
    data = {
        "code": "failed",
        "kind": "yes_no",
        "prompt_zh": "付款失败了吗？",
        "prompt_en": "Did a payment fail?",
        "help_zh": "",
        "help_en": "",
        "concern": "trust",
        "required": "on",
        "show_if_question": "",
        "show_if_operator": "",
        "show_if_score": "",
        "choices-TOTAL_FORMS": "2",
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "30",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def with_choices(data: dict, *rows: tuple[str, str, str]) -> dict:
    data = dict(data, **{"choices-TOTAL_FORMS": str(len(rows))})
    for index, (code, zh, en) in enumerate(rows):
        data.update({f"choices-{index}-code": code, f"choices-{index}-label_zh": zh, f"choices-{index}-label_en": en})
    return data


def builder_urls(survey: Survey, question: Question) -> list[tuple[str, str]]:
    return [
        ("get", reverse("builder:list")),
        ("get", reverse("builder:create")),
        ("get", reverse("builder:detail", args=[survey.pk])),
        ("get", reverse("builder:edit", args=[survey.pk])),
        ("get", reverse("builder:preview", args=[survey.pk])),
        ("get", reverse("builder:question_create", args=[survey.pk])),
        ("get", reverse("builder:question_edit", args=[survey.pk, question.pk])),
        ("get", reverse("builder:question_delete", args=[survey.pk, question.pk])),
        ("post", reverse("builder:publish", args=[survey.pk])),
        ("post", reverse("builder:new_version", args=[survey.pk])),
        ("post", reverse("builder:question_up", args=[survey.pk, question.pk])),
        ("post", reverse("builder:question_down", args=[survey.pk, question.pk])),
    ]


def test_an_agent_gets_403_on_every_builder_page(client, agent, draft, nps_question):
    client.force_login(agent)
    for method, url in builder_urls(draft, nps_question):
        assert getattr(client, method)(url).status_code == 403, url
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_anonymous_visitors_are_sent_to_the_login_page(client, draft, nps_question):
    for method, url in builder_urls(draft, nps_question):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_list_shows_each_version_with_its_status_responses_and_campaigns(manager_client, draft):
    published = factories.SurveyFactory(key="payments", title_en="Payment check", title_zh="支付回访")
    campaign = factories.CampaignFactory(name="Spring payments", survey=published)
    factories.ResponseFactory(follow_up__campaign=campaign)

    page = manager_client.get(reverse("builder:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Card check" in page and "card-check" in page
    assert "Payment check" in page and "Spring payments" in page
    assert "Published" in page and "Draft" in page


def test_a_manager_creates_a_survey_as_a_draft(manager_client, manager):
    response = manager_client.post(
        reverse("builder:create"),
        {"key": "lockouts", "title_zh": "账户锁定回访", "title_en": "Lock-outs", "intro_zh": "", "intro_en": ""},
    )

    survey = Survey.objects.get(key="lockouts")
    assert response.status_code == 302
    assert response["Location"] == reverse("builder:detail", args=[survey.pk])
    assert (survey.version, survey.status, survey.created_by) == (1, Survey.Status.DRAFT, manager)


def test_creating_a_survey_with_a_taken_or_bad_key_names_the_key_field(manager_client, draft):
    for key in ("card-check", "not a slug!"):
        response = manager_client.post(reverse("builder:create"), {"key": key, "title_zh": "重复", "title_en": "Again"})
        assert response.status_code == 200
        assert "key" in response.context["form"].errors
    assert Survey.objects.filter(title_en="Again").count() == 0


def test_a_manager_adds_a_conditional_choice_question(manager_client, draft, nps_question):
    data = with_choices(
        question_data(
            code="what_went_wrong",
            kind="multiple_choice",
            show_if_question=str(nps_question.pk),
            show_if_operator="at_most",
            show_if_score="6",
        ),
        ("leak", "信息泄露", "Data leak"),
        ("slow", "到账慢", "Slow payments"),
    )

    response = manager_client.post(reverse("builder:question_create", args=[draft.pk]), data)

    assert response.status_code == 302
    question = draft.questions.get(code="what_went_wrong")
    assert (question.show_if_question, question.show_if_operator, question.show_if_value) == (
        nps_question,
        "at_most",
        6,
    )
    assert list(question.choices.values_list("code", flat=True)) == ["leak", "slow"]
    page = manager_client.get(reverse("builder:detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Shown only when Q1 ≤ 6" in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"show_if_operator": "at_most", "show_if_score": "11"}, "show_if_score"),
        ({"show_if_operator": "at_most", "show_if_score": ""}, "show_if_score"),
        ({"show_if_operator": "yes"}, "show_if_operator"),
        ({"show_if_operator": ""}, "show_if_operator"),
        ({"show_if_operator": "at_most", "show_if_score": "abc"}, "show_if_score"),
    ],
)
def test_a_bad_condition_is_refused_on_the_field_at_fault(manager_client, draft, nps_question, changes, field):
    data = question_data(show_if_question=str(nps_question.pk), **changes)

    response = manager_client.post(reverse("builder:question_create", args=[draft.pk]), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert draft.questions.count() == 1


def test_a_condition_with_choices_of_another_question_is_refused(manager_client, draft):
    where = authoring.add_question(
        survey=draft,
        data=QuestionData(
            code="where",
            kind="single_choice",
            prompt_zh="哪里？",
            prompt_en="Where?",
            choices=(ChoiceData("app", "App", "App"), ChoiceData("pos", "POS", "POS")),
        ),
    )
    failed = authoring.add_question(
        survey=draft,
        data=QuestionData(code="failed", kind="yes_no", prompt_zh="失败？", prompt_en="Failed?"),
    )
    data = question_data(
        code="pos_help",
        show_if_question=str(failed.pk),
        show_if_operator="any_of",
        show_if_choices=[f"{where.pk}:pos"],
    )

    response = manager_client.post(reverse("builder:question_create", args=[draft.pk]), data)

    assert response.status_code == 400
    assert "show_if_choices" in response.context["form"].errors or "show_if_operator" in response.context["form"].errors

    data.update(show_if_question=str(where.pk), show_if_choices=[f"{where.pk}:nope"])
    response = manager_client.post(reverse("builder:question_create", args=[draft.pk]), data)
    assert response.status_code == 400
    assert "show_if_choices" in response.context["form"].errors


def test_a_choice_question_needs_two_choices(manager_client, draft):
    data = with_choices(question_data(code="where", kind="single_choice"), ("app", "App", "App"))

    response = manager_client.post(reverse("builder:question_create", args=[draft.pk]), data)

    assert response.status_code == 400
    assert response.context["editor"].choice_errors == ["A choice question needs at least two choices."]
    assert not draft.questions.exists()


def test_a_half_filled_choice_row_names_its_empty_fields(manager_client, draft):
    data = with_choices(
        question_data(code="where", kind="single_choice"), ("app", "App", "App"), ("pos", "", "Terminal")
    )

    response = manager_client.post(reverse("builder:question_create", args=[draft.pk]), data)

    assert response.status_code == 400
    assert "label_zh" in response.context["choices"].forms[1].errors


def test_a_tampered_form_gets_a_clear_answer_not_a_500(manager_client, draft, nps_question):
    url = reverse("builder:question_create", args=[draft.pk])
    for data in (
        {},
        question_data(kind="telepathy"),
        question_data(show_if_question="999999", show_if_operator="yes"),
        question_data(**{"choices-TOTAL_FORMS": "x"}),
        question_data(code="x" * 500),
    ):
        response = manager_client.post(url, data)
        assert response.status_code == 400
    assert manager_client.get(reverse("builder:question_edit", args=[draft.pk, 999999])).status_code == 404
    assert draft.questions.count() == 1


def test_a_manager_edits_a_question_of_a_draft(manager_client, draft, nps_question):
    data = question_data(code="nps", kind="nps", prompt_en="Would you recommend us?")

    response = manager_client.post(reverse("builder:question_edit", args=[draft.pk, nps_question.pk]), data)

    assert response.status_code == 302
    nps_question.refresh_from_db()
    assert nps_question.prompt_en == "Would you recommend us?"


def test_deleting_a_question_others_depend_on_explains_and_deletes_nothing(manager_client, draft, nps_question):
    authoring.add_question(
        survey=draft,
        data=QuestionData(
            code="why",
            kind="free_text",
            prompt_zh="为什么？",
            prompt_en="Why?",
            show_if_question=nps_question,
            show_if_operator="at_most",
            show_if_value=6,
        ),
    )
    url = reverse("builder:question_delete", args=[draft.pk, nps_question.pk])

    confirm = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    response = manager_client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "cannot be deleted" in confirm.content.decode()
    assert "change or delete them first" in response.content.decode()
    assert draft.questions.count() == 2


def test_a_manager_deletes_a_question(manager_client, draft, nps_question):
    response = manager_client.post(reverse("builder:question_delete", args=[draft.pk, nps_question.pk]))

    assert response.status_code == 302
    assert not draft.questions.exists()


def test_moving_a_question_above_its_source_is_refused_with_a_message(manager_client, draft, nps_question):
    why = authoring.add_question(
        survey=draft,
        data=QuestionData(
            code="why",
            kind="free_text",
            prompt_zh="为什么？",
            prompt_en="Why?",
            show_if_question=nps_question,
            show_if_operator="at_most",
            show_if_value=6,
        ),
    )

    response = manager_client.post(
        reverse("builder:question_up", args=[draft.pk, why.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "must stay below" in response.content.decode()
    assert list(draft.questions.order_by("position").values_list("code", flat=True)) == ["nps", "why"]


def test_publishing_from_the_page_and_then_editing_offers_a_new_version(manager_client, draft, nps_question):
    manager_client.post(reverse("builder:publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Survey.Status.PUBLISHED

    edit = manager_client.get(reverse("builder:question_edit", args=[draft.pk, nps_question.pk]))
    assert edit.status_code == 302
    page = manager_client.get(reverse("builder:detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Create version 2" in page

    response = manager_client.post(reverse("builder:new_version", args=[draft.pk]))
    copy = Survey.objects.get(key=draft.key, version=2)
    assert response["Location"] == reverse("builder:detail", args=[copy.pk])
    assert copy.status == Survey.Status.DRAFT


def test_publishing_an_empty_survey_shows_why_not(manager_client, draft):
    response = manager_client.post(reverse("builder:publish", args=[draft.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Add at least one question before publishing." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_the_preview_shows_two_phone_frames_one_per_language(manager_client, draft):
    page = manager_client.get(reverse("builder:preview", args=[draft.pk])).content.decode()

    assert page.count('<iframe class="preview-frame"') == 2
    assert f'src="/s/preview/{draft.pk}/zh-hans/"' in page
    assert f'src="/s/preview/{draft.pk}/en/"' in page


def test_the_starter_survey_page_describes_its_conditions(manager_client):
    starter = Survey.objects.get(key="wallet-follow-up", version=1)

    page = manager_client.get(reverse("builder:detail", args=[starter.pk]), HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert page.status_code == 200
    assert "Shown only when the answer to Q3 is yes" in text
    assert "Shown only when Q8 ≤ 6" in text
