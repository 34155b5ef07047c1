"""The pure rules: an anonymised text keeps the themes and nothing else, placeholders name nobody."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy import rules
from surveys.freetext import Lexicon, builtin_lexicon

LEXICON = Lexicon(builtin_lexicon())
KEYWORDS = sorted({keyword for words in builtin_lexicon().values() for keyword in words})


def test_an_anonymised_comment_keeps_its_themes_and_loses_the_person():
    text = "我是王芳，电话13800138000，邮箱wang@example.com，我的卡被盗刷了，担心个人信息泄露"
    anonymised = rules.anonymised_text(text, LEXICON.matches)
    assert anonymised.startswith(rules.MARKER)
    for personal in ("王芳", "13800138000", "wang@example.com"):
        assert personal not in anonymised
    assert LEXICON.matches(anonymised) == LEXICON.matches(text)
    assert LEXICON.tags(anonymised) == LEXICON.tags(text)


def test_a_comment_without_themes_becomes_the_marker_alone():
    assert rules.anonymised_text("Call John Smith on +44 7700 900123", LEXICON.matches) == rules.MARKER


def test_an_empty_answer_stays_empty():
    assert rules.anonymised_text("", LEXICON.matches) == ""


def test_a_negated_keyword_is_not_brought_back():
    text = "I never had any fraud, the app crashed twice"
    anonymised = rules.anonymised_text(text, LEXICON.matches)
    assert "fraud" not in anonymised
    assert LEXICON.matches(anonymised) == LEXICON.matches(text)


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_every_shipped_keyword_counts_the_same_after_anonymising(keyword):
    text = f"Message from Mr Lee: {keyword}!"
    assert LEXICON.matches(rules.anonymised_text(text, LEXICON.matches)) == LEXICON.matches(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*KEYWORDS, "没有", "not", "我的", "Mr Lee", "，", ". ", " "]), max_size=12))
def test_any_mix_of_keywords_and_negations_keeps_its_themes_and_anonymises_to_itself(pieces):
    text = "".join(pieces)
    anonymised = rules.anonymised_text(text, LEXICON.matches)
    if text:
        assert LEXICON.matches(anonymised) == LEXICON.matches(text)
        assert rules.anonymised_text(anonymised, LEXICON.matches) == anonymised


def test_placeholders_are_unique_and_marked_as_erased():
    placeholders = {rules.erased_placeholder() for _ in range(1000)}
    assert len(placeholders) == 1000
    assert all(rules.is_erased(p) and len(p) <= 64 for p in placeholders)
    assert not rules.is_erased("C00000042")


@pytest.mark.django_db
@pytest.mark.parametrize(("roles", "allowed"), [(["agent"], False), (["manager"], False), (["admin"], True)])
def test_only_administrators_handle_a_customers_request(roles, allowed):
    from tests import factories

    assert rules.may_handle_requests(factories.UserFactory(roles=roles)) is allowed


def test_an_anonymous_visitor_handles_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert rules.may_handle_requests(AnonymousUser()) is False
