"""The survey as a call script: the agent reads each question aloud and records the customer's answer.

Mounted at /agent/script/ (surveys/script_urls.py). The same screens, skip logic and progress as the
customer's web survey (surveys/survey_flow.py, surveys/public_forms.AnswerForm, surveys/answering.py), with
two languages on one page: what the agent reads aloud (prompt, options, scale ends, the answers read back
on the review) is in the CUSTOMER's language, everything else on the page in the agent's own.

Access: the agent's own phone follow-up (``queries.follow_up_for_agent``; another agent's id is a 404); a
pool call must be claimed on the queue first, as on the call page. The Response is written with
mode=phone and taken_by=the agent; after "Submit answers" the agent goes back to the call page to record
how the call ended.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff_page
from surveys import answering, queries, survey_flow
from surveys.answering import SubmitStatus, SurveyQuestions
from surveys.models import FollowUp, Question, Response
from surveys.public_forms import AnswerForm
from surveys.public_views import REVIEW_PARAM, Screen
from surveys.skip_logic import AnswerValue, visible_codes

PHONE = Response.Mode.PHONE

# The public survey's field templates, with the read-aloud parts marked with the customer's language.
FIELD_TEMPLATES = {
    Question.Kind.NPS: "surveys/script/fields/scale.html",
    Question.Kind.RATING: "surveys/script/fields/scale.html",
    Question.Kind.CES: "surveys/script/fields/scale.html",
    Question.Kind.SINGLE_CHOICE: "surveys/script/fields/options.html",
    Question.Kind.MULTIPLE_CHOICE: "surveys/script/fields/options.html",
    Question.Kind.YES_NO: "surveys/script/fields/options.html",
    Question.Kind.FREE_TEXT: "surveys/script/fields/text.html",
}


def _html_lang(language: str) -> str:
    return "zh-Hans" if language.startswith("zh") else language


def _claim_first(request, follow_up: FollowUp, *, status: int = 200) -> HttpResponse:
    return render(request, "surveys/console/claim_first.html", {"follow_up": follow_up}, status=status)


class Call:
    """One agent's follow-up with what the script needs: its questions, answers so far and languages."""

    def __init__(self, request, follow_up: FollowUp) -> None:
        self.follow_up = follow_up
        self.questions: SurveyQuestions = answering.survey_questions(follow_up.campaign.survey)
        self.response: Response | None = (
            Response.objects.filter(follow_up=follow_up).only("id", "status", "language", "current_question").first()
        )
        self.language = self.response.language if self.response else follow_up.customer.language
        self.answers: dict[str, AnswerValue] = answering.answers_for(
            self.response.pk if self.response else None, self.questions
        )
        # Screen gives the step asked for with ?q= (when it may be answered now) and the step URLs.
        self.screen = Screen(
            questions=self.questions,
            answers=self.answers,
            language=self.language,
            page_url=reverse("script:question", args=[follow_up.pk]),
        )

    @property
    def submitted(self) -> bool:
        return self.response is not None and self.response.status == Response.Status.SUBMITTED

    def saved_step(self) -> str | None:
        if self.response is None:
            return self.questions.questions[0].code if self.questions.questions else survey_flow.REVIEW
        question = self.questions.by_id.get(self.response.current_question_id)
        return question.code if question else survey_flow.REVIEW


def _open_call(request, pk: int, *, status: int = 200) -> Call | HttpResponse:
    """The agent's follow-up ready for the script, or the page that says why not (claim first, closed)."""
    follow_up = queries.follow_up_for_agent(request.user, pk)
    if follow_up.assigned_agent_id is None:
        return _claim_first(request, follow_up, status=status)
    call = Call(request, follow_up)
    if call.submitted:
        messages.info(request, _("The customer's answers are already recorded."))
        return redirect("console:call", pk=pk)
    if not follow_up.is_open:
        messages.warning(request, _("This call is closed: answers can no longer be recorded on it."))
        return redirect("console:call", pk=pk)
    return call


def script_form(data=None, *, question: Question, language: str, stored: AnswerValue | None = None) -> AnswerForm:
    """The public survey's form, with every word the agent reads aloud in the customer's ``language``."""
    form = AnswerForm(data, question=question, language=language, stored=stored)
    field = form.fields["answer"]
    with translation.override(language):
        if question.kind == Question.Kind.YES_NO:
            field.choices = [(value, str(label)) for value, label in field.choices]
        if field.is_scale:
            field.low_label, field.high_label = str(field.low_label), str(field.high_label)
    field.lang = _html_lang(language)
    form.helper.layout[0].template = FIELD_TEMPLATES[question.kind]
    return form


