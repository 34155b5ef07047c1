import os

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests import factories
from tests.browser import page  # noqa: F401  (every browser test fails on a Content-Security-Policy violation)

# live_server sets up its database from a thread that Django would otherwise refuse to use.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    """In CI the suite must run on the real services; it fails rather than quietly using the defaults."""
    if os.environ.get("CI"):
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.exit("CI runs the tests on PostgreSQL: set DATABASE_URL=postgres://…", returncode=1)
        if not os.environ.get("REDIS_URL", "").startswith("redis"):
            pytest.exit("CI runs the tests with Redis: set REDIS_URL=redis://…", returncode=1)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser; quiet on a closed network."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def patient_browser_expectations():
    """The machine is shared: under a neighbour's load, parsing plotly.js and drawing a chart has taken
    longer than Playwright's default 5 s. What a person sees is still asserted; only the wait is longer."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # pragma: no cover - playwright is in requirements/dev.txt
        return
    expect.set_options(timeout=15_000)


_django_force_login = Client.force_login


def force_login_with_second_factor(self, user, backend=None):
    """Tests sign in with `client.force_login(user)`, which skips the password; in this app a staff
    session is complete only after the second factor too. So here it also passes that step as the code
    page does (two_factor_verify → django_otp.login): with the user's own confirmed authenticator device,
    whose id goes into the session. The sign-in pages themselves are tested in tests/accounts/."""
    _django_force_login(self, user, backend)
    device = factories.authenticator_of(user)
    session = self.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)


# Personas: Alice works the phones, Maggie runs campaigns, Adam administers the system.
@pytest.fixture
def agent(db):
    return factories.UserFactory(username="alice", first_name="Alice", roles=["agent"])


@pytest.fixture
def bob(db):
    """Another agent: Alice must not see or change his calls and cases."""
    return factories.UserFactory(username="bob", first_name="Bob", roles=["agent"])


@pytest.fixture
def manager(db):
    return factories.UserFactory(username="maggie", first_name="Maggie", roles=["manager"])


@pytest.fixture
def administrator(db):
    return factories.UserFactory(username="adam", first_name="Adam", roles=["admin"], is_staff=True)


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(name="王芳", phone="+8613800138000", language="zh-hans")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A bank workstation in China: the browser asks for Chinese first.
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture(autouse=True)
def _forget_process_caches():
    """What the app caches per process (message texts, concern words, published surveys and launched
    campaigns, rendered question forms) is keyed by ids, which a rolled-back test database reuses."""
    from surveys import answering, freetext, links, messaging, public_forms, public_views, tasks

    def forget():
        tasks.forget_event_planning_request()
        messaging.forget_edited_wordings()
        freetext.lexicon_changed()
        answering.forget_cached_questions()
        links.forget_cached_campaigns()
        public_forms.forget_rendered_forms()
        public_views.forget_rendered_screens()

    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def _own_rate_counters(monkeypatch):
    """The public pages' rate counters of this test alone: the Redis cache outlives the test database and
    is shared by test runs, and every test client comes from 127.0.0.1."""
    import uuid

    from surveys import public_rate

    monkeypatch.setattr(public_rate, "KEY_PREFIX", f"rate-test-{uuid.uuid4().hex}")


@pytest.fixture
def role_groups():
    """Live-server tests flush the database after each test, role groups included; put them back."""
    from django.apps import apps as django_apps

    from accounts.roles import sync_role_groups

    sync_role_groups(django_apps)
