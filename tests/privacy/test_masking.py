"""Stragglers of the one masking helper (accounts/masking.py): an agent who finds Wang Fang by her phone number
does not learn her full bank reference, nor her full number (only a logged reveal on the call page shows it)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(customer):
    customer.bank_reference = "CN-WANG-0042"
    customer.save()
    return customer


def test_an_agent_who_searches_by_phone_sees_a_masked_reference_and_phone(client, agent, wang):
    client.force_login(agent)
    page = client.get(reverse("scheduling:find"), {"q": "+8613800138000"}).content.decode()

    assert "王芳" in page
    assert "********0042" in page and "CN-WANG-0042" not in page
    # What she typed stays in the search box and the language switch's return address; the results mask it.
    results = page.replace('value="+8613800138000"', "").replace("%2B8613800138000", "")
    assert "+86 138****8000" in results and "8613800138000" not in results
