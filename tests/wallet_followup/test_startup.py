"""A broken environment stops the app with one line naming the problem, never a traceback wall."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x9Qz7Lp2Vw" * 6,
    "ALLOWED_HOSTS": "followup.bank.example",
    "DATABASE_URL": "postgres://followup@db.internal:5432/followup",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SITE_URL": "https://followup.bank.example",
}


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    clean.pop("DEBUG", None)
    clean.pop("SECRET_KEY", None)
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "wallet_followup.settings", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0"}, "configuration error: SECRET_KEY is not set"),
        ({"DEBUG": "perhaps"}, "configuration error: DEBUG='perhaps' is not a boolean"),
        ({**PRODUCTION, "SECRET_KEY": "short"}, "configuration error: SECRET_KEY is too short"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "configuration error: ALLOWED_HOSTS is not set"),
        ({**PRODUCTION, "SITE_URL": "http://followup.bank.example"}, "configuration error: SITE_URL has scheme 'http'"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://db/x"}, "configuration error: DATABASE_URL must point at PostgreSQL"),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense"}, "configuration error: DATABASE_URL could not be read"),
        ({"DEBUG": "1", "REDIS_URL": "http://cache"}, "configuration error: REDIS_URL has scheme 'http'"),
        ({"DEBUG": "1", "EMAIL_PORT": "twenty-five"}, "configuration error: EMAIL_PORT='twenty-five'"),
        ({"DEBUG": "1", "CELERY_DEFAULT_QUEUE": "bank-a"}, "configuration error: CELERY_DEFAULT_QUEUE is no longer"),
    ],
)
def test_a_bad_variable_stops_start_up_with_one_line_naming_it(env, message, tmp_path):
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_reported_in_one_line(tmp_path):
    env = {"DEBUG": "1", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = manage("migrate", env=env, tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("database error:")
    assert "Traceback" not in result.stderr


def test_preflight_names_an_unreachable_broker(tmp_path):
    result = manage("preflight", env={"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:1/0"}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "broker: UNREACHABLE" in result.stderr
    assert "database: ok" in result.stdout


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
