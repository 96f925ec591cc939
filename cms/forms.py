"""Forms of the cms public pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession
from cms.locales import in_language
from cms.models import Competency


class CatalogueFilterForm(forms.Form):
    """The catalogue's filters: a GET form that works without JavaScript."""

    profession = forms.ChoiceField(
        label=_("Métier"), required=False, choices=[("", _("Tous les métiers")), *Profession.choices]
    )
    level = forms.ChoiceField(label=_("Niveau d'action"), required=False, choices=[("", _("Tous les niveaux")), *Level.choices])
    competency = forms.ChoiceField(label=_("Compétence"), required=False, choices=[])
    duration = forms.ChoiceField(
        label=_("Durée"),
        required=False,
        choices=[
            ("", _("Toutes les durées")),
            ("short", _("Moins de 7 heures")),
            ("medium", _("De 7 à 21 heures")),
            ("long", _("Plus de 21 heures")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competency"].choices = [("", _("Toutes les compétences"))] + list(
            in_language(Competency.objects.all()).order_by("name").values_list("slug", "name")
        )


class PerspectiveForm(forms.Form):
    """The profession whose role brief a learner reads in a case, picked once."""

    profession = forms.ChoiceField(label=_("Perspective"), choices=[])

    def __init__(self, *args, professions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Profession.choices)
        self.fields["profession"].choices = [(code, labels[code]) for code in professions]
        self.fields["profession"].error_messages["invalid_choice"] = _(
            "Ce cas n'a pas de dossier pour ce métier : choisissez l'une des perspectives proposées."
        )
