"""Consent and opt-out decisions are evidence: who, when, how, per channel — never overwritten."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ConsentRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def consenting(customer):
    return services.record_consent(customer=customer, source="enrolment")


def test_an_sms_opt_out_stops_sms_but_not_calls(consenting, agent):
    customer = services.record_opt_out(customer=consenting, channels=("sms",), source="agent", by=agent)
    assert not customer.may_be_contacted_by("sms")
    assert customer.may_be_contacted_by("phone")
    record = customer.consent_records.get(kind=ConsentRecord.Kind.OPT_OUT)
    assert (record.channel, record.source, record.recorded_by) == ("sms", "agent", agent)


def test_an_opt_out_from_a_survey_link_stops_every_channel(consenting):
    customer = services.record_opt_out(customer=consenting, source="link", reference="follow-up 42")
    assert not any(customer.may_be_contacted_by(channel) for channel in ("phone", "sms", "email"))
    assert customer.consent_records.filter(kind="opt_out").count() == 3


def test_a_repeated_opt_out_keeps_the_first_date_and_adds_evidence(consenting):
    first = timezone.now() - timedelta(days=10)
    services.record_opt_out(customer=consenting, channels=("sms",), source="link", at=first)
    customer = services.record_opt_out(customer=consenting, channels=("sms",), source="api")
    assert customer.sms_opt_out_at == first
    assert list(customer.consent_records.filter(kind="opt_out").values_list("source", flat=True)) == ["link", "api"]


def test_opting_back_in_keeps_the_history(consenting):
    services.record_opt_out(customer=consenting, channels=("email",), source="link")
    customer = services.record_opt_in(customer=consenting, channels=("email",), source="agent")
    assert customer.may_be_contacted_by("email")
    assert list(customer.consent_records.values_list("kind", flat=True)) == ["consent", "opt_out", "opt_in"]


def test_do_not_contact_blocks_every_channel(consenting):
    customer = services.record_do_not_contact(customer=consenting, source="agent", note="Asked firmly on the phone")
    assert not any(customer.may_be_contacted_by(channel) for channel in ("phone", "sms", "email"))
    assert customer.do_not_contact_source == "agent"


def test_without_consent_nobody_is_contacted(customer):
    assert not customer.may_be_contacted_by("sms")


def test_an_unknown_source_or_channel_writes_nothing(consenting):
    with pytest.raises(ValueError, match="unknown evidence source"):
        services.record_opt_out(customer=consenting, source="rumour")
    with pytest.raises(ValueError, match="unknown channels"):
        services.record_opt_out(customer=consenting, channels=("fax",), source="link")
    consenting.refresh_from_db()
    assert consenting.sms_opt_out_at is None
    assert consenting.consent_records.count() == 1


def test_even_an_administrator_cannot_edit_or_delete_evidence_in_the_admin(client, administrator, consenting):
    record = consenting.consent_records.get()
    client.force_login(administrator)
    change_url = reverse("admin:accounts_consentrecord_change", args=[record.pk])
    assert client.get(change_url).status_code == 200  # readable
    client.post(change_url, {"kind": "opt_out", "source": "admin"})
    assert client.post(reverse("admin:accounts_consentrecord_delete", args=[record.pk])).status_code == 403
    record.refresh_from_db()
    assert record.kind == "consent"
