"""The managers' concern words: Maggie (manager) adds and removes the bank's words; Alice (agent) may not."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from surveys import freetext, trust_keywords
from surveys.models import ConcernKeyword
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = reverse("trust:concern-words")
ADD = reverse("trust:concern-word-add")


@pytest.fixture(autouse=True)
def fresh_lexicon():
    freetext.lexicon_changed()
    yield
    freetext.lexicon_changed()


def test_a_manager_sees_the_built_in_words_per_concern_and_the_banks_own(client, manager):
    ConcernKeyword.objects.create(keyword="二维码被换", concern="security", created_by=manager)
    client.force_login(manager)

    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    html = page.content.decode()
    assert "泄露" in html and "闪退" in html and "phishing" in html  # shipped, read-only
    assert "二维码被换" in html
    assert reverse("trust:concern-word-delete", args=[ConcernKeyword.objects.get().pk]) in html


def test_a_manager_adds_a_word_and_the_tagger_knows_it_at_once(client, manager):
    assert freetext.tag_concerns("付款码被人偷拍了") == []
    client.force_login(manager)

    page = client.post(ADD, {"keyword": "  偷拍 ", "concern": "security"})

    assert page.status_code == 302
    word = ConcernKeyword.objects.get()
    assert (word.keyword, word.concern, word.created_by) == ("偷拍", "security", manager)
    assert freetext.tag_concerns("付款码被人偷拍了") == ["security"]


def test_a_manager_removes_a_word_and_the_tagger_forgets_it_at_once(client, manager):
    client.force_login(manager)
    client.post(ADD, {"keyword": "apple pay", "concern": "compatibility"})
    assert freetext.tag_concerns("Apple Pay would not start") == ["compatibility"]

    page = client.post(reverse("trust:concern-word-delete", args=[ConcernKeyword.objects.get().pk]))

    assert page.status_code == 302
    assert not ConcernKeyword.objects.exists()
    assert freetext.tag_concerns("Apple Pay would not start") == []


@pytest.mark.parametrize(
    "keyword",
    ["偷拍", "偷拍 ", "Leak", "LEAK", "ｌｅａｋ", "泄露"],
    ids=["same", "same with space", "built-in, capitalised", "built-in, upper", "built-in, full-width", "built-in"],
)
def test_a_duplicate_word_is_refused_with_a_message_on_the_field(client, manager, keyword):
    ConcernKeyword.objects.create(keyword="偷拍", concern="security")
    client.force_login(manager)

    page = client.post(ADD, {"keyword": keyword, "concern": "trust"}, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    html = page.content.decode()
    assert "is already a word for" in html and "is-invalid" in html
    assert ConcernKeyword.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"keyword": "", "concern": "security"},
        {"keyword": "x", "concern": "security"},
        {"keyword": "   ", "concern": "security"},
        {"keyword": "a" * 101, "concern": "security"},
        {"keyword": "scam call", "concern": "feelings"},
        {"keyword": "scam call"},
    ],
    ids=["empty", "one letter", "blank", "too long", "unknown concern", "no concern"],
)
def test_bad_input_gets_a_form_error_not_a_500(client, manager, data):
    client.force_login(manager)

    page = client.post(ADD, data)

    assert page.status_code == 200
    assert "is-invalid" in page.content.decode()
    assert not ConcernKeyword.objects.exists()


def test_an_agent_may_not_see_add_or_remove_words(client, agent):
    word = ConcernKeyword.objects.create(keyword="偷拍", concern="security")
    client.force_login(agent)

    assert client.get(PAGE).status_code == 403
    assert client.post(ADD, {"keyword": "盗号", "concern": "security"}).status_code == 403
    assert client.post(reverse("trust:concern-word-delete", args=[word.pk])).status_code == 403
    assert list(ConcernKeyword.objects.values_list("keyword", flat=True)) == ["偷拍"]


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    page = client.get(PAGE)

    assert page.status_code == 302 and "/login/" in page.url


def test_someone_who_may_only_read_sees_no_add_or_remove_controls(client):
    reader = factories.UserFactory(username="rita")
    reader.user_permissions.add(Permission.objects.get(codename="view_concernkeyword"))
    ConcernKeyword.objects.create(keyword="偷拍", concern="security")
    client.force_login(reader)

    page = client.get(PAGE)

    assert page.status_code == 200
    html = page.content.decode()
    assert "偷拍" in html
    assert ADD not in html and "/delete/" not in html
    assert client.post(ADD, {"keyword": "盗号", "concern": "security"}).status_code == 403


def test_removing_a_word_that_is_gone_is_a_404(client, manager):
    client.force_login(manager)

    assert client.post(reverse("trust:concern-word-delete", args=[999_999])).status_code == 404
    assert client.get(reverse("trust:concern-word-delete", args=[999_999])).status_code == 405


def test_try_a_sentence_shows_the_concerns_found_and_saves_nothing(client, manager):
    client.force_login(manager)

    tagged = client.get(PAGE, {"sentence": "App 闪退，而且我担心信息泄露"}, HTTP_ACCEPT_LANGUAGE="en")
    nothing = client.get(PAGE, {"sentence": "Everything was fine"}, HTTP_ACCEPT_LANGUAGE="en")
    too_long = client.get(PAGE, {"sentence": "x" * (freetext.MAX_TEXT_LENGTH + 1)}, HTTP_ACCEPT_LANGUAGE="en")

    html = tagged.content.decode()
    assert "Concerns found:" in html
    assert ">Security<" in html and ">Compatibility<" in html and ">Trust in payments<" in html
    assert "No concern found in this sentence." in nothing.content.decode()
    assert too_long.status_code == 200 and "is-invalid" in too_long.content.decode()
    assert not ConcernKeyword.objects.exists()


def test_the_service_refuses_a_duplicate_added_in_another_case(manager):
    trust_keywords.add_concern_keyword(keyword="Google Pay", concern="compatibility", by=manager)

    with pytest.raises(ValidationError) as refused:
        trust_keywords.add_concern_keyword(keyword="google pay", concern="trust", by=manager)

    assert "keyword" in refused.value.message_dict
