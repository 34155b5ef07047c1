from django.core.management.base import BaseCommand, CommandError

from ops import queries


class Command(BaseCommand):
    help = "Check that the database and the Celery broker answer; one line each, non-zero exit on failure."

    def handle(self, *args, **options):
        failures = []
        for check in (queries.check_database(), queries.check_broker()):
            line = f"{check.name}: {'ok' if check.ok else 'UNREACHABLE'} ({check.detail})"
            self.stdout.write(line) if check.ok else failures.append(line)
        if failures:
            raise CommandError("; ".join(failures))
