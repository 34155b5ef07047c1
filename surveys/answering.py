"""A customer answers a web survey: the reads the public pages need, and the services that store answers.

Reads (few, constant-count queries; the public page is benchmarked):
- ``survey_questions(survey)``: the questions with their choices and skip-logic sources, two queries (none
  for a published survey already loaded by this process: published surveys never change);
- ``answers_for(...)``: one query (the response itself comes with the link, surveys/links.py).

Writes (keyword-only, atomic, each holding the row lock of the follow-up's response, so a save and a
submit of the same follow-up — two tabs, a double click — run one after the other and never interleave;
the first write creates the response, see ``_with_response``):
- ``save_answer``: validates, stores one answer (creating the Response on the first one), deletes the
  answers of questions that skip logic now hides, and moves ``current_question`` to the next step;
- ``choose_language``: records the customer's language (creating the Response if needed);
- ``submit_response``: checks every visible required question is answered, then a conditional UPDATE
  from in_progress to submitted; a second submit finds nothing to update and reports "already".

The database keeps one Response per follow-up (OneToOne) whatever the code does.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from surveys import cases, survey_flow
from surveys.freetext import MAX_TEXT_LENGTH, redact_numbers, tag_concerns
from surveys.models import Answer, Choice, Concern, FollowUp, Question, Response, Survey
from surveys.skip_logic import CHOICE_KINDS, NUMBER_KINDS, AnswerValue, QuestionRule

if TYPE_CHECKING:
    from accounts.models import User

T = TypeVar("T")


class AnswerRefused(Exception):
    """The answer was not stored; ``message`` says why, for the customer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAnswer(AnswerRefused):
    """The value does not fit the question (out of range, unknown choice, too long, missing)."""


class QuestionNotAvailable(AnswerRefused):
    """The question is hidden by skip logic or lies past a required question still unanswered."""


class AlreadySubmitted(Exception):
    """The response of this follow-up was submitted already."""


class SurveyQuestions:
    """A survey's questions in order, with what skip logic and the forms need, loaded once per request."""

    def __init__(self, *, survey: Survey, questions: tuple[Question, ...]) -> None:
        self.survey = survey
        self.questions = questions
        self.by_code: dict[str, Question] = {q.code: q for q in questions}
        self.by_id: dict[int, Question] = {q.pk: q for q in questions}
        self.rules: tuple[QuestionRule, ...] = tuple(q.as_rule() for q in questions)
        self.rule_by_code: dict[str, QuestionRule] = {rule.code: rule for rule in self.rules}
        self.required: frozenset[str] = frozenset(q.code for q in questions if q.required)
        self.choice_codes: dict[int, str] = {c.pk: c.code for q in questions for c in q.choices.all()}


# A published (or archived) survey never changes (surveys/authoring.py makes a new version instead), so its
# questions are loaded once per process; drafts, which the builder's preview shows, are always read fresh.
_PUBLISHED_CACHE_SIZE = 32
_published: OrderedDict[tuple[int, object], SurveyQuestions] = OrderedDict()
_published_lock = threading.Lock()


def survey_questions(survey: Survey) -> SurveyQuestions:
    """The survey's questions, choices and condition sources: two queries whatever the survey's size, none
    for a published survey this process has loaded already. The questions are shared: read them only."""
    if survey.status == Survey.Status.DRAFT:
        return _load_questions(survey)
    key = (survey.pk, survey.published_at)
    with _published_lock:
        cached = _published.get(key)
        if cached is not None:
            _published.move_to_end(key)
            return cached
    loaded = _load_questions(survey)
    with _published_lock:
        _published[key] = loaded
        while len(_published) > _PUBLISHED_CACHE_SIZE:
            _published.popitem(last=False)
    return loaded


def _load_questions(survey: Survey) -> SurveyQuestions:
    questions = (
        Question.objects.filter(survey_id=survey.pk)
        .select_related("show_if_question")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position", "id")))
        .order_by("position", "id")
    )
    return SurveyQuestions(survey=survey, questions=tuple(questions))


def forget_cached_questions() -> None:
    """Empty this process's cache of published surveys' questions (tests that edit published rows)."""
    with _published_lock:
        _published.clear()


def answers_for(response_id: int | None, questions: SurveyQuestions) -> dict[str, AnswerValue]:
    """The stored answers by question code, one query."""
    return _stored_answers(response_id, questions)[0]


