"""A customer answers the survey from their SMS link on a phone, in Chinese, in a real headless Chromium."""

import pytest
from playwright.sync_api import Page, expect

from surveys.models import Answer, FollowUp, Response
from tests import factories
from tests.browser import DESKTOP, PHONE, no_sideways_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def pick(page: Page, value: str) -> None:
    """Scale buttons are radios drawn as buttons: the label is what a finger (or the keyboard) uses."""
    page.locator(f"label.survey-scale-button:text-is('{value}')").click()


def next_button(page: Page):
    return page.get_by_role("button", name="下一步")


def test_a_customer_answers_in_chinese_leaves_resumes_and_submits_once(page: Page, live_server):
    survey = factories.skip_logic_survey()
    customer = factories.CustomerFactory(name="王芳", language="zh-hans")
    token, follow_up = factories.survey_link(survey=survey, customer=customer)
    link = f"{live_server.url}/s/{token}/"
    page.set_viewport_size(PHONE)

    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("钱包体验回访")
    expect(page.get_by_text("第 1 题，共 6 题")).to_be_visible()
    expect(page.locator("legend")).to_have_text("您有多大可能向朋友推荐我们的钱包？")
    expect(page.locator("input[type=radio][name=answer]")).to_have_count(11)
    assert Response.objects.count() == 0  # opening the link writes nothing
    assert no_sideways_scroll(page)
    screenshot(page, "survey-nps-375")

    # Next without an answer: the message is on the field and announced.
    next_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("请回答此问题")
    assert no_sideways_scroll(page)

    # A detractor is asked what went wrong.
    pick(page, "3")
    next_button(page).click()
    expect(page.get_by_label("哪里让您不满意？")).to_be_visible()
    expect(page.get_by_text("第 2 题，共 7 题")).to_be_visible()

    # Back, and a 9 instead: the question disappears.
    page.get_by_role("link", name="上一步").click()
    expect(page.locator("#id_answer_3")).to_be_checked()
    pick(page, "9")
    next_button(page).click()
    expect(page.locator("legend")).to_have_text("是否有支付失败？")
    expect(page.get_by_text("第 2 题，共 6 题")).to_be_visible()
    page.get_by_label("否").check()
    next_button(page).click()
    page.get_by_label("信息泄露").check()
    next_button(page).click()
    expect(page.locator("legend")).to_have_text("请为应用打分")

    # The customer leaves and opens the SMS link again later: back at the rating question.
    context = page.context
    page.close()
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(link)
    expect(page.locator("legend")).to_have_text("请为应用打分")
    expect(page.get_by_text("第 4 题，共 6 题")).to_be_visible()
    pick(page, "4")
    next_button(page).click()
    pick(page, "6")
    next_button(page).click()
    page.get_by_label("还有其他意见吗？").fill("支付很快，没有问题")
    expect(page.locator(".survey-text-hint")).to_contain_text("还可输入")
    next_button(page).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("核对您的答案")
    expect(page.get_by_text("信息泄露")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "survey-review-375")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "survey-review-1280")

    # A second tab on the same review page, as a customer who opened the link twice.
    second = context.new_page()
    second.goto(f"{link}?q=review")
    expect(second.get_by_role("button", name="提交")).to_be_visible()

    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的回答")
    screenshot(page, "survey-thanks-1280")

    second.get_by_role("button", name="提交").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("您已作答，谢谢")
    # And the browser's back button on the first tab: still "already answered", never the form.
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("您已作答，谢谢")

    assert Response.objects.filter(follow_up=follow_up, status=Response.Status.SUBMITTED).count() == 1
    assert set(Answer.objects.values_list("question__code", flat=True)) == {
        "nps",
        "failed",
        "worries",
        "rating",
        "effort",
        "comments",
    }
    assert FollowUp.objects.get(pk=follow_up.pk).status == FollowUp.Status.COMPLETED


def test_a_customer_switches_to_english_and_an_unknown_link_reveals_nothing(page: Page, live_server):
    survey = factories.skip_logic_survey()
    token, _follow_up = factories.survey_link(survey=survey, customer=factories.CustomerFactory(language="zh-hans"))
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/s/{token}/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("legend")).to_have_text("How likely are you to recommend our wallet to a friend?")
    expect(page.get_by_text("Not at all likely")).to_be_visible()
    assert no_sideways_scroll(page)

    page.goto(f"{live_server.url}/s/{'x' * 43}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("此链接无法使用（已过期或无效）")
    assert no_sideways_scroll(page)
    screenshot(page, "survey-invalid-375")
