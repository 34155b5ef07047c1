"""Alice takes a call end to end in a real headless Chromium: claim, reveal, script with skip logic, outcome, case.

The survey is the starter survey (surveys/data/starter_survey.json): "which payment failed?" only after a
failed payment, "what went wrong?" only for an NPS of 6 or less. The customer speaks Chinese and Alice reads
the questions aloud in Chinese from an English page, so the steps are found by their question codes.

"Now" is the real clock (the live server and the browser cannot share a frozen one): the customer lives in
the zone where it is nearest 14:00 right now, under the US contact rules (calls 08:00–21:00 every day) with
public holidays allowed, so the call is allowed whatever the hour and the date the test runs at. The setup
asserts that before the browser starts, so a wrong setup fails loudly instead of showing an empty queue.
"""

import logging
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import WalletEvent
from audit.models import AuditEntry
from surveys.dispatch import callable_now
from surveys.models import Case, Choice, ContactAttempt, FollowUp, Question, Response, Survey
from surveys.starter import STARTER_KEY, STARTER_VERSION, install_starter_survey, starter_data
from tests import factories
from tests.browser import PHONE, no_sideways_scroll, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

PHONE_NUMBER = "+8613800138000"
MASKED = "+86 138****8000"
NAME = "王芳"

# Zones without daylight saving, one for every whole-hour UTC offset from -11 to +14: at any moment one of
# them is within 30 minutes of 14:00 local time.
ZONES = (
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "Pacific/Gambier",
    "Pacific/Pitcairn",
    "America/Phoenix",
    "America/Regina",
    "America/Bogota",
    "America/Santo_Domingo",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "Africa/Abidjan",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Riyadh",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Tarawa",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
)


def afternoon_zone(now: datetime) -> str:
    """The zone where it is nearest 14:00 at ``now``: well inside the call hours, however long the test runs."""

    def minutes_from_two_pm(zone: str) -> int:
        local = now.astimezone(ZoneInfo(zone))
        return abs(local.hour * 60 + local.minute - 14 * 60)

    return min(ZONES, key=minutes_from_two_pm)


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Process caches are keyed by ids, which a flushed database reuses; a shared Redis would mix runs."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "agent-call-browser"}
    }
    cache.clear()


@pytest.fixture
def alice(role_groups, agent):
    return agent


@pytest.fixture
def starter_survey() -> Survey:
    """Installed by migration surveys 0003; an earlier live-server test flushes it, so the same loader puts it back."""
    install_starter_survey(survey_model=Survey, question_model=Question, choice_model=Choice, now=timezone.now())
    survey = Survey.objects.get(key=STARTER_KEY, version=STARTER_VERSION)
    assert survey.status == Survey.Status.PUBLISHED
    return survey


@pytest.fixture
def pool_call(starter_survey) -> FollowUp:
    """One due phone follow-up in the shared pool, for a customer who may be called right now."""
    customer = factories.CustomerFactory(
        name=NAME,
        phone=PHONE_NUMBER,
        language="zh-hans",
        time_zone=afternoon_zone(timezone.now()),
        preferred_time_of_day="any",
    )
    campaign = factories.CampaignFactory(
        name="Wallet follow-up, November",
        survey=starter_survey,
        channels=["phone"],
        contact_policy="united_states",
        allow_holidays=True,
    )
    event = factories.WalletEventFactory(customer=customer, kind=WalletEvent.Kind.PAYMENT_FAILED)
    follow_up = factories.FollowUpFactory(campaign=campaign, customer=customer, wallet_event=event)
    loaded = FollowUp.objects.select_related("customer", "campaign").get(pk=follow_up.pk)
    assert loaded.assigned_agent_id is None and loaded.scheduled_for <= timezone.now()
    assert callable_now(loaded, now=timezone.now()), f"the setup does not allow calling {customer.time_zone} now"
    return follow_up


