"""A real SMTP server that appends every accepted message (Message-ID, recipients, time) to a JSONL file.

python bench/smtp_jsonl.py ADDRESS PORT FILE        # runs until SIGTERM
"""

from __future__ import annotations

import email
import email.policy
import json
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class _Recorder:
    def __init__(self, path: str) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the server's life
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        line = json.dumps({"message_id": message["Message-ID"], "to": envelope.rcpt_tos, "at": time.time()})
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()
        return "250 Message accepted for delivery"


def main() -> None:
    address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    controller = Controller(_Recorder(path), hostname=address, port=port, ready_timeout=10)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
