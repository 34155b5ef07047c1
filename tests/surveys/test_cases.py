"""Case services: opened when a response is submitted (once), flagged by agents, extended once, resolved once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from surveys import answering, case_queries, cases
from surveys.cases import CaseRefused
from surveys.models import Case, Response, Survey
from surveys.skip_logic import AnswerValue
from surveys.starter import STARTER_KEY, STARTER_VERSION
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Refusals are read in English here, whatever language the catalog or an earlier test made active."""
    with translation.override("en"):
        yield


def url(token):
    return reverse("public:survey", args=[token])


def answer_on_the_web(client, token, answers):
    for question, value in answers:
        assert client.post(url(token), {"question": question, "action": "next", "answer": value}).status_code == 302


DETRACTOR = [("nps", "3"), ("wrong", "Too many steps"), ("failed", "no"), ("rating", "3"), ("effort", "2")]
PROMOTER = [("nps", "10"), ("failed", "no"), ("rating", "5"), ("effort", "7")]


@pytest.fixture
def web_link():
    customer = factories.CustomerFactory(language="en")
    return factories.survey_link(survey=factories.skip_logic_survey(), customer=customer)


# --- The hook in submit ------------------------------------------------------------------------------


def test_submitting_a_detractors_web_response_opens_exactly_one_detractor_case(client, web_link):
    token, follow_up = web_link
    answer_on_the_web(client, token, DETRACTOR)
    with time_machine.travel(NOW, tick=False):
        assert client.post(url(token), {"action": "submit"}).status_code == 302
    case = Case.objects.get()
    assert (case.category, case.priority, case.status) == (Case.Category.DETRACTOR, Case.Priority.NORMAL, "open")
    assert case.follow_up == follow_up and case.customer == follow_up.customer
    assert case.response == Response.objects.get(follow_up=follow_up)
    assert case.opened_at == NOW and case.sla_due_at == NOW + timedelta(hours=72)
    assert case.regulatory_due_at == NOW + timedelta(days=15) and not case.complex
    # Stored in both languages, whatever language the customer's page was in.
    assert case.summary.startswith("Scored 3 of 10 for recommending the wallet (nps).")


def test_a_promoters_response_opens_no_case(client, web_link):
    token, _follow_up = web_link
    answer_on_the_web(client, token, PROMOTER)
    assert client.post(url(token), {"action": "submit"}).status_code == 302
    assert Response.objects.get().status == Response.Status.SUBMITTED
    assert not Case.objects.exists()


def test_submitting_twice_still_leaves_one_case(client, web_link):
    token, _follow_up = web_link
    answer_on_the_web(client, token, DETRACTOR)
    assert client.post(url(token), {"action": "submit"}).status_code == 302
    again = client.post(url(token), {"action": "submit"})
    assert again.status_code == 200
    assert Case.objects.count() == 1


def test_a_response_not_submitted_opens_nothing(web_link, client):
    token, _follow_up = web_link
    answer_on_the_web(client, token, DETRACTOR)
    response = Response.objects.get()
    assert cases.open_cases_for_response(response_id=response.pk, now=NOW) == []
    assert cases.open_cases_for_response(response_id=response.pk + 1000, now=NOW) == []
    assert not Case.objects.exists()


def test_opening_again_opens_nothing_new_and_the_database_refuses_a_duplicate(client, web_link):
    token, _follow_up = web_link
    answer_on_the_web(client, token, DETRACTOR)
    client.post(url(token), {"action": "submit"})
    response = Response.objects.get()
    assert cases.open_cases_for_response(response_id=response.pk, now=NOW) == []
    existing = Case.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            follow_up=existing.follow_up,
            response=response,
            customer=existing.customer,
            category=Case.Category.DETRACTOR,
            summary="again",
            opened_at=NOW,
            sla_due_at=NOW,
            regulatory_due_at=NOW,
        )
    assert Case.objects.count() == 1


