from django.shortcuts import render
from django.utils import timezone

from accounts.access import staff_page
from analytics import queries, team
from analytics.team_forms import TeamPeriodForm


@staff_page("surveys.view_concern_dashboard")
def manager_home(request):
    context = {"rows": queries.campaign_overview()}
    return render(request, "analytics/manager_home.html", context)


@staff_page("surveys.view_concern_dashboard")
def team_view(request):
    """How the agents' calls are going over a period of local days (bad periods: a notice, the default)."""
    now = timezone.now()
    period, notices = TeamPeriodForm(request.GET or None).period(now.astimezone(team.local_zone()).date())
    context = {
        "form": TeamPeriodForm.showing(period),
        "notices": notices,
        "report": team.team_report(period, now=now),
    }
    return render(request, "analytics/team.html", context)
