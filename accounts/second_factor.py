"""The second factor: an authenticator app (TOTP) and ten single-use recovery codes (django-otp).

Enrolment keeps the new key in the session until the person proves their app has it by typing a
current code; only then is a confirmed device written, so an abandoned enrolment leaves nothing.
"""

from __future__ import annotations

import re
import time
from base64 import b32encode
from binascii import unhexlify

import segno
from django.db import transaction
from django.utils.translation import gettext
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.models import User
from accounts.sessions import sign_out_everywhere

RECOVERY_CODE_COUNT = 10
_TOTP_CODE = re.compile(r"\d{6}")


def new_totp_key() -> str:
    """20 random bytes, hex-encoded as django-otp stores them."""
    return random_hex(20)


def key_for_typing(key: str) -> str:
    """The key as an authenticator app asks for it when typed by hand: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(*, user: User, key: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code (issuer: OTP_TOTP_ISSUER)."""
    return TOTPDevice(user=user, key=key).config_url


def qr_code_svg(uri: str) -> str:
    """An inline SVG of the QR code, drawn here: no image service, no inline style."""
    return segno.make(uri, error="m").svg_inline(scale=5, title=gettext("QR code for your authenticator app"))


def normalise_code(code: str) -> str:
    """People type codes with spaces or dashes and in capitals; recovery codes are stored in lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def has_second_factor(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_device_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


@transaction.atomic
def enrol_totp_device(*, user: User, key: str, code: str) -> TOTPDevice | None:
    """Write the user's confirmed authenticator device when `code` is current for `key`, else None.

    The step the code belonged to is recorded, so the same code cannot then pass the sign-in check.
    """
    code = normalise_code(code)
    if not _TOTP_CODE.fullmatch(code):
        return None
    device = TOTPDevice(user=user, key=key, name="Authenticator app", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time()
    if not totp.verify(int(code), tolerance=device.tolerance):
        return None
    device.last_t = totp.t()
    device.drift = totp.drift
    TOTPDevice.objects.filter(user=user).delete()  # at most one app per person
    device.save()
    return device


@transaction.atomic
def regenerate_recovery_codes(*, user: User) -> list[str]:
    """Ten new recovery codes for the user; the old ones stop working. Returned once, to be shown once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "Recovery codes", "confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_second_factor(*, user: User, code: str) -> Device | None:
    """The device that accepts `code`: six digits go to the authenticator app, anything else is tried as
    a recovery code (which is used up). Devices are locked while checking, so one code never passes twice;
    django-otp slows down each device after wrong codes (1 s, 2 s, 4 s, …)."""
    code = normalise_code(code)
    if not code:
        return None
    kind = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, kind) and device.verify_token(code):
                return device
    return None


@transaction.atomic
def reset_second_factor(*, user: User, by: User | None = None) -> int:
    """Remove every second-factor device of the user (an administrator's reset) and end their sessions;
    they set up a new device the next time they sign in. Returns how many devices were removed."""
    sign_out_everywhere(user=user, by=by)
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    return removed
