from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

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
