"""Security headers and cookies as production sends them, on a staff page, the login page, a survey page
and the API. (`manage.py check --deploy` under production settings: tests/wallet_followup/test_startup.py.)

The security settings are read from the real settings module started with a production environment (a
subprocess), then applied to the test's settings: what is checked is what production has, not a copy.
"""

import json

import pytest
from django.urls import reverse

from tests import factories
from tests.wallet_followup.test_startup import PRODUCTION, manage

pytestmark = pytest.mark.django_db

SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "CONTENT_SECURITY_POLICY",
]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Only empty style="" attributes (plotly.js writes some): the hash of the empty text.
    "style-src-attr": "'unsafe-hashes' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


@pytest.fixture(scope="session")
def production_security(tmp_path_factory):
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SECURITY_SETTINGS!r}}}))"
    )
    result = manage("shell", "-c", code, env=PRODUCTION, tmp_path=tmp_path_factory.mktemp("production"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def production(settings, production_security):
    for name, value in production_security.items():
        setattr(settings, name, value)
    return settings


def get_secure(client, path, **extra):
    """As the proxy passes an HTTPS request on (SECURE_PROXY_SSL_HEADER)."""
    return client.get(path, secure=True, HTTP_X_FORWARDED_PROTO="https", **extra)


def assert_security_headers(response):
    assert directives(response.headers["Content-Security-Policy"]) == POLICY
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_turns_every_protection_on(production_security):
    assert production_security["SECURE_SSL_REDIRECT"] is True
    assert production_security["SECURE_HSTS_SECONDS"] == 31_536_000
    for cookie in ("SESSION", "CSRF", "LANGUAGE"):
        assert production_security[f"{cookie}_COOKIE_SECURE"] is True
        assert production_security[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert production_security[f"{cookie}_COOKIE_SAMESITE"] == "Lax"


def test_a_staff_page_sends_every_security_header(client, production, agent):
    client.force_login(agent)
    response = get_secure(client, reverse("surveys:agent-queue"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_the_login_page_sends_every_security_header(client, production):
    response = get_secure(client, reverse("login"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_a_survey_page_sends_every_security_header(client, production):
    token, _follow_up = factories.survey_link(survey=factories.skip_logic_survey())
    response = get_secure(client, reverse("public:survey", args=[token]))
    assert response.status_code == 200
    assert_security_headers(response)


def test_the_api_sends_every_security_header(client, production):
    response = get_secure(client, "/api/v1/schema/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_plain_http_is_sent_to_https(client, production):
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_signing_in_sets_secure_httponly_same_site_cookies(client, production, agent):
    login_page = get_secure(client, reverse("login"))
    token = login_page.cookies["csrftoken"]
    assert token["secure"] and token["httponly"] and token["samesite"] == "Lax"

    client.post(
        reverse("login"),
        {"username": agent.username, "password": factories.PASSWORD},
        secure=True,
        HTTP_X_FORWARDED_PROTO="https",
    )
    session = client.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_the_language_cookie_is_secure_httponly_and_same_site(client, production):
    client.post(reverse("set_language"), {"language": "en", "next": "/"}, secure=True, HTTP_X_FORWARDED_PROTO="https")
    language = client.cookies["django_language"]
    assert language["secure"] and language["httponly"] and language["samesite"] == "Lax"


def test_the_survey_preview_alone_may_be_framed_by_the_site(client, manager):
    survey = factories.skip_logic_survey()
    client.force_login(manager)
    response = client.get(reverse("public:preview", args=[survey.pk, "en"]))
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert directives(response.headers["Content-Security-Policy"]) == {**POLICY, "frame-ancestors": "'self'"}
