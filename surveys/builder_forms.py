"""Forms of the survey builder: a survey's key, titles and intros; a question with its choices and condition.

Forms validate and name the field at fault; the services in surveys/authoring.py check again and
have the last word (their ValidationError dicts use the same field names, so a view can hand them
back to the form with ``QuestionEditor.add_service_errors``).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from surveys.authoring import ChoiceData, QuestionData
from surveys.models import Concern, Question, Survey
from surveys.skip_logic import (
    CHOICE_KINDS,
    NUMBER_KINDS,
    OPERATORS_FOR_KIND,
    Condition,
    Operator,
    QuestionRule,
    condition_errors,
)

PROMPT_MAX_LENGTH = 1000
MAX_CHOICES = 30


class SurveyCreateForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["key", "title_zh", "title_en", "intro_zh", "intro_en"]
        labels = {"key": _("Key")}
        help_texts = {
            "key": _("A short name in lowercase letters, digits and hyphens, shared by every version of the survey."),
            "intro_zh": _("Shown to customers above the first question."),
            "intro_en": _("Shown to customers above the first question."),
        }
        widgets = {"intro_zh": forms.Textarea(attrs={"rows": 3}), "intro_en": forms.Textarea(attrs={"rows": 3})}

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if Survey.objects.filter(key=key).exists():
            raise ValidationError(_("A survey with this key already exists."), code="key_taken")
        return key


class SurveyDetailsForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title_zh", "title_en", "intro_zh", "intro_en"]
        widgets = SurveyCreateForm.Meta.widgets


class ConditionChoicesWidget(forms.CheckboxSelectMultiple):
    """Checkboxes whose values are "<question pk>:<choice code>"; each carries data-question for builder.js."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        option["attrs"]["data-question"] = str(value).split(":", 1)[0]
        return option


class SourceQuestionField(forms.ModelChoiceField):
    def label_from_instance(self, question: Question) -> str:
        return f"{question.position}. {question.code} — {question.prompt_en[:60]}"


def condition_field(source_kind: str, operator: str) -> str:
    """The form field a condition problem belongs to, following condition_errors' order of checks."""
    allowed = OPERATORS_FOR_KIND.get(source_kind, frozenset())
    if not allowed:
        return "show_if_question"
    if operator not in allowed:
        return "show_if_operator"
    if source_kind in NUMBER_KINDS:
        return "show_if_score"
    if source_kind in CHOICE_KINDS:
        return "show_if_choices"
    return "show_if_question"


class QuestionForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=64, help_text=_("Stable name used in exports, e.g. nps or payment_failed.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    prompt_zh = forms.CharField(
        label=_("Question (Chinese)"), max_length=PROMPT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    prompt_en = forms.CharField(
        label=_("Question (English)"), max_length=PROMPT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    help_zh = forms.CharField(label=_("Help (Chinese)"), max_length=300, required=False)
    help_en = forms.CharField(label=_("Help (English)"), max_length=300, required=False)
    concern = forms.ChoiceField(
        label=_("Concern"),
        choices=Concern.choices,
        initial=Concern.OTHER,
        help_text=_("What an answer to this question tells us the customer worries about."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    show_if_question = SourceQuestionField(
        label=_("Show only when the answer to"),
        queryset=Question.objects.none(),
        required=False,
        empty_label=_("(always show this question)"),
    )
    show_if_operator = forms.ChoiceField(label=_("Condition"), choices=[("", "—"), *Operator.choices], required=False)
    show_if_score = forms.IntegerField(
        label=_("Score"), required=False, help_text=_("For a score question: the score to compare with.")
    )
    show_if_choices = forms.MultipleChoiceField(
        label=_("Choices"),
        required=False,
        widget=ConditionChoicesWidget,
        help_text=_("For a choice question: shown when any of these was chosen."),
    )

    basics = ["code", "kind", "concern", "required"]
    texts = ["prompt_zh", "prompt_en", "help_zh", "help_en"]
    condition = ["show_if_question", "show_if_operator", "show_if_score", "show_if_choices"]

    def __init__(self, *args, survey: Survey, question: Question | None = None, **kwargs) -> None:
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(question)
        super().__init__(*args, **kwargs)
        self.survey, self.question = survey, question
        earlier = survey.questions.exclude(kind=Question.Kind.FREE_TEXT).order_by("position", "id")
        if question is not None:
            earlier = earlier.filter(position__lt=question.position).exclude(pk=question.pk)
        self.earlier = list(earlier.prefetch_related("choices"))
        self.fields["show_if_question"].queryset = earlier
        self.fields["show_if_choices"].choices = [
            (f"{source.pk}:{choice.code}", f"{source.position}. {source.code} · {choice.label_en} / {choice.label_zh}")
            for source in self.earlier
            if source.kind in CHOICE_KINDS
            for choice in source.choices.all()
        ]
        # builder.js filters the operators by the chosen question's kind.
        self.fields["show_if_question"].widget.attrs["data-kinds"] = ",".join(
            f"{source.pk}={source.kind}" for source in self.earlier
        )
        self.fields["kind"].widget.attrs["data-choice-kinds"] = ",".join(sorted(CHOICE_KINDS))

    def grouped(self) -> list[dict]:
        return [
            {"legend": _("The question"), "fields": [self[name] for name in self.basics]},
            {"legend": _("Wording"), "fields": [self[name] for name in self.texts], "columns": True},
            {
                "legend": _("Skip logic"),
                "help": _("Leave the first field empty to show the question to everyone."),
                "fields": [self[name] for name in self.condition],
                "id": "skip-logic",
            },
        ]

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("show_if_question")
        operator = cleaned.get("show_if_operator") or ""
        cleaned["show_if_value"] = None
        if source is None:
            if operator:
                self.add_error("show_if_question", _("Choose the earlier question this condition reads."))
            return cleaned
        if not operator:
            self.add_error("show_if_operator", _("Choose a condition."))
            return cleaned
        fits = operator in OPERATORS_FOR_KIND.get(source.kind, frozenset())
        if fits and source.kind in NUMBER_KINDS:
            if cleaned.get("show_if_score") is None and "show_if_score" not in self.errors:
                self.add_error("show_if_score", _("Enter the score to compare with."))
                return cleaned
            cleaned["show_if_value"] = cleaned.get("show_if_score")
        elif fits and source.kind in CHOICE_KINDS:
            picked = cleaned.get("show_if_choices") or []
            if any(value.split(":", 1)[0] != str(source.pk) for value in picked):
                self.add_error("show_if_choices", _("Pick only choices of the question chosen above."))
                return cleaned
            cleaned["show_if_value"] = [value.split(":", 1)[1] for value in picked]
        rule_value = cleaned["show_if_value"]
        condition = Condition(
            source=source.code,
            operator=operator,
            value=tuple(rule_value) if isinstance(rule_value, list) else rule_value,
        )
        rule = QuestionRule(code=cleaned.get("code") or "", kind=cleaned.get("kind") or "", condition=condition)
        earlier_rules = [question.as_rule() for question in self.earlier]
        for problem in condition_errors(rule, earlier_rules):
            self.add_error(condition_field(source.kind, operator), problem)
        return cleaned


def initial_for(question: Question) -> dict:
    value = question.show_if_value
    return {
        "code": question.code,
        "kind": question.kind,
        "prompt_zh": question.prompt_zh,
        "prompt_en": question.prompt_en,
        "help_zh": question.help_zh,
        "help_en": question.help_en,
        "concern": question.concern,
        "required": question.required,
        "show_if_question": question.show_if_question_id,
        "show_if_operator": question.show_if_operator,
        "show_if_score": value if isinstance(value, int) and not isinstance(value, bool) else None,
        "show_if_choices": [f"{question.show_if_question_id}:{code}" for code in value]
        if isinstance(value, list)
        else [],
    }


class ChoiceForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64, required=False)
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=200, required=False)
    label_en = forms.CharField(label=_("Label (English)"), max_length=200, required=False)
    concern = forms.ChoiceField(
        label=_("Concern"), choices=[("", _("Same as the question")), *Concern.choices], required=False
    )

    def clean(self):
        cleaned = super().clean()
        filled = [name for name in ("code", "label_zh", "label_en") if cleaned.get(name)]
        if filled and len(filled) < 3:
            for name in ("code", "label_zh", "label_en"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Fill in the code and both labels, or leave the whole row empty."))
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("code", "label_zh", "label_en"))


class BaseChoiceFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        codes = [
            form.cleaned_data.get("code")
            for form in self.forms
            if form.is_valid() and not self._should_delete_form(form) and not form.is_blank
        ]
        if len(set(codes)) != len(codes):
            raise ValidationError(_("Each choice needs its own code."), code="duplicate_codes")

    def choice_data(self) -> list[ChoiceData]:
        return [
            ChoiceData(
                code=form.cleaned_data["code"],
                label_zh=form.cleaned_data["label_zh"],
                label_en=form.cleaned_data["label_en"],
                concern=form.cleaned_data.get("concern") or "",
            )
            for form in self.forms
            if not self._should_delete_form(form) and not form.is_blank
        ]


ChoiceFormSet = forms.formset_factory(
    ChoiceForm, formset=BaseChoiceFormSet, extra=2, can_delete=True, max_num=MAX_CHOICES, validate_max=True
)


class QuestionEditor:
    """The question form and its choices formset, validated together so every problem shows at once."""

    def __init__(self, data=None, *, survey: Survey, question: Question | None = None) -> None:
        self.form = QuestionForm(data, survey=survey, question=question)
        initial = (
            [
                {"code": c.code, "label_zh": c.label_zh, "label_en": c.label_en, "concern": c.concern}
                for c in question.choices.all()
            ]
            if question is not None
            else []
        )
        self.choices = ChoiceFormSet(data, initial=initial, prefix="choices")
        if question is None and data is None:
            self.choices.extra = 4  # room for a first set of choices without JavaScript
        self.choice_errors: list[str] = []

    def is_valid(self) -> bool:
        valid = all([self.form.is_valid(), self.choices.is_valid()])
        if valid and self.form.cleaned_data["kind"] in CHOICE_KINDS and len(self.choices.choice_data()) < 2:
            self.choice_errors.append(str(_("A choice question needs at least two choices.")))
            valid = False
        return valid

    def data(self) -> QuestionData:
        cleaned = self.form.cleaned_data
        return QuestionData(
            code=cleaned["code"],
            kind=cleaned["kind"],
            prompt_zh=cleaned["prompt_zh"],
            prompt_en=cleaned["prompt_en"],
            help_zh=cleaned["help_zh"],
            help_en=cleaned["help_en"],
            concern=cleaned["concern"],
            required=cleaned["required"],
            show_if_question=cleaned["show_if_question"],
            show_if_operator=cleaned["show_if_operator"] if cleaned["show_if_question"] else "",
            show_if_value=cleaned["show_if_value"],
            choices=tuple(self.choices.choice_data()) if cleaned["kind"] in CHOICE_KINDS else (),
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's refusal on the field it names (choices go above the choices table)."""
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error)
            return
        for name, errors in error.message_dict.items():
            if name == "choices":
                self.choice_errors.extend(errors)
            elif name in self.form.fields:
                for message in errors:
                    self.form.add_error(name, message)
            else:
                for message in errors:
                    self.form.add_error(None, message)

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors or self.choice_errors or self.choices.total_error_count())
