"""Customers arriving from the bank's systems (file import and HTTP API): clean one row, upsert many.

`clean_customer` is pure: it turns one row's raw values (by field name) into model values, or into
errors naming the field and the reason. `upsert_customers` writes cleaned rows by bank reference in
chunks (on PostgreSQL the database compares a chunk with the stored rows; elsewhere one read per chunk,
bulk inserts and updates), so importing the same data again changes nothing and writes no row; consent,
opt-out and do-not-contact decisions go through accounts.services.record_decisions as evidence, a chunk's
at once, and only when they change the customer's state.

Flags only ever move towards contacting the customer less: "yes" opts out or records do-not-contact,
"no" leaves them alone, because a bank export that still says "no" must not undo an opt-out the
customer made by link or phone since. Consent "yes" is recorded for customers who have neither consent
nor a withdrawal on record; consent "no" withdraws a consent that is on record.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import phonenumbers
from django.conf import settings
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import (
    Channel,
    ConsentRecord,
    Customer,
    DevicePlatform,
    EvidenceSource,
    Language,
    TimeOfDay,
    User,
)

DEFAULT_PHONE_REGION = "CN"
CHUNK_SIZE = 2000

# Plain text fields: stored as given (trimmed), checked only for length.
TEXT_FIELDS = ("name", "device_os_version", "app_version", "wallet_product", "segment")
# Decision columns: yes/no or the date of the decision.
FLAG_FIELDS = ("opt_out", "phone_opt_out", "sms_opt_out", "email_opt_out", "do_not_contact", "consent")
CUSTOMER_FIELDS = (
    "bank_reference",
    "name",
    "phone",
    "email",
    "language",
    "time_zone",
    "preferred_channel",
    "preferred_time_of_day",
    "device_os",
    "device_os_version",
    "app_version",
    "wallet_product",
    "segment",
    "enrolled_on",
    "region",
    *FLAG_FIELDS,
)
_FLAGS = frozenset(FLAG_FIELDS)
REQUIRED_FIELDS = ("bank_reference", "name")
# Model fields an upsert compares and writes (the flags are written by accounts.services).
MODEL_FIELDS = tuple(name for name in CUSTOMER_FIELDS if name not in FLAG_FIELDS and name != "bank_reference")

_YES = {"yes", "y", "true", "t", "1", "是", "是的", "对", "已", "x", "✓"}
_NO = {"no", "n", "false", "f", "0", "否", "不", "不是", "未", "无"}

_LANGUAGES = {
    **dict.fromkeys(
        (
            "zh",
            "zh-cn",
            "zh_cn",
            "zh-hans",
            "zh_hans",
            "zh-hans-cn",
            "cn",
            "chinese",
            "中文",
            "简体中文",
            "汉语",
            "普通话",
        ),
        Language.CHINESE,
    ),
    **dict.fromkeys(("en", "en-us", "en_us", "en-gb", "en_gb", "english", "英文", "英语"), Language.ENGLISH),
}
_CHANNELS = {
    **{value: value for value in Channel.values},
    **dict.fromkeys(("call", "telephone", "tel", "mobile", "电话", "致电"), Channel.PHONE),
    **dict.fromkeys(("text", "短信", "信息"), Channel.SMS),
    **dict.fromkeys(("e-mail", "mail", "邮件", "邮箱", "电子邮件"), Channel.EMAIL),
}
_TIMES_OF_DAY = {
    **{value: value for value in TimeOfDay.values},
    **dict.fromkeys(("任意", "任何时间", "不限", "anytime"), TimeOfDay.ANY),
    **dict.fromkeys(("上午", "早上", "am"), TimeOfDay.MORNING),
    **dict.fromkeys(("下午", "pm"), TimeOfDay.AFTERNOON),
    **dict.fromkeys(("晚上", "傍晚"), TimeOfDay.EVENING),
}
_DEVICES = {
    **{value: value for value in DevicePlatform.values},
    **dict.fromkeys(("iphone", "ipados", "apple", "苹果"), DevicePlatform.IOS),
    **dict.fromkeys(("安卓",), DevicePlatform.ANDROID),
    **dict.fromkeys(("harmony", "harmony os", "鸿蒙", "华为鸿蒙"), DevicePlatform.HARMONYOS),
    **dict.fromkeys(("其他", "其它"), DevicePlatform.OTHER),
}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
_TIME_SUFFIX = re.compile(r"^(\S+)[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class FieldError:
    field: str
    value: str
    reason: str


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    decisions: int = 0  # consent / opt-out / do-not-contact decisions recorded as evidence

    def add(self, other: UpsertResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.decisions += other.decisions


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from pandas
        return True
    return isinstance(value, str) and not value.strip()


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value) -> date | None:
    """A date as banks write it: 2026-03-01, 2026/3/1, 20260301, 2026年3月1日, or an Excel serial number."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        return _excel_date(float(value))
    return _date_from_text(_text(value))


