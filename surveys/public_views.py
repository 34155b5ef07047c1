"""The public survey a customer answers from their personal link, and the managers' preview of it.

No login for customers. Each view resolves the link first (surveys/links.py): an invalid link (unknown,
expired, closed) gets one 404 page that names nobody; an answered one gets "already answered". Nothing is
written on GET (link previewers and scanners fetch links); the Response is created by the customer's
first POST. Pages are never cached and keep CSRF protection. Requests and links that do not work are
rate limited per address and per link (surveys/public_rate.py).

One screen per question, then a review. The step shown comes from ``?q=<code>`` (Back, Change) when
that question may be answered now, else from where the customer stopped (``Response.current_question``).

The preview (``/s/preview/<pk>/<lang>/``) uses the same templates and flow with the answers kept in the
manager's session, never in a Response.

Query budget (benchmarked): GET = link with its response (1) + answers (1, once a response exists); a
published survey's questions are cached per process (surveys/answering.py).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff_page
from accounts.models import Language
from surveys import answering, public_rate, survey_flow
from surveys.answering import SubmitStatus, SurveyQuestions
from surveys.links import LinkState, resolve_link
from surveys.models import Question, Response, Survey
from surveys.public_forms import AnswerForm, LanguageForm, unbound_form_html
from surveys.skip_logic import AnswerValue, visible_codes

REVIEW_PARAM = "review"
TAMPERED = gettext_noop("This form was changed or is out of date. Please answer the question shown.")
LANGUAGES = dict(Language.choices)


# --- Pages that are not the survey --------------------------------------------------------------------


def _invalid_page(request) -> HttpResponse:
    # Same page, same status, for unknown, expired and closed links: nothing about anyone is revealed.
    return render(request, "surveys/public/invalid.html", status=404)


def _answered_page(request, language: str) -> HttpResponse:
    with translation.override(language):
        return render(request, "surveys/public/answered.html")


def _closed_link_page(request, link) -> HttpResponse:
    """What a link that cannot be answered shows: "already answered", or the page that reveals nothing."""
    if link.state is LinkState.ANSWERED:
        return _answered_page(request, link.follow_up.customer.language)
    return _invalid_page(request)


def _bad_request(request, *, language: str, message: str, back_url: str) -> HttpResponse:
    with translation.override(language):
        return render(
            request, "surveys/public/bad_request.html", {"message": message, "back_url": back_url}, status=400
        )


# --- Rendering a step (shared by the customer's pages and the preview) -------------------------------


class Screen:
    """What a survey screen needs to know, in customer mode or preview mode."""

    def __init__(
        self,
        *,
        questions: SurveyQuestions,
        answers: dict[str, AnswerValue],
        language: str,
        page_url: str,
        preview: bool = False,
        language_action: str = "",
        language_links: dict[str, str] | None = None,
        token: str = "",
    ) -> None:
        self.token = token  # the customer's link token; empty in the preview
        self.questions = questions
        self.answers = answers
        self.language = language
        self.page_url = page_url
        self.preview = preview
        self.language_action = language_action
        self.language_links = language_links or {}

    def with_token(self, token: str) -> Screen:
        """The same screen for another token (its URLs are the only place a screen shows the token)."""
        return Screen(
            questions=self.questions,
            answers=self.answers,
            language=self.language,
            page_url=reverse("public:survey", args=[token]),
            language_action=reverse("public:language", args=[token]),
            token=token,
        )

    def step_url(self, step: str | None, **extra) -> str:
        query = {"q": REVIEW_PARAM if step is survey_flow.REVIEW else step, **extra}
        return f"{self.page_url}?{urlencode(query)}"

    def requested_step(self, request, saved: str | None) -> str | None:
        """The step asked for with ?q= when it may be answered now, else where the customer stopped."""
        rules, required = self.questions.rules, self.questions.required
        asked = request.GET.get("q")
        if asked == REVIEW_PARAM:
            if survey_flow.is_reachable(rules, self.answers, required, survey_flow.REVIEW):
                return survey_flow.REVIEW
        elif asked in self.questions.by_code and survey_flow.is_reachable(rules, self.answers, required, asked):
            return asked
        return survey_flow.resume_step(rules, self.answers, required, saved)

    def render(
        self, request, step: str | None, *, form: AnswerForm | None = None, notice: str = "", status: int = 200
    ) -> HttpResponse:
        key = _screen_key(self, request, step) if form is None and not notice and status == 200 else None
        if key is not None:
            return _cached_screen(self, request, step, key)
        with translation.override(self.language):
            context = self._context(step, form=form, notice=notice)
            template = "surveys/public/review.html" if step is survey_flow.REVIEW else "surveys/public/question.html"
            return render(request, template, context, status=status)

    def _context(self, step: str | None, *, form: AnswerForm | None, notice: str) -> dict:
        rules, answers = self.questions.rules, self.answers
        progress = survey_flow.progress(rules, answers, step)
        previous = survey_flow.previous_step(rules, answers, step)
        context = {
            "screen": self,
            "survey_title": self.questions.survey.title_for(self.language),
            "progress": progress,
            "back_url": self.step_url(previous) if previous else "",
            "notice": notice,
            "language_options": [(code, label) for code, label in (("zh-hans", "中文"), ("en", "English"))],
        }
        if step is survey_flow.REVIEW:
            context["rows"] = self._review_rows()
            context["can_submit"] = survey_flow.first_missing(rules, answers, self.questions.required) is None
            return context
        question = self.questions.by_code[step]
        if form is None and self.questions.survey.status != Survey.Status.DRAFT:
            context["form_html"] = unbound_form_html(question, self.language, answers.get(step))
        elif form is None:
            form = AnswerForm(question=question, language=self.language, stored=answers.get(step))
        visible = survey_flow.progress(rules, answers, step)
        context.update(
            {
                "question": question,
                "form": form,
                "first": visible.number == 1,
                "intro": self.questions.survey.intro_en
                if self.language == Language.ENGLISH
                else self.questions.survey.intro_zh,
            }
        )
        return context

    def _review_rows(self) -> list[dict]:
        rows = []
        for code in visible_codes(self.questions.rules, self.answers):
            question = self.questions.by_code[code]
            rows.append(
                {
                    "prompt": question.prompt_for(self.language),
                    "answer": _answer_text(question, self.answers.get(code), self.language),
                    "change_url": self.step_url(code, **{"from": REVIEW_PARAM}),
                    "code": code,
                }
            )
        return rows


# --- Question screens rendered once per process ---------------------------------------------------------
#
# A question screen of a published survey is the same page for every customer at the same point: same
# question, language, stored answer, progress and Back target. Only two things differ per request, the
# link token (in the page's URLs) and the CSRF token; the screen is rendered once with a placeholder
# for each and the placeholders are replaced per request. Review pages (which list a customer's
# answers), pages with errors or notices, and the preview are never cached.

_SLOT = secrets.token_hex(12)  # letters and digits: passes through escaping and URLs unchanged
TOKEN_SLOT, CSRF_SLOT = f"t{_SLOT}", f"c{_SLOT}"
_SCREENS_MAX = 2048
_screens: OrderedDict[tuple, str] = OrderedDict()
_screens_lock = threading.Lock()


def _screen_key(screen: Screen, request, step: str | None) -> tuple | None:
    """Everything a question screen's HTML depends on, or None when it must be rendered each time."""
    survey = screen.questions.survey
    if not screen.token or screen.preview or step in (survey_flow.REVIEW, None):
        return None
    if survey.status == Survey.Status.DRAFT:
        return None
    asked = request.GET.get("q", "")  # echoed by the language switch: only known values are cached
    if asked and asked != REVIEW_PARAM and asked not in screen.questions.by_code:
        return None
    rules, answers = screen.questions.rules, screen.answers
    progress = survey_flow.progress(rules, answers, step)
    from_review = REVIEW_PARAM in (request.GET.get("from"), request.POST.get("from"))
    return (
        survey.pk,
        survey.published_at,
        screen.language,
        step,
        answers.get(step),
        (progress.number, progress.total),
        survey_flow.previous_step(rules, answers, step),
        asked,
        from_review,
    )


