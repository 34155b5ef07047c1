import pytest
from django.urls import reverse

from surveys.models import FollowUp
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_manager_page_counts_each_campaigns_follow_ups_and_responses(client, manager):
    campaign = factories.CampaignFactory(name="Autumn follow-up")
    factories.FollowUpFactory.create_batch(2, campaign=campaign, status=FollowUp.Status.PLANNED)
    factories.ResponseFactory.create_batch(3, follow_up__campaign=campaign)
    client.force_login(manager)
    response = client.get(reverse("analytics:manager-home"))
    row = next(r for r in response.context["rows"] if r.campaign == campaign)
    assert (row.total, row.open, row.completed, row.responses) == (5, 2, 3, 3)
    assert "Autumn follow-up" in response.content.decode()


def test_the_page_leads_to_the_concern_dashboard_and_the_team_view(client, manager):
    client.force_login(manager)
    page = client.get(reverse("analytics:manager-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not built yet" not in page
    assert f'href="{reverse("analytics:dashboard")}"' in page
    assert f'href="{reverse("analytics:team")}"' in page
