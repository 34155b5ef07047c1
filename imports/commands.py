"""What `manage.py import_customers` and `import_events` share: the same job and run as the manager page."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from imports import services
from imports.mapping import parse_map_options
from imports.models import ImportJob
from imports.reading import ImportFileError


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument("--all-or-nothing", action="store_true", help="Import nothing if any row is bad.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Map a column to a field (overrides the guess from the header); COLUMN= ignores the column.",
        )

    def handle(self, *args, file: Path, dry_run: bool, all_or_nothing: bool, map: list[str], **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            overrides = parse_map_options(map)
        except ValueError as error:
            raise CommandError(f"--map {error}: write COLUMN=FIELD") from None
        try:
            with file.open("rb") as source:
                job = services.store_upload(
                    file=source, name=file.name, size=file.stat().st_size, kind=self.kind, by=None
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        mapping = {**job.mapping, **overrides}
        try:
            job = services.prepare_import(job=job, mapping=mapping, dry_run=dry_run, all_or_nothing=all_or_nothing)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write("Columns: " + ", ".join(f"{column} → {field}" for column, field in job.mapping.items()))
        job = services.run_import(job_id=job.pk)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error)
        verb = "would be" if job.dry_run else "were"
        if job.all_or_nothing and job.error_rows and not job.dry_run:
            self.stdout.write("Nothing was imported: some rows are bad and --all-or-nothing was given.")
        self.stdout.write(
            f"Rows: {job.total_rows // (2 if job.all_or_nothing and not job.dry_run else 1)}; "
            f"{job.created_count} {verb} created, {job.updated_count} updated, {job.unchanged_count} unchanged; "
            f"{job.error_rows} rows with errors; {job.decisions} consent decisions recorded."
        )
        report = services.report_path(job)
        if job.error_rows and report:
            self.stdout.write(f"Error report: {report}")
