"""Managers' survey builder: surveys, their versions, questions with choices and skip logic, preview, publish.

Views check access, bind the form, call one service (surveys/authoring.py), render or redirect.
Surveys and questions are loaded through ``survey_for`` / ``question_for`` after the permission
check, so a person without the permission learns nothing, not even whether a survey exists.

Reading these pages needs surveys.view_survey *and* surveys.change_survey: agents hold view_survey
(their call script reads the survey) but the builder is for the people who design surveys.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import staff_page
from accounts.models import Language
from surveys import authoring
from surveys.builder_forms import QuestionEditor, SurveyCreateForm, SurveyDetailsForm
from surveys.models import Concern, Question, Survey
from surveys.skip_logic import Operator

READ = ("surveys.view_survey", "surveys.change_survey")
SYMBOLS = {Operator.AT_MOST: "≤", Operator.AT_LEAST: "≥", Operator.EQUALS: "="}
PREVIEW_LANGUAGES = (("zh-hans", "中文"), ("en", "English"))


def survey_for(pk: int) -> Survey:
    """The one way these views load a survey (after the view's permission check)."""
    return get_object_or_404(Survey, pk=pk)


def question_for(survey: Survey, question_pk: int) -> Question:
    return get_object_or_404(Question.objects.select_related("survey"), pk=question_pk, survey=survey)


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _english() -> bool:
    return get_language() == Language.ENGLISH


def condition_text(question: Question, numbers: dict[int, int]) -> str:
    """ "Shown only when Q2 ≤ 6", in the page language; empty for a question always shown."""
    source = question.show_if_question
    if source is None:
        return ""
    reference = _("Q%(number)s") % {"number": numbers.get(source.pk, "?")}
    operator, value = question.show_if_operator, question.show_if_value
    if operator in SYMBOLS:
        return _("Shown only when %(question)s %(symbol)s %(value)s") % {
            "question": reference,
            "symbol": SYMBOLS[operator],
            "value": value,
        }
    if operator == Operator.YES:
        return _("Shown only when the answer to %(question)s is yes") % {"question": reference}
    if operator == Operator.NO:
        return _("Shown only when the answer to %(question)s is no") % {"question": reference}
    english = _english()
    labels = {choice.code: choice.label_en if english else choice.label_zh for choice in source.choices.all()}
    chosen = (", " if english else "、").join(labels.get(code, code) for code in (value or []))
    return _("Shown only when %(question)s is any of: %(choices)s") % {"question": reference, "choices": chosen}


# --- Surveys -------------------------------------------------------------------------------------


@staff_page(READ)
def survey_list(request):
    return render(request, "surveys/builder/list.html", {"surveys": authoring.survey_list()})


@staff_page("surveys.add_survey")
def survey_create(request):
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = authoring.create_survey(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Survey created as a draft. Add its questions, then publish it."))
            return redirect("builder:detail", pk=survey.pk)
    return render(request, "surveys/builder/survey_form.html", {"form": form, "survey": None})


@staff_page("surveys.change_survey")
def survey_edit(request, pk: int):
    survey = survey_for(pk)
    if survey.status != Survey.Status.DRAFT:
        messages.warning(request, _("A published survey is never changed. Create a new version to edit it."))
        return redirect("builder:detail", pk=survey.pk)
    form = SurveyDetailsForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            authoring.update_survey_details(survey=survey, **form.cleaned_data)
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Survey saved."))
        return redirect("builder:detail", pk=survey.pk)
    return render(request, "surveys/builder/survey_form.html", {"form": form, "survey": survey})


@staff_page(READ)
def survey_detail(request, pk: int):
    survey = survey_for(pk)
    questions = authoring.survey_questions(survey)
    numbers = {question.pk: number for number, question in enumerate(questions, start=1)}
    english = _english()
    rows = [
        {
            "question": question,
            "number": numbers[question.pk],
            "prompt": question.prompt_en if english else question.prompt_zh,
            "condition": condition_text(question, numbers),
            "choices": [choice.label_en if english else choice.label_zh for choice in question.choices.all()],
            "first": index == 0,
            "last": index == len(questions) - 1,
        }
        for index, question in enumerate(questions)
    ]
    is_draft = survey.status == Survey.Status.DRAFT
    context = {
        "survey": survey,
        "title": survey.title_en if english else survey.title_zh,
        "intro": survey.intro_en if english else survey.intro_zh,
        "rows": rows,
        "is_draft": is_draft,
        "can_change": is_draft and request.user.has_perm("surveys.change_question"),
        "can_add": is_draft and request.user.has_perm("surveys.add_question"),
        "can_delete": is_draft and request.user.has_perm("surveys.delete_question"),
        "can_version": not is_draft and request.user.has_perm("surveys.add_survey"),
        "draft": None if is_draft else authoring.draft_of(survey.key),
        "next_version": (authoring.versions_of(survey.key).first().version + 1),
        "versions": authoring.versions_of(survey.key),
        "publication_errors": authoring.publication_errors(survey) if is_draft and questions else [],
        "response_count": survey.responses.count(),
        "campaigns": survey.campaigns.order_by("name"),
    }
    return render(request, "surveys/builder/detail.html", context)


@staff_page("surveys.change_survey")
@require_POST
def survey_publish(request, pk: int):
    survey = survey_for(pk)
    try:
        authoring.publish_survey(survey=survey)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Version %(version)s is published. Campaigns can use it now.") % {"version": survey.version},
        )
    return redirect("builder:detail", pk=survey.pk)


@staff_page("surveys.add_survey")
@require_POST
def survey_new_version(request, pk: int):
    survey = survey_for(pk)
    try:
        copy = authoring.create_next_version(survey=survey, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        existing = authoring.draft_of(survey.key)
        return redirect("builder:detail", pk=existing.pk if existing else survey.pk)
    messages.success(
        request,
        _("Version %(version)s is a draft copy of version %(old)s. Edit it, then publish it.")
        % {"version": copy.version, "old": survey.version},
    )
    return redirect("builder:detail", pk=copy.pk)


@staff_page(READ)
def survey_preview(request, pk: int):
    survey = survey_for(pk)
    frames = [
        {
            "language": code,
            "name": name,
            "url": reverse("public:preview", kwargs={"pk": survey.pk, "lang": code}),
        }
        for code, name in PREVIEW_LANGUAGES
    ]
    title = survey.title_en if _english() else survey.title_zh
    return render(request, "surveys/builder/preview.html", {"survey": survey, "title": title, "frames": frames})


# --- Questions -----------------------------------------------------------------------------------


def _draft_or_redirect(request, survey: Survey):
    if survey.status == Survey.Status.DRAFT:
        return None
    messages.warning(request, _("A published survey is never changed. Create a new version to edit it."))
    return redirect("builder:detail", pk=survey.pk)


@staff_page("surveys.add_question")
def question_create(request, pk: int):
    survey = survey_for(pk)
    if (refusal := _draft_or_redirect(request, survey)) is not None:
        return refusal
    editor = QuestionEditor(request.POST if request.method == "POST" else None, survey=survey)
    if request.method == "POST" and editor.is_valid():
        try:
            question = authoring.add_question(survey=survey, data=editor.data())
        except ValidationError as error:
            editor.add_service_errors(error)
        else:
            messages.success(request, _("Question added."))
            return redirect(reverse("builder:detail", args=[survey.pk]) + f"#question-{question.pk}")
    return _question_page(request, survey, editor, None)


@staff_page("surveys.change_question")
def question_edit(request, pk: int, question_pk: int):
    survey = survey_for(pk)
    if (refusal := _draft_or_redirect(request, survey)) is not None:
        return refusal
    question = question_for(survey, question_pk)
    editor = QuestionEditor(request.POST if request.method == "POST" else None, survey=survey, question=question)
    if request.method == "POST" and editor.is_valid():
        try:
            authoring.update_question(question=question, data=editor.data())
        except ValidationError as error:
            editor.add_service_errors(error)
        else:
            messages.success(request, _("Question saved."))
            return redirect(reverse("builder:detail", args=[survey.pk]) + f"#question-{question.pk}")
    return _question_page(request, survey, editor, question)


def _question_page(request, survey: Survey, editor: QuestionEditor, question: Question | None):
    status = 400 if request.method == "POST" else 200
    context = {
        "survey": survey,
        "question": question,
        "editor": editor,
        "form": editor.form,
        "choices": editor.choices,
        "concerns": Concern.choices,
    }
    return render(request, "surveys/builder/question_form.html", context, status=status)


@staff_page("surveys.delete_question")
def question_delete(request, pk: int, question_pk: int):
    survey = survey_for(pk)
    if (refusal := _draft_or_redirect(request, survey)) is not None:
        return refusal
    question = question_for(survey, question_pk)
    if request.method == "POST":
        try:
            authoring.delete_question(question=question)
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Question “%(code)s” deleted.") % {"code": question.code})
        return redirect("builder:detail", pk=survey.pk)
    dependents = list(question.dependents.order_by("position"))
    prompt = question.prompt_en if _english() else question.prompt_zh
    return render(
        request,
        "surveys/builder/question_delete.html",
        {"survey": survey, "question": question, "prompt": prompt, "dependents": dependents},
    )


@staff_page("surveys.change_question")
@require_POST
def question_move(request, pk: int, question_pk: int, direction: str):
    survey = survey_for(pk)
    question = question_for(survey, question_pk)
    try:
        authoring.move_question(question=question, direction=direction)
    except ValidationError as error:
        _refused(request, error)
    return redirect(reverse("builder:detail", args=[survey.pk]) + f"#question-{question.pk}")
