"""One customer row cleaned field by field; many upserted by bank reference, with decisions as evidence."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.customer_intake import clean_customer, upsert_customers
from accounts.models import ConsentRecord, Customer
from tests import factories

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


def errors_by_field(values, **kwargs):
    _cleaned, errors = clean_customer(values, **kwargs)
    return {error.field: error.reason for error in errors}


def test_a_complete_row_becomes_model_values():
    cleaned, errors = clean_customer(
        {
            "bank_reference": " C1001 ",
            "name": "王芳",
            "phone": "138 0013 8000",
            "email": "wang@example.cn",
            "language": "中文",
            "time_zone": "Asia/Shanghai",
            "preferred_channel": "短信",
            "preferred_time_of_day": "上午",
            "device_os": "鸿蒙",
            "enrolled_on": "2026/3/1",
            "opt_out": "否",
            "do_not_contact": "2026-02-01",
            "consent": "是",
        }
    )
    assert errors == []
    assert cleaned == {
        "bank_reference": "C1001",
        "name": "王芳",
        "phone": "+8613800138000",
        "email": "wang@example.cn",
        "language": "zh-hans",
        "time_zone": "Asia/Shanghai",
        "preferred_channel": "sms",
        "preferred_time_of_day": "morning",
        "device_os": "harmonyos",
        "enrolled_on": date(2026, 3, 1),
        "opt_out": False,
        "do_not_contact": datetime(2026, 2, 1, tzinfo=SHANGHAI),
        "consent": True,
    }


@pytest.mark.parametrize(
    "written",
    ["2026-03-01", "2026/3/1", "20260301", "2026.03.01", "2026年3月1日", "46082", 46082.0, "2026-03-01 00:00:00"],
)
def test_dates_are_read_in_the_usual_formats(written):
    cleaned, errors = clean_customer({"bank_reference": "C1", "name": "A", "enrolled_on": written})
    assert errors == []
    assert cleaned["enrolled_on"] == date(2026, 3, 1)


@pytest.mark.parametrize("written", ["zh", "zh-CN", "中文", "zh-Hans", "Chinese"])
def test_chinese_is_accepted_however_the_bank_writes_it(written):
    assert clean_customer({"bank_reference": "C1", "name": "A", "language": written})[0]["language"] == "zh-hans"


def test_a_foreign_number_keeps_its_country_code():
    assert (
        clean_customer({"bank_reference": "C1", "name": "A", "phone": "+44 20 7946 0958"})[0]["phone"]
        == "+442079460958"
    )


@pytest.mark.parametrize(
    "column, value",
    [
        ("phone", "12345"),
        ("email", "not-an-address"),
        ("language", "klingon"),
        ("time_zone", "Mars/Olympus"),
        ("preferred_channel", "pigeon"),
        ("device_os", "BeOS"),
        ("enrolled_on", "2026-02-30"),
        ("region", "China"),
        ("opt_out", "maybe"),
        ("name", "x" * 201),
    ],
)
def test_a_bad_value_is_reported_on_its_field(column, value):
    cleaned, errors = clean_customer({"bank_reference": "C1", "name": "A", column: value})
    assert [(error.field, error.value) for error in errors] == [(column, value)]
    assert errors[0].reason
    assert column not in cleaned or column == "name"


def test_the_bank_reference_is_always_required_and_the_name_for_a_new_customer():
    assert set(errors_by_field({"phone": "13800138000"})) == {"bank_reference", "name"}
    assert set(errors_by_field({"phone": "13800138000"}, partial=True)) == {"bank_reference"}


def test_blank_values_are_left_out_so_they_change_nothing():
    cleaned, errors = clean_customer({"bank_reference": "C1", "name": "A", "email": "  ", "phone": None})
    assert errors == [] and cleaned == {"bank_reference": "C1", "name": "A"}


def test_formula_like_text_is_kept_as_plain_text():
    cleaned, _errors = clean_customer({"bank_reference": "C1", "name": '=HYPERLINK("http://evil","x")'})
    assert cleaned["name"] == '=HYPERLINK("http://evil","x")'


@pytest.mark.django_db
def test_upserting_creates_then_updates_then_changes_nothing():
    rows = [
        clean_customer({"bank_reference": f"C{i}", "name": f"N{i}", "phone": f"1380013800{i}"})[0] for i in range(3)
    ]
    first = upsert_customers(rows, now=NOW)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)

    rows[1] = {**rows[1], "segment": "gold"}
    second = upsert_customers(rows, now=NOW, chunk_size=2)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 2)
    assert Customer.objects.get(bank_reference="C1").segment == "gold"

    before = row_versions()
    with CaptureQueriesContext(connection) as queries:
        third = upsert_customers(rows, now=NOW)
    assert (third.created, third.updated, third.unchanged) == (0, 0, 3)
    if connection.vendor == "postgresql":
        # PostgreSQL compares in its UPDATE's WHERE: statements are sent, but no row gets a new version.
        assert row_versions() == before
    else:
        assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


def row_versions() -> dict:
    """Where each customer's row is: on PostgreSQL its ctid (every UPDATE writes a new row version elsewhere,
    even one that sets the same values), else its updated_at."""
    if connection.vendor != "postgresql":
        return dict(Customer.objects.values_list("bank_reference", "updated_at"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_reference, ctid::text FROM accounts_customer")
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_an_update_leaves_the_columns_the_file_does_not_have():
    factories.CustomerFactory(bank_reference="C1", email="keep@example.com", segment="gold")
    upsert_customers([{"bank_reference": "C1", "name": "New name"}], now=NOW)
    customer = Customer.objects.get(bank_reference="C1")
    assert (customer.name, customer.email, customer.segment) == ("New name", "keep@example.com", "gold")


@pytest.mark.django_db
def test_opt_out_and_do_not_contact_become_import_evidence_once():
    row = clean_customer(
        {"bank_reference": "C1", "name": "A", "sms_opt_out": "是", "do_not_contact": "2026-02-01", "consent": "1"}
    )[0]
    first = upsert_customers([row], now=NOW, reference="bank.csv")
    again = upsert_customers([row], now=NOW, reference="bank.csv")

    customer = Customer.objects.get(bank_reference="C1")
    records = list(customer.consent_records.values_list("kind", "channel", "source", "reference"))
    assert sorted(records) == sorted(
        [
            ("do_not_contact", "", "import", "bank.csv"),
            ("opt_out", "sms", "import", "bank.csv"),
            ("consent", "", "import", "bank.csv"),
        ]
    )
    assert customer.sms_opt_out_at == NOW
    assert customer.do_not_contact_at == datetime(2026, 2, 1, tzinfo=SHANGHAI)
    assert customer.do_not_contact_source == "import"
    assert first.decisions == 3 and again.decisions == 0 and again.unchanged == 1


@pytest.mark.django_db
def test_a_file_that_says_no_does_not_undo_the_customers_own_opt_out(customer):
    from accounts import services

    services.record_opt_out(customer=customer, channels=("sms",), source="link")
    upsert_customers([{"bank_reference": customer.bank_reference, "sms_opt_out": False, "opt_out": False}], now=NOW)
    customer.refresh_from_db()
    assert customer.sms_opt_out_at is not None
    assert customer.consent_records.count() == 1


@pytest.mark.django_db
def test_consent_is_not_given_again_to_a_customer_who_withdrew_it(customer):
    from accounts import services

    services.record_consent(customer=customer, source="enrolment")
    services.record_consent_withdrawn(customer=customer, source="link")
    upsert_customers([{"bank_reference": customer.bank_reference, "consent": True}], now=NOW)
    customer.refresh_from_db()
    assert customer.consent_given_at is None
    assert not customer.consent_records.filter(source="import").exists()


@pytest.mark.django_db
def test_consent_no_withdraws_a_consent_on_record(customer):
    from accounts import services

    services.record_consent(customer=customer, source="enrolment")
    result = upsert_customers([{"bank_reference": customer.bank_reference, "consent": False}], now=NOW)
    customer.refresh_from_db()
    assert customer.consent_given_at is None
    assert customer.consent_records.filter(kind=ConsentRecord.Kind.CONSENT_WITHDRAWN, source="import").count() == 1
    assert result.updated == 1
