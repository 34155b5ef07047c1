"""Every consent and opt-out decision leaves an audit entry in its own transaction, wherever it came from:
the customer's link, an agent, the bank's API or a file import (one entry per customer, in one INSERT)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import ConsentRecord, EvidenceSource
from accounts.services import Decision, Kind
from audit.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def consent_entries():
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.CONSENT_CHANGED).order_by("id"))


def test_a_customer_opting_out_by_link_is_recorded_with_no_staff_actor(customer):
    services.record_opt_out(customer=customer, channels=("sms",), source=EvidenceSource.LINK, reference="msg 17")

    [entry] = consent_entries()
    assert entry.actor is None and entry.target_id == str(customer.pk)
    assert entry.details == {
        "decisions": [{"kind": "opt_out", "channels": ["sms"]}],
        "source": "link",
        "reference": "msg 17",
    }
    assert "王芳" not in entry.target_label  # the label is masked


def test_an_agent_marking_do_not_contact_is_recorded_as_theirs(customer, agent):
    services.record_do_not_contact(customer=customer, source=EvidenceSource.AGENT, by=agent)

    [entry] = consent_entries()
    assert entry.actor == agent
    assert entry.details["decisions"] == [{"kind": "do_not_contact", "channels": []}]


def test_a_batch_gives_one_entry_per_customer_written_in_one_insert(agent):
    wang, li = factories.CustomerFactory(), factories.CustomerFactory()
    decisions = [
        Decision(customer_id=wang.pk, kind=Kind.OPT_OUT, channels=("sms",)),
        Decision(customer_id=li.pk, kind=Kind.OPT_OUT, channels=("email",)),
        Decision(customer_id=wang.pk, kind=Kind.OPT_OUT, channels=("email",)),
    ]
    with CaptureQueriesContext(connection) as queries:
        services.record_decisions(decisions=decisions, source=EvidenceSource.IMPORT, by=agent, reference="import 9")

    entries = {entry.target_id: entry for entry in consent_entries()}
    assert set(entries) == {str(wang.pk), str(li.pk)}
    assert [d["channels"] for d in entries[str(wang.pk)].details["decisions"]] == [["sms"], ["email"]]
    assert entries[str(li.pk)].details["source"] == "import"
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditentry"')]
    assert len(inserts) == 1


def test_a_refused_batch_leaves_neither_evidence_nor_entry(customer):
    with pytest.raises(ValueError, match="unknown channels"):
        services.record_opt_out(customer=customer, channels=("pigeon",), source=EvidenceSource.LINK)
    assert not consent_entries() and not ConsentRecord.objects.exists()
