"""Managers' campaign pages: list, create, edit a draft, the campaign page, its progress, and state changes.

Views check access, bind the form, call one service, render or redirect. Every campaign is loaded
through ``campaign_for`` after the permission check, so a person without the permission learns
nothing, not even whether a campaign exists.

Reading these pages needs surveys.view_campaign *and* surveys.view_concern_dashboard: agents hold
view_campaign (their queue names each call's campaign) but these pages are the managers'.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import staff_page
from surveys import heatmap, queries, services
from surveys.audience import audience_size
from surveys.forms import AudienceForm, CampaignForm, audience_summary, campaign_summary
from surveys.models import Campaign

READ = ("surveys.view_campaign", "surveys.view_concern_dashboard")

# What the manager may do next in each state; the service has the last word.
ACTIONS_BY_STATUS = {
    Campaign.Status.DRAFT: ("launch",),
    Campaign.Status.SCHEDULED: ("pause", "finish"),
    Campaign.Status.RUNNING: ("pause", "finish"),
    Campaign.Status.PAUSED: ("resume", "finish"),
    Campaign.Status.FINISHED: (),
}
ACTION_BUTTONS = {
    "launch": (gettext_lazy("Launch"), "btn-primary"),
    "pause": (gettext_lazy("Pause"), "btn-warning"),
    "resume": (gettext_lazy("Resume"), "btn-success"),
    "finish": (gettext_lazy("Finish"), "btn-outline-danger"),
}


def campaign_for(pk: int) -> Campaign:
    """The one way these views load a campaign (after the view's permission check)."""
    return get_object_or_404(Campaign.objects.select_related("survey"), pk=pk)


@staff_page(READ)
def campaign_list(request):
    return render(request, "surveys/campaigns/list.html", {"campaigns": queries.campaign_list()})


@staff_page("surveys.add_campaign")
def campaign_create(request):
    return _campaign_form_page(request, Campaign(created_by=request.user))


@staff_page("surveys.change_campaign")
def campaign_edit(request, pk: int):
    campaign = campaign_for(pk)
    if campaign.status != Campaign.Status.DRAFT:
        messages.warning(request, _("Only a draft campaign can be edited; this one has been launched."))
        return redirect("campaigns:detail", pk=campaign.pk)
    return _campaign_form_page(request, campaign)


def _campaign_form_page(request, campaign: Campaign):
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data, instance=campaign)
    audience_form = AudienceForm(data, prefix="audience", audience=campaign.audience)
    # Both forms are validated, so every problem shows at once.
    if data is not None and all([form.is_valid(), audience_form.is_valid()]):
        campaign = form.save(commit=False)
        campaign.audience = audience_form.audience
        if _save_draft(campaign):
            messages.success(request, _("Campaign saved as a draft. Check its audience, then launch it."))
        else:
            messages.error(request, _("The campaign was launched meanwhile, so your changes were not saved."))
        return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "surveys/campaigns/form.html",
        {"form": form, "audience_form": audience_form, "campaign": campaign if campaign.pk else None},
    )


def _save_draft(campaign: Campaign) -> bool:
    """Insert a new campaign, or update a draft only while it is still a draft (False if it no longer is).

    A conditional UPDATE rather than save(): a save would write back the status and planning fields
    read before the form was posted, undoing a launch that happened in between.
    """
    if campaign.pk is None:
        campaign.save()
        return True
    fields = [*CampaignForm.Meta.fields, "audience", "region_policies"]
    values = {name: getattr(campaign, name) for name in fields}
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            **values, updated_at=timezone.now()
        )
    return updated == 1


@staff_page(READ)
def campaign_detail(request, pk: int):
    campaign = campaign_for(pk)
    audience_size_value, audience_error = None, ""
    if campaign.status == Campaign.Status.DRAFT:
        try:
            audience_size_value = audience_size(campaign.audience)
        except (ValidationError, ValueError) as exc:
            audience_error = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    may_change_state = request.user.has_perm("surveys.launch_campaign")
    action_names = ACTIONS_BY_STATUS.get(campaign.status, ()) if may_change_state else ()
    context = {
        "campaign": campaign,
        "settings_lines": campaign_summary(campaign),
        "audience_lines": audience_summary(campaign.audience),
        "audience_size": audience_size_value,
        "audience_error": audience_error,
        "progress": queries.planning_progress(campaign),
        "exclusions": queries.campaign_exclusions(campaign),
        "status_counts": queries.campaign_status_counts(campaign),
        "heatmaps": heatmap.campaign_heatmaps(campaign),
        "can_edit": campaign.status == Campaign.Status.DRAFT and request.user.has_perm("surveys.change_campaign"),
        "action_names": action_names,
        "actions": [
            {
                "name": name,
                "url": reverse(f"campaigns:{name}", args=[campaign.pk]),
                "label": ACTION_BUTTONS[name][0],
                "style": ACTION_BUTTONS[name][1],
            }
            for name in action_names
        ],
    }
    return render(request, "surveys/campaigns/detail.html", context)


@never_cache
@staff_page(READ)
def campaign_progress(request, pk: int):
    """The progress fragment htmx polls every 2 s while planning is queued or running."""
    campaign = campaign_for(pk)
    progress = queries.planning_progress(campaign)
    response = render(request, "surveys/campaigns/_progress.html", {"campaign": campaign, "progress": progress})
    if request.headers.get("HX-Request") and not progress.polling:
        # Planning just ended under a polling page: reload it whole, so the counts and heat map appear.
        response["HX-Refresh"] = "true"
    return response


SUCCESS_MESSAGES = {
    "launch": gettext_lazy("The campaign is launched; its follow-ups are being planned."),
    "pause": gettext_lazy("The campaign is paused: nobody is contacted until you resume it."),
    "resume": gettext_lazy("The campaign is running again."),
    "finish": gettext_lazy("The campaign is finished."),
}


@staff_page("surveys.launch_campaign")
@require_POST
def change_campaign_state(request, pk: int, action: str):
    """Launch, pause, resume or finish: calls surveys.services.<action>_campaign, which refuses a wrong state."""
    campaign = campaign_for(pk)
    service = getattr(services, f"{action}_campaign")
    try:
        service(campaign=campaign, by=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, SUCCESS_MESSAGES[action])
    return redirect("campaigns:detail", pk=campaign.pk)
