"""The managers' import pages: upload, map the columns (with a preview), follow the progress, read the result.

Every job is loaded through ``import_for`` after the permission check.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from accounts.access import staff_page
from audit.models import AuditEntry
from audit.services import record
from imports import queries, services
from imports.forms import MappingForm, UploadForm
from imports.models import ImportJob
from imports.reading import ImportFileError

USE = "imports.add_importjob"


def import_for(pk: int) -> ImportJob:
    """The one way these views load an import (after the view's permission check)."""
    return get_object_or_404(ImportJob, pk=pk)


@staff_page(USE)
def import_home(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.store_upload(
                file=upload, name=upload.name, size=upload.size, kind=form.cleaned_data["kind"], by=request.user
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("imports:mapping", job.pk)
    return render(request, "imports/home.html", {"form": form, "jobs": queries.recent_imports()})


@staff_page(USE)
def import_mapping(request, pk: int):
    job = import_for(pk)
    if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.DONE) or (
        job.status == ImportJob.Status.DONE and not job.dry_run
    ):
        return redirect("imports:detail", job.pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        try:
            services.start_import(
                job=job,
                mapping=form.mapping(),
                dry_run=form.cleaned_data["dry_run"],
                all_or_nothing=form.cleaned_data["all_or_nothing"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            record(
                action=AuditEntry.Action.IMPORT_STARTED,
                actor=request.user,
                target=job,
                details={
                    "kind": job.kind,
                    "dry_run": form.cleaned_data["dry_run"],
                    "all_or_nothing": form.cleaned_data["all_or_nothing"],
                },
            )
            return redirect("imports:detail", job.pk)
    try:
        rows = services.preview(job)
    except (ImportFileError, OSError):
        rows = []
    return render(request, "imports/mapping.html", {"job": job, "form": form, "preview": rows})


@staff_page(USE)
def import_detail(request, pk: int):
    return render(request, "imports/detail.html", {"job": import_for(pk)})


@never_cache
@staff_page(USE)
def import_progress(request, pk: int):
    """The fragment htmx polls every 2 s while the import is queued or running."""
    job = import_for(pk)
    response = render(request, "imports/_progress.html", {"job": job})
    if request.headers.get("HX-Request") and not job.polling:
        response["HX-Refresh"] = "true"
    return response


@staff_page(USE)
def import_report(request, pk: int):
    job = import_for(pk)
    path = services.report_path(job)
    if path is None or not path.exists():
        raise Http404
    filename = f"import-{job.pk}-errors.csv"
    # The report quotes the file's cells, personal data among them.
    record(action=AuditEntry.Action.IMPORT_REPORT_DOWNLOADED, actor=request.user, target=job)
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type="text/csv")
