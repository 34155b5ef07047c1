"""Designing surveys: the builder's services (writes) and the few reads its pages need.

Versioning rules, held here and nowhere else:
- a DRAFT survey is edited in place;
- a PUBLISHED or ARCHIVED survey is never changed: ``create_next_version`` copies it (questions,
  choices and conditions, remapped to the copies) into a new DRAFT numbered max(version) + 1, and
  responses keep pointing at the Question rows of the version they answered;
- ``publish_survey`` checks the draft can be answered, publishes it with a conditional UPDATE (so it
  refuses anything that is no longer a draft) and archives the key's earlier published version.
  Campaigns keep their survey FK: customers invited to the old version keep answering it.

Every write locks the survey row first (``_locked_draft``): two managers editing the same draft
take turns, and a draft published meanwhile is refused instead of changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Campaign, Choice, Question, Survey
from surveys.skip_logic import CHOICE_KINDS, Condition, QuestionRule, condition_errors

# How many times create_next_version retries when another manager took the same version number.
VERSION_RETRIES = 3


@dataclass(frozen=True)
class ChoiceData:
    code: str
    label_zh: str
    label_en: str
    concern: str = ""


@dataclass(frozen=True)
class QuestionData:
    """What a manager says about a question; ``show_if_value`` is a score or a list of choice codes."""

    code: str
    kind: str
    prompt_zh: str
    prompt_en: str
    help_zh: str = ""
    help_en: str = ""
    concern: str = "other"
    required: bool = True
    show_if_question: Question | None = None
    show_if_operator: str = ""
    show_if_value: int | list[str] | None = None
    choices: Sequence[ChoiceData] = field(default_factory=tuple)


# --- Reads ---------------------------------------------------------------------------------------


def survey_list() -> QuerySet[Survey]:
    """Every version of every survey, newest version of a key first, with its responses and campaigns."""
    return (
        Survey.objects.annotate(response_count=Count("responses", distinct=True))
        .prefetch_related(Prefetch("campaigns", queryset=Campaign.objects.order_by("name")))
        .order_by("key", "-version")
    )


def survey_questions(survey: Survey) -> list[Question]:
    """The survey's questions in order, with their choices and condition sources loaded."""
    return list(
        survey.questions.select_related("show_if_question")
        .prefetch_related("choices", "show_if_question__choices")
        .order_by("position", "id")
    )


def versions_of(key: str) -> QuerySet[Survey]:
    return Survey.objects.filter(key=key).order_by("-version")


def draft_of(key: str) -> Survey | None:
    """The key's draft version, if one is being prepared."""
    return Survey.objects.filter(key=key, status=Survey.Status.DRAFT).order_by("-version").first()


def publication_errors(survey: Survey) -> list[str]:
    """Why the survey cannot be published yet (empty when it can)."""
    questions = survey_questions(survey)
    if not questions:
        return [_("Add at least one question before publishing.")]
    errors = []
    rules: list[QuestionRule] = []
    for number, question in enumerate(questions, start=1):
        if question.kind in CHOICE_KINDS and len(question.choices.all()) < 2:
            errors.append(_("Question %(number)s needs at least two choices.") % {"number": number})
        rule = question.as_rule()
        errors.extend(
            _("Question %(number)s: %(problem)s") % {"number": number, "problem": problem}
            for problem in condition_errors(rule, rules)
        )
        rules.append(rule)
    return errors


# --- Surveys -------------------------------------------------------------------------------------


def _not_draft_error() -> ValidationError:
    return ValidationError(
        _("This survey is no longer a draft, so it cannot be changed. Create a new version to edit it."),
        code="not_draft",
    )


def _locked_draft(survey: Survey) -> Survey:
    """Lock the survey row and check it is still a draft (call inside a transaction)."""
    locked = Survey.objects.select_for_update().filter(pk=survey.pk).first()
    if locked is None or locked.status != Survey.Status.DRAFT:
        raise _not_draft_error()
    return locked


