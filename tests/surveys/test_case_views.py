"""The case pages: who sees which Case, resolving, the one extension, overdue Cases first."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Case
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def page(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    return response, response.content.decode()


def test_alice_sees_only_her_own_cases(client, agent, bob):
    factories.CaseFactory(owner=agent, follow_up__customer__name="Alice's customer")
    factories.CaseFactory(owner=bob, follow_up__customer__name="Bob's customer")
    factories.CaseFactory(owner=None, follow_up__customer__name="Nobody's customer")
    client.force_login(agent)
    response, text = page(client, reverse("cases:list"))
    assert response.status_code == 200
    assert "Alice&#x27;s customer" in text
    assert "Bob&#x27;s customer" not in text
    assert "Nobody&#x27;s customer" not in text


def test_the_list_masks_phones_and_translates_labels(client, agent):
    factories.CaseFactory(owner=agent, follow_up__customer__name="王芳", follow_up__customer__phone="+8613800138000")
    client.force_login(agent)
    _, text = page(client, reverse("cases:list"))
    assert "王芳" in text
    assert "+86 138****8000" in text
    assert "13800138000" not in text
    assert "Suspected fraud" in text and "Normal" in text
    chinese = client.get(reverse("cases:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "疑似欺诈" in chinese


def test_the_manager_sees_every_case(client, manager, agent, bob):
    factories.CaseFactory(owner=agent, follow_up__customer__name="Alice's customer")
    factories.CaseFactory(owner=bob, follow_up__customer__name="Bob's customer")
    factories.CaseFactory(owner=None, follow_up__customer__name="Nobody's customer")
    client.force_login(manager)
    _, text = page(client, reverse("cases:list"))
    for name in ("Alice&#x27;s customer", "Bob&#x27;s customer", "Nobody&#x27;s customer"):
        assert name in text


def test_the_administrator_opens_any_case(client, administrator, bob):
    case = factories.CaseFactory(owner=bob)
    client.force_login(administrator)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_another_agents_case_is_a_404_on_every_url(client, agent, bob):
    case = factories.CaseFactory(owner=bob)
    client.force_login(agent)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    resolved = client.post(
        reverse("cases:resolve", args=[case.pk]), {"root_cause": "x", "resolution_code": "Y", "notes": ""}
    )
    assert resolved.status_code == 404
    assert client.post(reverse("cases:extend", args=[case.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("cases:start", args=[case.pk])).status_code == 404
    assert client.post(reverse("cases:complex", args=[case.pk])).status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.regulatory_extended_at is None and not case.complex


@pytest.mark.parametrize("url", ["/cases/999999/", "/cases/999999/resolve/", "/cases/0/", "/cases/abc/", "/cases/-1/"])
def test_bad_ids_are_404(client, manager, url):
    client.force_login(manager)
    response = client.post(url) if url.endswith("resolve/") else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("name,args", [("cases:list", []), ("cases:detail", [1])])
def test_anonymous_visitors_are_sent_to_log_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_customer_less_staff_member_without_the_role_is_refused(client):
    nobody = factories.UserFactory(username="nobody")
    client.force_login(nobody)
    assert client.get(reverse("cases:list")).status_code == 403


def test_the_status_filter_narrows_the_list_and_bad_values_are_ignored(client, agent):
    factories.CaseFactory(owner=agent, follow_up__customer__name="Open one")
    factories.CaseFactory(
        owner=agent,
        follow_up__customer__name="Resolved one",
        status=Case.Status.RESOLVED,
        resolved_at=timezone.now(),
        resolved_by=agent,
        root_cause="Cause",
        resolution_code="FIXED",
    )
    client.force_login(agent)
    _, text = page(client, reverse("cases:list"), status="resolved")
    assert "Resolved one" in text and "Open one" not in text
    _, text = page(client, reverse("cases:list"), status="open")
    assert "Open one" in text and "Resolved one" not in text
    for bad in ("nonsense", "", "<b>", "open'--"):
        response, text = page(client, reverse("cases:list"), status=bad, page="x")
        assert response.status_code == 200
        assert "Open one" in text and "Resolved one" in text


def test_overdue_cases_have_a_badge_and_come_first(client, agent):
    now = timezone.now()
    factories.CaseFactory(owner=agent, follow_up__customer__name="Due tomorrow", sla_due_at=now + timedelta(hours=20))
    factories.CaseFactory(
        owner=agent,
        follow_up__customer__name="Late regulatory answer",
        sla_due_at=now + timedelta(hours=30),
        regulatory_due_at=now - timedelta(hours=1),
    )
    client.force_login(agent)
    _, text = page(client, reverse("cases:list"))
    assert text.count("case-overdue") == 1
    assert "Overdue" in text
    assert text.index("Late regulatory answer") < text.index("Due tomorrow")


def test_deadlines_are_shown_in_shanghai_time(client, agent):
    factories.CaseFactory(owner=agent, sla_due_at=datetime(2026, 3, 12, 1, 30, tzinfo=ZoneInfo("UTC")))
    client.force_login(agent)
    _, text = page(client, reverse("cases:list"))
    assert "2026-03-12 09:30" in text


def test_alice_resolves_her_case(client, agent):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("cases:resolve", args=[case.pk]),
        {"root_cause": "Card skimmed at a shop", "resolution_code": "REFUNDED", "notes": "Refund on the 12th"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert case.resolved_by == agent and case.resolved_at == timezone.now()
    assert case.root_cause == "Card skimmed at a shop" and case.resolution_code == "REFUNDED"
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert "Alice" in text and "Card skimmed at a shop" in text and "2026-03-11 10:00" in text
    assert 'action="/cases/' + str(case.pk) + '/resolve/"' not in text


@pytest.mark.parametrize("root_cause", ["", "   "])
def test_resolving_without_a_root_cause_is_refused_on_that_field(client, agent, root_cause):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("cases:resolve", args=[case.pk]),
        {"root_cause": root_cause, "resolution_code": "REFUNDED", "notes": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    form = response.context["resolve_form"]
    assert form.errors["root_cause"] == ["Enter the root cause."]
    assert "Enter the root cause." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_a_too_long_resolution_code_is_refused_on_that_field(client, agent):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("cases:resolve", args=[case.pk]), {"root_cause": "Cause", "resolution_code": "X" * 41}
    )
    assert response.status_code == 400
    assert "resolution_code" in response.context["resolve_form"].errors


def test_a_second_resolve_is_refused_and_overwrites_nothing(client, agent, manager):
    case = factories.CaseFactory(owner=agent)
    client.force_login(manager)
    client.post(reverse("cases:resolve", args=[case.pk]), {"root_cause": "First", "resolution_code": "ONE"})
    client.force_login(agent)  # Alice's page was drawn before Maggie resolved the case
    response = client.post(
        reverse("cases:resolve", args=[case.pk]),
        {"root_cause": "Second", "resolution_code": "TWO"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "This case is resolved already." in text
    assert "Maggie" in text and "First" in text
    case.refresh_from_db()
    assert (case.root_cause, case.resolution_code, case.resolved_by) == ("First", "ONE", manager)


def test_the_manager_extends_the_regulatory_deadline_once(client, manager, agent):
    case = factories.CaseFactory(owner=agent)
    due = case.regulatory_due_at
    client.force_login(manager)
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert "Extend the regulatory deadline (once)" in text
    response = client.post(reverse("cases:extend", args=[case.pk]), {"reason": "Waiting for the card network"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.regulatory_extended_by == manager and case.extension_reason == "Waiting for the card network"
    assert case.regulatory_due_at > due
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert "Extend the regulatory deadline (once)" not in text
    assert "approved by Maggie" in text
    again = client.post(reverse("cases:extend", args=[case.pk]), {"reason": "Once more"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "it can be extended once" in again.content.decode()
    case.refresh_from_db()
    assert case.extension_reason == "Waiting for the card network"


def test_an_extension_needs_a_reason(client, manager):
    case = factories.CaseFactory()
    client.force_login(manager)
    response = client.post(reverse("cases:extend", args=[case.pk]), {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["extend_form"].errors["reason"] == ["Give the reason for the extension."]
    case.refresh_from_db()
    assert case.regulatory_extended_at is None


def test_agents_get_no_extension_form_and_may_not_extend(client, agent):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert "Extend the regulatory deadline" not in text
    assert client.post(reverse("cases:extend", args=[case.pk]), {"reason": "Please"}).status_code == 403
    case.refresh_from_db()
    assert case.regulatory_extended_at is None


def test_the_pages_refuse_the_wrong_method(client, agent):
    case = factories.CaseFactory(owner=agent)
    client.force_login(agent)
    assert client.get(reverse("cases:resolve", args=[case.pk])).status_code == 405
    assert client.post(reverse("cases:detail", args=[case.pk])).status_code == 405


def test_customer_text_is_escaped(client, agent):
    factories.CaseFactory(owner=agent, follow_up__customer__name="<script>x</script>", summary="<b>bold</b>")
    client.force_login(agent)
    _, text = page(client, reverse("cases:list"))
    assert "<script>x</script>" not in text
    case = Case.objects.get()
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert "<b>bold</b>" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text


def test_the_case_page_shows_the_customers_answers_in_the_staff_language(client, agent):
    response = factories.ResponseFactory()
    survey = response.survey
    nps = factories.QuestionFactory(survey=survey, position=1)
    worry = factories.ChoiceFactory(question__survey=survey, question__position=2, question__prompt_en="Worries?")
    comment = factories.QuestionFactory(survey=survey, position=3, kind="free_text", prompt_en="Anything else?")
    Answer.objects.create(response=response, question=nps, number=2)
    Answer.objects.create(response=response, question=worry.question).choices.add(worry)
    Answer.objects.create(response=response, question=comment, text="<i>someone</i> paid with my card")
    case = factories.CaseFactory(owner=agent, follow_up=response.follow_up, response=response)
    client.force_login(agent)
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert "How likely are you to recommend our wallet to a friend?" in text
    assert "My details leaking" in text
    assert "&lt;i&gt;someone&lt;/i&gt; paid with my card" in text
    assert text.index("recommend our wallet") < text.index("Worries?") < text.index("Anything else?")
    chinese = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "信息泄露" in chinese


def test_a_case_without_a_response_has_no_answers_section(client, agent):
    case = factories.CaseFactory(owner=agent, response=None)
    client.force_login(agent)
    _, text = page(client, reverse("cases:detail", args=[case.pk]))
    assert 'id="answers-title"' not in text