def _cached_screen(screen: Screen, request, step: str, key: tuple) -> HttpResponse:
    with _screens_lock:
        html = _screens.get(key)
        if html is not None:
            _screens.move_to_end(key)
    if html is None:
        with translation.override(screen.language):
            context = screen.with_token(TOKEN_SLOT)._context(step, form=None, notice="")
            context["csrf_token"] = CSRF_SLOT
            html = render_to_string("surveys/public/question.html", context, request)
        with _screens_lock:
            _screens[key] = html
            while len(_screens) > _SCREENS_MAX:
                _screens.popitem(last=False)
    return HttpResponse(html.replace(TOKEN_SLOT, screen.token).replace(CSRF_SLOT, get_token(request)))


def forget_rendered_screens() -> None:
    """Empty this process's cache of question screens (tests, whose rolled-back databases reuse ids)."""
    with _screens_lock:
        _screens.clear()


def _answer_text(question: Question, value: AnswerValue | None, language: str) -> str:
    if value is None or value.is_empty:
        return ""
    if question.kind in Question.SCALES:
        return str(value.number)
    if question.kind == Question.Kind.YES_NO:
        return _("Yes") if value.yes_no else _("No")
    if value.choices:
        return "; ".join(c.label_for(language) for c in question.choices.all() if c.code in value.choices)
    return value.text


