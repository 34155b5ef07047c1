"""audit.services: what an entry holds when a service records it, and recording in bulk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.context import RequestContext, using
from audit.models import AuditEntry
from audit.services import DETAILS_MAX_CHARS, record, record_many
from tests import factories

pytestmark = pytest.mark.django_db


def test_outside_a_request_an_entry_has_no_address(agent):
    entry = record(action=AuditEntry.Action.EXPORTED, actor=agent)
    assert entry.ip_address is None and entry.user_agent == "" and entry.request_id == ""


def test_a_service_deep_down_records_the_requests_address_without_being_given_it(agent):
    with using(RequestContext(ip_address="198.51.100.4", user_agent="curl/8", request_id="req-1")):
        entry = record(action=AuditEntry.Action.EXPORTED, actor=agent)
    entry.refresh_from_db()
    assert (entry.ip_address, entry.user_agent, entry.request_id) == ("198.51.100.4", "curl/8", "req-1")


def test_details_that_are_too_big_are_refused_naming_the_field(agent):
    with pytest.raises(ValueError, match="details is .* characters long"):
        record(action=AuditEntry.Action.EXPORTED, actor=agent, details={"rows": "x" * DETAILS_MAX_CHARS})
    assert not AuditEntry.objects.exists()


def test_an_unknown_action_is_refused(agent):
    with pytest.raises(ValueError, match="unknown audit action 'peeked'"):
        record(action="peeked", actor=agent)


def test_an_import_records_eighty_consent_decisions_in_one_insert(manager):
    customers = factories.CustomerFactory.create_batch(80)
    with using(RequestContext(ip_address="198.51.100.4")), CaptureQueriesContext(connection) as queries:
        count = record_many(
            action=AuditEntry.Action.CONSENT_CHANGED,
            actor=manager,
            targets=customers,
            details=lambda customer: {"kind": "opt_out", "channels": ["sms"], "source": "import", "n": customer.pk},
        )
    assert count == 80 and len(queries) == 1
    stored = AuditEntry.objects.filter(action=AuditEntry.Action.CONSENT_CHANGED)
    assert stored.count() == 80
    assert set(stored.values_list("target_id", flat=True)) == {str(customer.pk) for customer in customers}
    assert {(e.actor_id, e.ip_address, e.details["n"] == int(e.target_id)) for e in stored} == {
        (manager.pk, "198.51.100.4", True)
    }


def test_recording_nothing_in_bulk_writes_nothing():
    assert record_many(action=AuditEntry.Action.CONSENT_CHANGED, targets=[]) == 0
    assert not AuditEntry.objects.exists()