def test_the_starter_surveys_security_answers_open_urgent_cases_owned_by_the_followups_agent(agent):
    survey = Survey.objects.get(key=STARTER_KEY, version=STARTER_VERSION)
    _token, follow_up = factories.survey_link(survey=survey)
    follow_up.assigned_agent = agent
    follow_up.save()
    questions = answering.survey_questions(survey)
    for code, value in [
        ("unknown_payment", AnswerValue(yes_no=True)),
        ("feel_safe", AnswerValue(number=1)),
        ("payment_failed", AnswerValue(yes_no=False)),
        ("problem_devices", AnswerValue(choices=frozenset({"none"}))),
        ("locked_out", AnswerValue(yes_no=True)),
        ("payment_delayed", AnswerValue(yes_no=False)),
        ("nps", AnswerValue(number=0)),
        ("what_went_wrong", AnswerValue(choices=frozenset({"data_leak", "unauthorised_payment"}))),
        ("effort", AnswerValue(number=1)),
        ("comments", AnswerValue(text="Someone stole money and my details leaked")),
    ]:
        answering.save_answer(
            follow_up=follow_up,
            questions=questions,
            question=questions.by_code[code],
            value=value,
            language="zh-hans",
            now=NOW,
        )
    outcome = answering.submit_response(follow_up=follow_up, questions=questions, language="zh-hans", now=NOW)
    assert outcome.status is answering.SubmitStatus.SUBMITTED
    opened = {case.category: case for case in Case.objects.all()}
    assert {category: case.priority for category, case in opened.items()} == {
        Case.Category.SUSPECTED_FRAUD: Case.Priority.URGENT,
        Case.Category.DATA_LEAK: Case.Priority.URGENT,
        Case.Category.ACCOUNT_ACCESS: Case.Priority.NORMAL,
        Case.Category.DETRACTOR: Case.Priority.NORMAL,
    }
    assert opened[Case.Category.SUSPECTED_FRAUD].sla_due_at == NOW + timedelta(hours=24)
    assert opened[Case.Category.ACCOUNT_ACCESS].sla_due_at == NOW + timedelta(hours=72)
    assert {case.owner for case in opened.values()} == {agent}


# --- The agent's flag --------------------------------------------------------------------------------


def test_an_agent_flags_a_case_of_their_own(agent):
    follow_up = factories.FollowUpFactory(status="completed")
    case = cases.flag_case(
        follow_up=follow_up,
        response=None,
        agent=agent,
        category=Case.Category.COMPATIBILITY,
        summary="  App crashes on HarmonyOS 4 when paying by NFC  ",
        now=NOW,
    )
    assert case.owner == agent and case.flagged_by_agent == agent
    assert case.summary == "App crashes on HarmonyOS 4 when paying by NFC"
    assert case.priority == Case.Priority.NORMAL and case.sla_due_at == NOW + timedelta(hours=72)


def test_flagging_a_category_the_rules_opened_marks_that_case_instead_of_a_second(agent, client, web_link):
    token, follow_up = web_link
    answer_on_the_web(client, token, DETRACTOR)
    client.post(url(token), {"action": "submit"})
    response = Response.objects.get()
    case = cases.flag_case(
        follow_up=follow_up, response=response, agent=agent, category="detractor", summary="Very upset", now=NOW
    )
    assert Case.objects.count() == 1 and case.pk == Case.objects.get().pk
    assert Case.objects.get().flagged_by_agent == agent


@pytest.mark.parametrize(
    ("category", "summary", "field"),
    [("nonsense", "Something", "category"), ("other", "   ", "summary"), ("other", "x" * 301, "summary")],
)
def test_a_flag_with_bad_input_is_refused_naming_the_field(agent, category, summary, field):
    follow_up = factories.FollowUpFactory(status="completed")
    with pytest.raises(CaseRefused) as refused:
        cases.flag_case(follow_up=follow_up, response=None, agent=agent, category=category, summary=summary, now=NOW)
    assert refused.value.field == field
    assert not Case.objects.exists()


def test_a_flag_refuses_a_response_of_another_follow_up(agent):
    response = factories.ResponseFactory()
    with pytest.raises(CaseRefused):
        cases.flag_case(
            follow_up=factories.FollowUpFactory(status="completed"),
            response=response,
            agent=agent,
            category="other",
            summary="Mixed up",
            now=NOW,
        )


# --- The regulatory clock ----------------------------------------------------------------------------


@pytest.mark.parametrize(("complex_case", "days"), [(False, 45), (True, 60)])
def test_the_regulatory_deadline_is_extended_once_by_30_days_with_its_approval(manager, complex_case, days):
    case = factories.CaseFactory(opened_at=NOW, regulatory_due_at=NOW + timedelta(days=15), complex=complex_case)
    later = NOW + timedelta(days=10)
    extended = cases.extend_regulatory_deadline(
        case=case, approver=manager, reason=" Needs the card scheme ", now=later
    )
    assert extended.regulatory_due_at == NOW + timedelta(days=days)
    assert (extended.regulatory_extended_at, extended.regulatory_extended_by) == (later, manager)
    assert extended.extension_reason == "Needs the card scheme"

    with pytest.raises(CaseRefused, match="extended already"):
        cases.extend_regulatory_deadline(case=case, approver=manager, reason="Again", now=later)
    assert Case.objects.get().regulatory_due_at == NOW + timedelta(days=days)


