"""Opinia settings, read from the environment.

Every value that differs between a laptop, CI and production comes from an environment
variable read through one of the small helpers below, which fail loudly on a bad value
instead of guessing. Every rule number of the product specification is an `OPINIA_*`
setting with the specification's default.
"""

import os
import zoneinfo
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import dj_database_url
import django.conf.locale
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal import observability

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPINIA_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} is below its minimum of {minimum}.")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a time zone name like Europe/Moscow.") from None
    return value


def env_daily_hours(name: str, default: str) -> list[tuple[dt_time, dt_time]]:
    """Intervals of a day as "HH:MM-HH:MM[,HH:MM-HH:MM]"; an empty value means never open."""
    raw = os.environ.get(name)
    raw = default if raw is None else raw
    intervals = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            opens, closes = (dt_time.fromisoformat(t.strip()) for t in part.split("-"))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: write intervals as 07:00-01:00, separated by commas."
            ) from None
        if opens == closes:
            raise ImproperlyConfigured(f"{name}={raw!r}: an interval must not be empty.")
        intervals.append((opens, closes))
    return intervals


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("OPINIA_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development and tests only: never reachable with DEBUG off.
    SECRET_KEY = "opinia-development-only-key-not-for-production-use-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "portal.apps.PortalConfig",
    "messaging.apps.MessagingConfig",
    "feedback.apps.FeedbackConfig",
    "disputes.apps.DisputesConfig",
    "webhooks.apps.WebhooksConfig",
    "api.apps.ApiConfig",
    "trust.apps.TrustConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    # django-ninja's own static files: the API's docs page serves Swagger UI from here, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    "portal.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.replica.ReadYourWritesMiddleware",
    "portal.middleware.QueryStringMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The public read API's kept answers, for requests without cookies (`api.public_reads`).
    "api.public_reads.PublicReadsMiddleware",
    # Sessions, signing in, preferences and messages are the site's: a keyed API request
    # without cookies passes them untouched (`portal.middleware.keyed_api_request`).
    "portal.middleware.SiteSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portal.middleware.SiteAuthenticationMiddleware",
    "portal.middleware.UserPreferencesMiddleware",
    "portal.middleware.SiteMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
# A refused over-long text is shown again only up to its field's limit plus a margin.
FORM_RENDERER = "portal.form_rendering.BoundedValueRenderer"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# Databases: PostgreSQL in production and CI, an SQLite file under var/ as the zero-setup default.
# Connections persist for DB_CONN_MAX_AGE seconds (each web thread keeps its own), and a
# persistent connection is checked before a request reuses it, so a database restart costs
# one reconnect instead of one failed request per thread.
DATABASE_URL = env_str("DATABASE_URL")
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
# The alias public read-only pages read from (portal/replica.py); empty: everything reads the primary.
OPINIA_READ_REPLICA = ""
# After a write, the writer's browser reads from the primary for this long (read-your-writes),
# which must cover the replica's usual lag.
OPINIA_REPLICA_PIN_SECONDS = env_int("OPINIA_REPLICA_PIN_SECONDS", 10, minimum=1)


# The statements bound by the server (`portal.db.bound_cursor`: the navigation counters, an
# inbox's rows, the order ingest) are prepared after this many runs on a connection, so that
# PostgreSQL stops planning them on every page; Django's own (client-bound) queries never are.
# 0 turns it off: needed behind a transaction-pooling PgBouncer older than 1.22.
DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 5, minimum=0)


def database_from_url(url: str, variable: str) -> dict[str, Any]:
    try:
        database: dict[str, Any] = dict(
            dj_database_url.parse(
                url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if TESTING else 60), conn_health_checks=True
            )
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable} is not a usable database URL: {error}") from None
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {})["prepare_threshold"] = DB_PREPARE_THRESHOLD or None
    return database


if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL, "DATABASE_URL")}
    if DATABASE_REPLICA_URL:
        DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL, "DATABASE_REPLICA_URL")
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
        OPINIA_READ_REPLICA = "replica"
    elif TESTING:
        # Tests of the replica router read through a second alias that mirrors the test database;
        # the router leaves it unused unless a test turns OPINIA_READ_REPLICA on.
        DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
elif DATABASE_REPLICA_URL:
    raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL: the SQLite default has no replica.")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "opinia.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) exist for PostgreSQL; on the zero-setup SQLite file they are plain
# indexes, which is fine for demo data, so the warning saying so is noise there.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

