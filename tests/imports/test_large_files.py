"""A real 50 MB bank file imported end to end, and a file just over the real size limit refused.

The 50 MB file is written once per test session from tests/data/imports/customers-seed.csv (40 rows as a
core-banking export writes them, three of them bad): the seed repeated with fresh references until the file
holds 50 MB, so what it should import, and which rows it should report, is known row by row.
"""

import csv
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import ConsentRecord, Customer
from imports.models import ImportJob
from tests.data.imports.make_files import SEED_BAD

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parent.parent / "data" / "imports" / "customers-seed.csv"
FIFTY_MB = 50 * 2**20


@pytest.fixture(scope="session")
def fifty_mb_file(tmp_path_factory) -> tuple[Path, int]:
    """(the file, how many times the seed is in it): reference S007 of copy 12 is S007-00012."""
    header, *rows = SEED.read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("large") / "客户导出-50MB.csv"
    written, copies = 0, 0
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(header + "\n")
        while written < FIFTY_MB:
            block = "".join(f"{row[:4]}-{copies:05d}{row[4:]}\n" for row in rows)
            file.write(block)
            written += len(block.encode())
            copies += 1
    return path, copies


@pytest.fixture(autouse=True)
def in_english(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def import_command(path: Path, capsys) -> tuple[ImportJob, str]:
    call_command("import_customers", str(path))
    return ImportJob.objects.latest("pk"), capsys.readouterr().out


def test_a_50_mb_bank_file_imports_every_good_row_reports_every_bad_one_by_row_and_imports_again_unchanged(
    fifty_mb_file, capsys
):
    path, copies = fifty_mb_file
    assert path.stat().st_size >= FIFTY_MB
    seed_rows = len(SEED.read_text(encoding="utf-8").splitlines()) - 1
    rows, bad = seed_rows * copies, len(SEED_BAD) * copies

    job, output = import_command(path, capsys)

    assert (job.status, job.total_rows, job.created_count, job.updated_count, job.error_rows) == (
        "done", rows, rows - bad, 0, bad,
    )  # fmt: skip
    assert f"Rows: {rows}; {rows - bad} were created, 0 updated, 0 unchanged; {bad} rows with errors" in output
    assert Customer.objects.count() == rows - bad
    # Copy 0's rows are file rows 2–41, copy 1's rows 42–81…: each bad seed row is reported once per copy, there.
    with (Path(django_settings.IMPORT_DIR) / job.report_name).open(encoding="utf-8-sig", newline="") as file:
        reported = list(csv.reader(file))[1:]
    expected_rows = sorted(2 + copy * seed_rows + seed for copy in range(copies) for seed in SEED_BAD)
    assert [int(row) for row, _column, _value, _reason in reported] == expected_rows
    assert reported[:3] == [
        ["9", "手机号", "12345", "Not a valid phone number."],
        ["21", "邮箱", "not-an-address", "Not a valid e-mail address."],
        ["33", "开通日期", "2024-13-45", "Not a date; write it as 2026-03-01."],
    ]
    s011 = Customer.objects.get(bank_reference=f"S011-{copies - 1:05d}")  # the last copy, as the first
    assert s011.do_not_contact_at is not None and s011.sms_opt_out_at is not None
    decisions = ConsentRecord.objects.filter(source="import").count()
    assert decisions == job.decisions == 5 * copies  # S003, S027, S035 opt out of SMS; S011 also asks for no contact

    again, output = import_command(path, capsys)

    assert (again.created_count, again.updated_count, again.unchanged_count, again.error_rows) == (
        0, 0, rows - bad, bad,
    )  # fmt: skip
    assert again.decisions == 0 and ConsentRecord.objects.count() == decisions
    assert Customer.objects.count() == rows - bad


def test_a_file_just_over_the_default_limit_is_refused_with_one_error_and_nothing_written(tmp_path, settings):
    assert settings.IMPORT_MAX_BYTES == 100 * 2**20  # the production default, not a test's own
    path = tmp_path / "客户导出-太大.csv"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    with path.open("r+b") as file:
        file.truncate(settings.IMPORT_MAX_BYTES + 1)  # sparse: one byte over, without writing 100 MB

    with pytest.raises(CommandError) as refused:
        call_command("import_customers", str(path))

    # One byte over reads "100.0 MB" both ways; then the sizes are given in bytes.
    assert str(refused.value) == "The file is 104857601 bytes; the largest file accepted is 104857600 bytes."
    assert not ImportJob.objects.exists() and not Customer.objects.exists()
    assert not Path(settings.IMPORT_DIR).exists() or not any(Path(settings.IMPORT_DIR).iterdir())
