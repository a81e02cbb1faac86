"""Koban settings: one file, every difference between environments from an environment variable.

Bad values fail at start-up with the variable's name, never later at request time.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ImproperlyConfigured(message)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but a clear yes/no is refused, naming the variable."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    _require(value >= minimum, f"{name} must be at least {minimum}")
    return value


# --- Core -----------------------------------------------------------------------------------
# KOBAN_DEV=true is a developer's machine or the test suite (`make run`, pytest): the published
# development key and plain-HTTP defaults. Anything else must bring its own SECRET_KEY.
KOBAN_DEV = env_bool("KOBAN_DEV", False)
DEBUG = env_bool("DEBUG", False)
_DEV_SECRET_KEY = "koban-development-only-not-secret"  # noqa: S105  (published; dev only)
SECRET_KEY = env.str("SECRET_KEY", default="")
if KOBAN_DEV:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
else:
    _require(
        bool(SECRET_KEY),
        "SECRET_KEY is not set: give it a long random value (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'), or set KOBAN_DEV=true on a development machine",
    )
    _require(
        SECRET_KEY != _DEV_SECRET_KEY
        and not SECRET_KEY.startswith("django-insecure")
        and len(SECRET_KEY) >= 50
        and len(set(SECRET_KEY)) >= 5,
        "SECRET_KEY is too short or a development value: use at least 50 random characters",
    )
# Earlier keys, still accepted for signatures and sessions while a new SECRET_KEY rolls out.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS (behind a TLS-terminating proxy) ------------------------------------------------------
# Production defaults; a development machine (KOBAN_DEV) serves plain HTTP on loopback.
# The proxy must set X-Forwarded-Proto and strip it from clients; SECURE_PROXY_SSL_HEADER= (empty)
# when nothing in front of Koban does.
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https") if _proxy_header else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not KOBAN_DEV)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if KOBAN_DEV else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading commits every sub-domain of the host to HTTPS in browsers for months: the domain
# owner's decision (opt in with SECURE_HSTS_PRELOAD=true), so the deploy check's reminder of it
# (security.W021) is silenced below.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not KOBAN_DEV)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not KOBAN_DEV)

# --- Request limits (koban/middleware.py) --------------------------------------------------------
# Request bodies above these are refused with 413 before Django reads them (by Content-Length,
# and while a chunked body streams in). Only the routes in KOBAN_UPLOAD_ROUTES take files; their
# limit follows KOBAN_SYNC_MAX_BYTES_MB (defined with the integrations settings below).
KOBAN_MAX_REQUEST_BODY_KB = env_int("KOBAN_MAX_REQUEST_BODY_KB", 1024, minimum=16)
KOBAN_UPLOAD_ROUTES = ("integrations-api:source-run", "integrations:source-run")
# Django's own limits, set to match: non-file fields held in memory, files spooled to disk above
# FILE_UPLOAD_MAX_MEMORY_SIZE, and the number of fields (an admin change list posts one per row).
DATA_UPLOAD_MAX_MEMORY_SIZE = KOBAN_MAX_REQUEST_BODY_KB * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000, minimum=10)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 5, minimum=1)

INSTALLED_APPS = [
    "daphne",
    # The admin site behind the second factor (dashboard/security/admin_site.py).
    "dashboard.security.apps.KobanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.forms",  # built-in widget templates for FORM_RENDERER (Browser security)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "knox",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    # Change history written by database triggers (issue 11).
    "pgtrigger",
    "pghistory",
    "incidents",
    "dashboard",
    "integrations",
    # Messages to residents and their feedback (issue 15).
    "residents",
    # Koban as an Open311 GeoReport v2 server (issue 15).
    "open311",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Takes the request's database connection (pooled processes) before anything reads the
    # database, so an exhausted pool is a 503 in the client's language, never a 500.
    "koban.middleware.QueryTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Who and which request, for the change history's triggers (also set when DRF authenticates).
    "pghistory.middleware.HistoryMiddleware",
    "dashboard.security.middleware.SessionRulesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a lockout flagged during the view into its answer (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "koban.urls"
WSGI_APPLICATION = "koban.wsgi.application"
ASGI_APPLICATION = "koban.asgi.application"

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
            ],
        },
    },
]

# --- Database (PostGIS) ------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgis:///koban")}
_require(
    DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.postgis",
    "DATABASE_URL must use the postgis:// scheme (Koban needs PostGIS)",
)
DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 0))
# Longest one query of a web request may run, in seconds (0: no limit); a request over it gets a
# 503 (koban.middleware.QueryTimeoutMiddleware). Only web processes get it: koban/asgi.py and
# koban/wsgi.py set KOBAN_PROCESS=web, while Celery tasks, migrations and management commands
# legitimately run longer (Celery has its own time limits).
KOBAN_PROCESS = env.str("KOBAN_PROCESS", default="")
_require(KOBAN_PROCESS in ("", "web"), "KOBAN_PROCESS must be empty or web")
WEB_STATEMENT_TIMEOUT_SECONDS = env_int("WEB_STATEMENT_TIMEOUT_SECONDS", 30)
# Longest a web request's statement waits for a lock (a row another request or a sync holds), in
# seconds (0: no limit); past it, 503 with Retry-After, the transaction rolled back. Waiting
# requests each hold a connection: this bounds how many pile up behind one long lock.
WEB_LOCK_TIMEOUT_SECONDS = env_int("WEB_LOCK_TIMEOUT_SECONDS", 10)
if KOBAN_PROCESS == "web":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    for _name, _seconds in (
        ("statement_timeout", WEB_STATEMENT_TIMEOUT_SECONDS),
        ("lock_timeout", WEB_LOCK_TIMEOUT_SECONDS),
    ):
        if _seconds:
            _db_options["options"] = (
                _db_options.get("options", "") + f" -c {_name}={_seconds * 1000}"
            ).strip()
    # No JIT for web requests: their queries take milliseconds, and the map's grid counts over a
    # long window (one group per row expected) paid 100-150 ms compiling code (issue 14's bench).
    _db_options["options"] = (_db_options.get("options", "") + " -c jit=off").strip()
# Every process (web, Celery, commands) waits at most this long, in seconds, for the outbox lock
# that orders the live feed's events (incidents/events.py); then the write fails and rolls back
# (the API answers 503 with Retry-After). Syncs hold it for one batch's transaction.
KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS = env.float("KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS", default=5.0)
_require(
    KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS > 0, "KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS must be positive"
)
# Lets several test runs share one server without sharing a test database.
if env.str("KOBAN_TEST_DB", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("KOBAN_TEST_DB")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channels, Celery, cache --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
_require(
    REDIS_URL.startswith(("redis://", "rediss://", "unix://")),
    "REDIS_URL must be a redis://, rediss:// or unix:// URL",
)

# The feed's channel layer (docs/live-feed.md, "Channel layer"): "pubsub" (default) keeps one
# Redis subscription per process and fans out to its sockets in memory; "core" is channels-redis'
# list-per-channel layer, one Redis message per socket per event (capacity and expiry below).
CHANNEL_LAYER_BACKENDS = {
    "pubsub": "dashboard.live.layer.PubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
KOBAN_CHANNEL_LAYER = env.str("KOBAN_CHANNEL_LAYER", default="pubsub")
_require(
    KOBAN_CHANNEL_LAYER in CHANNEL_LAYER_BACKENDS,
    f"KOBAN_CHANNEL_LAYER must be one of {', '.join(CHANNEL_LAYER_BACKENDS)}",
)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": CHANNEL_LAYER_BACKENDS[KOBAN_CHANNEL_LAYER],
        "CONFIG": {
            "hosts": [REDIS_URL],
            # channels-redis drops silently when a channel is full: size it for a shift's burst;
            # clients replay anything lost from the outbox by sequence number.
            "capacity": env_int("CHANNEL_CAPACITY", 1000),
            "expiry": 30,
            "group_expiry": 86400,
        },
    }
}

# Only what Koban can do without for a while lives here (API throttle counts, live-map activity):
# a Redis that does not answer within 0.1 s is skipped for a few seconds, and the request goes on
# without it, never waiting on Redis (koban/cache.py).
CACHES = {
    "default": {
        "BACKEND": "koban.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "koban",
        "OPTIONS": {"socket_timeout": 0.1, "socket_connect_timeout": 0.1},
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Auth ----------------------------------------------------------------------------------------
# Twelve characters at least; the other validators refuse the obvious ones.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("KOBAN_PASSWORD_MIN_LENGTH", 12, minimum=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# axes' backend first: it refuses a locked-out username or address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:operations"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True

# Lockout (django-axes; counts in the database): after this many wrong passwords for one
# username, that username is refused from everywhere until the cool-off ends; after the larger
# number from one address (a whole police station may sit behind one NAT address), that address
# is refused for every username. The right password is refused too while locked.
KOBAN_LOGIN_FAILURES_PER_USERNAME = env_int("KOBAN_LOGIN_FAILURES_PER_USERNAME", 10, minimum=1)
KOBAN_LOGIN_FAILURES_PER_ADDRESS = env_int("KOBAN_LOGIN_FAILURES_PER_ADDRESS", 50, minimum=1)
KOBAN_LOGIN_COOLOFF_MINUTES = env_int("KOBAN_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
_require(
    KOBAN_LOGIN_FAILURES_PER_ADDRESS >= KOBAN_LOGIN_FAILURES_PER_USERNAME,
    "KOBAN_LOGIN_FAILURES_PER_ADDRESS must be at least KOBAN_LOGIN_FAILURES_PER_USERNAME",
)
AXES_HANDLER = "dashboard.security.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = KOBAN_LOGIN_FAILURES_PER_USERNAME  # the address limit is scaled onto it
AXES_COOLOFF_TIME = timedelta(minutes=KOBAN_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_CALLABLE = "dashboard.security.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False  # a colleague's success must not reset an attacker's count
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "otp_token", "code"]
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged

# Second factor (TOTP, django-otp). Always for administrators and for the admin site; also for
# the roles named here (comma-separated role names from incidents/roles.py).
KOBAN_2FA_ROLES = env.list("KOBAN_2FA_ROLES", default=[])
_require(
    set(KOBAN_2FA_ROLES) <= {"Officer", "Supervisor", "Integrator", "Administrator"},
    "KOBAN_2FA_ROLES must list role names: Officer, Supervisor, Integrator, Administrator",
)
OTP_TOTP_ISSUER = env.str("KOBAN_2FA_ISSUER", default="Koban")

# Sessions end after this much inactivity (each request slides the window; an open live map
# counts as activity through its websocket heartbeats) and, in any case, this many hours after
# the log-in (a shift), when the person must log in again (dashboard/security/sessions.py).
KOBAN_SESSION_IDLE_MINUTES = env_int("KOBAN_SESSION_IDLE_MINUTES", 30, minimum=1)
KOBAN_SESSION_MAX_HOURS = env_int("KOBAN_SESSION_MAX_HOURS", 12, minimum=1)
_require(
    KOBAN_SESSION_IDLE_MINUTES <= KOBAN_SESSION_MAX_HOURS * 60,
    "KOBAN_SESSION_IDLE_MINUTES must not be longer than KOBAN_SESSION_MAX_HOURS",
)
SESSION_COOKIE_AGE = KOBAN_SESSION_MAX_HOURS * 3600  # the row's life; idleness is checked apart
# (SESSION_SAVE_EVERY_REQUEST: see "Performance" below.)
# The browser forgets the cookie when it closes; the server enforces the idle limit.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# API tokens (django-rest-knox): hashed at rest, named, expiring; ended by a password change
# or a deactivation (dashboard/security/tokens.py).
KNOX_TOKEN_MODEL = "dashboard.APIToken"  # noqa: S105  (a model name, not a secret)
# knox's migrations create its own token table even when the model is swapped (and a flush then
# fails on its foreign key): without them, no table is made for the unused model.
MIGRATION_MODULES = {"knox": None}
KOBAN_API_TOKEN_TTL_DAYS = env_int("KOBAN_API_TOKEN_TTL_DAYS", 30, minimum=1)
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=KOBAN_API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}

# API throttling (DRF; counts in Redis, cache alias "throttle"): per address for anonymous
# calls, per user for signed-in ones, and a stricter per-address rate for the token endpoint.
KOBAN_API_RATE_ANON = env.str("KOBAN_API_RATE_ANON", default="60/minute")
KOBAN_API_RATE_USER = env.str("KOBAN_API_RATE_USER", default="1200/minute")
KOBAN_API_RATE_TOKEN = env.str("KOBAN_API_RATE_TOKEN", default="10/minute")
for _name, _rate in (
    ("KOBAN_API_RATE_ANON", KOBAN_API_RATE_ANON),
    ("KOBAN_API_RATE_USER", KOBAN_API_RATE_USER),
    ("KOBAN_API_RATE_TOKEN", KOBAN_API_RATE_TOKEN),
):
    _require(
        re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", _rate) is not None,
        f"{_name}={_rate!r} must look like 60/minute (per second, minute, hour or day)",
    )
# Posts to the Open311 server, per client application's key (open311/auth.py).
KOBAN_OPEN311_RATE_KEY = env.str("KOBAN_OPEN311_RATE_KEY", default="120/hour")
_require(
    re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", KOBAN_OPEN311_RATE_KEY) is not None,
    f"KOBAN_OPEN311_RATE_KEY={KOBAN_OPEN311_RATE_KEY!r} must look like 120/hour",
)
# Throttle counts under their own prefix (the test suite gives each test its own).
CACHES["throttle"] = {**CACHES["default"], "KEY_PREFIX": "koban-throttle"}

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="pt-pt")
LANGUAGES = [("pt-pt", _("Português")), ("en", _("English"))]
_require(LANGUAGE_CODE in ("pt-pt", "en"), "LANGUAGE_CODE must be pt-pt or en")
LOCALE_PATHS = [BASE_DIR / "locale"]
# Languages a resident can be written to in (messages, feedback page: residents/): the staff
# interface's two plus es and fr, whose catalogues cover only what a resident sees. Names in
# their own language, so a resident recognises theirs whatever the officer's interface language.
KOBAN_RESIDENT_LANGUAGES = [
    ("pt-pt", "Português"),
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
]
# A resident's language when nobody recorded one: the interface's by default.
KOBAN_RESIDENT_LANGUAGE_DEFAULT = env.str("KOBAN_RESIDENT_LANGUAGE_DEFAULT", default=LANGUAGE_CODE)
_require(
    KOBAN_RESIDENT_LANGUAGE_DEFAULT in dict(KOBAN_RESIDENT_LANGUAGES),
    "KOBAN_RESIDENT_LANGUAGE_DEFAULT must be one of pt-pt, en, es, fr",
)
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Lisbon")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone") from exc
USE_I18N = True
USE_TZ = True

# --- Mail: messages to residents (residents/channels) -------------------------------------------
# Django's mail backend carries the e-mail channel. A development machine prints mail to the
# console; elsewhere SMTP (EMAIL_HOST...). The test suite gets Django's in-memory (locmem) backend
# from the test runner; a browser test's server process may use the file backend (EMAIL_FILE_PATH).
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if KOBAN_DEV
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
_require(
    not (EMAIL_USE_TLS and EMAIL_USE_SSL), "EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other"
)
# A mail server that does not answer must not hold an officer's request for long.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15, minimum=1)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="koban@localhost")
# The address residents reach Koban at (feedback links in messages), e.g. https://koban.example.org;
# empty: the address the officer's browser used, fine on one network, wrong behind an intranet name.
KOBAN_PUBLIC_URL = env.str("KOBAN_PUBLIC_URL", default="").rstrip("/")
_require(
    KOBAN_PUBLIC_URL == ""
    or re.fullmatch(r"https?://[^/\s]+(/[^\s]*)?", KOBAN_PUBLIC_URL) is not None,
    "KOBAN_PUBLIC_URL must be an absolute http(s) URL such as https://koban.example.org",
)

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
# WhiteNoise serves them (koban/asgi.py has no static handler of its own). Production serves what
# `collectstatic` wrote to STATIC_ROOT: hashed names cached for a year, gzip and brotli copies; a
# development machine (and the test suite) serves the source folders as they are, re-read on
# every request, so nothing needs collecting.
KOBAN_STATIC_MANIFEST = env_bool("KOBAN_STATIC_MANIFEST", not KOBAN_DEV)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "koban.staticfiles.StaticFilesStorage"
        if KOBAN_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", not KOBAN_STATIC_MANIFEST)
WHITENOISE_AUTOREFRESH = env_bool("WHITENOISE_AUTOREFRESH", not KOBAN_STATIC_MANIFEST)

# --- REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dashboard.security.tokens.APITokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "dashboard.security.throttles.AnonThrottle",
        "dashboard.security.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": KOBAN_API_RATE_ANON,
        "user": KOBAN_API_RATE_USER,
        "auth_token": KOBAN_API_RATE_TOKEN,
    },
    # The client's address is REMOTE_ADDR (uvicorn sets it from X-Forwarded-For only for a peer
    # in FORWARDED_ALLOW_IPS, koban/server.py): a header a client sends itself must not reset
    # its count.
    "NUM_PROXIES": 0,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Depth-limited JSON (koban/limits.py): nested input is a 400, never a RecursionError 500.
    "DEFAULT_PARSER_CLASSES": [
        "koban.limits.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "dashboard.api.errors.exception_handler",
    # The browsable API reads only (dashboard/api/renderers.py): its edit forms answered 500.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "dashboard.api.renderers.ReadOnlyBrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Koban API",
    "DESCRIPTION": "Operations data of a community-policing force: incidents, neighbourhood "
    "concerns, patrols, follow-ups and areas.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The contract is for signed-in people and token holders, like every other API call.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Koban ---------------------------------------------------------------------------------------
# Where the domain hands committed outbox events for delivery (the live feed plugs in here).
KOBAN_EVENT_PUBLISHER = env.str(
    "KOBAN_EVENT_PUBLISHER", default="dashboard.live.publisher.publish_events"
)
# Called with (followup=, actor=) inside followup_complete's transaction, in this order.
KOBAN_FOLLOWUP_COMPLETED_HOOKS = ["residents.services.message_draft_on_completion"]
# Reject incidents located outside every area (True) or keep them unassigned (False).
KOBAN_REJECT_OUTSIDE_AREA = env_bool("KOBAN_REJECT_OUTSIDE_AREA", False)
# Outbox rows older than this are pruned; a client further behind reloads its snapshot.
KOBAN_OUTBOX_RETENTION_HOURS = env_int("KOBAN_OUTBOX_RETENTION_HOURS", 72)
# Personal data of residents (docs/privacy.md): a reporter's contact and the personal fields of
# stored raw payloads are erased this many days after the item is closed, cancelled or merged;
# rejected records are deleted this many days after they were last seen.
KOBAN_PERSONAL_DATA_RETENTION_DAYS = env_int("KOBAN_PERSONAL_DATA_RETENTION_DAYS", 365, minimum=1)
KOBAN_REJECTED_RETENTION_DAYS = env_int("KOBAN_REJECTED_RETENTION_DAYS", 30, minimum=1)
# Triggers on tables of other apps (users, group memberships) are installed after migrate.
PGTRIGGER_INSTALL_ON_MIGRATE = True
# A patrol position older than this is shown as stale.
KOBAN_POSITION_STALE_MINUTES = env_int("KOBAN_POSITION_STALE_MINUTES", 15)
# Dispatch (issue 12): an officer may send their own patrol to an incident (else supervisors
# only); small forces where officers self-dispatch turn it on.
KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL = env_bool("KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL", False)
# How many available patrols the detail panel suggests, nearest first.
KOBAN_DISPATCH_SUGGESTIONS = env_int("KOBAN_DISPATCH_SUGGESTIONS", 8, minimum=1)
# Optional basemap: a raster tile URL template ({z}/{x}/{y}); empty = parishes only.
KOBAN_BASEMAP_URL = env.str("KOBAN_BASEMAP_URL", default="")
# --- Repeat places and assessment (issue 16) ---
# Projected SRID in metres for clustering incidents (e.g. 3763 for Portugal); 0 derives the UTM
# zone from the incidents themselves, so no city is assumed in code.
KOBAN_METRIC_SRID = env_int("KOBAN_METRIC_SRID", 0)
# A concern without a drawn place covers a circle of this radius around its point.
KOBAN_CONCERN_PLACE_RADIUS_M = env_int("KOBAN_CONCERN_PLACE_RADIUS_M", 150, minimum=1)
# A concern's before/after assessment compares periods of at most this many days each.
KOBAN_ASSESSMENT_MAX_DAYS = env_int("KOBAN_ASSESSMENT_MAX_DAYS", 90, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "koban.audit": {"level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
    },
}

if os.environ.get("GDAL_LIBRARY_PATH"):
    GDAL_LIBRARY_PATH = os.environ["GDAL_LIBRARY_PATH"]

# Debian 12 ships GDAL 3.6; Koban never opens user-supplied spatial reference files or URLs.
SILENCED_SYSTEM_CHECKS = ["gis.W001", "security.W021"]  # W021: see SECURE_HSTS_PRELOAD

# --- Integrations (sources, sync runs) ----------------------------------------------------------
# Temporary failures (timeouts, HTTP 5xx) are retried this many times, backing off from this many
# seconds (doubling each time); bad data, bad configuration and 401/403 are never retried.
KOBAN_SYNC_MAX_RETRIES = env.int("KOBAN_SYNC_MAX_RETRIES", default=3)
KOBAN_SYNC_RETRY_BACKOFF = env.int("KOBAN_SYNC_RETRY_BACKOFF", default=30)
# One sync run's soft limit (the run stops and is marked failed) and hard limit (worker killed).
KOBAN_SYNC_SOFT_TIME_LIMIT = env.int("KOBAN_SYNC_SOFT_TIME_LIMIT", default=900)
KOBAN_SYNC_TIME_LIMIT = env.int("KOBAN_SYNC_TIME_LIMIT", default=960)
# Seconds to wait for a remote system (connect and each read).
KOBAN_SYNC_HTTP_TIMEOUT = env.float("KOBAN_SYNC_HTTP_TIMEOUT", default=30.0)
# Largest response body or uploaded file a source may hand us, in megabytes.
KOBAN_SYNC_MAX_BYTES_MB = env.int("KOBAN_SYNC_MAX_BYTES_MB", default=50)
_require(KOBAN_SYNC_MAX_RETRIES >= 0, "KOBAN_SYNC_MAX_RETRIES must be 0 or more")
_require(KOBAN_SYNC_RETRY_BACKOFF >= 1, "KOBAN_SYNC_RETRY_BACKOFF must be at least 1 second")
_require(
    0 < KOBAN_SYNC_SOFT_TIME_LIMIT < KOBAN_SYNC_TIME_LIMIT,
    "KOBAN_SYNC_SOFT_TIME_LIMIT must be positive and below KOBAN_SYNC_TIME_LIMIT",
)
_require(KOBAN_SYNC_HTTP_TIMEOUT > 0, "KOBAN_SYNC_HTTP_TIMEOUT must be positive")
# Recovery (integrations/services/runs.py, reconciled every minute by beat): a queued run no
# worker picked up this many seconds after it was due is sent again; a run whose worker died
# is taken over, and fails after this many take-overs (a record that kills the worker each
# time); the run's heartbeat, shown to people, is written this often.
KOBAN_SYNC_QUEUED_GRACE = env.int("KOBAN_SYNC_QUEUED_GRACE", default=60)
KOBAN_SYNC_MAX_RECOVERIES = env.int("KOBAN_SYNC_MAX_RECOVERIES", default=3)
KOBAN_SYNC_HEARTBEAT_SECONDS = env.int("KOBAN_SYNC_HEARTBEAT_SECONDS", default=10)
_require(KOBAN_SYNC_QUEUED_GRACE >= 10, "KOBAN_SYNC_QUEUED_GRACE must be at least 10 seconds")
_require(KOBAN_SYNC_MAX_RECOVERIES >= 0, "KOBAN_SYNC_MAX_RECOVERIES must be 0 or more")
_require(KOBAN_SYNC_HEARTBEAT_SECONDS >= 1, "KOBAN_SYNC_HEARTBEAT_SECONDS must be at least 1")


def env_networks(name: str) -> list[str]:
    """Comma-separated CIDRs (10.20.0.0/16, fd00::/8); a bad one is refused, naming it."""
    import ipaddress

    networks = []
    for item in filter(None, (part.strip() for part in os.environ.get(name, "").split(","))):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=True)))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a network ({exc})") from None
    return networks


# Sources reach only public addresses. Networks listed here (the city's own systems, e.g.
# 10.20.0.0/16) are allowed too: set by the administrator, never by a source's configuration.
KOBAN_SOURCES_ALLOWED_NETWORKS = env_networks("KOBAN_SOURCES_ALLOWED_NETWORKS")
# httpx logs every request's full URL at INFO and httpcore its headers at DEBUG; a source's
# api_key travels in the query and its Authorization header is a secret: problems only.
LOGGING["loggers"]["httpx"] = {"level": "WARNING"}
LOGGING["loggers"]["httpcore"] = {"level": "WARNING"}
# An upload's request body: the file plus room for the multipart envelope and form fields.
KOBAN_MAX_UPLOAD_BODY_BYTES = KOBAN_SYNC_MAX_BYTES_MB * 1024 * 1024 + 64 * 1024

# --- Live feed (websocket /ws/operations/, docs/live-feed.md) ------------------------------------
# Seconds between heartbeats; each one also re-checks the session and catches up from the outbox.
KOBAN_LIVE_HEARTBEAT_SECONDS = env.float("KOBAN_LIVE_HEARTBEAT_SECONDS", default=15.0)
# A client that missed more events than this reloads its snapshot instead of replaying them.
KOBAN_LIVE_MAX_REPLAY = env.int("KOBAN_LIVE_MAX_REPLAY", default=5000)
# Frames waiting for one client's socket before it is disconnected as too slow (it reconnects).
KOBAN_LIVE_MAX_BACKLOG = env.int("KOBAN_LIVE_MAX_BACKLOG", default=1000)
_require(KOBAN_LIVE_HEARTBEAT_SECONDS > 0, "KOBAN_LIVE_HEARTBEAT_SECONDS must be positive")
_require(KOBAN_LIVE_MAX_REPLAY > 0, "KOBAN_LIVE_MAX_REPLAY must be positive")
_require(KOBAN_LIVE_MAX_BACKLOG > 0, "KOBAN_LIVE_MAX_BACKLOG must be positive")
# Messages one socket may send: a bucket of KOBAN_LIVE_MESSAGE_BURST tokens refilled at
# KOBAN_LIVE_MESSAGES_PER_MINUTE; a resume takes 5, anything else 1. An empty bucket closes 4429.
KOBAN_LIVE_MESSAGE_BURST = env_int("KOBAN_LIVE_MESSAGE_BURST", 20, minimum=5)
KOBAN_LIVE_MESSAGES_PER_MINUTE = env_int("KOBAN_LIVE_MESSAGES_PER_MINUTE", 30, minimum=1)
# Sockets one user may hold open at once (tabs, devices); the next one is closed with 4409.
# Counted in Redis across processes; a crashed process's sockets expire within three heartbeats.
KOBAN_LIVE_MAX_CONNECTIONS_PER_USER = env_int("KOBAN_LIVE_MAX_CONNECTIONS_PER_USER", 5, minimum=1)
# channels-redis reports messages dropped on full channels at INFO: keep them in the logs.
LOGGING["loggers"]["channels_redis"] = {"level": "INFO"}
# redis-py 8 reads with a 5 s socket timeout by default, exactly channels-redis' blocking BZPOPMIN:
# every idle consumer would die with TimeoutError (redis/redis-py#4091). Outlast the block; stay
# finite so a hung Redis is noticed. Its pools also refuse a 101st concurrent command instead of
# waiting, which hundreds of sockets connecting or closing at once reach.
# Connecting gives up after 2 s (an unreachable host), so a socket is refused with 4503 quickly.
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
    {
        "address": REDIS_URL,
        "socket_timeout": 15,
        "socket_connect_timeout": 2,
        "max_connections": 1000,
    }
]
# A socket's group membership lapses after this many seconds unless renewed (each consumer
# re-joins at its heartbeats, every quarter of it). A socket closed while Redis was down, whose
# leave the publisher thread could not retry (the process died), stops receiving by then.
KOBAN_LIVE_GROUP_EXPIRY_SECONDS = env_int("KOBAN_LIVE_GROUP_EXPIRY_SECONDS", 600, minimum=60)
_require(
    KOBAN_LIVE_GROUP_EXPIRY_SECONDS >= 8 * KOBAN_LIVE_HEARTBEAT_SECONDS,
    "KOBAN_LIVE_GROUP_EXPIRY_SECONDS must be at least 8 heartbeats (KOBAN_LIVE_HEARTBEAT_SECONDS)",
)
CHANNEL_LAYERS["default"]["CONFIG"]["group_expiry"] = KOBAN_LIVE_GROUP_EXPIRY_SECONDS

# --- REST API v1 (dashboard/api) -----------------------------------------------------------------
# One schema name per lifecycle, instead of drf-spectacular's hashed "Status7b7Enum".
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "IncidentStatusEnum": "incidents.models.choices.IncidentStatus",
    "ConcernStatusEnum": "incidents.models.choices.ConcernStatus",
    "FollowUpStatusEnum": "incidents.models.choices.FollowUpStatus",
    "PatrolStatusEnum": "incidents.models.choices.PatrolStatus",
    "ConcernPlanEntryKindEnum": "incidents.models.concerns.ConcernPlanEntry.Kind",
}

# --- Browser security (CSP) ----------------------------------------------------------------------
# The net under "strings go into the page as text": no inline script, no eval, no plug-ins, no
# framing, nothing loaded from elsewhere but the optional basemap's tiles. 'self' also covers the
# websocket of the same host (ws: under http:, wss: under https:; CSP Level 3).


def _tile_source(url_template: str) -> list[str]:
    """The CSP source of a tile URL template: scheme and host, a `{s}` sub-domain as `*`."""
    if not url_template:
        return []
    parts = urlsplit(url_template)
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    _require(
        parts.scheme in ("http", "https") and bool(host) and "*" not in host.removeprefix("*."),
        "KOBAN_BASEMAP_URL must be an http(s) URL whose host has at most a leading {s} label",
    )
    return [f"{parts.scheme}://{host}"]


# Widgets render through TEMPLATES, so templates/gis/ replaces GeoDjango's map widget, whose
# template starts the map with inline script (Django's own renderer never reads templates/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:", *_tile_source(KOBAN_BASEMAP_URL)],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    },
}

# --- Performance (issue 14; docs/performance.md) -------------------------------------------------
# Web processes: KOBAN_WEB_WORKERS and friends are read by the server's configuration
# (koban/server.py), not here. The session's last-seen time is written at most once a minute
# (dashboard/security/sessions.py), so a request that changes nothing writes nothing.
SESSION_SAVE_EVERY_REQUEST = False
# Routes /bench/trivial/, the bench's baseline view (bench/views.py); never on in production.
KOBAN_BENCH_VIEWS = env_bool("KOBAN_BENCH_VIEWS", False)
# The change history's context (who, which URL) is attached to the queries of writing requests
# only: no GET writes a tracked table, and the context costs a set_config on every query.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Web processes borrow database connections from a pool (psycopg_pool, per process) instead of
# opening one per request: under ASGI each request runs on a thread of its own, so a persistent
# connection could not be reused, and a new connection costs more than a list page's queries.
# A request waits at most KOBAN_DB_POOL_TIMEOUT_SECONDS for a free one, then gets a 503 with
# Retry-After (koban.middleware.QueryTimeoutMiddleware takes it before any other middleware
# reads the database).
KOBAN_DB_POOL_SIZE = env_int("KOBAN_DB_POOL_SIZE", 10)
KOBAN_DB_POOL_TIMEOUT_SECONDS = env_int(
    "KOBAN_DB_POOL_TIMEOUT_SECONDS", WEB_STATEMENT_TIMEOUT_SECONDS or 30, minimum=1
)
if KOBAN_PROCESS == "web" and KOBAN_DB_POOL_SIZE:
    _require(
        DATABASES["default"]["CONN_MAX_AGE"] == 0,
        "DB_CONN_MAX_AGE must be 0 in web processes, whose connections come from a pool",
    )
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, KOBAN_DB_POOL_SIZE),
        "max_size": KOBAN_DB_POOL_SIZE,
        "timeout": KOBAN_DB_POOL_TIMEOUT_SECONDS,
    }
