"""Managers' wording: placeholder rules, SMS length, the HTML alternative, and which text a message uses."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from surveys import messaging, wording
from surveys.models import MessageTemplate
from surveys.tokens import new_link_token, one_click_opt_out_link, survey_link
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOOD_SMS = "{title}: tell us here {link} code {code}. Stop: {opt_out_link}"
GOOD_EMAIL = "Dear {name},\n\nAnswer here: {link}\n\nCode {code}. Stop: {opt_out_link}"


@pytest.fixture(autouse=True)
def fresh_wordings():
    """The per-process copy of managers' wordings outlives a test's rolled-back rows: start and end empty."""
    messaging.forget_edited_wordings()
    with translation.override("en"):  # the problems are read in English here; messages pick their own language
        yield
    messaging.forget_edited_wordings()


# --- Placeholders -------------------------------------------------------------------------------------


def test_it_accepts_a_text_with_the_required_placeholders():
    assert wording.placeholder_problems(GOOD_SMS) == []
    assert wording.check_sms(GOOD_SMS) == []


def test_it_names_an_unknown_placeholder():
    [problem] = wording.placeholder_problems(GOOD_SMS + " {surname}")
    assert "{surname}" in problem


@pytest.mark.parametrize("missing", ["link", "opt_out_link", "code"])
def test_it_requires_the_link_the_opt_out_link_and_the_code(missing):
    text = GOOD_SMS.replace("{" + missing + "}", "")
    [problem] = wording.placeholder_problems(text)
    assert "{" + missing + "}" in problem


@pytest.mark.parametrize(
    "text", ["{link} {code} {opt_out_link} {title", "{link} {code} {opt_out_link} }", "{{link}} {code} {opt_out_link}"]
)
def test_it_refuses_unbalanced_braces(text):
    assert any("pairs" in problem for problem in wording.placeholder_problems(text))


def test_django_template_syntax_is_not_evaluated():
    text = "{{ settings.SECRET_KEY }} {% load static %} {link} {code} {opt_out_link}"
    assert wording.placeholder_problems(text)  # braces are refused …
    filled = wording.fill("{% now 'Y' %} {link}", {"link": "https://x/s/t/"})
    assert filled == "{% now 'Y' %} https://x/s/t/"  # … and never rendered


def test_filling_is_one_pass_so_a_value_is_not_filled_again():
    assert wording.fill("{name}: {link}", {"name": "{link}", "link": "L"}) == "{link}: L"


def test_an_sms_longer_than_500_characters_is_refused_after_folding_whitespace():
    assert wording.check_sms(GOOD_SMS + " " * 600) == []
    [problem] = wording.check_sms(GOOD_SMS + " " + "x" * 500)
    assert "500" in problem


def test_an_email_subject_is_required_one_line_short_and_without_links():
    assert wording.check_subject("") != []
    assert wording.check_subject("Hello\nthere") != []
    assert wording.check_subject("x" * 201) != []
    assert any("{link}" in problem for problem in wording.check_subject("Open {link}"))
    assert wording.check_subject("{title}: tell us, {name}") == []


def test_an_email_body_longer_than_5000_characters_is_refused():
    assert wording.check_email_body(GOOD_EMAIL) == []
    assert wording.check_email_body(GOOD_EMAIL + "x" * 5000) != []


# --- SMS length -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters cost two
        ("{" * 81, "GSM-7", 2),
        ("问" * 70, "UCS-2", 1),
        ("问" * 71, "UCS-2", 2),
        ("a" * 134 + "问", "UCS-2", 3),  # one Chinese character makes the whole message UCS-2
        ("😀" * 35, "UCS-2", 1),  # outside the BMP: two code units each
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_it_counts_sms_segments_for_gsm_and_ucs2(text, encoding, segments):
    length = wording.sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_the_preview_link_is_as_long_as_a_real_one():
    token, _hash = new_link_token()
    assert len(messaging.SAMPLE_TOKEN) == len(token) == 43
    assert len(messaging.sample_values(language="en")["link"]) == len(survey_link(token))


# --- HTML alternative -------------------------------------------------------------------------------


def test_a_name_like_a_script_tag_stays_text_in_the_html_alternative():
    values = {"name": "<script>alert(1)</script>", "link": "https://bank.example/s/abc/", "opt_out_link": "x"}
    html = wording.email_html_fragment("Dear {name},\n\n<b>Answer</b>: {link}。谢谢", values)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<a href="https://bank.example/s/abc/">https://bank.example/s/abc/</a>。谢谢' in html
    assert html.startswith("<p>") and "<br>" not in html.split("</p>")[0]


def test_a_web_address_the_manager_typed_becomes_a_link():
    html = wording.email_html_fragment("See https://bank.example/help?a=1&b=2 today", {})
    assert '<a href="https://bank.example/help?a=1&amp;b=2"' in html


# --- Which text a message uses ----------------------------------------------------------------------------


def follow_up_for(language: str):
    customer = factories.CustomerFactory(language=language, name="<b>Li</b>")
    follow_up = factories.FollowUpFactory(
        customer=customer, expires_at=datetime(2026, 3, 25, 20, 0, tzinfo=ZoneInfo("UTC"))
    )
    attempt = factories.ContactAttemptFactory(follow_up=follow_up)
    return follow_up, attempt


def save(kind="invitation", channel="sms", language="zh-hans", subject="", body=GOOD_SMS, user=None):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the service forgets the cached copy on commit
        return wording.save_message_template(
            kind=kind, channel=channel, language=language, subject=subject, body=body, user=user
        )


def restore(**key):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return wording.restore_shipped_text(**key)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_saved_sms_text_is_used_for_customers_of_its_language_only(language):
    save(language=language, body="{bank}: {name}, {title} {link} {code} {opt_out_link} until {expires}")
    follow_up, attempt = follow_up_for(language)
    other, other_attempt = follow_up_for("en" if language == "zh-hans" else "zh-hans")

    text = messaging.render_invitation_sms(follow_up=follow_up, token="tok", attempt=attempt)
    untouched = messaging.render_invitation_sms(follow_up=other, token="tok", attempt=other_attempt)

    bank, date = ("示例银行", "2026年3月26日") if language == "zh-hans" else ("Example Bank", "March 26, 2026")
    assert text.startswith(f"{bank}: <b>Li</b>, ")
    assert text.endswith(f"/s/tok/opt-out/ until {date}")  # 20:00 UTC is the next day in Shanghai
    assert f" {messaging.verification_code(attempt.pk)} " in text
    assert "Stop these messages" in untouched or "退订" in untouched  # the shipped text


@pytest.mark.django_db
def test_a_saved_email_text_gives_subject_text_and_escaped_html():
    save(channel="email", language="en", subject="{title} for {name}", body=GOOD_EMAIL)
    follow_up, attempt = follow_up_for("en")

    invitation = messaging.render_invitation(follow_up=follow_up, token="tok", attempt=attempt)

    assert invitation.subject == "Wallet experience follow-up for <b>Li</b>"
    assert invitation.text_body.startswith("Dear <b>Li</b>,\n\nAnswer here: ")
    assert "Dear &lt;b&gt;Li&lt;/b&gt;," in invitation.html_body and "<b>Li" not in invitation.html_body
    assert invitation.one_click_unsubscribe_url.endswith("/s/tok/opt-out/one-click/")


@pytest.mark.django_db
def test_the_reminder_kind_uses_the_reminder_texts():
    follow_up, attempt = follow_up_for("en")

    invitation = messaging.render_invitation(follow_up=follow_up, token="tok", attempt=attempt)
    reminder = messaging.render_invitation(follow_up=follow_up, token="tok", attempt=attempt, kind=messaging.REMINDER)
    reminder_sms = messaging.render_invitation_sms(
        follow_up=follow_up, token="tok", attempt=attempt, kind=messaging.REMINDER
    )

    assert reminder_sms == reminder.sms_text
    assert reminder.sms_text.startswith("A reminder: you have not answered")
    assert "works until March 26, 2026" in reminder.sms_text
    assert reminder.subject.startswith("A reminder:") and not invitation.subject.startswith("A reminder:")
    assert "you have not answered the survey" in reminder.text_body and "you have not answered" in reminder.html_body


@pytest.mark.django_db
def test_a_saved_reminder_text_leaves_the_invitation_alone():
    save(kind="reminder", language="en", body="Still waiting {link} {code} {opt_out_link}")
    follow_up, attempt = follow_up_for("en")

    reminder = messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt, kind="reminder")
    invitation = messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt)

    assert reminder.startswith("Still waiting ")
    assert invitation.startswith("Wallet experience follow-up: how was your experience")


@pytest.mark.django_db
def test_restoring_the_shipped_text_deletes_the_row_and_messages_use_the_shipped_text_again():
    save(language="en", body="Edited {link} {code} {opt_out_link}")
    follow_up, attempt = follow_up_for("en")
    assert messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt).startswith("Edited")

    assert restore(kind="invitation", channel="sms", language="en") is True

    assert not MessageTemplate.objects.exists()
    assert messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt).startswith("Wallet")
    assert restore(kind="invitation", channel="sms", language="en") is False


@pytest.mark.django_db
def test_the_service_refuses_a_text_without_the_opt_out_link():
    with pytest.raises(ValidationError) as error:
        save(body="{link} {code}")
    assert "{opt_out_link}" in str(error.value)
    assert not MessageTemplate.objects.exists()


@pytest.mark.django_db
def test_wordings_are_read_once_per_minute_not_per_message(django_assert_num_queries):
    follow_up, attempt = follow_up_for("en")
    messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt)

    with django_assert_num_queries(0):
        for _ in range(3):
            messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt)

    # A row written by another process shows up once the copy is a minute old.
    MessageTemplate.objects.create(
        kind="invitation", channel="sms", language="en", body="Other {link} {code} {opt_out_link}"
    )
    assert messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt).startswith("Wallet")
    loaded_at, copy = messaging._edited
    messaging._edited = (loaded_at - messaging.EDITED_WORDINGS_SECONDS, copy)  # a minute passes (monotonic clock)
    assert messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt).startswith("Other")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", ["invitation", "reminder"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_shipped_text_passes_the_managers_rules(kind, channel, language):
    shipped = messaging.shipped_wording(kind=kind, channel=channel, language=language)

    if channel == "sms":
        assert wording.check_sms(shipped.body) == []
    else:
        assert wording.check_subject(shipped.subject) == [] and wording.check_email_body(shipped.body) == []


def test_the_shipped_chinese_sms_reads_as_chinese():
    shipped = messaging.shipped_wording(kind="invitation", channel="sms", language="zh-hans")
    assert shipped.body.startswith("{title}：") and "验证码 {code}" in shipped.body


def test_sample_values_are_in_the_language_asked_for():
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI), tick=False):
        chinese = messaging.sample_values(language="zh-hans")
        english = messaging.sample_values(language="en", now=timezone.now() - timedelta(days=1))
    assert (chinese["name"], chinese["expires"]) == ("王芳", "2026年3月25日")
    assert english["expires"] == "March 24, 2026"


def test_the_one_click_link_is_the_opt_out_pages_one_click_url():
    assert one_click_opt_out_link("abc") == settings.SITE_URL + reverse("trust:opt-out-one-click", args=["abc"])
