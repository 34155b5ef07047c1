"""Staff users, wallet customers and the wallet events that can trigger a follow-up."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

E164_VALIDATOR = RegexValidator(
    r"^\+[1-9]\d{6,14}$", _("Enter the phone number in international E.164 form, e.g. +8613800138000.")
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not an IANA time zone name."), params={"value": value})


class Language(models.TextChoices):
    CHINESE = "zh-hans", _("Simplified Chinese")
    ENGLISH = "en", _("English")


class Role(models.TextChoices):
    """Staff roles; each is a Django group of the same name created by a migration."""

    AGENT = "agent", _("Support agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A member of the bank's staff. Customers never log in."""

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.CHINESE)
    # Raised by "sign out everywhere": every session signed in before no longer matches the user.
    session_epoch = models.PositiveIntegerField(_("session generation"), default=0, editable=False)

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def get_full_name(self) -> str:
        """Chinese names read family name first, with no space: 王芳, not 芳 王."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if any("\u4e00" <= char <= "\u9fff" for char in first + last):
            return f"{last}{first}"
        return super().get_full_name()

    def _get_session_auth_hash(self, secret=None):
        """Django keeps this hash in each session and ends the session when it changes (as it does
        when the password changes). Mixing in the epoch lets "sign out everywhere" change it too;
        epoch 0 keeps Django's own hash, so sessions from before this existed stay valid."""
        password_hash = super()._get_session_auth_hash(secret=secret)
        if not self.session_epoch:
            return password_hash
        return salted_hmac(
            "accounts.User.session_epoch", f"{password_hash}:{self.session_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def has_role(self, role: Role | str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return role in self.role_names

    @property
    def role_names(self) -> set[str]:
        # Cached per instance: the home page and navigation ask several times per request.
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names


class Channel(models.TextChoices):
    """How a customer is contacted."""

    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    HARMONYOS = "harmonyos", "HarmonyOS"
    OTHER = "other", _("Other")


class TimeOfDay(models.TextChoices):
    ANY = "any", _("Any time")
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class EvidenceSource(models.TextChoices):
    """Where a consent or opt-out decision came from."""

    LINK = "link", _("Customer link")
    AGENT = "agent", _("Support agent")
    API = "api", _("Bank API")
    IMPORT = "import", _("File import")
    ADMIN = "admin", _("Administrator")
    ENROLMENT = "enrolment", _("Wallet enrolment")


class Customer(models.Model):
    """A wallet user the bank may follow up with."""

    bank_reference = models.CharField(_("bank reference"), max_length=64, unique=True)
    name = models.CharField(_("customer name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[E164_VALIDATOR])
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.CHINESE)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=8, choices=Channel.choices, default=Channel.SMS
    )
    preferred_time_of_day = models.CharField(
        _("preferred time of day"), max_length=12, choices=TimeOfDay.choices, default=TimeOfDay.ANY
    )
    device_os = models.CharField(
        _("device OS"), max_length=12, choices=DevicePlatform.choices, default=DevicePlatform.OTHER
    )
    device_os_version = models.CharField(_("OS version"), max_length=32, blank=True)
    app_version = models.CharField(_("app version"), max_length=32, blank=True)
    wallet_product = models.CharField(_("wallet product"), max_length=64, blank=True)
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    enrolled_on = models.DateField(_("enrolled on"), null=True, blank=True)
    region = models.CharField(
        _("region"),
        max_length=2,
        default="CN",
        help_text=_("ISO country code of the rules that protect this customer (CN, HK, US, FR…)."),
    )

    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=12, choices=EvidenceSource.choices, blank=True)
    # Current opt-outs per channel, kept in step with ConsentRecord (the evidence) by accounts.services.
    phone_opt_out_at = models.DateTimeField(_("opted out of calls at"), null=True, blank=True)
    sms_opt_out_at = models.DateTimeField(_("opted out of SMS at"), null=True, blank=True)
    email_opt_out_at = models.DateTimeField(_("opted out of e-mail at"), null=True, blank=True)
    do_not_contact_at = models.DateTimeField(_("do not contact since"), null=True, blank=True)
    do_not_contact_source = models.CharField(
        _("do-not-contact source"), max_length=12, choices=EvidenceSource.choices, blank=True
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["bank_reference"]
        indexes = [
            models.Index(fields=["segment"], name="customer_segment_idx"),
            models.Index(fields=["device_os", "app_version"], name="customer_device_idx"),
            models.Index(fields=["wallet_product"], name="customer_product_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_given_at__isnull=True) | ~models.Q(consent_source=""),
                name="customer_consent_has_source",
            ),
            models.CheckConstraint(
                condition=models.Q(do_not_contact_at__isnull=True) | ~models.Q(do_not_contact_source=""),
                name="customer_do_not_contact_has_source",
            ),
        ]
        permissions = [
            ("reveal_customer_phone", _("Can reveal a customer's full phone number")),
            ("export_personal_data", _("Can export unmasked personal data")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.bank_reference})"

    def opt_out_at(self, channel: str) -> datetime | None:
        return getattr(self, f"{channel}_opt_out_at")

    def may_be_contacted_by(self, channel: str) -> bool:
        """Consent given, not on the do-not-contact list, not opted out of this channel."""
        return self.consent_given_at is not None and self.do_not_contact_at is None and self.opt_out_at(channel) is None


class ConsentRecord(models.Model):
    """Evidence of a consent, opt-out or do-not-contact decision. Append-only: never edited, never deleted.

    The customer's current state (Customer.*_opt_out_at, do_not_contact_at, consent_given_at) is a
    summary of these records, written by accounts.services in the same transaction.
    """

    class Kind(models.TextChoices):
        CONSENT = "consent", _("Consent given")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        OPT_OUT = "opt_out", _("Opted out")
        OPT_IN = "opt_in", _("Opted back in")
        DO_NOT_CONTACT = "do_not_contact", _("Do not contact")
        DO_NOT_CONTACT_LIFTED = "do_not_contact_lifted", _("Do-not-contact lifted")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_records")
    kind = models.CharField(_("decision"), max_length=24, choices=Kind.choices)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, blank=True, help_text=_("Empty: every channel.")
    )
    source = models.CharField(_("source"), max_length=12, choices=EvidenceSource.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("Follow-up, API client, import file and row…")
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["customer", "recorded_at", "id"]
        indexes = [models.Index(fields=["customer", "recorded_at"], name="consent_customer_idx")]

    def __str__(self) -> str:
        channel = self.get_channel_display() if self.channel else _("every channel")
        return f"{self.get_kind_display()} · {channel} · {self.recorded_at:%Y-%m-%d}"


class WalletEvent(models.Model):
    """Something that happened to a customer in the wallet, reported by the bank's systems."""

    class Kind(models.TextChoices):
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        ACCOUNT_LOCKED = "account_locked", _("Account locked")
        TRANSACTION_DELAYED = "transaction_delayed", _("Transaction delayed")
        ENROLMENT = "enrolment", _("Wallet enrolment")
        CARD_BOUND = "card_bound", _("Card bound")
        COMPLAINT = "complaint", _("Complaint")
        PASSWORD_RESET = "password_reset", _("Password reset")
        DEVICE_CHANGED = "device_changed", _("New device")

    bank_reference = models.CharField(
        _("event reference"),
        max_length=64,
        unique=True,
        help_text=_("The bank's own identifier; posting the same event twice changes nothing."),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="wallet_events", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    access_channel = models.CharField(
        _("access channel"), max_length=32, blank=True, help_text=_("App, mini-program, web, POS…")
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Set once the event's follow-ups were planned (or found not needed); beat's safety net looks for the rest.
    follow_up_planned_at = models.DateTimeField(_("follow-ups planned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wallet event")
        verbose_name_plural = _("wallet events")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="walletevent_customer_idx"),
            models.Index(fields=["kind", "-occurred_at"], name="walletevent_kind_idx"),
            models.Index(
                fields=["occurred_at"],
                condition=models.Q(follow_up_planned_at__isnull=True),
                name="walletevent_unplanned_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.bank_reference}"
