"""Managers' wording of invitations and reminders: placeholder rules (pure) and the two services.

A manager's text is plain text with placeholders such as ``{link}``. It is never rendered as a Django
template (a manager typing ``{{ settings.SECRET_KEY }}`` or ``{% load %}`` must get exactly those
characters, not an evaluation): ``fill`` replaces each known placeholder in one pass, so a value that
itself contains ``{link}`` (a customer called "{link}") is not replaced again.

Rules every message obeys (issue 4 §2): the survey link, the opt-out link and the verification code
appear in every body, so a customer can always stop messages and check that a message is real.

The e-mail HTML alternative is built from the text, never from manager HTML: literal text is escaped
and then urlized (a web address the manager typed becomes a link), values are escaped, and the two
link placeholders become links on their own (``urlize`` would swallow full-width punctuation such as
"。" that follows a link in Chinese into the address).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# name -> what it stands for (shown on the edit page).
PLACEHOLDERS: dict[str, str] = {
    "link": gettext_lazy("the customer's personal survey link"),
    "opt_out_link": gettext_lazy("the link that stops these messages"),
    "code": gettext_lazy("the verification code the customer can check on the bank's website"),
    "title": gettext_lazy("the survey's title in the customer's language"),
    "name": gettext_lazy("the customer's name"),
    "expires": gettext_lazy("the date the link stops working, in the customer's time zone"),
    "bank": gettext_lazy("the bank's name in the customer's language"),
}
REQUIRED = ("link", "opt_out_link", "code")
LINKS = ("link", "opt_out_link")

SMS_MAX_LENGTH = 500
SUBJECT_MAX_LENGTH = 200
EMAIL_BODY_MAX_LENGTH = 5000

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


# --- Placeholders -------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """One line: runs of whitespace (line breaks included) become one space."""
    return " ".join(text.split())


def placeholders_in(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def braced(name: str) -> str:
    return "{" + name + "}"


def placeholder_problems(
    text: str, *, required: tuple[str, ...] = REQUIRED, forbidden: tuple[str, ...] = ()
) -> list[str]:
    """What is wrong with the placeholders of ``text`` (empty: nothing), one sentence per problem."""
    problems = []
    leftover = _PLACEHOLDER.sub("", text)
    if "{" in leftover or "}" in leftover:
        problems.append(_("Curly braces must come in pairs around a placeholder name, like {link}."))
    names = placeholders_in(text)
    for name in dict.fromkeys(names):
        if name not in PLACEHOLDERS:
            problems.append(_("Unknown placeholder {%(name)s}.") % {"name": name})
        elif name in forbidden:
            problems.append(_("The placeholder {%(name)s} cannot be used here.") % {"name": name})
    missing = [name for name in required if name not in names]
    if missing:
        problems.append(
            _("Every message must contain %(names)s.") % {"names": " ".join(braced(name) for name in missing)}
        )
    return problems


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value, in one pass; unknown ones stay as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def check_sms(body: str) -> list[str]:
    problems = placeholder_problems(body)
    if len(fold(body)) > SMS_MAX_LENGTH:
        problems.append(
            _("An SMS text may have at most %(limit)d characters (it has %(count)d).")
            % {"limit": SMS_MAX_LENGTH, "count": len(fold(body))}
        )
    return problems


def check_subject(subject: str) -> list[str]:
    if not subject.strip():
        return [_("An e-mail needs a subject.")]
    problems = placeholder_problems(subject, required=(), forbidden=LINKS)
    if "\n" in subject.strip() or "\r" in subject.strip():
        problems.append(_("The subject must be one line."))
    if len(subject.strip()) > SUBJECT_MAX_LENGTH:
        problems.append(
            _("The subject may have at most %(limit)d characters (it has %(count)d).")
            % {"limit": SUBJECT_MAX_LENGTH, "count": len(subject.strip())}
        )
    return problems


def check_email_body(body: str) -> list[str]:
    problems = placeholder_problems(body)
    if len(body) > EMAIL_BODY_MAX_LENGTH:
        problems.append(
            _("An e-mail text may have at most %(limit)d characters (it has %(count)d).")
            % {"limit": EMAIL_BODY_MAX_LENGTH, "count": len(body)}
        )
    return problems


# --- SMS length ---------------------------------------------------------------------------------------

# GSM 03.38 default alphabet; the extension characters cost two septets (an escape and the character).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2): what the network counts
    segments: int


def sms_length(text: str) -> SmsLength:
    """Characters and billed segments of an SMS: GSM-7 160 (153 per part), else UCS-2 70 (67 per part)."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENSION for char in text):
        units = sum(2 if char in _GSM_EXTENSION else 1 for char in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # a character outside the BMP (emoji) takes two
        single, part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsLength(characters=len(text), encoding=encoding, units=units, segments=segments)


# --- E-mail HTML ----------------------------------------------------------------------------------------


def email_html_fragment(body: str, values: Mapping[str, str]) -> str:
    """The HTML paragraphs of an e-mail text: everything escaped, the links clickable."""
    pieces = []
    position = 0
    for match in _PLACEHOLDER.finditer(body):
        pieces.append(urlize(escape(body[position : match.start()]), autoescape=True))
        name = match.group(1)
        if name in LINKS and name in values:
            url = escape(values[name])
            pieces.append(f'<a href="{url}">{url}</a>')
        else:
            pieces.append(escape(values.get(name, match.group(0))))
        position = match.end()
    pieces.append(urlize(escape(body[position:]), autoescape=True))
    return linebreaks("".join(pieces).strip(), autoescape=False)


def email_html_document(fragment: str, *, subject: str, language: str) -> str:
    """A whole HTML e-mail around ``fragment`` (inline style: mail clients ignore style sheets)."""
    lang = "zh-Hans" if language == "zh-hans" else escape(language)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(subject)}</title>\n</head>\n"
        "<body style=\"margin:0;padding:16px;font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',"
        'sans-serif;font-size:16px;line-height:1.5;color:#212529;background:#ffffff;word-break:break-word;">\n'
        f"{fragment}\n</body>\n</html>\n"
    )


