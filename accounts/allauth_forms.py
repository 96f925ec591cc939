"""allauth's forms, with one name for the e-mail field: « Adresse e-mail ».

allauth labels the field "Email", which django.contrib.auth's French catalogue (read before
allauth's) turns into « Courriel », beside allauth's placeholder « Adresse e-mail ». The forms are
listed in ACCOUNT_FORMS. They live apart from accounts/forms.py, which allauth's own signup form
imports as its base class (ACCOUNT_SIGNUP_FORM_CLASS).
"""

from allauth.account import forms as allauth_forms
from django import forms
from django.utils.translation import gettext_lazy as _

EMAIL_LABEL = _("Adresse e-mail")


class EmailLabelMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("login", "email"):
            field = self.fields.get(name)
            if isinstance(field, forms.EmailField):
                field.label = EMAIL_LABEL
                field.widget.attrs["placeholder"] = EMAIL_LABEL


class LoginForm(EmailLabelMixin, allauth_forms.LoginForm):
    pass


class SignupForm(EmailLabelMixin, allauth_forms.SignupForm):
    pass


class ResetPasswordForm(EmailLabelMixin, allauth_forms.ResetPasswordForm):
    pass


class AddEmailForm(EmailLabelMixin, allauth_forms.AddEmailForm):
    pass
