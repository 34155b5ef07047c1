"""A link to the site cannot send a person elsewhere: login's next=, the language switch's next=."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

ELSEWHERE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "http://testserver@evil.example/",
]


def stays_on_the_site(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", ELSEWHERE)
def test_alice_signing_in_from_a_link_with_a_foreign_next_lands_on_the_site(client, agent, target):
    response = client.post(
        f"{reverse('login')}?next={target}", {"username": "alice", "password": factories.PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert stays_on_the_site(response.headers["Location"]), response.headers["Location"]


def test_a_next_on_the_site_is_followed(client, agent):
    target = reverse("cases:list")
    response = client.post(reverse("login"), {"username": "alice", "password": factories.PASSWORD, "next": target})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_signed_in_visit_to_the_login_page_with_a_foreign_next_stays_on_the_site(client, agent, target):
    client.force_login(agent)
    response = client.get(reverse("login"), {"next": target})
    assert response.status_code == 302
    assert stays_on_the_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_language_switch_never_sends_anyone_elsewhere(client, target):
    response = client.post(reverse("set_language"), {"language": "en", "next": target})
    assert response.status_code == 302
    assert stays_on_the_site(response.headers["Location"]), response.headers["Location"]