_CHOSEN = Answer.choices.through._meta
# Table and column names come from the models; the response id is a parameter.
_ANSWERS_SQL = (
    f"SELECT a.question_id, a.id, a.number, a.yes_no, a.text, ac.{_CHOSEN.get_field('choice').column} "  # noqa: S608
    f"FROM {Answer._meta.db_table} a LEFT JOIN {_CHOSEN.db_table} ac "
    f"ON ac.{_CHOSEN.get_field('answer').column} = a.id WHERE a.response_id = %s"
)


def _stored_answers(
    response_id: int | None, questions: SurveyQuestions
) -> tuple[dict[str, AnswerValue], dict[str, int]]:
    """The stored answers by question code, and their ids; one query (an answer with several choices comes
    as several rows of the LEFT JOIN)."""
    if response_id is None:
        return {}, {}
    with connection.cursor() as cursor:  # raw: read on every page of a returning customer
        cursor.execute(_ANSWERS_SQL, [response_id])
        return answers_from_rows(cursor.fetchall(), questions)


def answers_from_rows(rows, questions: SurveyQuestions) -> tuple[dict[str, AnswerValue], dict[str, int]]:
    """Rows of (question id, answer id, number, yes/no, text, chosen choice id) → answers by code, and ids."""
    fields: dict[int, tuple] = {}
    chosen: dict[int, set[str]] = {}
    for question_id, answer_id, number, yes_no, text, choice_id in rows:
        # SQLite returns booleans as 0/1.
        fields[question_id] = (answer_id, number, None if yes_no is None else bool(yes_no), text)
        if choice_id is not None:
            chosen.setdefault(question_id, set()).add(questions.choice_codes.get(choice_id, ""))
    answers, ids = {}, {}
    for question_id, (answer_id, number, yes_no, text) in fields.items():
        question = questions.by_id.get(question_id)
        if question is not None:
            answers[question.code] = AnswerValue(
                number=number, yes_no=yes_no, text=text or "", choices=frozenset(chosen.get(question_id, ()))
            )
            ids[question.code] = answer_id
    return answers, ids


def check_answer(*, questions: SurveyQuestions, question: Question, value: AnswerValue) -> None:
    """Raise InvalidAnswer when ``value`` cannot answer ``question`` (the same check the form makes)."""
    problem = survey_flow.answer_problem(
        questions.rule_by_code[question.code],
        value,
        required=question.required,
        max_text_length=MAX_TEXT_LENGTH,
    )
    if problem:
        raise InvalidAnswer(problem)


def answer_concerns(question: Question, chosen: list[Choice]) -> list[str]:
    """The concerns a choice answer tells: each choice's own, else the question's; "other" does not count."""
    concerns = {choice.concern or question.concern for choice in chosen}
    concerns.discard(Concern.OTHER)
    concerns.discard("")
    return sorted(concerns)


@dataclass(frozen=True)
class Saved:
    response: Response
    next_step: str | None  # a question code, or survey_flow.REVIEW
    answers: dict[str, AnswerValue]


# Table names come from the models; the id is a parameter.
_RESPONSE_SQL = (
    f"SELECT id, status, language, current_question_id FROM {Response._meta.db_table} WHERE follow_up_id = %s"  # noqa: S608, E501
)


