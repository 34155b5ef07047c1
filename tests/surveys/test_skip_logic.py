"""Skip logic: which questions a customer sees, for every kind of condition."""

import pytest
from django.utils import translation

from surveys.skip_logic import AnswerValue, Condition, QuestionRule, condition_errors, condition_holds, visible_codes

NPS = QuestionRule("nps", "nps", scale=(0, 10))
WHAT_WENT_WRONG = QuestionRule("what_went_wrong", "free_text", Condition("nps", "at_most", 6))
PAYMENT_FAILED = QuestionRule("payment_failed", "yes_no")
WHICH_PAYMENT = QuestionRule(
    "which_payment", "single_choice", Condition("payment_failed", "yes"), choice_codes=("qr", "transfer", "card")
)
TRANSFER_DETAIL = QuestionRule("transfer_detail", "free_text", Condition("which_payment", "any_of", ("transfer",)))
SURVEY = [NPS, WHAT_WENT_WRONG, PAYMENT_FAILED, WHICH_PAYMENT, TRANSFER_DETAIL]


def test_a_detractor_is_asked_what_went_wrong():
    shown = visible_codes(SURVEY, {"nps": AnswerValue(number=6)})

    assert "what_went_wrong" in shown


def test_a_promoter_is_not_asked_what_went_wrong():
    assert "what_went_wrong" not in visible_codes(SURVEY, {"nps": AnswerValue(number=9)})


def test_an_unanswered_source_hides_its_dependents():
    assert visible_codes(SURVEY, {}) == ["nps", "payment_failed"]


def test_which_payment_appears_only_after_yes():
    assert "which_payment" in visible_codes(SURVEY, {"payment_failed": AnswerValue(yes_no=True)})
    assert "which_payment" not in visible_codes(SURVEY, {"payment_failed": AnswerValue(yes_no=False)})


def test_a_question_depending_on_a_hidden_question_is_hidden_too():
    answers = {
        "payment_failed": AnswerValue(yes_no=True),
        "which_payment": AnswerValue(choices=frozenset({"transfer"})),
    }
    assert "transfer_detail" in visible_codes(SURVEY, answers)

    # The customer goes back and answers "no": the chain below disappears, stale answers notwithstanding.
    answers["payment_failed"] = AnswerValue(yes_no=False)
    assert visible_codes(SURVEY, answers) == ["nps", "payment_failed"]


@pytest.mark.parametrize(
    ("operator", "value", "score", "holds"),
    [
        ("at_most", 6, 6, True),
        ("at_most", 6, 7, False),
        ("at_least", 9, 9, True),
        ("at_least", 9, 8, False),
        ("equals", 0, 0, True),
        ("equals", 0, 1, False),
    ],
)
def test_score_conditions(operator, value, score, holds):
    assert condition_holds(Condition("nps", operator, value), AnswerValue(number=score)) is holds


def test_any_of_holds_when_one_chosen_choice_is_listed():
    condition = Condition("q", "any_of", ("a", "b"))

    assert condition_holds(condition, AnswerValue(choices=frozenset({"b", "c"})))
    assert not condition_holds(condition, AnswerValue(choices=frozenset({"c"})))


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (QuestionRule("x", "free_text", Condition("later", "yes")), "earlier question"),
        (QuestionRule("x", "free_text", Condition("nps", "yes")), "does not fit"),
        (QuestionRule("x", "free_text", Condition("nps", "at_most", 11)), "between 0 and 10"),
        (QuestionRule("x", "free_text", Condition("what_went_wrong", "any_of", ("a",))), "Free-text"),
        (QuestionRule("x", "free_text", Condition("which_payment", "any_of", ())), "at least one choice"),
        (QuestionRule("x", "free_text", Condition("which_payment", "any_of", ("cash",))), "Unknown choices: cash"),
    ],
)
def test_impossible_conditions_are_explained(rule, message):
    with translation.override("en"):
        [error] = condition_errors(rule, SURVEY[:4])

    assert message in error


def test_a_valid_condition_has_no_errors():
    assert condition_errors(TRANSFER_DETAIL, SURVEY[:4]) == []
    assert condition_errors(NPS, []) == []
