"""Skip logic: which questions a customer sees, given the answers so far. Pure functions, no ORM.

A question may carry one condition on an *earlier* question of the same survey: "show only when
the answer to <question> <operator> <value>". The web survey, the builder's preview and the agents'
call script all ask ``visible_codes`` the same question, so a customer on the phone and one on the
web see the same survey.

Rules:
- a condition on a number question (NPS, rating, CES) compares the score: at most, at least, equals;
- on a yes/no question: yes or no;
- on a choice question: any of a set of choice codes was chosen;
- a condition whose source question was not answered, or was itself hidden, does not hold: a
  question that depends on a hidden question is hidden too (chains work in survey order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

NUMBER_KINDS = frozenset({"nps", "rating", "ces"})
CHOICE_KINDS = frozenset({"single_choice", "multiple_choice"})


class Operator(models.TextChoices):
    AT_MOST = "at_most", _("is at most")
    AT_LEAST = "at_least", _("is at least")
    EQUALS = "equals", _("equals")
    YES = "yes", _("is yes")
    NO = "no", _("is no")
    ANY_OF = "any_of", _("is any of")


OPERATORS_FOR_KIND: Mapping[str, frozenset[str]] = {
    **{kind: frozenset({Operator.AT_MOST, Operator.AT_LEAST, Operator.EQUALS}) for kind in NUMBER_KINDS},
    "yes_no": frozenset({Operator.YES, Operator.NO}),
    **{kind: frozenset({Operator.ANY_OF}) for kind in CHOICE_KINDS},
}


@dataclass(frozen=True)
class AnswerValue:
    """What a customer answered to one question, whatever its kind."""

    number: int | None = None
    yes_no: bool | None = None
    choices: frozenset[str] = field(default_factory=frozenset)
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return self.number is None and self.yes_no is None and not self.choices and not self.text.strip()


@dataclass(frozen=True)
class Condition:
    source: str  # the code of the earlier question
    operator: str
    value: int | tuple[str, ...] | None = None


@dataclass(frozen=True)
class QuestionRule:
    """The little the rules need to know about a question."""

    code: str
    kind: str
    condition: Condition | None = None
    choice_codes: tuple[str, ...] = ()
    scale: tuple[int, int] | None = None


def condition_holds(condition: Condition, answer: AnswerValue | None) -> bool:
    if answer is None or answer.is_empty:
        return False
    op = condition.operator
    if op in (Operator.AT_MOST, Operator.AT_LEAST, Operator.EQUALS):
        if answer.number is None or not isinstance(condition.value, int):
            return False
        if op == Operator.AT_MOST:
            return answer.number <= condition.value
        if op == Operator.AT_LEAST:
            return answer.number >= condition.value
        return answer.number == condition.value
    if op == Operator.YES:
        return answer.yes_no is True
    if op == Operator.NO:
        return answer.yes_no is False
    if op == Operator.ANY_OF:
        return bool(answer.choices & frozenset(condition.value or ()))
    return False


def visible_codes(questions: Iterable[QuestionRule], answers: Mapping[str, AnswerValue]) -> list[str]:
    """The codes of the questions shown, in survey order (``questions`` must be in survey order)."""
    shown: list[str] = []
    shown_set: set[str] = set()
    for question in questions:
        condition = question.condition
        if condition is None or (
            condition.source in shown_set and condition_holds(condition, answers.get(condition.source))
        ):
            shown.append(question.code)
            shown_set.add(question.code)
    return shown


def condition_errors(question: QuestionRule, earlier: Iterable[QuestionRule]) -> list[str]:
    """Why a question's condition cannot work (empty when it can). Messages are translated strings."""
    condition = question.condition
    if condition is None:
        return []
    sources = {q.code: q for q in earlier}
    source = sources.get(condition.source)
    if source is None:
        return [str(_("A question can only depend on an earlier question of the same survey."))]
    allowed = OPERATORS_FOR_KIND.get(source.kind, frozenset())
    if not allowed:
        return [str(_("Free-text answers cannot decide whether a question is shown."))]
    if condition.operator not in allowed:
        return [str(_("This condition does not fit the kind of the earlier question."))]
    if source.kind in NUMBER_KINDS:
        low, high = source.scale or (0, 10)
        if (
            not isinstance(condition.value, int)
            or isinstance(condition.value, bool)
            or not low <= condition.value <= high
        ):
            return [str(_("Enter a score between %(low)s and %(high)s.") % {"low": low, "high": high})]
    if source.kind in CHOICE_KINDS:
        codes = tuple(condition.value or ()) if isinstance(condition.value, (list, tuple)) else ()
        if not codes:
            return [str(_("Pick at least one choice of the earlier question."))]
        unknown = sorted(set(codes) - set(source.choice_codes))
        if unknown:
            return [str(_("Unknown choices: %(codes)s.") % {"codes": ", ".join(unknown)})]
    return []
