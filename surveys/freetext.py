"""Customers' own words: card and account numbers removed before storage, concerns tagged.

Redaction (``redact_numbers``): customers type card numbers into comment boxes ("card 6222 0212 3456
7890 was charged twice"). A run of 13–19 digits (spaces or dashes between groups allowed, full-width
digits too) is removed when it passes the Luhn check (a payment card), and any run of 16–19 digits is
removed whatever its check digit (Chinese bank account numbers do not all use Luhn). Shorter numbers —
amounts, dates, the last four digits of a card, a 6-digit code — are kept: they carry the meaning.

Tagging (``tag_concerns``): keyword lexicons per concern, Chinese and English, in
surveys/data/concern_lexicon.json plus the words managers add (ConcernKeyword). Chinese words match
anywhere; English words match at the start of a word, case-insensitively ("leak" finds "leaked").
A match right after a negation ("没有泄露", "no fraud", "never crashed") does not count. This is a
keyword tagger, not a language model: it is meant to count themes in dashboards, and the manager page
lets the bank tune it with its own words.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

# Longer answers are cut here (the form enforces it; the service cuts as a last line of defence).
MAX_TEXT_LENGTH = 2000
REDACTION = "[号码已隐去 · number removed]"
LEXICON_PATH = Path(__file__).resolve().parent / "data" / "concern_lexicon.json"
# Manager-added words reach other processes within this many seconds.
LEXICON_TTL_SECONDS = 60

# Digit groups separated by single spaces or dashes; \d also matches full-width digits (０-９).
_NUMBER_RUN = re.compile(r"(?<![\d])\d(?:[ \-\u00a0]?\d){12,18}(?![\d])")
# A negation this close before a keyword, in the same clause, cancels it: "没有遇到盗刷", "not seen any fraud".
_CHINESE_NEGATIONS = ("没", "未曾", "并未", "从未", "不是", "无任何")
_CHINESE_WINDOW = 4  # characters
_ENGLISH_NEGATIONS = frozenset(
    {"no", "not", "never", "without", "didn't", "didnt", "don't", "dont", "wasn't", "isn't", "haven't", "nothing"}
)
_ENGLISH_WINDOW = 3  # words
_CLAUSE_END = re.compile(r"[.,;:!?，。；：！？、\n]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _digits(run: str) -> str:
    return "".join(str(unicodedata.digit(char)) for char in run if char.isdigit())


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_sensitive(digits: str) -> bool:
    return 16 <= len(digits) <= 19 or (13 <= len(digits) <= 19 and luhn_valid(digits))


def redact_numbers(text: str) -> tuple[str, bool]:
    """The text with card and account numbers replaced by REDACTION, and whether any was."""
    found = False

    def replace(match: re.Match) -> str:
        nonlocal found
        if _is_sensitive(_digits(match.group())):
            found = True
            return REDACTION
        return match.group()

    return _NUMBER_RUN.sub(replace, text), found


class Lexicon:
    """Keywords by concern, compiled once; ``tags`` is pure."""

    def __init__(self, words: Mapping[str, Iterable[str]]) -> None:
        self.chinese: list[tuple[str, str]] = []
        english: dict[str, list[str]] = {}
        for concern, keywords in words.items():
            for keyword in keywords:
                keyword = keyword.strip()
                if not keyword:
                    continue
                if _CJK.search(keyword):
                    self.chinese.append((keyword.lower(), concern))
                else:
                    english.setdefault(concern, []).append(keyword.lower())
        # One alternation per concern; the negation check looks at the word before each match.
        self.english = {
            concern: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(ks, key=len, reverse=True)) + r")")
            for concern, ks in english.items()
        }

    def tags(self, text: str) -> list[str]:
        lowered = unicodedata.normalize("NFKC", text).lower()
        found: set[str] = set()
        for keyword, concern in self.chinese:
            if concern in found:
                continue
            start = lowered.find(keyword)
            while start != -1:
                window = _clause_before(lowered, start)[-_CHINESE_WINDOW:]
                if not any(negation in window for negation in _CHINESE_NEGATIONS):
                    found.add(concern)
                    break
                start = lowered.find(keyword, start + 1)
        for concern, pattern in self.english.items():
            if concern in found:
                continue
            for match in pattern.finditer(lowered):
                words = _clause_before(lowered, match.start()).split()[-_ENGLISH_WINDOW:]
                if not _ENGLISH_NEGATIONS.intersection(word.strip("\"'()") for word in words):
                    found.add(concern)
                    break
        return sorted(found)

    def matches(self, text: str) -> list[tuple[str, str]]:
        """Every (concern, keyword) the text mentions, by the same rules as ``tags``: the themes of the
        dashboards. The concerns of the result are exactly ``tags(text)``; a keyword counts once however often
        it occurs. A Chinese keyword found only inside a longer keyword of the same concern that counted is
        not a theme of its own ("信息泄露" counts, not also "泄露"); an English match is already the longest
        keyword at its position."""
        lowered = unicodedata.normalize("NFKC", text).lower()
        found: set[tuple[str, str]] = set()
        counted: dict[str, list[tuple[int, int]]] = {}  # concern -> spans of counted Chinese matches
        for keyword, concern in sorted(self.chinese, key=lambda entry: len(entry[0]), reverse=True):
            start = lowered.find(keyword)
            while start != -1:
                end = start + len(keyword)
                window = _clause_before(lowered, start)[-_CHINESE_WINDOW:]
                inside = any(s <= start and end <= e for s, e in counted.get(concern, ()))
                if not inside and not any(negation in window for negation in _CHINESE_NEGATIONS):
                    found.add((concern, keyword))
                    counted.setdefault(concern, []).append((start, end))
                start = lowered.find(keyword, start + 1)
        for concern, pattern in self.english.items():
            for match in pattern.finditer(lowered):
                words = _clause_before(lowered, match.start()).split()[-_ENGLISH_WINDOW:]
                if not _ENGLISH_NEGATIONS.intersection(word.strip("\"'()") for word in words):
                    found.add((concern, match.group()))
        return sorted(found)


def _clause_before(text: str, position: int) -> str:
    """The text between the last clause boundary and ``position``."""
    before = text[:position]
    boundaries = list(_CLAUSE_END.finditer(before))
    return before[boundaries[-1].end() :] if boundaries else before


@cache
def builtin_lexicon() -> dict[str, list[str]]:
    """The shipped words, by concern."""
    data = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    return {concern: list(words) for concern, words in data.items() if not concern.startswith("_")}


_current: tuple[float, Lexicon] | None = None


def current_lexicon() -> Lexicon:
    """The shipped words plus the bank's own (ConcernKeyword), rebuilt at most every LEXICON_TTL_SECONDS."""
    global _current
    now = time.monotonic()
    if _current is not None and now - _current[0] < LEXICON_TTL_SECONDS:
        return _current[1]
    from surveys.models import ConcernKeyword

    words = {concern: list(keywords) for concern, keywords in builtin_lexicon().items()}
    for keyword, concern in ConcernKeyword.objects.values_list("keyword", "concern"):
        words.setdefault(concern, []).append(keyword)
    lexicon = Lexicon(words)
    _current = (now, lexicon)
    return lexicon


def lexicon_changed() -> None:
    """Call after adding or removing a ConcernKeyword: this process rebuilds at once, others within the TTL."""
    global _current
    _current = None


def tag_concerns(text: str) -> list[str]:
    """The concern codes the text mentions, sorted."""
    return current_lexicon().tags(text)
