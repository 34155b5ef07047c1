"""Wang Fang's history with the bank, and Li Lei's beside it: what the export and erasure tests act on."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts.models import Customer, EvidenceSource
from accounts.services import record_consent, record_opt_out
from analytics import rollups
from surveys import tokens
from surveys.models import Case, ContactAttempt, FollowUp, Response
from tests import factories
from tests.privacy.helpers import LATELY, NOW, comment, respond


@dataclass
class History:
    customer: Customer
    response: Response
    open_follow_up: FollowUp
    token: str
    token_hash: str
    event_reference: str


def history_of(customer: Customer, campaign, *, words: str, agent) -> History:
    """Consent, an opt-out with a note, a wallet event, an answered survey whose comment opened a case, an agent's
    call notes, a message with a link, and an open follow-up in another campaign; counted into the rollups."""
    record_consent(customer=customer, source=EvidenceSource.ENROLMENT)
    record_opt_out(
        customer=customer, channels=("email",), source=EvidenceSource.AGENT, note=f"{customer.name} 说不要邮件"
    )
    event = factories.WalletEventFactory(
        customer=customer, details={"merchant": f"面馆-{customer.bank_reference}", "amount": "88.00"}
    )
    response = respond(campaign, comment(words), at=LATELY, customer=customer)
    Case.objects.filter(response=response).update(resolution_notes=f"Spoke to {customer.name} on {customer.phone}")
    token, token_hash = tokens.new_link_token()
    factories.ContactAttemptFactory(
        follow_up=response.follow_up, number=1, channel="sms", outcome="sent", link_token_hash=token_hash,
        verification_code="K7M2QP", provider_message_id=f"sms-{customer.pk}",
    )  # fmt: skip
    factories.ContactAttemptFactory(
        follow_up=response.follow_up, number=2, agent=agent, notes=f"{customer.name} prefers evenings"
    )
    open_follow_up = factories.FollowUpFactory(
        customer=customer, channel="sms", status=FollowUp.Status.INVITED, expires_at=NOW + timedelta(days=400),
        note=f"re-survey for {customer.name}",
    )  # fmt: skip
    factories.ContactAttemptFactory(follow_up=open_follow_up, channel="sms", outcome=ContactAttempt.Outcome.SENT)
    for row in (customer, open_follow_up):  # an administrator once edited them in the Django admin
        LogEntry.objects.create(
            user=agent, content_type=ContentType.objects.get_for_model(row), object_id=str(row.pk),
            object_repr=str(row), action_flag=CHANGE, change_message="[]",
        )  # fmt: skip
    return History(customer, response, open_follow_up, token, token_hash, event.bank_reference)


def two_customers(campaign, agent) -> tuple[History, History]:
    wang = factories.CustomerFactory(
        name="王芳", phone="+8613800138000", email="wang.fang@example.com", bank_reference="CN-WANG-0042",
        segment="gold", wallet_product="e-CNY", device_os="harmonyos", app_version="9.0.1", region="CN",
    )  # fmt: skip
    li = factories.CustomerFactory(
        name="李雷", phone="+8613900000001", email="li.lei@example.com", bank_reference="CN-LI-0077",
        segment="gold", wallet_product="e-CNY", device_os="harmonyos", app_version="9.0.1", region="CN",
    )  # fmt: skip
    stories = (
        history_of(wang, campaign, words="我是王芳，卡被盗刷了，担心个人信息泄露", agent=agent),
        history_of(li, campaign, words="李雷：到账慢，被盗刷了", agent=agent),
    )
    rollups.rebuild_rollups(now=NOW)
    return stories
