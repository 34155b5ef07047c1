"""What one submitted response adds to the response rollup, and which themes a free-text answer shows.

Pure functions of plain rows (no ORM, no settings); analytics/rollups.py reads the rows and writes the sums.

A response counts once (``respondents``), and:

- NPS: its first answered NPS question by position (``nps_answered``); 9–10 a promoter, 0–6 a detractor;
- CSAT: its first answered rating question (1–5): ``csat_top2`` when 4 or 5;
- CES: its first answered effort question (1–7): ``ces_answered`` and the score into ``ces_sum``;
- ``cites_<concern>`` for security, trust, compatibility, usability and service — once per response and concern,
  however many answers cite it — when any answer

  a. carries the concern in ``Answer.concerns`` (the chosen choices' concerns, the free-text tagger's), or
  b. is "yes" to a yes/no question tagged with the concern (surveys/case_rules.py: a concern yes/no question
     asks about a problem, "Did you notice a payment you did not make?"), or
  c. is a rating of at most 2, or an effort score of at most 3, on a question tagged with the concern.

"other" (and anything not one of the five) never counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

CONCERNS = ("security", "trust", "compatibility", "usability", "service")

NPS, RATING, CES, YES_NO, FREE_TEXT = "nps", "rating", "ces", "yes_no", "free_text"
SCALES = {NPS: (0, 10), RATING: (1, 5), CES: (1, 7)}
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
CSAT_TOP2_MIN = 4
LOW_RATING_MAX = 2  # a rating this low on a tagged question cites its concern
LOW_EFFORT_MAX = 3  # an effort score this low (hard to do) on a tagged question cites its concern

MEASURES = (
    "respondents",
    "nps_answered",
    "nps_promoters",
    "nps_detractors",
    "csat_answered",
    "csat_top2",
    "ces_answered",
    "ces_sum",
    *(f"cites_{concern}" for concern in CONCERNS),
)


@dataclass(frozen=True)
class AnswerFacts:
    """One answer of a submitted response, with what the rules need to know of its question."""

    position: int  # the question's position in the survey
    kind: str  # Question.Kind value
    question_concern: str = "other"
    number: int | None = None
    yes_no: bool | None = None
    concerns: tuple[str, ...] = ()  # Answer.concerns
    question_id: int = 0  # breaks ties between questions at the same position


def _score(answer: AnswerFacts) -> int | None:
    """The answer's score when it is an answered question of a scale kind and inside its scale."""
    scale = SCALES.get(answer.kind)
    if scale is None or answer.number is None or not scale[0] <= answer.number <= scale[1]:
        return None
    return answer.number


def cited_concerns(answer: AnswerFacts) -> set[str]:
    """The concerns one answer cites (rules a–c above), "other" left out."""
    cited = set(answer.concerns)
    tagged = answer.question_concern
    if answer.kind == YES_NO and answer.yes_no is True:
        cited.add(tagged)
    score = _score(answer)
    if score is not None and (
        (answer.kind == RATING and score <= LOW_RATING_MAX) or (answer.kind == CES and score <= LOW_EFFORT_MAX)
    ):
        cited.add(tagged)
    return cited.intersection(CONCERNS)


def response_measures(answers: Iterable[AnswerFacts]) -> dict[str, int]:
    """What one submitted response adds to each measure of the response rollup (see the module docstring)."""
    measures = dict.fromkeys(MEASURES, 0)
    measures["respondents"] = 1
    first: dict[str, int] = {}
    cited: set[str] = set()
    for answer in sorted(answers, key=lambda a: (a.position, a.question_id)):
        cited |= cited_concerns(answer)
        score = _score(answer)
        if score is not None and answer.kind not in first:
            first[answer.kind] = score
    if (nps := first.get(NPS)) is not None:
        measures["nps_answered"] = 1
        measures["nps_promoters"] = int(nps >= PROMOTER_MIN)
        measures["nps_detractors"] = int(nps <= DETRACTOR_MAX)
    if (csat := first.get(RATING)) is not None:
        measures["csat_answered"] = 1
        measures["csat_top2"] = int(csat >= CSAT_TOP2_MIN)
    if (ces := first.get(CES)) is not None:
        measures["ces_answered"] = 1
        measures["ces_sum"] = ces
    for concern in cited:
        measures[f"cites_{concern}"] = 1
    return measures


def answer_themes(text: str, matches: Callable[[str], Iterable[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The (concern, theme) pairs a free-text answer counts for, once each; ``matches`` is the lexicon's
    (surveys.freetext.Lexicon.matches). Themes of "other" or of an unknown concern are left out."""
    return sorted({(concern, theme) for concern, theme in matches(text) if concern in CONCERNS})
