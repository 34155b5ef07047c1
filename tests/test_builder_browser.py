"""A manager builds a survey with skip logic, publishes it and previews it, in a real headless Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

from surveys.models import Survey
from tests import factories
from tests.browser import no_sideways_scroll, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def test_a_manager_builds_publishes_and_previews_a_survey(page: Page, live_server):
    factories.UserFactory(username="maggie", first_name="Maggie", roles=["manager"])
    sign_in(page, live_server, english=True, username="maggie")

    page.goto(f"{live_server.url}/manager/surveys/")
    page.get_by_role("link", name="New survey").click()
    page.locator("#id_key").fill("lockout-check")
    page.locator("#id_title_zh").fill("账户锁定回访")
    page.locator("#id_title_en").fill("Lock-out check")
    page.get_by_role("button", name="Create survey").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lock-out check")

    # An NPS question.
    page.get_by_role("link", name="Add question").click()
    expect(page.locator("#choices-fieldset")).to_be_hidden()  # builder.js: choices only for choice kinds
    page.locator("#id_code").fill("nps")
    page.locator("#id_kind").select_option("nps")
    page.locator("#id_prompt_zh").fill("您有多大可能向亲友推荐我行数字钱包？")
    page.locator("#id_prompt_en").fill("How likely are you to recommend our wallet?")
    page.locator("#id_concern").select_option("trust")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Question added.")).to_be_visible()

    # A multiple-choice question shown only for detractors; a first try without a score is refused.
    page.get_by_role("link", name="Add question").click()
    page.locator("#id_code").fill("what_went_wrong")
    page.locator("#id_kind").select_option("multiple_choice")
    expect(page.locator("#choices-fieldset")).to_be_visible()
    page.locator("#id_prompt_zh").fill("主要是哪些方面让您失望？")
    page.locator("#id_prompt_en").fill("What went wrong?")
    for index, (code, zh, en) in enumerate((("leak", "信息泄露", "Data leak"), ("slow", "到账慢", "Slow payments"))):
        page.locator(f"#id_choices-{index}-code").fill(code)
        page.locator(f"#id_choices-{index}-label_zh").fill(zh)
        page.locator(f"#id_choices-{index}-label_en").fill(en)
    expect(page.locator("#div_id_show_if_score")).to_be_hidden()
    page.locator("#id_show_if_question").select_option(index=1)
    expect(page.locator("#div_id_show_if_score")).to_be_visible()
    expect(page.locator("#id_show_if_operator option[value='yes']")).to_be_disabled()
    page.locator("#id_show_if_operator").select_option("at_most")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#error_1_id_show_if_score")).to_have_text("Enter the score to compare with.")
    page.locator("#id_show_if_score").fill("6")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator(".builder-condition")).to_have_text("Shown only when Q1 ≤ 6")

    # Moving the conditional question above its source is refused.
    page.get_by_role("button", name="Move up Q2").click()
    expect(page.get_by_text("must stay below it")).to_be_visible()

    page.set_viewport_size({"width": 375, "height": 740})
    assert no_sideways_scroll(page)
    screenshot(page, "builder-survey-375")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".survey-status").first).to_have_text("Published")
    survey = Survey.objects.get(key="lockout-check")
    assert survey.status == Survey.Status.PUBLISHED
    expect(page.get_by_role("button", name="Create version 2")).to_be_visible()

    page.get_by_role("link", name="Preview").click()
    frames = page.locator("iframe.preview-frame")
    expect(frames).to_have_count(2)
    chinese = page.frame_locator("iframe[lang='zh-hans']")
    english = page.frame_locator("iframe[lang='en']")
    expect(chinese.get_by_text("您有多大可能向亲友推荐我行数字钱包？")).to_be_visible()
    expect(english.get_by_text("How likely are you to recommend our wallet?")).to_be_visible()
    boxes = [frames.nth(i).bounding_box() for i in range(2)]
    assert [round(box["width"]) for box in boxes] == [375, 375]
    assert boxes[0]["y"] == boxes[1]["y"]  # side by side on a desktop
    screenshot(page, "builder-preview-desktop")

    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    expect(frames).to_have_count(2)
    boxes = [frames.nth(i).bounding_box() for i in range(2)]
    assert boxes[1]["y"] > boxes[0]["y"]  # stacked on a phone
    assert no_sideways_scroll(page)
    screenshot(page, "builder-preview-375")


def test_the_question_form_fits_a_phone(page: Page, live_server):
    factories.UserFactory(username="maggie", first_name="Maggie", roles=["manager"])
    survey = factories.SurveyFactory(key="draft-check", status=Survey.Status.DRAFT, published_at=None)
    factories.QuestionFactory(survey=survey, code="nps", kind="nps")
    sign_in(page, live_server, english=True, username="maggie")
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(f"{live_server.url}/manager/surveys/{survey.pk}/questions/new/")
    page.locator("#id_kind").select_option("single_choice")
    page.get_by_role("button", name="Add a choice").click()
    expect(page.locator("#id_choices-4-code")).to_be_focused()
    assert page.locator("input[name='choices-TOTAL_FORMS']").input_value() == "5"

    assert no_sideways_scroll(page)
    screenshot(page, "builder-question-form-375")
    page.goto(f"{live_server.url}/manager/surveys/")
    assert no_sideways_scroll(page)
    expect(page.get_by_role("link", name=re.compile("Wallet experience follow-up|钱包体验回访"))).to_be_visible()
