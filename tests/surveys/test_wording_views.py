"""The managers' message-text pages: who may see and change them, the preview, saving and restoring."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from surveys import messaging
from surveys.models import MessageTemplate
from tests import factories

pytestmark = pytest.mark.django_db

SMS_EN = reverse("wording:edit", args=["invitation", "sms", "en"])
EMAIL_ZH = reverse("wording:edit", args=["reminder", "email", "zh-hans"])
GOOD_SMS = "{title}: answer at {link} code {code}. Stop: {opt_out_link}"


@pytest.fixture(autouse=True)
def fresh_wordings():
    messaging.forget_edited_wordings()
    yield
    messaging.forget_edited_wordings()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in (reverse("wording:list"), SMS_EN):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_an_agent_gets_403(client, agent):
    client.force_login(agent)
    assert client.get(reverse("wording:list")).status_code == 403
    assert client.get(SMS_EN).status_code == 403
    assert client.post(SMS_EN, {"body": GOOD_SMS, "action": "save"}).status_code == 403
    assert not MessageTemplate.objects.exists()


def test_an_unknown_text_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("wording:edit", args=["invitation", "fax", "en"])).status_code == 404
    assert client.get(reverse("wording:edit", args=["letter", "sms", "en"])).status_code == 404
    assert client.get(reverse("wording:edit", args=["invitation", "sms", "fr"])).status_code == 404


def test_the_list_shows_the_eight_texts_and_who_edited_one(client, manager):
    MessageTemplate.objects.create(
        kind="reminder", channel="email", language="zh-hans", subject="s", body="b", updated_by=manager
    )
    client.force_login(manager)

    response = client.get(reverse("wording:list"), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert page.count(reverse("wording:edit", args=["invitation", "sms", "en"])) == 1
    assert sum(page.count(f'href="/manager/messages/{kind}/') for kind in ("invitation", "reminder")) == 8
    assert page.count("Shipped text") == 7
    assert "Edited by maggie on" in page


def test_the_edit_page_starts_from_the_shipped_text_with_a_preview(client, manager):
    client.force_login(manager)

    response = client.get(SMS_EN, HTTP_ACCEPT_LANGUAGE="en")

    form = response.context["form"]
    assert form.initial["body"].startswith("{title}: how was your experience")
    preview = response.context["preview"]
    assert preview.sms_text.startswith("Wallet experience follow-up: how was your experience")
    assert messaging.SAMPLE_TOKEN in preview.sms_text
    assert preview.sms.encoding == "GSM-7" and preview.sms.segments == 2
    assert 'id="sms-preview"' in response.content.decode()


def test_the_chinese_email_preview_shows_subject_text_and_html(client, manager):
    client.force_login(manager)

    response = client.get(EMAIL_ZH)

    preview = response.context["preview"]
    assert preview.subject and "王芳" in preview.text_body
    assert f'<a href="{messaging.sample_values(language="zh-hans")["link"]}">' in preview.html_fragment
    assert 'id="email-html"' in response.content.decode()


def test_preview_renders_the_posted_text_without_saving(client, manager):
    client.force_login(manager)

    response = client.post(SMS_EN, {"body": "Hi {name}! " + GOOD_SMS, "action": "preview"})

    assert response.status_code == 200
    assert response.context["preview"].sms_text.startswith("Hi Jane Smith! Wallet experience follow-up: answer at ")
    assert not MessageTemplate.objects.exists()


def test_a_manager_saves_a_text_and_customers_get_it(client, manager):
    client.force_login(manager)

    response = client.post(SMS_EN, {"body": "Hello\n" + GOOD_SMS, "action": "save"})

    assert response.status_code == 302 and response["Location"] == SMS_EN
    saved = MessageTemplate.objects.get()
    assert (saved.kind, saved.channel, saved.language, saved.updated_by) == ("invitation", "sms", "en", manager)
    assert saved.body == "Hello " + GOOD_SMS  # one line
    follow_up = factories.FollowUpFactory(customer=factories.CustomerFactory(language="en"))
    attempt = factories.ContactAttemptFactory(follow_up=follow_up)
    assert messaging.render_invitation_sms(follow_up=follow_up, token="t", attempt=attempt).startswith("Hello ")
    assert client.get(SMS_EN).context["form"].initial["body"] == "Hello " + GOOD_SMS


def test_a_manager_saves_an_email_text(client, manager):
    client.force_login(manager)

    response = client.post(
        EMAIL_ZH, {"subject": "提醒：{title}", "body": "您好{name}：\n" + GOOD_SMS, "action": "save"}
    )

    assert response.status_code == 302
    saved = MessageTemplate.objects.get()
    assert (saved.subject, saved.body) == ("提醒：{title}", "您好{name}：\n" + GOOD_SMS)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"body": GOOD_SMS + " {surname}"}, "body", "{surname}"),
        ({"body": "{title} {link} {code}"}, "body", "{opt_out_link}"),
        ({"body": GOOD_SMS + " {oops"}, "body", "pairs"),
        ({"body": GOOD_SMS + " " + "x" * 500}, "body", "500"),
        ({"body": ""}, "body", "required"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(client, manager, data, field, words):
    client.force_login(manager)

    response = client.post(SMS_EN, {**data, "action": "save"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and words in " ".join(errors[field])
    assert response.context["preview"] is None
    assert 'id="error_1_id_body"' in response.content.decode() or "is-invalid" in response.content.decode()
    assert not MessageTemplate.objects.exists()


@pytest.mark.parametrize(
    ("subject", "words"),
    [("", "required"), ("Open {link}", "{link}"), ("x" * 201, "200"), ("line\nbreak", "one line")],
)
def test_a_bad_email_subject_names_the_subject(client, manager, subject, words):
    client.force_login(manager)

    response = client.post(
        EMAIL_ZH, {"subject": subject, "body": GOOD_SMS, "action": "save"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    errors = response.context["form"].errors
    assert list(errors) == ["subject"] and words in " ".join(errors["subject"])
    assert not MessageTemplate.objects.exists()


def test_restoring_the_shipped_text_deletes_the_managers_text(client, manager):
    MessageTemplate.objects.create(kind="invitation", channel="sms", language="en", body="Old " + GOOD_SMS)
    client.force_login(manager)

    response = client.post(SMS_EN, {"action": "restore"})

    assert response.status_code == 302
    assert not MessageTemplate.objects.exists()
    assert client.get(SMS_EN).context["form"].initial["body"].startswith("{title}: how was your experience")
    assert client.post(SMS_EN, {"action": "restore"}).status_code == 302  # a second click is harmless


def test_a_reader_without_change_permission_sees_no_save_button_and_cannot_save(client):
    reader = factories.UserFactory(username="rita")
    reader.user_permissions.add(Permission.objects.get(codename="view_messagetemplate"))
    client.force_login(reader)

    page = client.get(SMS_EN).content.decode()

    assert 'value="save"' not in page and 'value="preview"' in page
    assert client.post(SMS_EN, {"body": GOOD_SMS, "action": "save"}).status_code == 403
    MessageTemplate.objects.create(kind="invitation", channel="sms", language="en", body=GOOD_SMS)
    assert client.post(SMS_EN, {"action": "restore"}).status_code == 403
    assert MessageTemplate.objects.exists()


def test_the_manager_text_is_shown_escaped_in_the_preview(client, manager):
    client.force_login(manager)

    response = client.post(EMAIL_ZH, {"subject": "<i>{title}</i>", "body": "<script>x</script> " + GOOD_SMS})

    page = response.content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<i>" not in page.split('id="email-subject"')[1][:200]