@functools.lru_cache(maxsize=1 << 16)
def _date_from_text(text: str) -> date | None:
    # Remembered per distinct text: a bank file holds a few thousand distinct dates in a million rows.
    timed = _TIME_SUFFIX.match(text)
    if timed:
        text = timed.group(1)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    if re.fullmatch(r"\d{1,5}(\.\d+)?", text):
        return _excel_date(float(text))
    return None


def _excel_date(serial: float) -> date | None:
    # Excel serials from 1 (1900-01-01) to 2958465 (9999-12-31); days since 1899-12-30 for the modern ones.
    if not 1 <= serial <= 2958465:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_moment(value) -> datetime | None:
    """A date or date and time; naive values are in settings.TIME_ZONE, the bank's own zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    text = _text(value) if not isinstance(value, date) else ""
    timed = _TIME_SUFFIX.match(text) if text else None
    if timed:
        day = parse_date(timed.group(1))
        if day is None:
            return None
        try:
            clock = time(int(timed.group(2)), int(timed.group(3)), int(timed.group(4) or 0))
        except ValueError:
            return None
        return datetime.combine(day, clock, tzinfo=zone)
    day = parse_date(value)
    return datetime.combine(day, time(0), tzinfo=zone) if day else None


def parse_flag(value) -> bool | datetime | None:
    """True / False for yes / no, the moment for a date, None when unreadable."""
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return parse_moment(value)


# The common shapes of a mainland mobile number (11 digits, after +86 or 0086, spaces or dashes between
# groups) are checked against phonenumbers' own pattern for Chinese mobiles, which is what is_valid_number
# would match them with; every other number goes through phonenumbers. Nine rows in ten take this path.
_MAINLAND_MOBILE_SHAPE = re.compile(r"(?:\+86|0086)?(1\d{10})")
_MAINLAND_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)


def _mainland_mobile(text: str) -> str | None:
    shape = _MAINLAND_MOBILE_SHAPE.fullmatch(text.replace(" ", "").replace("-", ""))
    if shape and _MAINLAND_MOBILE.fullmatch(shape.group(1)):
        return "+86" + shape.group(1)
    return None


def normalise_phone(value, region: str = DEFAULT_PHONE_REGION) -> str | None:
    text = _text(value)
    if region == "CN":
        fast = _mainland_mobile(text)
        if fast is not None:
            return fast
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The validator's own user-part pattern, compiled once (it is a lazy object, costly to reach per row).
_EMAIL_USER = re.compile(validate_email.user_regex.pattern, validate_email.user_regex.flags)


def _valid_email(text: str) -> bool:
    """Django's validate_email, step by step, with its domain check remembered per distinct domain."""
    if not text or "@" not in text or len(text) > 320:
        return False
    user_part, domain_part = text.rsplit("@", 1)
    return bool(_EMAIL_USER.match(user_part)) and _valid_email_domain(domain_part)


@functools.lru_cache(maxsize=1 << 14)
def _valid_email_domain(domain: str) -> bool:
    return domain in validate_email.domain_allowlist or validate_email.validate_domain_part(domain)


@functools.cache
def _max_length(name: str) -> int:
    return Customer._meta.get_field(name).max_length


_REGION = re.compile(r"[A-Za-z]{2}")


def _choice(table: dict) -> Callable[[str, object], str | None]:
    plain = {written: str(value) for written, value in table.items()}  # the stored value, not the enum member

    def clean(text: str, raw) -> str | None:
        return plain.get(text.lower())

    return clean


def _plain_text(name: str) -> Callable[[str, object], str | None]:
    def clean(text: str, raw) -> str | None:
        return text if len(text) <= _max_length(name) else None

    return clean


def _date(text: str, raw) -> date | None:
    return _date_from_text(text) if raw.__class__ is str else parse_date(raw)


