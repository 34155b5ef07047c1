"""Writes for file imports: store an upload, set its mapping and mode, run it (as a Celery task or a command).

Running an import:
1. claim the job (queued → running with a conditional update; someone else's claim wins and we stop);
2. estimate the rows from the file's line breaks, so progress can be shown (the pass counts them exactly);
3. read the file in chunks; each row is cleaned (accounts.customer_intake / imports.event_rows), checked
   against the rows before it (a bank reference twice), and the chunk's valid rows are written in one
   transaction — customers upserted by bank reference, events through surveys.services.receive_wallet_event
   (idempotent on the event reference, so the same file twice changes nothing);
4. every bad cell goes to the error report (row, column, value, reason) as it is found.

Modes: by default valid rows are imported and bad ones reported. A dry run writes each chunk inside a
transaction it rolls back, so its counts are what an import would do and nothing stays. All-or-nothing
first makes that dry pass over the whole file and, only if no row is bad, imports the file in one
transaction.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.customer_intake import FieldError, clean_customer, upsert_customers
from accounts.models import Customer, EvidenceSource, User
from imports.event_rows import clean_event
from imports.mapping import guess_mapping, mapping_problems
from imports.models import ImportJob
from imports.reading import ImportFileError, Row, Table, check_size, file_format
from wallet_followup.spreadsheets import without_formula

CHUNK_ROWS = 5000  # a chunk is one transaction and a few statements; 5,000 rows hold a few MB
SAMPLE_ERRORS = 20


def import_dir() -> Path:
    folder = Path(settings.IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(*, file: IO[bytes], name: str, size: int, kind: str, by: User | None) -> ImportJob:
    """Keep the uploaded file and read its header; ImportFileError (and nothing kept) when it is no table."""
    if kind not in ImportJob.Kind.values:
        raise ValueError(f"unknown import kind {kind!r}")
    check_size(size)
    fmt = file_format(name)
    stored_name = f"{uuid.uuid4().hex}.{fmt}"
    path = import_dir() / stored_name
    with path.open("wb") as target:
        shutil.copyfileobj(file, target, 1 << 20)
    try:
        # The size again: a client may have understated it.
        check_size(path.stat().st_size)
        table = Table(path, fmt)
    except ImportFileError:
        path.unlink(missing_ok=True)
        raise
    return ImportJob.objects.create(
        kind=kind,
        original_name=Path(name).name[:255],
        stored_name=stored_name,
        size=path.stat().st_size,
        file_format=fmt,
        encoding=table.encoding,
        headers=table.headers,
        mapping=guess_mapping(table.headers, kind),
        created_by=by,
    )


def upload_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / job.stored_name


def report_path(job: ImportJob) -> Path | None:
    return Path(settings.IMPORT_DIR) / job.report_name if job.report_name else None


def preview(job: ImportJob, rows: int = 5) -> list[list[str]]:
    return Table(upload_path(job), job.file_format, job.encoding).preview(rows)


def prepare_import(*, job: ImportJob, mapping: dict[str, str], dry_run: bool, all_or_nothing: bool) -> ImportJob:
    """Set the mapping and mode and queue the job; ValidationError when the mapping cannot work.

    A job may be queued once from "uploaded", or again after a dry run (to import for real).
    """
    mapping = {column: field_name for column, field_name in mapping.items() if field_name}
    problems = mapping_problems(mapping, job.headers, job.kind)
    if problems:
        raise ValidationError(problems)
    if not upload_path(job).exists():
        raise ValidationError(_("The uploaded file is no longer kept; upload it again."))
    # Uploaded, or a finished dry run; a conditional update, so a double submit queues it once.
    startable = ImportJob.objects.filter(
        Q(status=ImportJob.Status.UPLOADED) | Q(status=ImportJob.Status.DONE, dry_run=True), pk=job.pk
    )
    fields = {
        "mapping": mapping,
        "dry_run": dry_run,
        "all_or_nothing": all_or_nothing,
        "status": ImportJob.Status.QUEUED,
        "total_rows": 0,
        "processed_rows": 0,
        "created_count": 0,
        "updated_count": 0,
        "unchanged_count": 0,
        "error_rows": 0,
        "decisions": 0,
        "error": "",
        "error_sample": [],
        "started_at": None,
        "finished_at": None,
    }
    if startable.update(**fields) != 1:
        raise ValidationError(_("This import has already been started."))
    job.refresh_from_db()
    return job


def start_import(*, job: ImportJob, mapping: dict[str, str], dry_run: bool, all_or_nothing: bool) -> ImportJob:
    """prepare_import, then the Celery task runs it once the transaction commits."""
    from imports import tasks

    job = prepare_import(job=job, mapping=mapping, dry_run=dry_run, all_or_nothing=all_or_nothing)
    transaction.on_commit(lambda: tasks.run_import.delay(job.pk))
    return job


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    decisions: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.decisions += other.decisions


class _Rollback(Exception):
    pass


class ErrorReport:
    """The row errors, written to a CSV file (UTF-8 with BOM for Excel) as they are found."""

    def __init__(self, path: Path):
        self.path = path
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow([_("Row"), _("Column"), _("Value"), _("Reason")])
        self.rows_with_errors: set[int] = set()
        self.sample: list[list] = []

        self.pending: list[list] = []

    def add(self, row: int, column: str, value: str, reason: str) -> None:
        self.rows_with_errors.add(row)
        self.pending.append([row, column, value, reason])

    def flush(self) -> None:
        """Write a chunk's errors in row order (a row's later checks may come after the next row's first)."""
        self.pending.sort(key=lambda error: error[0])
        for row, column, value, reason in self.pending:
            self.writer.writerow([row, without_formula(column), without_formula(value), reason])
            if len(self.sample) < SAMPLE_ERRORS:
                self.sample.append([row, column, value, reason])
        self.pending = []

    def close(self) -> None:
        self.file.close()


