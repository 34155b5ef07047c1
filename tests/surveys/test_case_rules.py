"""The pure rules: which Cases a response needs, and the SLA and regulatory clocks. No database."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from surveys import case_rules
from surveys.case_rules import (
    ACCOUNT_ACCESS,
    DATA_LEAK,
    DETRACTOR,
    HIGH,
    NORMAL,
    PAYMENT_PROBLEM,
    SUSPECTED_FRAUD,
    URGENT,
    AnsweredQuestion,
    ChosenChoice,
    answered_questions,
    cases_needed,
    regulatory_due,
    sla_due,
)
from surveys.skip_logic import AnswerValue

# The starter survey's questions (surveys/data/starter_survey.json): kind and concern.
STARTER = {
    "unknown_payment": ("yes_no", "security"),
    "feel_safe": ("rating", "security"),
    "payment_failed": ("yes_no", "trust"),
    "failed_payment": ("single_choice", "trust"),
    "problem_devices": ("multiple_choice", "compatibility"),
    "locked_out": ("yes_no", "usability"),
    "payment_delayed": ("yes_no", "trust"),
    "nps": ("nps", "trust"),
    "what_went_wrong": ("multiple_choice", "other"),
    "effort": ("ces", "service"),
    "comments": ("free_text", "other"),
}
WHAT_WENT_WRONG = {
    "data_leak": ("security", "I worry my personal data leaked", "担心个人信息泄露"),
    "unauthorised_payment": ("security", "Payments I did not authorise", "出现未经授权的付款或盗刷"),
    "payment_failed": ("trust", "Payments failing or charged twice", "付款失败或重复扣款"),
    "slow": ("trust", "Slow or delayed payments", "到账慢或交易延迟"),
    "locked_out": ("usability", "Being locked out of my account", "账户被锁定或无法登录"),
    "hard_to_use": ("usability", "It is hard to use", "操作复杂，不好用"),
    "other": ("other", "Something else", "其他原因"),
}
# A happy customer with no problem: opens nothing.
HAPPY = {
    "unknown_payment": AnswerValue(yes_no=False),
    "feel_safe": AnswerValue(number=5),
    "payment_failed": AnswerValue(yes_no=False),
    "problem_devices": AnswerValue(choices=frozenset({"none"})),
    "locked_out": AnswerValue(yes_no=False),
    "payment_delayed": AnswerValue(yes_no=False),
    "nps": AnswerValue(number=9),
    "effort": AnswerValue(number=6),
}


def starter(answers=None, *, comment_concerns=(), **changes) -> list[AnsweredQuestion]:
    """The starter survey answered happily, with ``changes`` (question code → AnswerValue)."""
    values = {**HAPPY, **(answers or {}), **changes}
    return answered_questions(
        values,
        kinds={code: kind for code, (kind, _concern) in STARTER.items()},
        concerns={code: concern for code, (_kind, concern) in STARTER.items()},
        answer_concerns={"comments": comment_concerns},
        choice_concerns={("what_went_wrong", code): concern for code, (concern, *_labels) in WHAT_WENT_WRONG.items()},
        choice_labels={("what_went_wrong", code): labels for code, (_concern, *labels) in WHAT_WENT_WRONG.items()},
    )


def categories(answers) -> dict[str, int]:
    return {need.category: need.priority for need in cases_needed(answers)}


def test_it_opens_nothing_for_a_happy_customer():
    assert cases_needed(starter()) == []


@pytest.mark.parametrize(("score", "expected"), [(0, True), (3, True), (6, True), (7, False), (9, False), (10, False)])
def test_it_opens_a_detractor_case_for_nps_six_or_less(score, expected):
    assert categories(starter(nps=AnswerValue(number=score))) == ({DETRACTOR: NORMAL} if expected else {})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # "Did you notice a payment you did not make?" yes: a security yes/no question.
        ({"unknown_payment": AnswerValue(yes_no=True)}, {SUSPECTED_FRAUD: URGENT}),
        ({"payment_failed": AnswerValue(yes_no=True)}, {PAYMENT_PROBLEM: NORMAL}),
        # A delayed payment is a trust yes/no question too: an unresolved payment problem.
        ({"payment_delayed": AnswerValue(yes_no=True)}, {PAYMENT_PROBLEM: NORMAL}),
        ({"locked_out": AnswerValue(yes_no=True)}, {ACCOUNT_ACCESS: NORMAL}),
        # A low feel-safe rating alone is a dashboard matter, not a Case.
        ({"feel_safe": AnswerValue(number=1)}, {}),
        # Device trouble alone opens nothing (compatibility Cases come from an agent's flag).
        ({"problem_devices": AnswerValue(choices=frozenset({"harmonyos", "pos"}))}, {}),
    ],
)
def test_each_yes_no_problem_opens_its_case(changes, expected):
    assert categories(starter(changes)) == expected


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ({"unauthorised_payment"}, {SUSPECTED_FRAUD: URGENT}),
        ({"data_leak"}, {DATA_LEAK: URGENT}),
        ({"data_leak", "unauthorised_payment"}, {DATA_LEAK: URGENT, SUSPECTED_FRAUD: URGENT}),
        ({"payment_failed"}, {PAYMENT_PROBLEM: NORMAL}),
        ({"locked_out"}, {ACCOUNT_ACCESS: NORMAL}),
        ({"slow", "hard_to_use", "other"}, {}),
    ],
)
def test_a_detractors_reasons_open_their_cases_beside_the_detractor_case(reasons, expected):
    answers = starter(nps=AnswerValue(number=2), what_went_wrong=AnswerValue(choices=frozenset(reasons)))
    assert categories(answers) == {DETRACTOR: NORMAL, **expected}


@pytest.mark.parametrize(
    ("text", "concerns", "expected"),
    [
        ("有一笔不是我本人的付款", ["security"], {SUSPECTED_FRAUD: HIGH}),
        ("Someone stole money from my wallet", ["security"], {SUSPECTED_FRAUD: HIGH}),
        ("我的个人信息泄露了，总接到诈骗电话", ["security"], {DATA_LEAK: URGENT}),
        ("I think my details leaked after I used the app", ["security"], {DATA_LEAK: URGENT}),
        # A leak that did not happen does not make it a leak case; the fraud worry still counts.
        ("被盗刷了一笔，不过信息没有泄露", ["security"], {SUSPECTED_FRAUD: HIGH}),
        # Untagged text, or text tagged with something else, opens nothing whatever words it holds.
        ("The app crashed, my data leaked? no idea", ["compatibility"], {}),
        ("Great app", [], {}),
    ],
)
def test_free_text_tagged_security_opens_fraud_or_leak(text, concerns, expected):
    answers = starter(comments=AnswerValue(text=text), comment_concerns=concerns)
    assert categories(answers) == expected


def test_one_case_per_category_with_the_highest_priority_signal():
    answers = starter(
        unknown_payment=AnswerValue(yes_no=True),
        comments=AnswerValue(text="someone used my card"),
        comment_concerns=["security"],
    )
    needs = cases_needed(answers)
    assert [(need.category, need.priority) for need in needs] == [(SUSPECTED_FRAUD, URGENT)]
    with translation.override("en"):
        assert needs[0].summary == "Reports a payment they did not make (unknown_payment)."


def test_needs_are_ordered_by_priority_then_category():
    answers = starter(
        nps=AnswerValue(number=1),
        locked_out=AnswerValue(yes_no=True),
        what_went_wrong=AnswerValue(choices=frozenset({"data_leak"})),
        unknown_payment=AnswerValue(yes_no=True),
    )
    assert [need.category for need in cases_needed(answers)] == [DATA_LEAK, SUSPECTED_FRAUD, ACCOUNT_ACCESS, DETRACTOR]


def test_summaries_name_the_score_and_the_choice():
    answers = starter(nps=AnswerValue(number=4), what_went_wrong=AnswerValue(choices=frozenset({"data_leak"})))
    with translation.override("en"):
        summaries = {need.category: need.summary for need in cases_needed(answers)}
    assert summaries == {
        DETRACTOR: "Scored 4 of 10 for recommending the wallet (nps).",
        DATA_LEAK: "Says their personal details leaked (what_went_wrong: data_leak).",
    }


# --- A manager's own survey: the rules read kinds, concern tags and code words -------------------


def own(code, kind, concern, value, *, chosen=(), concerns=()):
    return AnsweredQuestion(code=code, kind=kind, concern=concern, value=value, concerns=concerns, chosen=chosen)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (own("recommend", "nps", "service", AnswerValue(number=5)), {DETRACTOR: NORMAL}),
        (own("strange_charge", "yes_no", "security", AnswerValue(yes_no=True)), {SUSPECTED_FRAUD: URGENT}),
        (own("strange_charge", "yes_no", "security", AnswerValue(yes_no=False)), {}),
        (own("details-leaked", "yes_no", "security", AnswerValue(yes_no=True)), {DATA_LEAK: URGENT}),
        (own("card_declined", "yes_no", "other", AnswerValue(yes_no=True)), {PAYMENT_PROBLEM: NORMAL}),
        (own("cannot_sign_in", "yes_no", "usability", AnswerValue(yes_no=True)), {ACCOUNT_ACCESS: NORMAL}),
        # Usability alone does not mean a lock-out.
        (own("found_it_hard", "yes_no", "usability", AnswerValue(yes_no=True)), {}),
        (
            own(
                "worries",
                "multiple_choice",
                "trust",
                AnswerValue(choices=frozenset({"leak"})),
                chosen=(ChosenChoice("leak", "security", ("My details leaking", "信息泄露")),),
            ),
            {DATA_LEAK: URGENT},
        ),
        (
            own(
                "worries",
                "multiple_choice",
                "trust",
                AnswerValue(choices=frozenset({"phishing"})),
                chosen=(ChosenChoice("phishing", "security", ("A fake bank SMS", "冒充银行的短信")),),
            ),
            {SUSPECTED_FRAUD: URGENT},
        ),
        (
            own(
                "worries",
                "multiple_choice",
                "trust",
                AnswerValue(choices=frozenset({"fees"})),
                chosen=(ChosenChoice("fees", "trust", ("Fees", "手续费")),),
            ),
            {},
        ),
    ],
)
def test_a_managers_own_survey_opens_cases_from_kinds_concerns_and_code_words(answer, expected):
    assert categories([answer]) == expected


def test_a_choice_without_its_own_concern_takes_its_questions():
    answers = answered_questions(
        {"worries": AnswerValue(choices=frozenset({"fraud"}))},
        kinds={"worries": "multiple_choice"},
        concerns={"worries": "security"},
        choice_concerns={("worries", "fraud"): ""},
    )
    assert categories(answers) == {SUSPECTED_FRAUD: URGENT}


# --- Clocks ------------------------------------------------------------------------------------------

OPENED = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("category", "hours"),
    [
        (SUSPECTED_FRAUD, 24),
        (DATA_LEAK, 24),
        (DETRACTOR, 72),
        (PAYMENT_PROBLEM, 72),
        (ACCOUNT_ACCESS, 72),
        (case_rules.COMPATIBILITY, 72),
        (case_rules.OTHER, 72),
    ],
)
def test_the_sla_is_a_day_for_fraud_and_leaks_and_three_days_otherwise(category, hours):
    assert sla_due(category, OPENED) == OPENED + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("complex_case", "extended", "days"),
    [(False, False, 15), (True, False, 30), (False, True, 45), (True, True, 60)],
)
def test_the_regulatory_clock_is_15_days_30_when_complex_and_30_more_once_extended(complex_case, extended, days):
    assert regulatory_due(OPENED, complex_case, extended) == OPENED + timedelta(days=days)


def test_the_clocks_keep_the_time_zone_they_are_given():
    assert sla_due(DETRACTOR, OPENED).tzinfo is UTC
    assert regulatory_due(OPENED, complex=False, extended=False).tzinfo is UTC
