"""The agent's call scheduling pages: find a customer, schedule a call for them, move a due call.

Views check access, bind the form, call one service, render or redirect. A customer is reached through a
signed link from the search (``customer_token``), never by an id in the address; a call to move is loaded
through ``queries.follow_up_for_agent`` (the agent's own or the pool; anything else is a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import staff_page
from accounts.models import Customer
from audit.models import AuditEntry
from audit.services import record
from surveys import call_scheduling, queries
from surveys.call_scheduling_forms import (
    FindCustomerForm,
    ScheduleCallForm,
    customer_from_token,
    customer_token,
    slot_label,
)
from surveys.models import FollowUp


@staff_page("surveys.work_call_queue")
@require_http_methods(["GET"])
def find_customer(request):
    form = FindCustomerForm(request.GET if "q" in request.GET else None)
    results = None
    if form.is_valid():
        results = [
            (customer, customer_token(customer.pk), queries.open_follow_up_of(customer))
            for customer in queries.find_customers(form.cleaned_data["q"])
        ]
    return render(request, "surveys/scheduling/find.html", {"form": form, "results": results})


@staff_page("surveys.work_call_queue")
@require_http_methods(["GET", "POST"])
def schedule(request, token: str):
    customer_id = customer_from_token(token)
    if customer_id is None:
        raise Http404
    customer = get_object_or_404(Customer, pk=customer_id)
    options = call_scheduling.call_options(customer=customer, now=timezone.now())
    form = ScheduleCallForm(request.POST or None, zone=options.zone, offered=options.offered)

    def save(data) -> FollowUp:
        return call_scheduling.schedule_call(
            customer_id=customer.pk,
            agent=request.user,
            at=data["when"],
            note=data["note"],
            keep=data["keep"],
            now=timezone.now(),
        )

    message = _("The call to %(name)s is scheduled for %(when)s, their local time.")
    return _submit(request, customer, options, form, save=save, message=message)


@staff_page("surveys.work_call_queue")
@require_http_methods(["GET", "POST"])
def move(request, pk: int):
    follow_up = queries.follow_up_for_agent(request.user, pk)
    if follow_up.status not in FollowUp.DUE_STATUSES:
        messages.warning(request, _("Only a call that is waiting to be made can be moved."))
        return redirect("console:call", pk=follow_up.pk)
    options = call_scheduling.call_options(customer=follow_up.customer, follow_up=follow_up, now=timezone.now())
    form = ScheduleCallForm(request.POST or None, zone=options.zone, offered=options.offered, moving=True)

    def save(data) -> FollowUp:
        return call_scheduling.move_call(
            follow_up_id=follow_up.pk, agent=request.user, at=data["when"], note=data["note"], now=timezone.now()
        )

    message = _("The call to %(name)s is moved to %(when)s, their local time.")
    return _submit(request, follow_up.customer, options, form, save=save, message=message, follow_up=follow_up)


def _submit(request, customer: Customer, options, form, *, save, message: str, follow_up: FollowUp | None = None):
    """GET: the page. POST: ``save`` the valid form and go back to the queue, or the page again with the
    refusal (400 for the agent's input, 409 when the call or customer changed meanwhile)."""
    status = 200
    if request.method == "GET":
        details = {"page": "move_call", "follow_up_id": follow_up.pk} if follow_up else {"page": "schedule_call"}
        record(action=AuditEntry.Action.CUSTOMER_VIEWED, actor=request.user, target=customer, details=details)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = save(form.cleaned_data)
            except call_scheduling.ScheduleRefused as refused:
                _show_refusal(form, refused, options.zone)
                status = 400 if refused.field else 409
            else:
                when = slot_label(saved.scheduled_for, options.zone)
                messages.success(request, message % {"name": customer.name, "when": when})
                return redirect("surveys:agent-queue")
    return _page(request, customer, options, form, follow_up=follow_up, status=status)


def _show_refusal(form: ScheduleCallForm, refused: call_scheduling.ScheduleRefused, zone) -> None:
    message = refused.message
    if refused.nearest is not None:
        message += " " + _("The nearest allowed time is %(time)s, their local time; it is filled in for you.") % {
            "time": slot_label(refused.nearest, zone)
        }
        form.offer(refused.nearest)
    form.add_error(refused.field if refused.field in form.fields else None, message)


def _page(request, customer: Customer, options, form, *, follow_up: FollowUp | None = None, status: int = 200):
    open_follow_up = None if follow_up is not None else queries.open_follow_up_of(customer)
    movable = (
        open_follow_up is not None
        and open_follow_up.channel == "phone"
        and open_follow_up.status in FollowUp.DUE_STATUSES
        and open_follow_up.assigned_agent_id in (None, request.user.pk)
    )
    return render(
        request,
        "surveys/scheduling/schedule.html",
        {
            "customer": customer,
            "zone": options.zone.key,
            "problem": options.problem,
            "form": form,
            "follow_up": follow_up,
            "open_follow_up": open_follow_up,
            "movable": movable,
        },
        status=status,
    )
