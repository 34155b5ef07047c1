"""The case pages: the list of Cases, one Case with its resolve form and, for managers, the one extension
of the regulatory deadline.

Views check access, bind the form, call one service, render or redirect. Every Case is loaded through
``case_queries.case_for`` (an agent: their own Cases only; managers and administrators: any), so another
agent's Case and a missing one give the same 404 on every URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_page
from audit.models import AuditEntry
from audit.services import record
from surveys import case_queries, cases
from surveys.case_forms import ExtendDeadlineForm, ResolveCaseForm
from surveys.models import Case

CASES_PER_PAGE = 50


@staff_page("surveys.view_case")
@require_GET
def case_list(request):
    status = request.GET.get("status", "")
    if status not in Case.Status.values:
        status = ""  # an unknown filter is ignored, never an error
    now = timezone.now()
    page = Paginator(case_queries.case_list(request.user, now=now, status=status), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "surveys/cases/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Case.Status.choices,
            "sees_all": case_queries.sees_all_cases(request.user),
        },
    )


@staff_page("surveys.view_case")
@require_GET
def case_detail(request, pk: int):
    case = case_queries.case_for(request.user, pk)
    record(
        action=AuditEntry.Action.CUSTOMER_VIEWED,
        actor=request.user,
        target=case.customer,
        details={"page": "case", "case_id": case.pk},
    )
    return _detail_page(request, case)


@staff_page("surveys.change_case")
@require_POST
def resolve(request, pk: int):
    case = case_queries.case_for(request.user, pk)
    form = ResolveCaseForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, case, resolve_form=form, status=400)
    try:
        cases.resolve_case(
            case=case,
            by=request.user,
            root_cause=form.cleaned_data["root_cause"],
            resolution_code=form.cleaned_data["resolution_code"],
            notes=form.cleaned_data["notes"],
            now=timezone.now(),
        )
    except cases.CaseRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        case.refresh_from_db()  # a colleague may have resolved it: show what they recorded
        return _detail_page(request, case, resolve_form=form, status=400 if refused.field in form.fields else 409)
    messages.success(request, _("The case is resolved."))
    if form.cleaned_data["recheck"]:
        recheck = cases.plan_recheck(case=case, by=request.user, now=timezone.now())
        if recheck.follow_up is not None:
            messages.info(
                request,
                _("The re-survey is planned for %(when)s (by %(channel)s).")
                % {
                    "when": date_format(localtime(recheck.follow_up.scheduled_for), "Y-m-d H:i"),
                    "channel": recheck.follow_up.get_channel_display(),
                },
            )
        else:
            messages.warning(request, _("No re-survey was planned: %(problem)s") % {"problem": recheck.problem})
    return redirect("cases:detail", pk=case.pk)


@staff_page("surveys.change_case")
@require_POST
def start(request, pk: int):
    case = case_queries.case_for(request.user, pk)
    try:
        cases.start_case(case=case, by=request.user, now=timezone.now())
    except cases.CaseRefused as refused:
        case.refresh_from_db()
        return _detail_page(request, case, refusal=refused.message, status=409)
    messages.success(request, _("The case is in progress."))
    return redirect("cases:detail", pk=case.pk)


@staff_page("surveys.change_case")
@require_POST
def mark_complex(request, pk: int):
    case = case_queries.case_for(request.user, pk)
    if not case_queries.sees_all_cases(request.user):
        raise PermissionDenied  # like the extension, a manager's decision about the regulatory clock
    try:
        cases.mark_complex(case=case, by=request.user, now=timezone.now())
    except cases.CaseRefused as refused:
        case.refresh_from_db()
        return _detail_page(request, case, refusal=refused.message, status=409)
    messages.success(request, _("The case is marked as complex: the customer must be answered within 30 days."))
    return redirect("cases:detail", pk=case.pk)


@staff_page("surveys.change_case")
@require_POST
def extend(request, pk: int):
    case = case_queries.case_for(request.user, pk)
    if not case_queries.sees_all_cases(request.user):
        raise PermissionDenied  # approving an extension is a manager's decision
    form = ExtendDeadlineForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, case, extend_form=form, status=400)
    try:
        cases.extend_regulatory_deadline(
            case=case, approver=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
        )
    except cases.CaseRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        case.refresh_from_db()
        return _detail_page(request, case, extend_form=form, status=400 if refused.field in form.fields else 409)
    messages.success(request, _("The regulatory deadline is extended by 30 days."))
    return redirect("cases:detail", pk=case.pk)


def _detail_page(request, case: Case, *, resolve_form=None, extend_form=None, refusal: str = "", status: int = 200):
    now = timezone.now()
    resolved = case.status == Case.Status.RESOLVED
    can_change = request.user.has_perm("surveys.change_case")
    manages = can_change and case_queries.sees_all_cases(request.user)
    can_extend = manages and not resolved and not case.regulatory_extended_at
    return render(
        request,
        "surveys/cases/detail.html",
        {
            "case": case,
            "answers": case_queries.case_answers(case, language=translation.get_language()),
            "is_overdue": not resolved and (case.sla_due_at < now or case.regulatory_due_at < now),
            "sla_overdue": not resolved and case.sla_due_at < now,
            "regulatory_overdue": not resolved and case.regulatory_due_at < now,
            "resolve_form": (resolve_form or ResolveCaseForm()) if can_change and not resolved else None,
            "extend_form": (extend_form or ExtendDeadlineForm()) if can_extend else None,
            "can_start": can_change and case.status == Case.Status.OPEN,
            "can_mark_complex": manages and not resolved and not case.complex,
            "rechecks": case_queries.case_rechecks(case),
            "refusals": [
                error for form in (resolve_form, extend_form) if form is not None for error in form.non_field_errors()
            ]
            + ([refusal] if refusal else []),
        },
        status=status,
    )