def _flag(text: str, raw) -> bool | datetime | None:
    return parse_flag(raw)


# Each field's cleaning: (the row's text, its raw value) → the model value, or None when the value is bad.
_CLEANERS: dict[str, Callable[[str, object], object]] = {
    **{name: _plain_text(name) for name in ("bank_reference", *TEXT_FIELDS)},
    "phone": lambda text, raw: normalise_phone(text),
    "email": lambda text, raw: text if _valid_email(text) else None,
    "language": _choice(_LANGUAGES),
    "time_zone": lambda text, raw: text if text in _time_zone_names() else None,
    "preferred_channel": _choice(_CHANNELS),
    "preferred_time_of_day": _choice(_TIMES_OF_DAY),
    "device_os": _choice(_DEVICES),
    "enrolled_on": _date,
    "region": lambda text, raw: text.upper() if _REGION.fullmatch(text) else None,
    **dict.fromkeys(FLAG_FIELDS, _flag),
}
assert set(_CLEANERS) == set(CUSTOMER_FIELDS)


def _choices_reason(table: dict) -> Callable[[str], str]:
    return lambda name: (
        _("Unknown value; expected one of: %(choices)s.") % {"choices": ", ".join(sorted({*table.values()}))}
    )


# Why a bad value is bad, in the language of the moment (only asked for a bad value).
_REASONS: dict[str, Callable[[str], str]] = {
    **dict.fromkeys(
        ("bank_reference", *TEXT_FIELDS),
        lambda name: _("Longer than %(limit)s characters.") % {"limit": _max_length(name)},
    ),
    "phone": lambda name: _("Not a valid phone number."),
    "email": lambda name: _("Not a valid e-mail address."),
    "language": lambda name: _("Unknown language; use zh (Simplified Chinese) or en (English)."),
    "time_zone": lambda name: _("Not an IANA time zone name such as Asia/Shanghai."),
    "preferred_channel": _choices_reason(_CHANNELS),
    "preferred_time_of_day": _choices_reason(_TIMES_OF_DAY),
    "device_os": _choices_reason(_DEVICES),
    "enrolled_on": lambda name: _("Not a date; write it as 2026-03-01."),
    "region": lambda name: _("Not a two-letter country code such as CN."),
    **dict.fromkeys(FLAG_FIELDS, lambda name: _("Write yes or no (是/否, 1/0) or the date of the decision.")),
}
assert set(_REASONS) == set(CUSTOMER_FIELDS)


def clean_customer(values: Mapping[str, object], *, partial: bool = False) -> tuple[dict, list[FieldError]]:
    """One row's values by field name → (model values, errors). Blank values are left out (no change).

    ``partial``: an update of some fields of a known customer (the API); otherwise a new customer needs a name.
    Keys that are not customer fields are ignored. Each field is cleaned by its entry in _CLEANERS.
    """
    cleaned: dict = {}
    errors: list[FieldError] = []
    for name in REQUIRED_FIELDS:
        if _blank(values.get(name)) and (name == "bank_reference" or not partial):
            errors.append(FieldError(name, "", _("This column is required.")))

    for name in CUSTOMER_FIELDS:
        raw = values.get(name)
        if raw is None:
            continue
        if raw.__class__ is str:  # nearly every cell: _blank and _text without their checks
            text = raw.strip()
            if not text:
                continue
        elif _blank(raw):
            continue
        else:
            text = _text(raw)
        value = _CLEANERS[name](text, raw)
        if value is None:
            errors.append(FieldError(name, text, _REASONS[name](name)))
        else:
            cleaned[name] = value
    return cleaned, errors


def upsert_customers(
    rows: Iterable[dict],
    *,
    source: EvidenceSource | str = EvidenceSource.IMPORT,
    by: User | None = None,
    now: datetime,
    reference: str = "",
    chunk_size: int = CHUNK_SIZE,
) -> UpsertResult:
    """Create or update customers by bank reference from cleaned rows (see clean_customer); counts.

    A later row with the same reference wins within a chunk. A row that changes nothing writes nothing.
    """
    total = UpsertResult()
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_size:
            total.add(_upsert_chunk(chunk, source=source, by=by, now=now, reference=reference))
            chunk = []
    if chunk:
        total.add(_upsert_chunk(chunk, source=source, by=by, now=now, reference=reference))
    return total


