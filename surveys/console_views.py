"""The agent's call page: who to call and why, revealing the phone number, recording how the call ended.

Views check access, bind the form, call one service, render or redirect. Every follow-up is loaded through
``queries.follow_up_for_agent`` (the agent's own or the pool; anything else is a 404). A pool call must be
claimed on the queue first, so two agents never ring the same customer.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_page
from audit.models import AuditEntry
from audit.services import record
from surveys import calls, queries
from surveys.console_forms import CallOutcomeForm, opened_at, sign_opened_at
from surveys.models import FollowUp


def _zone(follow_up: FollowUp) -> ZoneInfo:
    return ZoneInfo(follow_up.customer.time_zone)  # validated on the model (accounts.models.validate_time_zone)


def _started_token(request, follow_up: FollowUp) -> str:
    """The page's opening time, carried over from the form that drew this page (a reveal) or now."""
    now = timezone.now()
    started = opened_at(request.POST.get("started_at"), follow_up_id=follow_up.pk, agent_id=request.user.pk, now=now)
    return sign_opened_at(follow_up_id=follow_up.pk, agent_id=request.user.pk, moment=started)


def _claim_first(request, follow_up: FollowUp, *, status: int = 200):
    return render(request, "surveys/console/claim_first.html", {"follow_up": follow_up}, status=status)


def _interview_done(request, follow_up: FollowUp) -> bool:
    """The agent's phone interview has just completed this follow-up and the call itself is still to be recorded.

    Submitting the answers completes the follow-up (surveys/answering.py); the call service then takes a
    "complete" outcome on it once. The page asks the service's own rule, so it offers the form exactly then.
    """
    return calls.completed_by_this_call(follow_up, request.user)


def _call_page(request, follow_up: FollowUp, *, form=None, revealed: bool = False, status: int = 200):
    zone = _zone(follow_up)
    started = _started_token(request, follow_up)
    interview_done = _interview_done(request, follow_up)
    records_outcome = follow_up.is_open or interview_done
    if form is None and records_outcome:
        form = CallOutcomeForm(
            zone=zone,
            interview_done=interview_done,
            initial={"expected_attempts": follow_up.attempts, "started_at": started},
        )
    return render(
        request,
        "surveys/console/call.html",
        {
            "follow_up": follow_up,
            "customer": follow_up.customer,
            "event": follow_up.wallet_event,
            "attempts": queries.earlier_attempts(follow_up),
            "zone": zone.key,
            "form": form if records_outcome else None,
            "interview_done": interview_done,
            "started_at": started,
            "revealed": revealed,
            "can_reveal": follow_up.is_open and request.user.has_perm("accounts.reveal_customer_phone"),
        },
        status=status,
    )


@staff_page("surveys.work_call_queue")
@require_GET
def call(request, pk: int):
    follow_up = queries.follow_up_for_agent(request.user, pk)
    if follow_up.assigned_agent_id is None:
        return _claim_first(request, follow_up)
    record(
        action=AuditEntry.Action.CUSTOMER_VIEWED,
        actor=request.user,
        target=follow_up.customer,
        details={"page": "call", "follow_up_id": follow_up.pk},
    )
    return _call_page(request, follow_up)


@staff_page("surveys.work_call_queue")
@permission_required("accounts.reveal_customer_phone", raise_exception=True)
@require_POST
def reveal(request, pk: int):
    """Show the full number, only on a POST (a link, a prefetch or a reload of a GET never reveals it)."""
    follow_up = queries.follow_up_for_agent(request.user, pk)
    if follow_up.assigned_agent_id is None:
        return _claim_first(request, follow_up, status=409)
    if not follow_up.is_open:
        messages.warning(request, _("This call is closed: the number is no longer shown."))
        return _call_page(request, follow_up, status=409)
    # Who saw which customer's full number, and when: recorded before the number is shown.
    record(
        action=AuditEntry.Action.PHONE_REVEALED,
        actor=request.user,
        target=follow_up.customer,
        details={"follow_up_id": follow_up.pk},
    )
    return _call_page(request, follow_up, revealed=True)


@staff_page("surveys.work_call_queue")
@require_POST
def record_outcome(request, pk: int):
    follow_up = queries.follow_up_for_agent(request.user, pk)
    if follow_up.assigned_agent_id is None:
        return _claim_first(request, follow_up, status=409)
    zone = _zone(follow_up)
    form = CallOutcomeForm(request.POST, zone=zone, interview_done=_interview_done(request, follow_up))
    if not form.is_valid():
        return _call_page(request, follow_up, form=form, status=400)
    now = timezone.now()
    data = form.cleaned_data
    try:
        attempt = calls.record_call_outcome(
            follow_up_id=follow_up.pk,
            agent=request.user,
            outcome=data["outcome"],
            notes=data["notes"],
            callback_at=data["callback_at"],
            started_at=opened_at(data["started_at"], follow_up_id=follow_up.pk, agent_id=request.user.pk, now=now),
            ended_at=now,
            now=now,
            expected_attempts=data["expected_attempts"],
        )
    except calls.InvalidCall as invalid:
        form.add_error(invalid.field if invalid.field in ("outcome", "notes", "callback_at") else None, invalid.message)
        return _call_page(request, follow_up, form=form, status=400)
    except calls.CallbackNotAllowed as refused:
        error = str(refused.message)
        if refused.nearest is not None:
            nearest = timezone.localtime(refused.nearest, zone)
            error += " " + _("The nearest allowed time is %(time)s, %(zone)s time; it is filled in for you.") % {
                "time": f"{nearest:%Y-%m-%d %H:%M}",
                "zone": zone.key,
            }
            form.offer_callback(refused.nearest)
        form.add_error("callback_at", error)
        return _call_page(request, follow_up, form=form, status=400)
    except calls.StaleFollowUp as stale:
        return render(request, "surveys/console/stale.html", {"reason": stale.message}, status=409)
    messages.success(
        request,
        _("The call with %(name)s is recorded: %(outcome)s.")
        % {"name": follow_up.customer.name, "outcome": attempt.get_outcome_display()},
    )
    return redirect("surveys:agent-queue")
