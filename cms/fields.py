"""Model fields of the cms app."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level


class LevelListField(models.JSONField):
    """A list of `accounts.choices.Level` codes, stored as JSON and edited as checkboxes."""

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, list):
            raise ValidationError(_("Une liste de niveaux est attendue."), code="invalid")
        unknown = [item for item in value if item not in Level.values]
        if unknown:
            raise ValidationError(
                _("Niveau inconnu : %(value)s."), code="invalid_choice", params={"value": ", ".join(map(str, unknown))}
            )

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self,
            **{
                "form_class": forms.TypedMultipleChoiceField,
                "choices": Level.choices,
                "widget": forms.CheckboxSelectMultiple,
                **{key: value for key, value in kwargs.items() if key not in {"encoder", "decoder"}},
            },
        )
