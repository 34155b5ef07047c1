"""The surveys that ship with the product: pure data (surveys/data/*.json) → rows.

- the starter survey ``wallet-follow-up`` (surveys/data/starter_survey.json, installed by surveys 0003);
- the "is it fixed?" re-survey ``case-recheck`` sent after a case is resolved (surveys/data/recheck_survey.json,
  installed by surveys 0005).

The loader takes the model classes as arguments, so the data migration (surveys 0003) can pass its
historical models and tests and the demo data can pass the live ones. It is idempotent: when the
key and version already exist it creates nothing and returns None.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

STARTER_PATH = Path(__file__).resolve().parent / "data" / "starter_survey.json"
STARTER_KEY = "wallet-follow-up"
STARTER_VERSION = 1
RECHECK_PATH = STARTER_PATH.with_name("recheck_survey.json")
RECHECK_KEY = "case-recheck"


def starter_data(path: Path = STARTER_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def install_starter_survey(
    *,
    survey_model: Any,
    question_model: Any,
    choice_model: Any,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> Any | None:
    """Create the starter survey, published at ``now``, unless its key and version exist already.

    Conditions name their source question by code; sources come earlier in the file, so each is
    created before the questions that depend on it.
    """
    data = data or starter_data()
    if survey_model.objects.filter(key=data["key"], version=data["version"]).exists():
        return None
    survey = survey_model.objects.create(
        key=data["key"],
        version=data["version"],
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        intro_zh=data.get("intro_zh", ""),
        intro_en=data.get("intro_en", ""),
        status="published",
        published_at=now,
    )
    by_code: dict[str, Any] = {}
    for position, spec in enumerate(data["questions"], start=1):
        show_if = spec.get("show_if") or {}
        question = question_model.objects.create(
            survey=survey,
            code=spec["code"],
            position=position,
            kind=spec["kind"],
            prompt_zh=spec["prompt_zh"],
            prompt_en=spec["prompt_en"],
            help_zh=spec.get("help_zh", ""),
            help_en=spec.get("help_en", ""),
            concern=spec["concern"],
            required=spec.get("required", True),
            show_if_question=by_code[show_if["question"]] if show_if else None,
            show_if_operator=show_if.get("operator", ""),
            show_if_value=show_if.get("value"),
        )
        by_code[question.code] = question
        choice_model.objects.bulk_create(
            choice_model(
                question=question,
                code=choice["code"],
                position=choice_position,
                label_zh=choice["label_zh"],
                label_en=choice["label_en"],
                concern=choice.get("concern", ""),
            )
            for choice_position, choice in enumerate(spec.get("choices", ()), start=1)
        )
    return survey
