"""Writing the audit log: ``record`` one entry, ``record_many`` entries in one INSERT.

Where the request came from (IP address, user agent, request id) is read from audit.context, which the
middleware fills in, so a service deep down records without being handed the request. Each entry is also
written as one line to the "audit" logger, for log shipping; the table is the record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from audit import context
from audit.models import AuditEntry
from audit.targets import describe

DETAILS_MAX_CHARS = 2000
_USERNAME_LENGTH = AuditEntry._meta.get_field("actor_username").max_length

audit_log = logging.getLogger("audit")

Details = Mapping[str, Any]


def _checked_details(details: Details | None) -> dict:
    """Small JSON: a mapping that serialises to at most DETAILS_MAX_CHARS characters."""
    if details is None:
        return {}
    if not isinstance(details, Mapping):
        raise TypeError("details must be a mapping")
    encoded = json.dumps(details, cls=DjangoJSONEncoder, ensure_ascii=False)
    if len(encoded) > DETAILS_MAX_CHARS:
        raise ValueError(f"details is {len(encoded)} characters long; keep it to {DETAILS_MAX_CHARS}")
    return json.loads(encoded)


def _actor_fields(actor, username: str) -> dict:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser
    name = actor.get_username() if actor is not None else username
    return {"actor": actor, "actor_username": (name or "")[:_USERNAME_LENGTH]}


def _entry(*, action, actor, username, target, details, at, where: context.RequestContext) -> AuditEntry:
    if action not in AuditEntry.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    described = describe(target)
    return AuditEntry(
        at=at,
        action=action,
        target_type=described.type,
        target_id=described.id,
        target_label=described.label,
        ip_address=where.ip_address,
        user_agent=where.user_agent,
        request_id=where.request_id,
        details=_checked_details(details),
        **_actor_fields(actor, username),
    )


def record(
    *,
    action: AuditEntry.Action | str,
    actor=None,
    target: models.Model | None = None,
    details: Details | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one entry: ``actor`` (a staff user, or None for the system or a customer) did ``action`` to
    ``target``. ``username`` names an actor who has no account (a failed sign-in's username)."""
    entry = _entry(
        action=action,
        actor=actor,
        username=username,
        target=target,
        details=details,
        at=timezone.now(),
        where=context.current(),
    )
    entry.save()
    audit_log.info(
        "%s actor=%s target=%s ip=%s",
        entry.action,
        entry.actor_username or "-",
        entry.target_label or "-",
        entry.ip_address or "-",
        extra={
            "audit_entry_id": entry.pk,
            "action": entry.action,
            "user_id": entry.actor_id,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "details": entry.details,
        },
    )
    return entry


def record_many(
    *,
    action: AuditEntry.Action | str,
    targets: Iterable[models.Model],
    actor=None,
    details: Details | Callable[[models.Model], Details] | None = None,
) -> int:
    """Append one entry per target in one INSERT (an import's thousands of decisions); returns how many.

    ``details`` is shared by every entry, or a function of the target for entries that differ."""
    now, where = timezone.now(), context.current()
    entries = [
        _entry(
            action=action,
            actor=actor,
            username="",
            target=target,
            details=details(target) if callable(details) else details,
            at=now,
            where=where,
        )
        for target in targets
    ]
    if not entries:
        return 0
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    audit_log.info(
        "%s x%s actor=%s ip=%s",
        action,
        len(entries),
        entries[0].actor_username or "-",
        where.ip_address or "-",
        extra={"action": str(action), "user_id": entries[0].actor_id, "count": len(entries)},
    )
    return len(entries)
