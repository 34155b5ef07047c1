"""Realistic, repeatable demo data: staff logins, wallet customers, a running follow-up campaign.

Everything is keyed on a stable identifier (username, bank reference, survey key + version,
campaign slug), so a second run creates nothing and changes nothing, and data that is not part
of the demo is never touched. Random choices come from fixed seeds: two fresh databases seeded
at the same moment hold the same demo. Times are relative to `now`, so the demo always looks
current: some calls are due right now, links are still valid, cases are near their deadlines.
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from faker import Faker

from accounts.models import (
    Channel,
    ConsentRecord,
    Customer,
    DevicePlatform,
    EvidenceSource,
    Language,
    TimeOfDay,
    User,
    WalletEvent,
)
from ops.demo_second_factor import give_demo_authenticators
from surveys import case_rules
from surveys.calendars import calendar_for
from surveys.models import (
    Answer,
    Campaign,
    Case,
    Choice,
    Concern,
    ContactAttempt,
    FollowUp,
    PlanningStatus,
    Question,
    Response,
    Survey,
)
from surveys.policies import PARTS_OF_DAY, get_policy
from surveys.scheduling import allowed_windows, part_of_day
from surveys.starter import STARTER_KEY, STARTER_VERSION, install_starter_survey, starter_data
from surveys.tokens import VERIFICATION_ALPHABET, VERIFICATION_LENGTH

SEED = 2026
# Published on purpose: the command prints it, and refuses to run outside DEBUG without --force.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105
CUSTOMER_PREFIX = "DEMO-C-"
EVENT_PREFIX = "DEMO-E-"
SURVEY_KEY = STARTER_KEY
SURVEY_VERSION = STARTER_VERSION
BATCH_CAMPAIGN_SLUG = "demo-q4-wallet-followup"
EVENT_CAMPAIGN_SLUG = "demo-payment-failed"
# The follow-up quotas below are written for this many customers and scale with the real count.
_QUOTA_BASE_CUSTOMERS = 3000

HOUR = 3600
FollowUpStatus = FollowUp.Status
Outcome = ContactAttempt.Outcome


class DemoDataError(Exception):
    """The database is not ready for the demo (e.g. migrations not applied)."""


# --- Staff ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStaff:
    username: str
    role: str
    first_name: str
    last_name: str
    language: str
    is_staff: bool
    lands_on: str


DEMO_STAFF = (
    DemoStaff("agent", "agent", "芳", "王", Language.CHINESE, False, "agent call queue"),
    DemoStaff("agent2", "agent", "Jie", "Chen", Language.ENGLISH, False, "agent call queue"),
    DemoStaff("manager", "manager", "伟", "张", Language.ENGLISH, False, "manager dashboards"),
    # is_staff lets the administrator into Django admin; superuser is not needed for the demo.
    DemoStaff("admin", "admin", "洋", "刘", Language.CHINESE, True, "Django admin"),
)


def _ensure_staff(counts: dict[str, int]) -> dict[str, User]:
    groups = {group.name: group for group in Group.objects.filter(name__in={s.role for s in DEMO_STAFF})}
    users: dict[str, User] = {}
    password_hash = ""
    for spec in DEMO_STAFF:
        if spec.role not in groups:
            raise DemoDataError(f"The role group {spec.role!r} is missing; run `manage.py migrate` first.")
        existing = User.objects.filter(username=spec.username).first()
        if existing is not None:
            # Someone's own account or an earlier demo run: never reset a password or a role.
            users[spec.username] = existing
            continue
        # One hash shared by all: the password is public anyway, and each slow hash costs ~0.4 s.
        password_hash = password_hash or make_password(DEMO_PASSWORD)
        user = User.objects.create(
            username=spec.username,
            password=password_hash,
            email=f"{spec.username}@demo.example.com",
            first_name=spec.first_name,
            last_name=spec.last_name,
            language=spec.language,
            is_staff=spec.is_staff,
        )
        user.groups.add(groups[spec.role])
        users[spec.username] = user
        counts["staff_users"] += 1
    counts["demo_authenticators"] += give_demo_authenticators(users.values(), demo_password=DEMO_PASSWORD)
    return users


# --- Customers -----------------------------------------------------------------------------------

_OTHER_TIME_ZONES = (
    ("Asia/Hong_Kong", 30),
    ("Asia/Singapore", 20),
    ("Europe/London", 15),
    ("America/New_York", 15),
    ("Europe/Paris", 10),
    ("Australia/Sydney", 10),
)
_OS_VERSIONS = {
    DevicePlatform.IOS: (("16.7", 15), ("17.5", 35), ("18.1", 50)),
    DevicePlatform.ANDROID: (("12", 25), ("13", 35), ("14", 40)),
    DevicePlatform.HARMONYOS: (("3.0", 20), ("4.2", 45), ("5.0", 35)),
}
_APP_VERSIONS = (("7.2.0", 10), ("7.3.1", 15), ("8.0.0", 35), ("8.1.2", 40))
_SEGMENTS = (("retail", 55), ("premier", 15), ("youth", 12), ("senior", 10), ("small_business", 8))
EVERYDAY_WALLET = "Everyday Wallet 日常钱包"
CROSS_BORDER_WALLET = "Cross-border Wallet 跨境钱包"
YOUTH_WALLET = "Youth Wallet 青春钱包"
# Reserved example domains: a demo database must never be able to e-mail a real mailbox.
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _phone_for(time_zone: str, rng: random.Random) -> str:
    if time_zone == "Asia/Hong_Kong" and rng.random() < 0.8:
        return f"+852{rng.choice('569')}{_digits(rng, 7)}"
    if time_zone == "America/New_York" and rng.random() < 0.8:
        # 555-01xx is reserved for fiction in the North American plan.
        return f"+1{rng.choice(('212', '646', '917'))}55501{_digits(rng, 2)}"
    return f"+861{rng.choice('3456789')}{_digits(rng, 9)}"


def build_demo_customers(count: int, *, now: datetime) -> list[Customer]:
    """The first `count` demo customers, unsaved; customer n is the same whatever `count` is."""
    rng = random.Random(SEED)
    fake_zh = Faker("zh_CN")
    fake_zh.seed_instance(SEED)
    fake_en = Faker("en_US")
    fake_en.seed_instance(SEED)
    return [_build_customer(number, rng, fake_zh, fake_en, now) for number in range(1, count + 1)]


def _build_customer(number: int, rng: random.Random, fake_zh: Faker, fake_en: Faker, now: datetime) -> Customer:
    chinese_name = rng.random() < 0.70
    if chinese_name:
        name = fake_zh.name()
        mailbox = f"{fake_zh.last_romanized_name()}.{fake_zh.first_romanized_name()}"
        language = Language.CHINESE if rng.random() < 0.95 else Language.ENGLISH
        in_mainland = rng.random() < 0.96
    else:
        first_name, last_name = fake_en.first_name(), fake_en.last_name()
        name = f"{first_name} {last_name}"
        mailbox = f"{first_name}.{last_name}"
        language = Language.ENGLISH if rng.random() < 0.85 else Language.CHINESE
        in_mainland = rng.random() < 0.60
    time_zone = "Asia/Shanghai" if in_mainland else _weighted(rng, _OTHER_TIME_ZONES)

    phone = _phone_for(time_zone, rng) if rng.random() < 0.97 else ""
    mailbox = re.sub(r"[^a-z.]", "", mailbox.lower())
    email = f"{mailbox}{rng.randint(1, 999)}@{rng.choice(_EMAIL_DOMAINS)}" if rng.random() < 0.85 else ""

    device_os = _weighted(rng, ((DevicePlatform.IOS, 40), (DevicePlatform.ANDROID, 45), (DevicePlatform.HARMONYOS, 15)))
    segment = _weighted(rng, _SEGMENTS)
    if segment == "youth" and rng.random() < 0.85:
        product = YOUTH_WALLET
    elif time_zone != "Asia/Shanghai" and rng.random() < 0.6:
        product = CROSS_BORDER_WALLET
    else:
        product = EVERYDAY_WALLET if rng.random() < 0.8 else CROSS_BORDER_WALLET

    preferred_channel = _weighted(rng, ((Channel.SMS, 45), (Channel.PHONE, 30), (Channel.EMAIL, 25)))
    if preferred_channel == Channel.EMAIL and not email:
        preferred_channel = Channel.SMS
    if preferred_channel != Channel.EMAIL and not phone:
        preferred_channel = Channel.EMAIL
    time_of_day = _weighted(
        rng, ((TimeOfDay.ANY, 40), (TimeOfDay.MORNING, 20), (TimeOfDay.AFTERNOON, 20), (TimeOfDay.EVENING, 20))
    )

    enrolled_at = now - timedelta(days=rng.randint(0, 3 * 365), seconds=rng.randint(0, 86_399))
    consent_roll = rng.random()
    if consent_roll < 0.90:
        consent_given_at, consent_source = enrolled_at, EvidenceSource.ENROLMENT
    elif consent_roll < 0.96:
        consent_given_at = enrolled_at + (now - enrolled_at) * rng.random()
        consent_source = rng.choice((EvidenceSource.LINK, EvidenceSource.AGENT))
    else:
        consent_given_at, consent_source = None, ""
    opted_out_at = None
    if rng.random() < 0.03:
        # Opting out from a survey link stops every channel; the evidence says it came from the link.
        opted_out_at = enrolled_at + (now - enrolled_at) * rng.random()
    do_not_contact_at, do_not_contact_source = None, ""
    if rng.random() < 0.02:
        do_not_contact_at = enrolled_at + (now - enrolled_at) * rng.random()
        do_not_contact_source = _weighted(
            rng, ((EvidenceSource.AGENT, 60), (EvidenceSource.API, 20), (EvidenceSource.ADMIN, 20))
        )

    return Customer(
        bank_reference=f"{CUSTOMER_PREFIX}{number:06d}",
        name=name,
        phone=phone,
        email=email,
        language=language,
        time_zone=time_zone,
        preferred_channel=preferred_channel,
        preferred_time_of_day=time_of_day,
        device_os=device_os,
        device_os_version=_weighted(rng, _OS_VERSIONS[device_os]),
        app_version=_weighted(rng, _APP_VERSIONS),
        wallet_product=product,
        segment=segment,
        enrolled_on=enrolled_at.date(),
        consent_given_at=consent_given_at,
        consent_source=consent_source,
        region=_REGIONS.get(time_zone, "CN"),
        phone_opt_out_at=opted_out_at,
        sms_opt_out_at=opted_out_at,
        email_opt_out_at=opted_out_at,
        do_not_contact_at=do_not_contact_at,
        do_not_contact_source=do_not_contact_source,
    )


_REGIONS = {"Asia/Hong_Kong": "HK", "America/New_York": "US", "Europe/Paris": "FR", "Europe/London": "GB"}


def _ensure_customers(generated: Sequence[Customer], counts: dict[str, int]) -> None:
    references = [customer.bank_reference for customer in generated]
    existing = set(Customer.objects.filter(bank_reference__in=references).values_list("bank_reference", flat=True))
    missing = [customer for customer in generated if customer.bank_reference not in existing]
    created = Customer.objects.bulk_create(missing, batch_size=1000)
    counts["customers"] += len(missing)
    _record_demo_evidence([customer.bank_reference for customer in created])


def _record_demo_evidence(references: Sequence[str]) -> None:
    """Each consent, opt-out and do-not-contact state of a new demo customer gets its evidence record."""
    records = []
    for customer in Customer.objects.filter(bank_reference__in=references):
        if customer.consent_given_at:
            records.append(
                ConsentRecord(
                    customer=customer,
                    kind=ConsentRecord.Kind.CONSENT,
                    source=customer.consent_source,
                    recorded_at=customer.consent_given_at,
                    reference="demo data",
                )
            )
        if customer.sms_opt_out_at:
            records.extend(
                ConsentRecord(
                    customer=customer,
                    kind=ConsentRecord.Kind.OPT_OUT,
                    channel=channel,
                    source=EvidenceSource.LINK,
                    recorded_at=customer.sms_opt_out_at,
                    reference="demo data: survey link",
                )
                for channel in ("phone", "sms", "email")
            )
        if customer.do_not_contact_at:
            records.append(
                ConsentRecord(
                    customer=customer,
                    kind=ConsentRecord.Kind.DO_NOT_CONTACT,
                    source=customer.do_not_contact_source,
                    recorded_at=customer.do_not_contact_at,
                    reference="demo data",
                )
            )
    ConsentRecord.objects.bulk_create(records, batch_size=1000)


# --- Wallet events -------------------------------------------------------------------------------

Kind = WalletEvent.Kind
_EVENT_KINDS = (
    (Kind.PAYMENT_FAILED, 30),
    (Kind.ACCOUNT_LOCKED, 15),
    (Kind.TRANSACTION_DELAYED, 15),
    (Kind.CARD_BOUND, 10),
    (Kind.ENROLMENT, 8),
    (Kind.PASSWORD_RESET, 8),
    (Kind.DEVICE_CHANGED, 8),
    (Kind.COMPLAINT, 6),
)
_ACCESS_CHANNELS = (("app", 60), ("mini_program", 20), ("web", 10), ("pos", 10))
_MERCHANTS = (
    "美团外卖 Meituan",
    "滴滴出行 DiDi",
    "星巴克 Starbucks",
    "全家 FamilyMart",
    "中国石化 Sinopec",
    "京东 JD.com",
    "盒马 Freshippo",
    "上海地铁 Shanghai Metro",
    "7-Eleven",
    "Apple Store",
)
_PAYMENT_ERRORS = (
    ("PAY-4001", "Declined by risk control 风控拦截"),
    ("PAY-4005", "Wrong payment password 支付密码错误"),
    ("PAY-4102", "Card expired 银行卡已过期"),
    ("PAY-4220", "NFC not supported on this device 设备不支持NFC"),
    ("PAY-5003", "Issuer timeout 发卡行超时"),
    ("PAY-5101", "Insufficient balance 余额不足"),
)
_CURRENCIES = {
    "Asia/Shanghai": "CNY",
    "Asia/Hong_Kong": "HKD",
    "Asia/Singapore": "SGD",
    "Europe/London": "GBP",
    "America/New_York": "USD",
    "Europe/Paris": "EUR",
    "Australia/Sydney": "AUD",
}
_DEVICES = {
    DevicePlatform.IOS: ("iPhone 14", "iPhone 15", "iPhone 16 Pro"),
    DevicePlatform.ANDROID: ("Xiaomi 14", "OPPO Find X7", "vivo X100", "Samsung Galaxy S24"),
    DevicePlatform.HARMONYOS: ("HUAWEI Mate 60", "HUAWEI P70", "HUAWEI nova 12"),
}


def _is_compatibility_prone(customer: Customer) -> bool:
    """HarmonyOS and the 7.x app line are where the demo's compatibility complaints come from."""
    return customer.device_os == DevicePlatform.HARMONYOS or customer.app_version.startswith("7.")


