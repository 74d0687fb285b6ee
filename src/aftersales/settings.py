"""Django settings. Every knob an operator may turn comes from an AFTERSALES_* variable
(see config.py)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from aftersales import config

PACKAGE_DIR = Path(__file__).resolve().parent
ENV = config.load()
DATA_DIR = ENV.data_dir

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = ENV.debug
ALLOWED_HOSTS = config.allowed_hosts()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "ninja",
    "huey.contrib.djhuey",
    "aftersales.core",
    "aftersales.accounts",
    "aftersales.network",
    "aftersales.catalog",
    "aftersales.customers",
    "aftersales.warranty",
    "aftersales.cases",
    "aftersales.notifications",
    "aftersales.sla",
    "aftersales.inventory",
    "aftersales.workorders",
    "aftersales.billing",
    "aftersales.returns",
    "aftersales.claims",
    "aftersales.web",
    "aftersales.portal",
]

MIDDLEWARE = [
    "aftersales.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "aftersales.core.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftersales.web.context.navigation",
            ],
        },
    },
]


def _database() -> dict:
    if ENV.database_url:
        db = dj_database_url.parse(ENV.database_url, conn_max_age=60, conn_health_checks=True)
        if db["ENGINE"] == "django.db.backends.postgresql":
            # Django's backend plus a cursor that lets the server prepare the statements
            # every request runs (aftersales.core.postgresql, ADR 0009). Off for a pooler
            # that cannot keep prepared statements (PgBouncer in transaction mode < 1.21).
            db["ENGINE"] = "aftersales.core.postgresql"
            options = db.setdefault("OPTIONS", {})
            options["connect_timeout"] = 5
            prepared = config.env_bool("AFTERSALES_DATABASE_PREPARED", True)
            options["prepare_threshold"] = 5 if prepared else None
        return db
    return {
        "ENGINE": "aftersales.core.sqlite",
        "NAME": str(DATA_DIR / "aftersales.sqlite3"),
        # Kept open across requests: opening costs the pragmas below, and closing the last
        # connection to a WAL database checkpoints and deletes the WAL file (milliseconds).
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue on the busy timeout instead of failing mid-way.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000; "
                "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
            "KEY_PREFIX": "aftersales",
        }
    }
else:
    # Shared by every process of the installation (a per-process memory cache would let each
    # web worker keep its own rate-limit counters).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "aftersales_cache",
        }
    }

HUEY = {
    "name": "aftersales",
    "immediate": False,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if ENV.redis_url:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": ENV.redis_url})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config.env_bool("AFTERSALES_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

MAX_REQUEST_BODY_BYTES = config.env_int("AFTERSALES_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("AFTERSALES_TIME_ZONE", "UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        "AFTERSALES_TIME_ZONE must be an IANA time zone such as Europe/Madrid; "
        f"it is {TIME_ZONE!r}."
    ) from None

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Files are served from the installed package by WhiteNoise: no collectstatic step at start-up.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"

RATELIMIT_VIEW = "aftersales.core.errors.rate_limited_view"
# Limits, as "count/period" (s, m, h, d).
TRACK_FAILURE_RATE = os.environ.get("AFTERSALES_TRACK_FAILURE_RATE", "10/m")
LOGIN_FAILURE_RATE = os.environ.get("AFTERSALES_LOGIN_FAILURE_RATE", "10/m")

EMAIL_BACKEND = os.environ.get(
    "AFTERSALES_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("AFTERSALES_SMTP_HOST", "localhost")
EMAIL_PORT = config.env_int("AFTERSALES_SMTP_PORT", 25)
EMAIL_TIMEOUT = config.env_int("AFTERSALES_SMTP_TIMEOUT", 30, minimum=1)
SMS_BACKEND = os.environ.get(
    "AFTERSALES_SMS_BACKEND", "aftersales.notifications.channels.WebhookSmsBackend"
)
SMS_WEBHOOK_URL = config.env_url("AFTERSALES_SMS_WEBHOOK_URL", ("http", "https")) or ""
OUTBOX_LEASE_SECONDS = config.env_int("AFTERSALES_OUTBOX_LEASE_SECONDS", 300, minimum=60)
OUTBOX_SWEEP_BATCH = config.env_int("AFTERSALES_OUTBOX_SWEEP_BATCH", 200, minimum=1)
# A new job on a unit repaired within this many days is flagged as a repeat repair.
WORKORDER_REPEAT_DAYS = config.env_int("AFTERSALES_REPEAT_REPAIR_DAYS", 90, minimum=1)
# A defective part consumed under warranty is due back at the central warehouse within this.
INVENTORY_DEFECTIVE_RETURN_DAYS = config.env_int("AFTERSALES_DEFECTIVE_RETURN_DAYS", 30, minimum=1)
# Warranty claims: how long after completion a partner may claim, how far back a claim for
# the same serial and fault counts as a duplicate, the risk at or above which a claim that
# passes every rule still goes to a reviewer, and the random share of each audit sample.
CLAIM_SUBMISSION_DAYS = config.env_int("AFTERSALES_CLAIM_SUBMISSION_DAYS", 30, minimum=1)
CLAIM_DUPLICATE_DAYS = config.env_int("AFTERSALES_CLAIM_DUPLICATE_DAYS", 90, minimum=1)
CLAIM_REVIEW_THRESHOLD = config.env_int("AFTERSALES_CLAIM_REVIEW_THRESHOLD", 50, minimum=1)
CLAIM_PEER_WINDOW_DAYS = config.env_int("AFTERSALES_CLAIM_PEER_WINDOW_DAYS", 365, minimum=30)
CLAIM_AUDIT_RANDOM_PERCENT = config.env_int("AFTERSALES_CLAIM_AUDIT_RANDOM_PERCENT", 30, minimum=0)
DEFAULT_FROM_EMAIL = os.environ.get("AFTERSALES_FROM_EMAIL", "service@aftersales.invalid")

# Countries whose national phone numbers agents type without a +code, e.g. "ES,PT".
PHONE_REGIONS = [
    c.strip().upper()
    for c in os.environ.get("AFTERSALES_PHONE_REGIONS", "").split(",")
    if c.strip()
]
if any(len(c) != 2 or not c.isalpha() for c in PHONE_REGIONS):
    raise ImproperlyConfigured(
        "AFTERSALES_PHONE_REGIONS must be two-letter country codes separated by commas."
    )

BRAND_NAME = os.environ.get("AFTERSALES_BRAND_NAME", "Aftersales")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"aftersales": {"level": "INFO"}},
}