@transaction.atomic
def _upsert_chunk(rows: list[dict], *, source, by, now: datetime, reference: str) -> UpsertResult:
    """1. one read of the chunk's customers; 2. bulk insert the new, bulk update the changed; 3. decisions."""
    by_reference = {row["bank_reference"]: row for row in rows}
    if connection.vendor == "postgresql":
        return _upsert_chunk_postgresql(by_reference, source=source, by=by, now=now, reference=reference)
    result = UpsertResult()
    existing = {c.bank_reference: c for c in Customer.objects.filter(bank_reference__in=list(by_reference))}

    new, changed, changed_fields = [], [], set()
    for bank_reference, row in by_reference.items():
        values = {name: row[name] for name in MODEL_FIELDS if name in row}
        customer = existing.get(bank_reference)
        if customer is None:
            new.append(Customer(bank_reference=bank_reference, **values))
            continue
        differing = [name for name, value in values.items() if getattr(customer, name) != value]
        if differing:
            for name in differing:
                setattr(customer, name, values[name])
            customer.updated_at = now
            changed.append(customer)
            changed_fields.update(differing)
        else:
            result.unchanged += 1
    if new:
        Customer.objects.bulk_create(new, batch_size=1000)
        # PostgreSQL returns the ids; SQLite before 3.35 may not, so read them back when missing.
        if any(customer.pk is None for customer in new):
            ids = dict(
                Customer.objects.filter(bank_reference__in=[c.bank_reference for c in new]).values_list(
                    "bank_reference", "pk"
                )
            )
            for customer in new:
                customer.pk = ids[customer.bank_reference]
    if changed:
        Customer.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"], batch_size=500)
    result.created, result.updated = len(new), len(changed)
    customers = {**existing, **{c.bank_reference: c for c in new}}
    _decide_chunk(
        result, by_reference, customers, existing=set(existing), changed={c.bank_reference for c in changed},
        source=source, by=by, now=now, reference=reference,
    )  # fmt: skip
    return result


def _decide_chunk(
    result: UpsertResult, by_reference: dict, customers: dict, *, existing: set, changed: set, **evidence
) -> None:
    """Record the decisions of the chunk's rows that carry any, all at once (accounts.services.record_decisions);
    a known customer they change counts as updated."""
    source, by, now, reference = evidence["source"], evidence["by"], evidence["now"], evidence["reference"]
    flagged = {ref: row for ref, row in by_reference.items() if not _FLAGS.isdisjoint(row)}
    if not flagged:
        return
    withdrawn = set(
        ConsentRecord.objects.filter(
            customer__in=[customers[ref] for ref in flagged], kind=ConsentRecord.Kind.CONSENT_WITHDRAWN
        ).values_list("customer_id", flat=True)
    )
    decisions: list[services.Decision] = []
    for ref, row in flagged.items():
        customer = customers[ref]
        decided = _row_decisions(customer, row, source=source, now=now, withdrawn=customer.pk in withdrawn)
        if decided and ref in existing and ref not in changed:
            result.unchanged -= 1
            result.updated += 1
        result.decisions += len(decided)
        decisions += decided
    services.record_decisions(decisions=decisions, source=source, by=by, reference=reference)


# Every column but the id, in the table's order; what a new customer gets for a column its row leaves out.
_COLUMNS = tuple(f.column for f in Customer._meta.concrete_fields if not f.primary_key)
_DEFAULTS = {
    f.column: (str(f.get_default()) if isinstance(f.get_default(), str) else f.get_default())
    for f in Customer._meta.concrete_fields
    if not f.primary_key
}


