"""After a load or fault run: was every accepted submission stored once, every due invitation sent once?

Functions for any scenario that drives the stack (bench/fullstack.py, the multi-host run, the chaos runs);
they need Django set up on the run's database and read only. Each returns a ``Check``: figures to print and
the problems found (empty when the property holds). A problem names the follow-up, attempt or key.

- ``check_submissions``: every submission the client saw accepted (its record: link token and the answers
  it posted) has exactly one stored Response, submitted, holding exactly those answers.
- ``check_invitations``: for one campaign, every follow-up that was due has exactly one SENT message
  attempt; the SMS outbox (FileSmsBackend JSONL) has one line per idempotency key and per follow-up; the
  SMTP sink (JSONL, one accepted message a line) one message per Message-ID and per follow-up; every SENT
  attempt is in the outbox or the sink and nothing is there that no SENT attempt explains; and no message
  went out (by the attempt's start or the outbox's own time) outside the customer's window.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SMS_KEY = re.compile(r"^invitation-(\d+)-\d+$")
EMAIL_ID = re.compile(r"^<invitation-(\d+)\.\d+@[^>]+>$")
_FOLLOW_UP_FIELDS = (
    "id", "status", "scheduled_for", "customer__time_zone", "customer__region", "customer__preferred_time_of_day",
)  # fmt: skip
_MAX_LISTED = 20  # problems listed per kind; the figures count them all


@dataclass
class Check:
    name: str
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, kind: str, items: Iterable) -> None:
        """Count ``items`` under figure ``kind`` and list the first few as problems."""
        items = sorted(items)
        self.figures[kind] = len(items)
        if items:
            shown = ", ".join(str(i) for i in items[:_MAX_LISTED])
            more = f" (+{len(items) - _MAX_LISTED} more)" if len(items) > _MAX_LISTED else ""
            self.problems.append(f"{kind}: {len(items)}: {shown}{more}")

    def line(self) -> str:
        figures = ", ".join(f"{k} {v:,}" for k, v in self.figures.items())
        return f"{'PASS' if self.ok else 'FAIL'} {self.name} ({figures})" + "".join(f"\n  - {p}" for p in self.problems)


@dataclass(frozen=True)
class AcceptedSubmission:
    """What the client saw: the link it used, and the answers it posted (question code → values)."""

    token: str
    answers: Mapping[str, tuple[str, ...]]


# --- Submissions ------------------------------------------------------------------------------------------


def _stored_values(answer) -> tuple[str, ...]:
    """An Answer row as the values a form posts for it."""
    if answer.number is not None:
        return (str(answer.number),)
    if answer.yes_no is not None:
        return ("yes" if answer.yes_no else "no",)
    codes = tuple(sorted(c.code for c in answer.choices.all()))
    return codes or (answer.text,)


def check_submissions(accepted: Iterable[AcceptedSubmission]) -> Check:
    """Every accepted submission stored exactly once (one submitted Response with exactly its answers)."""
    from django.db.models import Count

    from surveys.models import Answer, ContactAttempt, Response
    from surveys.tokens import hash_token

    check = Check("submissions stored exactly once")
    accepted = list(accepted)
    check.figures["accepted"] = len(accepted)
    by_hash = {hash_token(a.token): a for a in accepted}
    follow_up_of = dict(
        ContactAttempt.objects.filter(link_token_hash__in=list(by_hash)).values_list("link_token_hash", "follow_up_id")
    )
    check.problem("unknown links", (h[:12] for h in by_hash.keys() - follow_up_of.keys()))
    submission_of = {follow_up_of[h]: by_hash[h] for h in follow_up_of}
    responses = Counter(
        dict(
            Response.objects.filter(follow_up_id__in=list(submission_of), status=Response.Status.SUBMITTED)
            .values_list("follow_up_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    check.figures["stored"] = sum(1 for f in submission_of if responses[f] == 1)
    check.problem("lost (no submitted response)", (f for f in submission_of if responses[f] == 0))
    check.problem("stored more than once", (f for f in submission_of if responses[f] > 1))
    stored: dict[int, dict[str, tuple[str, ...]]] = defaultdict(dict)
    answers = (
        Answer.objects.filter(response__follow_up_id__in=list(submission_of))
        .select_related("question", "response")
        .prefetch_related("choices")
    )
    for answer in answers:
        stored[answer.response.follow_up_id][answer.question.code] = _stored_values(answer)
    wrong = []
    for follow_up_id, submission in submission_of.items():
        posted = {code: tuple(sorted(values)) for code, values in submission.answers.items()}
        if responses[follow_up_id] and stored[follow_up_id] != posted:
            wrong.append(follow_up_id)
    check.problem("answers differ from those posted", wrong)
    return check


# --- Invitations ------------------------------------------------------------------------------------------


def read_jsonl(path: Path | str | None) -> list[dict]:
    """The records of a JSONL file (a missing file is an empty one); a torn last line is skipped."""
    if path is None or not Path(path).exists():
        return []
    records = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def _first(record: Mapping, *names: str):
    for name in names:
        if record.get(name):
            return record[name]
    return None


def _moment(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, int | float):
        from datetime import UTC

        return datetime.fromtimestamp(value, UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else None


def check_invitations(
    *,
    campaign_id: int,
    sms_records: Iterable[Mapping],
    email_records: Iterable[Mapping],
    due_by: datetime,
) -> Check:
    """Every follow-up of the campaign that was due by ``due_by`` sent exactly once, inside its window.

    ``sms_records``: the FileSmsBackend's lines (``idempotency_key``, ``sent_at``); ``email_records``: the
    SMTP sink's (``message_id`` or ``Message-ID``, optionally ``received_at``/``time``). Records of other
    campaigns' attempts are ignored.
    """
    from surveys import dispatch
    from surveys.messaging import invitation_idempotency_key, invitation_message_id
    from surveys.models import Campaign, ContactAttempt, FollowUp

    check = Check(f"invitations of campaign {campaign_id} sent exactly once")
    campaign = Campaign.objects.get(pk=campaign_id)
    follow_ups = {
        row[0]: row for row in FollowUp.objects.filter(campaign_id=campaign_id).values_list(*_FOLLOW_UP_FIELDS)
    }
    attempts = list(
        ContactAttempt.objects.filter(follow_up__campaign_id=campaign_id, channel__in=dispatch.MESSAGE_CHANNELS)
        .values_list("id", "follow_up_id", "channel", "outcome", "started_at")
        .order_by("id")
    )
    attempt_follow_up = {a[0]: a[1] for a in attempts}
    sent = [a for a in attempts if a[3] == ContactAttempt.Outcome.SENT]
    sent_per_follow_up = Counter(a[1] for a in sent)
    check.figures["follow-ups"] = len(follow_ups)
    check.figures["SENT attempts"] = len(sent)
    open_statuses = (FollowUp.Status.PLANNED, FollowUp.Status.IN_PROGRESS)
    still_due = [
        f
        for f, (_id, status, when, *_rest) in follow_ups.items()
        if status in open_statuses and when is not None and when <= due_by
    ]
    check.problem("due and not sent", still_due)
    check.problem(
        "invited without a SENT attempt",
        (f for f, row in follow_ups.items() if row[1] == FollowUp.Status.INVITED and not sent_per_follow_up[f]),
    )
    check.problem("more than one SENT attempt", (f for f, n in sent_per_follow_up.items() if n > 1))

    # The outbox and the sink, against the SENT attempts: keys and Message-IDs are derived from the attempt.
    channels = (
        ("sms", sms_records, ("idempotency_key",), SMS_KEY, invitation_idempotency_key, ("sent_at",)),
        ("email", email_records, ("message_id", "Message-ID", "message-id"), EMAIL_ID, invitation_message_id,
         ("received_at", "time", "at")),
    )  # fmt: skip
    handed_over: dict[int, list[datetime]] = defaultdict(list)
    for channel, records, id_names, pattern, derive, time_names in channels:
        keys: Counter[str] = Counter()
        per_follow_up: Counter[int] = Counter()
        for record in records:
            key = str(_first(record, *id_names) or "").strip()
            match = pattern.match(key)
            if match is None or int(match.group(1)) not in attempt_follow_up:
                continue  # another campaign's message
            attempt_id = int(match.group(1))
            keys[key] += 1
            per_follow_up[attempt_follow_up[attempt_id]] += 1
            moment = _moment(_first(record, *time_names))
            if moment is not None:
                handed_over[attempt_id].append(moment)
        expected = {derive(attempt_id=a[0], started_at=a[4]): a[1] for a in sent if a[2] == channel}  # key -> follow-up
        check.figures[f"{channel} handed over"] = len(keys)
        check.problem(f"{channel}: key or Message-ID handed over more than once", (k for k, n in keys.items() if n > 1))
        check.problem(f"{channel}: follow-up messaged more than once", (f for f, n in per_follow_up.items() if n > 1))
        check.problem(f"{channel}: SENT attempt missing from the outbox", (expected.keys() - keys.keys()))
        check.problem(f"{channel}: handed over without a SENT attempt", (keys.keys() - expected.keys()))

    # Windows: the attempt's start and the hand-over time, by the customer's rules (the dispatcher's own check).
    outside = []
    rules: dict[tuple, tuple] = {}
    verdicts: dict[tuple, bool] = {}
    for attempt_id, follow_up_id, channel, _outcome, started_at in sent:
        _id, _status, _when, zone_name, region, part = follow_ups[follow_up_id]
        key = (zone_name, region)
        if key not in rules:
            from accounts.models import Customer

            rules[key] = dispatch.rules_for(campaign, Customer(time_zone=zone_name, region=region))
        policy, calendar, zone = rules[key]
        for moment in (started_at, *handed_over.get(attempt_id, ())):
            minute = moment.replace(second=0, microsecond=0)  # windows are whole minutes: same verdict
            verdict_key = (zone_name, region, part, channel, minute)
            if verdict_key not in verdicts:
                verdicts[verdict_key] = dispatch.allowed_at(minute, zone, channel, policy, calendar, part, None)
            if not verdicts[verdict_key]:
                outside.append(attempt_id)
                break
    check.problem("sent outside the customer's window (attempt ids)", outside)
    return check
