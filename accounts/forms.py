"""Signup and profile forms; allauth calls SignupForm.signup after creating the user."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession
from accounts.models import User

PROFILE_FIELDS = ["first_name", "last_name", "profession", "level", "organisation", "language"]


class SignupForm(forms.Form):
    """Extra fields asked at signup; allauth validates e-mail and passwords itself."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    profession = forms.ChoiceField(label=_("Métier"), choices=[("", "—"), *Profession.choices])
    level = forms.ChoiceField(label=_("Niveau d'action"), choices=[("", "—"), *Level.choices])
    organisation = forms.CharField(label=_("Organisation"), max_length=200)
    language = forms.ChoiceField(label=_("Langue de l'interface"), choices=[("fr", "Français"), ("en", "English")])

    field_order = ["email", "first_name", "last_name", "profession", "level", "organisation", "language"]

    def signup(self, request, user):
        from accounts.services import user_profile_update

        user_profile_update(user=user, data={name: self.cleaned_data[name] for name in PROFILE_FIELDS})


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            *PROFILE_FIELDS,
            "region",
            "rpps",
            "interests",
            "bio",
            "in_directory",
            "share_organisation",
            "share_level",
            "share_region",
            "share_interests",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["first_name", "last_name", "profession", "level", "organisation"]:
            self.fields[name].required = True
