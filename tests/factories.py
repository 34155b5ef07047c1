from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Customer, User, WalletEvent
from surveys.models import Campaign, Case, Choice, ContactAttempt, FollowUp, Question, Response, Survey

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@bank.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=role))
        if create:
            self.save()


def authenticator_of(user: User) -> TOTPDevice:
    """The user's confirmed authenticator app (TOTP device), made the first time it is asked for."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """What the person's authenticator app shows now, computed from the device's key as the app does.

    A code is accepted once: when this time step's code was already used (two sign-ins in one 30 s step),
    the next step's code is given, which the device's tolerance of one step still accepts.
    """
    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    return f"{hotp(device.bin_key, max(now, device.last_t + 1), digits=device.digits):0{device.digits}d}"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    bank_reference = factory.Sequence(lambda n: f"C{n:08d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    device_os = "android"
    device_os_version = "14"
    app_version = "8.1.2"


class WalletEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WalletEvent

    bank_reference = factory.Sequence(lambda n: f"E{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    kind = WalletEvent.Kind.PAYMENT_FAILED
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    key = factory.Sequence(lambda n: f"survey-{n}")
    title_zh = "钱包体验回访"
    title_en = "Wallet experience follow-up"
    status = Survey.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    code = factory.Sequence(lambda n: f"q{n}")
    position = factory.Sequence(int)
    kind = Question.Kind.NPS
    prompt_zh = "您有多大可能向朋友推荐我们的钱包？"
    prompt_en = "How likely are you to recommend our wallet to a friend?"
    concern = "trust"


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.SINGLE_CHOICE)
    code = factory.Sequence(lambda n: f"c{n}")
    label_zh = "信息泄露"
    label_en = "My details leaking"
    concern = "security"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    survey = factory.SubFactory(SurveyFactory)
    status = Campaign.Status.RUNNING
    channels = ["sms", "phone"]


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    campaign = factory.SubFactory(CampaignFactory)
    customer = factory.SubFactory(CustomerFactory)
    channel = "phone"
    status = FollowUp.Status.PLANNED
    scheduled_for = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    closed_at = factory.LazyAttribute(lambda f: timezone.now() if f.status in FollowUp.CLOSED_STATUSES else None)


class ContactAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactAttempt

    follow_up = factory.SubFactory(FollowUpFactory)
    number = 1
    channel = "phone"
    started_at = factory.LazyFunction(timezone.now)
    outcome = ContactAttempt.Outcome.NO_ANSWER


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    follow_up = factory.SubFactory(FollowUpFactory, status=FollowUp.Status.COMPLETED)
    survey = factory.SelfAttribute("follow_up.campaign.survey")
    status = Response.Status.SUBMITTED
    language = "zh-hans"
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=3))
    submitted_at = factory.LazyFunction(timezone.now)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    follow_up = factory.SubFactory(FollowUpFactory, status=FollowUp.Status.COMPLETED)
    customer = factory.SelfAttribute("follow_up.customer")
    category = Case.Category.SUSPECTED_FRAUD
    summary = "Customer reports a payment they did not make"
    opened_at = factory.LazyFunction(timezone.now)
    sla_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))
    regulatory_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=15))


# --- The public survey (issue 4 §3) -------------------------------------------------------------------


def survey_link(*, survey=None, customer=None, expires_in=timedelta(days=14)):
    """A follow-up invited by SMS and the token of its working survey link: (token, follow_up)."""
    from surveys import tokens

    campaign = CampaignFactory(survey=survey) if survey is not None else CampaignFactory()
    follow_up = FollowUpFactory(
        campaign=campaign,
        customer=customer or CustomerFactory(),
        channel="sms",
        status=FollowUp.Status.INVITED,
        expires_at=timezone.now() + expires_in,
    )
    token, token_hash = tokens.new_link_token()
    ContactAttemptFactory(follow_up=follow_up, link_token_hash=token_hash, outcome="sent", channel="sms")
    return token, follow_up


def skip_logic_survey(**kwargs) -> Survey:
    """NPS; "what went wrong?" only for NPS ≤ 6; a payment failure yes/no; "which payment?" only after yes;
    worries (multiple choice, optional); rating; effort; comments (optional)."""
    survey = SurveyFactory(
        intro_en="Three minutes, no personal details.", intro_zh="三分钟，不涉及个人信息。", **kwargs
    )
    nps = QuestionFactory(survey=survey, code="nps", position=1, kind=Question.Kind.NPS)
    QuestionFactory(
        survey=survey,
        code="wrong",
        position=2,
        kind=Question.Kind.FREE_TEXT,
        prompt_en="What went wrong?",
        prompt_zh="哪里让您不满意？",
        concern="service",
        show_if_question=nps,
        show_if_operator="at_most",
        show_if_value=6,
    )
    failed = QuestionFactory(
        survey=survey,
        code="failed",
        position=3,
        kind=Question.Kind.YES_NO,
        prompt_en="Did a payment fail?",
        prompt_zh="是否有支付失败？",
        concern="trust",
    )
    which = QuestionFactory(
        survey=survey,
        code="which",
        position=4,
        kind=Question.Kind.SINGLE_CHOICE,
        prompt_en="Which payment failed?",
        prompt_zh="哪一笔支付失败了？",
        concern="trust",
        show_if_question=failed,
        show_if_operator="yes",
    )
    ChoiceFactory(question=which, code="qr", position=1, label_en="QR code in a shop", label_zh="扫码支付", concern="")
    ChoiceFactory(
        question=which, code="online", position=2, label_en="Online", label_zh="网上支付", concern="compatibility"
    )
    worries = QuestionFactory(
        survey=survey,
        code="worries",
        position=5,
        kind=Question.Kind.MULTIPLE_CHOICE,
        required=False,
        prompt_en="What worries you?",
        prompt_zh="您担心什么？",
        concern="trust",
    )
    ChoiceFactory(question=worries, code="leak", position=1, label_en="My details leaking", label_zh="信息泄露")
    ChoiceFactory(question=worries, code="fraud", position=2, label_en="Fraud", label_zh="盗刷", concern="")
    ChoiceFactory(question=worries, code="other", position=3, label_en="Other", label_zh="其他", concern="other")
    QuestionFactory(
        survey=survey,
        code="rating",
        position=6,
        kind=Question.Kind.RATING,
        prompt_en="Rate the app",
        prompt_zh="请为应用打分",
    )
    QuestionFactory(
        survey=survey,
        code="effort",
        position=7,
        kind=Question.Kind.CES,
        prompt_en="Paying was easy",
        prompt_zh="支付很容易",
    )
    QuestionFactory(
        survey=survey,
        code="comments",
        position=8,
        kind=Question.Kind.FREE_TEXT,
        required=False,
        prompt_en="Anything else?",
        prompt_zh="还有其他意见吗？",
        help_en="Optional.",
        help_zh="可不填。",
    )
    return survey
