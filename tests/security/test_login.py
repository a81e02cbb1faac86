"""Log-in rules: lockout per username and per address on every log-in path, with a cool-off;
API throttling; and the password rules (issue 10, class 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.demo import DEMO_DEFAULT_PASSWORD, DEMO_PASSWORDS, PEOPLE

pytestmark = pytest.mark.django_db

WRONG_ATTEMPTS = 12


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Dozens of log-in attempts per test: the hasher's cost is not what is tested here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def officer_user(make_user):
    return make_user("agente", "Officer")  # password "pw-agente"


def _form_login(client, path, username, password, **extra):
    return client.post(
        path, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="en", **extra
    )


def _token_login(client, username, password, **extra):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _end_cool_off(settings) -> None:
    """Move the recorded failures back past the cool-off, as if its minutes had passed."""
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_twelve_wrong_passwords_lock_the_form_until_the_cool_off_ends(
    client, settings, officer_user, path
):
    answers = [_form_login(client, path, "agente", f"wrong-{n}") for n in range(WRONG_ATTEMPTS)]

    assert answers[0].status_code == 200  # the form again, "wrong username or password"
    assert answers[-1].status_code == 429
    assert "Too many failed log-in attempts" in answers[-1].content.decode()
    assert int(answers[-1]["Retry-After"]) > 0

    right = _form_login(client, path, "agente", "pw-agente")
    assert right.status_code == 429
    assert "Try again in 15 minutes" in right.content.decode()
    assert not _signed_in(client)

    _end_cool_off(settings)
    after = _form_login(client, path, "agente", "pw-agente")
    assert after.status_code == 302
    assert _signed_in(client)


def test_the_locked_page_speaks_portuguese_of_portugal(client, officer_user):
    for n in range(WRONG_ATTEMPTS):
        answer = client.post("/login/", {"username": "agente", "password": f"x{n}"})
    html = answer.content.decode()
    assert answer.status_code == 429
    assert "Demasiadas tentativas" in html
    assert "<script" not in html


def test_twelve_wrong_passwords_lock_the_token_endpoint_with_a_429(client, settings, officer_user):
    # The endpoint's own rate would answer 429 first; here the lockout is what is tested.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_token": "1000/minute",
        },
    }
    answers = [_token_login(client, "agente", f"wrong-{n}") for n in range(WRONG_ATTEMPTS)]
    assert answers[0].status_code == 400
    assert answers[-1].status_code == 429
    assert answers[-1].json()["code"] == "locked_out"

    right = _token_login(client, "agente", "pw-agente")
    assert right.status_code == 429
    assert "token" not in right.json()
    assert "Too many failed log-in attempts" in right.json()["detail"]

    _end_cool_off(settings)
    assert _token_login(client, "agente", "pw-agente").status_code == 200


def test_a_lockout_on_one_path_holds_on_the_others(client, officer_user):
    for n in range(WRONG_ATTEMPTS):
        _form_login(client, "/login/", "agente", f"wrong-{n}")

    assert _form_login(client, "/admin/login/", "agente", "pw-agente").status_code == 429
    assert _token_login(client, "agente", "pw-agente").status_code == 429


def test_a_locked_username_does_not_lock_colleagues_behind_the_same_address(
    client, make_user, officer_user
):
    make_user("agente2", "Officer")
    for n in range(WRONG_ATTEMPTS):
        _form_login(client, "/login/", "agente", f"wrong-{n}")

    assert _form_login(client, "/login/", "agente", "pw-agente").status_code == 429
    assert _form_login(client, "/login/", "agente2", "pw-agente2").status_code == 302


def test_many_usernames_tried_from_one_address_lock_that_address(client, settings, make_user):
    settings.KOBAN_LOGIN_FAILURES_PER_ADDRESS = 20
    make_user("agente2", "Officer")
    # One wrong password each for twenty usernames: no username reaches its own limit.
    for n in range(settings.KOBAN_LOGIN_FAILURES_PER_ADDRESS - 1):
        assert _form_login(client, "/login/", f"guess{n}", "password").status_code == 200
    assert _form_login(client, "/login/", "guess-last", "password").status_code == 429

    # Then even a right password from that address is refused; from another it works.
    assert _form_login(client, "/login/", "agente2", "pw-agente2").status_code == 429
    elsewhere = _form_login(client, "/login/", "agente2", "pw-agente2", REMOTE_ADDR="10.1.2.3")
    assert elsewhere.status_code == 302


def test_the_address_limit_is_higher_than_the_username_limit_by_default(settings):
    assert settings.KOBAN_LOGIN_FAILURES_PER_USERNAME <= 10 < WRONG_ATTEMPTS
    assert settings.KOBAN_LOGIN_FAILURES_PER_ADDRESS > settings.KOBAN_LOGIN_FAILURES_PER_USERNAME


# --- API throttling ------------------------------------------------------------------------------


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_the_api_answers_429_past_the_user_rate(client, settings, officer_user):
    _rates(settings, user="3/minute")
    client.force_login(officer_user)

    codes = [client.get("/api/v1/categories/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_anonymous_api_calls_are_throttled_per_address(client, settings):
    _rates(settings, anon="2/minute")

    codes = [client.get("/api/v1/incidents/").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


def test_the_token_endpoint_has_a_stricter_rate_even_with_the_right_password(
    client, settings, officer_user
):
    _rates(settings, auth_token="2/minute")

    codes = [
        _token_login(client, "agente", "pw-agente", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(3)
    ]

    assert [c.status_code for c in codes] == [200, 200, 429]  # a made-up address changes nothing
    assert int(codes[-1]["Retry-After"]) > 0


# --- Passwords -----------------------------------------------------------------------------------


def test_a_password_of_eleven_characters_is_refused():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("kx7#pq2!vz9")
    validate_password("kx7#pq2!vz9w")


def test_the_demo_passwords_pass_the_validators():
    user_model = get_user_model()
    for username, first, last, _role, _areas in PEOPLE:
        user = user_model(username=username, first_name=first, last_name=last)
        validate_password(DEMO_PASSWORDS.get(username, DEMO_DEFAULT_PASSWORD), user)


# --- Sessions ------------------------------------------------------------------------------------


def _age(client, key, seconds):
    """Move a session timestamp back, as if `seconds` had passed since it was written."""
    session = client.session
    session[key] -= seconds
    session.save()


def test_a_session_ends_after_the_idle_limit_and_each_request_slides_it(
    client, settings, officer_user
):
    from dashboard.security.sessions import SEEN_AT

    idle = settings.KOBAN_SESSION_IDLE_MINUTES * 60
    client.force_login(officer_user)
    assert client.get("/").status_code == 200

    _age(client, SEEN_AT, idle - 60)
    assert client.get("/").status_code == 200  # within the limit: and the window slides
    _age(client, SEEN_AT, idle - 60)
    assert client.get("/").status_code == 200

    _age(client, SEEN_AT, idle + 60)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_session_ends_a_shift_after_the_log_in_whatever_the_activity(
    client, settings, officer_user
):
    from dashboard.security.sessions import AUTH_AT

    client.force_login(officer_user)
    assert client.get("/").status_code == 200
    _age(client, AUTH_AT, settings.KOBAN_SESSION_MAX_HOURS * 3600 + 60)

    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_open_live_map_keeps_its_session_alive_until_the_shift_ends(
    client, settings, officer_user
):
    from dashboard.live import protocol, reads
    from dashboard.security.sessions import AUTH_AT, SEEN_AT

    client.force_login(officer_user)
    client.get("/")
    key = client.session.session_key
    assert reads.heartbeat_reads(key, officer_user.pk, 0, 10)[1] is None  # the map's heartbeat

    # No request for longer than the idle limit, but the map kept beating: still signed in.
    _age(client, SEEN_AT, settings.KOBAN_SESSION_IDLE_MINUTES * 60 + 60)
    user, refused, _ = reads.heartbeat_reads(key, officer_user.pk, 0, 10)
    assert refused is None and user.pk == officer_user.pk
    assert client.get("/").status_code == 200

    _age(client, AUTH_AT, settings.KOBAN_SESSION_MAX_HOURS * 3600 + 60)
    assert reads.heartbeat_reads(key, officer_user.pk, 0, 10)[1] == protocol.CLOSE_UNAUTHENTICATED


def test_without_a_live_map_an_idle_session_closes_the_feed_too(client, settings, officer_user):
    from dashboard.live import protocol, reads
    from dashboard.security.sessions import SEEN_AT

    client.force_login(officer_user)
    client.get("/")
    _age(client, SEEN_AT, settings.KOBAN_SESSION_IDLE_MINUTES * 60 + 60)

    key = client.session.session_key
    assert reads.heartbeat_reads(key, officer_user.pk, 0, 10)[1] == protocol.CLOSE_UNAUTHENTICATED
