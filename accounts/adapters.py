"""allauth adapter: applies the user's interface language at login."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        response = super().login(request, user)
        if user.language:
            translation.activate(user.language)
            request.session["_language"] = user.language
            request._set_language_cookie = user.language
        return response
