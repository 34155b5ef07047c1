from django.shortcuts import render

from accounts.access import staff_page
from analytics import queries


@staff_page("surveys.view_concern_dashboard")
def manager_home(request):
    context = {"rows": queries.campaign_overview()}
    return render(request, "analytics/manager_home.html", context)
