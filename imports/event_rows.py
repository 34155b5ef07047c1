"""One wallet-event row of a bank file cleaned: pure, no database (the customer is looked up by the import)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.utils.translation import gettext as _

from accounts.customer_intake import FieldError, parse_moment
from accounts.models import WalletEvent

_KINDS = {
    **{value: value for value in WalletEvent.Kind.values},
    **dict.fromkeys(("支付失败", "付款失败", "payment failed"), WalletEvent.Kind.PAYMENT_FAILED),
    **dict.fromkeys(("账户锁定", "账户冻结", "account locked"), WalletEvent.Kind.ACCOUNT_LOCKED),
    **dict.fromkeys(("交易延迟", "交易延时", "transaction delayed"), WalletEvent.Kind.TRANSACTION_DELAYED),
    **dict.fromkeys(("开通", "钱包开通", "注册", "enrollment"), WalletEvent.Kind.ENROLMENT),
    **dict.fromkeys(("绑卡", "绑定银行卡", "card bound"), WalletEvent.Kind.CARD_BOUND),
    **dict.fromkeys(("投诉",), WalletEvent.Kind.COMPLAINT),
    **dict.fromkeys(("重置密码", "密码重置", "password reset"), WalletEvent.Kind.PASSWORD_RESET),
    **dict.fromkeys(("更换设备", "新设备", "device changed", "new device"), WalletEvent.Kind.DEVICE_CHANGED),
}
_REFERENCE_LIMIT = WalletEvent._meta.get_field("bank_reference").max_length
_CHANNEL_LIMIT = WalletEvent._meta.get_field("access_channel").max_length


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_occurred_at(value) -> datetime | None:
    """ISO 8601 with an offset or Z keeps its zone; a naive time is in settings.TIME_ZONE."""
    if isinstance(value, datetime):
        return parse_moment(value)
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return parse_moment(text)
    return parse_moment(moment)


def clean_event(values: Mapping[str, object]) -> tuple[dict, list[FieldError]]:
    cleaned: dict = {}
    errors: list[FieldError] = []

    def fail(name: str, raw, reason: str) -> None:
        errors.append(FieldError(name, "" if _blank(raw) else str(raw).strip(), reason))

    for name in ("bank_reference", "customer_reference", "kind", "occurred_at"):
        if _blank(values.get(name)):
            fail(name, "", _("This column is required."))
    for name in ("bank_reference", "customer_reference"):
        raw = values.get(name)
        if not _blank(raw):
            text = str(raw).strip()
            if len(text) > _REFERENCE_LIMIT:
                fail(name, raw, _("Longer than %(limit)s characters.") % {"limit": _REFERENCE_LIMIT})
            else:
                cleaned[name] = text
    raw = values.get("kind")
    if not _blank(raw):
        kind = _KINDS.get(str(raw).strip().lower()) or _KINDS.get(str(raw).strip())
        if kind is None:
            kinds = ", ".join(WalletEvent.Kind.values)
            fail("kind", raw, _("Unknown event kind; expected one of: %(kinds)s.") % {"kinds": kinds})
        else:
            cleaned["kind"] = str(kind)
    raw = values.get("occurred_at")
    if not _blank(raw):
        moment = parse_occurred_at(raw)
        if moment is None:
            fail("occurred_at", raw, _("Not a date and time; write it as 2026-03-01 14:30 or 2026-03-01T14:30+08:00."))
        else:
            cleaned["occurred_at"] = moment
    raw = values.get("access_channel")
    if not _blank(raw):
        text = str(raw).strip()
        if len(text) > _CHANNEL_LIMIT:
            fail("access_channel", raw, _("Longer than %(limit)s characters.") % {"limit": _CHANNEL_LIMIT})
        else:
            cleaned["access_channel"] = text
    return cleaned, errors
