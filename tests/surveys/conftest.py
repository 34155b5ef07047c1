import json

import pytest

from tests.smtp_sink import SmtpSink


class Outbox:
    """The SMS the file backend "sent", one JSON object per line."""

    def __init__(self, path):
        self.path = path

    def lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms-outbox.jsonl")
    return Outbox(tmp_path / "sms-outbox.jsonl")


@pytest.fixture
def sink(settings):
    """A real SMTP server (aiosmtpd) on a free port, with Django's SMTP backend pointed at it."""
    with SmtpSink() as running:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = running.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "回访 <followup@bank.example>"
        yield running
