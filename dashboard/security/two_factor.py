"""Who needs a second factor, whether a session has given it, and the TOTP devices' writes.

The rule: administrators always; the roles in KOBAN_2FA_ROLES; and anyone who has confirmed a
device (they chose it). Staff reach the admin only in a verified session, whatever their role.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents import roles

DEVICE_NAME = "Koban"


def required_by_role(user: Any) -> bool:
    required = {roles.ADMINISTRATOR, *settings.KOBAN_2FA_ROLES}
    return bool(roles.role_names(user) & required)


def has_device(user: Any) -> bool:
    return user_has_device(user, confirmed=True)


def needs_second_factor(user: Any) -> bool:
    """Whether this user must give a code after the password (or enrol first)."""
    if user is None or not user.is_authenticated:
        return False
    return required_by_role(user) or has_device(user)


def session_is_verified(user: Any, session: Any) -> bool:
    """Whether `session` was verified with one of `user`'s confirmed devices (the websocket has
    no OTPMiddleware, so it asks this)."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def passes(user: Any, session: Any) -> bool:
    """The websocket's check: a signed-in user who needs no code, or gave one."""
    return not needs_second_factor(user) or session_is_verified(user, session)


def verify_code(*, request: HttpRequest, code: str) -> bool:
    """Check a code against the signed-in user's confirmed devices; on success mark the session
    verified. Each device throttles its own failures (growing delays)."""
    user = request.user
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                otp_login(request, device)
                return True
    return False


def check_code(*, user: Any, code: str) -> bool:
    """Check a code for `user` without a session (the token endpoint)."""
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        return any(
            device.verify_token(code)
            for device in devices_for_user(user, confirmed=True, for_verify=True)
        )


@transaction.atomic
def totp_device_start(*, user: Any) -> TOTPDevice:
    """The user's pending (unconfirmed) device, made once and shown until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    """Confirm the pending device with a first code; the session is then verified with it."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token((code or "").strip().replace(" ", "")):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    return True


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32 groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code (markup only, no script, no style attribute)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", omitsize=False
    )
