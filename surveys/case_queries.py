"""Reads about Cases (the writes are in surveys/cases.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import Q, QuerySet, Value
from django.shortcuts import get_object_or_404

from accounts.models import User
from surveys.case_rules import FIXED_CODE_WORDS, names_any
from surveys.models import Answer, Case, FollowUp, Response


def overdue_cases(now: datetime) -> QuerySet[Case]:
    """Unresolved Cases past their SLA or their regulatory deadline, the most overdue SLA first.

    The regulatory half uses the partial index over unresolved rows (its condition is this exclude)."""
    return (
        Case.objects.exclude(status=Case.Status.RESOLVED)
        .filter(Q(sla_due_at__lt=now) | Q(regulatory_due_at__lt=now))
        .select_related("customer", "owner")
        .order_by("sla_due_at", "pk")
    )


# --- The case pages (surveys/case_views.py) ----------------------------------------------------------

# Managers and administrators see every Case; an agent sees the Cases they own.
_SEE_ALL_ROLES = ("manager", "admin")


def sees_all_cases(user: User) -> bool:
    return any(user.has_role(role) for role in _SEE_ALL_ROLES)


def cases_visible_to(user: User) -> QuerySet[Case]:
    """The Cases ``user`` may see and work: all for managers and administrators, their own for agents."""
    cases = Case.objects.select_related("customer", "owner", "resolved_by", "regulatory_extended_by")
    if sees_all_cases(user):
        return cases
    return cases.filter(owner=user)


def case_for(user: User, pk: int) -> Case:
    """The Case ``pk`` if ``user`` may see it, else Http404.

    The one access check of the case pages: another agent's Case and a Case that does not exist give the
    same 404, so nobody learns which Cases exist or who owns them."""
    return get_object_or_404(cases_visible_to(user), pk=pk)


def case_list(user: User, *, now: datetime, status: str = "") -> QuerySet[Case]:
    """The Cases ``user`` sees, overdue ones first (then by SLA deadline); ``status`` narrows them when it
    is one of Case.Status (anything else is ignored). Each row carries ``is_overdue``."""
    cases = cases_visible_to(user)
    if status in Case.Status.values:
        cases = cases.filter(status=status)
    overdue = ~Q(status=Case.Status.RESOLVED) & (Q(sla_due_at__lt=now) | Q(regulatory_due_at__lt=now))
    return cases.annotate(
        is_overdue=models.Case(models.When(overdue, then=Value(True)), default=Value(False))
    ).order_by("-is_overdue", "sla_due_at", "pk")


@dataclass(frozen=True)
class AnswerLine:
    """One answer of the response behind a Case, as the case page shows it."""

    prompt: str
    number: int | None
    yes_no: bool | None
    choices: tuple[str, ...]
    text: str


def case_answers(case: Case, *, language: str) -> list[AnswerLine]:
    """The answers of the response that opened ``case`` (none when it has no response), in the survey's
    order, with prompts and choice labels in ``language``: two queries."""
    if case.response_id is None:
        return []
    answers = (
        Answer.objects.filter(response_id=case.response_id)
        .select_related("question")
        .prefetch_related("choices")
        .order_by("question__position", "question_id")
    )
    return [
        AnswerLine(
            prompt=answer.question.prompt_for(language),
            number=answer.number,
            yes_no=answer.yes_no,
            choices=tuple(choice.label_for(language) for choice in answer.choices.all()),
            text=answer.text,
        )
        for answer in answers
    ]


@dataclass(frozen=True)
class RecheckLine:
    """A re-survey of a resolved Case: when and how it goes out, and what the customer said."""

    follow_up: FollowUp
    fixed: bool | None  # the answer to "is it fixed?", None until answered
    new_cases: tuple[Case, ...]  # the Cases its answers opened (a "no" opens one)


def case_rechecks(case: Case) -> list[RecheckLine]:
    """The "is it fixed?" re-surveys of ``case`` (at most one is planned), with their answers: three queries."""
    follow_ups = list(case.rechecks.select_related("response").order_by("created_at"))
    if not follow_ups:
        return []
    fixed = {
        follow_up_id: answer
        for follow_up_id, code, answer in Answer.objects.filter(
            response__follow_up__in=follow_ups, response__status=Response.Status.SUBMITTED, question__kind="yes_no"
        ).values_list("response__follow_up_id", "question__code", "yes_no")
        if names_any(code, FIXED_CODE_WORDS)  # the question case_rules.not_fixed reads
    }
    opened: dict[int, list[Case]] = {}
    for new_case in Case.objects.filter(follow_up__in=follow_ups).order_by("pk"):
        opened.setdefault(new_case.follow_up_id, []).append(new_case)
    return [
        RecheckLine(follow_up, fixed.get(follow_up.pk), tuple(opened.get(follow_up.pk, ()))) for follow_up in follow_ups
    ]