def _locked_response(follow_up_id: int) -> Response | None:
    """The follow-up's response, row-locked until the transaction ends; None when there is none yet."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_RESPONSE_SQL + lock, [follow_up_id])
        row = cursor.fetchone()
    if row is None:
        return None
    # Only these fields are loaded; any other loads from the database on first use.
    return Response.from_db(connection.alias, ["id", "status", "language", "current_question_id"], row)


def _with_response(follow_up_id: int, *, started: bool, work: Callable[[Response | None], T]) -> T:
    """Run ``work(response)`` in one transaction that holds the follow-up's response row lock.

    Every write to a response runs here, so the saves and submits of one follow-up (two tabs, a double
    click, a replay) run one after another. ``work`` gets None when there is no response yet and then
    creates it: that first INSERT needs no lock, because the database allows one response per follow-up
    (OneToOne). When two first writes race, the second INSERT fails (IntegrityError), its transaction is
    rolled back whole, and it runs again, this time locking the response the first one created.
    ``started`` is whether the caller saw a response already (read with the link): if not, the first try
    skips the lock query. Either value is correct; it only saves a query.
    """
    for retry in (False, True):
        try:
            with transaction.atomic():
                return work(_locked_response(follow_up_id) if started or retry else None)
        except IntegrityError:
            if retry:
                raise
    raise AssertionError("unreachable")


def _new_response(
    *,
    follow_up: FollowUp,
    language: str,
    current: Question | None,
    now: datetime,
    mode: str = Response.Mode.WEB,
    taken_by: User | None = None,
) -> Response:
    """Insert the follow-up's response (IntegrityError if another request inserted it first).

    ``mode``/``taken_by``: WEB with nobody for the customer's own link; PHONE with the agent who reads the
    survey aloud (surveys/script_views.py)."""
    response = Response(
        follow_up=follow_up,
        survey_id=follow_up.campaign.survey_id,
        status=Response.Status.IN_PROGRESS,
        mode=mode,
        taken_by=taken_by,
        language=language,
        started_at=now,
        current_question=current,
    )
    response.save(force_insert=True)
    return response


def save_answer(
    *,
    follow_up: FollowUp,
    questions: SurveyQuestions,
    question: Question,
    value: AnswerValue,
    language: str,
    now: datetime,
    started: bool = True,
    mode: str = Response.Mode.WEB,
    taken_by: User | None = None,
) -> Saved:
    """Store the customer's answer to ``question`` and move their place to the next visible step.

    1. Check the value (InvalidAnswer) — before any write.
    2. Lock the response (AlreadySubmitted if it was submitted), or create it with this first answer.
    3. Check the question may be answered now: visible, not past a required unanswered one.
    4. Write the answer (an empty answer to an optional question removes it); delete the answers of
       the questions the new answers hide, so a submitted response never holds a hidden answer.
    5. Save the next step as ``current_question`` (None: the review).

    ``started``: whether the caller saw a response already (see ``_with_response``).
    ``mode``/``taken_by``: how the answers are taken, stored when this save creates the response (see
    ``submit_response`` for a response the customer began on the web and an agent finishes by phone).
    """
    check_answer(questions=questions, question=question, value=value)

    def work(response: Response | None) -> Saved:
        if response is not None and response.status == Response.Status.SUBMITTED:
            raise AlreadySubmitted
        # A response created by this save has no answers yet: no need to read them.
        answers, answer_ids = _stored_answers(response.pk, questions) if response is not None else ({}, {})
        if not survey_flow.is_reachable(questions.rules, answers, questions.required, question.code):
            raise QuestionNotAvailable(
                _("This question is not part of your survey at this point. Please answer the question shown.")
            )
        updated = dict(answers)
        if value.is_empty:
            updated.pop(question.code, None)
        else:
            updated[question.code] = value
        kept = survey_flow.prune(questions.rules, updated)
        step = survey_flow.next_step(questions.rules, kept, question.code)
        next_question = questions.by_code[step] if step is not None else None
        if response is None:
            # The first answer creates the response, already pointing at the next step.
            response = _new_response(
                follow_up=follow_up,
                language=language,
                current=next_question,
                now=now,
                mode=mode,
                taken_by=taken_by,
            )
        else:
            removed = [questions.by_code[code].pk for code in answers if code not in kept]
            if removed:
                Answer.objects.filter(response=response, question_id__in=removed).delete()
            Response.objects.filter(pk=response.pk).update(
                current_question=next_question, language=language, updated_at=now
            )
            response.current_question, response.language = next_question, language
        if not value.is_empty:
            _write_answer(response=response, question=question, value=value, answer_id=answer_ids.get(question.code))
        return Saved(response=response, next_step=step, answers=kept)

    return _with_response(follow_up.pk, started=started, work=work)


def _write_answer(*, response: Response, question: Question, value: AnswerValue, answer_id: int | None) -> None:
    """Insert or update the answer (``answer_id``: the stored one, known from the read under the lock)."""
    fields: dict = {"number": None, "yes_no": None, "text": "", "text_redacted": False, "concerns": []}
    chosen: list[Choice] = []
    if question.kind in NUMBER_KINDS:
        fields["number"] = value.number
    elif question.kind == Question.Kind.YES_NO:
        fields["yes_no"] = value.yes_no
    elif question.kind in CHOICE_KINDS:
        chosen = [choice for choice in question.choices.all() if choice.code in value.choices]
        fields["concerns"] = answer_concerns(question, chosen)
    elif question.kind == Question.Kind.FREE_TEXT:
        # The form caps the length; cutting here is the last line of defence.
        text = value.text[:MAX_TEXT_LENGTH]
        fields["text"], fields["text_redacted"] = redact_numbers(text)
        fields["concerns"] = tag_concerns(text)
    through = Answer.choices.through
    if answer_id is None:
        answer_id = Answer.objects.create(response=response, question=question, **fields).pk
    else:
        Answer.objects.filter(pk=answer_id).update(**fields)
        if question.kind in CHOICE_KINDS:
            through.objects.filter(answer_id=answer_id).delete()
    if chosen:
        through.objects.bulk_create([through(answer_id=answer_id, choice_id=choice.pk) for choice in chosen])


def choose_language(*, follow_up: FollowUp, questions: SurveyQuestions, language: str, now: datetime) -> Response:
    """The customer picks the survey's language: remembered on their response (created if needed)."""

    def work(response: Response | None) -> Response:
        if response is None:
            first = questions.questions[0] if questions.questions else None
            return _new_response(follow_up=follow_up, language=language, current=first, now=now)
        if response.status == Response.Status.SUBMITTED:
            raise AlreadySubmitted
        if response.language != language:
            Response.objects.filter(pk=response.pk).update(language=language, updated_at=now)
            response.language = language
        return response

    return _with_response(follow_up.pk, started=True, work=work)


