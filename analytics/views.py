from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.access import staff_page
from analytics import dashboard, exports, queries, team
from analytics.dashboard_forms import DashboardFilterForm, read_selection
from analytics.team_forms import TeamPeriodForm
from audit.models import AuditEntry
from audit.services import record


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


def _dashboard_context(request) -> dict:
    """The selection the query string asks for (unusable parts: notices) and its report."""
    now = timezone.now()
    filters, notices, options = read_selection(request.GET, today=now.astimezone(dashboard.local_zone()).date())
    return {
        "form": DashboardFilterForm.showing(filters, options=options),
        "options": options,
        "notices": notices,
        "report": dashboard.dashboard_report(filters, now=now),
        "query": urlencode(filters.query_params()),
    }


@staff_page("surveys.view_concern_dashboard")
def dashboard_view(request):
    """What customers worry about, for a selection read from the query string (bookmarkable)."""
    return render(request, "analytics/dashboard.html", _dashboard_context(request))


@staff_page("surveys.view_concern_dashboard")
def dashboard_fragment(request):
    """The dashboard's blocks alone, for htmx; the address bar shows the full page's address."""
    context = _dashboard_context(request)
    response = render(request, "analytics/_dashboard_body.html", context)
    response["HX-Push-Url"] = f"{reverse('analytics:dashboard')}?{context['query']}"
    return response


@staff_page("surveys.view_concern_dashboard")
def dashboard_export(request, file_format: str):
    """The dashboard's tables for the selection as CSV or Excel; personal data masked unless allowed."""
    context = _dashboard_context(request)
    report, unmasked = context["report"], request.user.has_perm("accounts.export_personal_data")
    sections = exports.export_sections(report, options=context["options"], unmasked=unmasked)
    # Who exported which selection, and when: exports are personal data when they are not masked.
    record(
        action=AuditEntry.Action.EXPORTED,
        actor=request.user,
        details={
            "export": "concern_dashboard",
            "format": file_format,
            "unmasked": unmasked,
            "filters": report.filters.query_params(),
        },
    )
    stamp = timezone.now().astimezone(dashboard.local_zone()).strftime("%Y%m%d-%H%M")
    if file_format == "xlsx":
        response = HttpResponse(exports.xlsx_bytes(sections), content_type=exports.XLSX_TYPE)
    else:
        response = HttpResponse(exports.csv_bytes(sections), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="concern-dashboard-{stamp}.{file_format}"'
    return response
