import json

import pytest


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
