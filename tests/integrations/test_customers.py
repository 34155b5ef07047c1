"""PUT /api/v1/customers/{bank_reference}/: create or update, checked like an imported row."""

import pytest

from accounts.models import ConsentRecord, Customer, EvidenceSource
from tests import factories

pytestmark = pytest.mark.django_db


def url(reference):
    return f"/api/v1/customers/{reference}/"


def test_a_new_customer_is_created_with_normalised_values_and_answers_201(api):
    response = api.put(
        url("C-100"),
        {"name": "李雷", "phone": "138 0013 8000", "language": "中文", "time_zone": "Asia/Shanghai", "consent": True},
        format="json",
    )
    assert response.status_code == 201
    customer = Customer.objects.get(bank_reference="C-100")
    assert (customer.name, customer.phone, customer.language) == ("李雷", "+8613800138000", "zh-hans")
    assert response.json()["phone"] == "+8613800138000"
    assert response.json()["consent_given_at"] is not None
    consent = ConsentRecord.objects.get(customer=customer)
    assert (consent.kind, consent.source) == (ConsentRecord.Kind.CONSENT, EvidenceSource.API)
    assert "core-banking" in consent.reference


def test_an_existing_customer_is_updated_with_200_and_fields_left_out_stay_as_they_were(api, customer):
    response = api.put(url(customer.bank_reference), {"app_version": "9.0.0"}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.app_version, customer.name, customer.phone) == ("9.0.0", "王芳", "+8613800138000")


def test_sending_the_same_customer_again_writes_nothing(api, customer):
    api.put(url(customer.bank_reference), {"segment": "gold"}, format="json")
    customer.refresh_from_db()
    stamp = customer.updated_at

    response = api.put(url(customer.bank_reference), {"segment": "gold"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.updated_at == stamp


def test_a_new_customer_without_a_name_is_a_400_naming_the_field(api):
    response = api.put(url("C-101"), {"phone": "+8613800138000"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert not Customer.objects.filter(bank_reference="C-101").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("email", "not-an-address"),
        ("time_zone", "Mars/Olympus"),
        ("language", "klingon"),
        ("device_os", "windows-phone"),
        ("enrolled_on", "the day before"),
        ("consent", "perhaps"),
        ("name", ["a", "list"]),
    ],
)
def test_bad_values_are_400s_naming_the_field_and_change_nothing(api, customer, field, value):
    response = api.put(url(customer.bank_reference), {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Customer.objects.get(pk=customer.pk).updated_at == customer.updated_at


def test_a_reference_too_long_for_the_bank_is_not_found(api):
    assert api.put(url("X" * 65), {"name": "Too long"}, format="json").status_code == 404


def test_the_customer_echoed_back_is_the_stored_one(api):
    factories.CustomerFactory(bank_reference="C-102", segment="silver")
    response = api.put(url("C-102"), {"wallet_product": "Wallet Plus"}, format="json")
    assert response.json()["segment"] == "silver"
    assert response.json()["wallet_product"] == "Wallet Plus"