# Redis: broker and cache. Without it, a local-memory cache and kombu's filesystem transport.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES: dict[str, Any] = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if TESTING:
    # Each test process keeps its own cache, so rate-limit counters never leak between tests.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "portal.User"
# Django's and allauth's backends, reading the signed-in user by one fixed statement (portal.auth).
AUTHENTICATION_BACKENDS = [
    "portal.auth.ModelBackend",
    "portal.auth.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

# django-allauth: e-mail login, verification mandatory outside DEBUG, its rate limits on.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_SIGNUP_FORM_CLASS = "portal.forms.SignupExtraForm"
ACCOUNT_ADAPTER = "portal.adapter.AccountAdapter"
# "key" of login_failed is the account *and* the client address (portal/adapter.py): a
# stranger's wrong passwords stop the stranger, never the account's owner.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG or TESTING else "https"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pl", _("Polish")),
    ("zh-hans", _("Simplified Chinese")),
    ("ko", _("Korean")),
    ("gu", _("Gujarati")),
]
# Django ships no Gujarati locale; describe it so language menus and `get_language_info` know it.
django.conf.locale.LANG_INFO["gu"] = {"bidi": False, "code": "gu", "name": "Gujarati", "name_local": "ગુજરાતી"}
# Project catalogues first; `portal/vendor_locale/` holds Gujarati for allauth and Django, which ship none.
LOCALE_PATHS = [BASE_DIR / "portal" / "locale", BASE_DIR / "portal" / "vendor_locale"]
# `make messages` extracts one app at a time (its code and its folder under templates/) into
# that app's own catalogue: makemessages writes template strings to the first locale path.
if env_str("OPINIA_EXTRACT_APP"):
    LOCALE_PATHS = [BASE_DIR / env_str("OPINIA_EXTRACT_APP") / "locale"]
USE_I18N = True
# The portal's own date formats come first: Django ships none for Gujarati, and its English ones
# end in "a.m." (a double full stop at the end of a sentence). See portal/formats/__init__.py.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never routed: every photo goes through the permission-checked view

# Storage: local files by default, S3-compatible through django-storages when a bucket is set.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail and SMS: console backends by default, pluggable.
EMAIL_BACKEND_DEFAULT = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.smtp.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": env_str("EMAIL_BACKEND", EMAIL_BACKEND_DEFAULT),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": env_str("EMAIL_HOST"),
                "port": env_int("EMAIL_PORT", 0),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
            }.items()
            if value
        }
        if env_str("EMAIL_BACKEND", EMAIL_BACKEND_DEFAULT).endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Opinia <no-reply@opinia.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env_str("SMS_BACKEND", "portal.sms.ConsoleBackend")

# Security: Django's built-in CSP, secure cookies and HSTS outside DEBUG.
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SESSION_COOKIE_HTTPONLY = True
# With Redis, sessions are read from the cache and written through to the database: a signed-in
# page costs no session query, and a lost cache entry is read again from the table. Nothing
# deletes session rows behind the backend's back (logout and flush go through it). Without
# Redis the cache is each process's own memory, where a session ended in one process would live
# on in another: the database alone then (a test process is one process, and its cache its own).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL or TESTING else "django.contrib.sessions.backends.db"
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG or TESTING else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG and not TESTING
SECURE_HSTS_PRELOAD = not DEBUG and not TESTING
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe the health check over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# allauth's rate limits count per client address. Behind the proxy REMOTE_ADDR is the proxy's
# own, shared by every visitor; the client is the X-Forwarded-For entry our proxies appended
# (the one proxy by default), or a header the proxy sets, such as X-Real-IP. Never trusted
# without a proxy: a client could write any address there.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER") or None

# Request bodies. The text of a form (everything but its files) is capped at what the
# largest form needs: a review of several items at 1,000 characters, or a 3,000-character
# complaint, at four bytes a character and percent-encoded, stays far below 256 KiB. A bigger
# body is refused before it is parsed, with a page that says why (portal.views.bad_request).
# Photos do not count against it: each is checked against OPINIA_PHOTO_MAX_BYTES, and files
# above FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# Celery: Redis in production and CI; kombu's filesystem transport under var/ otherwise.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL == "filesystem://":
    broker_dir = VAR_DIR / "broker"
    for sub in ("in", "processed", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "in"),
        "data_folder_out": str(broker_dir / "in"),
        "processed_folder": str(broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(broker_dir / "control"),
    }
else:
    # A task not acknowledged within an hour is redelivered; sweeps are idempotent (rule 6).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# One queue per kind of work (portal/queues.py); tasks not routed there use Celery's default queue.
