"""The demo logins' second factor: one authenticator key, published like the demo password.

Only a DEBUG site gets it (`seed_demo` also runs with --force, then the demo users set up their own
app at first sign-in like anybody else): a production database never holds a known key.
"""

from __future__ import annotations

from base64 import b32decode
from collections.abc import Iterable

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

# Base32, as authenticator apps and `oathtool --totp -b` take it.
DEMO_TOTP_KEY = "DEMODEMODEMODEMODEMODEMODEMODEMO"
_DEMO_KEY_HEX = b32decode(DEMO_TOTP_KEY).hex()


def give_demo_authenticators(users: Iterable[User], *, demo_password: str) -> int:
    """Give each demo user who still has the demo password and no second factor the demo key.

    Someone's own account under a demo name (another password) is left alone. Returns how many got one.
    """
    if not settings.DEBUG:
        return 0
    given = 0
    for user in users:
        if TOTPDevice.objects.filter(user=user).exists() or not user.check_password(demo_password):
            continue
        TOTPDevice.objects.create(user=user, name="Demo authenticator", key=_DEMO_KEY_HEX, confirmed=True)
        given += 1
    return given


def demo_code(*, at: float | None = None) -> tuple[str, int]:
    """The demo key's code now (or at Unix time `at`) and the seconds it stays valid."""
    totp = TOTP(bytes.fromhex(_DEMO_KEY_HEX))
    if at is not None:
        totp.time = at
    seconds_left = totp.step - int(totp.time - totp.t0) % totp.step
    return f"{totp.token():06d}", seconds_left
