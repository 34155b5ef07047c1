"""IDOR and roles, walked over the URL list: Alice (agent) cannot open Bob's calls and cases by id nor any
manager page; Maggie (manager) cannot work the call queue nor enter the admin; nobody signed out gets in.
"""

import pytest
from django.test import Client

from surveys.models import Case, FollowUp
from tests import factories
from tests.security.urls import site_urls

pytestmark = pytest.mark.django_db

# Pages for customers, the sign-in pages and the API (its own tokens: tests/integrations) are not staff pages.
PUBLIC = {"login", "logout", "set_language", "ops:health", "home"}
PUBLIC_PREFIXES = ("s/", "verify/", "api/", "i18n/")


def staff_urls(prefix: str = ""):
    return [
        url
        for url in site_urls()
        if url.name not in PUBLIC
        and not url.route.startswith(PUBLIC_PREFIXES)
        and not url.route.startswith("admin/")
        and url.route.startswith(prefix)
    ]


def visit(client: Client, path: str) -> list[int]:
    return [client.get(path).status_code, client.post(path, {"note": "x", "outcome": "answered"}).status_code]


@pytest.fixture
def bobs_call(bob):
    return factories.FollowUpFactory(channel="phone", assigned_agent=bob, status=FollowUp.Status.PLANNED)


@pytest.fixture
def bobs_case(bob):
    return factories.CaseFactory(owner=bob)


def test_alice_cannot_open_or_change_bobs_call_or_case_on_any_url(client, agent, bobs_call, bobs_case):
    client.force_login(agent)
    reached, checked = {}, 0
    for url in staff_urls("agent/") + staff_urls("cases/"):
        if "<int:pk>" not in url.route:
            continue
        checked += 1
        target = bobs_case.pk if url.route.startswith("cases/") else bobs_call.pk
        answers = visit(client, url.fill(pk=str(target)))
        if set(answers) - {404, 405}:
            reached[url.route] = answers
    assert reached == {}
    assert checked >= 12  # calls, script, moving, claiming, releasing, every case action
    bobs_call.refresh_from_db()
    bobs_case.refresh_from_db()
    assert (bobs_call.assigned_agent_id, bobs_call.status) == (bobs_case.owner_id, FollowUp.Status.PLANNED)
    assert bobs_call.attempts_made.count() == 0
    assert (bobs_case.status, bobs_case.resolved_by_id) == (Case.Status.OPEN, None)


def test_alice_does_not_see_bobs_case_in_her_list(client, agent, bobs_case):
    client.force_login(agent)
    assert bobs_case.summary not in client.get("/cases/").content.decode()


def test_an_agent_reaches_no_manager_page(client, agent):
    client.force_login(agent)
    reached = {url.route: visit(client, url.fill()) for url in staff_urls("manager/")}
    assert {route: answers for route, answers in reached.items() if set(answers) - {403, 405}} == {}
    assert len(reached) > 30


def test_a_manager_cannot_work_the_call_queue(client, manager, bobs_call):
    client.force_login(manager)
    reached = {url.route: visit(client, url.fill(pk=str(bobs_call.pk))) for url in staff_urls("agent/")}
    assert {route: answers for route, answers in reached.items() if set(answers) - {403, 405}} == {}


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_agents_and_managers_are_sent_to_the_admins_login_on_every_admin_page(client, role, request):
    client.force_login(request.getfixturevalue(role))
    admin_urls = [
        url for url in site_urls() if url.route.startswith("admin/") and url.name not in ("admin:login", "admin:logout")
    ]
    let_in = {}
    for url in admin_urls:
        response = client.get(url.fill())
        if not (response.status_code == 302 and response.headers["Location"].startswith("/admin/login/")):
            let_in[url.route] = response.status_code
    assert let_in == {}
    assert len(admin_urls) > 50


def test_someone_signed_out_is_sent_to_sign_in_from_every_staff_page(client):
    refused = {url.route: client.get(url.fill()) for url in staff_urls()}
    let_in = {
        route: response.status_code
        for route, response in refused.items()
        if not (response.status_code == 302 and response.headers["Location"].startswith("/accounts/login/"))
        and response.status_code != 405
    }
    assert let_in == {}
