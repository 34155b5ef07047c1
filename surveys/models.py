"""Surveys, campaigns and the follow-up of each customer, down to every call and answer.

Invariants held by the database, not only by code:
- a survey version is unique per key; a question code is unique per survey;
- one Response per FollowUp (OneToOne), one Answer per question per Response;
- at most one open FollowUp per Customer (partial unique index);
- a ContactAttempt number is unique per FollowUp, so a retried send cannot record twice;
- a resolved Case carries its root cause and resolution code; a response opens at most one Case per
  category; an extended regulatory deadline records its approver, time and reason;
- a message's link token hash is unique (ContactAttempt.link_token_hash).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Channel, Customer, Language, WalletEvent
from surveys.skip_logic import Condition, Operator, QuestionRule


class Concern(models.TextChoices):
    """What a question or an answer tells us the customer worries about."""

    SECURITY = "security", _("Security")
    TRUST = "trust", _("Trust in payments")
    COMPATIBILITY = "compatibility", _("Compatibility")
    USABILITY = "usability", _("Usability")
    SERVICE = "service", _("Service")
    OTHER = "other", _("Other")


class Survey(models.Model):
    """One version of a questionnaire. Editing a published version with responses makes a new one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    key = models.SlugField(_("key"), max_length=64, help_text=_("Shared by every version of a survey."))
    version = models.PositiveIntegerField(_("version"), default=1)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="survey_key_version_unique"),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="survey_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title_en} v{self.version}"

    def title_for(self, language: str) -> str:
        return self.title_en if language == Language.ENGLISH else self.title_zh


