"""`manage.py seed_demo`: fill a development database with a realistic, repeatable demo."""

from __future__ import annotations

import io
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.demo_data import DEMO_PASSWORD, DEMO_STAFF, DemoDataError, seed_demo
from ops.demo_links import demo_survey_links
from ops.demo_second_factor import DEMO_TOTP_KEY

LABELS = {
    "staff_users": "staff users",
    "demo_authenticators": "demo authenticator keys",
    "customers": "customers",
    "wallet_events": "wallet events",
    "surveys": "surveys",
    "questions": "questions",
    "choices": "choices",
    "campaigns": "campaigns",
    "follow_ups": "follow-ups",
    "contact_attempts": "contact attempts",
    "responses": "responses",
    "answers": "answers",
    "cases": "cases",
}


class Command(BaseCommand):
    help = (
        "Create demo staff logins, wallet customers and events, a published survey and two running campaigns "
        "with follow-ups in every state. Running it again creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=3000, help="How many demo customers (default 3000).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo users have a published password: never use this in production.",
        )

    def handle(self, *args, customers: int, force: bool, **options) -> None:
        # The demo logins share a password printed below, so only a development site may get them.
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with a known password; it runs only with DEBUG=1 or --force.")
        if customers < 0:
            raise CommandError("--customers must be 0 or more.")

        started = time.monotonic()
        try:
            counts = seed_demo(customers=customers, stdout=self.stdout)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        # The dashboards read rollups (kept by the beat every minute); count the demo data now so they show it
        # at once. A management command, not an import: nothing outside analytics imports it.
        call_command("rebuild_rollups", stdout=io.StringIO())
        elapsed = time.monotonic() - started

        created = [f"{counts[key]} {label}" for key, label in LABELS.items() if counts.get(key)]
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s. Created: {', '.join(created)}."))
        else:
            self.stdout.write(self.style.SUCCESS("The demo data was already there; nothing was created or changed."))

        self.stdout.write("\nOpen http://127.0.0.1:8000/ once the site runs (`make run`; `make demo` does it all).")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD} for all):")
        for staff in DEMO_STAFF:
            self.stdout.write(f"  {staff.username:<8}  {staff.role:<8} → {staff.lands_on}")
        self.stdout.write("A user that already existed under one of these names was left as it was, password included.")
        self.stdout.write(
            f"Second factor: add the key {DEMO_TOTP_KEY} (time-based) to an authenticator app, or run "
            f"`oathtool --totp -b {DEMO_TOTP_KEY}` or `manage.py demo_code`, and type the 6-digit code."
        )
        links = demo_survey_links()
        if links:
            self.stdout.write("Answer a survey as a customer would (no login; each link works for one response):")
            for language, link in links:
                self.stdout.write(f"  {language:<8}  {link}")
