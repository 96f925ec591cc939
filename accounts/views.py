"""Profile and language views; allauth serves login, signup, e-mail and password pages."""

from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from wagtail import hooks

from accounts.adapters import language_cookie_set
from accounts.forms import ProfileForm
from accounts.services import user_language_set, user_profile_update

# Apps above accounts may pre-fill the signup form (e.g. cohorts, from the invitation being
# accepted): each function registered under this hook takes the request and returns initial
# values for the form's fields ({} when it has none).
SIGNUP_INITIAL_HOOK = "signup_initial"
# Apps above accounts say why the profile should ask for the RPPS number: each function registered
# under this hook takes the user and returns the titles of what needs it (e.g. lms: the DPC
# programmes the person follows), [] when nothing does.
RPPS_NEEDED_HOOK = "rpps_needed_for"


class SignupView(allauth_views.SignupView):
    """allauth's signup, pre-filled by the `signup_initial` hook; the page says whether the address
    still needs confirming (not when an invitation link already proved it)."""

    def get_initial(self) -> dict:
        initial = super().get_initial()
        for fn in hooks.get_hooks(SIGNUP_INITIAL_HOOK):
            initial.update({key: value for key, value in fn(self.request).items() if value})
        return initial

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["email_already_verified"] = bool(self.request.session.get("account_verified_email"))
        return context


# allauth creates the user and then its e-mail address in separate writes: one transaction
# makes a failed signup leave nothing behind.
signup = transaction.atomic(SignupView.as_view())


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = user_profile_update(user=request.user, data=form.cleaned_data)
        translation.activate(user.language)
        messages.success(request, _("Votre profil est enregistré."))
        response = redirect("accounts:profile")
        language_cookie_set(response, user.language)
        return response
    if request.method == "POST":
        # The form was bound to the user; give back the stored values to the page frame.
        request.user.refresh_from_db()
    status = 400 if request.method == "POST" else 200
    rpps_needed_for = []
    if not request.user.rpps:
        for fn in hooks.get_hooks(RPPS_NEEDED_HOOK):
            rpps_needed_for.extend(fn(request.user))
    return render(request, "accounts/profile.html", {"form": form, "rpps_needed_for": rpps_needed_for}, status=status)


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice on a signed-in user's profile."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user=request.user, language=language)
    return response
