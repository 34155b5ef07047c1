"""Forms of the case pages. They check shape only; surveys/cases.py has the last word (CaseRefused)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import Case

_ROOT_CAUSE_LENGTH = Case._meta.get_field("root_cause").max_length
_CODE_LENGTH = Case._meta.get_field("resolution_code").max_length


class ResolveCaseForm(forms.Form):
    root_cause = forms.CharField(
        label=_("Root cause"),
        max_length=_ROOT_CAUSE_LENGTH,
        help_text=_("What caused the customer's problem, in a sentence."),
        error_messages={"required": _("Enter the root cause.")},
    )
    resolution_code = forms.CharField(
        label=_("Resolution code"),
        max_length=_CODE_LENGTH,
        help_text=_("The bank's code for how the case was resolved, for example REFUNDED."),
        error_messages={"required": _("Enter the resolution code.")},
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done and what the customer was told (optional)."),
    )
    recheck = forms.BooleanField(
        label=_("Ask the customer whether it is fixed"),
        required=False,
        initial=True,
        help_text=_(
            "A three-question re-survey, sent through the customer's contact rules a day from now at the "
            "earliest. A “no” opens a new case."
        ),
    )


class ExtendDeadlineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the extension"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with your name as the approval; the deadline moves by 30 days, once."),
        error_messages={"required": _("Give the reason for the extension.")},
    )
