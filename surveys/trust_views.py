"""Pages that let customers trust (or stop) the bank's messages, and the managers' concern words.

- ``/s/<token>/opt-out/``: no login, the customer's language. GET only shows the choice (SMS link
  previewers and security scanners GET every link; they must not opt anyone out); POST records it.
- ``/s/<token>/opt-out/one-click/``: RFC 8058 one-click unsubscribe for mail clients, which POST
  "List-Unsubscribe=One-Click" without a CSRF token; that is all this URL accepts, so it alone is
  csrf_exempt and the form page keeps its CSRF check.
- ``/verify/``: no login, the browser's language; a code from a message → what the bank sent. Checks
  and codes that match nothing are rate limited per address (surveys/public_rate.py), as are link pages.
- ``/manager/concern-words/``: the tagger's words, the bank's own ones editable.

Views check access, bind the form, call one service or query, render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff_page
from surveys import freetext, optouts, public_rate, trust_keywords, verification
from surveys.models import Concern, ConcernKeyword
from surveys.trust_forms import ConcernKeywordForm, OptOutForm, TrySentenceForm, VerificationForm

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _language(request, default: str) -> str:
    """?lang=en / ?lang=zh-hans if given and known, else ``default``."""
    chosen = request.GET.get("lang", "")
    return chosen if chosen in LANGUAGE_CODES else default


def _render_in(request, language: str, template: str, context: dict, status: int = 200) -> HttpResponse:
    with translation.override(language):
        context = {**context, "languages": settings.LANGUAGES, "current_language": language}
        response = render(request, template, context, status=status)
    response.headers["Content-Language"] = language
    return response


def _link_invalid(request) -> HttpResponse:
    """The public survey's one page for a link that does not work: it says nothing about whose link it was."""
    return render(request, "surveys/public/invalid.html", status=404)


# --- Opt-out ------------------------------------------------------------------------------------


@public_rate.limit_link_pages
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request, token: str):
    attempt = optouts.attempt_for_opt_out(token)
    if attempt is None:
        return _link_invalid(request)
    follow_up = attempt.follow_up
    language = _language(request, follow_up.customer.language)
    channel = optouts.channel_of(attempt)
    form = OptOutForm(request.POST if request.method == "POST" else None, channel=channel)
    if form.is_valid():
        result = optouts.opt_out_by_link(
            follow_up=follow_up, attempt=attempt, scope=form.cleaned_data["scope"], now=timezone.now()
        )
        return _opt_out_done(request, language, result)
    context = {"form": form, "token": token, "time_zone": follow_up.customer.time_zone}
    return _render_in(request, language, "surveys/trust/opt_out.html", context)


@csrf_exempt
@public_rate.limit_link_pages(per_address=False)
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out_one_click(request, token: str):
    """RFC 8058: only a POST whose body is exactly List-Unsubscribe=One-Click opts out (of the link's channel)."""
    if request.method != "POST":
        # A mail client without one-click support opens the URL in a browser: show the choice, record nothing.
        return redirect("trust:opt-out", token=token)
    attempt = optouts.attempt_for_opt_out(token)
    if attempt is None:
        return _link_invalid(request)
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse(_("Expected List-Unsubscribe=One-Click."), status=400, content_type="text/plain")
    result = optouts.opt_out_by_link(
        follow_up=attempt.follow_up, attempt=attempt, scope=optouts.Scope.CHANNEL, now=timezone.now()
    )
    return _opt_out_done(request, attempt.follow_up.customer.language, result)


def _opt_out_done(request, language: str, result: optouts.OptOutResult) -> HttpResponse:
    context = {
        "result": result,
        "all_contact": result.scope == optouts.Scope.ALL,
        "channel": result.channel,
        "time_zone": result.customer.time_zone,
    }
    return _render_in(request, language, "surveys/trust/opt_out_done.html", context)


# --- "Is this message really from my bank?" ------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    language = _language(request, translation.get_language())
    with translation.override(language):
        if request.method == "POST" and (retry_after := public_rate.verification_refused(request)):
            return public_rate.too_many_requests(request, retry_after)
        form = VerificationForm(request.POST if request.method == "POST" else None)
        matches = None  # None: nothing checked yet; []: checked, not found
        if form.is_valid():
            matches = verification.messages_with_code(form.cleaned_data["code"], now=timezone.now())
            if not matches:
                public_rate.verification_missed(request)  # guessing codes runs out of tries
        context = {"form": form, "matches": matches, "look_back_days": verification.LOOK_BACK.days}
        return _render_in(request, language, "surveys/trust/verify.html", context)


# --- Managers: concern words ---------------------------------------------------------------------


@staff_page("surveys.view_concernkeyword")
def concern_words(request):
    try_form = TrySentenceForm(request.GET if "sentence" in request.GET else None)
    return _concern_words_page(request, ConcernKeywordForm(), try_form)


@require_POST
@staff_page("surveys.add_concernkeyword")
def concern_word_add(request):
    form = ConcernKeywordForm(request.POST)
    if form.is_valid():
        try:
            created = trust_keywords.add_concern_keyword(
                keyword=form.cleaned_data["keyword"], concern=form.cleaned_data["concern"], by=request.user
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _("“%(word)s” now tags answers with %(concern)s.")
                % {"word": created.keyword, "concern": created.get_concern_display()},
            )
            return redirect("trust:concern-words")
    return _concern_words_page(request, form, TrySentenceForm(), status=200)


@require_POST
@staff_page("surveys.delete_concernkeyword")
def concern_word_delete(request, pk: int):
    keyword = get_object_or_404(ConcernKeyword, pk=pk)
    trust_keywords.delete_concern_keyword(keyword=keyword)
    messages.success(request, _("“%(word)s” was removed.") % {"word": keyword.keyword})
    return redirect("trust:concern-words")


def _concern_words_page(request, form, try_form, status: int = 200) -> HttpResponse:
    tagged = None
    if try_form.is_bound and try_form.is_valid():
        labels = dict(Concern.choices)
        tagged = [labels.get(code, code) for code in freetext.tag_concerns(try_form.cleaned_data["sentence"])]
    context = {
        "form": form,
        "try_form": try_form,
        "tagged": tagged,
        "builtin": trust_keywords.builtin_words(),
        "bank_words": trust_keywords.bank_words(),
    }
    return render(request, "surveys/trust/concern_words.html", context, status=status)
