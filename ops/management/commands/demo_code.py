"""`manage.py demo_code`: the demo logins' current second-factor code (DEBUG only)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.demo_second_factor import DEMO_TOTP_KEY, demo_code


class Command(BaseCommand):
    help = "Print the current 6-digit code of the demo logins' authenticator key (only with DEBUG=1)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code runs only with DEBUG=1: production logins have no known key.")
        code, seconds_left = demo_code()
        self.stdout.write(f"{code}  (valid for {seconds_left} more s; key {DEMO_TOTP_KEY})")
