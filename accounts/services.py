"""Writes on accounts."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction
from wagtail.users.models import UserProfile

from accounts.models import User
from config.sanitize import clean_html

_PROFILE_FIELDS = {
    "first_name",
    "last_name",
    "profession",
    "level",
    "organisation",
    "region",
    "language",
    "rpps",
    "bio",
    "interests",
    "in_directory",
    "share_organisation",
    "share_level",
    "share_region",
    "share_interests",
}


def user_profile_fill(*, user: User, data: dict) -> User:
    """Set profile fields on `user` without saving; the presentation text is sanitised here."""
    unknown = set(data) - _PROFILE_FIELDS
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    for name, value in data.items():
        if name == "bio":
            value = str(clean_html(value, profile="profile"))
        elif isinstance(value, str):
            value = value.strip()
        setattr(user, name, value)
    return user


@transaction.atomic
def user_profile_update(*, user: User, data: dict) -> User:
    """Apply and validate profile fields, then store them; invalid data raises and stores nothing."""
    user_profile_fill(user=user, data=data)
    user.full_clean(exclude=["password"])
    user.save()
    user_admin_language_sync(user=user)
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Remember the interface language a signed-in person chose."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        user_admin_language_sync(user=user)
    return user


def user_admin_language_sync(*, user: User) -> None:
    """Wagtail writes its own e-mails (moderation: submitted, approved, rejected…) in the language of
    its user profile, else in the sender's request language: keep that profile language the user's.
    Called wherever `User.language` is written (signup, profile, switcher, Django admin)."""
    UserProfile.objects.update_or_create(user=user, defaults={"preferred_language": user.language})


def site_sync(*, url: str | None = None) -> Site:
    """Name the sites framework's Site after the platform and give it the domain of `SITE_URL`.

    allauth signs its e-mails with this Site ("Merci d'utiliser Passerelles !"); Django creates it
    as "example.com". Run after every `migrate` (`AccountsConfig.ready`), so a server started on
    another port or domain (`make run PORT=8101` sets `SITE_URL`) is named by its own address.
    """
    domain = urlsplit(url or settings.SITE_URL).netloc
    site, _ = Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"name": settings.WAGTAIL_SITE_NAME, "domain": domain}
    )
    return site


# --- Erasure (lms.export.account_erase calls every app's `user_erase` hook) -------------------------


def user_sessions_end(*, user: User) -> int:
    """Delete every session of `user`, on every device, and return how many were ended.

    Sessions are stored in the database (Django's default engine), where nothing indexes them by
    user: each one is decoded. Erasure is rare; this reads the session table once.
    """
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = [
        session.pk
        for session in Session.objects.iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def user_traces_erase(*, user: User, replacement: str) -> None:
    """What accounts and the libraries it configures hold about `user` beyond the user row, erased
    before the row becomes an anonymous tombstone (docs/privacy.md): every session, the allauth
    e-mail addresses, the Wagtail admin profile (language, avatar), the e-mails still waiting to be
    sent to the person, and the name that admin logs kept of the account (`replacement` instead)."""
    from allauth.account.models import EmailAddress
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django_tasks_db.models import DBTaskResult
    from wagtail.models import ModelLogEntry

    user_sessions_end(user=user)
    addresses = {user.email.lower(), *(a.lower() for a in EmailAddress.objects.filter(user=user).values_list("email", flat=True))}
    EmailAddress.objects.filter(user=user).delete()
    UserProfile.objects.filter(user=user).delete()
    for address in addresses:
        DBTaskResult.objects.filter(args_kwargs__kwargs__to__iexact=address).delete()
    content_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=content_type, object_id=str(user.pk)).update(object_repr=replacement)
    ModelLogEntry.objects.filter(content_type=content_type, object_id=str(user.pk)).update(label=replacement, data={})
