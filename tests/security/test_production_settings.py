"""Production settings: no start-up without a real SECRET_KEY, HTTPS everywhere, Django's
deployment checks clean; development settings keep plain-HTTP local use working.

Each case starts `manage.py` (or Python) in a subprocess with the environment of that case:
settings are read once per process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a production host sets; nothing inherited from the test run (KOBAN_DEV, KOBAN_PROCESS...).
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "koban.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://koban.example.org",
}
PASSED_THROUGH = ("PATH", "HOME", "LANG", "DATABASE_URL", "REDIS_URL", "GDAL_LIBRARY_PATH")

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "WHITENOISE_USE_FINDERS", "STORAGES")}))
"""


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "koban.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_of(**env: str) -> dict:
    result = run(["-c", SHOW_SETTINGS], **env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_djangos_deployment_checks():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_without_a_secret_key_the_app_refuses_to_start_and_names_the_variable():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    # DEBUG alone no longer unlocks the published development key.
    result = run(["manage.py", "check"], DEBUG="true", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    "key",
    ["koban-development-only-not-secret", "short-but-random-Zx81", "django-insecure-" + "x1" * 30],
)
def test_a_short_or_development_secret_key_is_refused_outside_development(key):
    result = run(["manage.py", "check"], **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY is too short or a development value" in result.stderr


def test_production_defaults_are_https_only_behind_the_proxy():
    prod = settings_of(**PRODUCTION)
    assert prod["DEBUG"] is False
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert prod["CSRF_COOKIE_SECURE"] is True
    assert prod["WHITENOISE_USE_FINDERS"] is False
    assert prod["STORAGES"]["staticfiles"]["BACKEND"] == "koban.staticfiles.StaticFilesStorage"


def test_every_https_setting_can_be_changed_from_the_environment():
    changed = settings_of(
        **PRODUCTION,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_PROXY_SSL_HEADER="",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
    )
    assert changed["SECURE_SSL_REDIRECT"] is False
    assert changed["SECURE_HSTS_SECONDS"] == 600
    assert changed["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert changed["SECURE_PROXY_SSL_HEADER"] is None
    assert changed["SESSION_COOKIE_SECURE"] is False
    assert changed["CSRF_COOKIE_SECURE"] is False
    result = run(["manage.py", "check"], **PRODUCTION, SECURE_HSTS_SECONDS="a year")
    assert "SECURE_HSTS_SECONDS='a year' is not a whole number" in result.stderr


def test_development_serves_plain_http_with_the_source_static_files():
    dev = settings_of(KOBAN_DEV="true")
    assert dev["SECURE_SSL_REDIRECT"] is False
    assert dev["SECURE_HSTS_SECONDS"] == 0
    assert dev["SESSION_COOKIE_SECURE"] is False
    assert dev["CSRF_COOKIE_SECURE"] is False
    assert dev["WHITENOISE_USE_FINDERS"] is True


def test_the_test_suite_runs_with_development_settings(settings):
    assert settings.KOBAN_DEV is True
    assert settings.SECURE_SSL_REDIRECT is False


def test_collectstatic_writes_compressed_hashed_files_and_a_manifest(tmp_path):
    """What the Dockerfile runs: WhiteNoise then serves these with far-future cache headers."""
    result = run(
        ["manage.py", "collectstatic", "--noinput", "-v0"],
        **PRODUCTION,
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed = manifest["paths"]["dashboard/js/live.js"]
    assert hashed != "dashboard/js/live.js"
    assert (tmp_path / hashed).exists()
    assert (tmp_path / (hashed + ".gz")).exists()
    assert (tmp_path / (hashed + ".br")).exists()
    # Modules import each other by hashed name: a page never mixes two releases.
    core = manifest["paths"]["dashboard/js/core.js"]
    assert core.rsplit("/", 1)[-1] in (tmp_path / hashed).read_text()