def build_demo_wallet_events(customers: Sequence[Customer], *, now: datetime) -> list[tuple[str, WalletEvent]]:
    """About one event per two customers, as (customer bank reference, unsaved event) pairs."""
    if not customers:
        return []
    rng = random.Random(f"{SEED}:events")
    events = []
    for number in range(1, len(customers) // 2 + 1):
        customer = customers[rng.randrange(len(customers))]
        events.append((customer.bank_reference, _build_event(number, customer, rng, now)))
    return events


def _build_event(number: int, customer: Customer, rng: random.Random, now: datetime) -> WalletEvent:
    kinds = dict(_EVENT_KINDS)
    if _is_compatibility_prone(customer):
        kinds[Kind.PAYMENT_FAILED] += 15
    kind = _weighted(rng, tuple(kinds.items()))
    # A share of recent events keeps the event campaign's queue fed with calls due within 48 h.
    if rng.random() < 0.12:
        occurred_at = now - timedelta(seconds=rng.randint(10 * 60, 47 * HOUR))
    else:
        occurred_at = now - timedelta(seconds=rng.randint(0, 90 * 24 * HOUR))
    # Wallet activity happens in the day: move night-time events into the customer's evening.
    local = occurred_at.astimezone(ZoneInfo(customer.time_zone))
    if local.hour < 7:
        occurred_at -= timedelta(hours=8)
    if kind == Kind.ENROLMENT:
        enrolled = datetime.combine(customer.enrolled_on, time(rng.randint(9, 21), rng.randint(0, 59)), tzinfo=UTC)
        if now - enrolled < timedelta(days=90) and enrolled < now:
            occurred_at = enrolled
        else:
            kind = Kind.CARD_BOUND  # the customer enrolled long before the events window
    access_channel = _weighted(rng, _ACCESS_CHANNELS)
    return WalletEvent(
        bank_reference=f"{EVENT_PREFIX}{number:06d}",
        kind=kind,
        occurred_at=occurred_at,
        access_channel=access_channel,
        details=_event_details(kind, customer, access_channel, rng),
    )


def _amount(rng: random.Random) -> float:
    return round(rng.lognormvariate(4.3, 1.0), 2)


def _event_details(kind: str, customer: Customer, access_channel: str, rng: random.Random) -> dict[str, object]:
    currency = _CURRENCIES.get(customer.time_zone, "CNY")
    if kind == Kind.PAYMENT_FAILED:
        error_code, error_message = rng.choice(_PAYMENT_ERRORS)
        if access_channel == "pos" and _is_compatibility_prone(customer):
            error_code, error_message = _PAYMENT_ERRORS[3]
        return {
            "amount": _amount(rng),
            "currency": currency,
            "merchant": rng.choice(_MERCHANTS),
            "error_code": error_code,
            "error_message": error_message,
        }
    if kind == Kind.TRANSACTION_DELAYED:
        return {
            "amount": _amount(rng),
            "currency": currency,
            "merchant": rng.choice(_MERCHANTS),
            "delay_minutes": rng.choice((15, 30, 45, 90, 240, 1440)),
            "error_code": "SETTLE-2001",
        }
    if kind == Kind.ACCOUNT_LOCKED:
        reason = rng.choice(("too_many_wrong_passwords", "risk_control", "new_device_unverified"))
        return {"reason": reason, "failed_attempts": rng.randint(3, 6), "error_code": "AUTH-4231"}
    if kind == Kind.CARD_BOUND:
        return {"card_last4": f"{rng.randint(0, 9999):04d}", "card_type": rng.choice(("debit", "credit"))}
    if kind == Kind.PASSWORD_RESET:
        return {"method": rng.choice(("sms_otp", "face_id", "branch"))}
    if kind == Kind.DEVICE_CHANGED:
        return {"new_device": rng.choice(_DEVICES.get(customer.device_os, ("unknown",))), "os": customer.device_os}
    if kind == Kind.COMPLAINT:
        topic = rng.choice(("fees 手续费", "refund 退款", "service 服务", "exchange rate 汇率"))
        return {"topic": topic, "ticket": f"CMP-{rng.randint(100_000, 999_999)}"}
    return {"product": customer.wallet_product}


def _ensure_wallet_events(generated: Sequence[tuple[str, WalletEvent]], counts: dict[str, int]) -> None:
    references = [event.bank_reference for _, event in generated]
    existing = set(WalletEvent.objects.filter(bank_reference__in=references).values_list("bank_reference", flat=True))
    customer_ids = dict(
        Customer.objects.filter(bank_reference__in={ref for ref, _ in generated}).values_list("bank_reference", "id")
    )
    missing = []
    for customer_reference, event in generated:
        if event.bank_reference in existing or customer_reference not in customer_ids:
            continue
        event.customer_id = customer_ids[customer_reference]
        missing.append(event)
    WalletEvent.objects.bulk_create(missing, batch_size=1000)
    counts["wallet_events"] += len(missing)


# --- Survey --------------------------------------------------------------------------------------
# The demo uses the starter survey that ships with the product (surveys/data/starter_survey.json,
# installed by migration surveys 0003); its answers below use the starter's question and choice codes.

QK = Question.Kind


def _ensure_survey(*, now: datetime, counts: dict[str, int]) -> Survey:
    """The key's newest published version, else its version 1 whatever its state, else installed now."""
    surveys = Survey.objects.filter(key=SURVEY_KEY)
    survey = surveys.filter(status=Survey.Status.PUBLISHED).order_by("-version").first()
    survey = survey or surveys.filter(version=SURVEY_VERSION).first()
    if survey is not None:
        return survey  # published surveys are never edited in place
    survey = install_starter_survey(
        survey_model=Survey, question_model=Question, choice_model=Choice, now=now - timedelta(days=35)
    )
    counts["surveys"] += 1
    counts["questions"] += survey.questions.count()
    counts["choices"] += Choice.objects.filter(question__survey=survey).count()
    return survey


# --- Campaigns -----------------------------------------------------------------------------------


def _ensure_campaigns(
    *, survey: Survey, now: datetime, author: User, counts: dict[str, int]
) -> tuple[Campaign, Campaign]:
    batch, created = Campaign.objects.get_or_create(
        slug=BATCH_CAMPAIGN_SLUG,
        defaults={
            "name": "Q4 wallet follow-up 第四季度钱包回访",
            "description": "Quarterly check on how safe and reliable customers find the wallet. "
            "季度回访：了解客户对钱包安全性与可靠性的感受。",
            "survey": survey,
            "status": Campaign.Status.RUNNING,
            "trigger": Campaign.Trigger.BATCH,
            "channels": [Channel.SMS, Channel.EMAIL, Channel.PHONE],
            "contact_policy": "mainland_china",
            "starts_at": now - timedelta(days=30),
            "ends_at": now + timedelta(days=30),
            "created_by": author,
        },
    )
    counts["campaigns"] += int(created)
    event_driven, created = Campaign.objects.get_or_create(
        slug=EVENT_CAMPAIGN_SLUG,
        defaults={
            "name": "Payment problem call-back 支付问题回访",
            "description": "Call customers within 48 hours of a failed payment, a locked account or a delayed "
            "transaction. 在支付失败、账户锁定或交易延迟后48小时内致电客户。",
            "survey": survey,
            "status": Campaign.Status.RUNNING,
            "trigger": Campaign.Trigger.EVENT,
            "trigger_event_kinds": [Kind.PAYMENT_FAILED, Kind.ACCOUNT_LOCKED, Kind.TRANSACTION_DELAYED],
            "channels": [Channel.PHONE],
            "contact_policy": "mainland_china",
            # Open since before the oldest demo event, so every event could have triggered a call.
            "starts_at": now - timedelta(days=95),
            "ends_at": now + timedelta(days=90),
            "created_by": author,
        },
    )
    counts["campaigns"] += int(created)
    return batch, event_driven


def _record_planning(campaigns: Iterable[Campaign], *, now: datetime) -> None:
    """The campaign page shows planning as done, with the counts of the follow-ups the demo planned."""
    for campaign in campaigns:
        planned = campaign.follow_ups.count()
        Campaign.objects.filter(pk=campaign.pk).update(
            planning_status=PlanningStatus.DONE,
            planning_total=planned,
            planning_done=planned,
            planned_count=planned,
            planned_at=campaign.starts_at or now,
        )


# --- Contact windows: the product's own rules (surveys/scheduling.py), mainland-China preset -------

_POLICY = get_policy("mainland_china")
_CALENDAR = calendar_for(_POLICY.holiday_country, _POLICY.holiday_subdivision)
_SLOT_SEARCH_DAYS = 21
Windows = list[tuple[int, int]]


def _seconds(moment: time) -> int:
    return moment.hour * HOUR + moment.minute * 60 + moment.second


def _intersect(windows: Iterable[tuple[int, int]], span: tuple[int, int]) -> Windows:
    low, high = span
    return [(max(start, low), min(end, high)) for start, end in windows if max(start, low) < min(end, high)]


def _contact_windows(day: date, channel: str, preference: str, avoid_part: str | None = None) -> Windows:
    """Seconds after local midnight when `channel` may reach a customer on `day`, by the contact rules."""
    allowed = allowed_windows(day, channel=channel, policy=_POLICY, calendar=_CALENDAR, part=preference)
    windows = [(_seconds(w.start), _seconds(w.end)) for w in allowed]
    if avoid_part is not None:
        # A retry goes to a different part of the day when the customer's windows allow one.
        elsewhere = [
            w
            for part, span in PARTS_OF_DAY.items()
            if part != avoid_part
            for w in _intersect(windows, (_seconds(span.start), _seconds(span.end)))
        ]
        windows = elsewhere or windows
    return windows


def _pick_second(windows: Windows, rng: random.Random) -> int:
    point = rng.randrange(sum(end - start for start, end in windows))
    for start, end in windows:
        if point < end - start:
            return start + point
        point -= end - start
    raise AssertionError("unreachable: point is below the total length")


def _seconds_after_midnight(local: datetime) -> int:
    return local.hour * HOUR + local.minute * 60 + local.second


def _at(day: date, second: int, zone: ZoneInfo) -> datetime:
    return (datetime.combine(day, time(), tzinfo=zone) + timedelta(seconds=second)).astimezone(UTC)


def _slot_after(
    earliest: datetime, customer: Customer, channel: str, rng: random.Random, *, avoid_part: str | None = None
) -> datetime:
    zone = ZoneInfo(customer.time_zone)
    local = earliest.astimezone(zone)
    for offset in range(_SLOT_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        windows = _contact_windows(day, channel, customer.preferred_time_of_day, avoid_part)
        if offset == 0:
            windows = _intersect(windows, (_seconds_after_midnight(local) + 1, 24 * HOUR))
        if windows:
            return _at(day, _pick_second(windows, rng), zone)
    return earliest


def _slot_before(latest: datetime, customer: Customer, channel: str, rng: random.Random) -> datetime:
    """A moment in the last contact window before `latest`: what a queue shows as due now."""
    zone = ZoneInfo(customer.time_zone)
    local = latest.astimezone(zone)
    for offset in range(_SLOT_SEARCH_DAYS):
        day = local.date() - timedelta(days=offset)
        windows = _contact_windows(day, channel, customer.preferred_time_of_day)
        if offset == 0:
            windows = _intersect(windows, (0, _seconds_after_midnight(local)))
        if windows:
            start, end = windows[-1]
            return _at(day, _pick_second([(max(start, end - 3 * HOUR), end)], rng), zone)
    return latest - timedelta(minutes=30)


def _part_of_day(moment: datetime, customer: Customer) -> str:
    return part_of_day(moment, ZoneInfo(customer.time_zone))


# --- Follow-ups and contact attempts -------------------------------------------------------------


@dataclass
class _Plan:
    """One follow-up to create, its attempts, and how it was completed when it was."""

    follow_up: FollowUp
    attempts: list[ContactAttempt] = field(default_factory=list)
    completed_at: datetime | None = None
    response_mode: str = ""
    taken_by: User | None = None


# (status plan, follow-ups per 3,000 customers, what the customer needs to be reachable)
_BATCH_QUOTAS = (
    ("completed", 290, "any"),
    ("invited", 80, "message"),
    ("expired", 60, "message"),
    ("planned_due", 30, "phone"),
    ("planned", 80, "any"),
    ("in_progress", 4, "phone"),
    ("awaiting_callback", 24, "phone"),
    ("unreachable", 36, "phone"),
    ("refused", 20, "phone"),
    ("cancelled", 14, "any"),
    ("skipped", 14, "any"),
)
# Event follow-ups of events older than a week are closed; those of the last 48 h are open.
_EVENT_CLOSED_QUOTAS = (("completed", 60), ("unreachable", 14), ("refused", 8), ("cancelled", 4), ("skipped", 12))
_EVENT_OPEN_BASE = 40

_CALL_SECONDS = {
    Outcome.NO_ANSWER: (30, 45),
    Outcome.BUSY: (3, 10),
    Outcome.ANSWERING_MACHINE: (20, 40),
    Outcome.WRONG_NUMBER: (20, 60),
    Outcome.REFUSAL: (30, 90),
    Outcome.CALLBACK_REQUESTED: (40, 120),
    Outcome.COMPLETE: (240, 600),
}
_CALL_NOTES = {
    Outcome.REFUSAL: {
        Language.CHINESE: ("客户表示没有时间参加回访。", "客户不愿参加调查。"),
        Language.ENGLISH: ("Customer said they had no time.", "Customer did not want to take part."),
    },
    Outcome.CALLBACK_REQUESTED: {
        Language.CHINESE: ("客户正在开会，约定稍后回电。", "客户在开车，请稍后再打。"),
        Language.ENGLISH: ("Customer in a meeting; asked us to call back.", "Customer driving; call back later."),
    },
    Outcome.WRONG_NUMBER: {
        Language.CHINESE: ("接听人表示不认识该客户。",),
        Language.ENGLISH: ("The person who answered does not know the customer.",),
    },
    Outcome.COMPLETE: {
        Language.CHINESE: ("客户配合完成问卷。", "已完成问卷，客户提到付款失败的经历。"),
        Language.ENGLISH: ("Survey completed; customer was helpful.", "Done; customer mentioned a failed payment."),
    },
}
_CANCEL_REASONS = (
    "Customer closed the wallet account",
    "Customer complained through another channel; the branch is handling it",
    "Duplicate of a follow-up already made this month",
)
_BATCH_SKIP_REASON = "No allowed contact slot before the campaign ends (public holidays and the customer's preference)"
_EVENT_SKIP_REASON = "No allowed call slot between the 2 h cool-off and the 48 h deadline"


def _scaled(base: int, customers: int) -> int:
    # At least one of each, so even a small demo shows every state.
    return max(1, round(base * customers / _QUOTA_BASE_CUSTOMERS))


def _can_reach(customer: Customer, channel: str) -> bool:
    return bool(customer.email if channel == Channel.EMAIL else customer.phone)


class _FollowUpPlanner:
    """Builds one campaign's follow-ups in each state, with times that respect the contact windows."""

    def __init__(self, *, campaign: Campaign, now: datetime, agents: Sequence[User]) -> None:
        self.campaign = campaign
        self.now = now
        self.agents = agents
        self.message_serial = 0
        self.rng = random.Random(SEED)

    def plan(self, status: str, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        """The follow-up of `customer` in state `status` (a method name below)."""
        # Each follow-up draws from its own seed: how many slots one search needed on this weekday
        # must not shift the choices made for every follow-up after it.
        self.rng = random.Random(f"{SEED}:{self.campaign.slug}:{customer.bank_reference}")
        return getattr(self, status)(customer, event)

    # Small builders.

    def _agent(self, *, allow_pool: bool) -> User | None:
        if allow_pool and self.rng.random() < 0.25:
            return None  # the shared pool any agent may pick up
        return self.rng.choice(self.agents)

    def _channel(self, customer: Customer, allowed: Iterable[str]) -> str:
        usable = [channel for channel in self.campaign.channels if channel in allowed and _can_reach(customer, channel)]
        if customer.preferred_channel in usable and self.rng.random() < 0.75:
            return customer.preferred_channel
        return self.rng.choice(usable)

    def _new(self, customer: Customer, status: str, channel: str, event: WalletEvent | None, **fields) -> _Plan:
        priority = 1 if customer.segment == "premier" else 0
        if event is not None:
            priority += 2 if event.kind in (Kind.PAYMENT_FAILED, Kind.ACCOUNT_LOCKED) else 1
        follow_up = FollowUp(
            campaign=self.campaign,
            customer=customer,
            wallet_event=event,
            status=status,
            channel=channel,
            priority=priority,
            **fields,
        )
        return _Plan(follow_up=follow_up)

    def _call(
        self, number: int, started_at: datetime, agent: User | None, outcome: str, callback_at: datetime | None = None
    ) -> ContactAttempt:
        low, high = _CALL_SECONDS[outcome]
        notes = ""
        if outcome in _CALL_NOTES and agent is not None and self.rng.random() < 0.6:
            notes = self.rng.choice(_CALL_NOTES[outcome][agent.language])
        return ContactAttempt(
            number=number,
            channel=Channel.PHONE,
            agent=agent,
            started_at=started_at,
            ended_at=started_at + timedelta(seconds=self.rng.randint(low, high)),
            outcome=outcome,
            notes=notes,
            callback_at=callback_at,
        )

    def _message(self, number: int, sent_at: datetime, channel: str) -> ContactAttempt:
        self.message_serial += 1
        return ContactAttempt(
            number=number,
            channel=channel,
            started_at=sent_at,
            outcome=Outcome.SENT,
            provider_message_id=f"demo-{self.campaign.pk}-{channel}-{self.message_serial:06d}",
            # The raw token only ever exists in the message sent; nobody may derive it from the demo's seed.
            link_token_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest(),
            verification_code="".join(self.rng.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_LENGTH)),
        )

    def _no_answer(self) -> str:
        return _weighted(self.rng, ((Outcome.NO_ANSWER, 60), (Outcome.BUSY, 20), (Outcome.ANSWERING_MACHINE, 20)))

    def _call_times(self, customer: Customer, earliest: datetime, count: int) -> list[datetime]:
        """Up to `count` call slots, each retry at least a day later and at another part of the day."""
        latest = self.now - timedelta(minutes=15)
        times: list[datetime] = []
        moment, avoid = earliest, None
        for _ in range(count):
            slot = _slot_after(moment, customer, Channel.PHONE, self.rng, avoid_part=avoid)
            if slot >= latest:
                break
            times.append(slot)
            moment, avoid = slot + timedelta(days=1), _part_of_day(slot, customer)
        return times or [_slot_before(latest, customer, Channel.PHONE, self.rng)]

    def _calls_ending_in(
        self, customer: Customer, earliest: datetime, failures: int, final: str, agent: User | None
    ) -> list[ContactAttempt]:
        times = self._call_times(customer, earliest, failures + 1)
        outcomes = [self._no_answer() for _ in times[:-1]] + [final]
        return [
            self._call(n, at, agent, outcome)
            for n, (at, outcome) in enumerate(zip(times, outcomes, strict=True), start=1)
        ]

    def _past_start(self, *, room: timedelta) -> datetime:
        """A moment since the campaign started that leaves `room` before now for the rest to happen."""
        start = max(self.campaign.starts_at or self.now - timedelta(days=30), self.now - timedelta(days=60))
        span = (self.now - room - start).total_seconds()
        return start + timedelta(seconds=self.rng.uniform(0, span)) if span > 0 else self.now - room

    def _earliest(self, event: WalletEvent | None, *, room: timedelta) -> datetime:
        return event.occurred_at + self.campaign.cool_off if event is not None else self._past_start(room=room)

    # One method per state.

    def completed(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        channel = self._channel(customer, (Channel.PHONE, Channel.SMS, Channel.EMAIL))
        if channel == Channel.PHONE:
            agent = self._agent(allow_pool=False)
            failures = self.rng.choices((0, 1, 2), weights=(60, 28, 12))[0]
            earliest = self._earliest(event, room=timedelta(days=4))
            attempts = self._calls_ending_in(customer, earliest, failures, Outcome.COMPLETE, agent)
            done = attempts[-1].ended_at
            plan = self._new(
                customer,
                FollowUpStatus.COMPLETED,
                channel,
                event,
                scheduled_for=attempts[-1].started_at,
                assigned_agent=agent,
                closed_at=done,
            )
            plan.response_mode, plan.taken_by = Response.Mode.PHONE, agent
        else:
            sent_at = _slot_after(self._earliest(event, room=timedelta(days=1)), customer, channel, self.rng)
            sent_at = min(sent_at, self.now - timedelta(hours=2))
            delay = self.rng.choice((self.rng.uniform(300, 2 * HOUR), self.rng.uniform(2 * HOUR, 48 * HOUR)))
            done = min(sent_at + timedelta(seconds=delay), self.now - timedelta(minutes=5))
            attempts = [self._message(1, sent_at, channel)]
            plan = self._new(
                customer,
                FollowUpStatus.COMPLETED,
                channel,
                event,
                scheduled_for=sent_at,
                expires_at=sent_at + self.campaign.link_valid_for,
                closed_at=done,
            )
            plan.response_mode = Response.Mode.WEB
        plan.attempts, plan.completed_at = attempts, done
        plan.follow_up.attempts = len(attempts)
        return plan

    def invited(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        channel = self._channel(customer, (Channel.SMS, Channel.EMAIL))
        sent_before = self.now - timedelta(seconds=self.rng.randint(HOUR, 12 * 24 * HOUR))
        sent_at = _slot_before(sent_before, customer, channel, self.rng)
        attempts = [self._message(1, sent_at, channel)]
        reminder_at = _slot_after(sent_at + timedelta(days=3), customer, channel, self.rng)
        if self.rng.random() < 0.3 and reminder_at < self.now:
            attempts.append(self._message(2, reminder_at, channel))
        reminds = len(attempts) < self.campaign.max_attempts and self.campaign.remind_after is not None
        plan = self._new(
            customer,
            FollowUpStatus.INVITED,
            channel,
            event,
            # An invited follow-up keeps the moment of its reminder here (surveys/reminders.py).
            scheduled_for=attempts[-1].started_at + self.campaign.remind_after if reminds else None,
            attempts=len(attempts),
            expires_at=sent_at + self.campaign.link_valid_for,
        )
        plan.attempts = attempts
        return plan

    def expired(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        channel = self._channel(customer, (Channel.SMS, Channel.EMAIL))
        valid_for = self.campaign.link_valid_for
        sent_at = _slot_after(self._past_start(room=valid_for + timedelta(days=1)), customer, channel, self.rng)
        sent_at = min(sent_at, self.now - valid_for - timedelta(hours=1))
        plan = self._new(
            customer,
            FollowUpStatus.EXPIRED,
            channel,
            event,
            scheduled_for=sent_at,
            attempts=1,
            expires_at=sent_at + valid_for,
            closed_at=sent_at + valid_for,
            close_reason="The survey link expired without an answer",
        )
        plan.attempts = [self._message(1, sent_at, channel)]
        return plan

    def planned_due(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        due_at = _slot_before(self.now, customer, Channel.PHONE, self.rng)
        agent = self._agent(allow_pool=True)
        plan = self._new(
            customer, FollowUpStatus.PLANNED, Channel.PHONE, event, scheduled_for=due_at, assigned_agent=agent
        )
        if event is None and self.rng.random() < 0.4:
            # A retry: yesterday's call went unanswered, so today's is due.
            called_at = _slot_before(due_at - timedelta(days=1), customer, Channel.PHONE, self.rng)
            plan.attempts = [self._call(1, called_at, agent or self.rng.choice(self.agents), self._no_answer())]
            plan.follow_up.attempts = 1
        return plan

    def planned(self, customer: Customer, event: WalletEvent | None = None, *, at: datetime | None = None) -> _Plan:
        """Planned for `at` (due already when it has passed), or for a slot in the next ten days."""
        channel = Channel.PHONE if event is not None else self._channel(customer, self.campaign.channels)
        if at is None:
            after = self.now + timedelta(seconds=self.rng.randint(HOUR // 2, 10 * 24 * HOUR))
            at = _slot_after(after, customer, channel, self.rng)
        agent = self._agent(allow_pool=True) if channel == Channel.PHONE else None
        return self._new(customer, FollowUpStatus.PLANNED, channel, event, scheduled_for=at, assigned_agent=agent)

    def in_progress(self, customer: Customer, event: WalletEvent | None = None, *, at: datetime | None = None) -> _Plan:
        # An agent has claimed the call and is on it; the attempt is recorded when the call ends.
        return self._new(
            customer,
            FollowUpStatus.IN_PROGRESS,
            Channel.PHONE,
            event,
            scheduled_for=at or _slot_before(self.now, customer, Channel.PHONE, self.rng),
            assigned_agent=self._agent(allow_pool=False),
        )

    def awaiting_callback(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        agent = self._agent(allow_pool=False)
        if event is not None:
            called_at = _slot_after(event.occurred_at + self.campaign.cool_off, customer, Channel.PHONE, self.rng)
            called_at = min(called_at, self.now - timedelta(minutes=20))
        else:
            back = timedelta(seconds=self.rng.randint(HOUR, 5 * 24 * HOUR))
            called_at = _slot_before(self.now - back, customer, Channel.PHONE, self.rng)
        callback_at = _slot_before(self.now, customer, Channel.PHONE, self.rng)
        if self.rng.random() < 0.6 or callback_at <= called_at + timedelta(minutes=30):
            after = self.now + timedelta(seconds=self.rng.randint(HOUR, 4 * 24 * HOUR))
            callback_at = _slot_after(after, customer, Channel.PHONE, self.rng)
        plan = self._new(
            customer,
            FollowUpStatus.AWAITING_CALLBACK,
            Channel.PHONE,
            event,
            scheduled_for=callback_at,
            attempts=1,
            # Most call-backs stay with the agent the customer spoke to.
            assigned_agent=agent if self.rng.random() < 0.8 else None,
        )
        plan.attempts = [self._call(1, called_at, agent, Outcome.CALLBACK_REQUESTED, callback_at=callback_at)]
        return plan

    def unreachable(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        agent = self._agent(allow_pool=False)
        earliest = self._earliest(event, room=timedelta(days=5))
        if self.rng.random() < 0.2:
            attempts = self._calls_ending_in(customer, earliest, 0, Outcome.WRONG_NUMBER, agent)
            reason = "Wrong number"
        else:
            times = self._call_times(customer, earliest, self.campaign.max_attempts)
            attempts = [self._call(n, at, agent, self._no_answer()) for n, at in enumerate(times, start=1)]
            reason = f"No answer after {len(attempts)} attempts"
        plan = self._new(
            customer,
            FollowUpStatus.UNREACHABLE,
            Channel.PHONE,
            event,
            scheduled_for=attempts[-1].started_at,
            attempts=len(attempts),
            assigned_agent=agent,
            close_reason=reason,
            closed_at=attempts[-1].ended_at,
        )
        plan.attempts = attempts
        return plan

    def refused(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        agent = self._agent(allow_pool=False)
        earliest = self._earliest(event, room=timedelta(days=3))
        attempts = self._calls_ending_in(customer, earliest, self.rng.randint(0, 1), Outcome.REFUSAL, agent)
        plan = self._new(
            customer,
            FollowUpStatus.REFUSED,
            Channel.PHONE,
            event,
            scheduled_for=attempts[-1].started_at,
            attempts=len(attempts),
            assigned_agent=agent,
            close_reason="Customer declined to take part",
            closed_at=attempts[-1].ended_at,
        )
        plan.attempts = attempts
        return plan

    def cancelled(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        channel = Channel.PHONE if event is not None else self._channel(customer, self.campaign.channels)
        closed_at = self._earliest(event, room=timedelta(days=1)) + timedelta(hours=self.rng.randint(1, 20))
        return self._new(
            customer,
            FollowUpStatus.CANCELLED,
            channel,
            event,
            close_reason=self.rng.choice(_CANCEL_REASONS),
            closed_at=min(closed_at, self.now - timedelta(hours=1)),
        )

    def after_recent_event(self, customer: Customer, event: WalletEvent) -> _Plan:
        """An event of the last 48 h: called at the first slot after the cool-off, if one comes in time."""
        first_slot = _slot_after(event.occurred_at + self.campaign.cool_off, customer, Channel.PHONE, self.rng)
        if first_slot > event.occurred_at + self.campaign.deadline:
            return self.skipped(customer, event)
        roll = self.rng.random()
        if first_slot <= self.now and roll < 0.08:
            return self.in_progress(customer, event, at=first_slot)
        if first_slot <= self.now and roll < 0.25:
            return self.awaiting_callback(customer, event)
        return self.planned(customer, event, at=first_slot)  # due now when the slot has passed

    def skipped(self, customer: Customer, event: WalletEvent | None = None) -> _Plan:
        channel = Channel.PHONE if event is not None else self._channel(customer, self.campaign.channels)
        if event is not None:
            closed_at = event.occurred_at + timedelta(minutes=1)
        else:
            closed_at = self._past_start(room=timedelta(days=1))
        return self._new(
            customer,
            FollowUpStatus.SKIPPED,
            channel,
            event,
            close_reason=_EVENT_SKIP_REASON if event is not None else _BATCH_SKIP_REASON,
            closed_at=closed_at,
        )


_REACHABLE_BY = {
    "phone": lambda customer: bool(customer.phone),
    "message": lambda customer: bool(customer.phone or customer.email),
    "any": lambda customer: bool(customer.phone or customer.email),
}


def _take(pool: list[Customer], fits: Callable[[Customer], bool]) -> Customer | None:
    for index, customer in enumerate(pool):
        if fits(customer):
            return pool.pop(index)
    return None


def _contactable_demo_customers() -> list[Customer]:
    """Demo customers the bank may contact now and who have never had a follow-up in any campaign.

    Read from the database rather than from the generator, so opt-outs recorded since the first
    run are honoured, and a customer another campaign already contacts is left alone (one open
    follow-up per customer, and the contact-fatigue rule).
    """
    return list(
        Customer.objects.filter(
            bank_reference__startswith=CUSTOMER_PREFIX,
            phone_opt_out_at__isnull=True,
            sms_opt_out_at__isnull=True,
            email_opt_out_at__isnull=True,
            do_not_contact_at__isnull=True,
            consent_given_at__isnull=False,
        )
        .exclude(Exists(FollowUp.objects.filter(customer=OuterRef("pk"))))
        .order_by("bank_reference")
    )


def _plan_event_follow_ups(
    planner: _FollowUpPlanner, pool: list[Customer], customers: int, used: set[int], allocation: random.Random
) -> list[_Plan]:
    campaign, now = planner.campaign, planner.now
    by_id = {customer.pk: customer for customer in pool if customer.phone}
    events = list(
        WalletEvent.objects.filter(
            bank_reference__startswith=EVENT_PREFIX, kind__in=campaign.trigger_event_kinds, customer_id__in=by_id
        ).order_by("bank_reference")
    )
    allocation.shuffle(events)
    plans: list[_Plan] = []

    def free(event: WalletEvent) -> bool:
        return event.customer_id not in used

    old = [event for event in events if event.occurred_at < now - timedelta(days=7)]
    for status, base in _EVENT_CLOSED_QUOTAS:
        for _ in range(_scaled(base, customers)):
            event = next(filter(free, old), None)
            if event is None:
                break
            old.remove(event)
            used.add(event.customer_id)
            plans.append(planner.plan(status, by_id[event.customer_id], event))

    recent = [event for event in events if event.occurred_at > now - campaign.deadline and free(event)]
    for event in recent[: _scaled(_EVENT_OPEN_BASE, customers)]:
        if not free(event):
            continue  # the same customer had two recent events
        used.add(event.customer_id)
        plans.append(planner.plan("after_recent_event", by_id[event.customer_id], event))
    return plans


def _plan_batch_follow_ups(
    planner: _FollowUpPlanner, pool: list[Customer], customers: int, used: set[int], allocation: random.Random
) -> list[_Plan]:
    remaining = [customer for customer in pool if customer.pk not in used]
    allocation.shuffle(remaining)
    plans = []
    for status, base, needs in _BATCH_QUOTAS:
        for _ in range(_scaled(base, customers)):
            customer = _take(remaining, _REACHABLE_BY[needs])
            if customer is None:
                break
            used.add(customer.pk)
            plans.append(planner.plan(status, customer))
    return plans


def _save_follow_ups(plans: Sequence[_Plan], counts: dict[str, int]) -> None:
    FollowUp.objects.bulk_create([plan.follow_up for plan in plans], batch_size=500)
    attempts = []
    for plan in plans:
        for attempt in plan.attempts:
            attempt.follow_up = plan.follow_up
            attempts.append(attempt)
    ContactAttempt.objects.bulk_create(attempts, batch_size=1000)
    counts["follow_ups"] += len(plans)
    counts["contact_attempts"] += len(attempts)


# --- Responses and answers -----------------------------------------------------------------------

_COMMENTS = {
    Concern.SECURITY: (
        ("收到过陌生验证码短信，担心信息被泄露。", "I got a code I never asked for; I worry my details leaked."),
        ("希望大额付款时能加一道人脸验证。", "Please add face verification for large payments."),
        ("发现一笔不认识的扣款，希望尽快查明。", "There is a charge I don't recognise; please look into it quickly."),
        ("换新手机后不用验证就能登录，不太安全。", "My new phone logged in without any check; that feels unsafe."),
    ),
    Concern.TRUST: (
        (
            "付款失败了但钱被扣了，三天后才退回。",
            "A payment failed but I was charged; the money came back 3 days later.",
        ),
        ("转账到账太慢，商户以为我没付钱。", "The transfer took so long the shop thought I hadn't paid."),
        ("失败时只显示错误代码，看不懂原因。", "A failed payment only shows an error code I can't understand."),
        ("扣款通知有时延迟，不知道付没付成功。", "Payment notices arrive late, so I'm never sure it went through."),
    ),
    Concern.COMPATIBILITY: (
        ("升级鸿蒙系统后App经常闪退。", "The app keeps crashing since I upgraded to HarmonyOS."),
        ("手表上无法使用钱包付款。", "I can't pay with the wallet on my smartwatch."),
        ("小程序和App显示的余额不一致。", "The mini-program and the app show different balances."),
        ("有些商户的POS机识别不了手机NFC。", "Some shops' POS terminals don't pick up my phone's NFC."),
    ),
    Concern.USABILITY: (
        ("字体太小，老人用起来比较吃力。", "The text is too small; older people find it hard to use."),
        ("绑卡流程步骤太多。", "Adding a card takes too many steps."),
        ("找不到关闭免密支付的入口。", "I couldn't find where to turn off password-free payments."),
    ),
    Concern.SERVICE: (
        ("客服电话等了二十分钟才接通。", "I waited twenty minutes before customer service picked up."),
        ("客服很耐心，问题当天就解决了。", "The agent was patient and solved my problem the same day."),
        ("希望在线客服能24小时服务。", "I'd like online support to be available around the clock."),
    ),
    Concern.OTHER: (
        ("总体很好用，继续保持！", "Works well overall, keep it up!"),
        ("希望增加更多商户优惠。", "I'd love more merchant discounts."),
        ("跨境付款的汇率能更透明一些就好了。", "It would be nice if cross-border exchange rates were clearer."),
    ),
}


def _choice_concerns(question_code: str) -> dict[str, str]:
    question = next(q for q in starter_data()["questions"] if q["code"] == question_code)
    return {choice["code"]: choice["concern"] or question["concern"] for choice in question["choices"]}


# What a respondent worries about most: the starter's "what went wrong?" choices, plus nothing at all.
_WORRY_CONCERNS = {**_choice_concerns("what_went_wrong"), "nothing": Concern.OTHER}


@dataclass(frozen=True)
class AnswerProfile:
    """What the demo knows about a respondent that shapes their answers."""

    language: str
    device_os: str
    app_version: str
    segment: str
    event_kinds: frozenset[str] = frozenset()
    access_channels: frozenset[str] = frozenset()
    wallet_product: str = ""


def _failed_payment(profile: AnswerProfile, compatibility_prone: bool, rng: random.Random) -> str:
    kinds = {"qr_in_store": 35, "nfc_in_store": 10, "online": 25, "transfer": 12, "bills": 10, "cross_border": 4}
    if "pos" in profile.access_channels:
        kinds["nfc_in_store" if compatibility_prone else "qr_in_store"] += 40
    if profile.access_channels & {"app", "mini_program", "web"}:
        kinds["online"] += 20
    if profile.wallet_product == CROSS_BORDER_WALLET:
        kinds["cross_border"] += 40
    return _weighted(rng, tuple(kinds.items()))


def _problem_devices(profile: AnswerProfile, compatibility_prone: bool, had_failure: bool, rng: random.Random):
    if rng.random() >= 0.25 + (0.3 if compatibility_prone else 0) + (0.2 if had_failure else 0):
        return ["none"]
    places = {profile.device_os: 50, "mini_program": 20, "web": 10, "pos": 12, "smartwatch": 5}
    for channel in profile.access_channels & places.keys():
        places[channel] += 40
    if profile.device_os == DevicePlatform.HARMONYOS:
        places["smartwatch"] += 10
    picked = {_weighted(rng, tuple(places.items()))}
    if rng.random() < 0.3:
        picked.add(_weighted(rng, tuple(places.items())))
    return sorted(picked)


def demo_answers(profile: AnswerProfile, rng: random.Random) -> dict[str, object]:
    """Plausible answers to the starter survey, by question code, respecting its skip logic.

    Failed payments erode trust, old apps and HarmonyOS bring compatibility complaints, and about one
    respondent in twelve reports an unknown payment. "Which payment failed?" is answered only after
    "yes", and "what went wrong?" only for a recommendation score of 6 or less (and, being optional,
    not always then); hidden questions get no answer at all.
    """
    had_failure = Kind.PAYMENT_FAILED in profile.event_kinds
    compatibility_prone = profile.device_os == DevicePlatform.HARMONYOS or profile.app_version.startswith("7.")
    risky_events = {Kind.ACCOUNT_LOCKED, Kind.DEVICE_CHANGED} & profile.event_kinds
    unknown_payment = rng.random() < (0.11 if risky_events else 0.06)

    promoter, passive, detractor = 56.0, 28.0, 16.0
    if had_failure:
        promoter, passive, detractor = 32.0, 30.0, 38.0
    if compatibility_prone:
        promoter, detractor = promoter - 5, detractor + 5
    if unknown_payment:
        promoter, passive, detractor = 10.0, 25.0, 65.0
    group = rng.choices(("promoter", "passive", "detractor"), weights=(promoter, passive, detractor))[0]
    if group == "promoter":
        nps = rng.choices((9, 10), weights=(60, 40))[0]
    elif group == "passive":
        nps = rng.choice((7, 8))
    else:
        nps = rng.choices(range(7), weights=(3, 2, 3, 5, 6, 9, 12))[0]

    worries = {
        "data_leak": 22,
        "unauthorised_payment": 16,
        "payment_failed": 12,
        "slow": 8,
        "locked_out": 4,
        "device_not_supported": 8,
        "hard_to_use": 8,
        "service": 6,
        "other": 4,
        "nothing": 20 + (15 if group == "promoter" else 0),
    }
    if had_failure:
        worries["payment_failed"] += 30
    if Kind.TRANSACTION_DELAYED in profile.event_kinds:
        worries["slow"] += 20
    if Kind.ACCOUNT_LOCKED in profile.event_kinds:
        worries["locked_out"] += 20
        worries["service"] += 12
    if compatibility_prone:
        worries["device_not_supported"] += 25
    if profile.segment == "senior":
        worries["hard_to_use"] += 20
    if unknown_payment:
        worries["unauthorised_payment"] += 80
    main_worry = _weighted(rng, tuple(worries.items()))

    safe_base = {"promoter": 4.5, "passive": 3.8, "detractor": 3.0}[group]
    if unknown_payment:
        safe_base = 1.6
    elif _WORRY_CONCERNS[main_worry] == Concern.SECURITY:
        safe_base -= 0.6
    feel_safe = min(5, max(1, round(rng.gauss(safe_base, 0.7))))

    payment_failed = rng.random() < (0.85 if had_failure else 0.12)
    locked_out = rng.random() < (0.8 if Kind.ACCOUNT_LOCKED in profile.event_kinds else 0.05)
    payment_delayed = rng.random() < (0.8 if Kind.TRANSACTION_DELAYED in profile.event_kinds else 0.08)

    what_went_wrong: list[str] = []
    if nps <= 6 and rng.random() < 0.9:
        reasons = {main_worry if main_worry != "nothing" else "other"}
        if payment_failed and rng.random() < 0.4:
            reasons.add("payment_failed")
        if locked_out and rng.random() < 0.4:
            reasons.add("locked_out")
        if payment_delayed and rng.random() < 0.4:
            reasons.add("slow")
        what_went_wrong = sorted(reasons)

    effort_base = {"promoter": 6.2, "passive": 5.0, "detractor": 3.0}[group]
    if main_worry in ("service", "locked_out"):
        effort_base -= 1
    effort = min(7, max(1, round(rng.gauss(effort_base, 0.9))))

    comments = ""
    if rng.random() < (0.45 if group == "detractor" else 0.25):
        chinese, english = rng.choice(_COMMENTS[_WORRY_CONCERNS[main_worry]])
        comments = english if profile.language == Language.ENGLISH else chinese

    answers: dict[str, object] = {
        "unknown_payment": unknown_payment,
        "feel_safe": feel_safe,
        "payment_failed": payment_failed,
        "problem_devices": _problem_devices(profile, compatibility_prone, had_failure, rng),
        "locked_out": locked_out,
        "payment_delayed": payment_delayed,
        "nps": nps,
        "effort": effort,
        "comments": comments,
    }
    if payment_failed:
        answers["failed_payment"] = _failed_payment(profile, compatibility_prone, rng)
    if what_went_wrong:
        answers["what_went_wrong"] = what_went_wrong
    return answers


def _answer_profiles(customers: Iterable[Customer]) -> dict[int, AnswerProfile]:
    customers = list(customers)
    kinds: dict[int, set[str]] = defaultdict(set)
    channels: dict[int, set[str]] = defaultdict(set)
    rows = WalletEvent.objects.filter(customer__in=customers).values_list("customer_id", "kind", "access_channel")
    for customer_id, kind, access_channel in rows:
        kinds[customer_id].add(kind)
        if access_channel:
            channels[customer_id].add(access_channel)
    return {
        customer.pk: AnswerProfile(
            language=customer.language,
            device_os=customer.device_os,
            app_version=customer.app_version,
            segment=customer.segment,
            event_kinds=frozenset(kinds[customer.pk]),
            access_channels=frozenset(channels[customer.pk]),
            wallet_product=customer.wallet_product,
        )
        for customer in customers
    }


def _answer_rows(
    response: Response, answers: dict[str, object], questions: dict[str, Question], choices: dict[tuple[str, str], int]
) -> list[tuple[Answer, list[int]]]:
    rows = []
    for code, value in answers.items():
        question = questions.get(code)
        if question is None or value in ("", [], None):
            continue  # optional question left blank, or a survey version without this question
        answer, choice_ids = Answer(response=response, question=question), []
        if question.kind in (QK.NPS, QK.RATING, QK.CES):
            answer.number = value
        elif question.kind == QK.YES_NO:
            answer.yes_no = value
        elif question.kind == QK.FREE_TEXT:
            answer.text = value
        else:
            codes = value if isinstance(value, list) else [value]
            choice_ids = [choices[(code, choice_code)] for choice_code in codes if (code, choice_code) in choices]
        rows.append((answer, choice_ids))
    return rows


def _save_responses(plans: Sequence[_Plan], counts: dict[str, int]) -> list[tuple[Response, dict[str, object]]]:
    completed = [plan for plan in plans if plan.completed_at is not None]
    profiles = _answer_profiles(plan.follow_up.customer for plan in completed)
    survey_ids = {plan.follow_up.campaign.survey_id for plan in completed}
    questions_by_survey: dict[int, dict[str, Question]] = defaultdict(dict)
    for question in Question.objects.filter(survey_id__in=survey_ids):
        questions_by_survey[question.survey_id][question.code] = question
    choices = {
        (choice.question.survey_id, choice.question.code, choice.code): choice.pk
        for choice in Choice.objects.filter(question__survey_id__in=survey_ids).select_related("question")
    }

    responses, answered = [], []
    for plan in completed:
        customer = plan.follow_up.customer
        submitted_at = plan.completed_at
        response = Response(
            follow_up=plan.follow_up,
            survey_id=plan.follow_up.campaign.survey_id,
            status=Response.Status.SUBMITTED,
            mode=plan.response_mode,
            language=customer.language,
            taken_by=plan.taken_by,
            started_at=submitted_at - timedelta(seconds=240 if plan.taken_by else 150),
            submitted_at=submitted_at,
        )
        # Seeded per customer so one respondent's answers never depend on who else answered.
        answers = demo_answers(profiles[customer.pk], random.Random(f"{SEED}:answers:{customer.bank_reference}"))
        responses.append(response)
        answered.append((response, answers))
    Response.objects.bulk_create(responses, batch_size=500)

    rows: list[tuple[Answer, list[int]]] = []
    for response, answers in answered:
        survey_choices = {(q, c): pk for (s, q, c), pk in choices.items() if s == response.survey_id}
        rows.extend(_answer_rows(response, answers, questions_by_survey[response.survey_id], survey_choices))
    Answer.objects.bulk_create([answer for answer, _ in rows], batch_size=1000)
    through = Answer.choices.through
    links = [through(answer_id=answer.pk, choice_id=pk) for answer, choice_ids in rows for pk in choice_ids]
    through.objects.bulk_create(links, batch_size=1000)
    counts["responses"] += len(responses)
    counts["answers"] += len(rows)
    return answered


# --- Cases ---------------------------------------------------------------------------------------

Category = Case.Category
_CASE_SUMMARIES = {
    Category.SUSPECTED_FRAUD: "Reports a payment they did not make · 反映有非本人发起的支付",
    Category.DATA_LEAK: "Worried their personal data leaked · 担心个人信息泄露",
    Category.PAYMENT_PROBLEM: "Unhappy after a failed payment · 支付失败后不满意",
    Category.ACCOUNT_ACCESS: "Unhappy after the account was locked · 账户锁定后不满意",
    Category.COMPATIBILITY: "Wallet does not work well on their device · 设备兼容性问题",
    Category.DETRACTOR: "Low recommendation score · 推荐意愿低",
}
_RESOLUTIONS = {
    Category.SUSPECTED_FRAUD: (
        ("Card details skimmed at a merchant 商户侧盗刷", "REFUNDED_CARD_REISSUED"),
        ("Family member paid with the customer's phone 家人代付", "CUSTOMER_CONFIRMED_OWN"),
        ("Merchant charged twice 商户重复扣款", "MERCHANT_REFUND"),
    ),
    Category.DATA_LEAK: (
        ("Phishing SMS, no leak from the bank 钓鱼短信，非我行泄露", "CUSTOMER_EDUCATED"),
        ("Password reused on another site 密码在其他网站重复使用", "PASSWORD_RESET"),
    ),
    Category.PAYMENT_PROBLEM: (
        ("Issuer timeout during settlement 发卡行结算超时", "REFUNDED"),
        ("Risk rule too strict 风控规则过严", "RULE_TUNED"),
    ),
    Category.ACCOUNT_ACCESS: (("Locked after wrong passwords 多次密码错误锁定", "UNLOCKED_EXPLAINED"),),
    Category.COMPATIBILITY: (
        ("Known app 7.x issue on HarmonyOS 鸿蒙系统7.x版本已知问题", "UPGRADE_ADVISED"),
        ("POS terminal without NFC 商户终端不支持NFC", "MERCHANT_NOTIFIED"),
    ),
    Category.DETRACTOR: (
        ("Long wait for customer service 客服等待时间长", "APOLOGY_CALL"),
        ("Fees not explained 手续费说明不清", "EXPLAINED"),
    ),
}
_URGENT_CATEGORIES = (Category.SUSPECTED_FRAUD, Category.DATA_LEAK)


def _case_category(answers: dict[str, object], profile_kinds: Iterable[str], rng: random.Random) -> str | None:
    reasons = set(answers.get("what_went_wrong", ()))
    if answers["unknown_payment"]:
        return Category.SUSPECTED_FRAUD
    if "data_leak" in reasons and int(answers["feel_safe"]) <= 2 and rng.random() < 0.8:
        return Category.DATA_LEAK
    if int(answers["nps"]) <= 6 and rng.random() < 0.35:
        if Kind.PAYMENT_FAILED in profile_kinds or "failed_payment" in answers:
            return Category.PAYMENT_PROBLEM
        if Kind.ACCOUNT_LOCKED in profile_kinds or answers["locked_out"]:
            return Category.ACCOUNT_ACCESS
        if "device_not_supported" in reasons:
            return Category.COMPATIBILITY
        return Category.DETRACTOR
    return None


def _case_priority(*, urgent: bool, nps: int) -> int:
    if urgent:
        return Case.Priority.URGENT
    return Case.Priority.HIGH if nps <= 3 else Case.Priority.NORMAL


def _save_cases(
    answered: Sequence[tuple[Response, dict[str, object]]],
    *,
    owners: Sequence[User],
    now: datetime,
    counts: dict[str, int],
) -> None:
    rng = random.Random(f"{SEED}:cases")
    event_kinds: dict[int, set[str]] = defaultdict(set)
    customer_ids = [response.follow_up.customer_id for response, _ in answered]
    events = WalletEvent.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "kind")
    for customer_id, kind in events:
        event_kinds[customer_id].add(kind)

    cases = []
    for response, answers in answered:
        follow_up = response.follow_up
        category = _case_category(answers, event_kinds[follow_up.customer_id], rng)
        if category is None:
            continue
        # Opened by the rules engine minutes after the answer, never later than now.
        opened_at = min(response.submitted_at + timedelta(minutes=rng.randint(2, 30)), now - timedelta(minutes=2))
        urgent = category in _URGENT_CATEGORIES
        sla = case_rules.sla_due(category, opened_at) - opened_at
        case = Case(
            follow_up=follow_up,
            response=response,
            customer_id=follow_up.customer_id,
            category=category,
            priority=_case_priority(urgent=urgent, nps=int(answers["nps"])),
            summary=_CASE_SUMMARIES[category],
            owner=rng.choice(owners),
            opened_at=opened_at,
            sla_due_at=opened_at + sla,
            regulatory_due_at=case_rules.regulatory_due(opened_at, complex=False, extended=False),
            status=Case.Status.OPEN,
        )
        age = now - opened_at
        if age > timedelta(hours=2) and rng.random() < (0.8 if age > sla else 0.25):
            # Most are solved within the SLA, some late, none in the future.
            resolved_at = opened_at + min(sla * rng.uniform(0.1, 1.4), age - timedelta(minutes=30))
            root_cause, code = rng.choice(_RESOLUTIONS[category])
            case.status, case.resolved_at, case.root_cause, case.resolution_code = (
                Case.Status.RESOLVED,
                resolved_at,
                root_cause,
                code,
            )
            case.resolution_notes = "Customer called back and agreed with the outcome. 已回电客户，客户认可处理结果。"
        elif rng.random() < 0.6:
            case.status = Case.Status.IN_PROGRESS
        cases.append(case)
    Case.objects.bulk_create(cases, batch_size=500)
    counts["cases"] += len(cases)


# --- Entry point ---------------------------------------------------------------------------------

COUNT_KEYS = (
    "staff_users",
    "demo_authenticators",
    "customers",
    "wallet_events",
    "surveys",
    "questions",
    "choices",
    "campaigns",
    "follow_ups",
    "contact_attempts",
    "responses",
    "answers",
    "cases",
)


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def seed_demo(*, customers: int = 3000, now: datetime | None = None, stdout: IO[str] | None = None) -> dict[str, int]:
    """Create whatever part of the demo is missing; return how many rows of each kind were created."""
    if customers < 0:
        raise ValueError("customers must be 0 or more")
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime")
    counts = dict.fromkeys(COUNT_KEYS, 0)

    with transaction.atomic():
        staff = _ensure_staff(counts)
        generated = build_demo_customers(customers, now=now)
        _ensure_customers(generated, counts)
        _ensure_wallet_events(build_demo_wallet_events(generated, now=now), counts)
        _say(stdout, f"Customers and wallet events: {counts['customers']} and {counts['wallet_events']} new.")

        survey = _ensure_survey(now=now, counts=counts)
        campaigns = _ensure_campaigns(survey=survey, now=now, author=staff["manager"], counts=counts)
        if FollowUp.objects.filter(campaign__in=campaigns).exists():
            _say(stdout, "The demo campaigns already have follow-ups; leaving them as they are.")
            return counts

        agents = [staff["agent"], staff["agent2"]]
        # Decides who gets which follow-up; the follow-ups' own details have their own seeds.
        allocation = random.Random(f"{SEED}:follow-ups")
        batch_campaign, event_campaign = campaigns
        pool = _contactable_demo_customers()
        used: set[int] = set()
        plans = _plan_event_follow_ups(
            _FollowUpPlanner(campaign=event_campaign, now=now, agents=agents), pool, customers, used, allocation
        )
        plans += _plan_batch_follow_ups(
            _FollowUpPlanner(campaign=batch_campaign, now=now, agents=agents), pool, customers, used, allocation
        )
        _save_follow_ups(plans, counts)
        _record_planning(campaigns, now=now)
        answered = _save_responses(plans, counts)
        _save_cases(answered, owners=[staff["manager"], *agents], now=now, counts=counts)
        _say(stdout, f"Follow-ups: {counts['follow_ups']}, responses: {counts['responses']}, cases: {counts['cases']}.")
    return counts
