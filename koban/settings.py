"""Koban settings: one file, every difference between environments from an environment variable.

Bad values fail at start-up with the variable's name, never later at request time.
"""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path

import environ
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
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    _require(
        DEBUG or env_bool("KOBAN_DEV", True),
        "SECRET_KEY must be set when DEBUG is off and KOBAN_DEV is false",
    )
    SECRET_KEY = "koban-development-only-not-secret"  # noqa: S105  (dev default, refused in prod)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SERVE_STATIC = env_bool("SERVE_STATIC", True)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "incidents",
    "dashboard",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
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

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "koban",
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
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:operations"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="pt-pt")
LANGUAGES = [("pt-pt", _("Português")), ("en", _("English"))]
_require(LANGUAGE_CODE in ("pt-pt", "en"), "LANGUAGE_CODE must be pt-pt or en")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Lisbon")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone") from exc
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))

# --- REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "dashboard.api.errors.exception_handler",
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
KOBAN_EVENT_PUBLISHER = env.str("KOBAN_EVENT_PUBLISHER", default="dashboard.live.publish_events")
# Reject incidents located outside every area (True) or keep them unassigned (False).
KOBAN_REJECT_OUTSIDE_AREA = env_bool("KOBAN_REJECT_OUTSIDE_AREA", False)
# Outbox rows older than this are pruned; a client further behind reloads its snapshot.
KOBAN_OUTBOX_RETENTION_HOURS = env_int("KOBAN_OUTBOX_RETENTION_HOURS", 72)
# A patrol position older than this is shown as stale.
KOBAN_POSITION_STALE_MINUTES = env_int("KOBAN_POSITION_STALE_MINUTES", 15)
# Optional basemap: a raster tile URL template ({z}/{x}/{y}); empty = parishes only.
KOBAN_BASEMAP_URL = env.str("KOBAN_BASEMAP_URL", default="")

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
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

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
# channels-redis reports messages dropped on full channels at INFO: keep them in the logs.
LOGGING["loggers"]["channels_redis"] = {"level": "INFO"}
# redis-py 8 reads with a 5 s socket timeout by default, exactly channels-redis' blocking BZPOPMIN:
# every idle consumer would die with TimeoutError (redis/redis-py#4091). Outlast the block; stay
# finite so a hung Redis is noticed. Its pools also refuse a 101st concurrent command instead of
# waiting, which hundreds of sockets connecting or closing at once reach.
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
    {"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}
]

# --- REST API v1 (dashboard/api) -----------------------------------------------------------------
# One schema name per lifecycle, instead of drf-spectacular's hashed "Status7b7Enum".
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "IncidentStatusEnum": "incidents.models.choices.IncidentStatus",
    "ConcernStatusEnum": "incidents.models.choices.ConcernStatus",
    "FollowUpStatusEnum": "incidents.models.choices.FollowUpStatus",
    "PatrolStatusEnum": "incidents.models.choices.PatrolStatus",
}