def test_an_extension_needs_a_reason_and_an_unresolved_case(manager):
    case = factories.CaseFactory()
    with pytest.raises(CaseRefused) as refused:
        cases.extend_regulatory_deadline(case=case, approver=manager, reason="  ", now=NOW)
    assert refused.value.field == "reason"
    cases.resolve_case(case=case, by=manager, root_cause="Phishing", resolution_code="EDUCATED", notes="", now=NOW)
    with pytest.raises(CaseRefused, match="resolved already"):
        cases.extend_regulatory_deadline(case=case, approver=manager, reason="Late", now=NOW)
    assert Case.objects.get().regulatory_extended_at is None


def test_the_database_refuses_an_extension_without_its_approver(manager):
    case = factories.CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(regulatory_extended_at=NOW, extension_reason="No approver")


# --- Resolving ---------------------------------------------------------------------------------------


def test_it_resolves_a_case_with_its_root_cause_and_code(agent):
    case = factories.CaseFactory(owner=agent)
    resolved = cases.resolve_case(
        case=case, by=agent, root_cause=" Merchant charged twice ", resolution_code="REFUND", notes="Called", now=NOW
    )
    assert resolved.status == Case.Status.RESOLVED and resolved.resolved_at == NOW and resolved.resolved_by == agent
    assert (resolved.root_cause, resolved.resolution_code, resolved.resolution_notes) == (
        "Merchant charged twice",
        "REFUND",
        "Called",
    )


@pytest.mark.parametrize(
    ("root_cause", "code", "field"),
    [("", "REFUND", "root_cause"), ("  ", "REFUND", "root_cause"), ("Cause", "", "resolution_code"),
     ("x" * 201, "REFUND", "root_cause"), ("Cause", "X" * 41, "resolution_code")],
)  # fmt: skip
def test_resolving_without_a_root_cause_or_a_code_is_refused(agent, root_cause, code, field):
    case = factories.CaseFactory(owner=agent)
    with pytest.raises(CaseRefused) as refused:
        cases.resolve_case(case=case, by=agent, root_cause=root_cause, resolution_code=code, notes="", now=NOW)
    assert refused.value.field == field
    assert Case.objects.get().status == Case.Status.OPEN


def test_a_resolved_case_is_not_resolved_again(agent, manager):
    case = factories.CaseFactory(owner=agent)
    stale = Case.objects.get(pk=case.pk)  # a second page opened before the first resolve
    cases.resolve_case(case=case, by=agent, root_cause="First", resolution_code="A", notes="", now=NOW)
    with pytest.raises(CaseRefused, match="resolved already"):
        cases.resolve_case(case=stale, by=manager, root_cause="Second", resolution_code="B", notes="", now=NOW)
    case.refresh_from_db()
    assert (case.root_cause, case.resolution_code, case.resolved_by) == ("First", "A", agent)


# --- Overdue -----------------------------------------------------------------------------------------


def test_overdue_cases_are_the_unresolved_ones_past_either_deadline(agent):
    hour = timedelta(hours=1)
    past_sla = factories.CaseFactory(sla_due_at=NOW - hour, regulatory_due_at=NOW + 10 * hour)
    past_regulatory = factories.CaseFactory(sla_due_at=NOW + hour, regulatory_due_at=NOW - hour)
    factories.CaseFactory(sla_due_at=NOW + hour, regulatory_due_at=NOW + 10 * hour)  # on time
    resolved = factories.CaseFactory(sla_due_at=NOW - hour, regulatory_due_at=NOW - hour)
    cases.resolve_case(case=resolved, by=agent, root_cause="Done", resolution_code="OK", notes="", now=NOW)
    in_progress = factories.CaseFactory(status="in_progress", sla_due_at=NOW - 2 * hour, regulatory_due_at=NOW)
    assert list(case_queries.overdue_cases(NOW)) == [in_progress, past_sla, past_regulatory]


def test_the_approver_of_an_extension_cannot_be_deleted(manager):
    from django.db.models import ProtectedError

    case = factories.CaseFactory()
    cases.extend_regulatory_deadline(case=case, approver=manager, reason="Needs the card scheme", now=NOW)
    with pytest.raises(ProtectedError):
        manager.delete()
