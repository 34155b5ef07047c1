import pytest

from wallet_followup.env import BadEnvironment, env_bool, env_int, env_list, env_str, env_url


def test_a_missing_required_variable_is_named():
    with pytest.raises(BadEnvironment, match="SECRET_KEY is not set"):
        env_str("SECRET_KEY", environ={})


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert env_bool("DEBUG", False, environ={"DEBUG": raw}) is expected


def test_a_bad_boolean_names_the_variable_and_the_value():
    with pytest.raises(BadEnvironment, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", False, environ={"DEBUG": "maybe"})


def test_integers_are_checked_against_their_bounds():
    assert env_int("EMAIL_PORT", 25, environ={"EMAIL_PORT": "587"}) == 587
    with pytest.raises(BadEnvironment, match="EMAIL_PORT='smtp' is not a whole number"):
        env_int("EMAIL_PORT", 25, environ={"EMAIL_PORT": "smtp"})
    with pytest.raises(BadEnvironment, match="EMAIL_PORT=70000 is above the maximum"):
        env_int("EMAIL_PORT", 25, maximum=65535, environ={"EMAIL_PORT": "70000"})


def test_lists_are_split_on_commas_and_trimmed():
    assert env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": " a.example , b.example,"}) == [
        "a.example",
        "b.example",
    ]


def test_urls_must_use_an_expected_scheme():
    assert env_url("REDIS_URL", "", schemes={"redis"}, environ={}) == ""
    with pytest.raises(BadEnvironment, match="REDIS_URL has scheme 'http'"):
        env_url("REDIS_URL", "", schemes={"redis"}, environ={"REDIS_URL": "http://localhost"})