@transaction.atomic
def create_survey(*, key: str, title_zh: str, title_en: str, intro_zh: str = "", intro_en: str = "", by=None) -> Survey:
    """A new survey: version 1 of a key nobody uses yet, as a draft."""
    if Survey.objects.filter(key=key).exists():
        raise ValidationError({"key": _("A survey with this key already exists.")}, code="key_taken")
    try:
        with transaction.atomic():
            return Survey.objects.create(
                key=key,
                version=1,
                title_zh=title_zh,
                title_en=title_en,
                intro_zh=intro_zh,
                intro_en=intro_en,
                status=Survey.Status.DRAFT,
                created_by=by,
            )
    except IntegrityError:
        # Another manager created the same key between our check and our insert.
        raise ValidationError({"key": _("A survey with this key already exists.")}, code="key_taken") from None


@transaction.atomic
def update_survey_details(*, survey: Survey, title_zh: str, title_en: str, intro_zh: str, intro_en: str) -> Survey:
    survey = _locked_draft(survey)
    survey.title_zh, survey.title_en, survey.intro_zh, survey.intro_en = title_zh, title_en, intro_zh, intro_en
    survey.save(update_fields=["title_zh", "title_en", "intro_zh", "intro_en", "updated_at"])
    return survey


def create_next_version(*, survey: Survey, by=None) -> Survey:
    """Copy a published or archived survey into a new draft numbered max(version of the key) + 1.

    1. refuse a draft (it is edited in place) and a key that already has a draft;
    2. insert the new Survey row; if another manager took the number meanwhile, the unique
       constraint refuses it and we retry with the next number (VERSION_RETRIES times);
    3. copy the questions in order, then their choices, then point each copied condition at the
       copy of its source question. The old rows are not touched: responses keep pointing at them.
    """
    if survey.status == Survey.Status.DRAFT:
        raise ValidationError(_("This survey is a draft: edit it directly."), code="is_draft")
    for _attempt in range(VERSION_RETRIES):
        try:
            with transaction.atomic():
                return _copy_as_next_version(survey=survey, by=by)
        except IntegrityError:
            continue
    raise ValidationError(
        _("Another manager is creating a version of this survey right now. Please try again."), code="version_race"
    )


def _copy_as_next_version(*, survey: Survey, by) -> Survey:
    existing = draft_of(survey.key)
    if existing is not None:
        raise ValidationError(
            _("Version %(version)s of this survey is already a draft; edit that one.") % {"version": existing.version},
            code="draft_exists",
        )
    latest = Survey.objects.filter(key=survey.key).aggregate(latest=Max("version"))["latest"] or 0
    copy = Survey.objects.create(
        key=survey.key,
        version=latest + 1,
        title_zh=survey.title_zh,
        title_en=survey.title_en,
        intro_zh=survey.intro_zh,
        intro_en=survey.intro_en,
        status=Survey.Status.DRAFT,
        created_by=by,
    )
    originals = survey_questions(survey)
    copies: dict[int, Question] = {}
    for question in originals:
        copies[question.pk] = Question.objects.create(
            survey=copy,
            code=question.code,
            position=question.position,
            kind=question.kind,
            prompt_zh=question.prompt_zh,
            prompt_en=question.prompt_en,
            help_zh=question.help_zh,
            help_en=question.help_en,
            concern=question.concern,
            required=question.required,
            # Conditions point at earlier questions, which are already copied (survey order).
            show_if_question=copies.get(question.show_if_question_id),
            show_if_operator=question.show_if_operator if question.show_if_question_id in copies else "",
            show_if_value=question.show_if_value if question.show_if_question_id in copies else None,
        )
    Choice.objects.bulk_create(
        Choice(
            question=copies[question.pk],
            code=choice.code,
            position=choice.position,
            label_zh=choice.label_zh,
            label_en=choice.label_en,
            concern=choice.concern,
        )
        for question in originals
        for choice in question.choices.all()
    )
    return copy


