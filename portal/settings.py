"""Settings for the Vobiz Team Portal, read from the environment (or `.env`).

One file for every environment: production values come from the environment, and
the quick start writes a `.env` with generated secrets (see `make demo`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from sync.registry import beat_schedule as sync_beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# The test settings skip .env: a developer's quick-start values must not leak in.
if not os.environ.get("PORTAL_IGNORE_DOTENV"):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _bool(name: str, default: bool) -> bool:
    """Read a boolean; an empty value (as in .env.example) means the default."""
    return env.bool(name, default=default) if env.str(name, default="") else default


def _int(name: str, default: int) -> int:
    """Read an integer; an empty value means the default."""
    return env.int(name, default=default) if env.str(name, default="") else default


DEBUG = _bool("DEBUG", False)


def _required(name: str) -> str:
    """Return a required setting, or stop start-up with an error naming it."""
    value: str = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it in the environment or in .env "
            "(`make demo` writes a .env with generated values)."
        )
    return value


if DEBUG:
    # A developer box may run without a configured key; sessions then simply do
    # not survive a restart. Production (DEBUG off) must configure one.
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = env.str("SECRET_KEY", default="") or get_random_secret_key()
else:
    SECRET_KEY = _required("SECRET_KEY")

# Comma-separated Fernet keys: the first encrypts, every key decrypts.
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in _required("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()
]

ALLOWED_HOSTS = [h for h in env.list("ALLOWED_HOSTS", default=[]) if h] or [
    "127.0.0.1",
    "localhost",
]
CSRF_TRUSTED_ORIGINS = [o for o in env.list("CSRF_TRUSTED_ORIGINS", default=[]) if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "template_partials",
    "django_filters",
    "csp",
    "core",
    "sync",
    "portal",
    "accounts",
    "trunks",
    "phone_numbers",
    "billing",
    "monitoring",
    "credentials",
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.security.SessionLimitsMiddleware",
    "accounts.security.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into our own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "monitoring.context_processors.notifications",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASE_URL = (
    env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
)
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The quick start runs the web server and a worker on one SQLite file: WAL and
    # immediate transactions make them wait for each other instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", _int("DB_CONN_MAX_AGE", 60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": (env.str("CACHE_KEY_PREFIX", default="") or "portal"),
        }
    }
else:
    # Files under var/, not process memory: the web server, the worker and beat
    # must share the breaker, the sync leases and a running sync's progress.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": (env.str("CACHE_KEY_PREFIX", default="") or "portal"),
            # Above 300 entries Django would cull a third of them at random,
            # leases and breaker state included.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Counts failures and refuses locked-out (username, IP) pairs before the
    # password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout: 5 failures for one username from one IP lock that pair for 15 min.
AXES_FAILURE_LIMIT = _int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.security.login_username"
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_VERBOSE = False
# Absolute session lifetime, whatever the activity (the idle limit is below).
SESSION_ABSOLUTE_SECONDS = _int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
OTP_TOTP_ISSUER = "Vobiz Team Portal"
# Admins cannot use the portal until they have set up a second factor.
OTP_REQUIRED_FOR_ADMINS = _bool("OTP_REQUIRED_FOR_ADMINS", True)
_PV = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_PV}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_PV}.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": f"{_PV}.CommonPasswordValidator"},
    {"NAME": f"{_PV}.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
# A set-password link stays valid for three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Sessions: 30 minutes idle (refreshed on each request).
SESSION_COOKIE_AGE = _int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

SECURE = _bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
# Probes and Prometheus scrape over the internal network, often without TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _bool("BEHIND_PROXY", False) else None
)
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    }
}

# Vobiz
VOBIZ_BASE_URL = env.str("VOBIZ_BASE_URL", default="") or "https://api.vobiz.ai/api/v1"
VOBIZ_CA_BUNDLE = env.str("VOBIZ_CA_BUNDLE", default="") or None
# Circuit breaker: this many consecutive failures open it for this long (doubling
# on each failed trial, capped at 10 minutes).
VOBIZ_BREAKER_FAILURES = _int("VOBIZ_BREAKER_FAILURES", 5)
VOBIZ_BREAKER_OPEN_SECONDS = _int("VOBIZ_BREAKER_OPEN_SECONDS", 30)

# Celery: Redis when configured, else kombu's filesystem transport under var/.
BROKER_DIR = VAR_DIR / "broker"
# A task not acknowledged within the visibility timeout (a killed worker's) is
# delivered again, so every task's hard time limit must stay below it.
CELERY_VISIBILITY_TIMEOUT = _int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_TASK_TIME_LIMIT = _int("CELERY_TASK_TIME_LIMIT", 30 * 60)
if CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must be below CELERY_VISIBILITY_TIMEOUT."
    )
CELERY_TASK_SOFT_TIME_LIMIT = int(CELERY_TASK_TIME_LIMIT * 0.9)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Look for overdue unacknowledged tasks every 10 s instead of kombu's
        # every 10th sweep (~100 s): a killed worker's task comes back within
        # 10 s of its visibility timeout. One small Redis query per sweep.
        "unacked_restore_throttle": 1,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Where kombu keeps exchange state; it defaults to ./control otherwise.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or "portal@localhost"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env.str("EMAIL_HOST", default="") or "localhost"
EMAIL_PORT = _int("EMAIL_PORT", 25)

# Where links in e-mails and one-time set-password links point.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="") or "http://127.0.0.1:8000"

LOG_LEVEL = env.str("LOG_LEVEL", default="") or "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "formatters": {"json": {"()": "core.request_id.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # One line per Vobiz API attempt; WARNING keeps only the failures.
        "vobiz": {"level": (env.str("VOBIZ_LOG_LEVEL", default="") or LOG_LEVEL)},
    },
}

# Call detail record sync.
CDR_INITIAL_DAYS = _int("CDR_INITIAL_DAYS", 30)
CDR_LATE_DAYS = 2
CDR_EXPORT_THRESHOLD_DAYS = _int("CDR_EXPORT_THRESHOLD_DAYS", 7)
CDR_CHUNK_ROWS = _int("CDR_CHUNK_ROWS", 5000)
# One CDR task works at most this long, then queues the rest (well below the
# soft time limit).
CDR_SYNC_BUDGET_SECONDS = _int(
    "CDR_SYNC_BUDGET_SECONDS", CELERY_TASK_SOFT_TIME_LIMIT // 3
)
# A sync's lease; renewed while it works, so a killed run frees it quickly.
SYNC_LEASE_SECONDS = _int("SYNC_LEASE_SECONDS", 120)
# First retry of a failed sync after this many seconds, doubling each time.
SYNC_RETRY_BASE_SECONDS = _int("SYNC_RETRY_BASE_SECONDS", 30)

# SIP trunks: a trunk's SIP password is due for rotation this many days after it
# was set; reminders go out 14, 7 and 1 days before, then daily (the policy table
# in core.rotation; sent by credentials.services.reminders).
TRUNK_PASSWORD_ROTATION_DAYS = _int("TRUNK_PASSWORD_ROTATION_DAYS", 90)

# Monitoring and alerts.
# Bearer token that /metrics requires; empty turns /metrics off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Days of API call log kept; older rows are deleted daily, in batches.
API_CALL_RETENTION_DAYS = _int("API_CALL_RETENTION_DAYS", 30)
# Days of notifications, sent or failed alert deliveries and synthetic-call results
# kept; alerts themselves are kept for good.
MONITORING_HISTORY_DAYS = _int("MONITORING_HISTORY_DAYS", 90)
# Let alert webhooks call private and loopback addresses (tests, closed networks).
ALERT_WEBHOOK_ALLOW_PRIVATE = _bool("ALERT_WEBHOOK_ALLOW_PRIVATE", False)
# A CA file to trust for alert webhooks (empty: the system's CAs).
ALERT_WEBHOOK_CA_BUNDLE = env.str("ALERT_WEBHOOK_CA_BUNDLE", default="")
# The synthetic test call: from one of our numbers to a test line; empty: off.
SYNTHETIC_CALL_FROM = env.str("SYNTHETIC_CALL_FROM", default="")
SYNTHETIC_CALL_TO = env.str("SYNTHETIC_CALL_TO", default="")
# Where Vobiz fetches the answer XML; empty: the portal's own hang-up document.
SYNTHETIC_CALL_ANSWER_URL = env.str("SYNTHETIC_CALL_ANSWER_URL", default="")

# Phone numbers.
# Calls per number per day above which a number is flagged (Vobiz: 500–600 a day
# for cold traffic).
NUMBER_UTILIZATION_LIMIT = _int("NUMBER_UTILIZATION_LIMIT", 600)
# Approved number requests that stopped moving (a lost task) are queued again.
# How long one worker holds a number being bought before another may take it
# over (a killed worker's purchase resumes after this): above one purchase call
# with the client's retries and look-ups.
NUMBER_PURCHASE_LEASE_SECONDS = _int("NUMBER_PURCHASE_LEASE_SECONDS", 300)

# Credentials: rotation periods (days) and the webhook secret overlap window.
AUTH_TOKEN_ROTATION_DAYS = _int("AUTH_TOKEN_ROTATION_DAYS", 90)
CONSOLE_PASSWORD_ROTATION_DAYS = _int("CONSOLE_PASSWORD_ROTATION_DAYS", 90)
WEBHOOK_SECRET_ROTATION_DAYS = _int("WEBHOOK_SECRET_ROTATION_DAYS", 180)
ENCRYPTION_KEY_MAX_AGE_DAYS = _int("ENCRYPTION_KEY_MAX_AGE_DAYS", 365)
# After a webhook secret is rotated the old one still signs for this many hours.
WEBHOOK_SECRET_OVERLAP_HOURS = _int("WEBHOOK_SECRET_OVERLAP_HOURS", 24)

# Periodic work: every sync kind from its registry entry, then the rest.
_DAILY = 24 * 3600.0
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    **sync_beat_schedule(),
    "credential-reminders": {
        "task": "credentials.tasks.rotation_reminders_send",
        "schedule": _DAILY,
    },
    "number-requests-resume": {
        "task": "phone_numbers.tasks.number_requests_resume",
        "schedule": 5 * 60.0,
    },
    "alerts-evaluate": {"task": "monitoring.tasks.alerts_evaluate", "schedule": 60.0},
    "alert-deliveries-retry": {
        "task": "monitoring.tasks.deliveries_retry",
        "schedule": 60.0,
    },
    "api-calls-prune": {"task": "monitoring.tasks.apicalls_prune", "schedule": _DAILY},
    "history-prune": {"task": "monitoring.tasks.history_prune", "schedule": _DAILY},
    "synthetic-call": {
        "task": "monitoring.tasks.synthetic_call",
        "schedule": 15 * 60.0,
    },
}
