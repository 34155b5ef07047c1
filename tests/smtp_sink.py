"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, in a background thread.

It keeps every message it accepts (parsed, with headers), and can be told to answer RCPT TO or DATA
with an error instead, to exercise what the sender does with a 4xx (try again later) or a 5xx (give up).
"""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.sink.rcpt_answer:
            return self.sink.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.sink.data_answer:
            return self.sink.data_answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.sink.messages.append(message)
        self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpSink:
    """``with SmtpSink() as sink:`` … ``sink.port``, ``sink.messages``; set ``rcpt_answer``/``data_answer``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_answer: str | None = None
        self.data_answer: str | None = None
        self.port = _free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()
