"""Agents claim calls from the shared pool and give them back: one conditional UPDATE, one winner."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone, translation

from surveys import claims
from surveys.models import FollowUp
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def pool_call(db):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        return factories.FollowUpFactory()


def claim(follow_up, agent, now=WEDNESDAY_10):
    return claims.claim_follow_up(follow_up_id=follow_up.pk, agent=agent, now=now)


def test_it_gives_a_pool_call_to_the_agent(agent, pool_call):
    claimed = claim(pool_call, agent)
    assert claimed.assigned_agent == agent
    assert FollowUp.objects.get(pk=pool_call.pk).assigned_agent == agent


def test_it_refuses_a_call_another_agent_took_first(agent, bob, pool_call):
    claim(pool_call, bob)
    with pytest.raises(claims.ClaimRefused) as refused:
        claim(pool_call, agent)
    with translation.override("en"):
        assert str(refused.value.message) == "Another agent took this call."
    assert FollowUp.objects.get(pk=pool_call.pk).assigned_agent == bob


def test_claiming_a_call_twice_keeps_it(agent, pool_call):
    claim(pool_call, agent)
    assert claim(pool_call, agent).assigned_agent == agent


@pytest.mark.parametrize(
    "change",
    [
        {"status": FollowUp.Status.COMPLETED, "closed_at": WEDNESDAY_10},
        {"channel": "sms"},
        {"scheduled_for": WEDNESDAY_10 + timedelta(hours=1)},
    ],
    ids=["closed", "not-a-call", "not-due"],
)
def test_it_refuses_a_call_that_is_closed_not_a_phone_call_or_not_due(agent, pool_call, change):
    FollowUp.objects.filter(pk=pool_call.pk).update(**change)
    with pytest.raises(claims.ClaimRefused):
        claim(pool_call, agent)
    assert FollowUp.objects.get(pk=pool_call.pk).assigned_agent is None


def test_it_refuses_a_call_of_a_paused_campaign(agent, pool_call):
    pool_call.campaign.status = "paused"
    pool_call.campaign.save(update_fields=["status"])
    with pytest.raises(claims.ClaimRefused):
        claim(pool_call, agent)
    assert FollowUp.objects.get(pk=pool_call.pk).assigned_agent is None


def test_it_refuses_an_id_that_does_not_exist(agent):
    with pytest.raises(claims.ClaimRefused):
        claims.claim_follow_up(follow_up_id=987654, agent=agent, now=WEDNESDAY_10)


def test_the_agent_gives_their_call_back_to_the_pool(agent, pool_call):
    claim(pool_call, agent)
    released = claims.release_follow_up(follow_up_id=pool_call.pk, agent=agent, now=WEDNESDAY_10)
    assert released.assigned_agent is None
    assert claim(pool_call, agent).assigned_agent == agent  # claimable again


def test_bob_cannot_give_back_alices_call(agent, bob, pool_call):
    claim(pool_call, agent)
    with pytest.raises(claims.ClaimRefused):
        claims.release_follow_up(follow_up_id=pool_call.pk, agent=bob, now=WEDNESDAY_10)
    assert FollowUp.objects.get(pk=pool_call.pk).assigned_agent == agent


def test_a_closed_call_keeps_its_agent(agent, pool_call):
    claim(pool_call, agent)
    FollowUp.objects.filter(pk=pool_call.pk).update(status=FollowUp.Status.COMPLETED, closed_at=WEDNESDAY_10)
    with pytest.raises(claims.ClaimRefused):
        claims.release_follow_up(follow_up_id=pool_call.pk, agent=agent, now=WEDNESDAY_10)
    assert FollowUp.objects.get(pk=pool_call.pk).assigned_agent == agent


AGENTS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; CI runs PostgreSQL")
def test_agents_claiming_the_same_pool_call_at_once_leave_exactly_one_winner(transactional_db, role_groups):
    follow_up = factories.FollowUpFactory(scheduled_for=timezone.now() - timedelta(minutes=5))
    agents = [factories.UserFactory(username=f"agent{n}", roles=["agent"]) for n in range(AGENTS)]
    barrier = threading.Barrier(AGENTS)
    won: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def take(agent) -> None:
        try:
            barrier.wait(timeout=30)
            claims.claim_follow_up(follow_up_id=follow_up.pk, agent=agent, now=timezone.now())
            with lock:
                won.append(agent.pk)
        except claims.ClaimRefused as refusal:
            with lock, translation.override("en"):
                refused.append(str(refusal.message))
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert len(won) == 1
    assert refused == ["Another agent took this call."] * (AGENTS - 1)
    assert FollowUp.objects.get(pk=follow_up.pk).assigned_agent_id == won[0]
