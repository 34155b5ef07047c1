"""Fail fast, in one line, when the environment is wrong.

Entry points (manage.py, wsgi, the Celery app) call `load_settings_or_exit()` so a bad variable
prints "configuration error: DATABASE_URL ..." and exits non-zero instead of a traceback wall.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ImproperlyConfigured


def load_settings_or_exit() -> None:
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting evaluates the whole module
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        raise SystemExit(2) from None
