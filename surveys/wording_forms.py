"""The form of one message's wording: subject (e-mail only) and text, checked by surveys/wording.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys import wording


class MessageWordingForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, strip=True)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}), strip=True)

    def __init__(self, *args, channel: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel == "sms":
            del self.fields["subject"]
            self.fields["body"].widget.attrs["rows"] = 5
            self.fields["body"].help_text = _(
                "Sent as one line: line breaks become spaces. At most %(limit)d characters."
            ) % {"limit": wording.SMS_MAX_LENGTH}
        else:
            self.fields["subject"].required = True
            self.fields["subject"].widget.attrs["maxlength"] = wording.SUBJECT_MAX_LENGTH
            self.fields["body"].help_text = _(
                "Plain text. Web addresses become links in the HTML version. At most %(limit)d characters."
            ) % {"limit": wording.EMAIL_BODY_MAX_LENGTH}

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        problems = wording.check_subject(subject)
        if problems:
            raise forms.ValidationError(problems)
        return wording.fold(subject)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        problems = wording.check_sms(body) if self.channel == "sms" else wording.check_email_body(body)
        if problems:
            raise forms.ValidationError(problems)
        return wording.fold(body) if self.channel == "sms" else body
