"""The full-stack load run's data: customers, staff, surveys and campaigns, on PostgreSQL (Django set up).

1. Zones: real and Etc/GMT zones where, by the campaign's own policy, calls, SMS and e-mail are allowed now
   and for the next ``hold`` (a working day's mid-morning or afternoon, never near a window's end).
2. Customers by COPY: ``customers`` for the campaign to dispatch (segment ``load-campaign``; half have a
   phone and get SMS, half only an e-mail address), ``submitters`` for an already-invited campaign whose
   links the survey-submitting customers open, and a few per agent for the phone queue.
3. Staff: agents and managers with the role groups, one password, and each a confirmed TOTP device whose
   key the scenario keeps (the load client signs in through the real pages with it).
4. The invited campaign: follow-ups INVITED with one SENT attempt each, carrying a link token's hash (the
   tokens go to the scenario; only hashes are stored, as the dispatcher does).
5. The call campaign: due phone follow-ups assigned to each agent (their queue, the customer they open).
6. The campaign to dispatch: a DRAFT over segment ``load-campaign``, SMS then e-mail, launched later
   (``launch``) through ``surveys.services.launch_campaign``, so the real planner and dispatcher run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PASSWORD = "load-run-password-2026"  # noqa: S105 - throwaway staff of a benchmark database
CAMPAIGN_SEGMENT = "load-campaign"
SUBMITTER_SEGMENT = "load-submitters"
CALL_SEGMENT = "load-calls"
CAMPAIGN_SLUG = "load-dispatch"
SUBMIT_SLUG = "load-invited"
CALL_SLUG = "load-calls"
CALLS_PER_AGENT = 20
# Real zones first (what a bank's customers have), then whole-hour Etc zones so some zone is always open.
CANDIDATE_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Bangkok",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Moscow",
    "Europe/Berlin",
    "Europe/London",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "Australia/Sydney",
    *(f"Etc/GMT{offset:+d}" for offset in range(-12, 13) if offset),
)
# An answer for each kind of question; choice questions take their first choice (stored per survey).
_ANSWERS = {"nps": ["8"], "rating": ["4"], "ces": ["5"], "yes_no": ["no"], "free_text": ["很好用 works fine"]}


@dataclass
class Staff:
    username: str
    password: str
    totp_key: str  # hex, as django-otp stores it
    role: str
    follow_up_ids: list[int] = field(default_factory=list)  # agents: their assigned calls


@dataclass
class Scenario:
    campaign_id: int
    customers: int
    messages_per_minute: int
    zones: list[str]
    submit_campaign_id: int
    links: list[str]
    answers: dict[str, list[str]]
    agents: list[Staff]
    managers: list[Staff]
    prepared_at: str

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Scenario:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["agents"] = [Staff(**s) for s in data["agents"]]
        data["managers"] = [Staff(**s) for s in data["managers"]]
        return cls(**data)


def open_zones(now: datetime, *, hold: timedelta, contact_policy: str = "mainland_china") -> list[str]:
    """The candidate zones where calls, SMS and e-mail are all allowed from ``now`` to ``now + hold``
    (checked every five minutes), by the policy the campaigns use and its holiday calendar."""
    from surveys import scheduling
    from surveys.calendars import calendar_for
    from surveys.policies import campaign_preset

    policy = campaign_preset(contact_policy, contact_on_holidays=False)
    calendar = calendar_for(policy.holiday_country, policy.holiday_subdivision)
    moments = [now + timedelta(minutes=5 * step) for step in range(int(hold / timedelta(minutes=5)) + 1)]
    return [
        name
        for name in CANDIDATE_ZONES
        if all(
            scheduling.is_allowed(moment, zone=ZoneInfo(name), channel=channel, policy=policy, calendar=calendar)
            for moment in moments
            for channel in ("phone", "sms", "email")
        )
    ]


_COLUMNS = (
    "bank_reference, name, phone, email, language, time_zone, preferred_channel, preferred_time_of_day, "
    "device_os, device_os_version, app_version, wallet_product, segment, region, consent_given_at, consent_source, "
    "do_not_contact_source, created_at, updated_at"
)


def _copy_customers(prefix: str, count: int, *, segment: str, zones: list[str], email_only_every: int = 0) -> None:
    """``count`` customers by COPY: references ``<prefix><n>``, zones in turn, one in three English."""
    from django.db import connection

    now = datetime.now(UTC)
    consent = (now - timedelta(days=200)).isoformat()
    stamp = now.isoformat()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY accounts_customer ({_COLUMNS}) FROM STDIN") as copy:
            for index in range(count):
                email_only = email_only_every and index % email_only_every == 0
                copy.write_row(
                    (
                        f"{prefix}{index:09d}",
                        f"客户 {prefix}{index}",
                        "" if email_only else f"+8613{prefix_digit(prefix)}{index:08d}",
                        f"{prefix.lower()}{index}@example.com",
                        "en" if index % 3 == 0 else "zh-hans",
                        zones[index % len(zones)],
                        "email" if email_only else "sms",
                        "any",
                        "ios" if index % 4 == 0 else "android",
                        "17" if index % 4 == 0 else "14",
                        "8.1.2",
                        "wallet",
                        segment,
                        "",
                        consent,
                        "enrolment",
                        "",
                        stamp,
                        stamp,
                    )
                )
        cursor.execute("ANALYZE accounts_customer")


def prefix_digit(prefix: str) -> int:
    """One digit per customer group, so phone numbers never collide across groups."""
    return {"L": 5, "S": 6, "C": 7}[prefix]


def _staff(kind: str, count: int, group_name: str) -> list[Staff]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.second_factor import new_totp_key

    group = Group.objects.get(name=group_name)
    password_hash = make_password(PASSWORD)
    staff = []
    for index in range(count):
        user = User.objects.create(
            username=f"load-{kind}-{index}", password=password_hash, first_name=kind, last_name=str(index)
        )
        user.groups.add(group)
        key = new_totp_key()
        TOTPDevice.objects.create(user=user, name="Load run", key=key, confirmed=True)
        staff.append(Staff(username=user.username, password=PASSWORD, totp_key=key, role=kind))
    return staff


def _answers(survey) -> dict[str, list[str]]:
    answers = {}
    for question in survey.questions.prefetch_related("choices"):
        if question.kind in _ANSWERS:
            answers[question.code] = _ANSWERS[question.kind]
        else:
            choices = sorted(question.choices.all(), key=lambda c: (c.position, c.pk))
            answers[question.code] = [choices[0].code]
    return answers


def prepare(
    *, customers: int, submitters: int, agents: int, managers: int, messages_per_minute: int, hold: timedelta
) -> Scenario:
    """Fill an empty, migrated database (steps 1–6 of the module docstring); the scenario to save."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Customer
    from bench.common import invite_with_links
    from surveys.models import Campaign, FollowUp, PlanningStatus, Survey

    now = timezone.now()
    zones = open_zones(now, hold=hold)
    if not zones:
        raise SystemExit(f"no candidate zone allows calls, SMS and e-mail for {hold} from now")
    if Customer.objects.filter(segment__startswith="load-").exists():
        raise SystemExit("the database already holds a load run's customers: use a fresh one")
    survey = Survey.objects.filter(key="wallet-follow-up", status=Survey.Status.PUBLISHED).order_by("-version").first()
    if survey is None:
        raise SystemExit("the starter survey (key wallet-follow-up) is missing: did the migrations run?")

    with transaction.atomic():
        _copy_customers("L", customers, segment=CAMPAIGN_SEGMENT, zones=zones, email_only_every=2)
        _copy_customers("S", submitters, segment=SUBMITTER_SEGMENT, zones=zones)
        _copy_customers("C", agents * CALLS_PER_AGENT, segment=CALL_SEGMENT, zones=zones)
        agent_staff = _staff("agent", agents, "agent")
        manager_staff = _staff("manager", managers, "manager")

        common = {"survey": survey, "planning_status": PlanningStatus.DONE, "planned_at": now}
        invited = Campaign.objects.create(
            slug=SUBMIT_SLUG, name="Load run: invited customers", channels=["sms"], status="running", **common
        )
        submitters_qs = Customer.objects.filter(segment=SUBMITTER_SEGMENT).order_by("pk")
        # As the dispatcher leaves an invited follow-up: scheduled_for holds its reminder's moment.
        invited_links = invite_with_links(
            invited,
            submitters_qs.iterator(chunk_size=5000),
            now=now,
            scheduled_for=now - timedelta(hours=1) + invited.remind_after,
        )
        links = [token for token, _follow_up in invited_links]

        calls = Campaign.objects.create(
            slug=CALL_SLUG, name="Load run: calls", channels=["phone"], status="running", **common
        )
        callees = list(Customer.objects.filter(segment=CALL_SEGMENT).order_by("pk"))
        from accounts.models import User

        users = {u.username: u for u in User.objects.filter(username__in=[a.username for a in agent_staff])}
        for index, agent in enumerate(agent_staff):
            mine = callees[index * CALLS_PER_AGENT : (index + 1) * CALLS_PER_AGENT]
            created = FollowUp.objects.bulk_create(
                FollowUp(
                    campaign=calls,
                    customer=customer,
                    channel="phone",
                    status=FollowUp.Status.PLANNED,
                    scheduled_for=now - timedelta(minutes=1),
                    assigned_agent=users[agent.username],
                )
                for customer in mine
            )
            agent.follow_up_ids = [f.pk for f in created]

        campaign = Campaign.objects.create(
            slug=CAMPAIGN_SLUG,
            name=f"Load run: {customers:,} customers",
            survey=survey,
            channels=["sms", "email"],
            audience={"segments": [CAMPAIGN_SEGMENT]},
            messages_per_minute=messages_per_minute,
        )
    return Scenario(
        campaign_id=campaign.pk,
        customers=customers,
        messages_per_minute=messages_per_minute,
        zones=zones,
        submit_campaign_id=invited.pk,
        links=links,
        answers=_answers(survey),
        agents=agent_staff,
        managers=manager_staff,
        prepared_at=now.isoformat(),
    )


def launch(scenario: Scenario, *, by_username: str | None = None) -> None:
    """Launch the campaign to dispatch through the app's own service (its planning goes to a worker)."""
    from accounts.models import User
    from surveys.models import Campaign
    from surveys.services import launch_campaign

    by = User.objects.filter(username=by_username).first() if by_username else None
    launch_campaign(campaign=Campaign.objects.get(pk=scenario.campaign_id), by=by)
