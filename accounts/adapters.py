"""allauth adapter: stores the profile with the account, applies the user's language at login, sends
each person to their own starting page and writes allauth's e-mails in the account holder's language."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from accounts.backends import can_access_admin
from accounts.choices import Role
from accounts.i18n import in_recipient_language
from accounts.mail import email_enqueue
from accounts.models import User
from accounts.services import user_admin_language_sync, user_profile_fill


def language_cookie_set(response, language: str) -> None:
    """Make `language` the interface language of the following requests (read by LocaleMiddleware)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def start_url(user) -> str:
    """The page a person starts from after signing in: facilitators their cohorts, content staff
    (editors, reviewers, admins) the content admin, everyone else their learner dashboard.

    The pages belong to apps above accounts, so they are found by URL name; the site's home page
    stands in for one that is not installed.
    """
    if user.has_role(Role.FACILITATOR):
        names = ["cohorts:cohort_list", "lms:dashboard"]
    elif can_access_admin(user):
        names = ["wagtailadmin_home"]
    else:
        names = ["lms:dashboard"]
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": lazy(
            lambda: _("Trop d'échecs de connexion depuis cette adresse. Réessayez dans %(minutes)s minutes au plus.")
            % {"minutes": settings.LOGIN_LOCK_MINUTES},
            str,
        )(),
    }

    def _get_login_attempts_cache_key(self, request, **credentials):
        """The key allauth counts failed logins under ("…/key" in ACCOUNT_RATE_LIMITS): the account
        *and* the client's address, so failures from elsewhere never lock the account's owner out.
        allauth's own key is the account alone (65.22; tests/accounts/test_login_throttling.py
        fails if allauth stops calling this)."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{self.get_client_ip(request)}"

    def save_user(self, request, user, form, commit=True):
        """Create the account and its profile in one write: a signup stores all of it or nothing."""
        user = super().save_user(request, user, form, commit=False)
        profile_data = form.profile_data() if hasattr(form, "profile_data") else {}
        user_profile_fill(user=user, data=profile_data)
        if commit:
            user.save()
            user_admin_language_sync(user=user)
        return user

    def login(self, request, user):
        super().login(request, user)
        if user.language:
            # The success message and the next page are already in the user's language.
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        # Accounts made outside the site (createsuperuser, the shell) get Wagtail's e-mail language here.
        user_admin_language_sync(user=user)

    def get_login_redirect_url(self, request):
        """Called only without a safe `?next=` (allauth checks it first, `is_safe_url`)."""
        return start_url(request.user)

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if user.language:
            language_cookie_set(response, user.language)
        return response

    def send_mail(self, template_prefix, email, context):
        """Confirmation, password reset…: in the account holder's language, whatever the language of
        the page that triggered them; for an address without an account, in that page's language.
        Rendered here, sent by the tasks worker (accounts/mail.py), as allauth's own method would
        render it (same context) but not send it inside the request."""
        user = context.get("user") or User.objects.filter(email__iexact=email).only("pk", "language").first()
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        with in_recipient_language(user=user, fallback=translation.get_language()):
            message = self.render_mail(template_prefix, email, context)
        html = next((content for content, mimetype in getattr(message, "alternatives", ()) if mimetype == "text/html"), "")
        email_enqueue(to=email, subject=message.subject, body=message.body, html=html, from_email=message.from_email)
