"""Each role lands on its own work and cannot open the others' pages."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

AGENT_QUEUE = reverse("surveys:agent-queue")
MANAGER_HOME = reverse("analytics:manager-home")


def test_the_role_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"agent", "manager", "admin"}


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in ("/", AGENT_QUEUE, MANAGER_HOME):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_agent_lands_on_their_queue(client, agent):
    client.force_login(agent)
    assert client.get("/")["Location"] == AGENT_QUEUE
    assert client.get(AGENT_QUEUE).status_code == 200


def test_a_manager_lands_on_campaigns_and_dashboards(client, manager):
    client.force_login(manager)
    assert client.get("/")["Location"] == MANAGER_HOME
    assert client.get(MANAGER_HOME).status_code == 200


def test_an_administrator_lands_in_the_admin(client, administrator):
    client.force_login(administrator)
    assert client.get("/")["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_alice_the_agent_cannot_open_the_manager_pages_or_the_admin(client, agent):
    client.force_login(agent)
    assert client.get(MANAGER_HOME).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 302  # admin sends non-staff to its login


def test_maggie_the_manager_cannot_open_the_call_queue(client, manager):
    client.force_login(manager)
    assert client.get(AGENT_QUEUE).status_code == 403


def test_a_staff_member_without_a_role_is_told_to_ask_an_administrator(client):
    client.force_login(factories.UserFactory(username="newcomer"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "no role yet" in response.content.decode()


def test_login_with_the_right_password_and_code_goes_to_the_role_page(client, agent):
    device = factories.authenticator_of(agent)
    response = client.post(reverse("login"), {"username": "alice", "password": factories.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("two-factor-verify"))

    response = client.post(response.redirect_chain[-1][0], {"code": factories.current_code(device)}, follow=True)
    assert response.redirect_chain[-1][0] == AGENT_QUEUE


def test_login_with_a_wrong_password_is_refused_with_a_message(client, agent):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_login_does_not_redirect_to_another_site(client, agent):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "alice", "password": factories.PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_signing_out_needs_a_post_and_ends_the_session(client, agent):
    client.force_login(agent)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(AGENT_QUEUE).status_code == 302


def test_a_chinese_staff_name_reads_family_name_first():
    assert factories.UserFactory(first_name="芳", last_name="王").get_full_name() == "王芳"
    assert factories.UserFactory(first_name="Alice", last_name="Chen").get_full_name() == "Alice Chen"
