"""The bank's own concern words for the free-text tagger: read, add, remove.

The shipped words live in surveys/data/concern_lexicon.json (read-only here); a manager's words are
ConcernKeyword rows. The tagger lower-cases and NFKC-folds what it reads, so "Leak", "leak" and
full-width "ｌｅａｋ" are one word: a duplicate is refused in that folded form, against both lists.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from surveys import freetext
from surveys.models import Concern, ConcernKeyword


def folded(word: str) -> str:
    """The form in which the tagger compares words."""
    return unicodedata.normalize("NFKC", word).strip().lower()


def builtin_words() -> list[tuple[str, list[str]]]:
    """(concern label, words) for each concern of the shipped lexicon, in the order of Concern."""
    lexicon = freetext.builtin_lexicon()
    return [(str(label), sorted(lexicon[value])) for value, label in Concern.choices if lexicon.get(value)]


def bank_words():
    return ConcernKeyword.objects.select_related("created_by").order_by("concern", "keyword")


def existing_concern_of(word: str) -> str | None:
    """The concern a word is already listed under (shipped or the bank's), or None."""
    key = folded(word)
    for concern, words in freetext.builtin_lexicon().items():
        if any(folded(existing) == key for existing in words):
            return concern
    for keyword, concern in ConcernKeyword.objects.values_list("keyword", "concern"):
        if folded(keyword) == key:
            return concern
    return None


def add_concern_keyword(*, keyword: str, concern: str, by: User | None) -> ConcernKeyword:
    """Add a word; ValidationError (on "keyword") if the tagger already knows it in any concern."""
    keyword = keyword.strip()
    if concern not in Concern.values:
        raise ValidationError({"concern": _("Choose one of the concerns in the list.")})
    known = existing_concern_of(keyword)
    if known is not None:
        message = _("“%(word)s” is already a word for %(concern)s.")
        concern_label = dict(Concern.choices).get(known, known)
        raise ValidationError({"keyword": message % {"word": keyword, "concern": concern_label}})
    try:
        with transaction.atomic():
            created = ConcernKeyword.objects.create(keyword=keyword, concern=concern, created_by=by)
    except IntegrityError:  # added by someone else between the check and the insert
        raise ValidationError({"keyword": _("This word was just added by someone else.")}) from None
    _lexicon_changed()
    return created


def delete_concern_keyword(*, keyword: ConcernKeyword) -> None:
    keyword.delete()
    _lexicon_changed()


def _lexicon_changed() -> None:
    # At once, so this process tags with the new list from the next answer on; and again at commit
    # when called inside a larger transaction, in case a rebuild in between read the old rows.
    freetext.lexicon_changed()
    transaction.on_commit(freetext.lexicon_changed)
