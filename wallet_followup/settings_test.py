"""Settings for the test suite: the real settings module, run as a developer's machine runs it.

Tests use the embedded default unless DATABASE_URL / REDIS_URL point at real servers (CI sets both).
The only differences are speed (a fast password hasher) and an isolated runtime folder.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("VAR_DIR", os.path.join(tempfile.gettempdir(), f"wallet-followup-tests-{os.getpid()}"))

from wallet_followup.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