class Question(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0–10)")
        RATING = "rating", _("Rating (1–5)")
        CES = "ces", _("Customer effort (1–7)")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        YES_NO = "yes_no", _("Yes / no")
        FREE_TEXT = "free_text", _("Free text")

    SCALES = {Kind.NPS: (0, 10), Kind.RATING: (1, 5), Kind.CES: (1, 7)}

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=64, help_text=_("Stable name used in exports."))
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    prompt_zh = models.TextField(_("prompt (Chinese)"))
    prompt_en = models.TextField(_("prompt (English)"))
    help_zh = models.CharField(_("help (Chinese)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    concern = models.CharField(_("concern"), max_length=16, choices=Concern.choices, default=Concern.OTHER)
    required = models.BooleanField(_("required"), default=True)
    # Skip logic (surveys/skip_logic.py): shown only when the answer to an earlier question matches.
    show_if_question = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
        verbose_name=_("show only when the answer to"),
    )
    show_if_operator = models.CharField(_("condition"), max_length=10, choices=Operator.choices, blank=True)
    show_if_value = models.JSONField(
        _("value"), null=True, blank=True, help_text=_("A score, or a list of choice codes.")
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique_per_survey"),
            models.CheckConstraint(
                condition=Q(show_if_question__isnull=True, show_if_operator="")
                | (Q(show_if_question__isnull=False) & ~Q(show_if_operator="")),
                name="question_condition_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.prompt_en[:60]}"

    def prompt_for(self, language: str) -> str:
        return self.prompt_en if language == Language.ENGLISH else self.prompt_zh

    @property
    def scale(self) -> tuple[int, int] | None:
        return self.SCALES.get(self.kind)

    @property
    def condition(self) -> Condition | None:
        if self.show_if_question_id is None:
            return None
        value = self.show_if_value
        return Condition(
            source=self.show_if_question.code,
            operator=self.show_if_operator,
            value=tuple(value) if isinstance(value, list) else value,
        )

    def as_rule(self) -> QuestionRule:
        """What skip logic needs; load ``choices`` and ``show_if_question`` with the question."""
        return QuestionRule(
            code=self.code,
            kind=self.kind,
            condition=self.condition,
            choice_codes=tuple(choice.code for choice in self.choices.all()),
            scale=self.scale,
        )


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    code = models.SlugField(_("code"), max_length=64)
    position = models.PositiveIntegerField(_("position"), default=0)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    concern = models.CharField(
        _("concern"),
        max_length=16,
        choices=Concern.choices,
        blank=True,
        help_text=_("Leave empty to use the question's concern."),
    )

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="choice_code_unique_per_question"),
        ]

    def __str__(self) -> str:
        return self.label_en

    def label_for(self, language: str) -> str:
        return self.label_en if language == Language.ENGLISH else self.label_zh


class PlanningStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Planning")
    DONE = "done", _("Planned")
    FAILED = "failed", _("Failed")


class Campaign(models.Model):
    """A survey sent to an audience through some channels, under contact rules."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")

    class Trigger(models.TextChoices):
        BATCH = "batch", _("Batch: everyone in the audience")
        EVENT = "event", _("Wallet event")
        # Follow-ups are added one at a time by people: calls agents schedule, re-surveys of resolved cases.
        MANUAL = "manual", _("Manual: calls scheduled by agents, re-surveys of resolved cases")

    slug = models.SlugField(_("short name"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="campaigns")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    trigger = models.CharField(_("trigger"), max_length=8, choices=Trigger.choices, default=Trigger.BATCH)
    trigger_event_kinds = models.JSONField(
        _("triggering events"), default=list, blank=True, help_text=_("Wallet event kinds, for event campaigns.")
    )
    audience = models.JSONField(
        _("audience"), default=dict, blank=True, help_text=_("Filters: segment, device OS, app version, product…")
    )
    channels = models.JSONField(_("channels"), default=list, help_text=_("In order of preference."))
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    contact_policy = models.CharField(
        _("contact policy"), max_length=32, default="mainland_china", help_text=_("A policy preset name.")
    )
    allow_holidays = models.BooleanField(_("contact on public holidays"), default=False)
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    cool_off = models.DurationField(_("cool-off after the event"), default=timedelta(hours=2))
    deadline = models.DurationField(_("deadline after the event"), default=timedelta(hours=48))
    link_valid_for = models.DurationField(_("survey link valid for"), default=timedelta(days=14))
    region_policies = models.JSONField(
        _("policy per customer region"),
        default=dict,
        blank=True,
        help_text=_('Customers of these regions get these presets instead, e.g. {"HK": "hong_kong"}.'),
    )
    calls_per_hour = models.PositiveIntegerField(
        _("calls per hour"), default=40, help_text=_("What the agents on shift can make in one hour.")
    )
    messages_per_minute = models.PositiveIntegerField(_("messages per minute"), default=2000)
    remind_after = models.DurationField(
        _("remind after"),
        null=True,
        blank=True,
        default=timedelta(days=3),
        help_text=_("A customer who has not answered gets a reminder this long after the invitation. Empty: none."),
    )
    # Planning progress, written by the planning task and read by the campaign page.
    planning_status = models.CharField(
        _("planning"), max_length=12, choices=PlanningStatus.choices, default=PlanningStatus.NOT_STARTED
    )
    planning_total = models.PositiveIntegerField(_("customers to consider"), default=0)
    planning_done = models.PositiveIntegerField(_("customers considered"), default=0)
    planned_count = models.PositiveIntegerField(_("follow-ups planned"), default=0)
    exclusions = models.JSONField(_("customers left out, by reason"), default=dict, blank=True)
    planning_error = models.TextField(_("planning error"), blank=True)
    planned_at = models.DateTimeField(_("planned at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("cool_off")), name="campaign_deadline_after_cool_off"
            ),
        ]
        permissions = [("launch_campaign", _("Can launch, pause and finish campaigns"))]

    def __str__(self) -> str:
        return self.name


# Spelled out as strings because Meta cannot see FollowUp.Status; FollowUp uses the same tuples.
_FOLLOWUP_OPEN = ("planned", "in_progress", "invited", "awaiting_callback")
_FOLLOWUP_DUE = ("planned", "awaiting_callback")
_FOLLOWUP_CLOSED = ("completed", "unreachable", "refused", "expired", "cancelled", "skipped")


class FollowUp(models.Model):
    """One customer in one campaign: planned, contacted, answered or closed with a reason."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("Being contacted")
        INVITED = "invited", _("Invited, awaiting answer")
        AWAITING_CALLBACK = "awaiting_callback", _("Awaiting call-back")
        COMPLETED = "completed", _("Completed")
        UNREACHABLE = "unreachable", _("Unreachable")
        REFUSED = "refused", _("Refused")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Skipped: no allowed slot")

    OPEN_STATUSES = _FOLLOWUP_OPEN
    CLOSED_STATUSES = _FOLLOWUP_CLOSED
    # States the dispatcher acts on when `scheduled_for` has passed.
    DUE_STATUSES = _FOLLOWUP_DUE

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="follow_ups")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    wallet_event = models.ForeignKey(
        WalletEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    priority = models.SmallIntegerField(_("priority"), default=0, help_text=_("Higher is called first."))
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_follow_ups",
        verbose_name=_("assigned agent"),
    )
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Set when a dispatcher claims the row; a claim older than the recovery timeout was abandoned.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A follow-up a person added (surveys/call_scheduling.py, surveys/cases.py): who, why, and the resolved
    # Case whose "is it fixed?" re-survey it is.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    note = models.CharField(_("why this call"), max_length=300, blank=True)
    rechecks_case = models.ForeignKey(
        "Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rechecks",
        verbose_name=_("re-survey of case"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["scheduled_for", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=_FOLLOWUP_OPEN),
                name="one_open_followup_per_customer",
            ),
            models.UniqueConstraint(
                fields=["campaign", "wallet_event"],
                condition=Q(wallet_event__isnull=False),
                name="one_followup_per_event_per_campaign",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=_FOLLOWUP_DUE) | Q(scheduled_for__isnull=False),
                name="followup_due_state_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=_FOLLOWUP_CLOSED) | Q(closed_at__isnull=False),
                name="followup_closed_state_has_time",
            ),
        ]
        indexes = [
            # The dispatcher's query: due rows by time, only among rows that can be due.
            models.Index(
                fields=["scheduled_for"],
                condition=Q(status__in=_FOLLOWUP_DUE),
                name="followup_due_idx",
            ),
            models.Index(fields=["assigned_agent", "status", "scheduled_for"], name="followup_agent_queue_idx"),
            models.Index(fields=["customer", "-created_at"], name="followup_customer_recent_idx"),
            models.Index(fields=["campaign", "status"], name="followup_campaign_status_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="in_progress"), name="followup_claimed_idx"),
            # Invited rows keep the moment of their reminder in scheduled_for (surveys/reminders.py).
            models.Index(fields=["scheduled_for"], condition=Q(status="invited"), name="followup_reminder_idx"),
        ]
        permissions = [("work_call_queue", _("Can work the call queue"))]

    def __str__(self) -> str:
        return f"{self.customer} · {self.campaign} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ContactAttempt(models.Model):
    """One call or one message. Outcomes use AAPOR final and temporary disposition codes."""

    class Outcome(models.TextChoices):
        # Calls (AAPOR codes in the comments).
        COMPLETE = "complete", _("Completed the survey")  # 1.1
        PARTIAL = "partial", _("Answered part of the survey")  # 1.2
        REFUSAL = "refusal", _("Declined to take part")  # 2.11
        BREAK_OFF = "break_off", _("Hung up part-way")  # 2.12
        NO_ANSWER = "no_answer", _("No answer")  # 3.13
        BUSY = "busy", _("Line busy")  # 3.12
        ANSWERING_MACHINE = "answering_machine", _("Voicemail")  # 3.14
        WRONG_NUMBER = "wrong_number", _("Wrong number")  # 4.51
        CALLBACK_REQUESTED = "callback_requested", _("Asked to be called back")  # 2.111
        DO_NOT_CONTACT = "do_not_contact", _("Asked not to be contacted")  # 2.112
        # Messages.
        QUEUED = "queued", _("Message being sent")
        SENT = "sent", _("Message sent")
        DELIVERED = "delivered", _("Message delivered")
        FAILED = "failed", _("Message failed")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attempts_made")
    number = models.PositiveSmallIntegerField(_("attempt number"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="contact_attempts"
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=128, blank=True)
    # A message's survey link: only the SHA-256 of its token is kept (surveys/tokens.py). Every message
    # of a follow-up carries its own link and all of them stay valid until the follow-up's link expires.
    link_token_hash = models.CharField(_("link token hash"), max_length=64, null=True, blank=True, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["follow_up", "number"]
        indexes = [
            models.Index(fields=["started_at"], name="attempt_started_idx"),
            models.Index(
                fields=["verification_code"], condition=~Q(verification_code=""), name="attempt_verification_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "number"], name="attempt_number_unique_per_followup"),
            models.CheckConstraint(
                condition=~Q(outcome="callback_requested") | Q(callback_at__isnull=False),
                name="callback_attempt_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.get_channel_display()} · {self.get_outcome_display()}"


class Response(models.Model):
    """A customer's answers to one follow-up; exactly one per follow-up."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", pgettext_lazy("response status", "Being answered")
        SUBMITTED = "submitted", _("Submitted")

    class Mode(models.TextChoices):
        WEB = "web", _("Web")
        PHONE = "phone", _("Phone")

    follow_up = models.OneToOneField(FollowUp, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    mode = models.CharField(_("answered by"), max_length=8, choices=Mode.choices, default=Mode.WEB)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Where a customer who leaves comes back to.
    current_question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("next question")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="response_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["survey", "status", "submitted_at"], name="response_survey_idx"),
            # The dashboards' rollup refresh reads submitted responses after a (submitted_at, id) watermark.
            models.Index(
                fields=["submitted_at", "id"], condition=Q(status="submitted"), name="response_submitted_order_idx"
            ),
        ]
        permissions = [("view_concern_dashboard", _("Can view concern dashboards"))]

    def __str__(self) -> str:
        return f"{self.follow_up.customer} · {self.get_status_display()}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(_("score"), null=True, blank=True)
    yes_no = models.BooleanField(_("yes / no"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    text_redacted = models.BooleanField(_("card or account numbers removed"), default=False)
    choices = models.ManyToManyField(Choice, blank=True, related_name="answers", verbose_name=_("choices"))
    # What the answer says the customer worries about: the chosen choices' concerns, and for free text
    # the concerns the tagger found (surveys/freetext.py). Read by the concern dashboards.
    concerns = models.JSONField(_("concerns"), default=list, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question"),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__gte=0, number__lte=10),
                name="answer_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.code} → {self.number if self.number is not None else self.yes_no or self.text[:40]}"


class Case(models.Model):
    """A response that needs action, tracked until resolved."""

    class Category(models.TextChoices):
        SUSPECTED_FRAUD = "suspected_fraud", _("Suspected fraud")
        DATA_LEAK = "data_leak", _("Personal data leak")
        DETRACTOR = "detractor", _("Unhappy customer")
        PAYMENT_PROBLEM = "payment_problem", _("Unresolved payment problem")
        ACCOUNT_ACCESS = "account_access", _("Account locked or access problem")
        COMPATIBILITY = "compatibility", _("Device or channel compatibility")
        OTHER = "other", _("Other")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case status", "Open")
        IN_PROGRESS = "in_progress", pgettext_lazy("case status", "In progress")
        RESOLVED = "resolved", _("Resolved")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="cases")
    response = models.ForeignKey(Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cases")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    summary = models.CharField(_("summary"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_cases"
    )
    opened_at = models.DateTimeField(_("opened at"))
    sla_due_at = models.DateTimeField(_("SLA due at"))
    regulatory_due_at = models.DateTimeField(_("regulatory answer due at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    root_cause = models.CharField(_("root cause"), max_length=200, blank=True)
    resolution_code = models.CharField(_("resolution code"), max_length=40, blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    # The bank complaint rules' clock (surveys/case_rules.py): 15 days, 30 when complex, extended once by
    # 30 days with a recorded approval.
    complex = models.BooleanField(_("complex case"), default=False)
    regulatory_extended_at = models.DateTimeField(_("regulatory deadline extended at"), null=True, blank=True)
    # PROTECT, not SET_NULL: the approval is evidence, and the check constraint below requires the approver,
    # so deleting the approving user must be refused (deactivate staff accounts instead).
    regulatory_extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("extension approved by"),
    )
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    flagged_by_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="flagged_cases",
        verbose_name=_("flagged by agent"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["sla_due_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="resolved")
                | (Q(resolved_at__isnull=False) & ~Q(root_cause="") & ~Q(resolution_code="")),
                name="resolved_case_has_cause_and_code",
            ),
            # An extension carries its time, approver and reason, or none of them.
            models.CheckConstraint(
                condition=Q(
                    regulatory_extended_at__isnull=True, regulatory_extended_by__isnull=True, extension_reason=""
                )
                | (
                    Q(regulatory_extended_at__isnull=False, regulatory_extended_by__isnull=False)
                    & ~Q(extension_reason="")
                ),
                name="case_extension_has_approver_and_time",
            ),
            # Opening the Cases of a response twice opens nothing new (surveys/cases.py).
            models.UniqueConstraint(
                fields=["response", "category"],
                condition=Q(response__isnull=False),
                name="one_case_per_category_per_response",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "sla_due_at"], name="case_open_sla_idx"),
            models.Index(fields=["owner", "status"], name="case_owner_idx"),
            # Overdue lookups: unresolved cases past their regulatory deadline (the SLA one uses the index above).
            models.Index(fields=["regulatory_due_at"], condition=~Q(status="resolved"), name="case_regulatory_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.customer}"


class MessageTemplate(models.Model):
    """A manager's wording of an invitation or reminder; without one, the shipped text is used."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=[c for c in Channel.choices if c[0] != "phone"])
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], name="one_template_per_kind_channel_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.get_language_display()}"


class ConcernKeyword(models.Model):
    """A word or phrase a manager added to the free-text tagger (on top of surveys/data/concern_lexicon.json)."""

    keyword = models.CharField(_("word or phrase"), max_length=100, unique=True)
    concern = models.CharField(_("concern"), max_length=16, choices=Concern.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("concern keyword")
        verbose_name_plural = _("concern keywords")
        ordering = ["concern", "keyword"]

    def __str__(self) -> str:
        return f"{self.keyword} → {self.get_concern_display()}"
