"""The managers' import pages: upload, map with a preview, run as a task, follow progress, download the report."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Customer
from imports import services
from imports.models import ImportJob

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def queued(monkeypatch):
    from imports import tasks

    sent = []
    monkeypatch.setattr(tasks.run_import, "delay", sent.append)
    return sent


def english(client, user):
    user.language = "en"
    user.save()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def upload(client, name: str, kind: str = "customers"):
    data = SimpleUploadedFile(name, (DATA / name).read_bytes())
    return client.post(reverse("imports:home"), {"kind": kind, "file": data}, HTTP_ACCEPT_LANGUAGE="en")


def test_agents_cannot_open_the_import_pages(client, agent, manager):
    client.force_login(manager)
    upload(client, "customers-utf8.csv")
    job = ImportJob.objects.get()
    client.force_login(agent)
    for url in (
        reverse("imports:home"),
        reverse("imports:mapping", args=[job.pk]),
        reverse("imports:detail", args=[job.pk]),
        reverse("imports:progress", args=[job.pk]),
        reverse("imports:report", args=[job.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert upload(client, "customers-utf8.csv").status_code == 403
    assert ImportJob.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("imports:home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_managers_see_the_link_in_the_navigation_and_agents_do_not(client, agent, manager):
    client.force_login(manager)
    assert reverse("imports:home") in client.get(reverse("home"), follow=True).content.decode()
    client.force_login(agent)
    assert reverse("imports:home") not in client.get(reverse("home"), follow=True).content.decode()


def test_a_manager_uploads_maps_with_a_preview_and_the_task_imports(
    client, manager, queued, django_capture_on_commit_callbacks
):
    english(client, manager)
    response = upload(client, "customers-gb18030.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:mapping", args=[job.pk])

    page = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    assert "C2002" in page and "李娜" in page  # the preview, decoded from GB18030
    assert '<option value="bank_reference" selected>' in page  # 客户号 guessed

    form = {f"column_{i}": job.mapping.get(header, "") for i, header in enumerate(job.headers)}
    form["column_6"] = ""  # ignore the SMS opt-out column
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:mapping", args=[job.pk]), form)
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    assert queued == [job.pk]

    polling = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in polling and "Queued" in polling

    services.run_import(job_id=job.pk)
    assert Customer.objects.count() == 2 and not Customer.objects.filter(sms_opt_out_at__isnull=False).exists()
    progress = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-percent="100"' in page and 'data-count="created">2<' in page
    assert "every 2s" not in page


def test_a_file_that_is_not_a_table_gets_one_error_on_the_upload_form(client, manager):
    english(client, manager)
    response = upload(client, "not-a-table.csv")
    assert response.status_code == 200
    assert "This file is not a table: it holds binary data, not text." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_without_the_required_fields_is_refused_on_the_page(client, manager, queued):
    english(client, manager)
    upload(client, "customers-utf8.csv")
    job = ImportJob.objects.get()
    response = client.post(reverse("imports:mapping", args=[job.pk]), {"column_0": "", "column_1": "name"})
    assert response.status_code == 200
    assert "No column holds the required fields: Bank reference." in response.content.decode()
    assert queued == [] and ImportJob.objects.get().status == "uploaded"


def test_the_error_report_downloads_with_neutralised_values(client, manager, queued):
    english(client, manager)
    upload(client, "customers-formulas.csv")
    job = ImportJob.objects.get()
    client.post(
        reverse("imports:mapping", args=[job.pk]),
        {"column_0": "bank_reference", "column_1": "name", "column_2": "language", "dry_run": "on"},
    )
    services.run_import(job_id=job.pk)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Dry run" in page and "Download the error report" in page

    response = client.get(reverse("imports:report", args=[job.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'+gold" in text and "'=1+1" in text
    assert not Customer.objects.exists()
