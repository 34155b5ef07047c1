"""POST /api/v1/customers/{bank_reference}/opt-outs/: recorded as evidence from the bank's API."""

import pytest

from accounts.models import ConsentRecord, EvidenceSource

pytestmark = pytest.mark.django_db


def url(customer):
    return f"/api/v1/customers/{customer.bank_reference}/opt-outs/"


def test_without_channels_the_customer_opts_out_of_every_channel(api, customer):
    response = api.post(url(customer), {}, format="json")
    assert response.status_code == 201
    customer.refresh_from_db()
    assert all(customer.opt_out_at(channel) is not None for channel in ("phone", "sms", "email"))
    assert response.json()["sms_opt_out_at"] is not None
    records = ConsentRecord.objects.filter(customer=customer)
    assert {record.channel for record in records} == {"phone", "sms", "email"}
    assert {(record.kind, record.source) for record in records} == {(ConsentRecord.Kind.OPT_OUT, EvidenceSource.API)}


def test_named_channels_opt_out_of_those_only(api, customer):
    response = api.post(url(customer), {"channels": ["sms", "email"]}, format="json")
    assert response.status_code == 201
    customer.refresh_from_db()
    assert customer.phone_opt_out_at is None
    assert customer.sms_opt_out_at is not None and customer.email_opt_out_at is not None
    assert response.json()["phone_opt_out_at"] is None


def test_do_not_contact_is_recorded_with_the_api_as_source(api, customer):
    response = api.post(url(customer), {"channels": ["phone"], "do_not_contact": True}, format="json")
    assert response.status_code == 201
    customer.refresh_from_db()
    assert customer.do_not_contact_at is not None
    assert customer.do_not_contact_source == EvidenceSource.API
    assert ConsentRecord.objects.filter(customer=customer, kind=ConsentRecord.Kind.DO_NOT_CONTACT).count() == 1
    assert not customer.may_be_contacted_by("sms")


@pytest.mark.parametrize("body", [{"channels": ["pigeon"]}, {"channels": []}, {"channels": "sms"}])
def test_bad_channels_are_a_400_naming_the_field_and_record_nothing(api, customer, body):
    response = api.post(url(customer), body, format="json")
    assert response.status_code == 400
    assert "channels" in response.json()
    assert not ConsentRecord.objects.filter(customer=customer).exists()


def test_an_unknown_customer_is_a_404(api, db):
    response = api.post("/api/v1/customers/NOBODY/opt-outs/", {}, format="json")
    assert response.status_code == 404


def test_the_evidence_names_the_integration_and_the_request_it_came_in(api, customer):
    api.post(url(customer), {"channels": ["sms"]}, format="json", HTTP_X_REQUEST_ID="crm-7f3a")
    record = ConsentRecord.objects.get(customer=customer)
    assert record.reference == "API core-banking · crm-7f3a"
