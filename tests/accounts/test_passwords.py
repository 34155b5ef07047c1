"""Staff passwords: at least 12 characters, not common, not all digits, not like the person's name."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ops.demo_data import DEMO_PASSWORD
from tests import factories

pytestmark = pytest.mark.django_db

ALICE = User(username="alice.chen", first_name="Alice", last_name="Chen", email="alice.chen@bank.example")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Tr0ub4dor&3", "password_too_short"),
        ("password1234", "password_too_common"),
        ("204719385612", "password_entirely_numeric"),
        ("alice.chen.2026", "password_too_similar"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, ALICE)
    assert reason in {error.code for error in refused.value.error_list}


@pytest.mark.parametrize("password", [factories.PASSWORD, DEMO_PASSWORD])
def test_the_test_and_demo_passwords_are_strong_enough(password):
    validate_password(password, ALICE)


def test_alice_changes_her_password_and_her_other_sessions_end(agent):
    here, elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en"), Client()
    here.force_login(agent)
    elsewhere.force_login(agent)
    queue = reverse("surveys:agent-queue")

    response = here.post(
        reverse("password-change"),
        {"old_password": factories.PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()

    new = "a-longer-passphrase-for-alice"
    response = here.post(
        reverse("password-change"),
        {"old_password": factories.PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("security")
    assert here.get(queue).status_code == 200
    assert elsewhere.get(queue)["Location"].startswith(reverse("login"))