def _upsert_chunk_postgresql(by_reference: dict, *, source, by, now: datetime, reference: str) -> UpsertResult:
    """The same as the generic path, compared and written by PostgreSQL (a chunk costs a few statements and
    no stored row travels back to Python).

    1. one COPY of the chunk's rows into a temporary table, NULL where a row leaves a column out (no change:
       a cleaned value is never NULL);
    2. one UPDATE … FROM it of the known customers where a given value differs (a re-import writes nothing);
    3. one INSERT … SELECT of the references not in the table yet, with the model's defaults for what is left
       out (a reference another writer created meanwhile is an IntegrityError, as with bulk_create);
    4. decisions through accounts.services, with model objects read for the rows that carry any.
    """
    result = UpsertResult()
    columns = ", ".join(MODEL_FIELDS)
    given = " OR ".join(
        f"(rows.{name} IS NOT NULL AND rows.{name} IS DISTINCT FROM customer.{name})" for name in MODEL_FIELDS
    )
    assignments = ", ".join(f"{name} = COALESCE(rows.{name}, customer.{name})" for name in MODEL_FIELDS)
    inserted = ", ".join(
        "rows.bank_reference" if column == "bank_reference"
        else f"COALESCE(rows.{column}, %s)" if column in MODEL_FIELDS
        else "%s"
        for column in _COLUMNS
    )  # fmt: skip
    moment = timezone.now()  # as bulk_create's auto_now_add and auto_now would set them
    defaults = [moment if column in ("created_at", "updated_at") else _DEFAULTS[column] for column in _COLUMNS
                if column != "bank_reference"]  # fmt: skip
    with connection.wrap_database_errors, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS customer_intake_rows ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT bank_reference, {columns} FROM accounts_customer WITH NO DATA"
        )
        cursor.execute("TRUNCATE customer_intake_rows")  # an all-or-nothing import is one transaction
        with cursor.copy(f"COPY customer_intake_rows (bank_reference, {columns}) FROM STDIN") as copy:
            for bank_reference, row in by_reference.items():
                copy.write_row([bank_reference, *map(row.get, MODEL_FIELDS)])
        cursor.execute(
            f"UPDATE accounts_customer AS customer SET {assignments}, updated_at = %s "  # noqa: S608
            f"FROM customer_intake_rows AS rows WHERE customer.bank_reference = rows.bank_reference AND ({given}) "
            "RETURNING customer.bank_reference",
            [now],
        )
        changed = {found[0] for found in cursor.fetchall()}
        cursor.execute(
            f"INSERT INTO accounts_customer ({', '.join(_COLUMNS)}) SELECT {inserted} "  # noqa: S608
            "FROM customer_intake_rows AS rows WHERE NOT EXISTS "
            "(SELECT 1 FROM accounts_customer AS customer WHERE customer.bank_reference = rows.bank_reference) "
            "RETURNING bank_reference",
            defaults,
        )
        new = {found[0] for found in cursor.fetchall()}
    result.created, result.updated = len(new), len(changed)
    result.unchanged = len(by_reference) - result.created - result.updated

    flagged = [ref for ref, row in by_reference.items() if not _FLAGS.isdisjoint(row)]
    customers = Customer.objects.in_bulk(flagged, field_name="bank_reference") if flagged else {}
    _decide_chunk(
        result, by_reference, customers, existing=set(by_reference) - new, changed=changed,
        source=source, by=by, now=now, reference=reference,
    )  # fmt: skip
    return result


def _moment(flag: bool | datetime, now: datetime) -> datetime:
    return flag if isinstance(flag, datetime) else now


def _row_decisions(customer: Customer, row: dict, *, source, now: datetime, withdrawn: bool) -> list:
    """The row's decisions that change the customer's state, in order; each is applied to ``customer`` (in
    memory, by the services' own rule) so the row's later columns see its earlier ones."""
    decisions = []

    def decide(kind: ConsentRecord.Kind, flag: bool | datetime, channels: tuple[str, ...] | None = None) -> None:
        decision = services.Decision(customer_id=customer.pk, kind=kind, channels=channels, at=_moment(flag, now))
        services.apply_decision(customer, kind=kind, channels=channels, at=decision.at, source=source)
        decisions.append(decision)

    if row.get("do_not_contact") and customer.do_not_contact_at is None:
        decide(ConsentRecord.Kind.DO_NOT_CONTACT, row["do_not_contact"])
    channels_by_column = {"opt_out": tuple(Channel.values), **{f"{c}_opt_out": (c,) for c in Channel.values}}
    for column, channels in channels_by_column.items():
        flag = row.get(column)
        if not flag:
            continue
        fresh = tuple(channel for channel in channels if customer.opt_out_at(channel) is None)
        if fresh:
            decide(ConsentRecord.Kind.OPT_OUT, flag, fresh)
    consent = row.get("consent")
    if consent is not None:
        if consent is not False and customer.consent_given_at is None and not withdrawn:
            decide(ConsentRecord.Kind.CONSENT, consent)
        elif consent is False and customer.consent_given_at is not None:
            decide(ConsentRecord.Kind.CONSENT_WITHDRAWN, False)
    return decisions