def _after_save(request, screen: Screen) -> str:
    """Where a saved answer leads: back to the review when the customer came from its "Change" link (the
    review page sends them on to a newly shown question if the change revealed one), else the next step."""
    if request.POST.get("from") == REVIEW_PARAM:
        return screen.step_url(survey_flow.REVIEW)
    return screen.page_url


def _saved_step(questions: SurveyQuestions, response: Response | None) -> str | None:
    """Where the customer stopped: their response's current question, REVIEW once they reached it."""
    if response is None:
        return questions.questions[0].code if questions.questions else survey_flow.REVIEW
    question = questions.by_id.get(response.current_question_id)
    return question.code if question else survey_flow.REVIEW


# --- The customer's survey -----------------------------------------------------------------------------


@public_rate.limit_link_pages
@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    now = timezone.now()
    link = resolve_link(token, now=now)
    if link.state is not LinkState.OPEN:
        return _closed_link_page(request, link)
    follow_up = link.follow_up
    questions = answering.survey_questions(follow_up.campaign.survey)
    response = link.response  # read with the link; the services re-read it under a lock before writing
    language = response.language if response else follow_up.customer.language
    page_url = reverse("public:survey", args=[token])
    screen = Screen(
        questions=questions,
        answers=answering.answers_from_rows(link.answer_rows, questions)[0],
        language=language,
        page_url=page_url,
        language_action=reverse("public:language", args=[token]),
        token=token,
    )
    # Everything a person reads, messages from the form and the services included, in the survey's language.
    with translation.override(language):
        if request.method == "GET":
            notice = _("Please answer this question before you submit.") if request.GET.get("missing") else ""
            return screen.render(
                request, screen.requested_step(request, _saved_step(questions, response)), notice=notice
            )

        if request.POST.get("action") == "submit":
            outcome = answering.submit_response(follow_up=follow_up, questions=questions, language=language, now=now)
            if outcome.status is SubmitStatus.ALREADY_SUBMITTED:
                return _answered_page(request, language)
            if outcome.status is SubmitStatus.MISSING:
                return redirect(screen.step_url(outcome.missing, missing=1))
            return redirect("public:thanks", token=token)

        question = questions.by_code.get(request.POST.get("question", ""))
        if question is None:
            return _bad_request(request, language=language, message=_(TAMPERED), back_url=page_url)
        form = AnswerForm(request.POST, question=question, language=language)
        if not form.is_valid():
            return screen.render(request, question.code, form=form)
        try:
            answering.save_answer(
                follow_up=follow_up,
                questions=questions,
                question=question,
                value=form.value,
                language=language,
                now=now,
                started=response is not None,
            )
        except answering.AlreadySubmitted:
            return _answered_page(request, language)
        except answering.QuestionNotAvailable as refused:
            return _bad_request(request, language=language, message=refused.message, back_url=page_url)
        except answering.InvalidAnswer as refused:
            form.add_error("answer", refused.message)
            return screen.render(request, question.code, form=form)
        return redirect(_after_save(request, screen))


