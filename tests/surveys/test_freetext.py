"""Free text: card and account numbers never stored, concerns tagged in Chinese and English."""

import pytest

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