@dataclass
class _Pass:
    """What one pass over the file carries from chunk to chunk."""

    job: ImportJob
    table: Table
    report: ErrorReport
    now: datetime
    seen: dict[str, int] = field(default_factory=dict)  # bank reference → first row holding it
    counts: Counts = field(default_factory=Counts)

    @property
    def columns(self) -> dict[str, int]:
        return {field_name: self.table.headers.index(column) for column, field_name in self.job.mapping.items()}


def run_import(*, job_id: int, now: datetime | None = None) -> ImportJob | None:
    """Run a queued import (see the module's docstring); None when someone else claimed it."""
    now = now or timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=now
    )
    if claimed != 1:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    language = job.created_by.language if job.created_by else settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            _run(job, now)
        except ImportFileError as error:
            _finish(job, status=ImportJob.Status.FAILED, error=str(error))
        except Exception:
            _finish(job, status=ImportJob.Status.FAILED, error=_("The import stopped on an unexpected error."))
            raise
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, **fields) -> None:
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)


def _run(job: ImportJob, now: datetime) -> None:
    table = Table(upload_path(job), job.file_format, job.encoding)
    passes = 2 if job.all_or_nothing and not job.dry_run else 1
    # For the progress bar until the first pass has counted the rows; exact once the import is done.
    ImportJob.objects.filter(pk=job.pk).update(total_rows=table.estimate_rows() * passes)
    job.report_name = f"{Path(job.stored_name).stem}-errors.csv"
    report = ErrorReport(Path(settings.IMPORT_DIR) / job.report_name)
    try:
        check = _Pass(job, table, report, now)
        total = _read(check, dry=job.dry_run or job.all_or_nothing, offset=0)
        counts = check.counts
        if job.all_or_nothing and not job.dry_run:
            if report.rows_with_errors:
                counts = Counts()  # nothing imported
            else:
                write = _Pass(job, table, report, now)
                with transaction.atomic():
                    _read(write, dry=False, offset=total)
                counts = write.counts
    finally:
        report.close()
    _finish(
        job,
        status=ImportJob.Status.DONE,
        total_rows=total * passes,
        processed_rows=total * passes,
        created_count=counts.created,
        updated_count=counts.updated,
        unchanged_count=counts.unchanged,
        decisions=counts.decisions,
        error_rows=len(report.rows_with_errors),
        error_sample=report.sample,
        report_name=job.report_name,
    )
    if not job.dry_run:
        # The bank's file holds personal data: once imported, only the database and the error report keep it.
        upload_path(job).unlink(missing_ok=True)


