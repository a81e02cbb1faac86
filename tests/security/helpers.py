"""What the security tests share: TOTP codes computed from a device's key, as an app would."""

from __future__ import annotations

import time


def totp_code(device, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show for `device` now, or `steps_ahead` time steps
    later (a device never accepts the same step twice)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"
