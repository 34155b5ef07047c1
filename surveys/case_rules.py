"""Which Cases a submitted response needs, and when a Case is due. Pure functions, no ORM.

A response opens at most one Case per category; the rules read each answer's question kind and concern
tag, the answer's tagged concerns and, for a few signals, the codes a survey designer gives questions and
choices. The starter survey (surveys/data/starter_survey.json) is the example in brackets:

=====================================================  ===================  ========
signal                                                 category             priority
=====================================================  ===================  ========
an NPS question scored 0–6 (``nps``)                   detractor            normal
"yes" to a yes/no question tagged *security*           suspected_fraud      urgent
  (``unknown_payment``); its code names a leak         data_leak            urgent
a chosen choice whose concern is *security*            suspected_fraud      urgent
  (``unauthorised_payment``); its code or label
  names a leak (``data_leak``)                         data_leak            urgent
free text tagged *security* (surveys/freetext.py)      suspected_fraud      high
  that mentions a leak ("信息泄露", "leaked")           data_leak            urgent
"yes" to a yes/no question tagged *trust*              payment_problem      normal
  (``payment_failed``, ``payment_delayed``), or a
  chosen choice whose code names a failed payment
  (``payment_failed``)
"yes" to a yes/no question, or a chosen choice, whose  account_access       normal
  code names a lock-out or sign-in (``locked_out``)
=====================================================  ===================  ========

So a manager's own survey opens the same Cases when its security and trust yes/no questions are asked
so that "yes" reports a problem ("Did you notice a payment you did not make?", not "Do you feel safe?"),
and when its lock-out questions and choices have codes such as ``locked_out`` or ``cannot_sign_in``.
Concern tags alone cannot tell a lock-out from other usability trouble, hence the code words.

When several signals point at one category, the Case takes the highest priority and that signal's summary.

A re-survey of a resolved Case ("is it fixed?", surveys/data/recheck_survey.json) answered "no" opens a new
Case of the resolved one's category, high priority at least (``not_fixed``).

Clocks (calendar time, UTC-aware datetimes in and out):
- SLA: 24 hours for suspected fraud and data leaks, 72 hours for everything else (``sla_due``);
- regulatory answer (the bank complaint rules): 15 days, 30 for a complex case, extendable once by
  30 days with a recorded approval (``regulatory_due``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from surveys.freetext import Lexicon
from surveys.skip_logic import CHOICE_KINDS, AnswerValue

# The values of Case.Category, Case.Priority and Concern, spelled out: this module imports no models.
SUSPECTED_FRAUD = "suspected_fraud"
DATA_LEAK = "data_leak"
DETRACTOR = "detractor"
PAYMENT_PROBLEM = "payment_problem"
ACCOUNT_ACCESS = "account_access"
COMPATIBILITY = "compatibility"
OTHER = "other"

NORMAL, HIGH, URGENT = 2, 3, 4

SECURITY = "security"
TRUST = "trust"

DETRACTOR_MAX_SCORE = 6
URGENT_CATEGORIES = frozenset({SUSPECTED_FRAUD, DATA_LEAK})
URGENT_SLA = timedelta(hours=24)
DEFAULT_SLA = timedelta(hours=72)
REGULATORY_PERIOD = timedelta(days=15)
COMPLEX_REGULATORY_PERIOD = timedelta(days=30)
REGULATORY_EXTENSION = timedelta(days=30)

# Words that make a security answer a leak of personal data rather than a payment the customer did not make,
# matched like the concern words (surveys/freetext.py): Chinese anywhere, English at the start of a word
# ("leak" finds "leaked"), not right after a negation ("没有泄露", "nothing leaked" do not count).
_LEAK_WORDS = Lexicon(
    {
        "leak": (
            "泄露", "泄漏", "外泄", "信息被盗", "资料被盗", "信息被卖", "个人信息被",
            "leak", "data breach", "breach", "exposed", "my details were", "my data was", "sold my",
        )
    }
)  # fmt: skip
# Words in question and choice codes (slugs: "locked_out", "payment-failed").
_ACCESS_CODE_WORDS = ("lock", "login", "log_in", "logon", "sign_in", "signin", "access")
_PAYMENT_FAILURE_CODE_WORDS = ("payment_fail", "failed_payment", "payment_declin", "declined", "charged_twice")


@dataclass(frozen=True)
class ChosenChoice:
    code: str
    concern: str  # the choice's own concern, or its question's when it has none
    labels: tuple[str, ...] = ()  # its labels in every language


@dataclass(frozen=True)
class AnsweredQuestion:
    """One answer of a submitted response, with what the rules need to know of its question."""

    code: str
    kind: str
    concern: str
    value: AnswerValue
    concerns: tuple[str, ...] = ()  # the answer's tagged concerns (Answer.concerns)
    chosen: tuple[ChosenChoice, ...] = ()


@dataclass(frozen=True)
class CaseNeed:
    """A Case a response needs. ``summary`` is rendered in the active language when read."""

    category: str
    priority: int
    message: str = field(compare=False)  # a lazy msgid with %(name)s placeholders
    params: tuple[tuple[str, object], ...] = ()

    @property
    def summary(self) -> str:
        return str(self.message) % dict(self.params) if self.params else str(self.message)


def _slug_words(code: str) -> str:
    return code.lower().replace("-", "_")


def names_any(code: str, words: Iterable[str]) -> bool:
    slug = _slug_words(code)
    return any(word in slug for word in words)


def mentions_leak(*texts: str) -> bool:
    """Whether any text speaks of personal data leaking (Chinese or English; codes such as ``data_leak`` too)."""
    return any(_LEAK_WORDS.tags(text.replace("_", " ").replace("-", " ")) for text in texts)


# What each signal says, for the Case's summary; %(where)s is the question's code, or "question: choice".
_DETRACTOR = _("Scored %(score)s of 10 for recommending the wallet (%(where)s).")
_FRAUD = _("Reports a payment they did not make (%(where)s).")
_LEAK = _("Says their personal details leaked (%(where)s).")
_WROTE_FRAUD = _("Wrote about a security worry (%(where)s).")
_WROTE_LEAK = _("Wrote that their personal details leaked (%(where)s).")
_PAYMENT = _("Reports a payment problem (%(where)s).")
_ACCESS = _("Was locked out or could not sign in (%(where)s).")
_NOT_FIXED = _("Says the problem of case %(case)s is not fixed (%(where)s).")

# Words in the code of a re-survey's "is it fixed?" question (surveys/data/recheck_survey.json: ``fixed``).
FIXED_CODE_WORDS = ("fixed", "resolved", "solved")


def _need(category: str, priority: int, message, **params: object) -> CaseNeed:
    return CaseNeed(category, priority, message, tuple(sorted(params.items())))


def _signals(answer: AnsweredQuestion) -> list[CaseNeed]:
    value, where, found = answer.value, answer.code, []
    if answer.kind == "nps" and value.number is not None and value.number <= DETRACTOR_MAX_SCORE:
        found.append(_need(DETRACTOR, NORMAL, _DETRACTOR, score=value.number, where=where))
    if answer.kind == "yes_no" and value.yes_no is True:
        if answer.concern == SECURITY:
            leak = mentions_leak(answer.code)
            found.append(
                _need(DATA_LEAK, URGENT, _LEAK, where=where)
                if leak
                else _need(SUSPECTED_FRAUD, URGENT, _FRAUD, where=where)
            )
        if answer.concern == TRUST or names_any(answer.code, _PAYMENT_FAILURE_CODE_WORDS):
            found.append(_need(PAYMENT_PROBLEM, NORMAL, _PAYMENT, where=where))
        if names_any(answer.code, _ACCESS_CODE_WORDS):
            found.append(_need(ACCOUNT_ACCESS, NORMAL, _ACCESS, where=where))
    if answer.kind in CHOICE_KINDS:
        for choice in answer.chosen:
            if choice.code not in value.choices:
                continue
            where = f"{answer.code}: {choice.code}"
            if choice.concern == SECURITY:
                leak = mentions_leak(choice.code, *choice.labels)
                found.append(
                    _need(DATA_LEAK, URGENT, _LEAK, where=where)
                    if leak
                    else _need(SUSPECTED_FRAUD, URGENT, _FRAUD, where=where)
                )
            if names_any(choice.code, _PAYMENT_FAILURE_CODE_WORDS):
                found.append(_need(PAYMENT_PROBLEM, NORMAL, _PAYMENT, where=where))
            if names_any(choice.code, _ACCESS_CODE_WORDS):
                found.append(_need(ACCOUNT_ACCESS, NORMAL, _ACCESS, where=where))
    if answer.kind == "free_text" and SECURITY in answer.concerns and value.text.strip():
        if mentions_leak(value.text):
            found.append(_need(DATA_LEAK, URGENT, _WROTE_LEAK, where=where))
        else:
            found.append(_need(SUSPECTED_FRAUD, HIGH, _WROTE_FRAUD, where=where))
    return found


def cases_needed(answers: Iterable[AnsweredQuestion]) -> list[CaseNeed]:
    """The Cases a submitted response needs: at most one per category, the highest-priority signal's,
    the first one in survey order among equals; ordered by priority (highest first), then category."""
    best: dict[str, CaseNeed] = {}
    for answer in answers:
        for need in _signals(answer):
            kept = best.get(need.category)
            if kept is None or need.priority > kept.priority:
                best[need.category] = need
    return sorted(best.values(), key=lambda need: (-need.priority, need.category))


def not_fixed(answers: Iterable[AnsweredQuestion], *, case_id: int, category: str) -> CaseNeed | None:
    """A re-survey of a resolved Case answered "no" to its "is it fixed?" question (a yes/no question whose
    code names fixing) reopens the matter: a new Case of the same category, high priority at least."""
    for answer in answers:
        if answer.kind == "yes_no" and answer.value.yes_no is False and names_any(answer.code, FIXED_CODE_WORDS):
            priority = URGENT if category in URGENT_CATEGORIES else HIGH
            return _need(category, priority, _NOT_FIXED, case=f"#{case_id}", where=answer.code)
    return None


def sla_due(category: str, opened_at: datetime) -> datetime:
    """When the bank's own service level wants the Case handled."""
    return opened_at + (URGENT_SLA if category in URGENT_CATEGORIES else DEFAULT_SLA)


