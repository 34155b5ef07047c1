"""The form of one survey screen: one question, one field named ``answer``, a widget that suits its kind.

The form validates and turns what was posted into an ``AnswerValue`` (``form.value``); the service checks
the same rules again (surveys/survey_flow.answer_problem) before it writes. Every problem is a message
on the field, never an exception. Rendered by crispy forms with this app's field templates
(templates/surveys/public/fields/): a fieldset and legend per group, help and errors tied to the inputs.
"""

from __future__ import annotations

from functools import lru_cache

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from crispy_forms.utils import render_crispy_form
from django import forms
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from surveys import survey_flow
from surveys.freetext import MAX_TEXT_LENGTH
from surveys.models import Question
from surveys.skip_logic import AnswerValue

# The words at both ends of each scale.
SCALE_ENDS = {
    Question.Kind.NPS: (_("Not at all likely"), _("Extremely likely")),
    Question.Kind.RATING: (_("Very poor"), _("Excellent")),
    Question.Kind.CES: (_("Strongly disagree"), _("Strongly agree")),
}

FIELD_TEMPLATES = {
    Question.Kind.NPS: "surveys/public/fields/scale.html",
    Question.Kind.RATING: "surveys/public/fields/scale.html",
    Question.Kind.CES: "surveys/public/fields/scale.html",
    Question.Kind.SINGLE_CHOICE: "surveys/public/fields/options.html",
    Question.Kind.MULTIPLE_CHOICE: "surveys/public/fields/options.html",
    Question.Kind.YES_NO: "surveys/public/fields/options.html",
    Question.Kind.FREE_TEXT: "surveys/public/fields/text.html",
}

ERRORS = {
    "required": _("Please answer this question."),
    "invalid_choice": _("Choose one of the options shown."),
    "invalid": _("Choose one of the options shown."),
}


def help_for(question: Question, language: str) -> str:
    return question.help_en if language == Language.ENGLISH else question.help_zh


def initial_for(question: Question, value: AnswerValue | None):
    """What the field shows for a stored answer."""
    if value is None or value.is_empty:
        return None
    if question.kind in Question.SCALES:
        return str(value.number)
    if question.kind == Question.Kind.YES_NO:
        return "yes" if value.yes_no else "no"
    if question.kind == Question.Kind.SINGLE_CHOICE:
        return next(iter(value.choices), None)
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        return sorted(value.choices)
    return value.text


class AnswerForm(forms.Form):
    """One question's answer. ``form.value`` is the AnswerValue once the form is valid."""

    def __init__(self, *args, question: Question, language: str, stored: AnswerValue | None = None, **kwargs):
        kwargs.setdefault("initial", {"answer": initial_for(question, stored)})
        super().__init__(*args, **kwargs)
        self.question = question
        field = self._field_for(question, language)
        field.label = question.prompt_for(language)
        field.help_text = help_for(question, language)
        field.kind = question.kind
        field.is_scale = question.kind in Question.SCALES
        field.is_multiple = question.kind == Question.Kind.MULTIPLE_CHOICE
        if field.is_scale:
            field.low_label, field.high_label = SCALE_ENDS[question.kind]
        self.fields["answer"] = field
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field("answer", template=FIELD_TEMPLATES[question.kind]))

    @staticmethod
    def _field_for(question: Question, language: str) -> forms.Field:
        required = question.required
        kind = question.kind
        if kind in Question.SCALES:
            low, high = Question.SCALES[kind]
            numbers = [(str(n), str(n)) for n in range(low, high + 1)]
            return forms.ChoiceField(
                choices=numbers, widget=forms.RadioSelect, required=required, error_messages=ERRORS
            )
        if kind == Question.Kind.YES_NO:
            options = [("yes", _("Yes")), ("no", _("No"))]
            return forms.ChoiceField(
                choices=options, widget=forms.RadioSelect, required=required, error_messages=ERRORS
            )
        if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
            options = [(choice.code, choice.label_for(language)) for choice in question.choices.all()]
            if kind == Question.Kind.SINGLE_CHOICE:
                return forms.ChoiceField(
                    choices=options, widget=forms.RadioSelect, required=required, error_messages=ERRORS
                )
            return forms.MultipleChoiceField(
                choices=options,
                widget=forms.CheckboxSelectMultiple,
                required=required,
                error_messages={**ERRORS, "required": _("Choose at least one option.")},
            )
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_TEXT_LENGTH}),
            max_length=MAX_TEXT_LENGTH,
            required=required,
            error_messages={
                **ERRORS,
                "max_length": _("Please keep your answer under %(limit_value)d characters (it has %(show_value)d)."),
            },
        )

    @cached_property
    def aria_attrs(self) -> str:
        """aria-describedby (help, the scale's end labels or the text hint, errors) and aria-invalid, for every
        input of the field: built once per page instead of once per radio button."""
        bound = self["answer"]
        ids = []
        if bound.help_text:
            ids.append(f"{bound.auto_id}_help")
        if self.question.kind in Question.SCALES:
            ids.append(f"{bound.auto_id}_ends")
        elif self.question.kind == Question.Kind.FREE_TEXT:
            ids.append(f"{bound.auto_id}_hint")
        invalid = bool(self.is_bound and self.errors.get("answer"))
        if invalid:
            ids.append(f"{bound.auto_id}_errors")
        attrs = f' aria-describedby="{" ".join(ids)}"' if ids else ""
        return mark_safe(attrs + (' aria-invalid="true"' if invalid else ""))  # noqa: S308 - ids are ours

    def clean_answer(self):
        raw = self.cleaned_data.get("answer")
        self.value = self._to_value(raw)
        problem = survey_flow.answer_problem(
            self.question.as_rule(), self.value, required=self.question.required, max_text_length=MAX_TEXT_LENGTH
        )
        if problem:
            raise forms.ValidationError(problem)
        return raw

    def _to_value(self, raw) -> AnswerValue:
        kind = self.question.kind
        if raw in (None, "", []):
            return AnswerValue()
        if kind in Question.SCALES:
            return AnswerValue(number=int(raw))
        if kind == Question.Kind.YES_NO:
            return AnswerValue(yes_no=raw == "yes")
        if kind == Question.Kind.SINGLE_CHOICE:
            return AnswerValue(choices=frozenset([raw]))
        if kind == Question.Kind.MULTIPLE_CHOICE:
            return AnswerValue(choices=frozenset(raw))
        return AnswerValue(text=raw)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)


@lru_cache(maxsize=4096)
def _rendered(question: Question, language: str, stored: AnswerValue | None) -> str:
    with translation.override(language):
        return render_crispy_form(AnswerForm(question=question, language=language, stored=stored))


def unbound_form_html(question: Question, language: str, stored: AnswerValue | None) -> str:
    """The HTML of a question's form before the customer posts it, for a question of a PUBLISHED survey.

    Published questions never change (surveys/authoring.py makes a new version instead), so the HTML of
    (question, language, stored answer) is rendered once per process: rendering eleven radio buttons
    through the form and crispy templates is most of a survey page's time. Forms with errors, and
    drafts in the preview, are rendered each time.
    """
    return _rendered(question, language, stored)


def forget_rendered_forms() -> None:
    """Empty this process's cache of rendered forms (tests, whose rolled-back databases reuse ids)."""
    _rendered.cache_clear()