# --- Preview ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    sms_text: str = ""
    sms: SmsLength | None = None
    subject: str = ""
    text_body: str = ""
    html_fragment: str = ""


def preview(*, channel: str, subject: str, body: str, values: Mapping[str, str]) -> Preview:
    """What a customer with ``values`` would receive from this wording (check it first)."""
    if channel == "sms":
        text = fold(fill(body, values))
        return Preview(sms_text=text, sms=sms_length(text))
    return Preview(
        subject=fold(fill(subject, values)),
        text_body=fill(body, values).strip(),
        html_fragment=email_html_fragment(body, values),
    )


# --- Services -------------------------------------------------------------------------------------------


def save_message_template(*, kind: str, channel: str, language: str, subject: str, body: str, user):
    """Store a manager's wording of one message (replacing an earlier one); refuse a text that breaks a rule."""
    from surveys import messaging
    from surveys.models import MessageTemplate

    body = fold(body) if channel == "sms" else body.strip().replace("\r\n", "\n")
    subject = fold(subject) if channel == "email" else ""
    problems = check_sms(body) if channel == "sms" else [*check_subject(subject), *check_email_body(body)]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        template, _created = MessageTemplate.objects.update_or_create(
            kind=kind,
            channel=channel,
            language=language,
            defaults={"subject": subject, "body": body, "updated_by": user},
        )
        transaction.on_commit(messaging.forget_edited_wordings)
    return template


def restore_shipped_text(*, kind: str, channel: str, language: str) -> bool:
    """Delete the manager's wording of one message, so the shipped text is used again (False: there was none)."""
    from surveys import messaging
    from surveys.models import MessageTemplate

    with transaction.atomic():
        deleted, _by_model = MessageTemplate.objects.filter(kind=kind, channel=channel, language=language).delete()
        transaction.on_commit(messaging.forget_edited_wordings)
    return deleted > 0


# --- Reads ----------------------------------------------------------------------------------------------

CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class MessageText:
    kind: str
    channel: str
    language: str
    template: object | None  # the manager's MessageTemplate (updated_by loaded), None: the shipped text


def message_texts() -> list[MessageText]:
    """The eight texts (invitation/reminder × SMS/e-mail × language), each with its manager's wording if any."""
    from surveys.models import MessageTemplate

    edited = {(t.kind, t.channel, t.language): t for t in MessageTemplate.objects.select_related("updated_by")}
    return [
        MessageText(kind, channel, language, edited.get((kind, channel, language)))
        for kind in MessageTemplate.Kind.values
        for channel in CHANNELS
        for language, _label in MessageTemplate._meta.get_field("language").choices
    ]
