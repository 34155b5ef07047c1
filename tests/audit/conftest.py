import pytest
from django.test import Client

from audit.models import AuditEntry

OFFICE_IP = "203.0.113.7"


@pytest.fixture
def client():
    """A browser at the bank's office address, in English."""
    return Client(REMOTE_ADDR=OFFICE_IP, HTTP_USER_AGENT="Firefox/140 (office)", HTTP_ACCEPT_LANGUAGE="en")


def entries(action: AuditEntry.Action) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))