@pytest.fixture
def audit_records() -> Iterator[list[logging.LogRecord]]:
    """What the "audit" logger receives, from the live server's thread too."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, logger = Keep(level=logging.INFO), logging.getLogger("audit")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(previous_level)


def record_answer(page: Page, code: str, *values: str) -> None:
    """On the script's question ``code``: tick each value (a scale button, a radio or a checkbox) and save."""
    expect(page.locator("input[name='question']")).to_have_value(code)
    for value in values:
        option = page.locator(f"input[name='answer'][value='{value}']")
        page.locator(f"label[for='{option.get_attribute('id')}']").click()
        expect(option).to_be_checked()
    page.get_by_role("button", name="Save and next").click()


def test_alice_takes_a_call_from_the_pool_to_a_case_for_an_unhappy_customer(
    page: Page, live_server, alice, pool_call, audit_records
):
    prompts = {question["code"]: question["prompt_zh"] for question in starter_data()["questions"]}
    sign_in(page, live_server, "alice", english=True)

    # 1. The queue: the call waits in the shared pool with the number masked.
    page.get_by_role("link", name="My call queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My call queue")
    pool_row = page.locator("#queue-pool tbody tr")
    expect(pool_row).to_have_count(1)
    expect(pool_row).to_contain_text(NAME)
    expect(pool_row).to_contain_text(MASKED)
    expect(pool_row).to_contain_text("Payment failed")
    expect(page.locator("#queue-mine")).to_contain_text("No calls of yours are due right now.")
    assert PHONE_NUMBER not in page.content()
    screenshot(page, "agent-call-queue-pool")

    # 2. Claimed, it moves to My calls.
    pool_row.get_by_role("button", name=f"Claim the call with {NAME}").click()
    expect(page.get_by_text(f"The call with {NAME} is yours now, under My calls.")).to_be_visible()
    expect(page.locator("#queue-pool")).to_contain_text("The shared pool is empty right now.")
    my_row = page.locator("#queue-mine tbody tr")
    expect(my_row).to_have_count(1)
    expect(my_row).to_contain_text(MASKED)
    pool_call.refresh_from_db()
    assert pool_call.assigned_agent == alice
    screenshot(page, "agent-call-queue-mine")

    # 3. The call page: masked until Alice presses the button; then a tel: link, and an audit line.
    my_row.get_by_role("link", name=f"Call {NAME}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Call {NAME}")
    expect(page.locator(".console-phone-masked")).to_have_text(MASKED)
    expect(page.locator("a[href^='tel:']")).to_have_count(0)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PHONE_REVEALED).exists()
    page.get_by_role("button", name="Show number and call").click()
    phone_link = page.get_by_role("link", name=PHONE_NUMBER)
    expect(phone_link).to_have_attribute("href", f"tel:{PHONE_NUMBER}")
    expect(page.get_by_text("Your viewing of this number is recorded.")).to_be_visible()
    [revealed] = AuditEntry.objects.filter(action=AuditEntry.Action.PHONE_REVEALED)
    assert (revealed.actor, revealed.target_id, revealed.details) == (
        alice,
        str(pool_call.customer_id),
        {"follow_up_id": pool_call.pk},
    )
    assert revealed.ip_address == "127.0.0.1"
    assert [r.audit_entry_id for r in audit_records if r.action == AuditEntry.Action.PHONE_REVEALED] == [revealed.pk]
    screenshot(page, "agent-call-revealed")

    # 4. The script, read in the customer's language: no failed payment, so "which payment?" is skipped;
    #    an NPS of 3 brings the question only detractors get.
    page.get_by_role("link", name="Read the survey to the customer").click()
    expect(page.locator("legend")).to_contain_text(prompts["unknown_payment"])
    record_answer(page, "unknown_payment", "no")
    record_answer(page, "feel_safe", "4")
    record_answer(page, "payment_failed", "no")
    record_answer(page, "problem_devices", "none")  # not "failed_payment": skip logic hides it
    record_answer(page, "locked_out", "no")
    record_answer(page, "payment_delayed", "no")
    record_answer(page, "nps", "3")
    expect(page.locator("input[name='question']")).to_have_value("what_went_wrong")
    expect(page.locator("#script-progress-label")).to_have_text("Question 8 of 10")
    expect(page.locator("legend")).to_contain_text(prompts["what_went_wrong"])
    screenshot(page, "agent-call-script-detractor-question")
    record_answer(page, "what_went_wrong", "hard_to_use", "slow")
    record_answer(page, "effort", "3")
    expect(page.locator("input[name='question']")).to_have_value("comments")
    page.get_by_role("button", name="Save and next").click()  # optional, left empty

    # The review reads back the ten questions asked; the skipped one is not among them.
    expect(page.get_by_role("heading", level=1)).to_have_text("Read the answers back")
    asked = page.locator(".survey-review dt")
    expect(asked).to_have_count(10)
    review = page.locator(".survey-review")
    expect(review).to_contain_text(prompts["what_went_wrong"])
    expect(review).not_to_contain_text(prompts["failed_payment"])
    screenshot(page, "agent-call-review")
    page.get_by_role("button", name="Submit answers").click()

    # 5. Back on the call page: the outcome, then the queue again.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Call {NAME}")
    expect(page.get_by_text("Answers recorded; now record the call's outcome.")).to_be_visible()
    page.get_by_label("Completed the survey").check()
    page.get_by_label("Notes").fill("Unhappy with slow payments; a case is open.")
    screenshot(page, "agent-call-outcome")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My call queue")
    expect(page.get_by_text(f"The call with {NAME} is recorded: Completed the survey.")).to_be_visible()
    expect(page.locator("#queue-mine")).to_contain_text("No calls of yours are due right now.")

    pool_call.refresh_from_db()
    assert pool_call.status == FollowUp.Status.COMPLETED
    response = Response.objects.get(follow_up=pool_call)
    assert (response.status, response.mode, response.taken_by) == (
        Response.Status.SUBMITTED,
        Response.Mode.PHONE,
        alice,
    )
    assert set(response.answers.values_list("question__code", flat=True)) == {
        "unknown_payment",
        "feel_safe",
        "payment_failed",
        "problem_devices",
        "locked_out",
        "payment_delayed",
        "nps",
        "what_went_wrong",
        "effort",
    }
    attempt = ContactAttempt.objects.get(follow_up=pool_call)
    assert (attempt.outcome, attempt.agent, attempt.channel) == (ContactAttempt.Outcome.COMPLETE, alice, "phone")
    assert attempt.ended_at >= attempt.started_at

    # 6. The detractor's case is Alice's.
    page.get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    case_row = page.locator("tbody tr")
    expect(case_row).to_have_count(1)
    expect(case_row).to_contain_text(NAME)
    expect(case_row).to_contain_text("Unhappy customer")
    screenshot(page, "agent-call-cases")
    case = Case.objects.get(customer=pool_call.customer)
    assert (case.category, case.owner, case.response) == (Case.Category.DETRACTOR, alice, response)
    case_row.get_by_role("link", name=NAME).click()
    expect(page.locator("dt", has_text="Owner").locator("xpath=following-sibling::dd[1]")).to_have_text("Alice")


def test_the_queue_and_the_call_page_fit_a_phone(page: Page, live_server, alice, pool_call):
    sign_in(page, live_server, "alice", english=True)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/agent/queue/")
    expect(page.locator("#queue-pool tbody tr")).to_contain_text(MASKED)
    assert no_sideways_scroll(page)
    screenshot(page, "agent-call-phone-queue")

    page.get_by_role("button", name=f"Claim the call with {NAME}").click()
    page.get_by_role("link", name=f"Call {NAME}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Call {NAME}")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Show number and call").click()
    expect(page.get_by_role("link", name=PHONE_NUMBER)).to_have_attribute("href", f"tel:{PHONE_NUMBER}")
    assert no_sideways_scroll(page)
    screenshot(page, "agent-call-phone-call")
