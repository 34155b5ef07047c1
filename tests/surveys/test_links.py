"""What a survey link leads to: the survey, 'already answered', or one page that reveals nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.links import LinkState, resolve_link
from surveys.models import FollowUp, Response
from surveys.tokens import new_link_token
from tests import factories

pytestmark = pytest.mark.django_db


def invited(**fields):
    token, token_hash = new_link_token()
    fields.setdefault("status", FollowUp.Status.INVITED)
    fields.setdefault("expires_at", timezone.now() + timedelta(days=14))
    follow_up = factories.FollowUpFactory(channel="sms", **fields)
    factories.ContactAttemptFactory(follow_up=follow_up, channel="sms", outcome="sent", link_token_hash=token_hash)
    return token, follow_up


def test_a_fresh_link_opens_the_survey():
    token, follow_up = invited()

    link = resolve_link(token, now=timezone.now())

    assert link.state == LinkState.OPEN and link.follow_up == follow_up


def test_a_link_of_a_submitted_response_says_already_answered():
    token, follow_up = invited()
    factories.ResponseFactory(follow_up=follow_up)

    assert resolve_link(token, now=timezone.now()).state == LinkState.ANSWERED


def test_a_started_but_unsubmitted_response_can_still_be_answered():
    token, follow_up = invited()
    factories.ResponseFactory(follow_up=follow_up, status=Response.Status.IN_PROGRESS, submitted_at=None)

    assert resolve_link(token, now=timezone.now()).state == LinkState.OPEN


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"expires_at": timezone.now() - timedelta(seconds=1)}, id="expired"),
        pytest.param({"status": FollowUp.Status.CANCELLED}, id="cancelled-after-opt-out"),
        pytest.param({"status": FollowUp.Status.EXPIRED}, id="closed-as-expired"),
    ],
)
def test_dead_links_resolve_to_nothing(fields):
    token, _follow_up = invited(**fields)

    link = resolve_link(token, now=timezone.now())

    assert link.state == LinkState.INVALID and link.follow_up is None


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../../etc/passwd", "a" * 500])
def test_unknown_or_malformed_tokens_resolve_to_nothing(token):
    invited()

    link = resolve_link(token, now=timezone.now())

    assert link.state == LinkState.INVALID and link.follow_up is None
