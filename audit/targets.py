"""How an audit entry names what was acted on: type, id and a short label that never unmasks personal data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from accounts.masking import mask_name, mask_reference

LABEL_LENGTH = 200


@dataclass(frozen=True)
class Target:
    type: str = ""
    id: str = ""
    label: str = ""


NO_TARGET = Target()


def describe(obj: models.Model | None) -> Target:
    """``accounts.customer``, ``42``, ``customer #42 ****0042 王**``: a customer is shown masked; staff
    by username; anything else by its model name and id."""
    if obj is None:
        return NO_TARGET
    meta = obj._meta
    label = f"{meta.model_name} #{obj.pk}"
    if meta.label_lower == "accounts.customer":
        label = " ".join(part for part in (label, mask_reference(obj.bank_reference), mask_name(obj.name)) if part)
    elif meta.label_lower == "accounts.user":
        label = f"{label} {obj.get_username()}"
    return Target(type=meta.label_lower, id=str(obj.pk), label=label[:LABEL_LENGTH])
