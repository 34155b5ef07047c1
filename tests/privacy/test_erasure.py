"""Erasure on request: Wang Fang asks the bank to forget her. Adam (an administrator) erases her; her name,
phone, e-mail, references and words are gone everywhere, she is never contacted again, and every dashboard
figure is the same as before, also after a full rebuild. Li Lei, who answered the same campaign, keeps all."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts.models import Channel, ConsentRecord, Customer, EvidenceSource
from analytics import rollups
from analytics.models import ThemeExample
from privacy import rules, services
from privacy.models import AnonymisedResponse
from surveys.models import Answer, Case, ContactAttempt, FollowUp
from tests.privacy.helpers import NOW, dashboard_figures
from tests.privacy.story import two_customers

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(campaign, agent):
    return two_customers(campaign, agent)


def everything_stored() -> str:
    """Every row of the customers, surveys, dashboards, privacy and admin-history apps, as text."""
    out = StringIO()
    call_command("dumpdata", "accounts", "surveys", "analytics", "privacy", "admin", stdout=out)
    return out.getvalue()


def identifiers_of(story) -> list[str]:
    c = story.customer
    return [
        c.name,
        c.phone,
        c.phone[3:],
        c.email,
        c.bank_reference,
        story.event_reference,
        story.token_hash,
        f"面馆-{c.bank_reference}",
    ]


def test_her_identifiers_and_words_are_gone_everywhere_and_li_leis_stay(stories, administrator):
    wang, li = stories
    stored = everything_stored()
    assert [identifier for identifier in identifiers_of(wang) if identifier not in stored] == []

    result = services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)

    stored = everything_stored()
    for identifier in identifiers_of(wang):
        assert identifier not in stored, identifier
    for identifier in identifiers_of(li):
        assert identifier in stored, identifier
    erased = Customer.objects.get(pk=wang.customer.pk)
    assert rules.is_erased(erased.bank_reference) and erased.name == erased.bank_reference == result.placeholder
    assert (erased.phone, erased.email) == ("", "")
    assert Customer.objects.filter(name__startswith=rules.ERASED_PREFIX).count() == 1


def test_what_the_dashboards_group_by_stays_and_what_people_wrote_is_anonymised(stories, administrator):
    wang, _li = stories
    services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)

    erased = Customer.objects.get(pk=wang.customer.pk)
    kept = ("segment", "wallet_product", "device_os", "app_version", "region", "language", "time_zone")
    assert [getattr(erased, name) for name in kept] == [getattr(wang.customer, name) for name in kept]
    text = Answer.objects.get(response=wang.response, question__code="comments").text
    assert text.startswith(rules.MARKER) and "盗刷" in text and "王芳" not in text
    assert not ThemeExample.objects.filter(answer__response=wang.response).exists()
    assert AnonymisedResponse.objects.get(response=wang.response).reason == "erasure"
    case = Case.objects.get(response=wang.response)
    assert case.summary == case.resolution_notes == rules.MARKER
    assert not ContactAttempt.objects.filter(follow_up__customer=erased).exclude(notes="").exists()
    assert not ContactAttempt.objects.filter(follow_up__customer=erased, link_token_hash__isnull=False).exists()
    assert not ConsentRecord.objects.filter(customer=erased).exclude(note="").exists()
    assert erased.wallet_events.get().details == {}


def test_she_is_never_contacted_again_and_her_open_follow_up_is_cancelled(stories, administrator):
    wang, li = stories
    result = services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)

    erased = Customer.objects.get(pk=wang.customer.pk)
    assert not any(erased.may_be_contacted_by(channel) for channel in Channel.values)
    evidence = ConsentRecord.objects.get(customer=erased, kind=ConsentRecord.Kind.DO_NOT_CONTACT)
    assert (evidence.source, evidence.recorded_by, evidence.reference) == (
        EvidenceSource.ADMIN,
        administrator,
        "erasure",
    )
    cancelled = FollowUp.objects.get(pk=wang.open_follow_up.pk)
    assert (cancelled.status, cancelled.close_reason, cancelled.note) == ("cancelled", "erased_on_request", "")
    assert result.follow_ups_cancelled == 1
    assert FollowUp.objects.get(pk=li.open_follow_up.pk).status == FollowUp.Status.INVITED


def test_every_dashboard_figure_is_the_same_after_the_erasure_and_after_a_full_rebuild(stories, administrator):
    wang, _li = stories
    before = dashboard_figures()

    services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)

    assert dashboard_figures() == before
    rollups.rebuild_rollups(now=NOW)
    assert dashboard_figures() == before


def test_it_says_what_it_did_and_who_did_it(stories, administrator):
    wang, _li = stories
    result = services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)

    assert result.customer_id == wang.customer.pk and result.actor_id == administrator.pk
    assert result.answers_anonymised == 1
    assert result.theme_examples_removed >= 1
    assert result.cases_scrubbed == Case.objects.filter(customer_id=wang.customer.pk).count() >= 1
    assert result.attempts_scrubbed == 2  # the survey's message and the agent's call; the last had nothing
    assert result.wallet_events_scrubbed == 1
    assert result.consent_notes_cleared == 1
    assert result.admin_log_entries_scrubbed == 2


def test_the_erasure_is_all_or_nothing(stories, administrator, monkeypatch):
    wang, _li = stories

    def broken(cases):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_scrub_cases", broken)
    with pytest.raises(RuntimeError):
        services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)

    untouched = Customer.objects.get(pk=wang.customer.pk)
    assert (untouched.name, untouched.phone, untouched.do_not_contact_at) == ("王芳", "+8613800138000", None)
    assert FollowUp.objects.get(pk=wang.open_follow_up.pk).status == FollowUp.Status.INVITED
    assert "王芳" in Answer.objects.get(response=wang.response, question__code="comments").text


def test_a_second_erasure_is_refused_with_a_reason(stories, administrator):
    wang, _li = stories
    services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)
    with translation.override("en"), pytest.raises(services.ErasureRefused, match="already been erased"):
        services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)
    with translation.override("zh-hans"), pytest.raises(services.ErasureRefused, match="已被删除"):
        services.erase_customer(customer=wang.customer, actor=administrator, now=NOW)