def _read(state: _Pass, *, dry: bool, offset: int) -> int:
    """One pass over the file in chunks; how many rows it read."""
    chunk: list[Row] = []
    done = 0
    for row in state.table.rows():
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            _write_chunk(state, chunk, dry=dry)
            done += len(chunk)
            chunk = []
            _progress(state, offset + done)
    if chunk:
        _write_chunk(state, chunk, dry=dry)
    return done + len(chunk)


def _progress(state: _Pass, processed: int) -> None:
    c = state.counts
    ImportJob.objects.filter(pk=state.job.pk).update(
        processed_rows=processed,
        created_count=c.created,
        updated_count=c.updated,
        unchanged_count=c.unchanged,
        error_rows=len(state.report.rows_with_errors),
    )


def _write_chunk(state: _Pass, rows: list[Row], *, dry: bool) -> None:
    valid = _clean_chunk(state, rows)
    try:
        with transaction.atomic():
            if state.job.kind == ImportJob.Kind.CUSTOMERS:
                counts = _write_customers(state, valid)
            else:
                counts = _write_events(state, valid)
            if dry:
                raise _Rollback
    except _Rollback:
        pass
    state.counts.add(counts)
    state.report.flush()


def _clean_chunk(state: _Pass, rows: list[Row]) -> list[tuple[int, dict]]:
    columns = state.columns
    fields, indexes = tuple(columns), tuple(columns.values())
    header_of = {field_name: column for column, field_name in state.job.mapping.items()}
    width = len(state.table.headers)
    clean = clean_customer if state.job.kind == ImportJob.Kind.CUSTOMERS else clean_event
    valid = []
    for row in rows:
        if row.width > width:
            state.report.add(
                row.number, "", "", _("This row has %(cells)s cells; the header has %(columns)s.")
                % {"cells": row.width, "columns": width}
            )  # fmt: skip
            continue
        cells = row.cells
        values = dict(zip(fields, [cells[index] for index in indexes], strict=True))
        cleaned, errors = clean(values)
        _report(state, row.number, errors, header_of)
        if errors:
            continue
        reference = cleaned["bank_reference"]
        first = state.seen.get(reference)
        if first is not None:
            state.report.add(
                row.number, header_of["bank_reference"], reference,
                _("The same reference is already in row %(row)s.") % {"row": first},
            )  # fmt: skip
            continue
        state.seen[reference] = row.number
        valid.append((row.number, cleaned))
    return valid


def _report(state: _Pass, number: int, errors: Iterable[FieldError], header_of: dict[str, str]) -> None:
    for error in errors:
        state.report.add(number, header_of.get(error.field, error.field), error.value, error.reason)


def _reference(job: ImportJob) -> str:
    return f"import {job.pk}: {job.original_name}"[:200]


def _write_customers(state: _Pass, valid: list[tuple[int, dict]]) -> Counts:
    result = upsert_customers(
        [cleaned for _number, cleaned in valid],
        source=EvidenceSource.IMPORT,
        by=state.job.created_by,
        now=state.now,
        reference=_reference(state.job),
        chunk_size=CHUNK_ROWS,
    )
    return Counts(result.created, result.updated, result.unchanged, result.decisions)


def _write_events(state: _Pass, valid: list[tuple[int, dict]]) -> Counts:
    from surveys.services import receive_wallet_event

    references = {cleaned["customer_reference"] for _number, cleaned in valid}
    customers = Customer.objects.in_bulk(list(references), field_name="bank_reference")
    header_of = {field_name: column for column, field_name in state.job.mapping.items()}
    counts = Counts()
    for number, cleaned in valid:
        customer = customers.get(cleaned["customer_reference"])
        if customer is None:
            state.report.add(
                number, header_of["customer_reference"], cleaned["customer_reference"],
                _("No customer has this bank reference; import the customers first."),
            )  # fmt: skip
            continue
        _event, created = receive_wallet_event(
            customer_reference=customer.bank_reference,
            bank_reference=cleaned["bank_reference"],
            kind=cleaned["kind"],
            occurred_at=cleaned["occurred_at"],
            access_channel=cleaned.get("access_channel", ""),
            details={"import": _reference(state.job)},
        )
        if created:
            counts.created += 1
        else:
            counts.unchanged += 1
    return counts
