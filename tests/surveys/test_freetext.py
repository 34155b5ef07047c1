"""Free text: card and account numbers never stored, concerns tagged in Chinese and English."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys import freetext
from surveys.freetext import REDACTION, Lexicon, builtin_lexicon, luhn_valid, redact_numbers, tag_concerns
from surveys.models import ConcernKeyword


@pytest.mark.parametrize(
    "typed",
    [
        "4111111111111111",  # Visa test number, Luhn-valid, 16 digits
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "6222021234567890123",  # 19-digit account number, not Luhn-valid: removed for its length
        "６２２８４８０４０２５６４８９００１８",  # full-width digits from a Chinese keyboard
        "378282246310005",  # Amex test number, 15 digits, Luhn-valid
    ],
)
def test_it_removes_card_and_account_numbers(typed):
    text, removed = redact_numbers(f"我的卡 {typed} 被扣了两次")

    assert removed is True
    assert text == f"我的卡 {REDACTION} 被扣了两次"
    assert not any(char.isdigit() for char in text.replace(REDACTION, ""))


@pytest.mark.parametrize(
    "typed",
    [
        "1234567890123",  # 13 digits that fail Luhn: an order number, kept
        "金额 1234.56 元",
        "验证码 123456",
        "尾号 8842 的卡",
        "2026-03-11 10:00",
        "+86 138 0013 8000",  # a phone number: 13 digits, fails Luhn
    ],
)
def test_it_keeps_numbers_that_are_not_cards_or_accounts(typed):
    assert redact_numbers(typed) == (typed, False)


def test_the_luhn_check_accepts_valid_and_rejects_altered_numbers():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


@pytest.mark.parametrize(
    ("text", "concerns"),
    [
        ("我的个人信息好像泄露了", ["security"]),
        ("卡被盗刷，对方自称客服是诈骗", ["security", "service"]),
        ("扣款不明，感觉不放心", ["trust"]),
        ("升级后一直闪退，打不开", ["compatibility"]),
        ("没有遇到盗刷", []),
        ("I think my details leaked", ["security"]),
        ("Someone made a payment I did not make - fraud!", ["security"]),
        ("The app crashes on my Huawei", ["compatibility"]),
        ("I was charged twice and don't trust it now", ["trust"]),
        ("No fraud, but the app crashed", ["compatibility"]),
        ("I have not seen any fraud", []),
        ("Everything was fine, thank you", []),
    ],
)
def test_it_tags_concerns_in_chinese_and_english(text, concerns):
    assert Lexicon(builtin_lexicon()).tags(text) == concerns


def test_the_lexicon_file_names_only_known_concerns():
    from surveys.models import Concern

    assert set(builtin_lexicon()) <= set(Concern.values)
    assert all(words for words in builtin_lexicon().values())


@pytest.mark.django_db
def test_a_word_added_by_a_manager_tags_answers_at_once():
    freetext.lexicon_changed()
    assert tag_concerns("转账一直显示处理中") == []

    ConcernKeyword.objects.create(keyword="处理中", concern="trust")
    freetext.lexicon_changed()

    assert tag_concerns("转账一直显示处理中") == ["trust"]
    freetext.lexicon_changed()


# --- Themes: which lexicon words matched (Lexicon.matches) ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("我的个人信息好像泄露了", [("security", "个人信息"), ("security", "泄露")]),
        ("I think my details leaked", [("security", "leak")]),
        ("Fraud, fraud and more FRAUD", [("security", "fraud")]),  # a word counts once
        ("The app crashes, and I was charged twice", [("compatibility", "crash"), ("trust", "charged twice")]),
        ("No fraud, but the app crashed", [("compatibility", "crash")]),  # the negated word is no theme
        ("没有遇到盗刷", []),
        ("Everything was fine, thank you", []),
    ],
)
def test_it_names_the_words_that_tagged_the_text(text, themes):
    assert Lexicon(builtin_lexicon()).matches(text) == themes


def test_a_word_inside_a_longer_word_of_the_same_concern_is_not_a_theme_of_its_own():
    lexicon = Lexicon({"security": ["泄露", "信息泄露"], "trust": ["信息"]})

    assert lexicon.matches("我的信息泄露了") == [("security", "信息泄露"), ("trust", "信息")]
    # "泄露" on its own, after the longer word, is a theme too.
    twice = [("security", "信息泄露"), ("security", "泄露"), ("trust", "信息")]
    assert lexicon.matches("信息泄露之后密码又泄露了") == twice


def test_a_negated_longer_word_does_not_hide_the_shorter_one_elsewhere():
    lexicon = Lexicon({"security": ["泄露", "信息泄露"]})

    assert lexicon.matches("没有信息泄露。密码泄露了") == [("security", "泄露")]


SAMPLE_WORDS = [word for words in builtin_lexicon().values() for word in words[:6]] + [
    "没有", "not", "no", "never", "，", ", ", ". ", "的", "app", "我", " ",
]  # fmt: skip


@given(st.lists(st.sampled_from(SAMPLE_WORDS), max_size=12))
def test_the_themes_name_exactly_the_concerns_the_tagger_finds(words):
    lexicon = Lexicon(builtin_lexicon())
    for text in ("".join(words), " ".join(words)):
        assert sorted({concern for concern, _ in lexicon.matches(text)}) == lexicon.tags(text)
