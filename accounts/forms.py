"""Signup and profile forms. allauth builds its signup form on top of `SignupForm`."""

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession
from accounts.models import User
from accounts.validators import validate_rpps

PROFILE_FIELDS = ["first_name", "last_name", "profession", "level", "organisation", "language"]

_EMPTY_CHOICE = [("", _("— Choisir —"))]


class SignupForm(forms.Form):
    """The profile fields asked at signup; allauth validates the e-mail address and passwords itself.

    The values are stored by `AccountAdapter.save_user`, in the same write as the account,
    so a signup either creates a complete user or nothing.
    """

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    profession = forms.ChoiceField(
        label=_("Métier"),
        choices=[*_EMPTY_CHOICE, *Profession.choices],
        help_text=_("Il compose les groupes interprofessionnels de votre promotion."),
    )
    level = forms.ChoiceField(
        label=_("Niveau d'action"),
        choices=[*_EMPTY_CHOICE, *Level.choices],
        help_text=_("Là où vous agissez : une équipe, un établissement, une région ou le niveau national."),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        help_text=_("Par exemple : CHU de Rennes, ARS Bretagne, GHT Haute-Bretagne."),
    )
    language = forms.ChoiceField(label=_("Langue de l'interface"), choices=settings.LANGUAGES)

    field_order = ["email", "first_name", "last_name", "profession", "level", "organisation", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = translation.get_language() or settings.LANGUAGE_CODE
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        for name in ("first_name", "last_name", "organisation"):
            self.fields[name].strip = True

    def clean(self):
        cleaned = super().clean()
        for name in ("first_name", "last_name", "organisation"):
            if name in cleaned and not cleaned[name].strip():
                self.add_error(name, _("Ce champ est obligatoire."))
        return cleaned

    def signup(self, request, user):
        """Nothing left to do: the adapter stored the profile with the account."""

    def profile_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}


class ProfileForm(forms.ModelForm):
    """Everything a person may change about themselves, including what the directory shows."""

    # Longer than the stored 11 digits: the number is often copied with spaces.
    rpps = forms.CharField(
        label=capfirst(User._meta.get_field("rpps").verbose_name),
        help_text=User._meta.get_field("rpps").help_text,
        max_length=20,
        required=False,
    )

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
        help_texts = {
            "bio": _("Quelques lignes sur votre parcours. Mise en forme simple : gras, italique, listes, liens."),
            "interests": _("Par exemple : parcours patients, qualité, coopération ville-hôpital."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["first_name", "last_name", "profession", "level", "organisation"]:
            self.fields[name].required = True
        for name in ["profession", "level"]:
            self.fields[name].choices = [*_EMPTY_CHOICE, *self.fields[name].choices[1:]]
        self.fields["rpps"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"

    def clean_rpps(self):
        # People copy the number with spaces from their professional card.
        value = "".join((self.cleaned_data.get("rpps") or "").split())
        if value:
            validate_rpps(value)
        return value
