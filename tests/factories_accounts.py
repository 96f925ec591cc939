"""Builders for the accounts tests."""

import re

SIGNUP_PASSWORD = "Coop3ration-territoriale"


def signup_data(**overrides) -> dict:
    """A complete, valid signup form submission; override any field."""
    data = {
        "email": "nouvelle.directrice@chu-exemple.fr",
        "first_name": "Camille",
        "last_name": "Perrin",
        "profession": "director",
        "level": "establishment",
        "organisation": "CHU de Nantes",
        "language": "fr",
        "password1": SIGNUP_PASSWORD,
        "password2": SIGNUP_PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def confirmation_path(body: str) -> str:
    """The path of the e-mail confirmation link printed in a message body."""
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows for `secret` (RFC 6238, 30 s, SHA-1), computed
    here rather than with allauth's own functions so the tests check allauth against the standard."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"