@public_rate.limit_link_pages
@never_cache
@require_POST
def choose_language(request, token: str):
    now = timezone.now()
    link = resolve_link(token, now=now)
    if link.state is not LinkState.OPEN:
        return _closed_link_page(request, link)
    follow_up = link.follow_up
    page_url = reverse("public:survey", args=[token])
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _bad_request(
            request, language=follow_up.customer.language, message=gettext_lazy("Choose a language."), back_url=page_url
        )
    questions = answering.survey_questions(follow_up.campaign.survey)
    try:
        answering.choose_language(
            follow_up=follow_up, questions=questions, language=form.cleaned_data["language"], now=now
        )
    except answering.AlreadySubmitted:
        return _answered_page(request, form.cleaned_data["language"])
    step = request.POST.get("q", "")
    if step == REVIEW_PARAM or step in questions.by_code:
        return redirect(f"{page_url}?{urlencode({'q': step})}")
    return redirect(page_url)


@public_rate.limit_link_pages
@never_cache
def thanks(request, token: str):
    link = resolve_link(token, now=timezone.now())
    if link.state is not LinkState.ANSWERED:
        return _invalid_page(request)
    language = link.response.language if link.response else link.follow_up.customer.language
    with translation.override(language):
        return render(request, "surveys/public/thanks.html", {})


# --- The managers' preview -----------------------------------------------------------------------------


def _preview_key(pk: int) -> str:
    return f"survey-preview-{pk}"


def _load_preview(request, pk: int) -> tuple[dict[str, AnswerValue], str | None, bool]:
    state = request.session.get(_preview_key(pk)) or {}
    answers = {
        code: AnswerValue(
            number=item.get("number"),
            yes_no=item.get("yes_no"),
            choices=frozenset(item.get("choices") or ()),
            text=item.get("text") or "",
        )
        for code, item in (state.get("answers") or {}).items()
    }
    return answers, state.get("current"), bool(state.get("submitted"))


def _store_preview(request, pk: int, answers: dict[str, AnswerValue], current: str | None, submitted: bool) -> None:
    request.session[_preview_key(pk)] = {
        "answers": {
            code: {"number": v.number, "yes_no": v.yes_no, "choices": sorted(v.choices), "text": v.text}
            for code, v in answers.items()
        },
        "current": current,
        "submitted": submitted,
    }


@staff_page("surveys.view_survey")
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # the builder's preview page frames it
@never_cache
@require_http_methods(["GET", "POST"])
def preview(request, pk: int, lang: str):
    if lang not in LANGUAGES:
        raise Http404
    survey_ = get_object_or_404(Survey, pk=pk)
    questions = answering.survey_questions(survey_)
    answers, current, submitted = _load_preview(request, pk)
    page_url = reverse("public:preview", args=[pk, lang])
    screen = Screen(
        questions=questions,
        answers=answers,
        language=lang,
        page_url=page_url,
        preview=True,
        language_links={code: reverse("public:preview", args=[pk, code]) for code in LANGUAGES},
    )
    first = questions.questions[0].code if questions.questions else survey_flow.REVIEW
    # Everything a person reads, messages from the form and the services included, in the survey's language.
    with translation.override(lang):
        if request.method == "GET":
            if submitted:
                with translation.override(lang):
                    return render(request, "surveys/public/thanks.html", {"screen": screen})
            notice = _("Please answer this question before you submit.") if request.GET.get("missing") else ""
            saved = current if current is not None or answers else first
            return screen.render(request, screen.requested_step(request, saved), notice=notice)

        action = request.POST.get("action")
        if action == "restart":
            request.session.pop(_preview_key(pk), None)
            return redirect(page_url)
        if action == "submit":
            missing = survey_flow.first_missing(questions.rules, answers, questions.required)
            if missing is not None:
                return redirect(screen.step_url(missing, missing=1))
            _store_preview(request, pk, answers, None, True)
            return redirect(page_url)
        question = questions.by_code.get(request.POST.get("question", ""))
        if question is None:
            return _bad_request(request, language=lang, message=_(TAMPERED), back_url=page_url)
        form = AnswerForm(request.POST, question=question, language=lang)
        if not form.is_valid():
            return screen.render(request, question.code, form=form)
        if not survey_flow.is_reachable(questions.rules, answers, questions.required, question.code):
            message = _("This question is not part of your survey at this point. Please answer the question shown.")
            return _bad_request(request, language=lang, message=message, back_url=page_url)
        updated = dict(answers)
        if form.value.is_empty:
            updated.pop(question.code, None)
        else:
            updated[question.code] = form.value
        kept = survey_flow.prune(questions.rules, updated)
        step = survey_flow.next_step(questions.rules, kept, question.code)
        _store_preview(request, pk, kept, step, False)
        return redirect(_after_save(request, screen))
