"""Each audited action writes exactly one entry with who did it, from which address, and to what.

Personas: Alice (agent) calls 王芳; Maggie (manager) exports and imports; Adam (administrator) manages staff.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.masking import mask_reference
from audit.models import AuditEntry
from imports import services as import_services
from imports.models import ImportJob
from surveys.call_scheduling_forms import customer_token
from surveys.models import Case
from tests import factories
from tests.audit.conftest import OFFICE_IP, entries

pytestmark = pytest.mark.django_db

IMPORT_DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


def only_entry(action: AuditEntry.Action, *, actor) -> AuditEntry:
    [entry] = entries(action)
    assert entry.actor == actor and entry.actor_username == actor.username and entry.ip_address == OFFICE_IP
    return entry


def assert_customer(entry: AuditEntry, customer) -> None:
    assert (entry.target_type, entry.target_id) == ("accounts.customer", str(customer.pk))
    # The label names the customer masked: never the full name or reference.
    reference = mask_reference(customer.bank_reference)
    assert entry.target_label == f"customer #{customer.pk} {reference} 王*"


@pytest.fixture
def alices_call(agent, customer):
    return factories.FollowUpFactory(customer=customer, assigned_agent=agent)


def test_revealing_a_phone_number_is_recorded_once(client, agent, customer, alices_call):
    client.force_login(agent)
    response = client.post(reverse("console:reveal", args=[alices_call.pk]))
    assert response.status_code == 200 and "+8613800138000" in response.content.decode()
    entry = only_entry(AuditEntry.Action.PHONE_REVEALED, actor=agent)
    assert_customer(entry, customer)
    assert entry.details == {"follow_up_id": alices_call.pk}


def test_opening_the_call_page_is_a_customer_detail_view(client, agent, customer, alices_call):
    client.force_login(agent)
    assert client.get(reverse("console:call", args=[alices_call.pk])).status_code == 200
    entry = only_entry(AuditEntry.Action.CUSTOMER_VIEWED, actor=agent)
    assert_customer(entry, customer)
    assert entry.details == {"page": "call", "follow_up_id": alices_call.pk}


def test_bobs_call_is_a_404_for_alice_and_records_no_view(client, agent, bob, customer):
    call = factories.FollowUpFactory(customer=customer, assigned_agent=bob)
    client.force_login(agent)
    assert client.get(reverse("console:call", args=[call.pk])).status_code == 404
    assert client.post(reverse("console:reveal", args=[call.pk])).status_code == 404
    assert not entries(AuditEntry.Action.CUSTOMER_VIEWED) and not entries(AuditEntry.Action.PHONE_REVEALED)


def test_opening_a_case_is_a_customer_detail_view(client, agent, customer):
    case = factories.CaseFactory(owner=agent, follow_up__customer=customer)
    client.force_login(agent)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    entry = only_entry(AuditEntry.Action.CUSTOMER_VIEWED, actor=agent)
    assert_customer(entry, customer)
    assert entry.details == {"page": "case", "case_id": case.pk}


def test_opening_the_schedule_page_of_a_customer_is_a_customer_detail_view(client, agent, customer):
    client.force_login(agent)
    assert client.get(reverse("scheduling:schedule", args=[customer_token(customer.pk)])).status_code == 200
    entry = only_entry(AuditEntry.Action.CUSTOMER_VIEWED, actor=agent)
    assert_customer(entry, customer)
    assert entry.details == {"page": "schedule_call"}


def test_opening_the_move_page_of_a_call_is_a_customer_detail_view(client, agent, customer, alices_call):
    client.force_login(agent)
    assert client.get(reverse("scheduling:move", args=[alices_call.pk])).status_code == 200
    entry = only_entry(AuditEntry.Action.CUSTOMER_VIEWED, actor=agent)
    assert_customer(entry, customer)
    assert entry.details == {"page": "move_call", "follow_up_id": alices_call.pk}


def test_opening_a_customer_in_the_admin_is_a_customer_detail_view(client, administrator, customer):
    client.force_login(administrator)
    response = client.get(reverse("admin:accounts_customer_change", args=[customer.pk]))
    assert response.status_code == 200
    entry = only_entry(AuditEntry.Action.CUSTOMER_VIEWED, actor=administrator)
    assert_customer(entry, customer)
    assert entry.details == {"page": "admin"}


def test_resolving_a_case_is_recorded_once_and_a_second_resolution_adds_nothing(client, agent, customer):
    case = factories.CaseFactory(owner=agent, follow_up__customer=customer)
    client.force_login(agent)
    form = {"root_cause": "Card skimmed at a shop", "resolution_code": "REFUNDED", "notes": ""}
    assert client.post(reverse("cases:resolve", args=[case.pk]), form).status_code == 302
    assert client.post(reverse("cases:resolve", args=[case.pk]), form).status_code == 409
    entry = only_entry(AuditEntry.Action.CASE_RESOLVED, actor=agent)
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "surveys.case",
        str(case.pk),
        f"case #{case.pk}",
    )
    assert entry.details == {
        "customer_id": customer.pk,
        "category": Case.Category.SUSPECTED_FRAUD,
        "resolution_code": "REFUNDED",
    }


def test_exporting_the_dashboard_is_recorded_with_the_format_and_filters(client, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:dashboard-export-xlsx"))
    assert response.status_code == 200
    entry = only_entry(AuditEntry.Action.EXPORTED, actor=manager)
    assert entry.details["export"] == "concern_dashboard" and entry.details["format"] == "xlsx"
    assert entry.details["unmasked"] is False and isinstance(entry.details["filters"], dict)


@pytest.fixture
def import_dir(settings, tmp_path, monkeypatch):
    from imports import tasks

    settings.IMPORT_DIR = tmp_path / "imports"
    monkeypatch.setattr(tasks.run_import, "delay", lambda job_id: None)


def test_running_an_import_and_downloading_its_error_report_are_recorded(client, manager, import_dir):
    client.force_login(manager)
    upload = SimpleUploadedFile("customers-formulas.csv", (IMPORT_DATA / "customers-formulas.csv").read_bytes())
    client.post(reverse("imports:home"), {"kind": "customers", "file": upload})
    job = ImportJob.objects.get()
    mapping = {"column_0": "bank_reference", "column_1": "name", "column_2": "language", "dry_run": "on"}
    assert client.post(reverse("imports:mapping", args=[job.pk]), mapping).status_code == 302
    started = only_entry(AuditEntry.Action.IMPORT_STARTED, actor=manager)
    assert (started.target_type, started.target_id) == ("imports.importjob", str(job.pk))
    assert started.details == {"kind": "customers", "dry_run": True, "all_or_nothing": False}

    import_services.run_import(job_id=job.pk)
    response = client.get(reverse("imports:report", args=[job.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    downloaded = only_entry(AuditEntry.Action.IMPORT_REPORT_DOWNLOADED, actor=manager)
    assert downloaded.target_label == f"importjob #{job.pk}"


def user_form(user, **changes) -> dict:
    """The admin's change form for ``user`` as the page posts it, with ``changes``."""
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": list(user.groups.values_list("pk", flat=True)),
        "is_active": "on",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_adam_promoting_alice_to_manager_is_recorded_with_before_and_after(client, administrator, agent):
    client.force_login(administrator)
    manager_group = Group.objects.get(name="manager")
    response = client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        user_form(agent, groups=[manager_group.pk], is_staff="on"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = only_entry(AuditEntry.Action.ROLE_CHANGED, actor=administrator)
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "accounts.user",
        str(agent.pk),
        f"user #{agent.pk} alice",
    )
    assert entry.details == {
        "created": False,
        "changes": {
            "is_staff": {"before": False, "after": True},
            "groups": {"before": ["agent"], "after": ["manager"]},
        },
    }


def test_editing_only_a_name_in_the_admin_records_no_role_change(client, administrator, agent):
    client.force_login(administrator)
    response = client.post(reverse("admin:accounts_user_change", args=[agent.pk]), user_form(agent, last_name="Li"))
    assert response.status_code == 302
    assert not entries(AuditEntry.Action.ROLE_CHANGED)


def test_deactivating_an_account_is_a_role_change(client, administrator, agent):
    client.force_login(administrator)
    client.post(reverse("admin:accounts_user_change", args=[agent.pk]), user_form(agent, is_active=None))
    entry = only_entry(AuditEntry.Action.ROLE_CHANGED, actor=administrator)
    assert entry.details["changes"] == {"is_active": {"before": True, "after": False}}


def test_adam_creating_an_account_records_its_first_access(client, administrator):
    client.force_login(administrator)
    password = "Another-long-passphrase-2026"
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"username": "carol", "password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = only_entry(AuditEntry.Action.ROLE_CHANGED, actor=administrator)
    assert entry.target_label.endswith(" carol") and entry.details["created"] is True
    assert entry.details["changes"]["is_active"] == {"before": None, "after": True}
    assert password not in str(entry.details)
