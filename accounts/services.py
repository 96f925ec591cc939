"""Writes on accounts."""

from django.db import transaction

from accounts.models import User
from config.sanitize import clean_html


@transaction.atomic
def user_profile_update(*, user: User, data: dict) -> User:
    """Apply profile fields to `user`; the presentation text is sanitised before it is stored."""
    for name, value in data.items():
        if name == "bio":
            value = str(clean_html(value, profile="profile"))
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    return user
