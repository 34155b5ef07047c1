"""The managers' daily case digest: what is open, in progress and overdue, by e-mail, once a day.

An e-mail leaves the bank's systems, so the digest carries no customer personal data: no name, phone,
e-mail or summary (a summary may quote the customer), only category, priority, dates and the owner
(a member of staff). Managers follow the link to the case pages for the rest.

Once a day: the first run on a local (Asia/Shanghai) date claims the date with ``cache.add`` (atomic on
Redis and on the file cache alike), so a second beat tick, a redelivered task or a second worker sends
nothing. The claim lives in the cache, not the database: a cache flush (or losing Redis) within the
two days the claim is kept lets a run on the same date send the digest again. The repeat carries the
same Message-ID per manager and date, so it is recognisable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Role, User
from surveys import wording
from surveys.case_queries import overdue_cases
from surveys.messaging import SendError, send_email
from surveys.models import Case

logger = logging.getLogger(__name__)

DIGEST_ZONE = ZoneInfo("Asia/Shanghai")
MOST_OVERDUE = 20
# Two days: longer than the date it guards, so the claim outlives any run on that date.
CLAIM_SECONDS = 2 * 24 * 60 * 60


@dataclass
class CategoryCounts:
    category: str
    open: int = 0
    in_progress: int = 0
    overdue: int = 0

    @property
    def label(self) -> str:
        return str(Case.Category(self.category).label)  # read with the manager's language active


@dataclass
class CaseDigest:
    open: int = 0
    in_progress: int = 0
    overdue: int = 0
    by_category: list[CategoryCounts] = field(default_factory=list)
    most_overdue: list[Case] = field(default_factory=list)

    @property
    def unresolved(self) -> int:
        return self.open + self.in_progress


# --- Reads -----------------------------------------------------------------------------------------


def case_digest(*, now: datetime) -> CaseDigest:
    """Counts of unresolved cases by status and category, the overdue ones, and the most overdue cases."""
    digest = CaseDigest()
    rows: dict[str, CategoryCounts] = {}
    unresolved = (
        Case.objects.exclude(status=Case.Status.RESOLVED)
        .order_by()
        .values_list("category", "status")
        .annotate(cases=Count("pk"))
    )
    for category, status, cases in unresolved:
        row = rows.setdefault(category, CategoryCounts(category))
        if status == Case.Status.OPEN:
            row.open += cases
            digest.open += cases
        else:
            row.in_progress += cases
            digest.in_progress += cases
    overdue = overdue_cases(now)
    for category, cases in overdue.order_by().values_list("category").annotate(cases=Count("pk")):
        rows.setdefault(category, CategoryCounts(category)).overdue += cases
        digest.overdue += cases
    order = list(Case.Category.values)
    digest.by_category = sorted(rows.values(), key=lambda row: order.index(row.category))
    # The customer is not loaded at all: nothing of theirs can reach the e-mail by accident.
    digest.most_overdue = list(overdue.select_related(None).select_related("owner")[:MOST_OVERDUE])
    return digest


def digest_recipients() -> QuerySet[User]:
    """Active managers with an e-mail address."""
    return User.objects.filter(is_active=True, groups__name=Role.MANAGER).exclude(email="").distinct().order_by("pk")


# --- Sending ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestEmail:
    subject: str
    text_body: str
    html_body: str


def render_case_digest(*, digest: CaseDigest, day: date, language: str) -> DigestEmail:
    """The digest's subject and bodies in ``language``, dates in the bank's zone."""
    values = {"digest": digest, "day": day, "cases_url": f"{settings.SITE_URL}/cases/"}
    with translation.override(language), timezone.override(DIGEST_ZONE):
        return DigestEmail(
            subject=wording.fold(render_to_string("messages/case_digest_subject.txt", values)),
            text_body=render_to_string("messages/case_digest.txt", values).strip() + "\n",
            html_body=render_to_string("messages/case_digest.html", values),
        )


def digest_message_id(*, day: date, user_id: int) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<case-digest-{day.isoformat()}-{user_id}@{domain}>"


def _send(*, to: str, email: DigestEmail, message_id: str) -> None:
    send_email(
        to=to,
        subject=email.subject,
        text_body=email.text_body,
        html_body=email.html_body,
        headers={"Message-ID": message_id},
    )


def claim_key(day: date) -> str:
    return f"case-digest:{day.isoformat()}"


def send_case_digest(*, now: datetime) -> int:
    """Send each active manager the day's case digest in their language; return how many e-mails went out.

    1. Read the digest; with no unresolved case there is nothing to say, and nothing is claimed.
    2. Claim the local date in the cache; a run that finds it claimed sends nothing.
    3. Render and send one e-mail per manager. A manager whose e-mail fails is logged and skipped (the
       others must still get theirs). If every e-mail failed, nobody got one: the claim is released and
       the last error raised, so the task may retry without sending anyone a second copy.
    """
    day = timezone.localtime(now, DIGEST_ZONE).date()
    digest = case_digest(now=now)
    if digest.unresolved == 0:
        return 0
    if not cache.add(claim_key(day), now.isoformat(), timeout=CLAIM_SECONDS):
        logger.info("case digest for %s already sent", day)
        return 0
    sent = 0
    last_error: SendError | None = None
    for user in digest_recipients():
        email = render_case_digest(digest=digest, day=day, language=user.language)
        try:
            _send(to=user.email, email=email, message_id=digest_message_id(day=day, user_id=user.pk))
        except SendError as exc:
            logger.warning("case digest for %s not sent to user %s: %s", day, user.pk, exc.reason)
            last_error = exc
            continue
        sent += 1
    if sent == 0 and last_error is not None:
        cache.delete(claim_key(day))
        raise last_error
    return sent
