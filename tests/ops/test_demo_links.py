"""The demo prints survey links that really open the survey, and the same ones every time."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from ops.demo_links import demo_survey_links
from surveys.links import LinkState, resolve_link

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_seed_demo_prints_working_survey_links_in_both_languages():
    output = StringIO()
    call_command("seed_demo", customers=200, stdout=output)

    links = demo_survey_links()

    assert [language for language, _link in links] == ["zh-hans", "en"]
    for language, link in links:
        assert link in output.getvalue()
        token = link.rstrip("/").rsplit("/", 1)[1]
        resolved = resolve_link(token, now=timezone.now())
        assert resolved.state == LinkState.OPEN
        assert resolved.follow_up.customer.language == language
    assert demo_survey_links() == links  # repeatable: the printed links keep working
