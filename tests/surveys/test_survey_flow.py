"""The path through a survey, without a database: next, back, progress under skip logic, the review."""

import pytest

from surveys import survey_flow
from surveys.skip_logic import AnswerValue, Condition, QuestionRule

REVIEW = survey_flow.REVIEW

RULES = (
    QuestionRule(code="nps", kind="nps", scale=(0, 10)),
    QuestionRule(code="wrong", kind="free_text", condition=Condition("nps", "at_most", 6)),
    QuestionRule(code="failed", kind="yes_no"),
    QuestionRule(code="which", kind="single_choice", condition=Condition("failed", "yes"), choice_codes=("qr", "web")),
    QuestionRule(code="worries", kind="multiple_choice", choice_codes=("leak", "fraud")),
    QuestionRule(code="comments", kind="free_text"),
)
REQUIRED = frozenset({"nps", "wrong", "failed", "which"})

PROMOTER = {"nps": AnswerValue(number=9)}
DETRACTOR = {"nps": AnswerValue(number=3)}


def test_it_goes_to_the_next_visible_question():
    assert survey_flow.next_step(RULES, PROMOTER, "nps") == "failed"
    assert survey_flow.next_step(RULES, DETRACTOR, "nps") == "wrong"
    assert survey_flow.next_step(RULES, {**PROMOTER, "failed": AnswerValue(yes_no=True)}, "failed") == "which"
    assert survey_flow.next_step(RULES, PROMOTER, "comments") is REVIEW


def test_it_goes_back_to_the_previous_visible_question():
    assert survey_flow.previous_step(RULES, PROMOTER, "failed") == "nps"
    assert survey_flow.previous_step(RULES, DETRACTOR, "failed") == "wrong"
    assert survey_flow.previous_step(RULES, PROMOTER, "nps") is None
    assert survey_flow.previous_step(RULES, PROMOTER, REVIEW) == "comments"


def test_progress_counts_only_the_visible_questions():
    assert survey_flow.progress(RULES, {}, "nps") == survey_flow.Progress(number=1, total=4)
    assert survey_flow.progress(RULES, DETRACTOR, "wrong") == survey_flow.Progress(number=2, total=5)
    both = {**DETRACTOR, "failed": AnswerValue(yes_no=True)}
    assert survey_flow.progress(RULES, both, "which") == survey_flow.Progress(number=4, total=6)
    review = survey_flow.progress(RULES, PROMOTER, REVIEW)
    assert review == survey_flow.Progress(number=5, total=4) and review.percent == 100
    assert survey_flow.Progress(number=1, total=4).percent == 0


def test_the_frontier_is_the_first_required_question_without_an_answer():
    assert survey_flow.frontier(RULES, {}, REQUIRED) == "nps"
    assert survey_flow.frontier(RULES, DETRACTOR, REQUIRED) == "wrong"
    assert survey_flow.frontier(RULES, {**PROMOTER, "failed": AnswerValue(yes_no=False)}, REQUIRED) is REVIEW


def test_a_question_past_the_frontier_or_hidden_is_not_reachable():
    assert survey_flow.is_reachable(RULES, {}, REQUIRED, "nps")
    assert not survey_flow.is_reachable(RULES, {}, REQUIRED, "failed")
    assert not survey_flow.is_reachable(RULES, PROMOTER, REQUIRED, "wrong")  # hidden for a promoter
    assert survey_flow.is_reachable(RULES, DETRACTOR, REQUIRED, "wrong")
    assert not survey_flow.is_reachable(RULES, PROMOTER, REQUIRED, REVIEW)
    assert not survey_flow.is_reachable(RULES, PROMOTER, REQUIRED, "no-such-question")
    done = {**PROMOTER, "failed": AnswerValue(yes_no=False)}
    assert survey_flow.is_reachable(RULES, done, REQUIRED, REVIEW)
    assert survey_flow.is_reachable(RULES, done, REQUIRED, "comments")  # optional ones stay reachable


def test_it_resumes_at_the_saved_place_or_the_first_unanswered_question():
    assert survey_flow.resume_step(RULES, PROMOTER, REQUIRED, "failed") == "failed"
    # The saved place is hidden now (the customer changed their score in another tab).
    assert survey_flow.resume_step(RULES, PROMOTER, REQUIRED, "wrong") == "failed"
    done = {**PROMOTER, "failed": AnswerValue(yes_no=False)}
    assert survey_flow.resume_step(RULES, done, REQUIRED, REVIEW) is REVIEW
    assert survey_flow.resume_step(RULES, {}, REQUIRED, REVIEW) == "nps"


def test_answers_to_questions_hidden_by_a_change_are_pruned():
    answers = {**DETRACTOR, "wrong": AnswerValue(text="slow"), "failed": AnswerValue(yes_no=False)}
    changed = {**answers, "nps": AnswerValue(number=10)}
    assert survey_flow.hidden_answered(RULES, changed) == ["wrong"]
    assert set(survey_flow.prune(RULES, changed)) == {"nps", "failed"}


def test_a_chain_of_conditions_is_pruned_in_one_pass():
    rules = (
        QuestionRule(code="a", kind="yes_no"),
        QuestionRule(code="b", kind="yes_no", condition=Condition("a", "yes")),
        QuestionRule(code="c", kind="free_text", condition=Condition("b", "yes")),
    )
    answers = {"a": AnswerValue(yes_no=False), "b": AnswerValue(yes_no=True), "c": AnswerValue(text="x")}
    assert survey_flow.prune(rules, answers) == {"a": AnswerValue(yes_no=False)}


def test_the_first_missing_answer_is_found_for_submit():
    assert survey_flow.first_missing(RULES, PROMOTER, REQUIRED) == "failed"
    assert survey_flow.first_missing(RULES, {**PROMOTER, "failed": AnswerValue(yes_no=False)}, REQUIRED) is None


@pytest.mark.parametrize(
    ("rule", "value", "ok"),
    [
        (RULES[0], AnswerValue(number=0), True),
        (RULES[0], AnswerValue(number=10), True),
        (RULES[0], AnswerValue(number=11), False),
        (RULES[0], AnswerValue(number=-1), False),
        (QuestionRule(code="r", kind="rating", scale=(1, 5)), AnswerValue(number=0), False),
        (QuestionRule(code="c", kind="ces", scale=(1, 7)), AnswerValue(number=7), True),
        (RULES[2], AnswerValue(yes_no=False), True),
        (RULES[2], AnswerValue(number=1), False),
        (RULES[3], AnswerValue(choices=frozenset({"qr"})), True),
        (RULES[3], AnswerValue(choices=frozenset({"qr", "web"})), False),
        (RULES[3], AnswerValue(choices=frozenset({"btc"})), False),
        (RULES[4], AnswerValue(choices=frozenset({"leak", "fraud"})), True),
        (RULES[5], AnswerValue(text="x" * 2000), True),
        (RULES[5], AnswerValue(text="x" * 2001), False),
    ],
)
def test_answer_problem_checks_each_kind(rule, value, ok):
    assert (survey_flow.answer_problem(rule, value, required=True, max_text_length=2000) is None) is ok


def test_an_empty_answer_is_a_problem_only_when_required():
    assert survey_flow.answer_problem(RULES[5], AnswerValue(), required=False, max_text_length=10) is None
    assert survey_flow.answer_problem(RULES[5], AnswerValue(), required=True, max_text_length=10)
