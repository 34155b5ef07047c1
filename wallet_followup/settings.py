"""Settings for every environment, read from environment variables.

DEBUG=1 gives the embedded default (SQLite, a file-system Celery broker, a file cache) so the app
runs on a laptop with no servers. Without DEBUG every secret must be supplied and the security
settings pass `manage.py check --deploy`. Each variable is read through a typed helper in
`wallet_followup.env` that names the variable when its value is wrong.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from wallet_followup.env import BadEnvironment, env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of the embedded default (SQLite file, broker folders, cache, beat schedule).
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-only-used-when-DEBUG-is-on-0123456789")
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise BadEnvironment("SECRET_KEY is too short; use at least 50 random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise BadEnvironment("ALLOWED_HOSTS is not set; list the host names this site answers to.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "accounts",
    "surveys",
    "analytics",
    "imports",
    "integrations",
    "ops",
    "audit",
    "privacy",
    # Staff sign-in (see "Staff sign-in" below): the second factor and the lock-out.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "audit.middleware.RequestContextMiddleware",  # the request's IP and user agent, for the audit log
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sign-in: who passed the second factor, idle sessions ended, the second factor required.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lock-out into the sign-in page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wallet_followup.urls"
WSGI_APPLICATION = "wallet_followup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "surveys.context_processors.bank",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
except Exception as exc:  # dj-database-url raises bare ValueError/KeyError on unknown schemes
    raise BadEnvironment(f"DATABASE_URL could not be read: {exc}") from None
if _database["ENGINE"] not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
    raise BadEnvironment("DATABASE_URL must point at PostgreSQL (postgres://) or SQLite (sqlite://).")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _database["CONN_MAX_AGE"] = 0
    # WAL lets the web, worker and beat processes read while one of them writes.
    _database["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    _database["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    _database.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when configured, else a file cache every local process shares -------------
REDIS_URL = env_url("REDIS_URL", "", schemes={"redis", "rediss"})
if REDIS_URL:
    # Bounded waits: an unreachable Redis fails a cache call in seconds instead of holding the request.
    CACHES = {
        "default": {
            "BACKEND": "wallet_followup.cache.RedisCacheKeepingClients",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Staff sign-in: password, second factor, lock-out, sessions (accounts/) -----------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock-out (django-axes). Failures are counted per username in the database, so every web machine
# sees the same count; the client address plays no part, because behind the proxy every request
# comes from the proxy's address. Wrong second-factor codes count too (accounts/lockout.py).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
# A locked account stays locked for the cool-off after the failure that locked it; tries while
# locked do not push the end further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"  # recorded only; behind TRUSTED_PROXY_COUNT proxies
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged (WARNING)
# axes.W006 asks for the client address among the lock-out keys; behind the proxy that address is the
# proxy's, so it would lock every member of staff at once. The username is the key.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Second factor (django-otp): a TOTP app, or one of ten single-use recovery codes.
OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "Wallet follow-up")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Sessions end when the browser closes, after SESSION_IDLE_SECONDS without a page the person asked
# for, and SESSION_COOKIE_AGE after signing in whatever happens (accounts/middleware.py).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=300)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: every asset is served from here, never from a CDN -------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from the finders but wants the folder
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise BadEnvironment("EMAIL_USE_TLS and EMAIL_USE_SSL are both on; choose one.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wallet-followup@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# With DEBUG and no SMTP server named, mail is printed instead of sent.
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and "EMAIL_HOST" not in os.environ
    else "ops.mail.RecordingEmailBackend"
)

# --- Celery ---------------------------------------------------------------------------------
# The database is the source of truth for what is due; the broker only carries wake-ups, so a
# lost message is re-found by the next dispatcher tick and a redelivered one is a no-op.
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    schemes={"redis", "rediss", "filesystem", "memory"},
)
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_folder = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folder / "queue"),
        "data_folder_out": str(_broker_folder / "queue"),
        "processed_folder": str(_broker_folder / "processed"),
        "control_folder": str(_broker_folder / "control"),  # else kombu writes ./control in the cwd
        "store_processed": False,
    }
else:
    # A task that a dead worker held is redelivered after this many seconds (acks_late).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# Three queues (dispatch, messages, analytics: wallet_followup/queues.py), named with this prefix, so
# deployments (and test runs) sharing one Redis keep apart by it. A worker without -Q consumes all three.
CELERY_QUEUE_PREFIX = env_str("CELERY_QUEUE_PREFIX", "")
if "CELERY_DEFAULT_QUEUE" in os.environ:
    raise BadEnvironment(
        "CELERY_DEFAULT_QUEUE is no longer read: tasks travel on three queues; set CELERY_QUEUE_PREFIX instead."
    )
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_QUEUE_PREFIX}dispatch"
CELERY_TASK_QUEUES = {
    name: {"exchange": name, "routing_key": name}
    for name in (f"{CELERY_QUEUE_PREFIX}{kind}" for kind in ("dispatch", "messages", "analytics"))
}
CELERY_TASK_ROUTES = ("wallet_followup.queues.route_task",)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 5 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 6 * 60, minimum=1)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The dispatcher: how often beat wakes it, how many due follow-ups one claim takes, and after how
# long a claim whose worker died is handed back.
DISPATCH_INTERVAL_SECONDS = env_int("DISPATCH_INTERVAL_SECONDS", 60, minimum=1)
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 500, minimum=1, maximum=10_000)
CLAIM_TIMEOUT_SECONDS = env_int("CLAIM_TIMEOUT_SECONDS", 10 * 60, minimum=30)
# Backpressure: the dispatcher records no more claims while this many wait on the messages queue for a sender
# (each holds up to DISPATCH_BATCH_SIZE messages), so a recorded claim never waits as long as CLAIM_TIMEOUT.
DISPATCH_MAX_WAITING_CLAIMS = env_int("DISPATCH_MAX_WAITING_CLAIMS", 4, minimum=1)

# Where survey links point: the public address of the customer-facing site.
if DEBUG:
    SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes={"http", "https"})
else:
    SITE_URL = env_url("SITE_URL", schemes={"https"})
SITE_URL = SITE_URL.rstrip("/")
# How the bank names itself to customers on the public pages and in messages, and the service number
# printed on its cards (the verification page tells a doubtful customer to call it).
BANK_NAME_ZH = env_str("BANK_NAME_ZH", "示例银行")
BANK_NAME_EN = env_str("BANK_NAME_EN", "Example Bank")
BANK_SERVICE_PHONE = env_str("BANK_SERVICE_PHONE", "95500")
# SMS provider: a dotted path to a backend class (see surveys/messaging.py). Without one in
# production every SMS fails visibly (recorded on the attempt) instead of vanishing.
SMS_BACKEND = env_str(
    "SMS_BACKEND", "surveys.messaging.FileSmsBackend" if DEBUG else "surveys.messaging.NotConfiguredSmsBackend"
)
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms-outbox.jsonl"))

# File imports (imports/): the largest file accepted, and where uploads and error reports are kept.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 100 * 1024 * 1024, minimum=1)
IMPORT_DIR = Path(env_str("IMPORT_DIR", str(VAR_DIR / "imports")))

# How often beat proves it is alive (seconds); the health page flags silence past 3 intervals.
HEARTBEAT_INTERVAL_SECONDS = env_int("HEARTBEAT_INTERVAL_SECONDS", 60, minimum=1)

# --- HTTP API for the bank's systems (integrations/) -------------------------------------------
# Only integration tokens authenticate the API: a staff session never does, so no CSRF applies.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["integrations.authentication.IntegrationTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.IntegrationRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["integrations.parsers.ApiJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wallet follow-up API",
    "DESCRIPTION": "Wallet events, customers, opt-outs and follow-up status for the bank's systems. "
    "Send the integration's token as `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "accounts.models.Channel",
        "BatchResultStatusEnum": "integrations.serializers.BATCH_RESULTS",
        "FollowUpStatusEnum": "surveys.models.FollowUp.Status",
    },
}
# Requests per minute each integration may make; past it the API answers 429 with Retry-After.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600, minimum=1)
# After a token is rotated the old one keeps working this many hours, so the bank can deploy the new one.
API_TOKEN_GRACE_HOURS = env_int("API_TOKEN_GRACE_HOURS", 24, minimum=0, maximum=24 * 30)
# The API call log (integrations.ApiCall) is deleted after this many days (beat, daily).
API_LOG_RETENTION_DAYS = env_int("API_LOG_RETENTION_DAYS", 180, minimum=1)

# --- Personal data retention (privacy/, beat nightly) ---------------------------------------
# A message's link token hash (and its verification code) is cleared this many days after the follow-up's
# link expired; until then the old link still opens the "opted out" page and the code still checks.
LINK_TOKEN_PURGE_AFTER_DAYS = env_int("LINK_TOKEN_PURGE_AFTER_DAYS", 30, minimum=0, maximum=3650)
# Responses older than this lose their personal content (free text, notes); their numbers stay. A year keeps
# year-on-year comparisons and every complaint clock (at most 60 days) well inside the window.
RESPONSE_ANONYMISE_AFTER_DAYS = env_int("RESPONSE_ANONYMISE_AFTER_DAYS", 365, minimum=30, maximum=3650)
# Each retention step works in batches of this many rows, at most this many batches a night.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000, minimum=1, maximum=10_000)
RETENTION_MAX_BATCHES = env_int("RETENTION_MAX_BATCHES", 100, minimum=1)

# --- Security (production; DEBUG relaxes only what a laptop needs) ---------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Cookies: sent over HTTPS only, unreadable by scripts (no script here reads them; htmx posts nothing),
# and not sent on cross-site requests (Lax: a link from an SMS or e-mail still opens a signed-in page).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images and frames from this site only; no inline
# script or style, no eval, no plugins, no framing by other pages, forms post only here. plotly.js draws
# under it (templates/includes/plotly.html): its style rules come from a static file; it also writes empty
# style="" attributes, allowed by the hash of the empty text and nothing else. The managers' survey preview
# is framed by the builder page (surveys.public_views.preview allows frame-ancestors 'self' there).
_empty_text_sha256 = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-hashes'", _empty_text_sha256],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Rate limits on customers' public pages (surveys/public_rate.py) -------------------------
# Counted per client IP (and per link) in the shared cache, per clock minute or hour; past a limit the
# page answers 429 with Retry-After. Customers behind one carrier NAT share an IP: keep these generous.
# Reverse proxies in front of the app that append to X-Forwarded-For (0: the client is REMOTE_ADDR); the
# rate limits and the audit log's addresses both read the client's address this way.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
SURVEY_RATE_PER_IP_PER_MINUTE = env_int("SURVEY_RATE_PER_IP_PER_MINUTE", 120, minimum=1)
SURVEY_RATE_PER_LINK_PER_MINUTE = env_int("SURVEY_RATE_PER_LINK_PER_MINUTE", 60, minimum=1)
SURVEY_BAD_LINKS_PER_IP_PER_HOUR = env_int("SURVEY_BAD_LINKS_PER_IP_PER_HOUR", 20, minimum=1)
VERIFY_RATE_PER_IP_PER_MINUTE = env_int("VERIFY_RATE_PER_IP_PER_MINUTE", 10, minimum=1)
VERIFY_MISSES_PER_IP_PER_HOUR = env_int("VERIFY_MISSES_PER_IP_PER_HOUR", 20, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
