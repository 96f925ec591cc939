"""Builders for test data: plain functions, keyword-only, sensible defaults."""

import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.choices import Level, Profession, Role
from accounts.models import User

_counter = itertools.count(1)


def make_user(
    *,
    email: str | None = None,
    password: str = "correct-horse-battery",
    profession: str = Profession.PHYSICIAN,
    level: str = Level.ESTABLISHMENT,
    organisation: str = "CHU de Test",
    roles: tuple = (Role.LEARNER,),
    verified: bool = True,
    **fields,
) -> User:
    n = next(_counter)
    email = email or f"user{n}@example.org"
    fields.setdefault("first_name", f"Prénom{n}")
    fields.setdefault("last_name", f"Nom{n}")
    user = User.objects.create_user(
        email=email, password=password, profession=profession, level=level, organisation=organisation, **fields
    )
    for role in roles:
        group, _ = Group.objects.get_or_create(name=Role(role).value)
        user.groups.add(group)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user