class SubmitStatus(enum.Enum):
    SUBMITTED = "submitted"
    ALREADY_SUBMITTED = "already_submitted"
    MISSING = "missing"  # a required visible question has no answer: ``missing`` names the first


@dataclass(frozen=True)
class SubmitOutcome:
    status: SubmitStatus
    missing: str | None = None


def submit_response(
    *,
    follow_up: FollowUp,
    questions: SurveyQuestions,
    language: str,
    now: datetime,
    mode: str = Response.Mode.WEB,
    taken_by: User | None = None,
) -> SubmitOutcome:
    """Submit the follow-up's response exactly once, and complete the follow-up.

    1. Lock the response row: concurrent submits (double click, second tab, replay) queue here.
    2. A response already submitted → ALREADY_SUBMITTED (the caller shows "already answered").
    3. Every visible required question must be answered, else MISSING with the first one.
    4. Conditional UPDATE in_progress → submitted; zero rows means someone else submitted: ALREADY.
    5. The follow-up is COMPLETED, its dispatcher claim cleared.
    6. The Cases the answers need are opened (surveys/cases.py), in the same transaction.

    ``mode``/``taken_by``: a PHONE submit records the agent who took the answers on the response, even
    when the customer had begun it on the web (the agent finished it and vouches for it); a WEB submit
    changes neither, so a web submit never erases an agent.
    """

    def work(response: Response | None) -> SubmitOutcome:
        if response is not None and response.status == Response.Status.SUBMITTED:
            return SubmitOutcome(SubmitStatus.ALREADY_SUBMITTED)
        answers = answers_for(response.pk if response else None, questions)
        missing = survey_flow.first_missing(questions.rules, answers, questions.required)
        if missing is not None:
            return SubmitOutcome(SubmitStatus.MISSING, missing=missing)
        if response is None:  # a survey with nothing required, submitted without a single answer
            response = _new_response(
                follow_up=follow_up, language=language, current=None, now=now, mode=mode, taken_by=taken_by
            )
        taken = {"mode": mode, "taken_by": taken_by} if mode != Response.Mode.WEB else {}
        updated = Response.objects.filter(pk=response.pk, status=Response.Status.IN_PROGRESS).update(
            status=Response.Status.SUBMITTED, submitted_at=now, current_question=None, updated_at=now, **taken
        )
        if updated != 1:
            return SubmitOutcome(SubmitStatus.ALREADY_SUBMITTED)
        FollowUp.objects.filter(pk=follow_up.pk).update(
            status=FollowUp.Status.COMPLETED, closed_at=now, claimed_at=None, claimed_by="", updated_at=now
        )
        cases.open_cases_for_response(response_id=response.pk, now=now)
        return SubmitOutcome(SubmitStatus.SUBMITTED)

    return _with_response(follow_up.pk, started=True, work=work)