def _answer_text(question: Question, value: AnswerValue | None, language: str) -> str:
    """An answer as the agent reads it back to the customer, in the customer's language."""
    if value is None or value.is_empty:
        return ""
    if question.kind in Question.SCALES:
        return str(value.number)
    if question.kind == Question.Kind.YES_NO:
        with translation.override(language):
            return _("Yes") if value.yes_no else _("No")
    if value.choices:
        return "; ".join(c.label_for(language) for c in question.choices.all() if c.code in value.choices)
    return value.text


def _page(request, call: Call, step: str | None, *, form: AnswerForm | None = None, status: int = 200):
    rules, answers = call.questions.rules, call.answers
    previous = survey_flow.previous_step(rules, answers, step)
    context = {
        "follow_up": call.follow_up,
        "customer": call.follow_up.customer,
        "survey_title": call.questions.survey.title_for(call.language),
        "customer_lang": _html_lang(call.language),
        "progress": survey_flow.progress(rules, answers, step),
        "back_url": call.screen.step_url(previous) if previous else "",
        "page_url": call.screen.page_url,
    }
    if step is survey_flow.REVIEW:
        context["rows"] = [
            {
                "prompt": call.questions.by_code[code].prompt_for(call.language),
                "answer": _answer_text(call.questions.by_code[code], answers.get(code), call.language),
                "change_url": call.screen.step_url(code, **{"from": REVIEW_PARAM}),
            }
            for code in visible_codes(rules, answers)
        ]
        context["can_submit"] = survey_flow.first_missing(rules, answers, call.questions.required) is None
        return render(request, "surveys/script/review.html", context, status=status)
    question = call.questions.by_code[step]
    if form is None:
        form = script_form(question=question, language=call.language, stored=answers.get(step))
    context.update({"question": question, "form": form, "from_review": _from_review(request)})
    return render(request, "surveys/script/question.html", context, status=status)


def _from_review(request) -> bool:
    return REVIEW_PARAM in (request.GET.get("from"), request.POST.get("from"))


@staff_page("surveys.work_call_queue")
@never_cache
@require_http_methods(["GET", "POST"])
def question(request, pk: int):
    """GET: the step asked for (or where the call stopped). POST: save the answer to ``question``."""
    call = _open_call(request, pk, status=200 if request.method == "GET" else 409)
    if isinstance(call, HttpResponse):
        return call
    if request.method == "GET":
        missing = request.GET.get("missing")
        if missing:
            messages.warning(request, _("Please record an answer to this question before you submit."))
        return _page(request, call, call.screen.requested_step(request, call.saved_step()))

    question = call.questions.by_code.get(request.POST.get("question", ""))
    if question is None:
        messages.error(request, _("This form was changed or is out of date. Record the answer to the question shown."))
        return _page(request, call, call.screen.requested_step(request, call.saved_step()), status=400)
    form = script_form(request.POST, question=question, language=call.language)
    if not form.is_valid():
        return _page(request, call, question.code, form=form, status=400)
    try:
        answering.save_answer(
            follow_up=call.follow_up,
            questions=call.questions,
            question=question,
            value=form.value,
            language=call.language,
            now=timezone.now(),
            started=call.response is not None,
            mode=PHONE,
            taken_by=request.user,
        )
    except answering.AlreadySubmitted:
        messages.info(request, _("The customer's answers are already recorded."))
        return redirect("console:call", pk=pk)
    except answering.QuestionNotAvailable:
        messages.error(request, _("This question is not asked at this point of the call. Record the question shown."))
        return _page(request, call, call.screen.requested_step(request, call.saved_step()), status=400)
    except answering.InvalidAnswer as refused:
        form.add_error("answer", refused.message)
        return _page(request, call, question.code, form=form, status=400)
    if _from_review(request):
        return redirect(call.screen.step_url(survey_flow.REVIEW))
    return redirect(call.screen.page_url)


@staff_page("surveys.work_call_queue")
@never_cache
@require_POST
def submit(request, pk: int):
    """ "Submit answers": the phone Response is submitted (Cases opened), then back to the call page."""
    call = _open_call(request, pk, status=409)
    if isinstance(call, HttpResponse):
        return call
    outcome = answering.submit_response(
        follow_up=call.follow_up,
        questions=call.questions,
        language=call.language,
        now=timezone.now(),
        mode=PHONE,
        taken_by=request.user,
    )
    if outcome.status is SubmitStatus.MISSING:
        return redirect(call.screen.step_url(outcome.missing, missing=1))
    if outcome.status is SubmitStatus.ALREADY_SUBMITTED:
        messages.info(request, _("The customer's answers are already recorded."))
    else:
        messages.success(request, _("Answers recorded; now record the call's outcome."))
    return redirect("console:call", pk=pk)
