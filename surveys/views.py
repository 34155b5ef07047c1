"""The agent's queue: the page, its rows (htmx reloads them every 30 s), claiming and giving back calls."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_page
from surveys import claims, queries


def _queue_context(request) -> dict:
    return {"queue": queries.agent_queue_page(agent=request.user, now=timezone.now())}


@staff_page("surveys.work_call_queue")
@require_GET
def agent_queue(request):
    return render(request, "surveys/agent_queue.html", _queue_context(request))


@staff_page("surveys.work_call_queue")
@require_GET
def agent_queue_rows(request):
    """The two sections alone, for htmx to swap in place; the full page shows the same."""
    return render(request, "surveys/_queue_rows.html", _queue_context(request))


@staff_page("surveys.work_call_queue")
@require_POST
def claim(request, pk: int):
    try:
        follow_up = queries.follow_up_for_agent(request.user, pk)
    except Http404:
        # Most often another agent claimed it since this page was drawn. The answer is the same 404 for
        # any id the agent may not see (nothing learnt about other agents' calls), with their queue.
        messages.warning(request, _("This call is no longer in the shared pool: another agent may have taken it."))
        return render(request, "surveys/agent_queue.html", _queue_context(request), status=404)
    try:
        follow_up = claims.claim_follow_up(follow_up_id=follow_up.pk, agent=request.user, now=timezone.now())
    except claims.ClaimRefused as refused:
        messages.warning(request, refused.message)
    else:
        messages.success(
            request, _("The call with %(name)s is yours now, under My calls.") % {"name": follow_up.customer.name}
        )
    return redirect("surveys:agent-queue")


@staff_page("surveys.work_call_queue")
@require_POST
def release(request, pk: int):
    follow_up = queries.follow_up_for_agent(request.user, pk)
    try:
        follow_up = claims.release_follow_up(follow_up_id=follow_up.pk, agent=request.user, now=timezone.now())
    except claims.ClaimRefused as refused:
        messages.warning(request, refused.message)
    else:
        messages.success(
            request, _("The call with %(name)s is back in the shared pool.") % {"name": follow_up.customer.name}
        )
    return redirect("surveys:agent-queue")
