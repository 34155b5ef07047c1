"""Settings for the HTTP benchmarks: the real project, with bench/benchurls.py adding a trivial view.

DJANGO_SETTINGS_MODULE=bench.benchsite gunicorn wallet_followup.wsgi
"""

from wallet_followup.settings import *  # noqa: F403

ROOT_URLCONF = "bench.benchurls"
