"""Validators for identifiers people copy from their professional documents."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def luhn_valid(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812-1): from the right, every second digit is doubled (9 taken off
    above 9) and the sum must end in 0."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def validate_rpps(value: str) -> None:
    """An RPPS number (Répertoire partagé des professionnels de santé): 11 digits, the last one a
    Luhn check digit, so that a mistyped digit is caught before it reaches an attestation."""
    if len(value) != 11 or not value.isdigit():
        raise ValidationError(_("Le numéro RPPS compte 11 chiffres."), code="rpps_length")
    if not luhn_valid(value):
        raise ValidationError(
            _("Ce numéro RPPS n'est pas valide : vérifiez les chiffres recopiés (le dernier est une clé de contrôle)."),
            code="rpps_checksum",
        )
