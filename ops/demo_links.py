"""Working survey links for the demo: the site is more convincing when you can answer a survey.

The demo's messages were never sent, so nobody holds their links. For a few invited demo follow-ups
(one per language) this gives the message the dispatcher's own link token (an HMAC of SECRET_KEY and
the attempt, surveys/tokens.py), so running seed_demo again prints the same links and they keep working.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Language
from surveys.models import ContactAttempt, FollowUp, Response
from surveys.tokens import link_token_for_attempt, survey_link


def demo_survey_links() -> list[tuple[str, str]]:
    """(language, link) for one open invitation per customer language, where the demo has one."""
    now = timezone.now()
    links = []
    for language in (Language.CHINESE, Language.ENGLISH):
        attempt = (
            ContactAttempt.objects.filter(
                outcome=ContactAttempt.Outcome.SENT,
                follow_up__status=FollowUp.Status.INVITED,
                follow_up__expires_at__gt=now,
                follow_up__customer__language=language,
            )
            .exclude(Exists(Response.objects.filter(follow_up=OuterRef("follow_up"))))
            .order_by("follow_up_id", "-number")
            .first()
        )
        if attempt is None:
            continue
        token, token_hash = link_token_for_attempt(
            attempt_id=attempt.pk, follow_up_id=attempt.follow_up_id, started_at=attempt.started_at
        )
        if attempt.link_token_hash != token_hash:
            ContactAttempt.objects.filter(pk=attempt.pk).update(link_token_hash=token_hash)
        links.append((language, survey_link(token)))
    return links
