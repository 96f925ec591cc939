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
