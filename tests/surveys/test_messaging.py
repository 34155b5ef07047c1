"""Channel backends: e-mail through a real SMTP conversation, the SMS outbox file, and the others."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from surveys import dispatch, messaging
from surveys.messaging import ConsoleSmsBackend, FileSmsBackend, NotConfiguredSmsBackend, SendError
from surveys.models import ContactAttempt, FollowUp, MessageTemplate
from surveys.tokens import hash_token, one_click_opt_out_link, opt_out_link, verification_code
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def wednesday_morning():
    with time_machine.travel(WEDNESDAY_10, tick=False) as traveller:
        yield traveller


def email_follow_up(*, language="en", channels=("email",), max_attempts=3):
    customer = factories.CustomerFactory(
        language=language, consent_given_at=WEDNESDAY_10 - timedelta(days=30), consent_source="enrolment"
    )
    return factories.FollowUpFactory(
        customer=customer,
        channel="email",
        campaign=factories.CampaignFactory(channels=list(channels), max_attempts=max_attempts),
    )


# --- E-mail over SMTP ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invitation_email_goes_through_a_real_smtp_conversation(sink, wednesday_morning):
    follow_up = email_follow_up(language="en")

    report = dispatch.dispatch_due_follow_ups(now=timezone.now())

    assert report.sent == 1
    [message] = sink.messages
    follow_up.refresh_from_db()
    attempt = follow_up.attempts_made.get()
    assert message["To"] == follow_up.customer.email
    assert sink.envelopes == [("followup@bank.example", [follow_up.customer.email])]
    assert message["Subject"] == "Wallet experience follow-up: tell us how it went"
    assert message["Message-ID"] == attempt.provider_message_id
    assert message["Message-ID"] == messaging.invitation_message_id(
        attempt_id=attempt.pk, started_at=attempt.started_at
    )
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    token = text.split("/s/")[1].split("/")[0]
    assert hash_token(token) == attempt.link_token_hash
    assert f"/s/{token}/" in html
    assert verification_code(attempt.pk) in text and verification_code(attempt.pk) in html
    # RFC 8058: the header points at the one-click opt-out, which a mail client POSTs to.
    assert message["List-Unsubscribe"].strip() == f"<{one_click_opt_out_link(token)}>"  # long: folded
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert opt_out_link(token) in text  # the page a person opens stays in the text
    assert follow_up.status == FollowUp.Status.INVITED


@pytest.mark.django_db
def test_the_email_subject_is_in_the_customers_language(sink, wednesday_morning):
    email_follow_up(language="zh-hans")

    dispatch.dispatch_due_follow_ups(now=timezone.now())

    [message] = sink.messages
    # A long encoded subject may be folded onto its own line, hence the strip.
    assert message["Subject"].strip() == "钱包体验回访：请告诉我们您的体验"


@pytest.mark.django_db
def test_the_dispatcher_sends_a_managers_email_wording_with_escaped_html(sink, wednesday_morning):
    messaging.forget_edited_wordings()
    MessageTemplate.objects.create(
        kind="invitation",
        channel="email",
        language="zh-hans",
        subject="{bank}：{title}",
        body="{name}您好：\n请点击 {link} 填写。验证码 {code}\n退订：{opt_out_link}",
    )
    follow_up = email_follow_up(language="zh-hans")
    follow_up.customer.name = "<script>王</script>"
    follow_up.customer.save()
    try:
        dispatch.dispatch_due_follow_ups(now=timezone.now())
    finally:
        messaging.forget_edited_wordings()

    [message] = sink.messages
    attempt = follow_up.attempts_made.get()
    assert message["Subject"].strip() == "示例银行：钱包体验回访"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("<script>王</script>您好：") and verification_code(attempt.pk) in text
    assert "<script>" not in html and "&lt;script&gt;王&lt;/script&gt;您好：" in html
    token = text.split("/s/")[1].split("/")[0]
    assert f'<a href="{opt_out_link(token)}">' in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db
def test_a_4xx_answer_is_retried_later(sink, wednesday_morning):
    sink.rcpt_answer = "451 4.3.0 Mailbox temporarily unavailable"
    follow_up = email_follow_up()

    report = dispatch.dispatch_due_follow_ups(now=timezone.now())

    follow_up.refresh_from_db()
    assert report.failed == 1 and sink.messages == []
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.scheduled_for == WEDNESDAY_10 + timedelta(minutes=10)
    attempt = follow_up.attempts_made.get()
    assert attempt.outcome == ContactAttempt.Outcome.FAILED and "451" in attempt.notes

    sink.rcpt_answer = None
    wednesday_morning.shift(timedelta(minutes=10))
    dispatch.dispatch_due_follow_ups(now=timezone.now())

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.INVITED
    assert len(sink.messages) == 1


@pytest.mark.django_db
def test_a_5xx_answer_gives_up_on_the_address(sink, wednesday_morning):
    sink.rcpt_answer = "550 5.1.1 No such user"
    follow_up = email_follow_up(channels=("email",))

    dispatch.dispatch_due_follow_ups(now=timezone.now())

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.UNREACHABLE
    assert "550" in follow_up.close_reason


@pytest.mark.django_db
def test_a_5xx_answer_to_the_message_moves_to_the_next_channel(sink, settings, tmp_path, wednesday_morning):
    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    sink.data_answer = "554 5.7.1 Message rejected"
    follow_up = email_follow_up(channels=("email", "sms"))

    dispatch.dispatch_due_follow_ups(now=timezone.now())

    follow_up.refresh_from_db()
    assert (follow_up.channel, follow_up.status) == ("sms", FollowUp.Status.INVITED)
    assert len((tmp_path / "sms.jsonl").read_text().splitlines()) == 1


def test_an_unreachable_mail_server_is_a_retryable_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # discard: nobody listens
    invitation = messaging.Invitation(
        "sms", "subject", "text", "<p>html</p>", "https://bank.example/s/x/opt-out/one-click/"
    )

    with pytest.raises(SendError) as error:
        messaging.send_invitation_email(to="someone@example.com", invitation=invitation, message_id="<x@bank.example>")

    assert error.value.retryable


# --- SMS backends -----------------------------------------------------------------------------------------


@pytest.fixture
def outbox_path(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "outbox.jsonl")
    return tmp_path / "outbox.jsonl"


def test_the_file_backend_sends_a_repeated_idempotency_key_once(outbox_path):
    first = FileSmsBackend().send(to="+8613800138000", text="你好", idempotency_key="k1")
    again = FileSmsBackend().send(to="+8613800138000", text="你好", idempotency_key="k1")
    other = FileSmsBackend().send(to="+8613800138000", text="你好", idempotency_key="k2")

    lines = [json.loads(line) for line in outbox_path.read_text(encoding="utf-8").splitlines()]
    assert first == again != other
    assert [line["idempotency_key"] for line in lines] == ["k1", "k2"]
    assert lines[0]["text"] == "你好"


def test_the_file_backend_knows_keys_another_process_wrote(outbox_path, monkeypatch):
    FileSmsBackend().send(to="+8613800138000", text="hello", idempotency_key="k1")
    monkeypatch.setattr(messaging, "_indexes", {})  # a fresh process: nothing read yet

    again = FileSmsBackend().send(to="+8613800138000", text="hello", idempotency_key="k1")

    assert len(outbox_path.read_text().splitlines()) == 1
    assert again == json.loads(outbox_path.read_text())["message_id"]


def test_the_file_backend_drops_a_line_cut_short_by_a_killed_process(outbox_path, monkeypatch):
    FileSmsBackend().send(to="+8613800138000", text="hello", idempotency_key="k1")
    with outbox_path.open("a") as outbox:
        outbox.write('{"message_id": "file-half", "idempotency_key": "k2", "to"')
    monkeypatch.setattr(messaging, "_indexes", {})

    FileSmsBackend().send(to="+8613800138000", text="hello", idempotency_key="k2")

    keys = [json.loads(line)["idempotency_key"] for line in outbox_path.read_text().splitlines()]
    assert keys == ["k1", "k2"]


def test_without_a_provider_every_sms_fails_visibly():
    with pytest.raises(SendError) as error:
        NotConfiguredSmsBackend().send(to="+8613800138000", text="hello", idempotency_key="k1")
    assert not error.value.retryable


def test_the_console_backend_prints_the_message(capsys):
    message_id = ConsoleSmsBackend().send(to="+8613800138000", text="hello", idempotency_key="k1")
    assert "+8613800138000" in capsys.readouterr().out
    assert message_id == "console-k1"


def test_the_idempotency_key_is_the_same_for_the_same_attempt_and_differs_between_attempts():
    started = datetime(2026, 3, 11, 2, 0, tzinfo=ZoneInfo("UTC"))
    key = messaging.invitation_idempotency_key(attempt_id=7, started_at=started)
    assert key == messaging.invitation_idempotency_key(attempt_id=7, started_at=started)
    assert key != messaging.invitation_idempotency_key(attempt_id=8, started_at=started)
    assert key != messaging.invitation_idempotency_key(attempt_id=7, started_at=started + timedelta(microseconds=1))