def publish_survey(*, survey: Survey, now: datetime | None = None) -> Survey:
    """Publish a draft that can be answered; the key's earlier published version becomes archived."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_draft(survey)
        errors = publication_errors(locked)
        if errors:
            raise ValidationError(errors, code="not_ready")
        # Conditional: whatever happened since the lock, only a draft becomes published.
        updated = Survey.objects.filter(pk=locked.pk, status=Survey.Status.DRAFT).update(
            status=Survey.Status.PUBLISHED, published_at=now, updated_at=now
        )
        if updated != 1:
            raise _not_draft_error()
        Survey.objects.filter(key=locked.key, status=Survey.Status.PUBLISHED).exclude(pk=locked.pk).update(
            status=Survey.Status.ARCHIVED, updated_at=now
        )
    locked.refresh_from_db()
    return locked


# --- Questions -----------------------------------------------------------------------------------


def _rule(data: QuestionData, choices: Sequence[ChoiceData]) -> QuestionRule:
    condition = None
    if data.show_if_question is not None:
        value = data.show_if_value
        condition = Condition(
            source=data.show_if_question.code,
            operator=data.show_if_operator,
            value=tuple(value) if isinstance(value, list) else value,
        )
    return QuestionRule(
        code=data.code,
        kind=data.kind,
        condition=condition,
        choice_codes=tuple(choice.code for choice in choices),
        scale=Question.SCALES.get(data.kind),
    )


def _check_question(
    *, survey: Survey, data: QuestionData, position: int, question: Question | None = None
) -> list[ChoiceData]:
    """Raise ValidationError naming the field when the question cannot work; return the choices kept."""
    errors: dict[str, list[str]] = {}
    others = survey.questions.exclude(pk=question.pk) if question else survey.questions.all()
    if others.filter(code=data.code).exists():
        errors.setdefault("code", []).append(_("Another question of this survey already uses this code."))
    choices = list(data.choices) if data.kind in CHOICE_KINDS else []
    if data.kind in CHOICE_KINDS:
        if len(choices) < 2:
            errors.setdefault("choices", []).append(_("A choice question needs at least two choices."))
        codes = [choice.code for choice in choices]
        if len(set(codes)) != len(codes):
            errors.setdefault("choices", []).append(_("Each choice needs its own code."))
    if data.show_if_question is not None:
        source = data.show_if_question
        if source.survey_id != survey.pk or (question is not None and source.pk == question.pk):
            errors.setdefault("show_if_question", []).append(
                _("A question can only depend on an earlier question of the same survey.")
            )
        else:
            earlier = [
                q.as_rule()
                for q in survey_questions(survey)
                if q.position < position and (question is None or q.pk != question.pk)
            ]
            for problem in condition_errors(_rule(data, choices), earlier):
                errors.setdefault("show_if_question", []).append(problem)
    if question is not None:
        # The questions that depend on this one must still make sense with its new kind and choices.
        new_rule = _rule(data, choices)
        for dependent in question.dependents.select_related("show_if_question").prefetch_related("choices"):
            rule = dependent.as_rule()
            rule = QuestionRule(
                code=rule.code,
                kind=rule.kind,
                condition=Condition(source=new_rule.code, operator=rule.condition.operator, value=rule.condition.value),
                choice_codes=rule.choice_codes,
                scale=rule.scale,
            )
            if condition_errors(rule, [new_rule]):
                errors.setdefault("kind", []).append(
                    _("Question “%(code)s” depends on this one and would no longer work; change it first.")
                    % {"code": dependent.code}
                )
    if errors:
        raise ValidationError(errors)
    return choices


def _write_choices(question: Question, choices: Sequence[ChoiceData]) -> None:
    """Make the question's choices exactly ``choices``, in that order, keeping rows whose code stays."""
    existing = {choice.code: choice for choice in question.choices.all()}
    keep = {choice.code for choice in choices}
    question.choices.exclude(code__in=keep).delete()
    for position, data in enumerate(choices, start=1):
        row = existing.get(data.code) or Choice(question=question, code=data.code)
        row.position, row.label_zh, row.label_en, row.concern = position, data.label_zh, data.label_en, data.concern
        row.save()


