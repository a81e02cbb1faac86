"""Personal data in raw upstream payloads (an Open311 request can carry the resident's name,
e-mail and phone): masked wherever people see payloads (rejected records, dry runs, run
errors), so integrators, who must not see residents' personal data, never do.

Keys are compared without case, `_`, `-` or spaces; a source adds its own keys in its
configuration (`personal_fields`). E-mail addresses and phone numbers are also masked inside
any text, whatever its key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "•••"

PERSONAL_KEYS = frozenset(
    {
        "name",
        "firstname",
        "lastname",
        "fullname",
        "surname",
        "givenname",
        "familyname",
        "contactname",
        "reporter",
        "reportername",
        "requester",
        "requestername",
        "citizen",
        "email",
        "emailaddress",
        "mail",
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "mobilephone",
        "cellphone",
        "contact",
        "contactphone",
        "contactemail",
        "deviceid",
        "accountid",
        "nif",
        "taxid",
    }
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: international (+ and 8 or more digits, spaces allowed) or nine digits, maybe
# grouped in threes (Portugal, Spain…); not part of a reference, date, address or number (no
# letter, digit, dot, dash, slash or colon next to it), so hosts like 2130706433 stay readable.
_PHONE = re.compile(r"(?<![\w.\-/:+])(?:\+\d(?: ?\d){7,}|\d{3} ?\d{3} ?\d{3})(?![\w.\-/:])")


def normalise_key(key: str) -> str:
    return re.sub(r"[\s_\-]", "", str(key)).lower()


def mask_text(text: str) -> str:
    """E-mail addresses and phone numbers in free text (errors, reasons, values)."""
    if not text:
        return text
    return _PHONE.sub(MASK, _EMAIL.sub(MASK, text))


def mask_payload(value: Any, extra_keys: Iterable[str] = ()) -> Any:
    """A copy of a raw record with every personal field's value replaced by a mask."""
    keys = PERSONAL_KEYS | {normalise_key(k) for k in extra_keys}
    return _mask(value, keys)


def _mask(value: Any, keys: frozenset[str] | set[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (MASK if v not in (None, "") and not isinstance(v, (dict, list)) else _mask(v, keys))
            if normalise_key(k) in keys
            else _mask(v, keys)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v, keys) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def source_personal_keys(config: Any) -> list[str]:
    """The keys a source's configuration lists as personal (`personal_fields`)."""
    if isinstance(config, dict):
        keys = config.get("personal_fields") or []
    else:
        keys = getattr(config, "personal_fields", ()) or ()
    return [str(k) for k in keys if isinstance(k, str)]
