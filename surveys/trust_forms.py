"""Forms of the trust pages: the opt-out choice, the verification code, the bank's concern words."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel
from surveys.freetext import MAX_TEXT_LENGTH
from surveys.models import Concern
from surveys.optouts import Scope
from surveys.tokens import VERIFICATION_LENGTH
from surveys.verification import InvalidCode, normalise_code

# "Stop messages by <channel>", written out per channel so each reads naturally in Chinese too.
STOP_CHANNEL_LABELS = {
    Channel.SMS: _("Stop follow-up text messages (SMS)"),
    Channel.EMAIL: _("Stop follow-up e-mails"),
    Channel.PHONE: _("Stop follow-up calls"),
}


class OptOutForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("What would you like to stop?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what to stop."), "invalid_choice": _("Choose what to stop.")},
    )

    def __init__(self, *args, channel: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [
            (Scope.CHANNEL.value, STOP_CHANNEL_LABELS.get(channel, _("Stop follow-up messages"))),
            (Scope.ALL.value, _("Stop all follow-up contact, including calls")),
        ]
        self.fields["scope"].initial = Scope.CHANNEL.value


class VerificationForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("The 6 letters and digits printed in the message, e.g. K7M2QX."),
        error_messages={"required": _("Enter the verification code from the message.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "inputmode": "text"}
        ),
    )

    def clean_code(self) -> str:
        try:
            return normalise_code(self.cleaned_data["code"])
        except InvalidCode:
            raise forms.ValidationError(
                _(
                    "A verification code has %(length)d letters and digits (no 0, O, 1, I or L). "
                    "Check the code in the message and type it again."
                ),
                params={"length": VERIFICATION_LENGTH},
                code="invalid",
            ) from None


class ConcernKeywordForm(forms.Form):
    keyword = forms.CharField(
        label=_("Word or phrase"),
        min_length=2,
        max_length=100,
        help_text=_(
            "Chinese words match anywhere in an answer; English words match at the start of a word, "
            "in any case. At least 2 characters."
        ),
    )
    concern = forms.ChoiceField(label=_("Concern"), choices=[("", "—"), *Concern.choices])


class TrySentenceForm(forms.Form):
    sentence = forms.CharField(
        label=_("Sentence to try"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Nothing is saved: the page shows which concerns the tagger finds in it."),
    )
