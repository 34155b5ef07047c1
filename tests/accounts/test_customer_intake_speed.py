"""The import's fast paths give exactly what the slow ones gave: mobile numbers, dates, and the PostgreSQL writes."""

import random
import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import phonenumbers
import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection

from accounts.customer_intake import clean_customer, normalise_phone, upsert_customers
from accounts.models import Customer

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def phonenumbers_alone(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def written_as_banks_do(digits: str) -> list[str]:
    return [
        digits,
        "+86" + digits,
        "0086" + digits,
        "86" + digits,
        f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}",
        f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
        f"+86-{digits}",
        digits[:10],
        digits + "9",
    ]


def test_every_mobile_number_shape_gets_the_answer_phonenumbers_gives():
    rng = random.Random(7)
    for prefix in range(100, 200):
        for _ in range(20):
            for text in written_as_banks_do(f"{prefix}{rng.randrange(10**8):08d}"):
                assert normalise_phone(text) == phonenumbers_alone(text), text


def test_landlines_and_foreign_numbers_still_go_through_phonenumbers():
    assert normalise_phone("010-6552 1234") == "+861065521234"
    assert normalise_phone("+1 212 555 0100") == phonenumbers_alone("+1 212 555 0100")
    assert normalise_phone("+852 6123 4567") == "+85261234567"
    assert normalise_phone("12345") is None


def test_a_remembered_date_is_read_the_same_each_time():
    for _ in range(3):
        assert clean_customer({"bank_reference": "C1", "name": "A", "enrolled_on": "2024年3月1日"})[0][
            "enrolled_on"
        ] == date(2024, 3, 1)
        assert clean_customer({"bank_reference": "C1", "name": "A", "enrolled_on": "2024-13-45"})[1]


@pytest.mark.django_db
def test_new_customers_get_the_model_defaults_for_the_columns_the_file_does_not_have():
    upsert_customers([{"bank_reference": "C1", "name": "王芳"}], now=NOW)
    customer = Customer.objects.get(bank_reference="C1")
    fresh = Customer(bank_reference="C1", name="王芳")
    for name in ("language", "time_zone", "preferred_channel", "preferred_time_of_day", "device_os", "region"):
        assert getattr(customer, name) == getattr(fresh, name)
    assert customer.enrolled_on is None and customer.consent_given_at is None and customer.created_at is not None


@pytest.mark.django_db
def test_a_changed_row_updates_only_its_own_customer_and_keeps_the_others_untouched():
    rows = [{"bank_reference": f"C{i}", "name": f"N{i}", "segment": "mass"} for i in range(5)]
    upsert_customers(rows, now=NOW)
    before = dict(Customer.objects.values_list("bank_reference", "updated_at"))

    result = upsert_customers(
        [*rows[:2], {"bank_reference": "C2", "enrolled_on": date(2024, 3, 1)}, *rows[3:]], now=NOW
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 4)
    changed = Customer.objects.get(bank_reference="C2")
    assert (changed.name, changed.segment, changed.enrolled_on) == ("N2", "mass", date(2024, 3, 1))
    assert changed.updated_at == NOW
    after = dict(Customer.objects.values_list("bank_reference", "updated_at"))
    assert {ref for ref in after if after[ref] != before[ref]} == {"C2"}


@pytest.mark.parametrize(
    "address",
    [
        "wang@example.cn",
        "wang.fang+wallet@mail.example.com",
        "WANG@EXAMPLE.CN",
        "a@[127.0.0.1]",
        "a@[IPv6:::1]",
        "a@[999.0.0.1]",
        "a@localhost",
        "a@b",
        "not-an-address",
        "two@@example.cn",
        "a@example..cn",
        "a b@example.cn",
        "a@-example.cn",
        "用户@例子.中国",
        "a@" + "x" * 320 + ".cn",
        "@example.cn",
        "a@",
    ],
)
def test_an_address_is_accepted_exactly_when_django_accepts_it(address):
    try:
        validate_email(address)
    except ValidationError:
        django_says = False
    else:
        django_says = True
    for _ in range(2):  # the second time from the remembered domain
        cleaned, errors = clean_customer({"bank_reference": "C1", "name": "A", "email": address})
        assert ("email" in cleaned) is django_says and bool(errors) is not django_says


@pytest.fixture
def created_meanwhile(monkeypatch):
    """C1 is created by someone else after the upsert looked for it: on PostgreSQL another connection inserts it
    and commits once the upsert's INSERT waits on it (then removes it); on SQLite the upsert is made blind to it."""
    if connection.vendor != "postgresql":
        Customer.objects.create(bank_reference="C1", name="Created meanwhile")
        monkeypatch.setattr(Customer.objects, "filter", lambda **kwargs: Customer.objects.none())
        yield
        return
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"] or None,
        password=settings["PASSWORD"] or None, dbname=settings["NAME"],
    )  # fmt: skip
    other.execute(
        "INSERT INTO accounts_customer (bank_reference, name, phone, email, language, time_zone, preferred_channel,"
        " preferred_time_of_day, device_os, device_os_version, app_version, wallet_product, segment, region,"
        " consent_source, do_not_contact_source, created_at, updated_at)"
        " VALUES ('C1', 'Created meanwhile', '', '', 'zh-hans', 'Asia/Shanghai', 'sms', 'any', 'other', '', '', '',"
        " '', 'CN', '', '', now(), now())"
    )

    def commit_once_someone_waits() -> None:
        for _ in range(1000):
            if other.execute("SELECT 1 FROM pg_locks WHERE NOT granted").fetchone():
                break
            time.sleep(0.01)
        other.commit()

    committer = threading.Thread(target=commit_once_someone_waits)
    committer.start()
    yield
    committer.join()
    other.execute("DELETE FROM accounts_customer WHERE bank_reference = 'C1'")
    other.commit()
    other.close()


@pytest.mark.django_db
def test_a_reference_created_by_someone_else_meanwhile_is_a_django_integrity_error(created_meanwhile):
    # The API retries an upsert on IntegrityError: the other request created the customer, this one updates.
    with pytest.raises(IntegrityError):
        upsert_customers([{"bank_reference": "C1", "name": "王芳"}], now=NOW)