def _apply(question: Question, data: QuestionData) -> None:
    question.code = data.code
    question.kind = data.kind
    question.prompt_zh, question.prompt_en = data.prompt_zh, data.prompt_en
    question.help_zh, question.help_en = data.help_zh, data.help_en
    question.concern = data.concern
    question.required = data.required
    question.show_if_question = data.show_if_question
    question.show_if_operator = data.show_if_operator if data.show_if_question else ""
    question.show_if_value = data.show_if_value if data.show_if_question else None


@transaction.atomic
def add_question(*, survey: Survey, data: QuestionData) -> Question:
    """Add a question at the end of a draft survey."""
    survey = _locked_draft(survey)
    position = (survey.questions.aggregate(last=Max("position"))["last"] or 0) + 1
    choices = _check_question(survey=survey, data=data, position=position)
    question = Question(survey=survey, position=position)
    _apply(question, data)
    question.save()
    _write_choices(question, choices)
    return question


@transaction.atomic
def update_question(*, question: Question, data: QuestionData) -> Question:
    _locked_draft(question.survey)
    question = Question.objects.select_for_update().get(pk=question.pk)
    choices = _check_question(survey=question.survey, data=data, position=question.position, question=question)
    _apply(question, data)
    question.save()
    _write_choices(question, choices)
    return question


@transaction.atomic
def delete_question(*, question: Question) -> None:
    """Delete a question nothing depends on, and close the gap in the positions."""
    survey = _locked_draft(question.survey)
    dependents = list(Question.objects.filter(show_if_question_id=question.pk).order_by("position"))
    if dependents:
        raise ValidationError(
            _("Other questions are shown depending on this one (%(codes)s); change or delete them first.")
            % {"codes": ", ".join(q.code for q in dependents)},
            code="has_dependents",
        )
    Question.objects.filter(pk=question.pk).delete()
    _renumber(survey)


def _renumber(survey: Survey) -> None:
    for position, question in enumerate(survey.questions.order_by("position", "id"), start=1):
        if question.position != position:
            Question.objects.filter(pk=question.pk).update(position=position)


@transaction.atomic
def move_question(*, question: Question, direction: str) -> Question:
    """Swap a question with its neighbour above ("up") or below ("down"), unless a condition forbids it.

    A question must stay after the question its condition reads, so moving it above that question,
    or moving a question below one that depends on it, is refused.
    """
    if direction not in ("up", "down"):
        raise ValidationError(_("Unknown direction."), code="bad_direction")
    survey = _locked_draft(question.survey)
    _renumber(survey)
    ordered = list(survey.questions.order_by("position", "id"))
    index = next((i for i, q in enumerate(ordered) if q.pk == question.pk), None)
    if index is None:
        raise ValidationError(_("This question is no longer in the survey."), code="gone")
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered):
        return ordered[index]  # already first or last: nothing to do
    moving, other = ordered[index], ordered[other_index]
    upper, lower = (other, moving) if direction == "up" else (moving, other)
    if lower.show_if_question_id == upper.pk:
        raise ValidationError(
            _("“%(dependent)s” is shown depending on “%(source)s”, so it must stay below it.")
            % {"dependent": lower.code, "source": upper.code},
            code="breaks_condition",
        )
    Question.objects.filter(pk=moving.pk).update(position=other.position)
    Question.objects.filter(pk=other.pk).update(position=moving.position)
    moving.refresh_from_db()
    return moving


__all__ = [
    "ChoiceData",
    "QuestionData",
    "add_question",
    "create_next_version",
    "create_survey",
    "delete_question",
    "draft_of",
    "move_question",
    "publication_errors",
    "publish_survey",
    "survey_list",
    "survey_questions",
    "update_question",
    "update_survey_details",
    "versions_of",
]