def regulatory_due(opened_at: datetime, complex: bool, extended: bool) -> datetime:
    """When the complaint rules want the customer answered: 15 days, 30 for a complex case, plus 30 once
    when the extension was approved."""
    due = opened_at + (COMPLEX_REGULATORY_PERIOD if complex else REGULATORY_PERIOD)
    return due + REGULATORY_EXTENSION if extended else due


def answered_questions(
    answers: Mapping[str, AnswerValue],
    *,
    kinds: Mapping[str, str],
    concerns: Mapping[str, str],
    answer_concerns: Mapping[str, Iterable[str]] | None = None,
    choice_concerns: Mapping[tuple[str, str], str] | None = None,
    choice_labels: Mapping[tuple[str, str], Iterable[str]] | None = None,
) -> list[AnsweredQuestion]:
    """Build the rules' input from plain mappings: answers by question code; each question's kind and
    concern; each answer's tagged concerns; each (question, choice) code pair's concern and labels. A choice
    with no concern of its own takes its question's."""
    answer_concerns = answer_concerns or {}
    choice_concerns = choice_concerns or {}
    choice_labels = choice_labels or {}
    built = []
    for code, value in answers.items():
        chosen = tuple(
            ChosenChoice(
                code=choice,
                concern=choice_concerns.get((code, choice)) or concerns.get(code, OTHER),
                labels=tuple(choice_labels.get((code, choice), ())),
            )
            for choice in sorted(value.choices)
        )
        built.append(
            AnsweredQuestion(
                code=code,
                kind=kinds[code],
                concern=concerns.get(code, OTHER),
                value=value,
                concerns=tuple(answer_concerns.get(code, ())),
                chosen=chosen,
            )
        )
    return built
