"""The path a customer takes through a survey: which screen comes next, before, and how far along.

Pure functions over the survey's rules (``QuestionRule`` in survey order), the answers so far and the
set of required question codes; no ORM. The public survey, its preview and the services that store
answers all ask these functions, so they agree on what the customer may answer and submit.

Vocabulary:
- a *step* is a question code, or ``REVIEW`` (``None``): the "check your answers" screen;
- the *frontier* is the first visible required question without an answer (``REVIEW`` when there
  is none): every visible question up to it may be answered, nothing after it may;
- *progress* counts only the questions visible under the answers so far, so the total may grow or
  shrink when an answer reveals or hides a question.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from surveys.skip_logic import CHOICE_KINDS, NUMBER_KINDS, AnswerValue, QuestionRule, visible_codes

REVIEW = None  # the step after the last question: the customer checks their answers and submits


@dataclass(frozen=True)
class Progress:
    number: int  # 1-based position of the step among the visible questions; total + 1 on the review
    total: int  # visible questions so far

    @property
    def percent(self) -> int:
        if self.total == 0:
            return 100
        return min(100, round(100 * (self.number - 1) / self.total))


def _answered(answers: Mapping[str, AnswerValue], code: str) -> bool:
    answer = answers.get(code)
    return answer is not None and not answer.is_empty


def frontier(
    rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue], required: Collection[str]
) -> str | None:
    """The first visible required question without an answer, or REVIEW."""
    for code in visible_codes(rules, answers):
        if code in required and not _answered(answers, code):
            return code
    return REVIEW


def first_missing(
    rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue], required: Collection[str]
) -> str | None:
    """The first required visible question left unanswered (None when the response can be submitted)."""
    return frontier(rules, answers, required)


def is_reachable(
    rules: Sequence[QuestionRule],
    answers: Mapping[str, AnswerValue],
    required: Collection[str],
    step: str | None,
) -> bool:
    """Whether the customer may be on ``step`` now: a visible question not past the frontier, or the review
    once nothing required is missing."""
    limit = frontier(rules, answers, required)
    if step is REVIEW:
        return limit is REVIEW
    visible = visible_codes(rules, answers)
    if step not in visible:
        return False
    return limit is REVIEW or visible.index(step) <= visible.index(limit)


def resume_step(
    rules: Sequence[QuestionRule],
    answers: Mapping[str, AnswerValue],
    required: Collection[str],
    current: str | None,
) -> str | None:
    """Where a returning customer lands: their saved place (a question, or REVIEW) if still reachable, else
    the first visible question without an answer, else the review."""
    if is_reachable(rules, answers, required, current):
        return current
    for code in visible_codes(rules, answers):
        if not _answered(answers, code):
            return code
    return REVIEW


def next_step(rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue], step: str) -> str | None:
    """The visible question after ``step`` under ``answers`` (given after answering it), or REVIEW."""
    visible = visible_codes(rules, answers)
    if step not in visible:
        return visible[0] if visible else REVIEW
    index = visible.index(step)
    return visible[index + 1] if index + 1 < len(visible) else REVIEW


def previous_step(rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue], step: str | None) -> str | None:
    """The visible question before ``step`` (the last one from the review); None on the first question."""
    visible = visible_codes(rules, answers)
    if step is REVIEW:
        return visible[-1] if visible else None
    if step not in visible:
        return None
    index = visible.index(step)
    return visible[index - 1] if index > 0 else None


def progress(rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue], step: str | None) -> Progress:
    visible = visible_codes(rules, answers)
    if step is REVIEW or step not in visible:
        return Progress(number=len(visible) + 1, total=len(visible))
    return Progress(number=visible.index(step) + 1, total=len(visible))


def hidden_answered(rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue]) -> list[str]:
    """Codes of questions that have an answer but are hidden under ``answers``: to be deleted."""
    visible = set(visible_codes(rules, answers))
    return [rule.code for rule in rules if rule.code in answers and rule.code not in visible]


def prune(rules: Sequence[QuestionRule], answers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The answers without those to hidden questions (hiding one may hide its dependents: one pass suffices,
    because ``visible_codes`` already hides a question whose source is hidden)."""
    hidden = set(hidden_answered(rules, answers))
    return {code: value for code, value in answers.items() if code not in hidden}


def answer_problem(rule: QuestionRule, value: AnswerValue, *, required: bool, max_text_length: int) -> str | None:
    """Why ``value`` cannot be the answer to the question of ``rule`` (a translated sentence), or None."""
    if value.is_empty:
        return str(_("Please answer this question.")) if required else None
    kind = rule.kind
    if kind in NUMBER_KINDS:
        low, high = rule.scale or (0, 10)
        number = value.number
        if number is None or isinstance(number, bool) or not low <= number <= high:
            return str(_("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high})
        if value.yes_no is not None or value.choices or value.text:
            return str(_("This answer does not fit the question."))
        return None
    if kind == "yes_no":
        if value.yes_no is None or value.number is not None or value.choices or value.text:
            return str(_("Choose yes or no."))
        return None
    if kind in CHOICE_KINDS:
        unknown = value.choices - frozenset(rule.choice_codes)
        if unknown or value.number is not None or value.yes_no is not None or value.text:
            return str(_("Choose one of the options shown."))
        if kind == "single_choice" and len(value.choices) != 1:
            return str(_("Choose one option only."))
        return None
    if kind == "free_text":
        if value.number is not None or value.yes_no is not None or value.choices:
            return str(_("This answer does not fit the question."))
        if len(value.text) > max_text_length:
            return str(
                _("Please keep your answer under %(limit)s characters (it has %(length)s).")
                % {"limit": max_text_length, "length": len(value.text)}
            )
        return None
    return str(_("This answer does not fit the question."))
