"""A customer's request handled from their page in the Django admin: Adam (an administrator) downloads Wang
Fang's data and erases her. Alice (an agent) and Maggie (a manager) may do neither; nobody deletes a customer."""

import json

import pytest
from django.urls import reverse

from accounts.models import Customer
from privacy import rules
from surveys.models import ContactAttempt
from tests import factories
from tests.privacy.story import two_customers

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(campaign, agent):
    return two_customers(campaign, agent)


def export_url(customer):
    return reverse("admin:accounts_customer_export", args=[customer.pk])


def erase_url(customer):
    return reverse("admin:accounts_customer_erase", args=[customer.pk])


def test_the_customers_page_offers_export_and_erasure_to_an_administrator(client, administrator, stories):
    wang, _li = stories
    client.force_login(administrator)
    page = client.get(reverse("admin:accounts_customer_change", args=[wang.customer.pk])).content.decode()
    assert export_url(wang.customer) in page and erase_url(wang.customer) in page


def test_each_page_says_what_will_happen_before_anything_does(client, administrator, stories):
    wang, _li = stories
    client.force_login(administrator)
    export = client.get(export_url(wang.customer), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    erase = client.get(erase_url(wang.customer), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Survey link tokens and verification codes are not included" in export
    assert "cannot be undone" in erase and "do-not-contact list" in erase
    assert Customer.objects.get(pk=wang.customer.pk).name == "王芳"


def test_the_export_holds_her_data_and_no_token_material_and_nothing_of_li_lei(client, administrator, stories):
    wang, li = stories
    client.force_login(administrator)

    download = client.post(export_url(wang.customer))

    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/json")
    assert download["Content-Disposition"].startswith(f'attachment; filename="customer-{wang.customer.pk}-')
    raw = download.content.decode()
    data = json.loads(raw)
    assert data["customer"]["name"] == "王芳" and data["customer"]["phone"] == "+8613800138000"
    assert [r["kind"] for r in data["consent_records"]] == ["consent", "opt_out"]
    assert data["wallet_events"][0]["details"]["merchant"].startswith("面馆-")
    assert {f["id"] for f in data["follow_ups"]} == {wang.response.follow_up_id, wang.open_follow_up.pk}
    assert len(data["contact_attempts"]) == 3
    assert "王芳 prefers evenings" in [a["notes"] for a in data["contact_attempts"]]
    answers = {a["question"]: a for a in data["responses"][0]["answers"]}
    assert answers["nps"]["number"] == 10 and "盗刷" in answers["comments"]["text"]
    assert data["cases"] and data["cases"][0]["resolution_notes"].startswith("Spoke to 王芳")
    assert data["labels"]["customer"]["fields"]["phone"] == {"zh-hans": "电话", "en": "phone"}
    for secret in (wang.token_hash, wang.token, "K7M2QP", "link_token_hash", "verification_code"):
        assert secret not in raw
    for other in (li.customer.name, li.customer.phone, li.customer.bank_reference, li.event_reference):
        assert other not in raw


def test_the_erasure_from_the_admin_erases_and_goes_back_to_the_customer(client, administrator, stories):
    wang, _li = stories
    client.force_login(administrator)

    done = client.post(erase_url(wang.customer), HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert done.redirect_chain[-1][0] == reverse("admin:accounts_customer_change", args=[wang.customer.pk])
    assert "personal data was erased: 1 open follow-ups cancelled" in done.content.decode()
    assert rules.is_erased(Customer.objects.get(pk=wang.customer.pk).bank_reference)
    again = client.post(erase_url(wang.customer), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "already been erased" in again.content.decode()


@pytest.mark.parametrize("persona", ["agent", "manager"])
def test_agents_and_managers_may_neither_export_nor_erase(client, persona, stories, request):
    wang, _li = stories
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for url in (export_url(wang.customer), erase_url(wang.customer)):
        refused = client.post(url)  # like every admin page: the admin's sign-in
        assert refused.status_code == 302 and refused["Location"].startswith(reverse("admin:login"))

    user.is_staff = True  # even let into the admin, they may not
    user.save()
    for url in (export_url(wang.customer), erase_url(wang.customer)):
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
    assert Customer.objects.get(pk=wang.customer.pk).name == "王芳"
    assert ContactAttempt.objects.filter(link_token_hash=wang.token_hash).exists()


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_admins_sign_in(client, stories):
    wang, _li = stories
    for url in (export_url(wang.customer), erase_url(wang.customer)):
        page = client.post(url)
        assert page.status_code == 302 and page["Location"].startswith(reverse("admin:login"))
    assert Customer.objects.get(pk=wang.customer.pk).name == "王芳"


def test_nobody_deletes_a_customer_in_the_admin_not_even_an_administrator(client, administrator):
    customer = factories.CustomerFactory()
    client.force_login(administrator)
    assert (
        client.post(reverse("admin:accounts_customer_delete", args=[customer.pk]), {"post": "yes"}).status_code == 403
    )
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_an_export_and_an_erasure_each_leave_one_audit_entry_that_names_nobody(client, administrator, stories):
    from audit.models import AuditEntry

    wang, _li = stories
    client.force_login(administrator)
    client.post(export_url(wang.customer), REMOTE_ADDR="10.1.2.3")
    client.post(erase_url(wang.customer), REMOTE_ADDR="10.1.2.3")

    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORTED)
    erased = AuditEntry.objects.get(action=AuditEntry.Action.CUSTOMER_ERASED)
    assert (exported.actor, exported.ip_address, exported.target_id) == (
        administrator,
        "10.1.2.3",
        str(wang.customer.pk),
    )
    assert exported.details["rows"]["consent_records"] == 2
    assert (erased.actor, erased.ip_address, erased.target_id) == (administrator, "10.1.2.3", str(wang.customer.pk))
    assert erased.details["follow_ups_cancelled"] >= 0 and "王" not in erased.target_label
    assert erased.details["placeholder"] == Customer.objects.get(pk=wang.customer.pk).bank_reference
