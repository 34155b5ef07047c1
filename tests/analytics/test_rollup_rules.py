"""What one submitted response adds to the response rollup: pure rules, no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.rollup_rules import (
    CONCERNS,
    MEASURES,
    AnswerFacts,
    answer_themes,
    cited_concerns,
    response_measures,
)
from surveys.freetext import Lexicon

ALL_CONCERNS = [*CONCERNS, "other"]


def nps(number, *, position=1, concern="other"):
    return AnswerFacts(position=position, kind="nps", question_concern=concern, number=number)


def rating(number, *, position=2, concern="other"):
    return AnswerFacts(position=position, kind="rating", question_concern=concern, number=number)


def effort(number, *, position=3, concern="other"):
    return AnswerFacts(position=position, kind="ces", question_concern=concern, number=number)


def yes_no(answer, *, concern, position=4):
    return AnswerFacts(position=position, kind="yes_no", question_concern=concern, yes_no=answer)


def tagged(*concerns, kind="free_text", position=5):
    return AnswerFacts(position=position, kind=kind, concerns=tuple(concerns))


def measured(*answers):
    return response_measures(answers)


def cites(*answers):
    measures = measured(*answers)
    return sorted(concern for concern in CONCERNS if measures[f"cites_{concern}"])


# --- Respondents, NPS, CSAT, CES ------------------------------------------------------------------


def test_a_response_with_no_answers_is_one_respondent_and_nothing_else():
    assert measured() == {**dict.fromkeys(MEASURES, 0), "respondents": 1}


@pytest.mark.parametrize(
    ("score", "promoter", "detractor"),
    [(0, 0, 1), (6, 0, 1), (7, 0, 0), (8, 0, 0), (9, 1, 0), (10, 1, 0)],
)
def test_nps_nine_and_ten_are_promoters_and_zero_to_six_detractors(score, promoter, detractor):
    measures = measured(nps(score))
    assert (measures["nps_answered"], measures["nps_promoters"], measures["nps_detractors"]) == (1, promoter, detractor)


def test_only_the_first_answered_nps_question_by_position_counts():
    later, first = nps(2, position=7), nps(10, position=1)

    measures = measured(later, first)  # the order given does not matter, the position does

    assert (measures["nps_answered"], measures["nps_promoters"], measures["nps_detractors"]) == (1, 1, 0)


def test_an_unanswered_nps_question_leaves_the_next_one_to_count():
    measures = measured(nps(None, position=1), nps(3, position=2))
    assert (measures["nps_answered"], measures["nps_detractors"]) == (1, 1)


def test_questions_at_the_same_position_are_taken_in_question_order():
    first = AnswerFacts(position=1, kind="nps", number=10, question_id=4)
    second = AnswerFacts(position=1, kind="nps", number=0, question_id=9)
    assert measured(second, first)["nps_promoters"] == 1


@pytest.mark.parametrize(("score", "top2"), [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1)])
def test_csat_counts_four_and_five_as_top_two_box(score, top2):
    measures = measured(rating(score))
    assert (measures["csat_answered"], measures["csat_top2"]) == (1, top2)


def test_only_the_first_rating_and_the_first_effort_score_count():
    measures = measured(rating(5, position=2), rating(1, position=6), effort(6, position=3), effort(2, position=8))
    assert (measures["csat_answered"], measures["csat_top2"]) == (1, 1)
    assert (measures["ces_answered"], measures["ces_sum"]) == (1, 6)


@pytest.mark.parametrize("score", range(1, 8))
def test_ces_adds_its_score_to_the_sum(score):
    measures = measured(effort(score))
    assert (measures["ces_answered"], measures["ces_sum"]) == (1, score)


@pytest.mark.parametrize("answer", [nps(11), nps(-1), rating(0), rating(6), effort(0), effort(8)])
def test_a_score_outside_its_scale_is_not_counted(answer):
    measures = measured(answer)
    assert measures["nps_answered"] == measures["csat_answered"] == measures["ces_answered"] == 0


# --- Concerns ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("concern", CONCERNS)
def test_an_answer_tagged_with_a_concern_cites_it(concern):
    assert cites(tagged(concern)) == [concern]
    assert cites(tagged(concern, kind="multiple_choice")) == [concern]


def test_other_and_unknown_concerns_never_count():
    assert cites(tagged("other", "weather")) == []
    assert cites(yes_no(True, concern="other")) == []
    assert cites(rating(1, concern="other"), effort(1, concern="other")) == []


@pytest.mark.parametrize("concern", CONCERNS)
def test_yes_to_a_concern_question_cites_it_and_no_does_not(concern):
    assert cites(yes_no(True, concern=concern)) == [concern]
    assert cites(yes_no(False, concern=concern)) == []
    assert cites(yes_no(None, concern=concern)) == []


@pytest.mark.parametrize(("score", "cited"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_rating_of_two_or_less_on_a_tagged_question_cites_its_concern(score, cited):
    assert cites(rating(score, concern="compatibility")) == (["compatibility"] if cited else [])


@pytest.mark.parametrize(("score", "cited"), [(1, True), (3, True), (4, False), (7, False)])
def test_an_effort_score_of_three_or_less_on_a_tagged_question_cites_its_concern(score, cited):
    assert cites(effort(score, concern="usability")) == (["usability"] if cited else [])


def test_a_low_nps_cites_no_concern_of_its_question():
    assert cites(nps(0, concern="trust")) == []


def test_a_free_text_answer_cites_only_its_tags_not_its_questions_concern():
    answer = AnswerFacts(position=5, kind="free_text", question_concern="service", concerns=("security",))
    assert cited_concerns(answer) == {"security"}


def test_a_concern_cited_by_several_answers_counts_once():
    measures = measured(
        tagged("security", position=5),
        yes_no(True, concern="security", position=4),
        rating(1, concern="security", position=2),
        tagged("security", "trust", kind="multiple_choice", position=6),
    )
    assert (measures["cites_security"], measures["cites_trust"]) == (1, 1)
    assert measures["respondents"] == 1


answers = st.builds(
    AnswerFacts,
    position=st.integers(0, 20),
    kind=st.sampled_from(["nps", "rating", "ces", "yes_no", "single_choice", "multiple_choice", "free_text"]),
    question_concern=st.sampled_from(ALL_CONCERNS),
    number=st.none() | st.integers(-1, 11),
    yes_no=st.none() | st.booleans(),
    concerns=st.lists(st.sampled_from(ALL_CONCERNS), max_size=3).map(tuple),
    question_id=st.integers(0, 5),
)


@given(st.lists(answers, max_size=12), st.randoms())
def test_every_response_is_one_respondent_with_counts_of_at_most_one(facts, random):
    measures = response_measures(facts)

    assert measures["respondents"] == 1
    assert all(measures[m] in (0, 1) for m in MEASURES if m != "ces_sum")
    assert measures["nps_promoters"] + measures["nps_detractors"] <= measures["nps_answered"]
    assert measures["csat_top2"] <= measures["csat_answered"]
    assert measures["ces_sum"] <= 7 * measures["ces_answered"]
    cited = set().union(*(cited_concerns(answer) for answer in facts))
    assert {c for c in CONCERNS if measures[f"cites_{c}"]} == cited
    shuffled = list(facts)
    random.shuffle(shuffled)
    if len({(a.position, a.question_id) for a in facts}) == len(facts):  # a stable order exists
        assert response_measures(shuffled) == measures


# --- Themes -------------------------------------------------------------------------------------------


def test_a_free_text_answer_counts_once_per_concern_and_theme_and_never_for_other():
    lexicon = Lexicon({"security": ["fraud", "leak"], "other": ["weather"], "trust": ["refund"]})

    themes = answer_themes("Fraud! fraud, a leak, no refund, bad weather", lexicon.matches)

    assert themes == [("security", "fraud"), ("security", "leak")]
