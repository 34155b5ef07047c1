from django.shortcuts import render
from django.utils import timezone

from accounts.access import staff_page
from surveys import queries


@staff_page("surveys.work_call_queue")
def agent_queue(request):
    now = timezone.now()
    context = {
        "follow_ups": queries.agent_queue(agent=request.user, now=now),
        "upcoming_count": queries.agent_upcoming_count(agent=request.user, now=now),
    }
    return render(request, "surveys/agent_queue.html", context)