CELERY_TASK_ROUTES = ["portal.queues.route_task"]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# The worker logs through LOGGING below (JSON lines with the task's request id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The beat schedule is not listed here: each app registers its sweeps, with their schedules,
# in `AppConfig.ready()` (`portal/deadlines.py`), and `portal/celery.py` builds beat's schedule
# from that one list.

# Logs: plain lines for a terminal, JSON lines (`LOG_FORMAT=json`) for a log collector; every
# line carries the request id (X-Request-ID), also in the worker's task logs.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
try:
    LOGGING = observability.logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

# Errors of the web processes and the worker go to Sentry when a DSN is set.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    observability.sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        release=env_str("SENTRY_RELEASE"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )

# bench/pages_vs_bare.py's yardstick page (feedback/bare_page.py); never set in production.
OPINIA_BENCH_BARE_PAGE = env_bool("OPINIA_BENCH_BARE_PAGE", False)

# --- Product rules (SPEC). An order is judged by the rules in force when it completed, so
# services copy these into due-date columns at the moment a clock starts.
OPINIA_AUTO_CONFIRM_DAYS = env_int("OPINIA_AUTO_CONFIRM_DAYS", 60)
OPINIA_AUTO_CONFIRM_REMINDER_DAYS = env_int("OPINIA_AUTO_CONFIRM_REMINDER_DAYS", 5)
OPINIA_FEEDBACK_WINDOW_DAYS = env_int("OPINIA_FEEDBACK_WINDOW_DAYS", 45)
OPINIA_FEEDBACK_REMINDER_DAYS = env_int("OPINIA_FEEDBACK_REMINDER_DAYS", 5)
OPINIA_AUTOMATIC_RATING_STARS = env_int("OPINIA_AUTOMATIC_RATING_STARS", 4)
OPINIA_ADDITIONAL_REVIEW_DAYS = env_int("OPINIA_ADDITIONAL_REVIEW_DAYS", 150)
OPINIA_REVISION_REQUEST_DAYS = env_int("OPINIA_REVISION_REQUEST_DAYS", 30)
OPINIA_REVISION_ANSWER_DAYS = env_int("OPINIA_REVISION_ANSWER_DAYS", 10)
OPINIA_REPORT_DAYS = env_int("OPINIA_REPORT_DAYS", 30)
OPINIA_SCORE_WINDOW_DAYS = env_int("OPINIA_SCORE_WINDOW_DAYS", 180)
OPINIA_SCORE_MERGE_DAYS = env_int("OPINIA_SCORE_MERGE_DAYS", 10)
OPINIA_REVIEW_TEXT_MAX = env_int("OPINIA_REVIEW_TEXT_MAX", 1000)
OPINIA_MESSAGE_TEXT_MAX = env_int("OPINIA_MESSAGE_TEXT_MAX", 2000)
OPINIA_PHOTOS_PER_ITEM = env_int("OPINIA_PHOTOS_PER_ITEM", 5)
# Photos of one product's listing (public; the first leads the product page and is sold with it).
OPINIA_PRODUCT_PHOTOS_MAX = env_int("OPINIA_PRODUCT_PHOTOS_MAX", 8)
OPINIA_PHOTO_MAX_BYTES = env_int("OPINIA_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
OPINIA_PHOTO_MAX_PIXELS = env_int("OPINIA_PHOTO_MAX_PIXELS", 50_000_000)
OPINIA_PHOTO_MAX_SIDE = env_int("OPINIA_PHOTO_MAX_SIDE", 4096)
OPINIA_THUMBNAIL_SIDE = env_int("OPINIA_THUMBNAIL_SIDE", 320)
OPINIA_AUTO_REPLY_INTERVAL_HOURS = env_int("OPINIA_AUTO_REPLY_INTERVAL_HOURS", 12)
# Platform support's published hours: the same intervals every day ("07:00-01:00", several
# separated by commas; a closing time not after the opening runs into the next day), in
# support's own zone (seed 000: 07:00 to 01:00 Moscow time).
OPINIA_SUPPORT_TIME_ZONE = env_time_zone("OPINIA_SUPPORT_TIME_ZONE", "Europe/Moscow")
OPINIA_SUPPORT_HOURS = env_daily_hours("OPINIA_SUPPORT_HOURS", "07:00-01:00")
OPINIA_RESPONSE_WINDOW_HOURS = env_int("OPINIA_RESPONSE_WINDOW_HOURS", 24)
OPINIA_RESPONSE_STATS_DAYS = env_int("OPINIA_RESPONSE_STATS_DAYS", 30)
OPINIA_UNREAD_EMAIL_DELAY_MINUTES = env_int("OPINIA_UNREAD_EMAIL_DELAY_MINUTES", 10)
OPINIA_MESSAGES_PER_MINUTE = env_int("OPINIA_MESSAGES_PER_MINUTE", 20)
OPINIA_CONVERSATIONS_PER_HOUR = env_int("OPINIA_CONVERSATIONS_PER_HOUR", 10)
OPINIA_HANDLING_DAYS = env_int("OPINIA_HANDLING_DAYS", 7)
# The carriers a store may ship with (portal/carriers.py): code → display name, the tracking
# page (`{number}` is replaced by the tracking number) and the pattern a tracking number must
# match once spaces are removed and letters upper-cased. Kept in code, not in the
# environment: a deployment that adds a carrier adds it here, reviewed like any rule.
OPINIA_CARRIERS: dict[str, dict[str, str]] = {
    "cainiao": {
        "name": "Cainiao",
        "tracking_url": "https://global.cainiao.com/newDetail.htm?mailNoList={number}",
        # Cainiao's own LP numbers, or a UPU S10 number it carries for a postal operator.
        "pattern": r"LP\d{11,14}(CN)?|[A-Z]{2}\d{9}[A-Z]{2}",
    },
    "china-post": {
        "name": "China Post / EMS",
        "tracking_url": "https://www.ems.com.cn/english-main/tracking?mailNum={number}",
        "pattern": r"[A-Z]{2}\d{9}CN",
    },
    "dhl": {
        "name": "DHL Express",
        "tracking_url": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
        "pattern": r"\d{10}|JJD\d{18}|[A-Z]{3}\d{7}",
    },
    "ups": {
        "name": "UPS",
        "tracking_url": "https://www.ups.com/track?tracknum={number}",
        "pattern": r"1Z[0-9A-Z]{16}",
    },
    "fedex": {
        "name": "FedEx",
        "tracking_url": "https://www.fedex.com/fedextrack/?trknbr={number}",
        "pattern": r"\d{12}|\d{15}|\d{20}|\d{22}",
    },
    "usps": {
        "name": "USPS",
        "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
        "pattern": r"9[1-5]\d{20}|9[1-5]\d{24}|[A-Z]{2}\d{9}US",
    },
    "inpost": {
        "name": "InPost",
        "tracking_url": "https://inpost.pl/sledzenie-przesylek?number={number}",
        "pattern": r"\d{24}",
    },
    "poczta-polska": {
        "name": "Poczta Polska",
        "tracking_url": "https://emonitoring.poczta-polska.pl/?numer={number}",
        "pattern": r"[A-Z]{2}\d{9}PL|00\d{18}",
    },
    "korea-post": {
        "name": "Korea Post",
        "tracking_url": "https://service.epost.go.kr/trace.RetrieveEmsRigiTraceList.comm?POST_CODE={number}",
        "pattern": r"[A-Z]{2}\d{9}KR|\d{13}",
    },
    "india-post": {
        "name": "India Post",
        "tracking_url": "https://www.indiapost.gov.in/vas/Pages/trackconsignment.aspx?consignment={number}",
        "pattern": r"[A-Z]{2}\d{9}IN",
    },
}
OPINIA_PROTECTION_DAYS = env_int("OPINIA_PROTECTION_DAYS", 15)
OPINIA_SELLER_RESPONSE_DAYS = env_int("OPINIA_SELLER_RESPONSE_DAYS", 5)
OPINIA_ESCALATION_FROM_DAYS = env_int("OPINIA_ESCALATION_FROM_DAYS", 3)
OPINIA_ESCALATION_UNTIL_DAYS = env_int("OPINIA_ESCALATION_UNTIL_DAYS", 15)
OPINIA_AUTO_ESCALATION_DAYS = env_int("OPINIA_AUTO_ESCALATION_DAYS", 16)
OPINIA_RETURN_SHIP_DAYS = env_int("OPINIA_RETURN_SHIP_DAYS", 10)
OPINIA_RETURN_CONFIRM_DAYS = env_int("OPINIA_RETURN_CONFIRM_DAYS", 10)
# An accepted replacement: the buyer confirms it arrived or reports it missing within this many
# days; silence then counts as received (as an order is confirmed automatically).
OPINIA_REPLACEMENT_CONFIRM_DAYS = env_int("OPINIA_REPLACEMENT_CONFIRM_DAYS", 30)
OPINIA_STAFF_DECISION_DAYS = env_int("OPINIA_STAFF_DECISION_DAYS", 7)
OPINIA_COMPLAINT_RESPONSE_HOURS = env_int("OPINIA_COMPLAINT_RESPONSE_HOURS", 48)
OPINIA_PENALTY_POINTS = {
    "refused_to_ship": env_int("OPINIA_PENALTY_REFUSED_TO_SHIP", 1),
    "refused_not_cooperating": env_int("OPINIA_PENALTY_REFUSED_NOT_COOPERATING", 12),
    "not_as_described": env_int("OPINIA_PENALTY_NOT_AS_DESCRIBED", 2),
}
OPINIA_PENALTY_EXPIRY_DAYS = env_int("OPINIA_PENALTY_EXPIRY_DAYS", 365)
OPINIA_PENALTY_RESTRICTION_POINTS = env_int("OPINIA_PENALTY_RESTRICTION_POINTS", 24)
OPINIA_PENALTY_APPEAL_DAYS = env_int("OPINIA_PENALTY_APPEAL_DAYS", 7)
OPINIA_SWEEP_BATCH_SIZE = env_int("OPINIA_SWEEP_BATCH_SIZE", 500)
# Trust signals (docs/trust.md). A store's day of ratings is a burst at max(floor, median + k × MAD)
# of its previous days; young accounts are buyers who joined fewer days before rating than set.
OPINIA_TRUST_BURST_K = env_float("OPINIA_TRUST_BURST_K", 5.0)
OPINIA_TRUST_BURST_FLOOR = env_int("OPINIA_TRUST_BURST_FLOOR", 10, minimum=1)
OPINIA_TRUST_BURST_DAYS = env_int("OPINIA_TRUST_BURST_DAYS", 28, minimum=7)
OPINIA_TRUST_YOUNG_ACCOUNT_DAYS = env_int("OPINIA_TRUST_YOUNG_ACCOUNT_DAYS", 3, minimum=1)
OPINIA_TRUST_YOUNG_MIN = env_int("OPINIA_TRUST_YOUNG_MIN", 5, minimum=1)
OPINIA_TRUST_YOUNG_SHARE = env_float("OPINIA_TRUST_YOUNG_SHARE", 0.5)
# A seller's rating of a buyer at or below these stars, after the buyer disputed or complained.
OPINIA_TRUST_RETALIATION_MAX_STARS = env_int("OPINIA_TRUST_RETALIATION_MAX_STARS", 3, minimum=1)
# The points a moderator's penalty on a trust case adds unless the moderator enters others.
OPINIA_TRUST_PENALTY_POINTS = env_int("OPINIA_TRUST_PENALTY_POINTS", 2, minimum=1)
# The API (docs/api.md): requests per key (or per address on the public read API) and window,
# as "<count>/<second|minute|hour|day>"; and the largest request body it reads.
OPINIA_API_RATE_LIMIT = env_str("OPINIA_API_RATE_LIMIT", "600/minute")
OPINIA_API_MAX_BODY_BYTES = env_int("OPINIA_API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
# How long a POST's Idempotency-Key is remembered (its first response replayed).
OPINIA_API_IDEMPOTENCY_RETENTION_HOURS = env_int("OPINIA_API_IDEMPOTENCY_RETENTION_HOURS", 48, minimum=1)
# Retention (docs/operations.md): how long photos attached to nothing, read notifications and
# sent unread-message e-mails are kept before the prune sweeps delete them. A photo is stored a
# moment before the transaction that attaches it, so no retention may be zero.
OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS = env_int("OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS", 24, minimum=1)
OPINIA_READ_NOTIFICATION_RETENTION_DAYS = env_int("OPINIA_READ_NOTIFICATION_RETENTION_DAYS", 180, minimum=1)
OPINIA_DELIVERED_EMAIL_RETENTION_DAYS = env_int("OPINIA_DELIVERED_EMAIL_RETENTION_DAYS", 90, minimum=1)
# Outgoing webhooks are refused to private, loopback and link-local addresses (a store owner
# must not make the portal probe its own network); development and tests deliver to localhost.
OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS", DEBUG or TESTING)
# The wall-clock limit of one webhook POST, connect to last byte: a receiver that drips its
# answer a byte at a time cannot hold a sender thread longer (capped below the 60 s claim).
OPINIA_WEBHOOKS_ATTEMPT_SECONDS = env_int("OPINIA_WEBHOOKS_ATTEMPT_SECONDS", 15, minimum=1)
