"""`manage.py seed_demo`: a repeatable demo that never disturbs real data."""

import hmac
from base64 import b32decode
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Customer, User, WalletEvent
from accounts.queries import landing_url_name
from analytics.models import ResponseRollup
from ops import demo_data
from ops.demo_data import DEMO_PASSWORD, DEMO_STAFF, build_demo_customers, seed_demo
from ops.demo_second_factor import DEMO_TOTP_KEY, demo_code
from surveys.models import Campaign, Case, ContactAttempt, FollowUp, Question, Response, Survey
from surveys.queries import agent_queue
from surveys.skip_logic import AnswerValue, visible_codes

pytestmark = pytest.mark.django_db

SMALL = 200  # customers: enough for every state, quick enough to seed in each test


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models(include_auto_created=True)}


def snapshot(*models) -> dict[str, list[dict]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def test_it_creates_nothing_new_and_changes_nothing_when_run_twice():
    first = seed_demo(customers=SMALL)
    counts_before = row_counts()
    rows_before = snapshot(User, Customer, WalletEvent, Survey, Campaign, FollowUp, ContactAttempt, Response)

    second = seed_demo(customers=SMALL)

    assert first["customers"] == SMALL
    assert set(second.values()) == {0}
    assert row_counts() == counts_before
    assert snapshot(User, Customer, WalletEvent, Survey, Campaign, FollowUp, ContactAttempt, Response) == rows_before


def test_it_keeps_an_existing_non_demo_customer_and_its_data_unchanged():
    customer = Customer.objects.create(
        bank_reference="BANK-000042",
        name="李娜",
        phone="+8613912345678",
        email="li.na@bank.example",
        consent_given_at=timezone.now() - timedelta(days=100),
        consent_source="enrolment",
    )
    WalletEvent.objects.create(
        bank_reference="BANK-EV-1",
        customer=customer,
        kind="payment_failed",
        occurred_at=timezone.now() - timedelta(hours=5),
        details={"amount": 12.5},
    )
    before = snapshot(Customer, WalletEvent)

    seed_demo(customers=SMALL)

    after = snapshot(Customer, WalletEvent)
    assert [row for row in after["accounts.Customer"] if row["id"] == customer.pk] == before["accounts.Customer"]
    assert [row for row in after["accounts.WalletEvent"] if row["customer_id"] == customer.pk] == before[
        "accounts.WalletEvent"
    ]
    assert not FollowUp.objects.filter(customer=customer).exists()


def test_it_leaves_an_existing_user_with_a_demo_name_alone():
    own = User.objects.create_user(username="manager", password="the-managers-own-password")

    seed_demo(customers=SMALL)

    own.refresh_from_db()
    assert own.check_password("the-managers-own-password")
    assert not own.groups.exists()


def test_it_creates_follow_ups_in_every_status():
    seed_demo(customers=SMALL)

    assert set(FollowUp.objects.values_list("status", flat=True)) == set(FollowUp.Status.values)


def test_it_never_gives_a_follow_up_to_an_opted_out_or_do_not_contact_customer():
    seed_demo(customers=SMALL)

    not_contactable = Customer.objects.exclude(sms_opt_out_at=None) | Customer.objects.exclude(do_not_contact_at=None)
    assert not_contactable.exists(), "the demo should include customers who opted out"
    assert not FollowUp.objects.filter(customer__in=not_contactable).exists()


@pytest.mark.parametrize("staff", DEMO_STAFF, ids=lambda staff: staff.username)
@override_settings(DEBUG=True)
def test_it_gives_each_role_a_user_who_can_sign_in_with_the_published_password_and_demo_code(client, staff):
    seed_demo(customers=SMALL)

    user = User.objects.get(username=staff.username)
    assert list(user.groups.values_list("name", flat=True)) == [staff.role]
    assert user.is_staff == (staff.role == "admin")
    assert not user.is_superuser
    client.post(reverse("login"), {"username": staff.username, "password": DEMO_PASSWORD})
    code, _ = demo_code()
    response = client.post(reverse("two-factor-verify"), {"code": code}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(landing_url_name(user))


def test_without_debug_the_demo_users_get_no_known_second_factor_key():
    seed_demo(customers=SMALL)

    assert not TOTPDevice.objects.exists()


@override_settings(DEBUG=True)
def test_the_demo_key_goes_only_to_demo_users_who_still_have_the_demo_password():
    own = User.objects.create_user(username="manager", password="the-managers-own-password")

    seed_demo(customers=SMALL)

    assert not TOTPDevice.objects.filter(user=own).exists()
    assert TOTPDevice.objects.filter(user__username="agent", confirmed=True).count() == 1


@override_settings(DEBUG=True)
def test_demo_code_prints_the_code_an_authenticator_app_shows_for_the_published_key():
    out = StringIO()
    call_command("demo_code", stdout=out)
    assert out.getvalue().split()[0] == demo_code()[0]
    for moment in (59, 1111111109, 2000000000):
        assert demo_code(at=moment)[0] == rfc6238_code(DEMO_TOTP_KEY, moment)


def rfc6238_code(key_base32: str, moment: int) -> str:
    """RFC 6238 (TOTP, SHA-1, 30 s, 6 digits) written out, as `oathtool --totp -b KEY` computes it."""
    counter = (moment // 30).to_bytes(8, "big")
    digest = hmac.new(b32decode(key_base32), counter, "sha1").digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def test_demo_code_refuses_to_run_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_code", stdout=StringIO())


def test_it_answers_every_required_question_in_each_submitted_response():
    seed_demo(customers=SMALL)

    responses = Response.objects.prefetch_related("answers__choices")
    assert responses.count() == FollowUp.objects.filter(status="completed").count() > 0
    for response in responses:
        # The response's own survey: the shipped re-survey (surveys 0005) is installed beside the starter.
        questions = list(
            Question.objects.filter(survey=response.survey_id)
            .select_related("show_if_question")
            .prefetch_related("choices")
        )
        rules = [question.as_rule() for question in questions]
        assert response.status == Response.Status.SUBMITTED
        answers = {
            answer.question.code: AnswerValue(
                number=answer.number,
                yes_no=answer.yes_no,
                choices=frozenset(choice.code for choice in answer.choices.all()),
                text=answer.text,
            )
            for answer in response.answers.all()
        }
        shown = set(visible_codes(rules, answers))
        required = {question.code for question in questions if question.required and question.code in shown}
        # Every question skip logic showed and that needs an answer has one; none that it hid has one.
        assert required <= set(answers) <= shown
        assert (response.mode == Response.Mode.PHONE) == (response.taken_by_id is not None)


def test_its_net_promoter_score_is_plausible():
    seed_demo(customers=SMALL)

    scores = list(Response.objects.filter(answers__question__code="nps").values_list("answers__number", flat=True))
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    assert -20 <= 100 * (promoters - detractors) / len(scores) <= 50


@time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_it_leaves_due_phone_calls_in_every_agents_queue():
    # A Wednesday morning in Shanghai: the queue only shows calls that may be made right now.
    seed_demo(customers=SMALL)

    for username in ("agent", "agent2"):
        assert agent_queue(agent=User.objects.get(username=username), now=timezone.now()).exists()
    assert FollowUp.objects.filter(channel="phone", status="planned", assigned_agent=None).exists()


def test_its_follow_ups_agree_with_their_last_contact_attempt():
    seed_demo(customers=SMALL)

    last_outcome = {"awaiting_callback": "callback_requested", "refused": "refusal", "invited": "sent"}
    for follow_up in FollowUp.objects.prefetch_related("attempts_made"):
        attempts = list(follow_up.attempts_made.all())
        assert [attempt.number for attempt in attempts] == list(range(1, follow_up.attempts + 1))
        if follow_up.status in last_outcome:
            assert attempts[-1].outcome == last_outcome[follow_up.status]
        if follow_up.status == "awaiting_callback":
            assert attempts[-1].callback_at == follow_up.scheduled_for
        if follow_up.channel == "phone":
            assert all(attempt.agent_id for attempt in attempts)


def test_it_dates_what_already_happened_in_the_past_and_event_follow_ups_after_their_event():
    now = timezone.now()
    seed_demo(customers=SMALL, now=now)

    assert not ContactAttempt.objects.filter(started_at__gt=now).exists()
    assert not FollowUp.objects.filter(closed_at__gt=now).exists()
    assert not Response.objects.filter(submitted_at__gt=now).exists()
    assert not Case.objects.filter(opened_at__gt=now).exists()
    assert not Case.objects.filter(resolved_at__gt=now).exists()
    for follow_up in FollowUp.objects.exclude(wallet_event=None).select_related("wallet_event"):
        assert follow_up.wallet_event.customer_id == follow_up.customer_id
        assert follow_up.scheduled_for is None or follow_up.scheduled_for > follow_up.wallet_event.occurred_at


def test_it_writes_nothing_when_it_fails_part_way(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_data, "_save_cases", broken)
    before = row_counts()

    with pytest.raises(RuntimeError):
        seed_demo(customers=SMALL)

    assert row_counts() == before


def test_it_makes_the_same_customers_every_time():
    now = timezone.now()
    fields = ("bank_reference", "name", "phone", "email", "time_zone", "device_os", "app_version", "segment")
    first = [[getattr(c, f) for f in fields] for c in build_demo_customers(50, now=now)]
    again = [[getattr(c, f) for f in fields] for c in build_demo_customers(80, now=now)][:50]
    assert first == again


def test_the_command_prints_the_logins_and_where_to_go():
    out = StringIO()
    with override_settings(DEBUG=True):  # the test runner turns DEBUG off
        call_command("seed_demo", customers=SMALL, stdout=out)

    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert DEMO_PASSWORD in text
    assert all(staff.username in text for staff in DEMO_STAFF)


def test_the_command_refuses_to_run_without_debug_unless_forced():
    with override_settings(DEBUG=False):
        with pytest.raises(CommandError, match="DEBUG"):
            call_command("seed_demo", customers=SMALL, stdout=StringIO())
        assert not Customer.objects.exists()

        call_command("seed_demo", customers=SMALL, force=True, stdout=StringIO())
    assert Customer.objects.count() == SMALL


def test_its_campaigns_show_planning_done_with_the_follow_ups_they_hold():
    seed_demo(customers=SMALL)

    for campaign in Campaign.objects.all():
        assert campaign.planning_status == "done"
        assert campaign.planned_count == campaign.follow_ups.count() > 0


def test_the_command_counts_the_demo_responses_for_the_dashboards():
    with override_settings(DEBUG=True):
        call_command("seed_demo", customers=SMALL, stdout=StringIO())

    counted = ResponseRollup.objects.aggregate(total=Sum("respondents"))["total"]
    assert counted == Response.objects.filter(status=Response.Status.SUBMITTED).count() > 0
